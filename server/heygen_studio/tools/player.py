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

A saved video is also a resource, ``heygen://files/{+path}`` (its path inside HEYGEN_OUTPUT_DIR; ``resource_uri``
in ``download_video``'s and ``produce_video``'s results, and their resource link). When the link cannot play
(it expired, or it lives only inside this process: the embedded sandbox's, which the tools leave out), the page
asks the host for that resource (``resources/read``, which MCP Apps hosts forward to the server) and plays the
bytes from a ``data:`` URL, which the spec's CSP admits. A read is confined to the output folder
(``core.files.open_below``), videos only, and at most ``MAX_PLAY_BYTES``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import anyio
from mcp.server import MCPServer
from mcp.server.apps import Apps, ResourceCsp
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from ..core.errors import DEFAULT_BASE_URL, HeyGenError
from ..core.files import open_below
from ..core.mime import SNIFF_BYTES, sniff
from ..workflow.files import FILES, MAX_PLAY_BYTES, VIDEO_TYPES
from ..workflow.state import AppState  # not .common: the server imports this module at start-up, and common is heavy
from .person import person_of

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


def read_saved(output_dir: Path, relative: str) -> tuple[bytes, str]:
    """A saved video's bytes and MIME type (checked on the opened file, in a worker thread)."""
    try:
        with open_below(output_dir, relative) as file:
            mime = sniff(file.head(SNIFF_BYTES))
            if mime not in VIDEO_TYPES:
                raise ResourceNotFoundError(f"{relative} is not a video (MP4, WebM or QuickTime); only saved videos "
                                            "are readable here")
            if file.size > MAX_PLAY_BYTES:
                raise ResourceNotFoundError(
                    f"{relative} is {file.size} bytes, more than the {MAX_PLAY_BYTES} this resource reads at once; "
                    f"open the saved file instead: {file.path}")
            return file.read_all(), mime or "video/mp4"
    except HeyGenError as exc:  # FileRefused: outside, a link out, special, missing (with files next to it)
        raise ResourceNotFoundError(exc.describe()) from None
    except OSError as exc:  # unreadable (permissions, I/O): a refusal with the reason, not a crash
        raise ResourceError(f"{relative[:120]} cannot be read ({exc.strerror or type(exc).__name__}); check that "
                            "file's permissions, or open the saved file instead") from None


def register_files(mcp: MCPServer[Any]) -> None:
    """The saved-videos template, among the resources (it adds nothing to tools/list). Public SDK methods only:
    the template declares ``video/mp4``; ``typed`` gives a transparent WebM its own type on the way out."""

    @mcp.resource(FILES + "{+path}", name="saved-video", title="A saved video", mime_type="video/mp4",
                  description="A video download_video or produce_video saved, by its path in the output folder "
                              f"(at most {MAX_PLAY_BYTES >> 20} MiB): what the inline player plays when the link "
                              "cannot.")
    async def saved_video(path: str, ctx: Context) -> bytes:  # bare Context: the SDK finds it in resources
        state = cast(AppState, ctx.request_context.lifespan_context)
        person = person_of(state)  # a team server: their own folder, never another person's
        folder = state.settings.heygen_output_dir if person is None else state.account(person).output_dir
        data, _ = await anyio.to_thread.run_sync(read_saved, folder, path)
        return data


def typed(uri: str, contents: Iterable[ReadResourceContents]) -> list[ReadResourceContents]:
    """A saved video's contents with the type of its own bytes (MP4, WebM or QuickTime); others unchanged."""
    out = list(contents)
    if not str(uri).startswith(FILES):
        return out
    return [replace(c, mime_type=sniff(c.content[:SNIFF_BYTES]) or c.mime_type) if isinstance(c.content, bytes)
            else c for c in out]
