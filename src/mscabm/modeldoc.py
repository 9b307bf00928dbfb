"""Markdown tables of the model's cell types, fields, base behaviours, rules and parameters.

Generated from the same data the code runs on (``biology/`` tables and the built-in default
config), and spliced into ``docs/model.md`` between ``<!-- BEGIN GENERATED -->`` and
``<!-- END GENERATED -->``, so the documentation cannot drift from the code (a test checks).

    python -m mscabm.modeldoc            # print the tables
    python -m mscabm.modeldoc --write    # update docs/model.md in place
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mscabm.biology.celltypes import BASE_BEHAVIOURS, CELL_TYPES
from mscabm.biology.fields import FIELDS, molecules_to_amount
from mscabm.biology.interventions import (
    BLOCKERS,
    GENE_MODIFICATIONS,
    IMMUNOSUPPRESSANT_TARGETS,
    MSC_FACTORS,
    PRETREATMENTS,
    transgene_effect,
)
from mscabm.biology.rules import DEFAULT_RULES
from mscabm.config import Config, DomainSection, ModelSection, OutputSection, load_config
from mscabm.observe.io import atomic_write_text
from mscabm.schema import field_table

BEGIN, END = "<!-- BEGIN GENERATED -->", "<!-- END GENERATED -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "model.md"


def _row(cells) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def _table(header, rows) -> str:
    return "\n".join([_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)])


def _knockout_effect(spec: dict) -> str:
    """What knocking an MSC factor out does (``MSC_FACTORS`` entry: behaviours and signals)."""
    parts = []
    if spec["behaviours"]:
        parts.append("MSC " + ", ".join(spec["behaviours"]) + " -> 0")
    if spec["signals"]:
        parts.append("rules reading " + ", ".join(spec["signals"]) + " off (all cell types)")
    return "; ".join(parts) or "nothing"


def _pretreatment_effect(p: dict) -> str:
    if not p["signals"]:
        return "MSCs start untreated"
    levels = ", ".join(f"{f} {v:g}" for f, v in p["signals"].items())
    return f"MSC expression ODEs integrated over {p['hours']:g} h in medium with {levels} (field units)"


def _blocker_effect(spec: dict) -> str:
    """What a drug or antibody does (``BLOCKERS`` entry: ``factor`` + ``all_cells``, or ``neutralise``)."""
    parts = []
    if "factor" in spec:
        parts.append(f"as knockout {spec['factor']}" + (" and the same enzyme in every cell type"
                                                         if spec.get("all_cells") else " (MSCs only)"))
    for f, rate in spec.get("neutralise", {}).items():
        parts.append(f"neutralises {f}: extra removal {rate:g}/min")
    return "; ".join(parts) or "nothing"


def render(cfg: Config | None = None) -> str:
    """All generated sections as one Markdown string, for a config's declared vocabulary.

    ``cfg``: default the built-in configuration (what docs/model.md shows). Cell types, fields,
    per-cell variables, base behaviours and rules come from the config, so a declared type or
    field appears like a built-in one; sources come from the biology tables for built-in names.
    """
    cfg = cfg if cfg is not None else load_config()
    parts = ["### Cell types\n", _table(
        ["type", "name", "states", "radius (um)", "apoptosis (min)", "adherent", "default count", "source"],
        [[name, CELL_TYPES[name].long_name if name in CELL_TYPES else "declared in the config", ", ".join(c.states),
          c.radius_um, c.apoptosis_min, c.adherent, c.count, CELL_TYPES[name].source if name in CELL_TYPES else ""]
         for name, c in cfg.cells.items()])]
    parts += ["\n\n### Fields (paracrine species)\n", _table(
        ["field", "name", "unit", "D (um^2/min)", "decay (1/min)", "initial", "1 molecule = (unit x um^3)", "source"],
        [[name, FIELDS[name].long_name if name in FIELDS else "declared in the config", f.unit,
          f.diffusion_um2_per_min, f.decay_per_min, f.initial, f"{molecules_to_amount(f.unit):.4g}",
          FIELDS[name].source if name in FIELDS else ""] for name, f in cfg.fields.items()])]
    variables = [[name, v, var.initial, var.decay_per_min, ", ".join(var.scales) or "-", var.takes_up or "-", var.unit,
                  var.doc]
                 for name, c in cfg.cells.items() for v, var in c.variables.items()]
    if variables:
        parts += ["\n\n### Per-cell variables (dv/dt = produce_V_per_min - decay v)\n", _table(
            ["type", "variable", "initial", "decay (1/min)", "multiplies", "counts uptake of", "unit", "meaning"],
            variables)]
    rows = []
    for tname, states in cfg.behaviours.items():
        for sname, values in states.items():
            for bname, value in values.items():
                known = BASE_BEHAVIOURS.get(tname, {}).get(sname, {}).get(bname)
                source = known[1] if known is not None and known[0] == value else "config"
                rows.append([tname, sname, bname, f"{value:.4g}", source])
    parts += ["\n\n### Base behaviours (before rules; unlisted behaviours are 0)\n",
              _table(["type", "state", "behaviour", "value", "source"], rows)]
    parts += ["\n\n### Rules (signal -> behaviour, Hill functions)\n", _table(
        ["rule", "cell", "state", "signal", "direction", "behaviour", "saturation", "half-max", "Hill n", "source"],
        [[name, r.cell_type, r.state, r.signal, r.direction, r.behaviour, f"{r.saturation:.4g}", r.half_max,
          r.hill_power, r.source] for name, r in cfg.rules.items() if r.enabled])]
    optional = [[name, r.cell_type, r.state, r.signal, r.direction, r.behaviour, f"{r.saturation:.4g}", r.half_max,
                 r.hill_power, r.source] for name, r in cfg.rules.items()
                if not r.enabled and DEFAULT_RULES.get(name, {}).get("enabled") is False]
    if optional:
        parts += ["\n\n### Optional rules (in the table, off unless a config sets `enabled = true`)\n", _table(
            ["rule", "cell", "state", "signal", "direction", "behaviour", "saturation", "half-max", "Hill n",
             "source"], optional)]
    parts += ["\n\n### Interventions (`[interventions]`)\n", _table(
        ["intervention", "acts on", "source"],
        [[f"knockout = [\"{k}\"]", _knockout_effect(v), v["source"]] for k, v in MSC_FACTORS.items()]
        + [[f"block = [\"{k}\"]", _blocker_effect(v), v["source"]] for k, v in BLOCKERS.items()]
        + [["immunosuppressant = L", "x (1 - L): " + ", ".join(f"{t} {b}" for t, b in IMMUNOSUPPRESSANT_TARGETS),
            "M: steroid-like broad damping (SCIENCE.md s2)"],
           ["neutralise_per_min = {F = k}", "extra first-order removal of field F", "antibody/inhibitor (issue 3)"],
           ["supplement = {F = c}", "adds c to F's initial level", ""]]
        + [[f"prelicense = \"{k}\"", _pretreatment_effect(v), v["source"]] for k, v in PRETREATMENTS.items()]
        + [["prelicense_hours = h, prelicense_scale = c", "protocol duration (-1: its own) and concentration factor",
            "mscabm/pretreatment.py"]]
        + [["transwell = true", "the [transwell] insert types (MSCs) live on a membrane ~1 mm above the well; the "
            "medium between is resolved in layers, so each field crosses by its own diffusion and decay; no contact "
            "across (mscabm/transwell.py)", "SCIENCE.md s3b (insert geometry)"],
           ["deplete = [\"TYPE\"]", "no cells of TYPE at the start", ""]]
        + [[f"overexpress = {{{k} = L}}", transgene_effect(k), v["source"]] for k, v in GENE_MODIFICATIONS.items()]
        + [["[[interventions.infusions]]", "at_min, count, cell_type, state, placement: cells added (Mesa event)", ""],
           ["[[interventions.doses]]", "at_min, field, level, placement: level added to a field (Mesa event), "
            "e.g. an MSC-EV infusion as a dose of field EV", "SCIENCE.md s2 (EVs)"]])]
    for title, section in (("model", ModelSection), ("domain", DomainSection), ("output", OutputSection)):
        parts += [f"\n\n### Parameters: [{title}]\n", _table(
            ["key", "type", "default", "allowed", "meaning"],
            [[k, tp, default, rng, doc] for k, tp, default, rng, doc in field_table(section)])]
    return "".join(parts) + "\n"


def splice(text: str, generated: str) -> str:
    """Replace what stands between the markers in ``text`` with ``generated``."""
    i, j = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:i] + "\n" + generated + text[j:]


def main() -> None:
    ap = argparse.ArgumentParser(description="Generate the model tables of docs/model.md")
    ap.add_argument("--write", action="store_true", help="update docs/model.md in place")
    args = ap.parse_args()
    if args.write:
        atomic_write_text(DOC, splice(DOC.read_text(encoding="utf-8"), render()))
        print(f"updated {DOC}")
    else:
        print(render())


if __name__ == "__main__":
    main()
