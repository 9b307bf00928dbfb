"""PhysiCell rules CSV (v3 grammar) -> mscabm ``[rules.<name>]`` tables (``mscabm import-rules``).

PhysiCell's rules file (``cell_rules.csv``, Johnson et al. 2023; parsed by ``parse_csv_rule_v3``
in PhysiCell's ``core/PhysiCell_rules.cpp``) has one rule per line, 8 comma-separated columns (a
tab-separated line is also read)::

    cell type, signal, increases|decreases, behaviour, max response, half-max, Hill power, applies to dead

``//`` lines are comments and blank lines are skipped; a first row whose third column reads
``direction`` (or ``response``) is taken as a header. The "max response" is the behaviour value
at full response (mscabm ``saturation``); the base value comes, as in PhysiCell, from the cell's
base behaviours (``[behaviours.<TYPE>.<state>]``). Both programs combine signals the same way
(``H = x/(1+x)``, ``x = sum (s/K)^n``; ``docs/model.md`` section 7).

Mapping (``--map OLD=NEW`` renames a PhysiCell cell type or substrate first; a cell type may be
renamed to ``TYPE.STATE``, since a PhysiCell cell type is often an mscabm state, e.g.
``M1 macrophage=MAC.M1``):

=================================================  ==========================================
PhysiCell                                          mscabm
=================================================  ==========================================
signal ``<substrate>``                             ``field:<F>`` (level in the field's unit)
signal ``contact with <type>``                     ``contact:<TYPE>`` (or ``contact:<TYPE>.<state>``)
signal ``contact with apoptotic|dead cell(s)``     ``contact:apoptotic`` (mscabm's only dead cells)
signal ``custom:<V>``                              ``var:<V>`` (a per-cell variable of the type)
``<F> secretion`` / ``<F> secretion target``       ``secretion_<F>_per_min`` / ``saturation_<F>``
``<F> uptake``                                     ``uptake_<F>_per_min``
``<F> export``                                     ``export_<F>_molecules_per_min`` (converted)
``cycle entry`` (``exit from cycle phase 0``)      ``cycle_rate_per_min``
``apoptosis``                                      ``death_rate_per_min``
``migration speed`` / ``persistence time``         ``speed_um_per_min`` / ``persistence_min``
``migration bias``                                 ``chemotaxis_bias`` (0..1)
``chemotactic response to <F>``                    ``chemotaxis_bias``, if F is the type's chemotaxis field
``attack <type>``                                  ``kill_<TYPE>_per_min``
``phagocytose apoptotic cell`` (``dead cell``)     ``phagocytosis_per_min``
``transform to`` / ``transition to <X>``           ``to_<state>_per_min``, X a state of the same type
=================================================  ==========================================

Units: PhysiCell times are in minutes and speeds in um/min, as in mscabm, so rates, speeds and
persistence times carry over unchanged. Concentrations (half-max of a substrate signal, secretion
targets) are read in the mscabm field's unit. PhysiCell's net export is an amount per minute
(substrate unit x um^3 / min); mscabm's is molecules/min, so an export is divided by
:func:`mscabm.biology.fields.molecules_to_amount` of the field's unit.

Refused (:class:`RulesImportError`, exit 2 naming the CSV line and column and what is allowed):
a wrong column count or empty column, an unknown or unmappable signal or behaviour (necrosis,
pressure, damage, adhesion mechanics, global time, ...), a non-numeric, non-finite or negative
number, a half-max or Hill power <= 0, ``applies to dead`` other than 0 (mscabm rules act on
live cells only), a signal given twice for one behaviour of one cell type (PhysiCell ignores
the second), and whatever the config then refuses (unknown cell type, state or field, ranges,
rules of one behaviour and direction with different saturations), named by its CSV line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from mscabm.biology.fields import molecules_to_amount
from mscabm.config import build_config, default_config_dict, merge, read_toml, resolve_path
from mscabm.schema import ConfigError
from mscabm.vocabulary import APOPTOTIC_SIGNAL, FRACTION_BEHAVIOURS, VARIABLE_SIGNAL

__all__ = ["RulesImportError", "ImportedRule", "parse_renames", "parse_rules_csv", "resolve_rules", "rules_to_toml",
           "import_rules", "read_rules_csv", "COLUMNS"]

#: the 8 columns of PhysiCell's v3 grammar (1-based in messages)
COLUMNS = ("cell type", "signal", "direction", "behaviour", "max response", "half-max", "Hill power",
           "applies to dead")
#: rule key -> CSV column (1-based)
_KEY_COLUMN = {"cell_type": 1, "state": 1, "signal": 2, "direction": 3, "behaviour": 4, "saturation": 5,
               "half_max": 6, "hill_power": 7}

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

_SIGNALS_ALLOWED = ("a substrate name (-> field:<F>), 'contact with <cell type>' (-> contact:<TYPE>), "
                    "'contact with apoptotic cell(s)' or 'contact with dead cell(s)' (-> contact:apoptotic), "
                    "'custom:<variable>' (-> var:<V>)")
_BEHAVIOURS_ALLOWED = ("'<substrate> secretion', '<substrate> secretion target', '<substrate> uptake', "
                       "'<substrate> export', 'cycle entry', 'apoptosis', 'migration speed', "
                       "'migration persistence time', 'migration bias', 'chemotactic response to <substrate>', "
                       "'attack <cell type>', 'phagocytose apoptotic cell', 'transition to <state of the type>'")

_NO_NECROSIS = "mscabm has no necrosis: its only dead cells are apoptotic bodies"
_NO_DAMAGE = "mscabm has no damage or attack state: contact killing is direct (kill_<TYPE>_per_min)"
_NO_CUSTOM = ("a PhysiCell rule sets a custom variable's value; an mscabm per-cell variable changes through its "
              "production rate (produce_<V>_per_min), which has no PhysiCell counterpart")
_NUMERIC_TYPE = "PhysiCell's numeric cell type IDs depend on its XML order: name the cell type instead"
_UNMAPPABLE_SIGNALS = {
    **dict.fromkeys(("pressure", "volume"), "mscabm has no mechanical pressure or cell volume signal"),
    **dict.fromkeys(("contact with live cell", "contact with live cells"),
                    "mscabm counts contacts by cell type: write one rule per type ('contact with <type>')"),
    **dict.fromkeys(("contact with necrotic cell", "contact with necrotic cells", "contact with other dead cell",
                     "contact with other dead cells", "necrotic", "is_necrotic"), _NO_NECROSIS),
    **dict.fromkeys(("contact with basement membrane", "contact with BM"), "mscabm has no basement membrane"),
    **dict.fromkeys(("damage", "damage delivered", "total damage delivered", "attacking", "is attacking",
                     "total attack time"), _NO_DAMAGE),
    **dict.fromkeys(("dead", "is dead", "apoptotic", "is_apoptotic"), "mscabm rules act on live cells only"),
    **dict.fromkeys(("time", "current time", "global time"),
                    "PhysiCell's time is the global clock; mscabm's only time signal, time_in_state (time since "
                    "the cell's last state switch), is a different signal"),
}
_UNMAPPABLE_SIGNAL_PREFIXES = {
    "intracellular ": "mscabm has no intracellular substrate amounts",
    "internalized ": "mscabm has no intracellular substrate amounts",
    "grad(": "gradients act in mscabm only through chemotaxis (the type's chemotaxis_field)",
    "gradient of ": "gradients act in mscabm only through chemotaxis (the type's chemotaxis_field)",
    "custom ": "PhysiCell's numeric custom variable IDs depend on its XML order: name the variable (custom:<name>)",
    "contact with cell type ": _NUMERIC_TYPE,
}
_MECHANICS = "mechanics are model parameters in mscabm ([model]), not rule behaviours"
_UNMAPPABLE_BEHAVIOURS = {
    "necrosis": _NO_NECROSIS,
    **dict.fromkeys(("cell-cell adhesion", "cell-cell adhesion elastic constant", "relative maximum adhesion distance",
                     "cell-cell repulsion", "cell-BM adhesion", "cell-BM repulsion", "cell-membrane adhesion",
                     "cell-membrane repulsion"), _MECHANICS),
    **dict.fromkeys(("phagocytose necrotic cell", "phagocytosis of necrotic cell", "phagocytosis of necrotic cells",
                     "phagocytose other dead cell", "phagocytosis of other dead cell",
                     "phagocytosis of other dead cells"), _NO_NECROSIS),
    **dict.fromkeys(("is_movable", "movable", "is movable"), "every mscabm cell moves at its speed_um_per_min "
                                                               "(adherent types do not move)"),
    **dict.fromkeys(("cell attachment rate", "cell detachment rate", "maximum number of cell attachments"),
                    "mscabm has no cell-cell attachments (springs)"),
    **dict.fromkeys(("attack damage rate", "attack duration", "damage rate", "damage repair rate"), _NO_DAMAGE),
}
_UNMAPPABLE_BEHAVIOUR_PREFIXES = {
    "exit from cycle phase ": "mscabm's cycle has one phase: only 'cycle entry' (exit from cycle phase 0) maps",
    "adhesive affinity to ": _MECHANICS,
    "fuse to ": "mscabm cells do not fuse",
    "asymmetric division to ": "mscabm daughters keep their parent's type",
    "immunogenicity to ": "mscabm has no immunogenicity behaviour (kill resistance is kill_resistance)",
    "custom:": _NO_CUSTOM, "custom ": _NO_CUSTOM,
    "attack cell type ": _NUMERIC_TYPE, "transform to cell type ": _NUMERIC_TYPE,
    "transition to cell type ": _NUMERIC_TYPE, "phagocytose cell type ": _NUMERIC_TYPE,
    "phagocytosis of ": "mscabm phagocytes engulf apoptotic bodies only",
    "phagocytose ": "mscabm phagocytes engulf apoptotic bodies only",
}
_PHAGOCYTOSIS = ("phagocytose apoptotic cell", "phagocytosis of apoptotic cell", "phagocytosis of apoptotic cells",
                 "phagocytose dead cell")  # the last: PhysiCell 1.10-1.11 name; mscabm's dead cells are apoptotic
_FIXED_BEHAVIOURS = {"cycle entry": "cycle_rate_per_min", "exit from cycle phase 0": "cycle_rate_per_min",
                     "apoptosis": "death_rate_per_min", "migration speed": "speed_um_per_min",
                     "migration persistence time": "persistence_min", "migration bias": "chemotaxis_bias",
                     **dict.fromkeys(_PHAGOCYTOSIS, "phagocytosis_per_min")}
#: substrate behaviours, longest suffix first: suffix -> mscabm name pattern
_SUBSTRATE_BEHAVIOURS = ((" secretion saturation density", "saturation_{}"), (" secretion target", "saturation_{}"),
                         (" secretion", "secretion_{}_per_min"), (" uptake", "uptake_{}_per_min"),
                         (" export", "export_{}_molecules_per_min"))


class RulesImportError(ConfigError):
    """A PhysiCell rules CSV line that cannot be turned into an mscabm rule.

    ``path`` reads ``<file>:<line>, column <k> (<name>)``; ``line`` and ``column`` are 1-based
    (``column`` 0 when the whole line is at fault, ``line`` 0 when the whole file is).
    """

    def __init__(self, source: str, line: int, column: int, message: str) -> None:
        self.line, self.column = line, column
        where = source + (f":{line}" if line else "")
        if column:
            where += f", column {column} ({COLUMNS[column - 1]})"
        super().__init__(where, message)


@dataclass
class ImportedRule:
    """One CSV line as an mscabm rule.

    ``rule`` holds the ``[rules.<name>]`` keys; ``refs`` the names the line uses that the
    vocabulary must know, checked by :func:`resolve_rules`: ``(kind, column, name)`` with kind
    ``type``, ``state``, ``field``, ``contact``, ``kill``, ``to_state``, ``chemotaxis`` or ``variable``.
    ``export_field`` is set when the saturation is a PhysiCell export (amount/min) still to
    convert to molecules/min.
    """

    line: int
    name: str
    rule: dict
    refs: list[tuple[str, int, str]] = field(default_factory=list)
    export_field: str = ""


def parse_renames(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``--map OLD=NEW`` strings -> {OLD: NEW} (names stripped); ConfigError on a malformed one."""
    out: dict[str, str] = {}
    for item in items:
        old, eq, new = item.partition("=")
        old, new = old.strip(), new.strip()
        if not eq or not old or not new:
            raise ConfigError("--map", f"expected OLD=NEW (a PhysiCell cell type or substrate name = an mscabm name), "
                              f"got {item!r}")
        if out.get(old, new) != new:
            raise ConfigError("--map", f"{old!r} is renamed twice ({out[old]!r} and {new!r}); allowed: one name")
        out[old] = new
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "x"


def _number(text: str, source: str, line: int, column: int, *, positive: bool) -> float:
    allowed = "a number > 0" if positive else "a number >= 0"
    if not _NUMBER.fullmatch(text):
        raise RulesImportError(source, line, column, f"{text!r} is not a number; allowed: {allowed}")
    value = float(text)
    if not math.isfinite(value):
        raise RulesImportError(source, line, column, f"{text!r} is not finite; allowed: {allowed}")
    if value < 0 or (positive and value == 0):
        raise RulesImportError(source, line, column, f"{text} is out of range; allowed: {allowed}")
    return value


def _signal(text: str, rename: dict[str, str], source: str, line: int) -> tuple[str, tuple[str, int, str]]:
    """PhysiCell signal -> (mscabm signal, vocabulary reference)."""
    if text in _UNMAPPABLE_SIGNALS:
        raise RulesImportError(source, line, 2, f"{text!r} cannot be mapped: {_UNMAPPABLE_SIGNALS[text]}; "
                               f"allowed: {_SIGNALS_ALLOWED}")
    for prefix, why in _UNMAPPABLE_SIGNAL_PREFIXES.items():
        if text.startswith(prefix):
            raise RulesImportError(source, line, 2, f"{text!r} cannot be mapped: {why}; allowed: {_SIGNALS_ALLOWED}")
    if text.endswith(" gradient"):
        raise RulesImportError(source, line, 2, f"{text!r} cannot be mapped: gradients act in mscabm only through "
                               f"chemotaxis (the type's chemotaxis_field); allowed: {_SIGNALS_ALLOWED}")
    if text in ("contact with apoptotic cell", "contact with apoptotic cells", "contact with dead cell",
                "contact with dead cells"):
        return APOPTOTIC_SIGNAL, ("", 2, "")
    if text.startswith("contact with "):
        other = rename.get(text[len("contact with "):].strip(), text[len("contact with "):].strip())
        return f"contact:{other}", ("contact", 2, other)
    if text.startswith("custom:"):
        var = rename.get(text[len("custom:"):].strip(), text[len("custom:"):].strip())
        return VARIABLE_SIGNAL.format(var), ("variable", 2, var)
    name = rename.get(text, text)
    return f"field:{name}", ("field", 2, name)


def _behaviour(text: str, rename: dict[str, str], source: str, line: int) -> tuple[str, tuple[str, int, str]]:
    """PhysiCell behaviour -> (mscabm behaviour, vocabulary reference)."""
    if text in _FIXED_BEHAVIOURS:
        return _FIXED_BEHAVIOURS[text], ("", 4, "")
    if text in _UNMAPPABLE_BEHAVIOURS:
        raise RulesImportError(source, line, 4, f"{text!r} cannot be mapped: {_UNMAPPABLE_BEHAVIOURS[text]}; "
                               f"allowed: {_BEHAVIOURS_ALLOWED}")
    for prefix in ("transform to ", "transition to "):
        if text.startswith(prefix) and not text.startswith(prefix + "cell type "):
            target = text[len(prefix):].strip()
            return "", ("to_state", 4, rename.get(target, target))
    if text.startswith("attack ") and not text.startswith("attack cell type "):
        target = text[len("attack "):].strip()
        target = rename.get(target, target)
        return f"kill_{target}_per_min", ("kill", 4, target)
    for prefix in ("chemotactic response to ", "chemotactic sensitivity to "):
        if text.startswith(prefix):
            sub = text[len(prefix):].strip()
            return "chemotaxis_bias", ("chemotaxis", 4, rename.get(sub, sub))
    for prefix, why in _UNMAPPABLE_BEHAVIOUR_PREFIXES.items():
        if text.startswith(prefix):
            raise RulesImportError(source, line, 4, f"{text!r} cannot be mapped: {why}; allowed: {_BEHAVIOURS_ALLOWED}")
    for suffix, pattern in _SUBSTRATE_BEHAVIOURS:
        if text.endswith(suffix) and len(text) > len(suffix):
            sub = text[: -len(suffix)].strip()
            sub = rename.get(sub, sub)
            return pattern.format(sub), ("field", 4, sub)
    raise RulesImportError(source, line, 4, f"unknown PhysiCell behaviour {text!r}; allowed: {_BEHAVIOURS_ALLOWED}")


def _split(raw: str) -> list[str]:
    """PhysiCell's tokenising: commas, or tabs when that does not give 8 columns."""
    cols = raw.split(",")
    if len(cols) != len(COLUMNS):
        tabbed = raw.split("\t")
        if len(tabbed) == len(COLUMNS):
            cols = tabbed
    return [c.strip() for c in cols]


def parse_rules_csv(text: str, source: str = "cell_rules.csv", rename: dict[str, str] | None = None
                    ) -> list[ImportedRule]:
    """Parse a PhysiCell v3 rules CSV into mscabm rules (no vocabulary check yet).

    Parameters
    ----------
    text : str
        The CSV text. Lines are numbered from 1 (``\\n`` separated; a trailing ``\\r`` is dropped).
    source : str
        The file name used in messages and in each rule's ``source``.
    rename : dict of str to str, optional
        PhysiCell cell type / substrate name -> mscabm name (``--map``). A cell type may map to
        ``TYPE.STATE``.

    Returns
    -------
    list of ImportedRule
        In file order. Raises :class:`RulesImportError` for the first line that cannot be mapped.
    """
    rename = rename or {}
    out: list[ImportedRule] = []
    seen: dict[tuple[str, str, str], list[tuple[str, int]]] = {}  # (type, signal, behaviour) -> (state, line)
    first = True
    for lineno, raw in enumerate(text.split("\n"), start=1):
        raw = raw.rstrip("\r")
        if not raw.strip() or raw.lstrip().startswith("//"):
            continue
        cols = _split(raw)
        if first and len(cols) == len(COLUMNS) and cols[2].lower() in ("direction", "response"):
            first = False
            continue  # header row
        first = False
        if len(cols) != len(COLUMNS):
            hint = (" (9 columns is PhysiCell's v2 grammar with a base value: drop that column, mscabm takes the "
                    "base from [behaviours])") if len(cols) == 9 else ""
            raise RulesImportError(source, lineno, 0, f"{len(cols)} columns{hint}; allowed: {len(COLUMNS)} columns "
                                   f"({', '.join(COLUMNS)}), comma- or tab-separated, or a '//' comment")
        for k, value in enumerate(cols, start=1):
            if not value:
                raise RulesImportError(source, lineno, k, "empty column; allowed: a value in every column")
        ctype, sig_text, direction, beh_text, sat_text, half_text, hill_text, dead_text = cols
        mapped = rename.get(ctype, ctype)
        cell_type, _, state = mapped.partition(".")
        state = state or "*"
        if not cell_type:
            raise RulesImportError(source, lineno, 1, f"{mapped!r} names no cell type; allowed: TYPE or TYPE.STATE")
        refs = [("type", 1, cell_type)] + ([("state", 1, state)] if state != "*" else [])
        signal, sref = _signal(sig_text, rename, source, lineno)
        if direction not in ("increases", "decreases"):
            raise RulesImportError(source, lineno, 3, f"{direction!r} is not allowed; allowed: increases, decreases")
        behaviour, bref = _behaviour(beh_text, rename, source, lineno)
        if bref[0] == "to_state":
            target = bref[2]
            ttype, dot, tstate = target.partition(".")
            if dot:
                if ttype != cell_type:
                    raise RulesImportError(source, lineno, 4, f"{beh_text!r} ({target}) changes the cell type "
                                           f"{cell_type} to {ttype}: mscabm cells do not change type; allowed: a "
                                           f"state of {cell_type} (rename with --map 'OLD={cell_type}.STATE')")
                target = tstate
            if target == state:
                raise RulesImportError(source, lineno, 4, f"{beh_text!r}: {cell_type} cells already in state "
                                       f"{state!r} cannot switch to it; allowed: another state of {cell_type}")
            behaviour, bref = f"to_{target}_per_min", ("to_state", 4, target)
        saturation = _number(sat_text, source, lineno, 5, positive=False)
        if behaviour in FRACTION_BEHAVIOURS and saturation > 1.0:
            raise RulesImportError(source, lineno, 5, f"{sat_text} is out of range for {behaviour}; allowed: 0..1")
        half_max = _number(half_text, source, lineno, 6, positive=True)
        hill_power = _number(hill_text, source, lineno, 7, positive=True)
        dead = dead_text.lower()
        if dead in ("true", "false"):
            dead = "1" if dead == "true" else "0"
        if not _NUMBER.fullmatch(dead):
            raise RulesImportError(source, lineno, 8, f"{dead_text!r} is not allowed; allowed: 0 or false")
        if float(dead) != 0.0:
            raise RulesImportError(source, lineno, 8, f"{dead_text}: mscabm rules act on live cells only (dead "
                                   "cells are apoptotic bodies with no behaviours); allowed: 0 or false")
        earlier = seen.setdefault((cell_type, signal, behaviour), [])
        for other_state, other in earlier:
            if other_state == state or "*" in (other_state, state):
                raise RulesImportError(source, lineno, 2, f"{sig_text!r} already acts on {beh_text!r} of "
                                       f"{ctype} on line {other}; allowed: one rule per signal and behaviour")
        earlier.append((state, lineno))
        name = f"physicell_line{lineno}_{_slug(cell_type)}" + (f"_{_slug(state)}" if state != "*" else "") + \
            f"_{_slug(behaviour)}"  # unique: one rule per line
        rule = dict(cell_type=cell_type, state=state, signal=signal, direction=direction, behaviour=behaviour,
                    saturation=saturation, half_max=half_max, hill_power=hill_power, responds_to="high",
                    enabled=True, source=f"PhysiCell rules CSV {source}:{lineno}")
        refs += [r for r in (sref, bref) if r[0]]
        export = bref[2] if behaviour.startswith("export_") and bref[0] == "field" else ""
        out.append(ImportedRule(lineno, name, rule, refs, export))
    return out


def _check_refs(imp: ImportedRule, cfg, source: str) -> None:
    types = list(cfg.cells)
    fields = list(cfg.fields)
    rtype = imp.rule["cell_type"]
    hint = " (rename with --map 'OLD=NEW')"
    for kind, column, name in imp.refs:
        if kind == "type" and name not in types:
            raise RulesImportError(source, imp.line, column, f"{name!r} is not an mscabm cell type; allowed: "
                                   f"{', '.join(types)}, or TYPE.STATE{hint}")
        if kind == "state" and name not in cfg.states_of(rtype):
            raise RulesImportError(source, imp.line, column, f"{name!r} is not a state of {rtype}; allowed: "
                                   f"{', '.join(cfg.states_of(rtype))}{hint}")
        if kind in ("field", "chemotaxis") and name not in fields:
            raise RulesImportError(source, imp.line, column, f"substrate {name!r} is not an mscabm field; allowed: "
                                   f"{', '.join(fields)}{hint}")
        if kind == "chemotaxis" and name != cfg.cells[rtype].chemotaxis_field:
            chem = cfg.cells[rtype].chemotaxis_field
            raise RulesImportError(source, imp.line, column, f"{rtype} cells follow "
                                   f"{repr(chem) if chem else 'no field'} (cells.{rtype}.chemotaxis_field), not "
                                   f"{name!r}: mscabm's chemotaxis_bias weighs that one field's gradient; allowed: "
                                   f"{'chemotactic response to ' + chem if chem else 'none for ' + rtype}, or "
                                   "'migration bias'")
        if kind in ("contact", "kill"):
            ctype, dot, cstate = name.partition(".")
            if ctype not in types:
                raise RulesImportError(source, imp.line, column, f"{ctype!r} is not an mscabm cell type; allowed: "
                                       f"{', '.join(types)}{hint}")
            if dot and kind == "kill":
                raise RulesImportError(source, imp.line, column, f"mscabm kills by cell type, not state ({name!r}); "
                                       f"allowed: attack <TYPE>{hint}")
            if dot and cstate not in cfg.states_of(ctype):
                raise RulesImportError(source, imp.line, column, f"{cstate!r} is not a state of {ctype}; allowed: "
                                       f"{', '.join(cfg.states_of(ctype))}{hint}")
        if kind == "variable" and name not in cfg.cells[rtype].variables:
            declared = ", ".join(cfg.cells[rtype].variables) or "none declared"
            raise RulesImportError(source, imp.line, column, f"{name!r} is not a per-cell variable of {rtype} "
                                   f"([cells.{rtype}.variables]); allowed: {declared}{hint}")
        if kind == "to_state" and name not in cfg.states_of(rtype):
            why = (f"{name!r} is a cell type: mscabm cells do not change type" if name in types
                   else f"{name!r} is not a state of {rtype}")
            raise RulesImportError(source, imp.line, column, f"{why}; allowed: transition to one of "
                                   f"{', '.join(cfg.states_of(rtype))}{hint}")


def _warnings(imp: ImportedRule, cfg, rules: dict[str, dict]) -> list[str]:
    r = imp.rule
    t, b = r["cell_type"], r["behaviour"]
    states = cfg.states_of(t) if r["state"] == "*" else (r["state"],)
    where = f"line {imp.line}"
    out = []
    if b.startswith("secretion_"):
        f = b[len("secretion_"):-len("_per_min")]
        target = f"saturation_{f}"
        has_base = any(cfg.behaviours.get(t, {}).get(s, {}).get(target, 0.0) > 0 for s in states)
        has_rule = any(o["cell_type"] == t and o["behaviour"] == target for o in rules.values())
        if not (has_base or has_rule):
            out.append(f"{where}: {t} secretes {f} toward its {target}, which is 0 (no secretion): add "
                       f"[behaviours.{t}.<state>] {target} or a '{f} secretion target' rule (or use '{f} export')")
    if b in ("speed_um_per_min", "persistence_min", "chemotaxis_bias") and cfg.cells[t].adherent:
        out.append(f"{where}: {t} is adherent (cells.{t}.adherent): it does not migrate, so this rule has no effect")
    elif b == "chemotaxis_bias" and not cfg.cells[t].chemotaxis_field:
        out.append(f"{where}: {t} has no chemotaxis field (cells.{t}.chemotaxis_field): its chemotaxis_bias has "
                   "no effect")
    return out


def _locate(exc: ConfigError, imported: list[ImportedRule], source: str) -> RulesImportError | None:
    """The CSV line (and column) of a config error raised on an imported rule, else None."""
    for imp in imported:
        prefix = f"rules.{imp.name}"
        if exc.path == prefix or exc.path.startswith(prefix + "."):
            key = exc.path[len(prefix) + 1:]
            message = exc.message
            for other in imported:
                message = message.replace(f"'{other.name}'", f"'{other.name}' (line {other.line})")
            if key == "saturation" and imp.export_field:
                message += (f" (the CSV's {imp.rule['saturation']:g} field-unit x um^3/min of export, in "
                            "molecules/min)")
            return RulesImportError(source, imp.line, _KEY_COLUMN.get(key, 0), f"{exc.path}: {message}")
    return None


def resolve_rules(imported: list[ImportedRule], base: dict | None = None, source: str = "cell_rules.csv"
                  ) -> tuple[dict[str, dict], list[str]]:
    """Check imported rules against a vocabulary and the config checks.

    Parameters
    ----------
    imported : list of ImportedRule
        From :func:`parse_rules_csv`.
    base : dict, optional
        Plain config data the rules are merged into (default: the built-in default).
    source : str
        The file name used in messages.

    Returns
    -------
    rules : dict of str to dict
        ``[rules.<name>]`` tables, exports converted to molecules/min.
    warnings : list of str
        Rules that load but do nothing as configured (secretion without a target, migration of an
        adherent type, bias without a chemotaxis field).

    Raises :class:`RulesImportError` naming the CSV line of the first rule the config refuses.
    """
    base = default_config_dict() if base is None else base
    cfg = build_config(base)  # an invalid base is the base's error, with its own key path
    rules: dict[str, dict] = {}
    for imp in imported:
        _check_refs(imp, cfg, source)
        rule = dict(imp.rule)
        if imp.export_field:
            rule["saturation"] = rule["saturation"] / molecules_to_amount(cfg.fields[imp.export_field].unit)
        rules[imp.name] = rule
    try:
        build_config(merge(base, {"rules": rules}))
    except ConfigError as exc:
        located = _locate(exc, imported, source)
        if located is not None:
            raise located from None
        # a whole-config check (e.g. model.dt_min vs a rule's speed): the first prefix of rules that fails
        lo, hi = 0, len(imported)  # prefix of length lo passes, of length hi fails
        while hi - lo > 1:
            mid = (lo + hi) // 2
            try:
                build_config(merge(base, {"rules": dict(list(rules.items())[:mid])}))
                lo = mid
            except ConfigError:
                hi = mid
        culprit = imported[hi - 1]
        raise RulesImportError(source, culprit.line, 0, f"with this rule, {exc}") from None
    warnings = [w for imp in imported for w in _warnings(imp, cfg, {**base.get("rules", {}), **rules})]
    return rules, warnings


def rules_to_toml(rules: dict[str, dict], source: str = "cell_rules.csv") -> str:
    """``[rules.<name>]`` TOML text (a config file that only adds rules), with a header comment."""
    head = (f"# mscabm rules imported from the PhysiCell rules CSV {source} (v3 grammar) by `mscabm import-rules`.\n"
            "# A config file of rules only: `mscabm validate FILE`, `mscabm run FILE`, or copy the tables into a "
            "config.\n"
            "# Units as in PhysiCell: times in min, rates in 1/min, speeds in um/min; concentrations in each field's "
            "unit.\n\n")
    return head + tomli_w.dumps({"rules": rules})


def read_rules_csv(path: str | Path) -> str:
    """The text of a rules CSV (UTF-8, a byte-order mark dropped); ConfigError if unreadable."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(str(path), "rules CSV not found")
    try:
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start}); allowed: a UTF-8 CSV") \
            from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read: {exc.strerror or exc}") from None


def import_rules(text: str, source: str = "cell_rules.csv", renames: list[str] | tuple[str, ...] = (),
                 config: str | Path | None = None) -> tuple[str, dict[str, dict], list[str]]:
    """CSV text -> (TOML text, rules, warnings), checked against ``config`` (file or preset) or the default."""
    base = default_config_dict()
    if config is not None:
        base = merge(base, read_toml(resolve_path(config)))
    imported = parse_rules_csv(text, source, parse_renames(renames))
    if not imported:
        raise RulesImportError(source, 0, 0, "no rules (only comments, blank lines or a header); allowed: at least "
                               f"one line of {len(COLUMNS)} columns ({', '.join(COLUMNS)})")
    rules, warnings = resolve_rules(imported, base, source)
    return rules_to_toml(rules, source), rules, warnings
