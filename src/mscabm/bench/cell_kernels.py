"""Benchmarks of the per-cell kernels on uniformly placed cells: the contact list against scipy's
cKDTree (same pair set checked), and secretion/uptake exchange against the STREAM bandwidth.

Contact is latency/compute bound (neighbour gathers) and reports no bandwidth fraction.  Exchange
counts as must-move bytes, per active cell: its voxel index, volume, 4 behaviour columns per
species, its output row, and one read+write of its voxel per species.
"""

from __future__ import annotations

import math

import numpy as np

from mscabm.bench.common import DX_UM, default_fields, log
from mscabm.bench.harness import measure, rate

__all__ = ["RADIUS_UM", "TARGET_NEIGHBOURS", "bench_contact", "bench_exchange", "uniform_cells"]

RADIUS_UM = 5.0
TARGET_NEIGHBOURS = 6.0


def uniform_cells(n: int, seed: int = 0):
    """Uniform cells of radius 5 um in a square sized for ~6 contacts (distance <= 10 um) each."""
    cut = 2 * RADIUS_UM
    side = math.sqrt(n * math.pi * cut * cut / TARGET_NEIGHBOURS)
    rng = np.random.default_rng(seed)
    return side, rng.uniform(0, side, n), rng.uniform(0, side, n), np.full(n, RADIUS_UM), rng


def bench_contact(cfg: dict) -> dict:
    from scipy.spatial import cKDTree

    from mscabm.engine.kernels.contact import ContactFinder, csr_to_pairs

    rows = []
    for n in cfg["contact_sizes"]:
        side, x, y, r, _ = uniform_cells(n)
        finder = ContactFinder(side, side)
        t = measure(lambda: finder.find(x, y, r, n, 1.0), repeats=cfg["reps"], warmup=1)  # noqa: B023 (timed now)
        off, nb = finder.find(x, y, r, n, 1.0)
        ours = csr_to_pairs(off, nb)

        def kd():  # called within this iteration only
            return cKDTree(np.column_stack([x, y])).query_pairs(2 * RADIUS_UM, output_type="ndarray")  # noqa: B023

        tk = measure(kd, repeats=max(1, cfg["reps"] // 2), warmup=0 if n >= 1_000_000 else 1)
        pk = np.sort(kd(), axis=1)
        pk = pk[np.lexsort((pk[:, 1], pk[:, 0]))]
        # the same cells stored in bin order (ContactFinder.spatial_order): no cache misses on
        # the gathers; what a population kept spatially sorted would see
        order = finder.spatial_order().copy()
        xs, ys, rs = x[order], y[order], r[order]
        ts = measure(lambda: finder.find(xs, ys, rs, n, 1.0), repeats=cfg["reps"], warmup=1)  # noqa: B023 (timed now)
        row = dict(n=n, neighbours_per_cell=nb.size / n, timing=t.to_dict(), agent_updates_per_s=rate(n, t),
                   sorted_timing=ts.to_dict(), sorted_agent_updates_per_s=rate(n, ts),
                   kdtree_timing=tk.to_dict(), kdtree_agent_updates_per_s=rate(n, tk),
                   speedup_vs_kdtree=tk.median / t.median, pairs=int(ours.shape[0]),
                   pairs_equal=bool(np.array_equal(pk, ours)))
        rows.append(row)
        log(f"  contact n={n:>9,}  {t.median * 1e3:8.2f} ms  {n / t.median:.3g} agent-upd/s  "
            f"(spatially sorted {n / ts.median:.3g})  nb/cell {row['neighbours_per_cell']:.2f}  "
            f"cKDTree x{row['speedup_vs_kdtree']:.1f}  "
            f"pairs equal: {row['pairs_equal']}")
    return {"rows": rows}


def bench_exchange(cfg: dict, bw_gb_s: float | None) -> dict:
    from mscabm.engine.kernels.exchange import FieldExchange, voxel_indices

    names, _, _ = default_fields()
    ns = len(names)
    rows = []
    for n in cfg["exchange_sizes"]:
        side, x, y, r, rng = uniform_cells(n, seed=2)
        nxv = int(math.ceil(side / DX_UM))
        data = rng.uniform(0, 1, (ns, nxv, nxv)).astype(np.float32)
        vox = voxel_indices(x, y, n, DX_UM, nxv, nxv)
        beh = rng.uniform(0, 1, (n, 4 * ns)).astype(np.float32)
        cols = np.arange(4 * ns).reshape(4, ns)
        active = np.ones(n, bool)
        vol = np.full(n, 4.0 / 3.0 * math.pi * RADIUS_UM**3)
        ex = FieldExchange(nxv * nxv)
        t = measure(lambda: ex.apply(data, vox, n, beh, *cols, vol, DX_UM**3, 1.0, active),  # noqa: B023 (timed now)
                    repeats=cfg["reps"], warmup=1)
        # must-move bytes per cell: voxel index + volume + active flag + sort order (w+r),
        # 4 behaviour columns per species, the output row, one read+write of its voxel per species
        bpc = 8 + 8 + 1 + 16 + ns * (4 * 4 + 8 + 2 * 4)
        row = dict(n=n, voxels=nxv * nxv, species=ns, cells_per_voxel=n / nxv**2, timing=t.to_dict(),
                   cells_per_s=rate(n, t), bytes_per_cell=bpc,
                   bw_fraction=(n / t.median * bpc / (bw_gb_s * 1e9)) if bw_gb_s else None)
        rows.append(row)
        log(f"  exchange n={n:>9,}  {t.median * 1e3:8.2f} ms  {n / t.median:.3g} cells/s  "
            f"({ns} species, {n / nxv**2:.2f} cells/voxel)  bw {row['bw_fraction'] or 0:.2f}")
    return {"rows": rows}

