"""One token verifier for every bearer a person may send (the SDK's ``TokenVerifier``):

* a personal token (``hgs_…``, ``core.people``): the person it belongs to;
* an access token of the built-in authorization server (``hga_…``, ``core.grants``): the person who signed in;
* in issuer mode (``HEYGEN_OAUTH_ISSUER``), a JWT access token of that issuer: the person whose ``subject`` is its
  ``sub`` (the issuer's verifier checks signature, issuer, audience and lifetime).

The answer is the SDK's ``AccessToken`` with ``subject`` = the person's id and the person's name in its claims
(``auth.identity`` reads both), and ``resource`` = the resource the token was issued for, which the SDK's
bearer backend compares with this server's (``AuthSettings.validate_token_resource``). The person is looked up on
every request, so a revoked person is refused at once, whatever token they hold. ``AccessToken.token`` holds a
fingerprint, never the bearer itself: the access token is readable by every handler of the request.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from mcp.server.auth.provider import AccessToken

from ..core.grants import ACCESS_PREFIX, OAuthGrants
from ..core.people import TOKEN_PREFIX, People, Person
from .identity import PERSON_NAME, PersonAccess

PERSONAL_CLIENT = "personal-token"  # the client_id of requests made with a personal token


class ClaimsVerifier(Protocol):
    """An issuer's JWT verifier (``core.issuer.IssuerVerifier``): the token's claims, or None when it is not a valid
    access token of that issuer for this server."""

    async def verify(self, token: str) -> dict[str, Any] | None: ...


def fingerprint(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:16]


class PersonVerifier:
    """``TokenVerifier`` for team mode. ``grants``: the built-in authorization server's records (None when it is
    off); ``issuer``: the issuer's JWT verifier (issuer mode)."""

    def __init__(self, people: People, resource: str, *, grants: OAuthGrants | None = None,
                 issuer: ClaimsVerifier | None = None, scopes: tuple[str, ...] = ()) -> None:
        self.people = people
        self.resource = resource
        self.grants = grants
        self.issuer = issuer
        self.scopes = scopes

    async def verify_token(self, token: str) -> AccessToken | None:
        """Every request: the store is read (revocation holds at once)."""
        if token.startswith((TOKEN_PREFIX, ACCESS_PREFIX)):
            return self._stored(token)
        if self.issuer is None:
            return None
        claims = await self.issuer.verify(token)
        subject = claims.get("sub") if claims else None
        if not claims or not isinstance(subject, str):
            return None
        scope = claims.get("scope")
        client = claims.get("client_id") or claims.get("azp")
        expires = claims.get("exp")
        # The issuer's verifier checked the audience against this server's resource: the token is for it.
        return self._access(token, self.people.by_subject(subject), client_id=str(client or "issuer"),
                            scopes=scope.split() if isinstance(scope, str) else [], resource=self.resource,
                            expires_at=int(expires) if isinstance(expires, int | float) else None, claims=claims)

    def _stored(self, token: str) -> AccessToken | None:
        """A personal token, or an access token of the built-in authorization server: both are in the store."""
        if token.startswith(TOKEN_PREFIX):
            person = self.people.by_token(token)
            return None if person is None else self._access(
                token, person, client_id=PERSONAL_CLIENT, scopes=list(self.scopes), resource=self.resource)
        found = self.grants.access(token) if self.grants is not None else None
        if found is None:
            return None
        return self._access(token, self.people.get(found.grant.person_id), client_id=found.grant.client_id,
                            scopes=list(found.scopes), resource=found.grant.resource,
                            expires_at=int(found.expires_at))

    @staticmethod
    def _access(token: str, person: Person | None, *, client_id: str, scopes: list[str], resource: str,
                expires_at: int | None = None, claims: dict[str, Any] | None = None) -> AccessToken | None:
        if person is None or person.revoked_at is not None:
            return None
        return PersonAccess.of(person, token=fingerprint(token), client_id=client_id, scopes=scopes,
                               expires_at=expires_at, resource=resource, subject=person.id,
                               claims={**(claims or {}), PERSON_NAME: person.name})
