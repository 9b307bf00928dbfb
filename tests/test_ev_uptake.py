"""MSC-EVs that are taken up (issue 22 item 9; SCIENCE.md s2, s2b: "uptake-dependent").

The engine piece (a per-cell variable that counts what its cell took up of a field, ``takes_up``)
against a per-cell reference and against conservation of the vesicles between the field and the
cells (division included); the biology: the EV rules read the cargo taken up, not the field (no
uptake, no effect, exactly), the cargo outlasts the vesicles, licensed parents load more cargo, and
the cargo acts on DCs, macrophages, NK and T cells (each with the piece on vs off, several seeds).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from quiet_well import QUIET, run

import mscabm.model
from mscabm.biology.celltypes import EV_UPTAKE_PER_MIN
from mscabm.biology.rules import DEFAULT_RULES, ev_cargo_half_max
from mscabm.config import load_config
from mscabm.engine.kernels.variables import add_taken_up, halve_taken_up
from mscabm.model import MSCModel
from mscabm.schema import ConfigError

SEEDS = (1, 2, 3)


def doses(*entries) -> dict:
    """``interventions.doses`` from (at_min, field, level) triples."""
    return {"interventions.doses": [dict(at_min=a, field=f, level=v) for a, f, v in entries]}


def no_uptake(cell_type: str) -> dict:
    """Overrides that stop every state of ``cell_type`` taking up EVs."""
    states = load_config(values=QUIET).cells[cell_type].states
    return {f"behaviours.{cell_type}.{s}.uptake_EV_per_min": 0.0 for s in states}


# ------------------------------------------------------------------------------------------- engine
@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 40), n_types=st.integers(1, 4), n_fields=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_taken_up_matches_the_per_cell_reference(n, n_types, n_fields, seed):
    rng = np.random.default_rng(seed)
    cell_type = rng.integers(0, n_types, n + 3)
    amounts = rng.normal(0.0, 5.0, (n, n_fields))  # negative = taken up, positive = released
    field_of_type = rng.integers(-1, n_fields, n_types)
    per_amount = rng.uniform(0.1, 10.0, n_fields)
    values = rng.uniform(0.0, 3.0, n + 3)
    expected = values.copy()
    for i in range(n):
        f = field_of_type[cell_type[i]]
        if f >= 0 and amounts[i, f] < 0:
            expected[i] += -amounts[i, f] * per_amount[f]
    vectorised = values.copy()  # the numpy expression the kernel replaced: the same bits
    f = field_of_type[cell_type[:n]]
    rows = np.flatnonzero(f >= 0)
    vectorised[rows] += np.maximum(-amounts[rows, f[rows]], 0.0) * per_amount[f[rows]]
    add_taken_up(n, cell_type, values, amounts, field_of_type, per_amount)
    np.testing.assert_allclose(values, expected, rtol=1e-14)
    np.testing.assert_array_equal(values, vectorised)
    # division: the first half of the rows are parents, the second half their daughters (copies, as divide makes)
    k = n // 2
    parents, daughters = np.arange(k), np.arange(k, 2 * k)
    cell_type[daughters], values[daughters] = cell_type[parents], values[parents]
    before = values.copy()
    halve_taken_up(cell_type, values, parents, daughters, field_of_type)
    for p, d in zip(parents, daughters, strict=True):
        share = 0.5 if field_of_type[cell_type[p]] >= 0 else 1.0
        assert values[p] == share * before[p] and values[d] == values[p]
    assert (values[2 * k:] == before[2 * k:]).all()


def test_an_unknown_takes_up_field_is_a_config_error_with_its_key_path():
    with pytest.raises(ConfigError) as e:
        load_config(values={"cells.T.variables.EV_cargo.takes_up": "EVX"})
    assert e.value.path == "cells.T.variables.EV_cargo.takes_up" and "EVX" in str(e.value)


def test_one_field_counted_twice_in_one_type_is_a_config_error():
    """Two variables counting one uptake would each gain the whole amount (vesicles made from nothing)."""
    with pytest.raises(ConfigError) as e:
        load_config(values={"cells.T.variables.EV2": {"takes_up": "EV"}})
    assert e.value.path == "cells.T.variables.EV2.takes_up" and "EV_cargo" in str(e.value)
    load_config(values={"cells.T.variables.EV2": {"takes_up": "IL2"}})  # another field is fine


CONSERVED = {**QUIET, "cells.T.count": 30, "fields.EV.decay_per_min": 0.0,
             "cells.T.variables.EV_cargo.decay_per_min": 0.0, "behaviours.T.naive.cycle_rate_per_min": 1 / 150,
             "behaviours.T.naive.death_rate_per_min": 0.0, "behaviours.T.naive.uptake_EV_per_min": 0.3,
             **doses((0.0, "EV", 100.0))}  # a fast uptake (test choice) so that the cells hold a good share


def _vesicles(m: MSCModel) -> float:
    """Vesicles in the field (every transwell layer, weighted by its thickness) plus the cargo the cells hold
    (molecules)."""
    i = m.tables.field_names.index("EV")
    if m.transwell is None:
        field = float(m.lattice.data[i].sum(dtype=np.float64))
    else:
        depth = m.transwell.thickness_um / m.transwell.thickness_um[0]
        field = sum(float(layer[i].sum(dtype=np.float64)) * d for layer, d in zip(m.transwell.layers, depth,
                                                                                    strict=True))
    return (field * m.lattice.voxel_volume_um3 * m.tables.molecules_per_amount[i]
            + float(m.population["EV_cargo"][:len(m.population)].sum()))


@pytest.mark.parametrize("seed", (1, 2))
def test_vesicles_are_conserved_between_the_field_and_the_cells_through_divisions(seed, monkeypatch):
    m = MSCModel(**CONSERVED, rng=seed)
    _check_conserved(m)
    # the check can fail: daughters that copied their parent's cargo would create vesicles
    monkeypatch.setattr(mscabm.model, "halve_taken_up", lambda *a: None)
    m = MSCModel(**CONSERVED, rng=seed)
    m.step()
    start = _vesicles(m)
    assert start > 0
    for _ in range(480):
        m.step()
    assert _vesicles(m) > 1.05 * start


@pytest.mark.parametrize("extra", [{"interventions.transwell": True}, {"model.phenotype_every": 6}],
                         ids=["transwell", "phenotype_every"])
def test_vesicles_are_conserved_in_a_transwell_and_with_held_behaviours(extra):
    """A transwell exchanges once per compartment into one reused buffer; held behaviours (phenotype_every)
    keep their rows through divisions: the vesicles are conserved either way."""
    _check_conserved(MSCModel(**CONSERVED, **extra, rng=1))


def _check_conserved(m: MSCModel) -> None:
    m.step()
    start, n0 = _vesicles(m), len(m.population)
    for _ in range(480):
        m.step()
    held = float(m.population["EV_cargo"][:len(m.population)].sum())
    assert len(m.population) > 2 * n0 and held > 0.02 * start  # the cells divided and took some up (transwell: 4%)
    assert _vesicles(m) == pytest.approx(start, rel=1e-5)


def test_the_derived_half_max_is_the_steady_cargo_of_a_cell_in_the_former_field_half_max():
    """A T cell held in a 50 pM EV field (no depletion: one cell) holds ev_cargo_half_max('T', 50) at steady state."""
    m = MSCModel(**{**QUIET, "cells.T.count": 1, "fields.EV.initial": 50.0, "fields.EV.decay_per_min": 0.0,
                    "behaviours.T.naive.death_rate_per_min": 0.0, "domain.width_um": 1000.0,
                    "domain.height_um": 1000.0}, rng=1)
    for _ in range(10 * 1440):
        m.step()
    assert m.population["EV_cargo"][0] == pytest.approx(ev_cargo_half_max("T", 50.0), rel=0.02)


# ------------------------------------------------------------------------------------------- biology
DC = {"cells.DC.count": 40, "cells.DC.initial_state": "immature", "fields.TNF.decay_per_min": 0.0}
TNF_AT_12H = (720.0, "TNF", 200.0)
EV_DOSE = (0.0, "EV", 50.0)


def test_evs_act_on_dcs_only_once_taken_up():
    """EVs given 12 h before the maturing TNF lower DC maturation; the same dose with uptake stopped does
    nothing at all (the rules read the cargo, not the field): EVs no longer act as a free cytokine."""
    for seed in SEEDS:
        ctrl = run(1440, seed, **DC, **doses(TNF_AT_12H))
        ev = run(1440, seed, **DC, **doses(TNF_AT_12H, EV_DOSE))
        blind = run(1440, seed, **DC, **doses(TNF_AT_12H, EV_DOSE), **no_uptake("DC"))
        assert ev["frac_DC_mature"] < 0.75 * ctrl["frac_DC_mature"], seed
        assert blind["frac_DC_mature"] == ctrl["frac_DC_mature"] and blind["mean_DC_EV_cargo"] == 0.0, seed
        assert blind["mean_EV_pM"] > ev["mean_EV_pM"]  # the cells that take EVs up deplete them


def test_ev_cargo_outlasts_the_vesicles():
    """Vesicles cleared within ~2 h (fast field decay) leave cargo in the DCs that still blocks maturation
    by TNF given 6 h later, when the field is gone; a free-cytokine EV could not act then."""
    fast = {"fields.EV.decay_per_min": 0.05}
    for seed in (1, 2):
        given_tnf = doses((360.0, "TNF", 200.0), (0.0, "EV", 500.0))
        at_tnf = run(360, seed, **DC, **fast, **given_tnf)
        assert at_tnf["mean_EV_pM"] < 1e-3 and at_tnf["mean_DC_EV_cargo"] > ev_cargo_half_max("DC", 5.0)
        ctrl = run(1080, seed, **DC, **fast, **doses((360.0, "TNF", 200.0)))
        ev = run(1080, seed, **DC, **fast, **given_tnf)
        assert ev["frac_DC_mature"] < ctrl["frac_DC_mature"] - 0.08, seed


def test_licensed_parents_load_more_cargo_per_vesicle():
    msc = {"cells.MSC.count": 20}
    naive = run(360, 1, **msc, **{"interventions.prelicense": "none"})
    licensed = run(360, 1, **msc, **{"interventions.prelicense": "IFNG+TNF"})
    unloaded = run(360, 1, **msc, **{"interventions.prelicense": "IFNG+TNF", "rules.pdl1_loads_msc_evs.enabled": False})
    assert licensed["mean_MSC_CD274"] > 0.3 and naive["mean_MSC_CD274"] == 0.0
    assert licensed["mean_EV_pM"] > 1.8 * naive["mean_EV_pM"]
    assert unloaded["mean_EV_pM"] == pytest.approx(naive["mean_EV_pM"], rel=1e-6)


def test_ev_cargo_turns_macrophages_m2_only_when_taken_up():
    mac = {"cells.MAC.count": 40, "cells.MAC.initial_state": "M0"}
    for seed in (1, 2):
        ctrl = run(1440, seed, **mac)
        ev = run(1440, seed, **mac, **doses(EV_DOSE))
        blind = run(1440, seed, **mac, **doses(EV_DOSE), **no_uptake("MAC"))
        assert ev["frac_MAC_M2"] > ctrl["frac_MAC_M2"] + 0.5 and blind["frac_MAC_M2"] == ctrl["frac_MAC_M2"]


def three_arms(base: dict, dose: tuple, target: str, readout: str, steps: int = 1440) -> dict[str, float]:
    """``readout`` summed over SEEDS: no EVs (ctrl), the EV ``dose`` (ev), the dose with ``target`` taking none
    up (blind)."""
    arms = {"ctrl": {}, "ev": doses(dose), "blind": {**doses(dose), **no_uptake(target)}}
    return {arm: sum(run(steps, seed, **base, **kw)[readout] for seed in SEEDS) for arm, kw in arms.items()}


def test_ev_cargo_lowers_nk_cytotoxicity_only_when_taken_up():
    nk = {"cells.NK.count": 30, "cells.NK.initial_state": "active", "cells.TISSUE.count": 120,
          "behaviours.NK.active.death_rate_per_min": 0.0}
    kills = three_arms(nk, (0.0, "EV", 200.0), "NK", "kills_by_NK_total")
    assert kills["ev"] < 0.8 * kills["ctrl"] and kills["blind"] == kills["ctrl"], kills


def test_ev_cargo_lowers_t_activation():
    """PD-L1-bearing, IL-10 and miRNA cargo lowers naive T activation by mature DCs (SCIENCE.md s2b). The DCs
    take no EVs up here (their cargo would keep a DC disarmed by a Treg from maturing again), so what changes
    is the T cells' own cargo; with their uptake stopped too, nothing changes at all."""
    t = {"cells.T.count": 120, "cells.DC.count": 12, "cells.DC.initial_state": "mature",
         "behaviours.DC.mature.death_rate_per_min": 0.0, **no_uptake("DC")}
    naive = three_arms(t, (0.0, "EV", 300.0), "T", "n_T_naive")
    assert naive["ev"] > 1.15 * naive["ctrl"] and naive["blind"] == naive["ctrl"], naive


def test_every_ev_rule_reads_the_cargo_and_every_target_type_takes_evs_up():
    ev_rules = {k: r for k, r in DEFAULT_RULES.items() if "EV" in r["signal"] or k.startswith("ev_")}
    assert ev_rules and all(r["signal"] == "var:EV_cargo" for r in ev_rules.values())
    assert {r["cell_type"] for r in ev_rules.values()} <= set(EV_UPTAKE_PER_MIN)
    cfg = load_config()
    for t in EV_UPTAKE_PER_MIN:
        assert cfg.cells[t].variables["EV_cargo"].takes_up == "EV"
        assert all(cfg.behaviours[t][s]["uptake_EV_per_min"] > 0 for s in cfg.cells[t].states)


def test_a_checkpoint_keeps_the_cargo_and_the_run_continues_identically():
    kw = {**QUIET, "cells.T.count": 20, "cells.MAC.count": 10, **doses((0.0, "EV", 100.0))}
    a = MSCModel(**kw, rng=3)
    for _ in range(120):
        a.step()
    b = MSCModel(**kw, rng=3)
    b.load_state_dict(a.state_dict())
    assert a.population["EV_cargo"][:len(a.population)].sum() > 0
    for _ in range(120):
        a.step()
        b.step()
    n = len(a.population)
    assert n == len(b.population) and np.array_equal(a.population["EV_cargo"][:n], b.population["EV_cargo"][:n])
