"""Who is asking: the person behind the current request, for the tools.

Over HTTP in team mode every request carries a person's bearer (a personal token, a built-in OAuth access token or
an issuer's JWT); ``auth.verifier.PersonVerifier`` turns it into the SDK's ``AccessToken`` whose ``subject`` is the
person's id, and the SDK keeps it in a context variable for the request's handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from pydantic import PrivateAttr

if TYPE_CHECKING:
    from ..core.people import Person

PERSON_NAME = "person_name"  # the claim ``PersonVerifier`` puts the person's name in (an issuer's own ``name`` is kept)


class PersonAccess(AccessToken):
    """The SDK's ``AccessToken`` as ``PersonVerifier`` makes it, with the person it read from the store to authorize
    this request (``person``: a private attribute, never serialized; ``Person`` holds no secret), so the tools of the
    same request need not read them again."""

    _person: Person | None = PrivateAttr(default=None)

    @classmethod
    def of(cls, person: Person, **fields: object) -> PersonAccess:
        access = cls.model_validate(fields)
        access._person = person
        return access


def person() -> Person | None:
    """The person read when the current request was authorized (``PersonAccess``), or None (no such token)."""
    token = get_access_token()
    return token._person if isinstance(token, PersonAccess) else None


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
