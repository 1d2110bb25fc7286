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


# Which layers each layer may import (besides itself and the package's ``__init__``): an allow-list, so a new
# direction is a decision made here, not an accident. From the bottom up: the domain (``core``), the workflow
# layer that knows who is asking, its adapters (``tools`` for MCP, ``shell`` for the command line), and the
# composition roots (``server``, ``serving``, ``cli``). The sandbox stands beside HeyGen: only roots start it.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "workflow": {"core", "settings", "languages"},
    "tools": {"workflow", "core", "settings", "docs", "languages", "auth"},
    "sandbox": {"core"},
    "settings": {"core", "http_token", "tools"},  # the toolset names, for HEYGEN_TOOLSETS
    "http_token": set(),
    "clients": {"core", "http_token", "settings"},
    "docs": set(),
    "languages": set(),
    "startup": set(),
    "extras": set(),
    # The server's state without MCP (``open_state``): the store, the wiring to HeyGen or the embedded sandbox (a
    # lazy import), and the batch hook (``workflow.batches.advance``). Imported by ``server``'s lifespan, the shell's
    # fast commands, ``doctor`` and ``tokens``.
    "house": {"workflow", "core", "settings", "sandbox"},
    # The fast commands call the workflow through ``house``; the paid ones still reach the tools through an
    # in-process MCP session on ``server`` (the cost confirmation is an MCP elicitation there).
    "shell": {"workflow", "core", "settings", "startup", "house", "server"},
    "server": {"tools", "workflow", "core", "settings", "house"},
    "auth": {"core"},  # team mode's door, facing the SDK's auth: the tools ask it who is calling
    "serving": {"workflow", "core", "settings", "http_token", "file_links", "auth"},
    "file_links": {"workflow", "core", "settings", "http_token"},  # a team server's signed download links
    "demo": {"sandbox", "settings", "extras"},
    "doctor": {"house", "clients", "core", "settings", "extras"},
    "tokens": {"core", "settings", "house"},  # `heygen-studio tokens`: the people a team server serves
    "cli": {"server", "serving", "shell", "demo", "doctor", "clients", "sandbox", "settings", "http_token",
            "startup", "tokens"},
    "__main__": {"cli"},
    "root": set(),
}


def test_imports_follow_the_allowed_directions() -> None:
    """Every import between layers is one the allow-list names; every layer is in it."""
    bad = sorted((m, t) for m, ts in imports().items() for t in ts
                 if layer(t) not in {layer(m), "root"} | ALLOWED.get(layer(m), set()))
    assert bad == []
    assert {layer(m) for m in imports()} <= set(ALLOWED), "a new layer: say in ALLOWED what it may import"


def test_the_adapters_stay_apart() -> None:
    """The MCP adapter never imports the sandbox or the command line; the domain, the workflow and the state that
    ``house`` builds import no MCP."""
    for module, path in ((m, PACKAGE.parent / (m.replace(".", "/") + ".py")) for m in imports()):
        if layer(module) in ("core", "workflow", "house") and path.exists():
            tree = ast.parse(path.read_text())
            names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
            names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level]
            assert not [n for n in names if n == "mcp" or n.startswith("mcp.")], module
    assert not ALLOWED["tools"] & {"sandbox", "shell", "cli", "server", "serving"}


def test_the_checker_sees_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
