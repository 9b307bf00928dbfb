"""Calibration targets: the check picks the right runs, computes mean and interval, flags ranges."""

import math

import pandas as pd

from mscabm.calibration import TARGETS, Target, check_targets, to_markdown
from mscabm.experiments import load_spec


def test_every_target_reads_a_spec_and_a_readout_it_produces():
    specs = {name: load_spec(name) for name in {t.spec for t in TARGETS}}
    for t in TARGETS:
        spec = specs[t.spec]
        produced = set(spec.final) | {d.name for d in spec.derived}
        assert t.readout in produced, (t.name, t.readout)
        assert t.low < t.high and t.source


def test_check_selects_condition_rows_and_computes_the_interval():
    target = Target("x", "s", "supp", {"stimulus": "MLR", "dose": "1:10"}, 60.0, 90.0, "obs", "src")
    rows = [{"role": "condition", "stimulus": "MLR", "dose": "1:10", "supp": v} for v in (70.0, 80.0, 75.0)]
    rows += [{"role": "condition", "stimulus": "mitogen", "dose": "1:10", "supp": 5.0},   # other stimulus
             {"role": "control", "stimulus": "MLR", "dose": "1:10", "supp": 0.0},          # the matched control
             {"role": "condition", "stimulus": "MLR", "dose": "1:10", "supp": math.nan}]   # a failed run
    table = check_targets({"s": pd.DataFrame(rows)}, (target,))
    r = table.iloc[0]
    assert r["n"] == 3 and r["model_mean"] == 75.0 and r["in_range"]
    half = 4.303 * 5.0 / math.sqrt(3)  # Student t, 2 degrees of freedom (t table: 4.303); sd of 70, 80, 75 = 5
    assert math.isclose(r["ci95_low"], 75.0 - half, rel_tol=1e-4) and math.isclose(r["ci95_high"], 75.0 + half,
                                                                                  rel_tol=1e-4)
    out = check_targets({"s": pd.DataFrame(rows).assign(supp=lambda d: d["supp"] + 20)}, (target,))
    assert not out.iloc[0]["in_range"]
    missing = check_targets({}, (target,))
    assert missing.iloc[0]["n"] == 0 and not missing.iloc[0]["in_range"]
    assert "no runs" in to_markdown(missing)
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in to_markdown(table).splitlines()]
    assert rows[2][0] == "x" and rows[2][1].startswith("75 [") and rows[2][1].endswith("n=3") and rows[2][3] == "yes"
