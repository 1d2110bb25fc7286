"""The sandbox ASGI app: routes, the per-request middleware (record → tick → auth → faults →
idempotency → handler) and HeyGen-style error envelopes."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from . import chat, routes_agents, routes_assets, routes_catalogue, routes_media, routes_misc, routes_videos
from .clock import Clock, SystemClock
from .config import SandboxConfig
from .errors import DOC_URL, ApiError, DroppedConnection
from .faults import Fault
from .records import IdempotencyEntry, RecordedRequest
from .state import SandboxState

logger = logging.getLogger(__name__)

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{1,255}$")
RETIRED_MESSAGE = "This v2 endpoint has been removed; use /v3/videos"
# Statuses the contract declares for v2 operations; other error statuses are reported as 400.
V2_STATUSES = (400, 401, 404, 429)


# -- envelopes -------------------------------------------------------------------------------------
def surface_of(path: str) -> str:
    if path.startswith("/v2/"):
        return "v2"
    if path in chat.CHAT_PATHS:
        return "chat"
    if path.startswith("/v3/"):
        return "v3"
    return "other"


def error_payload(surface: str, code: str, message: str, param: str | None = None) -> dict[str, Any]:
    if surface == "v2":
        return {"error": {"code": code, "message": message}, "data": None}
    if surface == "chat":
        kind = "authentication_error" if code == "unauthorized" else "invalid_request_error"
        return {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return {"error": {"code": code, "message": message, "param": param, "doc_url": DOC_URL.format(code=code)}}


def error_response(
    surface: str,
    status: int,
    code: str,
    message: str,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    if surface == "v2" and status not in V2_STATUSES and status < 500:
        status = 400
    return JSONResponse(error_payload(surface, code, message, param), status_code=status, headers=headers)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(
        surface_of(request.url.path), exc.status, exc.code, exc.message, exc.param, exc.headers
    )


async def unknown_route(request: Request) -> Response:
    raise ApiError(404, "not_found", f"No route for {request.method} {request.url.path}")


# -- middleware ------------------------------------------------------------------------------------
def _mask(headers: dict[str, str]) -> dict[str, str]:
    masked = dict(headers)
    if "x-api-key" in masked:
        masked["x-api-key"] = "***"
    if "authorization" in masked:
        scheme = masked["authorization"].split(" ", 1)[0]
        masked["authorization"] = f"{scheme} ***" if " " in masked["authorization"] else "***"
    return masked


def _api_key(headers: dict[str, str], *, bearer_only: bool) -> str | None:
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    if bearer_only:
        return None
    key = headers.get("x-api-key", "").strip()
    return key or None


def _accepted(config: SandboxConfig, surface: str, headers: dict[str, str]) -> bool:
    if surface == "chat":  # the DeepSeek stand-in: any non-empty bearer key except "bad..."
        key = _api_key(headers, bearer_only=True)
        return bool(key) and not str(key).startswith("bad")
    return config.key_accepted(_api_key(headers, bearer_only=False))


def _buffered(method: str, path: str, headers: dict[str, str]) -> bool:
    if method not in ("POST", "PUT", "PATCH", "DELETE") or path.startswith("/_uploads/"):
        return False
    return not headers.get("content-type", "").lower().startswith("multipart/")


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _json_or_none(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


async def _send_whole(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _json_headers(body: bytes, extra: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]


def _fault_response(fault: Fault, surface: str) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    extra: list[tuple[bytes, bytes]] = []
    if fault.kind == "malformed":
        return 200, b'{"data": {"status": "compl', extra
    if fault.kind == "retired":
        payload: dict[str, Any] = {
            "error": {"code": "endpoint_retired", "message": RETIRED_MESSAGE},
            "data": None,
        }
        return 404, json.dumps(payload).encode(), extra
    if fault.kind == "error200":
        status, message = 200, "The request failed (error reported with HTTP 200)."
    elif fault.kind == "not_found":
        status, message = 404, "Resource not found"
    else:
        status, message = fault.status, f"Injected fault: HTTP {fault.status}"
        if fault.retry_after is not None:
            value = fault.retry_after
            extra.append(
                (b"retry-after", (str(int(value)) if float(value).is_integer() else str(value)).encode())
            )
    payload = error_payload(
        "v2" if surface == "v2" else "v3" if surface != "chat" else "chat", fault.error_code, message
    )
    return status, json.dumps(payload).encode(), extra


class SandboxMiddleware:
    """Outermost layer: every request is recorded, ``tick()``-ed, authenticated, maybe faulted,
    and (v3 POST/PATCH/PUT with ``Idempotency-Key``) replayed or guarded against duplicates."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # type: ignore[arg-type]
            return
        state = self.state
        method = str(scope["method"]).upper()
        path = str(scope["path"])
        headers: dict[str, str] = {}
        for key, value in scope.get("headers") or []:
            headers[key.decode("latin-1").lower()] = value.decode("latin-1")
        query = dict(parse_qsl((scope.get("query_string") or b"").decode("latin-1"), keep_blank_values=True))
        json_body = None
        if _buffered(method, path, headers):
            body = await _read_body(receive)
            json_body = _json_or_none(body)
            receive = _replay(body, receive)
        record = RecordedRequest(method, path, query, _mask(headers), json_body)
        state.requests.append(record)
        await state.tick()

        extra = [(b"x-request-id", state.new_id("request", prefix="req_", length=20).encode())]
        surface = surface_of(path)
        if surface != "other" and not _accepted(state.config, surface, headers):
            message = (
                "Authentication Fails: missing or invalid API key"
                if surface == "chat"
                else "Invalid or missing API key. Send it in the x-api-key header."
            )
            body = json.dumps(error_payload(surface, "unauthorized", message)).encode()
            record.status = 401
            await _send_whole(send, 401, _json_headers(body, extra), body)
            return

        fault = state.faults.take(method, path)
        if fault is not None:
            record.fault = fault.kind
            fault_header = (b"x-sandbox-fault", fault.kind.encode())
            if fault.kind == "drop":
                raise DroppedConnection()
            if fault.kind not in ("slow", "drop_after"):
                status, body, fault_extra = _fault_response(fault, surface)
                record.status = status
                await _send_whole(
                    send, status, _json_headers(body, [*extra, fault_header, *fault_extra]), body
                )
                return
            extra.append(fault_header)

        idem_key: tuple[str, str, str] | None = None
        entry: IdempotencyEntry | None = None
        if surface == "v3" and method in ("POST", "PATCH", "PUT") and "idempotency-key" in headers:
            value = headers["idempotency-key"]
            if not IDEMPOTENCY_KEY.match(value):
                body = json.dumps(
                    error_payload(
                        "v3",
                        "validation_error",
                        "Idempotency-Key must be 1-255 characters of [A-Za-z0-9_-:.]",
                        "Idempotency-Key",
                    )
                ).encode()
                record.status = 400
                await _send_whole(send, 400, _json_headers(body, extra), body)
                return
            idem_key = (value, method, path)
            existing = state.idempotency_entry(idem_key)
            if existing is not None and not existing.done:
                body = json.dumps(
                    error_payload(
                        "v3",
                        "request_in_progress",
                        "A request with this Idempotency-Key is already in progress.",
                    )
                ).encode()
                record.status = 409
                await _send_whole(send, 409, _json_headers(body, extra), body)
                return
            if existing is not None:
                replay_headers = [(k, v) for k, v in existing.headers if k.lower() != b"x-request-id"]
                replay_headers += [*extra, (b"idempotent-replayed", b"true")]
                record.status = existing.status
                await _send_whole(send, existing.status, replay_headers, existing.body)
                return
            entry = IdempotencyEntry(created_at=state.now())
            state.idempotency[idem_key] = entry

        try:
            if fault is not None and fault.kind == "slow":
                await anyio.sleep(fault.delay)
            if entry is None and (fault is None or fault.kind != "drop_after"):
                await self.app(scope, receive, self._wrap_send(send, record, extra))  # type: ignore[arg-type]
                return
            status, response_headers, body = await self._capture(scope, receive)
        except BaseException:
            if idem_key is not None:
                state.idempotency.pop(idem_key, None)
            raise
        if entry is not None and idem_key is not None:
            if status < 500:
                entry.done, entry.status, entry.headers, entry.body = True, status, response_headers, body
            else:
                state.idempotency.pop(idem_key, None)
        record.status = status
        if fault is not None and fault.kind == "drop_after":
            raise DroppedConnection()
        await _send_whole(send, status, [*response_headers, *extra], body)

    def _wrap_send(self, send: Send, record: RecordedRequest, extra: list[tuple[bytes, bytes]]) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
                message = dict(message)
                message["headers"] = [*list(message.get("headers") or []), *extra]
            await send(message)

        return wrapped

    async def _capture(
        self, scope: Message, receive: Receive
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers") or [])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)  # type: ignore[arg-type]
        return status, headers, b"".join(chunks)


# -- the app ---------------------------------------------------------------------------------------
class SandboxApp(Starlette):
    """A Starlette app whose outermost layer is ``SandboxMiddleware`` (outside Starlette's own
    error middleware, so an injected dropped connection is never turned into a 500)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SandboxMiddleware(super().build_middleware_stack(), self.state.sandbox)  # type: ignore[return-value]


async def _ticker(state: SandboxState) -> None:
    while True:
        await anyio.sleep(0.5)
        try:
            await state.tick()
        except Exception:  # keep ticking
            logger.exception("sandbox tick failed")


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    """Under a server (uvicorn), tick twice a second so webhooks fire even when nobody polls."""
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_ticker, app.state.sandbox)
        yield
        tasks.cancel_scope.cancel()


def all_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for module in (
        routes_videos,
        routes_agents,
        routes_assets,
        routes_catalogue,
        routes_misc,
        routes_media,
        chat,
    ):
        routes += module.routes
    catch_all = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    routes.append(Route("/v3/{rest:path}", unknown_route, methods=catch_all))
    routes.append(Route("/v2/{rest:path}", unknown_route, methods=catch_all))
    return routes


def create_app(config: SandboxConfig | None = None, clock: Clock | None = None) -> Starlette:
    """A fresh sandbox: ``app.state.sandbox`` is its ``SandboxState``."""
    state = SandboxState(config or SandboxConfig(), clock or SystemClock())
    app = SandboxApp(
        routes=all_routes(),
        exception_handlers={ApiError: handle_api_error},
        lifespan=_lifespan,
    )
    app.state.sandbox = state
    return app
