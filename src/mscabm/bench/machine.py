"""The machine's own limit, measured in the same run: a STREAM-like copy and triad in numba
(``prange``, the same numba thread count as the kernels), and a description of the machine.

STREAM's conventions (McCalpin): arrays of float64 much larger than the last-level cache;
``copy``: ``c[i] = a[i]`` counts 16 bytes per element, ``triad``: ``a[i] = b[i] + s*c[i]``
counts 24 bytes per element (write-allocate traffic is not counted).  The bandwidth reported is
the best of the repeats, as STREAM does, and also the median.  ``limit_gb_s`` -- the
denominator of every kernel's "fraction of bandwidth" -- is the larger of copy and triad
(best of repeats), so the fractions are conservative.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import numpy as np
from numba import njit, prange

from mscabm.bench.harness import measure


@njit(cache=True, parallel=True)
def _copy(a, c):
    for i in prange(a.shape[0]):
        c[i] = a[i]


@njit(cache=True, parallel=True)
def _triad(a, b, c, s):
    for i in prange(a.shape[0]):
        a[i] = b[i] + s * c[i]


@njit(cache=True, parallel=True)
def _init(a, b, c):
    # first touch in parallel (pages land near the threads that use them)
    for i in prange(a.shape[0]):
        a[i] = 1.0
        b[i] = 2.0
        c[i] = 0.0


def _parse_size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1024, "M": 1024**2, "G": 1024**3}
    if text and text[-1] in mult:
        return int(float(text[:-1]) * mult[text[-1]])
    return int(text)


def cache_sizes() -> dict:
    """Cache sizes in bytes per level (``L1d``, ``L1i``, ``L2``, ``L3``) of CPU 0, from sysfs."""
    out: dict[str, int] = {}
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    try:
        for idx in sorted(base.glob("index*")):
            level = (idx / "level").read_text().strip()
            kind = (idx / "type").read_text().strip()
            size = _parse_size((idx / "size").read_text())
            name = f"L{level}" + ({"Data": "d", "Instruction": "i"}.get(kind, ""))
            out[name] = size
    except OSError:
        pass
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    """Cores, numba threads, caches, memory and library versions."""
    import mesa
    import numba
    import scipy

    import mscabm

    info = {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "numba_threading_layer": _threading_layer(),
        "caches_bytes": cache_sizes(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numba": numba.__version__,
        "scipy": scipy.__version__,
        "mesa": mesa.__version__,
        "mscabm": mscabm.__version__,
        "platform": platform.platform(),
    }
    try:
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 1e9, 1)
        info["load_avg_1min"] = os.getloadavg()[0]
    except (ImportError, OSError):
        pass
    return info


def _threading_layer() -> str:
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel function has run yet
        return "not yet initialised"


def stream(n_elements: int | None = None, repeats: int = 10) -> dict:
    """STREAM-like copy and triad on float64 arrays of ``n_elements`` (default: 8x the
    last-level cache per array, at least 2^22 elements).  Returns GB/s (1e9 bytes/s)."""
    if n_elements is None:
        llc = max(cache_sizes().values(), default=32 * 1024**2)
        n_elements = max(1 << 22, 8 * llc // 8)
    n = int(n_elements)
    a = np.empty(n)
    b = np.empty(n)
    c = np.empty(n)
    _init(a, b, c)
    tc = measure(lambda: _copy(a, c), repeats=repeats, warmup=2)
    tt = measure(lambda: _triad(a, b, c, 3.0), repeats=repeats, warmup=2)
    llc = max(cache_sizes().values(), default=0)
    res = {
        "elements": n,
        "array_mb": n * 8 / 1e6,
        "in_cache": bool(llc and 3 * n * 8 <= 2 * llc),
        "copy_gb_s": 16 * n / tc.min / 1e9,
        "copy_gb_s_median": 16 * n / tc.median / 1e9,
        "triad_gb_s": 24 * n / tt.min / 1e9,
        "triad_gb_s_median": 24 * n / tt.median / 1e9,
        "copy_timing": tc.to_dict(),
        "triad_timing": tt.to_dict(),
    }
    res["limit_gb_s"] = max(res["copy_gb_s"], res["triad_gb_s"])
    return res
