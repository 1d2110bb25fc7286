"""Team mode's HTTP pieces, built from the SDK's own (``mcp.server.auth``) for ``serving.Gate`` to put in front of
the MCP app:

* the resource server: ``AuthSettings`` (resource = ``<public URL>/mcp``, ``validate_token_resource``), the SDK's
  ``BearerAuthBackend`` over ``PersonVerifier``, its ``AuthContextMiddleware`` and ``RequireAuthMiddleware``, and
  Protected Resource Metadata (RFC 9728) at ``/.well-known/oauth-protected-resource/mcp`` and, for clients that
  probe the root (ChatGPT), ``/.well-known/oauth-protected-resource``;
* the built-in authorization server (unless ``HEYGEN_OAUTH_ISSUER`` names another): the SDK's ``/authorize``,
  ``/token`` and ``/register`` handlers over ``StudioAuthProvider``, its metadata (RFC 8414) with ``none`` among
  the token endpoint's methods (every client is public) at ``/.well-known/oauth-authorization-server`` and the
  copies hosts ask for (``…/mcp``, ``/.well-known/openid-configuration``), ``/revoke`` (RFC 7009, which the SDK's
  handler refuses to public clients) and the login page (``auth.login``);
* a token bucket per person (``HEYGEN_RATE_LIMIT`` requests a minute).

OAuth needs an https issuer (or a loopback one): served on another ``http://`` address, the built-in authorization
server is off and people send their personal tokens (``TeamAuth.oauth`` is None).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp.server.auth.handlers.metadata import MetadataHandler
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser, BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.middleware.client_auth import AuthenticationError, ClientAuthenticator
from mcp.server.auth.provider import AccessToken, RefreshToken
from mcp.server.auth.routes import (
    build_metadata,
    build_resource_metadata_url,
    cors_middleware,
    create_auth_routes,
    create_protected_resource_routes,
    validate_issuer_url,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from pydantic import AnyHttpUrl
from starlette.authentication import AuthCredentials
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.backends import Stores
from ..core.people import People
from ..core.ratelimit import TokenBuckets, retry_after
from .login import LoginPage
from .provider import LOGIN_PATH, StudioAuthProvider
from .verifier import ClaimsVerifier, PersonVerifier

SCOPES = ("heygen",)  # the one scope the built-in server grants: all of this server's tools
PER_ADDRESS = {"/register": (30, "client registrations"), "/authorize": (60, "authorization requests")}
"""Requests a minute one address may make to these routes (each keeps a row in the job store's file)."""
AS_METADATA_PATHS = ("/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/mcp",
                     "/.well-known/openid-configuration")
PRM_ROOT = "/.well-known/oauth-protected-resource"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_issuer_problem(url: str) -> str | None:
    """Why ``url`` cannot be an OAuth issuer (RFC 8414: https, or a loopback address for a test), or None."""
    try:
        validate_issuer_url(AnyHttpUrl(url))
    except ValueError as exc:
        return str(exc).splitlines()[0]
    return None


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class PerAddress:
    """At most ``per_minute`` requests a minute from one address to ``app`` (429 with ``Retry-After`` beyond). The
    address is the connection's, as uvicorn reports it: ``X-Forwarded-For`` counts only from 127.0.0.1 (a reverse
    proxy on this machine; uvicorn's ``forwarded_allow_ips``), so everyone behind one proxy elsewhere shares one."""

    def __init__(self, app: ASGIApp, per_minute: float, what: str) -> None:
        self.app = app
        self.buckets = TokenBuckets(per_minute)
        self.what = what

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "OPTIONS" and (wait := self.buckets.take(_address(scope))) is not None:
            seconds = retry_after(wait)
            response = JSONResponse({"error": "temporarily_unavailable",
                                     "error_description": f"too many {self.what} from this address; retry in "
                                                          f"{seconds} s"},
                                    status_code=429, headers={"Retry-After": str(seconds), **NO_STORE})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class Revocation:
    """``POST /revoke`` (RFC 7009): the SDK's client authentication, then the grant of the token ends (a token
    unknown, or another client's, is answered 200 and left alone, as the RFC asks)."""

    def __init__(self, provider: StudioAuthProvider) -> None:
        self.provider = provider
        self.authenticator = ClientAuthenticator(provider)

    async def handle(self, request: Request) -> Response:
        try:
            client = await self.authenticator.authenticate_request(request)
        except AuthenticationError as exc:
            return JSONResponse({"error": "invalid_client", "error_description": exc.message}, status_code=401,
                                headers=NO_STORE)
        token = (await request.form()).get("token")
        if not isinstance(token, str) or not token:
            return JSONResponse({"error": "invalid_request", "error_description": "send the token to revoke in the "
                                 "form field 'token'"}, status_code=400, headers=NO_STORE)
        found: AccessToken | RefreshToken | None = (await self.provider.load_access_token(token)
                                                    or await self.provider.load_refresh_token(client, token))
        if found is not None and found.client_id == client.client_id:
            await self.provider.revoke_token(found)
        return Response(status_code=200, headers=NO_STORE)


@dataclass
class TeamAuth:
    """What ``serving.Gate`` needs in team mode."""

    backend: BearerAuthBackend
    routes: Router
    """PRM, and the built-in authorization server with its login page: answered without a bearer."""
    paths: frozenset[str]
    cross_origin: frozenset[str]
    """Paths of ``routes`` meant for other origins (CORS): their Origin header is not checked."""
    resource: str
    metadata_url: str | None
    """The PRM address named in every 401 (None without OAuth)."""
    oauth: str | None
    """The authorization server people sign in with: ours (the public base URL) or HEYGEN_OAUTH_ISSUER."""
    limiter: TokenBuckets | None

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """``app`` behind the SDK's middleware: the access token in a context variable for the handlers
        (``auth.identity``), and 401/403 for a request that reached it without one."""
        url = AnyHttpUrl(self.metadata_url) if self.metadata_url else None
        return AuthContextMiddleware(RequireAuthMiddleware(app, [], url))

    async def authenticate(self, scope: Scope) -> tuple[AuthCredentials, AuthenticatedUser] | None:
        """The request's person (the SDK's bearer backend: token, expiry, audience), or None."""
        found = await self.backend.authenticate(HTTPConnection(scope))
        if found is None:
            return None
        credentials, user = found
        return (credentials, user) if isinstance(user, AuthenticatedUser) else None

    def challenge(self, *, presented: bool) -> str:
        """``WWW-Authenticate`` for a 401 (RFC 6750 §3, RFC 9728 §5.1)."""
        parts = ['realm="heygen-studio"']
        if presented:
            parts += ['error="invalid_token"', 'error_description="the bearer token is unknown, expired or revoked"']
        if self.metadata_url:
            parts.append(f'resource_metadata="{self.metadata_url}"')
        return "Bearer " + ", ".join(parts)

    def unauthorized(self, *, presented: bool) -> str:
        """What a person or a model does about a 401."""
        sign_in = (f"connect your MCP client to {self.resource}: it signs you in (OAuth) on its own; or "
                   if self.oauth else "")
        token = ("send 'Authorization: Bearer <your personal token>' (it starts with hgs_; the server's owner makes "
                 "one with 'heygen-studio tokens add <name>')")
        if presented:
            return (f"the bearer token is unknown, expired or revoked: {sign_in or ''}{token}; a client that signed in "
                    "refreshes or signs in again on its own")
        return f"this server serves a team and needs to know who you are: {sign_in}{token}"


def team_auth(people: People, stores: Stores, *, base: str, resource: str, issuer: str | None = None,
              issuer_verifier: ClaimsVerifier | None = None, rate_limit: int = 0) -> TeamAuth:
    """Team mode for a server clients reach at ``base`` (no trailing slash), whose MCP endpoint is ``resource``.
    ``issuer`` (HEYGEN_OAUTH_ISSUER) with its ``issuer_verifier``: people sign in there, and our authorization
    server is off; else ours runs when ``base`` can be an issuer. ``rate_limit``: requests a minute per person
    (0: no limit)."""
    builtin = issuer is None and oauth_issuer_problem(base) is None
    oauth = issuer or (base if builtin else None)
    grants = stores.grants() if builtin else None
    verifier = PersonVerifier(people, resource, grants=grants, issuer=issuer_verifier,
                              scopes=SCOPES if builtin else ())
    routes: list[BaseRoute] = []
    cross_origin: set[str] = set()
    metadata_url = None
    resource_url = AnyHttpUrl(resource)
    if oauth is not None:
        settings = AuthSettings.model_validate({  # strings: a path-less issuer keeps no trailing slash
            "issuer_url": oauth, "resource_server_url": resource, "validate_token_resource": True,
            "required_scopes": list(SCOPES) if builtin else None,
            "client_registration_options": ClientRegistrationOptions(
                enabled=True, valid_scopes=list(SCOPES), default_scopes=list(SCOPES)),
            "revocation_options": RevocationOptions(enabled=True)})
        assert settings.resource_server_url is not None
        resource_url = settings.resource_server_url
        metadata_url = str(build_resource_metadata_url(resource_url))
        prm = create_protected_resource_routes(resource_url, [settings.issuer_url], settings.required_scopes,
                                               resource_name="HeyGen Studio")
        routes += [*prm, *(Route(PRM_ROOT, endpoint=route.endpoint, methods=["GET", "OPTIONS"])
                           for route in prm if isinstance(route, Route))]
        if builtin and grants is not None:
            routes += _authorization_server(settings, StudioAuthProvider(
                grants, people, issuer=oauth, resource=resource, scopes=SCOPES))
        cross_origin = {route.path for route in routes if isinstance(route, Route) and route.path != LOGIN_PATH}
    backend = BearerAuthBackend(verifier, resource_server_url=resource_url)
    paths = frozenset(route.path for route in routes if isinstance(route, Route))
    return TeamAuth(backend=backend, routes=Router(routes=routes), paths=paths, cross_origin=frozenset(cross_origin),
                    resource=resource, metadata_url=metadata_url, oauth=oauth,
                    limiter=TokenBuckets(rate_limit) if rate_limit > 0 else None)


def _authorization_server(settings: AuthSettings, provider: StudioAuthProvider) -> list[BaseRoute]:
    """The SDK's authorize, token and register routes; our metadata (public clients), revocation and login page."""
    registration = settings.client_registration_options or ClientRegistrationOptions()
    revocation = settings.revocation_options or RevocationOptions()
    metadata = build_metadata(settings.issuer_url, None, registration, revocation).model_copy(update={
        # every client is public (auth/provider.py); a registration asking for client_secret_post is answered
        # with "none", and a client_secret sent anyway is ignored, so hosts that insist on it still connect
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["none"],
    })
    replaced = {*AS_METADATA_PATHS, "/revoke"}
    routes: list[BaseRoute] = []
    for route in create_auth_routes(provider, settings.issuer_url, client_registration_options=registration,
                                    revocation_options=revocation):
        if route.path in replaced:
            continue
        if route.path in PER_ADDRESS:  # each keeps a row: a flood from one address cannot fill the file
            per_minute, what = PER_ADDRESS[route.path]
            route = Route(route.path, endpoint=PerAddress(route.endpoint, per_minute, what),
                          methods=sorted(route.methods or ()))
        routes.append(route)
    serve_metadata = cors_middleware(MetadataHandler(metadata).handle, ["GET", "OPTIONS"])
    routes += [Route(path, endpoint=serve_metadata, methods=["GET", "OPTIONS"]) for path in AS_METADATA_PATHS]
    routes.append(Route("/revoke", endpoint=cors_middleware(Revocation(provider).handle, ["POST", "OPTIONS"]),
                        methods=["POST", "OPTIONS"]))
    login = LoginPage(provider.grants, provider.people)
    routes.append(Route(LOGIN_PATH, endpoint=login.handle, methods=["GET", "POST"]))
    return routes
