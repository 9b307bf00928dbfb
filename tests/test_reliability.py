"""Reliability: checkpoint/resume bit-for-bit after SIGKILL, output safety, numerical guards, fuzzed input."""

import errno
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.biology.celltypes import CELL_TYPES
from mscabm.config import ConfigError, default_config_dict, load_config
from mscabm.model import MSCModel, NumericalError
from mscabm.observe import io as mio
from mscabm.observe.checkpoint import CHECKPOINT_FORMAT, CheckpointError, load_checkpoint, save_checkpoint

# a 300 um square holds ~8e4 um^2 of packed discs: every default type is scaled down to fit
SMALL = ["--set", "domain.width_um=300", "--set", "domain.height_um=300", "--set", "cells.T.count=150",
         "--set", "cells.CD8.count=60", "--set", "cells.B.count=30", "--set", "cells.NK.count=20",
         "--set", "cells.DC.count=5", "--set", "cells.MAC.count=20", "--set", "cells.MSC.count=10",
         "--set", "output.record_every=10", "--set", "output.snapshot_every=200",
         "--set", "output.flush_every=5"]


def _run(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "mscabm", "run", "--quiet", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def _assert_same_run(a, b):
    ta, tb = pd.read_parquet(a / "timeseries.parquet"), pd.read_parquet(b / "timeseries.parquet")
    assert ta.equals(tb)
    names = sorted(p.name for p in (a / "cells").iterdir())
    assert names == sorted(p.name for p in (b / "cells").iterdir())
    for name in names:
        assert pd.read_parquet(a / "cells" / name).equals(pd.read_parquet(b / "cells" / name)), name
        npz = name.replace(".parquet", ".npz")
        fa, fb = np.load(a / "fields" / npz), np.load(b / "fields" / npz)
        for k in fa.files:
            assert np.array_equal(fa[k], fb[k]), (name, k)


def test_sigkill_then_resume_is_bit_identical(tmp_path):
    steps = "1200"
    ref = tmp_path / "ref"
    proc = _run("--steps", steps, "--seed", "5", "--out", str(ref), *SMALL)
    assert proc.returncode == 0, proc.stderr

    killed = tmp_path / "killed"
    p = subprocess.Popen([sys.executable, "-m", "mscabm", "run", "--quiet", "--steps", steps, "--seed", "5",
                          "--checkpoint-every", "100", "--out", str(killed), *SMALL],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ckpt = killed / "checkpoint.npz"
    deadline = time.time() + 240
    while not ckpt.exists() and p.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    assert p.poll() is None, "run finished before it could be killed; make it longer"
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL
    state = load_checkpoint(ckpt)["state"]
    assert 0 < state["steps"] < int(steps)
    # what a killed run leaves is readable: the time series up to its last flush (which may be
    # ahead of the last checkpoint), a prefix of the uninterrupted run's
    partial = pd.read_parquet(killed / "timeseries.parquet")
    full = pd.read_parquet(ref / "timeseries.parquet")
    assert 0 < len(partial) < len(full)
    assert partial.equals(full.iloc[: len(partial)].reset_index(drop=True))

    proc = _run("--resume", str(killed))
    assert proc.returncode == 0, proc.stderr
    _assert_same_run(ref, killed)


def test_resume_errors_are_clear(tmp_path):
    out = tmp_path / "r"
    assert _run("--steps", "30", "--checkpoint-every", "10", "--out", str(out), *SMALL).returncode == 0
    ck = load_checkpoint(out / "checkpoint.npz")
    # old format version
    save_checkpoint(tmp_path / "old.npz", ck["state"], ck["rows"], ck["config_toml"])
    with np.load(tmp_path / "old.npz") as z:
        arrays = {k: z[k] for k in z.files}
    header = bytes(arrays["header"]).replace(b'"format": %d' % CHECKPOINT_FORMAT, b'"format": 0')
    arrays["header"] = np.frombuffer(header, np.uint8)
    np.savez(out / "checkpoint.npz", **arrays)
    proc = _run("--resume", str(out))
    assert proc.returncode == 2 and "format 0" in proc.stderr and "Traceback" not in proc.stderr
    # corrupt file
    (out / "checkpoint.npz").write_bytes(b"PK\x03\x04 garbage")
    proc = _run("--resume", str(out))
    assert proc.returncode == 2 and "not a readable checkpoint" in proc.stderr and "Traceback" not in proc.stderr
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "none.npz")
    # --resume fixes the config: extra options are refused
    proc = _run("--resume", str(out), "--steps", "5")
    assert proc.returncode == 2 and "--resume" in proc.stderr


def test_disk_full_gives_clear_error(tmp_path, monkeypatch):
    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(mio.os, "replace", full)
    with pytest.raises(mio.OutputError, match="disk full while writing"):
        mio.atomic_write_text(tmp_path / "x.txt", "hello")
    assert not list(tmp_path.iterdir())  # the temporary file is cleaned up


def test_numerical_guard_names_step_field_and_voxel():
    tiny = {f"cells.{t}.count": 0 for t in CELL_TYPES if t != "T"}
    m = MSCModel(**{"domain.width_um": 200.0, "domain.height_um": 200.0, "cells.T.count": 20, "output.record_every": 1,
                    **tiny})
    m.step()
    m.lattice.data[2, 3, 4] = np.nan
    with pytest.raises(NumericalError, match=r"field IL2 is .*nan.* \(iy=3, ix=4\)"):
        m.check_numerics()
    m.lattice.data[2, 3, 4] = -1.0
    with pytest.raises(NumericalError, match="IL2"):
        m.check_numerics()


def test_config_time_guards():
    with pytest.raises(ConfigError, match="allowed: <= 1.25 min") as info:
        load_config(overrides=["model.dt_min=2"])
    assert info.value.path == "model.dt_min"
    with pytest.raises(ConfigError) as info:
        load_config(overrides=["model.name=../../etc"])
    assert info.value.path == "model.name"
    with pytest.raises(ConfigError) as info:
        MSCModel(**{"domain.diffusion_scheme": "lod"})
    assert info.value.path == "domain.diffusion_scheme"


@settings(max_examples=25)
@given(
    counts=st.lists(st.integers(0, 40), min_size=len(CELL_TYPES), max_size=len(CELL_TYPES)),
    side=st.sampled_from([50.0, 120.0, 300.0]),
    voxel=st.sampled_from([5.0, 10.0, 25.0]),
    dt=st.sampled_from([0.1, 0.5, 1.0]),
    boundary=st.sampled_from(["zero_flux", "dirichlet", "periodic"]),
    placement=st.sampled_from(["uniform", "centre"]),
    seed=st.integers(0, 2**31),
)
def test_fuzzed_small_models_run_and_keep_invariants(counts, side, voxel, dt, boundary, placement, seed):
    """Random small worlds (crowded, empty, cells piled in the centre): a valid run or a ConfigError."""
    overrides = {"domain.width_um": side, "domain.height_um": side, "domain.voxel_um": voxel, "model.dt_min": dt,
                 "model.seed": seed, "output.record_every": 1}
    for t, c in zip(CELL_TYPES, counts, strict=True):
        overrides[f"cells.{t}.count"] = c
        overrides[f"cells.{t}.placement"] = placement
    for f in default_config_dict()["fields"]:
        overrides[f"fields.{f}.boundary"] = boundary
    try:
        m = MSCModel(**overrides)
    except ConfigError as exc:
        assert exc.path
        return
    for _ in range(5):
        m.step()  # check_numerics runs every step (record_every = 1)
    x, y = m.population["x_um"], m.population["y_um"]
    assert np.all((x >= 0) & (x <= side) & (y >= 0) & (y <= side))
    assert len(m.population) <= sum(counts) * 2


@pytest.mark.slow
def test_soak_memory_flat():
    """A modest soak in CI (benchmarks/soak.py runs 10^4 steps): RSS stays flat once warmed up.

    The model's numpy arrays grow in steps (the population doubles its capacity when the cells pass
    it: 4,096 -> 8,192 slots in this run's last block), so what must stay flat is RSS less those
    arrays: the Python objects, the readout log and the allocator's slack.
    """
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("soak", Path(__file__).parents[1] / "benchmarks" / "soak.py")
    soak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak)
    res = soak.soak(steps=2000, blocks=4)
    blocks = res["blocks"]
    rss = [b["rss_mb"] for b in blocks]
    arrays = [b["array_mb"] for b in blocks]
    print("soak RSS MB per block:", [round(r, 1) for r in rss], "arrays MB:", [round(a, 1) for a in arrays],
          "cells:", [b["cells"] for b in blocks], "capacity:", [b["capacity"] for b in blocks])
    assert arrays[0] > 0.1  # the array census sees the model's columns (else the subtraction is vacuous)
    growth_not_in_arrays = (rss[-1] - arrays[-1]) - (rss[0] - arrays[0])
    assert growth_not_in_arrays < 5.0  # MB: the readout log of 200 records is ~1 MB


@pytest.mark.parametrize("time_min", [10**30, 10**400, float("inf"), 2e15])
def test_a_checkpoint_time_beyond_any_run_is_refused_not_a_traceback(time_min):
    """A time that is a whole number too large for a float (10**30 made np.isfinite raise TypeError) or
    absurdly large is a CheckpointError naming the time, like a NaN."""
    from mscabm.model import MSCModel
    from mscabm.observe.checkpoint import validate_state

    m = MSCModel("coculture", **{"model.steps": 2}, rng=1)
    m.step()
    state = m.state_dict()
    state["time"] = time_min
    store = m.lattice.data
    with pytest.raises(CheckpointError, match="time"):
        validate_state(state, m.population.schema, [len(c.states) for c in m.config.cells.values()],
                       (m.width_um, m.height_um), store.shape, store.dtype)
