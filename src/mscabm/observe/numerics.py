"""The numerical guard of a run: fields finite and >= 0, cell positions finite."""

from __future__ import annotations

import numpy as np

__all__ = ["NumericalError", "check_numerics"]


class NumericalError(RuntimeError):
    """A field went negative or non-finite, or a cell position became non-finite."""


def check_numerics(model) -> None:
    """Cheap guard run at every recorded step: ``model``'s fields finite and >= 0, positions finite.

    Raises :class:`NumericalError` naming the step, the field and the voxel.
    """
    data = model.lattice.data
    bad = ~np.isfinite(data) | (data < 0)
    if bad.any():
        s, iy, ix = (int(v) for v in np.argwhere(bad)[0])
        raise NumericalError(f"step {model.steps} (t = {model.time:g} min): field {model.tables.field_names[s]} "
                             f"is {data[s, iy, ix]!r} at voxel (iy={iy}, ix={ix}); "
                             "fields must stay finite and >= 0")
    pos_ok = np.isfinite(model.population["x_um"]) & np.isfinite(model.population["y_um"])
    if not pos_ok.all():
        row = int(np.flatnonzero(~pos_ok)[0])
        raise NumericalError(f"step {model.steps}: cell {int(model.population['id'][row])} has a non-finite position")
