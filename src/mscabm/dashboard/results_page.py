"""The results browser: ``mscabm dashboard runs/experiments/<name>/`` shows an experiment or cohort folder.

What the report wrote (summary table, figure), per-condition time courses with their replicate
bands for any readout, a cohort's responders and paired differences, and every run with its status;
picking a run draws its own time series (data: :mod:`mscabm.dashboard.results`). Experiment runs
keep time series only, no cell snapshots, so a run is shown as curves; to watch one, rerun its
config with ``mscabm run`` and open that folder (replay).
"""

from __future__ import annotations

import html

import pandas as pd
import solara

from mscabm.dashboard.results import ResultsFolder, cohort_png, timecourse_png
from mscabm.dashboard.views import FolderPage, Messages
from mscabm.schema import ConfigError

#: rows of a table shown before "... N more"
MAX_ROWS = 60


def table_html(df: pd.DataFrame, cls: str, max_rows: int = MAX_ROWS) -> str:
    """An HTML table of a DataFrame (numbers to 4 significant digits), at most ``max_rows`` rows."""
    shown = df.head(max_rows)
    head = "".join(f"<th style='text-align:left;padding:2px 6px'>{html.escape(str(c))}</th>" for c in shown.columns)
    body = []
    for _, row in shown.iterrows():
        cells = []
        for v in row:
            text = f"{v:.4g}" if isinstance(v, float) else str(v)
            cells.append(f"<td style='padding:2px 6px'>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f"<caption style='caption-side:bottom'>... {len(df) - max_rows} more rows</caption>" if len(df) > max_rows \
        else ""
    return (f"<table class='{cls}' style='font-size:12px;border-collapse:collapse'>{more}<thead><tr>{head}</tr>"
            f"</thead><tbody>{''.join(body)}</tbody></table>")


@solara.component
def ResultsPage(path: str):
    FolderPage(path, ResultsFolder, ResultsView, "mscabm results")


@solara.component
def ResultsView(folder: ResultsFolder):
    reloads = solara.use_reactive(0)  # Reload: read the folder again (a run still in progress)
    runs = solara.use_memo(folder.runs, [reloads.value])
    readouts = solara.use_memo(folder.readouts, [reloads.value])
    readout = solara.use_reactive(_default_readout(folder, readouts))
    run_id = solara.use_reactive("")
    counts = runs["status"].value_counts().to_dict() if len(runs) else {}
    kind = "cohort" if folder.is_cohort else "experiment"

    with solara.Column(style="padding:8px;max-width:1300px"):
        solara.HTML(tag="h2", unsafe_innerHTML=f"mscabm results: {html.escape(folder.name)} ({kind})", style="margin:0")
        status = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        solara.HTML(tag="div", classes=["mscabm-results-status"], style="font-size:12px", unsafe_innerHTML=(
            f"{html.escape(str(folder.path))} &middot; {len(folder.conditions())} conditions &middot; "
            f"{len(runs)} runs ({status or 'none'})"))
        solara.Button("Reload", icon_name="mdi-refresh", text=True, classes=["mscabm-reload"],
                      on_click=lambda: reloads.set(reloads.value + 1))
        if counts.get("failed") or counts.get("missing"):
            Messages(f"{counts.get('failed', 0)} failed and {counts.get('missing', 0)} missing runs: "
                     "`mscabm experiment SPEC --out DIR --resume` runs what is missing", "")

        solara.HTML(tag="h3", unsafe_innerHTML="Summary", style="margin:8px 0 2px")
        summary = solara.use_memo(folder.summary, [reloads.value])
        if len(summary):
            solara.HTML(tag="div", unsafe_innerHTML=table_html(summary, "mscabm-summary"))
        else:
            solara.Text(summary.attrs.get("note", "no summary yet (no finished run)"), style="font-size:12px")
        fig = solara.use_memo(folder.figure_png, [reloads.value])
        if fig:
            solara.Image(fig, classes=["mscabm-results-figure"], width="1000px")

        solara.HTML(tag="h3", unsafe_innerHTML="Time course by condition (mean, 95% CI of the replicates)",
                    style="margin:8px 0 2px")
        tc_png = solara.use_memo(lambda: timecourse_png(folder.timecourse(readout.value), readout.value,
                                                        title=folder.name) if readout.value else None,
                                 [readout.value, reloads.value])
        if readouts:
            solara.Select("readout", value=readout, values=readouts, classes=["mscabm-readout"])
            solara.Image(tc_png, classes=["mscabm-timecourse"], width="900px")
        else:
            solara.Text("no finished run yet", style="font-size:12px")

        cohort, png = solara.use_memo(lambda: _cohort(folder), [reloads.value])
        if folder.is_cohort:
            solara.HTML(tag="h3", unsafe_innerHTML="Cohort: responders and paired differences",
                        style="margin:8px 0 2px")
            if cohort is not None:
                solara.HTML(tag="div", unsafe_innerHTML=table_html(cohort, "mscabm-cohort"))
            if png:
                solara.Image(png, classes=["mscabm-cohort-figure"], width="640px")

        solara.HTML(tag="h3", unsafe_innerHTML="Runs", style="margin:8px 0 2px")
        solara.Text("Experiment runs keep time series, not cell snapshots: pick a run to see its curves; to watch "
                    "one, rerun its condition with `mscabm run` and open that folder here.", style="font-size:12px")
        done = runs.loc[runs["status"] == "done", "run_id"].tolist() if len(runs) else []
        solara.Select("run", value=run_id, values=["", *done], classes=["mscabm-run-pick"])
        if run_id.value:
            RunCurves(folder, run_id.value)
        cols = [c for c in ("run_id", "condition", "replicate", "seed", "status", "wall_s", "error") if c in runs]
        solara.HTML(tag="div", unsafe_innerHTML=table_html(runs[cols], "mscabm-runs"))


def _cohort(folder: ResultsFolder):
    """The cohort table and the paired-differences figure (None, None for a plain experiment)."""
    if not folder.is_cohort:
        return None, None
    cr = folder.cohort_runs()
    return folder.cohort(), (cohort_png(cr, folder.cohort_reference) if cr is not None else None)


def _default_readout(folder: ResultsFolder, readouts: list[str]) -> str:
    """The readout the spec reports first, else the first one the runs have."""
    report = folder.spec_document.get("report", {}) if isinstance(folder.spec_document, dict) else {}
    for key in ("readout", "primary"):
        r = report.get(key)
        if isinstance(r, str) and r in readouts:
            return r
    return readouts[0] if readouts else ""


@solara.component
def RunCurves(folder: ResultsFolder, run_id: str):
    """One run's time series: the live page's charts of that run."""
    from mscabm.dashboard.charts import chart_svg
    from mscabm.dashboard.session import derived

    def draw():
        try:
            df = derived(folder.run_timeseries(run_id))
        except ConfigError as exc:
            return None, str(exc)
        # cell types are the n_<TYPE> columns (type names are capitalised; n_cells, n_apoptotic are totals)
        types = sorted({c[2:] for c in df.columns if c.startswith("n_") and c.count("_") == 1 and c[2].isupper()})
        units = {}
        for c in df.columns:  # mean_<field>_<unit>; mean_<TYPE>_<variable> are per-type variable means
            if c.startswith("mean_") and c.count("_") >= 2:
                _, f, unit = c.split("_", 2)
                if f not in types:
                    units[f] = unit
        return chart_svg(df, None, type_names=types, field_units=units), ""

    svg, error = solara.use_memo(draw, [run_id])
    if svg is None:
        Messages(error, "")
    else:
        solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["mscabm-run-chart"])
