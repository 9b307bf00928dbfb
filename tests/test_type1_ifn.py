"""Plasmacytoid DCs and type I interferon (issue 22 item 3; SCIENCE.md s2b): pDCs turn active on
nucleic-acid immune complexes and danger signals, export IFN-alpha, which activates B cells, drives
plasma cells and matures DCs; MSC PGE2 lowers pDC IFN-alpha; the steroid-like drug leaves pDCs alone.

Each mechanism with the new piece on vs off, paired seeds, in a small well with no stimulus but the
one under test (no mature DCs, no T cells unless asked).
"""

import math

import numpy as np
import pytest
from quiet_well import run

from mscabm.biology.celltypes import BASE_BEHAVIOURS
from mscabm.biology.fields import molecules_to_amount
from mscabm.biology.rules import DEFAULT_RULES
from mscabm.config import load_config
from mscabm.model import MSCModel

SEEDS = (1, 2)



def test_pdc_is_a_cell_type_with_an_ifna_field_absent_from_the_in_vitro_default():
    cfg = load_config()
    assert cfg.cells["PDC"].states == ["resting", "active"] and cfg.cells["PDC"].count == 0
    assert cfg.fields["IFNA"].unit == "pM"
    assert load_config("disease_sle").cells["PDC"].count > 0


def test_active_pdc_export_ifna_at_the_tabled_rate():
    """Mass balance: N active pDCs that never rest, in a closed well with no IFN-alpha decay, hold exactly
    N x export x t molecules (the field's mean times the well volume)."""
    n, t_min, export = 6, 120, BASE_BEHAVIOURS["PDC"]["active"]["export_IFNA_molecules_per_min"][0]
    r = run(t_min, 1, **{"cells.PDC.count": n, "cells.PDC.initial_state": "active",
                         "behaviours.PDC.active.to_resting_per_min": 0.0,
                         "behaviours.PDC.active.death_rate_per_min": 0.0, "fields.IFNA.decay_per_min": 0.0})
    volume_um3 = 200.0 * 200.0 * 100.0
    molecules = r["mean_IFNA_pM"] * volume_um3 / molecules_to_amount("pM")
    assert molecules == pytest.approx(n * export * t_min, rel=1e-6)


@pytest.mark.parametrize("signal, level, rule", [("IG", 50.0, "immune_complex_activates_pdc"),
                                                 ("DAMP", 200.0, "damp_activates_pdc")])
def test_immune_complexes_and_danger_signals_activate_pdc(signal, level, rule):
    kw = {"cells.PDC.count": 20, f"fields.{signal}.initial": level, f"fields.{signal}.decay_per_min": 0.0}
    for seed in SEEDS:
        on = run(720, seed, **kw)
        off = run(720, seed, **kw, **{f"rules.{rule}.enabled": False})
        quiet = run(720, seed, **{"cells.PDC.count": 20})
        assert on["n_PDC_active"] >= 10 and on["mean_IFNA_pM"] > 100.0
        assert off["n_PDC_active"] == 0 and off["mean_IFNA_pM"] == 0.0
        assert quiet["n_PDC_active"] == 0


#: 10 pDCs that keep making IFN-alpha (no rest, no death): a steady source for the cells under test
PDC_SOURCE = {"cells.PDC.count": 10, "cells.PDC.initial_state": "active",
              "behaviours.PDC.active.to_resting_per_min": 0.0, "behaviours.PDC.active.death_rate_per_min": 0.0}


def test_b_activation_at_the_ifna_half_max_follows_the_hill_law():
    """Dose response, not saturation: naive B cells in a fixed IFN-alpha level (no source, no decay, no uptake)
    activate as a Poisson process of rate saturation x c / (c + K), so after t the activated fraction is
    1 - exp(-rate t). At c = K the rate is half the maximum; at 10 K it is 10/11 of it."""
    rule = DEFAULT_RULES["ifna_activates_b"]
    sat, k = rule["saturation"], rule["half_max"]
    n, t_min = 300, 240
    for c in (k, 10 * k):
        r = run(t_min, 4, **{"cells.B.count": n, "fields.IFNA.initial": c, "fields.IFNA.decay_per_min": 0.0})
        p = 1.0 - math.exp(-sat * c / (c + k) * t_min)
        ever = r["n_B_activated"] + r["n_B_plasma"] + r["deaths_B_total"] - r["births_B_total"]
        assert abs(ever / n - p) < 4.0 * math.sqrt(p * (1 - p) / n), (c, ever / n, p)


def test_ifna_activates_b_cells_and_drives_plasma_cells():
    b = {"cells.B.count": 100}
    for seed in SEEDS:
        ifn = run(1440, seed, **b, **PDC_SOURCE)
        none = run(1440, seed, **b, **{**PDC_SOURCE, "cells.PDC.count": 0})
        cut = run(1440, seed, **b, **PDC_SOURCE, **{"rules.ifna_activates_b.enabled": False})
        assert none["n_B_activated"] + none["n_B_plasma"] == 0
        assert cut["n_B_activated"] + cut["n_B_plasma"] == 0
        assert ifn["n_B_activated"] + ifn["n_B_plasma"] >= 30
        no_plasma = run(1440, seed, **b, **PDC_SOURCE, **{"rules.ifna_drives_plasma.enabled": False})
        assert ifn["n_B_plasma"] > no_plasma["n_B_plasma"] + 3


def test_ifna_matures_dendritic_cells():
    dc = {"cells.DC.count": 40, "cells.DC.initial_state": "immature"}
    for seed in SEEDS:
        ifn = run(1440, seed, **dc, **PDC_SOURCE)
        cut = run(1440, seed, **dc, **PDC_SOURCE, **{"rules.ifna_matures_dc.enabled": False})
        assert ifn["frac_DC_mature"] >= 0.5
        assert cut["frac_DC_mature"] == 0.0


def test_msc_pge2_lowers_pdc_ifna_and_cox2_knockout_restores_it():
    kw = {**PDC_SOURCE, "cells.MSC.count": 8, "interventions.prelicense": "IFNG+TNF",
          "fields.PGE2.decay_per_min": 0.002}
    for seed in SEEDS:
        alone = run(1440, seed, **PDC_SOURCE)
        msc = run(1440, seed, **kw)
        ko = run(1440, seed, **kw, **{"interventions.knockout": ["COX2"]})
        cut = run(1440, seed, **kw, **{"rules.pge2_lowers_pdc_ifna.enabled": False})
        assert msc["mean_PGE2_nM"] > 5.0  # above the 5 nM half-max: IFN-alpha output at most ~1/2
        assert msc["mean_IFNA_pM"] < 0.6 * alone["mean_IFNA_pM"]
        assert cut["mean_IFNA_pM"] == pytest.approx(alone["mean_IFNA_pM"], rel=1e-6)  # the rule is the only route
        assert ko["mean_IFNA_pM"] > 0.9 * alone["mean_IFNA_pM"]
        assert msc["mean_IL10_pM"] > ko["mean_IL10_pM"]


def test_the_steroid_like_drug_leaves_the_interferon_signature():
    """In lupus, TLR7/9-activated pDCs resist glucocorticoids (Guiducci 2010): the drug damps the other cells,
    not pDC activation or IFN-alpha. Positive control: the same drug level halves B activation by IFN-alpha."""
    kw = {"cells.PDC.count": 20, "fields.IG.initial": 50.0, "fields.IG.decay_per_min": 0.0}
    b = {"cells.B.count": 200, "fields.IFNA.initial": 500.0, "fields.IFNA.decay_per_min": 0.0}
    for seed in SEEDS:
        free = run(720, seed, **kw)
        drug = run(720, seed, **kw, **{"interventions.immunosuppressant": 0.9})
        assert drug["n_PDC_active"] == free["n_PDC_active"]
        assert drug["mean_IFNA_pM"] == free["mean_IFNA_pM"] > 0
        b_free = run(240, seed, **b)
        b_drug = run(240, seed, **b, **{"interventions.immunosuppressant": 0.9})
        assert b_drug["n_B_activated"] + b_drug["n_B_plasma"] < 0.5 * (b_free["n_B_activated"] + b_free["n_B_plasma"])


@pytest.mark.parametrize("preset", ["disease_sle", "disease_pss"])
def test_lesion_pdc_make_the_interferon_signature(preset):
    """The SLE and pSS lesions carry pDCs; without them (none seeded, no influx) there is no IFN-alpha."""
    levels = []
    for pdc in (True, False):
        values = {"model.steps": 1440} if pdc else {"model.steps": 1440, "cells.PDC.count": 0,
                                                     "influx.PDC.rate_per_min": 0.0}
        m = MSCModel(load_config(preset, values=values), rng=5)
        for _ in range(1440):
            m.step()
        m.record()
        assert np.isfinite(m.readouts["disease_activity"])
        levels.append(m.readouts["mean_IFNA_pM"])
    assert levels[0] > 50.0 and levels[1] == 0.0
