"""download_video never silently overwrites a different file with the same name (issue #10 §4).

Through the MCP client, the server and the sandbox: a different file (or a link, or a folder) under the
name asked for is left as it is and the video goes to ``name-2.mp4``, and the result says so; the same
bytes already there are the answer (nothing rewritten, no ``-3`` copy piling up).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from test_boundaries_files import finished_video, outcome

pytestmark = pytest.mark.anyio


async def download(mcp: Client, job_id: str, filename: str | None = None) -> tuple[str, dict[str, Any]]:
    args = {"job_id": job_id} | ({"filename": filename} if filename else {})
    failed, text, saved = await outcome(mcp, "download_video", args)
    assert not failed and saved is not None, text
    return text, saved


async def video_bytes(mcp: Client, job_id: str) -> bytes:
    """This video's bytes (the sandbox renders each request its own file): saved once as ref.mp4, then removed."""
    _, ref = await download(mcp, job_id, "ref.mp4")
    path = Path(ref["path"])
    data = path.read_bytes()
    path.unlink()
    return data


async def test_a_different_file_under_the_name_is_kept_and_the_video_gets_a_new_name(
        mcp: Client, clock: Any, settings: Any) -> None:
    job_id = await finished_video(mcp, clock)
    mine = await video_bytes(mcp, job_id)
    out: Path = settings.heygen_output_dir
    out.mkdir(parents=True, exist_ok=True)
    theirs = out / "clip.mp4"
    theirs.write_bytes(b"someone else's clip, not this video")
    text, saved = await download(mcp, job_id, "clip.mp4")
    assert saved["path"] == str(out / "clip-2.mp4")
    assert Path(saved["path"]).read_bytes() == mine
    assert theirs.read_bytes() == b"someone else's clip, not this video"
    assert saved["note"] == ("clip.mp4 already holds a different file, left untouched; this one was saved as "
                             "clip-2.mp4.")
    assert "clip-2.mp4" in text and "left untouched" in text
    # asked again for the same name: clip.mp4 is still someone else's, clip-2.mp4 is this video already
    text, again = await download(mcp, job_id, "clip.mp4")
    assert again["path"] == saved["path"] and "same file" in again["note"] and "same file" in text
    assert sorted(p.name for p in out.iterdir()) == ["clip-2.mp4", "clip.mp4"]  # no -3, no .part left


async def test_the_same_video_again_under_its_name_is_kept_not_rewritten(
        mcp: Client, clock: Any, settings: Any) -> None:
    job_id = await finished_video(mcp, clock)
    _, first = await download(mcp, job_id)
    assert first["note"] is None
    path = Path(first["path"])
    before = path.stat()
    text, second = await download(mcp, job_id)
    assert second["path"] == first["path"] and second["size_bytes"] == first["size_bytes"] and "same file" in text
    assert second["note"] == f"{path.name} already held this same file, byte for byte: nothing was written."
    assert second["already_saved"] and text.startswith("Already saved: ") and "Saved" not in text
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(p.name for p in settings.heygen_output_dir.iterdir()) == [path.name]


@pytest.mark.parametrize("occupant", ["same size, other bytes", "folder", "link to an outside file"])
async def test_a_look_alike_a_folder_or_a_link_under_the_name_is_left_alone(
        occupant: str, tmp_path: Path, mcp: Client, clock: Any, settings: Any) -> None:
    job_id = await finished_video(mcp, clock)
    mine = await video_bytes(mcp, job_id)
    out: Path = settings.heygen_output_dir
    out.mkdir(parents=True, exist_ok=True)
    there = out / "clip.mp4"
    victim = tmp_path / "victim.mp4"  # outside the output folder: never followed, never replaced
    victim.write_bytes(mine)  # even with this very video's bytes, a link is not our file
    if occupant == "folder":
        there.mkdir()
    elif occupant == "link to an outside file":
        there.symlink_to(victim)
    else:
        look_alike = bytearray(mine)
        look_alike[-1] ^= 0xFF  # the same size, one byte different: a size check alone would be fooled
        there.write_bytes(bytes(look_alike))
    _, saved = await download(mcp, job_id, "clip.mp4")
    path = Path(saved["path"])
    assert path == out / "clip-2.mp4" and "different file" in saved["note"]
    assert not path.is_symlink() and path.read_bytes() == mine
    assert victim.read_bytes() == mine
    if occupant == "folder":
        assert there.is_dir()
    elif occupant == "link to an outside file":
        assert there.is_symlink() and there.resolve() == victim.resolve()
    else:
        assert there.read_bytes() != mine
