"""The live page's controls: model settings, compare, interventions, rules, view (``app.py`` lays them out).

Built from data (:mod:`mscabm.dashboard.controls`, the intervention tables, the config's rules and
field metadata): a new preset, rule, factor, blocker or field appears here with no UI code.
"""

from __future__ import annotations

import solara

from mscabm.biology.interventions import BLOCKERS, GENE_MODIFICATIONS, MSC_FACTORS, PRETREATMENTS
from mscabm.dashboard import render as R
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
    transgene_label,
    transwell_label,
)
from mscabm.dashboard.session import COMPARE_VARIANTS, Sim
from mscabm.dashboard.state import bump, ev_level, infuse_count, rule_filter, tick


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


def controls_panel(sim: Sim, s: Settings, apply):
    """The sidebar: model settings, compare, interventions, rules, free-form overrides."""
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
    FreeFormOverrides(s.extra, apply)
    if PENDING:
        solara.HTML(tag="h3", unsafe_innerHTML="Not in the model (yet)", style="margin:8px 0 0")
    for _key, label in PENDING:
        solara.Checkbox(label=label, value=False, disabled=True)


@solara.component
def FreeFormOverrides(extra_in_force: str, apply):
    """The "Any value" box: ``section.key = value`` lines applied together (a component: it holds the
    text being typed)."""
    extra = solara.use_reactive(extra_in_force)
    solara.InputTextArea("section.key = value, one per line", value=extra, rows=3)
    solara.Button("Apply", on_click=lambda: apply(extra=extra.value), classes=["mscabm-apply-extra"])


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
    _gene_modified(sim, iv, apply, small)
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


def _gene_modified(sim: Sim, iv, apply, small: str):
    """Gene-modified MSCs: one transgene level box per factor of GENE_MODIFICATIONS (0 = native)."""
    top = intervention_meta("overexpress")["value_meta"]["max"]
    solara.Text(f"gene-modified MSCs: transgene level L (0 = native, up to {top:g})", style=small)

    def set_level(factor: str, v) -> bool:  # the config checks the level (range, an output to act on)
        levels = {**sim.main.config.interventions.overexpress, factor: float(v)}
        return bool(apply(overexpress=tuple(sorted((f, x) for f, x in levels.items() if x != 0))))

    for factor in GENE_MODIFICATIONS:
        NumberBox(transgene_label(factor), float(iv.overexpress.get(factor, 0.0)),
                  lambda v, f=factor: set_level(f, v), classes=[f"mscabm-transgene-{factor}"], integer=False)


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


def view_controls(sim: Sim, t):
    """Field, colour map and range, colour cells by, zoom and centre of the tissue views."""
    v = sim.view

    def set_view(**kw):
        with sim.lock:  # the play thread draws from the view under the lock
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
