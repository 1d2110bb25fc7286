"""Access tokens from an existing OpenID Connect issuer (issue #16 §3, "An existing identity provider").

``IssuerVerifier(issuer_url, audience)`` checks a bearer token the way RFC 9068 asks a resource server to:

* the issuer's metadata comes from ``{issuer}/.well-known/openid-configuration`` (else RFC 8414's
  ``/.well-known/oauth-authorization-server``), and its ``issuer`` must equal the configured one byte for
  byte (no trailing-slash or case folding: RFC 8414 §3.3); its ``jwks_uri`` names the keys;
* every fetch is https (plain http only on a loopback host, for tests and a local IdP), never follows a
  redirect, has a deadline and a size cap (``MAX_DOCUMENT_BYTES``);
* the keys are cached; a token whose ``kid`` is unknown refetches them once, but never sooner than
  ``min_refresh_s`` after the last fetch, so a flood of made-up kids cannot hammer the issuer; the cache is
  refreshed after ``JWKS_MAX_AGE_S`` too, so a key the issuer withdrew stops being accepted;
* a token is accepted only when: its ``typ`` is an access token's, its ``alg`` is asymmetric and allowed
  (``ALLOWED_ALGORITHMS``: never ``none``, never HS*) and fits the key's type, the signature holds, ``iss`` is
  the issuer exactly, ``aud`` names the audience, ``exp`` is in the future (``leeway_s`` allowed), ``nbf`` and
  ``iat`` are not in the future, and ``sub`` is a non-empty string.

``verify`` returns the claims, or ``None`` for any token that is not valid: it never raises over a token.
It raises ``IssuerError`` (a ``HeyGenError`` with the next step) when the issuer itself cannot be reached or
is misconfigured, so the server can say so instead of calling every token bad. The token is never logged,
stored or put in an error.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import httpx2
import jwt

from .errors import HeyGenError

__all__ = ["ALLOWED_ALGORITHMS", "IssuerError", "IssuerVerifier", "issuer_url_problem"]

logger = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"})
"""Asymmetric only: ``none`` and HS* (whose "key" an attacker could take from the published public key) never."""
# The JWK a token's algorithm needs: its kty, and the curves it may be on (None: any).
_KEY_FOR: dict[str, tuple[str, frozenset[str] | None]] = {
    **{alg: ("RSA", None) for alg in ("RS256", "RS384", "RS512", "PS256")},
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
}
# RFC 9068 §2.1 asks for ``typ: at+jwt`` (media types compare case-insensitively, the ``application/`` prefix
# may be left out). Auth0, Entra ID and Keycloak send ``JWT`` on their access tokens, and Okta sends no ``typ``
# at all; refusing those would refuse what users of those IdPs rightly expect to work. So they are accepted,
# and every other check still applies: the exact ``iss`` and our own ``aud`` are what keep an ID token (whose
# ``aud`` is the client's id) or another API's token out. Any other ``typ`` (``dpop+jwt``, ``logout+jwt``, …)
# names something that is not an access token, and is refused.
_ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt", "jwt", "application/jwt"})
_REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]

MAX_DOCUMENT_BYTES = 256 * 1024
"""The most a discovery document or a JWKS may weigh (real ones are a few KiB)."""
MAX_TOKEN_CHARS = 16 * 1024
"""A longer "token" is refused before it is parsed."""
FETCH_DEADLINE_S = 15.0
"""One deadline over each fetch, every byte included, so an issuer that drips bytes cannot hold a request."""
JWKS_MAX_AGE_S = 3600.0
"""Keys older than this are fetched again (a failed refresh keeps the old keys and says so in the log)."""


class IssuerError(HeyGenError):
    """The OAuth issuer (HEYGEN_OAUTH_ISSUER) cannot be reached, or answers with something unusable: no token can
    be checked until it is fixed."""

    default_hint = ("Check HEYGEN_OAUTH_ISSUER (the issuer's exact URL, as its tokens' iss claim spells it) and that "
                    "this server can reach it (network, firewall, proxy), then try again.")


_MISCONFIGURED = ("Set HEYGEN_OAUTH_ISSUER to the issuer exactly as its discovery document and its tokens' iss "
                  "claim spell it (trailing slash included), or fix the issuer's metadata; then restart.")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def issuer_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an issuer's (or its JWKS') address here, or None: an https URL, or http on a loopback
    host (tests, an IdP on this machine); no user:password, query or fragment."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError:
        return "is not a valid URL; give the issuer's https address, e.g. https://login.example.com"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "contains whitespace or control characters; remove them"
    if not parts.hostname or parts.scheme not in ("https", "http"):
        return "must be an https URL, e.g. https://login.example.com"
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return f"must use https (plain http is for a loopback host only, and {parts.hostname} is not one)"
    if parts.username or parts.password or parts.query or parts.fragment:
        return "must not carry user:password, a query or a fragment"
    return None


def _shown(value: object) -> str:
    """A value from the issuer's documents, safe to quote in one line."""
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


class IssuerVerifier:
    """Checks access tokens an existing OIDC issuer signed (see the module's docstring). One per issuer; safe to
    share between concurrent requests."""

    def __init__(self, issuer_url: str, audience: str, *, http: httpx2.AsyncClient | None = None,
                 leeway_s: float = 30, min_refresh_s: float = 60) -> None:
        problem = issuer_url_problem(issuer_url)
        if problem is not None:
            raise IssuerError(f"HEYGEN_OAUTH_ISSUER {problem}", hint=_MISCONFIGURED)
        if not audience:
            raise IssuerError("No audience to check tokens against",
                              hint="Give this server's own URL (its OAuth resource) as the audience.")
        self.issuer = issuer_url
        self.audience = audience
        self.leeway_s = leeway_s
        self.min_refresh_s = min_refresh_s
        self._own_http = http is None
        self._http = http if http is not None else httpx2.AsyncClient(
            timeout=httpx2.Timeout(10.0, connect=5.0), follow_redirects=False)
        self._jwks_uri: str | None = None
        self._keys: list[dict[str, Any]] | None = None  # the JWKS' signing keys, once fetched
        self._loaded_at = 0.0  # monotonic time the keys were fetched
        self._tried_at: float | None = None  # monotonic time of the last fetch attempt, good or bad
        self._failure: IssuerError | None = None  # why the last attempt failed (None when it worked)
        self._lock = anyio.Lock()

    async def aclose(self) -> None:
        """Close the HTTP client this verifier made (one passed in is the caller's to close)."""
        if self._own_http:
            await self._http.aclose()

    # -- tokens ----------------------------------------------------------------------------------
    async def verify(self, token: str) -> dict[str, Any] | None:
        """The token's claims when it is a valid access token for ``audience`` from this issuer, else None.

        ``IssuerError`` when the issuer's keys are needed and cannot be had (unreachable, misconfigured)."""
        header = self._header(token)
        if header is None:
            return None
        keys = await self._keys_for(header.get("kid"))
        alg = header["alg"]
        kty, curves = _KEY_FOR[alg]
        fitting = [key for key in keys
                   if key.get("kty") == kty and (curves is None or key.get("crv") in curves)
                   and key.get("alg", alg) == alg]
        for key in fitting:
            claims = self._claims(token, alg, key)
            if claims is not None:
                return claims
        if keys and not fitting:
            logger.debug("token refused: no key of the issuer fits alg %s", alg)
        return None

    def _header(self, token: str) -> dict[str, Any] | None:
        """The token's JOSE header when it can be an access token we accept, else None (nothing is fetched)."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            return None
        try:
            header = jwt.get_unverified_header(token)
        except (jwt.PyJWTError, ValueError, TypeError):
            logger.debug("token refused: not a JWT")
            return None
        alg, typ, kid = header.get("alg"), header.get("typ"), header.get("kid")
        if alg not in ALLOWED_ALGORITHMS:
            logger.debug("token refused: alg %s is not allowed", _shown(alg))
            return None
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in _ACCESS_TOKEN_TYPES):
            logger.debug("token refused: typ %s is not an access token's", _shown(typ))
            return None
        if kid is not None and not isinstance(kid, str):
            return None
        return header

    def _claims(self, token: str, alg: str, key: dict[str, Any]) -> dict[str, Any] | None:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, jwt.PyJWK(key, algorithm=alg), algorithms=[alg], audience=self.audience, issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": _REQUIRED_CLAIMS, "enforce_minimum_key_length": True})
        except (jwt.PyJWTError, ValueError, TypeError, OverflowError) as exc:
            logger.debug("token refused: %s", type(exc).__name__)
            return None
        # PyJWT reads times with int(), which takes "123" and True; and it lets an empty sub through.
        times_ok = all(name not in claims or (isinstance(claims[name], int | float)
                                              and not isinstance(claims[name], bool))
                       for name in ("exp", "nbf", "iat"))
        if not times_ok or not isinstance(claims.get("sub"), str) or not claims["sub"]:
            logger.debug("token refused: malformed exp/nbf/iat or sub")
            return None
        return claims

    # -- keys ------------------------------------------------------------------------------------
    async def _keys_for(self, kid: str | None) -> list[dict[str, Any]]:
        """The issuer's keys that may have signed a token with this ``kid`` (for a token without one: the issuer's
        lone key, else its keys that have no kid), fetching or refetching them as the module's docstring says."""
        now = time.monotonic()
        if self._keys is not None and now - self._loaded_at < JWKS_MAX_AGE_S and (found := self._named(kid)):
            return found
        async with self._lock:  # one fetch at a time: a burst of unknown kids waits for it, then finds the cooldown
            now = time.monotonic()
            cooling = self._tried_at is not None and now - self._tried_at < self.min_refresh_s
            if self._keys is None:
                if cooling and self._failure is not None:
                    raise self._failed()  # the issuer failed moments ago: say so again rather than ask again
                await self._refresh()
            elif now - self._loaded_at >= JWKS_MAX_AGE_S and not cooling:
                try:
                    await self._refresh()
                except IssuerError as exc:  # keep serving with the keys we have; try again after the cooldown
                    logger.warning("could not refresh the OAuth issuer's keys, keeping the old ones: %s",
                                   exc.describe())
            found = self._named(kid)
            if found or kid is None:
                return found
            if not (self._tried_at is not None and time.monotonic() - self._tried_at < self.min_refresh_s):
                logger.info("OAuth issuer: a token names key %s, which is not in the JWKS; fetching it again",
                            _shown(kid))
                await self._refresh()
                return self._named(kid)
            if self._failure is not None:
                raise self._failed()
            logger.debug("token refused: unknown kid %s (keys fetched under %g s ago)", _shown(kid),
                         self.min_refresh_s)
            return []

    def _failed(self) -> IssuerError:
        """The last attempt's failure again, as a fresh error (re-raising one object would grow its traceback)."""
        failure = self._failure
        assert failure is not None
        return IssuerError(failure.message, hint=failure.hint)

    def _named(self, kid: str | None) -> list[dict[str, Any]]:
        keys = self._keys or []
        if kid is None:
            return keys if len(keys) == 1 else [key for key in keys if "kid" not in key]
        return [key for key in keys if key.get("kid") == kid]

    async def _refresh(self) -> None:
        self._tried_at = time.monotonic()
        try:
            if self._jwks_uri is None:
                self._jwks_uri = await self._discover()
            keys = _signing_keys(await self._document(self._jwks_uri, "JWKS"), self._jwks_uri)
        except IssuerError as exc:
            self._failure = exc
            raise
        self._keys, self._loaded_at, self._failure = keys, time.monotonic(), None

    async def _discover(self) -> str:
        """The issuer's ``jwks_uri``, from OIDC discovery or else RFC 8414 metadata."""
        parts = urlsplit(self.issuer)
        path = parts.path.rstrip("/")
        candidates = [f"{self.issuer.rstrip('/')}/.well-known/openid-configuration",  # OIDC Discovery §4
                      urlunsplit((parts.scheme, parts.netloc, f"/.well-known/oauth-authorization-server{path}", "",
                                  ""))]  # RFC 8414 §3: the well-known part goes before the issuer's path
        for url in candidates:
            metadata = await self._document(url, "metadata", missing_ok=True)
            if metadata is None:
                continue
            if metadata.get("issuer") != self.issuer:
                raise IssuerError(f"The metadata at {url} names the issuer {_shown(metadata.get('issuer'))}, not "
                                  f"{self.issuer!r} (they must match exactly)", hint=_MISCONFIGURED)
            jwks_uri = metadata.get("jwks_uri")
            problem = issuer_url_problem(jwks_uri) if isinstance(jwks_uri, str) else "is missing"
            if problem is not None:
                raise IssuerError(f"The metadata at {url}: its jwks_uri {problem}", hint=_MISCONFIGURED)
            return str(jwks_uri)
        raise IssuerError(f"{self.issuer} publishes no OAuth metadata (HTTP 404 at {' and at '.join(candidates)})",
                          hint=_MISCONFIGURED)

    async def _document(self, url: str, what: str, *, missing_ok: bool = False) -> dict[str, Any] | None:
        """A JSON object from the issuer (None for a 404 or 410 when ``missing_ok``), or ``IssuerError``."""
        try:
            with anyio.fail_after(FETCH_DEADLINE_S):
                async with self._http.stream("GET", url, follow_redirects=False, headers={
                        "Accept": "application/json", "Accept-Encoding": "identity"}) as response:
                    status = response.status_code
                    if status in (404, 410) and missing_ok:
                        return None
                    if 300 <= status < 400:
                        raise IssuerError(f"The issuer's {what} at {url} redirects (HTTP {status}); redirects are "
                                          "not followed", hint=_MISCONFIGURED)
                    if status != 200:
                        raise IssuerError(f"The issuer's {what} at {url} answered HTTP {status}")
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > MAX_DOCUMENT_BYTES:
                            raise IssuerError(f"The issuer's {what} at {url} is larger than "
                                              f"{MAX_DOCUMENT_BYTES // 1024} KiB", hint=_MISCONFIGURED)
        except TimeoutError:
            raise IssuerError(f"The issuer did not answer within {FETCH_DEADLINE_S:g} s ({url})") from None
        except httpx2.HTTPError as exc:
            raise IssuerError(f"Cannot reach the issuer at {url} ({type(exc).__name__})") from None
        try:
            document = json.loads(bytes(body))
        except (ValueError, RecursionError):
            document = None
        if not isinstance(document, dict):
            raise IssuerError(f"The issuer's {what} at {url} is not a JSON object", hint=_MISCONFIGURED)
        return document


def _signing_keys(jwks: dict[str, Any] | None, url: str) -> list[dict[str, Any]]:
    """The JWKS' keys that can check a signature with an allowed algorithm (``use`` absent or ``sig``)."""
    raw = (jwks or {}).get("keys")
    kinds = {kty for kty, _ in _KEY_FOR.values()}
    keys = [key for key in raw if isinstance(key, dict) and key.get("kty") in kinds
            and key.get("use", "sig") == "sig"
            and (key.get("alg") is None or key.get("alg") in ALLOWED_ALGORITHMS)
            and (key.get("kid") is None or isinstance(key.get("kid"), str))] if isinstance(raw, list) else []
    if not keys:
        raise IssuerError(f"The issuer's JWKS at {url} holds no signing key this server can use (RSA, EC P-256/P-384 "
                          "or Ed25519)", hint=_MISCONFIGURED)
    return keys
