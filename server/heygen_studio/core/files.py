"""Local files a tool call names, opened so that what is read is exactly what was checked.

A model can be talked into passing any path, and another process may change the folder while an
upload runs, so (issue 8 §2 "Local files"):

* the path is resolved (symlinks followed) and must lie inside one of the allowed folders;
* it is then opened from that folder down, one component at a time, **without following any
  symlink** (``openat`` + ``O_NOFOLLOW``): a folder swapped for a symlink after the check makes the
  open fail instead of reading the file the link points at;
* only regular files are opened (a FIFO, a device, a socket or anything under ``/proc``, ``/sys``
  or ``/dev`` is refused before ``open``), ``O_NONBLOCK`` so even a FIFO that slipped in cannot
  hang the call, and the opened descriptor must be the very inode that was checked;
* the size limit is checked on that inode before one byte is read;
* every later read (sniffing, hashing, uploading) goes through the descriptor, never the path
  again, and hashing runs in a worker thread so a multi-GiB file never blocks the event loop.

Where ``openat`` is not available (Windows) the file is opened by its resolved path and the
descriptor's identity is compared with the checked path's, which narrows the window but cannot
close it; POSIX systems get the full guarantee.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import anyio

from .errors import InputError

if TYPE_CHECKING:
    from hashlib import _Hash as Hash

CHUNK = 1 << 20
NAME_MAX = 255  # bytes in one file or folder name (ext4, APFS, NTFS: 255 characters)
SPECIAL_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_READ = os.O_RDONLY | _CLOEXEC | _BINARY
#: POSIX: walk down from the allowed folder with openat, following no link on the way.
WALKS = bool(_NOFOLLOW and _DIRECTORY) and os.open in os.supports_dir_fd and os.stat in os.supports_dir_fd
_SWAPPED = {errno.ELOOP, errno.ENOTDIR, getattr(errno, "EMLINK", errno.ELOOP)}


class FileRefused(InputError):
    """A local path this server will not read; nothing was read or sent."""


class LocalFile:
    """A regular file opened once; every read goes through its descriptor (``pread``), never its path."""

    def __init__(self, fd: int, path: Path, size: int) -> None:
        self.fd = fd
        self.path = path
        self.name = path.name
        self.size = size
        self._sha256: str | None = None
        self._lock = threading.Lock()  # only for systems without pread

    @classmethod
    def open(cls, path: Path) -> LocalFile:
        """Open a path the caller trusts (a temporary file, a test fixture), with the same type checks.

        The last component is not followed (a link there is refused), so a file this server wrote and
        reads back by name is the file it wrote."""
        fd = os.open(path, _READ | _NOFOLLOW | _NONBLOCK)
        return cls.adopt(fd, path)

    @classmethod
    def adopt(cls, fd: int, path: Path, *, expect: os.stat_result | None = None,
              max_bytes: int | None = None) -> LocalFile:
        """Wrap an open descriptor after checking what it is; closes it when refusing."""
        try:
            st = os.fstat(fd)
            _check_kind(st, path)
            if expect is not None and (st.st_dev, st.st_ino) != (expect.st_dev, expect.st_ino):
                raise FileRefused(f"{path} changed while it was being opened; nothing was read",
                                  hint="Call again once nothing is moving files in that folder.")
            if max_bytes is not None:
                _check_size(st, path, max_bytes)
        except BaseException:
            os.close(fd)
            raise
        return cls(fd, path, st.st_size)

    # -- reading ---------------------------------------------------------------------------------
    def read_at(self, offset: int, size: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self.fd, size, offset)
        with self._lock:  # pragma: no cover - Windows
            os.lseek(self.fd, offset, os.SEEK_SET)
            return os.read(self.fd, size)

    def head(self, size: int) -> bytes:
        return self.read_at(0, min(size, self.size))

    def read_all(self) -> bytes:
        """The whole file as checked (for small files); short reads mean it shrank meanwhile."""
        return b"".join(self._blocks())

    def _blocks(self) -> Iterator[bytes]:
        offset = 0
        while offset < self.size:
            block = self.read_at(offset, min(CHUNK, self.size - offset))
            if not block:
                raise FileRefused(f"{self.name} shrank while it was being read",
                                  hint="Call again once the file is complete.")
            offset += len(block)
            yield block

    async def chunks(self, digest: Hash | None = None) -> AsyncIterator[bytes]:
        """The file's bytes as checked, ``CHUNK`` at a time, each read in a worker thread; with ``digest``,
        each block is also hashed there, so what is sent is hashed in the same single read."""
        offset = 0
        while offset < self.size:
            block = await anyio.to_thread.run_sync(self._block, offset, digest)
            offset += len(block)
            yield block

    def _block(self, offset: int, digest: Hash | None) -> bytes:
        block = self.read_at(offset, min(CHUNK, self.size - offset))
        if not block:
            raise FileRefused(f"{self.name} shrank while it was being read",
                              hint="Call again once the file is complete.")
        if digest is not None:
            digest.update(block)  # hashlib lets go of the GIL for a block this size
        return block

    def _digest(self) -> str:
        digest = hashlib.sha256()
        for block in self._blocks():
            digest.update(block)
        return digest.hexdigest()

    async def sha256(self) -> str:
        """SHA-256 of the content, computed once, wholly in a worker thread (the event loop stays free)."""
        if self._sha256 is None:
            self._sha256 = await anyio.to_thread.run_sync(self._digest)
        return self._sha256

    @property
    def known_sha256(self) -> str | None:
        """The SHA-256 if something already computed it (``sha256``, or an upload that hashed while sending)."""
        return self._sha256

    def hashed(self, sha: str) -> None:
        """Remember the SHA-256 of every byte of the file as read, computed on the way (one read, not two)."""
        self._sha256 = sha

    # -- lifetime --------------------------------------------------------------------------------
    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> LocalFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _check_kind(st: os.stat_result, path: Path) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise FileRefused(f"{path} is a folder, not a file", hint="Pass the path of one file inside it.")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a symbolic link that changed while it was being opened" if stat.S_ISLNK(st.st_mode)
                else "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a special file")
        raise FileRefused(f"{path} is {kind}, not a regular file; nothing was read",
                          hint="Pass a regular image, video, audio, PDF or SRT file.")


def _check_size(st: os.stat_result, path: Path, max_bytes: int) -> None:
    if st.st_size > max_bytes:
        raise FileRefused(f"{path.name} is {st.st_size} bytes; HeyGen accepts at most {max_bytes} bytes per upload",
                          hint="Compress or trim it, then call again; nothing was read or sent.")


def root_of(path: Path, roots: Sequence[Path]) -> Path | None:
    """The allowed folder ``path`` lies in (``path`` and ``roots`` resolved), if any."""
    for root in roots:
        if path == root or root in path.parents:
            return root
    return None


def resolve(raw: str, base: Path | None = None) -> Path:
    """A path argument made absolute (relative to ``base``, default the working folder), links followed."""
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    try:
        return Path(os.path.realpath(path))
    except OSError:  # a link replaced while it was being read (realpath is not atomic)
        raise FileRefused(f"{path} changed while it was being resolved; nothing was read",
                          hint="Call again once nothing is moving files there.") from None


def open_inside(raw: str, roots: Sequence[Path], *, max_bytes: int) -> LocalFile:
    """Open ``raw`` for reading if it is a regular file inside one of ``roots`` (see the module notes).

    Raises ``FileRefused`` (outside, a folder, special, too big, swapped mid-open) or ``FileNotFoundError``
    turned into ``FileRefused`` with the names of a few files next to it (never outside ``roots``).
    """
    path = resolve(raw)
    root = root_of(path, roots)
    if root is None:
        folders = ", ".join(str(r) for r in roots) or "none"
        raise FileRefused(f"{path} is outside the allowed folders ({folders})",
                          hint="Move it into one of them, or add its folder to HEYGEN_ALLOWED_DIRS.")
    if path == root:
        raise FileRefused(f"{path} is a folder (an allowed folder), not a file",
                          hint="Pass the path of one file inside it.")
    if root_of(path, SPECIAL_TREES) is not None:
        raise FileRefused(f"{path} is a special system file, not a regular file; nothing was read",
                          hint="Pass a regular image, video, audio, PDF or SRT file.")
    try:
        if WALKS:
            return _open_walking(root, path, max_bytes)
        return _open_by_path(path, max_bytes)  # pragma: no cover - Windows
    except FileNotFoundError:
        raise FileRefused(f"No file at {path}", hint=_neighbours(path, root)) from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise FileRefused(f"{str(path)[:200]}… is longer than this system allows (at most {NAME_MAX} bytes per "
                              "name), so no such file can exist; nothing was read",
                              hint="Check the path: pass a shorter name.") from None
        blocker = _file_on_the_way(root, path) if exc.errno == errno.ENOTDIR else None
        if blocker is not None:
            raise FileRefused(f"No file at {path}: {blocker} is a file, not a folder; nothing was read",
                              hint=f"Pass {blocker} itself, or a path inside a folder.") from None
        if exc.errno in _SWAPPED:
            raise FileRefused(f"{path} changed while it was being opened (a folder or file was replaced by a "
                              "link); nothing was read",
                              hint="Call again once nothing is moving files there.") from None
        raise


def _file_on_the_way(root: Path, path: Path) -> Path | None:
    """The regular file (not a link) that stands where ``path`` needs a folder, if one does."""
    current = root
    for part in path.relative_to(root).parts[:-1]:
        current = current / part
        try:
            info = current.lstat()
        except OSError:
            return None
        if stat.S_ISREG(info.st_mode):
            return current
        if not stat.S_ISDIR(info.st_mode):
            return None  # a link or something stranger: not a plain mistake in the path
    return None


MAX_RELATIVE_CHARS = 1024


def open_below(root: Path, relative: str) -> LocalFile:
    """Open ``relative`` (a path below ``root``, as a resource URI names it) with ``open_inside``'s guarantees.

    Refused before anything is opened: an empty, over-long or absolute path, NUL, a backslash, and any
    component that is empty or starts with a dot (``..``, and the hidden ``.heygen-studio`` state folder);
    then a path whose links lead out of ``root``. No size limit here: the caller checks ``size``.
    """
    parts = relative.split("/")
    if (not relative or len(relative) > MAX_RELATIVE_CHARS or "\0" in relative or "\\" in relative
            or relative.startswith("/") or any(not part or part.startswith(".") for part in parts)):
        raise FileRefused(f"{relative[:120]!r} is not a plain path inside {root}",
                          hint="Use the URI a download_video or produce_video result gave.")
    long = next((part for part in parts if len(os.fsencode(part)) > NAME_MAX), None)
    if long is not None:
        raise FileRefused(f"{long[:60]}… is {len(os.fsencode(long))} bytes long, more than the {NAME_MAX} a file "
                          "or folder name may have, so no saved file has that name; nothing was read",
                          hint="Use the URI a download_video or produce_video result gave.")
    path = resolve(str(root.joinpath(*parts)))
    if root_of(path, [root]) is None:
        raise FileRefused(f"{relative[:120]} leads outside {root} (a link); nothing was read",
                          hint="Only files saved in the output folder can be read this way.")
    return open_inside(str(path), [root], max_bytes=1 << 62)


def _open_folder(root: Path, parts: Sequence[str]) -> int:
    """A descriptor of ``root/parts...``, reached one folder at a time without following any link."""
    dir_fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for part in parts:
            below = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
            os.close(dir_fd)
            dir_fd = below
    except BaseException:
        os.close(dir_fd)
        raise
    return dir_fd


def _open_walking(root: Path, path: Path, max_bytes: int) -> LocalFile:
    parts = path.relative_to(root).parts
    dir_fd = _open_folder(root, parts[:-1])
    try:
        st = os.stat(parts[-1], dir_fd=dir_fd, follow_symlinks=False)
        _check_kind(st, path)  # before open: opening a device or a FIFO can have effects of its own
        _check_size(st, path, max_bytes)
        fd = os.open(parts[-1], _READ | _NOFOLLOW | _NONBLOCK, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    return LocalFile.adopt(fd, path, expect=st, max_bytes=max_bytes)


def _open_by_path(path: Path, max_bytes: int) -> LocalFile:  # pragma: no cover - Windows
    st = os.stat(path, follow_symlinks=False)
    _check_kind(st, path)
    _check_size(st, path, max_bytes)
    fd = os.open(path, _READ | _NOFOLLOW | _NONBLOCK)
    return LocalFile.adopt(fd, path, expect=st, max_bytes=max_bytes)


def _neighbours(path: Path, root: Path) -> str:
    """A few file names next to a missing one, only from a folder that is itself allowed."""
    parent = path.parent
    if parent != root and root not in parent.parents:
        return "Check the path."
    try:
        if WALKS:  # the folder as reached without links (it may have been swapped since the check)
            dir_fd = _open_folder(root, parent.relative_to(root).parts)
            try:
                with os.scandir(dir_fd) as entries:
                    names = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))[:5]
            finally:
                os.close(dir_fd)
        else:  # pragma: no cover - Windows
            names = sorted(e.name for e in os.scandir(parent) if e.is_file(follow_symlinks=False))[:5]
    except OSError:
        names = []
    return f"Files there: {', '.join(names)}." if names else "Check the path."


def sqlite_file_problem(path: Path) -> str | None:
    """Why a SQLite file (or its -wal/-shm beside it) is not plainly this user's own, or None.

    A link could send writes anywhere, and another user's file is not ours to trust: both the job
    store and the sandbox's state refuse such a file rather than follow it.
    """
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            info = candidate.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            return f"{candidate} is a symbolic link; refusing to follow it"
        if not stat.S_ISREG(info.st_mode):
            return f"{candidate} is not a regular file"
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            return f"{candidate} belongs to another user (uid {info.st_uid})"
    return None
