"""Contact finder vs a plain-Python O(n^2) reference; CSR invariants; type counts; determinism
across thread counts (find + move + exchange in subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mscabm.engine.kernels.contact import (
    ContactFinder,
    brute_force_pairs,
    count_contacts_by_type,
    csr_to_pairs,
)


# ---------------------------------------------------------------------------------------------
# independent reference: plain Python floats (IEEE double), the documented contact criterion
# ---------------------------------------------------------------------------------------------
def python_pairs(x, y, r, n, scale):
    xs = [float(v) for v in x[:n]]
    ys = [float(v) for v in y[:n]]
    rs = [float(v) for v in r[:n]]
    out = set()
    for i in range(n):
        for j in range(i + 1, n):
            dx = xs[j] - xs[i]
            dy = ys[j] - ys[i]
            c = scale * (rs[i] + rs[j])
            if dx * dx + dy * dy <= c * c:
                out.add((i, j))
    return out


def check_csr(offsets, neighbours, n):
    assert offsets.dtype == np.int64 and neighbours.dtype == np.int64
    assert offsets.shape == (n + 1,)
    assert offsets[0] == 0 and offsets[-1] == neighbours.shape[0]
    assert np.all(np.diff(offsets) >= 0)
    pairs = set()
    for i in range(n):
        seg = neighbours[offsets[i] : offsets[i + 1]]
        assert np.all(np.diff(seg) > 0), "segment must be strictly ascending"
        assert np.all((seg >= 0) & (seg < n))
        assert i not in seg
        for j in seg:
            pairs.add((i, int(j)))
    for i, j in pairs:
        assert (j, i) in pairs, "neighbour list must be symmetric"
    return {(i, j) for i, j in pairs if i < j}


def make_config(seed, n, width, height, rmax, kind, dup_frac, boundary_frac, r_dtype):
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        x = rng.uniform(0, width, n)
        y = rng.uniform(0, height, n)
    elif kind == "clustered":
        k = max(1, n // 25)
        cx = rng.uniform(0, width, k)
        cy = rng.uniform(0, height, k)
        c = rng.integers(0, k, n)
        x = np.clip(cx[c] + rng.normal(0, 2 * rmax + 1e-3, n), 0, width)
        y = np.clip(cy[c] + rng.normal(0, 2 * rmax + 1e-3, n), 0, height)
    else:  # lattice: exact distances equal to contact distances happen a lot
        side = max(1, int(np.ceil(np.sqrt(n))))
        step = rng.choice([rmax, 2 * rmax, 1.0, 0.5])
        ii = np.arange(n)
        x = np.clip((ii % side) * step, 0, width)
        y = np.clip((ii // side) * step, 0, height)
    if n > 1:
        nd = int(dup_frac * n)
        src = rng.integers(0, n, nd)
        dst = rng.integers(0, n, nd)
        x[dst] = x[src]
        y[dst] = y[src]
        nb = int(boundary_frac * n)
        idx = rng.integers(0, n, nb)
        x[idx[: nb // 2]] = rng.choice([0.0, width], nb // 2)
        y[idx[nb // 2 :]] = rng.choice([0.0, height], nb - nb // 2)
    r = rng.uniform(0, rmax, n).astype(r_dtype)
    if n and rng.random() < 0.3:
        r[:] = r_dtype(rmax)  # equal radii: many exactly-at-threshold pairs on lattices
    # arrays longer than n (capacity) must be ignored beyond n
    pad = rng.integers(0, 4)
    x = np.concatenate([x, np.full(pad, np.nan)])
    y = np.concatenate([y, np.full(pad, np.nan)])
    r = np.concatenate([r, np.full(pad, np.nan, dtype=r_dtype)])
    return x, y, r


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 300),
    width=st.floats(1.0, 3000.0),
    aspect=st.floats(0.05, 20.0),
    rmax=st.floats(0.0, 40.0),
    kind=st.sampled_from(["uniform", "clustered", "lattice"]),
    dup_frac=st.sampled_from([0.0, 0.0, 0.1, 0.5]),
    boundary_frac=st.sampled_from([0.0, 0.1, 0.5]),
    scale=st.sampled_from([0.0, 0.5, 1.0, 1.0, 1.25, 3.0]),
    r_dtype=st.sampled_from([np.float64, np.float32]),
)
def test_pairs_equal_brute_force(seed, n, width, aspect, rmax, kind, dup_frac, boundary_frac,
                                 scale, r_dtype):
    height = width * aspect
    x, y, r = make_config(seed, n, width, height, rmax, kind, dup_frac, boundary_frac, r_dtype)
    finder = ContactFinder(width, height)
    offsets, neighbours = finder.find(x, y, r, n, scale)
    got = check_csr(offsets, neighbours, n)
    assert got == python_pairs(x, y, r, n, scale)
    # the numpy reference shipped with the module agrees too
    bf = brute_force_pairs(x, y, r, n, scale)
    assert {tuple(p) for p in bf.tolist()} == got
    assert np.array_equal(csr_to_pairs(offsets, neighbours), bf)


def test_reuse_across_calls_and_sizes():
    """Buffers are reused and grown; results stay exact when n and density change."""
    rng = np.random.default_rng(1)
    finder = ContactFinder(200.0, 100.0)
    for n in [5, 300, 0, 1, 150, 299, 2]:
        x = rng.uniform(0, 200, n)
        y = rng.uniform(0, 100, n)
        r = rng.uniform(1, 12, n)
        off, nb = finder.find(x, y, r, n, 1.0)
        assert check_csr(off, nb, n) == python_pairs(x, y, r, n, 1.0)


def test_edge_cases():
    f = ContactFinder(10.0, 10.0)
    off, nb = f.find(np.empty(0), np.empty(0), np.empty(0), 0)
    assert off.tolist() == [0] and nb.size == 0
    off, nb = f.find(np.array([10.0]), np.array([10.0]), np.array([1.0]), 1)
    assert off.tolist() == [0, 0] and nb.size == 0
    # exactly coincident cells at a corner, and one exactly touching
    x = np.array([10.0, 10.0, 8.0, 0.0])
    y = np.array([10.0, 10.0, 10.0, 0.0])
    r = np.array([1.0, 1.0, 1.0, 0.0])
    off, nb = f.find(x, y, r, 4, 1.0)
    assert check_csr(off, nb, 4) == {(0, 1), (0, 2), (1, 2)}
    # zero radius, zero scale: only exact coincidences touch
    x = np.array([3.0, 3.0, 3.0 + 1e-12])
    off, nb = f.find(x, np.zeros(3), np.zeros(3), 3, 0.0)
    assert check_csr(off, nb, 3) == {(0, 1)}
    # cells outside the domain are still handled exactly (clamped into the edge bins)
    x = np.array([-5.0, -4.0, 15.0, 14.5, 5.0])
    y = np.array([-5.0, -5.0, 15.0, 15.0, 5.0])
    r = np.full(5, 0.6)
    off, nb = f.find(x, y, r, 5, 1.0)
    assert check_csr(off, nb, 5) == python_pairs(x, y, r, 5, 1.0) == {(0, 1), (2, 3)}
    with pytest.raises(ValueError):
        f.find(np.array([np.nan]), np.array([1.0]), np.array([1.0]), 1)
    with pytest.raises(ValueError):
        f.find(np.array([1.0]), np.array([1.0]), np.array([-1.0]), 1)
    with pytest.raises(ValueError):
        f.find(np.array([1.0]), np.array([1.0]), np.array([1.0]), 1, -1.0)
    with pytest.raises(ValueError):
        ContactFinder(0.0, 1.0)


def test_dense_pile_and_sparse_huge_domain():
    rng = np.random.default_rng(2)
    # everyone overlaps everyone
    n = 250
    x = 50 + rng.normal(0, 0.5, n)
    y = 50 + rng.normal(0, 0.5, n)
    r = np.full(n, 5.0)
    f = ContactFinder(100.0, 100.0)
    off, nb = f.find(x, y, r, n)
    assert nb.size == n * (n - 1)
    assert check_csr(off, nb, n) == python_pairs(x, y, r, n, 1.0)
    # a huge, sparse domain: the bin grid is capped (no giant allocation), result exact
    W = 1e7
    x = rng.uniform(0, W, n)
    y = rng.uniform(0, W, n)
    x[1], y[1] = x[0] + 0.5, y[0]
    r = np.full(n, 0.3)
    f = ContactFinder(W, W)
    off, nb = f.find(x, y, r, n)
    nbx, nby, _, _ = f.last_grid
    assert nbx * nby <= 2 * n + 64
    assert check_csr(off, nb, n) == python_pairs(x, y, r, n, 1.0)
    assert (0, 1) in python_pairs(x, y, r, n, 1.0)


@pytest.mark.parametrize("pile", [0, 30, 63, 64, 65, 200])
def test_hit_masks_and_rescans_give_the_brute_force_pairs(pile):
    """Pass 1 keeps a mask of which of a cell's first 64 candidates touch it; pass 2 takes those, and rescans a
    cell with more candidates. A pile of ``pile`` cells in one bin beside a sparse field: cells on both paths
    (and at the 64-candidate edge), the pairs those of the brute force."""
    from mscabm.engine.kernels.contact import _RESCAN, MASK_CANDIDATES

    rng = np.random.default_rng(pile)
    sparse = 400  # in [0, 250)^2; the pile alone at (340, 340), out of every sparse cell's stencil and vice versa
    x = np.concatenate([rng.uniform(0, 250, sparse), 340 + rng.uniform(0, 4, pile)])
    y = np.concatenate([rng.uniform(0, 250, sparse), 340 + rng.uniform(0, 4, pile)])
    r = rng.uniform(2.0, 5.0, len(x))
    n = len(x)
    f = ContactFinder(400.0, 400.0)
    off, nb = f.find(x, y, r, n, 1.2)
    assert check_csr(off, nb, n) == python_pairs(x, y, r, n, 1.2)
    masks = f._hits[:n]
    rescanned = masks == _RESCAN
    nbx = f.last_grid[0]  # each cell's candidates: the cells of its 3x3 bins (the finder's own bins), itself too
    by, bx = np.divmod(f._bin_of_cell[:n], nbx)
    candidates = ((np.abs(bx[:, None] - bx[None, :]) <= 1) & (np.abs(by[:, None] - by[None, :]) <= 1)).sum(axis=1)
    order = f.spatial_order()
    np.testing.assert_array_equal(rescanned, candidates[order] > MASK_CANDIDATES)
    assert (~rescanned).any()
    in_pile = candidates[order][order >= sparse]
    assert (in_pile == pile).all()  # the pile's cells have exactly `pile` candidates: 64 on the mask path, 65 not
    assert rescanned[order >= sparse].all() == (pile > MASK_CANDIDATES) or pile == 0
    assert all(int(m).bit_count() == off[i + 1] - off[i]  # a mask holds exactly the cell's contacts
               for i, m in zip(order, masks, strict=True) if m != _RESCAN)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 120), n_types=st.integers(1, 5))
def test_count_contacts_by_type(seed, n, n_types):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 60, n)
    y = rng.uniform(0, 60, n)
    r = rng.uniform(1, 8, n)
    t = rng.integers(-1, n_types + 1, n)  # includes out-of-range types, which are not counted
    off, nb = ContactFinder(60, 60).find(x, y, r, n)
    got = count_contacts_by_type(off, nb, t, n_types)
    assert got.dtype == np.float32 and got.shape == (n, n_types)
    want = np.zeros((n, n_types))
    for i, j in python_pairs(x, y, r, n, 1.0):
        if 0 <= t[j] < n_types:
            want[i, t[j]] += 1
        if 0 <= t[i] < n_types:
            want[j, t[i]] += 1
    assert np.array_equal(got, want)
    # into chosen columns of a wider matrix (the model's stored signals): the mapped types' counts land there,
    # the other columns keep what they held
    columns = np.where(rng.random(n_types) < 0.6, rng.permutation(n_types + 3)[:n_types], -1)
    wide = np.full((n + 2, n_types + 3), 7.0, dtype=np.float32)
    before = wide.copy()
    count_contacts_by_type(off, nb, t, n_types, out=wide, columns=columns)
    for k in range(n_types):
        if columns[k] >= 0:
            assert np.array_equal(wide[:n, columns[k]], want[:, k])
    untouched = np.setdiff1d(np.arange(n_types + 3), columns)
    assert np.array_equal(wide[:, untouched], before[:, untouched]) and np.array_equal(wide[n:], before[n:])
    with pytest.raises(ValueError, match="per type"):
        count_contacts_by_type(off, nb, t, n_types, out=wide, columns=np.zeros(n_types + 1, np.int64))
    with pytest.raises(ValueError, match="column for every mapped type"):
        count_contacts_by_type(off, nb, t, n_types, out=wide[:, :1], columns=np.full(n_types, 2))


# ---------------------------------------------------------------------------------------------
# determinism across thread counts
# ---------------------------------------------------------------------------------------------
_SCRIPT = textwrap.dedent(
    """
    import hashlib, sys
    import numpy as np
    from mscabm.engine.kernels.contact import ContactFinder
    from mscabm.engine.kernels.motion import move_cells
    from mscabm.engine.kernels.exchange import FieldExchange, sample_fields, voxel_indices

    rng = np.random.default_rng(7)
    n, W, H, dx = 20000, 900.0, 700.0, 20.0
    nx, ny = int(W / dx), int(H / dx)
    x = rng.uniform(0, W, n); y = rng.uniform(0, H, n)
    x[:500] = x[500:1000]; y[:500] = y[500:1000]          # exact overlaps
    r = rng.uniform(3, 7, n)
    ang = rng.uniform(0, 2 * np.pi, n); px = np.cos(ang); py = np.sin(ang)
    fields = rng.uniform(0, 1, (2, ny, nx)).astype(np.float32)
    beh = rng.uniform(0, 1, (n, 5)).astype(np.float32)
    finder = ContactFinder(W, H)
    ex = FieldExchange(nx * ny)
    h = hashlib.sha256()
    for step in range(5):
        off, nb = finder.find(x, y, r, n, 1.25)
        h.update(off.tobytes()); h.update(nb.tobytes())
        vox = voxel_indices(x, y, n, dx, nx, ny)
        xo = np.empty(n); yo = np.empty(n)
        move_cells(x, y, px, py, r, np.full(n, 2.0), np.full(n, 5.0), np.full(n, 0.5),
                   rng.integers(-1, 2, n), rng.random(n) < 0.8, vox, fields, off, nb,
                   10.0, 0.4, 1.25, rng.random(n), rng.random(n), 1.0, W, H, xo, yo, n=n)
        x, y = xo, yo
        h.update(x.tobytes()); h.update(y.tobytes()); h.update(px.tobytes())
        vox = voxel_indices(x, y, n, dx, nx, ny)
        amt = ex.apply(fields, vox, n, beh, [0, 1], [1, -1], [2, 3], [-1, 4], 2000.0,
                       dx ** 3, 1.0, rng.random(n) < 0.9)
        h.update(amt.tobytes()); h.update(fields.tobytes())
        s = np.empty((n, 2), np.float32); sample_fields(fields, vox, n, s)
        h.update(s.tobytes())
    sys.stdout.write(h.hexdigest())
    """
)


def test_bit_identical_across_thread_counts():
    digests = []
    for threads in ("1", "2", "3"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        res = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                             text=True, timeout=600)
        assert res.returncode == 0, res.stderr
        digests.append(res.stdout.strip())
    assert digests[0] == digests[1] == digests[2], digests


def test_spatial_order_is_a_bin_ordered_permutation():
    rng = np.random.default_rng(11)
    n, W = 3000, 400.0
    x, y = rng.uniform(0, W, n), rng.uniform(0, W, n)
    r = np.full(n, 4.0)
    f = ContactFinder(W, W)
    off, nb = f.find(x, y, r, n)
    order = f.spatial_order().copy()
    assert np.array_equal(np.sort(order), np.arange(n))
    nbx, nby, sx, sy = f.last_grid
    b = np.minimum((y[order] / sy).astype(int), nby - 1) * nbx + np.minimum((x[order] / sx).astype(int), nbx - 1)
    assert np.all(np.diff(b) >= 0)
    # reordering the rows by it gives the same contacts, relabelled
    inv = np.empty(n, np.int64)
    inv[order] = np.arange(n)
    before = {(min(inv[i], inv[j]), max(inv[i], inv[j])) for i, j in csr_to_pairs(off, nb).tolist()}
    off2, nb2 = ContactFinder(W, W).find(x[order], y[order], r[order], n)
    assert {tuple(p) for p in csr_to_pairs(off2, nb2).tolist()} == before
