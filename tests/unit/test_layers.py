"""Layers import one way: core -> partners -> documents -> orders -> the kinds' rules -> exchanges ->
the edges (api, web, dialects, jobs, cli, ...), and no module imports itself back round a circle."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "pohub"
LAYERS = {
    "core": 0,
    "config": 0,
    "secret_key": 0,  # where the installation's secret key lives: read by config
    "db": 0,
    "partners": 1,
    "documents": 2,
    "orders": 3,
    "acknowledgements": 4,
    "shipments": 4,
    "invoices": 4,
    "exchanges": 5,
    "webhooks": 5,  # the outbound channel: its outbox listens to the events every change writes
}
# Lists every table for migrations: it looks at all packages by design.
EXEMPT = {"pohub.db.tables"}


def module_name(path: Path) -> str:
    parts = ["pohub", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("pohub")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pohub") and not node.level:
            # "from pohub.x import y": the module y when it is one, else the names of pohub.x.
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in MODULES else node.module)
    return out


EDGE = 6
# A domain package's routes and commands are edges, whatever package they sit in.
EDGE_MODULES = {"api", "cli"}
PACKAGES = {p.stem for p in SRC.iterdir() if p.name != "__pycache__"}


def layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] not in PACKAGES:
        return None
    if len(parts) > 2 and parts[2] in EDGE_MODULES:
        return EDGE
    return LAYERS.get(parts[1], EDGE)


MODULES = {module_name(p): p for p in SRC.rglob("*.py") if "migrations" not in p.parts}


def test_no_lower_layer_imports_a_higher_one() -> None:
    wrong = []
    for name, path in MODULES.items():
        own = layer(name)
        if own is None or name in EXEMPT:
            continue
        if own == EDGE:
            continue
        for target in imports(path, top_level_only=False):
            theirs = layer(target)
            if theirs is not None and theirs > own and target in MODULES:
                wrong.append(f"{name} (layer {own}) imports {target} (layer {theirs})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        graph[name] = {t for t in imports(path, top_level_only=True) if t in MODULES and t != name}
    seen: set[str] = set()
    stack: list[str] = []
    cycles: list[str] = []

    def visit(node: str) -> None:
        if node in stack:
            cycles.append(" -> ".join([*stack[stack.index(node) :], node]))
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        stack.pop()

    for node in sorted(graph):
        visit(node)
    assert not cycles, "\n".join(cycles)
