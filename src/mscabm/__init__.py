"""mscabm: agent-based simulation of mesenchymal stem cell (MSC) immunomodulation.

Layers (see DESIGN.md): ``biology`` says what cells and fields are, ``engine`` says how
they run (struct-of-arrays populations, field lattices, numba kernels), ``model`` composes
the two into a Mesa model.
"""

__version__ = "0.1.0"
