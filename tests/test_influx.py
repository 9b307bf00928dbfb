"""Influx of immune cells, delayed drug start and the disease activity readouts (mscabm/disease.py)."""

import math

import numpy as np
import pytest

from mscabm.biology.dosing import ROUTES, msc_dose
from mscabm.config import ConfigError, load_config
from mscabm.disease import influx_rate
from mscabm.model import MSCModel

SMALL = {"domain.width_um": 200.0, "domain.height_um": 200.0, "cells.MSC.count": 0, "cells.T.count": 20,
         "cells.CD8.count": 0, "cells.B.count": 0, "cells.NK.count": 0, "cells.DC.count": 0, "cells.MAC.count": 0,
         "cells.TISSUE.count": 30, "output.record_every": 10, "output.snapshot_every": 0}


def test_influx_rate_hill():
    assert influx_rate(0.1, 1.0, 50.0, 10.0, 1.0) == 0.1
    assert influx_rate(0.1, 5.0, 0.0, 10.0, 1.0) == 0.1
    assert influx_rate(0.1, 5.0, 10.0, 10.0, 1.0) == pytest.approx(0.1 * (1 + 4 * 0.5))
    assert influx_rate(0.1, 5.0, 1e9, 10.0, 1.0) == pytest.approx(0.5, rel=1e-6)


def test_influx_adds_cells_at_edges_deterministically():
    vals = dict(SMALL, **{"influx.MAC.rate_per_min": 0.5, "influx.MAC.state": "M1", "model.steps": 40})
    runs = []
    for _ in range(2):
        m = MSCModel(**vals)
        for _ in range(40):
            m.step()
        runs.append(m)
    a, b = runs
    assert a.tally.influx_total > 5
    assert a.tally.influx_total == b.tally.influx_total
    np.testing.assert_array_equal(a.population["x_um"], b.population["x_um"])
    mac = a.population["type"] == a.tables.type_code("MAC")
    assert mac.sum() >= 1
    assert (a.population["state"][mac] == a.tables.state_code("MAC", "M1")).mean() > 0.7  # enter M1 (some switch)


def test_influx_placement_edges_puts_cells_on_the_boundary():
    m = MSCModel(**dict(SMALL, **{"influx.MAC.rate_per_min": 50.0, "model.steps": 1}))
    n0 = len(m.population)
    m._add_influx()
    x, y = m.population["x_um"][n0:], m.population["y_um"][n0:]
    r = 10.5
    on_edge = (np.isclose(x, r) | np.isclose(x, 200 - r) | np.isclose(y, r) | np.isclose(y, 200 - r))
    assert len(x) > 10 and on_edge.all()


def test_influx_rises_with_its_field():
    base = dict(SMALL, **{"influx.MAC.rate_per_min": 0.05, "influx.MAC.max_fold": 20.0, "influx.MAC.field": "CXCL",
                          "influx.MAC.half_max": 1.0, "model.steps": 100})
    low = MSCModel(**base)
    high = MSCModel(**dict(base, **{"interventions.supplement": {"CXCL": 1000.0}, "fields.CXCL.decay_per_min": 0.0}))
    for m in (low, high):
        for _ in range(100):
            m.step()
    assert high.tally.influx_total > 5 * max(low.tally.influx_total, 1)


def test_influx_config_errors():
    with pytest.raises(ConfigError, match="influx.MAC.state"):
        load_config(values=dict(SMALL, **{"influx.MAC.state": "bogus"}))
    with pytest.raises(ConfigError, match="influx.MAC.field"):
        load_config(values=dict(SMALL, **{"influx.MAC.field": "NOPE"}))


def test_drug_starts_at_its_time():
    vals = dict(SMALL, **{"interventions.immunosuppressant": 0.8, "model.steps": 30})
    late = MSCModel(**dict(vals, **{"interventions.immunosuppressant_start_min": 20.0}))
    now = MSCModel(**vals)
    none = MSCModel(**dict(vals, **{"interventions.immunosuppressant": 0.0}))
    col = late.tables.column_of("cycle_rate_per_min")
    rules_before = late.tables.rules
    assert np.array_equal(late.tables.base, none.tables.base)
    for _ in range(25):
        late.step()
    assert np.array_equal(late.tables.base, now.tables.base)
    assert late.tables.rules is not rules_before
    assert col >= 0


def test_disease_readouts():
    m = MSCModel(**dict(SMALL, **{"disease.enabled": True, "disease.damage_weight": 0.5,
                                  "disease.inflammation": {"TNF": 10.0},
                                  "cells.TISSUE.state_fractions": {"damaged": 0.5},
                                  "interventions.supplement": {"TNF": 10.0}}))
    r = m.readouts
    assert r["disease_damage_frac"] == pytest.approx(0.5)
    assert r["disease_inflammation"] == pytest.approx(0.5, rel=1e-5)
    assert r["disease_activity"] == pytest.approx(50.0, rel=1e-4)
    assert "disease_activity" not in MSCModel(**SMALL).readouts


def test_msc_dose_routes():
    n_iv, death_iv = msc_dose(1e6, "iv")
    n_local, _ = msc_dose(1e6, "local")
    assert n_iv < n_local
    assert math.exp(-death_iv * 3 * 1440) == pytest.approx(0.14)
    assert set(ROUTES) == {"iv", "local", "intrathecal"}


def _delivered(scale: float, infusions: list, doses: list) -> MSCModel:
    m = MSCModel(load_config(None, values={**SMALL, "interventions.delivery_scale": scale,
                                           "interventions.infusions": infusions, "interventions.doses": doses}))
    for _ in range(4):
        m.step()
    return m


@pytest.mark.parametrize("scale, expect", [(1.0, 10), (0.5, 5), (0.26, 3), (2.0, 20), (0.04, 0)])
def test_delivery_scale_multiplies_infusion_counts(scale, expect):
    """interventions.delivery_scale: the share of each nominal infusion reaching the lesion (rounded to cells)."""
    m = _delivered(scale, [{"at_min": 2.0, "count": 10}, {"at_min": 3.0, "count": 10, "placement": "centre"}], [])
    assert m.tally.placed_by_type[m.tables.type_code("MSC")] == 2 * expect


def test_delivery_scale_multiplies_dose_levels():
    dose = [{"at_min": 2.0, "field": "EV", "level": 100.0}]
    i = MSCModel(load_config(None, values=SMALL)).tables.field_names.index("EV")
    full = float(_delivered(1.0, [], dose).lattice.data[i].sum(dtype=np.float64))
    part = float(_delivered(0.3, [], dose).lattice.data[i].sum(dtype=np.float64))
    assert full > 0 and part == pytest.approx(0.3 * full, rel=1e-5)


def test_influx_cells_exchange_in_the_step_they_arrive():
    """Influx is a birth in the population phase: the newcomers secrete in their first step, at their base
    rates, so with no decay the field's amount after one step is exactly the arrivals times one cell's release
    (a cell seeded alone at step 0 releases the same in its first step)."""
    quiet = dict(SMALL, **{"cells.T.count": 0, "cells.TISSUE.count": 0, "fields.TNF.decay_per_min": 0.0,
                           "fields.TNF.initial": 0.0, "model.steps": 1})
    alone = MSCModel(**dict(quiet, **{"cells.MAC.count": 1, "cells.MAC.initial_state": "M1"}))
    arrivals = MSCModel(**dict(quiet, **{"influx.MAC.rate_per_min": 5.0, "influx.MAC.state": "M1"}))
    tnf = alone.tables.field_names.index("TNF")
    for m in (alone, arrivals):
        assert m.lattice.data[tnf].sum() == 0.0
        m.step()
    k = arrivals.tally.influx_total
    one_cell = alone.lattice.data[tnf].sum(dtype=np.float64)
    assert k > 0 and len(arrivals.population) == k and one_cell > 0
    assert arrivals.lattice.data[tnf].sum(dtype=np.float64) == pytest.approx(k * one_cell, rel=1e-5)
