"""Interventions: each one acts through data on the behaviour it names, in the expected direction."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mscabm.engine.kernels.contact import CompartmentFilter, ContactFinder, csr_to_pairs
from mscabm.model import MSCModel

WORLD = {"domain.width_um": 300.0, "domain.height_um": 300.0, "cells.B.count": 0, "cells.NK.count": 0,
         "cells.CD8.count": 0, "cells.MAC.count": 0, "cells.DC.count": 0, "model.steps": 10**6,
         "output.record_every": 10}
MSC_ONLY = {**WORLD, "cells.T.count": 0, "cells.MSC.count": 20, "interventions.prelicense": "IFNG+TNF"}


def run(steps, **kw):
    m = MSCModel(**{**WORLD, **kw})
    for _ in range(steps):
        m.step()
    m.record()
    return m


def test_prelicense_starts_msc_licensed():
    m = MSCModel(**MSC_ONLY)
    assert m.readouts["n_MSC_licensed"] == 20 and m.readouts["n_MSC_naive"] == 0


@pytest.mark.parametrize("how", [{"interventions.knockout": ["COX2"]}, {"interventions.block": ["indomethacin"]},
                                 {"interventions.block": ["NS-398"]}])
def test_cox2_knockout_or_blocker_removes_msc_pge2(how):
    plain = run(60, **MSC_ONLY)
    ko = run(60, **MSC_ONLY, **how)
    assert plain.readouts["mean_PGE2_nM"] > 0.1
    assert ko.readouts["mean_PGE2_nM"] == 0.0
    assert ko.readouts["mean_TRP_uM"] == pytest.approx(plain.readouts["mean_TRP_uM"])  # IDO untouched


def test_knockout_and_blocker_of_the_same_factor_are_identical():
    a = run(30, **MSC_ONLY, **{"interventions.knockout": ["IDO"]})
    b = run(30, **MSC_ONLY, **{"interventions.block": ["1-MT"]})
    assert np.array_equal(a.lattice.data, b.lattice.data)
    assert a.readouts["mean_TRP_uM"] == pytest.approx(25.0)


def test_neutralising_antibody_and_supplement_act_on_their_field():
    plain = run(60, **MSC_ONLY)
    anti = run(60, **MSC_ONLY, **{"interventions.neutralise_per_min": {"PGE2": 1.0}})
    assert anti.readouts["mean_PGE2_nM"] < 0.3 * plain.readouts["mean_PGE2_nM"]
    sup = MSCModel(**{**MSC_ONLY, "interventions.supplement": {"TRP": 50.0}})
    assert sup.readouts["mean_TRP_uM"] == pytest.approx(75.0)


def test_deplete_and_infusion():
    m = MSCModel(**{**WORLD, "cells.T.count": 50, "interventions.deplete": ["T"],
                    "interventions.infusions": [{"at_min": 5.0, "count": 7, "cell_type": "MSC", "state": "licensed"}]})
    assert m.readouts["n_T"] == 0
    n0 = m.readouts["n_MSC"]
    for _ in range(4):
        m.step()
    assert len(m.cells.select(type="MSC")) == n0
    m.step()  # t = 5 min: the step runs, then the infusion
    assert len(m.cells.select(type="MSC")) == n0 + 7
    assert len(m.cells.select(type="MSC", state="licensed")) >= 7


def test_infusion_at_time_zero_is_part_of_the_start():
    m = MSCModel(**{**WORLD, "cells.T.count": 10, "cells.MSC.count": 3,
                    "interventions.infusions": [{"at_min": 0.0, "count": 4}]})
    assert m.readouts["n_MSC"] == 7


def test_infusion_after_checkpoint_resume_is_identical():
    kw = {**WORLD, "cells.T.count": 60, "interventions.infusions": [{"at_min": 15.0, "count": 5}]}
    ref = MSCModel(**kw)
    for _ in range(25):
        ref.step()
    first = MSCModel(**kw)
    for _ in range(10):
        first.step()
    state = first.state_dict()
    resumed = MSCModel(**kw)
    resumed.load_state_dict(state)
    for _ in range(15):
        resumed.step()
    assert ref.cells.to_frame().equals(resumed.cells.to_frame())
    assert np.array_equal(ref.lattice.data, resumed.lattice.data)


def test_transwell_removes_msc_contacts_but_keeps_paracrine_suppression():
    kw = {**WORLD, "cells.T.count": 200, "cells.MSC.count": 40, "cells.DC.count": 8, "cells.DC.initial_state": "mature",
          "interventions.prelicense": "IFNG+TNF"}
    tw = MSCModel(**{**kw, "interventions.transwell": True})
    touching = 0
    for _ in range(40):
        tw.step()
        sig = tw._signals[: len(tw.population)]
        col = tw.tables.signal_of("contact:MSC")
        is_msc = tw.population["type"] == tw.tables.type_code("MSC")
        touching += int(sig[~is_msc, col].sum())
    assert touching == 0
    # the soluble route still works across the membrane: PGE2 made on the insert reaches the well,
    # down a gradient from the insert layer (mscabm/transwell.py)
    pge2 = tw.tables.field_names.index("PGE2")
    assert tw.readouts["mean_PGE2_nM"] > 0.01
    assert tw.transwell.insert[pge2].mean() > 2 * tw.lattice.data[pge2].mean()


def test_immunosuppressant_damps_t_activation():
    kw = {**WORLD, "cells.T.count": 200, "cells.MSC.count": 0, "cells.DC.count": 12, "cells.DC.initial_state": "mature",
          "behaviours.T.naive.to_activated_per_min": 1 / 120}  # polyclonal stimulus: a strong activation signal
    plain = run(240, **kw)
    drug = run(240, **kw, **{"interventions.immunosuppressant": 0.9})
    assert plain.readouts["n_T_activated"] > 10
    assert drug.readouts["n_T_activated"] < 0.5 * plain.readouts["n_T_activated"]


@given(st.integers(0, 120), st.integers(0, 10**6))
def test_compartment_filter_matches_reference(n, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 100, n), rng.uniform(0, 100, n)
    r = rng.uniform(2, 8, n)
    offsets, neighbours = ContactFinder(100.0, 100.0).find(x, y, r, n, 1.25)
    in_b = rng.random(n) < 0.3
    expected = {(i, j) for i, j in csr_to_pairs(offsets, neighbours).tolist() if in_b[i] == in_b[j]}
    fo, fn = CompartmentFilter().filter(offsets, neighbours, in_b, n)
    got = {(i, j) for i, j in csr_to_pairs(fo, fn).tolist()}
    assert got == expected
    for i in range(n):
        seg = fn[fo[i]:fo[i + 1]]
        assert np.all(np.diff(seg) > 0)
