"""Interventions as data: knock-outs, blockers, neutralising antibodies, supplements,
pre-licensing, transwell, depletion, MSC / MSC-EV infusions and a broad immunosuppressant.

Each intervention is a config entry (``[interventions]``) that the model turns into edits of
behaviours, rules, fields or cells; none of them is special-cased in a kernel. The tables
below name what each one acts on, with the source of the mechanism.

Tags: **V** = read in the cited source, **M** = from memory or a model choice, unverified.
"""

from __future__ import annotations

#: MSC factor -> what a knock-out removes: MSC ``behaviours`` set to 0 in every MSC state (base
#: values and rule saturations alike), and every rule reading one of ``signals`` (contact
#: mechanisms carried by the MSC surface) switched off in all cell types. A knock-out removes the
#: factor's *output* (enzyme rate, export, contact signal): the expression levels, and the
#: naive/primed/licensed labels derived from them, still follow the cytokines (a catalytically
#: dead or secretion-null cell), so knocking out one route leaves the others untouched.
MSC_FACTORS: dict[str, dict] = {
    "IDO": dict(behaviours=("vmax_IDO_molecules_per_min",), signals=(),
                source="IDO degrades tryptophan to kynurenine, the main effector of T-cell arrest (SCIENCE.md s2)"),
    "COX2": dict(behaviours=("export_PGE2_molecules_per_min",), signals=(),
                 source="COX-2 makes MSC PGE2 (SCIENCE.md s2: macrophage M2 switch needs MSC COX-2)"),
    "TGFB": dict(behaviours=("export_TGFB_molecules_per_min",), signals=(),
                 source="MSC TGF-beta (SCIENCE.md s2: T arrest, Treg induction, NK)"),
    "HGF": dict(behaviours=("export_HGF_molecules_per_min",), signals=(),
                source="MSC HGF (SCIENCE.md s2: T arrest; repair)"),
    "IL6": dict(behaviours=("export_IL6_molecules_per_min",), signals=(),
                source="MSC IL-6 (SCIENCE.md s2: DC maturation down)"),
    "PDL1": dict(behaviours=("produce_CD274_per_min",), signals=("contact_level:MSC.CD274",),
                 source="PD-L1 on IFN-gamma-exposed MSCs acts on contact (SCIENCE.md s2)"),
    "TSG6": dict(behaviours=("export_TSG6_molecules_per_min",), signals=(),
                 source="TSG-6, induced in MSCs by TNF, turns macrophages M2 (SCIENCE.md s2)"),
    "EV": dict(behaviours=("export_EV_molecules_per_min",), signals=(),
               source="MSC extracellular vesicle release (SCIENCE.md s2)"),
    "iNOS": dict(behaviours=("export_NO_molecules_per_min",), signals=(),
                 source="inducible NO synthase, the mouse MSC route (SCIENCE.md s2, species)"),
}

#: Drug or antibody -> its action: ``factor`` (the MSC factor it blocks; an enzyme inhibitor zeroes
#: only the enzyme's output ``behaviours``, leaving expression and the derived labels intact; without
#: ``behaviours`` it acts as the knock-out), ``all_cells`` (a drug also blocks the enzyme in every
#: other cell type that has it), or ``neutralise`` (field -> extra first-order removal, 1/min, of a
#: neutralising antibody).
BLOCKERS: dict[str, dict] = {
    "indomethacin": dict(factor="COX2", all_cells=True, behaviours=("export_PGE2_molecules_per_min",),
                         source="COX inhibitor used to block MSC PGE2 (SCIENCE.md s2; Aggarwal & Pittenger 2005); "
                                "blocks COX in every cell"),
    "NS-398": dict(factor="COX2", all_cells=True, behaviours=("export_PGE2_molecules_per_min",),
                   source="selective COX-2 inhibitor (SCIENCE.md s2); every cell"),
    "1-MT": dict(factor="IDO", all_cells=True, behaviours=("vmax_IDO_molecules_per_min",),
                 source="1-methyl-tryptophan, IDO inhibitor (SCIENCE.md s2, s3b: Ren 2009)"),
    "L-NMMA": dict(factor="iNOS", all_cells=True, behaviours=("export_NO_molecules_per_min",),
                   source="NG-monomethyl-L-arginine, NOS inhibitor: reverses mouse MSC suppression (SCIENCE.md s3b: "
                          "Ren 2009; Sato 2007 Blood 109:228); every cell"),
    "anti-PGE2": dict(neutralise={"PGE2": 1.0},
                      source="neutralising anti-PGE2 (SCIENCE.md s3b: PMC3475534); removal 1/min (M: antibody in "
                             "excess)"),
    "anti-PD-L1": dict(factor="PDL1", all_cells=False, source="blocking antibody to PD-L1 (SCIENCE.md s2, issue 3)"),
    "anti-TGFB": dict(neutralise={"TGFB": 1.0},
                      source="neutralising anti-TGF-beta (issue 3); removal 1/min (M: antibody in excess)"),
    "anti-HGF": dict(neutralise={"HGF": 1.0}, source="neutralising anti-HGF (issue 3; Di Nicola 2002 used it); M rate"),
    "anti-IL10": dict(neutralise={"IL10": 1.0}, source="neutralising anti-IL-10 (issue 3); M rate"),
}

#: Behaviours damped by a broad immunosuppressant (steroid-like) of level L in [0, 1]:
#: each is multiplied by (1 - L). M: conventional therapy "damps activation and inflammation
#: quickly but does not build regulation" (SCIENCE.md s2, last paragraph). Macrophage
#: phagocytosis is damped too: the documented side-effect proxy (impaired clearance).
#: Plasmacytoid DCs are left out on purpose: in SLE, TLR7/9 signalling by self nucleic acids keeps pDCs alive and
#: making IFN-alpha under glucocorticoids, which is why steroids do not clear the interferon signature (M Guiducci
#: 2010 Nature 465:937).
#: Neutrophils are left out too: glucocorticoids delay neutrophil apoptosis rather than curb the cells (M Cox 1995
#: J Immunol 154:4719), as MSCs' IL-6 does (SCIENCE.md s2b).
IMMUNOSUPPRESSANT_TARGETS: tuple[tuple[str, str], ...] = (
    ("T", "to_activated_per_min"),
    ("T", "cycle_rate_per_min"),
    ("T", "export_IL2_molecules_per_min"),
    ("T", "export_IFNG_molecules_per_min"),
    ("T", "export_IL17_molecules_per_min"),
    ("T", "export_TNF_molecules_per_min"),
    ("CD8", "to_CTL_per_min"),
    ("CD8", "cycle_rate_per_min"),
    ("CD8", "export_IFNG_molecules_per_min"),
    ("B", "to_activated_per_min"),
    ("B", "cycle_rate_per_min"),
    ("NK", "to_active_per_min"),
    ("NK", "export_IFNG_molecules_per_min"),
    ("DC", "to_mature_per_min"),
    ("DC", "export_TNF_molecules_per_min"),
    ("DC", "export_IL12_molecules_per_min"),
    ("MAC", "to_M1_per_min"),
    ("MAC", "export_TNF_molecules_per_min"),
    ("MAC", "export_IL6_molecules_per_min"),
    ("MAC", "export_IL12_molecules_per_min"),
    ("MAC", "phagocytosis_per_min"),
)

#: Pre-treatment protocols: field levels in medium (field units) held for ``hours`` before seeding.
#: The MSCs' expression ODEs are integrated over the protocol with the model's own rules
#: (mscabm/pretreatment.py), so a pre-treated MSC starts with the levels, and the label, the
#: protocol gives; nothing sets a state directly.
PRETREATMENTS: dict[str, dict] = {
    "none": dict(signals={}, hours=0.0, source="no pre-treatment"),
    "IFNG": dict(signals={"IFNG": 1000.0}, hours=48.0,
                 source="IFN-gamma ~20 ng/mL (~1 nM) for 48 h: IDO, PD-L1, HLA-I up, little PGE2 (M: Krampera 2006 "
                        "Stem Cells 24:386; Ryan 2007 Clin Exp Immunol 149:353; SCIENCE.md s2, s3b)"),
    "IFNG+TNF": dict(signals={"IFNG": 1000.0, "TNF": 600.0}, hours=48.0,
                     source="IFN-gamma ~20 ng/mL with TNF-alpha ~10 ng/mL (~0.6 nM) for 48 h: full licensing (M: Ren "
                            "2008 Cell Stem Cell 2:141; SCIENCE.md s2, s3b)"),
    "TNF": dict(signals={"TNF": 600.0}, hours=48.0,
                source="TNF-alpha ~10 ng/mL alone for 48 h: COX-2/PGE2 and TSG-6 up, no IDO (M: English 2007 "
                       "Immunol Lett 110:91; Choi 2011; SCIENCE.md s3b)"),
    "IL1B": dict(signals={"IL1B": 600.0}, hours=48.0,
                 source="IL-1 beta ~10 ng/mL alone for 48 h: COX-2/PGE2 up (M: English 2007; SCIENCE.md s3b)"),
    "TLR3": dict(signals={"PIC": 1.0}, hours=1.0,
                 source="poly(I:C) 1 ug/mL (~1 nM) for 1 h: 'MSC2', IDO and PGE2 up (M: Waterman 2010 PLoS One "
                        "5:e10088; SCIENCE.md s3b)"),
    "TLR4": dict(signals={"LPS": 1.0}, hours=1.0,
                 source="LPS 10 ng/mL (~1 nM) for 1 h: 'MSC1', IL-6 up, less IDO (M: Waterman 2010; SCIENCE.md "
                        "s3b)"),
}

#: Cell type the pre-treatments act on.
PRETREAT_TYPE = "MSC"

#: Gene-modified MSCs (``interventions.overexpress = {<factor> = L}``, SCIENCE.md s2b): a transgene under a
#: constitutive promoter adds a constant amount of the factor, whatever the cytokines, on top of the cell's own,
#: regulated expression. ``L`` (>= 0) is the transgene's level in units of the factor's reference:
#:
#: - ``variable``: an inducible effector with an expression level v (biology/celltypes.py MSC_VARIABLES); the
#:   reference is the maximal native expression (level 1), so a modified cell's output is that of level v + L:
#:   up to 1 + L times the maximal native output when fully induced, L times it (plus any constitutive native
#:   level, e.g. COX-2's 0.25) when unstimulated. The transgene adds to the level wherever the level acts as
#:   output (the behaviours it scales, the level its contacts read: PD-L1), not to the level the cell's own
#:   rules read, so the naive/primed/licensed label still follows the cytokines (a transgene does not raise
#:   HLA-I or the other licensing outputs). A knock-out or blocker of the same factor removes the output the
#:   level scales, transgene or not (M: the knock-out stands for a catalytically dead or blocked product).
#: - ``export``: a factor MSCs hardly make; the transgene adds ``L x reference`` molecules/min to the export in
#:   every state.
#: - ``homing``: a homing receptor; every MSC infusion during the run delivers (1 + L) times the cells to the
#:   lesion (cells present at the start are seeded, not homing; :func:`delivered_count`).
GENE_MODIFIED_TYPE = "MSC"
GENE_MODIFICATIONS: dict[str, dict] = {
    "IDO": dict(variable="IDO1",
                source="IDO-transduced MSCs deplete tryptophan without IFN-gamma and suppress more (M: SCIENCE.md s2b, "
                       "source article; review literature)"),
    "COX2": dict(variable="PTGS2", source="COX-2 overexpression raises PGE2 output (M: SCIENCE.md s2b)"),
    "PDL1": dict(variable="CD274",
                 source="PD-L1-overexpressing MSCs strengthen the contact route (M: SCIENCE.md s2b, source article)"),
    "TSG6": dict(variable="TNFAIP6", source="TSG-6 overexpression (M: SCIENCE.md s2b)"),
    "iNOS": dict(variable="NOS2", source="iNOS overexpression; acts only where the species' MSCs make NO (mouse "
                                         "preset), M"),
    "IL10": dict(export=("export_IL10_molecules_per_min", 600.0),
                 source="IL-10-transduced MSCs secrete high amounts of IL-10 in vitro and suppress collagen-induced "
                        "arthritis where native MSCs did not (V abstract: Choi 2008 Clin Exp Immunol 153:269); the "
                        "reference output, 600 molecules/min per cell (L = 1), is M: the model's M2 macrophage "
                        "IL-10 output"),
    "CXCR4": dict(homing=True,
                  source="CXCR4 overexpression improves MSC homing to injured tissue (M: SCIENCE.md s2b, source "
                         "article; review literature); L = 1 doubles the cells reaching the lesion (M)"),
}



def knocked_out_factors(knockout: list[str], block: list[str]) -> list[str]:
    """MSC factors removed by knock-outs and factor blockers together (sorted, unique)."""
    return sorted(set(knockout) | {BLOCKERS[b]["factor"] for b in block if "factor" in BLOCKERS[b]})


def disabled_signals(knockout: list[str], block: list[str]) -> set[str]:
    """Signals whose rules are switched off by the knock-outs and blockers (contact mechanisms)."""
    return {s for f in knocked_out_factors(knockout, block) for s in MSC_FACTORS[f]["signals"]}


def neutralisation(block: list[str]) -> dict[str, float]:
    """Field -> extra removal (1/min) from neutralising antibodies among the blockers."""
    out: dict[str, float] = {}
    for b in block:
        for f, rate in BLOCKERS[b].get("neutralise", {}).items():
            out[f] = out.get(f, 0.0) + rate
    return out


def behaviour_scales(knockout: list[str], block: list[str], immunosuppressant: float,
                     cell_types: tuple[str, ...] = ()) -> dict[tuple[str, str], float]:
    """(cell type, behaviour) -> factor applied to its base value and to every rule acting on it.

    ``cell_types``: every type, for drugs that block an enzyme in all cells (indomethacin
    also stops macrophage PGE2); a genetic knock-out touches MSCs only.
    """
    scales: dict[tuple[str, str], float] = {}
    for factor in knocked_out_factors(knockout, []):
        for b in MSC_FACTORS[factor]["behaviours"]:
            scales[("MSC", b)] = 0.0
    for name in block:
        spec = BLOCKERS[name]
        if "factor" not in spec:
            continue
        for t in (cell_types if spec["all_cells"] and cell_types else ("MSC",)):
            for b in spec.get("behaviours", MSC_FACTORS[spec["factor"]]["behaviours"]):
                scales[(t, b)] = 0.0
    if immunosuppressant > 0:
        for key in IMMUNOSUPPRESSANT_TARGETS:
            scales[key] = scales.get(key, 1.0) * (1.0 - immunosuppressant)
    return scales


def transgene_levels(overexpress: dict[str, float]) -> dict[tuple[str, str], float]:
    """(cell type, variable) -> transgene level added to the variable where it acts as output."""
    out: dict[tuple[str, str], float] = {}
    for factor, level in overexpress.items():
        var = GENE_MODIFICATIONS[factor].get("variable")
        if var:
            out[(GENE_MODIFIED_TYPE, var)] = out.get((GENE_MODIFIED_TYPE, var), 0.0) + float(level)
    return out


def transgene_exports(overexpress: dict[str, float]) -> dict[tuple[str, str], float]:
    """(cell type, behaviour) -> molecules/min a transgene adds to that export in every state."""
    out: dict[tuple[str, str], float] = {}
    for factor, level in overexpress.items():
        export = GENE_MODIFICATIONS[factor].get("export")
        if export:
            key = (GENE_MODIFIED_TYPE, export[0])
            out[key] = out.get(key, 0.0) + float(level) * export[1]
    return out


def homing_factor(overexpress: dict[str, float], cell_type: str) -> float:
    """Factor on the cells of ``cell_type`` that an infusion delivers to the lesion (homing receptors)."""
    if cell_type != GENE_MODIFIED_TYPE:
        return 1.0
    return 1.0 + sum(float(level) for f, level in overexpress.items() if GENE_MODIFICATIONS[f].get("homing"))


def delivered_count(count: int, cell_type: str, delivery_scale: float, overexpress: dict[str, float]) -> int:
    """Cells an infusion during the run places in the lesion: the nominal ``count`` x the patient's
    ``delivery_scale`` x the homing factor of a gene-modified type, rounded."""
    return int(round(count * delivery_scale * homing_factor(overexpress, cell_type)))


def transgene_effect(factor: str) -> str:
    """What a transgene of level L of ``factor`` does, in words (docs/model.md, the dashboard's boxes)."""
    gm = GENE_MODIFICATIONS[factor]
    if "variable" in gm:
        return (f"{GENE_MODIFIED_TYPE} {gm['variable']} level + L where it acts as output (up to 1 + L x the maximal "
                "native output); the cell's own level and label follow the cytokines")
    if "export" in gm:
        name = gm["export"][0]
        return f"{GENE_MODIFIED_TYPE} {name[len('export_'):].split('_')[0]} release + L x {gm['export'][1]:g} " \
               "molecules/min per cell, every state"
    return f"{GENE_MODIFIED_TYPE} infusions during the run deliver (1 + L) x the cells (homing)"

