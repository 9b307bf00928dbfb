"""Signal -> behaviour rules (PhysiCell grammar), as data with a source per rule.

Each rule reads: "in <cell_type> cells in <state>, <signal> <increases|decreases>
<behaviour> toward <saturation> with half-max <half_max> and Hill power <hill_power>".
A rule with ``responds_to = "low"`` acts when its signal is *low* (repression curve
``K^n / (K^n + s^n)``): tryptophan starvation is such a signal.

Signals are field levels at the cell (``field:<F>``, field units), contact counts with live
cells by type (``contact:<TYPE>``) or by type and state (``contact:<TYPE>.<state>``, e.g.
``contact:MSC.licensed`` for PD-L1-high MSCs), contact with apoptotic bodies
(``contact:apoptotic``) and the time spent in the current state (``time_in_state``, min).
Behaviours are named in ``biology/celltypes.py``.

The table is built by small helpers so that a mechanism shared by several cell states (the
G0/G1 arrest of every proliferating lymphocyte by tryptophan depletion, PGE2, TGF-beta, ...)
is written once, with one source, and expands to one named rule per state. Every rule can be
switched off in a config (``[rules.<name>] enabled = false``); MSC factor knock-outs remove
the MSC output a mechanism needs (``biology/interventions.py``).

Tags: **V** = read in the cited source, **M** = from memory or a model choice, unverified.
"""

from __future__ import annotations

import math

from mscabm.biology.celltypes import (
    CELL_TYPES,
    EV_CARGO_DECAY_PER_MIN,
    EV_UPTAKE_PER_MIN,
    EXPRESSION_DECAY_PER_MIN,
    SIGNALLING_DECAY_PER_MIN,
)
from mscabm.biology.fields import FIELDS, molecules_to_amount

DEFAULT_RULES: dict[str, dict] = {}


def _rule(name: str, cell_type: str, state: str, signal: str, direction: str, behaviour: str, saturation: float,
          half_max: float, hill_power: float, source: str, responds_to: str = "high", enabled: bool = True) -> None:
    if name in DEFAULT_RULES:
        raise ValueError(f"duplicate rule name {name!r}")
    DEFAULT_RULES[name] = dict(cell_type=cell_type, state=state, signal=signal, direction=direction,
                               behaviour=behaviour, saturation=saturation, half_max=half_max,
                               hill_power=hill_power, responds_to=responds_to, source=source)
    if not enabled:  # optional mechanisms: in the table, off unless a config switches them on
        DEFAULT_RULES[name]["enabled"] = False


def ev_cargo_half_max(cell_type: str, field_half_max: float) -> float:
    """Half-max of an EV rule in cargo taken up (``var:EV_cargo``, naive-MSC EV equivalents), **derived** from
    the EV field level (pM) at which the rule acted half when EVs acted as a free cytokine: the cargo a cell of
    the type holds at steady state in an EV field held at that level, ``U V_cell c / (k a)`` (uptake rate ``U``,
    cell volume, cargo decay ``k``, ``a`` = field amount per molecule). So a cell that has sat in the old half-max
    level for a few days acts half as before; what changed is the uptake's kinetics (~1 day to build, ~1 day of
    memory after the vesicles are gone) and the depletion of the field by the cells that take it up. Derived
    from the built-in radius, uptake rate and cargo decay: a config that overrides them shifts the EVs' potency
    on that type without the half-max following (M)."""
    volume_um3 = 4.0 / 3.0 * math.pi * CELL_TYPES[cell_type].radius_um ** 3
    cargo = (EV_UPTAKE_PER_MIN[cell_type][0] * volume_um3 * field_half_max
             / (EV_CARGO_DECAY_PER_MIN * molecules_to_amount(FIELDS["EV"].unit)))
    return float(f"{cargo:.3g}")  # 3 significant digits: readable in the tables, the derivation is approximate


def _ev(cell_type: str, field_half_max: float, source: str, *middle) -> tuple:
    """``(signal, half-max, *middle, source)`` of an EV rule on ``cell_type``: the cargo signal, the half-max
    derived from the former field half-max (:func:`ev_cargo_half_max`), any terms between (Hill power, sense),
    and ``source`` with the derivation appended (one literal per rule, so the two cannot drift apart)."""
    return "var:EV_cargo", ev_cargo_half_max(cell_type, field_half_max), *middle, source + (
        "; EVs act once taken up (SCIENCE.md s2, s2b: uptake-dependent; Di Trapani 2016 Sci Rep 6:24120, abstract "
        f"read: suppression correlates with EV uptake): half-max in cargo taken up, derived from the former field "
        f"half-max of {field_half_max:g} pM (biology/rules.py ev_cargo_half_max)")

# ------------------------------------------------------------------------------------------------ MSC expression
# Inducible MSC effectors are per-cell expression levels (biology/celltypes.py MSC_VARIABLES), each
# relaxing toward its rules' response: production saturations are decay x 1 (level 1 = maximal).
# Combination as PhysiCell's grammar (engine/rules.py): up-rules of one behaviour add their Hill terms
# ("either signal"), then down-rules multiply by 1 - H; a down-rule on a *low* signal with the same K
# multiplies by the high-signal Hill function, which is how "needs IFN-gamma" (a gate) is written.
_K_EXPR = EXPRESSION_DECAY_PER_MIN  # the variables' decay: saturation = decay x 1 (level 1 = maximal)
_K_SIG = SIGNALLING_DECAY_PER_MIN
_K_POL = 1.0 / 60  # TLR polarisation is induced within ~1 h of priming (Waterman 2010: 1 h priming; M)
_rule("ifng_activates_msc_stat1", "MSC", "*", "field:IFNG", "increases", "produce_STAT1_per_min", _K_SIG, 50.0, 2.0,
      "IFN-gamma signals through JAK-STAT1/IRF-1 to IDO, PD-L1 and HLA-I (SCIENCE.md s2); half-max 50 pM (M: "
      "cytokine receptors ~pM, SCIENCE.md s4)")
_rule("tlr3_memory_sustains_msc_stat1", "MSC", "*", "var:MSC2", "increases", "produce_STAT1_per_min", _K_SIG, 0.5, 1.0,
      "TLR3 (poly(I:C)) induces autocrine IFN-beta, which signals through STAT1 (M; Waterman 2010: MSC2 raise IDO)")
for _sig, _k, _n, _src in (("field:TNF", 50.0, 2.0, "TNF-alpha (SCIENCE.md s2); half-max 50 pM (M)"),
                           ("field:IL1B", 50.0, 2.0, "IL-1 beta (SCIENCE.md s2, s3b: Ren 2008); half-max 50 pM (M)"),
                           ("field:LPS", 0.1, 1.0, "LPS through TLR4 (SCIENCE.md s3b: English 2007; Waterman 2010); "
                                                   "half-max 0.1 nM ~ 1 ng/mL (M)")):
    _rule(f"{_sig[6:].lower()}_activates_msc_nfkb", "MSC", "*", _sig, "increases", "produce_NFKB_per_min", _K_SIG, _k,
          _n, _src + " activates NF-kB in MSCs")
_GATE = "needs IFN-gamma signalling: a low STAT1 activity closes the gate (Ren 2008, 2009; SCIENCE.md s2, s3b)"
_rule("nfkb_raises_msc_ido", "MSC", "*", "var:NFKB", "increases", "produce_IDO1_per_min", _K_EXPR, 0.5, 1.0,
      "IFN-gamma x TNF-alpha (or IL-1) synergy: NF-kB raises IDO above the IFN-gamma-alone level (SCIENCE.md s2)")
_rule("tlr3_raises_msc_ido", "MSC", "*", "var:MSC2", "increases", "produce_IDO1_per_min", _K_EXPR, 0.5, 1.0,
      "TLR3-primed 'MSC2' express more IDO (SCIENCE.md s3b: Waterman 2010)")
_rule("stat1_gates_msc_ido", "MSC", "*", "var:STAT1", "decreases", "produce_IDO1_per_min", 0.0, 0.5, 2.0,
      "IDO " + _GATE, responds_to="low")
_rule("tlr4_lowers_msc_ido", "MSC", "*", "var:MSC1", "decreases", "produce_IDO1_per_min", 0.0, 0.5, 1.0,
      "TLR4-primed 'MSC1' express less IDO and suppress less (SCIENCE.md s3b: Waterman 2010)")
_rule("nfkb_induces_msc_cox2", "MSC", "*", "var:NFKB", "increases", "produce_PTGS2_per_min", _K_EXPR, 0.5, 1.0,
      "TNF-alpha alone, IL-1 beta or LPS/TLR4 induce COX-2 and PGE2 in MSCs; IFN-gamma adds little (SCIENCE.md s3b: "
      "English 2007; Waterman 2010)")
_rule("tlr3_induces_msc_cox2", "MSC", "*", "var:MSC2", "increases", "produce_PTGS2_per_min", _K_EXPR, 0.5, 1.0,
      "TLR3-primed 'MSC2' make more PGE2 (SCIENCE.md s3b: Waterman 2010)")
_rule("stat1_induces_msc_pdl1", "MSC", "*", "var:STAT1", "increases", "produce_CD274_per_min", _K_EXPR, 0.5, 1.0,
      "IFN-gamma induces PD-L1 on MSCs (SCIENCE.md s2)")
_rule("nfkb_induces_msc_tsg6", "MSC", "*", "var:NFKB", "increases", "produce_TNFAIP6_per_min", _K_EXPR, 0.5, 1.0,
      "TSG-6 is induced in MSCs by TNF-alpha (SCIENCE.md s3b: Choi 2011 Blood 118:330)")
_rule("nfkb_induces_msc_inos", "MSC", "*", "var:NFKB", "increases", "produce_NOS2_per_min", _K_EXPR, 0.5, 1.0,
      "iNOS needs IFN-gamma together with TNF-alpha or IL-1 (SCIENCE.md s3b: Ren 2008 Cell Stem Cell 2:141)")
_rule("stat1_gates_msc_inos", "MSC", "*", "var:STAT1", "decreases", "produce_NOS2_per_min", 0.0, 0.5, 2.0,
      "iNOS " + _GATE, responds_to="low")
_rule("lps_primes_msc1", "MSC", "*", "field:LPS", "increases", "produce_MSC1_per_min", _K_POL, 0.1, 1.0,
      "TLR4 priming (LPS 10 ng/mL, 1 h) polarises MSCs to a pro-inflammatory 'MSC1' (SCIENCE.md s3b: Waterman 2010)")
_rule("polyic_primes_msc2", "MSC", "*", "field:PIC", "increases", "produce_MSC2_per_min", _K_POL, 0.1, 1.0,
      "TLR3 priming (poly(I:C) 1 ug/mL, 1 h) polarises MSCs to an immunosuppressive 'MSC2' (SCIENCE.md s3b: "
      "Waterman 2010)")
for _v in ("MSC1", "MSC2"):
    _rule(f"{_v.lower()}_memory_saturates", "MSC", "*", f"var:{_v}", "decreases", f"produce_{_v}_per_min", 0.0, 1.0,
          8.0, "M: TLR polarisation is bounded: induction stops as the memory nears its full level (~1), so a "
          "long exposure is remembered as long as a short one, not longer")
for _s in ("naive", "primed", "licensed"):
    _rule(f"tlr4_memory_raises_msc_il6_{_s}", "MSC", _s, "var:MSC1", "increases", "export_IL6_molecules_per_min",
          1200.0, 0.5, 1.0, "TLR4-primed 'MSC1' secrete more IL-6 (and IL-8) (SCIENCE.md s3b: Waterman 2010); M")
    _rule(f"tlr4_memory_raises_msc_il8_{_s}", "MSC", _s, "var:MSC1", "increases", "export_IL8_molecules_per_min",
          1200.0, 0.5, 1.0, "TLR4-primed 'MSC1' secrete IL-8 (SCIENCE.md s3b: Waterman 2010); as their IL-6 (M). "
          "Constitutive MSC IL-8 is not modelled (M)")
_rule("pdl1_loads_msc_evs", "MSC", "*", "var:CD274", "increases", "export_EV_molecules_per_min", 3.0, 0.5, 2.0,
      "licensed MSCs release more potent EVs (SCIENCE.md s2; Di Trapani 2016: EVs of cytokine-primed MSCs suppress "
      "more): the cargo loaded per vesicle at release rises with the parent's IFN-gamma-induced expression, read as "
      "its PD-L1 level (PD-L1 rides on the vesicle): toward 3x, 2.6x at full PD-L1 expression and ~2.3x in a "
      "fully licensed MSC (PD-L1 ~0.67) (M). So a PD-L1 knock-out or blocking antibody also removes the extra "
      "cargo, while a PD-L1 transgene (interventions.overexpress, which acts on outputs, not on the MSC's own "
      "rules) does not load more")
# Labels derived from the levels (readouts, dashboard, HLA-I protection, TGF-beta/HGF/IL-6 output):
# primed = IDO expressed (IFN-gamma seen), licensed = primed and COX-2 induced above its constitutive level.
# With hysteresis (a label is dropped at a lower level than it is given) and Hill 16, a cell does not
# flicker between labels near a threshold: at the label threshold the rate back is 1/min x 0.8^16 = 3%.
_LABEL = "label derived from the expression levels (M: thresholds with hysteresis; switch within ~1 min)"
_rule("ido_level_labels_msc_primed", "MSC", "naive", "var:IDO1", "increases", "to_primed_per_min", 1.0, 0.15, 16.0,
      _LABEL + ": IDO1 >= 0.15")
_rule("cox2_level_labels_msc_licensed", "MSC", "primed", "var:PTGS2", "increases", "to_licensed_per_min", 1.0, 0.5,
      16.0, _LABEL + ": PTGS2 >= 0.5")
for _s in ("primed", "licensed"):
    _rule(f"ido_level_unlabels_msc_{_s}", "MSC", _s, "var:IDO1", "increases", "to_naive_per_min", 1.0, 0.12, 16.0,
          _LABEL + ": dropped when IDO1 < 0.12", responds_to="low")
_rule("cox2_level_unlabels_msc_licensed", "MSC", "licensed", "var:PTGS2", "increases", "to_primed_per_min", 1.0, 0.4,
      16.0, _LABEL + ": dropped when PTGS2 < 0.4", responds_to="low")

# ------------------------------------------------------------------------------------------------ T activation
_PDL1 = "contact_level:MSC.CD274"
_PDL1_SRC = "PD-L1 on MSCs (induced by IFN-gamma) blocks activation on contact (SCIENCE.md s2: PD-L1 on contact); " \
            "the signal sums the touching MSCs' PD-L1 levels; half-max 0.5 (M)"
for _t, _naive, _active in (("T", "naive", "activated"), ("CD8", "naive", "CTL")):
    _rule(f"dc_contact_activates_{_t}", _t, _naive, "contact:DC.mature", "increases", f"to_{_active}_per_min",
          1 / 300, 0.5, 4.0,
          "T-DC contacts prime T cells over hours (V Mempel 2004 Nature 427:154: brief contacts 0-8 h, stable "
          "8-20 h). Only a few % of T cells recognise a given (allo)antigen (M: alloreactive precursor frequency "
          "1-10%): a low rate per minute of contact makes ~10% of responders activate over 4 days of brief DC "
          "encounters (calibration, docs/calibration.md)")
    _rule(f"pdl1_msc_blocks_{_t}_activation", _t, _naive, _PDL1, "decreases", f"to_{_active}_per_min", 0.0, 0.5, 2.0,
          _PDL1_SRC)
    _sig, _k, _src = _ev(_t, 50.0, "MSC-EV cargo (miRNA, IL-10, PD-L1 on the vesicle) lowers T activation "
                                   "(SCIENCE.md s2b); weak, as the EVs' arrest of T cells (M)")
    _rule(f"ev_blocks_{_t}_activation", _t, _naive, _sig, "decreases", f"to_{_active}_per_min", 0.0, _k, 1.0, _src)

# ------------------------------------------------------------------------------------------------ proliferation
_PROLIFERATING = {  # (type, state): (cycle rate at full IL-2, 1/min; IL-2 half-max, pM; source)
    ("T", "activated"): (1 / 720, 10.0, "IL-2 driven proliferation, cycle 6-12 h once activated, 12 h taken (M "
                                       "SCIENCE.md s4; V Yoon 2010); IL-2 half-max ~10 pM (M SCIENCE.md s4)"),
    ("T", "Th1"): (1 / 720, 10.0, "as Th0 blasts (M)"),
    ("T", "Th17"): (1 / 720, 10.0, "as Th0 blasts (M)"),
    ("T", "Th2"): (1 / 720, 10.0, "as Th0 blasts (M)"),
    ("T", "Treg"): (1 / 2880, 10.0, "M: Tregs are hypoproliferative in vitro, IL-2 dependent"),
    ("CD8", "CTL"): (1 / 720, 10.0, "IL-2 driven CD8 expansion, 6-12 h cycle, 12 h taken (M SCIENCE.md s4)"),
    ("B", "activated"): (1 / 720, 10.0, "M: B-cell proliferation with T help (IL-2 as the help signal)"),
    ("NK", "active"): (1 / 720, 20.0, "IL-2-driven NK proliferation (SCIENCE.md s2); rate M"),
}
for (_t, _s), (_sat, _k, _src) in _PROLIFERATING.items():
    _rule(f"il2_drives_{_t}_{_s}_division", _t, _s, "field:IL2", "increases", "cycle_rate_per_min", _sat, _k, 1.0, _src)

#: MSC-derived arrest of proliferating cells (G0/G1, not death): signal, half-max, Hill n, responds_to, source
_ARREST = {
    "trp_depletion": ("field:TRP", 1.0, 4.0, "low",
                      "IDO tryptophan depletion arrests lymphocytes in G0/G1, the main effector (SCIENCE.md s2); "
                      "activated T cells arrest when tryptophan falls to ~1 uM or below (M Munn 1999 J Exp Med "
                      "189:1363, SCIENCE.md s3b): half-max 1 uM"),
    "pge2": ("field:PGE2", 25.0, 2.0, "high", "PGE2 arrests proliferation (SCIENCE.md s2; Aggarwal & Pittenger 2005); "
                                            "T cells need tens of nM (M: PGE2 inhibits T proliferation at 1e-8 to "
                                            "1e-7 M, above the ~nM EP4 half-max of DCs and macrophages, SCIENCE.md "
                                            "s4); half-max 25 nM calibrated to the route targets (SCIENCE.md s3b: "
                                            "IDO inhibition removes 50-100% of human MSC suppression), "
                                            "docs/calibration.md"),
    "tgfb": ("field:TGFB", 100.0, 1.0, "high", "TGF-beta arrests proliferation (SCIENCE.md s2); half-max M"),
    "kyn": ("field:KYN", 200.0, 1.0, "high", "kynurenine adds to Trp depletion (SCIENCE.md s2); kynurenines inhibit "
                                             "T proliferation only at tens to hundreds of uM, kynurenine itself "
                                             "weakest (M Frumento 2002 J Exp Med 196:459; Terness 2002 J Exp Med "
                                             "196:447; SCIENCE.md s3b): half-max 200 uM"),
    "hgf": ("field:HGF", 200.0, 1.0, "high", "HGF contributes to T arrest (SCIENCE.md s2; Di Nicola 2002); weak (M)"),
    "no": ("field:NO", 20.0, 2.0, "high", "mouse MSC nitric oxide arrests T cells (SCIENCE.md s2, species); "
                                          "half-max M"),
    "pdl1": (_PDL1, 0.5, 2.0, "high", "PD-L1/PD-1 on contact, by the touching MSCs' PD-L1 level (SCIENCE.md s2); "
                                      "half-max M"),
}
_TREG_SUPPRESSION = ("contact:T.Treg", 1.0, 1.0, "high",
                     "Tregs suppress effector T cells in turn (SCIENCE.md s2); one Treg contact halves cycling (M)")
_IL10_SUPPRESSION = ("field:IL10", 500.0, 1.0, "high", "IL-10 dampens effector proliferation (M)")
_EV_WEAK_SRC = "MSC-EVs act on T cells, weaker than the parent cells (SCIENCE.md s2); half-max M"
_ARREST_TARGETS = {
    ("T", "activated"): ("treg", "il10", "ev"), ("T", "Th1"): ("treg", "il10", "ev"),
    ("T", "Th17"): ("treg", "il10", "ev"), ("T", "Th2"): ("treg", "il10", "ev"), ("CD8", "CTL"): ("treg", "il10", "ev"),
    ("B", "activated"): ("ev",), ("NK", "active"): ("ev",),
}
for (_t, _s), _extra in _ARREST_TARGETS.items():
    _terms = dict(_ARREST)
    if "treg" in _extra:
        _terms["treg_contact"] = _TREG_SUPPRESSION
    if "il10" in _extra:
        _terms["il10"] = _IL10_SUPPRESSION
    if "ev" in _extra:
        _terms["ev"] = _ev(_t, 50.0, _EV_WEAK_SRC, 1.0, "high")
    for _m, (_sig, _k, _n, _sense, _src) in _terms.items():
        _rule(f"{_m}_arrests_{_t}_{_s}", _t, _s, _sig, "decreases", "cycle_rate_per_min", 0.0, _k, _n, _src, _sense)
for (_t, _s) in _ARREST_TARGETS:
    if _t in ("T", "CD8", "NK"):
        _rule(f"expansion_wanes_{_t}_{_s}", _t, _s, "time_in_state", "decreases", "cycle_rate_per_min", 0.0,
              1.5 * 24 * 60.0, 4.0, "M: clonal expansion is programmed and self-limiting: effector T cells stop "
              "cycling ~1.5 days into their state (in-vitro MLR proliferation peaks at day 4-6); without this brake "
              "the IL-2 loop grows without bound (docs/calibration.md)")
_sig, _k, _n, _sense, _src = _ARREST["trp_depletion"]
_rule("trp_depletion_arrests_T_Treg", "T", "Treg", _sig, "decreases", "cycle_rate_per_min", 0.0, _k, _n,
      _src + "; Tregs need tryptophan to divide too (M)", _sense)

# ------------------------------------------------------------------------------------------------ CD4 fates
_FATE = 1 / 720  # 1/min: fate decisions within ~12 h of the polarising signal (M)
_rule("il12_drives_th1", "T", "activated", "field:IL12", "increases", "to_Th1_per_min", _FATE, 20.0, 1.0,
      "IL-12 from mature DCs / M1 drives Th1 (M; Hong 2011 PLoS Comput Biol e1002122)")
_rule("ifng_drives_th1", "T", "activated", "field:IFNG", "increases", "to_Th1_per_min", _FATE, 200.0, 1.0,
      "IFN-gamma reinforces Th1 (M; Hong 2011)")
# Th2 (SCIENCE.md s2b): IL-4 drives Th2 and opposes Th1; MSC PGE2 shifts Th1 toward Th2 as a fate (Aggarwal &
# Pittenger 2005: IFN-gamma down, IL-4 up), which replaced a "PGE2 blocks Th1" shortcut (issue 22 item 2)
_IL4_K = 20.0  # pM: cytokine receptor half-max (M, SCIENCE.md s4), as IL-12 on Th1
_rule("il4_drives_th2", "T", "activated", "field:IL4", "increases", "to_Th2_per_min", _FATE, _IL4_K, 1.0,
      "IL-4 drives Th2 through STAT6/GATA3 (SCIENCE.md s2b; M Hong 2011 for the fate-rule form)")
_rule("pge2_drives_th2", "T", "activated", "field:PGE2", "increases", "to_Th2_per_min", _FATE, 5.0, 1.0,
      "MSC PGE2 shifts Th1 toward Th2: IFN-gamma down, IL-4 up (SCIENCE.md s2, s2b: Aggarwal & Pittenger 2005); "
      "half-max 5 nM as the shortcut it replaced (M)")
_rule("il4_blocks_th1", "T", "activated", "field:IL4", "decreases", "to_Th1_per_min", 0.0, _IL4_K, 1.0,
      "IL-4 opposes Th1 (SCIENCE.md s2b)")
_rule("ifng_blocks_th2", "T", "activated", "field:IFNG", "decreases", "to_Th2_per_min", 0.0, 200.0, 1.0,
      "IFN-gamma opposes Th2 (M: the Th1/Th2 cross-inhibition; half-max as ifng_drives_th1)")
_rule("il6_drives_th17", "T", "activated", "field:IL6", "increases", "to_Th17_per_min", _FATE, 30.0, 1.0,
      "IL-6 (with TGF-beta) drives Th17 (M; Hong 2011)")
_rule("pge2_blocks_th17", "T", "activated", "field:PGE2", "decreases", "to_Th17_per_min", 0.0, 2.0, 1.0,
      "MSC PGE2 down-regulates Th17 differentiation (SCIENCE.md s2; note PGE2 can favour Th17 elsewhere)")
_rule("tgfb_induces_treg", "T", "activated", "field:TGFB", "increases", "to_Treg_per_min", _FATE, 100.0, 1.0,
      "TGF-beta induces FoxP3+ Tregs (SCIENCE.md s2: TGF-beta and PGE2 needed)")
_rule("pge2_induces_treg", "T", "activated", "field:PGE2", "increases", "to_Treg_per_min", _FATE, 10.0, 1.0,
      "PGE2 induces Tregs with TGF-beta (SCIENCE.md s2); additive here, not the 'both needed' synergy (M)")
_rule("kyn_induces_treg", "T", "activated", "field:KYN", "increases", "to_Treg_per_min", _FATE, 20.0, 1.0,
      "kynurenine favours Treg through AhR (M)")
_rule("msc_contact_induces_treg", "T", "activated", "contact:MSC", "increases", "to_Treg_per_min", _FATE, 1.0, 1.0,
      "contact with MSCs helps Treg induction (SCIENCE.md s2: contact helps)")
_rule("il6_blocks_treg", "T", "activated", "field:IL6", "decreases", "to_Treg_per_min", 0.0, 500.0, 1.0,
      "IL-6 diverts TGF-beta-exposed cells from Treg to Th17 (M; Hong 2011)")

# ------------------------------------------------------------------------------------------------ B cells
# Th2 help for B cells (SCIENCE.md s2b) is help on contact (CD40L with IL-4), as the other helpers': IL-4 alone
# does not activate a naive B cell without its antigen receptor or CD40 engaged (M), so no IL-4 field rule
for _sig in ("contact:T.activated", "contact:T.Th1", "contact:T.Th17", "contact:T.Th2"):
    _rule(f"t_help_{_sig.split('.')[1]}_activates_b", "B", "naive", _sig, "increases", "to_activated_per_min",
          1 / 240, 0.5, 2.0, "B-cell activation with T help on contact (issue 3; SCIENCE.md s2); rate M")
_rule("pdl1_msc_blocks_b_activation", "B", "naive", _PDL1, "decreases", "to_activated_per_min", 0.0, 0.5, 2.0,
      "PD-1/PD-L1 limits B activation (SCIENCE.md s2); half-max M")
_rule("il6_drives_plasma", "B", "activated", "field:IL6", "increases", "to_plasma_per_min", 1 / 720, 200.0, 1.0,
      "IL-6 promotes plasma-cell differentiation (M)")
for _m, (_sig, _k, _src) in {"tgfb": ("field:TGFB", 50.0, "MSC soluble factors block plasma-cell differentiation "
                                                          "(SCIENCE.md s2); half-max M"),
                             "pge2": ("field:PGE2", 5.0, "MSC soluble factors (PGE2) block plasma-cell "
                                                         "differentiation (SCIENCE.md s2); half-max M"),
                             "ev": _ev("B", 5.0, "MSC-EVs reproduce the B-cell effect (SCIENCE.md s2); half-max M"),
                             "pdl1": (_PDL1, 0.5, "PD-1/PD-L1, by the touching MSCs' PD-L1 (SCIENCE.md s2)")}.items():
    _rule(f"{_m}_blocks_plasma", "B", "activated", _sig, "decreases", "to_plasma_per_min", 0.0, _k, 1.0, _src)

# ------------------------------------------------------------------------------------------------ NK cells
_rule("il2_activates_nk", "NK", "resting", "field:IL2", "increases", "to_active_per_min", 1 / 240, 20.0, 1.0,
      "IL-2 activates NK cells (SCIENCE.md s2); half-max ~pM-scale (M SCIENCE.md s4)")
_rule("il12_activates_nk", "NK", "resting", "field:IL12", "increases", "to_active_per_min", 1 / 240, 20.0, 1.0,
      "IL-12 activates NK cells (M)")
_NK_BLOCK = {"trp_depletion": ("field:TRP", 2.0, 4.0, "low", "IDO (Trp depletion) inhibits NK cells, key mediator "
                                                            "(SCIENCE.md s2)"),
             "pge2": ("field:PGE2", 5.0, 1.0, "high", "PGE2 inhibits NK activation and cytotoxicity, key mediator "
                                                    "(SCIENCE.md s2)"),
             "tgfb": ("field:TGFB", 50.0, 1.0, "high", "TGF-beta inhibits NK cells (SCIENCE.md s2)"),
             "ev": _ev("NK", 5.0, "MSC-EVs reproduce the NK effect (SCIENCE.md s2)", 1.0, "high")}
for _m, (_sig, _k, _n, _sense, _src) in _NK_BLOCK.items():
    _rule(f"{_m}_blocks_nk_activation", "NK", "resting", _sig, "decreases", "to_active_per_min", 0.0, _k, _n, _src,
          _sense)
    for _b in ("kill_MSC_per_min", "kill_TISSUE_per_min", "export_IFNG_molecules_per_min"):
        _rule(f"{_m}_lowers_nk_{_b.split('_')[1]}", "NK", "active", _sig, "decreases", _b, 0.0, _k, _n,
              _src + "; cytotoxicity and IFN-gamma down", _sense)

# ------------------------------------------------------------------------------------------------ CTL killing
_rule("tgfb_lowers_ctl_killing", "CD8", "CTL", "field:TGFB", "decreases", "kill_TISSUE_per_min", 0.0, 50.0, 1.0,
      "TGF-beta damps CTL cytotoxicity (M)")

# ------------------------------------------------------------------------------------------------ DCs
_rule("tnf_matures_dc", "DC", "immature", "field:TNF", "increases", "to_mature_per_min", 1 / 240, 50.0, 2.0,
      "TNF matures DCs (danger signal; SCIENCE.md s2); rate M")
_rule("damp_matures_dc", "DC", "immature", "field:DAMP", "increases", "to_mature_per_min", 1 / 240, 50.0, 2.0,
      "danger signals mature DCs (issue 3); rate M")
for _m, (_sig, _k, _src) in {"pge2": ("field:PGE2", 2.0, "PGE2 blocks DC maturation, main mediator (SCIENCE.md s2); "
                                                         "half-max ~nM (M)"),
                             "il6": ("field:IL6", 500.0, "IL-6 blocks DC maturation (SCIENCE.md s2)"),
                             "il10": ("field:IL10", 100.0, "IL-10 keeps DCs immature (M)"),
                             "ev": _ev("DC", 5.0, "MSC-EVs lower DC maturation (SCIENCE.md s2)")}.items():
    _rule(f"{_m}_blocks_dc_maturation", "DC", "immature", _sig, "decreases", "to_mature_per_min", 0.0, _k, 1.0, _src)
for _b in ("export_IL12_molecules_per_min", "export_TNF_molecules_per_min"):
    _rule(f"pge2_lowers_dc_{_b.split('_')[1]}", "DC", "mature", "field:PGE2", "decreases", _b, 0.0, 5.0, 1.0,
          "PGE2 lowers DC IL-12 and TNF, less Th1 priming (SCIENCE.md s2)")
_TREG_DC_SRC = ("V Onishi 2008 PNAS 105:10113 (abstract): Foxp3+ Tregs out-compete naive T cells in aggregating "
                "on DCs and down-modulate CD80/86 through CTLA-4, even under strong maturing stimuli (TNF, "
                "IFN-gamma, LPS), so the DCs cannot activate naive T cells. The model's DC states are "
                "priming (mature) vs not (immature), so a disarmed DC is counted immature and its IL-12/TNF output "
                "stops too (a simplification: the paper saw CD40 and MHC II unchanged). Rate and half-max M")
_rule("treg_ctla4_disarms_dc", "DC", "mature", "contact:T.Treg", "increases", "to_immature_per_min", 1 / 60, 0.5,
      1.0, _TREG_DC_SRC + "; ~1 h per touching Treg")
_rule("treg_blocks_dc_maturation", "DC", "immature", "contact:T.Treg", "decreases", "to_mature_per_min", 0.0, 0.5,
      1.0, _TREG_DC_SRC)
for _s in ("immature", "mature"):
    _rule(f"pge2_raises_dc_il10_{_s}", "DC", _s, "field:PGE2", "increases", "export_IL10_molecules_per_min", 300.0, 5.0,
          1.0, "PGE2 raises DC IL-10 (SCIENCE.md s2)")

# ------------------------------------------------------------------------------------------------ pDCs, type I IFN
# Plasmacytoid DCs sense self nucleic acids (TLR7/9) and answer with type I IFN, the interferon signature of SLE and
# primary Sjogren's syndrome (SCIENCE.md s2b). IFN-alpha drives B activation and DC maturation (s2b).
_PDC_ACT = 1 / 240  # 1/min: a pDC answers a TLR7/9 stimulus within hours (M)
_rule("immune_complex_activates_pdc", "PDC", "resting", "field:IG", "increases", "to_active_per_min", _PDC_ACT, 10.0,
      1.0, "DNA- or RNA-containing immune complexes stimulate pDC IFN-alpha through TLR7/9 (V Fitzgerald-Bocarsly "
      "2008 Cytokine Growth Factor Rev 19:3, abstract; FcgammaRIIa uptake, M Baave 2003 J Immunol 171:3296); "
      "half-max 10 nM, the antibody level at which deposits damage tissue (ig_damages_tissue, M). The IG field "
      "stands for immune complexes (all antibody is taken as complexed with self nucleic acid, M): in the SLE and "
      "pSS lesions (IG 100-800 nM) the rule is saturated, so MSCs act on pDCs through PGE2, not through it")
_rule("damp_activates_pdc", "PDC", "resting", "field:DAMP", "increases", "to_active_per_min", _PDC_ACT, 50.0, 2.0,
      "self DNA released by damaged and dying cells and neutrophil NETs (complexed with LL-37) activates pDCs (M Lande "
      "2011 Sci Transl Med 3:73ra19; Garcia-Romo 2011 Sci Transl Med 3:73ra20; SCIENCE.md s2b NETs); half-max as "
      "DC maturation by danger signals (M)")
_rule("pge2_lowers_pdc_ifna", "PDC", "active", "field:PGE2", "decreases", "export_IFNA_molecules_per_min", 0.0, 5.0,
      1.0, "PGE2 inhibits pDC IFN-alpha secretion through EP2/EP4 (M Fabricius 2010 J Immunol 184:677); half-max "
      "~nM as the other EP2/EP4 effects on DCs (M, SCIENCE.md s2)")
for _s in ("resting", "active"):
    _rule(f"pge2_raises_pdc_il10_{_s}", "PDC", _s, "field:PGE2", "increases", "export_IL10_molecules_per_min", 300.0,
          5.0, 1.0, "MSCs raise IL-10 from plasmacytoid DCs ('DC2'; M Aggarwal & Pittenger 2005 Blood 105:1815, "
          "SCIENCE.md s2: mostly through PGE2); as for the other DCs (pge2_raises_dc_il10)")
_IFNA_K = 50.0  # pM: cytokine receptor half-max (M, SCIENCE.md s4)
_rule("ifna_activates_b", "B", "naive", "field:IFNA", "increases", "to_activated_per_min", 1 / 240, _IFNA_K, 1.0,
      "type I IFN drives B activation in SLE and pSS (SCIENCE.md s2b; M: IFN-alpha lowers the B-cell activation "
      "threshold, BAFF up); rate as T help")
_rule("ifna_drives_plasma", "B", "activated", "field:IFNA", "increases", "to_plasma_per_min", 1 / 720, _IFNA_K, 1.0,
      "pDCs induce plasma-cell differentiation through type I IFN and IL-6 (M Jego 2003 Immunity 19:225); rate as "
      "IL-6 (il6_drives_plasma)")
_rule("ifna_matures_dc", "DC", "immature", "field:IFNA", "increases", "to_mature_per_min", 1 / 240, _IFNA_K, 1.0,
      "type I IFN drives DC maturation (SCIENCE.md s2b); M: Blanco 2001 Science 294:1540 showed lupus serum "
      "IFN-alpha turning monocytes into DCs, taken here as maturing immature DCs too; rate as TNF and DAMP "
      "maturation")

# ------------------------------------------------------------------------------------------------ neutrophils
# Short-lived cells recruited by IL-8 and activated by TNF-alpha, IL-17 and danger signals; they damage tissue
# through their respiratory burst and release NETs. MSCs prolong their survival and damp the burst through IL-6
# (SCIENCE.md s2b: Raffaghello 2008 Stem Cells 26:151; Brinkmann 2004 Science 303:1532).
_NEUT_ACT = 1 / 30  # 1/min: neutrophils are primed within minutes to an hour (M)
for _m, (_sig, _k, _n, _src) in {
        "tnf": ("field:TNF", 100.0, 1.0, "TNF-alpha primes and activates neutrophils (SCIENCE.md s2b); half-max as "
                                         "TNF's other effects (M)"),
        "il17": ("field:IL17", 100.0, 1.0, "IL-17 activates neutrophils (SCIENCE.md s2b; M: mostly through the IL-8 "
                                           "and G-CSF it induces in stroma, il17_raises_tissue_il8)"),
        "damp": ("field:DAMP", 50.0, 2.0, "danger signals (HMGB1, ATP, NET DNA) activate neutrophils (SCIENCE.md "
                                          "s2b); half-max as DC maturation by DAMPs (M)"),
        "il8": ("field:IL8", 500.0, 1.0, "IL-8 activates the neutrophils it recruits (SCIENCE.md s2b; Raffaghello "
                                         "2008 used IL-8-activated neutrophils); half-max ~4 ng/mL, CXCR1/2 act at "
                                         "nM (M)")}.items():
    _rule(f"{_m}_activates_neut", "NEUT", "resting", _sig, "increases", "to_active_per_min", _NEUT_ACT, _k, _n, _src)
_IL6_NEUT_K = 50.0  # pM (~1 ng/mL): cytokine receptor half-max (M, SCIENCE.md s4)
for _s in ("resting", "active"):
    _rule(f"il6_prolongs_neut_survival_{_s}", "NEUT", _s, "field:IL6", "decreases", "death_rate_per_min", 1 / 2160,
          _IL6_NEUT_K, 1.0, "MSCs inhibit the apoptosis of resting and IL-8-activated neutrophils through IL-6, "
          "without contact (SCIENCE.md s2b: Raffaghello 2008); life 12 h -> up to 36 h at saturation (M)")
    _rule(f"tsg6_blocks_neut_chemotaxis_{_s}", "NEUT", _s, "field:TSG6", "decreases", "chemotaxis_bias", 0.0, 2.5e4,
          1.0, "TSG-6 binds CXCL8 (KD ~25 nM) and impairs neutrophil migration toward it (V Dyer 2014 J Immunol "
          "192:2177, abstract); half-max = the KD, so it acts only where TSG-6 is abundant (M)")
_rule("il6_damps_neut_burst", "NEUT", "active", "field:IL6", "decreases", "export_ROS_molecules_per_min", 1.5e8,
      _IL6_NEUT_K, 1.0, "MSCs damp the neutrophil respiratory burst through IL-6 (SCIENCE.md s2b: Raffaghello 2008); "
      "by half at saturation (M)")
for _s in ("healthy", "damaged"):
    for _m, _sig in (("tnf", "field:TNF"), ("il17", "field:IL17")):
        _rule(f"{_m}_raises_tissue_il8_{_s}", "TISSUE", _s, _sig, "increases", "export_IL8_molecules_per_min", 600.0,
              100.0, 1.0, "IL-17 and TNF-alpha induce IL-8 (CXCL8) in keratinocytes, synoviocytes and epithelium, "
              "the link from Th17 cells to neutrophils (M; Lowes 2014 Annu Rev Immunol 32:227, SCIENCE.md s2b)")

# ------------------------------------------------------------------------------------------------ keratinocytes
# Psoriasis: IL-17, IL-22 and TNF-alpha drive keratinocytes into hyperproliferation and hold them there; MSCs act on
# them only through the immune route (fewer Th17 cells, less IL-17/IL-22/TNF; SCIENCE.md s2b).
for _m, (_sig, _k, _src) in {
        "il17": ("field:IL17", 100.0, "IL-17A drives keratinocyte activation and proliferation (SCIENCE.md s2b: Lowes "
                                      "2014); half-max as IL-17 tissue damage (M)"),
        "il22": ("field:IL22", 50.0, "IL-22 drives keratinocyte proliferation and acanthosis (SCIENCE.md s2b: Lowes "
                                     "2014; M Zheng 2007 Nature 445:648); half-max ~1 ng/mL (M)"),
        "tnf": ("field:TNF", 200.0, "TNF-alpha activates keratinocytes (SCIENCE.md s2b); half-max as TNF tissue "
                                    "damage (M)")}.items():
    _rule(f"{_m}_activates_kerat", "KERAT", "normal", _sig, "increases", "to_hyperproliferative_per_min", 1 / 720, _k,
          1.0, _src + "; within ~12 h (M)")
    _rule(f"{_m}_holds_kerat_hyperproliferation", "KERAT", "hyperproliferative", _sig, "decreases",
          "to_normal_per_min", 0.0, _k, 1.0, "the cytokine keeps keratinocytes hyperproliferative while it lasts (M)")
for _s, _k in (("normal", 1.5), ("hyperproliferative", 3.0)):
    _rule(f"kerat_contact_inhibition_{_s}", "KERAT", _s, "contact:KERAT", "decreases", "cycle_rate_per_min", 0.0, _k,
          4.0, "M: keratinocyte division stops at confluence (as tissue_contact_inhibition); psoriatic keratinocytes "
          "pack denser before they stop (acanthosis: the plaque epidermis is 3-5x thicker, M)")

# ------------------------------------------------------------------------------------------------ gut epithelium
# IBD: IFN-gamma and TNF-alpha breach the epithelial barrier; HGF, TSG-6 and IL-22 help it repair (SCIENCE.md s2b).
for _m, (_sig, _k, _src) in {
        "tnf": ("field:TNF", 200.0, "TNF-alpha drives enterocyte apoptosis and barrier loss (SCIENCE.md s2b); "
                                    "half-max as TNF tissue damage (M)"),
        "ifng": ("field:IFNG", 200.0, "IFN-gamma disrupts epithelial tight junctions (SCIENCE.md s2b); half-max as "
                                      "IFN-gamma tissue damage (M)")}.items():
    _rule(f"{_m}_damages_epi", "EPI", "intact", _sig, "increases", "to_damaged_per_min", 1 / 720, _k, 1.0, _src)
for _m, (_sig, _k, _src) in {
        "hgf": ("field:HGF", 50.0, "HGF drives epithelial restitution (SCIENCE.md s2b); half-max as tissue repair (M)"),
        "tsg6": ("field:TSG6", 20.0, "MSC TSG-6 protects the colonic epithelium and speeds mucosal healing in colitis "
                                     "(SCIENCE.md s2b; M Sala 2015 Gastroenterology 149:163); half-max as TSG-6 on "
                                     "macrophages (M)"),
        "il22": ("field:IL22", 50.0, "IL-22 drives intestinal stem-cell-mediated epithelial regeneration (M Lindemans "
                                     "2015 Nature 528:560); half-max as on keratinocytes (M)")}.items():
    _rule(f"{_m}_repairs_epi", "EPI", "damaged", _sig, "increases", "to_intact_per_min", 1 / 720, _k, 1.0, _src)
_rule("tnf_stalls_epi_repair", "EPI", "damaged", "field:TNF", "decreases", "to_intact_per_min", 0.0, 100.0, 1.0,
      "ongoing inflammation stalls repair (M; as tnf_stalls_tissue_repair)")
_rule("msc_becomes_epithelium", "MSC", "*", "contact:EPI", "increases", "become_EPI_per_min", 1 / (14 * 1440), 1.0,
      1.0, "M, OFF BY DEFAULT: the source article's claim that MSCs differentiate into epithelium and so help close "
      "the barrier (SCIENCE.md s2b); engraftment as epithelium is rare and disputed, most MSCs are cleared within "
      "days. Rate ~1/(2 weeks) in contact with the epithelium (M); switch on with [rules.msc_becomes_epithelium] "
      "enabled = true", enabled=False)
_rule("epi_contact_inhibition", "EPI", "intact", "contact:EPI", "decreases", "cycle_rate_per_min", 0.0, 1.5, 4.0,
      "M: enterocyte division stops at confluence (as tissue_contact_inhibition)")

# ------------------------------------------------------------------------------------------------ macrophages
for _m, (_sig, _k, _n, _src) in {"ifng": ("field:IFNG", 20.0, 2.0,
                                          "IFN-gamma drives M0 -> M1 (SCIENCE.md s2, issue 3)"),
                                 "tnf": ("field:TNF", 50.0, 2.0, "TNF-alpha drives M0 -> M1 (issue 3)"),
                                 "damp": ("field:DAMP", 50.0, 2.0, "danger signals drive M1 (M)"),
                                 "lps": ("field:LPS", 0.01, 1.0, "bacterial LPS through TLR4 is the classic M1 "
                                                                 "stimulus; macrophages answer 10-100 pg/mL (half-max "
                                                                 "10 pM, M)")}.items():
    _rule(f"{_m}_polarises_m1", "MAC", "M0", _sig, "increases", "to_M1_per_min", 1 / 240, _k, _n, _src + "; rate M")
_M2_SIGNALS = {
    "pge2": ("field:PGE2", 10.0, "MSC PGE2 via EP2/EP4 reprograms macrophages to M2 (SCIENCE.md s2); half-max ~nM (M), "
                                 "above the PBMC-alone level so that monocyte PGE2 alone does not polarise"),
    "il10": ("field:IL10", 1000.0, "IL-10 drives M2 (issue 3); high half-max keeps Treg/M2 IL-10 from locking every "
                                   "macrophage in M2 (calibration, M)"),
    "tsg6": ("field:TSG6", 20.0, "TSG-6 from TNF-stimulated MSCs drives M2 (SCIENCE.md s2)"),
    "il4": ("field:IL4", 50.0, "IL-4 drives alternative (M2a) macrophage activation (M; SCIENCE.md s2b Th2)"),
    "efferocytosis": ("contact:apoptotic", 0.5, "engulfing apoptotic cells (incl. apoptotic MSCs) turns macrophages "
                                                "regulatory, 'hit and run' (SCIENCE.md s2)"),
    "ev": _ev("MAC", 5.0, "MSC-EVs favour M2 (SCIENCE.md s2: part of the paracrine effect)"),
}
for _s in ("M0", "M1"):
    for _m, (_sig, _k, _src) in _M2_SIGNALS.items():
        _rule(f"{_m}_polarises_{_s}_to_m2", "MAC", _s, _sig, "increases", "to_M2_per_min", 1 / 240, _k,
              2.0 if _m == "pge2" else 1.0, _src + "; rate M")
_rule("ifng_repolarises_m2", "MAC", "M2", "field:IFNG", "increases", "to_M1_per_min", 1 / 480, 200.0, 2.0,
      "macrophage polarisation is plastic: strong IFN-gamma re-polarises M2 toward M1 (M)")
_rule("pge2_holds_m2", "MAC", "M2", "field:PGE2", "decreases", "to_M1_per_min", 0.0, 5.0, 1.0,
      "PGE2 keeps reprogrammed macrophages M2 (SCIENCE.md s2; M)")

# ------------------------------------------------------------------------------------------------ tissue
#: uM: the oxidant level in the voxel of one active neutrophil in a 100-um-deep lesion patch (0.05 uM at the
#: tabled burst; tests/test_neutrophils.py measures it), so a cell beside one bursting neutrophil is damaged at half
#: the maximal rate. M: neutrophil oxidants and elastase act in the sealed zone between a neutrophil and its target
#: (Weiss 1989 N Engl J Med 320:365); literature H2O2 toxicities (uM, in culture) do not translate to a
#: depth-averaged lattice level
_ROS_K = 0.05
_ROS_SRC = ("neutrophil oxidants and proteases damage tissue (SCIENCE.md s2b: respiratory burst; Raffaghello 2008); "
            "half-max = the level beside one bursting neutrophil (M)")
for _m, (_sig, _k, _src) in {"tnf": ("field:TNF", 200.0, "TNF damages tissue (M)"),
                             "ifng": ("field:IFNG", 200.0, "IFN-gamma damages tissue (M)"),
                             "il17": ("field:IL17", 100.0, "IL-17 drives tissue inflammation (M; psoriasis, RA)"),
                             "ig": ("field:IG", 10.0, "autoantibody deposits damage tissue (M; SLE)"),
                             "ros": ("field:ROS", _ROS_K, _ROS_SRC)}.items():
    _rule(f"{_m}_damages_tissue", "TISSUE", "healthy", _sig, "increases", "to_damaged_per_min", 1 / 720, _k, 1.0, _src)
for _m, (_sig, _k, _src) in {"hgf": ("field:HGF", 50.0, "HGF supports tissue repair (SCIENCE.md s1: MSCs repair)"),
                             "tgfb": ("field:TGFB", 50.0, "TGF-beta supports repair (M)"),
                             "il10": ("field:IL10", 100.0, "IL-10 resolves inflammation (M)")}.items():
    _rule(f"{_m}_repairs_tissue", "TISSUE", "damaged", _sig, "increases", "to_healthy_per_min", 1 / 720, _k, 1.0, _src)
for _m, (_sig, _k) in {"tnf": ("field:TNF", 100.0), "il17": ("field:IL17", 100.0)}.items():
    _rule(f"{_m}_stalls_tissue_repair", "TISSUE", "damaged", _sig, "decreases", "to_healthy_per_min", 0.0, _k, 1.0,
          "ongoing inflammation stalls repair (M)")
