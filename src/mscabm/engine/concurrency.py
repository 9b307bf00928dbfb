"""One guard for numba's threading layers when models step in several threads of one process.

The engine's kernels release the GIL (``nogil=True``), so two threads (two dashboard tabs, a Dask
worker with several threads) can be inside parallel kernels at the same time. numba's ``omp`` and
``tbb`` layers allow that; its ``workqueue`` layer (used where neither OpenMP nor TBB is available)
does not and aborts the process. :func:`parallel_section` serialises the steps there, and only there.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext

_WORKQUEUE_LOCK = threading.Lock()
_UNGUARDED: AbstractContextManager[None] = nullcontext()


def threading_layer() -> str | None:
    """numba's threading layer in this process, or None before any parallel kernel has run."""
    import numba

    try:
        return str(numba.threading_layer())
    except ValueError:  # no parallel kernel has run yet: the layer is not chosen
        return None


def parallel_section() -> AbstractContextManager:
    """A context for one model step: a process-wide lock under the ``workqueue`` layer (or while
    the layer is not chosen yet), nothing under the thread-safe ``omp`` and ``tbb`` layers."""
    return _UNGUARDED if threading_layer() in ("omp", "tbb") else _WORKQUEUE_LOCK
