"""A pure-Mesa implementation of a reduced mscabm model, for the speed-up comparison.

Reduced model (the same rules in both implementations): activated T cells only (radius 3.75 um,
a density of 2660 cells/mm^2, square domain scaled with N), no division, death
or state change (every rule disabled), each cell per step of dt = 1 min:

1. persistent random walk: turn with probability ``1 - exp(-dt/P)`` (P = 2 min) to a uniform
   direction, move ``speed * dt`` (4 um/min) along the polarity;
2. contact mechanics from the old positions (Jacobi): PhysiCell repulsion ``c_r (1 - d/R)^2``
   for d < R = r_i + r_j and adhesion ``c_a (1 - d/R_a)^2`` for d < R_a = 1.25 R, each pair's
   push capped at (R - d)/2, its pull at d/4, the sum capped at r/2;
3. reflect at the walls (flipping the polarity component), then clamp;
4. export IL-2 into its voxel: ``rho += dt * E / V_voxel`` (600 molecules/min, times the model's
   release-then-decay correction ``mscabm.assembly.export_decay_correction``, 1.005 here);
5. the field diffuses (D = 25 um^2/min, explicit FTCS with the same sub-steps as mscabm, zero
   flux) and decays (0.01 /min); every other field is switched off in mscabm (D = 0, k = 0,
   initial 0).

Every cell starts activated (the default's fraction of Tregs among the CD4 T cells is cleared).

Here the cells are ``mesa.Agent`` objects in a ``mesa.space.MultiGrid`` used as the contact
cell list (bins of side >= the adhesion range, 3x3 bin neighbourhood), and the rules are
Python methods; randomness from Mesa's ``model.random``.  The field is a numpy array (what a
Mesa user would write; it is not the bottleneck).  mscabm runs the same reduced configuration
(:func:`build_mscabm`).  :func:`compare` checks that both give statistically matching readouts:
mean squared displacement, total field amount, field spatial std and mean contacts per cell.

Kept in ``benchmarks/`` only (not part of the package); ``mscabm.bench.mesa_compare`` imports it by path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mesa
import numpy as np
from mesa.space import MultiGrid

#: total cell density of the default config before the CD8/TISSUE extension (the default now
#: places ~3960 cells/mm^2); kept so that speed-ups stay comparable with earlier results
T_DENSITY_PER_MM2 = 2660.0
FIELD = "IL2"
D_UM2_PER_MIN = 25.0
DECAY_PER_MIN = 0.01
EXPORT_MOLECULES_PER_MIN = 600.0


def side_for(n: int) -> float:
    return 1000.0 * math.sqrt(n / T_DENSITY_PER_MM2)


def reduced_overrides(n: int) -> dict:
    """mscabm config overrides for the reduced model with n T cells."""
    from mscabm.config import default_config_dict

    d = default_config_dict()
    side = side_for(n)
    o = {"domain.width_um": side, "domain.height_um": side, "model.steps": 10**8,
         "domain.diffusion_scheme": "explicit"}
    for t in d["cells"]:
        o[f"cells.{t}.count"] = n if t == "T" else 0
        o[f"cells.{t}.state_fractions"] = {}
    o["cells.T.initial_state"] = "activated"
    for r in d["rules"]:
        o[f"rules.{r}.enabled"] = False
    act = d["behaviours"]["T"]["activated"]
    for k in act:
        if k not in ("speed_um_per_min", "persistence_min", f"export_{FIELD}_molecules_per_min"):
            o[f"behaviours.T.activated.{k}"] = 0.0
    o[f"behaviours.T.activated.export_{FIELD}_molecules_per_min"] = EXPORT_MOLECULES_PER_MIN
    for f in d["fields"]:
        if f == FIELD:
            continue
        o[f"fields.{f}.diffusion_um2_per_min"] = 0.0
        o[f"fields.{f}.decay_per_min"] = 0.0
        o[f"fields.{f}.initial"] = 0.0
    o[f"fields.{FIELD}.diffusion_um2_per_min"] = D_UM2_PER_MIN
    o[f"fields.{FIELD}.decay_per_min"] = DECAY_PER_MIN
    o[f"fields.{FIELD}.initial"] = 0.0
    o[f"fields.{FIELD}.boundary"] = "zero_flux"
    return o


def build_mscabm(n: int, seed: int = 1):
    from mscabm.model import MSCModel

    return MSCModel(rng=seed, **reduced_overrides(n))


@dataclass
class Params:
    n: int
    width_um: float
    height_um: float
    radius_um: float
    speed_um_per_min: float
    persistence_min: float
    repulsion_um_per_min: float
    adhesion_um_per_min: float
    contact_scale: float
    export_amount_per_min: float   # field unit x um^3 per min
    voxel_um: float
    voxel_volume_um3: float
    D_um2_per_min: float
    decay_per_min: float
    substeps: int
    nx: int
    ny: int
    dt_min: float = 1.0


def params_for(n: int) -> Params:
    """The reduced model's parameters, read from mscabm's resolved config (one source of truth)."""
    from mscabm.assembly import export_decay_correction
    from mscabm.biology.fields import molecules_to_amount
    from mscabm.config import load_config
    from mscabm.model import MSCModel

    o = reduced_overrides(n)
    cfg = MSCModel._resolve_config(None, o)
    b = cfg.to_dict()["behaviours"]["T"]["activated"]
    # sub-steps: the plan mscabm's solver makes for this field (tiny lattice; the plan is per lambda)
    from mscabm.engine.diffusion import DiffusionSolver
    from mscabm.engine.lattice import Boundary, Lattice

    lat = Lattice((8, 8), cfg.domain.voxel_um, [FIELD])
    plan = DiffusionSolver(lat, [D_UM2_PER_MIN], [DECAY_PER_MIN], [Boundary()], cfg.model.dt_min,
                           scheme="explicit").plan[0]
    del load_config
    return Params(n=n, width_um=cfg.domain.width_um, height_um=cfg.domain.height_um,
                  radius_um=cfg.cells["T"].radius_um, speed_um_per_min=b["speed_um_per_min"],
                  persistence_min=b["persistence_min"], repulsion_um_per_min=cfg.model.repulsion_um_per_min,
                  adhesion_um_per_min=cfg.model.adhesion_um_per_min, contact_scale=cfg.model.contact_scale,
                  export_amount_per_min=EXPORT_MOLECULES_PER_MIN * molecules_to_amount(cfg.fields[FIELD].unit)
                  * export_decay_correction(DECAY_PER_MIN, cfg.model.dt_min),
                  voxel_um=cfg.domain.voxel_um,
                  voxel_volume_um3=cfg.domain.voxel_um**2 * cfg.domain.thickness_um,
                  D_um2_per_min=D_UM2_PER_MIN, decay_per_min=DECAY_PER_MIN, substeps=plan.substeps,
                  ny=cfg.lattice_shape[0], nx=cfg.lattice_shape[1],
                  dt_min=cfg.model.dt_min)


class TCell(mesa.Agent):
    """One T cell: continuous position, polarity, and its bin in the model's MultiGrid."""

    def __init__(self, model: MesaReference, x: float, y: float, angle: float):
        super().__init__(model)
        self.x = x
        self.y = y
        self.x0 = x
        self.y0 = y
        self.px = math.cos(angle)
        self.py = math.sin(angle)
        self.new_x = x
        self.new_y = y

    def plan(self) -> None:
        """Walk + contact mechanics from the old positions (written to new_x, new_y)."""
        m = self.model
        p = m.p
        dt = p.dt_min
        if m.random.random() < m.turn_probability:
            th = 2.0 * math.pi * m.random.random()
            self.px = math.cos(th)
            self.py = math.sin(th)
        step = p.speed_um_per_min * dt
        ax = step * self.px
        ay = step * self.py
        ri = p.radius_um
        mx = my = 0.0
        for other in m.grid.get_neighbors(self.pos, moore=True, include_center=True, radius=1):
            if other is self:
                continue
            ddx = self.x - other.x
            ddy = self.y - other.y
            d = math.sqrt(ddx * ddx + ddy * ddy)
            R = ri + p.radius_um
            Ra = p.contact_scale * R
            if d >= Ra and d >= R:
                continue
            v = 0.0
            if d < R:
                t = 1.0 - d / R
                v += p.repulsion_um_per_min * t * t
            if d < Ra:
                t = 1.0 - d / Ra
                v -= p.adhesion_um_per_min * t * t
            s = v * dt
            if s > 0.0:
                s = min(s, 0.5 * (R - d))
                if s <= 0.0:
                    continue
            elif s < 0.0:
                s = max(s, -0.25 * d)
                if s >= 0.0:
                    continue
            else:
                continue
            if d > 0.0:
                ux, uy = ddx / d, ddy / d
            else:
                th = 2.0 * math.pi * m.random.random()
                ux, uy = math.cos(th), math.sin(th)
            mx += s * ux
            my += s * uy
        mn = math.sqrt(mx * mx + my * my)
        cap = 0.5 * ri
        if mn > cap:
            mx *= cap / mn
            my *= cap / mn
        nx = self.x + ax + mx
        ny = self.y + ay + my
        if nx < 0.0:
            nx = -nx
            self.px = -self.px
        elif nx > p.width_um:
            nx = 2.0 * p.width_um - nx
            self.px = -self.px
        if ny < 0.0:
            ny = -ny
            self.py = -self.py
        elif ny > p.height_um:
            ny = 2.0 * p.height_um - ny
            self.py = -self.py
        self.new_x = min(max(nx, 0.0), p.width_um)
        self.new_y = min(max(ny, 0.0), p.height_um)

    def commit(self) -> None:
        """Move to the planned position (and bin), then export into the voxel there."""
        m = self.model
        self.x = self.new_x
        self.y = self.new_y
        b = m.bin_of(self.x, self.y)
        if b != self.pos:
            m.grid.move_agent(self, b)
        ix = min(int(self.x / m.p.voxel_um), m.nx - 1)
        iy = min(int(self.y / m.p.voxel_um), m.ny - 1)
        m.field[iy, ix] += m.export_per_step


class MesaReference(mesa.Model):
    """The reduced model in pure Mesa (see the module docstring)."""

    def __init__(self, params: Params, seed: int = 1):
        super().__init__(rng=seed)
        p = self.p = params
        cut = p.contact_scale * 2.0 * p.radius_um
        self.nbx = max(1, int(p.width_um / cut))
        self.nby = max(1, int(p.height_um / cut))
        self.bx = p.width_um / self.nbx
        self.by = p.height_um / self.nby
        self.grid = MultiGrid(self.nbx, self.nby, torus=False)
        self.nx = p.nx   # the same lattice as mscabm's
        self.ny = p.ny
        self.field = np.zeros((self.ny, self.nx))
        self.turn_probability = 1.0 - math.exp(-p.dt_min / p.persistence_min) if p.persistence_min > 0 else 1.0
        self.export_per_step = p.dt_min * p.export_amount_per_min / p.voxel_volume_um3
        self.lam_sub = p.D_um2_per_min * p.dt_min / p.voxel_um**2 / p.substeps
        self.decay_factor = math.exp(-p.decay_per_min * p.dt_min)
        r = p.radius_um
        for _ in range(p.n):
            x = self.random.uniform(r, p.width_um - r)
            y = self.random.uniform(r, p.height_um - r)
            a = TCell(self, x, y, self.random.uniform(0, 2 * math.pi))
            self.grid.place_agent(a, self.bin_of(x, y))

    def bin_of(self, x: float, y: float) -> tuple[int, int]:
        return (min(int(x / self.bx), self.nbx - 1), min(int(y / self.by), self.nby - 1))

    def diffuse(self) -> None:
        u = self.field
        for _ in range(self.p.substeps):
            q = np.pad(u, 1, mode="edge")
            u = u + self.lam_sub * (q[:-2, 1:-1] + q[2:, 1:-1] + q[1:-1, :-2] + q[1:-1, 2:] - 4.0 * u)
        self.field = u * self.decay_factor

    def step(self) -> None:
        self.agents.do("plan")
        self.agents.do("commit")
        self.diffuse()

    # readouts
    def positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        ag = list(self.agents)
        return (np.array([a.x for a in ag]), np.array([a.y for a in ag]),
                np.array([a.x0 for a in ag]), np.array([a.y0 for a in ag]))


def _readouts(x, y, x0, y0, field, voxel_volume, contact_dist) -> dict:
    """Readouts, each with a within-run standard error where one is known (cells as samples
    for the MSD, Poisson pair counts for the contacts)."""
    from scipy.spatial import cKDTree

    d2 = (x - x0) ** 2 + (y - y0) ** 2
    pairs = len(cKDTree(np.column_stack([x, y])).query_pairs(contact_dist, output_type="ndarray"))
    n = len(x)
    return {"msd_um2": float(d2.mean()), "msd_um2_se": float(d2.std() / math.sqrt(n)),
            "field_total": float(field.sum() * voxel_volume),
            "field_std": float(field.std()),
            "contacts_per_cell": 2.0 * pairs / n, "contacts_per_cell_se": 2.0 * math.sqrt(max(pairs, 1)) / n}


def readouts_mesa(n: int, steps: int, seed: int) -> dict:
    p = params_for(n)
    m = MesaReference(p, seed=seed)
    for _ in range(steps):
        m.step()
    x, y, x0, y0 = m.positions()
    return _readouts(x, y, x0, y0, m.field, p.voxel_volume_um3, 2 * p.contact_scale * p.radius_um)


def readouts_mscabm(n: int, steps: int, seed: int) -> dict:
    m = build_mscabm(n, seed=seed)
    pop = m.population
    # rows are reordered into spatial order every model.sort_every steps: match cells by id
    ids0, x0, y0 = pop["id"].copy(), pop["x_um"].copy(), pop["y_um"].copy()
    for _ in range(steps):
        m.step()
    assert len(pop) == n, "the reduced model must not divide or remove cells"
    rows = pop.rows_of(ids0)
    x, y = pop["x_um"][rows], pop["y_um"][rows]
    f = m.lattice.data[m.lattice.index(FIELD)].astype(np.float64)
    r = float(m.config.cells["T"].radius_um)
    return _readouts(x, y, x0, y0, f, m.lattice.voxel_volume_um3, 2 * m.config.model.contact_scale * r)


#: relative tolerance floor per readout on the mean over seeds.  The total amount is deterministic
#: (exports, decay and zero-flux diffusion conserve it up to float32 rounding): floor only.  The
#: others are random: compared within 3 standard errors of the difference of the two means (the
#: larger of the across-seed estimate and the within-run one, where known) plus the floor.
TOLERANCE = {"msd_um2": 0.02, "field_total": 1e-4, "field_std": 0.02, "contacts_per_cell": 0.02}


def compare(n: int, steps: int, seeds: int) -> dict:
    """Run both implementations ``seeds`` times and compare their readouts."""
    ours = [readouts_mscabm(n, steps, s) for s in range(1, seeds + 1)]
    theirs = [readouts_mesa(n, steps, s) for s in range(1, seeds + 1)]
    out = {}
    for k in TOLERANCE:
        a = np.array([r[k] for r in ours])
        b = np.array([r[k] for r in theirs])
        ma, mb = float(a.mean()), float(b.mean())
        se = 0.0
        for runs, arr in ((ours, a), (theirs, b)):
            seed_var = arr.var(ddof=1) / len(arr) if len(arr) > 1 else 0.0
            within = (np.mean([r[k + "_se"] ** 2 for r in runs]) / len(runs)) if k + "_se" in runs[0] else 0.0
            se += max(seed_var, within)
        se = math.sqrt(se)
        scale = max(abs(ma), abs(mb), 1e-300)
        tol = TOLERANCE[k] + (3.0 * se / scale if k != "field_total" else 0.0)
        rel = abs(ma - mb) / scale
        out[k] = {"mscabm": ma, "mesa": mb, "rel_diff": rel, "tolerance": tol, "match": bool(rel <= tol),
                  "mscabm_seeds": a.tolist(), "mesa_seeds": b.tolist()}
    return {"cells": n, "steps": steps, "seeds": seeds, "readouts": out,
            "all_match": all(v["match"] for v in out.values())}


if __name__ == "__main__":  # quick self-check: python benchmarks/mesa_reference.py
    import json
    import time

    t = time.perf_counter()
    print(json.dumps(compare(500, 20, 2), indent=1))
    print(f"{time.perf_counter() - t:.1f} s")
