"""The Solara page: ``mscabm dashboard`` serves :func:`Page` (``SOLARA_APP=mscabm.dashboard.app``).

Each browser session gets its own :class:`~mscabm.dashboard.session.Sim`. A play thread
(``solara.use_thread``) steps the model, renders the tissue (numpy -> PNG) and, every
``CHART_EVERY_S`` seconds, the charts; buttons and controls act on the same Sim under its lock.
Every control change rebuilds the model (with a notice); invalid values leave the running model
alone, show the error in the page and put the values in force back into the boxes. "Infuse MSCs
now" adds cells to the running model without a reset and records the infusion in the config;
"Dose MSC-EVs now" does the same for a dose of the EV field (``interventions.doses``).
"""

from __future__ import annotations

import base64
import os
import threading
import time
from dataclasses import replace

import solara

from mscabm.biology.interventions import BLOCKERS, MSC_FACTORS, PRETREATMENTS
from mscabm.dashboard import render as R
from mscabm.dashboard.charts import sim_chart_png
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
from mscabm.dashboard.session import COMPARE_VARIANTS, Sim

CHART_EVERY_S = float(os.environ.get("MSCABM_DASHBOARD_CHART_EVERY_S", "2.0"))
MAX_FPS = 20.0


def initial_settings() -> Settings:
    cfg = os.environ.get("MSCABM_DASHBOARD_CONFIG") or "default"
    return Settings(preset=cfg)


@solara.component
def Tissue(png: bytes, width: int, cls: str, on_click=None, caption: str = ""):
    with solara.Column(gap="2px"):
        if caption:
            solara.Text(caption, style="font-weight:600")
        el = solara.v.Html(tag="img", class_=cls, style_=f"width:{width}px;image-rendering:pixelated;cursor:crosshair",
                           attributes={"src": "data:image/png;base64," + base64.b64encode(png).decode(),
                                       "width": str(width)})
        solara.v.use_event(el, "click", lambda *args: on_click(args[-1]) if on_click is not None else None)


@solara.component
def Legend(items):
    html = " ".join(f'<span style="white-space:nowrap;margin-right:8px"><span style="display:inline-block;width:11px;'
                    f'height:11px;border-radius:6px;background:{c};border:1px solid #222"></span> {t} {s}</span>'
                    for t, s, c in items)
    html += (' <span style="white-space:nowrap"><span style="display:inline-block;width:11px;height:11px;'
             'border-radius:6px;background:#6e6e6e;border:1px solid #222"></span> apoptotic</span>')
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=["mscabm-legend"], style="font-size:12px;max-width:900px")


@solara.component
def ColourBar(label: str | None, vmin: float, vmax: float, cmap: str, height: int):
    if not label:
        return
    png = base64.b64encode(R.colourbar_png(cmap, height=height - 40)).decode()
    solara.HTML(tag="div", classes=["mscabm-colourbar"], style="font-size:12px;text-align:center",
                unsafe_innerHTML=f'<div>{vmax:.3g}</div><img src="data:image/png;base64,{png}"/>'
                                 f'<div>{vmin:.3g}</div><div style="writing-mode:vertical-rl">{label}</div>')


# per-session state (solara.reactive values are scoped to the browser session)
playing = solara.reactive(False)
tick = solara.reactive(0)          # a new frame: re-renders only the live components
chart_tick = solara.reactive(0)    # new chart
page_tick = solara.reactive(0)     # settings changed: re-renders the whole page
fps = solara.reactive(0.0)
state_type = solara.reactive("T")
cell_text = solara.reactive("")
infuse_count = solara.reactive(50)
ev_level = solara.reactive(50.0)   # MSC-EV dose, EV field unit


def bump(charts: bool = True, page: bool = False) -> None:
    tick.set(tick.value + 1)
    if charts:
        chart_tick.set(chart_tick.value + 1)
    if page:
        page_tick.set(page_tick.value + 1)


@solara.component
def Page():
    sim: Sim = solara.use_memo(lambda: Sim(initial_settings()), [])
    page_tick.value  # noqa: B018 (subscribe: settings changes re-render the page)

    def apply(**changes):
        ok = sim.reset(replace(sim.settings, **changes))
        bump(page=True)
        return ok

    def loop(cancel: threading.Event):
        last_chart = time.perf_counter()
        frames, t_fps = 0, time.perf_counter()
        while playing.value and not cancel.is_set():
            t0 = time.perf_counter()
            try:
                sim.step()
            except Exception as exc:  # noqa: BLE001 (capacity etc.: stop and say so, keep serving)
                sim.error = f"Run stopped: {exc}"
                playing.set(False)
                bump(page=True)
                return
            frames += 1
            now = time.perf_counter()
            if now - t_fps > 1.0:
                fps.set(frames / (now - t_fps))
                frames, t_fps = 0, now
            tick.set(tick.value + 1)
            if now - last_chart > CHART_EVERY_S:
                chart_tick.set(chart_tick.value + 1)
                last_chart = now
            time.sleep(max(0.0, 1.0 / MAX_FPS - (time.perf_counter() - t0)))
        chart_tick.set(chart_tick.value + 1)

    solara.use_thread(loop, dependencies=[playing.value], intrusive_cancel=False)
    t = sim.main.model.tables

    solara.Title("mscabm dashboard")
    with solara.Sidebar():
        _controls(sim, sim.settings, apply)
    with solara.Column(style="padding:8px"):
        solara.HTML(tag="h2", unsafe_innerHTML="mscabm: MSC immunomodulation, live", style="margin:0")
        Messages(sim.error, sim.notice)
        with solara.Row(style="align-items:center;flex-wrap:wrap"):
            solara.Button("Pause" if playing.value else "Play", icon_name="mdi-pause" if playing.value else "mdi-play",
                          on_click=lambda: playing.set(not playing.value), color="primary", classes=["mscabm-play"])
            solara.Button("Step", icon_name="mdi-step-forward", disabled=playing.value,
                          on_click=lambda: (sim.step(), bump()), classes=["mscabm-step-btn"])
            solara.Button("Reset", icon_name="mdi-restore", on_click=lambda: apply(), classes=["mscabm-reset"])
            Status(sim)
        LiveViews(sim)
        Legend(sim.main.legend)
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
def Messages(error: str, notice: str):
    """Error and notice lines (one component, so the page keeps its structure when they come and go)."""
    with solara.Column(gap="4px"):
        if error:
            solara.Error(error, classes=["mscabm-error"])
        if notice:
            solara.Info(notice, dense=True, classes=["mscabm-notice"])


@solara.component
def Status(sim: Sim):
    tick.value  # noqa: B018
    m = sim.main.model
    units = {f: m.config.fields[f].unit for f in m.tables.field_names}
    means = " ".join(f'{f} <b class="mscabm-mean-{f}">{v:.3g}</b> {units[f]}' for f, v in sim.field_means().items())
    solara.HTML(tag="span", classes=["mscabm-status"], unsafe_innerHTML=(
        f'step <b class="mscabm-steps">{m.steps}</b> &middot; t = {m.time / 60:.2f} h &middot; '
        f'{len(m.population)} cells (MSC <b class="mscabm-n-msc">{sim.count("MSC")}</b>) &middot; '
        f'{fps.value:.1f} frames/s<br><span style="font-size:12px">mean field: {means}</span>'))


@solara.component
def LiveViews(sim: Sim):
    main_png, frame_info = _render(sim, sim.main)
    comp_png = _render(sim, sim.compare)[0] if sim.compare is not None else None
    tick.value  # noqa: B018

    def on_tissue_click(data):
        try:
            px, py = float(data.get("offsetX")), float(data.get("offsetY"))
        except (TypeError, ValueError, AttributeError):
            return
        x, y = R.pixel_to_um(sim.view_of(sim.main), px, py)
        cid = sim.pick(x, y)
        cell_text.set("" if cid is None else str(cid))
        bump(charts=False)

    with solara.Row(style="align-items:flex-start;flex-wrap:wrap"):
        Tissue(main_png, sim.view.width_px, "mscabm-tissue", on_click=on_tissue_click,
               caption=sim.main.label if sim.compare is not None else "")
        if comp_png is not None:
            Tissue(comp_png, sim.view.width_px, "mscabm-tissue-control", caption=sim.compare.label)
        ColourBar(sim.field_label(), frame_info[0], frame_info[1], sim.view.cmap, sim.view.width_px)
        with solara.Column(style="min-width:280px;max-width:360px"):
            _inspector(sim)


@solara.component
def Chart(sim: Sim):
    chart = solara.use_memo(lambda: sim_chart_png(sim, state_type.value), [chart_tick.value, state_type.value])
    solara.Image(chart, classes=["mscabm-chart"])


def _render(sim: Sim, run):
    if run is None:
        return None, (0.0, 1.0)
    fr, _ = sim.frame(run)
    return R.encode_png(fr.rgb), (fr.vmin, fr.vmax)


def _controls(sim: Sim, s: Settings, apply):
    cfg = sim.main.model.config
    iv = cfg.interventions
    solara.HTML(tag="h3", unsafe_innerHTML="Model", style="margin:4px 0")
    values = presets()
    if s.preset not in values:
        values.append(s.preset)
    solara.Select("preset", value=s.preset, values=values,
                  on_value=lambda v: apply(preset=v, msc_count=None, t_count=None, cd8_count=None, domain_um=None))
    msc = cfg.cells["MSC"].count if "MSC" in cfg.cells else 0
    tc = cfg.cells["T"].count if "T" in cfg.cells else 0
    c8 = cfg.cells["CD8"].count if "CD8" in cfg.cells else 0
    NumberBox("MSC dose (cells)", msc, lambda v: apply(msc_count=v), classes=["mscabm-msc"])
    NumberBox("CD4 T cells", tc, lambda v: apply(t_count=v), classes=["mscabm-t"])
    NumberBox("CD8 T cells", c8, lambda v: apply(cd8_count=v), classes=["mscabm-cd8"])
    solara.Text(f"MSC:T (CD4 + CD8) ratio = 1:{(tc + c8) / msc:.3g}" if msc else "no MSCs", style="font-size:12px")
    NumberBox("seed", cfg.model.seed, lambda v: apply(seed=v))
    NumberBox("domain side (um)", cfg.domain.width_um, lambda v: apply(domain_um=v), integer=False)
    solara.SliderInt("steps per frame", value=s.steps_per_frame, min=1, max=50,
                     on_value=lambda v: setattr(sim.settings, "steps_per_frame", int(v)))
    solara.HTML(tag="h3", unsafe_innerHTML="Compare", style="margin:8px 0 0")
    solara.Select("side by side with", value=sim.compare_variant or "none",
                  values=["none", *COMPARE_VARIANTS], classes=["mscabm-compare"],
                  on_value=lambda v: (sim.reset(compare_variant=None if v == "none" else v), bump(page=True)))
    _interventions(sim, iv, apply)
    solara.HTML(tag="h3", unsafe_innerHTML="Rules (on/off)", style="margin:8px 0 0")
    for name, _rule in cfg.rules.items():
        off = name in s.rules_off
        solara.Checkbox(label=name, value=not off, style="margin-top:0",
                        on_value=lambda v, n=name: apply(rules_off=tuple(
                            sorted(set(sim.settings.rules_off) - {n} if v else set(sim.settings.rules_off) | {n}))))
    solara.HTML(tag="h3", unsafe_innerHTML="Any value", style="margin:8px 0 0")
    extra = solara.use_reactive(s.extra)
    solara.InputTextArea("section.key = value, one per line", value=extra, rows=3)
    solara.Button("Apply", on_click=lambda: apply(extra=extra.value), classes=["mscabm-apply-extra"])
    solara.HTML(tag="h3", unsafe_innerHTML="Not in the model (yet)", style="margin:8px 0 0")
    for _key, label in PENDING:
        solara.Checkbox(label=label, value=False, disabled=True)


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

    with solara.Row(style="align-items:center;flex-wrap:wrap;gap:12px"):
        solara.Select("field", value=v.field or "none", values=["none", *t.field_names],
                      on_value=lambda f: set_view(field=None if f == "none" else f), classes=["mscabm-field"])
        solara.Select("colour map", value=v.cmap, values=["viridis", "magma", "cividis", "gray"],
                      on_value=lambda c: set_view(cmap=c))
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
    if sim.selected is not None and info is None:
        solara.Warning(f"no live cell with id {sim.selected}")
    if info:
        rows = "".join(f"<tr><td>{k}</td><td style='text-align:right'>{v}</td></tr>" for k, v in info.items())
        solara.HTML(tag="table", unsafe_innerHTML=rows, classes=["mscabm-inspector"], style="font-size:12px")


def _exports(sim: Sim):
    name = sim.main.model.config.model.name
    with solara.Row(style="flex-wrap:wrap"):
        solara.FileDownload(lambda: sim.csv_bytes(), f"{name}_timeseries.csv", label="time series (CSV)")
        solara.FileDownload(lambda: sim.parquet_bytes(), f"{name}_timeseries.parquet", label="time series (Parquet)")
        solara.FileDownload(lambda: sim.figure_png(), f"{name}_view.png", label="view (PNG)")
        solara.FileDownload(lambda: sim.config_toml(), f"{name}_config.toml", label="config (TOML)")
