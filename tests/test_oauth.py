"""Team mode's door (issue #16 §3), at the wire: ``serve --http``'s app (``serving.http_app``) served by uvicorn on
a loopback port, with people in its people store.

The SDK's own OAuth client discovers Protected Resource Metadata and the authorization server's metadata,
registers, is sent to our login page, where the test signs the person in as a person would (a GET of the page and
a POST of its form); it then lists the tools, calls ``list_jobs``, is made to refresh, and calls again. Headless
Chromium signs a person in on the same page. A revoked person's live access token is refused at once; a token
for another audience is refused; a 401 names the metadata; a personal token works as a bearer; every client is
public and its redirect URIs follow the rules; with no people the server keeps its single shared token. Every test
runs with the store on SQLite and on PostgreSQL (``store_backend``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx2
import pytest
from cryptography.fernet import Fernet
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

import chromium
from conftest import Backend, make_settings
from heygen_studio.auth.identity import person_id, person_name
from heygen_studio.core.backends import open_store
from heygen_studio.core.grants import SignIn
from heygen_studio.server import StudioServer, create_server
from heygen_studio.serving import HTTPConfigError, http_app, http_auth
from test_transports import free_port, uvicorn_on

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("store_backend")]  # on SQLite and on PostgreSQL
CALLBACK = "http://127.0.0.1:{port}/callback"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "probe", "version": "0"}}}
ACCEPT = {"Accept": "application/json, text/event-stream"}
BROWSER, WHY_NOT = chromium.find()


WHO: list[tuple[str | None, str | None]] = []  # (person_id(), person_name()) at each tools/call the server ran


def watch(server: StudioServer) -> None:
    """Note who each tools/call on the server under test came from, as the tools learn it (``auth.identity``)."""

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call":
            WHO.append((person_id(), person_name()))
        return await call_next(ctx)

    server.middleware.append(middleware)


@asynccontextmanager
async def served(settings: Any, *, port: int | None = None) -> AsyncIterator[str]:
    """``serve --http``'s app for ``settings`` on a loopback port (lifespan running); its base URL."""
    server = create_server(settings)
    watch(server)
    port = port or free_port()
    async with uvicorn_on(http_app(server, settings, host="127.0.0.1", port=port), port) as url:
        yield url


def team(tmp_path: Path, *names: str, **overrides: Any) -> tuple[Any, dict[str, str]]:
    """Settings whose people store holds ``names``; each name's personal token. On PostgreSQL, with the
    HEYGEN_SECRET_KEY a team there must have (``serving``: replicas sign the same file links)."""
    if os.environ.get("HEYGEN_STORE_URL"):
        overrides.setdefault("heygen_secret_key", Fernet.generate_key().decode())
    settings = make_settings(tmp_path, **overrides)
    people = open_store(settings).people()
    tokens = {name: people.add(name)[1] for name in names}
    people.close()
    return settings, tokens


class Memory(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def hidden_request(page: str) -> str:
    found = re.search(r'name="request" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def sign_in(http: httpx2.AsyncClient, authorization_url: str, token: str) -> httpx2.Response:
    """As a person: open the authorization URL (it leads to the login page), paste the token, submit. The answer
    to the form (a redirect to the client's callback, unfollowed)."""
    page = await http.get(authorization_url, follow_redirects=True)
    assert page.status_code == 200 and "Sign in to HeyGen Studio" in page.text, page.text
    return await http.post(str(page.url), data={"request": hidden_request(page.text), "token": token})


def callback(answer: httpx2.Response) -> AuthorizationCodeResult:
    assert answer.status_code == 303, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def tokens_for(http: httpx2.AsyncClient, url: str, token: str, *, redirect: str | None = None,
                     **authorize: str) -> dict[str, Any]:
    """The whole flow by hand (register, authorize, sign in, exchange): the token response."""
    redirect = redirect or CALLBACK.format(port=free_port())
    client = (await http.post(f"{url}/register", json={"redirect_uris": [redirect], "client_name": "By hand"})).json()
    verifier, challenge = pkce()
    params = {"response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect, "state": "s1",
              "code_challenge": challenge, "code_challenge_method": "S256", **authorize}
    result = callback(await sign_in(http, f"{url}/authorize?{urlencode(params)}", token))
    assert result.state == "s1"
    answer = await http.post(f"{url}/token", data={
        "grant_type": "authorization_code", "code": result.code, "redirect_uri": redirect,
        "client_id": client["client_id"], "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    return {**answer.json(), "client_id": client["client_id"]}


async def call(url: str, bearer: str) -> tuple[str | None, str | None]:
    """A real MCP client with ``bearer`` calls ``list_jobs``: who the server saw calling (id, name)."""
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {bearer}"}, timeout=30) as http, \
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as mcp:
        result = await mcp.call_tool("list_jobs", {})
        assert not result.is_error, result.content
        assert result.structured_content is not None and "items" in result.structured_content
        return WHO[-1]


async def test_the_sdk_oauth_client_signs_a_person_in_lists_tools_calls_and_refreshes(
        tmp_path: Path, store_backend: Backend) -> None:
    settings, tokens = team(tmp_path, "ana", "ben")
    async with served(settings) as url, httpx2.AsyncClient(timeout=30) as browser:
        redirect = CALLBACK.format(port=free_port())
        codes: list[AuthorizationCodeResult] = []

        async def open_browser(authorization_url: str) -> None:
            codes.append(callback(await sign_in(browser, authorization_url, tokens["ana"])))

        async def wait_for_callback() -> AuthorizationCodeResult:
            return codes.pop()

        storage = Memory()
        oauth = OAuthClientProvider(f"{url}/mcp", OAuthClientMetadata(
            redirect_uris=[redirect], client_name="SDK client", token_endpoint_auth_method="client_secret_post"),
            storage, redirect_handler=open_browser, callback_handler=wait_for_callback)
        async with httpx2.AsyncClient(auth=oauth, timeout=30) as http, \
                Client(streamable_http_client(f"{url}/mcp", http_client=http)) as mcp:
            names = {tool.name for tool in (await mcp.list_tools()).tools}
            assert "list_jobs" in names
            listed = await mcp.call_tool("list_jobs", {})
            assert not listed.is_error, listed.content
            me = WHO[-1]
            first = storage.tokens
            assert first is not None and first.refresh_token and first.access_token.startswith("hga_")
            assert storage.client is not None and storage.client.token_endpoint_auth_method == "none"
            assert storage.client.client_secret is None  # asked for client_secret_post: answered as a public client

            oauth.context.token_expiry_time = time.time() - 1  # the access token's hour is over: refresh first
            again = await mcp.call_tool("list_jobs", {})
            assert not again.is_error, again.content
            second = storage.tokens
            assert second is not None and second.access_token != first.access_token
            assert second.refresh_token not in (None, first.refresh_token)  # rotated
            assert WHO[-1] == me

        with closing(open_store(settings).people()) as people:
            ana = people.by_token(tokens["ana"])
        assert ana is not None and me == (ana.id, "ana")

        # Discovery as the client saw it: PRM at the path and at the root, naming our issuer exactly.
        prm = (await browser.get(f"{url}/.well-known/oauth-protected-resource/mcp")).json()
        assert prm["resource"] == f"{url}/mcp" and prm["authorization_servers"] == [url]
        assert (await browser.get(f"{url}/.well-known/oauth-protected-resource")).json() == prm
        for path in ("/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/mcp",
                     "/.well-known/openid-configuration"):
            meta = (await browser.get(url + path)).json()
            assert meta["issuer"] == url and meta["code_challenge_methods_supported"] == ["S256"]
            assert "none" in meta["token_endpoint_auth_methods_supported"]
            assert meta["registration_endpoint"] == f"{url}/register"

        # Rotation: the newest refresh token used makes the one before it useless.
        assert first.refresh_token and second.refresh_token
        client_id = storage.client.client_id
        newest = await browser.post(f"{url}/token", data={"grant_type": "refresh_token", "client_id": client_id,
                                                          "refresh_token": second.refresh_token})
        assert newest.status_code == 200, newest.text
        stale = await browser.post(f"{url}/token", data={"grant_type": "refresh_token", "client_id": client_id,
                                                         "refresh_token": first.refresh_token})
        assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"

    # Nothing secret at rest: no token, code or refresh token in the store (its file, or its database's rows), only
    # their hashes.
    raw = store_backend.raw(settings.store_path)
    for secret in (first.access_token, first.refresh_token, second.access_token, tokens["ana"]):
        assert secret.encode() not in raw
    assert hashlib.sha256(second.access_token.encode()).hexdigest().encode() in raw


@contextmanager
def callback_server() -> Iterator[tuple[str, list[str]]]:
    """A client's loopback callback: the redirect URI, and the queries it received."""
    import http.server
    import threading

    got: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if urlsplit(self.path).path == "/callback":  # not the browser's /favicon.ico
                got.append(urlsplit(self.path).query)
            body = b"<!doctype html><title>done</title><p id=done>You can close this window.</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/callback", got
    finally:
        httpd.shutdown()
        httpd.server_close()


def wait_for(tab: chromium.Page, expression: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = tab.evaluate(expression)
        except RuntimeError:  # the page is navigating
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never true in the browser: {expression} (page: {tab.evaluate('location.href')} "
                         f"{tab.evaluate('document.body && document.body.innerText')!r})")


@pytest.mark.skipif(BROWSER is None, reason=WHY_NOT)
async def test_a_person_signs_in_on_the_login_page_in_headless_chromium(tmp_path: Path) -> None:
    assert BROWSER is not None
    settings, tokens = team(tmp_path, "ana")
    with callback_server() as (redirect, got):
        async with served(settings) as url, httpx2.AsyncClient(timeout=30) as http:
            client = (await http.post(f"{url}/register", json={"redirect_uris": [redirect],
                                                               "client_name": "Claude <b>&</b>"})).json()
            verifier, challenge = pkce()
            authorize = f"{url}/authorize?" + urlencode({
                "response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect,
                "state": "st-1", "code_challenge": challenge, "code_challenge_method": "S256",
                "resource": f"{url}/mcp"})

            def browse() -> None:
                browser = chromium.Browser(BROWSER, tmp_path / "profile", tmp_path / "chromium.log")
                try:
                    tab = chromium.Page(browser)
                    tab.navigate(authorize)
                    wait_for(tab, "document.querySelector('input[name=token]') !== null")
                    shown = tab.evaluate("document.querySelector('.who').textContent")
                    assert "Claude <b>&</b>" in shown and "127.0.0.1" in shown  # escaped, and the return host
                    assert tab.evaluate("document.querySelectorAll('script').length") == 0
                    tab.evaluate("document.getElementById('token').value = 'hgs_not-anyones-token';"
                                 "document.querySelector('form').submit()")
                    error = wait_for(tab, "document.querySelector('.error') && "
                                          "document.querySelector('.error').textContent")
                    assert "not the personal token of anyone" in error
                    tab.evaluate(f"document.getElementById('token').value = {json.dumps(tokens['ana'])};"
                                 "document.querySelector('form').submit()")
                    wait_for(tab, "document.getElementById('done') !== null")  # landed on the client's callback
                finally:
                    browser.close()

            await anyio.to_thread.run_sync(browse)
            assert len(got) == 1
            query = parse_qs(got[0])
            assert query["state"] == ["st-1"]
            answer = await http.post(f"{url}/token", data={
                "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect,
                "client_id": client["client_id"], "code_verifier": verifier, "resource": f"{url}/mcp"})
            assert answer.status_code == 200, answer.text
            assert (await call(url, answer.json()["access_token"]))[1] == "ana"


async def test_a_revoked_persons_live_tokens_are_refused_at_once(tmp_path: Path) -> None:
    settings, tokens = team(tmp_path, "ana", "ben")
    async with served(settings) as url, httpx2.AsyncClient(timeout=30) as http:
        issued = await tokens_for(http, url, tokens["ana"])
        assert (await call(url, issued["access_token"]))[1] == "ana"
        assert (await call(url, tokens["ana"]))[1] == "ana"
        with closing(open_store(settings).people()) as people:
            people.revoke("ana")
        for bearer in (issued["access_token"], tokens["ana"]):
            refused = await http.post(f"{url}/mcp", json=INIT, headers={**ACCEPT, "Authorization": f"Bearer {bearer}"})
            assert refused.status_code == 401, refused.text
            assert 'error="invalid_token"' in refused.headers["www-authenticate"]
        again = await http.post(f"{url}/token", data={"grant_type": "refresh_token", "client_id": issued["client_id"],
                                                      "refresh_token": issued["refresh_token"]})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        assert "revoked" in again.json()["error_description"]
        assert (await call(url, tokens["ben"]))[1] == "ben"  # the others are not touched


async def test_a_token_for_another_audience_is_refused(tmp_path: Path) -> None:
    settings, tokens = team(tmp_path, "ana")
    with closing(open_store(settings).people()) as people:
        ana = people.by_token(tokens["ana"])
    assert ana is not None
    grants = open_store(settings).grants()  # the same authorization server, for another resource
    sign_in_id = grants.begin(SignIn(client_id="c", redirect_uri="https://app.example/cb",
                                     redirect_uri_provided_explicitly=True, code_challenge="x", state=None,
                                     scopes=("heygen",), resource="https://elsewhere.example/mcp"))
    done = grants.complete(sign_in_id, ana.id)
    assert done is not None
    elsewhere = grants.redeem(done[1])
    grants.close()
    assert elsewhere is not None
    async with served(settings) as url, httpx2.AsyncClient(timeout=30) as http:
        refused = await http.post(f"{url}/mcp", json=INIT,
                                  headers={**ACCEPT, "Authorization": f"Bearer {elsewhere.access_token}"})
        assert refused.status_code == 401
        # And the server does not mint one: asking for another resource is invalid_target, at the client.
        redirect = CALLBACK.format(port=free_port())
        client = (await http.post(f"{url}/register", json={"redirect_uris": [redirect]})).json()
        _, challenge = pkce()
        asked = await http.get(f"{url}/authorize", params={
            "response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect, "state": "s",
            "code_challenge": challenge, "resource": "https://elsewhere.example/mcp"})
        assert asked.status_code == 302
        assert parse_qs(urlsplit(asked.headers["location"]).query)["error"] == ["invalid_target"]


async def test_a_401_names_the_metadata_and_says_how_to_get_in(tmp_path: Path) -> None:
    settings, _ = team(tmp_path, "ana")
    async with served(settings) as url, httpx2.AsyncClient(timeout=30) as http:
        metadata = f'resource_metadata="{url}/.well-known/oauth-protected-resource/mcp"'
        bare = await http.post(f"{url}/mcp", json=INIT, headers=ACCEPT)
        assert bare.status_code == 401 and metadata in bare.headers["www-authenticate"]
        assert "error=" not in bare.headers["www-authenticate"]  # RFC 6750 §3.1: no error without credentials
        assert "hgs_" in bare.json()["error_description"] and f"{url}/mcp" in bare.json()["error_description"]
        for bearer in ("hgs_unknown-token", "hga_unknown-token", "eyJnot.a.jwt", "t0ken-for-tests-0123456789"):
            unknown = await http.post(f"{url}/mcp", json=INIT, headers={**ACCEPT, "Authorization": f"Bearer {bearer}"})
            assert unknown.status_code == 401
            assert metadata in unknown.headers["www-authenticate"]
            assert 'error="invalid_token"' in unknown.headers["www-authenticate"]
            assert bearer not in unknown.text


async def test_a_personal_token_is_a_bearer_and_names_its_person(tmp_path: Path) -> None:
    settings, tokens = team(tmp_path, "ana", "ben")
    async with served(settings) as url:
        with closing(open_store(settings).people()) as people:
            for name in ("ben", "ana"):
                person = people.by_token(tokens[name])
                assert person is not None and await call(url, tokens[name]) == (person.id, name)


async def test_every_client_is_public_and_redirect_uris_follow_the_rules(tmp_path: Path) -> None:
    settings, tokens = team(tmp_path, "ana")
    async with served(settings) as url, httpx2.AsyncClient(timeout=30) as http:
        for bad in ("http://app.example/cb", "https://app.example/cb#frag", "myapp:/cb",
                    "https://user:pw@app.example/cb"):
            refused = await http.post(f"{url}/register", json={"redirect_uris": [bad]})
            assert refused.status_code == 400, bad
            assert refused.json()["error"] == "invalid_redirect_uri"
        claude = (await http.post(f"{url}/register", json={
            "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"], "client_name": "Claude",
            "token_endpoint_auth_method": "client_secret_post",
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"]})).json()
        assert claude["token_endpoint_auth_method"] == "none" and "client_secret" not in claude
        assert claude["scope"] == "heygen"  # registered without one: the default
        # A loopback client may come back on another port (RFC 8252 §7.3); the path must match.
        issued = await tokens_for(http, url, tokens["ana"], redirect="http://127.0.0.1:3118/callback")
        assert issued["token_type"].lower() == "bearer" and issued["expires_in"] == 3600
        local = (await http.post(f"{url}/register", json={"redirect_uris": ["http://localhost:3118/cb"]})).json()
        _, challenge = pkce()
        base = {"response_type": "code", "client_id": local["client_id"], "code_challenge": challenge}
        moved = await http.get(f"{url}/authorize", params={**base, "redirect_uri": "http://localhost:40111/cb"})
        assert moved.status_code == 302 and "/oauth/login?request=" in moved.headers["location"]
        other = await http.get(f"{url}/authorize", params={**base, "redirect_uri": "http://localhost:40111/else"})
        assert other.status_code == 400
        # ChatGPT reconnects without a scope, and without a resource: the defaults.
        plain = await http.get(f"{url}/authorize", params={**base, "redirect_uri": "http://localhost:3118/cb"})
        assert plain.status_code == 302 and plain.headers["location"].startswith(f"{url}/oauth/login?")
        # Revocation (RFC 7009) for a public client, which sends no client_secret: the grant ends.
        assert (await call(url, issued["access_token"]))[1] == "ana"
        gone = await http.post(f"{url}/revoke", data={"token": issued["refresh_token"],
                                                      "client_id": issued["client_id"]})
        assert gone.status_code == 200
        refused = await http.post(f"{url}/mcp", json=INIT,
                                  headers={**ACCEPT, "Authorization": f"Bearer {issued['access_token']}"})
        assert refused.status_code == 401


async def test_wrong_tokens_on_the_login_page_show_the_form_again_and_are_limited(tmp_path: Path) -> None:
    settings, tokens = team(tmp_path, "ana")
    async with served(settings) as url, httpx2.AsyncClient(timeout=30) as http:
        redirect = CALLBACK.format(port=free_port())
        client = (await http.post(f"{url}/register", json={"redirect_uris": [redirect]})).json()
        _, challenge = pkce()
        page = await http.get(f"{url}/authorize", follow_redirects=True, params={
            "response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect,
            "code_challenge": challenge, "state": "<script>"})
        request_id = hidden_request(page.text)
        assert page.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in \
            page.headers["content-security-policy"]
        statuses = []
        for attempt in range(6):
            wrong = await http.post(str(page.url), data={"request": request_id, "token": f"hgs_wrong{attempt}"})
            statuses.append(wrong.status_code)
            if wrong.status_code == 403:
                assert "not the personal token of anyone" in wrong.text and hidden_request(wrong.text) == request_id
                assert f"hgs_wrong{attempt}" not in wrong.text
        assert statuses == [403] * 5 + [429]
        assert int(wrong.headers["retry-after"]) >= 1
        # Even the right token waits now: guessing cannot go on at speed.
        assert (await http.post(str(page.url), data={"request": request_id, "token": tokens["ana"]})).status_code \
            == 429
        expired = await http.get(f"{url}/oauth/login", params={"request": "not-a-request"})
        assert expired.status_code == 400 and "expired" in expired.text


async def test_no_people_keep_the_single_shared_token(tmp_path: Path) -> None:
    token = "t0ken-for-tests-0123456789"
    settings = make_settings(tmp_path, heygen_http_token=token)
    async with served(settings) as url, httpx2.AsyncClient(timeout=30) as http:
        prm = f"{url}/.well-known/oauth-protected-resource/mcp"
        assert (await http.get(prm)).status_code == 401  # as every path but /health and /: the token first
        assert (await http.get(prm, headers={"Authorization": f"Bearer {token}"})).status_code == 404  # no OAuth
        bare = await http.post(f"{url}/mcp", json=INIT, headers=ACCEPT)
        assert bare.status_code == 401 and bare.headers["www-authenticate"] == 'Bearer realm="heygen-studio"'
        assert await call(url, token) == (None, None)  # the shared token names no one


def test_team_mode_refuses_a_shared_token_or_no_auth(tmp_path: Path) -> None:
    settings, _ = team(tmp_path, "ana", heygen_http_token="t0ken-for-tests-0123456789")
    with pytest.raises(HTTPConfigError, match=r"has 1 person.*shared token"):
        http_auth(settings, "127.0.0.1")
    plain = make_settings(tmp_path, heygen_secret_key=settings.heygen_secret_key)  # the same, without the shared token
    with pytest.raises(HTTPConfigError, match="--no-auth is not used"):
        http_auth(plain, "127.0.0.1", no_auth=True)
    auth = http_auth(plain, "0.0.0.0")  # off loopback too: each person brings their own token
    assert auth.token is None and auth.people == 1



async def test_issuer_mode_takes_the_issuers_tokens_and_names_it(tmp_path: Path) -> None:
    from test_issuer import Issuer
    from test_issuer import serving as issuing

    async with issuing(Issuer()) as idp:
        settings, tokens = team(tmp_path, "ana", heygen_oauth_issuer=idp.url)
        people = open_store(settings).people()
        bea, _ = people.add("bea", subject="user-42")
        people.add("cy", subject="user-43")
        port = free_port()
        resource = f"http://127.0.0.1:{port}/mcp"
        async with served(settings, port=port) as url, httpx2.AsyncClient(timeout=30) as http:
            prm = (await http.get(f"{url}/.well-known/oauth-protected-resource")).json()
            assert prm["authorization_servers"] == [idp.url] and prm["resource"] == resource
            for path in ("/.well-known/oauth-authorization-server", "/register", "/oauth/login"):
                assert (await http.get(url + path)).status_code in (401, 404), path  # our server is off
            assert await call(url, idp.token(aud=resource)) == (bea.id, "bea")
            assert (await call(url, tokens["ana"]))[1] == "ana"  # personal tokens still work
            for bad in (idp.token(aud="https://elsewhere.example/mcp"), idp.token(aud=resource, sub="nobody")):
                refused = await http.post(f"{url}/mcp", json=INIT, headers={**ACCEPT, "Authorization": f"Bearer {bad}"})
                assert refused.status_code == 401
                assert f'resource_metadata="{url}/.well-known/oauth-protected-resource/mcp"' in \
                    refused.headers["www-authenticate"]
            people.revoke("bea")
            revoked = await http.post(f"{url}/mcp", json=INIT,
                                      headers={**ACCEPT, "Authorization": f"Bearer {idp.token(aud=resource)}"})
            assert revoked.status_code == 401
            cy = people.by_subject("user-43")
            assert cy is not None and await call(url, idp.token(aud=resource, sub="user-43")) == (cy.id, "cy")
        people.close()


async def test_registrations_and_authorization_requests_from_one_address_are_limited(tmp_path: Path) -> None:
    settings, _ = team(tmp_path, "ana")
    async with served(settings) as url, httpx2.AsyncClient(timeout=30) as http:
        redirect = CALLBACK.format(port=free_port())
        statuses = [(await http.post(f"{url}/register", json={"redirect_uris": [redirect]})).status_code
                    for _ in range(31)]
        assert statuses == [201] * 30 + [429]
        flood = await http.post(f"{url}/register", json={"redirect_uris": [redirect]})
        assert flood.status_code == 429 and int(flood.headers["retry-after"]) >= 1
        assert "retry in" in flood.json()["error_description"]
        _, challenge = pkce()
        # The client_id need not exist: the limit comes first, and a sign-in row is what it protects.
        asked = [(await http.get(f"{url}/authorize", params={"response_type": "code", "client_id": "c",
                                                              "code_challenge": challenge})).status_code
                 for _ in range(61)]
        assert asked[:60] == [400] * 60 and asked[60] == 429
