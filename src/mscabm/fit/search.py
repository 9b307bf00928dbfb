"""Search methods over the unit cube: CMA-ES (pycma) for a point fit, ABC-SMC (pyabc) for a posterior, a
scrambled Sobol search as the baseline.

Each takes ``evaluate(units, phase) -> objectives`` (a batch of candidates, run together) and a
:class:`Budget`, and is deterministic for a given seed and given objective values: a resumed fit
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
- ``abcsmc``: approximate Bayesian computation by sequential Monte Carlo (:class:`pyabc.ABCSMC`, the
  library FitMultiCell builds on; Toni et al. 2009, Beaumont et al. 2009): a population of
  ``population`` particles drawn from the uniform prior on the box (after pyabc's calibration sample of
  as many prior draws, which sets the first threshold), then generation after generation particles
  perturbed by pyabc's default kernel, a multivariate normal with the last population's weighted
  covariance times Silverman's bandwidth squared, accepted when their distance, the RMS residual
  ``sqrt(objective / n_targets)`` (each target in units of its sd), is at most the generation's
  threshold, the median distance of the last population; importance weights prior / proposal. It
  stops when the threshold reaches ``min_epsilon`` (default 1: every target within about its sd), or
  the budget is spent (strictly: a generation cut short is dropped). The last complete generation is
  the posterior sample (:class:`AbcPosterior`). pyabc draws from numpy's global generator: the search seeds it with
  ``seed`` and restores it afterwards; candidates are evaluated one at a time, each candidate's runs
  in parallel on the executor. The first generation needs the calibration sample plus about twice
  ``population`` candidates (:func:`abc_min_candidates` is what a fit spec must allow). A replay is
  exact within one pyabc version (another version may propose other particles: their runs are then
  new ones).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["AbcPosterior", "Budget", "abcsmc", "cmaes", "sobol", "SEARCHES"]

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
          population: int | None, **_) -> None:
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
          population: int | None, **_) -> None:
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


@dataclass
class AbcPosterior:
    """The posterior sample of an ABC-SMC search: the last complete generation's particles (unit cube) and
    normalised weights, and every generation's threshold, particles and candidates evaluated."""

    units: np.ndarray  # (n_particles, d) float64
    weights: np.ndarray  # (n_particles,) float64, sum 1
    generations: list[dict]  # t, epsilon, particles, candidates


class _BudgetSpent(Exception):
    """Raised inside pyabc's sampling when the candidate or wall-time budget is spent."""


#: particles per ABC-SMC generation when ``population`` is not given (per parameter)
ABC_PARTICLES_PER_PARAMETER = 10


def abc_particles(d: int, population: int | None) -> int:
    """Particles per ABC-SMC generation: ``population``, or 10 per parameter (at least 10)."""
    return population or max(ABC_PARTICLES_PER_PARAMETER * d, 10)


def abc_min_candidates(d: int, population: int | None) -> int:
    """The smallest budget that leaves an ABC-SMC fit a first generation at an acceptance of one half: the start
    candidate, pyabc's calibration sample (one population of prior draws) and two populations of proposals."""
    return 1 + 3 * abc_particles(d, population)


def abcsmc(evaluate: Objective, start: list[float], budget: Budget, seed: int, sigma0: float,
           population: int | None, *, n_targets: int = 1, min_epsilon: float = 1.0, **_) -> AbcPosterior | None:
    """ABC-SMC over the unit cube (module docstring); returns the last complete generation, or None if the
    budget ended before the first one."""
    import logging
    import tempfile

    import pyabc

    d = len(start)
    names = [f"u{j}" for j in range(d)]
    particles = abc_particles(d, population)
    prior = pyabc.Distribution(**{n: pyabc.RV("uniform", 0.0, 1.0) for n in names})

    outer_filters = list(warnings.filters)  # pyabc's warnings are silenced below; an evaluation's are not

    def model(par) -> dict:
        if not budget.allows(1):
            raise _BudgetSpent
        budget.spend(1)
        drawn = np.random.get_state()  # whatever the evaluation draws from numpy's global generator, pyabc's
        try:                           # stream goes on as if it had not run: the search depends on the objectives only
            with warnings.catch_warnings():
                warnings.filters[:] = outer_filters
                (objective,) = evaluate([[float(par[n]) for n in names]], "search")
        finally:
            np.random.set_state(drawn)
        return {"chi2": float(objective)}

    def distance(x: dict, x0: dict) -> float:
        return math.sqrt(max(x["chi2"], 0.0) / max(n_targets, 1))

    state = np.random.get_state()
    quiet = [logging.getLogger(n) for n in ("ABC", "ABC.Sampler", "ABC.Epsilon", "ABC.History", "ABC.Distance",
                                            "ABC.Transition", "ABC.Population", "ABC.Predictor")]
    levels = [lg.level for lg in quiet]
    try:
        for lg in quiet:
            lg.setLevel(logging.WARNING)
        np.random.seed(int(seed) % 2**32)
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            abc = pyabc.ABCSMC(model, prior, distance, population_size=particles,
                               sampler=pyabc.sampler.SingleCoreSampler(), eps=pyabc.QuantileEpsilon(alpha=0.5))
            history = abc.new("sqlite:///" + str(Path(tmp) / "abc.db"), {"chi2": 0.0})
            try:
                abc.run(minimum_epsilon=float(min_epsilon))
                budget.stop_reason = f"converged (ABC-SMC: threshold <= min_epsilon {min_epsilon:g})"
            except _BudgetSpent:
                pass
            if history.max_t < 0:
                return None
            pops = history.get_all_populations()
            gens = [{"t": int(r.t), "epsilon": float(r.epsilon), "particles": int(r.particles),
                     "candidates": int(r.samples)} for r in pops.itertuples() if r.t >= 0]
            df, w = history.get_distribution(m=0, t=history.max_t)
            units = df[names].to_numpy(dtype=np.float64)
            weights = np.asarray(w, dtype=np.float64)
            return AbcPosterior(units, weights / weights.sum(), gens)
    finally:
        np.random.set_state(state)
        for lg, lv in zip(quiet, levels):
            lg.setLevel(lv)


#: method name (``[fit] method``) -> search
SEARCHES = {"cmaes": cmaes, "sobol": sobol, "abcsmc": abcsmc}
