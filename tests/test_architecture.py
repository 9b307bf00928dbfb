"""Architecture rules of ``src/mscabm``, read from the source (no import is executed):

* the import graph has no cycle: every ``import`` / ``from ... import`` counts, relative ones
  resolved, including imports under ``if TYPE_CHECKING:`` and imports inside functions (a
  deferred import hides a cycle from the interpreter, not from the design);
* no module is longer than :data:`MAX_LINES` lines (split big files by concept).

An edge goes to the module an import names: ``from pkg import sub`` to ``pkg.sub`` when that is
a module, else to ``pkg`` (its ``__init__``).  Importing ``pkg.sub`` also runs ``pkg/__init__``,
but that is no edge here: a package that re-exports its submodules would otherwise always form a
cycle with them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "mscabm"
MAX_LINES = 600


# ------------------------------------------------------------------------------ the graph
def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``root/package`` (``pkg/__init__.py``
    is the module ``pkg``)."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of dotted ``name`` that is one of ``modules`` (None outside them)."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        cand = ".".join(parts[:k])
        if cand in modules:
            return cand
    return None


def import_edges(root: Path, package: str) -> dict[str, dict[str, list[int]]]:
    """``{importer: {imported: [line numbers]}}`` between the modules of ``package``.

    Every Import / ImportFrom node of the file counts (``ast.walk``: module level, functions,
    ``if TYPE_CHECKING:`` blocks, try/except); relative imports are resolved against the
    importer's package.
    """
    modules = module_files(root, package)
    edges: dict[str, dict[str, list[int]]] = {m: {} for m in modules}
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_pkg = path.name == "__init__.py"
        here = mod.split(".") if is_pkg else mod.split(".")[:-1]   # the importer's package
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    up = node.level - 1
                    if up > len(here):
                        raise ValueError(f"{path}:{node.lineno}: relative import beyond the top package")
                    base_parts = here[:len(here) - up] + (node.module.split(".") if node.module else [])
                    base = ".".join(base_parts)
                else:
                    base = node.module or ""
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    targets.append(sub if a.name != "*" and sub in modules else base)
            for t in targets:
                dst = _resolve(t, modules)
                if dst is not None and dst != mod:
                    edges[mod].setdefault(dst, []).append(node.lineno)
    return edges


def strongly_connected(graph: dict[str, dict[str, list[int]]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted; every node appears once."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comps: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, {})))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                comps.append(sorted(comp))
    return comps


def one_cycle(graph: dict[str, dict[str, list[int]]], comp: list[str]) -> list[str]:
    """A shortest cycle through the first module of ``comp`` (breadth-first inside ``comp``):
    ``[a, b, ..., a]``."""
    members = set(comp)
    start = comp[0]
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [start] + path[::-1][1:] + [start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"{comp} is not strongly connected")


def _where(graph, files, root, a, b) -> str:
    lines = ", ".join(str(n) for n in sorted(set(graph[a][b])))
    return f"{files[a].relative_to(root)}:{lines} imports {b}"


def cycle_report(graph: dict[str, dict[str, list[int]]], files: dict[str, Path], root: Path) -> str:
    """One paragraph per import cycle (component of more than one module): its modules and one
    concrete cycle with the import lines that make it; '' when there is none."""
    parts = []
    for comp in strongly_connected(graph):
        if len(comp) < 2:
            continue
        cyc = one_cycle(graph, comp)
        lines = [f"import cycle among {len(comp)} modules: {', '.join(comp)}",
                 "  e.g. " + " -> ".join(cyc)]
        for a, b in zip(cyc, cyc[1:]):
            lines.append(f"    {_where(graph, files, root, a, b)}")
        lines.append("  all imports inside it:")
        lines += [f"    {_where(graph, files, root, a, b)}" for a in comp for b in sorted(graph[a]) if b in comp]
        parts.append("\n".join(lines))
    return "\n".join(parts)


# ------------------------------------------------------------------------------ the rules
def test_no_import_cycles():
    graph = import_edges(SRC, PACKAGE)
    assert len(graph) > 20 and f"{PACKAGE}.model" in graph  # the walk found the package
    report = cycle_report(graph, module_files(SRC, PACKAGE), SRC)
    if report:
        pytest.fail(report, pytrace=False)


def test_no_module_over_max_lines():
    long = {}
    for _mod, path in module_files(SRC, PACKAGE).items():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            long[str(path.relative_to(SRC))] = n
    if long:
        pytest.fail(f"modules over {MAX_LINES} lines (split them by concept): " + ", ".join(
            f"{p} ({n} lines)" for p, n in sorted(long.items(), key=lambda kv: -kv[1])), pytrace=False)


# ------------------------------------------------------------------------------ the checker itself
def _write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


@pytest.fixture
def toy(tmp_path):
    """A package with a cycle that hides behind TYPE_CHECKING and a function-level relative
    import (a -> sub.b -> sub.c -> a), an acyclic diamond, and imports from outside."""
    _write(tmp_path, "toy/__init__.py", "from toy.a import A\n")
    _write(tmp_path, "toy/a.py", "import numpy\nfrom .sub import b\nA = 1\n")
    _write(tmp_path, "toy/sub/__init__.py", "")
    _write(tmp_path, "toy/sub/b.py", "def f():\n    from . import c\n    return c\n")
    _write(tmp_path, "toy/sub/c.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import A\n")
    _write(tmp_path, "toy/d.py", "import toy.e\nimport toy.f\n")
    _write(tmp_path, "toy/e.py", "from toy import g\n")
    _write(tmp_path, "toy/f.py", "from toy.g import *\n")
    _write(tmp_path, "toy/g.py", "import os\n")
    return tmp_path


def test_checker_resolves_relative_deferred_and_type_checking_imports(toy):
    g = import_edges(toy, "toy")
    assert {m: sorted(d) for m, d in g.items()} == {
        "toy": ["toy.a"], "toy.a": ["toy.sub.b"], "toy.sub": [], "toy.sub.b": ["toy.sub.c"],
        "toy.sub.c": ["toy.a"], "toy.d": ["toy.e", "toy.f"], "toy.e": ["toy.g"], "toy.f": ["toy.g"],
        "toy.g": [],
    }
    assert g["toy.sub.c"]["toy.a"] == [3] and g["toy.sub.b"]["toy.sub.c"] == [2]


def test_checker_names_the_cycle(toy):
    g = import_edges(toy, "toy")
    comps = [c for c in strongly_connected(g) if len(c) > 1]
    assert comps == [["toy.a", "toy.sub.b", "toy.sub.c"]]
    report = cycle_report(g, module_files(toy, "toy"), toy)
    assert "toy.a -> toy.sub.b -> toy.sub.c -> toy.a" in report
    assert "toy/sub/c.py:3 imports toy.a" in report
    # breaking the TYPE_CHECKING edge leaves no cycle
    _write(toy, "toy/sub/c.py", "X = 1\n")
    assert cycle_report(import_edges(toy, "toy"), module_files(toy, "toy"), toy) == ""
