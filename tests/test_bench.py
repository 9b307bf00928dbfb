"""Smoke test of the benchmark suite (``mscabm bench --smoke``): it runs, its JSON has every
figure, ratios are finite, the contact pair sets equal cKDTree's and the pure-Mesa reference's
readouts match mscabm's.  No timing is asserted."""

from __future__ import annotations

import json
import math

import pytest

from mscabm.bench import harness
from mscabm.bench.report import summary
from mscabm.bench.suite import KERNELS, run_suite
from mscabm.cli import main
from mscabm.config import default_config_dict


@pytest.fixture(scope="module")
def smoke():
    return run_suite(["all"], mode="smoke")


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def test_machine_and_stream(smoke):
    m = smoke["machine"]
    for k in ("cpu", "cpu_count", "numba_threads", "caches_bytes", "numpy", "numba"):
        assert k in m
    s = smoke["stream"]
    assert _finite(s["copy_gb_s"]) and _finite(s["triad_gb_s"])
    assert s["limit_gb_s"] == max(s["copy_gb_s"], s["triad_gb_s"])


def test_diffusion_structure(smoke):
    d = smoke["diffusion"]
    schemes = {r["scheme"] for r in d["throughput"]}
    assert schemes == {"explicit", "lod", "kernel"}
    assert {r["species_set"] for r in d["throughput"]} == {"1", "default"}
    for r in d["throughput"]:
        assert _finite(r["voxel_updates_per_s"]["median"]) and _finite(r["bw_fraction"]) and _finite(r["vs_biofvm"])
        t = r["timing"]
        assert t["min"] <= t["median"] <= t["max"]
    assert _finite(d["numpy_reference"][0]["numba_speedup"])
    for r in d["model_step"]:
        assert _finite(r["sim_min_per_wall_s"])
        assert len(r["error_by_field"]) == r["species"] == len(default_config_dict()["fields"])
        assert {e["field"] for e in r["error_by_field"]} == set(default_config_dict()["fields"])
    # the default scheme is accurate to the analytic solution (the exact heat kernel)
    auto = next(r for r in d["model_step"] if r["scheme"] == "auto")
    assert auto["max_error"] < 1e-6


def test_contact_pairs_equal(smoke):
    for r in smoke["contact"]["rows"]:
        assert r["pairs_equal"]
        assert 4.0 < r["neighbours_per_cell"] < 8.0
        assert _finite(r["speedup_vs_kdtree"])


def test_exchange_and_model(smoke):
    for r in smoke["exchange"]["rows"]:
        assert _finite(r["cells_per_s"]["median"]) and _finite(r["bw_fraction"])
    rows = smoke["model"]["rows"]
    assert [r["n"] for r in rows] == [300, 1000]
    for r in rows:
        assert _finite(r["cell_steps_per_s"]["median"]) and _finite(r["bytes_per_cell"])
        assert _finite(r["ns_per_cell_step"])
    prof = smoke["model"]["profile"]["per_step_s"]
    assert {"diffuse", "move", "exchange", "sense: contact list"} <= set(prof)


def test_mesa_reference_matches(smoke):
    me = smoke["mesa"]
    for r in me["rows"]:
        assert _finite(r["speedup"])
    match = me["match"]
    assert set(match["readouts"]) == {"msd_um2", "field_total", "field_std", "contacts_per_cell"}
    assert match["all_match"], match["readouts"]
    # the field total is deterministic: equal up to float32 rounding
    assert match["readouts"]["field_total"]["rel_diff"] < 1e-5


def test_targets_and_summary(smoke):
    assert smoke["checks"] == {"contact_pairs_equal_kdtree": True, "mesa_readouts_match": True}
    for t in smoke["targets"]:
        assert math.isfinite(t["value"]) and math.isfinite(t["ratio"])
    text = summary(smoke)
    for title in ("Diffusion throughput", "Contact", "Exchange", "Whole model", "pure Mesa", "Co-culture well",
                  "Where a well step goes", "Start-up", "Targets"):
        assert title in text
    assert "Equal-accuracy comparison at 64^2" in text  # auto vs BioFVM's LOD at 0.01 min
    bio = next(r for r in smoke["diffusion"]["model_step"] if r["scheme"] == "biofvm")
    assert {p[1:] for p in bio["plan"] if p[1] == "lod"} == {("lod", 100)}
    well = smoke["well"]["median"]
    assert well["steps"] == 60 and well["cell_steps"] > 60 * 1000
    assert 0.5 * well["wall_s"] < sum(well["phases_s"].values()) <= well["wall_s"]  # the phases account for the step
    start = smoke["startup"]["median"]
    assert 0 < start["import_mesa_s"] < start["import_s"] < start["to_first_step_s"] < start["process_s"]
    parts = start["import_s"] + start["config_s"] + start["build_s"] + start["first_step_s"]
    assert parts <= start["to_first_step_s"] <= parts + 1.0  # the child's parts + the interpreter's start
    json.dumps(smoke)  # JSON-able as is


def test_plots(smoke, tmp_path):
    pytest.importorskip("matplotlib")
    from mscabm.bench.plots import write_plots

    paths = write_plots(smoke, tmp_path)
    assert {p.name for p in paths} == {f"{k}.png" for k in KERNELS}
    assert all(p.stat().st_size > 1000 for p in paths)


def test_cli_contact_json(tmp_path, capsys):
    out = tmp_path / "sub" / "out.json"
    assert main(["bench", "contact", "--smoke", "--threads", "1", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["benchmarks"] == ["contact"] and res["machine"]["numba_threads"] == 1
    assert "contact" in res and "diffusion" not in res
    assert "pairs equal" in capsys.readouterr().out


def test_cli_bad_input(capsys):
    assert main(["bench", "nosuchkernel", "--smoke"]) == 2
    assert main(["bench", "contact", "--smoke", "--threads", "0"]) == 2
    assert "config error" in capsys.readouterr().err


def test_harness_measure():
    calls = []
    t = harness.measure(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6 and t.repeats == 4 and t.min <= t.median <= t.max
    assert harness.rate(10, t)["low"] <= harness.rate(10, t)["high"]
    assert "| a |" in harness.table(["a"], [[1.0]])


def test_phase_profile_wraps_every_phase_and_restores_the_model():
    """The model's phase profile (bench model at its profile size) times the kernels one step calls, wherever they
    live (mscabm.model, mscabm.sensing, the engine objects), and leaves everything as it found it."""
    import mscabm.model as mm
    import mscabm.sensing as ms
    from mscabm.bench.whole_model import build_model, phase_profile

    m = build_model(300)
    before = (mm.evaluate_behaviours, ms.sample_fields, ms.count_contacts_by_type)
    prof = phase_profile(m, 2)
    for phase in ("sense: sample fields", "sense: contacts by type", "decide: rules", "sense: contact list",
                  "move", "exchange", "diffuse"):
        assert prof[phase] > 0.0, phase
    assert sum(v for k, v in prof.items() if k != "total") == pytest.approx(prof["total"], rel=1e-6)
    assert (mm.evaluate_behaviours, ms.sample_fields, ms.count_contacts_by_type) == before
    assert "find" not in vars(m.contacts) and "step" not in vars(m.diffusion)
