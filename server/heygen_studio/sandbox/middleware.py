"""The per-request middleware: record → account → pull → tick → auth → faults → idempotency → handler → push.

The request's account (accounts.py) is the one its key names in ``per-key`` mode (the one account otherwise):
its state is pulled, ticked, kept idempotency records for and pushed, and the routes act on it (``web.state_of``).
The request log, request ids, auth and faults are the sandbox's front's. ``pull``/``push`` do nothing unless the
sandbox keeps its state in a file (``persist.py``).

Idempotency follows HeyGen's v3 ``Idempotency-Key`` rules (POST/PATCH/PUT, 1-255 characters of
``[A-Za-z0-9_-:.]``, replayed for 24 h with ``Idempotent-Replayed: true``, 409 while in progress).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import anyio
from starlette.types import ASGIApp

from .accounts import SCOPE_KEY, Accounts
from .config import SandboxConfig
from .envelopes import error_payload, surface_of
from .errors import DroppedConnection
from .faults import Fault
from .records import IdempotencyEntry, RecordedRequest
from .state import SandboxState

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
IdempotencyKey = tuple[str, str, str]
# An open idempotency record: the key it is stored under and the entry the response will fill.
Slot = tuple[IdempotencyKey, IdempotencyEntry]

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{1,255}$")
RETIRED_MESSAGE = "This v2 endpoint has been removed; use /v3/videos"


class Answer(NamedTuple):
    """A whole response the middleware sends itself (the handler is not called)."""

    status: int
    headers: Headers
    body: bytes


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


def _json_answer(status: int, payload: dict[str, Any], extra: Headers) -> Answer:
    body = json.dumps(payload).encode()
    return Answer(status, _json_headers(body, extra), body)


def _unauthorized(config: SandboxConfig, surface: str, headers: dict[str, str], extra: Headers) -> Answer | None:
    if surface == "other" or _accepted(config, surface, headers):
        return None
    message = (
        "Authentication Fails: missing or invalid API key"
        if surface == "chat"
        else "Invalid or missing API key. Send it in the x-api-key header."
    )
    return _json_answer(401, error_payload(surface, "unauthorized", message), extra)


def _idempotency(
    state: SandboxState, record: RecordedRequest, headers: dict[str, str], extra: Headers
) -> tuple[Answer | None, Slot | None]:
    """Refuse a bad or in-flight ``Idempotency-Key``, replay a finished one, or open a new entry (in the
    account's records: one account's key is not another's)."""
    if "idempotency-key" not in headers:
        return None, None
    value = headers["idempotency-key"]
    if not IDEMPOTENCY_KEY.match(value):
        message = "Idempotency-Key must be 1-255 characters of [A-Za-z0-9_-:.]"
        return _json_answer(400, error_payload("v3", "validation_error", message, "Idempotency-Key"), extra), None
    idem_key = (value, record.method, record.path)
    existing = state.idempotency_entry(idem_key)
    if existing is not None and not existing.done:
        message = "A request with this Idempotency-Key is already in progress."
        return _json_answer(409, error_payload("v3", "request_in_progress", message), extra), None
    if existing is not None:
        replay_headers = [(k, v) for k, v in existing.headers if k.lower() != b"x-request-id"]
        replay_headers += [*extra, (b"idempotent-replayed", b"true")]
        return Answer(existing.status, replay_headers, existing.body), None
    entry = IdempotencyEntry(created_at=state.now())
    state.idempotency[idem_key] = entry
    return None, (idem_key, entry)


class SandboxMiddleware:
    """Outermost layer: every request is recorded, given its account, ``tick()``-ed, authenticated, maybe
    faulted, and (v3 POST/PATCH/PUT with ``Idempotency-Key``) replayed or guarded against duplicates."""

    def __init__(self, app: ASGIApp, accounts: Accounts) -> None:
        self.app = app
        self.accounts = accounts
        self.state = accounts.front

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record, headers, receive = await self._record(scope, receive)
        surface = surface_of(record.path)
        account = self._account(surface, headers, record.query)
        scope[SCOPE_KEY] = account
        account.pull()
        try:
            await self._handle(scope, receive, send, account, record, headers, surface)
        finally:
            account.push()

    def _account(self, surface: str, headers: dict[str, str], query: dict[str, str]) -> SandboxState:
        """The account a request acts on: its accepted key's (v2, v3), the one its media or upload URL names,
        else the front (a refused key, the DeepSeek stand-in, an unknown URL)."""
        if surface in ("v2", "v3"):
            key = _api_key(headers, bearer_only=False)
            if key is not None and self.state.config.key_accepted(key):
                return self.accounts.for_key(key)
        elif surface == "other":
            return self.accounts.named(query.get("account")) or self.state
        return self.state

    async def _handle(self, scope: Message, receive: Receive, send: Send, account: SandboxState,
                      record: RecordedRequest, headers: dict[str, str], surface: str) -> None:
        state = self.state
        await account.tick()
        extra: Headers = [(b"x-request-id", state.new_id("request", prefix="req_", length=20).encode())]
        answer = _unauthorized(state.config, surface, headers, extra)
        fault: Fault | None = None
        slot: Slot | None = None
        if answer is None:
            fault, answer = self._fault(record, surface, extra)
        if answer is None and surface == "v3" and record.method in ("POST", "PATCH", "PUT"):
            answer, slot = _idempotency(account, record, headers, extra)
        if answer is not None:
            record.status = answer.status
            await _send_whole(send, *answer)
            return
        await self._forward(scope, receive, send, account, record, extra, fault, slot)

    async def _record(self, scope: Message, receive: Receive) -> tuple[RecordedRequest, dict[str, str], Receive]:
        """Log the request (body parsed as JSON when it is a small buffered one, key masked)."""
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
        self.state.requests.append(record)
        return record, headers, receive

    def _fault(self, record: RecordedRequest, surface: str, extra: Headers) -> tuple[Fault | None, Answer | None]:
        """Take the next injected fault for this request; answer it unless it only delays or drops late."""
        fault = self.state.faults.take(record.method, record.path)
        if fault is None:
            return None, None
        record.fault = fault.kind
        fault_header = (b"x-sandbox-fault", fault.kind.encode())
        if fault.kind == "drop":
            raise DroppedConnection()
        if fault.kind not in ("slow", "drop_after"):
            status, body, fault_extra = _fault_response(fault, surface)
            return fault, Answer(status, _json_headers(body, [*extra, fault_header, *fault_extra]), body)
        extra.append(fault_header)
        return fault, None

    async def _forward(
        self,
        scope: Message,
        receive: Receive,
        send: Send,
        state: SandboxState,
        record: RecordedRequest,
        extra: Headers,
        fault: Fault | None,
        slot: Slot | None,
    ) -> None:
        """Call the app: streamed through, or captured when the response must be stored or dropped (an
        idempotency record is kept in the request's account, ``state``)."""
        idem_key, entry = slot if slot is not None else (None, None)
        try:
            if fault is not None and fault.kind == "slow":
                await anyio.sleep(fault.delay)
            if entry is None and (fault is None or fault.kind != "drop_after"):
                await self.app(scope, receive, self._wrap_send(send, record, extra))
                return
            status, response_headers, body = await self._capture(scope, receive)
        except BaseException:
            if idem_key is not None:
                state.idempotency.pop(idem_key, None)
            raise
        if entry is not None and idem_key is not None:
            if status < 500 and status != 429:  # a 429 was never acted on: the same key may be sent again
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

        await self.app(scope, receive, capture)
        return status, headers, b"".join(chunks)
