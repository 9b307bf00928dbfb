"""Enzymes that turn one field into another (data only): substrate, product, Michaelis constant.

Each enzyme ``E`` acts in the cells whose behaviour ``vmax_<E>_molecules_per_min`` is positive
(an expression level usually scales it: ``biology/celltypes.py`` MSC_VARIABLES), with one
Michaelis-Menten flux per cell, ``v = Vmax S / (Km + S)``, consuming one substrate molecule and
making one product molecule per turnover (``engine/kernels/exchange.py``).

Tags: **V** = read in the cited source, **M** = from memory or a model choice, unverified.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EnzymeSpec:
    """One enzyme: ``km`` in the substrate field's unit."""

    name: str
    substrate: str
    product: str
    km: float
    source: str


ENZYMES: dict[str, EnzymeSpec] = {
    e.name: e
    for e in (
        EnzymeSpec("IDO", "TRP", "KYN", 20.0,
                   "indoleamine 2,3-dioxygenase 1: L-tryptophan -> N-formylkynurenine -> kynurenine, one per "
                   "tryptophan; Km ~20 uM for human IDO1 (M, enzymology; SCIENCE.md s3b)"),
    )
}
