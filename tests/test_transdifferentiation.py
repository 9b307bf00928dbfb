"""Type switches (engine/transdifferentiation.py): the draw against a plain per-cell reference, the
switched cells against their new type's table, the rate against the Poisson law, and a run with no
switch rule against one without the feature (its random stream untouched)."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.engine.transdifferentiation import draw_type_switches
from mscabm.model import MSCModel

TYPES = ("MSC", "T", "CD8", "B", "NK", "DC", "MAC", "TISSUE", "PDC", "NEUT", "KERAT", "EPI")
QUIET = {"domain.width_um": 300.0, "domain.height_um": 300.0, "model.steps": 10**6, "output.record_every": 60,
         **{f"cells.{t}.count": 0 for t in TYPES}}


def reference(rates, own, alive, dt, u_switch, u_pick):
    """One cell at a time, as the state-switch kernel draws (engine/kernels/behaviour.py)."""
    rows, targets = [], []
    for i in range(len(own)):
        r = [max(float(x), 0.0) if j != own[i] else 0.0 for j, x in enumerate(rates[i])]
        total = sum(r)
        if not alive[i] or total <= 0.0 or not u_switch[i] < 1.0 - math.exp(-total * dt):
            continue
        pick, acc, last = u_pick[i] * total, 0.0, -1
        for j, x in enumerate(r):
            if x > 0.0:
                last, acc = j, acc + x
                if pick < acc:
                    break
        rows.append(i)
        targets.append(last)
    return rows, targets


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.integers(2, 5), st.integers(0, 2**32 - 1), st.floats(0.1, 5.0))
def test_draw_matches_the_per_cell_reference(n, n_types, seed, dt):
    rng = np.random.default_rng(seed)
    rates = rng.choice([0.0, 0.0, 0.01, 0.3, 2.0, -1.0], size=(n, n_types))
    own = rng.integers(0, n_types, n)
    alive = rng.random(n) < 0.8
    u_switch, u_pick = rng.random(n), rng.random(n)
    rows, targets = draw_type_switches(rates, own, alive, dt, u_switch, u_pick)
    ref_rows, ref_targets = reference(rates, own, alive, dt, u_switch, u_pick)
    assert rows.tolist() == ref_rows and targets.tolist() == ref_targets
    assert all(own[r] != t for r, t in zip(rows, targets, strict=True))


def test_switching_cells_follow_the_poisson_law_and_take_the_new_types_table():
    """MSCs with a fixed rate of becoming epithelium (no death, no other switch): survivors as MSCs after t are
    n exp(-rate t) (4 sd); every switched cell is an intact enterocyte with the enterocyte's radius, and the counts
    add up (MSC lost = EPI gained = transdifferentiated_total)."""
    n, rate, t_min = 200, 1.0 / 600, 600
    m = MSCModel(**{**QUIET, "cells.MSC.count": n, "behaviours.MSC.naive.become_EPI_per_min": rate,
                    "behaviours.MSC.naive.death_rate_per_min": 0.0, "behaviours.EPI.intact.cycle_rate_per_min": 0.0},
                 rng=3)
    for _ in range(t_min):
        m.step()
    m.record()
    r = m.readouts
    p = math.exp(-rate * t_min)
    assert abs(r["n_MSC"] - n * p) < 4.0 * math.sqrt(n * p * (1 - p)), (r["n_MSC"], n * p)
    assert r["n_MSC"] + r["n_EPI"] == n and r["transdifferentiated_total"] == r["n_EPI"] == r["n_EPI_intact"]
    pop, t = m.population, m.tables
    epi = pop["type"][:len(pop)] == t.type_code("EPI")
    assert np.all(pop["radius_um"][:len(pop)][epi] == t.radius_um[t.type_code("EPI")])
    assert np.all(pop["IDO1"][:len(pop)][epi] == 0.0)  # the MSC's expression levels are gone with its type


def test_a_run_that_cannot_switch_keeps_its_random_stream_and_columns():
    """The optional rule off (its default): no draw, no column; the same run with a zero-rate rule switched on
    (it can never fire) is identical too, apart from the new counter column."""
    kw = {**QUIET, "cells.MSC.count": 20, "cells.EPI.count": 40, "cells.T.count": 60}
    a, b = MSCModel(**kw, rng=5), MSCModel(**{**kw, "rules.msc_becomes_epithelium.enabled": True,
                                             "rules.msc_becomes_epithelium.saturation": 0.0}, rng=5)
    for _ in range(200):
        a.step()
        b.step()
    a.record()
    b.record()
    assert not a.tables.become_any and not b.tables.become_any
    assert "transdifferentiated_total" not in a.readouts
    assert a.readouts == b.readouts
    assert np.array_equal(a.population["x_um"][:len(a.population)], b.population["x_um"][:len(b.population)])
