"""Calibration targets (SCIENCE.md section 3) and the check of a model against them.

The targets are the in-vitro outcomes the default (human) biology is tuned to reproduce in
the co-culture configuration (``src/mscabm/presets/coculture.toml``, ``src/mscabm/presets/coculture_mitogen.toml``).
``mscabm calibrate`` runs the two calibration experiment specs through the experiment runner
(``src/mscabm/experiments/specs/dose_response.toml``: MLR and mitogen x MSC dose x replicates, with matched
no-MSC controls; ``src/mscabm/experiments/specs/pge2_24h.toml``: PGE2 at 24 h, 1:10 vs PBMC alone) and prints
each target with the model's value (mean and Student t 95% interval over replicates) and whether it
falls in the accepted range. docs/calibration.md records the procedure, the fitted values and
the remaining error.

    mscabm calibrate --workers 2            # ~15 min on 2 cores
    mscabm calibrate --from runs/calibration  # re-check finished runs without running them
    mscabm calibrate --routes --workers 2   # also the spec route_decomposition (~15 min more)
                                            # and the route-level targets of SCIENCE.md s3b

A route target (:data:`ROUTE_TARGETS`) is the share of the suppression a blocker removes,
``100 (S_none - S_blocked) / S_none`` with ``S`` the % suppression of T proliferation against the
matched no-MSC control, computed per replicate (same seed) and summarised like the others.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mscabm.config import ConfigError

SPECS = ("dose_response", "pge2_24h")


@dataclass(frozen=True)
class Target:
    """One calibration target: a readout of one condition, and the range the model must hit."""

    name: str
    spec: str  # which calibration spec produces it
    readout: str
    where: dict  # condition columns -> value (selects the runs)
    low: float
    high: float
    observed: str  # what the experiment found
    source: str


TARGETS: tuple[Target, ...] = (
    Target("MLR, MSC:responder 1:1", "dose_response", "suppression_T_proliferation_pct",
           {"stimulus": "MLR", "msc_per_responder": "1:1"}, 90.0, 100.0,
           "98 +- 1 % inhibition at the highest MSC dose", "V Di Nicola 2002 Blood 99:3838"),
    Target("MLR, MSC:responder 1:10", "dose_response", "suppression_T_proliferation_pct",
           {"stimulus": "MLR", "msc_per_responder": "1:10"}, 55.0, 99.0,
           "60 +- 5 % to 98 +- 1 % as the dose rises; strong at 1:10", "V Di Nicola 2002; M Le Blanc 2003"),
    Target("MLR, MSC:responder 1:100", "dose_response", "suppression_T_proliferation_pct",
           {"stimulus": "MLR", "msc_per_responder": "1:100"}, -30.0, 40.0,
           "weak, even stimulatory, at 1:100 to 1:1000", "M Le Blanc 2003 Scand J Immunol 57:11"),
    Target("MLR, MSC:responder 1:1000", "dose_response", "suppression_T_proliferation_pct",
           {"stimulus": "MLR", "msc_per_responder": "1:1000"}, -30.0, 30.0,
           "weak, even stimulatory, at 1:100 to 1:1000", "M Le Blanc 2003"),
    Target("mitogen, MSC:responder 1:10", "dose_response", "suppression_T_proliferation_pct",
           {"stimulus": "mitogen", "msc_per_responder": "1:10"}, 50.0, 80.0,
           "65 +- 5 % inhibition of mitogen-driven proliferation", "V Di Nicola 2002"),
    Target("PGE2 fold at 24 h, MSC:PBMC 1:10", "pge2_24h", "fold_PGE2",
           {"condition": "MSC 1:10"}, 5.0, 20.0, "PGE2 10x over PBMC alone",
           "V Aggarwal & Pittenger 2005 Blood 105:1815"),
    Target("MSC persistence in MLR, day 4 (1:10)", "dose_response", "MSC_survival_frac",
           {"stimulus": "MLR", "msc_per_responder": "1:10"}, 0.6, 1.0,
           "MSCs persist in co-culture; T cells, not MSCs, are arrested", "V Di Nicola 2002 (M: no number given)"),
)


@dataclass(frozen=True)
class RouteTarget:
    """A route-level target (SCIENCE.md s3b): the share of the suppression one blocker removes."""

    name: str
    where: dict  # condition columns of route_decomposition -> value
    route: str  # the route_blocked level
    low: float
    high: float
    observed: str
    source: str


ROUTE_SPEC = "route_decomposition"
_HUMAN_10 = {"species": "human", "msc_per_responder": "1:10"}
ROUTE_TARGETS: tuple[RouteTarget, ...] = (
    RouteTarget("human MLR 1:10: IDO inhibited (1-MT)", _HUMAN_10, "IDO (1-MT)", 50.0, 100.0,
                "IDO inhibition reverses human MSC suppression (removes 50-100%)",
                "V Ren 2009 Stem Cells 27:1954 (abstract); range M"),
    RouteTarget("mouse MLR 1:10: iNOS inhibited (L-NMMA)", {"species": "mouse", "msc_per_responder": "1:10"},
                "NO (L-NMMA)", 50.0, 100.0, "iNOS inhibition reverses mouse MSC suppression (removes 50-100%)",
                "V Ren 2009 (abstract); M Sato 2007 Blood 109:228"),
    RouteTarget("human MLR 1:10: PD-L1 blocked", _HUMAN_10, "PD-L1 (anti-PD-L1)", 10.0, 50.0,
                "PD-1/PD-L1 blockade removes part of the contact suppression (10-50%)",
                "M Augello 2005 Eur J Immunol 35:1482"),
    RouteTarget("human MLR 1:10: MSC licensing blocked", _HUMAN_10, "licensing blocked", 50.0, 100.0,
                "MSC suppression is induced by inflammatory cytokines (Ren 2009); it required IFN-gamma produced by "
                "activated T and NK cells, related to its induction of IDO (Krampera 2006). Model: MSCs blind to "
                "IFN-gamma, TNF-alpha and IL-1 beta (the licensing cytokines, Ren 2008) lose 50-100% of it",
                "V Ren 2009 Stem Cells 27:1954 (abstract); V Krampera 2006 Stem Cells 24:386 (abstract); M Ren 2008 "
                "Cell Stem Cell 2:141; range M"),
)


def route_shares(df: pd.DataFrame, readout: str = "suppression_T_proliferation_pct") -> pd.DataFrame:
    """Per (species, dose, route, replicate): the share (%) of the unblocked suppression a route's
    blocker removes, ``100 (S_none - S) / S_none`` (NaN where ``S_none`` is not positive)."""
    keys = [c for c in ("species", "msc_per_responder") if c in df.columns]
    cond = df[df["role"] == "condition"] if "role" in df.columns else df
    none = cond[cond["route_blocked"] == "none"].set_index(keys + ["replicate"])[readout]
    rows = []
    for r in cond.itertuples(index=False):
        rec = r._asdict()
        key = tuple(rec[k] for k in keys) + (rec["replicate"],)
        s0 = float(none.get(key, np.nan))
        share = 100.0 * (s0 - rec[readout]) / s0 if s0 > 0 else np.nan
        rows.append({**{k: rec[k] for k in keys}, "route_blocked": rec["route_blocked"], "replicate": rec["replicate"],
                     "suppression_pct": rec[readout], "share_removed_pct": share})
    return pd.DataFrame(rows)


def check_route_targets(df: pd.DataFrame, targets: tuple[RouteTarget, ...] = ROUTE_TARGETS) -> pd.DataFrame:
    """One row per route target (the columns of :func:`check_targets`), from route_decomposition results."""
    shares = route_shares(df) if df is not None and len(df) else pd.DataFrame()
    rows = []
    for t in targets:
        sel = shares
        if len(sel):
            for col, val in {**t.where, "route_blocked": t.route}.items():
                sel = sel[sel[col].astype(str) == str(val)] if col in sel.columns else sel.iloc[0:0]
        values = sel["share_removed_pct"].to_numpy(dtype=float) if len(sel) else np.array([])
        mean, lo, hi = _interval(values)
        rows.append({"target": t.name, "readout": "share_removed_pct", "model_mean": mean, "ci95_low": lo,
                     "ci95_high": hi, "n": int(np.isfinite(values).sum()), "accepted_low": t.low,
                     "accepted_high": t.high, "in_range": bool(np.isfinite(mean) and t.low <= mean <= t.high),
                     "observed": t.observed, "source": t.source})
    return pd.DataFrame(rows)


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and Student t 95% interval of the mean over the finite values (NaN-safe)."""
    from mscabm.experiments.statistics import mean_interval

    _, mean, _, lo, hi = mean_interval(values)
    return mean, lo, hi


def check_targets(results: dict[str, pd.DataFrame], targets: tuple[Target, ...] = TARGETS) -> pd.DataFrame:
    """One row per target: model mean, 95% interval, replicates, in range (the mean) or not.

    ``results``: spec name -> its ``results.parquet`` table (one row per run, condition columns,
    readouts). A target whose runs or readout are missing is reported with ``n = 0``.
    """
    rows = []
    for t in targets:
        df = results.get(t.spec)
        values = np.array([])
        if df is not None and t.readout in df.columns:
            sel = df
            if "role" in sel.columns:
                sel = sel[sel["role"] == "condition"]
            for col, val in t.where.items():
                sel = sel[sel[col].astype(str) == str(val)] if col in sel.columns else sel.iloc[0:0]
            values = sel[t.readout].to_numpy(dtype=float)
        mean, lo, hi = _interval(values)
        rows.append({"target": t.name, "readout": t.readout, "model_mean": mean, "ci95_low": lo, "ci95_high": hi,
                     "n": int(np.isfinite(values).sum()), "accepted_low": t.low, "accepted_high": t.high,
                     "in_range": bool(np.isfinite(mean) and t.low <= mean <= t.high),
                     "observed": t.observed, "source": t.source})
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame) -> str:
    """The target table as Markdown."""
    from mscabm.experiments.render import markdown_table

    rows = []
    for r in table.itertuples():
        model = f"{r.model_mean:.3g} [{r.ci95_low:.3g}, {r.ci95_high:.3g}], n={r.n}" if r.n else "no runs"
        rows.append([r.target, model, f"{r.accepted_low:g} to {r.accepted_high:g}", "yes" if r.in_range else "NO",
                     r.observed, r.source])
    return markdown_table(rows, ["target", "model (mean, 95% CI, n)", "accepted", "in range", "observed", "source"])


def run_calibration(out: Path, workers: int | None = None, replicates: int | None = None, progress: bool = True,
                    run: bool = True, routes: bool = False) -> pd.DataFrame:
    """Run (or, with ``run=False``, only read) the calibration specs under ``out`` and check the targets;
    with ``routes`` also the route-decomposition spec and the route targets.

    Writes ``out/targets.csv``, ``out/targets.md`` and ``out/targets.json``.
    """
    import mscabm.experiments as mx
    from mscabm.observe.io import atomic_write_text

    results = {}
    for name in SPECS + ((ROUTE_SPEC,) if routes else ()):
        folder = out / name
        if run:
            spec = mx.load_spec(name)
            if replicates is not None:
                spec.replicates = int(replicates)
            results[name] = mx.run(spec, folder, workers=workers, resume=True, progress=progress)
        else:
            path = folder / "results.parquet"
            if not path.is_file():
                raise FileNotFoundError(f"{path} not found: run `mscabm calibrate` first")
            results[name] = pd.read_parquet(path)
    table = check_targets(results)
    if routes:
        table = pd.concat([table, check_route_targets(results[ROUTE_SPEC])], ignore_index=True)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "targets.csv", table.to_csv(index=False))
    atomic_write_text(out / "targets.md", to_markdown(table) + "\n")
    listed = [asdict(t) for t in TARGETS] + ([asdict(t) for t in ROUTE_TARGETS] if routes else [])
    atomic_write_text(out / "targets.json", json.dumps({"targets": listed,
                                                        "results": table.to_dict(orient="records")}, indent=1,
                                                       default=float))
    return table


def cmd_calibrate(args: argparse.Namespace) -> int:
    if args.from_dir is not None and not (Path(args.from_dir) / "dose_response" / "results.parquet").is_file():
        raise ConfigError("--from", f"{args.from_dir} holds no finished calibration (no dose_response/results.parquet);"
                                    " allowed: a folder written by `mscabm calibrate --out DIR`")
    out = args.from_dir or args.out
    table = run_calibration(out, workers=args.workers, replicates=args.replicates, progress=not args.quiet,
                            run=args.from_dir is None, routes=args.routes)
    print(to_markdown(table))
    print(f"mscabm: {int(table['in_range'].sum())}/{len(table)} targets in range; tables in {out}/targets.md")
    return 0 if table["in_range"].all() else 1


def register(subparsers) -> dict:
    p = subparsers.add_parser(
        "calibrate", help="run the calibration experiments and check the model against SCIENCE.md s3",
        description="Run the shipped specs dose_response and pge2_24h (resuming finished runs) "
                    "and compare each calibration target with its accepted range. Exit 0 if every target is in "
                    "range, 1 otherwise, 2 for bad options.")
    p.add_argument("--out", type=Path, default=Path("runs/calibration"),
                   help="output folder (default runs/calibration)")
    p.add_argument("--from", dest="from_dir", type=Path, help="only re-check finished runs in this folder")
    p.add_argument("--workers", type=int, help="local worker processes (default: the number of cores)")
    p.add_argument("--replicates", type=int, help="override the specs' replicate count")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--routes", action="store_true",
                   help="also run the spec route_decomposition and check the route targets (SCIENCE.md s3b)")
    return {"calibrate": cmd_calibrate}
