"""The results browser's data layer (mscabm/dashboard/results.py) on a tiny real cohort experiment:
tables and statistics checked against the folder's files and a brute-force numpy computation."""

import copy
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_cohorts import SPEC as COHORT_SPEC

import mscabm.experiments as mx
from mscabm.dashboard.results import ResultsFolder, cohort_png, is_results_folder, timecourse_png
from mscabm.experiments import manifest
from mscabm.schema import ConfigError

PNG = b"\x89PNG\r\n\x1a\n"

#: 2 arms x 3 patients x 30 steps: a few seconds in-process (test_cohorts.py's tiny cohort, shorter,
#: without its MSC arm and T-count variation, with the n_T readout and a reference-arm response)
SPEC = copy.deepcopy(COHORT_SPEC)
SPEC["experiment"].update(name="tiny_results", steps=30)
SPEC["readouts"] = {"final": ["disease_activity", "n_T"]}
SPEC["report"].update(baseline_min=10.0, responder_vs_reference_pct=0.0)
SPEC["patients"]["vary"] = [v for v in SPEC["patients"]["vary"] if v["name"] != "n_T"]
SPEC["design"]["conditions"] = [c for c in SPEC["design"]["conditions"] if c["id"] != "MSC"]
SPEC["design"]["conditions"][1]["set"]["interventions.immunosuppressant_start_min"] = 10.0


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("results") / "exp"
    df = mx.run(json.loads(json.dumps(SPEC)), out=out, in_process=True, progress=False)
    assert (df["status"] == "done").all()
    return out


@pytest.fixture
def copy(folder, tmp_path):
    """A copy of the experiment folder that a test may damage."""
    dst = tmp_path / "exp"
    shutil.copytree(folder, dst)
    return dst


def plan_json(out) -> dict:
    return json.loads((out / "plan.json").read_text())


def brute_timecourse(out, readout: str, skip=()) -> dict:
    """(condition, time_min) -> values of the runs with a part (but ``skip``), from the part files directly."""
    values: dict = {}
    for r in plan_json(out)["runs"]:
        p = out / "parts" / f"{r['run_id']}.parquet"
        if not p.is_file() or r["run_id"] in skip:
            continue
        s = pd.read_parquet(p)
        for t, v in zip(s["time_min"].to_numpy(), s[readout].to_numpy(dtype=float)):
            values.setdefault((r["condition"], float(t)), []).append(v)
    return values


def check_timecourse(tc: pd.DataFrame, truth: dict) -> None:
    assert len(tc) == len(truth)
    for row in tc.itertuples():
        v = np.asarray(truth[(row.condition, row.time_min)], dtype=float)
        n = len(v)
        assert row.n == n
        assert row.mean == pytest.approx(v.mean(), rel=1e-12, abs=1e-12)
        assert row.p10 == pytest.approx(np.percentile(v, 10), rel=1e-12, abs=1e-12)
        assert row.p90 == pytest.approx(np.percentile(v, 90), rel=1e-12, abs=1e-12)
        if n < 2:
            assert np.isnan(row.sd) and np.isnan(row.ci95_low) and np.isnan(row.ci95_high)
            continue
        sd = np.sqrt(((v - v.mean()) ** 2).sum() / (n - 1))
        half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
        assert row.sd == pytest.approx(sd, rel=1e-9, abs=1e-12)
        assert row.ci95_low == pytest.approx(v.mean() - half, rel=1e-9, abs=1e-9)
        assert row.ci95_high == pytest.approx(v.mean() + half, rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------------- opening
def test_opens_an_experiment_folder(folder):
    rf = ResultsFolder.open(folder)
    assert is_results_folder(folder)
    assert rf.path == folder and rf.name == "tiny_results"
    assert rf.is_cohort and rf.cohort_reference == "control"
    assert rf.conditions() == [c["id"] for c in plan_json(folder)["conditions"]] == ["control", "drug"]
    part = pd.read_parquet(next((folder / "parts").glob("*.parquet")))
    numeric = [c for c in part.columns if c not in ("run_id", "time_min", "step")
               and pd.api.types.is_numeric_dtype(part[c]) and not pd.api.types.is_bool_dtype(part[c])]
    assert rf.readouts() == numeric and {"disease_activity", "n_T"} <= set(numeric)


@pytest.mark.parametrize("make, says", [
    (lambda tmp: tmp / "nowhere", "no such folder"),
    (lambda tmp: (tmp / "file.txt").write_text("x") and tmp / "file.txt", "not a folder"),
    (lambda tmp: tmp, "spec.toml and plan.json missing"),
    (lambda tmp: (tmp / "spec.toml").write_text("[experiment]\n") and tmp, "plan.json missing"),
])
def test_bad_paths_raise_config_error_naming_the_path(tmp_path, make, says):
    path = make(tmp_path)
    assert not is_results_folder(path)
    with pytest.raises(ConfigError) as e:
        ResultsFolder.open(path)
    assert e.value.path == str(path)
    assert says in e.value.message and "mscabm experiment SPEC --out DIR" in e.value.message


def test_unreadable_plan_is_a_config_error(copy):
    (copy / "plan.json").write_text("{not json")
    with pytest.raises(ConfigError) as e:
        ResultsFolder(copy)
    assert e.value.path == str(copy / "plan.json")


# ---------------------------------------------------------------------- runs
def test_runs_list_every_planned_run_with_its_manifest_row(folder):
    runs = ResultsFolder(folder).runs()
    planned = plan_json(folder)["runs"]
    assert runs["run_id"].tolist() == [r["run_id"] for r in planned]
    assert runs["condition"].tolist() == [r["condition"] for r in planned]
    assert runs["replicate"].tolist() == [r["replicate"] for r in planned]
    assert runs["seed"].tolist() == [r["seed"] for r in planned]
    assert (runs["status"] == "done").all() and runs["has_part"].all()
    assert not runs["has_snapshots"].any() and runs["run_folder"].isna().all()
    for r in runs.itertuples():
        row = json.loads((folder / "runs" / f"{r.run_id}.json").read_text())
        assert r.wall_s == row["wall_s"]
        assert r.patient_treg_fraction == row["patient"]["treg_fraction"]


def test_missing_failed_and_stale_runs(copy):
    ids = [r["run_id"] for r in plan_json(copy)["runs"]]
    (copy / "parts" / f"{ids[0]}.parquet").unlink()  # done row, part gone
    (copy / "runs" / f"{ids[1]}.json").unlink()  # never recorded
    (copy / "parts" / f"{ids[1]}.parquet").unlink()
    row = json.loads((copy / "runs" / f"{ids[3]}.json").read_text())
    manifest.write_row(copy, dict(row, status="failed", error="ValueError: boom"))
    (copy / "parts" / f"{ids[3]}.parquet").unlink()
    row = json.loads((copy / "runs" / f"{ids[4]}.json").read_text())
    manifest.write_row(copy, dict(row, fingerprint="0" * 16))
    rf = ResultsFolder(copy)
    runs = rf.runs().set_index("run_id")
    assert runs.loc[ids, "status"].tolist() == ["missing", "missing", "done", "failed", "stale", "done"]
    assert runs.loc[ids[3], "error"] == "ValueError: boom"
    assert not runs.loc[ids[0], "has_part"] and runs.loc[ids[4], "has_part"]
    # only done runs count (the stale run's part is still there): the brute force over the done runs agrees
    tc = rf.timecourse("disease_activity")
    check_timecourse(tc, brute_timecourse(copy, "disease_activity", skip={ids[4]}))
    assert set(tc.loc[tc["condition"] == "control", "n"]) == {1}  # one replicate left: no sd, no interval
    assert set(tc.loc[tc["condition"] == "drug", "n"]) == {1}
    with pytest.raises(ConfigError, match="failed: ValueError: boom"):
        rf.run_timeseries(ids[3])


# ---------------------------------------------------------------------- time series
@pytest.mark.parametrize("readout", ["disease_activity", "n_T"])
def test_timecourse_equals_a_brute_force_computation(folder, readout):
    tc = ResultsFolder(folder).timecourse(readout)
    assert list(tc.columns) == ["condition", "time_min", "n", "mean", "sd", "ci95_low", "ci95_high", "p10", "p90"]
    assert list(dict.fromkeys(tc["condition"])) == ["control", "drug"]
    assert (tc.groupby("condition")["time_min"].apply(lambda t: t.is_monotonic_increasing)).all()
    assert (tc["n"] == 3).all()
    check_timecourse(tc, brute_timecourse(folder, readout))


def test_timecourse_of_the_activity_equals_the_cohort_report(folder):
    tc = ResultsFolder(folder).timecourse("disease_activity")
    ref = pd.read_csv(folder / "timecourse.csv")
    assert tc["condition"].tolist() == ref["arm"].tolist()
    for c in ("time_min", "n", "mean", "ci95_low", "ci95_high", "p10", "p90"):
        np.testing.assert_allclose(tc[c].to_numpy(float), ref[c].to_numpy(float), rtol=1e-12, atol=1e-12)


def test_unknown_readout_and_run_name_the_key(folder):
    rf = ResultsFolder(folder)
    with pytest.raises(ConfigError) as e:
        rf.timecourse("no_such_readout")
    assert e.value.path == "readout" and "disease_activity" in e.value.message
    with pytest.raises(ConfigError) as e:
        rf.run_timeseries("nope")
    assert e.value.path == "run_id"
    with pytest.raises(ConfigError, match="time_min"):
        rf.timecourse("time_min")


def test_run_timeseries_is_the_part(folder):
    rid = plan_json(folder)["runs"][2]["run_id"]
    pd.testing.assert_frame_equal(ResultsFolder(folder).run_timeseries(rid),
                                  pd.read_parquet(folder / "parts" / f"{rid}.parquet"))


# ---------------------------------------------------------------------- report files
def test_summary_is_summary_csv_or_computed_alike(copy):
    rf = ResultsFolder(copy)
    written = rf.summary()
    assert written.attrs["source"] == "summary.csv"
    pd.testing.assert_frame_equal(written, pd.read_csv(copy / "summary.csv"))
    (copy / "summary.csv").unlink()
    computed = rf.summary()
    assert computed.attrs["source"] == "computed"
    assert computed[written.columns.tolist()].shape == written.shape
    for c in written.columns:
        if pd.api.types.is_numeric_dtype(written[c]):
            np.testing.assert_allclose(computed[c].to_numpy(float), written[c].to_numpy(float), rtol=1e-12)
        else:
            assert computed[c].astype(str).tolist() == written[c].astype(str).tolist()


def test_figure_report_and_cohort_files(folder):
    rf = ResultsFolder(folder)
    png = rf.figure_png()
    assert png.startswith(PNG) and png == (folder / "figure.png").read_bytes()
    assert rf.report_markdown() == (folder / "report.md").read_text() and "## Cohort" in rf.report_markdown()
    pd.testing.assert_frame_equal(rf.cohort(), pd.read_csv(folder / "cohort.csv"))
    runs = rf.cohort_runs()
    pd.testing.assert_frame_equal(runs, pd.read_csv(folder / "cohort_runs.csv"))
    assert runs["run_id"].tolist() == [r["run_id"] for r in plan_json(folder)["runs"]]
    assert list(rf.cohort()["arm"]) == rf.conditions()


def test_a_plain_experiment_folder_has_no_cohort_and_no_report_yet(copy):
    doc = manifest.read_spec_document(copy)
    doc.pop("report")
    manifest.write_spec_document(copy, doc)
    for f in ("cohort.csv", "cohort_runs.csv", "figure.png", "report.md"):
        (copy / f).unlink()
    rf = ResultsFolder(copy)
    assert not rf.is_cohort and rf.cohort_reference is None
    assert rf.cohort() is None and rf.cohort_runs() is None
    assert rf.figure_png() is None and rf.report_markdown() is None


# ---------------------------------------------------------------------- figures
def test_timecourse_png(folder):
    tc = ResultsFolder(folder).timecourse("n_T")
    assert timecourse_png(tc, "n_T", title="T cells", unit="cells").startswith(PNG)
    one = tc.assign(sd=np.nan, ci95_low=np.nan, ci95_high=np.nan)  # a single replicate: no band
    one.loc[one.index[1], "mean"] = np.nan
    assert timecourse_png(one, "n_T").startswith(PNG)
    assert timecourse_png(tc.iloc[:0], "n_T").startswith(PNG)


def test_cohort_png(folder):
    rf = ResultsFolder(folder)
    runs = rf.cohort_runs()
    assert cohort_png(runs, rf.cohort_reference).startswith(PNG)
    assert cohort_png(runs.drop(columns="responder_vs_ref")).startswith(PNG)  # no reference: one panel
    assert cohort_png(None) is None and cohort_png(runs.iloc[:0]) is None
