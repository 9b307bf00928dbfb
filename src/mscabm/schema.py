"""Typed, validated dataclass schemas: parse nested dicts (from TOML) with key paths in errors.

Each dataclass field may carry ``metadata`` with ``min``/``max`` (inclusive bounds),
``gt`` (exclusive lower bound), ``choices``, ``unit`` and ``doc``; strings also ``nonempty``
and ``pattern`` (a regular expression the whole string must match, described by
``pattern_doc``); lists ``min_items``/``max_items`` (and ``value_meta`` for their items); any
field ``parser``, a function ``(value, path) -> parsed`` used instead of the type's checks.
:func:`parse` checks unknown keys, types (no bool where a number is expected, no NaN/inf),
bounds and choices, and raises :class:`ConfigError` naming the key path and the allowed range.

Besides ``bool``, ``int``, ``float``, ``str``, ``list[...]``, ``dict[str, ...]`` and
dataclasses, a type may be a ``Literal[...]`` of strings (its values are the choices) or a
union: ``int | float`` keeps an integer an integer and a float a float, ``X | None`` makes an
optional field (``None`` is its default, never a value from TOML), and a union of scalars,
lists and tables (e.g. ``bool | int | float | str | list[...]``) takes the member that matches
the value's kind.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import types
import typing
from typing import Any, get_args, get_origin


def _cut(text: str, limit: int) -> str:
    """``text`` shortened to about ``limit`` characters (head ... tail), saying how long it was."""
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]}...[{len(text)} characters]...{text[-keep // 2:]}"


class ConfigError(ValueError):
    """A configuration value is unknown, mistyped, out of range or inconsistent.

    The key path and message are cut to :data:`MAX_PATH_CHARS` and :data:`MAX_MESSAGE_CHARS`
    characters, so a huge bad value or key never makes a huge message."""

    MAX_PATH_CHARS = 200
    MAX_MESSAGE_CHARS = 4000  # room for a whole list of allowed names (125 readouts of a disease preset: ~1,900)

    def __init__(self, path: str, message: str) -> None:
        path, message = _cut(str(path), self.MAX_PATH_CHARS), _cut(str(message), self.MAX_MESSAGE_CHARS)
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


REQUIRED: Any = dataclasses.MISSING


def option(default: Any = REQUIRED, *, default_factory: Any = dataclasses.MISSING, **meta: Any) -> Any:
    """A dataclass field with schema ``metadata`` (see the module docstring); no default: required."""
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    if default is REQUIRED:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def join_path(path: str, key: str | int) -> str:
    """The key path of ``key`` under ``path``: ``a.b``, or ``a[3]`` for a list index."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


_join = join_path


def describe_range(meta: typing.Mapping[str, Any]) -> str:
    """Human text for a field's allowed range, e.g. '> 0 um' or 'one of zero_flux, periodic'."""
    if "choices" in meta:
        return "one of " + ", ".join(map(str, meta["choices"]))
    if "pattern" in meta:
        return meta.get("pattern_doc") or f"a string matching {meta['pattern']}"
    parts = []
    if "gt" in meta:
        parts.append(f"> {meta['gt']}")
    if "min" in meta:
        parts.append(f">= {meta['min']}")
    if "max" in meta:
        parts.append(f"<= {meta['max']}")
    text = " and ".join(parts) or "any value"
    if meta.get("unit"):
        text += f" ({meta['unit']})"
    return text


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _allowed(meta: typing.Mapping[str, Any]) -> str:
    """'; allowed: <range>' where the field has a range or choices, else ''."""
    text = describe_range(meta)
    return "" if text.startswith("any value") else f"; allowed: {text}"


def _check_scalar(value: Any, tp: type, meta: typing.Mapping[str, Any], path: str) -> Any:
    given = value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(path, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer() and math.isfinite(value):
                value = int(value)
            else:
                raise ConfigError(path, f"expected an integer, got {value!r}{_allowed(meta)}")
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(path, f"expected a number, got {value!r}{_allowed(meta)}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(path, f"expected a finite number, got {value!r}; allowed: {describe_range(meta)}")
    elif tp is str:
        if not isinstance(value, str):
            raise ConfigError(path, f"expected a string, got {value!r}{_allowed(meta)}")
    else:  # pragma: no cover - schema bug
        raise TypeError(f"unsupported schema type {tp}")
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(path, f"{value!r} is not allowed; allowed: {describe_range(meta)}")
    if tp is str:
        if meta.get("nonempty") and not value.strip():
            raise ConfigError(path, "must not be empty")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            raise ConfigError(path, f"{value!r} is not allowed; allowed: {describe_range(meta)}")
    if tp in (int, float):
        bad = ("gt" in meta and not value > meta["gt"]) or ("min" in meta and value < meta["min"]) or (
            "max" in meta and value > meta["max"]
        )
        if bad:
            raise ConfigError(path, f"{given!r} is out of range; allowed: {describe_range(meta)}")
    return value


# a value's kind -> union members that may take it, in order of preference
_KIND_ORDER: dict[str, tuple[str, ...]] = {"bool": ("bool",), "int": ("int", "float"), "float": ("float", "int"),
                                           "str": ("str", "literal"), "list": ("list",), "dict": ("dict", "dataclass")}
_KIND_TEXT = {"bool": "true or false", "int": "an integer", "float": "a number", "str": "a string",
              "literal": "a string", "list": "a list", "dict": "a table", "dataclass": "a table"}


def _kind_of_type(tp: Any) -> str:
    origin = get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return "dataclass"
    if origin is typing.Literal:
        return "literal"
    if origin in (list, dict):
        return origin.__name__
    return _type_name(tp)


def _kind_of_value(value: Any) -> str:
    for kind, tp in (("bool", bool), ("int", int), ("float", float), ("str", str), ("list", list), ("dict", dict)):
        if isinstance(value, tp):
            return kind
    return ""


def _union_member(members: tuple, value: Any) -> Any:
    kinds = {_kind_of_type(m): m for m in members}
    for kind in _KIND_ORDER.get(_kind_of_value(value), ()):
        if kind in kinds:
            return kinds[kind]
    return None


def parse(tp: Any, value: Any, path: str = "", meta: typing.Mapping[str, Any] | None = None) -> Any:
    """Convert ``value`` (plain data from TOML) into an instance of type annotation ``tp``."""
    meta = meta or {}
    if "parser" in meta:
        return meta["parser"](value, path)
    origin = get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(path, f"expected a table, got {value!r}")
        hints = type_hints(typing.cast(type, tp))
        fields = {f.name: f for f in dataclasses.fields(tp) if f.init}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise ConfigError(_join(path, unknown[0]), f"unknown key; allowed keys: {', '.join(fields)}")
        kwargs = {}
        for name, f in fields.items():
            sub = _join(path, name)
            if name in value:
                kwargs[name] = parse(hints[name], value[name], sub, f.metadata)
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(sub, "required key is missing")
        return typing.cast(Any, tp)(**kwargs)
    if origin is dict:
        key_tp, val_tp = get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(path, f"expected a table, got {value!r}")
        allowed = meta.get("keys")
        out = {}
        for k, v in value.items():
            if allowed is not None and k not in allowed:
                raise ConfigError(_join(path, k), f"unknown name; allowed: {', '.join(allowed)}")
            out[k] = parse(val_tp, v, _join(path, k), meta.get("value_meta", {}))
        return out
    if origin is list:
        (item_tp,) = get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(path, f"expected a list, got {value!r}")
        lo, hi = meta.get("min_items", 0), meta.get("max_items")
        if len(value) < lo or (hi is not None and len(value) > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
            form = f" ({meta['form']})" if "form" in meta else ""
            raise ConfigError(path, f"expected {want} item(s){form}, got {len(value)}")
        return [parse(item_tp, v, _join(path, i), meta.get("value_meta", {})) for i, v in enumerate(value)]
    if origin is typing.Literal:
        return _check_scalar(value, str, {**meta, "choices": get_args(tp)}, path)
    if origin in (typing.Union, types.UnionType):
        members = tuple(m for m in get_args(tp) if m is not type(None))
        member = _union_member(members, value)
        if member is None:
            kinds = list(dict.fromkeys(_KIND_TEXT[_kind_of_type(m)] for m in members))
            want = ", ".join(kinds[:-1]) + " or " + kinds[-1] if len(kinds) > 1 else kinds[0]
            raise ConfigError(path, f"expected {want}, got {value!r}")
        return parse(member, value, path, meta)
    return _check_scalar(value, tp, meta, path)


@functools.cache
def type_hints(tp: type) -> dict[str, Any]:
    """``typing.get_type_hints`` of a dataclass, resolved once (each resolution evaluates every
    annotation string; the config parser asks for them thousands of times per load)."""
    return typing.get_type_hints(tp)


def type_at(tp: Any, keys: typing.Sequence[str]) -> Any:
    """The type annotation found at the dotted path ``keys`` below ``tp`` (through dataclass fields
    and ``dict`` values), or None where the path leaves the schema."""
    for k in keys:
        if dataclasses.is_dataclass(tp):
            tp = type_hints(typing.cast(type, tp)).get(k) if k in {f.name for f in dataclasses.fields(tp)} else None
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
        if tp is None:
            return None
    return tp


def is_name_map(tp: Any) -> bool:
    """Whether ``tp`` is a free table of names to plain values (``dict[str, float]``: state
    fractions, supplements, one state's behaviours), as opposed to a section of fixed keys."""
    return get_origin(tp) is dict and get_args(tp)[1] in (bool, int, float, str)


def to_dict(obj: Any) -> Any:
    """Dataclass tree -> plain dicts/lists (TOML-ready)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_dict(v) for v in obj]
    return obj


def field_table(tp: Any) -> list[tuple[str, str, Any, str, str]]:
    """(key, type, default, allowed range, doc) for each field of a dataclass, for docs."""
    rows = []
    hints = typing.get_type_hints(tp)
    for f in dataclasses.fields(tp):
        default = f.default if f.default is not dataclasses.MISSING else None
        rows.append((f.name, _type_name(hints[f.name]), default, describe_range(f.metadata), f.metadata.get("doc", "")))
    return rows
