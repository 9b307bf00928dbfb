"""``mscabm experiment`` and ``mscabm report`` (plug-in subcommands, see mscabm.cli)."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def check_threads(threads: int | None) -> None:
    """Refuse ``--threads`` outside [1, NUMBA_NUM_THREADS] (exit 2), before any run."""
    if threads is not None:
        import numba

        from mscabm.config import ConfigError

        limit = numba.config.NUMBA_NUM_THREADS
        if not 1 <= threads <= limit:
            raise ConfigError("--threads", f"{threads} is outside [1, {limit}] (NUMBA_NUM_THREADS={limit})")


def cmd_experiment(args: argparse.Namespace) -> int:
    from mscabm.experiments import load_spec, run
    from mscabm.experiments.runner import default_out_dir

    check_threads(args.threads)
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        from mscabm.config import ConfigError

        raise ConfigError("--out", f"{args.out} is a file; allowed: a new or an experiment folder")
    spec = load_spec(args.spec)
    if args.draws is not None and args.posterior is None:
        from mscabm.config import ConfigError

        raise ConfigError("--draws", "given without --posterior; allowed: --posterior FIT_DIR --draws N")
    if args.posterior is not None:
        from mscabm.experiments.posterior import load_posterior, posterior_spec

        default = 20 if spec.design_kind != "conditions" else min(20, spec.replicates)  # a cohort: <= 1 per patient
        spec = posterior_spec(spec, load_posterior(args.posterior), default if args.draws is None else args.draws)
    if args.dry_run:
        return _dry_run(spec)
    df = run(spec, args.out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
             progress=not args.quiet, in_process=args.in_process, threads=args.threads)
    out = args.out or default_out_dir(spec)
    counts = df["status"].value_counts().to_dict()
    print(f"mscabm: experiment {spec.name}: {len(df)} runs (" + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
          + f"); results in {out}/ (results.parquet, summary.csv, figure.png, report.md)")
    # a missing run (no part recorded: e.g. Dask workers that cannot see --out) is as unfinished as a failed one
    return 0 if counts.get("failed", 0) == 0 and counts.get("missing", 0) == 0 else 1


def _dry_run(spec) -> int:
    """Check a spec as a run would (every condition's config, the readout names on a model built, not
    stepped) and print its plan: conditions with their matched controls, runs, steps. Runs nothing."""
    from mscabm.experiments.plan import plan
    from mscabm.experiments.runner import _check_readouts

    p = plan(spec, validate=True)
    _check_readouts(p)
    runs_of = Counter(r.condition for r in p.runs)
    print(f"mscabm: experiment {spec.name}: valid; {len(p.runs)} runs of {spec.steps} steps, "
          f"{len(p.conditions)} conditions:")
    for c in p.conditions:
        where = f"  (control: {c.control})" if c.control else ""
        print(f"  {c.role:9s} {c.id}: {runs_of.get(c.id, 0)} runs{where}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from mscabm.experiments.report import build_report

    df = build_report(args.dir)
    print(f"mscabm: rebuilt {args.dir}/results.parquet, summary.csv, figure, report.md ({len(df)} runs)")
    return 0


def register(subparsers) -> dict:
    p = subparsers.add_parser(
        "experiment", help="run a batch experiment spec (sweeps, replicates, controls)",
        description="Run every (condition, replicate) of an experiment spec once; write parts, manifest, "
                    "results.parquet, summary.csv, figure.png/.svg and report.md. Exit 0 if every run finished, "
                    "1 if some failed or are missing (listed in report.md; rerun with --resume), 2 for a bad spec.")
    p.add_argument("spec", help="spec TOML file, or the name of a shipped spec (e.g. dose_response)")
    p.add_argument("--out", type=Path, help="output folder (default runs/experiments/<name>/)")
    p.add_argument("--workers", type=int, help="local worker processes (default: the number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler, e.g. tcp://host:8786 (workers must see --out)")
    p.add_argument("--resume", action="store_true", help="skip finished runs, rerun failed or missing ones")
    p.add_argument("--in-process", action="store_true", help="run in this process, one run at a time (debugging)")
    p.add_argument("--threads", type=int, help="numba threads per run (default: cores / workers; 1 on Dask)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--dry-run", action="store_true",
                   help="check the spec as a run would (configs, readout names) and print its plan; run nothing")
    p.add_argument("--posterior", type=Path, metavar="FIT_DIR",
                   help="run the spec over parameter draws from the posterior (linearised, or ABC-SMC particles) "
                        "of a `mscabm fit` output folder (a grid: every condition at every draw; a cohort: patient "
                        "r at draw r mod N); adds predictive.csv (default out: <name>_posterior)")
    p.add_argument("--draws", type=int, help="posterior draws with --posterior (default 20, a cohort at most its "
                                             "patients; 2 to 1000)")

    p = subparsers.add_parser("report", help="rebuild results, summary, figure and report.md of an experiment folder",
                              description="Rebuild results.parquet, summary.csv, figure.png/.svg and report.md "
                                          "from an experiment folder's parts and manifest.")
    p.add_argument("dir", type=Path, help="experiment output folder")
    return {"experiment": cmd_experiment, "report": cmd_report}
