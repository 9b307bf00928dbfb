"""What the benchmark modules share: the issue's reference figures, the lattice spacing and
the default field set they run with, and the progress line."""

from __future__ import annotations

__all__ = ["DX_UM", "REFERENCE", "default_fields", "log"]

#: reference figures from the issue (same machine class, 2 cores)
REFERENCE = {
    "numpy_explicit_f32_4096_6": 0.44e9,     # voxel-updates/s, plain numpy FTCS
    "biofvm_2d_4sub_2threads": 2e8,          # voxel-updates/s, BioFVM LOD
    "physicell_1e4": 4e5,                    # cell-steps/s, PhysiCell 1.14, 2 threads
    "physicell_1e5": 1.3e5,
    "physicell_bytes_per_cell": 7.8e3,
}

#: lattice spacing of every benchmark lattice (um)
DX_UM = 10.0


def log(msg: str) -> None:
    """One progress line, flushed at once (the suite runs for minutes)."""
    print(msg, flush=True)


def default_fields() -> tuple[list[str], list[float], list[float]]:
    """The default config's fields: names, D (um^2/min) and decay (1/min), in config order."""
    from mscabm.config import default_config_dict

    f = default_config_dict()["fields"]
    return list(f), [f[k]["diffusion_um2_per_min"] for k in f], [f[k]["decay_per_min"] for k in f]
