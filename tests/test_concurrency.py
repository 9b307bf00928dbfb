"""Models stepping in several threads of one process (the kernels release the GIL): same results as
alone, and the workqueue guard of engine/concurrency.py."""

from __future__ import annotations

import threading
from contextlib import nullcontext

import numpy as np

from mscabm.engine import concurrency
from mscabm.model import MSCModel

SMALL = {"domain.width_um": 300.0, "domain.height_um": 300.0, "cells.T.count": 150, "cells.MSC.count": 15}


def _state(model: MSCModel) -> list[np.ndarray]:
    pop = model.population
    return [np.array(pop[k]) for k in sorted(pop.schema)] + [model.lattice.data.copy()]


def _run(seed: int, steps: int) -> list[np.ndarray]:
    m = MSCModel("coculture", rng=seed, **SMALL)
    for _ in range(steps):
        m.step()
    return _state(m)


def test_models_stepping_in_two_threads_at_once_equal_each_run_alone():
    steps = 40
    alone = {seed: _run(seed, steps) for seed in (1, 2)}
    together: dict[int, list[np.ndarray]] = {}
    start = threading.Barrier(2)

    def work(seed: int) -> None:
        start.wait()
        together[seed] = _run(seed, steps)

    threads = [threading.Thread(target=work, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed in (1, 2):
        assert len(together[seed]) == len(alone[seed])
        for a, b in zip(alone[seed], together[seed]):
            np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(alone[1], alone[2]))  # the seeds differ


def test_steps_are_serialised_only_under_the_workqueue_layer(monkeypatch):
    for layer, guarded in (("omp", False), ("tbb", False), ("workqueue", True), (None, True)):
        monkeypatch.setattr(concurrency, "threading_layer", lambda layer=layer: layer)
        section = concurrency.parallel_section()
        assert (section is concurrency._WORKQUEUE_LOCK) is guarded
        assert isinstance(section, nullcontext) is not guarded
    monkeypatch.undo()
    MSCModel("coculture", rng=1, **SMALL).step()  # a parallel kernel has run: the layer is known
    assert concurrency.threading_layer() in ("omp", "tbb", "workqueue")
