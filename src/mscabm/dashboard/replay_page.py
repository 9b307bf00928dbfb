"""The replay page: ``mscabm dashboard runs/<name>/`` shows a finished run folder.

A time slider (and Play) over the run's cell and field snapshots, the tissue drawn as in the live
page (:mod:`mscabm.dashboard.views`, one colour scale for the whole run so a colour means one level
at every snapshot), the cell inspector on the saved cells, and the time-series charts up to the
snapshot's time. Exports: the view as a figure, every snapshot as numbered PNG frames (a zip, for a
movie) and the time series.
"""

from __future__ import annotations

import html
import threading
import time

import solara

from mscabm.dashboard import render as R
from mscabm.dashboard.charts import chart_svg
from mscabm.dashboard.replay import RunFolder
from mscabm.dashboard.session import format_time
from mscabm.dashboard.views import ColourBar, FolderPage, Inspector, Legend, Messages, Tissue

#: snapshots shown per second while the replay plays
REPLAY_FPS = 4.0


@solara.component
def ReplayPage(path: str):
    FolderPage(path, RunFolder, ReplayView, "mscabm replay")


@solara.component
def ReplayView(folder: RunFolder):
    t = folder.tables
    n = len(folder.steps)
    index = solara.use_reactive(n - 1 if n else 0)
    playing = solara.use_reactive(False)
    field = solara.use_reactive(t.field_names[0] if t.field_names else "none")
    cmap = solara.use_reactive("viridis")
    colour_by = solara.use_reactive(R.COLOUR_BY_TYPE)
    zoom = solara.use_reactive(1.0)
    cell = solara.use_reactive("")
    state_type = solara.use_reactive("T" if "T" in t.type_names else t.type_names[0])
    series = solara.use_memo(folder.timeseries, [])
    vr = solara.use_memo(lambda: folder.value_range(colour_by.value), [colour_by.value])

    def advance(cancel: threading.Event):
        while playing.value and not cancel.is_set():
            time.sleep(1.0 / REPLAY_FPS)
            if index.value >= n - 1:
                playing.set(False)
                return
            index.set(index.value + 1)

    solara.use_thread(advance, dependencies=[playing.value], intrusive_cancel=False)

    with solara.Column(style="padding:8px"):
        solara.HTML(tag="h2", unsafe_innerHTML=f"mscabm replay: {html.escape(folder.name)}", style="margin:0")
        solara.Text(f"{folder.path} · {n} snapshots · config: {folder.path / 'config.toml'}", style="font-size:12px")
        if n == 0:
            Messages("", "This run kept no cell snapshots (output.snapshot_every): only its time series is shown.")
            ReplayChart(folder, series, float("inf"), state_type.value)
            return
        step = folder.steps[min(index.value, n - 1)]
        snap = folder.snapshot(step)
        with solara.Row(style="align-items:center;flex-wrap:wrap"):
            solara.Button("Pause" if playing.value else "Play", icon_name="mdi-pause" if playing.value else "mdi-play",
                          color="primary", classes=["mscabm-replay-play"],
                          on_click=lambda: (index.set(0) if index.value >= n - 1 and not playing.value else None,
                                            playing.set(not playing.value)))
            with solara.Column(style="min-width:420px", classes=["mscabm-replay-slider"]):
                solara.SliderInt("snapshot", value=index, min=0, max=n - 1)
            solara.HTML(tag="span", classes=["mscabm-replay-status"], unsafe_innerHTML=(
                f'step <b class="mscabm-steps">{step}</b> &middot; t = <b class="mscabm-time">'
                f'{format_time(snap.time_min)}</b> &middot; {len(snap.cells)} cells'))
        f = None if field.value == "none" else field.value
        vmax = folder.field_max(f) if f else 0.0
        view = folder.view(560, field=f, zoom=zoom.value, cmap=cmap.value, vmin=0.0 if f else None,
                           vmax=vmax if f else None)
        fr = folder.frame(step, view, colour_by.value, vr)

        def on_click(data):
            try:
                px, py = float(data.get("offsetX")), float(data.get("offsetY"))
            except (TypeError, ValueError, AttributeError):
                return
            x, y = R.pixel_to_um(view, px, py)
            cid = folder.pick(step, x, y)
            cell.set("" if cid is None else str(cid))

        with solara.Row(style="align-items:flex-start;flex-wrap:wrap"):
            Tissue(R.encode_png(fr.rgb), view.width_px, "mscabm-tissue", on_click=on_click)
            if f is not None:
                if f in snap.fields:
                    ColourBar(f"{f} ({folder.units[f]})", fr.vmin, fr.vmax, cmap.value, view.height_px,
                              flat=not vmax > 0, fixed=vmax > 0)
                else:
                    solara.Text(f"{f}: not saved at this step", style="font-size:12px")
            with solara.Column(style="min-width:280px;max-width:360px"):
                solara.HTML(tag="h3", unsafe_innerHTML="Cell inspector", style="margin:0")
                solara.InputText("cell id", value=cell, classes=["mscabm-cell-id"])
                info, missing = None, ""
                if cell.value.strip():
                    try:
                        info = folder.inspect(step, int(cell.value))
                    except ValueError:
                        missing = f"{cell.value!r} is not a cell id"
                    else:
                        missing = "" if info is not None else f"no cell with id {cell.value} at this step"
                Inspector(info, missing)
        Legend(folder.legend, None if colour_by.value == R.COLOUR_BY_TYPE else colour_by.value, vr)
        with solara.Row(style="align-items:center;flex-wrap:wrap;gap:12px"):
            solara.Select("field", value=field, values=["none", *t.field_names], classes=["mscabm-field"])
            solara.Select("colour map", value=cmap, values=["viridis", "magma", "cividis", "gray"])
            solara.Select("colour cells by", value=colour_by, values=folder.colour_by_choices(),
                          classes=["mscabm-colour-by"])
            with solara.Column(style="min-width:200px"):
                solara.SliderFloat("zoom", value=zoom, min=1.0, max=10.0, step=0.5)
            solara.Select("states of", value=state_type, values=list(t.type_names))
        ReplayChart(folder, series, snap.time_min, state_type.value)
        with solara.Row(style="flex-wrap:wrap"):
            solara.FileDownload(lambda: _figure(folder, step, view, fr, colour_by.value, vr),
                                f"{folder.name}_step{step}.png", label="view (PNG)")
            solara.FileDownload(lambda: folder.movie_zip(view, colour_by.value), f"{folder.name}_frames.zip",
                                label=f"all {n} snapshots as PNG frames (zip)")
            solara.FileDownload(lambda: series.to_csv(index=False).encode(), f"{folder.name}_timeseries.csv",
                                label="time series (CSV)")


@solara.component
def ReplayChart(folder: RunFolder, series, until_min: float, state_type: str):
    """The live page's charts of the saved time series, up to the snapshot's time."""
    t = folder.tables
    shown = series[series["time_min"] <= until_min] if len(series) else series
    states = t.state_names[t.type_names.index(state_type)] if state_type in t.type_names else ()
    svg = solara.use_memo(lambda: chart_svg(shown, None, type_names=t.type_names, state_type=state_type,
                                            state_names=states, field_units=folder.units),
                          [len(shown), state_type])
    solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["mscabm-chart"])


def _figure(folder: RunFolder, step: int, view: R.View, fr: R.Frame, colour_by: str, vr) -> bytes:
    f = view.field
    label = f"{f} ({folder.units[f]})" if f else None
    return R.figure_png([(fr, view, "")], folder.legend, label, title=f"{folder.name}: step {step}",
                        value_label=None if colour_by == R.COLOUR_BY_TYPE else colour_by, value_range=vr)
