"""Streaming uploads and downloads.

* ``upload_file``: sniffs the MIME type from the content, sends files up to 32 MB as multipart
  (``POST /v3/assets``) and larger ones through a direct upload (create → PUT to the presigned
  URL → complete), streaming from the opened file in 1 MiB chunks read (and hashed) in a worker thread:
  a 1 GiB file is never held in memory, never read on the event loop, and read once. Everything is read
  through one descriptor (``core.files.LocalFile``), so the bytes sent are the bytes hashed and checked;
  the same content is sent once (see ``upload_file``).
* ``download``: streams to ``<dest>.part``, resumes a partial file with ``Range``, asks for a
  fresh URL once when the presigned one has expired, verifies the size, then renames into place.
  The ``.part`` file is opened without following links (``O_NOFOLLOW``; ``O_EXCL`` when new), so a
  link or hard link planted under its name is replaced, never written through (issue 8 §2 "Downloads").
  With ``keep_others`` the finished file never replaces another: a file already under the name with the
  same bytes is the answer, a different one (or a link) stays, and the download takes ``name-2.mp4``,
  ``name-3.mp4``… (``place_beside``; issue 10 §4).

Neither sends the API key: media and presigned upload URLs belong to other hosts.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2

from .client import HeyGenClient
from .errors import APIConnectionError, HeyGenError, InputError, NotFoundError
from .files import CHUNK, LocalFile
from .mime import SNIFF_BYTES, SUPPORTED, sniff
from .models import MAX_UPLOAD_BYTES, MULTIPART_LIMIT_BYTES, UploadedAsset
from .store import Claim, ScopedJobs, StoreError

logger = logging.getLogger(__name__)

__all__ = ["CHUNK", "DownloadResult", "LocalFile", "detect_mime", "download", "file_sha256", "upload_file"]


def detect_mime(file: LocalFile) -> str:
    mime = sniff(file.head(SNIFF_BYTES))
    if mime is None or mime not in SUPPORTED:
        raise InputError(
            f"{file.name}: {'unrecognised' if mime is None else mime} content; HeyGen accepts PNG, JPEG, MP4, "
            "WebM, MP3, WAV, PDF and SRT files"
        )
    return mime


async def file_sha256(path: Path) -> str:
    """SHA-256 of a file, hashed in a worker thread (a multi-GiB file never blocks the event loop)."""
    with LocalFile.open(path) as file:
        return await file.sha256()


async def upload_file(client: HeyGenClient, source: Path | LocalFile, *,
                      multipart_limit: int = MULTIPART_LIMIT_BYTES) -> UploadedAsset:
    """Upload a local file as a HeyGen asset, choosing the upload path by size; the file is read once.

    ``source`` is a file opened by ``core.files.open_inside`` (tools) or a path the caller trusts.
    The same content is uploaded once: with a job store, a file whose SHA-256 was uploaded before
    reuses that asset (if HeyGen still has it). Besides saving the upload, this keeps a paid create
    that embeds the file byte-identical when it is retried, so its Idempotency-Key replays the job.

    How that holds without reading a big file twice (once to hash it, once to send it):

    * up to ``multipart_limit`` the file is read into memory once, hashed there, then reused or sent;
    * above it (a direct upload), content can only have been uploaded before if an upload of exactly
      this size is recorded. Each direct upload first *claims its size* in the job store (shared by every
      server process), then, holding the claim: when an upload of this size is recorded, the file is hashed
      first and reused or sent as before; when none is (the usual case for a new big file), it is sent at
      once and hashed on the way, each block hashed as it is read for sending, and the upload is completed
      with that hash (HeyGen checks it) and recorded under it. A second upload of the same size meanwhile
      (the same file sent twice at once, in any process) hashes its file while it waits for the claim, then
      reuses the first one's asset when the content is the same.
    * a file that changes while it is sent is not completed (its stat before and after the send differ, or
      the bytes sent do not match a hash made earlier): the call fails, nothing is recorded, and the next
      call sends it afresh. What is recorded is always the hash of the bytes HeyGen received.
    """
    if isinstance(source, Path):
        with LocalFile.open(source) as opened:
            return await upload_file(client, opened, multipart_limit=multipart_limit)
    file = source
    size = file.size
    if size == 0:
        raise InputError(f"{file.name} is empty")
    if size > MAX_UPLOAD_BYTES:
        raise InputError(f"{file.name} is {size} bytes; HeyGen accepts at most {MAX_UPLOAD_BYTES} bytes per upload")
    mime = detect_mime(file)
    spend = client.spend
    if spend is not None and spend.dry_run:  # a dry run uploads nothing: the body names the file instead
        spend.uploads.append(f"{file.name} ({size} bytes, {mime})")
        return UploadedAsset(asset_id=f"(asset id of {file.name})", url="", mime_type=mime, size_bytes=size,
                             status="dry_run")
    if size <= multipart_limit:
        return await _multipart_upload(client, file, mime)
    return await _direct_upload(client, file, mime)


UPLOAD_CLAIM_S = 600.0
"""How long a claim on an upload's size lasts at least (plus a second per MiB: a slow link still holds it).
A process that dies while it uploads frees it at once (``store.claim`` sees the owner gone)."""
CLAIM_POLL_S = 0.25


def _asset_key(sha: str, size: int) -> str:
    return f"asset:{sha}:{size}"


async def _reused(client: HeyGenClient, sha: str, size: int, mime: str) -> UploadedAsset | None:
    """The asset recorded for this content, if HeyGen still has it."""
    jobs = client.jobs
    known = jobs.find(_asset_key(sha, size)) if jobs is not None else None
    if known is None or not known.job_id:
        return None
    try:
        detail = await client.assets.get(known.job_id)
    except NotFoundError:
        return None  # deleted since: upload it again
    return UploadedAsset(asset_id=detail.id, url=detail.url or "", mime_type=mime, size_bytes=size, status="reused")


def _hexdigest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def _multipart_upload(client: HeyGenClient, file: LocalFile, mime: str) -> UploadedAsset:
    """Up to 32 MB: read once, hashed from memory, reused or sent."""
    content = await anyio.to_thread.run_sync(file.read_all)
    sha = file.known_sha256
    if sha is None:
        sha = await anyio.to_thread.run_sync(_hexdigest, content)
    reused = await _reused(client, sha, file.size, mime)
    if reused is not None:
        return reused
    asset = await client.assets.upload_multipart(file.name, content, mime)
    client.remember("asset", asset.asset_id, key=_asset_key(sha, file.size), title=file.name)
    return asset


async def _direct_upload(client: HeyGenClient, file: LocalFile, mime: str) -> UploadedAsset:
    """Over 32 MB: claim the size, then reuse, or send while hashing (see ``upload_file``)."""
    jobs, size = client.jobs, file.size
    if jobs is None:  # no store: nothing to reuse, nothing to record
        return (await _send(client, file, mime))[0]
    sha = file.known_sha256
    while True:
        try:
            claim: Claim | None = jobs.claim(f"upload:{size}", "asset", title=file.name,
                                             lease_s=UPLOAD_CLAIM_S + size / (1 << 20))
        except StoreError as exc:  # a read-only store, say: no claim to hold, so hash first (uploads are free)
            logger.warning("uploading %s without a claim: %s", file.name, exc.describe())
            claim = None
        if claim is not None and claim.state == "in_flight":  # another call sends a file of this size: this one?
            if sha is None:
                sha = await file.sha256()  # meanwhile: its asset is found by this hash once it is recorded
            await anyio.sleep(CLAIM_POLL_S)
            continue
        try:
            if sha is None and (claim is None or jobs.find_upload(size) is not None):
                sha = await file.sha256()  # content of this size was uploaded before: it may be this
            if sha is not None and (reused := await _reused(client, sha, size, mime)) is not None:
                return reused
            asset, sent = await _send(client, file, mime)
            client.remember("asset", asset.asset_id, key=_asset_key(sent, size), title=file.name)
            return asset
        finally:
            if claim is not None and claim.state != "submitted":
                _let_go(jobs, claim)


def _let_go(jobs: ScopedJobs, claim: Claim) -> None:
    try:
        jobs.release(claim)
    except HeyGenError as exc:  # the claim lapses with its lease; the upload itself is done or failed
        logger.warning("could not release the upload claim %s: %s", claim.fingerprint, exc.describe())


def _unchanged(before: os.stat_result, after: os.stat_result, size: int) -> bool:
    return (after.st_size == before.st_size == size and after.st_mtime_ns == before.st_mtime_ns
            and after.st_ctime_ns == before.st_ctime_ns)


async def _send(client: HeyGenClient, file: LocalFile, mime: str) -> tuple[UploadedAsset, str]:
    """create → PUT (each block hashed as it is read) → complete with that hash: (the asset, the hash). A hash
    made before the send (``file.known_sha256``) must match it, or nothing is completed."""
    size, expected = file.size, file.known_sha256
    instructions = await client.assets.create_direct_upload(file.name, mime, size, checksum_sha256=expected,
                                                            attempt=uuid.uuid4().hex)
    if size > instructions.max_bytes:
        raise InputError(f"{file.name} is {size} bytes; HeyGen accepts at most {instructions.max_bytes}")

    headers = {str(k): str(v) for k, v in instructions.upload_headers.items()}
    headers.setdefault("Content-Type", mime)
    headers["Content-Length"] = str(size)
    digest = hashlib.sha256()
    before = os.fstat(file.fd)
    try:
        response = await client.http.client.put(instructions.upload_url, content=file.chunks(digest),
                                                headers=headers, timeout=httpx2.Timeout(600.0, connect=10.0))
    except httpx2.TransportError as exc:
        raise APIConnectionError(f"upload of {file.name} failed: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise HeyGenError(
            f"the presigned upload of {file.name} was refused ({response.status_code})",
            hint="The upload URL may have expired; call upload_asset again.",
        )
    sent = digest.hexdigest()
    if not _unchanged(before, os.fstat(file.fd), size) or (expected is not None and sent != expected):
        raise InputError(f"{file.name} changed while it was being uploaded, so the upload was not completed "
                         "(nothing was recorded)", hint="Call again once the file is complete.")
    file.hashed(sent)
    return await client.assets.complete_direct_upload(instructions.asset_id, sent), sent


@dataclass
class DownloadResult:
    path: Path
    size: int
    resumed_from: int = 0
    refreshed_url: bool = False
    already_there: bool = False  # ``path`` held these same bytes already: kept, nothing written over it


UrlRefresher = Callable[[], Awaitable[str]]
ByteProgress = Callable[[int, int | None], Awaitable[None]]
"""Called after each chunk is written: (bytes in the file so far, the file's full size if known)."""


async def download(
    http: httpx2.AsyncClient,
    url: str,
    dest: Path,
    *,
    refresh_url: UrlRefresher | None = None,
    expected_size: int | None = None,
    on_bytes: ByteProgress | None = None,
    keep_others: bool = False,
) -> DownloadResult:
    """Stream ``url`` to ``dest``; resume ``dest.part``; refresh an expired URL once.

    ``dest`` is a plain name in a folder this server owns (``tools.common.confine_output``). Nothing under
    ``dest.part`` is followed: a link or a second hard link there is removed and the download starts over,
    and the finished file is renamed over ``dest`` (replacing the name, never writing through it); with
    ``keep_others``, beside anything already there that is not the same bytes (``place_beside``).
    """
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    refreshed = False
    for _ in range(3):
        offset = _part_offset(part)
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            async with http.stream("GET", url, headers=headers, timeout=httpx2.Timeout(120.0, connect=10.0)) as resp:
                if resp.status_code in (401, 403) and refresh_url is not None and not refreshed:
                    url, refreshed = await refresh_url(), True
                    continue
                if resp.status_code == 416 and offset:
                    part.unlink()  # the partial file is longer than the media: start over
                    continue
                if resp.status_code not in (200, 206):
                    raise HeyGenError(
                        f"download failed with HTTP {resp.status_code}",
                        hint="The media URL may have expired; call get_video for a fresh one and retry.",
                    )
                total = _total_size(resp, offset)
                resumed_from = offset if resp.status_code == 206 else 0
                fd = _open_part(part, resumed_from)
                written = resumed_from
                try:
                    async for chunk in resp.aiter_bytes(CHUNK):
                        await anyio.to_thread.run_sync(_write_all, fd, chunk)
                        written += len(chunk)
                        if on_bytes is not None:
                            await on_bytes(written, expected_size or total)
                    return await anyio.to_thread.run_sync(_finish, fd, part, dest, expected_size or total,
                                                          resumed_from, refreshed, keep_others)
                finally:
                    os.close(fd)
        except httpx2.TransportError as exc:
            raise APIConnectionError(
                f"download interrupted ({type(exc).__name__}); the partial file is kept and the next call resumes it"
            ) from None
    raise HeyGenError("download failed: the media URL kept being refused", hint="Call get_video, then retry.")


_WRITE = os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _ours(st: os.stat_result) -> bool:
    """A partial file this server wrote: a regular file with no other name (no hard link elsewhere)."""
    return stat.S_ISREG(st.st_mode) and st.st_nlink == 1


def _part_offset(part: Path) -> int:
    """Bytes already in our partial file; anything else under its name is removed (never followed)."""
    try:
        st = os.lstat(part)
    except FileNotFoundError:
        return 0
    if _ours(st):
        return st.st_size
    _remove(part, st)
    return 0


def _remove(part: Path, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise HeyGenError(f"{part} is a folder, not a partial download", hint="Remove it, then call again.")
    part.unlink()  # removes the name only: a link's target, or the file behind a hard link, is untouched


def _open_part(part: Path, offset: int) -> int:
    """The partial file, for appending at ``offset`` (resume) or created afresh (``O_EXCL``); no links."""
    try:
        if offset:
            fd = os.open(part, _WRITE | os.O_APPEND)
            st = os.fstat(fd)
            if not _ours(st) or st.st_size != offset:
                os.close(fd)
                raise HeyGenError(f"{part.name} changed while it was being resumed; nothing was written to it",
                                  hint="Call download_video again.")
            return fd
        try:
            _remove(part, os.lstat(part))
        except FileNotFoundError:
            pass
        return os.open(part, _WRITE | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        if isinstance(exc, FileExistsError) or exc.errno in (errno.ELOOP, errno.EMLINK):
            raise HeyGenError(f"{part.name} was replaced while the download started (by a link?); nothing was "
                              "written through it", hint="Call download_video again.") from None
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _finish(fd: int, part: Path, dest: Path, want: int | None, resumed_from: int, refreshed: bool,
            keep_others: bool = False) -> DownloadResult:
    """Check the size, rename the partial file into place, and make sure the name now holds our file."""
    written = os.fstat(fd)
    if want is not None and written.st_size != want:
        raise HeyGenError(
            f"downloaded {written.st_size} bytes but expected {want}",
            hint="Call download_video again: it resumes from the partial file.",
        )
    if keep_others:
        dest, same = _place_beside(part, dest, written)
        if same:
            return DownloadResult(path=dest, size=written.st_size, resumed_from=resumed_from,
                                  refreshed_url=refreshed, already_there=True)
    else:
        os.replace(part, dest)
    placed = os.lstat(dest)
    if (placed.st_dev, placed.st_ino) != (written.st_dev, written.st_ino):  # swapped between write and rename
        dest.unlink()
        raise HeyGenError(f"{part.name} was replaced before it could be renamed; nothing was kept",
                          hint="Call download_video again.")
    return DownloadResult(path=dest, size=written.st_size, resumed_from=resumed_from, refreshed_url=refreshed)


MAX_NUMBERED = 999  # name-2 … name-999: past that, the caller picks another name


def numbered(dest: Path, n: int) -> Path:
    """``dest`` itself for n = 1, else ``name-<n>.ext`` beside it."""
    return dest if n == 1 else dest.with_name(f"{dest.stem}-{n}{dest.suffix}")


async def place_beside(src: Path, dest: Path) -> tuple[Path, bool]:
    """Move our finished file ``src`` to ``dest``, or to the first free ``name-<n>`` beside it: (where, same).

    ``same``: a file already there holds exactly these bytes; it is kept and ``src`` is removed. A
    different file, a link or anything else under a name is left alone. Hashing runs in a worker thread.
    """
    return await anyio.to_thread.run_sync(_place_beside, src, dest, os.lstat(src))


def _place_beside(src: Path, dest: Path, ours: os.stat_result) -> tuple[Path, bool]:
    for n in range(1, MAX_NUMBERED + 1):
        candidate = numbered(dest, n)
        try:  # claim the name atomically; our file then replaces only our own empty claim
            os.close(os.open(candidate, _WRITE | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            if _same_bytes(candidate, src, ours.st_size):
                src.unlink()
                return candidate, True
            continue
        os.replace(src, candidate)
        return candidate, False
    raise HeyGenError(f"{dest.name} and {MAX_NUMBERED - 1} numbered names beside it are taken",
                      hint="Pass another filename, or clear out the output folder.")


def _same_bytes(path: Path, ours: Path, size: int) -> bool:
    """``path`` is a regular file (not a link) with exactly the bytes of ``ours``: size first, then content."""
    try:
        with LocalFile.open(path) as theirs, LocalFile.open(ours) as mine:
            if theirs.size != size or mine.size != size:
                return False
            for offset in range(0, size, CHUNK):
                length = min(CHUNK, size - offset)
                if theirs.read_at(offset, length) != mine.read_at(offset, length):
                    return False
            return True
    except (OSError, HeyGenError):
        return False


def _total_size(resp: httpx2.Response, offset: int) -> int | None:
    content_range = resp.headers.get("content-range")
    if resp.status_code == 206 and content_range and "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        return int(total) if total.isdigit() else None
    length = resp.headers.get("content-length")
    if length and length.isdigit():
        return int(length) + (offset if resp.status_code == 206 else 0)
    return None
