"""Live dashboard as the browser sees it: frames/s, step rate, start-up, server CPU, exit on SIGTERM.

For ~10^3, 10^4 and 10^5 cells (the default cell mix and density, the square domain and its 10 um
lattice scaled with N, as ``mscabm.bench.whole_model.build_model`` does; written to a temporary
TOML), each size gets a new server process (``python -m mscabm dashboard CONFIG.toml --port P
--no-fetch-assets``) and a new browser context in headless Debian chromium driven by Playwright.
Per size:

* **start-up**: seconds from the server's ``Popen`` to the page answering HTTP 200, from
  ``page.goto`` to the first decoded tissue image (``img.mscabm-tissue`` with ``naturalWidth`` > 0),
  and from ``Popen`` to that image (cold-ish: a new process, the numba cache on disk warm);
* **playing** (Play pressed, a warm-up, then several windows): frames/s **seen by the browser**
  (distinct ``src`` values of the tissue image, counted by a MutationObserver in the page, with the
  browser's own clock), the gaps between frames, steps/s from the step counter, simulated hours per
  wall second (steps x dt), and the server's own estimates from the status line;
* **server CPU** while playing: user + system seconds of the server process (psutil, else
  ``/proc/PID/stat``) per window, as % of one core and as CPU ms per frame seen; chromium's CPU
  (the headless browser's processes, children of this script) and the messages and bytes the page
  receives over its websocket(s) per second, to tell a server that sends little from a browser
  that shows little of what it gets;
* **exit**: SIGTERM is sent while playing with the tab open; ``sigterm_exit_s`` is how long the
  process took to exit (killed after 30 s: then ``null`` and ``sigterm_killed``).

Figures are medians over the windows. Quote medians with the load average: on a shared 2-core
machine the server, chromium and anything else compete for the cores, and the JSON records
``os.getloadavg()`` before and after each size and the commit. ``MSCABM_DASHBOARD_FPS`` (frame
rate the play loop aims at, default 12) and ``MSCABM_DASHBOARD_CHART_EVERY_S`` (default 2) are
passed through from the environment and recorded.

Needs the ``chromium`` executable (``apt-get install chromium``) and Playwright for Python (the
``test`` extra); never ``playwright install``. Exit status 2 without them.

    .venv/bin/python benchmarks/bench_dashboard.py [--quick] [--sizes 1000 10000 100000] [--json FILE]

``--quick``: 10^3 and 10^4 cells, 2 s warm-up and 3 windows of 3 s (about a minute in all);
default: 10^3, 10^4, 10^5 cells, 3 s warm-up, 3 windows of 5 s.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "dashboard.json"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SIGTERM_WAIT_S = 30.0

#: counts distinct src values of the tissue image (the node may be replaced: watch the whole body)
INSTALL_OBSERVER = """() => {
  const w = window.__bench = {ts: [], last: null};
  const check = () => {
    const img = document.querySelector('img.mscabm-tissue');
    if (!img) return;
    const s = img.getAttribute('src');
    if (s && s !== w.last) { w.last = s; w.ts.push(performance.now()); }
  };
  check();
  new MutationObserver(check).observe(document.body,
      {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""

SNAPSHOT = """() => {
  const q = (s) => document.querySelector(s);
  return {now: performance.now(), n: window.__bench.ts.length,
          steps: parseInt(q('.mscabm-steps').innerText),
          fps: parseFloat(q('.mscabm-fps').innerText),
          status: q('.mscabm-status').innerText};
}"""

FIRST_IMAGE = ("() => { const i = document.querySelector('img.mscabm-tissue'); "
               "return !!i && i.complete && i.naturalWidth > 0; }")


# ---------------------------------------------------------------------------------------------
# helpers


def require_browser() -> str:
    """The chromium executable, or exit 2 with what is missing."""
    path = shutil.which("chromium")
    missing = []
    if path is None:
        missing.append("the 'chromium' executable (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python (pip install -e '.[test]'; do not run 'playwright install', "
                       "the benchmark uses the system chromium)")
    if missing:
        print("bench_dashboard: cannot run without " + " and ".join(missing), file=sys.stderr)
        sys.exit(2)
    return path


def commit() -> str | None:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_toml(n_cells: int) -> tuple[str, int, float]:
    """A TOML of overrides on the built-in default giving ~n_cells at the default density; returns the
    text, the total count and the domain side (um)."""
    from mscabm.config import default_config_dict

    d = default_config_dict()
    base = sum(c["count"] for c in d["cells"].values())
    scale = n_cells / base
    side = d["domain"]["width_um"] * math.sqrt(scale)
    lines = [f"# bench_dashboard: ~{n_cells} cells, the default mix and density", "[model]",
             "steps = 100000000", "", "[domain]", f"width_um = {side:.1f}", f"height_um = {side:.1f}", ""]
    total = 0
    for t, c in d["cells"].items():
        k = int(round(c["count"] * scale))
        total += k
        lines += [f"[cells.{t}]", f"count = {k}", ""]
    return "\n".join(lines), total, side


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (psutil, else /proc)."""
    try:
        import psutil

        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except ImportError:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def browser_cpu_seconds(exclude: int) -> float | None:
    """CPU seconds of this script's chromium processes (children of the Playwright driver)."""
    try:
        import psutil
    except ImportError:
        return None
    total = 0.0
    for p in psutil.Process().children(recursive=True):
        try:
            if p.pid != exclude and "chrom" in p.name().lower():
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            pass
    return total


def wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    from mscabm.dashboard.cli import wait_until_serving

    wait_until_serving(url, proc, timeout)


def press_play(page) -> float:
    """Press Play; seconds until the step counter moves (press once more if the press was lost)."""
    moved = "parseInt(document.querySelector('.mscabm-steps').innerText) > 0"
    t0 = time.perf_counter()
    page.click(".mscabm-play")
    try:
        page.wait_for_function(moved, timeout=20_000)
    except Exception:  # noqa: BLE001 (playwright TimeoutError)
        if page.locator(".mscabm-play").inner_text().strip().lower().endswith("play"):
            page.click(".mscabm-play")
        page.wait_for_function(moved, timeout=120_000)
    return time.perf_counter() - t0


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


# ---------------------------------------------------------------------------------------------
# one size


def measure(browser, n_cells: int, warmup_s: float, windows: int, window_s: float, tmp: Path) -> dict:
    text, total, side = config_toml(n_cells)
    cfg = tmp / f"cells_{n_cells}.toml"
    cfg.write_text(text)
    from mscabm.config import load_config

    dt_min = load_config(cfg).model.dt_min
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as a normal install: .pyc written once, then used
    log_path = tmp / f"server_{n_cells}.log"
    row: dict = {"cells_requested": n_cells, "cells_configured": total, "domain_um": round(side, 1),
                 "lattice": [round(side / 10.0)] * 2, "dt_min": dt_min, "load_average_before": os.getloadavg()}
    log = open(log_path, "w")  # noqa: SIM115 (closed in finally)
    t_proc = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mscabm", "dashboard", str(cfg), "--port", str(port),
                             "--no-fetch-assets"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    context = None
    try:
        wait_http(url, proc, timeout=120)
        row["server_ready_s"] = time.perf_counter() - t_proc
        context = browser.new_context(viewport={"width": 1600, "height": 1300})
        page = context.new_page()
        page.set_default_timeout(60_000)
        ws = {"msgs": 0, "bytes": 0}  # what the browser receives over Solara's websocket(s)

        def on_ws(sock):
            def got(payload):
                ws["msgs"] += 1
                ws["bytes"] += len(payload)

            sock.on("framereceived", got)

        page.on("websocket", on_ws)
        t_goto = time.perf_counter()
        page.goto(url)
        page.wait_for_function(FIRST_IMAGE, timeout=300_000, polling=20)
        t_img = time.perf_counter()
        row["goto_to_image_s"] = t_img - t_goto
        row["process_to_image_s"] = t_img - t_proc
        row["image_px"] = page.evaluate("(() => { const i = document.querySelector('img.mscabm-tissue'); "
                                        "return [i.naturalWidth, i.naturalHeight]; })()")
        page.evaluate(INSTALL_OBSERVER)
        row["play_to_first_step_s"] = press_play(page)
        page.wait_for_timeout(warmup_s * 1000)

        wins = []
        browser_pid_excl = proc.pid
        for _ in range(windows):
            a, ca, ba, ta = page.evaluate(SNAPSHOT), cpu_seconds(proc.pid), browser_cpu_seconds(browser_pid_excl), \
                time.perf_counter()
            wa = dict(ws)
            page.wait_for_timeout(window_s * 1000)
            b, cb, bb, tb = page.evaluate(SNAPSHOT), cpu_seconds(proc.pid), browser_cpu_seconds(browser_pid_excl), \
                time.perf_counter()
            wb = dict(ws)
            ts = page.evaluate(f"window.__bench.ts.slice({a['n']}, {b['n']})")
            wall_b = (b["now"] - a["now"]) / 1e3
            frames = b["n"] - a["n"]
            steps = b["steps"] - a["steps"]
            m = re.search(r"([\d.eE+-]+) simulated h/s", b["status"])
            wins.append({
                "wall_s": wall_b, "frames": frames, "fps_browser": frames / wall_b,
                "gaps_ms": [y - x for x, y in zip(ts, ts[1:])],
                "steps": steps, "steps_per_s": steps / wall_b,
                "sim_h_per_s": steps * dt_min / 60.0 / wall_b,
                "fps_server": b["fps"], "sim_h_per_s_server": float(m.group(1)) if m else None,
                "server_cpu_pct": 100.0 * (cb - ca) / (tb - ta),
                "server_cpu_ms_per_frame": 1e3 * (cb - ca) / frames if frames else None,
                "server_cpu_ms_per_step": 1e3 * (cb - ca) / steps if steps else None,
                "browser_cpu_pct": 100.0 * (bb - ba) / (tb - ta) if ba is not None else None,
                "ws_msgs_per_s": (wb["msgs"] - wa["msgs"]) / (tb - ta),
                "ws_kib_per_s": (wb["bytes"] - wa["bytes"]) / 1024 / (tb - ta)})
        m = re.search(r"(\d+) cells", b["status"])
        row["cells_live"] = int(m.group(1)) if m else None
        row["png_kib"] = page.evaluate("document.querySelector('img.mscabm-tissue').getAttribute('src').length") \
            * 3 / 4 / 1024
        gaps = [g for w in wins for g in w["gaps_ms"]]

        def med(key):
            vals = [w[key] for w in wins if w[key] is not None]
            return statistics.median(vals) if vals else None

        row.update({k: med(k) for k in ("fps_browser", "steps_per_s", "sim_h_per_s", "fps_server",
                                        "sim_h_per_s_server", "server_cpu_pct", "server_cpu_ms_per_frame",
                                        "server_cpu_ms_per_step", "browser_cpu_pct", "ws_msgs_per_s",
                                        "ws_kib_per_s")})
        row["fps_browser_spread"] = [min(w["fps_browser"] for w in wins), max(w["fps_browser"] for w in wins)]
        row["gap_ms"] = ({"median": statistics.median(gaps), "p95": pct(gaps, 0.95), "max": max(gaps)}
                         if gaps else None)
        row["windows"] = [{k: v for k, v in w.items() if k != "gaps_ms"} for w in wins]

        # SIGTERM while playing, the tab open
        t_term = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=SIGTERM_WAIT_S)
            row["sigterm_exit_s"] = time.perf_counter() - t_term
            row["sigterm_killed"] = False
            row["exit_code"] = proc.returncode
        except subprocess.TimeoutExpired:
            row["sigterm_exit_s"] = None
            row["sigterm_killed"] = True
    except Exception as exc:  # noqa: BLE001 (record and go on with the next size)
        row["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if context is not None:
            try:
                context.close()
            except Exception:  # noqa: BLE001
                pass
        log.close()
    row["load_average_after"] = os.getloadavg()
    out = log_path.read_text(errors="replace")
    # "mscabm dashboard: stopped" (server.run returned) or "mscabm: stopped by SIGTERM ..." (exit 143)
    row["server_said_stopped"] = re.search(r"^mscabm( dashboard)?: stopped", out, re.M) is not None
    row["server_log_tail"] = out[-(2000 if "error" in row or row.get("sigterm_killed") else 500):]
    return row


# ---------------------------------------------------------------------------------------------


def fmt(v, spec: str, width: int) -> str:
    return f"{'-':>{width}}" if v is None else f"{v:{width}{spec}}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10^3 and 10^4 cells, short windows (~1 min)")
    ap.add_argument("--sizes", type=int, nargs="+", help="cell counts (default 1000 10000 100000; quick: 1000 10000)")
    ap.add_argument("--json", default=str(DEFAULT_JSON), help=f"write results as JSON (default {DEFAULT_JSON})")
    args = ap.parse_args(argv)
    chromium = require_browser()
    from playwright.sync_api import sync_playwright

    sizes = args.sizes or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    warmup_s, windows, window_s = (2.0, 3, 3.0) if args.quick else (3.0, 3, 5.0)
    load0 = os.getloadavg()
    t_run = time.perf_counter()
    fps_target = float(os.environ.get("MSCABM_DASHBOARD_FPS", "12"))
    print(f"dashboard benchmark: {os.cpu_count()} CPUs, {platform.machine()}, target {fps_target:g} frames/s, "
          f"load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_dashboard_") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for n in sizes:
                r = measure(browser, n, warmup_s, windows, window_s, Path(tmp))
                rows.append(r)
                if "error" in r:
                    print(f"{n:>8}: FAILED: {r['error']}", flush=True)
                    print(r.get("server_log_tail", ""), file=sys.stderr)
        finally:
            browser.close()
    load1 = os.getloadavg()

    print()
    print(f"{'cells':>8} {'start->img':>10} {'goto->img':>9} | {'fps seen':>8} {'(min-max)':>11} {'srv fps':>7} "
          f"{'gap p95':>7} | {'steps/s':>7} {'sim h/s':>7} | {'srv CPU':>7} {'ms/frame':>8} {'chrome':>6} | "
          f"{'ws KiB/s':>8} | {'SIGTERM':>7}")
    for r in rows:
        if "error" in r:
            print(f"{r['cells_requested']:>8}  error: {r['error']}")
            continue
        spread = f"{r['fps_browser_spread'][0]:.1f}-{r['fps_browser_spread'][1]:.1f}"
        term = f"{r['sigterm_exit_s']:6.2f}s" if r["sigterm_exit_s"] is not None else " killed"
        print(f"{r['cells_live'] or r['cells_configured']:>8} {r['process_to_image_s']:9.1f}s "
              f"{r['goto_to_image_s']:8.1f}s | {r['fps_browser']:8.1f} {spread:>11} {fmt(r['fps_server'], '.1f', 7)} "
              f"{fmt(r['gap_ms'] and r['gap_ms']['p95'], '.0f', 5)}ms | {r['steps_per_s']:7.1f} "
              f"{r['sim_h_per_s']:7.2f} | {r['server_cpu_pct']:6.0f}% {fmt(r['server_cpu_ms_per_frame'], '.0f', 6)}ms "
              f"{fmt(r['browser_cpu_pct'], '.0f', 5)}% {r['ws_kib_per_s']:8.0f} | {term}")
    print(f"frames/s seen by the browser, steps/s and CPU: medians of {windows} windows of {window_s:g} s after "
          f"{warmup_s:g} s of play; CPU in % of one core. Load average {load0[0]:.2f} (start) -> "
          f"{load1[0]:.2f} (end), {time.perf_counter() - t_run:.0f} s in all.")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({
            "benchmark": "dashboard", "commit": commit(), "quick": args.quick,
            "machine": {"cpus": os.cpu_count(), "arch": platform.machine(), "python": platform.python_version()},
            "fps_target": fps_target,
            "chart_every_s": float(os.environ.get("MSCABM_DASHBOARD_CHART_EVERY_S", "2.0")),
            "warmup_s": warmup_s, "windows": windows, "window_s": window_s,
            "load_average_start": load0, "load_average_end": load1, "results": rows}, indent=2))
        print(f"wrote {args.json}")
    return 1 if any("error" in r or r.get("sigterm_killed") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
