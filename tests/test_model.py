"""MSCModel: Mesa integration, clock in minutes, AgentSet-like cells, mechanisms' directions."""

from functools import partial

import mesa
import numpy as np
import pytest

import mscabm.model as model_module
from mscabm.assembly import build_tables
from mscabm.model import MSCModel

SMALL = {"domain.width_um": 300.0, "domain.height_um": 300.0, "cells.MSC.count": 10, "cells.T.count": 200,
         "cells.CD8.count": 20, "cells.B.count": 20, "cells.NK.count": 20, "cells.DC.count": 10, "cells.MAC.count": 10,
         "model.steps": 60, "output.record_every": 10}


def small(**kw):
    return MSCModel(**{**SMALL, **kw})


def test_time_in_minutes_and_steps():
    m = small(**{"model.dt_min": 0.5})
    for _ in range(10):
        m.step()
    assert m.steps == 10
    assert m.time == pytest.approx(5.0)


def test_datacollector_records_every_k_steps_and_stops_running():
    m = small()
    while m.running:
        m.step()
    assert m.steps == 60
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 7  # step 0 + every 10 steps
    assert list(df["step"]) == [0, 10, 20, 30, 40, 50, 60]
    assert {"n_T_activated", "mean_PGE2_nM", "n_MSC_licensed"} <= set(df.columns)


def test_cells_view_agentset_like():
    m = small()
    assert len(m.cells) == 290
    assert len(m.cells.select(type="T")) == 200
    assert len(m.cells.select(type="T", state="Treg")) == 14  # 7% of CD4 T cells start as Tregs
    assert m.cells.groupby("type")["MSC"] == 10
    assert sum(m.cells.groupby("state").values()) == 290
    frame = m.cells.to_frame()
    assert {"id", "type", "state", "x_um", "y_um"} <= set(frame.columns)
    assert set(frame["type"].astype(str)) == {"MSC", "T", "CD8", "B", "NK", "DC", "MAC"}
    c = m.cells.cell(int(frame["id"].iloc[5]))
    assert c.type in {"MSC", "T", "CD8", "B", "NK", "DC", "MAC"} and "PGE2" in c.local_fields
    assert "cell" in str(c)
    with pytest.raises(KeyError):
        m.cells.select(type="Q")


def test_same_seed_same_run_different_seed_differs():
    def run(seed):
        m = small(**{"model.seed": seed})
        for _ in range(30):
            m.step()
        return m.cells.to_frame(), m.lattice.data.copy()

    a, fa = run(3)
    b, fb = run(3)
    c, _ = run(4)
    assert a.equals(b) and np.array_equal(fa, fb)
    assert not a.equals(c)


def test_batch_run_compatible():
    results = mesa.batch_run(MSCModel, {"cells.MSC.count": [0, 10], "model.steps": 20, "domain.width_um": 300.0,
                                        "domain.height_um": 300.0, "cells.T.count": 100, "cells.CD8.count": 20,
                                        "cells.B.count": 20, "cells.NK.count": 20, "cells.MAC.count": 20},
                             rng=[1], max_steps=50, number_processes=1, display_progress=False)
    assert len(results) == 2
    assert {r["cells.MSC.count"] for r in results} == {0, 10}
    assert all(r["step"] == 20 for r in results)
    assert [r["n_MSC"] for r in sorted(results, key=lambda r: r["cells.MSC.count"])] == [0, 10]


def test_supplied_field_relaxes_to_supply_over_decay():
    """A field with a supply and no start level is live (not skipped as inert) and, with no cell
    touching it, follows u(t) = (s/k)(1 - exp(-k t)) exactly."""
    no_cells = {f"cells.{t}.count": 0 for t in ("MSC", "T", "CD8", "B", "NK", "DC", "MAC")}
    m = small(**no_cells, **{"fields.KYN.supply_per_min": 0.5, "fields.KYN.decay_per_min": 0.05})
    for _ in range(60):
        m.step()
    want = 0.5 / 0.05 * (1.0 - np.exp(-0.05 * m.time))
    np.testing.assert_allclose(m.lattice.field("KYN"), want, rtol=1e-5)


def test_cells_stay_in_domain_and_fields_nonnegative():
    m = small()
    for _ in range(60):
        m.step()
    x, y = m.population["x_um"], m.population["y_um"]
    assert x.min() >= 0 and x.max() <= 300 and y.min() >= 0 and y.max() <= 300
    assert np.isfinite(m.lattice.data).all() and m.lattice.data.min() >= 0


def test_msc_priming_and_licensing_synergy():
    """IFN-gamma alone primes MSCs (IDO: Trp falls, kynurenine rises; PGE2 does not rise);
    IFN-gamma with TNF-alpha licenses them (COX-2 induced, PGE2 up): the synergy of SCIENCE.md s2.
    Expression takes about a day (SCIENCE.md s3b), so the labels are read at 24 h."""
    base = {**SMALL, "cells.T.count": 0, "cells.CD8.count": 0, "cells.B.count": 0, "cells.NK.count": 0,
            "cells.DC.count": 0, "cells.MAC.count": 0, "cells.MSC.count": 30}
    clamp = {"fields.IFNG.initial": 500.0, "fields.IFNG.decay_per_min": 0.0}
    plain = MSCModel(**base)
    ifng = MSCModel(**{**base, **clamp})
    both = MSCModel(**{**base, **clamp, "fields.TNF.initial": 500.0, "fields.TNF.decay_per_min": 0.0})
    for _ in range(1440):
        for m in (plain, ifng, both):
            m.step()
    assert plain.readouts["n_MSC_primed"] + plain.readouts["n_MSC_licensed"] == 0
    assert ifng.readouts["n_MSC_primed"] > 20 and ifng.readouts["n_MSC_licensed"] == 0
    assert both.readouts["n_MSC_licensed"] > 20
    assert ifng.readouts["mean_TRP_uM"] < plain.readouts["mean_TRP_uM"] - 1.0
    assert ifng.readouts["mean_KYN_uM"] > 1.0 and plain.readouts["mean_KYN_uM"] == 0.0
    assert ifng.readouts["mean_PGE2_nM"] == pytest.approx(plain.readouts["mean_PGE2_nM"], rel=0.05)
    assert both.readouts["mean_PGE2_nM"] > 1.8 * ifng.readouts["mean_PGE2_nM"]


def test_pge2_slows_t_proliferation():
    """Rules pge2_arrests_T_*: with PGE2 clamped high, activated T cells divide less (arrest, not death)."""
    base = {**SMALL, "cells.MSC.count": 0, "cells.DC.count": 0, "cells.T.initial_state": "activated",
            "cells.T.state_fractions": {},  # no Tregs: this test isolates the PGE2 rule
            "fields.IL2.initial": 1000.0, "fields.IL2.decay_per_min": 0.0, "model.steps": 1440}
    ctrl = MSCModel(**base)
    pge2 = MSCModel(**{**base, "fields.PGE2.initial": 100.0, "fields.PGE2.decay_per_min": 0.0})
    for _ in range(1440):  # one 12-h cycle and more
        ctrl.step()
        pge2.step()
    assert ctrl.readouts["births_T_total"] > 100
    assert pge2.readouts["births_T_total"] < 0.2 * ctrl.readouts["births_T_total"]
    assert pge2.readouts["deaths_T_total"] <= ctrl.readouts["deaths_T_total"] + 5


def test_buffer_growth_keeps_behaviours_of_existing_cells():
    """Division that grows the population's capacity must not wipe this step's behaviour rows."""
    m = small(**{"cells.T.count": 1000})
    before = m._cap
    m._behaviours[:5] = 7.0
    m.population.add(m.population.capacity - len(m.population) + 1)  # force capacity growth
    m._ensure_buffers()
    assert m._cap > before
    assert np.all(m._behaviours[:5] == 7.0)


def test_contact_signals_by_type_state_and_apoptotic_are_consistent(monkeypatch):
    """contact:TYPE counts live neighbours and equals the sum of its contact:TYPE.state columns
    (two independent counting passes in the model); contact:apoptotic counts apoptotic bodies
    (checked against a plain loop over the neighbour list). Every signal stored (the dense layout), so the
    columns are the vocabulary's positions."""
    monkeypatch.setattr(model_module, "build_tables", partial(build_tables, all_signals=True))
    m = small(**{"behaviours.T.naive.death_rate_per_min": 0.02})
    assert np.array_equal(m.tables.signal_column, np.arange(len(m.tables.signal_names)))
    for _ in range(20):
        m.step()
    t = m.tables
    n = len(m.population)
    sig = m._signals[:n]
    by_type = sig[:, t.contact_signal_offset:t.contact_signal_offset + len(t.type_names)]
    for code, states in enumerate(t.state_names):
        first = t.state_contact_offset + t.contact_class[code * t.n_states]
        np.testing.assert_array_equal(by_type[:, code], sig[:, first:first + len(states)].sum(axis=1))
    assert by_type.sum() > 100
    # spy on the sense phase's contact search: the apoptotic and per-type columns equal plain counts
    rec = {}
    find = m.contacts.find

    def spy(x, y, r, n, scale):
        offsets, neighbours = find(x, y, r, n, scale)
        rec.update(offsets=offsets.copy(), neighbours=neighbours.copy(), n=n, type=m.population["type"][:n].copy(),
                   apoptotic=(m.population["apoptosis_left_min"][:n] >= 0).copy())
        return offsets, neighbours

    m.contacts.find = spy
    m.step()
    n, o, nb, apo = rec["n"], rec["offsets"], rec["neighbours"], rec["apoptotic"]
    assert apo.any()
    sig = m._signals[:n]
    for i in range(n):
        js = nb[o[i]:o[i + 1]]
        assert sig[i, t.apoptotic_signal] == apo[js].sum()
        live = js[~apo[js]]
        np.testing.assert_array_equal(sig[i, t.contact_signal_offset:t.contact_signal_offset + len(t.type_names)],
                                      np.bincount(rec["type"][live], minlength=len(t.type_names)))
    names = t.signal_names
    assert names[t.contact_signal_offset] == f"contact:{t.type_names[0]}"
    assert names[t.state_contact_offset] == f"contact:{t.type_names[0]}.{t.state_names[0][0]}"
    assert names[t.apoptotic_signal] == "contact:apoptotic"
    assert t.apoptotic_signal == t.state_contact_offset + t.n_contact_classes - 1


_SWITCHING = {"cells.MSC.count": 20, "rules.msc_becomes_epithelium.enabled": True,
              "rules.msc_becomes_epithelium.saturation": 0.02}


@pytest.mark.parametrize("preset, steps, kw", [("coculture", 1500, {}), ("disease_psoriasis", 150, {}),
                                               ("disease_ibd", 120, _SWITCHING)])
def test_exchange_visits_only_the_fields_each_type_can_exchange_and_that_changes_nothing(preset, steps, kw):
    """Tables.exchange_species lists, per cell type, the fields its base values and rules can make it exchange;
    the model with those lists equals, bit for bit, the same model visiting every field for every type: over a
    day of co-culture (MSCs license), in a lesion with influx, and with MSCs turning into epithelium."""
    sparse = MSCModel(preset, rng=5, **{"model.steps": steps, **kw})
    dense = MSCModel(preset, rng=5, **{"model.steps": steps, **kw})
    t = dense.tables
    n_types, n_fields = len(t.type_names), len(t.field_names)
    assert sparse.tables.exchange_species.size < n_types * n_fields  # it is sparse
    t.exchange_species_ptr = np.arange(n_types + 1, dtype=np.int64) * n_fields
    t.exchange_species = np.tile(np.arange(n_fields, dtype=np.int64), n_types)
    while sparse.running:
        sparse.step()
        dense.step()
    np.testing.assert_array_equal(sparse.lattice.data, dense.lattice.data)
    n = len(sparse.population)
    assert n == len(dense.population)
    for col in ("x_um", "y_um", "type", "state"):
        np.testing.assert_array_equal(sparse.population[col][:n], dense.population[col][:n])
    if kw:
        assert sparse.tally.transdifferentiated_total > 0
    if preset == "coculture":
        assert sparse.readouts["n_MSC_licensed"] > 0


def test_cells_added_between_decisions_start_from_their_base_behaviours():
    """With model.phenotype_every > 1 an infusion between phenotype steps gives its cells the base behaviours of
    their (type, state) at once, not whatever row they land on; and the sparse exchange stays the dense one."""
    kw = {"model.steps": 30, "model.phenotype_every": 6, "cells.MSC.count": 0,
          "interventions.infusions": [{"at_min": 8.0, "count": 40, "cell_type": "MSC"}]}
    sparse, dense = MSCModel("coculture", rng=4, **kw), MSCModel("coculture", rng=4, **kw)
    t = dense.tables
    n_types, n_fields = len(t.type_names), len(t.field_names)
    t.exchange_species_ptr = np.arange(n_types + 1, dtype=np.int64) * n_fields
    t.exchange_species = np.tile(np.arange(n_fields, dtype=np.int64), n_types)
    while sparse.steps < 8:
        sparse.step()
        dense.step()
    pop, msc = sparse.population, sparse.tables.type_code("MSC")
    rows = np.flatnonzero(pop["type"][:len(pop)] == msc)
    assert len(rows) == 40 and not sparse._phenotype_step()  # the next step holds the behaviours
    group = msc * t.n_states + pop["state"][rows].astype(np.int64)
    np.testing.assert_array_equal(sparse._behaviours[rows], sparse.tables.base[group].astype(np.float32))
    pge2 = t.field_names.index("PGE2")
    before = sparse.lattice.data[pge2].sum(dtype=np.float64)
    while sparse.running:
        sparse.step()
        dense.step()
    assert sparse.lattice.data[pge2].sum(dtype=np.float64) > before  # the infused MSCs export at once
    np.testing.assert_array_equal(sparse.lattice.data, dense.lattice.data)


def test_exchange_lists_hold_what_the_config_lets_each_type_exchange():
    """Read from the config itself (not from the compiled tables): for every preset and type, the fields with a
    non-zero secretion, uptake or export in some state, or an enabled rule on one of them with a non-zero
    saturation, are exactly the fields Tables.exchange_species lists (presets have no knock-outs)."""
    from mscabm.assembly import build_tables
    from mscabm.config import load_config, preset_names

    for name in preset_names():
        cfg = load_config(name)
        t = build_tables(cfg)
        for code, tname in enumerate(t.type_names):
            names = {f"{kind}_{f}{unit}": f for f in t.field_names
                     for kind, unit in (("secretion", "_per_min"), ("uptake", "_per_min"),
                                        ("export", "_molecules_per_min"))}
            want = {names[b] for states in cfg.behaviours.get(tname, {}).values() for b, v in states.items()
                    if b in names and v != 0}
            want |= {names[r.behaviour] for r in cfg.rules.values()
                     if r.enabled and r.cell_type == tname and r.behaviour in names and r.saturation != 0}
            a, b = t.exchange_species_ptr[code], t.exchange_species_ptr[code + 1]
            assert {t.field_names[i] for i in t.exchange_species[a:b]} == want, (name, tname)


def test_a_delayed_drug_keeps_the_exchange_lists_of_the_rows_held_from_before_it():
    """A delayed immunosuppressant at full strength zeroes some exports (T-cell IFN-gamma); with
    model.phenotype_every > 1 rows computed before it are held a few steps, so the exchange must keep the
    drug-free lists: the sparse model equals the dense one to the bit, and the lists are the drug-free ones."""
    kw = {"model.steps": 90, "model.phenotype_every": 6, "interventions.immunosuppressant": 1.0,
          "interventions.immunosuppressant_start_min": 62.0}
    sparse, dense = MSCModel("coculture", rng=8, **kw), MSCModel("coculture", rng=8, **kw)
    drug_free = sparse.tables.exchange_species.copy()
    t = dense.tables
    n_types, n_fields = len(t.type_names), len(t.field_names)
    t.exchange_species_ptr = np.arange(n_types + 1, dtype=np.int64) * n_fields
    t.exchange_species = np.tile(np.arange(n_fields, dtype=np.int64), n_types)
    while sparse.running:
        sparse.step()
        dense.step()
    from mscabm.assembly import build_tables

    drugged = build_tables(sparse.config).exchange_species
    assert len(drugged) < len(drug_free)  # the drug empties some (type, field) pairs
    np.testing.assert_array_equal(sparse.tables.exchange_species, drug_free)
    np.testing.assert_array_equal(sparse.lattice.data, dense.lattice.data)
