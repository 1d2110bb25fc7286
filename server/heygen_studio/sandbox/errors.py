"""Errors the sandbox raises internally."""

from __future__ import annotations

import httpx2

DOC_URL = "https://developers.heygen.com/docs/error-codes#{code}"


class ApiError(Exception):
    """Turned into the HeyGen error envelope (v3 or v2, chosen by the request path)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers or {}


def validation_error(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, "validation_error", message, param=param)


def invalid_parameter(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, "invalid_parameter", message, param=param)


def not_found(what: str, ident: str, code: str = "not_found") -> ApiError:
    return ApiError(404, code, f"{what} {ident!r} not found")


class DroppedConnection(httpx2.RemoteProtocolError):
    """Raised by the ``drop`` / ``drop_after`` faults.

    In-process (``httpx2.ASGITransport`` re-raises app exceptions) the client sees exactly what a
    dropped socket looks like: an ``httpx2.RemoteProtocolError``. Under uvicorn the connection is
    closed without a response (see ``server.py``).
    """

    def __init__(self, message: str = "Server disconnected without sending a response.") -> None:
        super().__init__(message)
