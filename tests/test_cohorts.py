"""Virtual cohorts: [patients] draws (paired across arms, experiments/patients.py) and the cohort report
(experiments/cohort.py)."""

import copy
import types

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mscabm.experiments as mx
from mscabm.experiments import parse_spec, plan
from mscabm.experiments.cohort import cohort_report
from mscabm.experiments.patients import draw_patient, parse_patients
from mscabm.experiments.statistics import period_mean, wilson
from mscabm.schema import ConfigError

SPEC = {
    "experiment": {"name": "tiny_cohort", "master_seed": 7, "replicates": 3, "steps": 60, "record_every": 10},
    "base": {"set": {"domain.width_um": 200.0, "domain.height_um": 200.0, "cells.MSC.count": 0, "cells.T.count": 30,
                     "cells.CD8.count": 0, "cells.B.count": 0, "cells.NK.count": 0, "cells.DC.count": 5,
                     "cells.MAC.count": 5, "cells.TISSUE.count": 30, "cells.TISSUE.state_fractions.damaged": 0.5,
                     "output.snapshot_every": 0, "disease.enabled": True,
                     "disease.inflammation": {"TNF": 10.0, "IFNG": 10.0}, "influx.MAC.rate_per_min": 0.05}},
    "patients": {"vary": [
        {"name": "treg_fraction", "keys": ["cells.T.state_fractions.Treg"], "dist": "normal", "mean": 0.07,
         "sd": 0.03, "clip": [0.01, 0.2]},
        {"name": "influx_scale", "keys": ["influx.MAC.rate_per_min"], "dist": "lognormal", "median": 1.0,
         "sigma": 0.5, "scale": "multiply"},
        {"name": "n_T", "keys": ["cells.T.count"], "dist": "uniform", "low": 20, "high": 40, "integer": True}]},
    "design": {"kind": "conditions", "conditions": [
        {"id": "control", "set": {"cells.MSC.count": 0}},
        {"id": "drug", "set": {"interventions.immunosuppressant": 0.5,
                               "interventions.immunosuppressant_start_min": 20.0}},
        {"id": "MSC", "set": {"interventions.infusions": [{"at_min": 20.0, "count": 10}]}}]},
    "readouts": {"final": ["disease_activity", "disease_damage_frac"]},
    "report": {"kind": "cohort", "baseline_min": 20.0, "responder_drop_pct": 50.0, "reference": "control"},
}


def test_patients_are_paired_across_arms_and_vary_between_patients():
    p = plan(parse_spec(copy.deepcopy(SPEC)))
    by = {}
    for r in p.runs:
        by.setdefault(r.replicate, []).append(r)
    for _rep, runs in by.items():
        assert len({tuple(sorted(r.patient.items())) for r in runs}) == 1  # same patient in every arm
        assert len({r.seed for r in runs}) == 1  # common seeds: identical run-in
        t = {r.config["cells"]["T"]["count"] for r in runs}
        assert len(t) == 1
    tregs = [by[k][0].patient["treg_fraction"] for k in by]
    assert len(set(tregs)) == 3 and all(0.01 <= x <= 0.2 for x in tregs)
    r0 = by[0][0]
    assert r0.config["influx"]["MAC"]["rate_per_min"] == pytest.approx(0.05 * r0.patient["influx_scale"])
    assert isinstance(r0.config["cells"]["T"]["count"], int)


def test_patient_draws_are_reproducible():
    vs = parse_patients(SPEC["patients"])
    a = draw_patient(vs, 7, 1, {"influx": {"MAC": {"rate_per_min": 0.05}}})
    b = draw_patient(vs, 7, 1, {"influx": {"MAC": {"rate_per_min": 0.05}}})
    c = draw_patient(vs, 7, 2, {"influx": {"MAC": {"rate_per_min": 0.05}}})
    assert a == b and a != c


@pytest.mark.parametrize("bad, path", [
    ({"vary": [{"name": "x", "keys": ["a"], "dist": "gamma"}]}, "patients.vary[0].dist"),
    ({"vary": [{"name": "x", "keys": ["a"], "dist": "normal", "mean": 1.0}]}, "patients.vary[0].sd"),
    ({"vary": [{"name": "x", "keys": ["a"], "dist": "uniform", "low": 2.0, "high": 1.0}]}, "patients.vary[0].high"),
    ({"vary": [{"name": "x", "keys": ["a"], "dist": "normal", "mean": 1.0, "sd": 1.0, "oops": 1}]},
     "patients.vary[0].oops"),
    ({"vary": [{"name": "x", "keys": ["a"], "dist": "normal", "mean": 1.0, "sd": -1.0}]}, "patients.vary[0].sd"),
    ({"vary": [{"name": "x", "keys": ["a"], "dist": "lognormal", "median": 0.0, "sigma": 1.0}]},
     "patients.vary[0].median"),
    ({"vary": [{"name": "x", "keys": ["a"], "dist": "lognormal", "median": 1.0, "sigma": 1e300}]},
     "patients.vary[0].sigma"),
    ({"vary": [{"name": "x", "keys": ["a"], "dist": "normal", "mean": 1.0, "sd": 1.0, "low": 0.0}]},
     "patients.vary[0].low"),
    ({"vary": [{"name": "x", "keys": ["a"], "dist": "normal", "mean": 1.0, "sd": 1.0, "clip": [2.0, 1.0]}]},
     "patients.vary[0].clip"),
    ({"vary": [{"name": "x", "keys": [], "dist": "normal", "mean": 1.0, "sd": 1.0}]}, "patients.vary[0].keys"),
    ({"vary": []}, "patients.vary"),
    ({}, "patients.vary"),
    ({"sets": [{}]}, "patients.sets[0]"),
    ({"sets": {"a.b": 1}}, "patients.sets"),
    ({"sets": [{"a..b": 1}]}, "patients.sets[0].a..b"),
    ({"sets": [{"a.b": {"c": None}}]}, "patients.sets[0].a.b.c"),
])
def test_patient_errors_name_the_key(bad, path):
    with pytest.raises(ConfigError) as e:
        parse_patients(bad)
    assert e.value.path == path


def test_patient_sets_go_to_patient_r_mod_n_on_top_of_the_draws():
    """[[patients.sets]]: patient r takes sets[r mod n] in every arm (column patient_set), after its own draws,
    which stay those of the spec without sets; a bad key in a set fails before running, naming the patient."""
    spec = copy.deepcopy(SPEC)
    spec["experiment"]["replicates"] = 5
    spec["patients"]["sets"] = [{"rules.pge2_arrests_T_activated.half_max": 5.0},
                                {"rules.pge2_arrests_T_activated.half_max": 50.0, "cells.DC.count": 7}]
    before = {(r.condition, r.replicate): r for r in plan(parse_spec({**SPEC, "experiment": spec["experiment"]})).runs}
    for r in plan(parse_spec(spec)).runs:
        k = r.replicate % 2
        assert r.patient == {**before[(r.condition, r.replicate)].patient, "set": float(k)}
        assert r.config["rules"]["pge2_arrests_T_activated"]["half_max"] == (5.0, 50.0)[k]
        assert r.config["cells"]["DC"]["count"] == (5, 7)[k]
    only_sets = copy.deepcopy(SPEC)
    only_sets["patients"] = {"sets": [{"cells.DC.count": 4}, {"cells.DC.count": 6}]}
    assert [r.config["cells"]["DC"]["count"] for r in plan(parse_spec(only_sets)).runs[:3]] == [4, 6, 4]
    only_sets["patients"]["sets"][1] = {"cells.DC.bogus": 1}
    with pytest.raises(ConfigError, match="patient 1"):
        plan(parse_spec(only_sets))
    clash = copy.deepcopy(spec)  # a set may not replace a draw (its patient_ column would report the draw)
    clash["patients"]["sets"][0]["cells.T.state_fractions"] = {"Treg": 0.1}
    with pytest.raises(ConfigError) as e:
        parse_spec(clash)
    assert e.value.path == "patients.sets[0].cells.T.state_fractions.Treg"
    named = copy.deepcopy(spec)
    named["patients"]["vary"][0]["name"] = "set"
    with pytest.raises(ConfigError) as e:
        parse_spec(named)
    assert e.value.path == "patients.vary[0].name"


def test_bad_patient_key_fails_before_running():
    spec = copy.deepcopy(SPEC)
    spec["patients"]["vary"][0]["keys"] = ["cells.T.state_fractions.Bogus"]
    with pytest.raises(ConfigError, match="patient 0"):
        plan(parse_spec(spec))


@pytest.mark.parametrize("key", ["interventions.immunosuppressant", "interventions.immunosuppressant_start_min"])
def test_a_patient_key_that_a_condition_also_sets_is_refused(key):
    """The condition's value would replace the patient's draw in that arm (found writing cohort_gvhd_sr: a
    per-patient steroid sensitivity under arms that set the steroid's level did nothing)."""
    spec = copy.deepcopy(SPEC)
    spec["patients"]["vary"].append({"name": "s", "keys": [key], "dist": "uniform", "low": 0.0, "high": 1.0,
                                     "scale": "multiply"})
    with pytest.raises(ConfigError, match=r"design.conditions\[1\] \(drug\)") as e:
        parse_spec(spec)
    assert e.value.path == "patients.vary[3].keys"
    spec["design"]["conditions"][1]["set"] = {}  # in [base.set] instead: every arm keeps its draw
    spec["base"]["set"][key] = 0.5
    parse_spec(spec)


def test_report_keys_only_for_cohorts():
    spec = copy.deepcopy(SPEC)
    spec["report"] = {"kind": "bars", "baseline_min": 10.0}
    with pytest.raises(ConfigError, match="report.baseline_min"):
        parse_spec(spec)


def _wilson_closed_form(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson (1927): (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n); z = the 97.5% normal quantile."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_wilson():
    lo, hi = wilson(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert all(np.isnan(wilson(0, 0)))
    for n in range(1, 41):  # the interval holds k/n exactly (at k = n a rounding error once made a negative error bar)
        for k in range(n + 1):
            lo, hi = wilson(k, n)
            assert 0.0 <= lo <= k / n <= hi <= 1.0
            ref_lo, ref_hi = _wilson_closed_form(k, n)
            assert lo == pytest.approx(max(ref_lo, 0.0), abs=1e-12) and hi == pytest.approx(min(ref_hi, 1.0), abs=1e-12)


def test_cohort_runs_and_reports(tmp_path):
    df = mx.run(copy.deepcopy(SPEC), out=tmp_path / "c", in_process=True, progress=False)
    assert (df["status"] == "done").all()
    assert {"patient_treg_fraction", "patient_influx_scale"} <= set(df.columns)
    out = tmp_path / "c"
    for f in ("cohort.csv", "cohort_runs.csv", "timecourse.csv", "figure.png", "figure.svg", "report.md"):
        assert (out / f).is_file(), f
    summary = pd.read_csv(out / "cohort.csv")
    assert list(summary["arm"]) == ["control", "drug", "MSC"]
    assert (summary["n"] == 3).all()
    assert summary["responder_frac"].between(0, 1).all()
    runs = pd.read_csv(out / "cohort_runs.csv")
    # paired arms: identical run-in, so the same baseline activity for a patient in every arm
    assert runs.groupby("patient")["baseline"].nunique().max() == 1
    assert "## Cohort" in (out / "report.md").read_text()
    tc = pd.read_csv(out / "timecourse.csv")
    assert (tc["ci95_low"] <= tc["mean"] + 1e-9).all()


def test_paired_responder_against_the_untreated_twin(tmp_path):
    spec = copy.deepcopy(SPEC)
    spec["report"]["responder_vs_reference_pct"] = 0.0  # any arm at or below its twin's end counts
    mx.run(spec, out=tmp_path / "c", in_process=True, progress=False)
    runs = pd.read_csv(tmp_path / "c" / "cohort_runs.csv")
    twin = runs[runs["arm"] == "control"].set_index("patient")["end"]
    treated = runs[runs["arm"] != "control"]
    assert (treated["responder_vs_ref"] == (treated["end"] <= treated["patient"].map(twin))).all()
    assert not runs[runs["arm"] == "control"]["responder_vs_ref"].any()
    summary = pd.read_csv(tmp_path / "c" / "cohort.csv")
    assert summary["vs_ref_frac"].between(0, 1).all()
    assert "Paired responder" in (tmp_path / "c" / "report.md").read_text()


def test_absolute_responder_criterion(tmp_path):
    """responder_below: a responder ends at or below the value, whatever its baseline (incidence = 1 - fraction)."""
    spec = copy.deepcopy(SPEC)
    del spec["report"]["responder_drop_pct"]
    spec["report"].update({"responder_below": 30.0, "responder_label": "disease-free"})
    mx.run(spec, out=tmp_path / "c", in_process=True, progress=False)
    runs = pd.read_csv(tmp_path / "c" / "cohort_runs.csv")
    assert (runs["responder"] == (runs["end"] <= 30.0)).all()
    summary = pd.read_csv(tmp_path / "c" / "cohort.csv").set_index("arm")
    for arm, g in runs.groupby("arm"):
        assert summary.loc[arm, "responders"] == (g["end"] <= 30.0).sum()
    assert "Responder (disease-free): at the end" in (tmp_path / "c" / "report.md").read_text()


def test_absolute_and_drop_criteria_exclude_each_other():
    spec = copy.deepcopy(SPEC)
    spec["report"]["responder_below"] = 30.0
    with pytest.raises(ConfigError, match="report.responder_below"):
        parse_spec(spec)


def test_period_mean_is_the_time_average():
    """Trapezoid time average: exact for piecewise-linear series, with uneven spacing."""
    assert period_mean(np.array([0.0, 10.0]), np.array([40.0, 20.0])) == pytest.approx(30.0)
    # 0 -> 10 over the first minute (mean 5), then 10 for two minutes: (5 + 20) / 3
    assert period_mean(np.array([0.0, 1.0, 3.0]), np.array([0.0, 10.0, 10.0])) == pytest.approx(25.0 / 3.0)
    assert np.isnan(period_mean(np.array([5.0]), np.array([1.0])))


@settings(max_examples=50, deadline=None)
@given(a=st.floats(-100, 100), b=st.floats(-100, 100),
       times=st.lists(st.floats(0, 1e4), min_size=2, max_size=30, unique=True))
def test_period_mean_of_a_line_is_its_midpoint(a, b, times):
    t = np.sort(np.array(times))
    if t[-1] - t[0] < 1e-3:
        return
    line = a + b * (t - t[0]) / (t[-1] - t[0])
    assert period_mean(t, line) == pytest.approx(a + b / 2.0, abs=1e-6 * (1 + abs(a) + abs(b)))


def _table_rows(lines: list[str]) -> list[list[str]]:
    """The cells of every Markdown table row in report lines (header and separator rows included)."""
    return [[c.strip() for c in row.strip().strip("|").split("|")]
            for text in lines for row in text.splitlines() if row.lstrip().startswith("|")]


def _fake_cohort(tmp_path, series: dict[str, list[list[float]]], times: list[float], baseline_min: float):
    """A cohort output folder with hand-made activity series (arm -> one list of values per patient)."""
    out = tmp_path / "fake"
    (out / "parts").mkdir(parents=True)
    rows = []
    for arm, patients in series.items():
        for rep, vals in enumerate(patients):
            run_id = f"{arm}-r{rep:03d}"
            pd.DataFrame({"time_min": times, "disease_activity": vals}).to_parquet(out / "parts" / f"{run_id}.parquet")
            rows.append({"run_id": run_id, "condition": arm, "replicate": rep, "status": "done"})
    spec = types.SimpleNamespace(name="fake", report={"kind": "cohort", "baseline_min": baseline_min,
                                                      "reference": "control", "responder_drop_pct": 50.0})
    return out, spec, pd.DataFrame(rows)


def test_period_mean_shows_an_effect_that_fades_before_the_end(tmp_path):
    """An arm that dips and comes back ends level with its twin but is below it over the period. Treatment starts
    at t = 100 (min): the run-in point before it (90, wildly off) must not count."""
    times = [0.0, 100.0, 200.0, 300.0, 400.0, 500.0]
    out, spec, df = _fake_cohort(tmp_path, {
        "control": [[90, 50, 50, 50, 50, 50], [90, 40, 40, 40, 40, 40]],
        "transient": [[90, 50, 20, 20, 40, 50], [90, 40, 10, 10, 30, 40]],
        "late": [[90, 50, 50, 50, 45, 20], [90, 40, 40, 40, 40, 30]]}, times, baseline_min=100.0)
    _, lines = cohort_report(out, spec, df)
    summary = pd.read_csv(out / "cohort.csv").set_index("arm")
    # transient: trapezoid means (35 + 20 + 30 + 45) / 4 = 32.5 and 22.5, end = the twin's
    assert summary.loc["transient", "mean_period_mean"] == pytest.approx(27.5)
    assert summary.loc["transient", "mean_period_mean_minus_control"] == pytest.approx(-17.5)
    assert summary.loc["transient", "period_mean_below_control"] == 2
    assert summary.loc["transient", "mean_end_minus_control"] == pytest.approx(0.0)
    assert summary.loc["transient", "end_below_control"] == 0
    # late: lower at the end in both pairs; period means (50 + 50 + 47.5 + 32.5) / 4 = 45 and 38.75
    assert summary.loc["late", "end_below_control"] == 2
    assert summary.loc["late", "mean_period_mean"] == pytest.approx((45.0 + 38.75) / 2)
    assert summary.loc["late", "period_mean_below_control"] == 2 and summary.loc["late", "pairs_control"] == 2
    assert summary.loc["control", "mean_period_mean"] == pytest.approx(45.0)
    runs = pd.read_csv(out / "cohort_runs.csv")
    assert runs.loc[runs["run_id"] == "transient-r000", "period_mean"].item() == pytest.approx(32.5)
    assert ["transient", "45.0", "+0.0", "0/2", "27.5", "-17.5", "2/2"] in _table_rows(lines)


def test_period_pairs_count_only_patients_with_a_twin(tmp_path):
    """A reference arm missing a patient: pairs are counted over the patients that have a twin."""
    times = [0.0, 100.0, 200.0]
    out, spec, df = _fake_cohort(tmp_path, {"control": [[50, 50, 50]], "drug-low": [[50, 30, 30], [50, 30, 30]]},
                                 times, baseline_min=0.0)
    _, lines = cohort_report(out, spec, df)
    summary = pd.read_csv(out / "cohort.csv").set_index("arm")
    assert summary.loc["drug-low", "pairs_control"] == 1 and summary.loc["drug-low", "period_mean_below_control"] == 1
    assert ["drug-low", "30.0", "-20.0", "1/1", "35.0", "-15.0", "1/1"] in _table_rows(lines)
    rows = _table_rows(lines)
    assert ["drug-low", "2", "0", "0.00 [0.00, 0.66]", "40.0", "50.0", "30.0", "-20.0"] in rows  # Wilson 0/2, paired


def test_compare_cohorts_script_pairs_patients(tmp_path):
    """scripts/compare_cohorts.py: identical cohorts differ by exactly 0; a shift of every patient by +10 points
    shows as a paired difference of +10 with a zero-width interval, outside a tight arm's CI."""
    import subprocess
    import sys
    from pathlib import Path

    import pandas as pd

    rows = [{"run_id": f"{arm}-r{p}", "arm": arm, "patient": p, "baseline": 50.0, "end": 40.0 - p,
             "drop_pct": 20.0 + 2 * p, "responder": p > 2, "period_mean": 45.0, "responder_vs_ref": False}
            for arm in ("control", "MSC") for p in range(5)]
    for name, shift in (("old", 0.0), ("same", 0.0), ("shifted", 10.0)):
        (tmp_path / name).mkdir()
        df = pd.DataFrame(rows)
        df.loc[df.arm == "MSC", "drop_pct"] += shift
        df.to_csv(tmp_path / name / "cohort_runs.csv", index=False)
    script = Path(__file__).resolve().parents[1] / "scripts" / "compare_cohorts.py"
    out = {}
    for name in ("same", "shifted"):
        r = subprocess.run([sys.executable, str(script), str(tmp_path / "old"), str(tmp_path / name)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out[name] = {line.split("|")[1].strip(): line for line in r.stdout.splitlines() if line.startswith("| ")}
    assert "+0.0 [+0.0, +0.0]" in out["same"]["MSC"] and "+0.0 [+0.0, +0.0]" in out["same"]["control"]
    assert "+10.0 [+10.0, +10.0]" in out["shifted"]["MSC"] and out["shifted"]["MSC"].rstrip(" |").endswith("no")
    assert out["shifted"]["MSC"].count("2/5") == 2  # responders as read from each folder


def test_steroid_refractory_gvhd_spec_scales_the_steroid_per_patient_and_adds_msc_as_second_line():
    """cohort_gvhd_sr (SCIENCE.md s2b, Le Blanc 2008): every patient gets the steroid, scaled by their own drawn
    sensitivity in [0, 1] in both arms; only the second-line arm gets MSCs, after the steroid's first days, so
    both arms of a patient share the run (same seed, same config) up to the second line."""
    from mscabm.experiments import load_spec

    spec = load_spec("cohort_gvhd_sr")
    p = plan(spec)
    second = float(spec.report["baseline_min"])
    by: dict[int, dict[str, object]] = {}
    for r in p.runs:
        by.setdefault(r.replicate, {})[r.condition] = r
    sens = []
    for arms in by.values():
        st, ms = arms["steroid"], arms["steroid_MSC"]
        s = st.patient["steroid_sensitivity"]
        sens.append(s)
        assert st.seed == ms.seed and st.patient == ms.patient
        for r in (st, ms):
            iv = r.config["interventions"]
            assert iv["immunosuppressant"] == pytest.approx(0.5 * s)
            assert iv["immunosuppressant_start_min"] < second
        assert st.config["interventions"]["infusions"] == []
        times = [x["at_min"] for x in ms.config["interventions"]["infusions"]]
        assert times == [second, second + 7 * 1440.0]
        # nothing else differs between the arms: the run-in up to the second line is the same run
        a, b = copy.deepcopy(st.config), copy.deepcopy(ms.config)
        a["interventions"]["infusions"] = b["interventions"]["infusions"] = []
        a["model"]["name"] = b["model"]["name"] = ""  # the run's name
        assert a == b
    assert len(sens) == 30 and 0.0 <= min(sens) < 0.2 and 0.8 < max(sens) <= 1.0
