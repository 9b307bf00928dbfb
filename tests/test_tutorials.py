"""The tutorial notebooks (docs/tutorials/*.ipynb) run top to bottom in a fresh kernel, so they never go
stale; their key cells assert something true (MSCs raise PGE2, suppression rises with the MSC dose, a
knock-out removes its product, a cohort's arms share each patient's run-in). They are committed without
outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

nbclient = pytest.importorskip("nbclient")

TUTORIALS = sorted((Path(__file__).resolve().parents[1] / "docs" / "tutorials").glob("*.ipynb"))


def test_there_are_four_tutorials_committed_without_outputs():
    assert [p.stem[:2] for p in TUTORIALS] == ["01", "02", "03", "04"]
    for p in TUTORIALS:
        nb = nbformat.read(p, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{p.name}: outputs not stripped"


@pytest.mark.slow
@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if any cell fails
