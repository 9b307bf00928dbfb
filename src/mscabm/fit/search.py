"""Search methods over the unit cube: CMA-ES (pycma) for a point fit, a scrambled Sobol search as the baseline.

Both take ``evaluate(units, phase) -> objectives`` (a batch of candidates, run together) and a
:class:`Budget`, and are deterministic for a given seed and given objective values: a resumed fit
replays the same candidates in the same order (their runs are found finished), so its search
continues exactly where it stopped.

- ``cmaes``: :class:`cma.CMAEvolutionStrategy` (N. Hansen's pycma, the reference implementation)
  drawing from a private generator seeded by ``seed`` (never numpy's global state) in the box
  [0, 1]^d, started at the parameters' ``start`` (default the middle) with step
  ``sigma0``; whole generations only (a generation that would overrun the candidate budget is not
  started). pycma does not support one dimension (it fails on a flat objective there), so a
  one-parameter fit searches a plane whose second coordinate nothing reads.
- ``sobol``: the first points of a scrambled Sobol sequence (:class:`scipy.stats.qmc.Sobol`), in
  batches of ``population`` (default as CMA-ES's) within the budget: no model of the objective at
  all, the yardstick a method must beat on the synthetic problem (``benchmarks/fit_methods.py``).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Budget", "cmaes", "sobol", "SEARCHES"]

Objective = Callable[[list[list[float]], str], list[float]]


@dataclass
class Budget:
    """Candidates left and the wall-clock deadline (``time.monotonic()``; None: no limit)."""

    candidates: int
    deadline: float | None = None
    stop_reason: str = ""

    def allows(self, n: int = 1) -> bool:
        """Whether ``n`` more candidates may start; records why not."""
        if self.candidates < n:
            self.stop_reason = "candidate budget spent"
            return False
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.stop_reason = "wall-time budget spent"
            return False
        return True

    def spend(self, n: int = 1) -> None:
        self.candidates -= n


def default_population(d: int) -> int:
    """pycma's default population for ``d`` parameters, ``4 + int(3 ln d)``: CMA-ES's generation and
    Sobol's batch."""
    return 4 + int(3 * np.log(d))


def cmaes(evaluate: Objective, start: list[float], budget: Budget, seed: int, sigma0: float,
          population: int | None) -> None:
    """CMA-ES from ``start`` (unit cube) until pycma's own stopping rules or the budget."""
    import cma

    d = len(start)
    pop = population or default_population(d)
    dummy = d == 1  # pycma's 1-D support is incomplete: add a coordinate the objective ignores
    x0 = list(start) + ([0.5] if dummy else [])
    rng = np.random.default_rng(int(seed))  # pycma's own draws, private: numpy's global state is not touched
    opts = {"bounds": [0.0, 1.0], "randn": lambda *shape: rng.standard_normal(shape), "popsize": pop,
            "verbose": -9, "verb_log": 0, "verb_disp": 0, "tolfun": 1e-3, "tolx": 1e-3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pycma warns about 1-D problems; it still works there
        es = cma.CMAEvolutionStrategy(x0, sigma0, opts)
        if budget.candidates < pop:
            budget.stop_reason = f"budget below one generation of {pop}: only the start was run"
            return
        while budget.allows(pop):
            if es.stop():
                budget.stop_reason = "converged (CMA-ES: " + ", ".join(sorted(es.stop())) + ")"
                return
            xs = es.ask()
            budget.spend(pop)
            es.tell(xs, evaluate([[float(v) for v in x[:d]] for x in xs], "search"))


def sobol(evaluate: Objective, start: list[float], budget: Budget, seed: int, sigma0: float,
          population: int | None) -> None:
    """The first ``budget`` points of a scrambled Sobol sequence in the unit cube, ``population`` at a time."""
    from scipy.stats import qmc

    sampler = qmc.Sobol(d=len(start), scramble=True, seed=int(seed))
    batch = population or default_population(len(start))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a sample size that is not a power of 2 loses balance: fine here
        while budget.allows(1):
            n = min(batch, budget.candidates)
            xs = sampler.random(n)
            budget.spend(n)
            evaluate([[float(v) for v in x] for x in xs], "search")


#: method name (``[fit] method``) -> search
SEARCHES = {"cmaes": cmaes, "sobol": sobol}
