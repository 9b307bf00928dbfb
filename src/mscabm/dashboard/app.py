"""The Solara page: ``mscabm dashboard`` serves :func:`Page` (``SOLARA_APP=mscabm.dashboard.app``).

:func:`Page` shows the live simulation, or, when the command was given a folder
(``MSCABM_DASHBOARD_OPEN``), the replay of a run folder (:mod:`~mscabm.dashboard.replay_page`)
or the results browser of an experiment or cohort folder (:mod:`~mscabm.dashboard.results_page`).

Live: each browser session gets its own :class:`~mscabm.dashboard.session.Sim`. A play thread
(``solara.use_thread``) steps the model as fast as it runs (or at the chosen simulated hours per
second) and shows a frame at a steady rate, ``FRAME_HZ``, whatever the steps per frame; a second
thread redraws the charts (inline SVG, milliseconds) every ``CHART_EVERY_S`` seconds.
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
from dataclasses import replace

import solara

from mscabm.biology.interventions import BLOCKERS, MSC_FACTORS, PRETREATMENTS
from mscabm.dashboard import render as R
from mscabm.dashboard.charts import sim_chart_png, sim_chart_svg
from mscabm.dashboard.controls import (
    EV_FIELD,
    PENDING,
    Settings,
    blocker_label,
    dose_meta,
    intervention_meta,
    knockout_label,
    presets,
    toggled,
    transwell_label,
)
from mscabm.dashboard.session import COMPARE_VARIANTS, Sim, format_time
from mscabm.dashboard.views import SPEEDS, ColourBar, Inspector, Legend, Messages, Tissue, png_src

CHART_EVERY_S = float(os.environ.get("MSCABM_DASHBOARD_CHART_EVERY_S", "2.0"))
#: frames per second the page is sent while playing (the model steps as often as it can in between)
FRAME_HZ = float(os.environ.get("MSCABM_DASHBOARD_FPS", "12"))
#: seconds each frame period leaves to the server's event loop to send the frame (a loop that steps
#: all the time starves it: the page stops updating)
MIN_GAP_S = 0.02
#: the least share of each frame period spent stepping
MIN_STEP_SHARE = 0.25
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


def _page_connected(context) -> bool:
    """Whether any tab of this session is still connected (Solara's page status)."""
    if context is None:
        return True
    from solara.server.kernel_context import PageStatus

    return PageStatus.CONNECTED in tuple(context.page_status.values())


def push_frame(sim: Sim, widgets: dict) -> bool:
    """Draw every run's tissue and set it on its image widget directly (``widgets``: "main" /
    "compare" -> the ipyvue widget of :func:`~mscabm.dashboard.views.Tissue`), bypassing a page
    re-render: the frame costs one render, one PNG and one small message per view. False if a
    widget is not known yet (the caller re-renders the page instead)."""
    keys = ["main"] + (["compare"] if sim.compare is not None else [])
    if any(widgets.get(k) is None for k in keys):
        return False
    frames = sim.frames()
    for key, (fr, _) in zip(keys, frames):
        w = widgets[key]
        w.attributes = {**w.attributes, "src": png_src(R.encode_png(fr.rgb))}
    sim.last_scale = (frames[0][0].vmin, frames[0][0].vmax, all(fr.flat for fr, _ in frames))
    return True


def _current_context():
    try:
        from solara.server.kernel_context import get_current_context

        return get_current_context()
    except Exception:  # noqa: BLE001 (no server: tests render the page without one)
        return None


# per-session state (solara.reactive values are scoped to the browser session)
playing = solara.reactive(False)
tick = solara.reactive(0)          # status, inspector, colour bar, legend (STATUS_EVERY_S while playing)
frame_tick = solara.reactive(0)    # re-render the tissue views (user actions; frames while playing go direct)
chart_tick = solara.reactive(0)    # new chart
page_tick = solara.reactive(0)     # settings changed: re-renders the whole page
speed = solara.reactive(next(iter(SPEEDS)))
run_to_day = solara.reactive(0.0)  # pause when the simulated time reaches this many days (0: never)
chart_svg = solara.reactive("")    # the charts drawn by the chart thread while playing (inline SVG)
rule_filter = solara.reactive("")
state_type = solara.reactive("T")
cell_text = solara.reactive("")
infuse_count = solara.reactive(50)
ev_level = solara.reactive(50.0)   # MSC-EV dose, EV field unit


def bump(charts: bool = True, page: bool = False) -> None:
    tick.set(tick.value + 1)
    frame_tick.set(frame_tick.value + 1)
    if charts:
        chart_tick.set(chart_tick.value + 1)
    if page:
        page_tick.set(page_tick.value + 1)


@solara.component
def Page():
    """The live simulation, or the replay / results browser of the folder the command was given."""
    target = os.environ.get("MSCABM_DASHBOARD_OPEN")
    if target:
        from mscabm.dashboard.folders import folder_kind

        if folder_kind(target) == "run":
            from mscabm.dashboard.replay_page import ReplayPage

            ReplayPage(target)
        else:
            from mscabm.dashboard.results_page import ResultsPage

            ResultsPage(target)
        return
    LivePage()


@solara.component
def LivePage():
    sim: Sim = solara.use_memo(lambda: Sim(initial_settings()), [])
    page_tick.value  # noqa: B018 (subscribe: settings changes re-render the page)
    context = solara.use_memo(_current_context, [])

    def apply(**changes):
        ok = sim.reset(replace(sim.settings, **changes))
        bump(page=True)
        return ok

    def loop(cancel: threading.Event):
        """Play; when it stops, re-render the views once: the page's elements still hold the frame of
        the last re-render, not the frames sent to the widgets directly since."""
        try:
            play(cancel)
        finally:
            if cancel.is_set() and playing.value and not SHUTDOWN.is_set():
                # the session went away while playing (its last tab closed: Solara closes the kernel)
                print(f"mscabm dashboard: session closed: stopped stepping at step {sim.main.model.steps}",
                      file=sys.stderr, flush=True)
            if not SHUTDOWN.is_set():
                frame_tick.set(frame_tick.value + 1)
                tick.set(tick.value + 1)

    def play(cancel: threading.Event):
        """Step, and show a frame every 1/FRAME_HZ s: as many steps in between as the speed asks."""
        frame_dt = 1.0 / FRAME_HZ
        frames, t_fps, sim_fps = 0, time.perf_counter(), sim.main.model.time
        anchor_wall, anchor_sim, anchor_rate = time.perf_counter(), sim.main.model.time, None
        gone_since, last_status, push_s = None, 0.0, 0.0
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
            t0 = time.perf_counter()
            rate = SPEEDS.get(speed.value)
            if rate != anchor_rate:
                anchor_wall, anchor_sim, anchor_rate = t0, sim.main.model.time, rate
            stop_min = run_to_day.value * 1440.0 if run_to_day.value > 0 else float("inf")
            try:
                while True:
                    now_min = sim.main.model.time
                    if now_min >= stop_min:
                        sim.notice = f"Reached day {run_to_day.value:g} (t = {format_time(now_min)}): paused"
                        run_to_day.set(0.0)  # a one-shot target: Play goes on from here
                        playing.set(False)
                        bump(page=True)
                        return
                    if rate is not None:
                        target = anchor_sim + rate * 60.0 * (time.perf_counter() - anchor_wall)
                        if now_min >= target:
                            break
                        if target - now_min > rate * 60.0:  # a second behind: do not race to catch up
                            anchor_wall, anchor_sim = time.perf_counter(), now_min
                    sim.step()
                    # stop stepping when the frame (its measured cost) and the gap are due; at least
                    # MIN_STEP_SHARE of the period steps, so a costly frame does not stall the model
                    if time.perf_counter() - t0 >= max(MIN_STEP_SHARE * frame_dt, frame_dt - push_s - MIN_GAP_S):
                        break
            except Exception as exc:  # noqa: BLE001 (capacity etc.: stop and say so, keep serving)
                sim.error = f"Run stopped: {exc}"
                playing.set(False)
                bump(page=True)
                return
            # the frame: the tissue images go straight to their widgets (one small message each); the
            # rest of the page (status, inspector, legend) re-renders STATUS_EVERY_S
            t_push = time.perf_counter()
            if not push_frame(sim, sim.widgets):
                frame_tick.set(frame_tick.value + 1)
            push_s = 0.8 * push_s + 0.2 * (time.perf_counter() - t_push)
            if time.perf_counter() - last_status > STATUS_EVERY_S:
                tick.set(tick.value + 1)
                last_status = time.perf_counter()
            frames += 1
            now = time.perf_counter()
            if now - t_fps > 1.0:
                sim.fps = frames / (now - t_fps)
                sim.sim_rate_h_per_s = (sim.main.model.time - sim_fps) / 60.0 / (now - t_fps)
                frames, t_fps, sim_fps = 0, now, sim.main.model.time
            # the rest of the period, and at least the event loop's gap even when a step overran it
            time.sleep(max(MIN_GAP_S, frame_dt - (time.perf_counter() - t0)))

    def chart_loop(cancel: threading.Event):
        """Redraw the charts every CHART_EVERY_S s while playing, off the frame loop."""
        while playing.value and not cancel.is_set() and not SHUTDOWN.is_set():
            chart_svg.set(sim_chart_svg(sim, state_type.value))
            cancel.wait(CHART_EVERY_S)
        chart_tick.set(chart_tick.value + 1)

    solara.use_thread(loop, dependencies=[playing.value], intrusive_cancel=False)
    solara.use_thread(chart_loop, dependencies=[playing.value], intrusive_cancel=False)
    t = sim.main.model.tables

    solara.Title("mscabm dashboard")
    with solara.Sidebar():
        _controls(sim, sim.settings, apply)
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
        _view_controls(sim, t)
        with solara.Row(style="align-items:center"):
            solara.Select("states of", value=state_type.value, values=list(t.type_names), on_value=state_type.set)
        Chart(sim)
        _exports(sim)


@solara.component
def NumberBox(label: str, value, on_value, classes=(), style=None, integer: bool = True):
    """A number input showing the value in force: ``on_value(v)`` returns False to refuse ``v``, and
    the box then shows ``value`` again (the page shows the error); an emptied box is refused too."""
    box = solara.use_reactive(value)  # follows ``value`` when the page passes a new one

    def changed(v):
        if v == value:
            return
        if v is None or not on_value(v):
            box.set(value)

    (solara.InputInt if integer else solara.InputFloat)(label, value=box, on_value=changed, classes=list(classes),
                                                        style=style)


@solara.component
def Status(sim: Sim):
    tick.value  # noqa: B018
    m = sim.main.model
    units = {f: m.config.fields[f].unit for f in m.tables.field_names}
    means = " ".join(f'{f} <b class="mscabm-mean-{f}">{v:.3g}</b> {units[f]}' for f, v in sim.field_means().items())
    rate = f" &middot; {sim.sim_rate_h_per_s:.2g} simulated h/s" if playing.value else ""
    solara.HTML(tag="span", classes=["mscabm-status"], unsafe_innerHTML=(
        f'step <b class="mscabm-steps">{m.steps}</b> &middot; t = <b class="mscabm-time">{format_time(m.time)}</b>'
        f' &middot; {len(m.population)} cells (MSC <b class="mscabm-n-msc">{sim.count("MSC")}</b>) &middot; '
        f'<span class="mscabm-fps">{sim.fps:.1f}</span> frames/s{rate}'
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

    v = sim.view
    with solara.Row(style="align-items:flex-start;flex-wrap:wrap"):
        Tissue(R.encode_png(main_fr.rgb), v.width_px, "mscabm-tissue", on_click=on_tissue_click,
               caption=sim.main.label if sim.compare is not None else "",
               on_widget=lambda w: sim.widgets.__setitem__("main", w))
        if comp is not None:
            Tissue(R.encode_png(comp[0].rgb), v.width_px, "mscabm-tissue-control", caption=sim.compare.label,
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
        ColourBar(sim.field_label(), vmin, vmax, v.cmap, v.width_px, flat=flat, fixed=v.vmax is not None)
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


@solara.component
def PresetMenu(sim: Sim, s: Settings, values: list[str], apply):
    """The preset menu (its own component, so it can reach its widget)."""

    def switch_preset(v):
        """A new preset starts from its own values: the number boxes, free-form lines and rule switches
        of the old one are dropped (the notice names what was dropped). If the new preset fails, the
        menu goes back to the preset that is running."""
        dropped = [x for x in (s.extra.strip() and "free-form lines", s.rules_off and "rule switches") if x]
        ok = apply(preset=v, msc_count=None, t_count=None, cd8_count=None, domain_um=None, extra="", rules_off=())
        if ok and dropped:
            sim.notice += f" ({' and '.join(dropped)} of the previous preset dropped)"

    menu_widget = solara.use_ref(None)

    def choose(v):
        if v == sim.settings.preset:  # the running one (also our own put-back below): nothing to do
            return
        switch_preset(v)
        if sim.settings.preset != v and menu_widget.current is not None:
            # refused: put the menu back on the running preset. The element's value did not change
            # (it is the running preset throughout), so a re-render sends nothing: set the widget's
            # own v_model, which the browser's choice had changed
            menu_widget.current.v_model = sim.settings.preset

    menu = solara.v.Select(label="preset", v_model=s.preset, items=values, class_="mscabm-preset",
                           on_v_model=choose)
    solara.use_effect(lambda: setattr(menu_widget, "current", solara.get_widget(menu)))


def _controls(sim: Sim, s: Settings, apply):
    cfg = sim.main.model.config
    iv = cfg.interventions
    solara.HTML(tag="h3", unsafe_innerHTML="Model", style="margin:4px 0")
    values = presets()
    if s.preset not in values:
        values.append(s.preset)
    PresetMenu(sim, s, values, apply)
    msc = cfg.cells["MSC"].count if "MSC" in cfg.cells else 0
    tc = cfg.cells["T"].count if "T" in cfg.cells else 0
    c8 = cfg.cells["CD8"].count if "CD8" in cfg.cells else 0
    NumberBox("MSC dose (cells)", msc, lambda v: apply(msc_count=v), classes=["mscabm-msc"])
    NumberBox("CD4 T cells", tc, lambda v: apply(t_count=v), classes=["mscabm-t"])
    NumberBox("CD8 T cells", c8, lambda v: apply(cd8_count=v), classes=["mscabm-cd8"])
    solara.Text(f"MSC:T (CD4 + CD8) ratio = 1:{(tc + c8) / msc:.3g}" if msc else "no MSCs", style="font-size:12px")
    NumberBox("seed", cfg.model.seed, lambda v: apply(seed=v))
    NumberBox("domain side (um)", cfg.domain.width_um, lambda v: apply(domain_um=v), integer=False)
    solara.SliderInt("steps per Step press", value=s.steps_per_frame, min=1, max=50,
                     on_value=lambda v: setattr(sim.settings, "steps_per_frame", int(v)))
    solara.HTML(tag="h3", unsafe_innerHTML="Compare", style="margin:8px 0 0")
    solara.Select("side by side with", value=sim.compare_variant or "none",
                  values=["none", *COMPARE_VARIANTS], classes=["mscabm-compare"],
                  on_value=lambda v: (sim.reset(compare_variant=None if v == "none" else v), bump(page=True)))
    _interventions(sim, iv, apply)
    _rules(sim, cfg, s, apply)
    solara.HTML(tag="h3", unsafe_innerHTML="Any value", style="margin:8px 0 0")
    extra = solara.use_reactive(s.extra)
    solara.InputTextArea("section.key = value, one per line", value=extra, rows=3)
    solara.Button("Apply", on_click=lambda: apply(extra=extra.value), classes=["mscabm-apply-extra"])
    solara.HTML(tag="h3", unsafe_innerHTML="Not in the model (yet)", style="margin:8px 0 0")
    for _key, label in PENDING:
        solara.Checkbox(label=label, value=False, disabled=True)


def _rules(sim: Sim, cfg, s: Settings, apply):
    """Rule switches grouped by the cell type they act on, with a search box (names and sources)."""
    solara.HTML(tag="h3", unsafe_innerHTML=f"Rules (on/off; {len(cfg.rules)})", style="margin:8px 0 0")
    solara.InputText("search rules (name, signal, behaviour)", value=rule_filter.value, on_value=rule_filter.set,
                     continuous_update=True, classes=["mscabm-rule-search"])
    words = rule_filter.value.lower().split()
    groups: dict[str, list[str]] = {}
    for name, rule in cfg.rules.items():
        text = f"{name} {rule.cell_type} {rule.signal} {rule.behaviour}".lower()
        if all(w in text for w in words):
            groups.setdefault(rule.cell_type, []).append(name)
    if not groups:
        solara.Text("no rule matches", style="font-size:12px")

    def switch(name: str, on: bool):
        off = set(sim.settings.rules_off)
        apply(rules_off=tuple(sorted(off - {name} if on else off | {name})))

    for cell_type, names in groups.items():
        n_off = sum(n in s.rules_off for n in names)
        summary = f"{cell_type}: {len(names)} rules" + (f", {n_off} off" if n_off else "")
        with solara.Details(summary=summary, expand=bool(words) or n_off > 0):
            for name in names:
                solara.Checkbox(label=name, value=name not in s.rules_off, style="margin-top:0",
                                on_value=lambda v, n=name: switch(n, v))


def _interventions(sim: Sim, iv, apply):
    """Controls built from the intervention tables (``biology/interventions.py``)."""
    small = "font-size:12px;margin:0;display:block"
    solara.HTML(tag="h3", unsafe_innerHTML="Interventions", style="margin:8px 0 0")
    solara.Checkbox(label=transwell_label(), value=iv.transwell,
                    on_value=lambda v: apply(transwell=bool(v)))
    solara.Select("MSC pre-treatment (licensing)", value=iv.prelicense, values=list(PRETREATMENTS),
                  classes=["mscabm-prelicense"], on_value=lambda v: apply(prelicense=v))
    solara.Text("MSC factor knock-outs", style=small)
    for factor in MSC_FACTORS:
        solara.Checkbox(label=knockout_label(factor), value=factor in iv.knockout, style="margin-top:0",
                        on_value=lambda v, f=factor: apply(knockout=toggled(sim.main.config.interventions.knockout,
                                                                            f, v)))
    solara.Text("blockers (drugs, antibodies)", style=small)
    for drug in BLOCKERS:
        solara.Checkbox(label=blocker_label(drug), value=drug in iv.block, style="margin-top:0",
                        on_value=lambda v, d=drug: apply(block=toggled(sim.main.config.interventions.block, d, v)))
    meta = intervention_meta("immunosuppressant")
    NumberBox(f"immunosuppressant level ({meta['min']:g}-{meta['max']:g})", iv.immunosuppressant,
              lambda v: apply(immunosuppressant=v), classes=["mscabm-immunosuppressant"], integer=False)
    solara.Text("deplete before the start", style=small)
    with solara.Row(style="flex-wrap:wrap;gap:0 10px"):
        for ct in sim.main.model.tables.type_names:
            solara.Checkbox(label=ct, value=ct in iv.deplete, style="margin-top:0",
                            on_value=lambda v, c=ct: apply(deplete=toggled(sim.main.config.interventions.deplete,
                                                                           c, v)))
    def infuse():
        sim.infuse(infuse_count.value)
        bump(page=True)

    def set_count(v) -> bool:
        if v < 1:
            sim.error = f"Invalid input: MSCs to infuse: {v} is out of range; allowed: >= 1 (kept {infuse_count.value})"
            bump(charts=False, page=True)
            return False
        if sim.error.startswith("Invalid input: MSCs to infuse"):
            sim.error = ""
        infuse_count.set(int(v))
        return True

    with solara.Row(style="align-items:center"):
        NumberBox("MSCs to infuse", infuse_count.value, set_count, classes=["mscabm-infuse-count"],
                  style="max-width:120px")
        solara.Button("Infuse MSCs now", icon_name="mdi-needle", on_click=infuse, classes=["mscabm-infuse"])
    InfuseNote(sim, infuse_count.value, small)
    if iv.infusions:
        listed = ", ".join(f"{x.count} {x.cell_type}{' ' + x.state if x.state else ''} at {x.at_min:g} min"
                           for x in iv.infusions)
        solara.Text(f"infusions: {listed}", style=small, classes=["mscabm-infusions"])
        solara.Button("clear infusions (reset)", on_click=lambda: (sim.clear_infusions(), bump(page=True)),
                      text=True, classes=["mscabm-clear-infusions"])
    _ev_dose(sim, iv, small)


def _ev_dose(sim: Sim, iv, small: str):
    """MSC-EV infusion: a dose of the EV field now (``interventions.doses``), like "Infuse MSCs now"."""
    unit = sim.main.model.config.fields[EV_FIELD].unit if EV_FIELD in sim.main.model.config.fields else ""
    meta = dose_meta("level")

    def set_level(v) -> bool:
        if not v > 0:
            sim.error = (f"Invalid input: MSC-EV dose: {v} is out of range; allowed: > 0, <= {meta['max']:g} "
                         f"(kept {ev_level.value:g})")
            bump(charts=False, page=True)
            return False
        if sim.error.startswith("Invalid input: MSC-EV dose"):
            sim.error = ""
        ev_level.set(float(v))
        return True

    with solara.Row(style="align-items:center"):
        NumberBox(f"MSC-EV dose ({EV_FIELD}, {unit})", ev_level.value, set_level, classes=["mscabm-ev-level"],
                  style="max-width:140px", integer=False)
        solara.Button("Dose MSC-EVs now", icon_name="mdi-water", classes=["mscabm-ev-dose"],
                      on_click=lambda: (sim.dose(ev_level.value), bump(page=True)))
    if iv.doses:
        listed = ", ".join(f"{d.field} +{d.level:g} at {d.at_min:g} min" for d in iv.doses)
        solara.Text(f"doses: {listed}", style=small, classes=["mscabm-doses"])
        solara.Button("clear doses (reset)", on_click=lambda: (sim.clear_doses(), bump(page=True)),
                      text=True, classes=["mscabm-clear-doses"])


@solara.component
def InfuseNote(sim: Sim, count: int, style: str):
    """When and how the next infusion lands (follows the clock while playing)."""
    tick.value  # noqa: B018
    m = sim.main.model
    where = "added to the initial dose (t = 0)" if m.steps == 0 else f"at t = {m.time:g} min, no reset"
    solara.Text(f"{count} MSCs {where}; recorded in interventions.infusions", style=style,
                classes=["mscabm-infuse-next"])


def _view_controls(sim: Sim, t):
    v = sim.view

    def set_view(**kw):
        for k, val in kw.items():
            setattr(v, k, val)
        bump(charts=False, page=True)

    def set_range(which: str, text: str):
        """A fixed end of the colour range (field unit), or automatic when the box is empty."""
        text = (text or "").strip()
        if not text:
            set_view(**{which: None})
            return
        try:
            value = float(text)
        except ValueError:
            sim.error = f"Invalid input: colour {which[1:]}: {text!r} is not a number (kept automatic)"
            bump(charts=False, page=True)
            return
        lo = value if which == "vmin" else (v.vmin or 0.0)
        hi = value if which == "vmax" else v.vmax
        if hi is not None and not hi > lo:
            sim.error = f"Invalid input: colour range: max {hi:g} must be above min {lo:g} (kept the old range)"
            bump(charts=False, page=True)
            return
        sim.error = ""
        set_view(**{which: value})

    with solara.Row(style="align-items:center;flex-wrap:wrap;gap:12px"):
        solara.Select("field", value=v.field or "none", values=["none", *t.field_names],
                      on_value=lambda f: set_view(field=None if f == "none" else f), classes=["mscabm-field"])
        solara.Select("colour map", value=v.cmap, values=["viridis", "magma", "cividis", "gray"],
                      on_value=lambda c: set_view(cmap=c))
        with solara.Column(style="max-width:120px"):
            solara.InputText("colour min (blank: 0)", value="" if v.vmin is None else f"{v.vmin:g}",
                             on_value=lambda x: set_range("vmin", x), classes=["mscabm-vmin-box"])
        with solara.Column(style="max-width:120px"):
            solara.InputText("colour max (blank: auto)", value="" if v.vmax is None else f"{v.vmax:g}",
                             on_value=lambda x: set_range("vmax", x), classes=["mscabm-vmax-box"])
        solara.Select("colour cells by", value=v.colour_by, classes=["mscabm-colour-by"],
                      values=R.colour_by_choices(t.variable_names, t.field_names),
                      on_value=lambda c: set_view(colour_by=c))
        with solara.Column(style="min-width:200px"):
            solara.SliderFloat("zoom", value=v.zoom, min=1.0, max=10.0, step=0.5, on_value=lambda z: set_view(zoom=z))
        with solara.Column(style="min-width:160px"):
            solara.SliderFloat("centre x (%)", value=v.cx_frac * 100, min=0, max=100, step=1,
                               on_value=lambda c: set_view(cx_frac=c / 100))
        with solara.Column(style="min-width:160px"):
            solara.SliderFloat("centre y (%)", value=v.cy_frac * 100, min=0, max=100, step=1,
                               on_value=lambda c: set_view(cy_frac=c / 100))


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
