"""The model's vocabulary: which cell types (with their states), fields and per-cell variables exist,
and the behaviour and signal names they imply.

Nothing here is biology: the built-in cell types and fields (``biology/``) are only the default
declaration, and a config may declare more (``[cells.<TYPE>] states = [...]``, ``[fields.<F>]``,
``[cells.<TYPE>.variables.<V>]``). Every name a rule, a behaviour table, an intervention or a
readout uses is checked against the vocabulary, so a new cell type, field or variable is a data
change.

Names (all case-sensitive):

- behaviours: ``cycle_rate_per_min``, ``death_rate_per_min``, ``speed_um_per_min``,
  ``persistence_min``, ``chemotaxis_bias``, ``kill_resistance``, ``phagocytosis_per_min``,
  ``kill_<TYPE>_per_min`` per type, per field ``export_<F>_molecules_per_min``,
  ``uptake_<F>_per_min``, ``secretion_<F>_per_min``, ``saturation_<F>``, per state
  ``to_<state>_per_min``, per variable ``produce_<V>_per_min``, per enzyme
  ``vmax_<E>_molecules_per_min``, per cell type ``become_<TYPE>_per_min`` (the rate of turning
  into a cell of that type: ``engine/transdifferentiation.py``);
- signals (columns of the signals matrix, in this order): ``field:<F>``, ``contact:<TYPE>``,
  ``contact:<TYPE>.<state>``, ``contact:apoptotic``, ``time_in_state``, ``var:<V>``, and per
  cell type and one of its variables ``contact_level:<TYPE>.<V>`` (the sum of ``V`` over the
  touching live cells of that type: a surface molecule whose effect scales with its expression,
  e.g. PD-L1).

A per-cell variable ``v`` of a cell type obeys ``dv/dt = p - k v`` with ``p`` its behaviour
``produce_<V>_per_min`` (a base value per state plus rules, like any behaviour) and ``k`` its
``decay_per_min``; it is a rule signal (``var:<V>``) and multiplies the behaviours it
``scales`` (e.g. an expression level scaling an enzyme's maximal rate).

An enzyme ``E`` (``[enzymes.<E>]``: substrate field, product field, Michaelis constant) turns
substrate into product at ``vmax_<E>_molecules_per_min x S / (Km + S)`` per cell, one product
molecule per substrate molecule (``engine/kernels/exchange.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

__all__ = ["behaviour_names", "signal_names", "check_name", "APOPTOTIC_SIGNAL", "RESERVED_TYPE_NAMES",
           "FIELD_BEHAVIOUR_PREFIXES", "MOTION_BEHAVIOURS", "LIFECYCLE_BEHAVIOURS", "CONTACT_BEHAVIOURS",
           "FRACTION_BEHAVIOURS", "STATE_SWITCH_BEHAVIOUR", "VARIABLE_BEHAVIOUR", "VARIABLE_SIGNAL",
           "CONTACT_LEVEL_SIGNAL", "ENZYME_BEHAVIOUR", "TYPE_SWITCH_BEHAVIOUR", "NAME_RE", "VARIABLE_NAME_RE",
           "name_in"]

FIELD_BEHAVIOUR_PREFIXES = ("export_{}_molecules_per_min", "uptake_{}_per_min", "secretion_{}_per_min",
                            "saturation_{}")
MOTION_BEHAVIOURS = ("speed_um_per_min", "persistence_min", "chemotaxis_bias")
LIFECYCLE_BEHAVIOURS = ("cycle_rate_per_min", "death_rate_per_min")
CONTACT_BEHAVIOURS = ("kill_resistance", "phagocytosis_per_min")
#: behaviours bounded to [0, 1]
FRACTION_BEHAVIOURS = ("chemotaxis_bias", "kill_resistance")
#: the rate of switching to a state (one per state name)
STATE_SWITCH_BEHAVIOUR = "to_{}_per_min"
#: the production rate of a per-cell variable, and the signal that reads it
VARIABLE_BEHAVIOUR = "produce_{}_per_min"
VARIABLE_SIGNAL = "var:{}"
#: the sum of a variable over the touching live cells of one type: contact_level:<TYPE>.<V>
CONTACT_LEVEL_SIGNAL = "contact_level:{}.{}"
#: the maximal rate of an enzyme in one cell
ENZYME_BEHAVIOUR = "vmax_{}_molecules_per_min"
#: the rate of turning into a cell of another type (transdifferentiation; one per type)
TYPE_SWITCH_BEHAVIOUR = "become_{}_per_min"
#: the contact-signal name of an apoptotic body (any type)
APOPTOTIC_SIGNAL = "contact:apoptotic"
#: names a cell type may not take: they are signal words already
RESERVED_TYPE_NAMES = ("apoptotic",)
#: cell types, states and fields: a letter, then letters and digits (readout columns such as
#: ``n_<TYPE>_<state>`` and ``mean_<F>_<unit>`` stay unambiguous without underscores)
NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,31}")
#: per-cell variables may also use underscores (``IDO_level``)
VARIABLE_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")


def check_name(name: str, what: str, pattern: re.Pattern = NAME_RE) -> str | None:
    """None if ``name`` is a valid ``what`` name, else the reason (for a ConfigError)."""
    if not isinstance(name, str) or not pattern.fullmatch(name):
        shown = name if isinstance(name, str) and len(name) <= 40 else f"{str(name)[:40]}..."
        extra = ", '_'" if pattern is VARIABLE_NAME_RE else ""
        return (f"{shown!r} cannot name a {what}; allowed: 1-32 characters, a letter then letters, digits{extra}")
    return None


def behaviour_names(field_names: Sequence[str], states_by_type: Mapping[str, Sequence[str]],
                    variable_names: Sequence[str] = (), enzyme_names: Sequence[str] = ()) -> list[str]:
    """Every behaviour a rule or base table may set, in column order of the behaviour matrix.

    ``states_by_type``: cell type -> its states, in declaration order; ``variable_names``: the
    per-cell variables of every type (each once); ``enzyme_names``: the declared enzymes.
    """
    names = list(LIFECYCLE_BEHAVIOURS) + list(MOTION_BEHAVIOURS) + list(CONTACT_BEHAVIOURS)
    names += [f"kill_{t}_per_min" for t in states_by_type]
    for f in field_names:
        names += [p.format(f) for p in FIELD_BEHAVIOUR_PREFIXES]
    states: list[str] = []
    for type_states in states_by_type.values():
        states += [s for s in type_states if s not in states]
    names += [STATE_SWITCH_BEHAVIOUR.format(s) for s in states]
    names += [VARIABLE_BEHAVIOUR.format(v) for v in variable_names]
    names += [ENZYME_BEHAVIOUR.format(e) for e in enzyme_names]
    names += [TYPE_SWITCH_BEHAVIOUR.format(t) for t in states_by_type]
    return names


def name_in(pattern: str, behaviour: str) -> str | None:
    """The name a behaviour pattern with one ``{}`` holds (``name_in(STATE_SWITCH_BEHAVIOUR,
    "to_Th1_per_min") == "Th1"``), or None where ``behaviour`` does not follow the pattern."""
    prefix, suffix = pattern.split("{}")
    if len(behaviour) > len(prefix) + len(suffix) and behaviour.startswith(prefix) and behaviour.endswith(suffix):
        return behaviour[len(prefix):len(behaviour) - len(suffix)]
    return None


def signal_names(field_names: Sequence[str], states_by_type: Mapping[str, Sequence[str]],
                 variable_names: Sequence[str] = (),
                 variables_by_type: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Every signal a rule may read, in column order of the signals matrix.

    Fields, then contacts with live cells by type, by type and state (types in order, each
    type's states in order), contacts with apoptotic bodies, the time in state, the per-cell
    variables, and the contact levels (``variables_by_type``: cell type -> its variables).
    """
    levels = [CONTACT_LEVEL_SIGNAL.format(t, v) for t, vs in (variables_by_type or {}).items() for v in vs]
    return ([f"field:{f}" for f in field_names] + [f"contact:{t}" for t in states_by_type]
            + [f"contact:{t}.{s}" for t, states in states_by_type.items() for s in states]
            + [APOPTOTIC_SIGNAL, "time_in_state"] + [VARIABLE_SIGNAL.format(v) for v in variable_names] + levels)
