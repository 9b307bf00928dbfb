"""Run every (condition, replicate) of a plan once, on any ``concurrent.futures.Executor``.

Workers write their own part and manifest row (atomically: temp file + rename; the folder layout
is in :mod:`mscabm.experiments.manifest`); only a small dict travels back. ``resume=True`` skips
runs whose manifest row says ``done`` with the same fingerprint and whose part exists, and reruns
failed or missing ones. Seeds come from the plan (master seed + replicate, or + condition), never
from the order of execution, so resumed runs and any number of workers give identical results.

The runner only runs: results, summary, figure and report are built from the folder afterwards
(:func:`mscabm.experiments.report.build_report`, called by :func:`mscabm.experiments.run`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from mscabm.experiments import executors, manifest
from mscabm.experiments.plan import Plan, plan
from mscabm.experiments.spec import RUN_DERIVED, Spec, load_spec
from mscabm.observe.io import atomic_write_parquet
from mscabm.schema import ConfigError

__all__ = ["execute_run", "run_experiment", "run_experiments", "run_prepared", "Prepared", "default_out_dir"]


# ---------------------------------------------------------------------------- worker side
def _run_derived(derived: list[dict], final: dict[str, float], series: pd.DataFrame) -> dict[str, float]:
    out: dict[str, float] = {}
    values = dict(final)
    for d in derived:
        kind = d["kind"]
        if kind in ("max", "min", "mean"):
            v = float(getattr(series[d["of"]], kind)())
        elif kind == "sum":
            v = float(sum(float(values[t]) for t in d["terms"]))
        elif kind == "difference":
            v = float(values[d["num"]]) - float(values[d["den"]])
        else:  # ratio
            den = float(values[d["den"]])
            if den == 0.0:
                if d["on_zero"] == "nan":
                    v = float("nan")
                else:
                    raise ZeroDivisionError(f"readout {d['name']!r} = {d['num']} / {d['den']}: {d['den']} is 0 "
                                            f"(set on_zero = \"nan\" in the spec to record NaN instead)")
            else:
                v = float(values[d["num"]]) / den
        values[d["name"]] = out[d["name"]] = v
    return out


def execute_run(task: dict[str, Any]) -> dict[str, Any]:
    """Run one simulation; write its part and manifest row; return a small status dict.

    Never raises for a failing simulation: the error is recorded in the manifest row.
    """
    out = Path(task["out"])
    run_id = task["run"]["run_id"]
    row: dict[str, Any] = dict(task["run"], status="failed", error="", traceback="", wall_s=0.0,
                               host=socket.gethostname(), pid=os.getpid(),
                               started=datetime.now(UTC).isoformat(timespec="seconds"))
    t0 = time.perf_counter()
    try:
        threads = task.get("threads") or 0
        if threads:
            import numba

            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        from mscabm.config import build_config
        from mscabm.model import MSCModel

        cfg = build_config(task["config"])
        model = MSCModel(cfg)
        while model.running:
            model.step()
        rows = model.log.rows  # one row per recorded step (the model's readout log)
        series = model.log.to_frame()
        final_all = rows[-1]
        missing = [k for k in task["final"] if k not in final_all]
        if missing:
            raise KeyError(f"unknown readout(s) {missing}; the model has: {', '.join(final_all)}")
        final = {k: float(final_all[k]) for k in task["final"]}
        final.update(_run_derived(task["derived"], final, series))
        series.insert(0, "run_id", run_id)
        atomic_write_parquet(manifest.part_path(out, run_id), series)
        row.update(status="done", final=final)
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the others go on
        row.update(error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(limit=20))
    row["wall_s"] = time.perf_counter() - t0
    row["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        manifest.write_row(out, row)
    except OSError as exc:  # full disk, read-only folder: the run counts as failed (rerun with --resume)
        row.update(status="failed", error=f"could not record the run: {exc.strerror or exc}")
    return {"run_id": run_id, "status": row["status"], "error": row["error"], "wall_s": row["wall_s"]}


# ---------------------------------------------------------------------------- driver side
def default_out_dir(spec: Spec, root: str | Path = "runs/experiments") -> Path:
    return Path(root) / spec.name


def _check_readouts(p: Plan) -> None:
    """Every readout named in the spec exists in the model (checked on a model built, not stepped)."""
    from mscabm.config import build_config
    from mscabm.model import MSCModel

    cfg = dict(p.runs[0].config)
    cfg["model"] = dict(cfg["model"], steps=0)
    names = set(MSCModel(build_config(cfg)).readouts)
    for i, k in enumerate(p.spec.final):
        if k not in names:
            raise ConfigError(f"readouts.final[{i}]", f"unknown readout {k!r}; allowed: {', '.join(sorted(names))}")


#: most local worker processes (each holds a model and numba's thread pool)
MAX_WORKERS = 256


def executor_context(executor: Executor | None, workers: int | None, scheduler: str | None, in_process: bool,
                     threads: int | None):
    """A context manager giving (executor, slots, numba threads per run); a bad ``workers`` raises
    ConfigError here, when called, before anything starts."""
    if executor is not None:
        return nullcontext((executor, workers or executors.cpu_count(), threads or 0))
    if in_process:
        return executors.in_process()
    if scheduler:
        return executors.dask_executor(scheduler, threads or 1)
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise ConfigError("--workers", f"{workers} is out of range; allowed: 1 to {MAX_WORKERS} local processes "
                                       "(a cluster: --scheduler)")
    return executors.local_pool(workers)


def run_experiment(spec: Spec | str | Path, out: str | Path | None = None, *, executor: Executor | None = None,
                   workers: int | None = None, scheduler: str | None = None, resume: bool = False,
                   progress: bool = True, in_process: bool = False, threads: int | None = None) -> Path:
    """Run a spec's planned runs into ``out`` (see the module docstring); returns the folder.

    ``executor``: any ``concurrent.futures.Executor`` (its workers must see ``out``); otherwise a
    local process pool of ``workers`` (default: the cores), Dask at ``scheduler``, or
    ``in_process``. Ends with ``manifest.parquet``; results and report are not built here.
    """
    return run_experiments([(spec, out)], executor=executor, workers=workers, scheduler=scheduler, resume=resume,
                           progress=progress, in_process=in_process, threads=threads)[0]


def run_experiments(jobs: list[tuple[Spec | str | Path, str | Path | None]], *, executor: Executor | None = None,
                    workers: int | None = None, scheduler: str | None = None, resume: bool = False,
                    progress: bool = True, in_process: bool = False, threads: int | None = None,
                    desc: str | None = None) -> list[Path]:
    """Run several (spec, out folder) experiments as one batch; returns their folders, in order.

    Every spec is planned and checked (:meth:`Prepared.check`), before any folder is written; then
    :func:`run_prepared`.
    """
    return run_prepared([Prepared.check(spec, out, resume) for spec, out in jobs], executor=executor,
                        workers=workers, scheduler=scheduler, in_process=in_process, threads=threads,
                        progress=progress, desc=desc)


def run_prepared(prepared: list[Prepared], *, executor: Executor | None = None, workers: int | None = None,
                 scheduler: str | None = None, in_process: bool = False, threads: int | None = None,
                 progress: bool = True, desc: str | None = None) -> list[Path]:
    """Run checked experiments as one batch: their folders are claimed, then the runs of all of them share
    one submission window (2 x the slots), so workers that one small experiment would leave idle take the
    next one's runs (the fit runs a generation of candidates this way). Each folder ends as
    :func:`run_experiment` leaves it, whatever the batch. Two experiments in one folder are refused first."""
    folders = [job.out for job in prepared]
    if len({f.resolve() for f in folders}) != len(folders):
        raise ConfigError("--out", "two experiments of one batch share an output folder; allowed: one folder each")
    ctx = executor_context(executor, workers, scheduler, in_process, threads)
    for job in prepared:
        job.claim()
    if any(job.todo for job in prepared):
        with ctx as (ex, slots, nthreads):
            tasks = [task for job in prepared for task in job.tasks(threads if threads is not None else nthreads)]
            skipped = sum(job.n_runs - len(job.todo) for job in prepared)
            try:
                _drive(ex, slots, tasks, skipped, sum(job.n_runs for job in prepared),
                       desc=desc or f"experiment {prepared[0].spec.name}", progress=progress)
            except KeyboardInterrupt:  # SIGINT / SIGTERM: the finished runs' manifests, then stop
                for out in folders:
                    with contextlib.suppress(OSError):
                        manifest.write_manifest_table(out)
                raise
    for out in folders:
        manifest.write_manifest_table(out)
    return folders


@dataclass
class Prepared:
    """One experiment planned and checked (:meth:`check`): its folder and the runs still to do. Nothing is
    written until :meth:`claim`."""

    spec: Spec
    plan: Plan
    out: Path
    todo: list

    @property
    def n_runs(self) -> int:
        return len(self.plan.runs)

    @classmethod
    def check(cls, spec: Spec | str | Path, out: str | Path | None, resume: bool) -> Prepared:
        """Plan ``spec`` into ``out`` (default: its default folder); refuse (ConfigError) a config the model
        refuses, an unknown readout, or a folder with runs when not ``resume``."""
        if not isinstance(spec, Spec):
            spec = load_spec(spec)
        p = plan(spec)
        _check_readouts(p)
        folder = Path(out) if out is not None else default_out_dir(spec)
        existing = manifest.read_manifest(folder) if folder.exists() else {}
        if existing and not resume:
            raise ConfigError("--out", f"{folder} already holds {len(existing)} run(s); add --resume to continue "
                              "that experiment, or choose another --out")
        todo = [r for r in p.runs
                if not manifest.is_finished(existing.get(r.run_id), r.run_id, r.fingerprint, folder)]
        return cls(spec, p, folder, todo)

    def claim(self) -> None:
        """Create the folder and write the spec and plan it runs."""
        self.out.mkdir(parents=True, exist_ok=True)
        manifest.write_spec_document(self.out, self.spec.document)
        manifest.write_plan(self.out, self.plan.to_json())

    def tasks(self, threads: int | None) -> list[dict]:
        run_derived = [d.__dict__ for d in self.spec.derived if d.kind in RUN_DERIVED]
        return [{"out": str(self.out.resolve()), "run": r.meta(), "config": r.config, "final": self.spec.final,
                 "derived": run_derived, "threads": threads} for r in self.todo]


def _drive(ex: Executor, slots: int, tasks: list[dict], skipped: int, total: int, desc: str,
           progress: bool) -> None:
    """Submit ``tasks`` to ``ex``, at most 2 x ``slots`` in flight, with a progress bar; a worker that dies
    leaves a failed row in its task's folder."""
    from tqdm import tqdm

    window = max(1, 2 * slots)
    done = failed = 0
    bar = tqdm(total=total, initial=skipped, desc=desc, unit="run", disable=not progress, dynamic_ncols=True,
               file=sys.stderr)
    pending: dict[Future, dict] = {}
    queue = iter(tasks)

    def submit_next() -> bool:
        task = next(queue, None)
        if task is None:
            return False
        pending[ex.submit(execute_run, task)] = task
        return True

    try:
        while len(pending) < window and submit_next():
            pass
        while pending:
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in finished:
                task = pending.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - the worker itself died
                    res = {"status": "failed"}
                    with contextlib.suppress(OSError):  # a full disk fails the write too: the run stays unfinished
                        manifest.write_row(Path(task["out"]), dict(task["run"], status="failed",
                                                     error=f"worker failed: {type(exc).__name__}: {exc}",
                                                     traceback="", wall_s=0.0))
                if res["status"] == "done":
                    done += 1
                else:
                    failed += 1
                bar.set_postfix(done=done + skipped, failed=failed, refresh=False)
                bar.update(1)
                submit_next()
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise
    finally:
        bar.close()
