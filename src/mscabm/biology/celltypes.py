"""Cell types, their states, physical constants and per-state base behaviours (data only).

Each :class:`CellTypeSpec` names the states a cell of that type can be in, its size and
default placement; :data:`BASE_BEHAVIOURS` gives, per type and state, the behaviour values
before any rule acts (rates in 1/min, speeds in um/min, exports in molecules/min).
Behaviours not listed are 0. Rules (``biology/rules.py``) then raise or lower them.

Behaviour names (the vocabulary rules and configs use):

- ``cycle_rate_per_min``: progress through the division cycle per minute (1/cycle time).
  Cell-cycle *arrest* (G0/G1, "division-arrest anergy") is this rate pushed toward 0 by
  rules, not a state: an arrested Th1 cell stays a Th1 cell and cycles again when the
  arresting signals are gone (V Di Nicola 2002; Glennie 2005).
- ``death_rate_per_min``: probability rate of entering apoptosis
- ``speed_um_per_min``, ``persistence_min``: persistent random walk
- ``chemotaxis_bias``: 0..1 weight of the gradient of the type's ``chemotaxis_field``
- ``to_<state>_per_min``: rate of switching to ``<state>``
- ``export_<F>_molecules_per_min``: release of species F
- ``uptake_<F>_per_min``: first-order uptake of F (BioFVM convention, per cell volume)
- ``secretion_<F>_per_min`` with ``saturation_<F>``: secretion toward a target level
- ``kill_<TYPE>_per_min``: rate at which this cell kills one contacted live cell of TYPE
- ``kill_resistance``: 0..1, fraction of contact-killing hazard this cell resists
- ``phagocytosis_per_min``: rate at which this cell engulfs one contacted apoptotic body

Cell types: ``T`` is the CD4 T cell (naive, activated Th0, and the fates Th1, Th17, Treg, Th2);
``CD8`` the CD8 T cell; ``TISSUE`` a parenchymal/target cell that immune cells can damage
and kill (absent from the in-vitro defaults; used by disease scenarios and NK/CTL assays);
``PDC`` the plasmacytoid dendritic cell, the type I interferon source of the SLE and pSS
lesions (absent from the in-vitro defaults); ``NEUT`` the neutrophil, short-lived, recruited
by IL-8 and damaging tissue through its respiratory burst (the RA, psoriasis, GVHD and SLE
lesions carry them; absent from the in-vitro defaults).
``KERAT`` the epidermal keratinocyte of the psoriasis plaque (normal, or hyperproliferative
under IL-17, IL-22 and TNF-alpha; its hyperproliferation drives the psoriasis index).
``EPI`` the intestinal epithelial cell of the IBD lesion (intact, or damaged: a breached
barrier that lets microbial products in; IFN-gamma and TNF-alpha damage it, HGF, TSG-6 and
IL-22 help it repair).

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
        CellTypeSpec("MSC", "mesenchymal stem/stromal cell", ("naive", "primed", "licensed"), 10.0, _APOPTOSIS_MIN,
                     True, "",
                     "diameter 15-30 um, 20 um taken (V Schrepfer 2007; human M), SCIENCE.md s4; adherent in culture. "
                     "primed = IFN-gamma alone (IDO, PD-L1, HLA-I up; PGE2 not), licensed = IFN-gamma x TNF-alpha "
                     "(adds COX-2/PGE2), SCIENCE.md s2"),
        CellTypeSpec("T", "CD4 T cell", ("naive", "activated", "Th1", "Th17", "Treg", "Th2"), 3.75, _APOPTOSIS_MIN,
                     False, "CXCL",
                     "diameter ~7-10 um, 7.5 um taken (V pc4covid19), SCIENCE.md s4; activated = Th0 blast; fates "
                     "Th1/Th17/Treg (SCIENCE.md s2; Hong 2011 PLoS Comput Biol e1002122) and Th2 (IL-4; SCIENCE.md "
                     "s2b: Aggarwal & Pittenger 2005)"),
        CellTypeSpec("CD8", "CD8 T cell", ("naive", "CTL"), 3.75, _APOPTOSIS_MIN, False, "CXCL",
                     "diameter ~7-10 um (V pc4covid19), SCIENCE.md s4; CTL kills targets on contact"),
        CellTypeSpec("B", "B cell", ("naive", "activated", "plasma"), 3.75, _APOPTOSIS_MIN, False, "",
                     "diameter ~7-10 um (V pc4covid19), SCIENCE.md s4; plasma cells secrete antibody (IG field)"),
        CellTypeSpec("NK", "natural killer cell", ("resting", "active"), 4.0, _APOPTOSIS_MIN, False, "",
                     "diameter ~7-10 um, 8 um taken (V pc4covid19), SCIENCE.md s4"),
        CellTypeSpec("DC", "dendritic cell", ("immature", "mature"), 7.5, _APOPTOSIS_MIN, False, "",
                     "diameter ~15 um (V pc4covid19), SCIENCE.md s4"),
        CellTypeSpec("MAC", "macrophage", ("M0", "M1", "M2"), 10.5, _APOPTOSIS_MIN, False, "",
                     "diameter ~21 um (V pc4covid19), SCIENCE.md s4"),
        CellTypeSpec("TISSUE", "parenchymal / target cell", ("healthy", "damaged"), 6.0, _APOPTOSIS_MIN, True, "",
                     "diameter ~12 um (M: epithelial/stromal cell); adherent; damaged cells release DAMPs"),
        CellTypeSpec("PDC", "plasmacytoid dendritic cell", ("resting", "active"), 4.5, _APOPTOSIS_MIN, False, "",
                     "diameter ~9 um (M: lymphocyte-like, plasma-cell morphology); active = sensing nucleic acids "
                     "through TLR7/9 and secreting type I IFN (IFNA field; SCIENCE.md s2b; V Fitzgerald-Bocarsly "
                     "2008 Cytokine Growth Factor Rev 19:3, abstract). Absent from the in-vitro defaults (0.2-0.8% "
                     "of PBMC, M); the SLE and pSS lesions carry them"),
        CellTypeSpec("NEUT", "neutrophil", ("resting", "active"), 6.0, _APOPTOSIS_MIN, False, "IL8",
                     "diameter 12-15 um, 12 um taken (M); follows IL-8 (CXCL8) gradients through CXCR1/2; active = "
                     "primed/degranulating, making oxidants (ROS field), IL-8 and NETs (DAMP field) (SCIENCE.md s2b: "
                     "Raffaghello 2008; Brinkmann 2004). Absent from the in-vitro defaults; the RA, psoriasis, GVHD "
                     "and SLE lesions carry them (s2b)"),
        CellTypeSpec("KERAT", "keratinocyte", ("normal", "hyperproliferative"), 6.0, _APOPTOSIS_MIN, True, "",
                     "basal keratinocyte, diameter ~12 um (M); adherent; hyperproliferative = the psoriatic "
                     "keratinocyte, activated by IL-17, IL-22 and TNF-alpha, cycling ~9x faster and making "
                     "chemokines (SCIENCE.md s2b: Lowes 2014). Only the psoriasis plaque carries them"),
        CellTypeSpec("EPI", "intestinal epithelial cell", ("intact", "damaged"), 5.0, _APOPTOSIS_MIN, True, "",
                     "columnar enterocyte ~10 um across (M); adherent; the barrier between the gut lumen and the "
                     "mucosa: damaged = breached, letting microbial products (LPS field) in (SCIENCE.md s2b). Only "
                     "the IBD lesion carries them"),
    )
}

_T_SPEED = (4.0, "~4 um/min in inflamed tissue models (M Miller 2002, SCIENCE.md s4)")
_T_PERSIST = (2.0, "M: persistent random walk, minutes-scale persistence (Textor 2011)")
_T_DEATH_ACTIVE = (1.0 / (5 * 24 * 60), "M: activated T life ~5 days without restimulation")
_CHEMO = (0.3, "M: CXCR3+ effector T cells follow CXCL9/10 gradients (SCIENCE.md s2, mouse: chemokines pull T "
               "cells to MSCs); bias 0.3 of the walk")
_IL2_UPTAKE_CD25 = (0.05, "M: CD25+ consumption, makes IL-2 fall off within a few diameters (V Thurley 2015, "
                          "SCIENCE.md s4)")
_IL2_EXPORT = (600.0, "M: ~10 IL-2 molecules/s per secreting T cell (Thurley 2015)")
_IFNG_EXPORT = (600.0, "M: same order as IL-2 (Thurley 2015)")
_MSC_DEATH = (1.0 / (21 * 24 * 60), "M: MSCs are long-lived in culture (passaged for weeks); ~3 weeks")
_MSC_RESIST = (0.8, "M: IFN-gamma raises HLA-I on MSCs and protects them from NK lysis (SCIENCE.md s2; "
                    "Spaggiari 2006 Blood 107:1484)")
_EV = ("M: MSC-EV release ~1 particle/min per cell (order of 10^3 EVs/cell/day), in naive-EV equivalents; a "
       "licensed parent loads more cargo per vesicle (rule pdl1_loads_msc_evs, SCIENCE.md s2)")
_NEUT_SPEED = (10.0, "M: neutrophils crawl 10-20 um/min in tissue, the fastest leukocytes (Lammermann 2013 Nature "
                     "498:371)")
_NEUT_CHEMO = (0.5, "M: neutrophils follow IL-8 (CXCL8) gradients strongly (SCIENCE.md s2b: recruited by IL-8)")
_NEUT_DEATH = (1.0 / 720, "SCIENCE.md s2b: short-lived, hours to a day; 12 h taken (M); spontaneous apoptosis, then "
                          "cleared by macrophages as any apoptotic body")
_MAC_MOTION = {"speed_um_per_min": (1.0, "0.4-2 um/min (M; pc4covid19, SCIENCE.md s4)"),
               "persistence_min": (10.0, "M"),
               "phagocytosis_per_min": (0.05, "M: macrophages clear a touching apoptotic body within ~20 min "
                                              "(PhysiCell apoptotic phagocytosis, model choice)")}

#: Expression kinetics of the inducible MSC effectors (SCIENCE.md s2, s3b). Each is a per-cell
#: variable (``[cells.MSC.variables.<V>]``): dv/dt = produce_<V>_per_min - decay_per_min x v, the
#: production set by rules (biology/rules.py, "MSC expression") and the level multiplying the
#: behaviours it ``scales``. Effector expression levels are named by gene symbol (IDO1 = IDO, PTGS2 =
#: COX-2, CD274 = PD-L1, TNFAIP6 = TSG-6, NOS2 = iNOS), so they never clash with the fields their
#: products are (TSG6, NO). Effector levels are dimensionless, 1 = the maximal induced expression;
#: the production saturations are decay x 1, so a level relaxes toward its rules' response in
#: [0, 1]. Signalling activities (STAT1, NFKB) are fast; expression rises over ~1-2 days and falls
#: over ~1-3 days once the cytokines go (tau = 1 day: 63% at 24 h, 86% at 48 h; 5% left 3 days
#: after removal); TLR polarisation (MSC1, MSC2) is induced within an hour and remembered for days.
EXPRESSION_DECAY_PER_MIN = 1.0 / 1440
SIGNALLING_DECAY_PER_MIN = 1.0 / 60
POLARISATION_DECAY_PER_MIN = 1.0 / (3 * 1440)
_EXPRESSION_SRC = ("M: IDO and COX-2 induction takes ~24-48 h of IFN-gamma (+TNF); expression falls over ~1-3 days "
                   "once the cytokines are removed (Krampera 2006 Stem Cells 24:386; Ryan 2007 Clin Exp Immunol "
                   "149:353; SCIENCE.md s3b); tau = 1 day")
MSC_VARIABLES: dict[str, dict] = {
    "STAT1": dict(initial=0.0, decay_per_min=SIGNALLING_DECAY_PER_MIN, scales=[], unit="1 = full activity",
                  doc="IFN-gamma (JAK-STAT1/IRF-1) signalling activity; also driven by autocrine IFN-beta after TLR3 "
                      "priming (M); relaxes within ~1 h (M: STAT1 phosphorylation in 15-60 min)"),
    "NFKB": dict(initial=0.0, decay_per_min=SIGNALLING_DECAY_PER_MIN, scales=[], unit="1 = full activity",
                 doc="TNF-alpha / IL-1 beta / TLR4 (NF-kB) signalling activity; relaxes within ~1 h (M)"),
    "IDO1": dict(initial=0.0, decay_per_min=EXPRESSION_DECAY_PER_MIN, scales=["vmax_IDO_molecules_per_min"],
                unit="1 = maximal expression",
                doc="IDO1 expression: needs IFN-gamma (STAT1), raised further by TNF-alpha or IL-1 beta (synergy) and "
                    "by TLR3 priming, lowered by TLR4 priming (SCIENCE.md s2, s3b: Ren 2009; Waterman 2010). "
                    + _EXPRESSION_SRC),
    "PTGS2": dict(initial=0.25, decay_per_min=EXPRESSION_DECAY_PER_MIN, scales=["export_PGE2_molecules_per_min"],
                 unit="1 = maximal expression",
                 doc="COX-2 expression: constitutive 0.25 (naive MSCs make PGE2, 4x below licensed, M), induced by "
                     "TNF-alpha or IL-1 beta alone and by LPS/TLR4 (NF-kB), and by TLR3 priming; IFN-gamma adds "
                     "little (SCIENCE.md s3b: English 2007; Waterman 2010). " + _EXPRESSION_SRC),
    "CD274": dict(initial=0.0, decay_per_min=EXPRESSION_DECAY_PER_MIN, scales=[], unit="1 = maximal expression",
                 doc="PD-L1 surface expression, induced by IFN-gamma (SCIENCE.md s2); acts on contact through the "
                     "contact_level:MSC.CD274 signal. " + _EXPRESSION_SRC),
    "TNFAIP6": dict(initial=0.0, decay_per_min=EXPRESSION_DECAY_PER_MIN, scales=["export_TSG6_molecules_per_min"],
                 unit="1 = maximal expression",
                 doc="TSG-6 expression, induced by TNF-alpha (NF-kB) (SCIENCE.md s3b: Choi 2011 Blood 118:330). "
                     + _EXPRESSION_SRC),
    "NOS2": dict(initial=0.0, decay_per_min=EXPRESSION_DECAY_PER_MIN, scales=["export_NO_molecules_per_min"],
                 unit="1 = maximal expression",
                 doc="iNOS expression: IFN-gamma together with TNF-alpha or IL-1 (both needed; SCIENCE.md s3b: Ren "
                     "2008). Human MSCs make no NO (export 0), mouse MSCs a lot (presets/mouse.toml). "
                     + _EXPRESSION_SRC),
    "MSC1": dict(initial=0.0, decay_per_min=POLARISATION_DECAY_PER_MIN, scales=[], unit="a.u. (0.5 = half effect)",
                 doc="TLR4 (LPS) priming memory: pro-inflammatory 'MSC1', more IL-6, less IDO (SCIENCE.md s3b: "
                     "Waterman 2010 PLoS One 5:e10088); induced within ~1 h, remembered ~3 days (M)"),
    "MSC2": dict(initial=0.0, decay_per_min=POLARISATION_DECAY_PER_MIN, scales=[], unit="a.u. (0.5 = half effect)",
                 doc="TLR3 (poly(I:C)) priming memory: immunosuppressive 'MSC2', more IDO and PGE2 (SCIENCE.md s3b: "
                     "Waterman 2010); induced within ~1 h, remembered ~3 days (M)"),
}
#: MSC-EVs act once taken up (SCIENCE.md s2 table: "uptake-dependent"; Di Trapani 2016 Sci Rep 6:24120, abstract
#: read: EV-mediated suppression of T, B and NK cells correlates with their EV uptake, and EVs of primed MSCs
#: suppress more). The target types take up the EV field first-order (``uptake_EV_per_min``, the BioFVM rate: the
#: cell clears that many of its own volumes of medium per minute) and count the cargo they took up in the per-cell
#: variable ``EV_cargo`` (``takes_up = "EV"``: molecules of the field, i.e. naive-MSC EV equivalents), which decays
#: as the cargo is degraded. The EV rules (biology/rules.py) read ``var:EV_cargo``, not the field.
EV_CARGO_DECAY_PER_MIN = 1.0 / 1440
_EV_LYMPHOCYTE = (0.002, "M: lymphocytes take up few vesicles; order of magnitude chosen so that a T-cell culture "
                         "does not deplete the EVs within a day (SCIENCE.md s2: EVs act through uptake)")
_EV_PHAGOCYTE = (0.02, "M: phagocytes (macrophages, DCs) take up vesicles 10x faster than lymphocytes per volume "
                       "(they are the main EV sink in tissue; order of magnitude, M)")
EV_UPTAKE_PER_MIN: dict[str, tuple[float, str]] = {"T": _EV_LYMPHOCYTE, "CD8": _EV_LYMPHOCYTE, "B": _EV_LYMPHOCYTE,
                                                    "NK": _EV_LYMPHOCYTE, "DC": _EV_PHAGOCYTE, "MAC": _EV_PHAGOCYTE}
EV_CARGO_VARIABLE = dict(initial=0.0, decay_per_min=EV_CARGO_DECAY_PER_MIN, scales=[], takes_up="EV",
                         unit="naive-MSC EV equivalents taken up",
                         doc="MSC-EV cargo (miRNA, IL-10, PD-L1 on the vesicle) the cell has taken up and not yet "
                             "degraded; M: the cargo acts for ~1 day (tau = 1 day) (SCIENCE.md s2: EVs act through "
                             "uptake; Di Trapani 2016)")
#: per-cell variables of the built-in types (type -> variable -> [cells.<T>.variables.<V>] entries)
VARIABLES_BY_TYPE: dict[str, dict[str, dict]] = {"MSC": MSC_VARIABLES,
                                                 **{t: {"EV_cargo": EV_CARGO_VARIABLE} for t in EV_UPTAKE_PER_MIN}}
#: MSC effector outputs at expression level 1 (each scaled by its level, MSC_VARIABLES), the same in every
#: label: the label (naive / primed / licensed) is derived from the levels (biology/rules.py).
_MSC_EFFECTORS = {
    "export_PGE2_molecules_per_min": (9.0e3, "M: PGE2 output at full COX-2 (IFN-gamma x TNF-alpha raise COX-2); "
                                             "calibrated against the 10x PGE2 rise at MSC:PBMC 1:10 (V Aggarwal & "
                                             "Pittenger 2005), docs/calibration.md"),
    "vmax_IDO_molecules_per_min": (1.5e7, "M: IDO maximal rate at full expression (~2.5e5 turnovers/s per cell); "
                                          "calibrated: docs/calibration.md (SCIENCE.md s2: tryptophan depletion is "
                                          "the main effector)"),
    "export_TSG6_molecules_per_min": (600.0, "M: TSG-6 output at full expression (SCIENCE.md s2)"),
    "produce_IDO1_per_min": (0.5 * EXPRESSION_DECAY_PER_MIN,
                            "half the maximal IDO production with IFN-gamma alone (gated by STAT1, biology/rules.py); "
                            "M: IFN-gamma alone induces IDO, TNF-alpha or IL-1 beta raise it further (SCIENCE.md s2)"),
    "produce_PTGS2_per_min": (0.25 * EXPRESSION_DECAY_PER_MIN, "constitutive COX-2 (M, SCIENCE.md s2)"),
}

#: (value, source) per behaviour, per type, per state.
BASE_BEHAVIOURS: dict[str, dict[str, dict[str, tuple[float, str]]]] = {
    "MSC": {
        "naive": dict(_MSC_EFFECTORS, **{
            "export_TGFB_molecules_per_min": (100.0, "M: constitutive TGF-beta1 (SCIENCE.md s2)"),
            "export_HGF_molecules_per_min": (100.0, "M: constitutive HGF (SCIENCE.md s2; Di Nicola 2002)"),
            "export_IL6_molecules_per_min": (300.0, "M: MSCs secrete IL-6; IL-6 6x over PBMC at 1:10 (V Aggarwal & "
                                                    "Pittenger 2005)"),
            "export_EV_molecules_per_min": (1.0, _EV),
            "death_rate_per_min": _MSC_DEATH,
        }),
        "primed": dict(_MSC_EFFECTORS, **{
            "export_TGFB_molecules_per_min": (100.0, "M: constitutive TGF-beta1 (SCIENCE.md s2)"),
            "export_HGF_molecules_per_min": (100.0, "M: constitutive HGF (SCIENCE.md s2)"),
            "export_IL6_molecules_per_min": (300.0, "M: as naive"),
            "export_EV_molecules_per_min": (1.0, _EV),
            "kill_resistance": _MSC_RESIST,
            "death_rate_per_min": _MSC_DEATH,
        }),
        "licensed": dict(_MSC_EFFECTORS, **{
            "export_TGFB_molecules_per_min": (200.0, "M: licensing raises TGF-beta (SCIENCE.md s2)"),
            "export_HGF_molecules_per_min": (200.0, "M: licensing raises HGF (SCIENCE.md s2)"),
            "export_IL6_molecules_per_min": (600.0, "M: inflammation raises MSC IL-6 (Aggarwal & Pittenger 2005)"),
            "export_EV_molecules_per_min": (1.0, _EV),
            "kill_resistance": _MSC_RESIST,
            "death_rate_per_min": _MSC_DEATH,
        }),
    },
    "T": {
        "naive": {
            "speed_um_per_min": _T_SPEED, "persistence_min": _T_PERSIST,
            "uptake_IL2_per_min": (0.005, "M: low IL-2 receptor (CD25-) consumption"),
        },
        "activated": {
            "speed_um_per_min": _T_SPEED, "persistence_min": _T_PERSIST,
            "export_IL2_molecules_per_min": _IL2_EXPORT,
            "export_IFNG_molecules_per_min": (200.0, "M: Th0 blasts make some IFN-gamma"),
            "uptake_IL2_per_min": _IL2_UPTAKE_CD25,
            "death_rate_per_min": _T_DEATH_ACTIVE,
            "to_Th1_per_min": (1.0 / (3 * 24 * 60), "M: default Th1 drift of alloreactive blasts (MLR is Th1-biased); "
                                                     "IL-12 speeds it (rule)"),
        },
        "Th1": {
            "speed_um_per_min": _T_SPEED, "persistence_min": _T_PERSIST, "chemotaxis_bias": _CHEMO,
            "export_IFNG_molecules_per_min": _IFNG_EXPORT,
            "export_IL2_molecules_per_min": (300.0, "M: Th1 cells keep some IL-2 output"),
            "export_TNF_molecules_per_min": (150.0, "M: Th1 cells secrete TNF-alpha"),
            "uptake_IL2_per_min": _IL2_UPTAKE_CD25,
            "death_rate_per_min": _T_DEATH_ACTIVE,
        },
        "Th17": {
            "speed_um_per_min": _T_SPEED, "persistence_min": _T_PERSIST, "chemotaxis_bias": _CHEMO,
            "export_IL17_molecules_per_min": (600.0, "M: Th17 effector cytokine, same order as IFN-gamma"),
            "export_IL22_molecules_per_min": (300.0, "M: Th17 cells co-express IL-22 (Lowes 2014 Annu Rev Immunol "
                                                     "32:227); half their IL-17"),
            "export_TNF_molecules_per_min": (150.0, "M"),
            "uptake_IL2_per_min": _IL2_UPTAKE_CD25,
            "death_rate_per_min": _T_DEATH_ACTIVE,
        },
        "Th2": {
            "speed_um_per_min": _T_SPEED, "persistence_min": _T_PERSIST,
            "export_IL4_molecules_per_min": (60.0, "M: a tenth of a Th1 cell's IFN-gamma: IL-4 in stimulated "
                                                   "human PBMC and MLR supernatants is at tens of pg/mL against "
                                                   "ng/mL IFN-gamma (M, order of magnitude)"),
            "export_IL10_molecules_per_min": (100.0, "M: Th2 cells make some IL-10 (as Tregs)"),
            "export_IL2_molecules_per_min": (150.0, "M: Th2 cells keep a little IL-2 output, less than Th1"),
            "uptake_IL2_per_min": _IL2_UPTAKE_CD25,
            "death_rate_per_min": _T_DEATH_ACTIVE,
        },
        "Treg": {
            "speed_um_per_min": _T_SPEED, "persistence_min": _T_PERSIST,
            "export_IL10_molecules_per_min": (100.0, "M: Treg IL-10 (SCIENCE.md s2)"),
            "export_TGFB_molecules_per_min": (50.0, "M: Treg TGF-beta (SCIENCE.md s2)"),
            "uptake_IL2_per_min": (0.1, "M: CD25-high Tregs are IL-2 sinks (a suppression mechanism)"),
            "death_rate_per_min": (1.0 / (10 * 24 * 60), "M: ~10 days"),
        },
    },
    "CD8": {
        "naive": {"speed_um_per_min": _T_SPEED, "persistence_min": _T_PERSIST,
                  "uptake_IL2_per_min": (0.005, "M: CD25- consumption")},
        "CTL": {"speed_um_per_min": _T_SPEED, "persistence_min": _T_PERSIST, "chemotaxis_bias": _CHEMO,
                "export_IFNG_molecules_per_min": _IFNG_EXPORT,
                "export_TNF_molecules_per_min": (150.0, "M"),
                "uptake_IL2_per_min": _IL2_UPTAKE_CD25,
                "kill_TISSUE_per_min": (1.0 / 15, "CTL-target: attach 0.2/min, kill after ~5 min cumulative contact "
                                                  "(V pc4covid19 model choice, SCIENCE.md s4): ~1/15 min per touched "
                                                  "target"),
                "death_rate_per_min": _T_DEATH_ACTIVE},
    },
    "B": {
        "naive": {"speed_um_per_min": (6.0, "~6 um/min (M; pc4covid19, SCIENCE.md s4)"),
                  "persistence_min": (2.0, "M")},
        "activated": {"speed_um_per_min": (6.0, "~6 um/min (M; pc4covid19, SCIENCE.md s4)"),
                      "persistence_min": (2.0, "M"),
                      "uptake_IL2_per_min": (0.02, "M"),
                      "to_plasma_per_min": (1.0 / (3 * 24 * 60), "M: plasmablasts appear from day ~3 of activation"),
                      "death_rate_per_min": (1.0 / (5 * 24 * 60), "M: ~5 days")},
        "plasma": {"speed_um_per_min": (1.0, "M: plasma cells settle"),
                   "persistence_min": (5.0, "M"),
                   "export_IG_molecules_per_min": (1.2e5, "M: a plasma cell secretes ~2000 antibodies/s"),
                   "death_rate_per_min": (1.0 / (5 * 24 * 60), "M: short-lived plasmablasts, ~5 days")},
    },
    "NK": {
        "resting": {"speed_um_per_min": (4.0, "3-5 um/min (M; pc4covid19, SCIENCE.md s4)"),
                    "persistence_min": (2.0, "M"),
                    "uptake_IL2_per_min": (0.01, "M: IL-2 receptor consumption"),
                    "kill_TISSUE_per_min": (1.0 / 600, "M: resting NK cells kill susceptible targets slowly")},
        "active": {"speed_um_per_min": (4.0, "3-5 um/min (M; pc4covid19, SCIENCE.md s4)"),
                   "persistence_min": (2.0, "M"),
                   "export_IFNG_molecules_per_min": (600.0, "M: same order as T cells (Thurley 2015)"),
                   "uptake_IL2_per_min": (0.05, "M: IL-2 receptor consumption"),
                   "kill_MSC_per_min": (1.0 / 300, "M: IL-2-activated NK cells kill MSCs (SCIENCE.md s2; Spaggiari "
                                                   "2006); ~5 h per touched MSC, so most MSCs persist in co-culture "
                                                   "(docs/calibration.md)"),
                   "kill_TISSUE_per_min": (1.0 / 30, "M: activated NK cytotoxicity against susceptible targets"),
                   "death_rate_per_min": (1.0 / (5 * 24 * 60), "M: ~5 days")},
    },
    "DC": {
        "immature": {"speed_um_per_min": (4.0, "2-6 um/min (M; pc4covid19, SCIENCE.md s4)"),
                     "persistence_min": (5.0, "M")},
        "mature": {"speed_um_per_min": (2.0, "2-6 um/min, lower end for mature DCs (M; pc4covid19)"),
                   "persistence_min": (5.0, "M"),
                   "export_TNF_molecules_per_min": (300.0, "M: mature DCs secrete TNF (SCIENCE.md s2)"),
                   "export_IL1B_molecules_per_min": (300.0, "M: mature DCs secrete IL-1 beta, as TNF"),
                   "export_IL12_molecules_per_min": (300.0, "M: mature DCs secrete IL-12 (SCIENCE.md s2)"),
                   "export_IL6_molecules_per_min": (150.0, "M: mature DCs secrete IL-6"),
                   "death_rate_per_min": (1.0 / (4 * 24 * 60), "M: mature DCs live a few days in culture")},
    },
    "MAC": {
        "M0": dict(_MAC_MOTION, **{
            "export_PGE2_molecules_per_min": (300.0, "M: monocytes/macrophages make some PGE2; sets the PBMC-alone "
                                                     "baseline of the 10x rise (Aggarwal & Pittenger 2005)")}),
        "M1": dict(_MAC_MOTION, **{
            "export_TNF_molecules_per_min": (600.0, "M: M1 macrophages secrete TNF (SCIENCE.md s2)"),
            "export_IL1B_molecules_per_min": (600.0, "M: M1 macrophages secrete IL-1 beta, as TNF"),
            "export_IL12_molecules_per_min": (300.0, "M: M1 IL-12 (SCIENCE.md s2)"),
            "export_IL6_molecules_per_min": (300.0, "M: M1 IL-6 (SCIENCE.md s2)"),
            "export_CXCL_molecules_per_min": (300.0, "M: inflammatory macrophages make CXCL9/10"),
            "export_IL8_molecules_per_min": (300.0, "M: monocytes/macrophages are a main IL-8 source in inflamed "
                                                    "tissue (RA synovium); as their CXCL9/10"),
            "export_PGE2_molecules_per_min": (600.0, "M: inflammatory COX-2")}),
        "M2": dict(_MAC_MOTION, **{
            "export_IL10_molecules_per_min": (600.0, "M: M2 IL-10 (SCIENCE.md s2)"),
            "export_TGFB_molecules_per_min": (100.0, "M: M2 TGF-beta (issue 3)"),
            "export_PGE2_molecules_per_min": (300.0, "M")}),
    },
    "PDC": {
        "resting": {"speed_um_per_min": (3.0, "M: as the other DCs, lower end (2-6 um/min; pc4covid19, SCIENCE.md s4)"),
                    "persistence_min": (5.0, "M")},
        "active": {"speed_um_per_min": (2.0, "M: as mature DCs"),
                   "persistence_min": (5.0, "M"),
                   "export_IFNA_molecules_per_min": (1.0e4, "pDCs release as much as 3-10 pg IFN-alpha per cell to "
                                                            "virus (V Fitzgerald-Bocarsly 2008, abstract): ~5 pg of "
                                                            "the ~19.5 kDa protein over a day = 1.5e8 molecules ~ "
                                                            "1e5/min (M); self immune complexes are weaker inducers "
                                                            "than virus (M Lovgren 2004 Arthritis Rheum 50:1861), "
                                                            "10% taken (M: at the viral maximum the SLE lesion held "
                                                            "~2 nM, far above serum IFN-alpha in SLE); still ~20x a "
                                                            "T cell's cytokine output (Thurley 2015, SCIENCE.md s4)"),
                   "to_resting_per_min": (1.0 / 720, "M: the IFN burst of a stimulated pDC is transient (hours); a "
                                                     "pDC stays active ~12 h unless re-stimulated"),
                   "death_rate_per_min": (1.0 / (4 * 24 * 60), "M: as mature DCs, a few days")},
    },
    "NEUT": {
        "resting": {"speed_um_per_min": _NEUT_SPEED, "persistence_min": (2.0, "M"),
                    "chemotaxis_bias": _NEUT_CHEMO, "death_rate_per_min": _NEUT_DEATH},
        "active": {"speed_um_per_min": (6.0, "M: activated neutrophils slow down and cluster (swarming)"),
                   "persistence_min": (2.0, "M"), "chemotaxis_bias": _NEUT_CHEMO,
                   "export_ROS_molecules_per_min": (3.0e8, "respiratory burst: stimulated human neutrophils make "
                                                           "~1-10 nmol superoxide/min per 1e6 cells (M, Babior; "
                                                           "fMLP low end, PMA high end); ~1 nmol/min/1e6 taken for "
                                                           "a cytokine-primed cell in tissue = 6e8 superoxide/min "
                                                           "per cell, dismutating 2:1 to 3e8 H2O2/min (M)"),
                   "export_DAMP_molecules_per_min": (300.0, "M: NETs (extracellular DNA with histones and granule "
                                                            "proteins) as a danger signal and autoantigen source "
                                                            "(SCIENCE.md s2b: Brinkmann 2004); as damaged tissue"),
                   "export_IL8_molecules_per_min": (300.0, "M: activated neutrophils make IL-8 and LTB4, which "
                                                           "recruit more neutrophils (swarming; Lammermann 2013 "
                                                           "Nature 498:371, M); same order as T-cell cytokines"),
                   "death_rate_per_min": _NEUT_DEATH},
    },
    "KERAT": {
        "normal": {"cycle_rate_per_min": (1.0 / (311 * 60), "basal keratinocyte cell cycle ~311 h in normal skin (M "
                                                            "Weinstein 1985 J Invest Dermatol 85:579)"),
                   "death_rate_per_min": (1.0 / (28 * 24 * 60), "M: epidermal turnover ~4 weeks (differentiation and "
                                                                "shedding counted as loss from the basal patch)")},
        "hyperproliferative": {
            "cycle_rate_per_min": (1.0 / (36 * 60), "psoriatic keratinocyte cell cycle ~36 h (M Weinstein 1985 J "
                                                    "Invest Dermatol 85:579)"),
            "death_rate_per_min": (1.0 / (4 * 24 * 60), "M: epidermal transit 3-5 days in the psoriatic plaque "
                                                        "(parakeratosis) instead of ~4 weeks"),
            "to_normal_per_min": (1.0 / (3 * 24 * 60), "M: keratinocytes return to normal within days once the "
                                                       "IL-17/IL-22/TNF-alpha drive stops (plaques clear in weeks "
                                                       "under IL-17 blockade)"),
            "export_IL8_molecules_per_min": (300.0, "M: psoriatic keratinocytes make IL-8 (CXCL8), which draws "
                                                    "neutrophils into the epidermis (Munro microabscesses)"),
            "export_CXCL_molecules_per_min": (300.0, "M: and CXCL9/10/CCL20, which draw T cells (as inflamed "
                                                     "parenchyma)")},
    },
    "EPI": {
        "intact": {"cycle_rate_per_min": (1.0 / (4 * 24 * 60), "M: the intestinal epithelium renews every 3-5 days "
                                                              "from its crypts; shedding and renewal balance in an "
                                                              "intact sheet, so only regrowth into gaps is modelled "
                                                              "(division held by contact inhibition at confluence)")},
        "damaged": {"export_LPS_molecules_per_min": (100.0, "M: a breached barrier lets luminal bacterial products "
                                                            "into the mucosa; set so that a patch with a quarter of "
                                                            "its epithelium breached holds LPS near the macrophage "
                                                            "TLR4 half-max (10 pM, lps_polarises_m1): translocated "
                                                            "endotoxin is not measured per cell"),
                    "export_IL8_molecules_per_min": (300.0, "M: injured epithelium makes IL-8 (as damaged tissue)"),
                    "export_DAMP_molecules_per_min": (300.0, "M: as damaged tissue"),
                    "export_CXCL_molecules_per_min": (300.0, "M: as damaged tissue"),
                    "to_intact_per_min": (1.0 / (3 * 24 * 60), "M: restitution and regeneration within days when "
                                                               "inflammation stops (as damaged tissue)"),
                    "death_rate_per_min": (1.0 / (7 * 24 * 60), "M: damaged enterocytes die slowly (as damaged "
                                                                "tissue); TNF-driven apoptosis is in the damage")},
    },
    "TISSUE": {
        "healthy": {},
        "damaged": {"export_DAMP_molecules_per_min": (300.0, "M: damaged cells release danger signals (HMGB1, ATP)"),
                    "export_CXCL_molecules_per_min": (300.0, "M: inflamed parenchyma makes CXCL9/10"),
                    "export_IL8_molecules_per_min": (300.0, "M: injured epithelial and stromal cells make IL-8 "
                                                            "(CXCL8), the signal that calls neutrophils to damage"),
                    "to_healthy_per_min": (1.0 / (3 * 24 * 60), "M: repair within days when inflammation stops"),
                    "death_rate_per_min": (1.0 / (7 * 24 * 60), "M: damaged cells die slowly")},
    },
}
for _t, _rate in EV_UPTAKE_PER_MIN.items():  # every state of an EV target type takes the vesicles up
    for _vals in BASE_BEHAVIOURS[_t].values():
        _vals["uptake_EV_per_min"] = _rate
