"""Executors the runner can use: any ``concurrent.futures.Executor`` works.

- :func:`local_pool`: a process pool (``spawn`` start method: safe with numba's thread pools),
  each worker limited to ``threads`` numba threads so that workers x threads <= cores;
- :func:`dask_executor`: Dask distributed through ``Client(address).get_executor()``
  (``pip install 'mscabm[experiments]'``); workers must see the output folder (shared disk);
- :class:`InProcessExecutor`: runs each task in the calling process when submitted (debugging,
  profiling, ``pdb``).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from mscabm.schema import ConfigError


class InProcessExecutor(Executor):
    """Runs each submitted call immediately in this process; returns a finished Future."""

    def submit(self, fn, /, *args: Any, **kwargs: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - surfaced through the future
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


#: seconds between a pool worker's checks that the driver that started it is still alive
PARENT_POLL_S = 0.5


def _exit_with_parent(parent_pid: int) -> None:
    """In a pool worker: end this process once ``parent_pid`` is gone (the driver was SIGKILLed
    and could not shut its pool down). A daemon thread polls the parent pid; when the driver dies
    the worker is re-parented (``os.getppid()`` changes) and exits at once, mid-run if need be
    (outputs are written atomically, so nothing half-written is left)."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="mscabm-exit-with-parent", daemon=True).start()


def _init_worker(threads: int, parent_pid: int) -> None:
    os.environ["NUMBA_NUM_THREADS"] = str(threads)
    _exit_with_parent(parent_pid)


@contextlib.contextmanager
def local_pool(workers: int | None = None) -> Iterator[tuple[Executor, int, int]]:
    """(executor, slots, numba threads per run) for a local process pool."""
    n = workers or cpu_count()
    threads = max(1, cpu_count() // n)
    ex = ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                             initargs=(threads, os.getpid()))
    try:
        yield ex, n, threads
    except BaseException:  # interrupted (SIGINT, SIGTERM) or failed: stop the runs in flight, do not wait
        for proc in list(getattr(ex, "_processes", {}).values()):
            with contextlib.suppress(OSError):
                proc.terminate()
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def dask_executor(address: str, threads: int = 1) -> Iterator[tuple[Executor, int, int]]:
    """(executor, slots, numba threads per run) on a Dask distributed scheduler at ``address``."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("--scheduler",
                          "Dask distributed is not installed; pip install 'mscabm[experiments]'") from None
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ConfigError("--scheduler", f"cannot reach the Dask scheduler at {address}: {exc}") from None
    except ValueError as exc:  # not an address at all (no port, unknown protocol)
        raise ConfigError("--scheduler", f"{str(address)[:200]!r} is not a scheduler address ({exc}); allowed: "
                                         "tcp://HOST:PORT") from None
    try:
        slots = max(1, sum(client.nthreads().values()))
        ex = client.get_executor(pure=False)
        yield ex, slots, threads
    finally:
        client.close()


@contextlib.contextmanager
def in_process() -> Iterator[tuple[Executor, int, int]]:
    yield InProcessExecutor(), 1, 0
