"""Experiment runner: spec validation, plans and seeds, failures, resume after SIGKILL, executors
(in-process, local process pool, Dask LocalCluster), results and reports. Tiny domains, few steps."""

from __future__ import annotations

import json
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
from mscabm.config import default_config_dict
from mscabm.experiments import parse_spec, plan, run
from mscabm.experiments.manifest import read_manifest, slug
from mscabm.experiments.spec import SPEC_DIR
from mscabm.schema import ConfigError

ROOT = Path(__file__).resolve().parents[1]

TINY = {
    "domain.width_um": 100.0, "domain.height_um": 100.0, "domain.voxel_um": 10.0,
    "cells.T.count": 20, "cells.CD8.count": 8, "cells.B.count": 0, "cells.NK.count": 0, "cells.MAC.count": 0,
    "cells.DC.count": 3, "cells.MSC.count": 0, "output.snapshot_every": 0,
}


def tiny_spec(steps: int = 30, replicates: int = 2, msc=(0, 4), extra_conditions=False) -> dict:
    doc = {
        "experiment": {"name": "tiny", "master_seed": 7, "replicates": replicates, "steps": steps, "record_every": 10},
        "base": {"set": dict(TINY)},
        "design": {"kind": "grid", "factors": [
            {"name": "stim", "levels": [{"label": "MLR", "set": {"cells.DC.count": 3}},
                                        {"label": "mitogen", "set": {"cells.DC.count": 0,
                                                                     "cells.T.initial_state": "activated"}}]},
            {"name": "msc", "key": "cells.MSC.count", "values": list(msc)},
        ]},
        "control": {"set": {"cells.MSC.count": 0}, "inherit": ["stim"]},
        "readouts": {"final": ["n_T", "births_T_total", "n_T_activated"],
                     "derived": [{"name": "activated_fraction", "kind": "ratio", "num": "n_T_activated", "den": "n_T"},
                                 {"name": "peak_T", "kind": "max", "of": "n_T"},
                                 {"name": "supp_pct", "kind": "suppression", "of": "n_T"}]},
    }
    return doc


def strip(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["wall_s"]).reset_index(drop=True)


# ---------------------------------------------------------------------------- spec validation
@pytest.mark.parametrize("mutate, path", [
    (lambda d: d["experiment"].pop("name"), "experiment.name"),
    (lambda d: d["experiment"].update(replicates=0), "experiment.replicates"),
    (lambda d: d["experiment"].update(replicates=True), "experiment.replicates"),
    (lambda d: d["experiment"].update(colour="red"), "experiment.colour"),
    (lambda d: d["experiment"].update(seeds="random"), "experiment.seeds"),
    (lambda d: d["design"].update(kind="latin"), "design.kind"),
    (lambda d: d["design"]["factors"][1].update(values=[0, [1]]), "design.factors[1].values[1]"),
    (lambda d: d["design"]["factors"][1].update(labels=["a"]), "design.factors[1].labels"),
    (lambda d: d["design"]["factors"][0]["levels"][1].pop("set"), "design.factors[0].levels[1].set"),
    (lambda d: d["design"]["factors"][1].update(name="stim"), "design.factors[1].name"),
    (lambda d: d["readouts"]["derived"][0].update(kind="log"), "readouts.derived[0].kind"),
    (lambda d: d["readouts"]["derived"][0].update(den="nope"), "readouts.derived[0].den"),
    (lambda d: d["readouts"]["derived"][1].update(of="n_B"), "readouts.derived[1].of"),
    (lambda d: d.pop("control"), "readouts.derived[2].kind"),
    (lambda d: d["control"].update(inherit=["dose"]), "control.inherit[0]"),
    (lambda d: d.update(report={"x": "dose"}), "report.x"),
    (lambda d: d.update(report={"y": ["n_B"]}), "report.y[0]"),
])
def test_spec_errors_name_the_key_path(mutate, path):
    doc = tiny_spec()
    mutate(doc)
    with pytest.raises(ConfigError) as exc:
        parse_spec(doc)
    assert exc.value.path == path, str(exc.value)


@pytest.mark.parametrize("mutate, path, allowed", [
    (lambda d: d["experiment"].update(replicates=0), "experiment.replicates", ">= 1 and <= 10000"),
    (lambda d: d["experiment"].update(master_seed=-1), "experiment.master_seed", ">= 0"),
    (lambda d: d["experiment"].update(seeds="random"), "experiment.seeds", "one of common, independent"),
    (lambda d: d["experiment"].update(name="1x"), "experiment.name", "letters, digits and _"),
    (lambda d: d["design"].update(kind="latin"), "design.kind", "one of grid, conditions, morris, sobol"),
    (lambda d: d["design"].update(samples=4), "design.samples", "allowed keys: kind, factors"),
    (lambda d: d["readouts"]["derived"][0].update(on_zero="zero"), "readouts.derived[0].on_zero", "one of error, nan"),
    (lambda d: d["experiment"].update(steps=-5), "experiment.steps", ">= 0"),
    (lambda d: d.update(report={"kind": "cohort", "responder_drop_pct": 120.0}), "report.responder_drop_pct",
     "<= 100.0"),
])
def test_spec_errors_give_the_allowed_range(mutate, path, allowed):
    doc = tiny_spec()
    mutate(doc)
    with pytest.raises(ConfigError) as exc:
        parse_spec(doc)
    assert exc.value.path == path and allowed in exc.value.message, str(exc.value)


def test_spec_values_keep_their_types():
    """Set values pass through the schema as given: integers stay integers, floats floats (int | float)."""
    doc = tiny_spec()
    doc["design"]["factors"][1] = {"name": "msc", "key": "cells.MSC.count", "values": [0, 2, 3.5, "x", True]}
    spec = parse_spec(doc)
    values = [lv.set["cells.MSC.count"] for lv in spec.factors[1].levels]
    assert values == [0, 2, 3.5, "x", True] and [type(v) for v in values] == [int, int, float, str, bool]
    assert [lv.numeric for lv in spec.factors[1].levels] == [0.0, 2.0, 3.5, None, None]
    doc = tiny_spec()
    doc["base"]["set"] = {"cells": {"T": {"count": 5}}, "domain.width_um": 100}  # nested tables flatten to dotted keys
    spec = parse_spec(doc)
    assert spec.base_set == {"cells.T.count": 5, "domain.width_um": 100}
    assert isinstance(spec.base_set["domain.width_um"], int)


def test_sampled_parameters_and_patient_draws_apply_values_alike():
    """One Parameter concept: a sampled design parameter and a patient variable set their keys the same way."""
    from mscabm.experiments.patients import parse_patients

    doc = tiny_spec(replicates=1)
    doc["design"] = {"kind": "morris", "samples": 2, "parameters": [
        {"name": "msc", "keys": ["cells.MSC.count"], "bounds": [1, 8], "scale": "multiply", "integer": True},
        {"name": "t", "keys": ["cells.T.count"], "bounds": [10, 20]}]}
    doc["control"] = {"set": {"cells.MSC.count": 0}, "inherit": []}
    doc["readouts"]["derived"] = []
    sampled = parse_spec(doc).parameters[0]
    drawn = parse_patients({"vary": [{"name": "msc", "keys": ["cells.MSC.count"], "dist": "uniform", "low": 1,
                                      "high": 8, "scale": "multiply", "integer": True}]})[0]
    base = {"cells": {"MSC": {"count": 3}}}
    for x in (1.0, 2.4, 2.6, 7.9):
        assert sampled.apply(x, base, "p") == drawn.apply(x, base, "p") == {"cells.MSC.count": int(round(3 * x))}
    for prm, path in ((sampled, "design.parameters[0].keys[0]"), (drawn, "patients.vary[0].keys[0]")):
        with pytest.raises(ConfigError) as exc:
            prm.apply(2.0, {"cells": {"MSC": {"count": "many"}}}, path.rsplit(".keys", 1)[0])
        assert exc.value.path == path and "needs a number" in exc.value.message
    # a multiply key the base config lacks fails the plan with the parameter's key path
    doc["design"]["parameters"][0]["keys"] = ["cells.MSC.nope"]
    with pytest.raises(ConfigError) as exc:
        plan(parse_spec(doc))
    assert exc.value.path == "design.parameters[0].keys[0]"


def test_experiment_modules_import_only_lower_layers():
    """The layers listed in mscabm.experiments' docstring: a module imports only modules listed above it;
    the package's public API (``__init__``: run, load_spec, plan) sits between report and cli."""
    import ast

    import mscabm.experiments as mx

    block = mx.__doc__.split("Layers", 1)[1]
    layers = [line.split()[0] for line in block.splitlines()[2:] if line.startswith("    ") and line.split()]
    pkg = Path(mx.__file__).parent
    modules = {p.stem for p in pkg.glob("*.py")}
    assert sorted(layers) == sorted(modules - {"__init__"}) and layers[-1] == "cli"
    layers.insert(len(layers) - 1, "__init__")
    for i, name in enumerate(layers):
        tree = ast.parse((pkg / f"{name}.py").read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "mscabm.experiments":
                imported |= {a.name if a.name in modules else "__init__" for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mscabm.experiments."):
                imported.add(node.module.split(".")[2])
            elif isinstance(node, ast.Import):
                imported |= {a.name.split(".")[2] if a.name.count(".") >= 2 else "__init__" for a in node.names
                             if a.name.startswith("mscabm.experiments")}
        assert imported <= set(layers[:i]), f"{name} imports {sorted(imported - set(layers[:i]))} (not below it)"
        assert len((pkg / f"{name}.py").read_text().splitlines()) <= 600, name


def test_condition_config_errors_name_condition_and_key():
    doc = tiny_spec()
    doc["design"]["factors"][1]["values"] = [0, -3]
    with pytest.raises(ConfigError) as exc:
        plan(parse_spec(doc))
    assert "msc=-3" in exc.value.path and exc.value.path.endswith("cells.MSC.count")
    doc = tiny_spec()
    doc["base"]["set"]["domain.nope_um"] = 3
    with pytest.raises(ConfigError, match="domain.nope_um"):
        plan(parse_spec(doc))


_scalars = st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                     st.booleans(), st.lists(st.integers(), max_size=2),
                     st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


_ALL_PATHS = list(_paths(tiny_spec()))


@settings(max_examples=150)
@given(st.sampled_from(_ALL_PATHS), _scalars)
def test_any_mutated_spec_parses_or_raises_config_error(path, value):
    doc = tiny_spec()
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    try:
        spec = parse_spec(doc)
    except ConfigError as exc:
        assert isinstance(exc.path, str)
        return
    try:
        plan(spec)
    except ConfigError:
        pass


@given(st.text(min_size=0, max_size=80))
def test_slugs_are_safe_file_names(text):
    s = slug(text)
    assert s and "/" not in s and "\\" not in s and not s.startswith(".") and ".." not in s and len(s) <= 48


def test_condition_ids_cannot_escape_the_folder():
    doc = tiny_spec()
    doc["design"] = {"kind": "conditions", "conditions": [{"id": "../../etc/passwd", "set": {"cells.MSC.count": 2}},
                                                          {"id": "/abs/..", "set": {}}]}
    doc["control"].pop("inherit")
    p = plan(parse_spec(doc))
    for r in p.runs:
        assert "/" not in r.run_id and not r.run_id.startswith(".")
        assert (Path("/x/parts") / f"{r.run_id}.parquet").resolve().parent == Path("/x/parts")


def test_plan_seeds_controls_and_ids_are_stable():
    spec = parse_spec(tiny_spec(replicates=3))
    p1, p2 = plan(spec), plan(spec)
    assert [r.meta() for r in p1.runs] == [r.meta() for r in p2.runs]
    # the no-MSC conditions are their own matched controls: no extra control runs
    assert len(p1.conditions) == 4 and all(c.role == "condition" for c in p1.conditions)
    ctrl = {c.id: c.control for c in p1.conditions}
    assert ctrl["stim=MLR,msc=4"] == "stim=MLR,msc=0" and ctrl["stim=mitogen,msc=4"] == "stim=mitogen,msc=0"
    # common random numbers: replicate r has one seed in every condition; replicates differ
    seeds = {(r.condition, r.replicate): r.seed for r in p1.runs}
    assert seeds[("stim=MLR,msc=4", 1)] == seeds[("stim=mitogen,msc=0", 1)] != seeds[("stim=MLR,msc=4", 0)]
    doc = tiny_spec(replicates=3)
    doc["experiment"]["seeds"] = "independent"
    p3 = plan(parse_spec(doc))
    assert len({r.seed for r in p3.runs}) == len(p3.runs)
    doc["experiment"]["master_seed"] = 8
    assert plan(parse_spec(doc)).runs[0].seed != p3.runs[0].seed


def test_extra_control_conditions_when_not_in_the_design():
    doc = tiny_spec(msc=(4, 8))
    p = plan(parse_spec(doc))
    roles = [c.role for c in p.conditions]
    assert roles.count("control") == 2 and len(p.runs) == 6 * 2


# ---------------------------------------------------------------------------- running
def test_run_in_process_results_summary_report_and_failures(tmp_path):
    doc = tiny_spec()
    doc["design"]["factors"][1]["values"] = [0, 4]
    # a level that empties the responder population: the ratio readout divides by zero
    doc["design"]["factors"][0]["levels"].append({"label": "empty", "set": {"cells.T.count": 0, "cells.DC.count": 0}})
    df = run(doc, tmp_path / "e", in_process=True, progress=False)
    assert len(df) == 12
    failed = df[df["status"] == "failed"]
    assert set(failed["condition"]) == {"stim=empty,msc=0", "stim=empty,msc=4"}
    assert failed["error"].str.contains("ZeroDivisionError: readout 'activated_fraction'").all()
    ok = df[df["status"] == "done"]
    assert len(ok) == 8 and ok["n_T"].notna().all() and (ok["peak_T"] >= ok["n_T"]).all()
    ctrl = ok[ok["condition"] == "stim=MLR,msc=0"]
    assert np.allclose(ctrl["supp_pct"], 0.0)
    out = tmp_path / "e"
    for name in ("results.parquet", "summary.csv", "figure.png", "figure.svg", "report.md", "manifest.parquet",
                 "spec.toml", "plan.json"):
        assert (out / name).is_file(), name
    assert len(list((out / "parts").glob("*.parquet"))) == 8
    part = pd.read_parquet(next((out / "parts").glob("*.parquet")))
    assert list(part["step"]) == [0, 10, 20, 30]
    summary = pd.read_csv(out / "summary.csv")
    row = summary[(summary.condition == "stim=MLR,msc=4") & (summary.readout == "n_T")].iloc[0]
    vals = ok[ok.condition == "stim=MLR,msc=4"]["n_T"]
    assert row["n"] == 2 and row["mean"] == pytest.approx(vals.mean()) and row["ci95_low"] <= row["mean"]
    report = (out / "report.md").read_text()
    assert "figure.png" in report and "Failed runs" in report and "ZeroDivisionError" in report
    # the folder is not overwritten silently; `mscabm report` rebuilds from the folder alone
    with pytest.raises(ConfigError, match="--resume"):
        run(doc, out, in_process=True, progress=False)
    (out / "results.parquet").unlink()
    (out / "figure.png").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "figure.png").is_file()
    pd.testing.assert_frame_equal(strip(pd.read_parquet(out / "results.parquet")), strip(df))
    # resume reruns only the failed runs (they fail again); finished runs are not touched
    before = {k: v["finished"] for k, v in read_manifest(out).items() if v["status"] == "done"}
    df2 = run(doc, out, in_process=True, progress=False, resume=True)
    after = {k: v["finished"] for k, v in read_manifest(out).items() if v["status"] == "done"}
    assert before == after
    pd.testing.assert_frame_equal(strip(df2), strip(df))


def test_local_pool_gives_the_same_results_as_in_process(tmp_path):
    doc = tiny_spec(steps=20)
    a = run(doc, tmp_path / "a", in_process=True, progress=False, report=False)
    b = run(doc, tmp_path / "b", workers=2, progress=False, report=False)
    assert (a["status"] == "done").all()
    pd.testing.assert_frame_equal(strip(a), strip(b))


def test_a_batch_of_experiments_equals_each_run_alone_and_refuses_before_writing(tmp_path):
    """run_experiments: two specs' runs share one submission window (the fit's generations) and each folder
    ends as its experiment alone leaves it; a refused spec or a shared folder stops the batch before any
    folder is written."""
    from mscabm.experiments.report import results_table
    from mscabm.experiments.runner import run_experiments

    one, two = tiny_spec(steps=20), tiny_spec(steps=20, msc=(0, 2))
    two["experiment"]["master_seed"] = 11
    alone = [run(d, tmp_path / f"alone{k}", in_process=True, progress=False, report=False)
             for k, d in enumerate((one, two))]
    folders = run_experiments([(parse_spec(one), tmp_path / "b0"), (parse_spec(two), tmp_path / "b1")],
                              workers=2, progress=False)
    assert folders == [tmp_path / "b0", tmp_path / "b1"]
    for ref, folder in zip(alone, folders):
        pd.testing.assert_frame_equal(strip(ref), strip(results_table(folder)))
    bad = tiny_spec(steps=20)
    bad["base"]["set"]["cells.T.count"] = -1
    bad_spec = parse_spec(bad)  # parses: the model refuses the config when the batch plans it
    with pytest.raises(ConfigError, match="cells.T.count"):
        run_experiments([(parse_spec(one), tmp_path / "c0"), (bad_spec, tmp_path / "c1")], in_process=True,
                        progress=False)
    with pytest.raises(ConfigError, match="share an output folder"):
        run_experiments([(parse_spec(one), tmp_path / "d"), (parse_spec(two), tmp_path / "d")], in_process=True,
                        progress=False)
    assert not (tmp_path / "c0").exists() and not (tmp_path / "d").exists()


def test_dask_local_cluster_gives_the_same_results(tmp_path):
    distributed = pytest.importorskip("distributed")
    doc = tiny_spec(steps=20)
    ref = run(doc, tmp_path / "ref", in_process=True, progress=False, report=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        spec_file = tmp_path / "tiny.toml"
        spec_file.write_text(tomli_w.dumps(doc))
        rc = main(["experiment", str(spec_file), "--out", str(tmp_path / "dask"), "--scheduler",
                   cluster.scheduler_address, "--quiet"])
    assert rc == 0
    got = pd.read_parquet(tmp_path / "dask" / "results.parquet")
    pd.testing.assert_frame_equal(strip(got), strip(ref))
    hosts = {json.loads(p.read_text())["pid"] for p in (tmp_path / "dask" / "runs").glob("*.json")}
    assert os.getpid() not in hosts


def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path):
    doc = tiny_spec(steps=120, replicates=3)  # ~5 s per run with the 18-field default on 2 busy cores
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(tomli_w.dumps(doc))
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "mscabm", "experiment", str(spec_file), "--out", str(out), "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and len(read_manifest(out)) < 2 and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its worker process, mid-way
    proc.wait()
    first = {k: v for k, v in read_manifest(out).items() if v["status"] == "done"}
    assert 2 <= len(first) < 12, f"killed too late or too early: {len(first)} runs finished"
    assert not (out / "results.parquet").exists()
    proc = subprocess.run(cmd + ["--resume"], cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-2000:]
    second = read_manifest(out)
    for k, v in first.items():  # finished runs were not recomputed
        assert second[k]["finished"] == v["finished"] and second[k]["pid"] == v["pid"]
    assert len({v["pid"] for v in second.values()}) == 2
    resumed = pd.read_parquet(out / "results.parquet")
    ref = run(doc, tmp_path / "ref", in_process=True, progress=False, report=False)
    pd.testing.assert_frame_equal(strip(resumed), strip(ref))
    for p in (tmp_path / "ref" / "parts").glob("*.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(p), pd.read_parquet(out / "parts" / p.name))


def test_cli_bad_spec_exits_2_with_key_path(tmp_path, capsys):
    doc = tiny_spec()
    doc["experiment"]["replicates"] = -1
    f = tmp_path / "bad.toml"
    f.write_text(tomli_w.dumps(doc))
    assert main(["experiment", str(f), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "experiment.replicates" in err and ">= 1" in err and "Traceback" not in err
    assert main(["experiment", str(tmp_path / "missing.toml")]) == 2
    assert main(["report", str(tmp_path)]) == 2


def test_morris_sensitivity_design(tmp_path):
    doc = tiny_spec(steps=20, replicates=1)
    doc["base"]["set"]["cells.MSC.count"] = 4
    doc["design"] = {"kind": "morris", "samples": 2, "levels": 4, "parameters": [
        {"name": "pge2", "keys": ["behaviours.MSC.naive.export_PGE2_molecules_per_min",
                                  "behaviours.MSC.licensed.export_PGE2_molecules_per_min"],
         "bounds": [0.1, 10.0], "scale": "multiply", "log": True},
        {"name": "ido", "keys": ["behaviours.MSC.licensed.uptake_TRP_per_min"], "bounds": [0.0, 0.1]},
        {"name": "msc", "keys": ["cells.MSC.count"], "bounds": [1, 8], "integer": True}]}
    doc["control"] = {"set": {"cells.MSC.count": 0}, "inherit": []}
    doc["readouts"]["derived"] = [{"name": "supp_pct", "kind": "suppression", "of": "n_T_activated"}]
    spec = parse_spec(doc)
    p = plan(spec)
    assert sum(c.role == "condition" for c in p.conditions) == (3 + 1) * 2
    assert sum(c.role == "control" for c in p.conditions) == 1
    s0 = p.conditions[0]
    default_pge2 = default_config_dict()["behaviours"]["MSC"]["licensed"]["export_PGE2_molecules_per_min"]
    assert s0.set["behaviours.MSC.licensed.export_PGE2_molecules_per_min"] == pytest.approx(
        default_pge2 * s0.columns["pge2"])
    run(doc, tmp_path / "m", in_process=True, progress=False)
    sens = pd.read_csv(tmp_path / "m" / "sensitivity.csv")
    assert list(sens["parameter"]) == ["pge2", "ido", "msc"]
    assert "mu_star" in sens.columns or "note" in sens.columns
    assert (tmp_path / "m" / "figure.png").is_file() or "note" in sens.columns


def test_shipped_specs_are_valid():
    specs = sorted(SPEC_DIR.glob("*.toml"))
    assert any(p.name == "dose_response.toml" for p in specs)
    from mscabm.experiments import load_spec
    from mscabm.experiments.runner import _check_readouts

    for p in specs:
        pl = plan(load_spec(p))
        _check_readouts(pl)  # every readout the spec names exists in the model (e.g. no removed states)


def test_model_runs_under_mesa_batch_run():
    import mesa

    from mscabm.model import MSCModel

    params = {f"{k}": v for k, v in TINY.items()}
    params.update({"cells.MSC.count": [0, 3], "model.steps": 5})
    rows = mesa.batch_run(MSCModel, params, rng=[1], max_steps=5, number_processes=1, display_progress=False)
    assert len(rows) >= 2 and {"n_T", "cells.MSC.count"} <= set(rows[0])


def test_dry_run_checks_a_spec_and_prints_its_plan_without_running(tmp_path, capsys):
    assert main(["experiment", "pge2_24h", "--dry-run", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "pge2_24h: valid;" in out and " runs of " in out and "control" in out
    assert not (tmp_path / "out").exists()
    doc = tomllib.loads((SPEC_DIR / "pge2_24h.toml").read_text())
    doc["readouts"]["final"] = [*doc["readouts"]["final"], "mean_PGE2_pM"]  # PGE2 is in nM: a reader's typo
    (tmp_path / "typo.toml").write_bytes(tomli_w.dumps(doc).encode())
    assert main(["experiment", str(tmp_path / "typo.toml"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "readouts.final[" in err and "mean_PGE2_pM" in err and "mean_PGE2_nM" in err


def test_fingerprints_ignore_documentation_strings_but_not_values():
    """Mending a doc string or a citation must not make --resume rerun finished runs; changing a value must."""
    from mscabm.experiments import load_spec

    spec = load_spec("pge2_24h")
    base = [r.fingerprint for r in plan(spec).runs]
    spec.base_set = dict(spec.base_set, **{"cells.MSC.variables.CD274.doc": "reworded",
                                           "rules.pge2_arrests_T_activated.source": "another citation"})
    assert [r.fingerprint for r in plan(spec).runs] == base
    spec.base_set = dict(spec.base_set, **{"cells.MSC.variables.CD274.decay_per_min": 0.001})
    assert all(a != b for a, b in zip(base, [r.fingerprint for r in plan(spec).runs]))


def test_missing_runs_are_not_a_success(monkeypatch, capsys):
    """A run that recorded nothing (e.g. Dask workers that cannot see --out) makes the exit status 1."""
    import mscabm.experiments as mx

    monkeypatch.setattr(mx, "run", lambda *a, **k: pd.DataFrame({"status": ["done", "missing"]}))
    assert main(["experiment", "pge2_24h", "--quiet"]) == 1
    assert "1 missing" in capsys.readouterr().out
