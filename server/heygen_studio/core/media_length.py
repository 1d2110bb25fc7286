"""How long a video at a URL lasts, read from as few of its bytes as possible (issue #14 §1: a translation's
source is priced by its length, not a guess).

An MP4 (or MOV) says its length in ``moov/mvhd`` (timescale and duration). ``moov`` sits either before the media
data (a "fast start" file: within the first bytes) or after it; top-level boxes give their sizes, so the
reader walks them, asking only for the bytes at each box's start. ``read(offset, length)`` returns up to
``length`` bytes at ``offset`` (or None when the server cannot serve that range), so the same walk runs over
HTTP ranges or a local file. Anything else (WebM, a page, a truncated file) is ``None``: not known.
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable

HEAD_BYTES = 256 * 1024  # the first read: a fast-start file's moov is in it
BOX_BYTES = 64 * 1024  # each later read, at a box's start (moov's mvhd is its first child)
MAX_READS = 8

Read = Callable[[int, int], Awaitable[bytes | None]]


def _mvhd_seconds(moov: bytes) -> float | None:
    """The duration in ``moov``'s ``mvhd`` box (``moov`` without its own header)."""
    at = 0
    while at + 8 <= len(moov):
        size, kind = struct.unpack(">I4s", moov[at:at + 8])
        if kind == b"mvhd":
            body = moov[at + 8:at + size] if size >= 8 else moov[at + 8:]
            if len(body) < 20:
                return None
            if body[0] == 1:  # version 1: 64-bit times
                if len(body) < 32:
                    return None
                timescale, duration = struct.unpack(">IQ", body[20:32])
            else:
                timescale, duration = struct.unpack(">II", body[12:20])
            return duration / timescale if timescale and duration and duration != 0xFFFFFFFF else None
        if size < 8:
            return None
        at += size
    return None


async def mp4_seconds(read: Read) -> float | None:
    """The length of the MP4 ``read`` serves, or None when it is not one or cannot be read."""
    buffer = await read(0, HEAD_BYTES)
    if not buffer or len(buffer) < 8 or buffer[4:8] != b"ftyp":
        return None
    base, at = 0, 0  # ``buffer`` holds the file's bytes from ``base``; ``at`` is the next box's offset in the file
    for _ in range(MAX_READS):
        local = at - base
        if local < 0 or local + 16 > len(buffer):
            buffer = await read(at, BOX_BYTES) or b""
            base, local = at, 0
            if len(buffer) < 8:
                return None
        size, kind = struct.unpack(">I4s", buffer[local:local + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", buffer[local + 8:local + 16])[0], 16
        if kind == b"moov":
            wanted = min(size - header, BOX_BYTES - header) if size > header else BOX_BYTES - header
            if len(buffer) - local - header < wanted and local:  # cut short here: read from the box's start
                buffer, base = await read(at, BOX_BYTES) or b"", at
                local = 0
            return _mvhd_seconds(buffer[local + header:local + max(size, header)])
        if size < header:  # 0: runs to the end of the file, with no moov after it
            return None
        at += size
    return None
