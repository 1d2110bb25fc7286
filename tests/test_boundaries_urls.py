"""Issue 8 §2 "URLs the server fetches": upload_asset(url=...) against real loopback sockets.

A small threaded HTTP server on 127.0.0.1 plays every web server (a photo, a redirect, a drip) and logs
each request it sees, so "nothing connected" is observed, not assumed. Two set-ups: the real network
wiring (HEYGEN_SANDBOX=0, HeyGen itself on a closed loopback port so nothing could be uploaded anywhere) and
sandbox mode (HeyGen is the in-process sandbox, whose request log shows nothing was uploaded).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import pytest
from mcp import Client

from conftest import make_settings
from heygen_studio.server import create_server
from heygen_studio.settings import SettingsError, load_settings

pytestmark = pytest.mark.anyio
MEDIA = Path(__file__).resolve().parents[1] / "server" / "heygen_studio" / "sandbox" / "media"
JPEG = (MEDIA / "sample.jpg").read_bytes()
REFUSED = "it is a private, local or reserved address"


class Handler(BaseHTTPRequestHandler):
    server: WebServer

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        route = urlsplit(self.path)
        if route.path == "/photo.jpg":
            self._send(200, JPEG, "image/jpeg")
        elif route.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(route.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif route.path == "/drip":  # one byte every 0.2 s, for at most 10 s
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for byte in JPEG[:50]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                return  # the client hung up: what the deadline is for
        else:
            self._send(404, b"not here", "text/plain")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class WebServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[str] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def upload_error(client: Client, url: str) -> str:
    result = await client.call_tool("upload_asset", {"url": url})
    text = result.content[0].text
    assert result.is_error, result.structured_content
    assert text.startswith("Error executing tool upload_asset: ") and "Error executing tool upload_asset:" in text
    return text.removeprefix("Error executing tool upload_asset: ")


def network_server(tmp_path: Path, **overrides: Any) -> Any:
    """The real wiring: no transport, HeyGen on a closed loopback port (an upload would fail, offline)."""
    settings = make_settings(tmp_path, heygen_sandbox=False, heygen_api_key="test-key-0123456789",
                             heygen_base_url=f"http://127.0.0.1:{closed_port()}", heygen_max_retries=0, **overrides)
    return create_server(settings)


# Loopback in the spellings a model can be talked into; each must be refused before any connection.
SPELLINGS = ["127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]", "localhost", socket.gethostname()]


@pytest.mark.parametrize("wiring", ["network", "sandbox"])
async def test_loopback_in_every_spelling_is_refused_alike_open_port_or_not(
        wiring: str, web: WebServer, tmp_path: Path, wire: Any, sandbox: Any) -> None:
    server = network_server(tmp_path) if wiring == "network" else create_server(make_settings(tmp_path), wire)
    closed = closed_port()
    async with Client(server) as client:
        with anyio.fail_after(30):
            for host in SPELLINGS:
                texts = {port: await upload_error(client, f"http://{host}:{port}/photo.jpg")
                         for port in (web.port, closed)}
                assert texts[web.port] == texts[closed], texts  # no port scanner in the answers
                assert REFUSED in texts[web.port] and str(web.port) not in texts[web.port], texts
    assert web.seen == []  # nothing connected
    assert sandbox.requests == []  # nothing sent to HeyGen either


async def test_a_redirect_from_an_allowed_host_to_loopback_is_refused(
        web: WebServer, tmp_path: Path, wire: Any, sandbox: Any) -> None:
    first = f"127.0.0.1:{web.port}"  # trusted by name: an internal media server
    settings = make_settings(tmp_path, heygen_allowed_url_hosts=first)
    async with Client(create_server(settings, transport=wire)) as client:
        with anyio.fail_after(30):
            ok = await client.call_tool("upload_asset", {"url": f"http://{first}/photo.jpg"})
            assert not ok.is_error and ok.structured_content["mime_type"] == "image/jpeg"
            for target in (f"http://localhost:{web.port}/photo.jpg", f"http://2130706433:{web.port}/photo.jpg",
                           f"http://[::ffff:127.0.0.1]:{web.port}/photo.jpg", "http://169.254.169.254/latest/"):
                text = await upload_error(client, f"http://{first}/redirect?to={target}")
                assert REFUSED in text, text
    assert web.seen[0] == "/photo.jpg" and web.seen.count("/photo.jpg") == 1  # the redirects' targets: never
    assert all(path.startswith("/redirect") for path in web.seen[1:])
    assert len([r for r in sandbox.requests if r.path == "/v3/assets"]) == 1  # only the allowed fetch uploaded


async def test_a_server_that_drips_bytes_is_cut_at_the_deadline(web: WebServer, tmp_path: Path) -> None:
    # Allowed by name (the short spelling, so the check that lets it through is the allowed host, not a miss).
    server = network_server(tmp_path, heygen_fetch_timeout=1.0, heygen_allowed_url_hosts=f"127.1:{web.port}")
    async with Client(server) as client:
        started = time.monotonic()
        with anyio.fail_after(8):
            text = await upload_error(client, f"http://127.1:{web.port}/drip")
        elapsed = time.monotonic() - started
    assert "took longer than 1 s" in text and elapsed < 3, (text, elapsed)
    assert web.seen == ["/drip"]


async def test_private_urls_can_be_allowed_on_purpose(
        web: WebServer, tmp_path: Path, wire: Any, sandbox: Any) -> None:
    settings = make_settings(tmp_path, heygen_allow_private_urls=True)
    async with Client(create_server(settings, transport=wire)) as client:
        result = await client.call_tool("upload_asset", {"url": f"http://127.1:{web.port}/photo.jpg"})
    assert not result.is_error and result.structured_content["mime_type"] == "image/jpeg"
    assert web.seen == ["/photo.jpg"]


def test_allowed_url_hosts_must_name_a_port(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None, heygen_allowed_url_hosts="media.internal")
    assert "HEYGEN_ALLOWED_URL_HOSTS" in str(info.value) and "host:port" in str(info.value)
    assert load_settings(_env_file=None, heygen_allowed_url_hosts="Media.Internal:8080, [::1]:9000"
                         ).heygen_allowed_url_hosts == ["media.internal:8080", "::1:9000"]
