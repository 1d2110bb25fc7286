"""The cyclic garbage collector, held back while a command starts.

Start-up builds hundreds of thousands of long-lived objects (the MCP SDK's and pydantic's models, the tools'
schemas), and CPython's collector, triggered by allocation counts, traverses them all again and again while
nothing is garbage yet: about 0.1-0.2 s of a shell command's start on a small machine. So ``cli.main`` holds it
(``hold``) and lets it go (``release``) once the work that allocates is done: a shell command after its first
tool call, ``serve`` once its server is built. ``release`` first freezes what exists (``gc.freeze``: the
modules and schemas stay for the life of the process anyway), so later collections skip it; the price is that
a cycle that became garbage during start-up is never collected (kilobytes).

Both are no-ops when the collector was already off (an embedding program's choice stays its own).
"""

from __future__ import annotations

import gc

_held = False


def hold() -> None:
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release(*, freeze: bool = True) -> None:
    global _held
    if _held:
        _held = False
        if freeze:
            gc.freeze()
        gc.enable()
