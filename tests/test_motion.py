"""Motion kernel vs a plain-Python reference of the documented rules, plus physics checks:
persistent-random-walk MSD (Fuerth), chemotactic drift, separation of overlapping cells,
staying in the domain, order independence (Jacobi)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.engine.kernels.contact import ContactFinder
from mscabm.engine.kernels.exchange import voxel_indices
from mscabm.engine.kernels.motion import field_gradient, move_cells

PHI1 = 0.6180339887498949
PHI2 = 0.7548776662466927


# ---------------------------------------------------------------------------------------------
# plain-Python reference of the rules in the motion module docstring
# ---------------------------------------------------------------------------------------------
def ref_gradient(f, v):
    ny, nx = f.shape
    iy, ix = divmod(int(v), nx)
    g = [0.0, 0.0]
    for axis, (i, m) in enumerate(((ix, nx), (iy, ny))):
        if m == 1:
            continue
        at = (lambda k: float(f[iy, k])) if axis == 0 else (lambda k: float(f[k, ix]))
        if i == 0:
            g[axis] = at(1) - at(0)
        elif i == m - 1:
            g[axis] = at(i) - at(i - 1)
        else:
            g[axis] = 0.5 * (at(i + 1) - at(i - 1))
    return g


def ref_move(n, x, y, px, py, radius, speed, pers, bias, species, motile, vox, fields, pairs,
             rep, adh, sca, u_turn, u_angle, dt, W, H):
    """Returns (x_out, y_out, px_new, py_new) as lists; pairs: dict i -> list of neighbours."""
    xo, yo = [0.0] * n, [0.0] * n
    pxn, pyn = [float(v) for v in px[:n]], [float(v) for v in py[:n]]
    for i in range(n):
        xi, yi, ri = float(x[i]), float(y[i]), float(radius[i])
        ax = ay = 0.0
        if motile[i]:
            P = float(pers[i])
            q = 1.0 - math.exp(-dt / P) if P > 0 else 1.0
            if u_turn[i] < q or (pxn[i] == 0.0 and pyn[i] == 0.0):
                th = 2 * math.pi * float(u_angle[i])
                pxn[i], pyn[i] = math.cos(th), math.sin(th)
            ex, ey = pxn[i], pyn[i]
            s = int(species[i])
            if 0 <= s < fields.shape[0]:
                gx, gy = ref_gradient(fields[s], vox[i])
                gn = math.hypot(gx, gy)
                if gn > 0:
                    b = min(max(float(bias[i]), 0.0), 1.0)
                    cx = (1 - b) * pxn[i] + b * gx / gn
                    cy = (1 - b) * pyn[i] + b * gy / gn
                    cn = math.hypot(cx, cy)
                    if cn > 0:
                        ex, ey = cx / cn, cy / cn
            ax, ay = float(speed[i]) * dt * ex, float(speed[i]) * dt * ey
        mx = my = 0.0
        for j in pairs.get(i, []):
            rj = float(radius[j])
            dx, dy = xi - float(x[j]), yi - float(y[j])
            d = math.sqrt(dx * dx + dy * dy)
            R = ri + rj
            Ra = float(sca[i]) * ri + float(sca[j]) * rj
            v = 0.0
            if d < R:
                v += math.sqrt(float(rep[i]) * float(rep[j])) * (1 - d / R) ** 2
            if d < Ra:
                v -= math.sqrt(float(adh[i]) * float(adh[j])) * (1 - d / Ra) ** 2
            s = v * dt
            if s > 0:
                s = min(s, 0.5 * (R - d))
            elif s < 0:
                s = max(s, -0.25 * d)
            if s == 0:
                continue
            if d > 0:
                ux, uy = dx / d, dy / d
            else:
                f = PHI1 * min(i, j) + PHI2 * max(i, j)
                th = 2 * math.pi * (f - math.floor(f))
                ux, uy = math.cos(th), math.sin(th)
                if i > j:
                    ux, uy = -ux, -uy
            mx += s * ux
            my += s * uy
        mn = math.hypot(mx, my)
        if mn > 0.5 * ri:
            mx, my = mx * 0.5 * ri / mn, my * 0.5 * ri / mn
        nx_, ny_ = xi + ax + mx, yi + ay + my
        if nx_ < 0:
            nx_ = -nx_
            pxn[i] = -pxn[i] if motile[i] else pxn[i]
        elif nx_ > W:
            nx_ = 2 * W - nx_
            pxn[i] = -pxn[i] if motile[i] else pxn[i]
        if ny_ < 0:
            ny_ = -ny_
            pyn[i] = -pyn[i] if motile[i] else pyn[i]
        elif ny_ > H:
            ny_ = 2 * H - ny_
            pyn[i] = -pyn[i] if motile[i] else pyn[i]
        xo[i], yo[i] = min(max(nx_, 0.0), W), min(max(ny_, 0.0), H)
    return xo, yo, pxn, pyn


def csr_dict(off, nb, n):
    return {i: [int(j) for j in nb[off[i] : off[i + 1]]] for i in range(n)}


def empty_csr(n):
    return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)


def random_state(rng, n, W, H, dx, n_species=2, overlap_frac=0.2):
    nx, ny = int(math.ceil(W / dx)), int(math.ceil(H / dx))
    x = rng.uniform(0, W, n)
    y = rng.uniform(0, H, n)
    k = int(overlap_frac * n)
    if k:
        src, dst = rng.integers(0, n, k), rng.integers(0, n, k)
        x[dst], y[dst] = x[src], y[src]  # exact overlaps (d == 0)
    ang = rng.uniform(0, 2 * np.pi, n)
    px, py = np.cos(ang), np.sin(ang)
    px[: n // 10] = 0.0
    py[: n // 10] = 0.0  # zero polarity -> forced turn
    st_ = dict(
        x=x, y=y, px=px, py=py,
        radius=rng.uniform(2, 9, n).astype(np.float32),
        speed=rng.uniform(0, 5, n),
        pers=rng.choice([0.0, 0.5, 3.0, 30.0, np.inf], n),
        bias=rng.uniform(-0.2, 1.2, n),
        species=rng.integers(-1, n_species + 1, n),
        motile=rng.random(n) < 0.7,
        fields=rng.uniform(0, 1, (n_species, ny, nx)).astype(np.float32),
        rep=rng.uniform(0, 20, n),
        adh=rng.uniform(0, 2, n),
        sca=rng.uniform(1.0, 1.5, n),
        u_turn=rng.random(n),
        u_angle=rng.random(n),
    )
    st_["fields"][0, :, : nx // 3] = 0.25  # flat region: zero gradient
    st_["vox"] = voxel_indices(x, y, n, dx, nx, ny)
    return st_


def run_kernel(s, n, off, nb, dt, W, H):
    px, py = s["px"].copy(), s["py"].copy()
    xo, yo = np.empty(n), np.empty(n)
    move_cells(s["x"], s["y"], px, py, s["radius"], s["speed"], s["pers"], s["bias"],
               s["species"], s["motile"], s["vox"], s["fields"], off, nb, s["rep"], s["adh"],
               s["sca"], s["u_turn"], s["u_angle"], dt, W, H, xo, yo, n=n)
    return xo, yo, px, py


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 150), dt=st.sampled_from([0.1, 1.0, 6.0]))
def test_matches_python_reference(seed, n, dt):
    rng = np.random.default_rng(seed)
    W, H, dx = 120.0, 80.0, 10.0
    s = random_state(rng, n, W, H, dx)
    off, nb = ContactFinder(W, H).find(s["x"], s["y"], s["radius"], n, 1.5)
    xo, yo, px, py = run_kernel(s, n, off, nb, dt, W, H)
    rx, ry, rpx, rpy = ref_move(n, s["x"], s["y"], s["px"], s["py"], s["radius"], s["speed"],
                                s["pers"], s["bias"], s["species"], s["motile"], s["vox"],
                                s["fields"], csr_dict(off, nb, n), s["rep"], s["adh"], s["sca"],
                                s["u_turn"], s["u_angle"], dt, W, H)
    np.testing.assert_allclose(xo, rx, rtol=0, atol=1e-9)
    np.testing.assert_allclose(yo, ry, rtol=0, atol=1e-9)
    np.testing.assert_allclose(px, rpx, rtol=0, atol=1e-12)
    np.testing.assert_allclose(py, rpy, rtol=0, atol=1e-12)
    assert np.all(np.isfinite(xo)) and np.all(np.isfinite(yo))
    assert np.all((xo >= 0) & (xo <= W) & (yo >= 0) & (yo <= H))


def test_field_gradient_matches_numpy():
    rng = np.random.default_rng(3)
    f = rng.normal(size=(2, 7, 9))
    n = 7 * 9
    vox = np.arange(n, dtype=np.int64)
    gx, gy = field_gradient(f, 1, vox, n, dx_um=2.0)
    gy_np, gx_np = np.gradient(f[1], 2.0)  # central inside, one-sided first order at edges
    np.testing.assert_allclose(gx, gx_np.ravel(), atol=1e-12)
    np.testing.assert_allclose(gy, gy_np.ravel(), atol=1e-12)


def _walk(n, steps, dt, speed, P, W, bias=0.0, species=-1, fields=None, dx=10.0, seed=0):
    """Motile cells, no contacts, in a domain large enough never to reach a wall."""
    rng = np.random.default_rng(seed)
    x = np.full(n, W / 2)
    y = np.full(n, W / 2)
    ang = rng.uniform(0, 2 * np.pi, n)
    px, py = np.cos(ang), np.sin(ang)
    if fields is None:
        fields = np.zeros((1, 1, 1))
    ny_, nx_ = fields.shape[1:]
    off, nb = empty_csr(n)
    r = np.full(n, 5.0)
    traj = [(x.copy(), y.copy())]
    for _ in range(steps):
        vox = voxel_indices(x, y, n, dx, nx_, ny_)
        xo, yo = np.empty(n), np.empty(n)
        move_cells(x, y, px, py, r, np.full(n, speed), np.full(n, P), np.full(n, bias),
                   np.full(n, species), np.ones(n, bool), vox, fields, off, nb, 0.0, 0.0, 1.0,
                   rng.random(n), rng.random(n), dt, W, W, xo, yo)
        x, y = xo, yo
        traj.append((x.copy(), y.copy()))
    return traj


def test_persistent_random_walk_msd_fuerth():
    n, dt, v, P, steps = 4000, 1.0, 2.0, 10.0, 120
    W = 2 * (v * dt * steps) + 100
    traj = _walk(n, steps, dt, v, P, W)
    x0, y0 = traj[0]
    a = math.exp(-dt / P)
    for k in (3, 10, 30, 60, 120):
        xk, yk = traj[k]
        msd = np.mean((xk - x0) ** 2 + (yk - y0) ** 2)
        t = k * dt
        fuerth = 2 * v * v * P * (t - P * (1 - math.exp(-t / P)))
        # exact MSD of the discrete-time walk (velocity correlation a^m between steps)
        discrete = (v * dt) ** 2 * (k + 2 * sum((k - m) * a**m for m in range(1, k)))
        assert abs(msd / fuerth - 1) < 0.10, (k, msd, fuerth)
        assert abs(msd / discrete - 1) < 0.06, (k, msd, discrete)
    # speed: every step is exactly v*dt long (no contacts, no walls)
    (xa, ya), (xb, yb) = traj[50], traj[51]
    np.testing.assert_allclose(np.hypot(xb - xa, yb - ya), v * dt, rtol=1e-12)


def test_chemotaxis_drifts_up_a_linear_gradient():
    dx, nx = 10.0, 200
    W = dx * nx
    ramp = np.arange(nx, dtype=np.float64) * 0.01
    fields = np.broadcast_to(ramp, (1, nx, nx)).copy()
    n, steps, dt, v = 2000, 40, 1.0, 1.0
    # full bias: straight up the gradient (+x), exactly v*dt per step
    traj = _walk(n, steps, dt, v, 5.0, W, bias=1.0, species=0, fields=fields, dx=dx, seed=1)
    np.testing.assert_allclose(traj[-1][0] - traj[0][0], v * dt * steps, rtol=1e-12)
    np.testing.assert_allclose(traj[-1][1], traj[0][1], atol=1e-9)
    # half bias: mean velocity along +x is v * E|cos(theta/2)| = 2v/pi for uniform polarity
    traj = _walk(n, steps, dt, v, 5.0, W, bias=0.5, species=0, fields=fields, dx=dx, seed=2)
    drift = np.mean(traj[-1][0] - traj[0][0]) / (steps * dt)
    assert abs(drift / (2 * v / math.pi) - 1) < 0.05, drift
    assert abs(np.mean(traj[-1][1] - traj[0][1])) / (steps * dt) < 0.05
    # no bias (or following a species with a flat field): no drift
    for kw in (dict(bias=0.0, species=0), dict(bias=1.0, species=0)):
        f = fields if kw["bias"] == 0.0 else np.zeros_like(fields)
        traj = _walk(n, steps, dt, v, 5.0, W, fields=f, dx=dx, seed=3, **kw)
        assert abs(np.mean(traj[-1][0] - traj[0][0])) / (steps * dt) < 0.1


def _relax(x, y, r, W, H, steps, dt=1.0, rep=10.0, adh=0.0, scale=1.25):
    n = len(x)
    finder = ContactFinder(W, H)
    fields = np.zeros((1, 1, 1))
    for _ in range(steps):
        off, nb = finder.find(x, y, r, n, scale)
        xo, yo = np.empty(n), np.empty(n)
        move_cells(x, y, np.zeros(n), np.zeros(n), r, np.zeros(n), np.ones(n), np.zeros(n),
                   np.full(n, -1), np.zeros(n, bool), np.zeros(n, np.int64), fields, off, nb,
                   rep, adh, scale, np.zeros(n), np.zeros(n), dt, W, H, xo, yo)
        assert np.all(np.isfinite(xo)) and np.all(np.isfinite(yo))
        assert np.all((xo >= 0) & (xo <= W) & (yo >= 0) & (yo <= H))
        x, y = xo, yo
    return x, y


@pytest.mark.parametrize("dt", [0.1, 1.0, 10.0])
def test_overlapping_pair_separates(dt):
    r = np.array([5.0, 5.0])
    for x0 in ([50.0, 50.0], [50.0, 53.0]):  # exactly coincident, then partly overlapping
        x, y = _relax(np.array(x0), np.array([40.0, 40.0]), r, 100.0, 80.0, int(300 / dt) + 50, dt)
        d = math.hypot(x[1] - x[0], y[1] - y[0])
        assert 9.8 < d <= 10.0 + 1e-9, d
        # symmetric push: the midpoint does not move
        np.testing.assert_allclose([(x[0] + x[1]) / 2, (y[0] + y[1]) / 2],
                                   [(x0[0] + x0[1]) / 2, 40.0], atol=1e-9)


def test_adhesion_pulls_pair_together():
    r = np.array([5.0, 5.0])
    x, y = _relax(np.array([50.0, 61.5]), np.array([40.0, 40.0]), r, 100.0, 80.0, 400,
                  rep=10.0, adh=1.0, scale=1.25)
    d = x[1] - x[0]
    # equilibrium where repulsion balances adhesion: sqrt(10)(1 - d/10) = sqrt(1)(1 - d/12.5)
    d_eq = (math.sqrt(10.0) - 1.0) / (math.sqrt(10.0) / 10.0 - 1.0 / 12.5)
    assert abs(d - d_eq) < 1e-3, (d, d_eq)
    np.testing.assert_allclose(y, 40.0)


def test_pile_spreads_and_stays_in_domain():
    rng = np.random.default_rng(5)
    n = 60
    x = np.full(n, 1.0)
    y = np.full(n, 1.0)
    x[: n // 2] += rng.normal(0, 0.1, n // 2)
    r = np.full(n, 4.0)
    x, y = _relax(x, y, r, 60.0, 60.0, 400)
    off, nb = ContactFinder(60.0, 60.0).find(x, y, r, n, 1.0)
    d = []
    for i in range(n):
        for j in nb[off[i] : off[i + 1]]:
            d.append(math.hypot(x[i] - x[j], y[i] - y[j]))
    assert min(d, default=8.0) > 0.7 * 8.0


def test_walkers_stay_in_domain_and_bounce():
    rng = np.random.default_rng(6)
    n, W, H = 500, 30.0, 20.0
    x, y = rng.uniform(0, W, n), rng.uniform(0, H, n)
    ang = rng.uniform(0, 2 * np.pi, n)
    px, py = np.cos(ang), np.sin(ang)
    off, nb = empty_csr(n)
    for _ in range(50):
        xo, yo = np.empty(n), np.empty(n)
        move_cells(x, y, px, py, np.full(n, 1.0), np.full(n, 7.0), np.full(n, 1e9),
                   np.zeros(n), np.full(n, -1), np.ones(n, bool), np.zeros(n, np.int64),
                   np.zeros((1, 1, 1)), off, nb, 0.0, 0.0, 1.0, np.ones(n), rng.random(n),
                   1.0, W, H, xo, yo)
        assert np.all((xo >= 0) & (xo <= W) & (yo >= 0) & (yo <= H))
        x, y = xo, yo
    np.testing.assert_allclose(np.hypot(px, py), 1.0, rtol=1e-12)


def test_jacobi_order_independent():
    """Permuting the rows permutes the result (no Gauss-Seidel order dependence)."""
    rng = np.random.default_rng(8)
    n, W, H, dx = 400, 150.0, 150.0, 15.0
    s = random_state(rng, n, W, H, dx, overlap_frac=0.0)
    off, nb = ContactFinder(W, H).find(s["x"], s["y"], s["radius"], n, 1.5)
    out = run_kernel(s, n, off, nb, 1.0, W, H)
    perm = rng.permutation(n)
    sp = {k: (v[perm] if isinstance(v, np.ndarray) and v.ndim == 1 else v) for k, v in s.items()}
    off2, nb2 = ContactFinder(W, H).find(sp["x"], sp["y"], sp["radius"], n, 1.5)
    out2 = run_kernel(sp, n, off2, nb2, 1.0, W, H)
    for a, b in zip(out, out2):
        # same pair sums in a different neighbour order: equal up to rounding
        np.testing.assert_allclose(a[perm], b, rtol=0, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 150))
def test_in_place_update_equals_separate_outputs(seed, n):
    """x_out, y_out may be x, y themselves (the model moves its cells in place): bit-equal to separate outputs,
    overlapping pairs included, since every neighbour is read from the packed copy made first."""
    rng = np.random.default_rng(seed)
    W, H = 120.0, 80.0
    s = random_state(rng, n, W, H, 10.0, overlap_frac=0.5)
    off, nb = ContactFinder(W, H).find(s["x"], s["y"], s["radius"], n, 1.5)
    xo, yo, px, py = run_kernel(s, n, off, nb, 1.0, W, H)
    x, y, px2, py2 = s["x"].copy(), s["y"].copy(), s["px"].copy(), s["py"].copy()
    move_cells(x, y, px2, py2, s["radius"], s["speed"], s["pers"], s["bias"], s["species"], s["motile"], s["vox"],
               s["fields"], off, nb, s["rep"], s["adh"], s["sca"], s["u_turn"], s["u_angle"], 1.0, W, H, x, y, n=n)
    for a, b in ((x, xo), (y, yo), (px2, px), (py2, py)):
        np.testing.assert_array_equal(a, b)


def test_rejects_aliasing_and_accepts_empty():
    n = 3
    x = np.zeros(n)
    off, nb = empty_csr(n)
    args = (np.zeros(n), np.zeros(n), np.ones(n), np.ones(n), np.ones(n), np.zeros(n),
            np.full(n, -1), np.ones(n, bool), np.zeros(n, np.int64), np.zeros((1, 1, 1)), off, nb,
            1.0, 1.0, 1.0, np.zeros(n), np.zeros(n), 1.0, 10.0, 10.0)
    with pytest.raises(ValueError):
        move_cells(x, x.copy(), *args, x, np.empty(n))
    xb, y = np.zeros(n + 1), np.zeros(n)
    x = xb[:n]
    for x_out, y_out in ((y, x), (xb[1:], y), (np.zeros(n), x)):  # crossed, shifted by a row, one overlapping
        with pytest.raises(ValueError, match="in place"):
            move_cells(x, y, *args, x_out, y_out)
    with pytest.raises(ValueError, match="in place"):  # in place, but x and y overlap: the rows would race
        move_cells(xb[:n], xb[1:], *args, xb[:n], xb[1:])
    move_cells(x, y, *args, x, y)  # in place
    move_cells(x[:0], x[:0], *args, np.empty(0), np.empty(0), n=0)
