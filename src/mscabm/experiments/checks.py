"""Shared pieces of the experiment-spec schema (the bottom layer of ``mscabm.experiments``).

Specs are checked by the config's schema machinery (:mod:`mscabm.schema`: dataclasses whose
field metadata gives ranges, choices and docs; :func:`~mscabm.schema.parse` raises
:class:`~mscabm.schema.ConfigError` with the key path and the allowed range). This module
holds what several spec sections share: the name rule, the value types of ``set`` tables and
their parser, dotted-key reads, and the "key not used here" error.
"""

from __future__ import annotations

from typing import Any

from mscabm.schema import ConfigError, join_path, parse

__all__ = ["NAME", "KEY", "Scalar", "SetValue", "parse_set_table", "not_used", "join_path"]

#: metadata of a name (experiment, factor, parameter, readout): a Python-like identifier
NAME: dict[str, Any] = {"pattern": r"[A-Za-z_][A-Za-z0-9_]*",
                        "pattern_doc": "a name: letters, digits and _ (not starting with a digit)"}
#: metadata of a dotted config key in a list of keys
KEY: dict[str, Any] = {"value_meta": {"nonempty": True}, "min_items": 1}

Scalar = bool | int | float | str
#: a value in a ``set`` table: a scalar, or a list of scalars or small tables (knock-out lists,
#: infusions); the config then checks what the key allows
SetValue = bool | int | float | str | list[bool | int | float | str | dict[str, bool | int | float | str]]


def parse_set_table(value: Any, path: str) -> dict[str, Any]:
    """A ``set`` table: dotted config key -> value. Nested TOML tables are flattened to dotted keys.

    ``value``: the table as read from TOML; ``path``: its key path (for errors). Returns a new
    dict, keys in document order.
    """
    if not isinstance(value, dict):
        raise ConfigError(path, f"expected a table, got {value!r}")
    out: dict[str, Any] = {}

    def walk(node: dict, prefix: str) -> None:
        for k, val in node.items():
            key = f"{prefix}.{k}" if prefix else k
            if any(not part for part in key.split(".")):
                raise ConfigError(join_path(path, key), "bad key path")
            if isinstance(val, dict):
                walk(val, key)
            else:
                out[key] = parse(SetValue, val, join_path(path, key))

    walk(value, "")
    return out


def not_used(doc: Any, path: str, keys: tuple[str, ...], by: str, allowed: tuple[str, ...]) -> None:
    """Raise for the first of ``keys`` that ``doc`` (a parsed section) sets although ``by`` does not use it."""
    for k in keys:
        if getattr(doc, k) is not None:
            raise ConfigError(join_path(path, k), f"not used by {by}; allowed keys: {', '.join(allowed)}")
