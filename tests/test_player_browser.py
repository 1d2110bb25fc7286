"""The inline player (issue 10 §5) rendered by headless Chromium, fed a real tool result.

The sandbox runs as its own process on a port, so its MP4 and thumbnail are served over HTTP. The MCP server
talks to it as to HeyGen; the test renders a video, downloads it, and reads the ``ui://`` player resource.
A test-only host page (what an Apps host does, in small) puts the player's HTML in a sandboxed iframe under
the CSP its ``_meta.ui.csp`` asks for (the spec's construction), answers ``ui/initialize`` and posts the
``download_video`` result as ``ui/notifications/tool-result``. Chromium (Debian's package, over the DevTools
protocol) must then show the video with its metadata loaded (readyState ≥ 1, its size and duration in the
page), the saved path and the download button; the screenshot is kept in ``.artifacts/player.png`` and the
video's area of it must hold a picture, not one flat colour.

With the embedded sandbox (``HEYGEN_SANDBOX=1``, no port) the video's link exists only inside the server
process, so the tools give the page the saved file's resource instead: the page sends ``resources/read`` to
the host, the host (here: the test, through the MCP client, as a real host forwards it to the server) answers,
and the page plays the bytes from a ``data:`` URL. Left unanswered (a host that refuses the read), the video
does not load and the page says so: the fallback is what plays it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult

import chromium
from conftest import make_settings
from heygen_studio.server import create_server
from heygen_studio.tools import player
from test_transports import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
ARTIFACT = ROOT / ".artifacts" / "player.png"
BROWSER, WHY_NOT = chromium.find()


def view_document(html: str, csp: dict[str, list[str]]) -> str:
    """The player's HTML under the Content-Security-Policy a host builds from ``_meta.ui.csp`` (SEP-1865)."""
    resources = " ".join(csp.get("resourceDomains", []))
    connect = " ".join(csp.get("connectDomains", []))
    policy = (f"default-src 'none'; script-src 'self' 'unsafe-inline' {resources}; "
              f"style-src 'self' 'unsafe-inline' {resources}; connect-src 'self' {connect}; "
              f"img-src 'self' data: {resources}; font-src 'self' {resources}; media-src 'self' data: {resources}; "
              "frame-src 'none'; object-src 'none'; base-uri 'self'")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    return html.replace("<head>", "<head>" + meta, 1)


def host_page(document: str, arguments: dict[str, Any], result: dict[str, Any], *, reads: bool = True) -> str:
    """A minimal Apps host: one sandboxed frame, the ui/* handshake, then the tool's input and result.

    ``resources/read`` from the view is queued in ``window.pending`` for the test to forward to the server
    (``window.answer`` posts the reply), or, with ``reads=False``, refused as a host without it would."""

    def js(value: Any) -> str:
        return json.dumps(value).replace("</", "<\\/")

    return f"""<!doctype html><html><head><meta charset="utf-8"><title>test host</title>
<style>body{{margin:0;background:#eee}}
iframe{{display:block;border:0;width:640px;height:200px;background:#fff}}</style>
</head><body><iframe id="view" sandbox="allow-scripts"></iframe><script>
const frame = document.getElementById("view");
window.seen = [];
window.pending = [];
window.answer = (id, reply) => post(Object.assign({{id}}, reply));
const post = (message) => frame.contentWindow.postMessage(Object.assign({{jsonrpc: "2.0"}}, message), "*");
window.addEventListener("message", (event) => {{
  if (event.source !== frame.contentWindow) return;
  const m = event.data;
  window.seen.push(m.method || "response");
  if (m.method === "ui/initialize") post({{id: m.id, result: {{protocolVersion: "2026-01-26",
      hostInfo: {{name: "test-host", version: "1"}}, hostCapabilities: {{openLinks: {{}}}},
      hostContext: {{theme: "light", displayMode: "inline", containerDimensions: {{width: 640, maxHeight: 680}}}}}}}});
  if (m.method === "ui/notifications/initialized") {{
    post({{method: "ui/notifications/tool-input", params: {{arguments: {js(arguments)}}}}});
    post({{method: "ui/notifications/tool-result", params: {js(result)}}});
  }}
  if (m.method === "resources/read") {{
    if ({js(reads)}) window.pending.push({{id: m.id, params: m.params}});
    else post({{id: m.id, error: {{code: -32601, message: "Method not found"}}}});
  }}
  if (m.method === "ui/notifications/size-changed") frame.style.height = Math.min(m.params.height, 680) + "px";
}});
frame.srcdoc = {js(document)};
</script></body></html>"""


@pytest.fixture
def sandbox_on_a_port(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    code = ("from heygen_studio.sandbox import SandboxConfig, run_sandbox; "
            f"run_sandbox('127.0.0.1', {port}, SandboxConfig(render_seconds=1.0))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def serve_page() -> Iterator[Any]:
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(path: str, html: str) -> str:
        pages[path] = html.encode()
        return f"http://127.0.0.1:{server.server_address[1]}{path}"

    try:
        yield serve
    finally:
        server.shutdown()
        server.server_close()


def colours(png: bytes) -> set[bytes]:
    _, _, rows = chromium.png_pixels(png)
    return {row[i:i + 3] for row in rows for i in range(0, len(row), 3)}


def drawn(png: bytes) -> bool:
    """A picture (the poster or a frame of the video), not one flat colour nor an empty capture."""
    return bool(png) and len(colours(png)) >= 8


PROBE = """(() => { const v = document.querySelector("video"); if (!v) return null;
  const r = v.getBoundingClientRect();
  return {ready: v.readyState, error: v.error && v.error.code, width: v.videoWidth, height: v.videoHeight,
          duration: v.duration, poster: v.poster, src: v.currentSrc.slice(0, 300), hidden: v.hidden,
          rect: [r.x, r.y, r.width, r.height], title: document.getElementById("title").textContent,
          line: document.getElementById("status").textContent, saved: document.getElementById("path").textContent,
          button: !document.getElementById("open").hidden}; })()"""  # a data: URL's head only


@contextmanager
def browsing(url: str, tmp_path: Path) -> Iterator[chromium.Page]:
    """A headless Chromium showing ``url``; closed afterwards."""
    assert BROWSER is not None
    browser = chromium.Browser(BROWSER, tmp_path / "profile", tmp_path / "chromium.log")
    try:
        tab = chromium.Page(browser)
        tab.navigate(url)
        yield tab
    finally:
        browser.close()


def player_state(tab: chromium.Page) -> dict[str, Any]:
    found = [value for value in tab.in_frames(PROBE) if value]
    return found[0] if found else {}


def settled(state: dict[str, Any]) -> bool:
    """Whether the page has said how it ended. Its line is the page's own state: empty until the result arrives,
    "Loading …" while a video loads, then written once by the handler that ends it: the length and size on
    ``loadedmetadata``, or what could not be done. readyState and ``video.error`` change before those handlers run
    (and an expired link's error before the saved copy is even asked for), so they are no sign the page is done."""
    line = state.get("line", "")
    return bool(line) and not line.startswith("Loading")


async def settle(tab: chromium.Page, between: Callable[[], Awaitable[None]] | None = None,
                 seconds: float = 30) -> dict[str, Any]:
    """The player's state once the page has ``settled``, looked at every 0.1 s; ``between`` runs before each look
    (the host's part, such as forwarding the page's reads). Fails after ``seconds`` with the last state seen."""
    deadline = time.monotonic() + seconds
    while True:
        if between is not None:
            await between()
        state = player_state(tab)
        if settled(state):
            return state
        if time.monotonic() >= deadline:
            pytest.fail(f"the player did not settle in {seconds:.0f} s; last state seen: "
                        f"{state or 'no player frame with a <video>'}; the host saw {tab.evaluate('window.seen')}")
        await anyio.sleep(0.1)


async def pictures(tab: chromium.Page, seconds: float = 30) -> tuple[bytes, bytes]:
    """The whole page, and the video's area of it (a quarter scale) once that area is ``drawn`` (painting lags the
    page's state), or as it was after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        frame = tab.evaluate("(() => { const r = document.getElementById('view').getBoundingClientRect();"
                             " return [r.x, r.y]; })()")
        x, y, width, height = player_state(tab).get("rect") or (0, 0, 0, 0)
        area = tab.screenshot({"x": frame[0] + x, "y": frame[1] + y, "width": width, "height": height,
                               "scale": 0.25}) if width and height else b""
        if drawn(area) or time.monotonic() >= deadline:
            return tab.screenshot(), area
        await anyio.sleep(0.1)


async def rendered_and_saved(mcp: Client, script: str, title: str) -> tuple[dict[str, str], CallToolResult]:
    """download_video's arguments and result for a fresh sandbox avatar video."""
    look = (await mcp.call_tool("list_avatars", {"limit": 1})).structured_content["items"][0]["id"]  # type: ignore[index]
    job = (await mcp.call_tool("create_avatar_video", {"avatar_id": look, "script": script,
                                                       "title": title})).structured_content
    assert job is not None
    waited = (await mcp.call_tool("wait_for_job", {"job_id": job["job_id"], "max_wait_s": 30})).structured_content
    assert waited is not None and waited["status"] == "completed", waited
    arguments = {"job_id": job["job_id"]}
    result = await mcp.call_tool("download_video", arguments)
    assert not result.is_error, result.content[0].text
    return arguments, result


@pytest.mark.skipif(BROWSER is None, reason=WHY_NOT)
async def test_the_player_plays_a_sandbox_video_in_headless_chromium(
        tmp_path: Path, sandbox_on_a_port: str, serve_page: Any) -> None:
    settings = make_settings(tmp_path, heygen_sandbox=False, heygen_base_url=sandbox_on_a_port,
                             heygen_api_key="test-key-0123456789")
    async with Client(create_server(settings)) as mcp:
        arguments, result = await rendered_and_saved(mcp, "Hello from Chromium.", "Player in Chromium")
        page = (await mcp.read_resource(player.URI)).contents[0]
    saved = result.structured_content
    assert saved is not None and saved["video_url"].startswith(sandbox_on_a_port)
    csp = (page.meta or {})["ui"]["csp"]
    assert sandbox_on_a_port in csp["resourceDomains"]  # the sandbox's origin is admitted, nothing else local
    url = serve_page("/host.html", host_page(view_document(getattr(page, "text", ""), csp), arguments,
                                             result.model_dump(mode="json", by_alias=True, exclude_none=True)))

    with browsing(url, tmp_path) as tab:
        state = await settle(tab)
        shot, picture = await pictures(tab)
        seen = tab.evaluate("window.seen")
        ARTIFACT.parent.mkdir(exist_ok=True)
        ARTIFACT.write_bytes(shot)
        overview = tab.screenshot({"x": 0, "y": 0, "width": 800, "height": 700, "scale": 0.2})

    assert not state["error"], f"the video failed to load (MediaError {state['error']}): {state}"
    assert state["ready"] >= 1 and not state["hidden"], state  # HAVE_METADATA at least
    assert state["width"] > 0 and state["height"] > 0 and state["duration"] > 0, state
    assert state["src"] == saved["video_url"] and state["poster"] == saved["thumbnail_url"]
    assert state["title"] == "Player in Chromium"
    assert state["line"].endswith(f"{state['width']}×{state['height']}"), state["line"]  # drawn on loadedmetadata
    assert state["saved"] == saved["path"] and state["button"]
    assert seen[:2] == ["ui/initialize", "ui/notifications/initialized"] and "ui/notifications/size-changed" in seen
    assert "resources/read" not in seen  # a link the page can reach is played as it is
    assert len(colours(overview)) > 2, f"the screenshot {ARTIFACT} is blank"
    assert drawn(picture), f"the video's area in {ARTIFACT} is flat: nothing was drawn"


@pytest.mark.skipif(BROWSER is None, reason=WHY_NOT)
@pytest.mark.parametrize(("answered", "expired"), [(True, False), (False, False), (True, True)],
                         ids=["host-forwards-the-read", "host-refuses-the-read", "link-expired"])
async def test_an_embedded_sandbox_video_plays_through_the_host(tmp_path: Path, serve_page: Any,
                                                                answered: bool, expired: bool) -> None:
    settings = make_settings(tmp_path, heygen_sandbox_render_s=1.0)  # HEYGEN_SANDBOX=1, no port: in-process
    async with Client(create_server(settings)) as mcp:
        arguments, result = await rendered_and_saved(mcp, "Hello from the disk.", "Saved copy")
        saved = result.structured_content
        assert saved is not None and saved["video_url"] is None and saved["resource_uri"].startswith("heygen://files/")
        page = (await mcp.read_resource(player.URI)).contents[0]
        csp = (page.meta or {})["ui"]["csp"]
        shown = result.model_dump(mode="json", by_alias=True, exclude_none=True)
        if expired:  # a link the page may load that answers 404, as an expired presigned link does: the error
            gone = serve_page("/expired.mp4", "")  # event sends the page to the saved copy
            shown["structuredContent"]["video_url"] = gone
            csp = {"resourceDomains": [*csp["resourceDomains"], gone.rsplit("/", 1)[0]]}
        url = serve_page("/host.html", host_page(view_document(getattr(page, "text", ""), csp), arguments, shown,
                                                 reads=answered))
        forwarded: list[str] = []
        with browsing(url, tmp_path) as tab:

            async def forward() -> None:  # the host forwards each read the page asked for to the server
                for asked in tab.evaluate("(window.pending || []).splice(0)") or []:
                    forwarded.append(asked["params"]["uri"])
                    try:
                        read = await mcp.read_resource(asked["params"]["uri"])
                        reply: dict[str, Any] = {"result": read.model_dump(mode="json", by_alias=True,
                                                                           exclude_none=True)}
                    except MCPError as exc:
                        reply = {"error": {"code": exc.error.code, "message": exc.error.message}}
                    tab.evaluate(f"window.answer({json.dumps(asked['id'])}, {json.dumps(reply)})")

            state = await settle(tab, forward)
            shot, picture = await pictures(tab) if answered else (b"", b"")  # refused: nothing is to be drawn
            seen = tab.evaluate("window.seen")

    assert "resources/read" in seen and state["saved"] == saved["path"]
    if not answered:  # no forwarded read, no video: the fallback is what plays it
        assert forwarded == [] and state["ready"] == 0 and not state["src"], state
        assert "could not load the saved video (Method not found)" in state["line"], state["line"]
        return
    ARTIFACT.parent.mkdir(exist_ok=True)
    (ARTIFACT.parent / f"player-saved{'-expired' if expired else ''}.png").write_bytes(shot)
    assert forwarded == [saved["resource_uri"]], forwarded
    assert not state["error"], f"the saved copy failed to play (MediaError {state['error']}): {state}"
    assert state["ready"] >= 1 and state["src"].startswith("data:video/mp4;base64,"), state
    assert state["width"] > 0 and state["height"] > 0 and state["line"].endswith(f"{state['width']}×{state['height']}")
    assert drawn(picture), "the video's area is flat: nothing was drawn"


@pytest.mark.skipif(BROWSER is None, reason=WHY_NOT)
async def test_an_embedded_sandbox_video_not_yet_saved_says_to_download_it(tmp_path: Path, serve_page: Any) -> None:
    """wait_for_job's result for an embedded sandbox video: its link lives only inside the server and no copy is
    saved yet. The page must not offer that link, must not send the person to get_video (not in the default
    toolset), and must say what plays it: download_video."""
    from heygen_studio.tools import toolsets

    assert toolsets.TOOLSETS["download_video"] == toolsets.DEFAULT != toolsets.TOOLSETS["get_video"]
    settings = make_settings(tmp_path, heygen_sandbox_render_s=1.0, heygen_toolsets="default")
    async with Client(create_server(settings)) as mcp:
        look = (await mcp.call_tool("list_avatars", {"limit": 1})).structured_content["items"][0]["id"]  # type: ignore[index]
        job = (await mcp.call_tool("create_avatar_video", {"avatar_id": look, "script": "Not saved yet.",
                                                           "title": "Not saved"})).structured_content
        assert job is not None
        arguments = {"job_id": job["job_id"], "max_wait_s": 30}
        result = await mcp.call_tool("wait_for_job", arguments)
        page = (await mcp.read_resource(player.URI)).contents[0]
    waited = result.structured_content
    assert waited is not None and waited["status"] == "completed" and waited["video_url"]
    csp = (page.meta or {})["ui"]["csp"]
    url = serve_page("/host.html", host_page(view_document(getattr(page, "text", ""), csp), arguments,
                                             result.model_dump(mode="json", by_alias=True, exclude_none=True)))
    with browsing(url, tmp_path) as tab:
        state = await settle(tab)
        seen = tab.evaluate("window.seen")
    assert state["error"] and state["ready"] == 0, state  # the link did not play
    assert state["line"] == ("This view could not play the video's link (it may have expired, or only the server "
                             "can reach it). Run download_video: this view then plays the saved copy."), state
    assert "get_video" not in state["line"]
    assert not state["button"], "the page offers a link that cannot open"
    assert "resources/read" not in seen  # there is no saved copy to ask for
