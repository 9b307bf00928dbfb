"""A quiet well for the mechanism tests: a 200 x 200 um well holding nothing but the cells a test adds
(every built-in cell type at count 0), and a helper that runs it and records the readouts."""

from mscabm.biology.celltypes import CELL_TYPES
from mscabm.model import MSCModel

QUIET = {"domain.width_um": 200.0, "domain.height_um": 200.0, "model.steps": 10**6, "output.record_every": 60,
         **{f"cells.{t}.count": 0 for t in CELL_TYPES}}


def run(steps: int, seed: int, **kw) -> dict:
    """The readouts after ``steps`` steps of the quiet well with the overrides ``kw`` (seed ``seed``)."""
    m = MSCModel(**{**QUIET, **kw}, rng=seed)
    for _ in range(steps):
        m.step()
    m.record()
    return m.readouts
