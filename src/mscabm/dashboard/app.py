"""The Solara page: ``mscabm dashboard`` serves :func:`Page` (``SOLARA_APP=mscabm.dashboard.app``).

:func:`Page` shows the live simulation, or, when the command was given a folder
(``MSCABM_DASHBOARD_OPEN``), the replay of a run folder (:mod:`~mscabm.dashboard.replay_page`)
or the results browser of an experiment or cohort folder (:mod:`~mscabm.dashboard.results_page`).

Live: each browser session gets its own :class:`~mscabm.dashboard.session.Sim`. A play thread
(``solara.use_thread``) steps the model as fast as it runs (or at the chosen simulated hours per
second); a frame thread shows a frame at a steady rate, ``FRAME_HZ``, whatever the steps per frame,
drawn from a copy of the model taken under the session lock, so stepping and drawing overlap (the
engine's kernels release the GIL); a third thread redraws the charts (inline SVG, milliseconds)
every ``CHART_EVERY_S`` seconds.
Buttons and controls act on the same Sim under its lock. Every control change rebuilds the model
(with a notice); invalid values leave the running model alone, show the error at the top of the
page and put the values in force back into the boxes. "Infuse MSCs now" adds cells to the running
model without a reset and records the infusion in the config; "Dose MSC-EVs now" does the same for
a dose of the EV field (``interventions.doses``). Stepping stops when the page's last tab has been
disconnected for ``DISCONNECT_GRACE_S`` seconds, or when the server is shutting down.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from html import escape

import solara

from mscabm.dashboard import render as R
from mscabm.dashboard.charts import sim_chart_png, sim_chart_svg
from mscabm.dashboard.controls import Settings
from mscabm.dashboard.live_controls import controls_panel, view_controls
from mscabm.dashboard.session import Sim, format_time
from mscabm.dashboard.state import (
    bump,
    cell_text,
    chart_svg,
    chart_tick,
    frame_tick,
    page_tick,
    playing,
    run_to_day,
    speed,
    state_type,
    tick,
)
from mscabm.dashboard.views import SPEEDS, ColourBar, Inspector, Legend, Messages, Tissue, png_src

CHART_EVERY_S = float(os.environ.get("MSCABM_DASHBOARD_CHART_EVERY_S", "2.0"))
#: frames per second the page is sent while playing (the model steps as often as it can in between)
FRAME_HZ = float(os.environ.get("MSCABM_DASHBOARD_FPS", "12"))
#: longest wait of the play thread ahead of the chosen speed (it re-reads the controls after it);
#: the frame thread waits at least a quarter of it between frames
MIN_GAP_S = 0.02
#: seconds between re-renders of the status line, inspector and legend while playing (the tissue
#: images are sent every frame, straight to their widgets)
STATUS_EVERY_S = 0.5
#: a session whose every tab has been gone this long stops stepping
DISCONNECT_GRACE_S = 5.0
#: set when the server shuts down (SIGTERM / Ctrl+C, see cli.py): every play loop stops
SHUTDOWN = threading.Event()


def initial_settings() -> Settings:
    cfg = os.environ.get("MSCABM_DASHBOARD_CONFIG") or "default"
    return Settings(preset=cfg)


#: a session built while the server starts (``MSCABM_DASHBOARD_PREBUILD=1``, set by ``mscabm
#: dashboard``), taken by the first tab: its model is ready while the browser loads the page
_PREBUILT: list[Future] = []
_PREBUILT_LOCK = threading.Lock()


def _warm_session() -> Sim:
    """The first tab's session, with the first frame's and chart's one-off costs paid (colour maps
    from matplotlib, the disc kernel from numba's cache: ~0.4 s that page open otherwise waits for)."""
    sim = Sim(initial_settings())
    try:
        sim.frames()
        types = list(sim.main.model.tables.type_names)
        sim_chart_svg(sim, "T" if "T" in types else types[0])
    except Exception:  # noqa: BLE001 (a warm-up only: the page draws and reports the same again)
        pass
    return sim


def _prebuild() -> None:
    with _PREBUILT_LOCK:
        if not _PREBUILT:
            _PREBUILT.append(ThreadPoolExecutor(1, thread_name_prefix="mscabm-prebuild").submit(_warm_session))


def new_session() -> Sim:
    """The prebuilt session if there is one (the first tab), else a new one."""
    with _PREBUILT_LOCK:
        future = _PREBUILT.pop() if _PREBUILT else None
    if future is not None:
        try:
            return future.result()
        except Exception:  # noqa: BLE001 (a failed prebuild: build here, where errors are shown)
            pass
    return Sim(initial_settings())


if os.environ.get("MSCABM_DASHBOARD_PREBUILD") == "1" and not os.environ.get("MSCABM_DASHBOARD_OPEN"):
    _prebuild()


def _page_connected(context) -> bool:
    """Whether any tab of this session is still connected (Solara's page status)."""
    if context is None:
        return True
    from solara.server.kernel_context import PageStatus

    return PageStatus.CONNECTED in tuple(context.page_status.values())


def push_frame(sim: Sim, widgets: dict) -> bool:
    """Draw every run's tissue and set it on its image widget directly (``widgets``: "main" /
    "compare" -> the ipyvue widget of :func:`~mscabm.dashboard.views.Tissue`), bypassing a page
    re-render: the frame costs one render, one PNG and one message per view (the PNG in base64,
    tens to hundreds of KB). False if a
    widget is not known yet (the caller re-renders the page instead)."""
    keys = ["main"] + (["compare"] if sim.compare is not None else [])
    frames = sim.frames() if sim.recorder.on or all(widgets.get(k) is not None for k in keys) else []
    pngs = [R.encode_png(fr.rgb) for fr, _ in frames]  # encoded once: for the page and for a one-view movie
    if sim.recorder.on:  # the movie keeps what the page shows (recording.py), at the frames' own clock
        sim.recorder.add([fr.rgb for fr, _ in frames], frames[0][0].step, frames[0][0].time_min,
                         token=frames[0][0].source_id, png=pngs[0] if len(pngs) == 1 else None)
    if any(widgets.get(k) is None for k in keys):
        return False
    for key, png in zip(keys, pngs):
        w = widgets[key]
        w.attributes = {**w.attributes, "src": png_src(png)}
    sim.last_scale = (frames[0][0].vmin, frames[0][0].vmax, all(fr.flat for fr, _ in frames))
    return True


def _current_context():
    try:
        from solara.server.kernel_context import get_current_context

        return get_current_context()
    except Exception:  # noqa: BLE001 (no server: tests render the page without one)
        return None


@solara.component
def Page():
    """The live simulation, or the replay / results browser of the folder the command was given."""
    target = os.environ.get("MSCABM_DASHBOARD_OPEN")
    if target:
        from mscabm.dashboard.folders import folder_kind
        from mscabm.schema import ConfigError

        try:
            kind = folder_kind(target)
        except ConfigError as exc:  # the folder went away (or changed) since the server started
            Messages(f"Cannot open {target}: {exc}", "")
            return
        if kind == "run":
            from mscabm.dashboard.replay_page import ReplayPage

            ReplayPage(target)
        else:
            from mscabm.dashboard.results_page import ResultsPage

            ResultsPage(target)
        return
    LivePage()


@solara.component
def LivePage():
    sim: Sim = solara.use_memo(new_session, [])
    page_tick.value  # noqa: B018 (subscribe: settings changes re-render the page)
    context = solara.use_memo(_current_context, [])

    def apply(**changes):
        ok = sim.reset(replace(sim.settings, **changes))
        bump(page=True)
        return ok

    Player(sim, context)
    t = sim.main.model.tables

    solara.Title("mscabm dashboard")
    with solara.Sidebar():
        controls_panel(sim, sim.settings, apply)
    with solara.Column(style="padding:8px"):
        solara.HTML(tag="h2", unsafe_innerHTML="mscabm: MSC immunomodulation, live", style="margin:0")
        Messages(sim.error, sim.notice, sim.in_force())
        with solara.Row(style="align-items:center;flex-wrap:wrap"):
            solara.Button("Pause" if playing.value else "Play", icon_name="mdi-pause" if playing.value else "mdi-play",
                          on_click=lambda: playing.set(not playing.value), color="primary", classes=["mscabm-play"])
            solara.Button("Step", icon_name="mdi-step-forward", disabled=playing.value,
                          on_click=lambda: (sim.step(), bump()), classes=["mscabm-step-btn"])
            solara.Button("Reset", icon_name="mdi-restore", on_click=lambda: apply(), classes=["mscabm-reset"])
            solara.Select("speed (simulated time per second)", value=speed.value, values=list(SPEEDS),
                          on_value=speed.set, classes=["mscabm-speed"], style="max-width:220px")
            with solara.Column(style="max-width:140px"):
                solara.InputFloat("run to day (0: no stop; once)", value=run_to_day.value, classes=["mscabm-run-to"],
                                  on_value=lambda v: run_to_day.set(max(0.0, float(v or 0.0))))
            Status(sim)
        LiveViews(sim)
        LiveLegend(sim)
        view_controls(sim, t)
        with solara.Row(style="align-items:center"):
            solara.Select("states of", value=state_type.value, values=list(t.type_names), on_value=state_type.set)
        Chart(sim)
        _exports(sim)


@solara.component
def Player(sim: Sim, context):
    """The play, frame and chart threads (a component of their own that draws nothing, so the
    threads' state changes re-render only it, not the page)."""

    def stop_with_error(what: str, exc: Exception) -> None:
        """A thread failed: stop playing and say so at the top of the page (the server keeps serving)."""
        sim.error = f"Run stopped: {what}{type(exc).__name__}: {exc}"
        playing.set(False)
        bump(page=True)

    def loop(cancel: threading.Event):
        """Play; when it stops, re-render the views once: the page's elements still hold the frame of
        the last re-render, not the frames sent to the widgets directly since."""
        try:
            play(cancel)
        except Exception as exc:  # noqa: BLE001 (any failure: stop, say so in the page, keep serving)
            stop_with_error("", exc)
        finally:
            closed = cancel.is_set() and playing.value
            if closed and not SHUTDOWN.is_set():
                # the session went away while playing (its last tab closed: Solara closes the kernel)
                print(f"mscabm dashboard: session closed: stopped stepping at step {sim.main.model.steps}",
                      file=sys.stderr, flush=True)
            if not closed and not SHUTDOWN.is_set():
                with sim.frame_lock:  # after the frame thread's last frame: the re-render shows the newest
                    frame_tick.set(frame_tick.value + 1)
                    tick.set(tick.value + 1)

    def play(cancel: threading.Event):
        """Step as fast as the model runs (or at the chosen speed); the frame thread shows frames."""
        t_rate, sim_rate = time.perf_counter(), sim.main.model.time
        anchor_wall, anchor_sim, anchor_rate = time.perf_counter(), sim.main.model.time, None
        gone_since, last_status = None, 0.0
        while playing.value and not cancel.is_set():
            if SHUTDOWN.is_set():
                return
            if not _page_connected(context):
                gone_since = gone_since or time.perf_counter()
                if time.perf_counter() - gone_since > DISCONNECT_GRACE_S:
                    print(f"mscabm dashboard: no tab of a session is connected: stopped stepping at step "
                          f"{sim.main.model.steps}", file=sys.stderr, flush=True)
                    playing.set(False)  # the last tab is gone: stop stepping
                    return
            else:
                gone_since = None
            now = time.perf_counter()
            rate = SPEEDS.get(speed.value)
            if rate != anchor_rate:
                anchor_wall, anchor_sim, anchor_rate = now, sim.main.model.time, rate
            now_min = sim.main.model.time
            stop_min = run_to_day.value * 1440.0 if run_to_day.value > 0 else float("inf")
            if now_min >= stop_min:
                sim.notice = f"Reached day {run_to_day.value:g} (t = {format_time(now_min)}): paused"
                run_to_day.set(0.0)  # a one-shot target: Play goes on from here
                playing.set(False)
                bump(page=True)
                return
            if rate is not None:
                target = anchor_sim + rate * 60.0 * (now - anchor_wall)
                if target - now_min > rate * 60.0:  # a second behind: do not race to catch up
                    anchor_wall, anchor_sim = now, now_min
                if now_min >= target:  # ahead of the chosen speed: wait for the next step's time
                    cancel.wait(min(MIN_GAP_S, (now_min - target) / (rate * 60.0) + 1e-3))
                    continue
            sim.step(1)  # one step at a time: run-to-day and the speed cap stop on the step
            time.sleep(0)  # let the server's threads take the GIL between steps
            now = time.perf_counter()
            if now - last_status > STATUS_EVERY_S:
                tick.set(tick.value + 1)
                last_status = now
            if now - t_rate > 1.0:
                sim.sim_rate_h_per_s = (sim.main.model.time - sim_rate) / 60.0 / (now - t_rate)
                t_rate, sim_rate = now, sim.main.model.time

    def frame_loop(cancel: threading.Event):
        """Show frames; a failure stops the run and says so in the page, as the play thread's does."""
        try:
            show_frames(cancel)
        except Exception as exc:  # noqa: BLE001 (any failure: stop, say so in the page, keep serving)
            stop_with_error("drawing failed: ", exc)

    def show_frames(cancel: threading.Event):
        """A frame every 1/FRAME_HZ s while playing, whatever the steps in between (none when nothing
        stepped, e.g. at a slow speed): drawn from a copy of the model, so the play thread steps on
        meanwhile; the images go straight to their widgets. Under ``sim.frame_lock``, and only while
        playing, so no frame lands after the play thread's final re-render."""
        frame_dt = 1.0 / FRAME_HZ
        frames, t_fps, pushed_step = 0, time.perf_counter(), -1
        next_due = time.perf_counter()
        while playing.value and not cancel.is_set() and not SHUTDOWN.is_set():
            if sim.main.model.steps != pushed_step:
                with sim.frame_lock:
                    if not playing.value or cancel.is_set():
                        break
                    pushed_step = sim.main.model.steps
                    if not push_frame(sim, sim.widgets):
                        frame_tick.set(frame_tick.value + 1)
                frames += 1
            now = time.perf_counter()
            if now - t_fps > 1.0:
                sim.fps = frames / (now - t_fps)
                frames, t_fps = 0, now
            next_due = max(next_due + frame_dt, now)  # a late frame does not make the next ones early
            cancel.wait(max(MIN_GAP_S / 4, next_due - now))

    def chart_loop(cancel: threading.Event):
        """Redraw the charts every CHART_EVERY_S s while playing, off the frame loop."""
        while playing.value and not cancel.is_set() and not SHUTDOWN.is_set():
            chart_svg.set(sim_chart_svg(sim, state_type.value))
            cancel.wait(CHART_EVERY_S)
        if not cancel.is_set():
            chart_tick.set(chart_tick.value + 1)

    solara.use_thread(loop, dependencies=[playing.value], intrusive_cancel=False)
    solara.use_thread(frame_loop, dependencies=[playing.value], intrusive_cancel=False)
    solara.use_thread(chart_loop, dependencies=[playing.value], intrusive_cancel=False)


@solara.component
def Status(sim: Sim):
    tick.value  # noqa: B018
    m = sim.main.model
    units = {f: m.config.fields[f].unit for f in m.tables.field_names}
    means = " ".join(f'{escape(f)} <b class="mscabm-mean-{escape(f)}">{v:.3g}</b> {escape(units[f])}'
                     for f, v in sim.field_means().items())
    rate = f" &middot; {sim.sim_rate_h_per_s:.2g} simulated h/s" if playing.value else ""
    fps = f"{sim.fps:.1f}" if playing.value else "0"
    solara.HTML(tag="span", classes=["mscabm-status"], unsafe_innerHTML=(
        f'step <b class="mscabm-steps">{m.steps}</b> &middot; t = <b class="mscabm-time">{format_time(m.time)}</b>'
        f' &middot; {len(m.population)} cells (MSC <b class="mscabm-n-msc">{sim.count("MSC")}</b>) &middot; '
        f'<span class="mscabm-fps">{fps}</span> frames/s{rate}'
        f'<br><span style="font-size:12px">mean field: {means}</span>'))


@solara.component
def LiveViews(sim: Sim):
    frame_tick.value  # noqa: B018 (while playing, frames are set on the image widgets directly)
    frames = sim.frames()
    (main_fr, _), comp = frames[0], (frames[1] if len(frames) > 1 else None)
    sim.last_scale = (main_fr.vmin, main_fr.vmax, all(fr.flat for fr, _ in frames))

    def on_tissue_click(data):
        try:
            px, py = float(data.get("offsetX")), float(data.get("offsetY"))
        except (TypeError, ValueError, AttributeError):
            return
        x, y = R.pixel_to_um(sim.view_of(sim.main), px, py)
        cid = sim.pick(x, y)
        cell_text.set("" if cid is None else str(cid))
        bump(charts=False)

    width = sim.view_width_px()
    with solara.Row(style="align-items:flex-start;flex-wrap:wrap"):
        Tissue(R.encode_png(main_fr.rgb), width, "mscabm-tissue", on_click=on_tissue_click,
               caption=sim.main.label if sim.compare is not None else "",
               on_widget=lambda w: sim.widgets.__setitem__("main", w))
        if comp is not None:
            Tissue(R.encode_png(comp[0].rgb), width, "mscabm-tissue-control", caption=sim.compare.label,
                   on_widget=lambda w: sim.widgets.__setitem__("compare", w))
        else:
            sim.widgets.pop("compare", None)
        LiveSide(sim)


@solara.component
def LiveSide(sim: Sim):
    """The colour bar (of the last frame sent) and the cell inspector, re-rendered at the status rate."""
    tick.value  # noqa: B018
    frame_tick.value  # noqa: B018
    v = sim.view
    vmin, vmax, flat = sim.last_scale
    with solara.Row(style="align-items:flex-start"):
        ColourBar(sim.field_label(), vmin, vmax, v.cmap, sim.view_of(sim.main).height_px, flat=flat,
                  fixed=v.vmax is not None, shared=sim.compare is not None)
        with solara.Column(style="min-width:280px;max-width:360px"):
            _inspector(sim)


@solara.component
def LiveLegend(sim: Sim):
    tick.value  # noqa: B018 (the value range follows the cells)
    by = sim.view.colour_by
    Legend(sim.main.legend, None if by == R.COLOUR_BY_TYPE else by, sim.value_range())


@solara.component
def Chart(sim: Sim):
    drawn = solara.use_memo(lambda: sim_chart_svg(sim, state_type.value), [chart_tick.value, state_type.value])
    solara.HTML(tag="div", unsafe_innerHTML=chart_svg.value if playing.value and chart_svg.value else drawn,
                classes=["mscabm-chart"])


def _inspector(sim: Sim):
    solara.HTML(tag="h3", unsafe_innerHTML="Cell inspector", style="margin:0")
    solara.Text("click a cell in the tissue, or type its id", style="font-size:12px")

    def pick(text):
        cell_text.set(text)
        try:
            sim.selected = int(text)
        except ValueError:
            sim.selected = None
        bump(charts=False)

    solara.InputText("cell id", value=cell_text.value, on_value=pick, classes=["mscabm-cell-id"])
    info = sim.inspect()
    Inspector(info, f"no live cell with id {sim.selected}" if sim.selected is not None and info is None else "")


def _exports(sim: Sim):
    name = sim.main.model.config.model.name
    with solara.Row(style="flex-wrap:wrap"):
        solara.FileDownload(lambda: sim.csv_bytes(), f"{name}_timeseries.csv", label="time series (CSV)")
        solara.FileDownload(lambda: sim.parquet_bytes(), f"{name}_timeseries.parquet", label="time series (Parquet)")
        solara.FileDownload(lambda: sim.figure_png(), f"{name}_view.png", label="view (PNG)")
        solara.FileDownload(lambda: sim_chart_png(sim, state_type.value), f"{name}_charts.png", label="charts (PNG)")
        solara.FileDownload(lambda: sim.config_toml(), f"{name}_config.toml", label="config (TOML)")
    _recording(sim, name)


def _recording(sim: Sim, name: str):
    """Record the frames the frame thread shows, for a movie (mscabm/dashboard/recording.py)."""
    rec = sim.recorder

    def toggle(on: bool):
        rec.start() if on else rec.stop()
        bump(charts=False)

    with solara.Row(style="flex-wrap:wrap;align-items:center"):
        solara.Checkbox(label="record frames while playing (movie)", value=rec.on, on_value=toggle)
        solara.FileDownload(lambda: rec.zip_bytes(), f"{name}_movie_frames.zip", label="movie frames (zip)")
        solara.Button("clear recording", text=True, on_click=lambda: (rec.clear(), bump(charts=False)),
                      classes=["mscabm-clear-recording"])
    solara.Text(rec.status(), style="font-size:12px", classes=["mscabm-recording-status"])
