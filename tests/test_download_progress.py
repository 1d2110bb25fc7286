"""A download reports its bytes (issue #10 §2: the shell's download bar shows bytes and speed): the core's
``download`` after every chunk written, ``download_video`` as MCP progress in bytes with the file's size as
the total, increasing to the size, whatever the client."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client

from heygen_studio.core.files import CHUNK
from heygen_studio.core.transfer import download

pytestmark = pytest.mark.anyio
MEDIA = bytes(range(256)) * (CHUNK * 3 // 256 + 10)  # three chunks and a bit


def media_server(request: httpx2.Request) -> httpx2.Response:
    """A CDN stand-in that honours Range, as HeyGen's media host does."""
    start = int(request.headers.get("range", "bytes=0-").removeprefix("bytes=").rstrip("-") or 0)
    if start:
        return httpx2.Response(206, content=MEDIA[start:],
                               headers={"content-range": f"bytes {start}-{len(MEDIA) - 1}/{len(MEDIA)}"})
    return httpx2.Response(200, content=MEDIA)


async def test_download_reports_bytes_after_each_chunk(tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []

    async def on_bytes(done: int, total: int | None) -> None:
        seen.append((done, total))

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(media_server)) as http:
        result = await download(http, "https://media.test/v.mp4", tmp_path / "v.mp4", on_bytes=on_bytes)
    assert result.size == len(MEDIA) == seen[-1][0]
    assert [done for done, _ in seen] == [min(n * CHUNK, len(MEDIA)) for n in range(1, len(seen) + 1)]
    assert {total for _, total in seen} == {len(MEDIA)}


async def test_a_resumed_download_counts_from_the_bytes_already_saved(tmp_path: Path) -> None:
    (tmp_path / "v.mp4.part").write_bytes(MEDIA[:1000])
    seen: list[int] = []

    async def on_bytes(done: int, total: int | None) -> None:
        seen.append(done)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(media_server)) as http:
        result = await download(http, "https://media.test/v.mp4", tmp_path / "v.mp4", on_bytes=on_bytes)
    assert result.resumed_from == 1000 and seen[0] == 1000 + CHUNK and seen[-1] == len(MEDIA)
    assert (tmp_path / "v.mp4").read_bytes() == MEDIA


async def test_download_video_progress_is_in_bytes(mcp: Client, clock: Any) -> None:
    look = (await mcp.call_tool("list_avatars", {"limit": 1})).structured_content["items"][0]["id"]
    job = (await mcp.call_tool("create_avatar_video", {"avatar_id": look, "script": "Bytes, please."})
           ).structured_content["job_id"]
    clock.advance(3600)
    assert (await mcp.call_tool("wait_for_job", {"job_id": job, "max_wait_s": 5})).structured_content["done"]
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    result = await mcp.call_tool("download_video", {"job_id": job}, progress_callback=progress)
    size = result.structured_content["size_bytes"]
    assert seen[0][0] == 0 and str(seen[0][2]).startswith("downloading ")
    assert seen[-1] == (size, size, "downloaded")
    assert all(a[0] < b[0] for a, b in pairwise(seen))  # increasing, as the spec asks
    assert all(total in (None, size) for _, total, _ in seen)
