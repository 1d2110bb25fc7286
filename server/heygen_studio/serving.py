"""HTTP mode that lets no one in by accident: ``heygen-studio serve --http``.

* Binding anything but loopback needs a bearer token (``HEYGEN_HTTP_TOKEN`` or ``--token``); without
  one the server refuses to start and says why. Tokens are compared in constant time.
* DNS-rebinding protection (Host and Origin checks, the SDK's ``TransportSecuritySettings``) is on for
  every bind: loopback names, the bind address, and ``HEYGEN_HTTP_ALLOWED_HOSTS``.
* Idle sessions expire (``HEYGEN_HTTP_IDLE_S``). ``/health`` answers ``ok`` and nothing else; the bare
  address (``/``) says where the MCP endpoint is, instead of a bare 404 (clients given it get pointed on).
* ``serve`` says on start, in one line on stderr, which HeyGen it talks to and where to connect; Ctrl-C
  (SIGINT) and SIGTERM stop it quietly (exit 130 and 0); a port that cannot be bound is one line.
* ``POST /webhooks/heygen`` receives HeyGen's webhook deliveries without the bearer token: the
  signature is the auth (``core.webhooks``). A verified event updates the job's row in the store and
  wakes every ``wait_for_job`` on that job at once; unsigned, wrongly signed, stale (5 min) and replayed
  deliveries get a 4xx and change nothing.
"""

from __future__ import annotations

import errno
import hmac
import ipaddress
import json
import logging
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .core import webhooks
from .core.errors import HeyGenError
from .settings import Settings
from .tools.state import Live

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
WEBHOOK_PATH = "/webhooks/heygen"
MAX_WEBHOOK_BODY = 256 * 1024  # HeyGen events are a few hundred bytes
OPEN_PATHS = frozenset({"/health", "/"})  # answered without a token: they say nothing secret
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class HTTPConfigError(ValueError):
    """HTTP mode cannot start safely as configured; ``str()`` is one line with the fix."""


def is_loopback(host: str) -> bool:
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int, extra: list[str]) -> list[str]:
    """Host header values to accept: loopback names, the bind address (unless a wildcard), and ``extra``."""
    names = [*LOOPBACK_NAMES]
    if not is_loopback(host) and host not in ("0.0.0.0", "::", ""):
        names.append(f"[{host}]" if ":" in host else host)
    hosts = [f"{name}:{port}" for name in names] + [f"{name}:*" for name in names]
    for value in extra:
        hosts.extend([value] if ":" in value.rsplit("]", 1)[-1] else [value, f"{value}:*"])
    return hosts


class WebhookReceiver:
    """``POST /webhooks/heygen``: HeyGen's signed deliveries, checked with HEYGEN_WEBHOOK_SECRET and the
    secrets ``add_webhook(url='self')`` kept; event ids are remembered in the job store (every process)."""

    def __init__(self, live: Live, settings: Settings) -> None:
        self.live = live
        self.settings = settings
        self._book = webhooks.SecretBook(settings.webhook_secrets_path)

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

        headers = Request(scope).headers
        try:
            verified = webhooks.check(self.secrets(), headers, body, remember=remember)
            event = webhooks.job_event(_json(body))
            if event is not None:
                # Cite: contract webhooks.heygenEvent / WebhookDelivery (event_type + event_data ids).
                state.jobs.update(event.raw_id, status=event.status, failure=event.failure,
                                  webhook_event=event.event_type, webhook_event_id=verified.event_id,
                                  webhook_at=round(time.time(), 3))
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


class Gate:
    """In front of the MCP app: ``/health`` answers ``ok``; ``/webhooks/heygen`` goes to the receiver (its
    signature is the auth); with a token, every other path needs ``Authorization: Bearer <token>`` (RFC 6750)."""

    def __init__(self, app: ASGIApp, token: str | None, receiver: ASGIApp | None = None, *,
                 endpoint: str = MCP_PATH) -> None:
        self.app = app
        self._token = token.encode() if token else None
        self._receiver = receiver
        self._endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/health":
            await JSONResponse({"status": "ok"})(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"] == "/":  # a client given the bare address: point it on
            await self._signpost(scope["method"])(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"] == WEBHOOK_PATH and self._receiver is not None:
            await self._receiver(scope, receive, send)
            return
        if self._token is not None and scope["type"] == "http" and scope["path"] not in OPEN_PATHS:
            header = Request(scope).headers.get("authorization", "")
            scheme, _, given = header.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self._token):
                response = JSONResponse({"error": "unauthorized: send Authorization: Bearer <HEYGEN_HTTP_TOKEN>"},
                                        status_code=401, headers={"WWW-Authenticate": 'Bearer realm="heygen-studio"'})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

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


def http_app(server: MCPServer[Any], settings: Settings, *, host: str, port: int,
             token: str | None = None) -> ASGIApp:
    """The streamable-HTTP app for ``server``, guarded as this module's docstring says."""
    token = token or (settings.heygen_http_token.get_secret_value() if settings.heygen_http_token else None)
    if token is not None and len(token) < 16:
        raise HTTPConfigError("the HTTP token is too short: use at least 16 random characters")
    if token is None and not is_loopback(host):
        raise HTTPConfigError(
            f"serving on {host} (not loopback) needs a bearer token: set HEYGEN_HTTP_TOKEN or pass --token, "
            "and have clients send 'Authorization: Bearer <token>'")
    hosts = allowed_hosts(host, port, settings.heygen_http_allowed_hosts)
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts,
        allowed_origins=[f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")])

    app: ASGIApp = server.streamable_http_app(streamable_http_path=MCP_PATH, transport_security=security,
                                              session_idle_timeout=settings.heygen_http_idle_s, host=host)
    live = getattr(server, "live", None)
    receiver = WebhookReceiver(live, settings) if isinstance(live, Live) else None
    return Gate(app, token, receiver, endpoint=base_url(host, port) + MCP_PATH)


# -- running: one line on start, a quiet stop ------------------------------------------------------------------


def mode_line(settings: Settings) -> str:
    """Which HeyGen this server talks to, for the start line."""
    if settings.heygen_sandbox:
        return f"sandbox (offline HeyGen simulator: no key, no credits; state in {settings.store_path.parent})"
    key = "key set" if settings.heygen_api_key else "no HEYGEN_API_KEY yet: the tools say how to set it"
    return f"real API at {settings.heygen_base_url} ({key})"


def start_line(settings: Settings, *, host: str | None = None, port: int = 0) -> str:
    """The one line ``serve`` prints on stderr: mode, transport, and over HTTP the endpoint to give clients."""
    from . import __version__

    if host is None:
        where = "MCP over stdio"
    else:
        url = base_url(host, port)
        listening = f", listening on {host}" if host in ("0.0.0.0", "::", "") else ""
        where = f"MCP over streamable HTTP at {url}{MCP_PATH} (health: {url}/health{listening})"
    return f"heygen-studio {__version__}: {where}; {mode_line(settings)}. Ctrl-C stops it."


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


def until_stopped(run: Callable[[], None], announce: Callable[[], None] | None = None) -> int:
    """Run ``run()`` until it returns (exit 0) or SIGINT/SIGTERM stops it: exit 130 or 0, with no traceback.

    ``announce`` (the start line) runs once the handlers are in place, so a signal sent by whoever read that line
    is always ours. A stop silences shutdown chatter (cancelled requests, closing sessions): it is expected, not an
    error."""
    stopped: list[int] = []

    def stop(signum: int, frame: object) -> None:
        if not stopped:
            logging.disable(logging.ERROR)
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
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 130 if stopped and stopped[0] == signal.SIGINT else 0


def run_http(server: MCPServer[Any], settings: Settings, *, host: str, port: int, token: str | None = None,
             announce: Callable[[str], None] | None = None) -> int:
    """Serve HTTP until stopped; the exit code. ``HTTPConfigError`` (one line) when it cannot start."""
    import uvicorn

    app = http_app(server, settings, host=host, port=port, token=token)
    sock = bind(host, port)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:  # uvicorn's own stop: shut down gracefully, quietly
            logging.disable(logging.ERROR)
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3, lifespan="on")
    line = start_line(settings, host=host, port=port)
    with sock:
        return until_stopped(lambda: Server(config).run(sockets=[sock]),
                             None if announce is None else lambda: announce(line))
