"""The built-in authorization server, as the SDK's ``OAuthAuthorizationServerProvider`` over ``core.grants``.

For teams without an identity provider: a person proves who they are once, on our login page (``auth.login``),
with their personal token; the client (claude.ai, ChatGPT, Claude Code, …) then holds OAuth tokens bound to that
person and to this server's resource.

* Clients register dynamically (RFC 7591) and are all **public**: a registration that asks for
  ``client_secret_post`` is answered with ``none`` and no secret (RFC 7591 §3.2.1 lets the server replace it;
  claude.ai reads the method from the answer). PKCE S256 protects the code, refresh tokens rotate, and no client
  secret is ever stored.
* Redirect URIs: ``https://…`` anywhere (claude.ai, chatgpt.com, a self-hosted client), or ``http://`` on a
  loopback host (an app on the person's machine), without fragments. An authorization request must name one
  registered exactly; on loopback the port may differ (RFC 8252 §7.3: the app picks a free one each time).
* ``resource`` (RFC 8707): absent means this server's; any other is refused with ``invalid_target``.
* A missing ``scope`` means the default scopes (ChatGPT reconnects without one).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    RegistrationError,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl

from ..core.grants import Issued, OAuthGrants, SignIn
from ..core.people import People

LOGIN_PATH = "/oauth/login"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
REVOKED = "the person who signed in was revoked on this server; ask its owner for a new personal token, then sign in"


def _loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def redirect_problem(url: str) -> str | None:
    """Why ``url`` cannot be a redirect URI here, or None."""
    parts = urlsplit(url)
    if parts.fragment or "#" in url:
        return "has a fragment (#…); redirect URIs must not"
    if parts.username is not None or parts.password is not None:
        return "carries a user name or password; redirect URIs must not"
    if parts.scheme == "https" and parts.hostname:
        return None
    if _loopback(url):
        return None
    return ("is neither https:// nor http:// on this machine (localhost, 127.0.0.1, [::1]); register an https "
            "address, or a loopback one for an app on the person's own computer")


def same_resource(given: str, ours: str) -> bool:
    """RFC 8707 resource indicators compared as URLs: scheme and host case, a trailing slash aside."""
    def norm(url: str) -> tuple[str, str, str, str]:
        parts = urlsplit(url.strip())
        return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query

    return norm(given) == norm(ours)


class StudioClient(OAuthClientInformationFull):
    """A registered client; on loopback, a redirect URI may differ from a registered one in its port only."""

    def validate_redirect_uri(self, redirect_uri: AnyUrl | None) -> AnyUrl:
        if redirect_uri is not None and self.redirect_uris and redirect_uri not in self.redirect_uris \
                and _loopback(str(redirect_uri)):
            asked = urlsplit(str(redirect_uri))
            for registered in self.redirect_uris:
                known = urlsplit(str(registered))
                if _loopback(str(registered)) and (known.hostname, known.path, known.query) == \
                        (asked.hostname, asked.path, asked.query):
                    return redirect_uri
        return super().validate_redirect_uri(redirect_uri)


def _token(issued: Issued) -> OAuthToken:
    return OAuthToken(access_token=issued.access_token, token_type="Bearer", expires_in=issued.expires_in,
                      scope=" ".join(issued.scopes) or None, refresh_token=issued.refresh_token)


class StudioAuthProvider:
    """``OAuthAuthorizationServerProvider[AuthorizationCode, RefreshToken, AccessToken]`` over ``core.grants``."""

    def __init__(self, grants: OAuthGrants, people: People, *, issuer: str, resource: str,
                 scopes: tuple[str, ...]) -> None:
        self.login_url = issuer.rstrip("/") + LOGIN_PATH
        self.grants = grants
        self.people = people
        self.resource = resource
        self.scopes = scopes

    # -- clients -------------------------------------------------------------------------------
    async def get_client(self, client_id: str) -> StudioClient | None:
        info = self.grants.client(client_id)
        return None if info is None else StudioClient.model_validate_json(info)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        for uri in client_info.redirect_uris or []:
            problem = redirect_problem(str(uri))
            if problem is not None:
                raise RegistrationError("invalid_redirect_uri", f"redirect URI {str(uri)[:200]} {problem}")
        # A public client: the SDK's handler answers with this same object, so the client learns it has no secret.
        client_info.token_endpoint_auth_method = "none"
        client_info.client_secret = None
        client_info.client_secret_expires_at = None
        self.grants.add_client(client_info.client_id, client_info.model_dump_json(exclude_none=True))

    # -- authorization -------------------------------------------------------------------------
    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        resource = params.resource or self.resource
        if not same_resource(resource, self.resource):
            raise AuthorizeError("invalid_target", f"this server is the resource {self.resource}: ask for it, or "
                                                   "leave resource out")
        request_id = self.grants.begin(SignIn(
            client_id=client.client_id, redirect_uri=str(params.redirect_uri),
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            code_challenge=params.code_challenge, state=params.state,
            scopes=tuple(params.scopes or self.scopes), resource=self.resource))
        return f"{self.login_url}?{urlencode({'request': request_id})}"

    async def load_authorization_code(self, client: OAuthClientInformationFull,
                                      authorization_code: str) -> AuthorizationCode | None:
        code = self.grants.code(authorization_code)
        if code is None:
            return None
        sign_in = code.sign_in
        return AuthorizationCode(code=authorization_code, scopes=list(sign_in.scopes), expires_at=code.expires_at,
                                 client_id=sign_in.client_id, code_challenge=sign_in.code_challenge,
                                 redirect_uri=AnyUrl(sign_in.redirect_uri),
                                 redirect_uri_provided_explicitly=sign_in.redirect_uri_provided_explicitly,
                                 resource=sign_in.resource, subject=code.person_id)

    async def exchange_authorization_code(self, client: OAuthClientInformationFull,
                                          authorization_code: AuthorizationCode) -> OAuthToken:
        self._live(authorization_code.subject)
        issued = self.grants.redeem(authorization_code.code)
        if issued is None:
            raise TokenError("invalid_grant", "the authorization code was used already or expired: sign in again")
        return _token(issued)

    # -- refresh and revocation ----------------------------------------------------------------
    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        grant = self.grants.by_refresh(refresh_token)
        if grant is None:
            return None
        return RefreshToken(token=refresh_token, client_id=grant.client_id, scopes=list(grant.scopes),
                            expires_at=int(grant.expires_at), resource=grant.resource, subject=grant.person_id)

    async def exchange_refresh_token(self, client: OAuthClientInformationFull, refresh_token: RefreshToken,
                                     scopes: list[str]) -> OAuthToken:
        self._live(refresh_token.subject)
        issued = self.grants.refresh(refresh_token.token, tuple(scopes))
        if issued is None:
            raise TokenError("invalid_grant", "the refresh token was revoked or expired: sign in again")
        return _token(issued)

    async def load_access_token(self, token: str) -> AccessToken | None:
        found = self.grants.access(token)
        if found is None:
            return None
        return AccessToken(token=token, client_id=found.grant.client_id, scopes=list(found.scopes),
                           expires_at=int(found.expires_at), resource=found.grant.resource,
                           subject=found.grant.person_id)

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        self.grants.revoke(token.token)

    async def exchange_identity_assertion(self, client: OAuthClientInformationFull, params: Any) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "this server signs people in with their personal token; use "
                                                   "the authorization_code grant")

    def _live(self, person_id: str | None) -> None:
        person = self.people.get(person_id) if person_id else None
        if person is None or person.revoked_at is not None:
            raise TokenError("invalid_grant", REVOKED)
