"""Numba kernels: arrays in, arrays out; no biology constants."""
