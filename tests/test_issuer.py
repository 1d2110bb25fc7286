"""Access tokens from an existing OIDC issuer (issue #16 §3), at the wire: a small issuer (Starlette, served by
uvicorn on a loopback port) publishes its metadata and a JWKS of RSA and EC keys it made, and signs tokens with
PyJWT; ``IssuerVerifier`` fetches them over real HTTP.

A valid token gives its claims; a wrong audience or issuer, an expired token, ``alg: none``, HS256 signed with
the public key (the classic confusion attack), a tampered signature, a missing ``sub`` and plain garbage give
None. A key the issuer adds later is found by refetching the JWKS on its unknown ``kid``; a burst of made-up
kids refetches at most once per ``min_refresh_s`` (counted on the issuer's side). An issuer that is down,
misconfigured or oversized raises ``IssuerError`` with the next step.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from heygen_studio.core import issuer as issuer_module
from heygen_studio.core.errors import HeyGenError
from heygen_studio.core.issuer import IssuerError, IssuerVerifier
from heygen_studio.settings import SettingsError, load_settings
from test_transports import free_port, uvicorn_on

pytestmark = pytest.mark.anyio
AUDIENCE = "https://studio.example.test/mcp"
PRIVATE: dict[str, Any] = {  # made once: RSA key generation is the slow part of this module
    "rsa-1": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "rsa-2": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "rsa-3": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ec-1": ec.generate_private_key(ec.SECP256R1()),
}
ALG = {"rsa-1": "RS256", "rsa-2": "RS256", "rsa-3": "RS256", "ec-1": "ES256"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """The identity provider: its keys, what it publishes, and how often it was asked."""

    def __init__(self) -> None:
        self.url = ""
        self.published = ["rsa-1", "ec-1"]
        self.hits: Counter[str] = Counter()
        self.names_itself: str | None = None  # the metadata's issuer, when not its own URL
        self.oidc = True  # False: only RFC 8414 metadata
        self.jwks_padding = 0  # bytes of filler in the JWKS
        self.jwks_redirects = False
        self.failing = False  # True: the metadata answers 503

    def metadata(self, request: Request) -> Response:
        kind = request.url.path.rsplit("/", 1)[-1]
        self.hits[kind] += 1
        if self.failing:
            return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)
        if kind == "openid-configuration" and not self.oidc:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse({"issuer": self.names_itself or self.url, "jwks_uri": f"{self.url}/keys",
                             "authorization_endpoint": f"{self.url}/authorize"})

    def jwks(self, request: Request) -> Response:
        self.hits["jwks"] += 1
        if self.jwks_redirects:
            return RedirectResponse(f"{self.url}/elsewhere", status_code=302)
        keys = []
        for kid in self.published:
            public = PRIVATE[kid].public_key()
            maker = jwt.algorithms.RSAAlgorithm if kid.startswith("rsa") else jwt.algorithms.ECAlgorithm
            keys.append({**maker.to_jwk(public, as_dict=True), "kid": kid, "use": "sig", "alg": ALG[kid]})
        return JSONResponse({"keys": keys, "padding": "x" * self.jwks_padding})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/.well-known/openid-configuration", self.metadata),
                                 Route("/.well-known/oauth-authorization-server", self.metadata),
                                 Route("/keys", self.jwks)])

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {"iss": self.url, "aud": AUDIENCE, "sub": "user-42", "iat": now, "exp": now + 300,
                "client_id": "claude", "jti": f"t-{now}", "scope": "heygen"}
        base.update(changes)
        return {name: value for name, value in base.items() if value is not None}

    def token(self, kid: str = "rsa-1", *, typ: str | None = "at+jwt", signer: str | None = None,
              **changes: Any) -> str:
        """A token with these claims changed (None drops one), signed by ``signer``'s key (default: ``kid``'s)."""
        headers: dict[str, Any] = {"kid": kid, "typ": typ}
        key = PRIVATE[signer or kid]
        return jwt.encode(self.claims(**changes), key, algorithm=ALG[signer or kid],
                          headers={k: v for k, v in headers.items() if v is not None})


@asynccontextmanager
async def serving(idp: Issuer) -> AsyncIterator[Issuer]:
    """``idp`` served by uvicorn on a free loopback port until the block ends."""
    async with uvicorn_on(idp.app(), lifespan="off") as url:
        idp.url = url
        yield idp


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    async with serving(Issuer()) as idp:
        yield idp


def verifier(idp: Issuer, **options: Any) -> IssuerVerifier:
    return IssuerVerifier(idp.url, AUDIENCE, **options)


def forged(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


async def test_valid_tokens_give_their_claims(issuer: Issuer) -> None:
    check = verifier(issuer)
    try:
        claims = await check.verify(issuer.token())
        assert claims is not None and claims["sub"] == "user-42" and claims["iss"] == issuer.url
        assert (await check.verify(issuer.token("ec-1")) or {}).get("sub") == "user-42"  # EC (ES256) too
        # aud as a list naming us among others; the typ spellings IdPs send (Auth0/Entra "JWT", Okta none)
        assert await check.verify(issuer.token(aud=["https://other.example", AUDIENCE]))
        for typ in ("application/at+jwt", "AT+JWT", "JWT", None):
            assert await check.verify(issuer.token(typ=typ)), typ
        # inside the leeway (30 s) an expired or early token still passes; beyond it, not
        assert await check.verify(issuer.token(exp=int(time.time()) - 10))
        assert await check.verify(issuer.token(nbf=int(time.time()) + 10))
        assert issuer.hits == {"openid-configuration": 1, "jwks": 1}  # fetched once, then cached
    finally:
        await check.aclose()


async def test_a_token_without_kid_is_checked_against_a_lone_key(issuer: Issuer) -> None:
    no_kid = jwt.encode(issuer.claims(), PRIVATE["rsa-1"], algorithm="RS256", headers={"typ": "at+jwt"})
    assert "kid" not in jwt.get_unverified_header(no_kid)
    check = verifier(issuer)
    try:
        assert await check.verify(no_kid) is None  # two keys, each with a kid: which one is not said
    finally:
        await check.aclose()
    issuer.published = ["rsa-1"]
    check = verifier(issuer)
    try:
        assert await check.verify(no_kid)
    finally:
        await check.aclose()


async def test_bad_tokens_give_none(issuer: Issuer) -> None:
    check = verifier(issuer)
    now = int(time.time())
    pem = PRIVATE["rsa-1"].public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    good = issuer.token()
    head, body, signature = good.split(".")
    middle = len(signature) // 2
    tampered = f"{head}.{body}.{signature[:middle]}{'A' if signature[middle] != 'A' else 'B'}{signature[middle + 1:]}"
    other_body = b64(json.dumps(issuer.claims(sub="admin")).encode())
    bad = {
        "wrong audience": issuer.token(aud="https://other.example/mcp"),
        "audience list without us": issuer.token(aud=["https://a.example", "https://b.example"]),
        "wrong issuer": issuer.token(iss="https://evil.example"),
        "issuer with a trailing slash": issuer.token(iss=issuer.url + "/"),
        "expired": issuer.token(exp=now - 120),
        "not yet valid": issuer.token(nbf=now + 600),
        "issued in the future": issuer.token(iat=now + 600),
        "exp as a string": issuer.token(exp=str(now + 300)),
        "no exp": issuer.token(exp=None),
        "missing sub": issuer.token(sub=None),
        "empty sub": issuer.token(sub=""),
        "not an access token (typ)": issuer.token(typ="dpop+jwt"),
        "alg none": forged({"alg": "none", "typ": "at+jwt", "kid": "rsa-1"}, issuer.claims(), lambda _: b""),
        "HS256 keyed with the public key": forged(
            {"alg": "HS256", "typ": "at+jwt", "kid": "rsa-1"}, issuer.claims(),
            lambda data: hmac.new(pem, data, hashlib.sha256).digest()),
        "tampered signature": tampered,
        "claims swapped under a good signature": f"{head}.{other_body}.{signature}",
        "EC kid, RSA signature": issuer.token("ec-1", signer="rsa-1"),
        "signed by a key the issuer never published": issuer.token("rsa-1", signer="rsa-2"),
        "garbage": "not-a-token",
        "empty": "",
        "three empty parts": "..",
        "header is a list": f"{b64(b'[]')}.{b64(b'{}')}.",
        "kid is a number": forged({"alg": "RS256", "kid": 7}, issuer.claims(), lambda _: b"x"),
        "huge": "a" * 20_000 + "." + "b" * 20_000 + ".c",
    }
    try:
        assert await check.verify(good)  # the same verifier takes the real thing
        refused = {name: await check.verify(token) for name, token in bad.items()}
        assert {name for name, claims in refused.items() if claims is not None} == set()
    finally:
        await check.aclose()


async def test_a_new_key_is_fetched_on_its_unknown_kid(issuer: Issuer) -> None:
    check = verifier(issuer, min_refresh_s=0.2)
    try:
        assert await check.verify(issuer.token())
        issuer.published.append("rsa-2")  # the issuer rotates: a new key, and tokens signed with it
        rotated = issuer.token("rsa-2")
        assert await check.verify(rotated) is None  # within min_refresh_s of the last fetch: not asked again
        assert issuer.hits["jwks"] == 1
        await anyio.sleep(0.25)
        claims = await check.verify(rotated)
        assert claims is not None and claims["sub"] == "user-42"
        assert issuer.hits["jwks"] == 2 and issuer.hits["openid-configuration"] == 1  # discovery is kept
        assert await check.verify(issuer.token("rsa-2")) and issuer.hits["jwks"] == 2

        issuer.published.append("rsa-3")  # again, with many requests at once: they wait for the one refetch
        await anyio.sleep(0.25)
        results: list[dict[str, Any] | None] = []

        async def one() -> None:
            results.append(await check.verify(issuer.token("rsa-3")))

        async with anyio.create_task_group() as tasks:
            for _ in range(20):
                tasks.start_soon(one)
        assert len(results) == 20 and all(results) and issuer.hits["jwks"] == 3
    finally:
        await check.aclose()


async def test_a_burst_of_unknown_kids_refetches_at_most_once(issuer: Issuer) -> None:
    bogus = [issuer.token(f"made-up-{n}", signer="rsa-2") for n in range(50)]

    async def burst(check: IssuerVerifier) -> list[dict[str, Any] | None]:
        results: list[dict[str, Any] | None] = [None] * len(bogus)

        async def one(n: int) -> None:
            results[n] = await check.verify(bogus[n])

        async with anyio.create_task_group() as tasks:
            for n in range(len(bogus)):
                tasks.start_soon(one, n)
        return results

    check = verifier(issuer)  # min_refresh_s 60: the first fetch covers the whole burst
    try:
        assert await check.verify(issuer.token())
        assert await burst(check) == [None] * 50
        assert issuer.hits["jwks"] == 1
    finally:
        await check.aclose()

    issuer.hits.clear()
    check = verifier(issuer, min_refresh_s=0.5)
    try:
        assert await check.verify(issuer.token())
        await anyio.sleep(0.55)  # past the cooldown: one refetch is allowed, and only one
        assert await burst(check) == [None] * 50
        assert await burst(check) == [None] * 50
        assert issuer.hits["jwks"] == 2
        assert await check.verify(issuer.token()) and issuer.hits["jwks"] == 2
    finally:
        await check.aclose()


async def test_an_issuer_that_is_down_says_so() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    check = IssuerVerifier(url, AUDIENCE)
    token = Issuer().token()
    try:
        with pytest.raises(IssuerError) as caught:
            await check.verify(token)
        assert isinstance(caught.value, HeyGenError)
        text = caught.value.describe()
        assert "Cannot reach the issuer" in text and url in text and "HEYGEN_OAUTH_ISSUER" in text
        assert "then try again" in text and token not in text and token.split(".")[1] not in text
        with pytest.raises(IssuerError):  # again within the cooldown: the same answer, not another attempt
            await check.verify(token)
        assert await check.verify("garbage") is None  # a token that is not one needs no issuer
    finally:
        await check.aclose()


async def test_a_failing_issuer_is_not_asked_again_within_the_cooldown(issuer: Issuer) -> None:
    issuer.failing = True
    check = verifier(issuer, min_refresh_s=0.3)
    try:
        for _ in range(5):
            with pytest.raises(IssuerError, match="HTTP 503") as caught:
                await check.verify(issuer.token())
            assert "then try again" in caught.value.describe()
        assert issuer.hits["openid-configuration"] == 1
        issuer.failing = False
        await anyio.sleep(0.35)
        assert await check.verify(issuer.token())  # asked again after the cooldown, and it works now
        assert issuer.hits["openid-configuration"] == 2
    finally:
        await check.aclose()


async def test_keys_already_fetched_outlive_the_issuer(monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """Down later: tokens of known keys still pass (a failed refresh of old keys keeps them, and logs it); a
    token that needs a refetch says the issuer cannot be reached."""
    idp = Issuer()
    async with httpx2.AsyncClient() as http:
        async with serving(idp):
            check = IssuerVerifier(idp.url, AUDIENCE, http=http, min_refresh_s=0)
            assert await check.verify(idp.token())
        assert issuer_module.JWKS_MAX_AGE_S > 600
        assert await check.verify(idp.token("ec-1"))  # the issuer is down now; its keys are cached
        monkeypatch.setattr(issuer_module, "JWKS_MAX_AGE_S", 0.0)  # every key is now old enough to refresh
        assert await check.verify(idp.token())
        assert "keeping the old ones" in caplog.text and "Cannot reach the issuer" in caplog.text
        with pytest.raises(IssuerError, match="Cannot reach the issuer"):
            await check.verify(idp.token("rsa-2"))  # an unknown kid: only the issuer could say
        await check.aclose()
        assert not http.is_closed  # the caller's client is the caller's to close


async def answer(idp: Issuer) -> dict[str, Any] | IssuerError | None:
    """What a fresh verifier says of a valid token: its claims, None, or the ``IssuerError`` it raised."""
    check = verifier(idp)
    try:
        return await check.verify(idp.token())
    except IssuerError as exc:
        return exc
    finally:
        await check.aclose()


async def test_a_misconfigured_issuer_says_what_to_fix(issuer: Issuer) -> None:
    issuer.names_itself = issuer.url + "/"
    refused = await answer(issuer)
    assert isinstance(refused, IssuerError) and "must match exactly" in refused.message
    assert "Set HEYGEN_OAUTH_ISSUER to the issuer exactly" in refused.describe()

    issuer.names_itself, issuer.oidc = None, False  # RFC 8414 metadata only: found by the fallback
    assert isinstance(await answer(issuer), dict) and issuer.hits["oauth-authorization-server"] == 1

    issuer.oidc, issuer.jwks_padding = True, 300 * 1024  # a JWKS past the size cap
    refused = await answer(issuer)
    assert isinstance(refused, IssuerError) and "larger than 256 KiB" in refused.message

    issuer.jwks_padding, issuer.jwks_redirects = 0, True  # a redirect is not followed
    refused = await answer(issuer)
    assert isinstance(refused, IssuerError) and "redirects" in refused.message


def test_the_issuer_url_must_be_https_or_loopback() -> None:
    for bad in ("http://login.example.com", "ftp://login.example.com", "https://user:pw@login.example.com",
                "https://login.example.com?x=1", "not a url"):
        with pytest.raises(IssuerError):
            IssuerVerifier(bad, AUDIENCE)
        with pytest.raises(SettingsError, match="HEYGEN_OAUTH_ISSUER"):
            load_settings(heygen_oauth_issuer=bad)
    for good in ("https://tenant.auth0.com/", "https://login.microsoftonline.com/t/v2.0", "http://127.0.0.1:9000",
                 "http://localhost:8080/realms/x", "http://[::1]:9000"):
        assert load_settings(heygen_oauth_issuer=f" {good} ").heygen_oauth_issuer == good  # kept byte for byte
    assert load_settings(heygen_oauth_issuer="  ").heygen_oauth_issuer is None
    assert load_settings().heygen_oauth_issuer is None
