"""Who is asking: the person behind the current request, for the tools.

Over HTTP in team mode every request carries a person's bearer (a personal token, a built-in OAuth access token or
an issuer's JWT); ``auth.verifier.PersonVerifier`` turns it into the SDK's ``AccessToken`` whose ``subject`` is the
person's id, and the SDK keeps it in a context variable for the request's handlers.
"""

from __future__ import annotations

from mcp.server.auth.middleware.auth_context import get_access_token

PERSON_NAME = "person_name"  # the claim ``PersonVerifier`` puts the person's name in (an issuer's own ``name`` is kept)


def person_id() -> str | None:
    """The id (``core.people.Person.id``) of the person whose bearer authorized the current request; None over
    stdio, in memory, and on a single-person HTTP server (its shared token names no one)."""
    token = get_access_token()
    return token.subject if token is not None else None


def person_name() -> str | None:
    """The name of that person, as it was when the request was authorized; None where ``person_id`` is None."""
    token = get_access_token()
    name = (token.claims or {}).get(PERSON_NAME) if token is not None else None
    return name if isinstance(name, str) else None
