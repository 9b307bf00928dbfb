"""Gut epithelium (issue 22 item 5; SCIENCE.md s2b): an epithelial barrier that IFN-gamma and TNF-alpha breach and
HGF, TSG-6 and IL-22 help repair; a breached barrier lets bacterial LPS in, which turns macrophages M1; the IBD
lesion's parenchyma is this epithelium.

Each mechanism with the new piece on vs off, paired seeds, in a small well with nothing but the cells under test.
"""

import math

import pytest
from quiet_well import run

from mscabm.biology.celltypes import BASE_BEHAVIOURS
from mscabm.biology.fields import molecules_to_amount
from mscabm.biology.rules import DEFAULT_RULES
from mscabm.config import load_config

SEEDS = (1, 2)
DAMAGE = {"tnf_damages_epi": "TNF", "ifng_damages_epi": "IFNG"}
REPAIR = {"hgf_repairs_epi": "HGF", "tsg6_repairs_epi": "TSG6", "il22_repairs_epi": "IL22"}
#: enterocytes that neither divide nor die, and do not repair by themselves: only the rules under test move them
STILL = {"behaviours.EPI.intact.cycle_rate_per_min": 0.0, "behaviours.EPI.damaged.death_rate_per_min": 0.0,
         "behaviours.EPI.damaged.to_intact_per_min": 0.0}



def test_epithelium_exists_and_only_the_ibd_lesion_carries_it():
    cfg = load_config()
    assert cfg.cells["EPI"].states == ["intact", "damaged"] and cfg.cells["EPI"].count == 0
    ibd = load_config("disease_ibd")
    assert ibd.cells["EPI"].count > 0 and ibd.cells["TISSUE"].count == 0
    assert (ibd.disease.tissue_type, ibd.disease.healthy_state) == ("EPI", "intact")
    for disease in ("ra", "sle", "gvhd", "psoriasis", "ms", "t1d", "pss"):
        assert load_config(f"disease_{disease}").cells["EPI"].count == 0


@pytest.mark.parametrize("rule, field", DAMAGE.items())
def test_cytokine_breach_at_the_half_max_follows_the_hill_law(rule, field):
    """Intact enterocytes in a fixed level at the rule's half-max (the other damage rule off) are breached as a
    Poisson process of rate saturation / 2 (4 sd); with the rule off, none are."""
    spec = DEFAULT_RULES[rule]
    n, t_min = 200, 720
    kw = {"cells.EPI.count": n, f"fields.{field}.initial": spec["half_max"], f"fields.{field}.decay_per_min": 0.0,
          **STILL, **{f"rules.{r}.enabled": False for r in DAMAGE if r != rule}}
    p = 1.0 - math.exp(-spec["saturation"] / 2.0 * t_min)
    got = run(t_min, 4, **kw)["n_EPI_damaged"] / n
    assert abs(got - p) < 4.0 * math.sqrt(p * (1 - p) / n), (got, p)
    assert run(t_min, 4, **kw, **{f"rules.{rule}.enabled": False})["n_EPI_damaged"] == 0


@pytest.mark.parametrize("rule, field", REPAIR.items())
def test_repair_at_the_half_max_follows_the_hill_law(rule, field):
    """Breached enterocytes (no intrinsic repair) in a fixed level at the rule's half-max close as a Poisson
    process of rate saturation / 2 (4 sd); with the rule off, none do."""
    spec = DEFAULT_RULES[rule]
    n, t_min = 200, 720
    kw = {"cells.EPI.count": n, "cells.EPI.initial_state": "damaged", **STILL,
          f"fields.{field}.initial": spec["half_max"], f"fields.{field}.decay_per_min": 0.0}
    p = 1.0 - math.exp(-spec["saturation"] / 2.0 * t_min)
    got = run(t_min, 4, **kw)["n_EPI_intact"] / n
    assert abs(got - p) < 4.0 * math.sqrt(p * (1 - p) / n), (got, p)
    assert run(t_min, 4, **kw, **{f"rules.{rule}.enabled": False})["n_EPI_intact"] == 0


def test_a_breached_barrier_lets_lps_in_and_lps_turns_macrophages_m1():
    """Mass balance: N breached enterocytes export N x export x t LPS (no decay); intact ones none. Macrophages
    beside a breach turn M1 through TLR4 (lps_polarises_m1), and stay M0 with the rule off."""
    n, t_min = 20, 120
    export = BASE_BEHAVIOURS["EPI"]["damaged"]["export_LPS_molecules_per_min"][0]
    breach = {"cells.EPI.count": n, "cells.EPI.initial_state": "damaged", **STILL}
    r = run(t_min, 1, **breach)
    molecules = r["mean_LPS_nM"] * 200.0 * 200.0 * 100.0 / molecules_to_amount("nM")
    assert molecules == pytest.approx(n * export * t_min, rel=1e-5)
    assert run(t_min, 1, **{**breach, "cells.EPI.initial_state": "intact"})["mean_LPS_nM"] == 0.0
    mac = {"cells.MAC.count": 30, "cells.MAC.initial_state": "M0", "cells.MAC.state_fractions": {},
           "behaviours.EPI.damaged.export_DAMP_molecules_per_min": 0.0}  # LPS alone: no danger signal
    for seed in SEEDS:
        on = run(720, seed, **breach, **mac)
        off = run(720, seed, **breach, **mac, **{"rules.lps_polarises_m1.enabled": False})
        assert on["mean_LPS_nM"] > DEFAULT_RULES["lps_polarises_m1"]["half_max"]
        assert on["frac_MAC_M1"] > 0.3 and on["frac_MAC_M1"] > off["frac_MAC_M1"] + 0.2


def test_licensed_mscs_help_the_barrier_close_through_tsg6_and_hgf():
    """s2b: HGF and TSG-6 help repair. TNF-exposed MSCs beside breached enterocytes (no intrinsic repair, no damage
    rules) close more of them than no MSCs; knocking out MSC TSG-6 and HGF removes the effect."""
    kw = {"cells.EPI.count": 60, "cells.EPI.initial_state": "damaged", **STILL,
          **{f"rules.{r}.enabled": False for r in DAMAGE}, "fields.TSG6.decay_per_min": 0.002,
          "fields.HGF.decay_per_min": 0.002}
    msc = {"cells.MSC.count": 8, "interventions.prelicense": "IFNG+TNF", "fields.TNF.initial": 200.0,
           "fields.TNF.decay_per_min": 0.0, "rules.tnf_stalls_epi_repair.enabled": False}
    for seed in SEEDS:
        alone = run(1440, seed, **kw)
        with_msc = run(1440, seed, **kw, **msc)
        ko = run(1440, seed, **kw, **msc, **{"interventions.knockout": ["TSG6", "HGF"]})
        assert alone["n_EPI_intact"] == 0 and ko["n_EPI_intact"] == 0
        assert with_msc["mean_TSG6_pM"] > 0.0 and with_msc["n_EPI_intact"] >= 10


def test_mscs_become_epithelium_only_when_the_optional_rule_is_on():
    """The source article's claim (M): MSCs touching the epithelium turn into enterocytes. Off by default: none do;
    switched on, MSCs in contact with enterocytes become intact enterocytes and the counts add up."""
    rule = DEFAULT_RULES["msc_becomes_epithelium"]
    assert rule.get("enabled") is False and rule["signal"] == "contact:EPI"
    assert load_config("disease_ibd").rules["msc_becomes_epithelium"].enabled is False
    kw = {"cells.EPI.count": 150, "cells.MSC.count": 30, **STILL, "behaviours.MSC.naive.death_rate_per_min": 0.0}
    off = run(720, 1, **kw)
    on = run(720, 1, **kw, **{"rules.msc_becomes_epithelium.enabled": True,
                              "rules.msc_becomes_epithelium.saturation": 1.0 / 120})  # fast, for the test
    assert off["n_MSC"] == 30 and off["n_EPI"] == 150 and "transdifferentiated_total" not in off
    assert on["transdifferentiated_total"] >= 5
    assert on["n_MSC"] == 30 - on["transdifferentiated_total"]
    assert on["n_EPI"] == 150 + on["transdifferentiated_total"]
