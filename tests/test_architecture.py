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


#: msi's layers, bottom to top, as docs/development.md draws them: a module imports only from its
#: own layer or the layers below it (each entry is a module or a package, with all it holds).
MSI_LAYERS = (
    # the paper's constants, the landmark index sets, the errors; ``msi`` itself holds the version
    # and the public API, whose names are imported on first use (no import statement: no edge)
    ("msi", "msi.constants", "msi.errors", "msi.regions"),
    ("msi.stats", "msi.networks", "msi.io"),  # statistics, networks of user weights, I/O at the edges
    ("msi.metrics", "msi.plots", "msi.provenance"),  # the pure core: arrays in, numbers (and figures) out;
    # what a file declares of itself (its C2PA manifest, the invisible watermark)
    ("msi.tracking", "msi.settings"),  # trackers; the knobs of a score (which name the trackers)
    ("msi.acquire", "msi.parallel", "msi.score"),  # a video to its landmarks, landmarks to a result
    ("msi.cluster", "msi.comparison", "msi.correlate", "msi.noise_floor",
     "msi.report", "msi.study"),  # many videos, and the analyses built on scores
    ("msi.cli", "msi.__main__"),  # the command on top
)


def msi_layer(name: str) -> int:
    """The layer of an msi module: the deepest entry of :data:`MSI_LAYERS` that holds it."""
    best, depth = None, -1
    for i, layer in enumerate(MSI_LAYERS):
        for entry in layer:
            if (name == entry or name.startswith(entry + ".")) and entry.count(".") > depth:
                best, depth = i, entry.count(".")
    assert best is not None, f"{name} is in no layer of MSI_LAYERS (add it where docs/development.md puts it)"
    return best


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs of msi where the imported module is in a higher layer."""
    return sorted((m, t) for m, targets in graph.items() if m.split(".")[0] == "msi"
                  for t in targets if t.split(".")[0] == "msi" and msi_layer(t) > msi_layer(m))


def test_no_import_runs_upward():
    graph = import_graph()
    bad = upward_imports(graph)
    assert not bad, "msi modules importing a layer above their own: " + ", ".join(f"{m} -> {t}" for m, t in bad)
    # the check sees an upward edge (a tracker check that scores, as the library once held)
    assert upward_imports({"msi.tracking.checks": {"msi.score", "msi.io.video"}}) == [("msi.tracking.checks", "msi.score")]


#: What msi must never import: the generator (it may import msi, not the other way round), and
#: the scripts beside the library.
NOT_FOR_MSI = ("generator", "benchmarks", "research", "tests")


def msi_imports_of(names: set[str]) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in NOT_FOR_MSI)


def test_msi_never_imports_generator_benchmarks_or_research(tmp_path):
    bad = [(name, n) for name, path in project_modules().items() if name.split(".")[0] == "msi"
           for n in msi_imports_of(imported_names(path))]
    assert not bad, "msi modules importing outside msi's side: " + ", ".join(f"{m} -> {n}" for m, n in bad)
    assert any("msi" in {n.split(".")[0] for n in imported_names(p)}  # the other direction exists and is allowed
               for name, p in project_modules().items() if name.startswith("generator"))
    probe = tmp_path / "probe.py"
    probe.write_text("import numpy\nimport msi.score\n\ndef f():\n    from generator.errors import GeneratorError\n"
                     "    import benchmarks.timing, research.figures\n")
    assert msi_imports_of(imported_names(probe)) == ["benchmarks.timing", "generator.errors",
                                                      "generator.errors.GeneratorError", "research.figures"]


def test_the_shared_base_is_msis_and_the_generator_builds_on_it():
    """The error root (``StableFaceError``: kind, exit code) and the CLI kit (the lazy click group,
    the exit-code policy, shared options) are msi's; the generator imports them, never the other
    way round (the test above), and its subcommands share the generator's own options module."""
    graph = import_graph()
    assert "msi.errors" in graph["generator.errors"]
    assert "msi.cli.lazy" in graph["generator.cli"]
    assert "msi.cli.options" in graph["generator.cli.options"]
    assert "generator.cli.options" in graph["generator.cli.train"]
    from generator.errors import GeneratorError
    from msi.errors import StableFaceError

    assert issubclass(GeneratorError, StableFaceError)


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
    for m, t in upward_imports(g):
        print(f"import runs upward: {m} -> {t}")
