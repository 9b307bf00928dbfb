"""The mscabm command: run output folder, validate, clean errors with exit code 2."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mscabm.cli import main

# a 300 um square holds ~8e4 um^2 of packed discs: every default type is scaled down to fit
SMALL = ["--set", "domain.width_um=300", "--set", "domain.height_um=300", "--set", "cells.T.count=150",
         "--set", "cells.CD8.count=60", "--set", "cells.B.count=30", "--set", "cells.NK.count=20",
         "--set", "cells.DC.count=5", "--set", "cells.MAC.count=20",
         "--set", "cells.MSC.count=10", "--set", "output.record_every=5", "--set", "output.snapshot_every=10"]


def test_run_writes_output_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--steps", "20", "--seed", "3", "--out", str(out), "--quiet", *SMALL]) == 0
    text = capsys.readouterr().out
    assert "cell-steps/s" in text and str(out) in text
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 5 and list(ts["step"]) == [0, 5, 10, 15, 20]
    assert {"time_min", "n_T", "n_T_naive", "n_T_Treg", "n_CD8", "n_CD8_CTL", "mean_IL2_pM", "mean_EV_pM",
            "Th17_Treg_ratio", "T_proliferation_index"} <= set(ts.columns)
    assert ts["n_CD8"].iloc[0] == 60 and ts["n_MSC"].iloc[0] == 10
    snaps = sorted(p.name for p in (out / "cells").iterdir())
    assert snaps == ["step_000000.parquet", "step_000010.parquet", "step_000020.parquet"]
    cells = pd.read_parquet(out / "cells" / "step_000020.parquet")
    assert len(cells) > 0 and {"id", "type", "state", "x_um", "y_um"} <= set(cells.columns)
    fields = np.load(out / "fields" / "step_000020.npz")
    assert fields["PGE2"].shape == (30, 30)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 20
    assert main(["validate", str(out / "config.toml")]) == 0  # the resolved config reruns
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize("args, fragment", [
    (["run", "--set", "domain.width_um=-5"], "domain.width_um"),
    (["run", "--set", "fields.PGE2.diffusion_um2_per_min=-1"], "fields.PGE2.diffusion_um2_per_min"),
    (["validate", "--set", "cells.T.count=99999999"], "cells"),
    (["run", "nonexistent.toml"], "not found"),
    (["run", "--set", "model.bogus=1"], "unknown key"),
])
def test_bad_input_exit_2_without_traceback(args, fragment):
    proc = subprocess.run([sys.executable, "-m", "mscabm", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_for_each_command():
    for cmd in ([], ["run"], ["validate"], ["show-config"]):
        proc = subprocess.run([sys.executable, "-m", "mscabm", *cmd, "--help"], capture_output=True, text=True)
        assert proc.returncode == 0 and "usage: mscabm" in proc.stdout


def test_same_seed_identical_timeseries_across_thread_counts(tmp_path):
    """Determinism: same config + seed -> byte-identical time series, NUMBA_NUM_THREADS=1 vs 2, and twice."""
    outs = []
    for k, threads in enumerate(["1", "2", "2"]):
        out = tmp_path / f"r{k}"
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        proc = subprocess.run([sys.executable, "-m", "mscabm", "run", "--steps", "40", "--seed", "11", "--quiet",
                               "--out", str(out), *SMALL], env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    frames = [pd.read_parquet(o / "timeseries.parquet") for o in outs]
    assert frames[0].equals(frames[1]) and frames[1].equals(frames[2])
    cells = [pd.read_parquet(o / "cells" / "step_000040.parquet") for o in outs]
    assert cells[0].equals(cells[1])
    f0, f1 = np.load(outs[0] / "fields" / "step_000040.npz"), np.load(outs[1] / "fields" / "step_000040.npz")
    for k in f0.files:
        assert np.array_equal(f0[k], f1[k])


def test_reliability_fuzz_findings_exit_2_with_the_key_path(tmp_path, capsys):
    """Issue 24's findings: a 5000-digit integer, calibrate --from a folder without runs, and an
    experiment with --threads -1 are refused with exit 2 and the key path, before any run."""
    huge = "9" * 5000
    assert main(["run", "--set", f"model.seed={huge}", "--out", str(tmp_path / "r"), "--quiet", *SMALL]) == 2
    err = capsys.readouterr().err
    assert "--set" in err and "4300 digits" in err and len(err) < 2000  # the bad value is not echoed
    assert main(["calibrate", "--from", str(tmp_path / "nowhere")]) == 2
    assert "--from" in capsys.readouterr().err
    assert main(["experiment", "dose_response", "--threads", "-1", "--out", str(tmp_path / "x")]) == 2
    assert "--threads" in capsys.readouterr().err and not (tmp_path / "x").exists()
    bad = tmp_path / "huge.toml"
    bad.write_text(f"[model]\nseed = {huge}\n")
    assert main(["validate", str(bad)]) == 2
    assert "4300 digits" in capsys.readouterr().err
    afile = tmp_path / "afile"
    afile.write_text("")
    assert main(["experiment", "dose_response", "--out", str(afile)]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["experiment", "dose_response", "--scheduler", "not a url", "--out", str(tmp_path / "s")]) == 2
    assert "--scheduler" in capsys.readouterr().err


def test_run_out_over_an_earlier_run_is_refused_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "r"
    args = ["run", "--steps", "3", "--out", str(out), "--quiet", *SMALL]
    assert main(args) == 0
    (out / "cells" / "step_999999.parquet").write_bytes(b"stale")  # a snapshot the new run would not write
    assert main(args) == 2
    assert "--out" in capsys.readouterr().err and (out / "cells" / "step_999999.parquet").exists()
    assert main(args + ["--overwrite"]) == 0
    assert not (out / "cells" / "step_999999.parquet").exists() and (out / "summary.json").is_file()
    (out / "notes.txt").write_text("mine")
    assert main(args + ["--overwrite"]) == 2  # not a run's file: never deleted
    assert (out / "notes.txt").read_text() == "mine"

