"""One test per MSC mechanism of SCIENCE.md section 2: each exists, can be switched off, and
moves its readout in the published direction.

Small wells (300 x 300 um, a few hundred cells, 1-2 days) keep each test to seconds; the
comparisons are paired (same seed) and use margins far outside the replicate noise.
"""

import numpy as np
import pytest

from mscabm.biology.interventions import MSC_FACTORS
from mscabm.biology.rules import DEFAULT_RULES
from mscabm.config import load_config
from mscabm.model import MSCModel

#: a small well: 200 T-cell responders under a polyclonal (mitogen-like) stimulus, which activates
#: them within ~1 h (a few DCs add IL-12/TNF); no B, NK or macrophages unless a test asks
WELL = {"domain.width_um": 300.0, "domain.height_um": 300.0, "cells.MSC.count": 0, "cells.T.count": 140,
        "cells.CD8.count": 60, "cells.B.count": 0, "cells.NK.count": 0, "cells.DC.count": 4,
        "cells.MAC.count": 0, "fields.PGE2.decay_per_min": 0.002, "model.steps": 10**6,
        "output.record_every": 60, "behaviours.T.naive.to_activated_per_min": 1 / 60,
        "behaviours.CD8.naive.to_CTL_per_min": 1 / 60}
LICENSED_MSC = {"cells.MSC.count": 20, "interventions.prelicense": "IFNG+TNF"}


def run(steps=2880, seed=7, **kw):
    m = MSCModel(**{**WELL, **kw}, rng=seed)
    for _ in range(steps):
        m.step()
    m.record()
    return m.readouts


def divisions(r):
    return r["births_T_total"] + r["births_CD8_total"]


# ---------------------------------------------------------------------------------------- bookkeeping
def test_every_rule_names_a_source_and_can_be_switched_off():
    for name, rule in DEFAULT_RULES.items():
        assert len(rule["source"]) > 10, name
    cfg = load_config(values={f"rules.{name}.enabled": False for name in DEFAULT_RULES})
    assert not any(r.enabled for r in cfg.rules.values())


def test_every_msc_factor_can_be_knocked_out():
    cfg = load_config(values={"interventions.knockout": sorted(MSC_FACTORS)})
    assert set(cfg.interventions.knockout) == set(MSC_FACTORS)
    m = MSCModel(cfg)
    t = m.tables
    msc = slice(t.type_code("MSC") * t.n_states, (t.type_code("MSC") + 1) * t.n_states)
    for factor in MSC_FACTORS.values():
        for b in factor["behaviours"]:
            assert not t.base[msc, t.column_of(b)].any(), b


# ---------------------------------------------------------------------------------------- T cells
def test_msc_suppress_t_proliferation_and_all_mechanisms_off_does_not():
    ctrl = run()
    msc = run(**LICENSED_MSC)
    off = run(**LICENSED_MSC, **{"interventions.knockout": sorted(MSC_FACTORS)})
    assert divisions(ctrl) > 50
    assert divisions(msc) < 0.5 * divisions(ctrl)
    assert divisions(off) > 0.8 * divisions(ctrl)


@pytest.mark.parametrize("factor, other", [("IDO", "COX2"), ("COX2", "IDO")])
def test_knocking_out_a_soluble_factor_raises_t_proliferation(factor, other):
    """Each main soluble route on its own (the other one knocked out) holds proliferation down."""
    msc = run(4320, **LICENSED_MSC, **{"interventions.knockout": [other]})
    ko = run(4320, **LICENSED_MSC, **{"interventions.knockout": [other, factor]})
    assert divisions(ko) > divisions(msc) * 1.2 + 5


def test_trp_depletion_arrests_t_cells_without_killing_them_and_they_recover():
    """IDO: division-arrest anergy, not death; T cells cycle again when tryptophan returns."""
    kw = {"cells.DC.count": 0, "cells.T.initial_state": "activated", "cells.T.state_fractions": {},
          "cells.CD8.count": 0, "fields.IL2.initial": 500.0, "fields.IL2.decay_per_min": 0.0}
    starved = MSCModel(**{**WELL, **kw, "fields.TRP.initial": 0.2}, rng=3)
    fed = MSCModel(**{**WELL, **kw}, rng=3)
    for _ in range(1440):
        starved.step()
        fed.step()
    for m in (starved, fed):
        m.record()
    assert starved.readouts["births_T_total"] < 0.1 * fed.readouts["births_T_total"]
    assert starved.readouts["deaths_T_total"] <= fed.readouts["deaths_T_total"] + 3
    before = starved.readouts["births_T_total"]
    starved.add_to_field("TRP", 25.0)  # the MSCs are gone: medium replaced
    for _ in range(1440):
        starved.step()
    starved.record()
    assert starved.readouts["births_T_total"] - before > 0.5 * fed.readouts["births_T_total"]


def test_pdl1_acts_on_contact_only():
    """PD-L1 knock-out (or anti-PD-L1) raises proliferation in contact co-culture; across a
    transwell PD-L1 cannot act, so its knock-out changes nothing there."""
    kw = {**LICENSED_MSC, "interventions.knockout": ["IDO", "COX2", "TGFB", "HGF", "EV", "IL6"]}
    contact = run(**kw)
    no_pdl1 = run(**{**kw, "interventions.block": ["anti-PD-L1"]})
    assert divisions(no_pdl1) > divisions(contact) * 1.1 + 5
    tw = run(**kw, **{"interventions.transwell": True})
    tw_ko = run(**{**kw, "interventions.transwell": True, "interventions.block": ["anti-PD-L1"]})
    assert divisions(tw_ko) == divisions(tw)


@pytest.mark.xfail(strict=True, reason="known miss since the transwell became a geometry (issue 20): licensed MSCs "
                   "on an insert 1 mm above the well must deplete tryptophan and raise PGE2 in an 11x deeper medium "
                   "column, and without IFN-gamma reaching them their IDO decays (tau 1 day); in 2 days the well "
                   "is not suppressed (Di Nicola 2002 saw transwell suppression over 4-5 days). docs/calibration.md")
def test_human_transwell_still_suppresses():
    ctrl = run()
    tw = run(**LICENSED_MSC, **{"interventions.transwell": True})
    assert divisions(tw) < 0.6 * divisions(ctrl)


def test_msc_lower_th17_treg_ratio_and_raise_tregs_through_tgfb():
    ctrl = run(2880, **{"cells.MAC.count": 20})
    msc = run(2880, **{"cells.MAC.count": 20}, **LICENSED_MSC)
    anti = run(2880, **{"cells.MAC.count": 20}, **LICENSED_MSC, **{"interventions.knockout": ["TGFB", "COX2"]})
    assert msc["frac_T_Treg"] > ctrl["frac_T_Treg"]
    assert msc["frac_T_Treg"] > anti["frac_T_Treg"]
    ratio = lambda r: (r["n_T_Th17"] + 1) / (r["n_T_Treg"] + 1)  # noqa: E731  (+1: defined without Th17)
    assert ratio(msc) < ratio(ctrl)


def test_pge2_shifts_away_from_th1():
    kw = {"cells.T.initial_state": "activated", "cells.DC.count": 6}
    ctrl = run(**kw)
    pge2 = run(**kw, **{"fields.PGE2.initial": 50.0, "fields.PGE2.decay_per_min": 0.0})
    assert pge2["n_T_Th1"] < 0.5 * ctrl["n_T_Th1"] + 1


# ---------------------------------------------------------------------------------------- B cells
def test_msc_lower_plasma_cells_and_antibody():
    kw = {"cells.B.count": 60, "cells.T.initial_state": "activated", "fields.IL6.initial": 300.0,
          "fields.IL6.decay_per_min": 0.0}
    ctrl = run(2880, **kw)
    msc = run(2880, **kw, **LICENSED_MSC)
    assert ctrl["mean_IG_nM"] > 0
    assert msc["mean_IG_nM"] < 0.6 * ctrl["mean_IG_nM"]
    assert msc["n_B_plasma"] <= ctrl["n_B_plasma"]


# ---------------------------------------------------------------------------------------- NK cells
NK_ASSAY = {"cells.T.count": 0, "cells.CD8.count": 0, "cells.DC.count": 0, "cells.NK.count": 60,
            "cells.TISSUE.count": 150, "fields.IL2.initial": 200.0, "fields.IL2.decay_per_min": 0.0}


def test_msc_lower_nk_cytotoxicity():
    kw = {**NK_ASSAY, "cells.NK.count": 30, "cells.TISSUE.count": 300}
    ctrl = run(720, **kw)
    msc = run(720, **kw, **{**LICENSED_MSC, "cells.MSC.count": 40})
    assert ctrl["killed_TISSUE_total"] > 10
    assert msc["killed_TISSUE_total"] < 0.6 * ctrl["killed_TISSUE_total"]


def test_activated_nk_kill_unlicensed_msc_but_primed_msc_are_protected():
    kw = {**NK_ASSAY, "cells.TISSUE.count": 0, "cells.MSC.count": 40, "cells.NK.initial_state": "active",
          "cells.NK.count": 80, "interventions.knockout": ["IDO", "COX2", "TGFB", "EV"]}
    # NK IFN-gamma would prime the naive arm's MSCs too: their IFN-gamma signalling is off
    naive = run(1440, **kw, **{"rules.ifng_activates_msc_stat1.enabled": False})
    primed = run(1440, **kw, **{"interventions.prelicense": "IFNG"})
    assert naive["killed_MSC_total"] > 15
    assert primed["killed_MSC_total"] < 0.5 * naive["killed_MSC_total"]


# ---------------------------------------------------------------------------------------- DCs, macrophages
DC_ASSAY = {"cells.T.count": 0, "cells.CD8.count": 0, "cells.DC.count": 40, "cells.DC.initial_state": "immature",
            "fields.TNF.initial": 200.0, "fields.TNF.decay_per_min": 0.0}


def test_msc_block_dc_maturation_through_pge2():
    ctrl = run(720, **DC_ASSAY)
    msc = run(720, **DC_ASSAY, **LICENSED_MSC)
    ko = run(720, **DC_ASSAY, **LICENSED_MSC, **{"interventions.knockout": ["COX2"]})
    assert ctrl["frac_DC_mature"] > 0.6
    assert msc["frac_DC_mature"] < 0.5 * ctrl["frac_DC_mature"]
    assert ko["frac_DC_mature"] > msc["frac_DC_mature"] + 0.2


TREGS = {"cells.T.count": 120, "cells.T.initial_state": "Treg"}
TREG_DC_OFF = {"rules.treg_ctla4_disarms_dc.enabled": False, "rules.treg_blocks_dc_maturation.enabled": False}


def test_tregs_keep_dcs_from_priming_on_contact():
    """Onishi 2008: Tregs aggregating on DCs down-modulate CD80/86 (CTLA-4) even under a maturing
    stimulus. Immature DCs in TNF mature less with Tregs around than with the same Tregs whose two
    contact rules are off (what is left is their IL-10/TGF-beta), and mature DCs are disarmed."""
    ctrl = run(720, **DC_ASSAY)
    treg = run(720, **{**DC_ASSAY, **TREGS})
    off = run(720, **{**DC_ASSAY, **TREGS, **TREG_DC_OFF})
    assert treg["frac_DC_mature"] < off["frac_DC_mature"] - 0.2
    assert off["frac_DC_mature"] < ctrl["frac_DC_mature"]
    mature = {**DC_ASSAY, "cells.DC.initial_state": "mature", "fields.TNF.initial": 0.0}
    assert run(720, **mature)["frac_DC_mature"] == 1.0
    assert run(720, **{**mature, **TREGS})["frac_DC_mature"] < 0.7
    assert run(720, **{**mature, **TREGS, **TREG_DC_OFF})["frac_DC_mature"] == 1.0


def test_msc_pge2_turns_macrophages_m2_and_cox2_knockout_lowers_it():
    kw = {"cells.T.count": 0, "cells.CD8.count": 0, "cells.DC.count": 0, "cells.MAC.count": 40,
          "cells.MAC.initial_state": "M1"}
    ctrl = run(720, **kw)
    msc = run(720, **kw, **LICENSED_MSC)
    ko = run(720, **kw, **LICENSED_MSC, **{"interventions.knockout": ["COX2", "TSG6", "EV"]})
    assert msc["frac_MAC_M2"] > ctrl["frac_MAC_M2"] + 0.3
    assert ko["frac_MAC_M2"] < msc["frac_MAC_M2"] - 0.2


def test_tnf_induces_msc_tsg6_which_turns_macrophages_m2():
    kw = {"cells.T.count": 0, "cells.CD8.count": 0, "cells.DC.count": 0, "cells.MAC.count": 40,
          "cells.MAC.initial_state": "M1", "cells.MSC.count": 20,
          "interventions.knockout": ["COX2", "EV", "IL6", "TGFB"],
          "fields.TNF.initial": 500.0, "fields.TNF.decay_per_min": 0.0}
    with_tsg6 = run(720, **kw)
    without = run(720, **{**kw, "interventions.knockout": ["COX2", "EV", "IL6", "TGFB", "TSG6"]})
    assert with_tsg6["mean_TSG6_pM"] > 1.0 and without["mean_TSG6_pM"] == 0.0
    assert with_tsg6["frac_MAC_M2"] > without["frac_MAC_M2"] + 0.2


def test_efferocytosis_of_apoptotic_msc_turns_macrophages_m2():
    """'Hit and run': apoptotic MSCs are engulfed by macrophages, which turn regulatory."""
    kw = {"cells.T.count": 0, "cells.CD8.count": 0, "cells.DC.count": 0, "cells.MAC.count": 40,
          "cells.MSC.count": 100, "interventions.knockout": sorted(MSC_FACTORS)}
    alive = run(1440, **kw)
    dying = run(1440, **kw, **{"behaviours.MSC.naive.death_rate_per_min": 0.01})
    assert dying["engulfed_total"] > 30 and alive["engulfed_total"] < 5
    assert dying["frac_MAC_M2"] > alive["frac_MAC_M2"] + 0.1


# ---------------------------------------------------------------------------------------- EVs, species
def test_msc_ev_dose_lowers_dc_maturation_but_less_than_cells_on_t():
    """EVs act once taken up (tests/test_ev_uptake.py): given 12 h before the maturing TNF, they lower DC
    maturation; on T cells they act, but less than the licensed parent cells."""
    ev = {"interventions.doses": [{"at_min": 0.0, "field": "EV", "level": 50.0}]}
    tnf_later = {k: v for k, v in DC_ASSAY.items() if k != "fields.TNF.initial"}
    tnf = [{"at_min": 720.0, "field": "TNF", "level": 200.0}]
    dc_ctrl = run(1440, **tnf_later, **{"interventions.doses": tnf})
    dc_ev = run(1440, **tnf_later, **{"interventions.doses": tnf + ev["interventions.doses"]})
    assert dc_ev["frac_DC_mature"] < 0.7 * dc_ctrl["frac_DC_mature"]
    t_ctrl, t_ev, t_msc = run(), run(**ev), run(**LICENSED_MSC)
    assert divisions(t_msc) < divisions(t_ev) < 0.9 * divisions(t_ctrl)


def test_mouse_preset_suppresses_through_nitric_oxide():
    mouse = {k: v for k, v in WELL.items() if not k.startswith("fields.PGE2")}
    cfg = lambda **kw: load_config("mouse", values={**mouse, **LICENSED_MSC, **kw})  # noqa: E731
    def go(c):
        m = MSCModel(c, rng=7)
        for _ in range(2880):
            m.step()
        m.record()
        return m.readouts
    others = ["COX2", "TGFB", "HGF", "EV", "IL6", "PDL1"]  # leave NO as the route under test
    wt = go(cfg(**{"interventions.knockout": others}))
    ko = go(cfg(**{"interventions.knockout": others + ["iNOS"]}))
    assert wt["mean_NO_nM"] > 0 and ko["mean_NO_nM"] == 0
    assert divisions(ko) > 1.2 * divisions(wt) + 5


def test_mouse_chemokines_pull_t_cells_to_msc():
    from scipy.spatial import cKDTree

    def mean_distance(preset):
        """mean T-to-nearest-MSC distance after 6 h, over two seeds (no DCs: only chemotaxis matters)"""
        c = load_config(preset, values={**{k: v for k, v in WELL.items() if not k.startswith("fields.PGE2")},
                                        **LICENSED_MSC, "cells.T.initial_state": "Th1", "cells.DC.count": 0})
        d = []
        for seed in (5, 6):
            m = MSCModel(c, rng=seed)
            for _ in range(360):
                m.step()
            f = m.cells.to_frame()
            msc = f[f["type"] == "MSC"][["x_um", "y_um"]].to_numpy()
            t = f[f["type"] == "T"][["x_um", "y_um"]].to_numpy()
            d.append(float(np.mean(cKDTree(msc).query(t)[0])))
        return float(np.mean(d))

    assert mean_distance("mouse") < 0.85 * mean_distance("human")
