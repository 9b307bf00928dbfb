"""Th2 fate and IL-4 (issue 22 item 2; SCIENCE.md s2, s2b): IL-4 drives Th2 and opposes Th1; MSC PGE2 shifts
activated CD4 T cells toward Th2 as a fate (Aggarwal & Pittenger 2005: IFN-gamma down, IL-4 up), replacing the
old "PGE2 blocks Th1" shortcut; Th2 cells help B cells on contact; IL-4 turns macrophages M2.

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
#: activated CD4 T cells that neither divide, die nor secrete: only their fate moves (the rules under test)
FATE_ONLY = {"cells.T.initial_state": "activated", "cells.T.state_fractions": {},
             **{f"behaviours.T.{s}.{b}": 0.0 for s in ("activated", "Th1", "Th2", "Th17", "Treg")
                for b in ("death_rate_per_min", "export_IL2_molecules_per_min", "export_IFNG_molecules_per_min",
                          "export_IL4_molecules_per_min", "export_IL10_molecules_per_min")}}



def test_th2_is_a_cd4_fate_with_an_il4_field_and_the_shortcut_is_gone():
    cfg = load_config()
    assert "Th2" in cfg.cells["T"].states and cfg.fields["IL4"].unit == "pM"
    assert "pge2_blocks_th1" not in DEFAULT_RULES
    assert DEFAULT_RULES["pge2_drives_th2"]["behaviour"] == "to_Th2_per_min"


def test_th2_cells_export_il4_at_the_tabled_rate():
    n, t_min = 10, 60
    r = run(t_min, 1, **{"cells.T.count": n, "cells.T.initial_state": "Th2", "cells.T.state_fractions": {},
                         "fields.IL4.decay_per_min": 0.0, "behaviours.T.Th2.death_rate_per_min": 0.0})
    molecules = r["mean_IL4_pM"] * 200.0 * 200.0 * 100.0 / molecules_to_amount("pM")
    export = BASE_BEHAVIOURS["T"]["Th2"]["export_IL4_molecules_per_min"][0]
    assert r["n_T_Th2"] == n and molecules == pytest.approx(n * export * t_min, rel=1e-5)


@pytest.mark.parametrize("rule, field", [("il4_drives_th2", "IL4"), ("pge2_drives_th2", "PGE2")])
def test_th2_fate_at_the_half_max_follows_the_competing_rates(rule, field):
    """Activated cells in a fixed level at the rule's half-max choose Th2 at rate saturation / 2 against the
    default Th1 drift: after t the Th2 fraction is r2 / (r1 + r2) (1 - exp(-(r1 + r2) t)) (4 sd); rule off: none."""
    spec = DEFAULT_RULES[rule]
    n, t_min = 300, 720
    kw = {"cells.T.count": n, **FATE_ONLY, f"fields.{field}.initial": spec["half_max"],
          f"fields.{field}.decay_per_min": 0.0}
    if field == "IL4":  # IL-4 also slows the Th1 drift (il4_blocks_th1): off here, tested below
        kw["rules.il4_blocks_th1.enabled"] = False
    r2 = spec["saturation"] / 2
    r1 = BASE_BEHAVIOURS["T"]["activated"]["to_Th1_per_min"][0]
    if field == "PGE2":  # PGE2 also drives Treg and blocks Th17 (default rules): Treg competes
        pt = DEFAULT_RULES["pge2_induces_treg"]
        r1 += pt["saturation"] * spec["half_max"] / (spec["half_max"] + pt["half_max"])
    p = r2 / (r1 + r2) * (1.0 - math.exp(-(r1 + r2) * t_min))
    got = run(t_min, 4, **kw)["n_T_Th2"] / n
    assert abs(got - p) < 4.0 * math.sqrt(p * (1 - p) / n), (got, p)
    assert run(t_min, 4, **kw, **{f"rules.{rule}.enabled": False})["n_T_Th2"] == 0


def test_il4_opposes_th1():
    """IL-12 drives activated cells to Th1; IL-4 at its half-max halves that rate (il4_blocks_th1), so fewer
    become Th1 than with the rule off (IL-4 drives them to Th2 meanwhile)."""
    kw = {"cells.T.count": 300, **FATE_ONLY, "fields.IL12.initial": 200.0, "fields.IL12.decay_per_min": 0.0,
          "fields.IL4.initial": DEFAULT_RULES["il4_blocks_th1"]["half_max"], "fields.IL4.decay_per_min": 0.0}
    for seed in SEEDS:
        on = run(720, seed, **kw)
        off = run(720, seed, **kw, **{"rules.il4_blocks_th1.enabled": False})
        assert on["n_T_Th1"] < 0.75 * off["n_T_Th1"], (on["n_T_Th1"], off["n_T_Th1"])


def test_msc_pge2_shifts_the_mlr_from_th1_toward_th2():
    """Aggarwal & Pittenger 2005 (s2): MSCs in the MLR lower IFN-gamma and raise IL-4. The co-culture preset (MSC:T
    1:10, 4 days): MSCs raise IL-4 and the Th2 cells several-fold and lower IFN-gamma; a COX-2 knock-out (no MSC
    PGE2) removes most of the Th2 shift."""
    for seed in SEEDS:
        runs = {}
        for arm, extra in {"pbmc": {"cells.MSC.count": 0}, "msc": {}, "cox2_ko": {"interventions.knockout": ["COX2"]}
                           }.items():
            m = MSCModel("coculture", **extra, **{"model.seed": seed})
            while m.running:
                m.step()
            runs[arm] = m.readouts
        pbmc, msc, ko = runs["pbmc"], runs["msc"], runs["cox2_ko"]
        assert msc["mean_IL4_pM"] > 3.0 * max(pbmc["mean_IL4_pM"], 0.1)
        assert msc["n_T_Th2"] >= 3 * max(pbmc["n_T_Th2"], 1)
        assert msc["mean_IFNG_pM"] < 0.5 * pbmc["mean_IFNG_pM"]
        assert ko["n_T_Th2"] < 0.5 * msc["n_T_Th2"] and ko["mean_IL4_pM"] < 0.5 * msc["mean_IL4_pM"]


def test_th2_cells_help_b_cells_and_il4_turns_macrophages_m2():
    b = {"cells.B.count": 60, "cells.T.count": 60, "cells.T.initial_state": "Th2", "cells.T.state_fractions": {}}
    mac = {"cells.MAC.count": 30, "cells.MAC.initial_state": "M0", "cells.MAC.state_fractions": {},
           "fields.IL4.initial": 200.0, "fields.IL4.decay_per_min": 0.0}
    for seed in SEEDS:
        helped = run(720, seed, **b)
        cut = run(720, seed, **b, **{"rules.t_help_Th2_activates_b.enabled": False})
        assert helped["n_B_activated"] + helped["n_B_plasma"] >= 5 and cut["n_B_activated"] + cut["n_B_plasma"] == 0
        m2 = run(720, seed, **mac)
        no_m2 = run(720, seed, **mac, **{"rules.il4_polarises_M0_to_m2.enabled": False})
        assert m2["frac_MAC_M2"] > 0.5 and no_m2["frac_MAC_M2"] == 0.0
