"""Interventions as data: knock-outs, blockers, neutralising antibodies, supplements,
pre-licensing, transwell, depletion, MSC infusions and a broad immunosuppressant.

Each intervention is a config entry (``[interventions]``) that the model turns into edits of
behaviours, fields or cells; none of them is special-cased in a kernel. The tables below name
what each one acts on, with the source of the mechanism. Only mechanisms that exist in the
model are listed: a factor the model does not have yet (TGF-beta, HGF, TSG-6, PD-L1, EVs,
iNOS) cannot be knocked out, and the config says so instead of silently doing nothing.

Tags: **V** = read in the cited source, **M** = from memory or a model choice, unverified.
"""

from __future__ import annotations

#: MSC factor -> MSC behaviours set to 0 in every MSC state when the factor is knocked out.
MSC_FACTORS: dict[str, dict] = {
    "COX2": dict(behaviours=("export_PGE2_molecules_per_min",),
                 source="COX-2 makes MSC PGE2 (SCIENCE.md s2: macrophage M2 switch needs MSC COX-2)"),
    "IDO": dict(behaviours=("uptake_TRP_per_min",),
                source="IDO degrades tryptophan, the main effector of T-cell arrest (SCIENCE.md s2)"),
}

#: Drug or antibody -> the MSC factor whose output it removes (same effect as a knock-out).
BLOCKERS: dict[str, dict] = {
    "indomethacin": dict(factor="COX2", source="COX inhibitor used to block MSC PGE2 (SCIENCE.md s2; "
                                               "Aggarwal & Pittenger 2005)"),
    "NS-398": dict(factor="COX2", source="selective COX-2 inhibitor (SCIENCE.md s2)"),
    "1-MT": dict(factor="IDO", source="1-methyl-tryptophan, IDO inhibitor (SCIENCE.md s2)"),
}

#: Behaviours damped by a broad immunosuppressant (steroid-like) of level L in [0, 1]:
#: each is multiplied by (1 - L). M: conventional therapy "damps activation and inflammation
#: quickly but does not build regulation" (SCIENCE.md s2, last paragraph).
IMMUNOSUPPRESSANT_TARGETS: tuple[tuple[str, str], ...] = (
    ("T", "to_activated_per_min"),
    ("T", "cycle_rate_per_min"),
    ("T", "export_IL2_molecules_per_min"),
    ("T", "export_IFNG_molecules_per_min"),
    ("NK", "to_active_per_min"),
    ("NK", "export_IFNG_molecules_per_min"),
    ("DC", "to_mature_per_min"),
    ("DC", "export_TNF_molecules_per_min"),
    ("MAC", "to_M1_per_min"),
    ("MAC", "export_TNF_molecules_per_min"),
)

#: Pre-licensing treatments -> initial MSC state.
PRELICENSE: dict[str, str] = {
    "none": "",
    "IFNG+TNF": "licensed",  # IFN-gamma with TNF-alpha fully licenses MSCs (SCIENCE.md s2)
}

#: Cell type kept apart by a transwell membrane: it shares the fields but touches no other cell.
TRANSWELL_TYPE = "MSC"


def knocked_out_factors(knockout: list[str], block: list[str]) -> list[str]:
    """MSC factors removed by knock-outs and blockers together (sorted, unique)."""
    return sorted(set(knockout) | {BLOCKERS[b]["factor"] for b in block})


def behaviour_scales(knockout: list[str], block: list[str], immunosuppressant: float) -> dict[tuple[str, str], float]:
    """(cell type, behaviour) -> factor applied to its base value and to every rule acting on it."""
    scales: dict[tuple[str, str], float] = {}
    for factor in knocked_out_factors(knockout, block):
        for b in MSC_FACTORS[factor]["behaviours"]:
            scales[("MSC", b)] = 0.0
    if immunosuppressant > 0:
        for key in IMMUNOSUPPRESSANT_TARGETS:
            scales[key] = scales.get(key, 1.0) * (1.0 - immunosuppressant)
    return scales
