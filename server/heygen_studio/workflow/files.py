"""Saved files as a client reaches them: the ``heygen://files/…`` URI of a file in the output folder (read over
MCP as a resource), and whether a media URL is one a browser could open at all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from .tenant import Tenant

FILES = "heygen://files/"
MAX_PLAY_BYTES = 32 << 20  # one read is one message (base64: a third more): bigger files are opened, not read
VIDEO_TYPES = {"video/mp4", "video/webm", "video/quicktime"}


def file_uri(output_dir: Path, path: str | Path) -> str | None:
    """The ``heygen://files/…`` URI of a saved file, if it lies in the output folder and is small enough to read."""
    try:
        relative = Path(path).relative_to(output_dir)
        if Path(path).stat().st_size > MAX_PLAY_BYTES:
            return None
    except (ValueError, OSError):
        return None
    return FILES + quote(relative.as_posix(), safe="/")


def reachable(state: Tenant, url: str | None) -> str | None:
    """``url`` if a browser could fetch it; None for a link that exists only inside this process (the embedded
    sandbox answers on an in-process transport), which the page would only fail to load."""
    wired = state.wired
    if url and wired.transport is not None and urlsplit(url).netloc == urlsplit(wired.base_url).netloc:
        return None
    return url
