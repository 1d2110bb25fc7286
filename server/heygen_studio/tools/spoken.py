"""The words a ``produce_video`` call has spoken, as a resource: ``heygen://scripts/{key}`` reads the whole of a
long script an answer showed in part (``workflow/spoken.py`` says what an answer shows). A light module: the
resource is registered at start-up.
"""

from __future__ import annotations

from typing import Any, cast

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from ..workflow.spoken import KEY, SCRIPTS, script_of, spoken
from ..workflow.tenant import Tenant
from .common import AppState, Context
from .person import person_of


def read_script(state: Tenant, key: str) -> str:
    if not KEY.fullmatch(key):
        raise ResourceNotFoundError(f"No script '{key[:60]}': use the script_uri a produce_video answer gave.")
    script = script_of(state, key)
    if script is None:
        raise ResourceNotFoundError(f"No script '{key}' on this machine: call produce_video again with the same "
                                    "arguments (it shows the script, and pays nothing twice).")
    return spoken(script)


def register(mcp: MCPServer[Any]) -> None:
    @mcp.resource(SCRIPTS + "{key}", name="script", title="A produce_video script", mime_type="text/plain",
                  description="The whole script a produce_video answer showed in part (its script_uri): the "
                              "words spoken, one paragraph per scene.")
    async def script(key: str, ctx: Context) -> str:  # bare Context: the SDK finds it in resources
        state = cast(AppState, ctx.request_context.lifespan_context)
        return read_script(Tenant(state, person=person_of(state)), key)  # a team server: the person's own scripts
