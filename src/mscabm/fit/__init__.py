"""Fitting the model's parameters to observed targets: ``mscabm fit FITSPEC``.

A fit spec (TOML, :mod:`mscabm.fit.spec`) names the free parameters (dotted config keys,
bounds, log scale), the targets (a readout of an experiment spec's conditions, with an observed
value and sd or an accepted range), the method and the budget. Every candidate parameter set runs
the targets' experiment specs through the experiment runner (local pool, Dask, in-process;
finished runs are resumed, never repeated), so the fit inherits the runner's determinism and
checkpointing. See ``docs/calibration.md``.

    >>> from mscabm.fit import load_fit_spec, run_fit
    >>> result = run_fit(load_fit_spec("benchmarks/fit/synthetic.toml"), "runs/fits/synthetic", workers=2)

Modules (each imports only those above it)::

    spec        the fit spec's schema, parse, checks against the experiment specs and the config
    objective   a candidate -> its runs -> target means, standard errors, residuals, objective
    search      CMA-ES (pycma), ABC-SMC (pyabc) and the Sobol baseline over the unit cube, under a budget
    intervals   linearised intervals from the Jacobian at the best fit; an ABC posterior's weighted quantiles
    report      fit.json, report.md, convergence figure, fitted preset
    driver      run_fit: the whole procedure into an output folder
    cli         `mscabm fit`
"""

from __future__ import annotations

from mscabm.fit.driver import run_fit
from mscabm.fit.spec import FitSpec, load_fit_spec, parse_fit_spec

__all__ = ["run_fit", "load_fit_spec", "parse_fit_spec", "FitSpec"]
