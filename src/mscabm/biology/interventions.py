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
#: mechanisms carried by the MSC surface) switched off in all cell types.
MSC_FACTORS: dict[str, dict] = {
    "IDO": dict(behaviours=("uptake_TRP_per_min", "export_KYN_molecules_per_min"), signals=(),
                source="IDO degrades tryptophan to kynurenine, the main effector of T-cell arrest (SCIENCE.md s2)"),
    "COX2": dict(behaviours=("export_PGE2_molecules_per_min",), signals=(),
                 source="COX-2 makes MSC PGE2 (SCIENCE.md s2: macrophage M2 switch needs MSC COX-2)"),
    "TGFB": dict(behaviours=("export_TGFB_molecules_per_min",), signals=(),
                 source="MSC TGF-beta (SCIENCE.md s2: T arrest, Treg induction, NK)"),
    "HGF": dict(behaviours=("export_HGF_molecules_per_min",), signals=(),
                source="MSC HGF (SCIENCE.md s2: T arrest; repair)"),
    "IL6": dict(behaviours=("export_IL6_molecules_per_min",), signals=(),
                source="MSC IL-6 (SCIENCE.md s2: DC maturation down)"),
    "PDL1": dict(behaviours=(), signals=("contact:MSC.primed", "contact:MSC.licensed"),
                 source="PD-L1 on primed/licensed MSCs acts on contact (SCIENCE.md s2)"),
    "TSG6": dict(behaviours=("export_TSG6_molecules_per_min",), signals=(),
                 source="TSG-6, induced in MSCs by TNF, turns macrophages M2 (SCIENCE.md s2)"),
    "EV": dict(behaviours=("export_EV_molecules_per_min",), signals=(),
               source="MSC extracellular vesicle release (SCIENCE.md s2)"),
    "iNOS": dict(behaviours=("export_NO_molecules_per_min",), signals=(),
                 source="inducible NO synthase, the mouse MSC route (SCIENCE.md s2, species)"),
}

#: Drug or antibody -> its action: ``factor`` (same effect as knocking that MSC factor out),
#: ``all_cells`` (a drug also blocks the enzyme in every other cell type that has it),
#: or ``neutralise`` (field -> extra first-order removal, 1/min, of a neutralising antibody).
BLOCKERS: dict[str, dict] = {
    "indomethacin": dict(factor="COX2", all_cells=True,
                         source="COX inhibitor used to block MSC PGE2 (SCIENCE.md s2; Aggarwal & Pittenger 2005); "
                                "blocks COX in every cell"),
    "NS-398": dict(factor="COX2", all_cells=True, source="selective COX-2 inhibitor (SCIENCE.md s2); every cell"),
    "1-MT": dict(factor="IDO", all_cells=True, source="1-methyl-tryptophan, IDO inhibitor (SCIENCE.md s2)"),
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

#: Pre-licensing treatments -> initial MSC state.
PRELICENSE: dict[str, str] = {
    "none": "",
    "IFNG": "primed",  # IFN-gamma alone: IDO, PD-L1, HLA-I, not PGE2 (SCIENCE.md s2)
    "IFNG+TNF": "licensed",  # IFN-gamma with TNF-alpha fully licenses MSCs (SCIENCE.md s2)
}

#: Cell type the pre-licensing treatments act on (its initial state becomes PRELICENSE[...]).
PRELICENSE_TYPE = "MSC"

#: Cell type kept apart by a transwell membrane: it shares the fields but touches no other cell.
TRANSWELL_TYPE = "MSC"


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
            for b in MSC_FACTORS[spec["factor"]]["behaviours"]:
                scales[(t, b)] = 0.0
    if immunosuppressant > 0:
        for key in IMMUNOSUPPRESSANT_TARGETS:
            scales[key] = scales.get(key, 1.0) * (1.0 - immunosuppressant)
    return scales
