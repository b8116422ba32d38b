"""The import graph of the project's packages: no cycles, and the command-line layer on top.

Imports are read with ``ast`` from the source (module level and inside functions alike), so a
lazy import that would close a circle at run time counts the same as a top-level one.
``python tests/test_architecture.py`` prints the graph's findings without pytest.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("msi", "generator")
#: The command-line layer: may import the library, is imported by nothing but itself and ``__main__``.
CLI_PACKAGES = ("msi.cli", "generator.cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules imported anywhere in ``path`` (``from a import b`` counts as ``a.b`` when
    that is a module, else as ``a``; relative imports are resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for t in targets:
            # `import a.b.c` binds a module that exists; keep the longest project module prefix
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def in_cli(name: str) -> bool:
    return any(name == c or name.startswith(c + ".") for c in CLI_PACKAGES)


def library_imports_of_cli(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(library module, CLI module) pairs: a library module must never import the CLI layer."""
    return sorted((m, t) for m, targets in graph.items() for t in targets
                  if in_cli(t) and not in_cli(m) and m.rpartition(".")[2] != "__main__")


# ----------------------------------------------------------------------------- tests


def test_the_graph_is_read():
    """The parser sees real edges (so the checks below cannot pass by reading nothing)."""
    graph = import_graph()
    assert len(graph) > 40
    assert "msi.metrics.stability" in graph["msi.score"]
    assert "msi.cli.lazy" in graph["msi.cli"]
    assert "msi.cli.options" in graph["msi.cli.score"]  # `from msi.cli import options as opt`
    assert "msi.tracking.trackers" in graph["msi.cli.score"]  # a function-level import


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "modules that import each other (directly or round a circle): " + "; ".join(
        " <-> ".join(c) for c in found)


def test_no_library_module_imports_the_cli():
    bad = library_imports_of_cli(import_graph())
    assert not bad, "library modules importing the CLI layer: " + ", ".join(f"{m} -> {t}" for m, t in bad)


def test_no_alias_modules():
    """One documented path per module: no module re-binds itself to another (``sys.modules[...] =``),
    and no package ``__init__`` re-exports a sibling module's names at import time (``msi``'s own
    public API is lazy: :data:`msi.__all__`, resolved on first use)."""
    bad = []
    for name, path in project_modules().items():
        src = path.read_text()
        if "sys.modules[__name__]" in src:
            bad.append(f"{name}: rebinds itself")
        if path.name == "__init__.py" and name != "msi":  # a name imported and not used: a re-export
            tree = ast.parse(src)
            used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGES):
                    bad += [f"{name}: re-exports {a.asname or a.name}" for a in node.names
                            if (a.asname or a.name) not in used]
    assert not bad, "; ".join(bad)


def test_test_files_have_unique_names():
    """Test folders have no ``__init__.py`` (pytest's rootdir imports): two test files of one
    basename in different folders break collection of the second."""
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_public_api_is_lazy_and_complete():
    """``import msi`` imports nothing heavy; every name of ``msi.__all__`` resolves."""
    import subprocess

    code = ("import sys, msi; heavy = [m for m in ('numpy', 'pandas', 'mediapipe', 'msi.score') if m in sys.modules]; "
            "print(','.join(heavy)); [getattr(msi, n) for n in msi.__all__]")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "", f"import msi loaded {p.stdout.strip()}"


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for t in graph.get(todo.pop(), ()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def test_training_and_synthesis_do_not_import_each_other():
    """What both need (a run's checkpoint loaded, audio2expression over long audio) lives in a module
    both use, ``generator.inference``: synthesis runs without the training code, and the other way round."""
    graph = import_graph()
    assert "generator.inference" in graph["generator.synthesize"] and "generator.inference" in graph["generator.train"]
    assert "generator.train" not in reachable(graph, "generator.synthesize")
    assert "generator.synthesize" not in reachable(graph, "generator.train")


#: Folders of scripts beside the library: speed and memory benchmarks, and the research that produced
#: the docs' numbers. The library never imports them.
SCRIPT_FOLDERS = ("benchmarks", "research")


def imported_names(path: Path) -> set[str]:
    """Every module name ``path`` imports (absolute, as written; relative imports stay in the package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def imports_of_scripts(path: Path) -> list[str]:
    return sorted(n for n in imported_names(path) if n.split(".")[0] in SCRIPT_FOLDERS)


def test_the_library_never_imports_benchmarks_or_research(tmp_path):
    assert all((ROOT / f).is_dir() for f in SCRIPT_FOLDERS)
    bad = [(name, n) for name, path in project_modules().items() for n in imports_of_scripts(path)]
    assert not bad, "library modules importing scripts: " + ", ".join(f"{m} -> {n}" for m, n in bad)
    # the check sees such an import wherever it is written (module level or inside a function)
    probe = tmp_path / "probe.py"
    probe.write_text("import numpy\nfrom benchmarks import timing\n\ndef f():\n    import research.figures as r\n")
    assert imports_of_scripts(probe) == ["benchmarks", "benchmarks.timing", "research.figures"]


def test_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    assert library_imports_of_cli({"msi.score": {"msi.cli.options"}, "msi.__main__": {"msi.cli"},
                                   "msi.cli.plot": {"msi.cli"}}) == [("msi.score", "msi.cli.options")]


if __name__ == "__main__":  # pragma: no cover
    g = import_graph()
    print(f"{len(g)} modules, {sum(map(len, g.values()))} import edges")
    for c in cycles(g):
        print("cycle:", " <-> ".join(c))
    for m, t in library_imports_of_cli(g):
        print(f"library imports CLI: {m} -> {t}")
