"""The inline player (issue 10 §5, MCP Apps) at the wire, over an in-memory MCP client against the sandbox.

A host with Apps finds ``_meta.ui.resourceUri`` on the four tools that end with a video, reads the ``ui://``
resource (HTML served as ``text/html;profile=mcp-app`` with its CSP) and hands the tool result to the page.
A client without Apps (the SDK's own client advertises none) gets the same complete text and structured
content as before: the fields only the page uses are in the structure, not in the text a model reads.
The page itself runs in headless Chromium in ``test_player_browser.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client
from mcp.types import CallToolResult

from heygen_studio.tools import player, text

pytestmark = pytest.mark.anyio
PLAYER_TOOLS = {"get_video", "wait_for_job", "download_video", "produce_video"}
APP_MIME = "text/html;profile=mcp-app"


async def test_the_four_video_tools_link_the_player_and_no_other_does(mcp: Client) -> None:
    tools = {t.name: t for t in (await mcp.list_tools()).tools}
    linked = {name for name, tool in tools.items() if tool.meta and "ui" in tool.meta}
    assert linked == PLAYER_TOOLS
    for name in PLAYER_TOOLS:
        assert tools[name].meta == {"ui": {"resourceUri": player.URI}}, name
    assert mcp.server_capabilities is not None and mcp.server_capabilities.extensions is not None
    assert "io.modelcontextprotocol/ui" in mcp.server_capabilities.extensions


async def test_the_player_resource_is_self_contained_html_with_its_csp(mcp: Client) -> None:
    listed = [r for r in (await mcp.list_resources()).resources if str(r.uri) == player.URI]
    assert len(listed) == 1 and listed[0].mime_type == APP_MIME
    contents = (await mcp.read_resource(player.URI)).contents
    assert len(contents) == 1
    page = contents[0]
    assert page.mime_type == APP_MIME and str(page.uri) == player.URI
    html = getattr(page, "text", "")
    assert html.startswith("<!doctype html>") and "</html>" in html and "<video" in html
    assert "ui/initialize" in html and "ui/notifications/tool-result" in html
    # No external script, style, font or frame: the host's CSP admits media and images from HeyGen only.
    assert not re.search(r"<(script|link|iframe)[^>]+(src|href)=", html, re.I), "the page loads something external"
    assert not re.search(r"https?://", html), "the page names an external address"
    assert len(html.encode()) < 8192, f"the player page grew to {len(html.encode())} bytes"
    assert page.meta == {"ui": {"csp": {"resourceDomains": ["https://*.heygen.ai", "https://*.heygen.com"]},
                                "prefersBorder": True}}


@pytest.mark.parametrize(("base", "origins"), [
    ("https://api.heygen.com", []),
    ("http://127.0.0.1:8765", ["http://127.0.0.1:8765"]),
    ("https://user:secret@proxy.example.com:8443/heygen", ["https://proxy.example.com:8443"]),
])
def test_the_csp_admits_heygen_and_a_sandbox_on_a_port(base: str, origins: list[str]) -> None:
    assert player.media_origins(base) == [*player.MEDIA_HOSTS, *origins]


async def result_schema(mcp: Client, tool: str) -> dict[str, Any]:
    return json.loads(getattr((await mcp.read_resource(f"heygen://schemas/{tool}")).contents[0], "text", ""))


async def whole(mcp: Client, tool: str, args: dict[str, Any]) -> tuple[CallToolResult, dict[str, Any]]:
    """A successful result whose structure validates against the tool's result schema."""
    result = await mcp.call_tool(tool, args)
    assert not result.is_error, result.content[0].text
    structured = result.structured_content
    assert structured is not None
    jsonschema.validate(structured, await result_schema(mcp, tool))
    return result, structured


def model_text(result: CallToolResult) -> str:
    return " ".join(block.text for block in result.content if block.type == "text")


async def test_a_client_without_apps_still_gets_the_complete_result(mcp: Client, clock: Any) -> None:
    look = (await mcp.call_tool("list_avatars", {"limit": 1})).structured_content["items"][0]["id"]  # type: ignore[index]
    job = (await mcp.call_tool("create_avatar_video", {"avatar_id": look, "script": "Hello from the player.",
                                                       "title": "Player"})).structured_content
    assert job is not None
    clock.advance(3600)

    waited, status = await whole(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 5})
    assert status["done"] and status["video_url"] and status["thumbnail_url"]
    # The text a model reads is the compact rendering of the structure, less the page-only thumbnail.
    assert model_text(waited) == text.render(status, await result_schema(mcp, "wait_for_job"))
    assert status["video_url"] in model_text(waited) and "thumbnail_url" not in model_text(waited)

    _, info = await whole(mcp, "get_video", {"job_id": job["job_id"]})
    assert info["video_url"] and info["thumbnail_url"] and info["title"] == "Player"

    saved, out = await whole(mcp, "download_video", {"job_id": job["job_id"]})
    path = Path(out["path"])
    assert path.read_bytes()[4:8] == b"ftyp"
    # This sandbox answers inside the process: its links would not load in a page, so the page gets the saved
    # file's resource instead (it reads it through the host; test_saved_videos.py, test_player_browser.py).
    assert out["video_url"] is None and out["thumbnail_url"] is None
    assert out["resource_uri"] == f"heygen://files/{path.name}" and out["uri"] == path.as_uri()
    assert model_text(saved) == f"Saved {out['size_bytes']} bytes to {path}"  # as before: no URL for the model
    links = [block for block in saved.content if block.type == "resource_link"]
    assert [str(link.uri) for link in links] == [out["resource_uri"]]


async def test_produce_video_gives_the_page_the_video_it_saved(mcp: Client, clock: Any) -> None:
    args = {"brief": "A short hello for the player", "duration_s": 10, "max_wait_s": 1}
    first, rendering = await whole(mcp, "produce_video", args)
    assert rendering["stage"] == "rendering" and rendering.get("video_url") is None
    clock.advance(3600)
    done, produced = await whole(mcp, "produce_video", args)
    assert produced["stage"] == "done" and Path(produced["path"]).is_file()
    assert produced["video_url"] is None and produced["thumbnail_url"] is None  # in-process links: not for a page
    assert produced["resource_uri"] == f"heygen://files/{Path(produced['path']).name}"
    shown = model_text(done)
    assert produced["path"] in shown and "video_url" not in shown and "heygen://" not in shown
    assert first.meta is None or "ui" not in first.meta  # the link is on the tool, not repeated per result
