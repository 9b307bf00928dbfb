"""Cell types, their states, physical constants and per-state base behaviours (data only).

Each :class:`CellTypeSpec` names the states a cell of that type can be in, its size and
default placement; :data:`BASE_BEHAVIOURS` gives, per type and state, the behaviour values
before any rule acts (rates in 1/min, speeds in um/min, exports in molecules/min).
Behaviours not listed are 0. Rules (``biology/rules.py``) then raise or lower them.

Behaviour names (the vocabulary rules and configs use):

- ``cycle_rate_per_min``: progress through the division cycle per minute (1/cycle time)
- ``death_rate_per_min``: probability rate of entering apoptosis
- ``speed_um_per_min``, ``persistence_min``: persistent random walk
- ``chemotaxis_bias``: 0..1 weight of the gradient of the type's ``chemotaxis_field``
- ``to_<state>_per_min``: rate of switching to ``<state>``
- ``export_<F>_molecules_per_min``: release of species F
- ``uptake_<F>_per_min``: first-order uptake of F (BioFVM convention, per cell volume)
- ``secretion_<F>_per_min`` with ``saturation_<F>``: secretion toward a target level

Tags: **V** = read in the cited source, **M** = from memory or a model choice, unverified.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CellTypeSpec:
    """Constants of one cell type. Lengths in um, times in min."""

    name: str
    long_name: str
    states: tuple[str, ...]
    radius_um: float
    apoptosis_min: float
    adherent: bool
    chemotaxis_field: str
    source: str


_APOPTOSIS_MIN = 516.0  # PhysiCell default apoptosis duration (8.6 h). V PhysiCell 1.x user guide (model choice here)

CELL_TYPES: dict[str, CellTypeSpec] = {
    t.name: t
    for t in (
        CellTypeSpec("MSC", "mesenchymal stem/stromal cell", ("naive", "licensed"), 10.0, _APOPTOSIS_MIN, True, "",
                     "diameter 15-30 um, 20 um taken (V Schrepfer 2007; human M), SCIENCE.md s4; adherent "
                     "in culture"),
        CellTypeSpec("T", "T cell", ("naive", "activated", "arrested"), 3.75, _APOPTOSIS_MIN, False, "",
                     "diameter ~7-10 um, 7.5 um taken (V pc4covid19), SCIENCE.md s4"),
        CellTypeSpec("B", "B cell", ("naive", "activated"), 3.75, _APOPTOSIS_MIN, False, "",
                     "diameter ~7-10 um (V pc4covid19), SCIENCE.md s4"),
        CellTypeSpec("NK", "natural killer cell", ("resting", "active"), 4.0, _APOPTOSIS_MIN, False, "",
                     "diameter ~7-10 um, 8 um taken (V pc4covid19), SCIENCE.md s4"),
        CellTypeSpec("DC", "dendritic cell", ("immature", "mature"), 7.5, _APOPTOSIS_MIN, False, "",
                     "diameter ~15 um (V pc4covid19), SCIENCE.md s4"),
        CellTypeSpec("MAC", "macrophage", ("M0", "M1", "M2"), 10.5, _APOPTOSIS_MIN, False, "",
                     "diameter ~21 um (V pc4covid19), SCIENCE.md s4"),
    )
}

#: (value, source) per behaviour, per type, per state.
BASE_BEHAVIOURS: dict[str, dict[str, dict[str, tuple[float, str]]]] = {
    "MSC": {
        "naive": {
            "export_PGE2_molecules_per_min": (6.0e3, "M: constitutive COX-2 output, 10x below licensed (licensing raises "
                                                     "COX-2/PGE2, SCIENCE.md s2)"),
            "death_rate_per_min": (1.0 / (7 * 24 * 60), "M: in-vitro MSC turnover ~1/week"),
        },
        "licensed": {
            "export_PGE2_molecules_per_min": (6.0e4, "M: licensed MSC PGE2 output; calibrated later against the "
                                                     "10x PGE2 rise at MSC:PBMC 1:10 (V Aggarwal & Pittenger 2005)"),
            "uptake_TRP_per_min": (0.05, "M: IDO tryptophan consumption after licensing (SCIENCE.md s2); rate "
                                         "chosen so a licensed MSC depletes its voxel within ~1 h"),
            "death_rate_per_min": (1.0 / (7 * 24 * 60), "M: in-vitro MSC turnover ~1/week"),
        },
    },
    "T": {
        "naive": {
            "speed_um_per_min": (4.0, "~4 um/min in inflamed tissue models (M Miller 2002, SCIENCE.md s4)"),
            "persistence_min": (2.0, "M: persistent random walk, minutes-scale persistence (Textor 2011)"),
            "uptake_IL2_per_min": (0.005, "M: low IL-2 receptor (CD25-) consumption"),
        },
        "activated": {
            "speed_um_per_min": (4.0, "~4 um/min in inflamed tissue models (M Miller 2002, SCIENCE.md s4)"),
            "persistence_min": (2.0, "M: minutes-scale persistence (Textor 2011)"),
            "export_IL2_molecules_per_min": (600.0, "M: ~10 IL-2 molecules/s per secreting T cell (Thurley 2015)"),
            "export_IFNG_molecules_per_min": (600.0, "M: same order as IL-2 (Thurley 2015)"),
            "uptake_IL2_per_min": (0.05, "M: CD25+ consumption, makes IL-2 fall off within a few diameters "
                                         "(V Thurley 2015, SCIENCE.md s4)"),
            "uptake_IFNG_per_min": (0.005, "M: IFN-gamma receptor consumption"),
            "death_rate_per_min": (1.0 / (5 * 24 * 60), "M: activated T life ~5 days without restimulation"),
            "to_arrested_per_min": (1.0 / 60, "M: arrest within ~1 h once Trp is depleted; rule low_trp_arrests_t "
                                              "holds it at 0 while Trp is plentiful"),
        },
        "arrested": {
            "speed_um_per_min": (4.0, "M: arrested T stay motile (division-arrest anergy, SCIENCE.md s2)"),
            "persistence_min": (2.0, "M: minutes-scale persistence (Textor 2011)"),
            "to_activated_per_min": (1.0 / 240, "M: recovery within hours once MSC signals are gone "
                                                "(V Di Nicola 2002; Glennie 2005: T cells recover)"),
            "uptake_IL2_per_min": (0.05, "M: CD25+ consumption"),
        },
    },
    "B": {
        "naive": {"speed_um_per_min": (6.0, "~6 um/min (M; pc4covid19, SCIENCE.md s4)"),
                  "persistence_min": (2.0, "M")},
        "activated": {"speed_um_per_min": (6.0, "~6 um/min (M; pc4covid19, SCIENCE.md s4)"),
                      "persistence_min": (2.0, "M"),
                      "death_rate_per_min": (1.0 / (5 * 24 * 60), "M: ~5 days")},
    },
    "NK": {
        "resting": {"speed_um_per_min": (4.0, "3-5 um/min (M; pc4covid19, SCIENCE.md s4)"),
                    "persistence_min": (2.0, "M"),
                    "uptake_IL2_per_min": (0.01, "M: IL-2 receptor consumption")},
        "active": {"speed_um_per_min": (4.0, "3-5 um/min (M; pc4covid19, SCIENCE.md s4)"),
                   "persistence_min": (2.0, "M"),
                   "export_IFNG_molecules_per_min": (600.0, "M: same order as T cells (Thurley 2015)"),
                   "uptake_IL2_per_min": (0.05, "M: IL-2 receptor consumption")},
    },
    "DC": {
        "immature": {"speed_um_per_min": (4.0, "2-6 um/min (M; pc4covid19, SCIENCE.md s4)"),
                     "persistence_min": (5.0, "M")},
        "mature": {"speed_um_per_min": (2.0, "2-6 um/min, lower end for mature DCs (M; pc4covid19)"),
                   "persistence_min": (5.0, "M"),
                   "export_TNF_molecules_per_min": (300.0, "M: mature DCs secrete TNF (SCIENCE.md s2)")},
    },
    "MAC": {
        "M0": {"speed_um_per_min": (1.0, "0.4-2 um/min (M; pc4covid19, SCIENCE.md s4)"),
               "persistence_min": (10.0, "M")},
        "M1": {"speed_um_per_min": (1.0, "0.4-2 um/min (M; pc4covid19)"),
               "persistence_min": (10.0, "M"),
               "export_TNF_molecules_per_min": (1200.0, "M: M1 macrophages secrete TNF (SCIENCE.md s2)")},
        "M2": {"speed_um_per_min": (1.0, "0.4-2 um/min (M; pc4covid19)"),
               "persistence_min": (10.0, "M"),
               "to_M1_per_min": (0.0, "M: re-polarisation only through rules")},
    },
}
