"""Per-cell behaviours stored only where some cell can set them (assembly._stored_behaviour_columns), and
per-cell signals only where an enabled rule reads them (Tables.signal_column).

The reference is the dense layout: every behaviour and every signal of the vocabulary in a column of its own.
A model whose tables use it must step exactly like the compact one, and the compact matrices must be the dense
ones' stored columns, bit for bit.
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
    """Tables with every behaviour in its own column (plus the zero column) and every signal stored: the
    reference layout."""
    n = len(cfg.behaviour_names())
    return build_tables(cfg, behaviour_layout=(np.arange(n, dtype=np.int64), n + 1), all_signals=True)


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


@pytest.mark.parametrize("preset", ["coculture", "disease_ibd"])
def test_state_switch_columns_name_their_states_and_missing_states_stay_none(preset):
    """transition_col[t, s] is the stored column of to_<state>_per_min for each real state of a type, and -1 for
    the padding states a type does not have (a -1 mapped through the layout would read the last vocabulary
    behaviour, become_<last type>_per_min, as a switch rate)."""
    t = build_tables(load_config(preset))
    for code, states in enumerate(t.state_names):
        for s in range(t.n_states):
            col = int(t.transition_col[code, s])
            if s < len(states):
                assert col == t.column_of(f"to_{states[s]}_per_min"), (code, s)
            else:
                assert col == -1, (t.type_names[code], s)


def test_signals_are_stored_exactly_where_an_enabled_rule_reads_them():
    cfg = load_config("coculture")
    t, dense = build_tables(cfg), _dense(cfg)
    read = {dense.signal_names[k] for k in dense.rules.term_signal.tolist()}
    assert 0 < t.n_stored_signals == len(read) < len(t.signal_names)
    assert set(t.stored_signal_names) == read
    for k, name in enumerate(t.signal_names):
        assert (t.signal_column[k] >= 0) == (name in read), name
        if name in read:
            assert t.stored_signal_names[t.signal_of(name)] == name
        else:
            with pytest.raises(KeyError, match="not stored"):
                t.signal_of(name)
    kept = t.signal_column[t.signal_column >= 0]
    assert kept.tolist() == list(range(t.n_stored_signals))  # vocabulary order
    # the rules read the same signals by name through either layout
    assert [t.stored_signal_names[s] for s in t.rules.term_signal] == \
        [dense.signal_names[s] for s in dense.rules.term_signal]


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
    assert dense.tables.n_stored_signals == len(dense.tables.signal_names) > compact.tables.n_stored_signals
    read = np.flatnonzero(compact.tables.signal_column >= 0)
    for _ in range(60):
        compact.step()
        dense.step()
        n = len(compact.population)
        assert len(dense.population) == n
        live = compact.tables.behaviour_column != compact.tables.n_stored_behaviours - 1
        cols = compact.tables.behaviour_column[live]
        assert np.array_equal(compact._behaviours[:n, cols], dense._behaviours[:n, np.flatnonzero(live)])
        assert not dense._behaviours[:n, np.flatnonzero(~live)].any()  # what the compact layout leaves out is 0
        if (compact.steps - 1) % compact.config.model.phenotype_every == 0:  # sensed this step
            assert np.array_equal(compact._signals[:n, compact.tables.signal_column[read]], dense._signals[:n, read])
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


def test_the_inspector_counts_contacts_like_the_contact_list():
    """CellView.contacts_by_type (the dashboard's cell inspector) against the model's own contact list at the same
    positions: live neighbours by type, for every cell."""
    from mscabm.engine.kernels.contact import ContactFinder

    m = MSCModel("coculture", rng=3, **SMALL, **{"cells.T.count": 150, "cells.MSC.count": 15,
                                                 "behaviours.T.naive.death_rate_per_min": 0.01})
    for _ in range(15):
        m.step()
    p, t = m.population, m.tables
    n = len(p)
    offsets, neighbours = ContactFinder(m.width_um, m.height_um).find(p["x_um"], p["y_um"], p["radius_um"], n,
                                                                     m.config.model.contact_scale)
    alive = p["apoptosis_left_min"][:n] < 0
    assert not alive.all()
    touching = 0
    for i in range(n):
        js = neighbours[offsets[i]:offsets[i + 1]]
        want = np.bincount(p["type"][js[alive[js]]].astype(np.int64), minlength=len(t.type_names))
        got = m.cells.contacts_by_type(int(p["id"][i]), m.config.model.contact_scale)
        assert list(got) == t.type_names
        assert list(got.values()) == want.tolist(), i
        touching += int(want.sum())
    assert touching > 50
    side = np.zeros(n, dtype=bool)
    side[::2] = True  # two compartments: only the cells on one's own side count
    i = int(np.argmax(np.diff(offsets)))
    js = neighbours[offsets[i]:offsets[i + 1]]
    js = js[alive[js] & (side[js] == side[i])]
    got = m.cells.contacts_by_type(int(p["id"][i]), m.config.model.contact_scale, side)
    assert list(got.values()) == np.bincount(p["type"][js].astype(np.int64), minlength=len(t.type_names)).tolist()


@pytest.mark.parametrize("extra", [{}, {"interventions.transwell": True}])
@pytest.mark.parametrize("rows", [1, 7, 64])
def test_sensing_block_by_block_changes_nothing(monkeypatch, rows, extra):
    """The model senses and decides blocks of SENSE_BLOCK_ROWS rows (mscabm/sensing.py); any block size gives the
    same cells, fields and behaviours to the bit as one block, contact levels (PD-L1) and a transwell's insert
    included, and the signal matrix holds one block."""
    values = dict(SMALL, **extra, **{"cells.T.count": 120, "cells.MSC.count": 12, "cells.DC.count": 4,
                                     "interventions.prelicense": "IFNG+TNF", "model.steps": 40})

    def run():
        m = MSCModel("coculture", rng=9, **values)
        held = []
        for _ in range(40):
            m.step()
            held.append(m._behaviours[:len(m.population)].copy())
        return m, held

    whole, whole_held = run()  # the default block (32 Ki rows): one block
    assert whole._signals.shape[0] >= len(whole.population)
    monkeypatch.setattr(model_module, "SENSE_BLOCK_ROWS", rows)
    blocked, blocked_held = run()
    assert blocked.tables.contact_levels.shape[0] > 0
    assert blocked._signals.shape[0] == rows < len(blocked.population)
    for a, b in zip(whole_held, blocked_held, strict=True):
        assert np.array_equal(a, b)
    n = len(whole.population)
    for k in whole.population._cols:
        assert np.array_equal(whole.population[k][:n], blocked.population[k][:n]), k
    assert np.array_equal(whole.lattice.data, blocked.lattice.data)
    if extra:
        assert np.array_equal(whole.transwell.insert, blocked.transwell.insert)


def test_blocks_cover_the_rows_in_order():
    from mscabm.sensing import blocks_of

    for n in (0, 1, 6, 7, 8, 50):
        blocks = blocks_of(n, 7)
        assert [r for a, b in blocks for r in range(a, b)] == list(range(n))
        assert all(0 < b - a <= 7 for a, b in blocks)
