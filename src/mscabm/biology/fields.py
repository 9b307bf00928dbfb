"""Paracrine species: diffusion, decay, units and sources (data only, no numerics).

Concentrations are stored per species in one documented unit (``unit``). Cells export
amounts in molecules per minute; :func:`molecules_to_amount` turns a molecule count into
the engine's amount unit (field unit x um^3), so the engine never sees Avogadro's number.

Source tags follow SCIENCE.md: **V** = value read in the cited source, **M** = from memory or a
model choice, unverified (a plausible default, not a target).
"""

from __future__ import annotations

from dataclasses import dataclass

AVOGADRO = 6.02214076e23  # 1/mol, exact (SI 2019)
UM3_PER_LITRE = 1e15

#: molar scale of each concentration unit
UNIT_MOLAR = {"pM": 1e-12, "nM": 1e-9, "uM": 1e-6}


@dataclass(frozen=True)
class FieldSpec:
    """One diffusing species.

    Attributes: name (short id used in configs), long_name, unit (concentration unit),
    diffusion_um2_per_min, decay_per_min, initial (field units), source (citation per number).
    """

    name: str
    long_name: str
    unit: str
    diffusion_um2_per_min: float
    decay_per_min: float
    initial: float
    source: str


def molecules_to_amount(unit: str) -> float:
    """Engine amount (unit x um^3) carried by one molecule, for a species stored in ``unit``.

    1 pM in 1 um^3 is 1e-12 mol/L x 1e-15 L = 1e-27 mol = 6.0e-4 molecules, so one
    molecule is 1660.5 pM um^3.
    """
    return UM3_PER_LITRE / (AVOGADRO * UNIT_MOLAR[unit])


_PROTEIN_D = 555.0  # um^2/min (~10 um^2/s effective in tissue). V pc4covid19; M Busse 2010. SCIENCE.md s4
_PROTEIN_DECAY = 1e-2  # 1/min (half-life ~1 h). V pc4covid19. SCIENCE.md s4
_SMALL_D = 30000.0  # um^2/min (500 um^2/s): small molecule, M SCIENCE.md s4 (300-800 um^2/s)
_NO_D, _NO_DECAY = 1.0e5, 6.0  # um^2/min, 1/min: a small radical's reach in tissue (M; NO, and the ROS set equal)
_CYTOKINE = "D, decay: V pc4covid19 protein cytokine defaults (SCIENCE.md s4)"

FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("IFNG", "interferon-gamma", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0,
                  _CYTOKINE + "; length scale ~30-40 um arises with T-cell uptake (V Thurley 2015)"),
        FieldSpec("TNF", "tumour necrosis factor alpha", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0, _CYTOKINE),
        FieldSpec("IL2", "interleukin-2", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0,
                  _CYTOKINE + "; falls off within a few cell diameters through consumption by T cells "
                  "(V Thurley 2015 PLoS Comput Biol)"),
        FieldSpec("IL6", "interleukin-6", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0, _CYTOKINE),
        FieldSpec("IL10", "interleukin-10", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0, _CYTOKINE),
        FieldSpec("IL12", "interleukin-12", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0, _CYTOKINE),
        FieldSpec("IL17", "interleukin-17A", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0, _CYTOKINE),
        FieldSpec("TGFB", "active transforming growth factor beta", "pM", _PROTEIN_D, 0.05, 0.0,
                  "D: V pc4covid19 protein default; decay 0.05/min: 'active TGF-beta much shorter' than the ~1 h "
                  "cytokine half-life (M, SCIENCE.md s4)"),
        FieldSpec("HGF", "hepatocyte growth factor", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0, _CYTOKINE),
        FieldSpec("TSG6", "TNF-stimulated gene 6 protein", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0, _CYTOKINE),
        FieldSpec("PGE2", "prostaglandin E2", "nM", _SMALL_D, 0.1, 0.0,
                  "D: small molecule ~300-800 um^2/s, 500 um^2/s taken (M, SCIENCE.md s4); decay 0.1/min in "
                  "tissue: 'PGE2 much shorter' than the ~1 h cytokine half-life (M, SCIENCE.md s4); the in-vitro "
                  "preset lowers it (no 15-PGDH in medium)"),
        FieldSpec("TRP", "tryptophan", "uM", _SMALL_D, 0.0, 25.0,
                  "initial 25 uM in culture medium (M, SCIENCE.md s4; plasma 50-80 uM); D small molecule "
                  "(M, SCIENCE.md s4); not degraded except by IDO uptake"),
        FieldSpec("KYN", "kynurenine", "uM", _SMALL_D, 0.0, 0.0,
                  "IDO product (SCIENCE.md s2: kynurenine adds to tryptophan depletion); D small molecule (M); "
                  "stable in medium (M)"),
        FieldSpec("NO", "nitric oxide", "nM", _NO_D, _NO_DECAY, 0.0,
                  "mouse MSCs suppress through iNOS/NO (SCIENCE.md s2); D ~1700 um^2/s (M, NO in tissue), "
                  "half-life ~7 s (M): reach ~130 um, i.e. short-range, near-contact action"),
        FieldSpec("EV", "MSC extracellular vesicles (cargo-weighted particles)", "pM", 60.0, 1.0 / 1440, 0.0,
                  "vesicles weighted by the cargo each carries, in naive-MSC EV equivalents (1 pM = 6e8 naive-EV "
                  "equivalents/mL; a licensed parent loads more cargo per vesicle, biology/rules.py); D ~1 um^2/s "
                  "for 100-nm vesicles in tissue (M); degraded or drained over ~1 day (M), besides the target "
                  "cells' uptake (biology/celltypes.py EV_UPTAKE_PER_MIN). The vesicles act only once taken up "
                  "(SCIENCE.md s2: uptake-dependent)"),
        FieldSpec("CXCL", "inflammatory chemokine (CXCL9/10, CXCR3 ligands)", "pM", _PROTEIN_D, _PROTEIN_DECAY,
                  0.0, _CYTOKINE + "; pulls CXCR3+ T cells (SCIENCE.md s2, mouse MSCs)"),
        FieldSpec("IG", "immunoglobulin (antibody)", "nM", 300.0, 1.0e-4, 0.0,
                  "IgG ~150 kDa diffuses slower than cytokines (M); half-life days (M; serum IgG ~3 weeks)"),
        FieldSpec("DAMP", "damage-associated molecular patterns (HMGB1, ATP)", "pM", _PROTEIN_D, _PROTEIN_DECAY,
                  0.0, "M: danger signal of damaged tissue (issue 8); D, decay as a protein cytokine (pc4covid19)"),
        FieldSpec("IL1B", "interleukin-1 beta", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0,
                  _CYTOKINE + "; made by M1 macrophages and mature DCs; with IFN-gamma it licenses MSCs and alone it "
                  "induces MSC COX-2 (SCIENCE.md s2, s3b: Ren 2008; English 2007)"),
        FieldSpec("LPS", "lipopolysaccharide (TLR4 ligand)", "nM", 300.0, 0.0, 0.0,
                  "absent unless added (supplement, pre-treatment): 10 ng/mL ~ 1 nM for ~10 kDa LPS units (M); "
                  "aggregates diffuse like a large protein (M); stable in medium (M). SCIENCE.md s3b: Waterman 2010"),
        FieldSpec("PIC", "polyinosinic:polycytidylic acid, poly(I:C) (TLR3 ligand)", "nM", 300.0, 0.0, 0.0,
                  "absent unless added: 1 ug/mL ~ 1 nM for ~1 MDa strands (M); diffuses like a large protein (M); "
                  "stable in medium (M). SCIENCE.md s3b: Waterman 2010"),
        FieldSpec("IFNA", "type I interferon (IFN-alpha/beta)", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0,
                  _CYTOKINE + "; made by activated plasmacytoid DCs (PDC), the interferon signature of SLE and "
                  "primary Sjogren's syndrome (SCIENCE.md s2b)"),
        FieldSpec("IL8", "interleukin-8 (CXCL8)", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0,
                  _CYTOKINE + "; the neutrophil chemokine (CXCR1/2): made by inflamed parenchyma, M1 macrophages, "
                  "TLR4-primed MSCs and neutrophils themselves; recruits and activates neutrophils (SCIENCE.md s2b)"),
        FieldSpec("IL4", "interleukin-4", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0,
                  _CYTOKINE + "; made by Th2 cells; drives Th2 and opposes Th1, helps B cells, turns macrophages "
                  "M2 (SCIENCE.md s2b: Aggarwal & Pittenger 2005)"),
        FieldSpec("IL22", "interleukin-22", "pM", _PROTEIN_D, _PROTEIN_DECAY, 0.0,
                  _CYTOKINE + "; made by Th17 (and Th22, ILC3: not modelled) cells; acts only on epithelia: "
                  "keratinocyte hyperproliferation in psoriasis, epithelial regeneration in the gut (SCIENCE.md s2b; "
                  "M Lowes 2014 Annu Rev Immunol 32:227)"),
        FieldSpec("ROS", "neutrophil respiratory-burst oxidants (H2O2, HOCl)", "uM", _NO_D, _NO_DECAY, 0.0,
                  "the damaging output of activated neutrophils (SCIENCE.md s2b: respiratory burst, proteases; "
                  "Raffaghello 2008); D as NO, ~1700 um^2/s for H2O2 (M); half-life ~7 s in tissue, scavenged by "
                  "catalase, glutathione peroxidase and thiols (M): reach ~130 um, so oxidants act near the "
                  "neutrophils that make them. Granule proteases (elastase) are lumped in (M)"),
    )
}
