"""The layout's rules, read from the imports with `ast`: which room may use which, no arrow
back and no cycle. A rule that breaks names the module and the import."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("orchestrator", "printers", "dashboard")

# Each room and the rooms it may import from (itself always). The longest prefix decides.
ALLOWED: dict[str, tuple[str, ...]] = {
    # The pure core: the rules of the domain, on data.
    "orchestrator.domain": ("printers.protocol",),
    "orchestrator.parts": (),
    "orchestrator.core": ("printers.protocol",),
    # The database edge.
    "orchestrator.database": ("orchestrator.domain", "orchestrator.core"),
    # What requests carry: tables' fields, the domain's words.
    "orchestrator.api.schemas": (
        "orchestrator.domain",
        "orchestrator.database",
        "orchestrator.parts",
    ),
    # The use cases, over the database; never the link, the API's routes or a process.
    "orchestrator.services": (
        "orchestrator.domain",
        "orchestrator.database",
        "orchestrator.core",
        "orchestrator.parts",
        "orchestrator.api.schemas",
        "printers.protocol",
    ),
    # The MQTT link and the printers' REST calls.
    "orchestrator.link": (
        "orchestrator.domain",
        "orchestrator.database",
        "orchestrator.core",
        "orchestrator.parts",
        "orchestrator.services",
        "printers.protocol",
        "printers.octoprint",
        "printers.plugin",
    ),
    "orchestrator.api": (
        "orchestrator.domain",
        "orchestrator.database",
        "orchestrator.core",
        "orchestrator.parts",
        "orchestrator.services",
        "orchestrator.link",
        "printers.protocol",
    ),
    "orchestrator.production_line": (
        "orchestrator.domain",
        "orchestrator.database",
        "orchestrator.core",
        "orchestrator.parts",
        "orchestrator.services",
        "orchestrator.link",
        "printers.protocol",
    ),
    "orchestrator.notifier": (
        "orchestrator.domain",
        "orchestrator.database",
        "orchestrator.core",
        "orchestrator.services",
        "orchestrator.link",
        "printers.protocol",
    ),
    # The demo and the command line put everything together.
    "orchestrator.demo": ("orchestrator", "printers"),
    "orchestrator.cli": ("orchestrator", "printers"),
    "orchestrator": ("orchestrator",),
    # The printer side never reaches into the service.
    "printers.protocol": (),
    "printers.octoprint": ("printers.protocol",),
    "printers.agent": ("printers.protocol", "printers.octoprint"),
    "printers.plugin": ("printers.protocol", "printers.octoprint"),
    "printers.simulated": ("printers.protocol", "printers.octoprint"),
    "printers.cli": ("printers",),
    "printers": (),
    # The web app speaks to the API over HTTP only.
    "dashboard": (),
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "versions" in path.parts:  # migrations pin the schema as it was
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports_of(path: Path, name: str, known: set[str]) -> Iterator[tuple[int, str]]:
    """(line, module) of every project module the file imports, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield node.lineno, submodule if submodule in known else base


def graph() -> dict[str, list[tuple[int, str]]]:
    found = modules()
    known = set(found)
    return {
        name: [
            (line, target)
            for line, target in imports_of(path, name, known)
            if target.split(".")[0] in PACKAGES and target != name
        ]
        for name, path in found.items()
    }


def room(module: str) -> str:
    return max((r for r in ALLOWED if module == r or module.startswith(r + ".")), key=len)


def within(module: str, rooms: tuple[str, ...]) -> bool:
    return any(module == r or module.startswith(r + ".") for r in rooms)


def breaches(edges: dict[str, list[tuple[int, str]]]) -> list[str]:
    found = []
    for module, targets in sorted(edges.items()):
        home = room(module)
        for line, target in targets:
            if not within(target, (home, *ALLOWED[home])):
                found.append(f"{module}:{line} imports {target} ({home} may not)")
    return found


def cycles(edges: dict[str, list[tuple[int, str]]]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for _line, target in edges.get(node, []):
            if target not in edges:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_every_import_goes_where_its_room_may() -> None:
    found = breaches(graph())
    assert not found, "imports against the layout:\n" + "\n".join(found)


def test_no_two_modules_import_each_other_even_through_others() -> None:
    found = cycles(graph())
    assert not found, f"import cycles: {found}"


def test_the_plugin_talks_to_the_bridge_through_its_interface() -> None:
    targets = {target for _line, target in graph()["orchestrator.link.plugin_printers"]}
    assert "orchestrator.link.bridge" not in targets


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"orchestrator.domain.planner": [(3, "orchestrator.database.tables")]}, 1),
        ({"printers.agent.runtime": [(9, "orchestrator.core.config")]}, 1),
        ({"orchestrator.cli": [(1, "dashboard.server")]}, 1),
        ({"orchestrator.services.fleet": [(2, "orchestrator.link.bridge")]}, 1),
        ({"orchestrator.services.fleet": [(2, "orchestrator.database.tables")]}, 0),
    ],
)
def test_the_rules_catch_an_arrow_back(
    edges: dict[str, list[tuple[int, str]]], expected: int
) -> None:
    assert len(breaches(edges)) == expected


def test_the_cycle_finder_finds_one() -> None:
    edges = {"a": [(1, "b")], "b": [(1, "c")], "c": [(1, "a")], "d": [(1, "a")]}
    assert cycles(edges) == [["a", "b", "c"]]
