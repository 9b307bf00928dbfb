"""The suite's report: the issue's targets with measured values, the correctness checks, and
the results tables that ``mscabm bench`` prints (medians; spreads are in the JSON)."""

from __future__ import annotations

import math

from mscabm.bench.common import REFERENCE, default_fields
from mscabm.bench.harness import table

__all__ = ["checks", "summary", "targets"]


def _pick(rows, **kw):
    return [r for r in rows if all(r.get(k) == v for k, v in kw.items())]


def targets(res: dict) -> list[dict]:
    """The issue's targets, each with the measured value, the target and whether it is met."""
    out = []

    def add(name, value, target, unit, higher=True, note=""):
        if value is None:
            return
        met = value >= target if higher else value <= target
        out.append(dict(target=name, value=value, goal=target, unit=unit, met=bool(met),
                        ratio=(value / target) if higher else (target / value if value else math.inf), note=note))

    d = res.get("diffusion")
    if d:
        big = max(r["size"] for r in d["throughput"])
        one = _pick(d["throughput"], scheme="explicit", dtype="float32", size=big)
        if one:
            r = max(one, key=lambda r: r["species"])
            add(f"diffusion: fraction of bandwidth, explicit 1 sweep/step, {big}^2 x{r['species']} f32",
                r["bw_fraction"], 0.6, "of STREAM")
        for scheme in ("explicit", "lod", "kernel"):
            rr = _pick(d["throughput"], scheme=scheme, dtype="float32", size=big)
            if rr:
                r = max(rr, key=lambda r: r["species"])
                add(f"diffusion: {scheme} vs BioFVM 2e8 vox-upd/s, {big}^2 x{r['species']} f32 (per step)",
                    r["vs_biofvm"], 10.0, "x")
    c = res.get("contact")
    if c and c["rows"]:
        r = max(c["rows"], key=lambda r: r["n"])
        add(f"contact: agent-updates/s at {r['n']:,} cells", r["agent_updates_per_s"]["median"], 2e7, "1/s")
        add(f"contact: speed-up vs cKDTree at {r['n']:,} cells", r["speedup_vs_kdtree"], 10.0, "x")
    m = res.get("model")
    if m and m["rows"]:
        for r in m["rows"]:
            if r["n"] == 100_000:
                add("model: cell-steps/s at 1e5 cells", r["cell_steps_per_s"]["median"], 2e6, "1/s")
            if r["n"] == 1_000_000:
                add("model: steps/s at 1e6 cells", r["steps_per_s"], 1.0, "1/s")
        r = max(m["rows"], key=lambda r: r["n"])
        add(f"model: memory per cell at {r['n']:,} cells", r["bytes_per_cell"], 1000.0, "B", higher=False)
    me = res.get("mesa")
    if me and me.get("rows"):
        r = max(me["rows"], key=lambda r: r["n"])
        add(f"model: speed-up vs pure Mesa at {r['n']:,} cells", r["speedup"], 100.0, "x")
    w = res.get("well")
    if w and w["median"]["steps"] >= 5760:
        add("well: 4-day co-culture (coculture preset, 1 thread), simulation", w["wall_s"]["median"], 2.0, "s",
            higher=False)
    st = res.get("startup")
    if st:
        add("start-up before the first step (imports, config, cached kernels)", st["median"]["to_first_step_s"], 1.5,
            "s", higher=False, note=f"of which Mesa's import {st['median']['import_mesa_s']:.2f} s; "
                                    f"{st['median']['process_s']:.2f} s to the process's exit")
    return out


def checks(res: dict) -> dict:
    """Correctness checks made in the run (not timings)."""
    out = {}
    if "contact" in res:
        out["contact_pairs_equal_kdtree"] = all(r["pairs_equal"] for r in res["contact"]["rows"])
    if res.get("mesa", {}).get("match"):
        out["mesa_readouts_match"] = res["mesa"]["match"]["all_match"]
    return out


def _n_fields(res: dict) -> int:
    """Fields of the default config the results were taken with (the current default if not recorded)."""
    rows = (res.get("diffusion") or {}).get("model_step") or []
    return rows[0]["species"] if rows else len(default_fields()[0])


def summary(res: dict) -> str:
    """The results tables (medians; spreads are in the JSON) with ratios and targets."""
    parts = []
    s = res["stream"]
    m = res["machine"]
    parts.append(f"Machine: {m['cpu']}, {m['cpu_count']} CPUs, {m['numba_threads']} numba threads; "
                 f"numba {m['numba']}, numpy {m['numpy']}; STREAM copy {s['copy_gb_s']:.1f} GB/s, "
                 f"triad {s['triad_gb_s']:.1f} GB/s (limit used: {s['limit_gb_s']:.1f} GB/s)")
    d = res.get("diffusion")
    if d:
        rows = [(r["scheme"], f"{r['size']}^2", r["species"], r["dtype"], r["ms_per_step"],
                 r["voxel_updates_per_s"]["median"], r["voxel_sweeps_per_s"], r["bw_fraction"], r["vs_biofvm"])
                for r in d["throughput"]]
        parts.append(table(["scheme", "lattice", "fields", "dtype", "ms/step", "vox-upd/s", "vox-sweeps/s",
                            "x bandwidth", "x BioFVM"], rows, "Diffusion throughput (one model step, dt = 1 min)"))
        rows = [(r["impl"], f"{r['size']}^2", r["species"], r["dtype"], r["ms_per_step"],
                 r["voxel_updates_per_s"]["median"], r.get("numba_speedup"), r["vs_reference"])
                for r in d["numpy_reference"]]
        parts.append(table(["impl", "lattice", "fields", "dtype", "ms/step", "vox-upd/s", "numba explicit x",
                            "x issue's 0.44e9"], rows, "Plain numpy explicit FTCS, same run"))
        rows = [(r["scheme"], f"{r['size']}^2", " ".join(f"{p[1]}:{p[2]}" for p in r["plan"]), r["ms_per_step"],
                 r["sim_min_per_wall_s"], r["max_error"]) for r in d["model_step"]]
        parts.append(table(["scheme", "lattice", "plan (scheme:sub-steps per field)", "ms/step", "sim-min/wall-s",
                            "max rel. error"], rows,
                           f"Diffusion, default field set ({_n_fields(res)} fields) at the model step; "
                           "error of one step vs analytic"))
        for auto in _pick(d["model_step"], scheme="auto"):
            bio = _pick(d["model_step"], scheme="biofvm", size=auto["size"])
            if bio:
                b = bio[0]
                parts.append(f"Equal-accuracy comparison at {auto['size']}^2: auto {auto['sim_min_per_wall_s']:.3g} "
                             f"sim-min/s at max error {auto['max_error']:.1e}; BioFVM's LOD at 0.01 min "
                             f"{b['sim_min_per_wall_s']:.3g} sim-min/s at {b['max_error']:.1e}: "
                             f"{auto['sim_min_per_wall_s'] / b['sim_min_per_wall_s']:.3g}x faster and "
                             f"{b['max_error'] / max(auto['max_error'], 1e-300):.2g}x more accurate")
    c = res.get("contact")
    if c:
        rows = [(r["n"], r["neighbours_per_cell"], r["timing"]["median"] * 1e3, r["agent_updates_per_s"]["median"],
                 r["sorted_agent_updates_per_s"]["median"], r["kdtree_agent_updates_per_s"]["median"],
                 r["speedup_vs_kdtree"], r["pairs_equal"]) for r in c["rows"]]
        parts.append(table(["cells", "nb/cell", "ms", "agent-upd/s", "same, cells in bin order",
                            "cKDTree agent-upd/s", "x cKDTree", "pairs equal"], rows,
                           "Contact (cell list, random cell order) vs scipy cKDTree.query_pairs"))
    e = res.get("exchange")
    if e:
        rows = [(r["n"], r["species"], r["timing"]["median"] * 1e3, r["cells_per_s"]["median"], r["bw_fraction"])
                for r in e["rows"]]
        parts.append(table(["cells", "fields", "ms", "cells/s", "x bandwidth"], rows,
                           "Exchange (secretion/uptake, BioFVM implicit formula)"))
    mo = res.get("model")
    if mo:
        pc = {1000: None, 10_000: REFERENCE["physicell_1e4"], 100_000: REFERENCE["physicell_1e5"]}
        rows = [(r["n"], f"{r['lattice'][1]}x{r['lattice'][0]}", r["cell_steps_per_s"]["median"], r["steps_per_s"],
                 r["ns_per_cell_step"], r["bytes_per_cell"] / 1e3,
                 (r["cell_steps_per_s"]["median"] / pc[r["n"]]) if pc.get(r["n"]) else None) for r in mo["rows"]]
        parts.append(table(["cells", "lattice", "cell-steps/s", "steps/s", "ns/cell-step", "KB/cell",
                            "x PhysiCell"], rows, f"Whole model, default biology ({_n_fields(res)} fields)"))
        if mo.get("profile"):
            p = mo["profile"]["per_step_s"]
            tot = p["total"]
            rows = [(k, v * 1e3, v / tot) for k, v in sorted(p.items(), key=lambda kv: -kv[1]) if k != "total"]
            parts.append(table(["phase", "ms/step", "share"], rows,
                               f"Where a step goes at {mo['profile']['cells']:,} cells"))
    w = res.get("well")
    if w:
        r = w["median"]
        rows = [(label, v["median"]["steps"], v["median"]["cells_end"], v["median"]["wall_s"],
                 v["median"]["ms_per_step"], v["median"]["cell_steps_per_s"])
                for label, v in (w.get("variants") or {"reference": w}).items()]
        parts.append(table(["variant", "steps", "cells (end)", "wall s", "ms/step", "cell-steps/s"], rows,
                           f"Co-culture well ({r['preset']} preset, 1 thread; median of {len(w['runs'])})"))
        tot = r["wall_s"]
        rows = [(k.strip("_"), v * 1e3 / r["steps"], v / tot) for k, v in
                sorted(list(r["phases_s"].items()) + [("glue", r["glue_s"])], key=lambda kv: -kv[1])]
        parts.append(table(["phase", "ms/step", "share"], rows, "Where a well step goes"))
    st = res.get("startup")
    if st:
        rows = [(k.removesuffix("_s"), v) for k, v in st["median"].items()]
        parts.append(table(["part", "s"], rows, f"Start-up of a fresh process ({st['preset']} preset, median of "
                                                f"{len(st['rows'])}; 'process' = the whole, from outside)"))
    me = res.get("mesa")
    if me and me.get("rows"):
        rows = [(r["n"], r["mscabm_cell_steps_per_s"], r["mesa_cell_steps_per_s"], r["speedup"]) for r in me["rows"]]
        parts.append(table(["cells", "mscabm cell-steps/s", "Mesa cell-steps/s", "speed-up"], rows,
                           "Reduced model (T cells: walk + contact + one field) vs pure Mesa"))
        mt = me["match"]
        rows = [(k, v["mscabm"], v["mesa"], v["rel_diff"], v["tolerance"], v["match"])
                for k, v in mt["readouts"].items()]
        parts.append(table(["readout", "mscabm", "Mesa", "rel. diff", "tolerance", "match"], rows,
                           f"Readouts after {mt['steps']} steps, {mt['cells']} cells, {mt['seeds']} seeds each"))
    if res.get("targets"):
        rows = [(t["target"], t["value"], t["goal"], t["ratio"], t["met"]) for t in res["targets"]]
        parts.append(table(["target", "measured", "goal", "measured/goal", "met"], rows, "Targets"))
    load = f"load average {m.get('load_avg_1min', float('nan')):.2f} at start"
    if res.get("load_avg_end"):
        load += f", {res['load_avg_end'][0]:.2f} (1 min) / {res['load_avg_end'][1]:.2f} (5 min) at the end"
    parts.append(f"\nchecks: {res.get('checks')}; wall time {res.get('wall_s', 0):.0f} s; {load} "
                 f"({m['cpu_count']} CPUs: a load above ~0.3 means other processes shared the cores)")
    return "\n".join(parts)
