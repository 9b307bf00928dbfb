"""The results browser's data: an experiment or cohort output folder, read back (no Solara here).

A folder written by ``mscabm experiment SPEC --out DIR`` (layout: :mod:`mscabm.experiments.manifest`;
report files: :mod:`mscabm.experiments.report` and :mod:`mscabm.experiments.cohort`) is opened with
:meth:`ResultsFolder.open`; its tables come from the project's readers (``read_spec_document``,
``read_plan``, ``read_manifest``, ``read_part``), its statistics from
:mod:`mscabm.experiments.statistics`. :func:`timecourse_png` and :func:`cohort_png` draw a condition
timecourse and a cohort's paired differences as PNG bytes (matplotlib ``Figure``, no pyplot).

A path that is not such a folder raises :class:`mscabm.schema.ConfigError` naming the path, so a
command line can exit 2 with the message.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from mscabm.experiments import manifest
from mscabm.experiments.statistics import t_half_width
from mscabm.schema import ConfigError

__all__ = ["ResultsFolder", "is_results_folder", "timecourse_png", "cohort_png", "TIMECOURSE_COLUMNS"]

#: columns of :meth:`ResultsFolder.timecourse`
TIMECOURSE_COLUMNS = ["condition", "time_min", "n", "mean", "sd", "ci95_low", "ci95_high", "p10", "p90"]
#: columns of :meth:`ResultsFolder.runs` (besides ``patient_<name>``)
_RUN_COLUMNS = ["run_id", "condition", "role", "replicate", "seed", "status", "error", "wall_s", "has_part",
                "has_snapshots", "run_folder"]
#: part columns that are not readouts
_NOT_READOUTS = ("run_id", "time_min", "step")
_WHAT = ("an experiment or cohort folder (written by `mscabm experiment SPEC --out DIR`) holds spec.toml, "
         "plan.json, parts/<run>.parquet, runs/<run>.json and, once reported, summary.csv, figure.png, report.md")
#: most conditions named in a timecourse legend
_MAX_LEGEND = 12


def is_results_folder(path: str | Path) -> bool:
    """True if ``path`` is a folder holding ``spec.toml`` and ``plan.json`` (an experiment's output)."""
    p = Path(path)
    return p.is_dir() and (p / manifest.SPEC_FILE).is_file() and (p / manifest.PLAN_FILE).is_file()


class ResultsFolder:
    """One experiment or cohort output folder, read on demand.

    The spec and plan are read once, on opening; the manifest rows, parts and report files are
    read at each call, so a folder still being run shows its progress.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder (``--out`` of ``mscabm experiment``).

    Raises
    ------
    mscabm.schema.ConfigError
        ``path`` does not exist, is not a folder, lacks ``spec.toml`` or ``plan.json``, or one of
        them cannot be read; the error's key path is the offending path.
    """

    def __init__(self, path: str | Path) -> None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(str(p), f"no such folder; {_WHAT}")
        if not p.is_dir():
            raise ConfigError(str(p), f"not a folder; {_WHAT}")
        if not is_results_folder(p):
            lacking = [f for f in (manifest.SPEC_FILE, manifest.PLAN_FILE) if not (p / f).is_file()]
            raise ConfigError(str(p), f"not an experiment folder ({' and '.join(lacking)} missing); {_WHAT}")
        self.path = p
        self.spec_document: dict = manifest.read_spec_document(p)
        try:
            self.plan: dict = manifest.read_plan(p)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(str(p / manifest.PLAN_FILE), f"cannot be read ({exc}); {_WHAT}") from None
        exp = self.spec_document.get("experiment", {})
        self.name: str = str(exp.get("name") or self.plan.get("spec") or p.name)

    @classmethod
    def open(cls, path: str | Path) -> ResultsFolder:
        """The folder at ``path`` (see the class; ``ConfigError`` if it is not one)."""
        return cls(path)

    def __repr__(self) -> str:
        return f"ResultsFolder({str(self.path)!r}, name={self.name!r})"

    # ------------------------------------------------------------------ what the folder holds
    @property
    def is_cohort(self) -> bool:
        """A virtual cohort: ``cohort.csv`` is present or the spec's ``[report] kind`` is ``"cohort"``."""
        return (self.path / "cohort.csv").is_file() or self.spec_document.get("report", {}).get("kind") == "cohort"

    @property
    def cohort_reference(self) -> str | None:
        """The cohort's reference arm (``[report] reference``, else the first condition); None if not a cohort."""
        if not self.is_cohort:
            return None
        conds = self.conditions()
        return self.spec_document.get("report", {}).get("reference") or (conds[0] if conds else None)

    def conditions(self) -> list[str]:
        """Condition ids in plan order (design conditions, then any extra matched controls)."""
        return [c["id"] for c in self.plan["conditions"]]

    def readouts(self) -> list[str]:
        """Numeric readout columns of the parts (``time_min``, ``step``, ``run_id`` left out).

        Read from the schema of the first part present (every run records the same readouts);
        empty while no run has finished.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        for r in self.plan["runs"]:
            p = manifest.part_path(self.path, r["run_id"])
            if p.is_file():
                schema = pq.read_schema(p)
                return [f.name for f in schema if f.name not in _NOT_READOUTS
                        and (pa.types.is_integer(f.type) or pa.types.is_floating(f.type))]
        return []

    def runs(self) -> pd.DataFrame:
        """One row per planned run, in plan order.

        Columns: ``run_id``, ``condition``, ``role`` (condition / control), ``replicate``, ``seed``,
        ``status``, ``error``, ``wall_s`` (float, s; NaN if not recorded), ``has_part``,
        ``has_snapshots``, ``run_folder`` and, for cohorts, ``patient_<name>`` (the drawn values).

        ``status`` is what ``--resume`` sees: ``done`` (manifest row done, same fingerprint, part
        present), ``failed``, ``missing`` (no manifest row, or a done row whose part is gone) or
        ``stale`` (done under another plan: the spec changed since).

        The experiment runner keeps no per-run output folder (no cells/, fields/ or snapshots: a
        run's time series in ``parts/`` is all it writes), so ``has_snapshots`` is always False and
        ``run_folder`` always None.
        """
        rows_by_id = manifest.read_manifest(self.path)
        roles = {c["id"]: c["role"] for c in self.plan["conditions"]}
        rows = []
        for r in self.plan["runs"]:
            rid = r["run_id"]
            m = rows_by_id.get(rid)
            has_part = manifest.part_path(self.path, rid).is_file()
            if manifest.is_finished(m, rid, r["fingerprint"], self.path):
                status = "done"
            elif m is None:
                status = "missing"
            elif m.get("status") == "done":
                status = "stale" if m.get("fingerprint") != r["fingerprint"] else "missing"
            else:
                status = str(m.get("status", "failed"))
            row = {"run_id": rid, "condition": r["condition"], "role": roles.get(r["condition"], "condition"),
                   "replicate": r.get("replicate"), "seed": r.get("seed"), "status": status,
                   "error": (m or {}).get("error", ""), "wall_s": float((m or {}).get("wall_s", math.nan)),
                   "has_part": has_part, "has_snapshots": False, "run_folder": None}
            for k, v in r.get("patient", {}).items():
                row[f"patient_{k}"] = v
            rows.append(row)
        return pd.DataFrame(rows) if rows else pd.DataFrame(columns=_RUN_COLUMNS)

    # ------------------------------------------------------------------ report files
    def summary(self) -> pd.DataFrame:
        """Per condition and readout: n, mean, sd, 95% CI, failed runs (long table).

        ``summary.csv`` if present (``df.attrs["source"] == "summary.csv"``); otherwise computed
        as the report would (:func:`mscabm.experiments.report.results_table` and ``summarize``,
        nothing written; ``"computed"``). If the spec cannot be parsed any more, an empty frame
        with the reason in ``df.attrs["note"]``.
        """
        p = self.path / "summary.csv"
        if p.is_file():
            df = pd.read_csv(p)
            df.attrs["source"] = "summary.csv"
            return df
        from mscabm.experiments.report import results_table, summarize
        from mscabm.experiments.spec import parse_spec

        try:
            spec = parse_spec(self.spec_document, source=str(self.path / manifest.SPEC_FILE))
            df = summarize(results_table(self.path), spec)
        except ConfigError as exc:
            df = pd.DataFrame()
            df.attrs["note"] = f"no summary.csv, and none can be computed: {exc}"
        df.attrs["source"] = "computed"
        return df

    def _file(self, name: str) -> Path | None:
        p = self.path / name
        return p if p.is_file() else None

    def figure_png(self) -> bytes | None:
        """The report figure (``figure.png``) as PNG bytes; None if not written yet."""
        p = self._file("figure.png")
        return p.read_bytes() if p else None

    def report_markdown(self) -> str | None:
        """``report.md`` (links in it are relative to the folder); None if not written yet."""
        p = self._file("report.md")
        return p.read_text(encoding="utf-8") if p else None

    def cohort(self) -> pd.DataFrame | None:
        """``cohort.csv``: per arm n, responders, responder_frac with its Wilson 95% CI, drops, paired
        differences to the reference arm (:mod:`mscabm.experiments.cohort`); None if absent."""
        p = self._file("cohort.csv")
        return pd.read_csv(p) if p else None

    def cohort_runs(self) -> pd.DataFrame | None:
        """``cohort_runs.csv``: per patient and arm baseline, end, drop_pct, responder, period_mean
        (and responder_vs_ref where the spec asks for it); None if absent."""
        p = self._file("cohort_runs.csv")
        return pd.read_csv(p) if p else None

    # ------------------------------------------------------------------ time series
    def _planned_run(self, run_id: str) -> dict:
        for r in self.plan["runs"]:
            if r["run_id"] == run_id:
                return r
        raise ConfigError("run_id", f"{run_id!r} is not a run of {self.path}; runs: "
                                    + ", ".join(r["run_id"] for r in self.plan["runs"][:20]))

    def run_timeseries(self, run_id: str) -> pd.DataFrame:
        """The time series of one run (its part): one row per recorded step, ``time_min`` (min),
        ``step`` and every readout.

        Raises ``ConfigError`` (key path ``run_id``) for a run not in the plan or without a part
        (the message gives its status and error).
        """
        self._planned_run(run_id)
        s = manifest.read_part(self.path, run_id)
        if s is None:
            row = self.runs().set_index("run_id").loc[run_id]
            err = f": {row['error']}" if row["error"] else ""
            raise ConfigError("run_id", f"run {run_id!r} has no time series (status {row['status']}{err})")
        return s

    def timecourse(self, readout: str) -> pd.DataFrame:
        """``readout`` over time across the replicate runs of each condition.

        Only runs with status ``done`` count; runs are aligned on ``time_min`` (a time a run did
        not record is missing for it). Conditions without a finished run have no rows.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`TIMECOURSE_COLUMNS`, conditions in plan order, times ascending:
            ``time_min`` (float, min); ``n`` (int, runs with a finite value); ``mean``, ``sd``
            (ddof = 1; NaN for n < 2); ``ci95_low``, ``ci95_high`` (Student t interval of the mean,
            :func:`mscabm.experiments.statistics.t_half_width`; NaN for n < 2); ``p10``, ``p90``
            (10th and 90th percentiles, linear interpolation); all in the readout's unit.

        Raises
        ------
        mscabm.schema.ConfigError
            ``readout`` is not a numeric readout of the parts (key path ``readout``).
        """
        names = self.readouts()
        if readout not in names:
            raise ConfigError("readout", f"unknown readout {readout!r}; allowed: {', '.join(names) or '(none yet)'}")
        runs = self.runs()
        done = runs[runs["status"] == "done"]
        frames = []
        for cond in self.conditions():
            ids = done.loc[done["condition"] == cond, "run_id"].tolist()
            series = {}
            for rid in ids:
                s = manifest.read_part(self.path, rid, ["time_min", readout])
                if s is not None and len(s):
                    series[rid] = s.set_index("time_min")[readout].astype(float)
            if not series:
                continue
            m = pd.concat(series, axis=1).sort_index()  # (times, runs)
            n = m.notna().sum(axis=1).to_numpy()
            mean = m.mean(axis=1).to_numpy()
            sd = m.std(axis=1, ddof=1).to_numpy()
            half = t_half_width(n, sd)
            frames.append(pd.DataFrame({"condition": cond, "time_min": m.index.to_numpy(float), "n": n,
                                        "mean": mean, "sd": sd, "ci95_low": mean - half, "ci95_high": mean + half,
                                        "p10": m.quantile(0.1, axis=1).to_numpy(),
                                        "p90": m.quantile(0.9, axis=1).to_numpy()}))
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=object if c == "condition" else float) for c in TIMECOURSE_COLUMNS})
        return pd.concat(frames, ignore_index=True)[TIMECOURSE_COLUMNS]


# ---------------------------------------------------------------------- figures
def _png(fig, dpi: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def timecourse_png(frame: pd.DataFrame, readout: str, title: str = "", unit: str = "", *, dpi: int = 100,
                   width_in: float = 8.0) -> bytes:
    """PNG of each condition's mean over time with its 95% CI band shaded.

    Parameters
    ----------
    frame : pandas.DataFrame
        :meth:`ResultsFolder.timecourse` (columns condition, time_min (min), mean, ci95_low,
        ci95_high). Where the interval is NaN (one replicate) no band is drawn; NaN means leave gaps.
    readout, unit : str
        The y-axis label (``unit`` in parentheses if given).
    title : str
        The figure title (default: the readout).

    Returns
    -------
    bytes
        The PNG (x: time in hours; a legend of the conditions, up to 12).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, 4.5), layout="constrained")
    ax = fig.add_subplot()
    conds = list(dict.fromkeys(frame["condition"])) if len(frame) else []
    for cond in conds:
        g = frame[frame["condition"] == cond].sort_values("time_min")
        x = g["time_min"].to_numpy(float) / 60.0
        (line,) = ax.plot(x, g["mean"].to_numpy(float), lw=1.6, label=str(cond))
        lo, hi = g["ci95_low"].to_numpy(float), g["ci95_high"].to_numpy(float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.any():
            ax.fill_between(x, lo, hi, where=ok, color=line.get_color(), alpha=0.2, lw=0)
    if not conds:
        ax.text(0.5, 0.5, "no finished runs", ha="center", va="center", transform=ax.transAxes, color="grey")
    elif len(conds) <= _MAX_LEGEND:
        ax.legend(fontsize=8, loc="best")
    else:
        ax.text(0.99, 0.99, f"{len(conds)} conditions", ha="right", va="top", transform=ax.transAxes, fontsize=8)
    ax.set_xlabel("time (h)")
    ax.set_ylabel(f"{readout} ({unit})" if unit else readout)
    ax.set_title(title or f"{readout}: mean and 95% CI", fontsize=10)
    ax.grid(alpha=0.3)
    return _png(fig, dpi)


def cohort_png(cohort_runs: pd.DataFrame | None, reference: str | None = None, *, dpi: int = 100) -> bytes | None:
    """PNG of a cohort's per-patient changes, one column of dots per arm, responders filled.

    Left panel: each patient's end minus baseline (treatment start) activity; right panel (when
    ``reference`` is an arm of ``cohort_runs``): each patient's end minus the same patient's end
    in the reference arm (paired; filled: ``responder_vs_ref`` where present, else
    ``responder``). A grey line joins one patient across arms; a black dash marks each arm's mean.

    Parameters
    ----------
    cohort_runs : pandas.DataFrame or None
        :meth:`ResultsFolder.cohort_runs` (columns arm, patient, baseline, end, responder).
    reference : str, optional
        The reference arm (:attr:`ResultsFolder.cohort_reference`).

    Returns
    -------
    bytes or None
        The PNG; None when ``cohort_runs`` is None, empty or lacks those columns.
    """
    need = {"arm", "patient", "baseline", "end", "responder"}
    if cohort_runs is None or cohort_runs.empty or not need <= set(cohort_runs.columns):
        return None
    from matplotlib.figure import Figure

    df = cohort_runs.copy()
    df["responder"] = df["responder"].astype(bool)
    arms = list(dict.fromkeys(df["arm"]))
    panels = [("end - baseline (treatment start)", df.assign(y=df["end"] - df["baseline"]), "responder", arms)]
    if reference is not None and reference in arms:
        twin = df[df["arm"] == reference].set_index("patient")["end"]
        paired = df[df["arm"] != reference].assign(y=lambda d: d["end"] - d["patient"].map(twin))
        mark = "responder_vs_ref" if "responder_vs_ref" in df.columns else "responder"
        panels.append((f"end - {reference} end (same patient)", paired.dropna(subset=["y"]), mark,
                       [a for a in arms if a != reference]))
    fig = Figure(figsize=(min(13.0, max(5.0, 0.8 * len(arms) * len(panels) + 2.0)), 4.2), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    patients = sorted(df["patient"].unique())
    spread = {p: (i / max(len(patients) - 1, 1) - 0.5) * 0.4 for i, p in enumerate(patients)}
    for ax, (label, d, mark, order) in zip(axes, panels):
        pos = {a: i for i, a in enumerate(order)}
        d = d[d["arm"].isin(pos)]
        x = d["arm"].map(pos).to_numpy(float) + d["patient"].map(spread).to_numpy(float)
        d = d.assign(x=x)
        for _, g in d.groupby("patient"):
            g = g.sort_values("x")
            ax.plot(g["x"], g["y"], color="0.75", lw=0.7, zorder=1)
        resp = d[mark].astype(bool).to_numpy()
        ax.scatter(d["x"][resp], d["y"][resp], s=28, color="tab:green", zorder=3, label=f"{mark.replace('_', ' ')}")
        ax.scatter(d["x"][~resp], d["y"][~resp], s=28, facecolors="none", edgecolors="tab:grey", zorder=3,
                   label="non-responder")
        for a, i in pos.items():
            ya = d.loc[d["arm"] == a, "y"]
            if len(ya):
                ax.plot([i - 0.3, i + 0.3], [ya.mean()] * 2, color="black", lw=2, zorder=4)
        ax.axhline(0.0, color="0.4", lw=0.8, ls="--")
        ax.set_xticks(range(len(order)), [str(a) for a in order], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle("per patient: paired changes (dash: arm mean)", fontsize=10)
    return _png(fig, dpi)
