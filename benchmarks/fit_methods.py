"""Which fit method: CMA-ES, ABC-SMC and the Sobol baseline on the synthetic problem (known answer).

Runs ``benchmarks/fit/synthetic.toml`` (two hidden multipliers, PGE2 export and IDO capacity,
recovered from PGE2 and kynurenine in a small well) with each method and several method seeds at
the same candidate budget, and reports per fit: the best objective, the distance of the best fit
from the hidden values (RMS over the parameters of |log10(best / hidden)|), the first candidate
whose objective is below 4 (both targets within ~1.4 sd), whether every hidden value lies in
its 95% interval (and is identified; linearised for cmaes and sobol, the posterior's for abcsmc)
and the intervals' mean width in log10. Medians per method at the end; JSON with ``--json``.
ABC-SMC runs with its own default population (10 particles per parameter), not the spec's CMA-ES
generation of 4; it needs a larger budget than a point fit (``--budget-abcsmc``).

    python benchmarks/fit_methods.py [--seeds 1 2 3] [--budget 25] [--budget-abcsmc 200] [--workers 2]
                                     [--methods cmaes abcsmc sobol] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import tempfile
import time
import tomllib
from pathlib import Path

SYNTHETIC = Path(__file__).resolve().parent / "fit" / "synthetic.toml"


def one_fit(method: str, seed: int, budget: int, out: Path, workers: int | None) -> dict:
    import pandas as pd

    from mscabm.fit import parse_fit_spec, run_fit

    doc = tomllib.loads(SYNTHETIC.read_text())
    doc["fit"].update(method=method, seed=seed, max_candidates=budget)
    if method == "abcsmc":
        doc["fit"].pop("population", None)  # the spec's CMA-ES generation (4) is too few particles
    fit = parse_fit_spec(doc, source=str(SYNTHETIC))
    t0 = time.perf_counter()
    res = run_fit(fit, out, workers=workers, in_process=workers is None, threads=1, progress=False)
    wall = time.perf_counter() - t0
    cands = pd.read_csv(out / "candidates.csv")
    search = cands[cands["phase"] != "interval"]
    below = search.index[search["objective"] < 4.0]
    dist = math.sqrt(statistics.fmean(math.log10(p["best"] / p["hidden"]) ** 2 for p in res["parameters"]))
    return {"method": method, "seed": seed, "budget": budget, "best_objective": res["best_objective"],
            "log10_distance_to_hidden": dist, "first_candidate_below_4": int(below[0]) if len(below) else None,
            # an unidentified parameter's interval is the whole box: containing the hidden value proves nothing
            "hidden_in_intervals": all(p.get("identified", False) and p.get("hidden_in_interval", False)
                                       for p in res["parameters"]),
            "interval_width_log10": (statistics.fmean(math.log10(p["ci95_high"] / p["ci95_low"])
                                                      for p in res["parameters"])
                                     if all("ci95_low" in p for p in res["parameters"]) else None),
            "wall_s": wall, "runs": res["runs"], "candidates": res["candidates"],
            "abc_generations": res.get("abc_generations")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--budget", type=int, default=25)
    ap.add_argument("--budget-abcsmc", type=int, default=200, help="candidates of an abcsmc fit (default 200)")
    ap.add_argument("--methods", nargs="+", default=["cmaes", "abcsmc", "sobol"])
    ap.add_argument("--workers", type=int, help="local worker processes (default: in-process, 1 thread)")
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for method in args.methods:
            for seed in args.seeds:
                budget = args.budget_abcsmc if method == "abcsmc" else args.budget
                r = one_fit(method, seed, budget, Path(tmp) / f"{method}-{seed}", args.workers)
                rows.append(r)
                print(f"{method:6s} seed {seed}: best chi2 {r['best_objective']:8.3f}  log10 distance "
                      f"{r['log10_distance_to_hidden']:.3f}  first < 4 at candidate {r['first_candidate_below_4']}  "
                      f"hidden in intervals {r['hidden_in_intervals']}  width {r['interval_width_log10']}  "
                      f"{r['wall_s']:.0f} s", flush=True)
    print("\nmedians over seeds:")
    summary = {}
    for method in args.methods:
        sel = [r for r in rows if r["method"] == method]
        firsts = [r["first_candidate_below_4"] for r in sel if r["first_candidate_below_4"] is not None]
        summary[method] = {
            "best_objective": statistics.median(r["best_objective"] for r in sel),
            "log10_distance_to_hidden": statistics.median(r["log10_distance_to_hidden"] for r in sel),
            "first_candidate_below_4": statistics.median(firsts) if firsts else None,
            "reached_below_4": f"{len(firsts)}/{len(sel)}",
            "hidden_in_intervals": f"{sum(r['hidden_in_intervals'] for r in sel)}/{len(sel)}",
            "interval_width_log10": statistics.median(r["interval_width_log10"] for r in sel
                                                      if r["interval_width_log10"] is not None)
            if any(r["interval_width_log10"] is not None for r in sel) else None,
            "candidates": statistics.median(r["candidates"] for r in sel)}
        print(f"  {method:6s} {summary[method]}")
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"fits": rows, "medians": summary, "load_average": load}, indent=1))


if __name__ == "__main__":
    main()
