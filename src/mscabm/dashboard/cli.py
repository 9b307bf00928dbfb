"""``mscabm dashboard [CONFIG] [--host 127.0.0.1] [--port 8765]``: serve the Solara dashboard."""

from __future__ import annotations

import argparse
import os
import sys


def register(subparsers) -> dict:
    p = subparsers.add_parser(
        "dashboard", help="serve the live browser dashboard (Solara)",
        description="Serve the live dashboard: watch, steer and compare runs in the browser. Binds 127.0.0.1 "
                    "(this machine only) unless --host says otherwise. Works offline once the browser assets "
                    "are in place (scripts/bootstrap.sh fetches them; see docs/dashboard.md).")
    p.add_argument("config", nargs="?", default=None,
                   help="TOML file or preset name (src/mscabm/presets/) (default: the built-in default)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--no-fetch-assets", action="store_true",
                   help="do not try to download missing browser assets from the npm registry")
    return {"dashboard": cmd_dashboard}


def cmd_dashboard(args: argparse.Namespace) -> int:
    from mscabm.config import load_config
    from mscabm.dashboard.assets import configure_environment

    load_config(args.config)  # fail early (exit 2) on a bad config
    configure_environment()
    os.environ["SOLARA_APP"] = "mscabm.dashboard.app"
    os.environ.setdefault("SOLARA_MODE", "production")
    os.environ["MSCABM_DASHBOARD_CONFIG"] = args.config or "default"
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
    uvicorn.run("solara.server.starlette:app", host=args.host, port=args.port, log_level="warning")
    return 0
