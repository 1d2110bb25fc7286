"""The bytes of uploaded images and audio (and PDFs and subtitles), kept so renders can show and play them.

A talking photo must show the photo, an image scene its image, and a video whose ``audio_asset_id`` is the
speech ``create_speech`` made must speak it; an asset's own URL must serve what was uploaded. So the sandbox
keeps the bytes of uploaded (and inline base64) images, audio, PDFs and SRT files up to ``KEEP_BYTES`` each,
by SHA-256 (content-addressed: ``Asset.sha256`` names an upload's bytes), a few in memory (``MEMORY_BYTES`` in
all, the oldest go first) and, when the sandbox keeps its state on disk, in ``files/`` beside the state file
(so other processes on the same state file see them too; ``DISK_FILES`` at most, the oldest go first).

Videos and larger files are not kept (an upload of up to 5 GB streams through in flat memory): their media
URLs serve the bundled sample of their kind, and renders show a placeholder where they would go.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path


def read_unlinked(path: Path, limit: int = -1) -> bytes | None:
    """A file of the sandbox's own folders, read without following a link planted there (None if it cannot be
    read); the caller checks what it read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        return fh.read(limit)

logger = logging.getLogger(__name__)

KEEP_BYTES = 16 * 1024 * 1024  # the largest file kept
MEMORY_BYTES = 96 * 1024 * 1024  # kept in memory in all, per sandbox
FILES_FOLDER = "files"
DISK_FILES = 256
KINDS = ("image/", "audio/", "application/pdf", "application/x-subrip")  # the MIME types whose bytes are kept
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def worth_keeping(mime: str | None, size: int) -> bool:
    return mime is not None and mime.startswith(KINDS) and 0 < size <= KEEP_BYTES


class KeptFiles:
    """Files by SHA-256 (lowercase hex): in memory, and in ``folder`` when given. Thread-safe (renders read
    them from worker threads)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def put(self, data: bytes) -> str:
        """Keep ``data``; its digest."""
        digest = hashlib.sha256(data).hexdigest()
        self._remember(digest, data)
        self._write(digest, data)
        return digest

    def get(self, digest: str | None) -> bytes | None:
        if not digest or not _DIGEST.match(digest):
            return None
        with self._lock:
            data = self._memory.get(digest)
            if data is not None:
                self._memory.move_to_end(digest)
                return data
        data = self._read(digest)
        if data is not None:
            self._remember(digest, data)
        return data

    def has(self, digest: str | None) -> bool:
        if not digest or not _DIGEST.match(digest):
            return False
        with self._lock:
            if digest in self._memory:
                return True
        path = self._path(digest)
        return path is not None and path.is_file() and not path.is_symlink()

    def _remember(self, digest: str, data: bytes) -> None:
        with self._lock:
            if digest in self._memory:
                self._memory.move_to_end(digest)
                return
            self._memory[digest] = data
            self._size += len(data)
            while self._size > MEMORY_BYTES and len(self._memory) > 1:
                _, old = self._memory.popitem(last=False)
                self._size -= len(old)

    def _path(self, digest: str) -> Path | None:
        return None if self.folder is None else self.folder / digest

    def _read(self, digest: str) -> bytes | None:
        path = self._path(digest)
        data = None if path is None else read_unlinked(path, KEEP_BYTES + 1)
        return data if data is not None and hashlib.sha256(data).hexdigest() == digest else None  # never trust it

    def _write(self, digest: str, data: bytes) -> None:
        path = self._path(digest)
        if path is None or self.folder is None or path.exists():
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if self.folder.is_symlink():
                raise OSError(f"{self.folder} is a symbolic link")
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".file-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
            kept = sorted((p for p in self.folder.iterdir() if _DIGEST.match(p.name)), key=lambda p: p.stat().st_mtime)
            for old in kept[:-DISK_FILES]:
                old.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("sandbox file not kept on disk (%s): %s", self.folder, exc)
