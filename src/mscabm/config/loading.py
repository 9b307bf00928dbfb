"""Loading a configuration: the built-in default, presets, ``extends``, overrides, one TOML reader.

A config file is a set of overrides on the built-in default (:func:`default_config_dict`,
built from the biology tables), so ``mscabm run`` needs no file and a preset only names
what it changes. A file may start from another one with ``extends = "NAME"`` (a preset name
or a path, relative to the file): the chain is deep-merged, the file's own tables last.
"""

from __future__ import annotations

import copy
import importlib.resources
import tomllib
from pathlib import Path
from typing import Any

from mscabm.biology.celltypes import BASE_BEHAVIOURS, CELL_TYPES, VARIABLES_BY_TYPE
from mscabm.biology.enzymes import ENZYMES
from mscabm.biology.fields import FIELDS
from mscabm.biology.rules import DEFAULT_RULES
from mscabm.config.sections import DomainSection, InterventionSection, ModelSection, OutputSection
from mscabm.config.tree import Config
from mscabm.schema import ConfigError, is_name_map, parse, to_dict, type_at

__all__ = ["default_config_dict", "merge", "parse_value", "set_path", "get_path", "paths_overlap",
           "apply_override", "build_config",
           "read_toml", "read_config_file", "resolve_path", "load_config", "preset_names", "check_depth", "MAX_DEPTH",
           "PRESET_DIR", "PRESETS"]

#: the built-in presets, package data (``src/mscabm/presets/``), found in a wheel as in a checkout
PRESETS = importlib.resources.files("mscabm") / "presets"
PRESET_DIR = Path(str(PRESETS))

#: M: a PBMC-like well-bottom mix (~45% CD4, ~18% CD8, ~9% B, ~7% NK, ~7% monocyte/macrophage of
#: mononuclear cells, textbook proportions), mature allogeneic DCs as the MLR stimulus, MSC:responder ~1:30
_DEFAULT_COUNTS = {"MSC": 100, "T": 2000, "CD8": 800, "B": 400, "NK": 300, "DC": 60, "MAC": 300, "TISSUE": 0}
#: M: ~5-10% of blood CD4 T cells are FoxP3+ Tregs (textbook)
_DEFAULT_STATE_FRACTIONS = {"T": {"Treg": 0.07}}
_DEFAULT_INITIAL_STATE = {"DC": "mature"}  # antigen-presenting DCs drive the response (MLR-like stimulus, M)


def default_config_dict() -> dict[str, Any]:
    """The complete built-in default as plain data (biology tables -> config)."""
    cells = {}
    for name, spec in CELL_TYPES.items():
        cells[name] = dict(states=list(spec.states), count=_DEFAULT_COUNTS.get(name, 0),
                           initial_state=_DEFAULT_INITIAL_STATE.get(name, spec.states[0]),
                           placement="uniform", radius_um=spec.radius_um, apoptosis_min=spec.apoptosis_min,
                           adherent=spec.adherent, chemotaxis_field=spec.chemotaxis_field,
                           state_fractions=dict(_DEFAULT_STATE_FRACTIONS.get(name, {})),
                           variables={v: {**d, "scales": list(d["scales"])}
                                      for v, d in VARIABLES_BY_TYPE.get(name, {}).items()})
    fields = {name: dict(diffusion_um2_per_min=f.diffusion_um2_per_min, decay_per_min=f.decay_per_min,
                         initial=f.initial, supply_per_min=0.0, boundary="zero_flux", boundary_value=0.0,
                         unit=f.unit)
              for name, f in FIELDS.items()}
    behaviours = {t: {s: {b: v for b, (v, _src) in vals.items()} for s, vals in states.items()}
                  for t, states in BASE_BEHAVIOURS.items()}
    rules = {k: dict(v) for k, v in DEFAULT_RULES.items()}
    return {"model": to_dict(ModelSection()), "domain": to_dict(DomainSection()), "output": to_dict(OutputSection()),
            "cells": cells, "fields": fields, "behaviours": behaviours, "rules": rules,
            "enzymes": {e.name: dict(substrate=e.substrate, product=e.product, km=e.km, source=e.source)
                        for e in ENZYMES.values()},
            "interventions": to_dict(InterventionSection())}


#: deepest nesting of tables and arrays a config, spec or --set value may have (the built-in
#: default nests 5 levels: ``cells.T.variables.IDO.scales``); deeper documents are refused before
#: anything recursive (merge, deepcopy, the schema parser) walks them
MAX_DEPTH = 32


def check_depth(doc: Any, where: str, limit: int = MAX_DEPTH) -> None:
    """Refuse ``doc`` (plain TOML data) if its tables and arrays nest deeper than ``limit``
    (walked without recursion, so any depth is measured safely)."""
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise ConfigError(where, f"nested {depth}+ levels deep; allowed: tables and arrays nested at most "
                                     f"{limit} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def _short(value: object, limit: int = 60) -> str:
    """A user's value cut to ``limit`` characters for an error message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def merge(base: dict, override: dict, _path: str = "") -> dict:
    """Deep-merge ``override`` into a copy of ``base`` (tables merge, other values replace).

    A table cannot be replaced by a value (``model = 5``): that is a ConfigError naming the key."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        where = f"{_path}.{k}" if _path else str(k)
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v, where)
        elif isinstance(out.get(k), dict):
            raise ConfigError(where, f"is a table, got the value {_short(v)}; allowed: a table of its keys "
                                     f"({', '.join(list(out[k])[:8])}{', ...' if len(out[k]) > 8 else ''})")
        else:
            out[k] = copy.deepcopy(v)
    return out


def parse_value(text: str) -> Any:
    """A --set value: TOML syntax (numbers, true/false, "strings", [lists], {inline tables}); bare words
    are strings. One value only: text that parses as further TOML lines (``"a"\\nseed = 3``) is refused."""
    try:
        doc = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        if "\n" in text or "\r" in text:
            raise ConfigError("--set", f"value {_short(text)} spans lines; allowed: one TOML value on one line "
                                       "(or a quoted multi-line string)") from None
        return text
    except ValueError as exc:  # e.g. an integer of more than 4300 digits (Python's conversion limit)
        raise ConfigError("--set", f"value not readable ({str(exc)[:120]}); allowed: numbers of at most "
                                   "4300 digits, true/false, \"strings\", [lists]") from None
    except RecursionError:
        raise ConfigError("--set", "value nested too deeply; allowed: lists and tables nested a few levels") from None
    if set(doc) != {"v"}:
        raise ConfigError("--set", f"value {_short(text)} holds more than one TOML value (extra keys "
                                   f"{', '.join(sorted(k for k in doc if k != 'v'))[:60]}); allowed: one value, "
                                   "one --set per key")
    check_depth(doc["v"], "--set")
    return doc["v"]


def set_path(data: dict, dotted: str, value: Any) -> dict:
    """Set ``data[a][b][c] = value`` for ``dotted = "a.b.c"`` (plain config data, in place).

    A table value merges into a section of fixed keys (``cells.MSC={count=5}`` sets ``cells.MSC.count``
    and keeps the rest) and replaces a free table of names (``cells.T.state_fractions={Treg=0.2}`` is
    then exactly that, as in a config file; likewise supplements, inflammation, one state's
    behaviours); the empty table clears either. A plain value cannot replace a table (ConfigError
    naming the key)."""
    keys = dotted.strip().split(".")
    if not keys or any(not k for k in keys):
        raise ConfigError("--set", f"bad key path {_short(dotted)}")
    if len(keys) > MAX_DEPTH:
        raise ConfigError("--set", f"key path {_short(dotted)} has {len(keys)} parts; allowed: at most {MAX_DEPTH}")
    node = data
    for i, k in enumerate(keys[:-1]):
        nxt = node.get(k)
        if nxt is None:
            nxt = node[k] = {}
        if not isinstance(nxt, dict):
            raise ConfigError(".".join(keys[: i + 1]), "is a value, not a table")
        node = nxt
    last = keys[-1]
    if value == {} or (isinstance(value, dict) and is_name_map(type_at(Config, keys))):
        node[last] = copy.deepcopy(value)
    elif isinstance(node.get(last), dict) or isinstance(value, dict):
        merged = merge({last: node.get(last, {})} if isinstance(node.get(last), dict) else {}, {last: value},
                       ".".join(keys[:-1]))
        node[last] = merged[last]
    else:
        node[last] = copy.deepcopy(value)
    return data


def get_path(data: dict, dotted: str) -> Any:
    """``data[a][b][c]`` for ``dotted = "a.b.c"``, or None where a key is missing (the reading
    counterpart of :func:`set_path`)."""
    node: Any = data
    for k in dotted.split("."):
        if not isinstance(node, dict) or k not in node:
            return None
        node = node[k]
    return node


def paths_overlap(a: str, b: str) -> bool:
    """Whether dotted keys ``a`` and ``b`` address the same value or one lies inside the other
    (``cells.T`` and ``cells.T.count``): setting one changes what the other reads."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def apply_override(data: dict, assignment: str) -> dict:
    """Apply one ``section.key=value`` assignment (value in TOML syntax) to plain config data."""
    if "=" not in assignment:
        raise ConfigError("--set", f"expected section.key=value, got {assignment!r}")
    path, _, raw = assignment.partition("=")
    return set_path(data, path, parse_value(raw.strip()))


def build_config(data: dict) -> Config:
    """Validate plain data (already merged onto the default) into a checked :class:`Config`."""
    return parse(Config, data).check()


def read_toml(path: str | Path) -> dict:
    """The one TOML reader: a file's tables as plain data; a missing or malformed file is a ConfigError."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(str(path), "config file not found")
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ConfigError(str(path), f"not readable ({str(exc)[:120]}); allowed: numbers of at most 4300 "
                                     "digits") from None
    except RecursionError:
        raise ConfigError(str(path), "nested too deeply; allowed: tables nested a few levels") from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    check_depth(doc, str(path))
    return doc


def preset_names() -> list[str]:
    """The built-in presets shipped with the package (``mscabm/presets/*.toml``), sorted."""
    return sorted(p.name[:-5] for p in PRESETS.iterdir() if p.name.endswith(".toml"))


def resolve_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A config path (relative to the working folder, or to ``relative_to`` when given and the file
    is there), or the name of a built-in preset (e.g. 'coculture')."""
    p = Path(name_or_path)
    if relative_to is not None and not p.is_absolute() and (relative_to / p).is_file():
        return relative_to / p
    if p.is_file():
        return p
    preset = PRESET_DIR / f"{name_or_path}.toml"
    if preset.is_file():
        return preset
    return p


#: longest ``extends`` chain
MAX_EXTENDS = 16


def read_config_file(path: str | Path) -> dict:
    """A config file's data with its ``extends`` chain merged in: ``extends = "NAME"`` (a preset name or a
    path relative to the file) names the config it starts from; its own tables override that one's."""
    chain: list[Path] = []
    docs: list[dict] = []
    p = resolve_path(path)
    while True:
        if len(chain) >= MAX_EXTENDS:
            raise ConfigError(f"{chain[0]}: extends",
                              f"chain longer than {MAX_EXTENDS} files; allowed: <= {MAX_EXTENDS}")
        here = p.resolve()
        if here in chain:
            raise ConfigError(f"{p}: extends", "the chain comes back to this file: " + " -> ".join(
                c.name for c in [*chain, here]) + "; allowed: a chain without a cycle")
        chain.append(here)
        doc = read_toml(p)
        base = doc.pop("extends", None)
        docs.append(doc)
        if base is None:
            break
        if not isinstance(base, str) or not base:
            raise ConfigError(f"{p}: extends", f"expected a preset name or a file path, got {str(base)[:60]!r}")
        nxt = resolve_path(base, relative_to=p.parent)
        if not nxt.is_file():
            raise ConfigError(f"{p}: extends", f"{base[:60]!r} is neither a file nor a preset; allowed: a path "
                              f"(relative to {p.parent}) or one of {', '.join(preset_names())}")
        p = nxt
    data: dict = {}
    for doc in reversed(docs):
        data = merge(data, doc)
    return data


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = (),
                values: dict[str, Any] | None = None) -> Config:
    """Built-in default <- file (or preset name, with its ``extends`` chain) <- ``--set`` strings <-
    ``values`` (dotted key -> value)."""
    data = default_config_dict()
    if path is not None:
        data = merge(data, read_config_file(path))
    for assignment in overrides:
        apply_override(data, assignment)
    for dotted, value in (values or {}).items():
        set_path(data, dotted, value)
    return build_config(data)
