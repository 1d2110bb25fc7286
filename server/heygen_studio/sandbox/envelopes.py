"""HeyGen-style error envelopes: v3 (``error.code/message/param/doc_url``), v2 (``error`` + ``data: null``)
and the OpenAI-style one of the DeepSeek stand-in. Which one a response uses is chosen by its path."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import DOC_URL, ApiError

CHAT_PATHS = ("/chat/completions", "/v1/chat/completions")
# Statuses the contract declares for v2 operations; other error statuses are reported as 400.
V2_STATUSES = (400, 401, 404, 429)


def surface_of(path: str) -> str:
    if path.startswith("/v2/"):
        return "v2"
    if path in CHAT_PATHS:
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
