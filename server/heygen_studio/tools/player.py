"""The inline player: an MCP Apps view (``io.modelcontextprotocol/ui``, SEP-1865) for finished videos.

``get_video``, ``wait_for_job``, ``download_video`` and ``produce_video`` carry ``_meta.ui.resourceUri`` =
``ui://heygen-studio/player`` (``TOOL_META``). A host with MCP Apps reads that resource once (``player.html``,
served as ``text/html;profile=mcp-app`` by the SDK's ``Apps`` extension), renders it in a sandboxed frame and
posts each such tool's result to it over the ``ui/*`` postMessage bridge; the page shows the thumbnail,
plays the video and offers the file. The page reads only the result's ``structuredContent`` (``video_url``,
``thumbnail_url``, ``path``, …): fields a model does not need are marked ``TEXT_OMITS`` there, so the text a
model reads is what it was. A client without Apps ignores ``_meta`` and gets the same text and structure.

The host's Content-Security-Policy admits only the origins ``csp`` declares: HeyGen's media hosts, plus the
API's own origin when it is not HeyGen's (a sandbox on a port serves its MP4s from there).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from mcp.server.apps import Apps, ResourceCsp

from ..core.http import DEFAULT_BASE_URL

URI = "ui://heygen-studio/player"
TOOL_META: dict[str, Any] = {"ui": {"resourceUri": URI}}
MEDIA_HOSTS = ("https://*.heygen.ai", "https://*.heygen.com")  # files2., resource2., dynamic.heygen.ai …


@cache
def html() -> str:
    return files(__package__).joinpath("player.html").read_text(encoding="utf-8")


def media_origins(base_url: str) -> list[str]:
    """Where the page may load video and images from: HeyGen's hosts, and a non-HeyGen API's own origin."""
    origins = list(MEDIA_HOSTS)
    if base_url.rstrip("/") != DEFAULT_BASE_URL.rstrip("/"):
        parts = urlsplit(base_url)
        if parts.scheme in ("http", "https") and parts.hostname:
            origins.append(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}")
    return origins


def apps(base_url: str) -> Apps:
    """The Apps extension serving the player (the tools link it themselves: they are listed from the manifest)."""
    extension = Apps()
    extension.add_html_resource(
        URI, html(), name="player", title="Video player",
        description="Shows a finished video's thumbnail, plays it and offers the file (MCP Apps view).",
        csp=ResourceCsp(resource_domains=media_origins(base_url)), prefers_border=True)
    return extension
