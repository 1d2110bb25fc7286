"""HTTP mode that lets no one in by accident: ``heygen-studio serve --http``.

* Every bind needs a bearer token. Off loopback it must be given (``HEYGEN_HTTP_TOKEN`` or ``--token``), or the
  server refuses to start and says why; on loopback, without one, ``serve`` uses the token kept in the state
  folder (``http_token``) and prints the line to paste into a client once, in its banner. ``--no-auth`` turns
  the token off, on loopback only, and the banner says so. Tokens are compared in constant time; a request
  without the token gets 401 with ``WWW-Authenticate``.
* DNS-rebinding protection (Host and Origin checks) is on for every bind: loopback names, the bind address,
  the host of ``HEYGEN_PUBLIC_URL`` (``--public-url``; what the banner prints) and ``HEYGEN_HTTP_ALLOWED_HOSTS``.
  A 421 or 403 names the setting that lets the refused address in.
* A slow client cannot hold the server: a request's headers must arrive within ``HEYGEN_HTTP_HEADERS_S`` and its
  whole body within ``HEYGEN_HTTP_BODY_S`` (else 408 and the connection is closed); at most
  ``MAX_PENDING_CONNECTIONS`` connections may be waiting for their headers (the oldest is closed to make room),
  and at most ``MAX_UNAUTHENTICATED`` requests without the token (webhook deliveries) are read at once (503 with
  ``Retry-After`` beyond), so requests that carry the token are never queued behind them.
* Idle sessions expire (``HEYGEN_HTTP_IDLE_S``). ``/health`` answers ``ok`` and nothing else; the bare
  address (``/``) says where the MCP endpoint is, instead of a bare 404 (clients given it get pointed on).
* ``serve`` says on start, in one line on stderr, which HeyGen it talks to and where to connect; Ctrl-C
  (SIGINT) and SIGTERM stop it quietly (exit 130 and 0); a port that cannot be bound is one line.
* Team mode (issue #16 §3, §4): once the people store (``core.people``) has a person, every request must carry a
  person's bearer instead of the shared token: a personal token, an access token of the built-in OAuth
  authorization server, or (``HEYGEN_OAUTH_ISSUER``) the issuer's JWT, checked by the SDK's bearer backend over
  ``auth.verifier`` (``auth.team`` builds the pieces). A 401 names the protected resource metadata; discovery, the
  authorization server and its login page are answered without a bearer (as unauthenticated requests, with their
  cap). Each person may send ``HEYGEN_RATE_LIMIT`` requests a minute (429 with ``Retry-After`` beyond). The tools
  learn who is asking from ``auth.identity.person_id()``.
* ``POST /webhooks/heygen`` receives HeyGen's webhook deliveries without the bearer token: the
  signature is the auth (``core.webhooks``). A verified event updates the job's row in the store and
  wakes every ``wait_for_job`` on that job at once; unsigned, wrongly signed, stale (5 min) and replayed
  deliveries get a 4xx and change nothing.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
import h11
from mcp.server import MCPServer
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE, TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .core import webhooks
from .core.backends import open_store
from .core.errors import HeyGenError
from .core.ratelimit import retry_after
from .http_token import TokenError, stored_token, token_problem
from .settings import Settings
from .workflow.files import FILES_PATH
from .workflow.state import Live
from .workflow.webhooks import secret_keeper

if TYPE_CHECKING:
    from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser

    from .auth.team import TeamAuth
    from .core.people import People

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
WEBHOOK_PATH = "/webhooks/heygen"
MAX_WEBHOOK_BODY = 256 * 1024  # HeyGen events are a few hundred bytes
OPEN_PATHS = frozenset({"/health", "/"})  # answered without a token: they say nothing secret
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
MAX_PENDING_CONNECTIONS = 128  # connections still sending their headers; the oldest is closed past this
MAX_UNAUTHENTICATED = 32  # requests without the token (webhook deliveries, refusals) read at once; 503 past this
MAX_UNUSED_BODY = DEFAULT_MAX_REQUEST_BODY_SIZE  # a refused request's body is read and dropped (never kept) up to
# the most any route takes, before the answer: closing under a body still arriving resets the answer away
RETRY_AFTER_S = 5
MAX_OAUTH_BODY = 64 * 1024  # a client registration, a token request or the login form: a few hundred bytes
RATE_LIMITED = -32000  # JSON-RPC "server error" code of a 429's body
UNAUTHORIZED = ("unauthorized: send 'Authorization: Bearer <token>' with HEYGEN_HTTP_TOKEN, or the token "
                "'heygen-studio serve --http' printed at start (kept in http-token in its state folder); "
                "'heygen-studio config <client> --http' writes it into a client")


class HTTPConfigError(ValueError):
    """HTTP mode cannot start safely as configured; ``str()`` is one line with the fix."""


def is_loopback(host: str) -> bool:
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int, extra: list[str], public_url: str | None = None) -> list[str]:
    """Host header values to accept: loopback names, the bind address (unless a wildcard), the host of
    ``public_url`` (on any port: a proxy or tunnel may forward it from another), and ``extra``."""
    names = [*LOOPBACK_NAMES]
    if not is_loopback(host) and host not in ("0.0.0.0", "::", ""):
        names.append(f"[{host}]" if ":" in host else host)
    hosts = [f"{name}:{port}" for name in names] + [f"{name}:*" for name in names]
    if public_url:
        name = urlsplit(public_url).hostname or ""
        extra = [f"[{name}]" if ":" in name else name, *extra]
    for value in extra:
        hosts.extend([value] if ":" in value.rsplit("]", 1)[-1] else [value, f"{value}:*"])
    return hosts


def _allowed(value: str, patterns: list[str]) -> bool:
    """``value`` is one of ``patterns``, or matches a ``base:*`` one on some port (the SDK's rule)."""
    return value in patterns or any(p.endswith(":*") and value.startswith(p[:-1]) for p in patterns)


class WebhookReceiver:
    """``POST /webhooks/heygen``: HeyGen's signed deliveries, checked with HEYGEN_WEBHOOK_SECRET and the
    secrets ``add_webhook(url='self')`` kept; event ids are remembered in the job store (every process)."""

    def __init__(self, live: Live, settings: Settings) -> None:
        self.live = live
        self.settings = settings
        self._book = secret_keeper(settings)  # the file beside the SQLite store, or the database every replica reads

    @staticmethod
    async def _body(receive: Receive) -> bytes | None:
        """The raw body (signatures cover its exact bytes), or None past ``MAX_WEBHOOK_BODY``."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_WEBHOOK_BODY:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    def secrets(self) -> list[str]:
        configured = self.settings.heygen_webhook_secret
        return [*([configured.get_secret_value()] if configured else []), *self._book.secrets()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(scope, receive)
        await response(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive) -> JSONResponse:
        if scope["method"] != "POST":
            return JSONResponse({"error": "HeyGen delivers webhooks with POST"}, status_code=405,
                                headers={"Allow": "POST"})
        body = await self._body(receive)
        if body is None:
            return JSONResponse({"error": "body too large for a HeyGen event"}, status_code=413)
        state = self.live.state
        if state is None:
            return JSONResponse({"error": "the server is starting or stopping; retry"}, status_code=503)
        store = state.store

        def remember(key: str) -> bool:
            return store.remember_event(key, max_age_s=webhooks.REMEMBER_S)

        headers = Headers(scope=scope)
        try:
            verified = webhooks.check(self.secrets(), headers, body, remember=remember)
            event = webhooks.job_event(_json(body))
            if event is not None:
                # Cite: contract webhooks.heygenEvent / WebhookDelivery (event_type + event_data ids).
                state.store.update_everywhere(state.wired.base_url, event.raw_id, status=event.status,
                                              failure=event.failure, webhook_event=event.event_type,
                                              webhook_event_id=verified.event_id, webhook_at=round(time.time(), 3))
                # What was last polled is stale (the wake-up polls HeyGen), and every other replica's waiters are told
                # (PostgreSQL NOTIFY, sent as this commits; their listener feeds their signals).
                state.store.shared.forget(event.keys, announce=True)
        except webhooks.Refused as refused:
            logger.info("webhook delivery refused: %s", refused.reason)
            return JSONResponse({"error": refused.reason}, status_code=refused.status)
        except HeyGenError as exc:  # the job store cannot be written: let HeyGen retry later
            logger.warning("webhook delivery not recorded: %s", exc.describe())
            return JSONResponse({"error": "the job store is unavailable; retry later"}, status_code=503)
        if event is None:
            return JSONResponse({"status": "ignored", "event_id": verified.event_id})
        self.live.signals.notify(*event.keys)
        return JSONResponse({"status": "ok", "event_id": verified.event_id, "job_id": event.job_id})


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise webhooks.Refused("the body is not JSON", 400) from None


def too_many(user: AuthenticatedUser, per_minute: float, wait: float) -> JSONResponse:
    """429 for a person past ``HEYGEN_RATE_LIMIT``: ``Retry-After``, and a JSON-RPC error body (``id`` null: the
    request was not read) that says when to retry, so a client shows it instead of a bare status."""
    from .auth.identity import PERSON_NAME

    seconds = retry_after(wait)
    name = (user.access_token.claims or {}).get(PERSON_NAME) or "this person"
    message = (f"rate limit: {name} sent more than {per_minute:g} requests a minute to this server "
               f"(HEYGEN_RATE_LIMIT); retry in {seconds} s")
    return JSONResponse({"jsonrpc": "2.0", "id": None, "error": {
        "code": RATE_LIMITED, "message": message,
        "data": {"retry_after_s": seconds, "limit_per_minute": per_minute}}},
        status_code=429, headers={"Retry-After": str(seconds)})


def _declares_body(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    return "transfer-encoding" in headers or headers.get("content-length", "0").strip() not in ("", "0")


async def answer(scope: Scope, receive: Receive, send: Send, response: Response, *, close: bool = False) -> None:
    """Send ``response``, closing the connection after it with ``close``."""
    if close:
        response.headers["connection"] = "close"
    await response(scope, receive, send)


class Gate:
    """In front of the MCP app: ``/health`` answers ``ok``; ``/webhooks/heygen`` goes to the receiver (its
    signature is the auth); every other path needs an allowed Host and Origin and, with a token,
    ``Authorization: Bearer <token>`` (RFC 6750). A body is read whole, within ``body_s``, before the app sees it."""

    def __init__(self, app: ASGIApp, token: str | None, receiver: ASGIApp | None = None, *,
                 endpoint: str = MCP_PATH, hosts: list[str] | None = None, body_s: float = 30.0,
                 max_unauthenticated: int = MAX_UNAUTHENTICATED, team: TeamAuth | None = None,
                 files: ASGIApp | None = None) -> None:
        self.app = app
        self._files = files
        self._team = team
        self._team_app = team.wrap(app) if team is not None else app
        self._token = token.encode() if token else None
        self._receiver = receiver
        self._endpoint = endpoint
        self._hosts = hosts
        self._origins = None if hosts is None else [f"{s}://{h}" for h in hosts for s in ("http", "https")]
        self._body_s = body_s
        self._max_unauthenticated = max_unauthenticated
        self._unauthenticated = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == "/health":
            await self._unauthenticated_request(JSONResponse({"status": "ok"}), MAX_UNUSED_BODY, scope, receive, send)
            return
        if path == "/":  # a client given the bare address: point it on
            await self._unauthenticated_request(self._signpost(scope["method"]), MAX_UNUSED_BODY, scope, receive, send)
            return
        if path == WEBHOOK_PATH and self._receiver is not None:
            await self._unauthenticated_request(self._receiver, MAX_WEBHOOK_BODY, scope, receive, send)
            return
        if path.startswith(FILES_PATH) and self._files is not None:  # a signed link: the link is the credential
            await self._unauthenticated_request(self._files, MAX_UNUSED_BODY, scope, receive, send)
            return
        team = self._team
        if team is not None and path in team.paths:  # discovery, sign-in and tokens: answered without a bearer
            refused = self._refuse_address(Headers(scope=scope), origin=path not in team.cross_origin)
            await self._unauthenticated_request(team.routes if refused is None else refused,
                                                MAX_OAUTH_BODY if refused is None else MAX_UNUSED_BODY,
                                                scope, receive, send)
            return
        refused = self._refuse_address(Headers(scope=scope))
        if refused is None and team is not None and path.startswith("/.well-known/"):
            # metadata this server does not publish (the authorization server's, when HEYGEN_OAUTH_ISSUER is
            # another): a client probing for it learns it is not here, not that it must sign in to read it
            refused = JSONResponse({"error": f"{path[:200]} is not published here; the protected resource's "
                                             "metadata names the authorization server"}, status_code=404)
        if refused is not None:
            await self._unauthenticated_request(refused, MAX_UNUSED_BODY, scope, receive, send)
            return
        if team is not None:
            await self._person_request(team, scope, receive, send)
            return
        if self._token is not None:
            scheme, _, given = Headers(scope=scope).get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self._token):
                response = JSONResponse({"error": UNAUTHORIZED}, status_code=401,
                                        headers={"WWW-Authenticate": 'Bearer realm="heygen-studio"'})
                await self._unauthenticated_request(response, MAX_UNUSED_BODY, scope, receive, send)
                return
        replay = await self._read_body(scope, receive, send, DEFAULT_MAX_REQUEST_BODY_SIZE)
        if replay is not None:
            await self.app(scope, replay, send)

    async def _unauthenticated_request(self, app: ASGIApp, limit: int, scope: Scope, receive: Receive,
                                       send: Send) -> None:
        """A request without the token: one of at most ``max_unauthenticated`` read at once. A refusal (``app``
        is a ``Response``) still reads the body first, up to ``limit``, and drops it: closing a connection with a
        body still arriving would reset it under the answer."""
        if not _declares_body(scope):
            await app(scope, receive, send)  # nothing to read: answered at once, not counted
            return
        if self._unauthenticated >= self._max_unauthenticated:
            busy = JSONResponse({"error": f"too many requests without a token at once; retry in {RETRY_AFTER_S} s"},
                                status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
            await answer(scope, receive, send, busy, close=True)
            return
        self._unauthenticated += 1
        try:
            if isinstance(app, Response):
                await self._refuse(app, limit, scope, receive, send)
                return
            replay = await self._read_body(scope, receive, send, limit)
            if replay is not None:
                await app(scope, replay, send)
        finally:
            self._unauthenticated -= 1

    async def _refuse(self, response: Response, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer ``response`` once the body (up to ``limit``) is read and dropped: closing a connection with a body
        still arriving would reset it under the answer."""
        outcome, _ = await self._collect(scope, receive, limit, keep=False)
        if outcome != "gone":
            await answer(scope, receive, send, response, close=outcome != "whole")

    async def _person_request(self, team: TeamAuth, scope: Scope, receive: Receive, send: Send) -> None:
        """Team mode: the request's bearer names a person (the SDK's bearer backend over ``auth.verifier``), who is
        within their rate limit; the MCP app then sees them as the SDK's authenticated user."""
        try:
            found = await team.authenticate(scope)
        except HeyGenError as exc:  # the people store or the issuer cannot answer: no one can be checked now
            logger.warning("cannot check a bearer token: %s", exc.describe())
            busy = JSONResponse({"error": f"this server cannot check tokens right now: {exc.describe()}"},
                                status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
            await self._unauthenticated_request(busy, MAX_UNUSED_BODY, scope, receive, send)
            return
        if found is None:
            presented = "authorization" in Headers(scope=scope)
            refusal = JSONResponse({"error": "invalid_token" if presented else "unauthorized",
                                    "error_description": team.unauthorized(presented=presented)}, status_code=401,
                                   headers={"WWW-Authenticate": team.challenge(presented=presented)})
            await self._unauthenticated_request(refusal, MAX_UNUSED_BODY, scope, receive, send)
            return
        credentials, user = found
        if team.limiter is not None and (wait := team.limiter.take(user.access_token.subject or "")) is not None:
            await self._refuse(too_many(user, team.limiter.per_minute, wait), MAX_UNUSED_BODY, scope, receive, send)
            return
        scope["user"], scope["auth"] = user, credentials
        replay = await self._read_body(scope, receive, send, DEFAULT_MAX_REQUEST_BODY_SIZE)
        if replay is not None:
            await self._team_app(scope, replay, send)

    async def _collect(self, scope: Scope, receive: Receive, limit: int, *, keep: bool = True) -> tuple[str, bytes]:
        """Read the request's body within ``body_s``: ("whole", body), or ("too large" | "late" | "gone", b"").
        ``keep=False``: count the bytes and drop them (a refusal's body, read only so the answer arrives)."""
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return "too large", b""
        body = bytearray()
        size = 0
        with anyio.move_on_after(self._body_s):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return "gone", b""
                chunk = message.get("body", b"")
                size += len(chunk)
                if keep:
                    body.extend(chunk)
                if size > limit:
                    return "too large", b""
                if not message.get("more_body", False):
                    return "whole", bytes(body)
        return "late", b""

    async def _read_body(self, scope: Scope, receive: Receive, send: Send, limit: int) -> Receive | None:
        """The request's whole body, read within ``body_s`` and at most ``limit`` bytes, as a ``receive`` that
        replays it; None once a 408 or 413 has been sent (and the connection closed) or the client left."""
        outcome, body = await self._collect(scope, receive, limit)
        if outcome == "too large":
            await answer(scope, receive, send, JSONResponse(
                {"error": f"the request body is larger than {limit} bytes"}, status_code=413), close=True)
            return None
        if outcome == "late":
            logger.info("closed a request whose body took longer than %g s", self._body_s)
            await answer(scope, receive, send, JSONResponse(
                {"error": f"the request body did not arrive within {self._body_s:g} s (HEYGEN_HTTP_BODY_S): send it "
                          "in one go, or raise HEYGEN_HTTP_BODY_S on the server"}, status_code=408), close=True)
            return None
        if outcome == "gone":
            return None
        queued: deque[Message] = deque([{"type": "http.request", "body": body, "more_body": False}])

        async def replay() -> Message:
            return queued.popleft() if queued else await receive()

        return replay

    def _refuse_address(self, headers: Headers, *, origin: bool = True) -> JSONResponse | None:
        """421 for a Host this server does not answer to, 403 for a foreign Origin (unless ``origin`` is False: a
        route meant for other origins, such as OAuth metadata and the token endpoint): each naming the fix."""
        if self._hosts is None or self._origins is None:
            return None
        host = headers.get("host", "")
        if not _allowed(host, self._hosts):
            shown = host[:100] or "(none)"
            return JSONResponse({"error": f"this server does not answer to Host {shown}: if clients reach it at that "
                                          f"address, set HEYGEN_PUBLIC_URL (or serve --public-url) to it, e.g. "
                                          f"http://{shown}, or add it to HEYGEN_HTTP_ALLOWED_HOSTS; then restart"},
                                status_code=421)
        sent = headers.get("origin") if origin else None
        if sent and not _allowed(sent, self._origins):
            return JSONResponse({"error": f"requests from the web page at {sent[:100]} are refused: if that page "
                                          "is yours, set HEYGEN_PUBLIC_URL (or serve --public-url) to its address, or "
                                          "add its host to HEYGEN_HTTP_ALLOWED_HOSTS; then restart"}, status_code=403)
        return None

    def _signpost(self, method: str) -> JSONResponse:
        body = {"server": "heygen-studio", "mcp_endpoint": self._endpoint, "transport": "streamable HTTP",
                "message": f"This is an MCP server; connect your MCP client to {self._endpoint}"}
        if method in ("GET", "HEAD"):
            return JSONResponse(body)
        return JSONResponse({"error": f"not the MCP endpoint: use {self._endpoint}", **body}, status_code=404)


def base_url(host: str, port: int) -> str:
    """Where a client on this machine reaches a server bound to ``host``: a wildcard bind is reached on loopback."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def public_base(settings: Settings, host: str, port: int) -> str:
    """The address clients are given: ``HEYGEN_PUBLIC_URL`` when set, else where this machine reaches the bind."""
    return settings.heygen_public_url or base_url(host, port)


@dataclass(frozen=True)
class Auth:
    """The token HTTP mode asks for (None: ``--no-auth``, or team mode), the state-folder file it came from, if it
    did, and the number of people in team mode (0: one person, the shared token's)."""

    token: str | None
    kept_in: Path | None = None
    people: int = 0


def team_size(settings: Settings) -> int:
    """How many people the people store holds, revoked ones included (``core.people``): with any, HTTP mode serves
    a team and every request must name its person (revoking everyone does not reopen the server to a shared
    token). ``HTTPConfigError`` when the store cannot be read."""
    stores = open_store(settings)
    if not stores.may_hold_people():
        return 0
    people = stores.people()
    try:
        return len(people.list())
    except HeyGenError as exc:
        where = ("HEYGEN_STORE_URL" if stores.postgres
                 else f"the state folder {settings.store_path.parent} (HEYGEN_STATE_DIR)")
        raise HTTPConfigError(f"cannot read the people of this server ({exc.message}): fix {where}, then restart"
                              ) from None
    finally:
        people.close()


def _team_conflicts(given: str | None, no_auth: bool, people: int) -> None:
    if given is not None or no_auth:
        what = "--no-auth" if no_auth else "a shared token (--token or HEYGEN_HTTP_TOKEN)"
        raise HTTPConfigError(
            f"this server has {people} {'person' if people == 1 else 'people'} ('heygen-studio tokens list'), so "
            f"every client sends its own person's token and {what} is not used: drop it, then start again")


def _replica_problem(settings: Settings, people: int) -> None:
    """On PostgreSQL (HEYGEN_STORE_URL) a server may run as several replicas, each with a state folder of its own,
    so nothing a client needs may come from one: a team's signed file links need HEYGEN_SECRET_KEY (a key kept in
    the state folder would differ per replica, and a link made on one would not open on another)."""
    if people and settings.store_url and settings.heygen_secret_key is None:
        from .core.people import MAKE_SECRET_KEY

        raise HTTPConfigError(
            "a team server on PostgreSQL (HEYGEN_STORE_URL) needs HEYGEN_SECRET_KEY, the same on every replica, so "
            f"a signed download link made on one opens on all: set it to a Fernet key ({MAKE_SECRET_KEY}), then "
            "start again")


def http_auth(settings: Settings, host: str, *, token: str | None = None, no_auth: bool = False) -> Auth:
    """The token ``serve --http`` asks for: ``--token``, else ``HEYGEN_HTTP_TOKEN``, else (on loopback) the one kept
    in the state folder; none with ``no_auth``, on loopback only; none in team mode (``team_size``), where each
    person sends their own. ``HTTPConfigError`` (one line) otherwise."""
    given = token or (settings.heygen_http_token.get_secret_value() if settings.heygen_http_token else None)
    people = team_size(settings)
    if people:
        _team_conflicts(given, no_auth, people)
        _replica_problem(settings, people)
        return Auth(None, people=people)
    if given is not None:
        problem = token_problem(given)
        if problem is not None:
            raise HTTPConfigError(f"the HTTP token (--token or HEYGEN_HTTP_TOKEN) {problem}")
        if no_auth:
            raise HTTPConfigError("--no-auth and a token (--token or HEYGEN_HTTP_TOKEN) contradict each other: "
                                  "drop --no-auth, or unset the token")
        return Auth(given)
    if no_auth:
        if not is_loopback(host):
            raise HTTPConfigError(f"--no-auth is for loopback only, and {host} is not loopback: drop --no-auth and "
                                  "set HEYGEN_HTTP_TOKEN or pass --token (clients send 'Authorization: Bearer …')")
        return Auth(None)
    if not is_loopback(host):
        raise HTTPConfigError(
            f"serving on {host} (not loopback) needs a bearer token: set HEYGEN_HTTP_TOKEN or pass --token, "
            "and have clients send 'Authorization: Bearer <token>'")
    if settings.store_url:
        raise HTTPConfigError(
            "on PostgreSQL (HEYGEN_STORE_URL) this server may run as several replicas, and the token kept in one "
            "replica's state folder would not open the others: set HEYGEN_HTTP_TOKEN (or pass --token) to the same "
            "random token on every replica, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'")
    try:
        kept, path = stored_token(settings.store_path.parent)
    except TokenError as exc:
        raise HTTPConfigError(str(exc)) from None
    return Auth(kept, path)


def http_app(server: MCPServer[Any], settings: Settings, *, host: str, port: int,
             token: str | None = None) -> ASGIApp:
    """The streamable-HTTP app for ``server``, guarded as this module's docstring says. ``token`` (or
    ``HEYGEN_HTTP_TOKEN``) is the one clients must send; without either, a loopback app asks for none
    (``serve --http`` passes the kept token: see ``http_auth``)."""
    token = token or (settings.heygen_http_token.get_secret_value() if settings.heygen_http_token else None)
    people = team_size(settings)
    if people:
        _team_conflicts(token, False, people)
        _replica_problem(settings, people)
    if token is not None and (problem := token_problem(token)) is not None:
        raise HTTPConfigError(f"the HTTP token (--token or HEYGEN_HTTP_TOKEN) {problem}")
    if token is None and not is_loopback(host) and not people:
        raise HTTPConfigError(
            f"serving on {host} (not loopback) needs a bearer token: set HEYGEN_HTTP_TOKEN or pass --token, "
            "and have clients send 'Authorization: Bearer <token>'")
    hosts = allowed_hosts(host, port, settings.heygen_http_allowed_hosts, settings.heygen_public_url)
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts,
        allowed_origins=[f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")])

    app: ASGIApp = server.streamable_http_app(streamable_http_path=MCP_PATH, transport_security=security,
                                              session_idle_timeout=settings.heygen_http_idle_s, host=host)
    live = getattr(server, "live", None)
    receiver = WebhookReceiver(live, settings) if isinstance(live, Live) else None
    base = public_base(settings, host, port)
    endpoint = base + MCP_PATH
    door = links = None
    if people and isinstance(live, Live):  # a team server: its people, their files by signed link
        from .file_links import FileLinks, link_key

        secret = settings.heygen_secret_key.get_secret_value() if settings.heygen_secret_key else None
        live.people = open_store(settings).people(secret)
        live.public_base, live.link_key = base, link_key(settings)
        door, links = team(settings, base, live.people), FileLinks(live)
    return Gate(app, token, receiver, endpoint=endpoint, hosts=hosts, body_s=settings.heygen_http_body_s,
                team=door, files=links)


def team(settings: Settings, base: str, people: People | None = None) -> TeamAuth:
    """Team mode's door for a server clients reach at ``base``: its people, the built-in authorization server (or
    the issuer HEYGEN_OAUTH_ISSUER names), and HEYGEN_RATE_LIMIT per person (``auth.team``)."""
    from .auth.team import team_auth

    resource = base + MCP_PATH
    verifier = None
    if settings.heygen_oauth_issuer:
        from .core.issuer import IssuerVerifier

        verifier = IssuerVerifier(settings.heygen_oauth_issuer, resource)
    stores = open_store(settings)
    return team_auth(people or stores.people(), stores, base=base, resource=resource,
                     issuer=settings.heygen_oauth_issuer, issuer_verifier=verifier,
                     rate_limit=settings.heygen_rate_limit)


# -- the connection: a deadline for the headers, a cap on connections still sending them -----------------------

_LATE = b"the request headers did not arrive in time (HEYGEN_HTTP_HEADERS_S); send them in one go\n"
REQUEST_TIMEOUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                   b"content-length: %d\r\n\r\n%s" % (len(_LATE), _LATE))


def guarded_protocol(headers_s: float, max_pending: int = MAX_PENDING_CONNECTIONS) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, with a deadline for each request's headers (from the connection, or the end of the
    previous response, to the end of the headers: then 408 and closed) and at most ``max_pending`` connections
    waiting for headers at once (the oldest is closed for a new one). uvicorn has neither: a connection that
    sends nothing, or one header byte a second, is held for ever."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    pending: dict[GuardedH11, None] = {}  # oldest first

    class GuardedH11(H11Protocol):
        _headers_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_headers()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._headers_in()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                self._await_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._headers_in()
            super().connection_lost(exc)

        def _await_headers(self) -> None:
            self._headers_in()
            pending[self] = None
            self._headers_timer = self.loop.call_later(headers_s, self._headers_late)
            while len(pending) > max_pending:
                oldest = next(iter(pending))
                oldest._headers_in()
                oldest.transport.close()

        def _headers_in(self) -> None:
            if self._headers_timer is not None:
                self._headers_timer.cancel()
                self._headers_timer = None
            pending.pop(self, None)

        def _headers_late(self) -> None:
            self._headers_timer = None
            pending.pop(self, None)
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.write(REQUEST_TIMEOUT)
                self.transport.close()

    return GuardedH11


# -- running: one line on start, a quiet stop ------------------------------------------------------------------


def mode_line(settings: Settings) -> str:
    """Which HeyGen this server talks to, for the start line."""
    if settings.heygen_sandbox:
        return f"sandbox (offline HeyGen simulator: no key, no credits; state in {settings.store_path.parent})"
    key = "key set" if settings.heygen_api_key else "no HEYGEN_API_KEY yet: the tools say how to set it"
    return f"real API at {settings.heygen_base_url} ({key})"


def start_line(settings: Settings, *, host: str | None = None, port: int = 0, auth: Auth | None = None) -> str:
    """What ``serve`` prints on stderr: one line with the mode, the transport and, over HTTP, the endpoint to give
    clients and whether it asks for a token; then, for a token kept in the state folder, the one line to paste
    into a client (the only place that token is ever printed)."""
    from . import __version__

    paste = ""
    if host is None:
        where = "MCP over stdio"
    else:
        url = public_base(settings, host, port)
        bound = f"{host}:{port}" if settings.heygen_public_url else host
        listening = f", listening on {bound}" if settings.heygen_public_url or host in ("0.0.0.0", "::", "") else ""
        where = f"MCP over streamable HTTP at {url}{MCP_PATH} (health: {url}/health{listening})"
        if host in ("0.0.0.0", "::", "") and not settings.heygen_public_url:
            where += ("; other machines: set HEYGEN_PUBLIC_URL (or --public-url) to the address they use, "
                      "e.g. http://<this machine's name>:" + str(port))
        if auth is not None and auth.people:
            where += "; " + team_line(settings, url, auth.people)
        elif auth is not None and auth.token is None:
            where += "; NO TOKEN (--no-auth): any process or user on this machine can call its tools"
        elif auth is not None:
            where += "; clients send 'Authorization: Bearer <token>'"
            if auth.kept_in is not None:
                where += f" (the token is kept in {auth.kept_in}; 'heygen-studio config <client> --http' writes it)"
                paste = ("\nConnect a client: claude mcp add --transport http heygen " f"{url}{MCP_PATH} "
                         f"--header 'Authorization: Bearer {auth.token}'")
    return f"heygen-studio {__version__}: {where}; {mode_line(settings)}. Ctrl-C stops it.{paste}"


def team_line(settings: Settings, base: str, people: int) -> str:
    """The start line's words for team mode: who gets in, and how."""
    from .auth.team import oauth_issuer_problem

    who = f"team mode, {people} {'person' if people == 1 else 'people'} ('heygen-studio tokens list')"
    if settings.heygen_oauth_issuer:
        how = f"people sign in at {settings.heygen_oauth_issuer} (OAuth) or send their personal token"
    elif oauth_issuer_problem(base) is None:
        how = "clients sign their person in here (OAuth, with the person's token once) or send a personal token"
    else:
        how = ("each client sends its person's token ('Authorization: Bearer hgs_…'); OAuth sign-in needs an "
               "https HEYGEN_PUBLIC_URL")
    limit = (f"at most {settings.heygen_rate_limit} requests a minute each (HEYGEN_RATE_LIMIT)"
             if settings.heygen_rate_limit else "no rate limit (HEYGEN_RATE_LIMIT=0)")
    return f"{who}: {how}; {limit}"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or an ``HTTPConfigError`` that says in one line what to change."""
    if not 0 < port < 65536:
        raise HTTPConfigError(f"--port {port} is out of range: use 1-65535")
    name = host.strip("[]")
    try:
        family = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)[0][0]
    except (socket.gaierror, UnicodeError):
        raise HTTPConfigError(f"--host {host} is not a known host name or address; use 127.0.0.1") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((name, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise HTTPConfigError(f"port {port} on {host} is already in use (another server?): stop it, or pass "
                                  "--port with a free port") from None
        if exc.errno == errno.EACCES:
            raise HTTPConfigError(f"port {port} needs more privileges than this user has: use a port "
                                  "from 1024 up") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise HTTPConfigError(f"--host {host} is not an address of this machine; use 127.0.0.1") from None
        raise HTTPConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _exit_now(code: int) -> None:
    """End the process at once with ``code``: what was printed is flushed, no thread is waited for."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def until_stopped(run: Callable[[], None], announce: Callable[[], None] | None = None, *,
                  grace_s: float | None = None) -> int:
    """Run ``run()`` until it returns (exit 0) or SIGINT/SIGTERM stops it: exit 130 or 0, with no traceback.

    ``announce`` (the start line) runs once the handlers are in place, so a signal sent by whoever read that line
    is always ours. A stop silences shutdown chatter (cancelled requests, closing sessions): it is expected, not an
    error.

    ``grace_s`` (stdio): the process ends once the stop is done, or ``grace_s`` after the signal at the latest, or
    at a second signal. Over stdio the SDK reads stdin in a worker thread that nothing can interrupt: on a terminal
    (or a pipe its client keeps open) no line ever comes, so the event loop's shutdown waited for that thread, the
    first Ctrl-C seemed to do nothing, and the second one broke into the interpreter's own wait for it
    ("Exception ignored in: <module 'threading'> … KeyboardInterrupt")."""
    stopped: list[int] = []

    def code() -> int:
        return 130 if stopped and stopped[0] == signal.SIGINT else 0

    def stop(signum: int, frame: object) -> None:
        if stopped and grace_s is not None:
            _exit_now(code())
        if not stopped:
            logging.disable(logging.ERROR)
            if grace_s is not None:
                threading.Timer(grace_s, lambda: _exit_now(code())).start()
        stopped.append(signum)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if announce is not None:
            announce()
        run()
    except KeyboardInterrupt:
        if not stopped:  # raised by someone other than our handler: still an interrupt
            stopped.append(signal.SIGINT)
    finally:
        if stopped and grace_s is not None:
            _exit_now(code())  # stopped: only the stdin reader's thread is left, and nothing can end it
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code()


def run_http(server: MCPServer[Any], settings: Settings, *, host: str, port: int, token: str | None = None,
             no_auth: bool = False, announce: Callable[[str], None] | None = None) -> int:
    """Serve HTTP until stopped; the exit code. ``HTTPConfigError`` (one line) when it cannot start."""
    import uvicorn

    auth = http_auth(settings, host, token=token, no_auth=no_auth)
    app = http_app(server, settings, host=host, port=port, token=auth.token)
    sock = bind(host, port)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:  # uvicorn's own stop: shut down gracefully, quietly
            logging.disable(logging.ERROR)
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3, lifespan="on",
                            http=guarded_protocol(settings.heygen_http_headers_s))
    line = start_line(settings, host=host, port=port, auth=auth)
    with sock:
        return until_stopped(lambda: Server(config).run(sockets=[sock]),
                             None if announce is None else lambda: announce(line))
