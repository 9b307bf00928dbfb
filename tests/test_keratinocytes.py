"""Keratinocytes and IL-22 (issue 22 item 4; SCIENCE.md s2b): IL-17, IL-22 and TNF-alpha drive keratinocytes into
hyperproliferation and hold them there; psoriatic keratinocytes cycle ~9x faster and make IL-8 and chemokines; their
hyperproliferation drives the psoriasis index; MSCs curb it only through the immune route.

Each mechanism with the new piece on vs off, paired seeds, in a small well with nothing but the cells under test.
"""

import math

import pytest
from quiet_well import run

from mscabm.biology.celltypes import BASE_BEHAVIOURS
from mscabm.biology.fields import molecules_to_amount
from mscabm.biology.rules import DEFAULT_RULES
from mscabm.config import load_config
from mscabm.model import MSCModel

SEEDS = (1, 2)
ACTIVATION = {"il17_activates_kerat": "IL17", "il22_activates_kerat": "IL22", "tnf_activates_kerat": "TNF"}
#: keratinocytes that neither divide nor die: only their state changes
STILL = {f"behaviours.KERAT.{s}.{b}": 0.0 for s in ("normal", "hyperproliferative")
         for b in ("cycle_rate_per_min", "death_rate_per_min")}



def test_keratinocytes_and_il22_exist_and_only_the_psoriasis_plaque_carries_keratinocytes():
    cfg = load_config()
    assert cfg.cells["KERAT"].states == ["normal", "hyperproliferative"] and cfg.cells["KERAT"].count == 0
    assert cfg.fields["IL22"].unit == "pM"
    pso = load_config("disease_psoriasis")
    assert pso.cells["KERAT"].count > 0 and pso.cells["TISSUE"].count == 0
    assert (pso.disease.tissue_type, pso.disease.healthy_state) == ("KERAT", "normal")
    for disease in ("ra", "sle", "gvhd", "ibd", "ms", "t1d", "pss"):
        assert load_config(f"disease_{disease}").cells["KERAT"].count == 0


def test_th17_cells_export_il22_at_the_tabled_rate():
    """Mass balance: N Th17 cells that neither divide nor die, no IL-22 decay: N x export x t molecules."""
    n, t_min = 10, 60
    r = run(t_min, 1, **{"cells.T.count": n, "cells.T.initial_state": "Th17", "fields.IL22.decay_per_min": 0.0,
                         "behaviours.T.Th17.death_rate_per_min": 0.0, "behaviours.T.Th17.cycle_rate_per_min": 0.0})
    molecules = r["mean_IL22_pM"] * 200.0 * 200.0 * 100.0 / molecules_to_amount("pM")
    export = BASE_BEHAVIOURS["T"]["Th17"]["export_IL22_molecules_per_min"][0]
    assert r["n_T_Th17"] >= n - 2  # the default CD4 mix seeds a few cells in other states
    assert molecules == pytest.approx(r["n_T_Th17"] * export * t_min, rel=1e-5)


@pytest.mark.parametrize("rule, field", ACTIVATION.items())
def test_activation_at_the_half_max_follows_the_hill_law(rule, field):
    """Normal keratinocytes in a fixed level at the rule's half-max (the other two rules off) turn hyperproliferative
    as a Poisson process of rate saturation / 2 (4 sd); with the rule off, none do."""
    spec = DEFAULT_RULES[rule]
    n, t_min = 200, 720
    kw = {"cells.KERAT.count": n, f"fields.{field}.initial": spec["half_max"], f"fields.{field}.decay_per_min": 0.0,
          "behaviours.KERAT.hyperproliferative.to_normal_per_min": 0.0, **STILL,
          **{f"rules.{r}.enabled": False for r in ACTIVATION if r != rule}}
    r = run(t_min, 4, **kw)
    p = 1.0 - math.exp(-spec["saturation"] / 2.0 * t_min)
    got = r["n_KERAT_hyperproliferative"] / n
    assert abs(got - p) < 4.0 * math.sqrt(p * (1 - p) / n), (got, p)
    assert run(t_min, 4, **kw, **{f"rules.{rule}.enabled": False})["n_KERAT_hyperproliferative"] == 0


def test_the_cytokines_hold_keratinocytes_hyperproliferative():
    """Without a drive, hyperproliferative keratinocytes return to normal at 1/(3 d); IL-17 at 10 x its half-max cuts
    that rate to 1/11 of it (rule il17_holds_kerat_hyperproliferation), so after t the returned fraction is
    1 - exp(-rate t) in both cases (4 sd)."""
    n, t_min = 200, 2880
    base = BASE_BEHAVIOURS["KERAT"]["hyperproliferative"]["to_normal_per_min"][0]
    k = DEFAULT_RULES["il17_holds_kerat_hyperproliferation"]["half_max"]
    kw = {"cells.KERAT.count": n, "cells.KERAT.initial_state": "hyperproliferative", **STILL,
          **{f"rules.{r}.enabled": False for r in ACTIVATION}}  # a returned cell stays normal
    il17 = {"fields.IL17.initial": 10 * k, "fields.IL17.decay_per_min": 0.0}
    for rate, extra in ((base, {}), (base / 11, il17)):
        got = run(t_min, 5, **kw, **extra)["n_KERAT_normal"] / n
        p = 1.0 - math.exp(-rate * t_min)
        assert abs(got - p) < 4.0 * math.sqrt(p * (1 - p) / n), (got, p)


def test_psoriatic_keratinocytes_cycle_about_nine_times_faster():
    """Sparse cells (no contact inhibition), no death, no state change: in 80 h a hyperproliferative keratinocyte
    (36 h cycle) divides at least twice, a normal one (311 h) at most once."""
    for state, low, high in (("hyperproliferative", 4.0, 8.0), ("normal", 1.0, 1.3)):
        kw = {"cells.KERAT.count": 10, "cells.KERAT.initial_state": state, "domain.width_um": 400.0,
              "domain.height_um": 400.0, "behaviours.KERAT.hyperproliferative.to_normal_per_min": 0.0,
              "behaviours.KERAT.normal.death_rate_per_min": 0.0,
              "behaviours.KERAT.hyperproliferative.death_rate_per_min": 0.0}
        n = run(80 * 60, 1, **kw)["n_KERAT"]
        assert low * 10 <= n < high * 10, (state, n)


def test_hyperproliferative_keratinocytes_call_neutrophils_and_t_cells():
    kw = {"cells.KERAT.count": 30, "cells.KERAT.initial_state": "hyperproliferative", **STILL,
          "behaviours.KERAT.hyperproliferative.to_normal_per_min": 0.0}
    r = run(60, 1, **kw)
    normal = run(60, 1, **{**kw, "cells.KERAT.initial_state": "normal"})
    assert r["mean_IL8_pM"] > 0.0 and r["mean_CXCL_pM"] > 0.0
    assert normal["mean_IL8_pM"] == normal["mean_CXCL_pM"] == 0.0


def test_mscs_act_on_keratinocytes_only_through_the_immune_route():
    """s2b: MSCs curb keratinocyte hyperproliferation through the immune route. No keratinocyte rule reads an MSC
    mediator, and licensed MSCs beside keratinocytes held by a fixed IL-17 level change nothing."""
    msc_mediators = ("PGE2", "KYN", "TRP", "TSG6", "HGF", "NO", "EV", "TGFB", "IL10", "MSC")
    for name, rule in DEFAULT_RULES.items():
        if rule["cell_type"] == "KERAT":
            assert not any(m in rule["signal"] for m in msc_mediators), name
    n, t_min, k = 60, 1440, DEFAULT_RULES["il17_activates_kerat"]["half_max"]
    kw = {"cells.KERAT.count": n, **STILL, "fields.IL17.initial": k, "fields.IL17.decay_per_min": 0.0}
    up = DEFAULT_RULES["il17_activates_kerat"]["saturation"] / 2  # at the half-max of both IL-17 rules
    down = BASE_BEHAVIOURS["KERAT"]["hyperproliferative"]["to_normal_per_min"][0] / 2
    p = up / (up + down) * (1.0 - math.exp(-(up + down) * t_min))
    for seed in SEEDS:
        alone = run(t_min, seed, **kw)
        with_msc = run(t_min, seed, **kw, **{"cells.MSC.count": 8, "interventions.prelicense": "IFNG+TNF",
                                             "fields.PGE2.decay_per_min": 0.002})
        assert with_msc["mean_PGE2_nM"] > 5.0 and with_msc["mean_TRP_uM"] < 20.0
        for r in (alone, with_msc):  # both the two-state Markov chain of the IL-17 rules alone (4 sd)
            assert abs(r["n_KERAT_hyperproliferative"] - n * p) < 4.0 * math.sqrt(n * p * (1 - p)), (seed, r)


def test_keratinocyte_hyperproliferation_drives_the_psoriasis_index():
    """In the plaque, switching off the keratinocytes' three activating rules (the cytokines stay) lets them return
    to normal: the involved-skin fraction falls well below the untreated plaque's by day 4."""
    steps = 4 * 1440
    full = MSCModel("disease_psoriasis", **{"model.steps": steps}, rng=3)
    cut = MSCModel("disease_psoriasis", **{"model.steps": steps, **{f"rules.{r}.enabled": False
                                                                    for r in ACTIVATION}}, rng=3)
    for m in (full, cut):
        while m.running:
            m.step()
    assert full.readouts["disease_damage_frac"] > 0.5
    assert cut.readouts["disease_damage_frac"] < 0.6 * full.readouts["disease_damage_frac"]
    assert cut.readouts["disease_activity"] < full.readouts["disease_activity"] - 10.0
