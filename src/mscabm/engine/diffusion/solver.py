"""The diffusion-decay solver: :class:`DiffusionSolver` advances every species of a
:class:`~mscabm.engine.lattice.Lattice` by the model step ``dt`` in place.

Every species obeys ``du/dt = D * laplacian(u) - k * u + s`` (D in um^2/min, k in 1/min, s an
optional uniform zero-order supply in field units per min, default 0), with per-species
boundaries (zero flux by default, Dirichlet, periodic; per axis and side if wanted).  At set-up
the solver chooses per species a scheme and its sub-steps
(:mod:`~mscabm.engine.diffusion.scheme_choice`), builds that scheme's operator (:mod:`.heat_kernel`,
:mod:`.spectral`, :mod:`.ftcs`, :mod:`.lod`; ``decay`` when D = 0, ``none`` when k = 0 too) and owns the float64
scratch buffers the operators share; ``solver.plan`` / ``solver.describe()`` say how each species
is advanced.

Decay is applied exactly, as the factor ``exp(-k*dt)`` (kernel: folded into the x pass).  It
commutes with diffusion except next to Dirichlet boundaries; there ``explicit``/``lod`` use a
symmetric (Strang) splitting per sub-step (the same as a ghost value ``v*exp(k*dt_sub/2)``) and
``kernel`` diffuses only the deviation from the steady state (:mod:`.steady_state`).  A uniform
supply ``s`` (zero-flux or periodic species only) is added after the step as the exact increment
``s*(1 - exp(-k*dt))/k`` (``s*dt`` when k = 0): the Laplacian of a uniform field is zero under
those boundaries, so the split is exact (the mean obeys ``dm/dt = -k m + s`` to rounding).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from mscabm.engine.diffusion.boundaries import DIRICHLET, ZERO_FLUX, describe_boundary, normalise_boundary
from mscabm.engine.diffusion.field_ops import DecayOp
from mscabm.engine.diffusion.ftcs import ExplicitOp
from mscabm.engine.diffusion.heat_kernel import KernelOp, dirichlet_offset, fold_kernel, heat_kernel_taps
from mscabm.engine.diffusion.lod import LodOp, lod_axis
from mscabm.engine.diffusion.plan import SpeciesPlan
from mscabm.engine.diffusion.scheme_choice import COST_EXPLICIT_SWEEP, SCHEMES, choose_scheme
from mscabm.engine.diffusion.source_integration import SourceIntegrator, integrates_source_exactly
from mscabm.engine.diffusion.spectral import SpectralOp, spectral_axis
from mscabm.engine.diffusion.steady_state import steady_state
from mscabm.engine.lattice import Boundary, Lattice

__all__ = ["DiffusionSolver"]


def _chunks(n: int, target: int) -> int:
    return max(1, min(n, target))


class DiffusionSolver:
    """Advances every species of a Lattice by dt_min: diffusion + first-order decay.

    Parameters
    ----------
    lattice : the field lattice (its ``spacing_um`` and ``shape`` are used; ``step`` updates
        ``lattice.data`` in place unless another array of the same shape is given).
    diffusion_um2_per_min, decay_per_min : one value per species (>= 0).
    supply_per_min : optional, one value per species (>= 0, field units per min): a uniform
        zero-order source (e.g. vascular resupply of a nutrient); the level without cells
        relaxes to ``supply / decay``. Refused on a species with a Dirichlet side.
    boundaries : one per species: a :class:`Boundary` (all sides) or a mapping
        ``{"x": b, "y": b}`` where each ``b`` is a Boundary or a ``(low, high)`` pair; a single
        Boundary is also accepted for all species.
    dt_min : the model step (min).
    scheme : "auto" (default), "explicit", "lod", "kernel" or "spectral"; or one per species.
    rel_tol : accuracy target of ``auto`` and of the sub-step choice of explicit/lod (probe
        error, :func:`~mscabm.engine.diffusion.probe.probe_error`).
    substeps : force the number of sub-steps of explicit/lod (int or one per species, None =
        chosen by ``rel_tol``).
    max_substeps : cap of the automatic lod sub-step search.
    """

    def __init__(
        self,
        lattice: Lattice,
        diffusion_um2_per_min: Sequence[float],
        decay_per_min: Sequence[float],
        boundaries: Sequence[Boundary] | Boundary,
        dt_min: float,
        scheme: str | Sequence[str] = "auto",
        rel_tol: float = 1e-3,
        substeps: int | Sequence[int | None] | None = None,
        max_substeps: int = 256,
        supply_per_min: Sequence[float] | None = None,
    ) -> None:
        if lattice.ndim != 2:
            raise NotImplementedError("only 2-D lattices are implemented")
        ns = lattice.n_species
        D = self._per_species(diffusion_um2_per_min, ns, "diffusion_um2_per_min", float)
        K = self._per_species(decay_per_min, ns, "decay_per_min", float)
        S = [0.0] * ns if supply_per_min is None else self._per_species(supply_per_min, ns, "supply_per_min", float)
        for name, arr in (("diffusion_um2_per_min", D), ("decay_per_min", K), ("supply_per_min", S)):
            for species_name, v in zip(lattice.species, arr):
                if not (math.isfinite(v) and v >= 0.0):
                    raise ValueError(f"{name} of {species_name!r} must be finite and >= 0, got {v!r}")
        dt = float(dt_min)
        if not (math.isfinite(dt) and dt > 0.0):
            raise ValueError(f"dt_min must be positive and finite, got {dt_min!r}")
        rel_tol = float(rel_tol)
        if not rel_tol > 0.0:
            raise ValueError(f"rel_tol must be > 0, got {rel_tol!r}")
        if isinstance(boundaries, (Boundary, Mapping)):
            boundaries = [boundaries] * ns
        boundaries = list(boundaries)
        if len(boundaries) != ns:
            raise ValueError(f"boundaries: expected {ns} entries (one per species), got {len(boundaries)}")
        schemes = [scheme] * ns if isinstance(scheme, str) else list(scheme)
        if len(schemes) != ns:
            raise ValueError(f"scheme: expected {ns} entries (one per species), got {len(schemes)}")
        for sc in schemes:
            if sc not in SCHEMES:
                raise ValueError(f"unknown scheme {sc!r}; expected one of {SCHEMES}")
        subs = self._per_species(substeps, ns, "substeps", lambda v: None if v is None else int(v)) \
            if substeps is not None and not isinstance(substeps, int) else [substeps] * ns

        self.lattice = lattice
        self.dt_min = dt
        self.rel_tol = rel_tol
        self.max_substeps = int(max_substeps)
        self.diffusion_um2_per_min = tuple(D)
        self.decay_per_min = tuple(K)
        self.supply_per_min = tuple(S)
        #: per species: the exact uniform increment of one step from the supply (0 = none)
        self._supply_step = tuple(0.0 if s == 0.0 else (s * dt if k == 0.0 else s * -math.expm1(-k * dt) / k)
                                  for s, k in zip(S, K))
        self.plan: list[SpeciesPlan] = []
        self._ops: list = []
        self._targets: list[float] = []
        self._bufs: list[np.ndarray] = []
        self._eig_cache: dict = {}   # set-up only (Dirichlet steady states)
        ny, nx = lattice.shape
        self._nrow_chunks = _chunks(ny, 64)
        self._ncol_chunks = max(1, min(64, nx // 32))
        self._aux = np.zeros(nx)
        line_len = nx
        dx = lattice.spacing_um
        zero_is_fixed = []
        for s in range(ns):
            kinds, values = normalise_boundary(boundaries[s], lattice.axes)
            zero_is_fixed.append(S[s] == 0.0 and not bool(np.any(values[kinds == DIRICHLET])))
            if S[s] > 0.0 and bool((kinds == DIRICHLET).any()):
                raise ValueError(f"supply_per_min of {lattice.species[s]!r}: a uniform supply needs zero-flux or "
                                 f"periodic boundaries (it is exact only there); give the supply through the "
                                 f"Dirichlet value instead")
            lam = D[s] * dt / (dx * dx)
            plan, op = self._build(lattice.species[s], lam, D[s], K[s], kinds, values, schemes[s], subs[s])
            self.plan.append(plan)
            self._ops.append(op)
            if isinstance(op, KernelOp):
                line_len = max(line_len, len(op.kx.idx))
        self._eig_cache.clear()
        #: per species: an all-zero field stays zero (no supply, zero Dirichlet values), so a step may skip it
        self._zero_is_fixed = tuple(zero_is_fixed)
        #: species whose exchange increment is integrated exactly over the step (source_integration)
        self._source_ops: dict[int, SourceIntegrator] = {}
        for s, p in enumerate(self.plan):
            k_dt = K[s] * dt
            zero_flux = all(b == ZERO_FLUX for b in normalise_boundary(boundaries[s], lattice.axes)[0].ravel())
            if integrates_source_exactly(k_dt, zero_flux, S[s]):
                same = [op for op in self._source_ops.values() if (op.lam, op.k_dt) == (p.lam_step, k_dt)]
                # species with the same operator (NO and ROS) share one (ny, nx) table of mode factors
                self._source_ops[s] = same[0] if same else SourceIntegrator(lattice.shape, p.lam_step, k_dt)
                self.plan[s] = dataclasses.replace(p, source="exact")
        self._lblk = np.zeros((self._nrow_chunks, nx + 1, 8))
        self._klines = np.zeros((self._nrow_chunks, 2, line_len))
        for p, target in zip(self.plan, self._targets):
            if p.est_error > target:
                warnings.warn(
                    f"diffusion of {p.species!r}: estimated error {p.est_error:.3g} exceeds the target {target:.3g} "
                    f"({p.scheme} x{p.substeps}); consider scheme='kernel' (see DiffusionSolver.describe())",
                    RuntimeWarning, stacklevel=2,
                )

    # ------------------------------------------------------------------------ helpers
    @staticmethod
    def _per_species(values, ns, name, conv):
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence | np.ndarray):
            raise TypeError(f"{name} must be a sequence with one value per species")
        vals = [conv(v) for v in values]
        if len(vals) != ns:
            raise ValueError(f"{name}: expected {ns} values (one per species), got {len(vals)}")
        return vals

    def _buffers(self, k: int) -> list[np.ndarray]:
        while len(self._bufs) < k:
            self._bufs.append(np.zeros(self.lattice.shape))
        return self._bufs[:k]

    def _build(self, name, lam, D, k, kinds, values, scheme, nsub_forced):
        dt = self.dt_min
        ny, nx = self.lattice.shape
        bdesc = describe_boundary(kinds, values, self.lattice.axes)
        base = dict(species=name, lam_step=lam, diffusion_um2_per_min=D, decay_per_min=k, boundary=bdesc)
        if lam == 0.0:
            self._targets.append(math.inf)
            plan = SpeciesPlan(scheme="decay" if k > 0 else "none", substeps=1, lam_sub=0.0, taps=(),
                               est_error=0.0, est_cost_ns=0.0 if k == 0 else COST_EXPLICIT_SWEEP, **base)
            return plan, DecayOp(math.exp(-k * dt))

        choice = choose_scheme(name, lam, self.lattice.shape, kinds, scheme, nsub_forced, self.rel_tol,
                               self.max_substeps)
        self._targets.append(choice.target)
        sch, n, err, cost = choice.scheme, choice.substeps, choice.est_error, choice.est_cost_ns

        h = dt / n
        a = math.exp(-k * h)
        if sch == "explicit":
            ghost = np.array([values[0, 0], values[0, 1], values[1, 0], values[1, 1]]) * math.exp(0.5 * k * h)
            op = ExplicitOp(n, lam / n, a, kinds, ghost)
            taps = ()
        elif sch == "lod":
            gs = math.exp(0.5 * k * h)
            axes = [lod_axis(self.lattice.shape[ax], lam / n, int(kinds[ax, 0]), int(kinds[ax, 1]),
                             values[ax, 0] * gs, values[ax, 1] * gs) for ax in range(2)]
            op = LodOp(n, a, axes[0], axes[1])
            taps = ()
        elif sch == "spectral":
            w = heat_kernel_taps(lam)
            ay = spectral_axis(fold_kernel(w, ny, ZERO_FLUX, ZERO_FLUX, 1.0), ny)
            ax = spectral_axis(fold_kernel(w, nx, ZERO_FLUX, ZERO_FLUX, 1.0), nx)
            op = SpectralOp(ay, ax, math.exp(-k * dt))
            taps = op.modes
        else:
            w = heat_kernel_taps(lam)
            # decay folded into the x pass; Dirichlet via u_new = q + exp(-k dt) Kx Ky (u - q)
            ky = fold_kernel(w, ny, int(kinds[0, 0]), int(kinds[0, 1]), 1.0)
            kx = fold_kernel(w, nx, int(kinds[1, 0]), int(kinds[1, 1]), math.exp(-k * dt))
            q = steady_state(self.lattice.shape, self.lattice.spacing_um, D, k, kinds, values, self._eig_cache)
            c = np.zeros((1, nx)) if q is None else dirichlet_offset(ky, kx, q, self._nrow_chunks)
            op = KernelOp(ky, kx, c, w)
            taps = (ky.width, kx.width)
        plan = SpeciesPlan(scheme=sch, substeps=n, lam_sub=lam / n, taps=taps, est_error=err,
                           est_cost_ns=cost, **base)
        return plan, op

    # ---------------------------------------------------------------------- public
    def kernel_taps(self, name: str) -> np.ndarray | None:
        """The 1-D infinite-lattice taps (centred) of a species using the kernel scheme."""
        op = self._ops[self.lattice.index(name)]
        return op.w1d.copy() if isinstance(op, KernelOp) else None

    @property
    def source_species(self) -> tuple[int, ...]:
        """Species whose step increment from the cells is integrated exactly when given to
        :meth:`step` (``increments``; :mod:`~mscabm.engine.diffusion.source_integration`)."""
        return tuple(sorted(self._source_ops))

    def step(self, data: np.ndarray | None = None, species: Sequence[int] | None = None,
             increments: Mapping[int, np.ndarray] | None = None, consume_increments: bool = False) -> None:
        """Advance the species by ``dt_min``, in place on ``lattice.data`` (or on ``data``).

        ``species``: indices of the species to advance (default all). A caller may leave out a
        species it knows is identically zero with zero boundary values and no sources: such a
        field is a fixed point of every scheme, so skipping it changes nothing. The step itself
        skips, by the same argument, a species that is all zero now (with no supply, zero
        Dirichlet values and an all-zero increment): one pass over the field instead of a solve,
        and the result is the same to the bit.

        ``increments``: for species of :attr:`source_species`, the ``(ny, nx)`` float64 amount the
        cells added to (or took from) ``data[s]`` since the last step (field units; already
        included in ``data``). The step then treats it as released evenly over the step,
        ``u_new = P (u - delta) + Phi delta``, instead of at its start, ``P u``. Other species
        ignore it. ``consume_increments=True`` lets the step use each such increment as its work array (a
        contiguous, writeable float64 one is overwritten, any other copied): the model's increments are
        temporaries, so neither it nor the solver holds a lattice-sized buffer for them; otherwise the step works
        on a copy and leaves them as they were. Both give the same result to the bit.
        """
        arr = self.lattice.data if data is None else data
        expected = (self.lattice.n_species,) + self.lattice.shape
        if arr.shape != expected:
            raise ValueError(f"data has shape {arr.shape}, expected {expected}")
        if arr.dtype not in (np.float32, np.float64):
            raise ValueError(f"data must be float32 or float64, got {arr.dtype}")
        if not arr.flags.c_contiguous:
            raise ValueError("data must be C-contiguous")
        for s in range(len(self._ops)) if species is None else species:
            delta = None if increments is None else increments.get(s)
            if self._zero_is_fixed[s] and not arr[s].any() and (delta is None or not delta.any()):
                continue  # zero stays zero under every scheme (it has no source this step)
            integrator = None if delta is None else self._source_ops.get(s)
            if integrator is None or delta is None:
                self._ops[s].run(arr[s], self)
            else:
                modes = integrator.modes_of(delta)      # Phi delta, in the DCT basis (delta is free after this)
                before = delta if (consume_increments and delta.dtype == np.float64 and delta.flags.c_contiguous
                                   and delta.flags.writeable) else np.empty(arr[s].shape, dtype=np.float64)
                np.subtract(arr[s], delta, out=before)  # the field before this step's release
                self._ops[s].run(before, self)          # P u_before (float64)
                integrator.add_modes(modes, before)     # + Phi delta
                np.maximum(before, 0.0, out=before)     # rounding-level negatives (uptake increments)
                arr[s][...] = before
            if self._supply_step[s]:
                arr[s] += self._supply_step[s]

    def describe(self) -> str:
        """Human-readable table of the plan."""
        hdr = ("species", "D um2/min", "decay/min", "supply/min", "lambda/step", "scheme", "sub", "lambda/sub",
               "taps|modes y x", "est.err", "ns/voxel", "source", "boundary")
        rows = [hdr]
        for p, supply in zip(self.plan, self.supply_per_min):
            rows.append((p.species, f"{p.diffusion_um2_per_min:g}", f"{p.decay_per_min:g}", f"{supply:g}",
                         f"{p.lam_step:.4g}",
                         p.scheme, str(p.substeps), f"{p.lam_sub:.3g}", " ".join(map(str, p.taps)) or "-",
                         f"{p.est_error:.1e}", f"{p.est_cost_ns:.3g}", p.source, p.boundary))
        widths = [max(len(r[c]) for r in rows) for c in range(len(hdr))]
        lines = [
            f"DiffusionSolver: dt={self.dt_min:g} min, dx={self.lattice.spacing_um:g} um, "
            f"grid {self.lattice.shape[0]}x{self.lattice.shape[1]}, rel_tol={self.rel_tol:g}"
        ]
        for r_i, r in enumerate(rows):
            lines.append("  ".join(c.ljust(wd) for c, wd in zip(r, widths)).rstrip())
            if r_i == 0:
                lines.append("  ".join("-" * wd for wd in widths))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"DiffusionSolver({[str(p) for p in self.plan]})"
