"""Run one simulation to completion with its output folder and a progress bar."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from mscabm.config import Config
from mscabm.interrupts import exit_code
from mscabm.observe.checkpoint import CHECKPOINT_NAME, CheckpointError, load_checkpoint, save_checkpoint, validate_state
from mscabm.observe.output import RunWriter


def default_out_dir(cfg: Config, root: str | Path = "runs") -> Path:
    """``runs/<name>-<YYYYmmdd-HHMMSS>`` (a numeric suffix avoids clashes)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{cfg.model.name}-{stamp}"
    out, k = base, 1
    while out.exists():
        out = base.with_name(f"{base.name}-{k}")
        k += 1
    return out


def kernels_cached() -> bool:
    """True when numba's on-disk cache already holds compiled kernels (no compile pause at step 1)."""
    cache = Path(__file__).resolve().parent / "engine" / "kernels" / "__pycache__"
    return any(cache.glob("*.nbi"))


def run_simulation(cfg: Config, out_dir: str | Path | None = None, progress: bool = True,
                   checkpoint_every: int = 0, resume: bool = False) -> dict[str, Any]:
    """Build the model, step it to ``cfg.model.steps``, write every output; returns the summary.

    ``checkpoint_every`` > 0 writes ``<out>/checkpoint.npz`` every that many steps (atomically).
    ``resume=True`` continues the run in ``out_dir`` from its checkpoint; the result is
    bit-identical to an uninterrupted run.
    """
    from mscabm.model import MSCModel

    out = Path(out_dir) if out_dir is not None else default_out_dir(cfg)
    if progress and not kernels_cached():
        print("mscabm: first run: compiling the numba kernels (~15-30 s, cached afterwards)", file=sys.stderr)
    t0 = time.perf_counter()
    model = MSCModel(cfg)
    t_build = time.perf_counter() - t0
    steps = cfg.model.steps
    if resume:
        ckpt = load_checkpoint(out / CHECKPOINT_NAME)
        if ckpt["config_toml"] != cfg.to_toml():
            raise CheckpointError(f"the checkpoint in {out} was written with a different configuration; "
                                  f"resume with that folder's config.toml (mscabm run --resume {out})")
        validate_state(ckpt["state"], model.population.schema, [len(c.states) for c in cfg.cells.values()],
                       (cfg.domain.width_um, cfg.domain.height_um), model._field_store.shape,
                       model._field_store.dtype)
        try:
            model.load_state_dict(ckpt["state"], history=ckpt["rows"])
        except (LookupError, ValueError, TypeError, AttributeError, ArithmeticError) as exc:  # members validate_state
            # does not know (tally counters, rng state internals, rows): still a bad checkpoint, not a crash
            raise CheckpointError(f"the checkpoint in {out} is malformed ({type(exc).__name__}: "
                                  f"{str(exc)[:200]}); rerun from the start") from None
    writer = RunWriter(out, model)  # from here on the folder holds a run: an interruption still leaves a summary
    snap = cfg.output.snapshot_every
    cell_steps = 0
    t1 = time.perf_counter()

    def timing() -> dict[str, Any]:
        wall = time.perf_counter() - t1
        return {"out_dir": str(out), "wall_s": wall, "build_s": t_build, "cell_steps": cell_steps,
                "cell_steps_per_s": cell_steps / wall if wall > 0 else None}

    try:
        if not resume:
            writer.snapshot()
        with tqdm(total=steps, initial=model.steps, desc=f"mscabm {cfg.model.name}", unit="step",
                  disable=not progress, dynamic_ncols=True) as bar:
            while model.steps < steps:
                cell_steps += len(model.population)
                logged = len(model.log)
                model.step()
                if len(model.log) > logged:  # the model recorded this step
                    writer.sync()
                    bar.set_postfix(cells=model.readouts["n_cells"], refresh=False)
                if snap and model.steps % snap == 0 and model.steps != steps:
                    writer.snapshot()
                if checkpoint_every and model.steps % checkpoint_every == 0 and model.steps != steps:
                    writer.flush()
                    save_checkpoint(out / CHECKPOINT_NAME, model.state_dict(), writer.rows, cfg.to_toml())
                bar.update(1)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (mscabm.interrupts.Interrupted): keep what is done
        last = model.readouts  # the signal may have come mid-step: report the last complete, recorded step
        writer.summary({**timing(), "interrupted": exit_code(exc)[0], "steps_planned": steps,
                        "steps": int(last["step"]), "time_min": float(last["time_min"])})
        raise
    if steps:
        writer.snapshot()
    return writer.summary(timing())
