"""The open vocabulary: cell types, fields and per-cell variables declared as data (mscabm/vocabulary.py)."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.config import ConfigError, load_config
from mscabm.model import MSCModel

DATA = Path(__file__).parent / "data"
OPEN = DATA / "open_vocabulary.toml"

#: a small well: only the cells a test names are placed
EMPTY = {f"cells.{t}.count": 0 for t in ("MSC", "T", "CD8", "B", "NK", "DC", "MAC", "TISSUE")}
SMALL = {**EMPTY, "domain.width_um": 200.0, "domain.height_um": 200.0, "output.record_every": 10}


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "mscabm", *args], capture_output=True, text=True, timeout=timeout)


def test_open_vocabulary_file_runs_and_its_names_reach_the_outputs(tmp_path):
    """The issue's exact file: a new cell type (BASO) with two states and a new field (IL5)."""
    assert _cli("validate", str(OPEN)).returncode == 0
    out = tmp_path / "ov"
    r = _cli("run", str(OPEN), "--steps", "200", "--quiet", "--out", str(out))
    assert r.returncode == 0, r.stderr
    ts = pd.read_parquet(out / "timeseries.parquet")
    for col in ("n_BASO", "n_BASO_resting", "n_BASO_activated", "mean_IL5_pM", "births_BASO_total",
                "frac_BASO_activated"):
        assert col in ts.columns, col
    assert ts["n_BASO"].iloc[0] == 50 and ts["n_BASO_activated"].iloc[0] == 0
    assert ts["mean_IL5_pM"].iloc[-1] > 0.0  # resting BASO export it
    assert ts["n_BASO_activated"].iloc[-1] > 0  # and IL5 activates them through the declared rule
    cells = pd.read_parquet(sorted((out / "cells").glob("*.parquet"))[-1])
    assert "BASO" in set(cells["type"].astype(str)) and {"resting", "activated"} >= set(
        cells.loc[cells["type"] == "BASO", "state"])
    with np.load(sorted((out / "fields").glob("*.npz"))[-1]) as z:
        assert "IL5" in z.files


def test_declared_type_and_field_appear_in_the_description_and_the_legend():
    from mscabm.dashboard import render as R
    from mscabm.modeldoc import render

    cfg = load_config(OPEN)
    text = render(cfg)
    assert "| BASO | declared in the config | resting, activated |" in text
    assert "| IL5 | declared in the config | pM |" in text
    assert "il5_activates_baso" in text
    t = MSCModel(cfg).tables
    legend = R.legend(t.type_names, t.state_names)
    assert {("BASO", "resting"), ("BASO", "activated")} <= {(a, b) for a, b, _ in legend}
    r = _cli("describe", str(OPEN))
    assert r.returncode == 0 and "BASO" in r.stdout and "IL5" in r.stdout


def test_builtin_biology_is_the_default_declaration():
    cfg = load_config()
    assert cfg.cells["MSC"].states == ["naive", "primed", "licensed"]
    assert MSCModel(**SMALL).tables.type_names == list(cfg.cells)


@pytest.mark.parametrize("values, path, fragment", [
    ({"cells.BASO.count": 5}, "cells.BASO.states", "needs its states"),
    ({"cells.BASO.states": []}, "cells.BASO.states", "needs its states"),
    ({"cells.BASO.states": ["a", "a"]}, "cells.BASO.states", "twice"),
    ({"cells.BASO.states": ["resting_1"]}, "cells.BASO.states[0]", "cannot name a state"),
    ({"cells.apoptotic.states": ["x"]}, "cells.apoptotic", "signal word"),
    ({"cells.NE_UT.states": ["x"]}, "cells.NE_UT", "cannot name a cell type"),
    ({"fields.IL5.unit": "mg"}, "fields.IL5.unit", "one of pM, nM, uM"),
    ({"fields.IL_4.unit": "pM"}, "fields.IL_4", "cannot name a field"),
    ({"rules.r.cell_type": "BASO", "rules.r.signal": "field:IL2", "rules.r.direction": "increases",
      "rules.r.behaviour": "cycle_rate_per_min", "rules.r.saturation": 1.0, "rules.r.half_max": 1.0},
     "rules.r.cell_type", "unknown cell type"),
    ({"rules.r.cell_type": "T", "rules.r.signal": "field:IL5", "rules.r.direction": "increases",
      "rules.r.behaviour": "cycle_rate_per_min", "rules.r.saturation": 1.0, "rules.r.half_max": 1.0},
     "rules.r.signal", "unknown signal"),
    ({"rules.r.cell_type": "T", "rules.r.signal": "field:IL2", "rules.r.direction": "increases",
      "rules.r.behaviour": "to_flying_per_min", "rules.r.saturation": 1.0, "rules.r.half_max": 1.0},
     "rules.r.behaviour", "unknown behaviour"),
    ({"rules.r.cell_type": "T", "rules.r.signal": "field:IL2", "rules.r.direction": "increases", "rules.r.state": "x",
      "rules.r.behaviour": "cycle_rate_per_min", "rules.r.saturation": 1.0, "rules.r.half_max": 1.0},
     "rules.r.state", "not a state of T"),
    ({"cells.MSC.variables.IDO.initial": 0.0, "rules.r.cell_type": "T", "rules.r.signal": "var:IDO",
      "rules.r.direction": "increases", "rules.r.behaviour": "cycle_rate_per_min", "rules.r.saturation": 1.0,
      "rules.r.half_max": 1.0}, "rules.r.signal", "T declares no variable"),
    ({"rules.r.cell_type": "MSC", "rules.r.signal": "var:IDO", "rules.r.direction": "increases",
      "rules.r.behaviour": "cycle_rate_per_min", "rules.r.saturation": 1.0, "rules.r.half_max": 1.0},
     "rules.r.signal", "unknown signal"),
    ({"cells.MSC.variables.IDO.scales": ["uptake_XYZ_per_min"]}, "cells.MSC.variables.IDO.scales[0]",
     "unknown behaviour"),
    ({"cells.MSC.variables.TRP.initial": 1.0}, "cells.MSC.variables.TRP", "already a field"),
    ({"cells.MSC.variables.x_um.initial": 1.0}, "cells.MSC.variables.x_um", "already a cell column"),
    ({"cells.MSC.variables.IDO.decay_per_min": -1.0}, "cells.MSC.variables.IDO.decay_per_min", ">= 0.0"),
    ({"behaviours.BASO.resting.speed_um_per_min": 1.0}, "behaviours.BASO", "unknown cell type"),
    ({"influx.BASO.rate_per_min": 1.0}, "influx.BASO", "no [cells.BASO] section"),
    ({"interventions.deplete": ["BASO"]}, "interventions.deplete[0]", "one of MSC"),
    ({"interventions.supplement.IL5": 1.0}, "interventions.supplement.IL5", "unknown name"),
])
def test_bad_declarations_are_refused_with_the_key_path(values, path, fragment):
    with pytest.raises(ConfigError) as info:
        load_config(values=values)
    assert info.value.path == path and fragment in info.value.message, str(info.value)


def test_bad_declaration_exits_2_from_the_cli(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[cells.BASO]\ncount = 5\n', encoding="utf-8")
    r = _cli("validate", str(bad))
    assert r.returncode == 2 and "cells.BASO.states" in r.stderr and "Traceback" not in r.stderr


_names = st.text(alphabet="abcXYZ09_-. ", min_size=0, max_size=12)


@settings(max_examples=60, deadline=None)
@given(type_name=_names, states=st.lists(_names, max_size=4), field_name=_names, var=_names)
def test_fuzzed_declarations_load_or_fail_with_a_config_error(type_name, states, field_name, var):
    values = {f"cells.{type_name}.states": states, f"fields.{field_name}.unit": "pM",
              f"cells.MSC.variables.{var}.initial": 1.0}
    try:
        cfg = load_config(values=values)
    except ConfigError as exc:
        assert exc.path  # a key path, never a bare message
        return
    assert type_name in cfg.cells and field_name in cfg.fields and var in cfg.cells["MSC"].variables


# ---------------------------------------------------------------------------- per-cell variables
#: MSCs in a well of constant IFN-gamma (no decay, no cell takes it up): an IDO expression level rises
#: with IFN-gamma (production p = p_max H(IFNG)) and relaxes with first-order decay k
P_MAX, K_IFNG, IFNG, DECAY = 0.02, 50.0, 100.0, 0.01
LEVEL = {**SMALL, "cells.MSC.count": 20, "fields.IFNG.initial": IFNG, "fields.IFNG.decay_per_min": 0.0,
         "cells.MSC.variables.IDO_level.initial": 0.0, "cells.MSC.variables.IDO_level.decay_per_min": DECAY,
         "rules.ifng_raises_ido_level.cell_type": "MSC", "rules.ifng_raises_ido_level.signal": "field:IFNG",
         "rules.ifng_raises_ido_level.direction": "increases",
         "rules.ifng_raises_ido_level.behaviour": "produce_IDO_level_per_min",
         "rules.ifng_raises_ido_level.saturation": P_MAX, "rules.ifng_raises_ido_level.half_max": K_IFNG}


def test_per_cell_variable_follows_the_analytic_relaxation_of_its_ode():
    """dv/dt = p - k v with constant p: v(t) = p/k (1 - e^{-kt}) from v(0) = 0, at every recorded step."""
    m = MSCModel(**LEVEL, rng=3)
    for _ in range(300):
        m.step()
    p = P_MAX * (IFNG / K_IFNG) / (1.0 + IFNG / K_IFNG)
    ts = m.log.to_frame()
    expected = p / DECAY * (1.0 - np.exp(-DECAY * ts["time_min"].to_numpy()))
    np.testing.assert_allclose(ts["mean_MSC_IDO_level"].to_numpy(), expected, rtol=1e-6, atol=1e-12)
    msc = m.cells.select(type="MSC", alive=True)
    assert np.allclose(msc.column("IDO_level"), expected[-1], rtol=1e-6)  # every cell, not only the mean
    assert "IDO_level" in msc.to_frame().columns
    cell = m.cells.cell(int(msc.column("id")[0]))
    assert cell.variables["IDO_level"] == pytest.approx(expected[-1], rel=1e-6)
    # other types carry no value and no readout
    assert "mean_T_IDO_level" not in m.readouts


def test_per_cell_variable_is_a_rule_signal():
    """A rule reading var:IDO_level sets a behaviour to saturation x h(v) of the value sensed this step."""
    values = {**LEVEL, "rules.level_drives_il10.cell_type": "MSC", "rules.level_drives_il10.signal": "var:IDO_level",
              "rules.level_drives_il10.direction": "increases",
              "rules.level_drives_il10.behaviour": "export_IL10_molecules_per_min",
              "rules.level_drives_il10.saturation": 1000.0, "rules.level_drives_il10.half_max": 0.5,
              "behaviours.MSC.naive.export_IL10_molecules_per_min": 0.0,
              "behaviours.MSC.primed.export_IL10_molecules_per_min": 0.0,
              "behaviours.MSC.licensed.export_IL10_molecules_per_min": 0.0}
    rules = load_config(values=values).rules
    for name, rule in rules.items():  # only the rule under test sets IL-10 export
        if name != "level_drives_il10" and rule.behaviour == "export_IL10_molecules_per_min":
            values[f"rules.{name}.enabled"] = False
    m = MSCModel(**values, rng=3)
    t = m.tables
    col = t.column_of("export_IL10_molecules_per_min")
    for _ in range(50):
        m.step()
    msc = m.cells.select(type="MSC", alive=True).rows
    v_sensed = m._signals[msc, t.signal_of("var:IDO_level")].astype(float)
    p = P_MAX * (IFNG / K_IFNG) / (1.0 + IFNG / K_IFNG)
    assert v_sensed == pytest.approx(p / DECAY * (1 - math.exp(-DECAY * 49)), rel=1e-5)  # the value before step 50
    scale = m._behaviours[msc, col] / (1000.0 * v_sensed / 0.5 / (1 + v_sensed / 0.5))
    np.testing.assert_allclose(scale, scale[0], rtol=1e-5)  # saturation x h(v), times the export unit scale
    assert m.readouts["mean_IL10_pM"] > 0


def test_per_cell_variable_scales_a_behaviour_exactly():
    """A level fixed at 0.5 that multiplies MSC HGF export gives the very fields of a well whose
    MSC HGF export is halved in the tables (x0.5 is exact in binary floating point)."""
    well = {**SMALL, "cells.MSC.count": 20, "cells.T.count": 30, "interventions.prelicense": "IFNG+TNF"}
    scaled = MSCModel(**well, **{"cells.MSC.variables.HGF_level.initial": 0.5,
                                 "cells.MSC.variables.HGF_level.scales": ["export_HGF_molecules_per_min"]}, rng=5)
    halved = MSCModel(**well, **{"behaviours.MSC.naive.export_HGF_molecules_per_min": 50.0,
                                 "behaviours.MSC.primed.export_HGF_molecules_per_min": 50.0,
                                 "behaviours.MSC.licensed.export_HGF_molecules_per_min": 100.0}, rng=5)
    plain = MSCModel(**well, rng=5)
    for _ in range(120):
        for m in (scaled, halved, plain):
            m.step()
    hgf = scaled.tables.field_names.index("HGF")
    assert np.array_equal(scaled.lattice.data, halved.lattice.data)
    assert scaled.lattice.data[hgf].mean() < plain.lattice.data[hgf].mean()  # less HGF released


def test_run_with_variables_resumes_bit_identically(tmp_path):
    from mscabm.run import run_simulation

    cfg = load_config(values={**LEVEL, "model.steps": 40, "output.snapshot_every": 20})
    whole, part = tmp_path / "whole", tmp_path / "part"
    run_simulation(cfg, whole, progress=False)
    cut = load_config(values={**LEVEL, "model.steps": 40, "output.snapshot_every": 20})
    run_simulation(cut, part, progress=False, checkpoint_every=20)
    run_simulation(cut, part, progress=False, resume=True)  # resumes from step 20
    a, b = pd.read_parquet(whole / "timeseries.parquet"), pd.read_parquet(part / "timeseries.parquet")
    assert a.equals(b) and "mean_MSC_IDO_level" in a.columns


@pytest.mark.parametrize("override, path, fragment", [
    ("behaviours.BASO.resting.to_CTL_per_min=0.1", "behaviours.BASO.resting.to_CTL_per_min", "BASO has no state 'CTL'"),
    ("rules.il5_activates_baso.behaviour=to_M2_per_min", "rules.il5_activates_baso.behaviour",
     "BASO has no state 'M2'"),
    ("rules.il5_activates_baso.behaviour=produce_IDO1_per_min", "rules.il5_activates_baso.behaviour",
     "BASO declares no variable 'IDO1'"),
    ("behaviours.T.naive.produce_IDO1_per_min=0.1", "behaviours.T.naive.produce_IDO1_per_min",
     "T declares no variable 'IDO1'"),
])
def test_behaviours_of_another_type_are_refused(override, path, fragment):
    """A switch to a state the type lacks, or the production of another type's variable, names a behaviour that
    exists for some type but would silently do nothing for this one: refused with the key path."""
    vocab = Path(__file__).resolve().parent / "data" / "open_vocabulary.toml"
    with pytest.raises(ConfigError) as err:
        load_config(vocab, overrides=[override])
    assert err.value.path == path and fragment in err.value.message


def test_name_in_reads_the_name_a_behaviour_pattern_holds():
    from mscabm.vocabulary import STATE_SWITCH_BEHAVIOUR, VARIABLE_BEHAVIOUR, name_in

    assert name_in(STATE_SWITCH_BEHAVIOUR, "to_Th1_per_min") == "Th1"
    assert name_in(VARIABLE_BEHAVIOUR, "produce_IDO1_per_min") == "IDO1"
    for other in ("to__per_min", "speed_um_per_min", "produce_IDO1", "to_Th1"):
        assert name_in(STATE_SWITCH_BEHAVIOUR, other) is None and name_in(VARIABLE_BEHAVIOUR, other) is None
