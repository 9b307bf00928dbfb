"""``mscabm dashboard [CONFIG | FOLDER] [--host 127.0.0.1] [--port 8765]``: serve the Solara dashboard.

A config (file or preset) opens the live page; a run folder (``mscabm run --out``) its replay; an
experiment or cohort folder (``mscabm experiment --out``) the results browser. The server stops on
SIGTERM or Ctrl+C within a few seconds, open tabs or not (every play loop stops first)."""

from __future__ import annotations

import argparse
import os
import sys


def register(subparsers) -> dict:
    p = subparsers.add_parser(
        "dashboard", help="serve the live browser dashboard (Solara)",
        description="Serve the live dashboard: watch, steer and compare runs in the browser; or replay a "
                    "finished run folder; or browse an experiment or cohort folder. Binds 127.0.0.1 "
                    "(this machine only) unless --host says otherwise. Works offline once the browser assets "
                    "are in place (scripts/bootstrap.sh fetches them; see docs/dashboard.md).")
    p.add_argument("config", nargs="?", default=None, metavar="CONFIG|FOLDER",
                   help="TOML file or preset name (src/mscabm/presets/) for a live run (default: the built-in "
                        "default); or a run folder (mscabm run --out) to replay; or an experiment/cohort folder "
                        "(mscabm experiment --out) to browse")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--presets", metavar="DIR", action="append", default=[],
                   help="add the *.toml configs of DIR to the page's preset menu (repeatable)")
    p.add_argument("--no-fetch-assets", action="store_true",
                   help="do not try to download missing browser assets from the npm registry")
    return {"dashboard": cmd_dashboard}


def cmd_dashboard(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mscabm.config import ConfigError, load_config
    from mscabm.dashboard.assets import configure_environment

    if args.config is not None and (Path(args.config).is_dir() or args.config.endswith(("/", os.sep))):
        from mscabm.dashboard.folders import folder_kind

        kind = folder_kind(args.config)  # exit 2 on a folder that is neither kind
        if kind == "run":
            from mscabm.dashboard.replay import RunFolder

            RunFolder(args.config)  # its config must load (exit 2 with the key path)
        os.environ["MSCABM_DASHBOARD_OPEN"] = str(Path(args.config).resolve())
    else:
        load_config(args.config)  # fail early (exit 2) on a bad config
        os.environ.pop("MSCABM_DASHBOARD_OPEN", None)
    for folder in args.presets:
        if not Path(folder).is_dir():
            raise ConfigError("--presets", f"{folder}: not a folder of *.toml configs")
    if args.presets:
        from mscabm.dashboard.controls import PRESETS_ENV

        os.environ[PRESETS_ENV] = os.pathsep.join(str(Path(f).resolve()) for f in args.presets)
    configure_environment()
    # a session whose tabs are all closed is shut down after a minute (Solara's default is 24 h)
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "60s")
    os.environ["SOLARA_APP"] = "mscabm.dashboard.app"
    os.environ["MSCABM_DASHBOARD_PREBUILD"] = "1"  # the first tab's model is built while the server starts
    os.environ.setdefault("SOLARA_MODE", "production")
    os.environ["MSCABM_DASHBOARD_CONFIG"] = (args.config if "MSCABM_DASHBOARD_OPEN" not in os.environ else None) \
        or "default"
    from mscabm.dashboard import assets

    missing = assets.missing_packages() if args.no_fetch_assets else assets.ensure_assets()
    if missing:
        print("mscabm: WARNING: browser assets missing, the page will be blank without internet: "
              + ", ".join(f"{n}@{v}" for n, v in missing) + " (run: python -m mscabm.dashboard.assets)",
              file=sys.stderr)
    import uvicorn

    url = f"http://{args.host if args.host not in ('0.0.0.0', '::') else '127.0.0.1'}:{args.port}/"
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("!" * 78, file=sys.stderr)
        print(f"mscabm: WARNING: the dashboard is bound to {args.host}, NOT only to this machine: anyone who "
              f"can reach this address can run simulations on it. Use --host 127.0.0.1 to keep it private.",
              file=sys.stderr)
        print("!" * 78, file=sys.stderr)
    print(f"mscabm dashboard: serving on {url}  (Ctrl+C to stop)", flush=True)
    if "MSCABM_DASHBOARD_OPEN" not in os.environ:
        import mscabm.dashboard.app  # noqa: F401 (starts building the first tab's model now, see app._prebuild)
    # no per-message deflate on the websocket: a frame is a PNG (already compressed) in base64, and
    # deflating it again cost a third of the server's CPU while playing (py-spy, docs/dashboard.md)
    server = uvicorn.Server(uvicorn.Config("solara.server.starlette:app", host=args.host, port=args.port,
                                           log_level="warning", timeout_graceful_shutdown=3,
                                           ws_per_message_deflate=False))
    uvicorn_exit = server.handle_exit

    def handle_exit(sig, frame) -> None:
        """SIGTERM / SIGINT: stop every play loop, then let uvicorn close (open tabs get 3 s)."""
        import sys as _sys

        app = _sys.modules.get("mscabm.dashboard.app")
        if app is not None:
            app.SHUTDOWN.set()
        uvicorn_exit(sig, frame)

    server.handle_exit = handle_exit  # uvicorn installs it for SIGINT and SIGTERM when it starts
    server.run()  # after a signal uvicorn re-raises it: mscabm exits 130 (SIGINT) / 143 (SIGTERM)
    return 0


def wait_until_serving(url: str, proc, timeout_s: float = 60.0) -> None:
    """Block until the dashboard started as ``proc`` (a ``subprocess.Popen``) answers ``url`` with
    200 (tests and ``benchmarks/bench_dashboard.py`` start servers this way); RuntimeError if the
    process exits first or ``timeout_s`` passes."""
    import time
    import urllib.request

    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dashboard exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"dashboard did not answer {url} within {timeout_s:.0f} s")
