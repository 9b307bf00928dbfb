"""Signal -> behaviour rules (PhysiCell grammar), as data with a source per rule.

Each rule reads: "in <cell_type> cells in <state>, <signal> <increases|decreases>
<behaviour> toward <saturation> with half-max <half_max> and Hill power <hill_power>".
Signals are field levels at the cell (``field:<F>``, field units), contact counts with
other cells by type (``contact:<TYPE>``) and the time spent in the current state
(``time_in_state``, min). Behaviours are named in ``biology/celltypes.py``.

Tags: **V** = read in the cited source, **M** = from memory or a model choice, unverified.
"""

from __future__ import annotations

DEFAULT_RULES: dict[str, dict] = {
    "ifng_licenses_msc": dict(
        cell_type="MSC", state="naive", signal="field:IFNG", direction="increases",
        behaviour="to_licensed_per_min", saturation=1.0 / 60, half_max=20.0, hill_power=2.0,
        source="IFN-gamma licenses MSCs, raising IDO, PD-L1 and COX-2/PGE2 (SCIENCE.md s2; Chen 2024). "
               "Half-max 20 pM (M; cytokine receptors ~pM, SCIENCE.md s4); licensing within ~1 h (M)"),
    "tnf_licenses_msc": dict(
        cell_type="MSC", state="naive", signal="field:TNF", direction="increases",
        behaviour="to_licensed_per_min", saturation=1.0 / 60, half_max=50.0, hill_power=2.0,
        source="TNF-alpha adds to IFN-gamma in MSC licensing (SCIENCE.md s2). Half-max 50 pM (M). "
               "Combined with IFN-gamma through PhysiCell's multivariate Hill (additive, not yet synergistic)"),
    "dc_contact_activates_t": dict(
        cell_type="T", state="naive", signal="contact:DC", direction="increases",
        behaviour="to_activated_per_min", saturation=1.0 / 120, half_max=0.5, hill_power=4.0,
        source="T-DC contacts prime T cells over hours (V Mempel 2004 Nature 427:154: brief contacts "
               "0-8 h, stable 8-20 h); ~2 h to activate while touching a DC (M)"),
    "il2_drives_t_division": dict(
        cell_type="T", state="activated", signal="field:IL2", direction="increases",
        behaviour="cycle_rate_per_min", saturation=1.0 / 480, half_max=10.0, hill_power=1.0,
        source="IL-2 driven proliferation, cycle 6-12 h once activated (M SCIENCE.md s4; V Yoon 2010); "
               "IL-2 half-max ~10 pM (M SCIENCE.md s4)"),
    "pge2_arrests_t_division": dict(
        cell_type="T", state="activated", signal="field:PGE2", direction="decreases",
        behaviour="cycle_rate_per_min", saturation=0.0, half_max=1.0, hill_power=1.0,
        source="PGE2 arrests effector T proliferation (SCIENCE.md s2; Aggarwal & Pittenger 2005); "
               "PGE2 half-max ~nM (M SCIENCE.md s4)"),
    "low_trp_arrests_t": dict(
        cell_type="T", state="activated", signal="field:TRP", direction="decreases",
        behaviour="to_arrested_per_min", saturation=0.0, half_max=2.0, hill_power=4.0,
        source="IDO tryptophan depletion arrests T cells in G0/G1 (SCIENCE.md s2); T cells arrest at low uM "
               "Trp (M SCIENCE.md s4). Base arrest rate set in [behaviours] (rule switches it off while Trp "
               "is plentiful)"),
    "trp_restores_arrested_t": dict(
        cell_type="T", state="arrested", signal="field:TRP", direction="increases",
        behaviour="to_activated_per_min", saturation=1.0 / 240, half_max=2.0, hill_power=4.0,
        source="arrested T cells recover when MSC signals are gone (V Di Nicola 2002; Glennie 2005)"),
    "il2_activates_nk": dict(
        cell_type="NK", state="resting", signal="field:IL2", direction="increases",
        behaviour="to_active_per_min", saturation=1.0 / 240, half_max=20.0, hill_power=1.0,
        source="IL-2 activates NK cells (SCIENCE.md s2); half-max ~pM-scale (M SCIENCE.md s4)"),
    "ifng_polarises_m1": dict(
        cell_type="MAC", state="M0", signal="field:IFNG", direction="increases",
        behaviour="to_M1_per_min", saturation=1.0 / 240, half_max=20.0, hill_power=2.0,
        source="IFN-gamma drives M0 -> M1 (SCIENCE.md s2, issue 3); rate M"),
    "pge2_polarises_m2": dict(
        cell_type="MAC", state="M1", signal="field:PGE2", direction="increases",
        behaviour="to_M2_per_min", saturation=1.0 / 240, half_max=1.0, hill_power=1.0,
        source="MSC PGE2 via EP2/EP4 reprograms M1 -> M2 (SCIENCE.md s2); half-max ~nM (M)"),
    "tnf_matures_dc": dict(
        cell_type="DC", state="immature", signal="field:TNF", direction="increases",
        behaviour="to_mature_per_min", saturation=1.0 / 240, half_max=50.0, hill_power=2.0,
        source="TNF matures DCs (danger signal; SCIENCE.md s2); rate M"),
    "pge2_blocks_dc_maturation": dict(
        cell_type="DC", state="immature", signal="field:PGE2", direction="decreases",
        behaviour="to_mature_per_min", saturation=0.0, half_max=1.0, hill_power=1.0,
        source="PGE2 blocks DC maturation (SCIENCE.md s2, main mediator); half-max ~nM (M)"),
}
