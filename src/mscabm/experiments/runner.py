"""Run every (condition, replicate) of a spec once, on any ``concurrent.futures.Executor``.

Output folder::

    <out>/spec.toml                   the spec as run (``mscabm report`` reads it)
    <out>/plan.json                   conditions, controls, runs (ids, seeds, fingerprints)
    <out>/parts/<run_id>.parquet      one per finished run: every readout at every recorded step
    <out>/runs/<run_id>.json          one manifest row per run: status (done/failed), error,
                                      traceback, final readouts, wall time, fingerprint
    <out>/manifest.parquet            all manifest rows (rewritten at the end)
    <out>/results.parquet, summary.csv, figure.png/.svg, report.md   (see report.py)

Workers write their own part and manifest row (atomically: temp file + rename); only a small
dict travels back. ``resume=True`` skips runs whose manifest row says ``done`` with the same
fingerprint and whose part exists, and reruns failed or missing ones. Seeds come from the plan
(master seed + replicate, or + condition), never from the order of execution, so resumed runs
and any number of workers give identical results.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from mscabm.experiments.spec import RUN_DERIVED, Plan, Spec, load_spec, plan
from mscabm.observe.io import atomic_write_parquet, atomic_write_text
from mscabm.schema import ConfigError

__all__ = ["execute_run", "run_experiment", "default_out_dir", "read_manifest"]


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
                               started=datetime.now(timezone.utc).isoformat(timespec="seconds"))
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
        rows = [dict(model.readouts)]
        while model.running:
            model.step()
            if model.readouts["step"] == model.steps:  # refreshed this step
                rows.append(dict(model.readouts))
        series = pd.DataFrame(rows)
        final_all = rows[-1]
        missing = [k for k in task["final"] if k not in final_all]
        if missing:
            raise KeyError(f"unknown readout(s) {missing}; the model has: {', '.join(final_all)}")
        final = {k: float(final_all[k]) for k in task["final"]}
        final.update(_run_derived(task["derived"], final, series))
        series.insert(0, "run_id", run_id)
        atomic_write_parquet(out / "parts" / f"{run_id}.parquet", series)
        row.update(status="done", final=final)
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the others go on
        row.update(error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(limit=20))
    row["wall_s"] = time.perf_counter() - t0
    row["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    atomic_write_text(out / "runs" / f"{run_id}.json", json.dumps(row, default=float) + "\n")
    return {"run_id": run_id, "status": row["status"], "error": row["error"], "wall_s": row["wall_s"]}


# ---------------------------------------------------------------------------- driver side
def default_out_dir(spec: Spec, root: str | Path = "runs/experiments") -> Path:
    return Path(root) / spec.name


def read_manifest(out: str | Path) -> dict[str, dict[str, Any]]:
    """run_id -> manifest row, for every readable ``runs/*.json`` in ``out``."""
    rows = {}
    for p in sorted((Path(out) / "runs").glob("*.json")):
        if p.name.startswith("."):
            continue
        try:
            row = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # a torn file cannot happen with atomic writes, but be lenient: rerun it
        rows[row.get("run_id", p.stem)] = row
    return rows


def _is_finished(row: dict | None, run, out: Path) -> bool:
    return (row is not None and row.get("status") == "done" and row.get("fingerprint") == run.fingerprint
            and (out / "parts" / f"{run.run_id}.parquet").is_file())


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


def run_experiment(spec: Spec | str | Path, out: str | Path | None = None, *, executor: Executor | None = None,
                   workers: int | None = None, scheduler: str | None = None, resume: bool = False,
                   progress: bool = True, in_process: bool = False, threads: int | None = None,
                   report: bool = True) -> pd.DataFrame:
    """Run a spec; returns the results table (one row per run). See the module docstring.

    ``executor``: any ``concurrent.futures.Executor`` (its workers must see ``out``); otherwise a
    local process pool of ``workers`` (default: the cores), Dask at ``scheduler``, or
    ``in_process``.
    """
    from mscabm.experiments import executors
    from mscabm.experiments.report import build_report

    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    p = plan(spec)
    _check_readouts(p)
    out = Path(out) if out is not None else default_out_dir(spec)
    existing = read_manifest(out) if out.exists() else {}
    if existing and not resume:
        raise ConfigError("--out", f"{out} already holds {len(existing)} run(s); add --resume to continue that "
                          "experiment, or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "spec.toml", tomli_w.dumps(spec.document))
    atomic_write_text(out / "plan.json", json.dumps(p.to_json(), default=float) + "\n")

    todo = [r for r in p.runs if not _is_finished(existing.get(r.run_id), r, out)]
    skipped = len(p.runs) - len(todo)
    run_derived = [d.__dict__ for d in spec.derived if d.kind in RUN_DERIVED]

    if executor is not None:
        ctx = nullcontext((executor, workers or executors.cpu_count(), threads or 0))
    elif in_process:
        ctx = executors.in_process()
    elif scheduler:
        ctx = executors.dask_executor(scheduler, threads or 1)
    else:
        if workers is not None and workers < 1:
            raise ConfigError("--workers", f"{workers} is out of range; allowed: >= 1")
        ctx = executors.local_pool(workers)

    done = failed = 0
    if todo:
        from tqdm import tqdm

        with ctx as (ex, slots, nthreads):
            window = max(1, 2 * slots)
            bar = tqdm(total=len(p.runs), initial=skipped, desc=f"experiment {spec.name}", unit="run",
                       disable=not progress, dynamic_ncols=True, file=sys.stderr)
            pending: dict[Future, Any] = {}
            queue = iter(todo)

            def submit_next() -> bool:
                run = next(queue, None)
                if run is None:
                    return False
                task = {"out": str(out.resolve()), "run": run.meta(), "config": run.config, "final": spec.final,
                        "derived": run_derived, "threads": threads if threads is not None else nthreads}
                pending[ex.submit(execute_run, task)] = run
                return True

            try:
                while len(pending) < window and submit_next():
                    pass
                while pending:
                    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                    for fut in finished:
                        run = pending.pop(fut)
                        try:
                            res = fut.result()
                        except Exception as exc:  # noqa: BLE001 - the worker itself died
                            res = {"status": "failed"}
                            row = dict(run.meta(), status="failed", error=f"worker failed: {type(exc).__name__}: {exc}",
                                       traceback="", wall_s=0.0)
                            atomic_write_text(out / "runs" / f"{run.run_id}.json", json.dumps(row) + "\n")
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

    manifest = read_manifest(out)
    if manifest:
        mf = pd.DataFrame([{k: v for k, v in r.items() if k != "final"} for r in manifest.values()])
        atomic_write_parquet(out / "manifest.parquet", mf)
    if report:
        return build_report(out)
    from mscabm.experiments.report import results_table

    return results_table(out)
