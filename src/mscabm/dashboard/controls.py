"""The dashboard's controls as data: presets, knock-outs, rule switches, and what is still missing.

New interventions appear in the page without UI code: a preset is a TOML file in ``configs/``,
a rule is a ``[rules.<name>]`` table of the config (each gets an on/off switch), and a knock-out
is a row of :data:`KNOCKOUTS`: a key pattern (``*`` matches one level) and the value it sets.
Patterns are expanded against the resolved config, so a knock-out only touches keys that exist.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from mscabm.config import PRESET_DIR, Config, ConfigError


@dataclass(frozen=True)
class Knockout:
    name: str
    label: str
    patterns: tuple[str, ...]
    value: Any = 0.0
    doc: str = ""


#: knock-outs and blockers as config overrides (add rows here; the page builds a switch per row)
KNOCKOUTS: tuple[Knockout, ...] = (
    Knockout("msc_pge2", "MSC PGE2 (COX-2 knock-out)", ("behaviours.MSC.*.export_PGE2_molecules_per_min",),
             doc="MSCs export no PGE2 in any state"),
    Knockout("msc_ido", "MSC IDO (tryptophan consumption)", ("behaviours.MSC.*.uptake_TRP_per_min",),
             doc="MSCs consume no tryptophan in any state"),
)

#: controls asked for by the dashboard issue whose mechanism is not in the model yet (biology issue);
#: shown disabled with this note, never faked
PENDING: tuple[tuple[str, str], ...] = (
    ("species", "species preset (human / mouse)"),
    ("transwell", "transwell (contact-free co-culture)"),
    ("licensing", "licensing pre-treatment (IFN-gamma / TNF-alpha primed MSCs)"),
    ("blockers", "blockers (antibodies, inhibitors)"),
    ("infusion", "infusion now (MSC dosing event)"),
    ("th17_treg", "Th17/Treg ratio readout"),
)

#: what each preset is, for the select box
DEFAULT_PRESET = "default"


def presets() -> list[str]:
    """The built-in default plus every ``configs/*.toml`` preset name."""
    names = sorted(p.stem for p in PRESET_DIR.glob("*.toml")) if PRESET_DIR.is_dir() else []
    return [DEFAULT_PRESET] + [n for n in names if n != DEFAULT_PRESET]


def _flatten(data: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def expand_knockout(ko: Knockout, config: Config) -> dict[str, Any]:
    """The dotted overrides a knock-out sets on this config (only keys that exist)."""
    flat = _flatten(config.to_dict())
    return {k: ko.value for k in flat for p in ko.patterns if fnmatch.fnmatchcase(k, p) and "." in k
            and k.count(".") == p.count(".")}


def rule_names(config: Config) -> list[str]:
    return list(config.rules)


def parse_extra(text: str) -> dict[str, Any]:
    """Free-form ``section.key = value`` lines (TOML values), as dotted overrides."""
    from mscabm.config import parse_value

    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise ConfigError("extra overrides", f"line {n}: expected section.key = value, got {line!r}")
        k, _, v = line.partition("=")
        out[k.strip()] = parse_value(v.strip())
    return out


@dataclass
class Settings:
    """Everything the page lets the user set; ``overrides()`` turns it into dotted config keys."""

    preset: str = DEFAULT_PRESET
    msc_count: int | None = None      # None: the preset's value
    t_count: int | None = None
    seed: int | None = None
    domain_um: float | None = None    # square domain side; None: the preset's
    knockouts: tuple[str, ...] = ()
    rules_off: tuple[str, ...] = ()
    extra: str = ""                    # free-form overrides, one per line
    steps_per_frame: int = 1
    overrides_extra: dict = field(default_factory=dict)  # programmatic (compare variants)

    def config_name(self) -> str | None:
        return None if self.preset == DEFAULT_PRESET else self.preset

    def overrides(self, base: Config) -> dict[str, Any]:
        """Dotted overrides on top of the preset ``base`` (raises ConfigError on bad input)."""
        o: dict[str, Any] = {}
        if self.msc_count is not None:
            o["cells.MSC.count"] = _int("MSC count", self.msc_count)
        if self.t_count is not None:
            o["cells.T.count"] = _int("T count", self.t_count)
        if self.seed is not None:
            o["model.seed"] = _int("seed", self.seed)
        if self.domain_um is not None:
            o["domain.width_um"] = o["domain.height_um"] = float(self.domain_um)
        known = {k.name: k for k in KNOCKOUTS}
        for name in self.knockouts:
            if name not in known:
                raise ConfigError("knockouts", f"unknown knock-out {name!r}; allowed: {', '.join(known)}")
            o.update(expand_knockout(known[name], base))
        for r in self.rules_off:
            if r not in base.rules:
                raise ConfigError(f"rules.{r}", f"unknown rule; allowed: {', '.join(base.rules)}")
            o[f"rules.{r}.enabled"] = False
        o.update(parse_extra(self.extra))
        o.update(self.overrides_extra)
        return o


def _int(label: str, v: Any) -> int:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ConfigError(label, f"{v!r} is not a number") from None
    if f != int(f):
        raise ConfigError(label, f"{v!r} is not a whole number")
    return int(f)


def resolve(settings: Settings) -> tuple[Config, dict[str, Any]]:
    """The checked config for these settings, and the overrides applied. Raises ConfigError."""
    from mscabm.config import load_config
    from mscabm.model import MSCModel

    base = load_config(settings.config_name())
    overrides = settings.overrides(base)
    cfg = MSCModel._resolve_config(base, overrides)
    return cfg, overrides
