"""Gene-modified MSCs (``interventions.overexpress``; SCIENCE.md s2b: overexpressing IL-10, IDO, PD-L1 or a homing
receptor strengthens or targets the effect). A transgene adds a constant amount of its factor on top of the MSC's
own, regulated expression; each factor is checked on vs off against an independent truth: a held expression level,
the contact count, the analytic mean of a constant release into a decaying field, the number of cells infused."""

import math

import numpy as np
import pytest
from test_interventions import WORLD, run  # the small world of the intervention tests

from mscabm.cli import main
from mscabm.config import load_config
from mscabm.model import MSCModel
from mscabm.schema import ConfigError

MSC_ALONE = {**WORLD, "cells.T.count": 0, "cells.MSC.count": 20}
NO_MSC_DEATH = {f"behaviours.MSC.{s}.death_rate_per_min": 0.0 for s in ("naive", "primed", "licensed")}


def test_ido_transgene_acts_like_a_held_expression_level_without_ifng():
    """No IFN-gamma: native MSCs make no IDO; a transgene of level L degrades tryptophan exactly as cells whose
    IDO1 level is held at L (same release, same field to the last bit), while the transgenic cells keep their own
    level (0) and their naive label."""
    plain = run(120, **MSC_ALONE)
    gm = run(120, **MSC_ALONE, **{"interventions.overexpress": {"IDO": 1.5}})
    held = run(120, **MSC_ALONE, **{"cells.MSC.variables.IDO1.initial": 1.5,
                                    "cells.MSC.variables.IDO1.decay_per_min": 0.0})
    assert plain.readouts["mean_TRP_uM"] == pytest.approx(25.0)
    assert gm.readouts["mean_TRP_uM"] < 24.0
    trp, kyn = (plain.tables.field_names.index(f) for f in ("TRP", "KYN"))
    assert np.array_equal(gm.lattice.data[trp], held.lattice.data[trp])
    assert np.array_equal(gm.lattice.data[kyn], held.lattice.data[kyn])
    assert gm.readouts["mean_MSC_IDO1"] == 0.0 and gm.readouts["n_MSC_naive"] == 20
    assert held.readouts["n_MSC_naive"] == 0  # a held native level does relabel the cells; a transgene does not


def test_transgene_leaves_the_regulated_levels_and_labels_alone_under_ifng():
    """MSCs pre-treated with IFN-gamma carry their own IDO1 and the primed label; the IDO transgene changes neither
    (levels and labels follow the cytokines), only the tryptophan they degrade."""
    kw = {**MSC_ALONE, "interventions.prelicense": "IFNG"}
    plain = run(300, **kw)
    gm = run(300, **kw, **{"interventions.overexpress": {"IDO": 2.0}})
    assert plain.readouts["n_MSC_primed"] > 0
    for col in ("state", "IDO1", "STAT1", "PTGS2"):
        assert np.array_equal(plain.population[col], gm.population[col]), col
    assert gm.readouts["mean_KYN_uM"] > 1.5 * plain.readouts["mean_KYN_uM"] > 0.0
    assert gm.readouts["mean_TRP_uM"] + gm.readouts["mean_KYN_uM"] == pytest.approx(25.0, rel=1e-5)


@pytest.mark.parametrize("factor", ["IDO", "COX2"])
def test_knockout_wins_over_the_transgene(factor):
    """A knocked-out factor has no output, transgene or not (the knock-out zeroes the output the level scales)."""
    kw = {**MSC_ALONE, "interventions.supplement": {"IFNG": 1000.0, "TNF": 600.0}, "interventions.knockout": [factor]}
    a = run(60, **kw)
    b = run(60, **kw, **{"interventions.overexpress": {factor: 3.0}})
    assert np.array_equal(a.lattice.data, b.lattice.data)


def test_pdl1_transgene_adds_its_level_to_every_msc_contact():
    """The contact signal a T cell reads, contact_level:MSC.CD274, is the sum of the touching MSCs' PD-L1: with a
    transgene of level L it rises by exactly L per touching MSC."""
    kw = {**WORLD, "cells.T.count": 300, "cells.MSC.count": 40}
    plain = run(1, **kw)
    gm = run(1, **kw, **{"interventions.overexpress": {"PDL1": 2.0}})
    level, count = plain.tables.signal_of("contact_level:MSC.CD274"), plain.tables.signal_of("contact:MSC")
    touching = plain._signals[:, count]
    assert touching.sum() > 10
    assert (level, count) == (gm.tables.signal_of("contact_level:MSC.CD274"), gm.tables.signal_of("contact:MSC"))
    np.testing.assert_array_equal(gm._signals[:, level] - plain._signals[:, level], 2.0 * touching)


@pytest.mark.parametrize("pretreatment", ["none", "IFNG+TNF"])
def test_il10_transgene_release_matches_the_analytic_mean(pretreatment):
    """IL-10-MSCs alone in a zero-flux well, naive or pre-licensed (the transgene acts in every state): a constant
    release q per cell into a field decaying at k has the mean N q c / V (1 - e^{-k t}) / k (c = 1660.5 pM um^3
    per molecule); native MSCs release none."""
    level, steps = 1.5, 300
    kw = {**MSC_ALONE, **NO_MSC_DEATH, "interventions.prelicense": pretreatment}
    plain = run(steps, **kw)
    gm = run(steps, **kw, **{"interventions.overexpress": {"IL10": level}})
    cfg = gm.config
    f = cfg.fields["IL10"]
    assert f.boundary == "zero_flux" and f.supply_per_min == 0.0 and f.initial == 0.0
    assert plain.readouts["mean_IL10_pM"] == 0.0 and gm.readouts["n_MSC"] == 20
    assert (gm.readouts["n_MSC_naive"] == 20) == (pretreatment == "none")
    q = level * 600.0  # molecules/min per cell: L x the reference output (biology/interventions.py)
    volume = cfg.domain.width_um * cfg.domain.height_um * cfg.domain.thickness_um
    t = steps * cfg.model.dt_min
    k = f.decay_per_min
    expected = 20 * q * 1660.539 / volume * (1.0 - math.exp(-k * t)) / k
    assert gm.readouts["mean_IL10_pM"] == pytest.approx(expected, rel=1e-3)


def test_cxcr4_transgene_multiplies_the_cells_an_infusion_delivers():
    """Homing: an infusion during the run delivers (1 + L) times its MSCs; cells seeded at the start are not
    homing."""
    inf = {"interventions.infusions": [{"at_min": 5.0, "count": 7, "cell_type": "MSC"}],
           "cells.T.count": 0, "cells.MSC.count": 3}
    plain = run(10, **inf)
    gm = run(10, **inf, **{"interventions.overexpress": {"CXCR4": 1.0}})
    assert plain.readouts["placed_MSC_total"] == 3 + 7
    assert gm.readouts["placed_MSC_total"] == 3 + 14
    # at t = 0 an infusion is part of the initial state (seeded), and T cells carry no MSC transgene
    start = {"interventions.infusions": [{"at_min": 0.0, "count": 7, "cell_type": "MSC"},
                                         {"at_min": 5.0, "count": 4, "cell_type": "T"}],
             "cells.T.count": 0, "cells.MSC.count": 3, "interventions.overexpress": {"CXCR4": 2.0}}
    m = run(10, **start)
    assert m.readouts["placed_MSC_total"] == 3 + 7 and m.readouts["placed_T_total"] == 4


def test_cxcr4_level_that_overflows_the_population_is_refused():
    with pytest.raises(ConfigError, match="interventions.overexpress.CXCR4"):
        load_config(None, values={"model.max_cells": 10**4, "interventions.overexpress": {"CXCR4": 999.0},
                                  "interventions.infusions": [{"at_min": 5.0, "count": 20}]})


def test_without_overexpress_nothing_changes():
    """An empty overexpress table and zero levels give the same run as no intervention at all."""
    kw = {**WORLD, "cells.T.count": 100, "cells.MSC.count": 10}
    a = run(30, **kw)
    b = run(30, **kw, **{"interventions.overexpress": {"IDO": 0.0, "PDL1": 0.0, "IL10": 0.0, "CXCR4": 0.0}})
    assert np.array_equal(a.lattice.data, b.lattice.data)
    assert a.log.to_frame().equals(b.log.to_frame())


@pytest.mark.parametrize("value, path", [
    ({"FOO": 1.0}, "interventions.overexpress.FOO"),
    ({"IDO": -1.0}, "interventions.overexpress.IDO"),
    ({"IDO": 1e6}, "interventions.overexpress.IDO"),
    ({"iNOS": 1.0}, "interventions.overexpress.iNOS"),  # human MSCs export no NO: the NOS2 level acts on nothing
])
def test_bad_overexpress_is_refused_with_its_key_path(value, path):
    with pytest.raises(ConfigError) as e:
        load_config(None, values={"interventions.overexpress": value})
    assert path in str(e.value)


def test_overexpress_needs_the_variable_it_raises():
    """A config whose MSCs carry no IDO1 level cannot take an IDO transgene (the check itself: building such a
    config needs every IDO1 rule and behaviour removed too)."""
    cfg = load_config(None, values={"interventions.overexpress": {"IDO": 1.0}})
    del cfg.cells["MSC"].variables["IDO1"]
    with pytest.raises(ConfigError, match="interventions.overexpress.IDO"):
        cfg._check_interventions()


def test_inos_transgene_acts_in_mouse_msc():
    """Mouse MSCs make NO through iNOS: there the NOS2 transgene is accepted and raises the NO they release."""
    kw = {**MSC_ALONE, "interventions.prelicense": "IFNG+TNF"}
    plain = MSCModel("mouse", **{**kw, "model.steps": 10**6})
    gm = MSCModel("mouse", **{**kw, "model.steps": 10**6, "interventions.overexpress": {"iNOS": 2.0}})
    for m in (plain, gm):
        for _ in range(30):
            m.step()
        m.record()
    assert gm.readouts["mean_NO_nM"] > 1.5 * plain.readouts["mean_NO_nM"] > 0.0


def test_overexpress_needs_msc_cells():
    cfg = load_config(None, values={"interventions.overexpress": {"IL10": 1.0}, "transwell.insert_types": []})
    del cfg.cells["MSC"]
    with pytest.raises(ConfigError, match="interventions.overexpress.IL10"):
        cfg._check_interventions()


def test_cli_refuses_an_unknown_factor_with_exit_2(tmp_path, capsys):
    code = main(["run", "--steps", "1", "--out", str(tmp_path / "r"), "--set", "interventions.overexpress={FOO=1.0}"])
    assert code == 2
    err = capsys.readouterr().err
    assert "interventions.overexpress.FOO" in err and "IDO" in err and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_ido_msc_suppress_t_cells_when_ifng_is_neutralised(seed):
    """The classic rescue: with IFN-gamma neutralised, native human MSCs make no IDO and T cells proliferate in
    the co-culture; IDO-transduced MSCs degrade tryptophan regardless and arrest them (SCIENCE.md s2, s2b)."""
    well = {"domain.width_um": 350.0, "domain.height_um": 350.0, "cells.MSC.count": 25, "cells.T.count": 175,
            "cells.CD8.count": 75, "cells.B.count": 38, "cells.NK.count": 25, "cells.DC.count": 5,
            "cells.MAC.count": 25, "model.seed": seed, "interventions.neutralise_per_min": {"IFNG": 1.0}}
    plain, gm = (MSCModel("coculture", **well, **extra) for extra in ({}, {"interventions.overexpress": {"IDO": 2.0}}))
    for m in (plain, gm):  # a quarter of the co-culture preset's well (MSC:T 1:7), two days
        for _ in range(2880):
            m.step()
        m.record()
    assert plain.readouts["mean_TRP_uM"] > 24.0 and gm.readouts["mean_TRP_uM"] < 1.0
    assert plain.readouts["T_proliferation_index"] > 0.02
    assert gm.readouts["T_proliferation_index"] < 0.5 * plain.readouts["T_proliferation_index"]
