"""The API key goes only to the configured API host, and never comes back in an error (issue #8 §2, "The API key").

The upstream here is a small ASGI app behind ``httpx2.ASGITransport``: every host routes to it, so it sees whether
a request (and its ``x-api-key``) reached the redirect target. Loopback only: nothing leaves the process.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, quote_plus

import httpx2
import pytest
from mcp import Client

from conftest import make_settings
from heygen_studio.core.errors import APIStatusError, ConfigError, HeyGenError
from heygen_studio.core.http import HeyGenHTTP
from heygen_studio.server import create_server

pytestmark = pytest.mark.anyio

API = "api.heygen.test"
ELSEWHERE = "collector.example"
# Characters that every escaping spells differently: / + = " \ and a percent sign.
KEY = 'hg/Key+with=odd"quote\\back%41-0123456789'

FORMS = {
    "raw": KEY,
    "url": quote(KEY, safe=""),
    "url-lower": quote(KEY, safe="").lower().replace("hg%2fkey", "hg%2fKey"),  # %2f, not %2F
    "url-plus": quote_plus(KEY),
    "json": json.dumps(KEY)[1:-1],
    "json-slash": json.dumps(KEY)[1:-1].replace("/", "\\/"),  # PHP-style JSON escapes the slash too
    "repr": repr(KEY)[1:-1],
    "bytes-repr": repr(KEY.encode())[2:-1],
}


class Upstream:
    """An API host that answers every request one way, and a second host that records who reached it."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}
        self.seen: list[tuple[str, str, str, dict[str, str]]] = []  # (host, method, path, headers)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        self.seen.append((host, scope["method"], scope["path"], headers))
        while (await receive()).get("more_body"):
            pass
        if host == API:
            status, body, extra = self.status, self.body, self.headers
        else:
            status, body, extra = 200, {"data": {"username": "somebody-else"}}, {}
        payload = json.dumps(body).encode() if body is not None else b""
        raw = [(b"content-type", b"application/json"), *((k.encode(), v.encode()) for k, v in extra.items())]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": payload})

    def reached(self, host: str) -> list[tuple[str, str, str, dict[str, str]]]:
        return [s for s in self.seen if s[0] == host]


def http_for(app: Upstream, **kwargs: Any) -> HeyGenHTTP:
    return HeyGenHTTP(api_key=KEY, base_url=f"https://{API}", transport=httpx2.ASGITransport(app=app),
                      max_retries=0, **kwargs)


def assert_no_key(text: str) -> None:
    for name, form in FORMS.items():
        assert form not in text, f"the key's {name} form leaked: {text}"
    assert "0123456789" not in text, text  # no tail of the key in any spelling


def every_field(exc: APIStatusError) -> str:
    return " | ".join(str(v) for v in (exc.message, exc.code, exc.param, exc.doc_url, exc.request_id,
                                       exc.describe(), str(exc)))


# -- redirects ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_redirect_from_the_api_is_an_error_and_the_key_does_not_follow(status: int, method: str) -> None:
    app = Upstream(status, {"data": None}, {"location": f"https://{ELSEWHERE}/steal?k=1"})
    async with http_for(app) as http:
        with pytest.raises(APIStatusError) as info:
            await http.request(method, "/v3/users/me" if method == "GET" else "/v3/voices",  # a free POST: a paid
                               json_body=None if method == "GET" else {"prompt": "warm"})  # one needs its claim
    assert app.reached(ELSEWHERE) == [], "the request followed the redirect"
    assert len(app.reached(API)) == 1  # not retried either: a redirect is a configuration problem
    text = info.value.describe()
    assert f"redirect ({status})" in text and ELSEWHERE in text and "HEYGEN_BASE_URL" in text, text
    assert "not sent" in text, text
    assert_no_key(every_field(info.value))


async def test_the_key_never_reaches_a_redirect_target_through_a_tool(tmp_path: Any) -> None:
    app = Upstream(307, None, {"location": f"https://{ELSEWHERE}/v3/users/me"})
    settings = make_settings(tmp_path, heygen_sandbox=False, heygen_api_key=KEY, heygen_base_url=f"https://{API}",
                             heygen_max_retries=0)
    async with Client(create_server(settings, transport=httpx2.ASGITransport(app=app))) as client:
        result = await client.call_tool("get_account", {})
    text = result.content[0].text
    assert result.is_error and text.strip() != "Error executing tool get_account", text
    assert "redirect" in text and "HEYGEN_BASE_URL" in text, text
    assert app.reached(ELSEWHERE) == []
    assert [s[3].get("x-api-key") for s in app.seen] == [KEY]  # sent once, to the API host only
    assert_no_key(text)


# -- upstream errors that echo the key -----------------------------------------------------------------------------
@pytest.mark.parametrize("form", list(FORMS), ids=list(FORMS))
async def test_every_field_of_an_upstream_error_is_redacted(form: str) -> None:
    echoed = FORMS[form]
    body = {"error": {"code": echoed, "param": f"x-api-key={echoed}", "message": f"bad key {echoed}",
                      "doc_url": f"https://docs.heygen.test/errors?key={echoed}"}}
    app = Upstream(400, body, {"x-request-id": f"req-{quote(KEY, safe='')}"})
    async with http_for(app) as http:
        with pytest.raises(APIStatusError) as info:
            await http.request("GET", "/v3/users/me")
    assert_no_key(every_field(info.value))
    assert "***" in info.value.code and "***" in (info.value.param or "") and "***" in info.value.message


async def test_a_v2_error_string_and_a_tool_answer_are_redacted(tmp_path: Any) -> None:
    body = {"code": 40001, "error": f"Unauthorized: {FORMS['json']} / {FORMS['url']}", "data": None}
    app = Upstream(401, body)
    settings = make_settings(tmp_path, heygen_sandbox=False, heygen_api_key=KEY, heygen_base_url=f"https://{API}",
                             heygen_max_retries=0)
    async with Client(create_server(settings, transport=httpx2.ASGITransport(app=app))) as client:
        result = await client.call_tool("get_account", {})
    assert result.is_error
    assert_no_key(result.content[0].text)
    assert "HEYGEN_API_KEY" in result.content[0].text  # the next step is still there


async def test_a_key_the_error_code_echoes_through_a_tool_is_redacted(tmp_path: Any) -> None:
    body = {"error": {"code": KEY, "param": quote(KEY, safe=""), "message": "nope"}}
    app = Upstream(403, body)
    settings = make_settings(tmp_path, heygen_sandbox=False, heygen_api_key=KEY, heygen_base_url=f"https://{API}",
                             heygen_max_retries=0)
    async with Client(create_server(settings, transport=httpx2.ASGITransport(app=app))) as client:
        result = await client.call_tool("get_account", {})
    assert result.is_error and "HeyGen 403" in result.content[0].text
    assert_no_key(result.content[0].text)


async def test_a_key_with_whitespace_is_refused_without_echoing_it() -> None:
    app = Upstream(200, {"data": {}})
    async with HeyGenHTTP(api_key="secret-0123456789\n", base_url=f"https://{API}",
                          transport=httpx2.ASGITransport(app=app)) as http:
        with pytest.raises(ConfigError) as info:
            await http.request("GET", "/v3/users/me")
    assert app.seen == []
    text = info.value.describe()
    assert "whitespace or control characters" in text and "0123456789" not in text, text


async def test_transport_errors_are_redacted_in_escaped_forms_too() -> None:
    """An exception text that quotes the key (repr or URL-encoded) is scrubbed like the raw key."""

    class Echo(httpx2.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            raise httpx2.ReadError(f"peer closed; sent {request.headers.get('x-api-key')!r} "
                                   f"({quote(KEY, safe='')})")

    async with HeyGenHTTP(api_key=KEY, base_url=f"https://{API}", transport=Echo(), max_retries=0) as http:
        with pytest.raises(HeyGenError) as info:
            await http.request("GET", "/v3/users/me")
    assert_no_key(info.value.describe())
