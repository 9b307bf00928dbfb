"""The sections of the configuration: one dataclass per TOML table, with ranges, units and docs.

Each field's ``metadata`` carries ``min``/``max``/``gt``/``choices``/``unit``/``doc``, which
:func:`mscabm.schema.parse` checks and ``docs/model.md`` prints. Names that depend on the
declared vocabulary (cell types, fields, variables) are checked by :class:`~mscabm.config.tree.Config`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mscabm.biology.interventions import BLOCKERS, GENE_MODIFICATIONS, MSC_FACTORS, PRETREATMENTS

_REQUIRED = object()


def _m(default=_REQUIRED, **meta):
    if default is _REQUIRED:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class ModelSection:
    name: str = _m("default", doc="run name, used in the output folder name")
    seed: int = _m(42, min=0, max=2**63 - 1, doc="master seed of the numpy Generator (Mesa's model.rng)")
    steps: int = _m(1440, min=0, max=10**9, doc="number of model steps to run")
    dt_min: float = _m(1.0, gt=0.0, max=60.0, unit="min", doc="model step")
    max_cells: int = _m(2_000_000, min=1, max=10**9, doc="population capacity (memory guard)")
    sort_every: int = _m(20, min=0, max=10**9,
                         doc="steps between reorderings of the cell rows into spatial (voxel) order, for memory "
                             "locality in the kernels; 0 = never. Changes the order of random draws, not the model")
    phenotype_every: int = _m(1, min=1, max=1440,
                              doc="steps between evaluations of the rules (signals -> behaviour values); the "
                                  "behaviours are held in between, while fates, variables, killing, motion and "
                                  "fields still advance every step (multi-rate stepping, as PhysiCell's 6-min "
                                  "phenotype step; docs/design.md). 1 = every step (the reference)")
    contact_scale: float = _m(1.25, min=1.0, max=3.0,
                              doc="cells interact (contact signals, adhesion) within scale*(r_i+r_j); "
                                  "1.25 = PhysiCell's default relative maximum adhesion distance (V PhysiCell)")
    repulsion_um_per_min: float = _m(10.0, min=0.0, max=1e3, unit="um/min",
                                     doc="cell-cell repulsion strength (V PhysiCell default 10 um/min)")
    adhesion_um_per_min: float = _m(0.4, min=0.0, max=1e3, unit="um/min",
                                    doc="cell-cell adhesion strength (V PhysiCell default 0.4 um/min)")


@dataclass
class DomainSection:
    width_um: float = _m(1000.0, gt=0.0, max=1e6, unit="um", doc="domain width (x)")
    height_um: float = _m(1000.0, gt=0.0, max=1e6, unit="um", doc="domain height (y)")
    voxel_um: float = _m(10.0, gt=0.0, max=1e4, unit="um", doc="field voxel side")
    thickness_um: float = _m(100.0, gt=0.0, max=1e4, unit="um",
                             doc="effective depth of the 2-D slab (sets the voxel volume): the layer into which "
                                 "secreted molecules mix; in a culture well they rise into mm of medium within hours, "
                                 "100 um taken (M, docs/calibration.md)")
    dtype: str = _m("float32", choices=("float32", "float64"), doc="field storage precision")
    diffusion_scheme: str = _m("auto", choices=("auto", "kernel", "spectral", "explicit", "lod"),
                               doc="diffusion solver for all fields (auto: cheapest within tolerance, per field; "
                                   "spectral: zero-flux fields only)")


@dataclass
class OutputSection:
    record_every: int = _m(10, min=1, max=10**9, doc="steps between time-series rows")
    snapshot_every: int = _m(240, min=0, max=10**9, doc="steps between cell/field snapshots (0: first and last only)")
    flush_every: int = _m(100, min=1, max=10**9, doc="time-series rows between Parquet flushes")


@dataclass
class VariableSection:
    """A per-cell internal variable of one cell type: dv/dt = produce_<V>_per_min - decay_per_min * v."""

    initial: float = _m(0.0, min=-1e12, max=1e12, doc="value of a new cell (seeded, infused, entered)")
    decay_per_min: float = _m(0.0, min=0.0, max=1e3, unit="1/min", doc="first-order decay (relaxation) rate")
    scales: list[str] = field(default_factory=list, metadata={
        "doc": "behaviours of this type multiplied by the variable's value (after the rules)"})
    unit: str = _m("a.u.", doc="unit of the value (documentation)")
    doc: str = _m("", doc="what the variable stands for, with its source")
    takes_up: str = _m("", doc="a field whose uptake by the cell adds to the variable, in molecules (e.g. EV "
                               "cargo taken up); halved between the daughters at division; '' = none")


@dataclass
class CellSection:
    states: list[str] = field(default_factory=list, metadata={
        "doc": "the type's states, in order (built-in types: from biology/celltypes.py; a new type must list them)"})
    count: int = _m(0, min=0, max=10**9, doc="initial number of cells")
    initial_state: str = _m("", doc="state at start (default: the type's first state)")
    placement: str = _m("uniform", choices=("uniform", "centre"), doc="initial placement")
    radius_um: float = _m(5.0, gt=0.0, max=1000.0, unit="um", doc="cell radius")
    apoptosis_min: float = _m(516.0, min=0.0, max=1e6, unit="min", doc="time an apoptotic body persists")
    adherent: bool = _m(False, doc="adherent cells do not migrate (speed ignored)")
    chemotaxis_field: str = _m("", doc="field whose gradient biases migration ('' = none)")
    state_fractions: dict[str, float] = field(default_factory=dict, metadata={
        "value_meta": {"min": 0.0, "max": 1.0},
        "doc": "fraction of the initial count placed in each named state (the rest: initial_state)"})
    variables: dict[str, VariableSection] = field(default_factory=dict, metadata={
        "doc": "per-cell internal variables (mscabm/vocabulary.py)"})


@dataclass
class FieldSection:
    diffusion_um2_per_min: float = _m(0.0, min=0.0, max=1e6, unit="um^2/min", doc="diffusion coefficient")
    decay_per_min: float = _m(0.0, min=0.0, max=1e3, unit="1/min", doc="first-order decay")
    supply_per_min: float = _m(0.0, min=0.0, max=1e9, unit="field unit/min",
                               doc="uniform zero-order supply (e.g. from the blood); with decay k the level "
                                   "without cells relaxes to supply/k; zero-flux or periodic boundary only")
    initial: float = _m(0.0, min=0.0, max=1e9, doc="initial uniform level (field unit)")
    boundary: str = _m("zero_flux", choices=("zero_flux", "dirichlet", "periodic"), doc="boundary condition")
    boundary_value: float = _m(0.0, min=0.0, max=1e9, doc="Dirichlet value (field unit)")
    unit: str = _m("pM", choices=("pM", "nM", "uM"), doc="concentration unit")


@dataclass
class EnzymeSection:
    """A Michaelis-Menten enzyme: vmax_<E>_molecules_per_min x S / (km + S) per cell, 1 product per substrate."""

    substrate: str = _m(doc="field consumed (a declared [fields.<F>])")
    product: str = _m(doc="field produced, one molecule per substrate molecule (a declared [fields.<F>])")
    km: float = _m(gt=0.0, max=1e9, doc="Michaelis constant (substrate field unit)")
    source: str = _m("", doc="citation")


@dataclass
class RuleSection:
    cell_type: str = _m(doc="cell type the rule acts in")
    signal: str = _m(doc="field:<F>, contact:<TYPE> or time_in_state")
    direction: str = _m(choices=("increases", "decreases"))
    behaviour: str = _m(doc="behaviour name (see biology/celltypes.py)")
    saturation: float = _m(min=0.0, max=1e12, doc="behaviour value at full response")
    half_max: float = _m(gt=0.0, max=1e12, doc="signal level of half response (signal unit)")
    hill_power: float = _m(1.0, gt=0.0, max=100.0)
    state: str = _m("*", doc="state the rule acts in ('*' = every state of the type)")
    responds_to: str = _m("high", choices=("high", "low"),
                          doc="high: (s/K)^n response to a high signal; low: (K/s)^n, full when the signal is absent")
    pathway: str = _m("", doc="mechanism the signal acts through: rules of one behaviour and direction on one "
                              "pathway add before one Hill saturation, separate pathways multiply (Bliss); "
                              "'' = the behaviour's shared pathway")
    enabled: bool = _m(True, doc="switch the rule off without deleting it")
    source: str = _m("", doc="citation")


@dataclass
class InfusionSection:
    at_min: float = _m(min=0.0, max=1e9, unit="min", doc="time of the infusion")
    count: int = _m(min=1, max=10**9, doc="cells added")
    cell_type: str = _m("MSC", doc="cell type infused (a declared [cells.<TYPE>])")
    state: str = _m("", doc="state of the infused cells (default: the type's first state)")
    placement: str = _m("uniform", choices=("uniform", "centre"), doc="where they land")


@dataclass
class DoseSection:
    at_min: float = _m(min=0.0, max=1e9, unit="min", doc="time of the dose")
    field: str = _m(doc="field dosed (a declared [fields.<F>], e.g. EV for an MSC-EV infusion)")
    level: float = _m(gt=0.0, max=1e9, doc="level added (field unit), over the whole domain or its centre")
    placement: str = _m("uniform", choices=("uniform", "centre"),
                        doc="uniform: everywhere; centre: a disc of radius 10% of the domain (local injection)")


@dataclass
class InterventionSection:
    knockout: list[str] = field(default_factory=list, metadata={
        "value_meta": {"choices": tuple(MSC_FACTORS)}, "doc": "MSC factors knocked out (biology/interventions.py)"})
    block: list[str] = field(default_factory=list, metadata={
        "value_meta": {"choices": tuple(BLOCKERS)}, "doc": "drugs/antibodies blocking an MSC factor"})
    neutralise_per_min: dict[str, float] = field(default_factory=dict, metadata={
        "value_meta": {"min": 0.0, "max": 1e3},
        "doc": "neutralising antibody: extra first-order removal of a field (1/min)"})
    supplement: dict[str, float] = field(default_factory=dict, metadata={
        "value_meta": {"min": 0.0, "max": 1e9},
        "doc": "added to a field's initial level (field unit)"})
    prelicense: str = _m("none", choices=tuple(PRETREATMENTS),
                         doc="MSC pre-treatment before seeding: the expression ODEs integrated over the protocol "
                             "(biology/interventions.py PRETREATMENTS; mscabm/pretreatment.py)")
    prelicense_hours: float = _m(-1.0, min=-1.0, max=24.0 * 60, unit="h",
                                 doc="duration of the pre-treatment (-1: the protocol's own; 0: none)")
    prelicense_scale: float = _m(1.0, min=0.0, max=1e3,
                                 doc="multiplies the protocol's concentrations")
    overexpress: dict[str, float] = field(default_factory=dict, metadata={
        "keys": tuple(GENE_MODIFICATIONS), "value_meta": {"min": 0.0, "max": 1e3},
        "doc": "gene-modified MSCs: factor -> transgene level L, in units of the factor's reference (inducible "
               "effectors: the maximal native expression, added to the cell's own level where it acts as output) "
               "(biology/interventions.py GENE_MODIFICATIONS)"})
    transwell: bool = _m(False, doc="the [transwell] insert types sit on a membrane above the well "
                                    "(mscabm/transwell.py): fields cross the medium by diffusion, no contact across")
    deplete: list[str] = field(default_factory=list, metadata={"doc": "cell types removed before the start"})
    immunosuppressant: float = _m(0.0, min=0.0, max=1.0, doc="steroid-like damping of activation and cytokines")
    immunosuppressant_start_min: float = _m(0.0, min=0.0, max=1e9, unit="min",
                                            doc="time the immunosuppressant starts acting (0: from the start; "
                                                "mscabm/disease.py)")
    infusions: list[InfusionSection] = field(default_factory=list, metadata={"doc": "cells added during the run"})
    delivery_scale: float = _m(1.0, min=0.0, max=100.0,
                               doc="multiplies every infusion's count (rounded) and every dose's level: the "
                                   "patient-level share of a nominal dose that reaches the lesion (homing, lung "
                                   "trapping; varied per patient in the disease cohorts, docs/scenarios.md)")
    doses: list[DoseSection] = field(default_factory=list, metadata={
        "doc": "field doses during the run: MSC-EV infusions, cytokine boluses"})


@dataclass
class TranswellSection:
    """Transwell geometry (mscabm/transwell.py), used when ``interventions.transwell`` is true: the
    insert types live on a membrane above the well, the medium between is resolved in layers."""

    insert_types: list[str] = field(default_factory=lambda: ["MSC"], metadata={
        "doc": "cell types seeded on the insert membrane (the rest stay on the well bottom)"})
    membrane_height_um: float = _m(1000.0, gt=0.0, max=1e5, unit="um",
                                   doc="membrane above the well bottom (SCIENCE.md s3b: ~0.9-1 mm, standard inserts)")
    gap_layers: int = _m(4, min=1, max=64, doc="layers resolving the medium between the well slab and the membrane")
    membrane_porosity: float = _m(0.005, gt=0.0, max=1.0,
                                  doc="open area fraction: 4e6 pores/cm^2 of 0.4 um (M: standard polycarbonate "
                                      "inserts; SCIENCE.md s3b 0.4 um pores)")
    membrane_thickness_um: float = _m(10.0, min=0.0, max=1000.0, unit="um",
                                      doc="membrane thickness (M: track-etched polycarbonate ~10 um); 0: no resistance")


@dataclass
class InfluxSection:
    """Cells of one type entering the domain (mscabm/disease.py): rate x (1 + (max_fold - 1) H(field))."""

    rate_per_min: float = _m(0.0, min=0.0, max=1e6, unit="cells/min", doc="influx without inflammation")
    max_fold: float = _m(1.0, min=1.0, max=1e4, doc="rate multiplier at full inflammation")
    field: str = _m("", doc="field whose domain-mean level raises the rate ('' = constant rate)")
    half_max: float = _m(1.0, gt=0.0, max=1e12, doc="domain-mean level of half the extra rate (field unit)")
    hill_power: float = _m(1.0, gt=0.0, max=100.0)
    state: str = _m("", doc="state of the new cells (default: the type's first state)")
    placement: str = _m("edges", choices=("edges", "uniform"), doc="edges: enter at the domain boundary")


@dataclass
class DiseaseSection:
    """Disease activity index readouts (mscabm/disease.py, docs/scenarios.md)."""

    enabled: bool = _m(False, doc="record disease_activity, disease_damage_frac, disease_inflammation")
    damage_weight: float = _m(0.5, min=0.0, max=1.0, doc="weight of tissue damage (the rest: inflammation)")
    inflammation: dict[str, float] = field(default_factory=dict, metadata={
        "value_meta": {"gt": 0.0, "max": 1e12},
        "doc": "field -> reference level K: inflammation = mean of c / (c + K) over these fields"})
    clinical_index: str = _m("", doc="the clinical index this is a trend proxy of (documentation only)")
    tissue_type: str = _m("TISSUE", doc="cell type whose damage and loss the index counts")
    healthy_state: str = _m("healthy", doc="state of an undamaged tissue cell")
