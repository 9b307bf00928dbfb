"""The pure-Mesa comparison: a reduced model (T cells: walk + contact + one field) built both in
mscabm and in plain Mesa (``benchmarks/mesa_reference.py``), timed at the same sizes, and its
readouts compared over seeds."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from mscabm.bench.common import log
from mscabm.bench.harness import measure
from mscabm.bench.whole_model import steps_for, time_steps

__all__ = ["bench_mesa"]


def _load_mesa_reference():
    """benchmarks/mesa_reference.py, imported by path (it is not part of the package)."""
    root = Path(__file__).resolve().parents[3]
    path = root / "benchmarks" / "mesa_reference.py"
    if not path.exists():
        return None
    name = "mscabm_bench_mesa_reference"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def bench_mesa(cfg: dict) -> dict:
    ref = _load_mesa_reference()
    if ref is None:
        return {"skipped": "benchmarks/mesa_reference.py not found (installed without the source tree)"}
    rows = []
    for n in cfg["mesa_sizes"]:
        ours = ref.build_mscabm(n, seed=1)
        steps = steps_for(n, cfg["model_steps"], budget_cell_steps=1e6)
        t_ours, cells = time_steps(ours, steps, cfg["model_reps"])
        del ours
        mesa_model = ref.MesaReference(ref.params_for(n), seed=1)
        msteps = cfg["mesa_steps"] or max(1, min(5, int(2e4 / n)))
        t_mesa = measure(mesa_model.step, repeats=msteps, warmup=1 if n < 100_000 else 0)
        del mesa_model
        row = dict(n=n, mscabm_timing=t_ours.to_dict(), mesa_timing=t_mesa.to_dict(),
                   mscabm_cell_steps_per_s=n / t_ours.median, mesa_cell_steps_per_s=n / t_mesa.median,
                   speedup=t_mesa.median / t_ours.median, mesa_steps_timed=t_mesa.repeats)
        rows.append(row)
        log(f"  mesa reference N={n:>7,}  mscabm {t_ours.median * 1e3:8.2f} ms/step  "
            f"Mesa {t_mesa.median * 1e3:9.1f} ms/step ({t_mesa.repeats} steps)  speed-up x{row['speedup']:.0f}")
    match = ref.compare(cfg["match_cells"], cfg["match_steps"], cfg["match_seeds"])
    log("  readouts (mean over seeds, mscabm vs Mesa): " + ", ".join(
        f"{k} {v['mscabm']:.4g} vs {v['mesa']:.4g} ({'ok' if v['match'] else 'DIFFER'})"
        for k, v in match["readouts"].items()))
    return {"rows": rows, "match": match}

