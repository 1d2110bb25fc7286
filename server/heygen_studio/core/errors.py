"""Typed errors for the HeyGen client (domain core: no MCP imports).

Layered like openai-python: one class per HTTP status, plus connection/timeout errors and
response-format errors. Every error carries HeyGen's ``code``, ``message`` and ``param`` when
HeyGen sent them, and a ``hint``: one concrete next step a person or a model can act on.

``str(error)`` never contains the API key: the HTTP layer redacts it (in every spelling) from every
field of every error it builds (message, code, param, doc_url, request id), and no error stores
request headers.
"""

from __future__ import annotations

from typing import ClassVar, TypedDict, Unpack

DEFAULT_BASE_URL = "https://api.heygen.com"
"""HeyGen's API (``HEYGEN_BASE_URL``'s default); here, not in ``http``, so the settings can name it without httpx."""
API_KEY_PAGE = "https://app.heygen.com/settings?nav=API"
"""HeyGen's API page: the keys, and the API wallet (pay-as-you-go USD) an API key spends."""
PLANS_PAGE = "https://app.heygen.com/settings?nav=Subscriptions"
KEY_PLACEHOLDER = "YOUR_HEYGEN_API_KEY"
"""What ``heygen-studio config`` writes where the key goes: never sent (``PlaceholderKeyError``)."""

__all__ = [
    "API_KEY_PAGE",
    "DEFAULT_BASE_URL",
    "KEY_PLACEHOLDER",
    "APIConnectionError",
    "APIKeyRequiredError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ConflictError",
    "EndpointRetiredError",
    "HeyGenError",
    "InputError",
    "InsufficientCreditError",
    "InternalServerError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PlaceholderKeyError",
    "PlanUpgradeRequiredError",
    "RateLimitError",
    "RedirectError",
    "RequestInProgressError",
    "ResponseFormatError",
    "error_for_status",
]


class HeyGenError(Exception):
    """Base of every error this package raises about HeyGen."""

    default_hint: ClassVar[str] = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def describe(self) -> str:
        """The message plus its next step, as one line for a person or a model."""
        if self.hint and self.hint not in self.message:
            return f"{self.message.rstrip('.')}. {self.hint}"
        return self.message


class ConfigError(HeyGenError):
    """The server is not configured for this call (for example no API key)."""

    default_hint = (
        "Set HEYGEN_API_KEY (HeyGen app → Settings → API), or set HEYGEN_SANDBOX=1 to use the offline sandbox."
    )


class PlaceholderKeyError(ConfigError):
    """HEYGEN_API_KEY is still ``KEY_PLACEHOLDER``: refused before anything is sent (no retries, no network)."""

    default_hint = (f"Put your HeyGen API key ({API_KEY_PAGE}) in its place in your MCP client's \"heygen\" entry "
                    "(its env), then restart the client; or set HEYGEN_SANDBOX=1 there to use the offline sandbox. "
                    "`heygen-studio doctor` shows which client's entry still has it.")


class InputError(HeyGenError, ValueError):
    """Bad input caught locally, before any request was sent or any credit spent."""


class APIConnectionError(HeyGenError):
    """HeyGen could not be reached, or the connection dropped."""

    default_hint = "Check the network and HEYGEN_BASE_URL, then try again."

    def __init__(self, message: str, *, hint: str | None = None, maybe_received: bool = False) -> None:
        super().__init__(message, hint=hint)
        #: True when the request may have reached HeyGen before the connection failed.
        self.maybe_received = maybe_received


class APITimeoutError(APIConnectionError):
    """HeyGen did not answer within HEYGEN_TIMEOUT."""

    default_hint = "HeyGen did not answer in time; try again, or raise HEYGEN_TIMEOUT."


class ResponseFormatError(HeyGenError):
    """HeyGen answered with something that is not the documented shape."""

    default_hint = "HeyGen returned an unexpected response; try again shortly."


class StatusFields(TypedDict, total=False):
    """``APIStatusError``'s keyword arguments, for subclasses and ``error_for_status`` to pass on."""

    status_code: int | None
    code: str | None
    param: str | None
    doc_url: str | None
    request_id: str | None
    hint: str | None


class APIStatusError(HeyGenError):
    """HeyGen answered with an error envelope."""

    status_code: int = 0

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        param: str | None = None,
        doc_url: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        if status_code is not None:
            self.status_code = status_code
        self.code = code
        self.param = param
        self.doc_url = doc_url
        self.request_id = request_id

    def describe(self) -> str:
        head = f"HeyGen {self.status_code}"
        if self.code:
            head += f" {self.code}"
        text = f"{head}: {self.message.rstrip('.')}"
        if self.param:
            text += f" (param: {self.param})"
        if self.hint:
            text += f". {self.hint}"
        return text


class RedirectError(APIStatusError):
    """HeyGen's API answered with a redirect, which is never followed (the key would go with it)."""

    status_code = 308
    default_hint = "Set HEYGEN_BASE_URL to the API's exact address (https://api.heygen.com), then call again."


class BadRequestError(APIStatusError):
    status_code = 400
    default_hint = "Fix the named field and call again; nothing was charged."


class AuthenticationError(APIStatusError):
    status_code = 401
    default_hint = (
        "HeyGen rejected the API key: set HEYGEN_API_KEY to a valid key (HeyGen app → Settings → API), "
        "or set HEYGEN_SANDBOX=1 to use the offline sandbox."
    )


class APIKeyRequiredError(AuthenticationError):
    """``api_key_required``: the endpoint takes an API key only (an OAuth token is refused there)."""

    status_code = 403
    default_hint = (f"This endpoint takes an API key, not an OAuth token: set HEYGEN_API_KEY to a key from "
                    f"{API_KEY_PAGE}, then retry; nothing was charged.")


class InsufficientCreditError(APIStatusError):
    # An API key spends the API wallet (pay-as-you-go USD); the web plan's credits are a separate pool (OAuth's).
    status_code = 402
    default_hint = (f"The API wallet is short of credit (an API key spends it, not the web plan's credits): top it "
                    f"up at {API_KEY_PAGE}, check get_account, then retry; nothing was charged.")


class PlanUpgradeRequiredError(APIStatusError):
    """``plan_upgrade_required`` (402, seen on ``/v3/voices/speech``): the account's plan lacks the feature."""

    status_code = 402
    default_hint = (f"The HeyGen plan does not include this feature: upgrade it at {PLANS_PAGE} or do without "
                    "it, then retry; nothing was charged (topping up credit does not help).")


class PermissionDeniedError(APIStatusError):
    status_code = 403
    default_hint = "This key or plan cannot use that resource or feature; use one you own or upgrade the plan."


class NotFoundError(APIStatusError):
    status_code = 404
    default_hint = "The id is wrong or the resource was deleted; list the resources to get a current id."


class EndpointRetiredError(NotFoundError):
    """HeyGen says the endpoint itself no longer exists (for example a retired v2 path)."""

    default_hint = "That HeyGen endpoint is retired; use the v3 equivalent."


class ConflictError(APIStatusError):
    status_code = 409
    default_hint = "The request conflicts with the resource's current state."


class RequestInProgressError(ConflictError):
    default_hint = "An identical request is still being processed; wait, then check its status. Do not resubmit."


class PayloadTooLargeError(APIStatusError):
    status_code = 413
    default_hint = "The file is too large for this upload; files over 32 MB go through a direct upload."


class RateLimitError(APIStatusError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **fields: Unpack[StatusFields]) -> None:
        self.retry_after = retry_after
        if fields.get("hint") is None:
            wait = f"{retry_after:g} s" if retry_after is not None else "a few seconds"
            fields["hint"] = f"HeyGen rate-limited this key; retry after {wait}."
        super().__init__(message, **fields)


class InternalServerError(APIStatusError):
    status_code = 500
    default_hint = "HeyGen had a server error; try again in a minute."


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: EndpointRetiredError,
    413: PayloadTooLargeError,
    422: BadRequestError,
    429: RateLimitError,
}

# HeyGen sometimes answers HTTP 200 (or a generic status) with an error body; the code tells the case.
# v3 codes: developers.heygen.com/docs/error-codes; the others are v2's and older clients'.
_BY_CODE: dict[str, type[APIStatusError]] = {
    "invalid_parameter": BadRequestError,
    "validation_error": BadRequestError,
    "asset_not_available": BadRequestError,
    "download_failed": BadRequestError,
    "authentication_failed": AuthenticationError,
    "unauthorized": AuthenticationError,
    "api_key_required": APIKeyRequiredError,
    "insufficient_credit": InsufficientCreditError,
    "plan_upgrade_required": PlanUpgradeRequiredError,
    "forbidden": PermissionDeniedError,
    "resource_access_denied": PermissionDeniedError,
    "not_found": NotFoundError,
    "resource_not_found": NotFoundError,
    "video_not_found": NotFoundError,
    "avatar_not_found": NotFoundError,
    "voice_not_found": NotFoundError,
    "request_in_progress": RequestInProgressError,
    "conflict": ConflictError,
    "payload_too_large": PayloadTooLargeError,
    "rate_limit_exceeded": RateLimitError,
    "quota_exceeded": RateLimitError,
    "endpoint_retired": EndpointRetiredError,
}


def error_for_status(
    status: int,
    *,
    code: str | None,
    message: str,
    param: str | None = None,
    doc_url: str | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> APIStatusError:
    """Map an HTTP status and HeyGen error code to one typed error (one place, as openai-python does).

    A known code decides the class whatever the status (HeyGen answers an unknown voice on a create
    with 400 ``voice_not_found``; v2 reports missing credit as a 400); the status decides otherwise.
    """
    cls: type[APIStatusError]
    if code and code in _BY_CODE:
        cls = _BY_CODE[code]
    elif status in _BY_STATUS:
        cls = _BY_STATUS[status]
    elif status >= 500:
        cls = InternalServerError
    else:
        cls = BadRequestError
    fields: StatusFields = {
        "status_code": status if status >= 400 else cls.status_code,
        "code": code,
        "param": param,
        "doc_url": doc_url,
        "request_id": request_id,
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **fields)
    return cls(message, **fields)
