"""Issue 8 §2 "Local files" and "Downloads", at the wire: an MCP client, the server, the sandbox.

Which folders a path may come from (the output folder, HEYGEN_ALLOWED_DIRS, the client's roots; never the
working folder by default), what is opened (a regular file, the very one checked, under the size limit),
that hashing a big file leaves the server free, and that a download never writes through a planted link.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.types import ListRootsResult, Root

from conftest import make_settings
from heygen_studio.server import create_server
from heygen_studio.settings import Settings

pytestmark = pytest.mark.anyio
MEDIA = Path(__file__).resolve().parents[1] / "server" / "heygen_studio" / "sandbox" / "media"
JPEG = (MEDIA / "sample.jpg").read_bytes()


async def outcome(client: Client, name: str, args: dict[str, Any]) -> tuple[bool, str, dict[str, Any] | None]:
    """(is_error, text, structured content) of one call; an error must be ours, never the SDK's hidden one."""
    result = await client.call_tool(name, args)
    text = result.content[0].text if result.content else ""
    if result.is_error:
        assert text.startswith(f"Error executing tool {name}: "), text
    return result.is_error, text, result.structured_content


def uploads(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "POST" and r.path.startswith("/v3/assets")]


# -- which folders ---------------------------------------------------------------------------------------------
async def test_the_working_folder_is_not_allowed_by_default(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    # conftest's clean_environ has moved into tmp_path: the working folder. Only the output folder is allowed.
    settings = Settings(_env_file=None, heygen_sandbox=True, heygen_output_dir=tmp_path / "out",
                        heygen_toolsets="all")
    assert settings.heygen_allowed_dirs == [tmp_path / "out"]
    (tmp_path / "face.jpg").write_bytes(JPEG)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "face.jpg").write_bytes(JPEG)
    async with Client(create_server(settings, transport=wire)) as client:
        failed, text, _ = await outcome(client, "upload_asset", {"path": "face.jpg"})
        assert failed and "outside the allowed folders" in text and "HEYGEN_ALLOWED_DIRS" in text
        assert uploads(sandbox) == []  # refused before any request
        failed, text, _ = await outcome(client, "upload_asset", {"path": str(tmp_path / "out" / "face.jpg")})
        assert not failed, text


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # 2026-07-28 (input-required round) and 2025-11-25 sessions
async def test_client_roots_are_allowed_and_asked_again_when_they_change(
        mode: str, tmp_path: Path, wire: Any, sandbox: Any) -> None:
    project, other = tmp_path / "project", tmp_path / "other"
    for folder in (project, other):
        folder.mkdir()
        (folder / "face.jpg").write_bytes(JPEG)
    declared = [Root(uri=project.as_uri(), name="project")]
    asked = []

    async def list_roots(context: Any) -> ListRootsResult:
        asked.append(1)
        return ListRootsResult(roots=declared)

    settings = make_settings(tmp_path, heygen_allowed_dirs=[])  # the output folder only, plus the roots
    async with Client(create_server(settings, transport=wire), mode=mode, list_roots_callback=list_roots) as client:
        failed, text, _ = await outcome(client, "upload_asset", {"path": str(project / "face.jpg")})
        assert not failed, text
        failed, text, _ = await outcome(client, "upload_asset", {"path": str(other / "face.jpg")})
        assert failed and "outside the allowed folders" in text and str(project) in text
        declared[:] = [Root(uri=other.as_uri(), name="other")]
        if mode == "legacy":  # a 2025-11-25 client says so; the server asks afresh at the next call either way
            with pytest.warns(MCPDeprecationWarning):
                await client.send_roots_list_changed()
        failed, text, _ = await outcome(client, "upload_asset", {"path": str(other / "face.jpg")})
        assert not failed, text
        failed, text, _ = await outcome(client, "upload_asset", {"path": str(project / "face.jpg")})
        assert failed and "outside the allowed folders" in text
        n = len(asked)
        failed, _, _ = await outcome(client, "upload_asset", {"path": str(tmp_path / "out" / "x.jpg")})
        assert len(asked) == n  # a path in the output folder needs no roots: none asked for

        # A client declaring / or the home folder does not open the whole disk (that stays HEYGEN_ALLOWED_DIRS').
        declared[:] = [Root(uri="file:///", name="disk"), Root(uri=Path.home().as_uri(), name="home")]
        failed, text, _ = await outcome(client, "upload_asset", {"path": str(other / "face.jpg")})
        assert failed and "outside the allowed folders" in text
    assert len([r for r in uploads(sandbox) if r.path == "/v3/assets"]) == 1  # the second upload reused the first


async def test_an_allowed_folder_passed_as_a_file_lists_nothing_around_it(
        tmp_path: Path, wire: Any, sandbox: Any) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (tmp_path / "salary-2025.xlsx").write_bytes(b"secret")  # in the allowed folder's parent
    settings = make_settings(tmp_path, heygen_allowed_dirs=[allowed])
    async with Client(create_server(settings, transport=wire)) as client:
        failed, text, _ = await outcome(client, "upload_asset", {"path": str(allowed)})
        assert failed and "is a folder" in text and "salary" not in text
        failed, text, _ = await outcome(client, "upload_asset", {"path": str(allowed / "missing.jpg")})
        assert failed and "No file at" in text and "salary" not in text
    assert uploads(sandbox) == []


# -- what is opened --------------------------------------------------------------------------------------------
async def test_special_files_are_refused_without_opening_them(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    fifo = allowed / "photo.jpg"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    settings = make_settings(tmp_path, heygen_allowed_dirs=[allowed, Path("/proc/self"), Path("/dev")])
    async with Client(create_server(settings, transport=wire)) as client:
        with anyio.fail_after(5):
            failed, text, _ = await outcome(client, "upload_asset", {"path": str(fifo)})
        assert failed and "FIFO" in text and "not a regular file" in text
        for special in ("/proc/self/environ", "/dev/zero"):
            with anyio.fail_after(5):
                failed, text, _ = await outcome(client, "upload_asset", {"path": special})
            assert failed and "not a regular file" in text, text
    assert uploads(sandbox) == []


def sparse_photo(path: Path, size: int) -> Path:
    with path.open("wb") as fh:
        fh.write(JPEG[:4096])  # a JPEG by its first bytes; the rest is a hole (no disk used)
        fh.truncate(size)
    return path


async def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(
        tmp_path: Path, mcp: Client, sandbox: Any) -> None:
    from heygen_studio.core.models import MAX_UPLOAD_BYTES

    big = sparse_photo(tmp_path / "huge.jpg", 6 * 1024**3)  # the 6 GiB photo
    started = time.monotonic()
    with anyio.fail_after(10):
        failed, text, _ = await outcome(mcp, "upload_asset", {"path": str(big)})
        assert failed and f"at most {MAX_UPLOAD_BYTES} bytes" in text
        failed, text, _ = await outcome(mcp, "create_photo_avatar", {"photo": str(big), "name": "Huge"})
        assert failed and f"at most {MAX_UPLOAD_BYTES} bytes" in text
    assert time.monotonic() - started < 2  # hashing 6 GiB would take seconds: nothing was read
    assert uploads(sandbox) == [] and not [r for r in sandbox.requests if r.path.startswith("/v3/avatars")]


async def test_hashing_a_big_photo_leaves_other_calls_free(tmp_path: Path, mcp: Client, sandbox: Any) -> None:
    """A 768 MiB photo is hashed (for the never-pay-twice key) while other calls are answered at once."""
    big = sparse_photo(tmp_path / "big.jpg", 768 * 1024**2)
    sandbox.faults.inject("POST", "/v3/assets/direct-uploads", "status", status=400)  # stop after the hash
    stalls: list[float] = []
    finished = anyio.Event()

    async def photo() -> None:
        try:
            failed, _, _ = await outcome(mcp, "create_photo_avatar", {"photo": str(big), "name": "Big"})
            assert failed
        finally:
            finished.set()

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            tg.start_soon(photo)
            while not finished.is_set():  # how long a short sleep and a small call take while the photo is hashed
                started = time.monotonic()
                await anyio.sleep(0.05)
                await outcome(mcp, "read_reference", {"topic": "assets"})
                stalls.append(time.monotonic() - started - 0.05)
    assert len(stalls) >= 3, stalls  # the hash took a while, and calls ran meanwhile
    assert max(stalls) < 0.5, stalls
    assert [r.path for r in uploads(sandbox)] == ["/v3/assets/direct-uploads"]  # the hash came first


def _swapper(folder: Path, outside: Path, stop: threading.Event) -> int:
    """Swap ``folder`` for a symlink to ``outside`` and back, as fast as possible; returns the swap count."""
    real = folder.with_name(folder.name + ".real")
    swaps = 0
    while not stop.is_set():
        os.rename(folder, real)
        os.symlink(outside, folder)
        time.sleep(0)
        os.unlink(folder)
        os.rename(real, folder)
        swaps += 1
        time.sleep(0)
    return swaps


async def test_swapping_a_folder_for_a_symlink_mid_upload_never_reads_outside(
        tmp_path: Path, wire: Any, sandbox: Any) -> None:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    (allowed / "sub").mkdir(parents=True)
    (outside / "sub").mkdir(parents=True)
    inside_bytes = JPEG + b"inside"
    (allowed / "sub" / "photo.jpg").write_bytes(inside_bytes)
    (outside / "sub" / "photo.jpg").write_bytes(JPEG + b"outside, secret" * 1000)  # another size, other content
    settings = make_settings(tmp_path, heygen_allowed_dirs=[allowed])
    stop, swaps = threading.Event(), []
    thread = threading.Thread(target=lambda: swaps.append(_swapper(allowed / "sub", outside / "sub", stop)))
    sizes: list[int] = []
    target = allowed / "sub" / "photo.jpg"
    async with Client(create_server(settings, transport=wire)) as client:
        thread.start()
        try:
            with anyio.fail_after(60):
                for _ in range(150):
                    failed, text, out = await outcome(client, "upload_asset", {"path": str(target)})
                    if failed:  # a swap caught mid-way: refused (outside, changed, missing), never read
                        assert "secret" not in text
                    else:
                        assert out is not None
                        sizes.append(out["size_bytes"])
        finally:
            stop.set()
            thread.join(5)
    assert swaps and swaps[0] > 10
    assert sizes and set(sizes) == {len(inside_bytes)}, sizes  # 0 outside reads
    assert {a.size_bytes for a in sandbox.assets.values()} == {len(inside_bytes)}, "an outside file was uploaded"


# -- downloads -------------------------------------------------------------------------------------------------
async def finished_video(client: Client, clock: Any) -> str:
    looks = (await client.call_tool("list_avatars", {"limit": 1})).structured_content
    voices = (await client.call_tool("list_voices", {"language": "en", "limit": 1})).structured_content
    job = (await client.call_tool("create_avatar_video", {
        "avatar_id": looks["items"][0]["id"], "voice_id": voices["items"][0]["voice_id"], "script": "Hello there.",
    })).structured_content
    clock.advance(3600)
    return str(job["job_id"])


@pytest.mark.parametrize("plant", ["symlink", "hardlink"])
async def test_a_planted_part_file_is_never_written_through(
        plant: str, tmp_path: Path, mcp: Client, clock: Any, settings: Any) -> None:
    job_id = await finished_video(mcp, clock)
    out: Path = settings.heygen_output_dir
    out.mkdir(parents=True, exist_ok=True)
    victim = tmp_path / "victim.txt"  # outside the output folder
    victim.write_bytes(b"precious")
    part = out / f"{job_id.partition(':')[2]}.mp4.part"
    if plant == "symlink":
        part.symlink_to(victim)
    else:
        os.link(victim, part)  # a second name for the outside file: appending to it would change the victim
    failed, text, saved = await outcome(mcp, "download_video", {"job_id": job_id})
    assert not failed and saved is not None, text
    assert victim.read_bytes() == b"precious"
    path = Path(saved["path"])
    assert path.parent == out and not path.is_symlink() and path.read_bytes()[4:8] == b"ftyp"
    assert saved["resumed_from"] == 0 and saved["size_bytes"] == path.stat().st_size
    assert not part.exists() and not part.is_symlink()


async def test_an_over_long_name_or_a_file_used_as_a_folder_is_refused_with_the_real_reason(
        tmp_path: Path, wire: Any, sandbox: Any) -> None:
    """Issue #14 §3: ENAMETOOLONG escaped the upload tools as a crash ("Error executing tool"), and ENOTDIR
    (``photo.jpg/x.jpg``) read as a file that "changed while it was being opened"."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "photo.jpg").write_bytes(JPEG)
    settings = make_settings(tmp_path, heygen_allowed_dirs=[allowed])
    async with Client(create_server(settings, transport=wire)) as client:
        failed, text, _ = await outcome(client, "upload_asset", {"path": str(allowed / ("p" * 300 + ".jpg"))})
        assert failed and "longer than this system allows" in text and "Error executing tool upload_asset: " \
            in text, text
        failed, text, _ = await outcome(client, "upload_asset", {"path": str(allowed / "photo.jpg" / "x.jpg")})
        assert failed and "photo.jpg is a file, not a folder" in text and "changed" not in text, text
    assert uploads(sandbox) == []
