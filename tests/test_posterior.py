"""`mscabm experiment SPEC --posterior FIT_DIR`: draws from a fit's linearised posterior, applied as a design factor
(controls included), and the predictive table. The fit folders are written by hand (a known covariance), so the
draws are checked against the distribution they must follow, without running a fit."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w

from mscabm.cli import main
from mscabm.config import get_path
from mscabm.experiments import parse_spec, plan
from mscabm.experiments.plan import base_data
from mscabm.experiments.posterior import POSTERIOR_FACTOR, load_posterior, posterior_spec
from mscabm.schema import ConfigError

PGE2_KEYS = [f"behaviours.MSC.{s}.export_PGE2_molecules_per_min" for s in ("naive", "primed", "licensed")]


def fit_folder(tmp_path: Path, parameters: list[dict], correlation: list[list[float]], name: str = "fitdir") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "fit.json").write_text(json.dumps({"name": "hand", "parameters": parameters,
                                                 "correlation": correlation}))
    return folder


def param(name, keys, bounds, best, sd_search, identified=True, log=False, scale="value"):
    return {"name": name, "keys": keys, "bounds": bounds, "log": log, "scale": scale, "best": best,
            "sd_search": sd_search if identified else math.inf, "identified": identified}


def three_parameters(tmp_path: Path, name: str = "fitdir") -> Path:
    return fit_folder(tmp_path, [
        param("pge2", PGE2_KEYS, [0.1, 10.0], 2.0, 0.05, log=True, scale="multiply"),
        param("half_max", ["rules.pge2_arrests_T_activated.half_max"], [1.0, 100.0], 30.0, 4.0),
        param("unseen", ["rules.tgfb_arrests_T_activated.half_max"], [50.0, 150.0], 100.0, 0.0, identified=False),
    ], [[1.0, 0.8, float("nan")], [0.8, 1.0, float("nan")], [float("nan")] * 3], name)


def test_draws_follow_the_fits_gaussian_and_the_box_for_unidentified_parameters(tmp_path):
    post = load_posterior(three_parameters(tmp_path))
    draws = post.draw(4000, np.random.default_rng(1))
    a = np.log10([d["pge2"] for d in draws])  # search space of a log parameter: log10
    b = np.array([d["half_max"] for d in draws])
    c = np.array([d["unseen"] for d in draws])
    assert a.mean() == pytest.approx(math.log10(2.0), abs=0.005) and a.std() == pytest.approx(0.05, rel=0.05)
    assert b.mean() == pytest.approx(30.0, abs=0.3) and b.std() == pytest.approx(4.0, rel=0.05)
    assert np.corrcoef(a, b)[0, 1] == pytest.approx(0.8, abs=0.03)
    assert c.min() >= 50.0 and c.max() <= 150.0 and c.mean() == pytest.approx(100.0, abs=2.0)  # uniform on the box
    assert c.std() == pytest.approx(100.0 / math.sqrt(12), rel=0.05)
    assert draws[:5] == post.draw(5, np.random.default_rng(1))  # the generator alone decides


def test_draws_near_a_bound_stay_inside_it(tmp_path):
    post = load_posterior(fit_folder(tmp_path, [param("x", ["rules.pge2_arrests_T_activated.half_max"],
                                                      [1.0, 100.0], 2.0, 5.0)], [[1.0]]))
    x = np.array([d["x"] for d in post.draw(2000, np.random.default_rng(2))])
    assert x.min() >= 1.0 and x.max() <= 100.0
    assert x.mean() > 2.0  # the box truncates the lower tail


def test_the_posterior_factor_sets_every_key_and_controls_inherit_it(tmp_path):
    """Every draw's keys in every run, controls included; the spec's own factors still reach the controls (an
    absent `inherit` means all factors); a level of the spec that sets a fitted key keeps its value, as over the
    fit's [base.set]."""
    doc = tiny_spec()
    doc["design"]["factors"] += [
        {"name": "cd8", "key": "cells.CD8.count", "values": [2, 12]},
        {"name": "hm", "levels": [{"label": "fitted", "set": {}},
                                  {"label": "fixed", "set": {"rules.pge2_arrests_T_activated.half_max": 7.0}}]}]
    spec = parse_spec(doc)
    post = load_posterior(three_parameters(tmp_path))
    ps = posterior_spec(spec, post, 4)
    assert ps.name == "tiny_posterior" and ps.factors[0].name == POSTERIOR_FACTOR and ps.control_inherit is None
    p = plan(ps)
    assert len(p.runs) == 4 * len(plan(spec).runs)
    draws = post.draw(4, np.random.default_rng([spec.master_seed, 0x706F7374]))
    base = base_data(spec)
    arms: dict[tuple[str, int, str], set[int]] = {}
    for run in p.runs:
        unseen = get_path(run.config, "rules.tgfb_arrests_T_activated.half_max")
        k = [abs(d["unseen"] - unseen) < 1e-9 for d in draws].index(True)  # the draw this run carries
        for key in PGE2_KEYS:  # multiply: the draw x the base config's value, on every key
            assert get_path(run.config, key) == pytest.approx(draws[k]["pge2"] * get_path(base, key))
        half_max = get_path(run.config, "rules.pge2_arrests_T_activated.half_max")
        fixed = half_max == 7.0
        assert fixed or half_max == pytest.approx(draws[k]["half_max"])
        role = "control" if run.meta()["condition"].startswith("control") else "condition"
        arms.setdefault((role, get_path(run.config, "cells.CD8.count"), "fixed" if fixed else "fitted"), set()).add(k)
    assert set(arms) == {(r, n, h) for r in ("condition", "control") for n in (2, 12) for h in ("fitted", "fixed")}
    assert all(ks == {0, 1, 2, 3} for ks in arms.values())  # each draw x level has its arm and its control


def test_a_posterior_run_writes_predictive_intervals(tmp_path, capsys):
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(tomli_w.dumps(tiny_spec()))
    out = tmp_path / "out"
    assert main(["experiment", str(spec_file), "--posterior", str(three_parameters(tmp_path)), "--draws", "3",
                 "--in-process", "--quiet", "--out", str(out)]) == 0
    pred = pd.read_csv(out / "predictive.csv")
    assert set(pred["readout"]) >= {"n_T", "births_T_total"} and (pred["draws"] == 3).all() and (pred["n"] == 6).all()
    assert (pred["p2_5"] <= pred["mean"]).all() and (pred["mean"] <= pred["p97_5"]).all()
    res = pd.read_parquet(out / "results.parquet")
    assert res[POSTERIOR_FACTOR].nunique() == 3
    assert "Predictive intervals" in (out / "report.md").read_text()


@pytest.mark.parametrize("args, path", [
    (["--draws", "3"], "--draws"),
    (["--posterior", "{fit}", "--draws", "1"], "--draws"),
    (["--posterior", "{empty}"], "--posterior"),
    (["--posterior", "{nointervals}"], "--posterior"),
    (["--posterior", "{broken}"], "--posterior"),
    (["--posterior", "{nonpositive}"], "--posterior"),
])
def test_bad_posterior_options_exit_2_with_the_option_before_any_run(tmp_path, capsys, args, path):
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(tomli_w.dumps(tiny_spec()))
    folders = {"fit": three_parameters(tmp_path), "empty": tmp_path / "empty",
               "nointervals": fit_folder(tmp_path, [{k: v for k, v in param("x", ["a.b"], [1, 2], 1.5, 0.1).items()
                                                     if k not in ("identified", "sd_search")}], [[1.0]], "noint"),
               "broken": tmp_path / "broken",
               "nonpositive": fit_folder(tmp_path, [param("x", PGE2_KEYS, [0.0, 2.0], 1.0, 0.1, log=True)], [[1.0]],
                                         "nonpositive")}
    folders["empty"].mkdir()
    folders["broken"].mkdir()
    (folders["broken"] / "fit.json").write_text('{"parameters": [{"name": "x"}]}')
    args = [a.format(**folders) for a in args]
    assert main(["experiment", str(spec_file), *args, "--in-process", "--quiet", "--out", str(tmp_path / "o")]) == 2
    assert path in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def tiny_cohort(replicates: int = 4) -> dict:
    """tiny_spec as a virtual cohort: two arms (4 MSCs, none), each patient drawing its NK count."""
    doc = tiny_spec()
    doc["experiment"]["replicates"] = replicates
    doc["design"] = {"kind": "conditions", "conditions": [{"id": "MSC", "set": {"cells.MSC.count": 4}},
                                                          {"id": "none", "set": {"cells.MSC.count": 0}}]}
    doc["patients"] = {"vary": [{"name": "nk", "keys": ["cells.NK.count"], "dist": "uniform", "low": 0.0,
                                 "high": 6.0, "integer": True}]}
    doc.pop("control")
    doc["readouts"].pop("derived")
    return doc


def test_a_cohort_takes_one_draw_per_patient_paired_across_arms(tmp_path):
    """A conditions design (a virtual cohort) gains [[patients.sets]]: patient r runs at draw r mod N in every arm;
    the patients' own draws and seeds are those of the spec without the posterior; the run writes predictive
    intervals per arm."""
    spec = parse_spec(tiny_cohort())
    post = load_posterior(three_parameters(tmp_path))
    ps = posterior_spec(spec, post, 2)
    draws = post.draw(2, np.random.default_rng([spec.master_seed, 0x706F7374]))
    before = {(r.condition, r.replicate): r for r in plan(spec).runs}
    runs = plan(ps).runs
    assert len(runs) == len(before) == 8
    for r in runs:
        k = r.replicate % 2
        assert r.patient["set"] == k and r.patient["nk"] == before[(r.condition, r.replicate)].patient["nk"]
        assert r.seed == before[(r.condition, r.replicate)].seed
        assert get_path(r.config, "cells.NK.count") == get_path(before[(r.condition, r.replicate)].config,
                                                                "cells.NK.count")
        assert get_path(r.config, "rules.pge2_arrests_T_activated.half_max") == pytest.approx(draws[k]["half_max"])
    with pytest.raises(ConfigError, match="allowed: 2 to 4"):
        posterior_spec(spec, post, 5)  # more draws than patients: some would never run
    clash = tiny_cohort()
    clash["patients"]["vary"][0]["keys"] = ["rules.pge2_arrests_T_activated.half_max"]
    clash["patients"]["vary"][0].pop("integer")
    with pytest.raises(ConfigError, match="also drawn per patient"):
        posterior_spec(parse_spec(clash), post, 2)
    with pytest.raises(ConfigError, match="at least 2 patients"):
        posterior_spec(parse_spec(tiny_cohort(replicates=1)), post, 2)
    elsewhere = load_posterior(fit_folder(tmp_path, [{**param("x", PGE2_KEYS, [0.1, 10.0], 1.0, 0.1, scale="multiply"),
                                                      "specs": ["other_spec"]}], [[1.0]], "elsewhere"))
    with pytest.raises(ConfigError, match="no parameter of fit"):
        posterior_spec(spec, elsewhere, 2)
    spec_file = tmp_path / "cohort.toml"
    spec_file.write_text(tomli_w.dumps(tiny_cohort(replicates=2)))
    out = tmp_path / "out"
    assert main(["experiment", str(spec_file), "--posterior", str(three_parameters(tmp_path, "fit2")),
                 "--in-process", "--quiet", "--out", str(out)]) == 0  # default draws: at most the patients
    pred = pd.read_csv(out / "predictive.csv")
    assert set(pred["condition"]) == {"MSC", "none"} and (pred["draws"] == 2).all() and (pred["n"] == 2).all()
    assert "patient_set" in (out / "report.md").read_text()


def test_sampled_designs_take_no_posterior_draws(tmp_path):
    doc = tiny_spec()
    doc["design"] = {"kind": "morris", "samples": 2, "levels": 4,
                     "parameters": [{"name": "t", "keys": ["cells.T.count"], "bounds": [10, 20], "integer": True},
                                    {"name": "c", "keys": ["cells.CD8.count"], "bounds": [4, 8], "integer": True}]}
    doc.pop("control")
    doc["readouts"].pop("derived")
    with pytest.raises(ConfigError, match="'grid' or 'conditions'"):
        posterior_spec(parse_spec(doc), load_posterior(three_parameters(tmp_path)), 3)


def tiny_spec() -> dict:
    """A 100 x 100 um well, 20 steps: MSCs 0 or 4, each against a matched no-MSC control; 2 replicates."""
    tiny = {"domain.width_um": 100.0, "domain.height_um": 100.0, "cells.T.count": 20, "cells.CD8.count": 8,
            "cells.B.count": 0, "cells.NK.count": 0, "cells.MAC.count": 0, "cells.DC.count": 3,
            "cells.MSC.count": 0, "output.snapshot_every": 0}
    return {
        "experiment": {"name": "tiny", "master_seed": 7, "replicates": 2, "steps": 20, "record_every": 10},
        "base": {"config": "coculture", "set": tiny},
        "design": {"kind": "grid", "factors": [{"name": "msc", "key": "cells.MSC.count", "values": [4]}]},
        "control": {"set": {"cells.MSC.count": 0}},
        "readouts": {"final": ["n_T", "births_T_total"],
                     "derived": [{"name": "supp_pct", "kind": "suppression", "of": "n_T"}]},
    }
