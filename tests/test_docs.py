"""The API reference builds offline with Sphinx, warnings as errors (``make docs``), and every page of it
documents what it names (no empty automodule)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "api"


@pytest.mark.slow
def test_api_reference_builds_without_warnings(tmp_path):
    r = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS),
                        str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    pages = {p.stem: p.read_text() for p in tmp_path.glob("*.html")}
    assert {"index", "model", "config", "experiments", "fit", "cells", "bench"} <= set(pages)
    for stem, name in (("model", "MSCModel"), ("config", "load_config"), ("experiments", "run"),
                       ("fit", "run_fit"), ("cells", "CellView"), ("bench", "run_suite")):
        assert 'id="mscabm.' in pages[stem] and name in pages[stem], stem


def test_the_how_to_example_specs_are_valid():
    """The worked examples of docs/howto/ stay runnable as the spec language and the model change (configs and
    readout names checked as ``mscabm experiment SPEC --dry-run`` does)."""
    from mscabm.experiments import load_spec, plan
    from mscabm.experiments.runner import _check_readouts

    specs = sorted((DOCS.parent / "howto").glob("*.toml"))
    assert specs
    for path in specs:
        _check_readouts(plan(load_spec(path), validate=True))
