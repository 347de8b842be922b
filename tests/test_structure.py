"""How the code is laid out: no import cycles between our modules."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("app", "models")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _module_level_imports(path: Path, known: set[str]) -> set[str]:
    """Our modules that `path` imports when it is loaded (imports inside functions are late
    on purpose and do not count; neither do those only for type checkers)."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in known}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    modules = _modules()
    known = set(modules)
    graph = {
        name: {target for target in _module_level_imports(path, known) if target != name}
        for name, path in modules.items()
    }
    # A package's __init__ importing its own modules is not a cycle between features.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


# Late imports (inside a function) that close a loop on purpose, each with its reason. Any other
# loop through a late import is a cycle in disguise: errors -> web -> errors once hid this way.
LATE_LOOPS = {
    # `mogi run` starts the serve and worker commands the top-level CLI defines.
    ("app.ops.launch", "app.cli"),
}


def _runtime_imports(path: Path, known: set[str]) -> set[str]:
    """Our modules that `path` imports at any time, late ones too (not those only for type
    checkers, which never run)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return {name for name in names if name in known}


def test_no_import_cycles_through_late_imports() -> None:
    modules = _modules()
    known = set(modules)
    graph = {
        name: {
            target
            for target in _runtime_imports(path, known)
            if target != name
            and not name.startswith(target + ".")
            and (name, target) not in LATE_LOOPS
        }
        for name, path in modules.items()
    }
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_late_import_check_sees_a_loop_through_a_function(tmp_path: Path) -> None:
    """The check above would have caught errors.py importing the page renderer late."""
    graph = {"app.errors": {"app.web"}, "app.web": {"app.errors"}}
    assert _cycle(graph) == ["app.errors", "app.web", "app.errors"]
    tree = "def f():\n    from app.web import render\n"
    path = tmp_path / "probe.py"
    path.write_text(tree)
    assert _runtime_imports(path, {"app.web"}) == {"app.web"}


# What other features may use of content: its lookups, its tables (for joins and relationships)
# and its renderer (own answers are rendered like model answers).
CONTENT_FACE = {
    "app.content.keyterms",
    "app.content.lookups",
    "app.content.models",
    "app.content.render",
}
MAX_LINES = 400
REASON = "past 400 lines"


def _imports_anywhere(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_other_features_reach_content_only_through_its_lookups() -> None:
    modules = _modules()
    offenders = []
    for name, path in modules.items():
        if not name.startswith(("app.practice", "app.progress", "app.demos")):
            continue
        used = {n for n in _imports_anywhere(path) if n.startswith("app.content")}
        # `from app.content import lookups` names the module app.content.lookups.
        used = {n for n in used if n in modules or n.rpartition(".")[0] not in modules}
        wrong = used - CONTENT_FACE - {"app.content"}
        offenders += [f"{name} imports {sorted(wrong)}"] if wrong else []
    assert not offenders, offenders


def test_long_modules_say_why() -> None:
    """A module past MAX_LINES says at its top why it is one module."""
    unexplained = []
    for name, path in _modules().items():
        lines = path.read_text().count("\n")
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        if lines > MAX_LINES and REASON not in doc:
            unexplained.append(f"{name}: {lines} lines")
    assert not unexplained, unexplained
