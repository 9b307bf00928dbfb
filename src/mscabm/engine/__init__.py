"""Engine: populations, lattices and numba kernels. Knows no biology."""
