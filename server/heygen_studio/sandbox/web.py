"""Small helpers shared by the route modules: envelopes, query parsing, pagination."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse

from .accounts import SCOPE_KEY
from .errors import ApiError, not_found
from .state import SandboxState

T = TypeVar("T")


def state_of(request: Request) -> SandboxState:
    """The account the request acts on (the middleware chose it: accounts.py), else the sandbox's front."""
    state: SandboxState = request.scope.get(SCOPE_KEY) or request.app.state.sandbox
    return state


def base_url(request: Request) -> str:
    """The sandbox's own origin as the client addressed it (in-process or on a port)."""
    return str(request.base_url).rstrip("/")


def ok(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse({"data": data}, status_code=status)


def ok_list(items: list[Any], has_more: bool = False, next_token: str | None = None) -> JSONResponse:
    return JSONResponse({"data": items, "has_more": has_more, "next_token": next_token})


def v2_ok(data: Any) -> JSONResponse:
    return JSONResponse({"error": None, "data": data})


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "validation_error", f"'{name}' must be an integer", param=name) from None
    if not low <= value <= high:
        raise ApiError(400, "validation_error", f"'{name}' must be between {low} and {high}", param=name)
    return value


def query_enum(request: Request, name: str, allowed: Sequence[str], default: str | None = None) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ApiError(400, "validation_error", f"'{name}' must be one of {options}", param=name)
    return raw


def encode_token(offset: int) -> str:
    raw = json.dumps({"o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(value["o"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ApiError(400, "validation_error", "Invalid pagination token", param="token") from None
    if offset < 0:
        raise ApiError(400, "validation_error", "Invalid pagination token", param="token")
    return offset


def paginate(
    request: Request, items: Sequence[T], *, default: int, maximum: int
) -> tuple[list[T], bool, str | None]:
    limit = query_int(request, "limit", default, 1, maximum)
    token = request.query_params.get("token")
    offset = decode_token(token) if token else 0
    page = list(items[offset : offset + limit])
    has_more = offset + limit < len(items)
    return page, has_more, encode_token(offset + limit) if has_more else None


def split_ids(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def or_404(item: T | None, what: str, ident: str, code: str = "not_found") -> T:
    """The looked-up resource, or the 404 ``{what} '{ident}' not found`` (``code`` as the API names it)."""
    if item is None:
        raise not_found(what, ident, code)
    return item


def paged(
    request: Request, items: Sequence[T], render: Callable[[T], Any], *, default: int, maximum: int
) -> JSONResponse:
    """A v3 list page (``limit`` + opaque ``token``) of ``items``, each rendered with ``render``."""
    page, has_more, token = paginate(request, items, default=default, maximum=maximum)
    return ok_list([render(item) for item in page], has_more, token)
