"""Who is asking, as MCP tells it: on a team server, the person the request's bearer token stands for.

HTTP mode with people (``heygen-studio tokens add``) authenticates every request (``serving``): a personal token,
an OAuth access token from the built-in authorization server, or one from HEYGEN_OAUTH_ISSUER. The verifier puts
the person's id in the access token's ``subject``; the SDK carries it to the call (``auth.identity.person_id``). This
module is light: the inline player's resource reads it at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp.server.mcpserver.exceptions import ToolError

from ..auth.identity import person, person_id

if TYPE_CHECKING:
    from ..core.people import Person
    from ..workflow.state import AppState

SIGN_IN = ("This server serves a team: every call must come from a person. Connect with your personal token "
           "(`Authorization: Bearer <token>` from `heygen-studio tokens add`) or sign in through OAuth.")


def person_of(state: AppState) -> Person | None:
    """The person this call serves; None on a server for one user (stdio, or HTTP without people)."""
    if state.people is None:
        return None
    found = person()  # read from the store when this request was authorized: not read again
    if found is None and (pid := person_id()):
        found = state.people.get(pid)
    if found is None or found.revoked:
        raise ToolError(SIGN_IN)
    return found
