"""``mscabm fit`` (a plug-in subcommand, see mscabm.cli)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mscabm.schema import ConfigError


def cmd_fit(args: argparse.Namespace) -> int:
    from mscabm.experiments.cli import check_threads
    from mscabm.fit import load_fit_spec, run_fit
    from mscabm.fit.driver import default_out_dir
    from mscabm.fit.spec import check_fit

    check_threads(args.threads)
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise ConfigError("--out", f"{args.out} is a file; allowed: a new or a fit folder")
    fit = load_fit_spec(args.fitspec)
    budget = {k: v for k, v in (("max_candidates", args.max_candidates), ("max_wall_min", args.max_wall_min))
              if v is not None}
    if budget:  # through the schema: the same ranges and messages as in the file
        from mscabm.fit.spec import parse_fit_spec

        doc = dict(fit.document, fit={**fit.document["fit"], **budget})
        try:
            fit = parse_fit_spec(doc, source=fit.source)
        except ConfigError as exc:
            raise ConfigError("--" + exc.path.removeprefix("fit.").replace("_", "-"), exc.message) from None
    if args.dry_run:
        specs = check_fit(fit)
        print(f"mscabm: fit {fit.name}: valid; method {fit.method}, {len(fit.parameters)} parameters, "
              f"{len(fit.targets)} targets, up to {fit.max_candidates} candidates"
              + (f" + {2 * len(fit.parameters)} for the intervals" if fit.difference_intervals else "")
              + "; each candidate runs "
              + ", ".join(f"{s.name}" for s in specs.values()))
        return 0
    result = run_fit(fit, args.out, workers=args.workers, scheduler=args.scheduler, in_process=args.in_process,
                     threads=args.threads, resume=args.resume, progress=not args.quiet)
    out = args.out or default_out_dir(fit)
    for p in result["parameters"]:
        ci = f" [{p['ci95_low']:.4g}, {p['ci95_high']:.4g}]" if "ci95_low" in p else ""
        print(f"  {p['name']} = {p['best']:.4g}{ci}")
    print(f"mscabm: fit {fit.name}: best objective {result['best_objective']:.4g} (start "
          f"{result['start_objective']:.4g}) after {result['candidates']} candidates, {result['runs']} runs; "
          f"{result['stop_reason']}; report in {out}/report.md, preset in {out}/fitted_preset.toml")
    return 1 if result["failed_runs"] else 0


def register(subparsers) -> dict:
    p = subparsers.add_parser(
        "fit", help="fit parameters to targets (CMA-ES with linearised intervals, ABC-SMC posterior, Sobol)",
        description="Fit the free parameters of a fit spec to its targets: every candidate runs the targets' "
                    "experiment specs (resumable); writes candidates.csv, fit.json, report.md, convergence.png and "
                    "fitted_preset.toml. Exit 0 when done, 1 if some runs failed, 2 for a bad fit spec or option "
                    "(before any run). docs/calibration.md.")
    p.add_argument("fitspec", help="fit spec TOML file (e.g. benchmarks/fit/synthetic.toml)")
    p.add_argument("--out", type=Path, help="output folder (default runs/fits/<name>/)")
    p.add_argument("--workers", type=int, help="local worker processes (default: the number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786 (workers must see "
                                                          "--out)")
    p.add_argument("--in-process", action="store_true", help="run in this process, one run at a time")
    p.add_argument("--threads", type=int, help="numba threads per run (default: cores / workers)")
    p.add_argument("--resume", action="store_true", help="continue the fit in --out (finished runs are reused; "
                                                         "a larger --max-candidates goes on with the same search)")
    p.add_argument("--max-candidates", type=int, help="override the spec's [fit] max_candidates")
    p.add_argument("--max-wall-min", type=float, help="override the spec's [fit] max_wall_min (minutes)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--dry-run", action="store_true", help="check the fit spec against the model; run nothing")
    return {"fit": cmd_fit}
