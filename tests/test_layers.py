"""The house's layering (issue #7), read from every module's import statements, including imports
inside functions: one direction of imports and no circles. Imports under ``if TYPE_CHECKING:`` name
types only and never run, so they count for the direction of layers but not as circles (a resource
module naming the client that owns it is openai-python's pattern too)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "heygen_studio"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def type_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return found


def imports(*, runtime_only: bool = False) -> dict[str, set[str]]:
    """Each module → the heygen_studio modules it imports (a package import counts as its __init__)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        tree = ast.parse(path.read_text(), str(path))
        skip = type_only(tree) if runtime_only else set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.rsplit(".", node.level - 1)[0] if node.level else ""
                root = ".".join(p for p in (base, node.module or "") if p)
                targets = [f"{root}.{a.name}" if f"{root}.{a.name}" in modules else root for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target.startswith("heygen_studio") and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "root"


def test_no_import_circles() -> None:
    graph = {m: {t for t in ts if not t.endswith("heygen_studio")} for m, ts in imports(runtime_only=True).items()}
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph) or [])


def test_one_direction_between_layers() -> None:
    """core imports no other layer; the sandbox imports no adapter; the adapter never the sandbox; auth (the
    SDK-facing OAuth layer) only core, so the tools may ask it who is calling (``auth.identity``)."""
    forbidden = {"core": {"tools", "sandbox", "server", "cli", "serving", "demo", "shell", "auth"},
                 "sandbox": {"tools", "server", "cli", "serving", "demo", "shell", "auth"},
                 "tools": {"sandbox", "server", "cli", "serving", "demo", "shell"},
                 "auth": {"tools", "sandbox", "server", "cli", "serving", "demo", "shell"},  # team mode's door
                 "shell": {"sandbox", "tools", "core"}}  # the shell reaches the tools through MCP only
    bad = [(m, t) for m, ts in imports().items() for t in ts
           if layer(t) in forbidden.get(layer(m), set())]
    assert bad == []


def test_the_checker_sees_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
