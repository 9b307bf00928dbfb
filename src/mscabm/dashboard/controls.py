"""The dashboard's controls as data: presets, interventions, rule switches, and what is still missing.

New controls appear in the page without UI code:

* a preset is a TOML file in ``src/mscabm/presets/``;
* a rule is a ``[rules.<name>]`` table of the config (each gets an on/off switch);
* an intervention is a row of the tables in :mod:`mscabm.biology.interventions`: each MSC factor of
  ``MSC_FACTORS`` gets a knock-out switch, each drug of ``BLOCKERS`` a switch, each ``PRETREATMENTS``
  key an entry of the pre-treatment select, each cell type a depletion switch; the numeric ranges
  (immunosuppressant level, infusion count, dose level) come from the config's field metadata.
* an MSC-EV infusion is a dose of the field that MSCs release EVs into (``interventions.doses``,
  field :data:`EV_FIELD`), recorded like a cell infusion.

The settings hold ``None`` for "the preset's value"; a control that is touched sets the whole
config key (e.g. ``interventions.knockout = ["COX2"]``), and the model's config checks it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mscabm.biology.interventions import BLOCKERS, MSC_FACTORS, PRETREATMENTS, transgene_effect
from mscabm.config import PRESET_DIR, Config, ConfigError, InterventionSection, parse_value
from mscabm.schema import parse

#: Settings attributes that are ``interventions.<name>`` config keys (the page builds their controls
#: from the intervention tables). ``infusions`` holds the "Infuse MSCs now" events, ``doses`` the
#: "Dose MSC-EVs now" events.
INTERVENTION_KEYS: tuple[str, ...] = ("transwell", "prelicense", "knockout", "block", "deplete",
                                      "immunosuppressant", "infusions", "doses", "overexpress")

#: the field an MSC-EV infusion doses: the one MSCs export EVs into (the ``EV`` factor of MSC_FACTORS)
EV_FIELD: str = next(b[len("export_"):-len("_molecules_per_min")] for b in MSC_FACTORS["EV"]["behaviours"]
                     if b.startswith("export_"))

#: controls asked for by the dashboard issue whose mechanism is not in the model yet (biology issue);
#: shown disabled with this note, never faked
#: (empty now: the species presets `human` and `mouse` are in the preset menu)
PENDING: tuple[tuple[str, str], ...] = ()

DEFAULT_PRESET = "default"


#: environment variable naming extra preset folders (``os.pathsep``-separated): ``mscabm dashboard --presets DIR``
PRESETS_ENV = "MSCABM_DASHBOARD_PRESETS"


def user_presets() -> dict[str, Path]:
    """Preset name -> TOML file of the folders given with ``--presets`` (a user's own configs)."""
    out: dict[str, Path] = {}
    for folder in filter(None, os.environ.get(PRESETS_ENV, "").split(os.pathsep)):
        for f in sorted(Path(folder).glob("*.toml")):
            out.setdefault(f.stem, f)
    return out


def presets() -> list[str]:
    """The built-in default, every ``src/mscabm/presets/*.toml`` preset name, then the user's
    presets (:func:`user_presets`) not named like a built-in one."""
    names = sorted(p.stem for p in PRESET_DIR.glob("*.toml")) if PRESET_DIR.is_dir() else []
    builtin = [DEFAULT_PRESET] + [n for n in names if n != DEFAULT_PRESET]
    return builtin + [n for n in user_presets() if n not in builtin]


def intervention_meta(name: str) -> dict[str, Any]:
    """The config metadata (doc, min/max, choices) of ``interventions.<name>``."""
    for f in dataclasses.fields(InterventionSection):
        if f.name == name:
            return dict(f.metadata)
    raise KeyError(name)


#: words for a behaviour column's prefix (``export_PGE2_molecules_per_min`` -> "PGE2 release")
_BEHAVIOUR_WORDS = (("export_", "release"), ("vmax_", "enzyme activity"), ("produce_", "made"),
                    ("uptake_", "uptake"), ("secrete_", "release"))


def behaviour_words(name: str) -> str:
    """A behaviour column in words for a switch label: the substance and what the cell does with it."""
    for prefix, words in _BEHAVIOUR_WORDS:
        if name.startswith(prefix):
            substance = name[len(prefix):].split("_")[0]
            return f"{substance} {words}"
    return name


def signal_words(name: str) -> str:
    """A contact signal (``contact_level:MSC.CD274``) in words: "CD274 on contact"."""
    return f"{name.split(':', 1)[-1].split('.')[-1]} on contact"


def knockout_label(factor: str) -> str:
    """The knock-out switch's label, in words (the config names stay in the tooltip-free docs)."""
    spec = MSC_FACTORS[factor]
    parts = [f"MSC {behaviour_words(b)}" for b in spec["behaviours"]] + [signal_words(x) for x in spec["signals"]]
    return f"{factor} knock-out (no {', no '.join(parts)})"


def blocker_label(drug: str) -> str:
    """``BLOCKERS`` entries act as a factor knock-out (``factor``, in every cell with ``all_cells``)
    or neutralise fields (``neutralise``)."""
    spec = BLOCKERS[drug]
    parts = []
    if "factor" in spec:
        parts.append(f"blocks {spec['factor']}" + (" in every cell" if spec.get("all_cells") else " on MSCs"))
    if spec.get("neutralise"):
        parts.append("neutralises " + ", ".join(spec["neutralise"]))
    return f"{drug} ({'; '.join(parts)})"


def transgene_label(factor: str) -> str:
    """The gene-modified MSC box's label, in words (biology/interventions.py ``transgene_effect``)."""
    return f"{factor} transgene L: {transgene_effect(factor)}"


def dose_meta(name: str) -> dict[str, Any]:
    """The config metadata (doc, min/max, choices) of ``interventions.doses[].<name>``."""
    from mscabm.config import DoseSection

    for f in dataclasses.fields(DoseSection):
        if f.name == name:
            return dict(f.metadata)
    raise KeyError(name)


def transwell_label() -> str:
    return "transwell: MSCs on an insert ~1 mm above the well (fields cross the medium, no contact)"


def prelicense_choices() -> list[str]:
    return list(PRETREATMENTS)


def rule_names(config: Config) -> list[str]:
    return list(config.rules)


def parse_extra(text: str) -> dict[str, Any]:
    """Free-form ``section.key = value`` lines (TOML values), as dotted overrides."""

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


def toggled(current: list[str] | tuple[str, ...], item: str, on: bool) -> tuple[str, ...]:
    """``current`` with ``item`` added (on) or removed (off), sorted, for list-valued config keys."""
    s = set(current)
    return tuple(sorted(s | {item} if on else s - {item}))


@dataclass
class Settings:
    """Everything the page lets the user set; ``overrides()`` turns it into dotted config keys.

    ``None`` means "the preset's value" (nothing is overridden)."""

    preset: str = DEFAULT_PRESET
    msc_count: int | None = None
    t_count: int | None = None        # CD4 T cells
    cd8_count: int | None = None
    seed: int | None = None
    domain_um: float | None = None    # square domain side
    # interventions (INTERVENTION_KEYS): values of interventions.<name>
    transwell: bool | None = None
    prelicense: str | None = None
    knockout: tuple[str, ...] | None = None
    block: tuple[str, ...] | None = None
    deplete: tuple[str, ...] | None = None
    immunosuppressant: float | None = None
    infusions: tuple[dict, ...] | None = None
    doses: tuple[dict, ...] | None = None
    overexpress: tuple[tuple[str, float], ...] | None = None  # gene-modified MSCs: (factor, transgene level)
    rules_off: tuple[str, ...] = ()
    extra: str = ""                    # free-form overrides, one per line
    steps_per_frame: int = 1
    overrides_extra: dict = field(default_factory=dict)  # programmatic (compare variants)

    def config_name(self) -> str | None:
        """What ``load_config`` takes: None (built-in default), a preset name, or a user preset's path."""
        if self.preset == DEFAULT_PRESET:
            return None
        user = user_presets()
        if self.preset in user and not (PRESET_DIR / f"{self.preset}.toml").is_file():
            return str(user[self.preset])
        return self.preset

    def overrides(self, base: Config) -> dict[str, Any]:
        """Dotted overrides on top of the preset ``base`` (raises ConfigError on bad input)."""
        o: dict[str, Any] = {}
        if self.msc_count is not None:
            o["cells.MSC.count"] = _int("cells.MSC.count", self.msc_count)
        if self.t_count is not None:
            o["cells.T.count"] = _int("cells.T.count", self.t_count)
        if self.cd8_count is not None:
            o["cells.CD8.count"] = _int("cells.CD8.count", self.cd8_count)
        if self.seed is not None:
            o["model.seed"] = _int("model.seed", self.seed)
        if self.domain_um is not None:
            o["domain.width_um"] = o["domain.height_um"] = _float("domain.width_um", self.domain_um)
        for name in INTERVENTION_KEYS:
            v = getattr(self, name)
            if v is None:
                continue
            if name == "immunosuppressant":
                v = _float(f"interventions.{name}", v)
            if name == "overexpress":
                v = {f: _float(f"interventions.overexpress.{f}", x) for f, x in v}
            o[f"interventions.{name}"] = [dict(x) for x in v] if name in ("infusions", "doses") else (
                list(v) if isinstance(v, tuple) else v)
        for r in self.rules_off:
            if r not in base.rules:
                raise ConfigError(f"rules.{r}", f"unknown rule; allowed: {', '.join(base.rules)}")
            o[f"rules.{r}.enabled"] = False
        o.update(parse_extra(self.extra))
        o.update(self.overrides_extra)
        return o


def _int(label: str, v: Any) -> int:
    """A number box's value as an integer, checked like the config (``schema.parse``)."""
    return parse(int, _value(v), label)


def _value(v: Any) -> Any:
    """Text from a box in the ``--set`` value syntax (``parse_value``); numbers pass through."""
    return parse_value(v.strip()) if isinstance(v, str) else v


def _float(label: str, v: Any) -> float:
    """A number box's value as a float (``float(v)``: a box's text such as ``"1e3"`` too)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        raise ConfigError(label, f"{v!r} is not a number") from None


def resolve(settings: Settings) -> tuple[Config, dict[str, Any]]:
    """The checked config for these settings, and the overrides applied. Raises ConfigError."""
    from mscabm.config import load_config
    from mscabm.model import MSCModel

    base = load_config(settings.config_name())
    overrides = settings.overrides(base)
    cfg = MSCModel._resolve_config(base, overrides)
    return cfg, overrides
