"""Neutrophils, IL-8 and the respiratory burst (issue 22 item 1; SCIENCE.md s2b): short-lived cells recruited by
IL-8, activated by TNF-alpha, IL-17, danger signals and IL-8; active neutrophils make oxidants (ROS field) that
damage tissue, NETs (DAMP) and IL-8; MSCs prolong their survival and damp their burst through IL-6 (Raffaghello
2008); IL-17 and TNF raise IL-8 in the parenchyma; the steroid-like drug leaves neutrophils alone.

Each mechanism with the new piece on vs off, paired seeds, in a small well with nothing but the cells under test.
"""

import math

import pytest
from quiet_well import QUIET, run

from mscabm.biology.celltypes import BASE_BEHAVIOURS
from mscabm.biology.fields import molecules_to_amount
from mscabm.biology.interventions import IMMUNOSUPPRESSANT_TARGETS
from mscabm.biology.rules import DEFAULT_RULES
from mscabm.config import load_config
from mscabm.model import MSCModel

SEEDS = (1, 2)
#: active neutrophils that neither die nor move: a steady oxidant, NET and IL-8 source
BURSTING = {"cells.NEUT.initial_state": "active", "behaviours.NEUT.active.death_rate_per_min": 0.0,
            "behaviours.NEUT.active.speed_um_per_min": 0.0}
ACTIVE = BASE_BEHAVIOURS["NEUT"]["active"]



def test_neutrophil_is_a_cell_type_with_il8_and_ros_fields_in_the_lesions_s2b_names():
    cfg = load_config()
    assert cfg.cells["NEUT"].states == ["resting", "active"] and cfg.cells["NEUT"].count == 0
    assert cfg.fields["IL8"].unit == "pM" and cfg.fields["ROS"].unit == "uM"
    for disease in ("ra", "psoriasis", "gvhd", "sle"):  # SCIENCE.md s2b
        d = load_config(f"disease_{disease}")
        assert d.cells["NEUT"].count > 0 and d.influx["NEUT"].field == "IL8"
    for disease in ("ms", "t1d", "pss"):
        assert load_config(f"disease_{disease}").cells["NEUT"].count == 0


def test_active_neutrophils_export_oxidants_nets_and_il8_at_the_tabled_rates():
    """Mass balance: N bursting neutrophils in a closed well with no decay hold N x export x t molecules of each
    species (the field's mean times the well volume)."""
    n, t_min, volume_um3 = 5, 60, 200.0 * 200.0 * 100.0
    no_decay = {f"fields.{f}.decay_per_min": 0.0 for f in ("ROS", "DAMP", "IL8")}
    r = run(t_min, 1, **{"cells.NEUT.count": n, **BURSTING, **no_decay})
    for field, unit in (("ROS", "uM"), ("DAMP", "pM"), ("IL8", "pM")):
        molecules = r[f"mean_{field}_{unit}"] * volume_um3 / molecules_to_amount(unit)
        assert molecules == pytest.approx(n * ACTIVE[f"export_{field}_molecules_per_min"][0] * t_min, rel=1e-5)
    resting = run(t_min, 1, **{"cells.NEUT.count": n, **no_decay})
    assert resting["mean_ROS_uM"] == resting["mean_IL8_pM"] == 0.0  # nothing to activate them: no burst


def test_ros_half_max_is_the_level_beside_one_bursting_neutrophil():
    """The damage half-max is derived, not fitted: the oxidant level in the voxel of one active neutrophil in a
    250 x 250 x 100 um lesion patch with the lesion's oxidant decay (biology/rules.py _ROS_K)."""
    m = MSCModel(**{**QUIET, "domain.width_um": 250.0, "domain.height_um": 250.0, "domain.thickness_um": 100.0,
                    "cells.NEUT.count": 1, **BURSTING}, rng=1)
    for _ in range(10):  # the oxidant settles within a minute (decay 6/min)
        m.step()
    k = DEFAULT_RULES["ros_damages_tissue"]["half_max"]
    assert m.lattice.field("ROS").max() == pytest.approx(k, rel=0.1)


ACTIVATION = {"tnf_activates_neut": "TNF", "il17_activates_neut": "IL17", "damp_activates_neut": "DAMP",
              "il8_activates_neut": "IL8"}


@pytest.mark.parametrize("rule, field", ACTIVATION.items())
def test_activation_at_the_half_max_follows_the_hill_law(rule, field):
    """Resting neutrophils in a fixed level at the rule's half-max (no source, no decay) activate as a Poisson
    process of rate saturation / 2, so after t the ever-activated fraction is 1 - exp(-rate t); with the rule
    off, none do."""
    spec = DEFAULT_RULES[rule]
    n, t_min = 300, 20
    kw = {"cells.NEUT.count": n, f"fields.{field}.initial": spec["half_max"], f"fields.{field}.decay_per_min": 0.0,
          "behaviours.NEUT.resting.death_rate_per_min": 0.0, "behaviours.NEUT.active.death_rate_per_min": 0.0,
          # the rule alone: no feedback through the active cells' own IL-8 and NETs
          **{f"rules.{r}.enabled": False for r in ACTIVATION if r != rule}}
    r = run(t_min, 4, **kw)
    p = 1.0 - math.exp(-spec["saturation"] / 2.0 * t_min)
    assert abs(r["n_NEUT_active"] / n - p) < 4.0 * math.sqrt(p * (1 - p) / n), (r["n_NEUT_active"] / n, p)
    assert run(t_min, 4, **kw, **{f"rules.{rule}.enabled": False})["n_NEUT_active"] == 0


def test_neutrophils_are_short_lived_and_il6_prolongs_their_survival():
    """s2b: hours to a day. In a fixed IL-6 level of 10 x the half-max, the death rate falls from 1/720 toward
    1/2160 by 10/11: survivors after t follow exp(-rate t) (4 sd), more than with the rule off."""
    n, t_min = 400, 720
    base = {"cells.NEUT.count": n, "rules.il8_activates_neut.enabled": False, "domain.width_um": 400.0,
            "domain.height_um": 400.0}
    k = DEFAULT_RULES["il6_prolongs_neut_survival_resting"]["half_max"]
    il6 = {"fields.IL6.initial": 10 * k, "fields.IL6.decay_per_min": 0.0}
    lo, hi = 1.0 / 2160, BASE_BEHAVIOURS["NEUT"]["resting"]["death_rate_per_min"][0]
    for rate, kw in ((hi, {}), (hi - (hi - lo) * 10 / 11, il6)):
        r = run(t_min, 5, **base, **kw)
        alive = r["n_NEUT_resting"] + r["n_NEUT_active"]
        p = math.exp(-rate * t_min)
        assert abs(alive / n - p) < 4.0 * math.sqrt(p * (1 - p) / n), (alive / n, p)
    cut = run(t_min, 5, **base, **il6, **{"rules.il6_prolongs_neut_survival_resting.enabled": False})
    with_il6 = run(t_min, 5, **base, **il6)
    assert with_il6["n_NEUT_resting"] > cut["n_NEUT_resting"] + 40


def test_mscs_keep_neutrophils_alive_through_il6():
    """Raffaghello 2008 (s2b): MSCs inhibit neutrophil apoptosis through IL-6, without contact. MSCs in the well
    raise the survivors; knocking out MSC IL-6 removes the effect, and so does switching the rule off."""
    kw = {"cells.NEUT.count": 400, "rules.il8_activates_neut.enabled": False, "domain.width_um": 400.0,
          "domain.height_um": 400.0}
    msc = {"cells.MSC.count": 24, "fields.IL6.decay_per_min": 0.002}
    n, p = 400, math.exp(-1440 * BASE_BEHAVIOURS["NEUT"]["resting"]["death_rate_per_min"][0])
    for seed in SEEDS:
        alone = run(1440, seed, **kw)
        with_msc = run(1440, seed, **kw, **msc)
        ko = run(1440, seed, **kw, **msc, **{"interventions.knockout": ["IL6"]})
        cut = run(1440, seed, **kw, **msc, **{f"rules.il6_prolongs_neut_survival_{s}.enabled": False
                                             for s in ("resting", "active")})
        assert with_msc["mean_IL6_pM"] > 50.0
        assert with_msc["n_NEUT"] > 2.0 * alone["n_NEUT"]
        assert ko["mean_IL6_pM"] == 0.0
        for r in (alone, ko, cut):  # survivors at the base death rate: n exp(-t/720), 4 sd
            assert abs(r["n_NEUT"] - n * p) < 4.0 * math.sqrt(n * p * (1 - p)), (seed, r["n_NEUT"], n * p)


def test_il6_damps_the_respiratory_burst_by_the_hill_factor():
    """Mass balance with IL-6 fixed at the half-max: the burst is export x (1 - (1 - 1/2) x 1/2) = 3/4 of it."""
    n, t_min = 5, 60
    no_decay = {"fields.ROS.decay_per_min": 0.0}
    k = DEFAULT_RULES["il6_damps_neut_burst"]["half_max"]
    free = run(t_min, 1, **{"cells.NEUT.count": n, **BURSTING, **no_decay})
    damped = run(t_min, 1, **{"cells.NEUT.count": n, **BURSTING, **no_decay, "fields.IL6.initial": k,
                              "fields.IL6.decay_per_min": 0.0})
    assert damped["mean_ROS_uM"] == pytest.approx(0.75 * free["mean_ROS_uM"], rel=1e-5)


def test_bursting_neutrophils_damage_tissue_through_their_oxidants():
    tissue = {"cells.TISSUE.count": 60, "behaviours.TISSUE.damaged.to_healthy_per_min": 0.0}
    for seed in SEEDS:
        burst = run(720, seed, **tissue, **{"cells.NEUT.count": 10, **BURSTING})
        cut = run(720, seed, **tissue, **{"cells.NEUT.count": 10, **BURSTING, "rules.ros_damages_tissue.enabled":
                                          False})
        none = run(720, seed, **tissue)
        assert burst["mean_ROS_uM"] > DEFAULT_RULES["ros_damages_tissue"]["half_max"]
        assert burst["frac_TISSUE_damaged"] >= 0.25
        assert cut["frac_TISSUE_damaged"] == none["frac_TISSUE_damaged"] == 0.0


def test_il8_recruits_neutrophils_and_il17_makes_the_parenchyma_call_them():
    """IL-17 raises parenchymal IL-8 (tissue -> IL-8 mass balance), and the IL-8-driven influx follows
    rate x (1 + (max_fold - 1) H) (counts over 12 h, Poisson, 4 sd)."""
    n_t, t_min, k = 30, 60, DEFAULT_RULES["il17_raises_tissue_il8_healthy"]["half_max"]
    no_decay = {"fields.IL8.decay_per_min": 0.0, "fields.IL17.decay_per_min": 0.0, "fields.IL17.initial": k}
    tissue = {"cells.TISSUE.count": n_t, "rules.il17_damages_tissue.enabled": False,
              "behaviours.TISSUE.healthy.cycle_rate_per_min": 0.0}
    r = run(t_min, 1, **tissue, **no_decay)
    molecules = r["mean_IL8_pM"] * 200.0 * 200.0 * 100.0 / molecules_to_amount("pM")
    assert molecules == pytest.approx(n_t * 600.0 / 2 * t_min, rel=1e-5)
    assert run(t_min, 1, **tissue, **no_decay, **{"rules.il17_raises_tissue_il8_healthy.enabled": False}
               )["mean_IL8_pM"] == 0.0
    influx = {"influx.NEUT.rate_per_min": 0.05, "influx.NEUT.max_fold": 5.0, "influx.NEUT.field": "IL8",
              "influx.NEUT.half_max": 100.0, "behaviours.NEUT.resting.death_rate_per_min": 0.0,
              "rules.il8_activates_neut.enabled": False}  # resting arrivals: the IL-8 level stays as set
    for il8, fold in ((0.0, 1.0), (100.0, 3.0)):
        got = run(720, 3, **influx, **{"fields.IL8.initial": il8, "fields.IL8.decay_per_min": 0.0})["n_NEUT"]
        mean = 0.05 * fold * 720
        assert abs(got - mean) < 4.0 * math.sqrt(mean), (il8, got, mean)


def test_nets_activate_plasmacytoid_dcs():
    """NETs are a danger signal and autoantigen source (s2b: Brinkmann 2004): bursting neutrophils' DNA activates
    resting pDCs (damp_activates_pdc), which stay resting without them."""
    pdc = {"cells.PDC.count": 20}
    for seed in SEEDS:
        nets = run(720, seed, **pdc, **{"cells.NEUT.count": 10, **BURSTING})
        none = run(720, seed, **pdc)
        assert nets["mean_DAMP_pM"] > 50.0 and nets["n_PDC_active"] >= 5 and none["n_PDC_active"] == 0


def test_the_steroid_like_drug_leaves_neutrophils():
    """Glucocorticoids do not curb neutrophils (they delay their apoptosis, Cox 1995): the drug has no neutrophil
    target, and a drugged burst equals a free one."""
    assert not [t for t in IMMUNOSUPPRESSANT_TARGETS if t[0] == "NEUT"]
    kw = {"cells.NEUT.count": 20, "fields.TNF.initial": 200.0, "fields.TNF.decay_per_min": 0.0}
    free = run(240, 1, **kw)
    drug = run(240, 1, **kw, **{"interventions.immunosuppressant": 0.9})
    assert drug["n_NEUT_active"] == free["n_NEUT_active"] > 0 and drug["mean_ROS_uM"] == free["mean_ROS_uM"]
