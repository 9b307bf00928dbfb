"""The typed configuration: a complete built-in default, TOML in and out, presets, overrides, checks.

A config file is a set of overrides on the built-in default (``default_config_dict()``,
built from the biology tables), so ``mscabm run`` needs no file and a preset only names
what it changes; ``extends = "NAME"`` starts a file from another preset or file. Every value
is checked before a run starts: unknown keys, wrong types, non-finite numbers, values out of
range and unphysical combinations (cells that cannot fit in the domain, a voxel larger than
the domain, a rule naming an undeclared signal) raise :class:`ConfigError` with the key path
and the allowed range.

Units are in the key names: lengths ``_um``, times ``_min``, rates ``_per_min``;
concentrations are in each field's documented unit (``mscabm.biology.fields``).

Modules: ``sections`` (one dataclass per TOML table), ``tree`` (:class:`Config`: the
vocabulary it declares and the cross-field checks), ``loading`` (default, presets,
``extends``, overrides, the one TOML reader).
"""

from mscabm.config.loading import (
    PRESET_DIR,
    PRESETS,
    apply_override,
    build_config,
    default_config_dict,
    get_path,
    load_config,
    merge,
    parse_value,
    paths_overlap,
    preset_names,
    read_config_file,
    read_toml,
    resolve_path,
    set_path,
)
from mscabm.config.sections import (
    CellSection,
    DiseaseSection,
    DomainSection,
    DoseSection,
    FieldSection,
    InfluxSection,
    InfusionSection,
    InterventionSection,
    ModelSection,
    OutputSection,
    RuleSection,
    VariableSection,
)
from mscabm.config.tree import Config
from mscabm.schema import ConfigError
from mscabm.vocabulary import APOPTOTIC_SIGNAL, FRACTION_BEHAVIOURS

__all__ = ["Config", "ConfigError", "load_config", "default_config_dict", "apply_override", "set_path", "get_path",
           "paths_overlap",
           "merge", "parse_value", "read_toml", "read_config_file", "resolve_path", "build_config", "preset_names",
           "PRESET_DIR", "PRESETS", "CellSection", "DiseaseSection",
           "DomainSection", "DoseSection", "FieldSection", "InfluxSection", "InfusionSection", "InterventionSection",
           "ModelSection", "OutputSection", "RuleSection", "VariableSection", "APOPTOTIC_SIGNAL", "FRACTION_BEHAVIOURS"]
