"""Saved videos as MCP resources (``heygen://files/{+path}``), at the wire: what the inline player reads through
its host (MCP Apps ``resources/read``) when a video's link cannot play.

A real download through the sandbox, then reads over an in-memory MCP client: the bytes are the file's, and
every hostile path is refused with a message and nothing read — ``..``, absolute paths, NUL, a link leading
out of the output folder, the hidden state folder, a file that is not a video, and a file over the size cap
(a sparse file: no memory or disk is spent making it).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from heygen_studio.core.files import FileRefused, open_below
from heygen_studio.server import create_server
from heygen_studio.workflow import files as player

pytestmark = pytest.mark.anyio


async def downloaded(mcp: Client, clock: Any) -> tuple[dict[str, Any], Any]:
    look = (await mcp.call_tool("list_avatars", {"limit": 1})).structured_content["items"][0]["id"]  # type: ignore[index]
    job = (await mcp.call_tool("create_avatar_video", {"avatar_id": look, "script": "Hello from the disk.",
                                                       "title": "Saved"})).structured_content
    assert job is not None
    clock.advance(3600)
    result = await mcp.call_tool("download_video", {"job_id": job["job_id"]})
    assert not result.is_error, result.content[0].text
    assert result.structured_content is not None
    return result.structured_content, result


async def refused(mcp: Client, uri: str) -> str:
    with pytest.raises(MCPError) as caught:
        await mcp.read_resource(uri)
    return str(caught.value)


async def test_a_downloaded_video_reads_back_byte_for_byte(mcp: Client, clock: Any, settings: Any) -> None:
    out, result = await downloaded(mcp, clock)
    path = Path(out["path"])
    uri = f"heygen://files/{path.name}"
    assert out["resource_uri"] == uri and out["uri"] == path.as_uri()  # uri/path stay the local file
    # The embedded sandbox's links exist only inside this process: the page is not given them.
    assert out["video_url"] is None and out["thumbnail_url"] is None
    links = [block for block in result.content if block.type == "resource_link"]
    assert [str(link.uri) for link in links] == [uri]  # a link any client can read over MCP
    assert "heygen://" not in result.content[0].text  # the model's text is as before
    contents = (await mcp.read_resource(uri)).contents
    assert len(contents) == 1 and contents[0].mime_type == "video/mp4" and str(contents[0].uri) == uri
    assert base64.b64decode(getattr(contents[0], "blob", "")) == path.read_bytes()
    templates = {t.uri_template for t in (await mcp.list_resource_templates()).resource_templates}
    assert "heygen://files/{+path}" in templates


async def test_a_batch_folder_and_a_webm_read_with_their_own_type(mcp: Client, settings: Any) -> None:
    folder = settings.heygen_output_dir / "batch-0123456789ab"
    folder.mkdir(parents=True)
    webm = folder / "01-clip.webm"
    webm.write_bytes(b"\x1a\x45\xdf\xa3" + os.urandom(2000))
    content = (await mcp.read_resource("heygen://files/batch-0123456789ab/01-clip.webm")).contents[0]
    assert content.mime_type == "video/webm" and base64.b64decode(getattr(content, "blob", "")) == webm.read_bytes()


@pytest.mark.parametrize("path", [
    "../secret.mp4", "a/../../secret.mp4", "%2E%2E/secret.mp4", "..%2Fsecret.mp4",  # traversal, raw or encoded
    "/etc/passwd", "%2Fetc%2Fpasswd",  # absolute
    "video%00.mp4",  # NUL
    ".heygen-studio/jobs.sqlite3",  # the job store's hidden folder
    "x" * 5000 + ".mp4",  # over-long
])
async def test_hostile_paths_are_refused(mcp: Client, settings: Any, tmp_path: Path, path: str) -> None:
    (tmp_path / "secret.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + b"secret" * 10)
    message = await refused(mcp, "heygen://files/" + path)
    assert "secret" not in message.replace("secret.mp4", "")  # nothing of the file comes back


async def test_a_link_leading_out_of_the_output_folder_is_refused(mcp: Client, settings: Any, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.mp4"
    outside.write_bytes(b"\0\0\0\x18ftypmp42" + b"private" * 10)
    settings.heygen_output_dir.mkdir(parents=True, exist_ok=True)
    (settings.heygen_output_dir / "link.mp4").symlink_to(outside)
    (settings.heygen_output_dir / "folder").symlink_to(tmp_path)
    assert "outside" in await refused(mcp, "heygen://files/link.mp4")
    assert "outside" in await refused(mcp, "heygen://files/folder/elsewhere.mp4")


async def test_only_videos_and_only_up_to_the_cap(mcp: Client, settings: Any) -> None:
    out = settings.heygen_output_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "notes.mp4").write_text("not a video at all, whatever its name says")
    assert "not a video" in await refused(mcp, "heygen://files/notes.mp4")
    (out / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert "not a video" in await refused(mcp, "heygen://files/image.png")
    assert "No file" in await refused(mcp, "heygen://files/missing.mp4")
    big = out / "big.mp4"
    with big.open("wb") as handle:  # sparse: one byte past the cap costs no disk and is never read
        handle.write(b"\0\0\0\x18ftypmp42")
        handle.truncate(player.MAX_PLAY_BYTES + 1)
    message = await refused(mcp, "heygen://files/big.mp4")
    assert str(player.MAX_PLAY_BYTES) in message and "open the saved file" in message and str(big) in message
    assert player.file_uri(out, big) is None  # so no result offers it: its link stays the local file
    assert player.file_uri(out, out / "notes.mp4") == "heygen://files/notes.mp4"


@pytest.mark.parametrize("relative", ["../x.mp4", "a/../x.mp4", "/etc/passwd", "x\0.mp4", "a\\..\\x.mp4", "",
                                      "a//x.mp4", ".hidden.mp4", "x" * 1025])
def test_the_core_refuses_what_the_sdk_would_have_refused_too(tmp_path: Path, relative: str) -> None:
    """Defence in depth: ``open_below`` does not rely on the SDK's own template checks (which run first)."""
    (tmp_path / "x.mp4").write_bytes(b"\0\0\0\x18ftypmp42")
    root = tmp_path / "out"
    root.mkdir()
    with pytest.raises(FileRefused, match="not a plain path"):
        open_below(root, relative)


async def test_an_over_long_name_and_a_file_used_as_a_folder_are_refused_with_the_real_reason(
        settings: Any, wire: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Issue #14 §3: a 256+ character name answered a bare "Error creating resource from template" (and logged
    a traceback); ``ok.mp4/x.mp4`` said the file "changed while it was being opened". Both are plain refusals
    now, naming the real reason, logged without a traceback. (A client as a host has one, not raising the
    server's exceptions into the test: the server's own logging is what is checked.)"""
    out = settings.heygen_output_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "ok.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + b"x" * 100)
    async with Client(create_server(settings, transport=wire)) as mcp:
        for name in ("a" * 256 + ".mp4", "é" * 130 + ".mp4", "batch/" + "b" * 300 + "/x.mp4"):
            message = await refused(mcp, "heygen://files/" + name)
            assert "more than the 255 a file or folder name may have" in message, message
            assert "Error creating resource" not in message
        message = await refused(mcp, "heygen://files/ok.mp4/x.mp4")
        assert "ok.mp4 is a file, not a folder" in message and "changed" not in message, message
    errors = [r for r in caplog.records if r.levelno >= 30 or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]


async def test_a_link_swapped_in_for_a_folder_still_reads_as_changed_not_as_a_file(
        mcp: Client, settings: Any, tmp_path: Path) -> None:
    """The 'file, not a folder' reason is only given for a regular file: a link that stands on the way stays
    a refusal (it leads out of the folder), never a read through it."""
    out = settings.heygen_output_dir
    out.mkdir(parents=True, exist_ok=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + b"private" * 10)
    (out / "sub").symlink_to(tmp_path / "elsewhere")
    message = await refused(mcp, "heygen://files/sub/x.mp4")
    assert "outside" in message and "private" not in message and "is a file" not in message
