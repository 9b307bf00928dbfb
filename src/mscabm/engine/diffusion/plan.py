"""The plan of one species: how :class:`~mscabm.engine.diffusion.solver.DiffusionSolver`
advances it per model step (scheme, sub-steps, lambdas, taps, estimated error and cost)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SpeciesPlan"]


@dataclass(frozen=True)
class SpeciesPlan:
    """How one species is advanced per model step."""

    species: str
    scheme: str            # "explicit" | "lod" | "kernel" | "spectral" | "decay" | "none"
    substeps: int
    lam_step: float        # D*dt/dx^2 per model step (per axis)
    lam_sub: float         # D*dt_sub/dx^2 per sub-step (per axis)
    diffusion_um2_per_min: float
    decay_per_min: float
    boundary: str
    taps: tuple[int, ...]  # kernel: taps per voxel per axis (y, x); spectral: modes kept (y, x); else ()
    est_error: float       # probe error (mscabm.engine.diffusion.probe), relative to the peak
    est_cost_ns: float     # estimated ns per voxel per model step (cost model)
    source: str = "split"  # the cells' step increment: "split" (P(u + delta)) or "exact" (source_integration)

    def __str__(self) -> str:
        word = "modes" if self.scheme == "spectral" else "taps"
        extra = f", {word}={'x'.join(map(str, self.taps))}" if self.taps else ""
        return (
            f"{self.species}: {self.scheme} x{self.substeps} (lambda/step={self.lam_step:.4g}, "
            f"lambda/sub-step={self.lam_sub:.4g}{extra}, D={self.diffusion_um2_per_min:g} um^2/min, "
            f"decay={self.decay_per_min:g}/min, boundary={self.boundary}, "
            f"est. error={self.est_error:.2g}, est. cost={self.est_cost_ns:.3g} ns/voxel, source={self.source})"
        )
