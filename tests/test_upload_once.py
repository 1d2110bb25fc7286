"""Issue #15 §5: a big upload reads its file once (hashed while it is sent), and the same content is still sent
to HeyGen once. Through a real MCP client, the server and the embedded sandbox; files over 32 MB take the
direct upload (create → PUT → complete), sparse so they take no disk.

* a new big file: one read, one PUT, completed with the hash of the bytes sent, recorded under it;
* the same content again (the same file, or a copy under another name): hashed, reused, nothing sent;
  deleted at HeyGen since: sent again;
* the same content twice at once, from two servers on one job store: sent once, one asset for both;
* a file changed after the size claim but before its bytes go: what is recorded is what was sent;
* a file changed while it is sent, or since it was hashed: not completed, nothing recorded, the next call sends.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client

from conftest import make_settings
from heygen_studio.core.files import LocalFile
from heygen_studio.server import create_server

pytestmark = pytest.mark.anyio
MEDIA = Path(__file__).resolve().parents[1] / "server" / "heygen_studio" / "sandbox" / "media"
MP4_HEAD = (MEDIA / "sample.mp4").read_bytes()[:64]
BIG = 33 * 1024 * 1024  # over the 32 MB multipart limit: a direct upload


def big_mp4(path: Path, *, mark: bytes = b"", size: int = BIG) -> Path:
    """A sparse file that starts like an MP4, with ``mark`` written 1 MiB in (so contents can differ)."""
    with path.open("wb") as fh:
        fh.write(MP4_HEAD)
        fh.truncate(size)
        if mark:
            fh.seek(1 << 20)
            fh.write(mark)
    return path


def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class Hooked(httpx2.AsyncBaseTransport):
    """The test wire with hooks: ``before(request)`` runs as a request leaves; ``mid_put()`` once the PUT's
    first body chunk has gone (the upload is under way)."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.before: Callable[[httpx2.Request], None] | None = None
        self.mid_put: Callable[[], None] | None = None

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.before is not None:
            self.before(request)
        if request.method == "PUT" and self.mid_put is not None:
            hook, body = self.mid_put, request.stream

            class Stream(httpx2.AsyncByteStream):
                async def __aiter__(self) -> AsyncIterator[bytes]:
                    first = True
                    async for chunk in body:  # type: ignore[union-attr]
                        yield chunk
                        if first:
                            first = False
                            hook()

            request.stream = Stream()
        return await self.inner.handle_async_request(request)


@pytest.fixture
def hooked(wire: Any) -> Hooked:
    return Hooked(wire)


@pytest.fixture
async def client(tmp_path: Path, hooked: Hooked) -> AsyncIterator[Client]:
    async with Client(create_server(make_settings(tmp_path), transport=hooked)) as c:
        yield c


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bytes read from local files, read by read (``LocalFile.read_at``: every read of an upload goes there)."""
    seen: list[int] = []
    real = LocalFile.read_at

    def counted(self: LocalFile, offset: int, size: int) -> bytes:
        block = real(self, offset, size)
        seen.append(len(block))
        return block

    monkeypatch.setattr(LocalFile, "read_at", counted)
    return seen


async def upload(client: Client, path: Path) -> tuple[bool, str, dict[str, Any]]:
    result = await client.call_tool("upload_asset", {"path": str(path)})
    text = result.content[0].text if result.content else ""
    return result.is_error, text, result.structured_content or {}


def sent(sandbox: Any, method: str, prefix: str) -> list[Any]:
    return [r for r in sandbox.requests if r.method == method and r.path.startswith(prefix)]


def puts(sandbox: Any) -> int:
    return len(sent(sandbox, "PUT", "/_uploads/"))


async def test_a_new_big_file_is_read_once_and_the_same_content_is_sent_once(
        tmp_path: Path, client: Client, sandbox: Any, reads: list[int]) -> None:
    a = big_mp4(tmp_path / "a.mp4", mark=b"first")
    failed, text, first = await upload(client, a)
    assert not failed, text
    assert first["method"] == "direct" and first["size_bytes"] == BIG
    assert sum(reads) < BIG + 64 * 1024, "read more than once"  # the sniffed head, then each byte once
    assert puts(sandbox) == 1
    asset = sandbox.assets[first["asset_id"]]
    assert asset.status == "completed" and asset.sha256 == sha256_of(a)  # completed with the hash of what was sent

    reads.clear()
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(a.read_bytes())
    for same in (a, copy):  # the same file again, and a copy under another name: hashed, reused, not sent
        failed, text, again = await upload(client, same)
        assert not failed, text
        assert again["asset_id"] == first["asset_id"]
    assert puts(sandbox) == 1 and len(sent(sandbox, "POST", "/v3/assets/direct-uploads")) == 1

    other = big_mp4(tmp_path / "other.mp4", mark=b"second")  # same size, other content: hashed, then sent
    failed, text, second = await upload(client, other)
    assert not failed, text
    assert second["asset_id"] != first["asset_id"] and puts(sandbox) == 2
    assert sandbox.assets[second["asset_id"]].sha256 == sha256_of(other)

    await client.call_tool("delete_asset", {"asset_id": first["asset_id"]})
    failed, text, third = await upload(client, a)  # HeyGen no longer has it: sent again
    assert not failed, text
    assert third["asset_id"] not in (first["asset_id"], second["asset_id"]) and puts(sandbox) == 3


async def test_the_same_file_uploaded_twice_at_once_is_sent_once(
        tmp_path: Path, hooked: Hooked, sandbox: Any) -> None:
    """Two servers (as two MCP hosts would run) on one job store, the same new file at the same moment."""
    a = big_mp4(tmp_path / "a.mp4", mark=b"twice")
    b = tmp_path / "b.mp4"
    b.write_bytes(a.read_bytes())
    results: dict[str, dict[str, Any]] = {}
    async with (Client(create_server(make_settings(tmp_path), transport=hooked)) as one,
                Client(create_server(make_settings(tmp_path), transport=hooked)) as two):
        async def run(name: str, client: Client, path: Path) -> None:
            failed, text, out = await upload(client, path)
            assert not failed, text
            results[name] = out

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                tg.start_soon(run, "one", one, a)
                tg.start_soon(run, "two", two, b)
    assert results["one"]["asset_id"] == results["two"]["asset_id"]
    assert puts(sandbox) == 1 and len(sent(sandbox, "POST", "/v3/assets/direct-uploads")) == 1


async def test_a_file_changed_after_its_claim_is_recorded_as_sent(
        tmp_path: Path, client: Client, hooked: Hooked, sandbox: Any) -> None:
    """Changed between the size claim and the send (here: as the upload slot is asked for): the bytes sent are
    the new ones, and so is the hash they are recorded under. The old content is not taken for uploaded."""
    path = big_mp4(tmp_path / "clip.mp4", mark=b"old")
    old = tmp_path / "old.mp4"
    old.write_bytes(path.read_bytes())

    def rewrite(request: httpx2.Request) -> None:
        if request.url.path == "/v3/assets/direct-uploads":
            big_mp4(path, mark=b"new")  # same size, other bytes
            hooked.before = None

    hooked.before = rewrite
    failed, text, out = await upload(client, path)
    assert not failed, text
    assert sandbox.assets[out["asset_id"]].sha256 == sha256_of(path) != sha256_of(old)

    failed, text, again = await upload(client, old)  # the old content was never sent: it is sent now
    assert not failed, text
    assert again["asset_id"] != out["asset_id"] and puts(sandbox) == 2
    assert sandbox.assets[again["asset_id"]].sha256 == sha256_of(old)
    failed, text, same = await upload(client, path)  # the new content was: reused
    assert not failed, text
    assert same["asset_id"] == out["asset_id"] and puts(sandbox) == 2


def completes(sandbox: Any) -> int:
    return len([r for r in sent(sandbox, "POST", "/v3/assets/") if r.path.endswith("/complete")])


async def test_a_file_changed_while_it_is_sent_is_not_completed(
        tmp_path: Path, client: Client, hooked: Hooked, sandbox: Any) -> None:
    path = big_mp4(tmp_path / "clip.mp4", mark=b"before")

    def scribble() -> None:  # a writer appends to the file in place while its first MiB is on the wire
        with path.open("r+b") as fh:
            fh.seek(BIG - 10)
            fh.write(b"scribbled!")
        later = os.stat(path).st_mtime_ns + 5_000_000_000
        os.utime(path, ns=(later, later))  # whatever the clock's grain, the file's stat says it changed
        hooked.mid_put = None

    hooked.mid_put = scribble
    failed, text, _ = await upload(client, path)
    assert failed and "changed while it was being uploaded" in text and "not completed" in text, text
    assert puts(sandbox) == 1 and completes(sandbox) == 0
    assert not any(a.status == "completed" for a in sandbox.assets.values())

    failed, text, out = await upload(client, path)  # nothing was recorded: the next call sends it, whole
    assert not failed, text
    assert puts(sandbox) == 2 and sandbox.assets[out["asset_id"]].sha256 == sha256_of(path)


async def test_a_file_changed_since_it_was_hashed_is_not_completed(
        tmp_path: Path, client: Client, hooked: Hooked, sandbox: Any) -> None:
    """When an upload of the same size is on record, the file is hashed first; bytes sent that do not match
    that hash are not completed (whichever way the stat looks)."""
    failed, text, _ = await upload(client, big_mp4(tmp_path / "first.mp4", mark=b"first"))
    assert not failed, text
    path = big_mp4(tmp_path / "clip.mp4", mark=b"hashed")
    st = os.stat(path)

    def rewrite(request: httpx2.Request) -> None:
        if request.url.path == "/v3/assets/direct-uploads":
            big_mp4(path, mark=b"sent!!")  # after the hash, before the send; same size, same times
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
            hooked.before = None

    hooked.before = rewrite
    failed, text, _ = await upload(client, path)
    assert failed and "changed while it was being uploaded" in text, text
    assert puts(sandbox) == 2 and completes(sandbox) == 1
    failed, text, out = await upload(client, path)
    assert not failed, text
    assert puts(sandbox) == 3 and sandbox.assets[out["asset_id"]].sha256 == sha256_of(path)


async def test_a_store_that_takes_no_claim_still_sends_the_same_content_once(
        tmp_path: Path, client: Client, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job store that can be read but not written to (a read-only disk): no size claim can be held, so the
    file is hashed first, as before; the content already recorded is reused, nothing is sent twice."""
    from heygen_studio.core.store import SQLiteJobStore, StoreError

    a = big_mp4(tmp_path / "a.mp4", mark=b"ro")
    failed, text, first = await upload(client, a)
    assert not failed, text

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise StoreError("The job store cannot be written (attempt to write a readonly database)")

    monkeypatch.setattr(SQLiteJobStore, "claim", refuse)
    failed, text, again = await upload(client, a)
    assert not failed, text
    assert again["asset_id"] == first["asset_id"] and puts(sandbox) == 1
