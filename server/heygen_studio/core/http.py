"""The transport layer of the HeyGen client: one shared ``httpx2.AsyncClient``.

What lives here and nowhere else:

* envelopes: v3 ``{data}`` (+ top-level ``has_more``/``next_token`` on lists) and
  ``{error:{code,message,param,doc_url}}`` (contract: ``components/schemas/ErrorEnvelope``); v2
  ``{error, data}``. An HTTP 200 that carries an error is an error.
* error mapping: one typed error per case (``errors.error_for_status``).
* retries: reads (and writes that carry an ``Idempotency-Key``) are retried on 429, 5xx, dropped
  connections and timeouts with capped exponential backoff and jitter, honouring ``Retry-After``.
  A write without a key is retried only when HeyGen cannot have acted on it (429, or a connection
  that was never established), so a job is never silently submitted twice.
* identity: every API request says who sends it, ``X-HeyGen-Client-Source: heygen-studio/<version>`` (as
  HeyGen's own tools do), beside the ``User-Agent``; like the key, it goes to the API host only.
* secrets: the ``x-api-key`` header is sent only to HeyGen's base URL (never to media or presigned
  upload hosts). API requests never follow redirects: httpx drops only ``Authorization`` on a
  cross-origin redirect, so a custom key header would follow a 30x to any host; a redirect from the
  API is an error with a next step instead. Every field of an error (message, code, param, doc_url,
  request id) is scrubbed of the key in every spelling an upstream might echo it in (``Redactor``).
"""

from __future__ import annotations

import copy
import email.utils
import hashlib
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import quote, quote_plus

import anyio
import httpx2

from .. import __version__
from .errors import (
    DEFAULT_BASE_URL,
    KEY_PLACEHOLDER,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConfigError,
    NotFoundError,
    PlaceholderKeyError,
    RateLimitError,
    RedirectError,
    RequestInProgressError,
    ResponseFormatError,
    error_for_status,
)

if TYPE_CHECKING:
    from . import costs

logger = logging.getLogger(__name__)

USER_AGENT = f"heygen-studio/{__version__}"
# How HeyGen's own tools name themselves to the API (attribution), sent on API requests only: never to media or
# presigned upload hosts, whose signatures may cover the headers. Never ``X-HeyGen-Source: cli``: that one is the
# CLI's OAuth marker (it also gates the CLI's free allowance), not ours to claim.
CLIENT_SOURCE_HEADER = "X-HeyGen-Client-Source"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # contract: components/parameters/IdempotencyKey (v3 writes only)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Sleep = Callable[[float], Awaitable[None]]
EnvelopeKind = Literal["v3", "v2"]


@dataclass(slots=True)
class Envelope:
    """A successful response, unwrapped."""

    data: Any
    status_code: int = 200
    has_more: bool | None = None
    next_token: str | None = None
    request_id: str | None = None
    replayed: bool = False
    idempotency_key: str | None = None  # the key this request was sent with, for the job journal


def idempotency_key_for(method: str, path: str, body: Any, caller_key: str | None = None) -> str:
    """A stable key for a write: the same body to the same endpoint gives the same key.

    HeyGen replays the original response for a repeated key within 24 h, so a retried or
    repeated create never charges twice (contract: the ``Idempotency-Key`` header of the v3 creates,
    e.g. ``POST /v3/videos``). ``caller_key`` lets a caller ask for a distinct job with an identical
    body (for example two takes of the same script). Job journals store these keys: keep the recipe.
    """
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    digest = hashlib.sha256(f"{method.upper()} {path}\n{canonical}\n{caller_key or ''}".encode()).hexdigest()
    return f"hs-{digest[:48]}"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None  # a malformed hint is no hint: back off as usual
        seconds = parsed.timestamp() - (now if now is not None else time.time())
    return max(0.0, seconds)


def retry_after_from(headers: Mapping[str, str]) -> float | None:
    """The server's wait hint: ``retry-after-ms`` if readable (as openai-python reads it), else ``Retry-After``
    (contract: ``components/responses/TooManyRequests`` carries ``Retry-After``)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"))


def backoff_delay(attempt: int, *, base: float = 0.5, cap: float = 8.0, jitter: float = 0.25) -> float:
    """Capped exponential backoff with up to ``jitter`` (fraction) random reduction."""
    delay = min(base * 2.0**attempt, cap)
    return delay * (1 - random.random() * jitter)


def secret_forms(secret: str) -> list[str]:
    """The spellings an upstream or a library may echo a secret in: as is, trimmed, URL-encoded (``%2F``
    or ``+`` for a space), JSON-escaped (with or without ``\\/``), and Python ``repr`` of str and bytes."""
    json_form = json.dumps(secret)[1:-1]
    forms = {
        secret, secret.strip(),
        quote(secret, safe=""), quote(secret), quote_plus(secret), quote_plus(secret, safe="/"),
        json_form, json_form.replace("/", "\\/"), json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1], repr(secret.encode("utf-8", "backslashreplace"))[2:-1],
    }
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


def _pattern(form: str) -> str:
    """A regex for one spelling; percent-escapes match in either case (``%2f`` = ``%2F``)."""
    parts, last = [], 0
    for m in _PERCENT.finditer(form):
        parts.append(re.escape(form[last:m.start()]))
        parts.append(f"%(?i:{m.group(1)})")
        last = m.end()
    parts.append(re.escape(form[last:]))
    return "".join(parts)


class Redactor:
    """Replaces a secret, in every spelling ``secret_forms`` lists, with ``***``."""

    def __init__(self, secret: str | None) -> None:
        forms = secret_forms(secret) if secret else []
        self._re = re.compile("|".join(_pattern(f) for f in forms)) if forms else None

    def __call__(self, text: str) -> str:
        return self._re.sub("***", text) if self._re is not None and text else text

    def optional(self, text: Any) -> str | None:
        return None if text is None else self(str(text))


def _has_whitespace_or_control(key: str) -> bool:
    return any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in key)


class Limit(Protocol):
    """A key's hold-off shared by every process of a server (``core.replicas.SharedLimit``): checked before each
    request, set by a 429 with Retry-After, so one replica's 429 holds every replica off that key."""

    def not_before(self) -> float | None: ...
    def hold_off(self, until: float) -> None: ...


class HeyGenHTTP:
    """Sends requests to HeyGen and returns unwrapped envelopes or raises typed errors."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
        max_retries: int = 3,
        transport: httpx2.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
        max_retry_wait: float = 30.0,  # the most one request may spend waiting between attempts
    ) -> None:
        self._api_key = api_key or None
        self.redact = Redactor(self._api_key)
        self.base_url = base_url.rstrip("/")
        self.max_retries = max(0, max_retries)
        self.max_retry_wait = max_retry_wait
        self._sleep: Sleep = sleep or anyio.sleep
        self._timeout = timeout
        self._transport = transport
        self._pool: list[httpx2.AsyncClient] = []  # the one connection pool, shared with every view (made lazily)
        self.spend: costs.Spend | None = None
        """The budget of the call this view serves (``with_options``): a dry run sends no write, and every paid
        request is held to it. None on the root client (a paid request there is refused by ``HeyGenClient``)."""
        self.rate_limit_wait: float | None = None
        """The longest a 429 may be waited out inside a request (None: ``max_retry_wait``). A caller that keeps
        its own queue (``produce_videos``: HeyGen's concurrency limit) sets 0 and honours ``Retry-After`` itself,
        rather than sleeping inside a tool call."""
        self.limit: Limit | None = None
        """This key's hold-off in the job store (set by ``HeyGenClient``): None, this process's retries alone."""

    def with_options(self, *, spend: costs.Spend | None = None, rate_limit_wait: float | None = None) -> HeyGenHTTP:
        """A view on the same connection pool and key for one call: its budget and its patience with a 429
        (openai-python's ``with_options``). Closing the root closes the pool; a view needs no closing."""
        view = copy.copy(self)
        view.spend, view.rate_limit_wait = spend, rate_limit_wait
        return view

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def has_api_key(self) -> bool:
        return self._api_key is not None

    @property
    def client(self) -> httpx2.AsyncClient:
        """The shared client, for streaming downloads and presigned uploads (no auth header).

        Made on first use: building its TLS context costs ~50 ms, which server start-up need not pay.
        """
        if not self._pool:
            self._pool.append(httpx2.AsyncClient(
                base_url=self.base_url,
                timeout=httpx2.Timeout(self._timeout, connect=min(10.0, self._timeout)),
                transport=self._transport,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                follow_redirects=True,
            ))
        return self._pool[0]

    async def aclose(self) -> None:
        if self._pool:
            await self._pool.pop().aclose()

    async def __aenter__(self) -> HeyGenHTTP:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the one request path ------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        envelope: EnvelopeKind = "v3",
        paid: costs.PaidRequest | None = None,
    ) -> Envelope:
        """Send one logical request (with retries) and return the unwrapped envelope.

        A write with an ``idempotency_key`` (computed once by the client, which also claims it in the
        job store) carries it as ``Idempotency-Key`` on every attempt, may be retried, and returns it
        as ``Envelope.idempotency_key``.
        """
        if self._api_key is None:
            raise ConfigError("No HeyGen API key is configured")
        if self._api_key == KEY_PLACEHOLDER:
            raise PlaceholderKeyError(f"HEYGEN_API_KEY is still the placeholder {KEY_PLACEHOLDER} that "
                                      "`heygen-studio config` wrote, so nothing was sent")
        if _has_whitespace_or_control(self._api_key):  # it would be refused by h11, which quotes it in its error
            raise ConfigError("The HeyGen API key contains whitespace or control characters (a stray newline?)",
                              hint="Remove them from HEYGEN_API_KEY, then restart the server.")
        method = method.upper()
        if method not in _SAFE_METHODS:  # a dry run writes nothing, whatever the path
            from . import costs  # here, not at start-up: the price table is not start-up work

            if self.spend is not None and self.spend.dry_run:
                raise costs.Preview(None, self.spend, f"A dry run stops before {method} {path}; nothing was sent.")
            if costs.charges(method, path) and (paid is None or paid.path != path):
                # Structural: a request HeyGen charges for goes out only as the paid path admitted it (priced,
                # held to the budget, claimed in the job store). A tool that forgets that path fails here.
                raise UnguardedPaidRequest(f"{method} {path} is charged by HeyGen but was not priced and claimed "
                                           "first; it was not sent")
        headers = {"x-api-key": self._api_key, CLIENT_SOURCE_HEADER: USER_AGENT}
        if idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        clean_params = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        retry_safe = method in _SAFE_METHODS or method == "DELETE" or idempotency_key is not None
        where = f"{method} {path}"

        attempt = 0
        waited = 0.0  # all retry waits of this request share one budget: hosts cut calls near 60 s
        own_hold = 0.0  # the hold-off this request stored (its retry already waits it out)
        while True:
            error: Exception
            waited += await self._held_off(where, waited, own_hold)
            try:
                response = await self.client.request(
                    method, path, params=clean_params, json=json_body, files=files, data=data, headers=headers,
                    follow_redirects=False,  # the key goes to the API host only: see _unwrap
                )
            except httpx2.TimeoutException as exc:
                received = not isinstance(exc, httpx2.ConnectTimeout)
                error = APITimeoutError(f"{where} timed out", maybe_received=received)
            except httpx2.ConnectError as exc:
                error = APIConnectionError(
                    f"{where}: could not connect to HeyGen ({self.redact(_exc_text(exc))[:200]})", maybe_received=False
                )
            except httpx2.TransportError as exc:
                error = APIConnectionError(
                    f"{where}: the connection dropped ({self.redact(_exc_text(exc))[:200]})", maybe_received=True
                )
            else:
                try:
                    result = self._unwrap(response, envelope=envelope, where=where)
                except (APIStatusError, ResponseFormatError) as exc:
                    error = exc
                else:
                    result.idempotency_key = idempotency_key
                    return result

            if method == "DELETE" and attempt and isinstance(error, NotFoundError):
                # A retried delete that now finds nothing: the first attempt did the work.
                return Envelope(data={})
            if isinstance(error, RateLimitError) and error.retry_after and self.limit is not None:
                own_hold = time.time() + error.retry_after
                self.limit.hold_off(own_hold)
            delay = self._retry_delay(error, attempt=attempt, retry_safe=retry_safe)
            if delay is None or waited + delay > self.max_retry_wait:
                raise error
            waited += delay
            logger.info("retrying %s in %.2fs after %s (attempt %d)", where, delay, type(error).__name__, attempt + 1)
            await self._sleep(delay)
            attempt += 1

    async def _held_off(self, where: str, waited: float, own_hold: float) -> float:
        """Wait out a hold-off another request (another replica's) stored for this key after HeyGen's 429, within
        this request's patience with a 429; past it, raise ``RateLimitError`` without sending. The seconds waited."""
        until = self.limit.not_before() if self.limit is not None else None
        if until is None or until <= own_hold + 0.001:
            return 0.0
        delay = until - time.time()
        if delay <= 0:
            return 0.0
        cap = self.max_retry_wait if (wait := self.rate_limit_wait) is None else min(wait, self.max_retry_wait)
        if waited + delay > cap:
            raise RateLimitError(
                f"{where} was not sent: HeyGen rate-limited this API key (seen by this server), for {delay:.0f} s more",
                retry_after=round(delay, 3), code="rate_limited",
                hint=f"Nothing was sent. Retry after {max(1, round(delay))} s; the job, if any, is not affected.")
        logger.info("holding %s for %.2fs: HeyGen rate-limited this key", where, delay)
        await self._sleep(delay)
        return delay

    def _retry_delay(self, error: Exception, *, attempt: int, retry_safe: bool) -> float | None:
        """Seconds to wait before the next attempt, or None to give up and raise."""
        if attempt >= self.max_retries:
            return None
        if isinstance(error, RateLimitError):
            # A 429 means HeyGen did not act on the request, so even a keyless write may retry.
            cap = self.max_retry_wait if (wait := self.rate_limit_wait) is None else min(wait, self.max_retry_wait)
            if error.retry_after is not None:
                if error.retry_after > cap:
                    return None
                return error.retry_after
            return backoff_delay(attempt) if cap > 0 else None
        if isinstance(error, RequestInProgressError):
            # 409 request_in_progress: the same Idempotency-Key is still in flight (IdempotencyKey parameter).
            return backoff_delay(attempt + 1) if retry_safe else None
        if isinstance(error, APIStatusError):
            if error.status_code >= 500 and retry_safe:
                return backoff_delay(attempt)
            return None
        if isinstance(error, APIConnectionError):
            if retry_safe or not error.maybe_received:
                return backoff_delay(attempt)
            return None
        if isinstance(error, ResponseFormatError) and retry_safe:
            return backoff_delay(attempt)
        return None

    def _unwrap(self, response: httpx2.Response, *, envelope: EnvelopeKind, where: str) -> Envelope:
        request_id = self.redact.optional(response.headers.get("x-request-id"))
        status = response.status_code
        if 300 <= status < 400:
            raise self._redirect_error(response, where=where, request_id=request_id)
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
            if status < 400:
                raise ResponseFormatError(f"{where}: HeyGen answered {status} with a body that is not JSON") from None

        error_obj = body.get("error") if isinstance(body, dict) else None
        if status >= 400 or error_obj:
            raise self._status_error(status, error_obj, response, where=where, request_id=request_id)
        if not isinstance(body, dict) or "data" not in body:
            raise ResponseFormatError(f"{where}: HeyGen's response has no 'data' field")
        return Envelope(
            data=body["data"],
            status_code=status,
            has_more=body.get("has_more"),
            next_token=body.get("next_token"),
            request_id=request_id,
            replayed=response.headers.get("idempotent-replayed", "").lower() == "true",
        )

    def _redirect_error(self, response: httpx2.Response, *, where: str, request_id: str | None) -> RedirectError:
        """HeyGen's API does not redirect (contract: no 3xx response on any operation). A redirect means the base
        URL is wrong (http:// for https://, an old host, a proxy): following it would hand the key to another host."""
        target = "another address"
        location = response.headers.get("location")
        if location:
            try:
                url = response.request.url.join(location)
                target = f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}" if url.host else target
            except (httpx2.InvalidURL, ValueError):
                pass
        return RedirectError(
            self.redact(f"{where}: HeyGen's API answered with a redirect ({response.status_code}) to {target}; "
                        "it was not followed and the API key was not sent there"),
            status_code=response.status_code, request_id=request_id,
            hint=f"Set HEYGEN_BASE_URL to the API's exact address (default {DEFAULT_BASE_URL}), then call again.",
        )

    def _status_error(
        self, status: int, error_obj: Any, response: httpx2.Response, *, where: str, request_id: str | None
    ) -> APIStatusError:
        code: str | None = None
        param = doc_url = None
        if isinstance(error_obj, dict):
            # Every field is redacted: an upstream may echo the key in any of them, in any spelling.
            code = self.redact.optional(error_obj.get("code"))
            message = str(error_obj.get("message") or error_obj.get("detail") or "")
            param = self.redact.optional(error_obj.get("param"))
            doc_url = self.redact.optional(error_obj.get("doc_url"))
        elif isinstance(error_obj, str):  # v2 may send `error` as a plain string (HeyGen legacy docs, errors)
            message = error_obj
        else:
            message = response.reason_phrase or ""
        if not message:
            message = f"{where} failed"
        retry_after = retry_after_from(response.headers)
        return error_for_status(
            status,
            code=code,
            message=self.redact(message),
            param=param,
            doc_url=doc_url,
            request_id=request_id,
            retry_after=retry_after,
        )


class UnguardedPaidRequest(RuntimeError):
    """A bug, not a user error: a paid request reached the transport without passing the paid path."""


def _query_value(value: Any) -> Any:
    """A query value as HeyGen reads it: lists comma-separated (e.g. listVideoStatuses ``video_ids``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return value


def _exc_text(exc: BaseException) -> str:
    """The exception's text, whole: it is redacted before it is shortened, so no prefix of the key survives."""
    return str(exc) or type(exc).__name__
