"""Typed, validated dataclass schemas: parse nested dicts (from TOML) with key paths in errors.

Each dataclass field may carry ``metadata`` with ``min``/``max`` (inclusive bounds),
``gt`` (exclusive lower bound), ``choices``, ``unit`` and ``doc``. :func:`parse` checks
unknown keys, types (no bool where a number is expected, no NaN/inf), bounds and choices,
and raises :class:`ConfigError` naming the key path and the allowed range.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, get_args, get_origin


class ConfigError(ValueError):
    """A configuration value is unknown, mistyped, out of range or inconsistent."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def describe_range(meta: typing.Mapping[str, Any]) -> str:
    """Human text for a field's allowed range, e.g. '> 0 um' or 'one of zero_flux, periodic'."""
    if "choices" in meta:
        return "one of " + ", ".join(map(str, meta["choices"]))
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


def _check_scalar(value: Any, tp: type, meta: typing.Mapping[str, Any], path: str) -> Any:
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(path, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer() and math.isfinite(value):
                value = int(value)
            else:
                raise ConfigError(path, f"expected an integer, got {value!r}")
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(path, f"expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(path, f"expected a finite number, got {value!r}; allowed: {describe_range(meta)}")
    elif tp is str:
        if not isinstance(value, str):
            raise ConfigError(path, f"expected a string, got {value!r}")
    else:  # pragma: no cover - schema bug
        raise TypeError(f"unsupported schema type {tp}")
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(path, f"{value!r} is not allowed; allowed: {describe_range(meta)}")
    if tp in (int, float):
        bad = ("gt" in meta and not value > meta["gt"]) or ("min" in meta and value < meta["min"]) or (
            "max" in meta and value > meta["max"]
        )
        if bad:
            raise ConfigError(path, f"{value!r} is out of range; allowed: {describe_range(meta)}")
    return value


def parse(tp: Any, value: Any, path: str = "", meta: typing.Mapping[str, Any] | None = None) -> Any:
    """Convert ``value`` (plain data from TOML) into an instance of type annotation ``tp``."""
    meta = meta or {}
    origin = get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(path, f"expected a table, got {value!r}")
        hints = typing.get_type_hints(tp)
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
        return tp(**kwargs)
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
        return [parse(item_tp, v, _join(path, i), meta.get("value_meta", {})) for i, v in enumerate(value)]
    if origin in (typing.Union, types.UnionType):
        raise TypeError("unions are not supported in schemas")  # pragma: no cover
    return _check_scalar(value, tp, meta, path)


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
