"""Transwell as a geometry: an insert compartment above the well, the medium between resolved in layers.

With ``interventions.transwell = true`` the cell types of ``[transwell] insert_types`` (MSCs by
default) live on the insert membrane, the others on the well bottom. Each field is held in a
stack of horizontal layers (bottom to top):

* layer 0: the well's cell layer, ``domain.thickness_um`` thick: the responders sense and exchange
  here (it is ``model.lattice``, the layer every readout, snapshot and picture shows);
* ``gap_layers`` layers of medium between it and the membrane at ``membrane_height_um`` above
  the well bottom (SCIENCE.md s3b: ~0.9-1 mm);
* the membrane (porosity, thickness: a series resistance ``d / (D phi)``);
* the insert's cell layer, ``domain.thickness_um`` thick, zero flux above: the insert cells
  sense and exchange here.

Every layer diffuses and decays horizontally with the field's own scheme; the columns then
advance by the exact vertical propagator (``engine/diffusion/vertical.py``). So each field's
passage across follows its own diffusion and decay: a protein equilibrates across the gap over
hours to a day, nitric oxide (half-life seconds, reach ~0.1 mm) decays before it reaches the well.
Cells in different compartments never touch (contacts and mechanics are filtered), whatever
their horizontal positions.

Idealisations (docs/model.md): the horizontal patch is the simulated domain (its boundaries
apply to every layer); there is no convection; the medium above the insert cells is the insert's
cell layer only (zero flux above it), as the well's is in a plain co-culture.
"""

from __future__ import annotations

import numpy as np

from mscabm.config import Config
from mscabm.engine.diffusion.vertical import apply_vertical, vertical_propagators

__all__ = ["Transwell"]


class Transwell:
    """Layered fields of a transwell run (module docstring).

    Parameters
    ----------
    cfg : Config
    field_names : list of str
    type_names : list of str
    lattice : Lattice
        The model's well lattice; its ``data`` becomes a view of layer 0 of :attr:`layers`.
    """

    def __init__(self, cfg: Config, field_names: list[str], type_names: list[str], lattice) -> None:
        tw = cfg.transwell
        h0 = float(lattice.thickness_um)
        gap = (tw.membrane_height_um - h0) / tw.gap_layers
        #: thickness of each layer, bottom to top (um)
        self.thickness_um = np.array([h0] + [gap] * tw.gap_layers + [h0])
        n_layers = len(self.thickness_um)
        self.layers = np.empty((n_layers,) + lattice.data.shape, dtype=lattice.data.dtype)
        self.layers[:] = lattice.data  # the medium starts uniform
        lattice.data = self.layers[0]
        self.insert = self.layers[-1]
        self.propagators = vertical_propagators(
            self.thickness_um, [cfg.fields[f].diffusion_um2_per_min for f in field_names], cfg.model.dt_min,
            membrane_after=n_layers - 2, membrane_porosity=tw.membrane_porosity,
            membrane_thickness_um=tw.membrane_thickness_um)
        self.insert_codes = np.array([type_names.index(t) for t in tw.insert_types], dtype=np.int64)
        self._nx = lattice.shape[1]

    def in_insert(self, cell_type: np.ndarray) -> np.ndarray:
        """bool (n,): the cells that live on the insert membrane."""
        return np.isin(cell_type, self.insert_codes)

    def diffuse(self, solver, species, well_increments=None, insert_increments=None,
                consume_increments: bool = False) -> None:
        """Horizontal step of every layer, then the exact vertical step of every column.

        ``well_increments`` / ``insert_increments``: the cells' release of this step into the
        two cell layers, for the solver's exact source integration (``DiffusionSolver.step``, which may use
        them as its work arrays with ``consume_increments``)."""
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            inc = well_increments if i == 0 else insert_increments if i == last else None
            solver.step(data=layer, species=species, increments=inc, consume_increments=consume_increments)
        apply_vertical(self.layers, self.propagators, species)

    def sample_insert(self, voxel: np.ndarray, insert_rows: np.ndarray, out: np.ndarray,
                      columns: np.ndarray) -> None:
        """``out[r, columns[f]]`` = the insert layer's field ``f`` at the voxel of each insert row ``r`` (the fields
        with a column >= 0)."""
        fields = np.flatnonzero(columns >= 0)
        if len(insert_rows) and len(fields):
            v = voxel[insert_rows]
            levels = self.insert[fields[:, None], (v // self._nx)[None, :], (v % self._nx)[None, :]]
            out[np.ix_(insert_rows, columns[fields])] = levels.T

    def blocks(self, alive: np.ndarray, cell_type: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(layer data, cells that exchange with it): the well layer and the insert layer."""
        ins = self.in_insert(cell_type)
        return [(self.layers[0], alive & ~ins), (self.insert, alive & ins)]

    def add_uniform(self, index: int, level: float) -> None:
        """A uniform dose into the whole medium (every layer; layer 0 is the model's lattice)."""
        self.layers[1:, index] += level
