"""House rules run by the test command: a clean `ruff check` and a clean `mypy` on the typed core.

The configuration lives in pyproject.toml (``[tool.ruff]``, ``[tool.mypy]``); both tools come with
the test extras.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: the packages mypy checks (the issue's floor: the engine and the config, plus what they import of ours)
TYPED = ["src/mscabm/engine", "src/mscabm/config", "src/mscabm/vocabulary.py", "src/mscabm/schema.py"]


def _tool(name: str) -> str:
    exe = shutil.which(name, path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail(f"{name} is not installed in this environment (it is in the test extras: make test installs it)")
    return exe


def test_ruff_check_is_clean():
    r = subprocess.run([_tool("ruff"), "check", "--no-cache", "src", "tests", "scripts", "benchmarks"], cwd=REPO,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]


def test_mypy_is_clean_on_the_typed_core():
    r = subprocess.run([_tool("mypy"), *TYPED], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
