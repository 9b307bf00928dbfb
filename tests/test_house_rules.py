"""House rules run by the test command: a clean `ruff check`, a clean `mypy` on the typed core, and
the engine kernels' numba flags.

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


def _njit_keywords(path: Path) -> list[tuple[int, dict]]:
    """(line, keyword -> literal value) of every ``@njit(...)`` decorator in a source file."""
    import ast

    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and getattr(dec.func, "id", getattr(dec.func, "attr", "")) == "njit":
                    out.append((dec.lineno, {k.arg: ast.literal_eval(k.value) for k in dec.keywords}))
                elif getattr(dec, "id", getattr(dec, "attr", "")) == "njit":  # bare @njit: no keywords
                    out.append((dec.lineno, {}))
    return out


def test_every_engine_kernel_is_cached_and_releases_the_gil(tmp_path):
    """docs/design.md: every engine kernel is ``@njit(cache=True, nogil=True)`` (helpers inlined
    into their callers excepted), so start-up loads kernels from the cache and the dashboard's
    threads run while the model is in a kernel. The checker itself is checked on a bare decorator."""
    kernels = 0
    for path in sorted((REPO / "src" / "mscabm" / "engine").rglob("*.py")):
        for line, kw in _njit_keywords(path):
            kernels += 1
            where = f"{path.relative_to(REPO)}:{line}"
            assert kw.get("cache") is True, f"{where}: @njit without cache=True"
            assert kw.get("nogil") is True or kw.get("inline") == "always", f"{where}: @njit without nogil=True"
    assert kernels >= 30
    probe = tmp_path / "probe.py"
    probe.write_text("from numba import njit\n\n@njit\ndef f(x):\n    return x\n")
    assert _njit_keywords(probe) == [(3, {})]
