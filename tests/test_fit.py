"""`mscabm fit`: the synthetic problem (hidden values recovered within their intervals), the search
methods and intervals against known answers, resume after SIGKILL, and bad fit specs (exit 2 before
any run)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.cli import main
from mscabm.config import load_config
from mscabm.experiments.manifest import read_manifest
from mscabm.fit import load_fit_spec, parse_fit_spec, run_fit
from mscabm.fit.intervals import Z95, difference_points, linearised_intervals, weighted_quantile
from mscabm.fit.objective import target_value
from mscabm.fit.search import Budget, abcsmc, cmaes, sobol
from mscabm.fit.spec import FitTarget, check_fit
from mscabm.schema import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "benchmarks" / "fit" / "synthetic.toml"
PGE2_KEYS = [f"behaviours.MSC.{s}.export_PGE2_molecules_per_min" for s in ("naive", "primed", "licensed")]


def tiny_experiment(steps: int = 300) -> dict:
    """A 100 x 100 um well with 4 MSCs: one condition, 2 replicates."""
    return {
        "experiment": {"name": "tiny_well", "master_seed": 3, "replicates": 2, "steps": steps, "record_every": 50},
        "base": {"config": "coculture", "set": {"domain.width_um": 100.0, "domain.height_um": 100.0,
                                                "cells.T.count": 20, "cells.CD8.count": 8, "cells.B.count": 0,
                                                "cells.NK.count": 0, "cells.MAC.count": 0, "cells.DC.count": 3,
                                                "cells.MSC.count": 4,
                                                "output.snapshot_every": 0}},
        "design": {"kind": "grid", "factors": [{"name": "msc", "key": "cells.MSC.count", "values": [4],
                                                "labels": ["4 MSCs"]}]},
        "readouts": {"final": ["mean_PGE2_nM", "T_proliferation_index"]},
        "report": {"kind": "none"},
    }


def tiny_fit(spec_file: str, **fit) -> dict:
    return {
        "fit": {"name": "tiny", "method": "cmaes", "seed": 2, "max_candidates": 7, "population": 2,
                "intervals": False, **fit},
        "parameters": [{"name": "pge2", "keys": PGE2_KEYS, "bounds": [0.25, 4.0], "log": True,
                        "scale": "multiply"}],
        "targets": [{"name": "PGE2", "spec": spec_file, "readout": "mean_PGE2_nM", "where": {"msc": "4 MSCs"},
                     "observed": 2.0, "sd": 0.2}],
    }


def write(tmp_path: Path, fit_doc: dict, exp_doc: dict | None = None) -> Path:
    (tmp_path / "tiny_well.toml").write_text(tomli_w.dumps(exp_doc or tiny_experiment()))
    f = tmp_path / "fit.toml"
    f.write_text(tomli_w.dumps(fit_doc))
    return f


# ---------------------------------------------------------------------------- the synthetic problem
def test_synthetic_problem_recovers_the_hidden_values_within_their_intervals(tmp_path):
    """The model itself with hidden values (observations from an independent master seed): a small
    CMA-ES budget finds them, each inside its linearised 95% interval, and the outputs are written."""
    doc = tomllib.loads(SYNTHETIC.read_text())
    doc["fit"]["max_candidates"] = 13  # start + 3 generations of 4
    fit = parse_fit_spec(doc, source=str(SYNTHETIC))
    res = run_fit(fit, tmp_path / "fit", in_process=True, progress=False)
    assert res["best_objective"] < res["start_objective"] / 5
    for p in res["parameters"]:
        assert p["identified"], p
        assert p["ci95_low"] <= p["hidden"] <= p["ci95_high"], p
        assert p["ci95_high"] / p["ci95_low"] < 2.0, p  # informative, not the whole box
    out = tmp_path / "fit"
    cands = pd.read_csv(out / "candidates.csv")
    assert list(cands["phase"].unique()) == ["start", "search", "interval"]
    assert len(cands) == 13 + 4 and (cands["runs"] == 2).all()
    assert (out / "convergence.png").stat().st_size > 0 and "hidden in interval" in (out / "report.md").read_text()
    # the fitted preset is a config layer: loading it gives the best values on top of its base preset
    preset = load_config(out / "fitted_preset.toml")
    base = load_config("coculture")
    best = {p["name"]: p["best"] for p in res["parameters"]}
    for s in ("naive", "primed", "licensed"):
        got = preset.behaviours["MSC"][s]["export_PGE2_molecules_per_min"]
        assert got == pytest.approx(best["pge2_export"] * base.behaviours["MSC"][s]["export_PGE2_molecules_per_min"])


def test_a_batch_of_candidates_scores_as_the_same_candidates_one_by_one(tmp_path):
    """A generation's candidates run as one batch of runs: the same scores, in the same order, as one by one;
    a point met twice in a batch runs once; points whose config the model refuses score as failed, with no run
    and no error."""
    from mscabm.experiments.runner import executor_context
    from mscabm.fit.objective import FAILED_OBJECTIVE, Evaluator

    fit = load_fit_spec(write(tmp_path, tiny_fit("tiny_well.toml")))
    specs = check_fit(fit)
    units = [[0.2], [0.7], [0.7]]
    with executor_context(None, 2, None, False, 1) as (ex, slots, threads):
        batch = Evaluator(fit, specs, tmp_path / "batch", ex, slots, threads).evaluate_many(0, units, "search")
        one = Evaluator(fit, specs, tmp_path / "one", ex, slots, threads)
        alone = [one.evaluate(k, u, "search") for k, u in enumerate(units)]
    assert [e.index for e in batch] == [0, 1, 2]
    for a, b in zip(batch, alone):
        assert (a.unit, a.mean, a.se, a.z, a.objective, a.runs) == (b.unit, b.mean, b.se, b.z, b.objective, b.runs)
    assert batch[1].objective == batch[2].objective < FAILED_OBJECTIVE and batch[0].objective != batch[1].objective
    twice = list((tmp_path / "batch" / "candidates").glob("p*"))
    assert len(twice) == 2 and sorted(len(read_manifest(p / "tiny_well")) for p in twice) == [2, 2]  # run once
    refused = Evaluator(fit, specs, tmp_path / "refused", ex, slots, threads)
    refused.specs = {name: _refusing(spec) if k == 0 else spec for k, (name, spec) in enumerate(specs.items())}
    with executor_context(None, None, None, True, None) as (ex, slots, threads):
        refused.executor, refused.slots = ex, slots
        assert all(e.objective == FAILED_OBJECTIVE and e.runs == 0 for e in refused.evaluate_many(0, units, "x"))


def _refusing(spec):
    """The spec with a config the model refuses (a negative cell count)."""
    from mscabm.experiments import parse_spec

    doc = json.loads(json.dumps(spec.document, default=str))
    doc["base"]["set"]["cells.T.count"] = -1
    return parse_spec(doc)


# ---------------------------------------------------------------------------- search and intervals, known answers
def test_cmaes_finds_the_minimum_of_a_known_quadratic():
    target = np.array([0.3, 0.72, 0.55])
    seen = []

    def chi2(u):
        return float(np.sum(((np.array(u) - target) / 0.05) ** 2))

    budget = Budget(400)
    cmaes(lambda us, phase: [seen.append(u) or chi2(u) for u in us], [0.5, 0.5, 0.5], budget, seed=4, sigma0=0.3,
          population=None)
    best = min(seen, key=chi2)
    assert np.allclose(best, target, atol=0.01)
    assert all(0.0 <= v <= 1.0 for u in seen for v in u)
    assert budget.stop_reason.startswith("converged (CMA-ES: tol")  # pycma's own rule, within the budget


def test_abcsmc_weights_make_the_last_generation_uniform_on_its_acceptance_region():
    """Independent truth for ABC-SMC (pyabc): with a uniform prior, the target of a generation with threshold eps
    is the prior restricted to {RMS z <= eps}; for z = (u - c) / s in 2-D that is an ellipse, a disk of radius
    R = sqrt(2) eps in z, whose marginals have mean c and sd s R / 2. The importance-weighted particles must show
    it, every particle must lie inside, and the thresholds must fall to min_epsilon within the budget."""
    c, s = np.array([0.5, 0.4]), np.array([0.05, 0.1])

    def chi2(u):
        return float(np.sum(((np.array(u) - c) / s) ** 2))

    seen = []
    budget = Budget(6000)
    post = abcsmc(lambda us, p: [seen.append(u) or chi2(u) for u in us], [0.5, 0.5], budget, 5, 0.3, 300,
                  n_targets=2, min_epsilon=0.8)
    assert post is not None and budget.stop_reason.startswith("converged (ABC-SMC")
    eps = post.generations[-1]["epsilon"]
    assert eps <= 0.8 and [g["epsilon"] for g in post.generations] == sorted(
        (g["epsilon"] for g in post.generations), reverse=True)
    assert len(seen) == 6000 - budget.candidates and all(0.0 <= v <= 1.0 for u in seen for v in u)
    z = (post.units - c) / s
    assert np.all(np.sqrt((z**2).sum(axis=1) / 2) <= eps + 1e-12)
    w = post.weights
    assert w.sum() == pytest.approx(1.0) and len(w) == 300
    mean = w @ post.units
    sd = np.sqrt(w @ (post.units - mean) ** 2)
    radius = math.sqrt(2) * eps
    assert np.all(np.abs(mean - c) <= 0.1 * s * radius), (mean, c)
    np.testing.assert_allclose(sd, s * radius / 2, rtol=0.15)


def test_an_abcsmc_fit_writes_its_posterior_and_experiments_draw_from_it(tmp_path):
    """method = "abcsmc" through run_fit: the intervals come from the last generation's particles (weighted
    quantiles, no difference candidates), fit.json keeps the particles, report.md lists the generations, and
    `--posterior` draws resample exactly those particles."""
    from mscabm.experiments.posterior import load_posterior
    from mscabm.fit.intervals import weighted_quantile

    f = write(tmp_path, tiny_fit("tiny_well.toml", method="abcsmc", max_candidates=30, population=6, intervals=True))
    res = run_fit(load_fit_spec(f), tmp_path / "out", in_process=True, progress=False)
    cands = pd.read_csv(tmp_path / "out" / "candidates.csv")
    assert set(cands["phase"]) == {"start", "search"} and len(cands) == res["candidates"] <= 30
    gens, sample = res["abc_generations"], res["posterior_sample"]
    assert gens and len(sample["weights"]) == 6 and sum(sample["weights"]) == pytest.approx(1.0)
    s = np.array(sample["search"])[:, 0]  # log10 of the multiplier
    p = res["parameters"][0]
    assert math.log10(p["ci95_low"]) == pytest.approx(weighted_quantile(s, np.array(sample["weights"]), 0.025))
    assert 0.25 <= p["ci95_low"] <= p["ci95_high"] <= 4.0
    assert res["interval_method"].startswith("ABC-SMC posterior") and "ABC-SMC generations" in (
        tmp_path / "out" / "report.md").read_text()
    post = load_posterior(tmp_path / "out")
    draws = post.draw(40, np.random.default_rng(1))
    particles = {round(10.0**v, 9) for v in s}
    assert {round(d["pge2"], 9) for d in draws} <= particles


def test_abcsmc_with_a_larger_budget_replays_the_smaller_one_then_goes_on():
    """What a resumed ABC fit relies on: its particles depend on the seed and the objectives only, so a larger
    budget proposes the same candidates first (their runs are then found finished) and continues."""
    def run(n):
        seen = []
        abcsmc(lambda us, p: [seen.append(u) or float(np.sum((np.array(u) - 0.3) ** 2) * 400) for u in us],
               [0.5, 0.5], Budget(n), 9, 0.3, 20, n_targets=2, min_epsilon=0.01)
        return seen

    small, large = run(70), run(140)
    assert len(small) == 70 and len(large) == 140 and large[:70] == small


def test_weighted_quantile_is_the_inverse_distribution_function():
    v, w = np.array([3.0, 1.0, 2.0, 4.0]), np.array([0.1, 0.2, 0.3, 0.4])  # sorted: 1 (0.2), 2 (0.3), 3 (0.1), 4
    assert [weighted_quantile(v, w, q) for q in (0.0, 0.2, 0.21, 0.5, 0.6, 0.61, 1.0)] == [1, 1, 2, 2, 3, 4, 4]
    assert weighted_quantile(v, np.ones(4), 0.5) == 2.0


def test_search_is_deterministic_and_respects_the_budget():
    for method in (cmaes, sobol, abcsmc):
        runs = []
        for _ in range(2):
            seen = []
            b = Budget(10)
            method(lambda us, p: [seen.append(u) or sum(u) for u in us], [0.5, 0.5], b, 3, 0.3, 3)
            runs.append(seen)
        assert runs[0] == runs[1]
        assert len(runs[0]) <= 10
    # numpy's global random state is not the method's: draws from it inside the objective change nothing
    for method in (cmaes, sobol, abcsmc):
        plain, noisy = [], []
        method(lambda us, p: [plain.append(u) or sum(u) for u in us], [0.5, 0.5], Budget(10), 3, 0.3, 3)
        method(lambda us, p: [noisy.append(u) or (np.random.rand() * 0 + sum(u)) for u in us], [0.5, 0.5],
               Budget(10), 3, 0.3, 3)
        assert plain == noisy
    b = Budget(100, deadline=time.monotonic() - 1.0)
    sobol(lambda us, p: [0.0] * len(us), [0.5], b, 1, 0.3, None)
    assert b.stop_reason == "wall-time budget spent"


@given(st.lists(st.floats(-3, 3), min_size=6, max_size=6), st.floats(0.1, 5))
@settings(max_examples=40)
def test_linearised_intervals_equal_the_analytic_gaussian_covariance(j_flat, sd_scale):
    """For linear residuals z = J (s - s*) the covariance is exactly (J^T J)^-1."""
    jac = np.array(j_flat).reshape(3, 2) * sd_scale
    jtj = jac.T @ jac
    if np.linalg.cond(jtj) > 1e6:
        return
    cov = np.linalg.inv(jtj)
    best = np.array([0.0, 1.0])
    bounds = np.array([[-1e6, 1e6], [-1e6, 1e6]])
    if not np.all(2 * Z95 * np.sqrt(np.diag(cov)) < 2e6):  # wider than the box: not identified, by design (below)
        return
    iv = linearised_intervals(best, jac, bounds, lambda j, s: s)
    assert np.allclose(iv.sd_search, np.sqrt(np.diag(cov)), rtol=1e-6)
    assert np.allclose(iv.low, best - Z95 * np.sqrt(np.diag(cov)), rtol=1e-6, atol=1e-9)
    assert iv.correlation[0][1] == pytest.approx(cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]), abs=1e-6)
    assert all(iv.identified)


def test_an_unseen_parameter_is_not_identified_and_its_interval_is_the_box():
    jac = np.array([[2.0, 0.0], [1.0, 0.0]])  # no target depends on the second parameter
    iv = linearised_intervals(np.array([0.0, 0.5]), jac, np.array([[-1.0, 1.0], [0.0, 1.0]]), lambda j, s: s)
    assert iv.identified == [True, False]
    assert (iv.low[1], iv.high[1]) == (0.0, 1.0) and iv.clipped[1]
    assert iv.sd_search[0] == pytest.approx(1 / math.sqrt(5.0))


def test_difference_points_stay_in_the_box():
    assert difference_points([0.5, 0.01, 0.99], 0.05) == [(0, 0.45, 0.55), (1, 0.01, 0.060000000000000005),
                                                         (2, 0.94, 0.99)]


def test_target_value_is_mean_and_standard_error_of_the_matching_conditions():
    df = pd.DataFrame({"role": ["condition"] * 4 + ["control"], "dose": ["a", "a", "a", "b", "a"],
                       "x": [1.0, 2.0, 6.0, 100.0, 50.0]})
    t = FitTarget("t", "s", "x", {"dose": "a"}, 0.0, 1.0)
    mean, se, n = target_value(t, df)
    assert (mean, n) == (3.0, 3) and se == pytest.approx(np.std([1, 2, 6], ddof=1) / math.sqrt(3))
    assert math.isnan(target_value(FitTarget("t", "s", "x", {"dose": "zzz"}, 0.0, 1.0), df)[0])


# ---------------------------------------------------------------------------- resume
def test_sigkill_then_resume_repeats_no_finished_run_and_equals_an_uninterrupted_fit(tmp_path):
    f = write(tmp_path, tiny_fit("tiny_well.toml"))
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "mscabm", "fit", str(f), "--out", str(out), "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    csv = out / "candidates.csv"
    while time.time() < deadline and proc.poll() is None and (not csv.is_file() or len(pd.read_csv(csv)) < 2):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p: read_manifest(p) for p in (out / "candidates").glob("p*/tiny_well")}
    finished_before = {(p, k): v for p, m in before.items() for k, v in m.items() if v["status"] == "done"}
    assert 2 <= len(finished_before) < 14, f"killed too late or too early: {len(finished_before)} runs finished"
    assert main(["fit", str(f), "--out", str(out), "--resume", "--in-process", "--quiet"]) == 0
    for (p, k), v in finished_before.items():  # finished runs were not recomputed
        after = read_manifest(p)[k]
        assert after["finished"] == v["finished"] and after["pid"] == v["pid"]
    ref_out = tmp_path / "ref"
    assert main(["fit", str(f), "--out", str(ref_out), "--in-process", "--quiet"]) == 0
    a = pd.read_csv(out / "candidates.csv").drop(columns="wall_s")
    b = pd.read_csv(ref_out / "candidates.csv").drop(columns="wall_s")
    pd.testing.assert_frame_equal(a, b)
    assert json.loads((out / "fit.json").read_text())["best_objective"] == \
        json.loads((ref_out / "fit.json").read_text())["best_objective"]


def test_an_existing_fit_needs_resume_and_the_same_spec(tmp_path, capsys):
    f = write(tmp_path, tiny_fit("tiny_well.toml", max_candidates=1))
    out = tmp_path / "o"
    assert main(["fit", str(f), "--out", str(out), "--in-process", "--quiet"]) == 0
    assert main(["fit", str(f), "--out", str(out), "--in-process", "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    f.write_text(tomli_w.dumps(tiny_fit("tiny_well.toml", max_candidates=1, seed=5)))
    assert main(["fit", str(f), "--out", str(out), "--in-process", "--quiet", "--resume"]) == 2
    assert "another fit spec" in capsys.readouterr().err
    assert main(["fit", str(f), "--out", str(out), "--max-candidates", "0", "--quiet"]) == 2
    assert "--max-candidates" in capsys.readouterr().err


def test_a_larger_budget_on_resume_continues_the_same_search(tmp_path):
    """3 candidates, then --resume --max-candidates 5: the same 5 candidates as a fit of 5 at once,
    and the first 3 points' runs are not repeated."""
    f = write(tmp_path, tiny_fit("tiny_well.toml", max_candidates=3, population=2))
    out, ref = tmp_path / "grown", tmp_path / "ref"
    assert main(["fit", str(f), "--out", str(out), "--in-process", "--quiet"]) == 0
    first = {p.name: read_manifest(p / "tiny_well") for p in (out / "candidates").glob("p*")}
    assert len(first) == 3
    assert main(["fit", str(f), "--out", str(out), "--in-process", "--quiet", "--resume", "--max-candidates", "5"]) == 0
    for folder, rows in first.items():
        for k, v in rows.items():
            assert read_manifest(out / "candidates" / folder / "tiny_well")[k]["finished"] == v["finished"]
    assert main(["fit", str(f), "--out", str(ref), "--in-process", "--quiet", "--max-candidates", "5"]) == 0
    a = pd.read_csv(out / "candidates.csv").drop(columns="wall_s")
    b = pd.read_csv(ref / "candidates.csv").drop(columns="wall_s")
    pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------------------------------- bad fit specs
def _mutations() -> list[tuple[str, callable, str]]:
    def setp(path, value):
        def mutate(d):
            node = d
            for k in path[:-1]:
                node = node[k]
            node[path[-1]] = value
        return mutate

    return [
        ("unknown key", setp(["fit", "budget"], 3), "fit.budget"),
        ("method", setp(["fit", "method"], "annealing"), "fit.method"),
        ("reversed bounds", setp(["parameters", 0, "bounds"], [4.0, 0.25]), "parameters[0].bounds"),
        ("log of zero", setp(["parameters", 0, "bounds"], [0.0, 1.0]), "parameters[0].bounds"),
        ("start outside", setp(["parameters", 0, "start"], 9.0), "parameters[0].start"),
        ("no sd", lambda d: d["targets"][0].pop("sd"), "targets[0].sd"),
        ("both forms", setp(["targets", 0, "accepted"], [1.0, 2.0]), "targets[0].accepted"),
        ("readout", setp(["targets", 0, "readout"], "mean_PGE3_nM"), "targets[0].readout"),
        ("where column", setp(["targets", 0, "where"], {"stimulus": "MLR"}), "targets[0].where.stimulus"),
        ("where level", setp(["targets", 0, "where"], {"msc": "40 MSCs"}), "targets[0].where.msc"),
        ("spec", setp(["targets", 0, "spec"], "no_such_spec"), "targets[0].spec"),
        ("config key", setp(["parameters", 0, "keys"], ["behaviours.MSC.naive.export_FOO_per_min"]),
         "parameters: with every parameter at its low bound"),
        ("design key", setp(["parameters", 0, "keys"], ["cells.MSC.count"]), "parameters[0].keys[0]"),
        ("negative value", lambda d: d["parameters"][0].update(bounds=[-5.0, 1.0], log=False, scale="value"),
         "parameters: with every parameter at its low bound"),
        ("integer with intervals", lambda d: d["parameters"][0].update(integer=True) or d["fit"].update(intervals=True),
         "parameters[0].integer"),
        ("same spec name", lambda d: d["targets"].append(dict(d["targets"][0], spec="tiny_copy.toml")),
         "targets[1].spec: 'tiny_copy.toml' and"),
        ("specs name", setp(["parameters", 0, "specs"], ["other.toml"]), "parameters[0].specs[0]"),
        ("abcsmc budget", lambda d: d["fit"].update(method="abcsmc", max_candidates=30, population=10),
         "fit.max_candidates: 30 leaves ABC-SMC no first generation"),
        ("synthetic name", setp(["fit", "synthetic"], {"pge3": 1.0}), "fit.synthetic.pge3"),
        ("synthetic bound", setp(["fit", "synthetic"], {"pge2": 100.0}), "fit.synthetic.pge2"),
        ("budget", setp(["fit", "max_candidates"], 0), "fit.max_candidates"),
    ]


@pytest.mark.parametrize("label,mutate,path", _mutations(), ids=[m[0] for m in _mutations()])
def test_bad_fit_spec_exits_2_with_the_key_path_before_any_run(tmp_path, capsys, label, mutate, path):
    doc = tiny_fit("tiny_well.toml")
    mutate(doc)
    f = write(tmp_path, doc)
    (tmp_path / "tiny_copy.toml").write_text((tmp_path / "tiny_well.toml").read_text())  # same experiment name
    out = tmp_path / "o"
    assert main(["fit", str(f), "--out", str(out), "--in-process", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert path in err and "Traceback" not in err, err
    assert not out.exists()  # nothing started


@given(st.dictionaries(st.sampled_from(["method", "seed", "max_candidates", "sigma0", "population", "replicates",
                                        "interval_step", "max_wall_min", "intervals"]),
                       st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=5),
                                 st.booleans(), st.lists(st.integers(), max_size=2)), max_size=3))
@settings(max_examples=60)
def test_fuzzed_fit_sections_parse_or_fail_with_a_config_error(fields):
    doc = tiny_fit("tiny_well.toml")
    doc["fit"].update(fields)
    try:
        parse_fit_spec(doc)
    except ConfigError as exc:
        assert exc.path.startswith("fit")


def test_dry_run_checks_and_runs_nothing(tmp_path, capsys, monkeypatch):
    f = write(tmp_path, tiny_fit("tiny_well.toml"))
    monkeypatch.chdir(tmp_path)
    assert main(["fit", str(f), "--dry-run"]) == 0
    assert "valid" in capsys.readouterr().out
    assert not (tmp_path / "runs").exists()  # the default output folder is not even created
    spec = load_fit_spec(f)
    assert list(check_fit(spec)) == ["tiny_well.toml"]


def test_the_fit_spec_example_in_the_docs_parses():
    """docs/calibration.md's example fit spec is a valid document (schema level), so it cannot go stale."""
    text = (ROOT / "docs" / "calibration.md").read_text()
    block = text.split("### The fit spec", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    fit = parse_fit_spec(tomllib.loads(block))
    assert fit.method == "cmaes" and [p.name for p in fit.parameters] == ["pge2_export"]
    assert len(fit.targets) == 1 + 7  # the example target and the seven s3 targets it includes
    assert fit.targets[0].sd == pytest.approx((99.0 - 55.0) / 4)


def test_a_parameter_kept_to_some_specs_is_applied_only_there(tmp_path):
    """``[[parameters]] specs`` (a species' own parameter in a joint fit): the value goes into the listed
    experiment spec's [base.set] only, the fitted preset names it apart instead of setting it, and a
    posterior draw applies it only in a spec of that name."""
    from mscabm.experiments.posterior import Posterior, PosteriorParameter, posterior_spec
    from mscabm.fit.report import fitted_preset
    from mscabm.fit.spec import candidate_spec

    other = tiny_experiment()
    other["experiment"]["name"] = "tiny_other"
    (tmp_path / "tiny_other.toml").write_text(tomli_w.dumps(other))
    doc = tiny_fit("tiny_well.toml")
    ido = [f"behaviours.MSC.{s}.vmax_IDO_molecules_per_min" for s in ("naive", "primed", "licensed")]
    doc["parameters"].append({"name": "ido", "keys": ido, "bounds": [0.5, 2.0], "scale": "multiply",
                              "specs": ["tiny_other.toml"]})
    doc["targets"].append({"name": "PGE2 other", "spec": "tiny_other.toml", "readout": "mean_PGE2_nM",
                           "observed": 2.0, "sd": 0.2})
    fit = load_fit_spec(write(tmp_path, doc))
    specs = check_fit(fit)
    assert [fp.specs for fp in fit.parameters] == [(), ("tiny_other.toml",)]
    base_ido = load_config("coculture").behaviours["MSC"]["naive"]["vmax_IDO_molecules_per_min"]
    sets = {given: candidate_spec(fit, spec, [1.0, 1.0], given=given).document["base"]["set"]
            for given, spec in specs.items()}
    assert all(sets[g][PGE2_KEYS[0]] > 0 for g in sets)  # the shared parameter: in both
    assert ido[0] not in sets["tiny_well.toml"]
    assert sets["tiny_other.toml"][ido[0]] == pytest.approx(2.0 * base_ido)
    result = {"candidates": 1, "best_objective": 0.0, "parameters": [{"best": 1.5}, {"best": 2.0}]}
    preset = fitted_preset(fit, result, specs, tmp_path)
    assert "vmax_IDO_molecules_per_min" not in tomllib.loads(preset)["behaviours"]["MSC"]["naive"]
    assert "export_PGE2_molecules_per_min" in tomllib.loads(preset)["behaviours"]["MSC"]["naive"]
    assert "# ido = 2 (applied in spec(s) tiny_other.toml only" in preset
    from mscabm.fit.objective import Evaluation
    from mscabm.fit.report import summarise  # fit.json names the experiments, as --posterior matches them

    best = Evaluation(0, "start", [1.0, 1.0], {"pge2": 1.5, "ido": 2.0}, [2.0, 2.0], [0.1, 0.1], [2, 2], [0.0, 0.0],
                      0.0, 4, 0, 1.0)
    row = summarise(fit, [best], best, None, "done", 1.0, None, [2.0, 2.0],
                    {g: spec.name for g, spec in specs.items()})["parameters"][1]
    assert row["specs"] == ["tiny_other"]
    post = Posterior("tiny", tmp_path, [PosteriorParameter("pge2", PGE2_KEYS, (0.25, 4.0), False, "multiply", 1.0, 0.1,
                                                           True),
                                        PosteriorParameter("ido", ido, (0.5, 2.0), False, "multiply", 1.0, 0.1, True,
                                                           ("tiny_other",))], np.eye(2))
    for spec_doc, applied in ((tiny_experiment(), False), (other, True)):
        from mscabm.experiments.spec import parse_spec

        drawn = posterior_spec(parse_spec(spec_doc), post, 2)
        levels = next(f for f in drawn.factors if f.name == "posterior_draw").levels
        assert all((ido[0] in lv.set) == applied for lv in levels)


def test_shipped_fit_specs_pass_their_checks():
    from mscabm.fit.spec import fit_spec_names

    assert "human_s3" in fit_spec_names()
    for name in fit_spec_names():
        spec = load_fit_spec(name)
        assert set(check_fit(spec)) == set(spec.spec_names)


def test_a_fit_on_a_dask_cluster_equals_the_same_fit_in_process(tmp_path):
    distributed = pytest.importorskip("distributed")
    f = write(tmp_path, tiny_fit("tiny_well.toml", max_candidates=3, population=2), tiny_experiment(steps=40))
    assert main(["fit", str(f), "--out", str(tmp_path / "ref"), "--in-process", "--quiet"]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert main(["fit", str(f), "--out", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address,
                     "--quiet"]) == 0
    a = pd.read_csv(tmp_path / "dask" / "candidates.csv").drop(columns="wall_s")
    b = pd.read_csv(tmp_path / "ref" / "candidates.csv").drop(columns="wall_s")
    pd.testing.assert_frame_equal(a, b)
    runs = (tmp_path / "dask" / "candidates").glob("p*/tiny_well/runs/*.json")
    pids = {json.loads(p.read_text())["pid"] for p in runs}
    assert pids and os.getpid() not in pids  # the runs ran on the cluster's workers


@pytest.mark.parametrize("option", [["--threads", "-1"], ["--workers", "0"], ["--max-wall-min", "-3"],
                                    ["--max-candidates", "0"]])
def test_bad_options_exit_2_and_write_nothing(tmp_path, capsys, option):
    f = write(tmp_path, tiny_fit("tiny_well.toml"))
    out = tmp_path / "o"
    assert main(["fit", str(f), "--out", str(out), "--quiet", *option]) == 2
    assert option[0] in capsys.readouterr().err
    assert not out.exists()
