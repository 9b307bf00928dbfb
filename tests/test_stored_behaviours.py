"""Per-cell behaviours stored only where some cell can set them (assembly._stored_behaviour_columns).

The reference is the dense layout: every behaviour of the vocabulary in a column of its own. A model whose
tables use it must step exactly like the compact one, and the compact matrix must be the dense one's live
columns, bit for bit.
"""

import numpy as np
import pytest

import mscabm.model as model_module
from mscabm.assembly import build_tables
from mscabm.config import load_config
from mscabm.model import MSCModel

SMALL = {"domain.width_um": 300.0, "domain.height_um": 300.0, "output.record_every": 10,
         "output.snapshot_every": 0}


def _dense(cfg):
    """Tables with every behaviour in its own column (plus the zero column): the reference layout."""
    n = len(cfg.behaviour_names())
    return build_tables(cfg, behaviour_layout=(np.arange(n, dtype=np.int64), n + 1))


def test_behaviours_nothing_sets_share_one_zero_column():
    t = build_tables(load_config("coculture"))
    zero = t.n_stored_behaviours - 1
    assert t.n_stored_behaviours < len(t.behaviour_names)  # the default biology leaves most behaviours unset
    assert not t.base[:, zero].any()
    assert zero not in set(t.rules.run_behaviour.tolist())
    dense = _dense(load_config("coculture"))
    for k, name in enumerate(t.behaviour_names):
        col = t.column_of(name)
        if col == zero:  # set by nothing: zero in every group and the target of no rule
            assert not dense.base[:, k].any(), name
            assert k not in set(dense.rules.run_behaviour.tolist()), name
        else:
            assert np.array_equal(t.base[:, col], dense.base[:, k]), name
            assert t.stored_behaviour_names[col] == name
    stored = t.behaviour_column[t.behaviour_column != zero]
    assert sorted(stored.tolist()) == list(range(zero))  # one column each, in vocabulary order
    assert np.all(np.diff(stored) > 0)


@pytest.mark.parametrize("preset, extra", [
    ("coculture", {"cells.T.count": 120, "cells.CD8.count": 40, "cells.MSC.count": 12, "cells.DC.count": 4}),
    ("disease_gvhd", {"interventions.immunosuppressant": 0.5, "interventions.immunosuppressant_start_min": 20.0,
                      "model.phenotype_every": 3}),
])
def test_compact_layout_steps_exactly_like_the_dense_one(monkeypatch, preset, extra):
    values = dict(SMALL, **extra, **{"model.steps": 60})
    compact = MSCModel(preset, rng=5, **values)
    monkeypatch.setattr(model_module, "build_tables", lambda cfg: _dense(cfg))
    dense = MSCModel(preset, rng=5, **values)
    assert dense.tables.n_stored_behaviours == len(dense.tables.behaviour_names) + 1
    for _ in range(60):
        compact.step()
        dense.step()
        n = len(compact.population)
        assert len(dense.population) == n
        live = compact.tables.behaviour_column != compact.tables.n_stored_behaviours - 1
        cols = compact.tables.behaviour_column[live]
        assert np.array_equal(compact._behaviours[:n, cols], dense._behaviours[:n, np.flatnonzero(live)])
        assert not dense._behaviours[:n, np.flatnonzero(~live)].any()  # what the compact layout leaves out is 0
    for k in compact.population._cols:
        assert np.array_equal(compact.population[k][:n], dense.population[k][:n]), k
    assert np.array_equal(compact.lattice.data, dense.lattice.data)
    assert compact.readouts == dense.readouts


def test_a_rebuild_keeps_the_layout_and_refuses_one_that_misses_a_behaviour():
    cfg = load_config("disease_gvhd")
    t = build_tables(cfg)
    again = build_tables(cfg, behaviour_layout=(t.behaviour_column, t.n_stored_behaviours))
    assert np.array_equal(again.base, t.base)
    missing = t.behaviour_column.copy()
    missing[missing == 0] = t.n_stored_behaviours - 1  # the first stored behaviour loses its column
    with pytest.raises(ValueError, match="no column"):
        build_tables(cfg, behaviour_layout=(missing, t.n_stored_behaviours))
