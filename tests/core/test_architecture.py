"""No two project apps depend on each other, even through a third: the app import graph is
acyclic. Imports are read from the source with `ast` (lazy imports inside functions count);
migrations are left out, and string references such as "clinical.Department" are not imports."""

import ast
import itertools
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR).resolve()


def project_apps():
    """Labels of the installed apps whose package lives in this repository."""
    return {config.name for config in apps.get_app_configs() if Path(config.path).resolve().parent == ROOT}


def imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:  # relative ones stay inside
            yield node.module


def app_graph(names):
    """{app: {imported app: [files that import it]}}."""
    graph = {name: {} for name in names}
    for name in names:
        for path in sorted((ROOT / name).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            for module in imported_modules(ast.parse(path.read_text(), filename=str(path))):
                target = module.split(".")[0]
                if target in names and target != name:
                    graph[name].setdefault(target, []).append(str(path.relative_to(ROOT)))
    return graph


def find_cycle(graph):
    """One cycle as a list of apps (first == last), or None."""
    visiting, done = [], set()

    def visit(node):
        if node in visiting:
            return [*visiting[visiting.index(node):], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph[node]):
            cycle = visit(target)
            if cycle:
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node)
        if cycle:
            return cycle
    return None


def test_no_import_cycle_between_project_apps():
    graph = app_graph(project_apps())
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle between apps: " + " -> ".join(cycle) + "\n" + "\n".join(
        f"  {source} -> {target}: {', '.join(sorted(set(graph[source][target])))}"
        for source, target in itertools.pairwise(cycle)
    )


def test_the_graph_sees_the_imports_it_must_see():
    # Guards against a vacuous pass: a parser that saw nothing would find no cycle either.
    graph = app_graph(project_apps())
    assert {"accounts", "clinical", "core", "demo", "organisation"} <= set(graph)
    assert "accounts" in graph["clinical"]
    assert "clinical" in graph["demo"]
    assert "clinical" not in graph["accounts"]
    assert graph["organisation"] == {}  # the shared model depends on no project app


def test_find_cycle_reports_an_indirect_cycle_and_accepts_a_diamond():
    assert find_cycle({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": [], "c": []}, "b": {"d": []}, "c": {"d": []}, "d": {}}) is None
