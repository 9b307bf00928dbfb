"""Frames per second of the dashboard's tissue render path vs Mesa's default matplotlib space drawing.

For 10^3, 10^4, 10^5 cells on a 500 x 500 lattice (5 mm domain, 10 um voxels), one frame is
what the browser receives: our path = numpy rasterisation of field + cells (600 x 600 px) and
PNG encoding; Mesa's path = ``mesa.visualization.mpl_space_drawing.draw_space`` of a
``ContinuousSpace`` holding the same cells as Mesa agents (what ``make_mpl_space_component``
draws), the field as one ``imshow``, and ``savefig`` to PNG (what ``solara.FigureMatplotlib``
sends). Medians of repeated frames (first frame excluded).

    .venv/bin/python benchmarks/bench_render.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time

import numpy as np

from mscabm.biology.celltypes import CELL_TYPES
from mscabm.dashboard import render as R

#: every cell type of the model, with its states and radius (the scene mixes them uniformly)
TYPES = list(CELL_TYPES)
STATES = [CELL_TYPES[t].states for t in TYPES]
RADII = np.array([CELL_TYPES[t].radius_um for t in TYPES])
SIDE_UM, VOXEL_UM = 5000.0, 10.0


def scene(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, len(TYPES), n)
    s = np.array([rng.integers(0, len(STATES[k])) for k in t]) if n <= 10_000 else rng.integers(0, 2, n)
    x, y = rng.uniform(0, SIDE_UM, n), rng.uniform(0, SIDE_UM, n)
    g = np.linspace(0, SIDE_UM, 500)
    gx, gy = np.meshgrid(g, g)
    field = np.zeros((500, 500), dtype=np.float32)
    for cx, cy in rng.uniform(0, SIDE_UM, (20, 2)):
        field += np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * 300.0**2)).astype(np.float32)
    return x, y, t, s, RADII[t], field


def time_frames(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def ours(n: int, repeats: int) -> dict:
    x, y, t, s, r, field = scene(n)
    pal = R.palette(TYPES, STATES)
    view = R.full_view(SIDE_UM, SIDE_UM, 600, field="f")
    apo = np.zeros(n, dtype=bool)
    t_render = time_frames(lambda: R.render(view, x, y, t, s, r, apo, pal, field, VOXEL_UM), repeats)
    t_frame = time_frames(lambda: R.encode_png(R.render(view, x, y, t, s, r, apo, pal, field, VOXEL_UM).rgb), repeats)
    return {"render_ms": 1e3 * t_render, "frame_ms": 1e3 * t_frame, "fps": 1.0 / t_frame}


def mesa_default(n: int, repeats: int) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import mesa
    from matplotlib.figure import Figure
    from mesa.visualization.components import AgentPortrayalStyle
    from mesa.visualization.mpl_space_drawing import draw_space

    x, y, t, s, r, field = scene(n)
    model = mesa.Model(rng=0)
    space = mesa.space.ContinuousSpace(SIDE_UM, SIDE_UM, torus=False)
    pal = R.palette(TYPES, STATES)
    colours = {k: "#%02x%02x%02x" % tuple(int(c) for c in pal[k, len(STATES[k]) - 1]) for k in range(len(TYPES))}

    class Cell(mesa.Agent):
        def __init__(self, model, kind):
            super().__init__(model)
            self.kind = kind

    t0 = time.perf_counter()
    for i in range(n):
        a = Cell(model, int(t[i]))
        space.place_agent(a, (float(x[i]), float(y[i])))
    setup_s = time.perf_counter() - t0

    def portrayal(agent):
        return AgentPortrayalStyle(color=colours[agent.kind], size=4)

    def frame():
        fig = Figure(figsize=(6, 6), dpi=100)
        ax = fig.add_subplot()
        ax.imshow(field, extent=(0, SIDE_UM, 0, SIDE_UM), origin="lower", cmap="viridis")
        draw_space(space, portrayal, ax=ax)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")

    tf = time_frames(frame, repeats)
    return {"frame_ms": 1e3 * tf, "fps": 1.0 / tf, "setup_s": setup_s}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--json", help="write results as JSON")
    ap.add_argument("--no-mesa", action="store_true", help="skip Mesa's matplotlib path")
    args = ap.parse_args(argv)
    results = []
    print(f"{'cells':>8} | {'ours render':>11} {'ours frame':>10} {'ours fps':>8} | "
          f"{'mesa frame':>10} {'mesa fps':>8} | speed-up")
    for n in (1_000, 10_000, 100_000):
        reps = 5 if args.quick else 15
        o = ours(n, reps)
        m = None
        if not args.no_mesa:
            try:
                m = mesa_default(n, 2 if (args.quick or n >= 100_000) else 5)
            except ImportError as exc:  # mesa.visualization needs altair (the 'bench' extra)
                print(f"Mesa's matplotlib path skipped: {exc} (pip install -e '.[bench]')", file=sys.stderr)
                args.no_mesa = True
        results.append({"cells": n, "lattice": [500, 500], "image_px": [600, 600], "ours": o, "mesa_matplotlib": m})
        mtxt = f"{m['frame_ms']:8.1f}ms {m['fps']:8.2f}" if m else f"{'-':>10} {'-':>8}"
        sp = f"{m['frame_ms'] / o['frame_ms']:.0f}x" if m else "-"
        print(f"{n:>8} | {o['render_ms']:9.1f}ms {o['frame_ms']:8.1f}ms {o['fps']:8.1f} | {mtxt} | {sp}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "render", "results": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
