"""HTTP mode that lets no one in by accident: ``heygen-studio serve --http``.

* Binding anything but loopback needs a bearer token (``HEYGEN_HTTP_TOKEN`` or ``--token``); without
  one the server refuses to start and says why. Tokens are compared in constant time.
* DNS-rebinding protection (Host and Origin checks, the SDK's ``TransportSecuritySettings``) is on for
  every bind: loopback names, the bind address, and ``HEYGEN_HTTP_ALLOWED_HOSTS``.
* Idle sessions expire (``HEYGEN_HTTP_IDLE_S``). ``/health`` answers ``ok`` and nothing else.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .settings import Settings

MCP_PATH = "/mcp"
OPEN_PATHS = frozenset({"/health"})  # answered without a token: they say nothing secret
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


class Gate:
    """In front of the MCP app: ``/health`` answers ``ok``; with a token, every other path needs
    ``Authorization: Bearer <token>`` (RFC 6750)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self._token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/health":
            await JSONResponse({"status": "ok"})(scope, receive, send)
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
    return Gate(app, token)


def run_http(server: MCPServer[Any], settings: Settings, *, host: str, port: int, token: str | None = None) -> None:
    import uvicorn

    app = http_app(server, settings, host=host, port=port, token=token)
    uvicorn.run(app, host=host, port=port, log_level="warning")
