"""Saved files as a client reaches them: the ``heygen://files/…`` URI of a file in the output folder (read over
MCP as a resource), and whether a media URL is one a browser could open at all."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

from pydantic import BaseModel

if TYPE_CHECKING:
    from .tenant import Tenant

M = TypeVar("M", bound=BaseModel)
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
    return uri_of(relative.as_posix())


def uri_of(relative: str) -> str:
    """The ``heygen://files/…`` URI of a path inside the output folder (a person's: inside their folder)."""
    return FILES + quote(relative, safe="/")


def reachable(state: Tenant, url: str | None) -> str | None:
    """``url`` if a browser could fetch it; None for a link that exists only inside this process (the embedded
    sandbox answers on an in-process transport), which the page would only fail to load."""
    wired = state.wired
    if url and wired.transport is not None and urlsplit(url).netloc == urlsplit(wired.base_url).netloc:
        return None
    return url


# -- a team server's files, reached over the network --------------------------------------------------------------
# A remote person's downloads are not paths on the server's disk to them: they get the file as a resource
# (``heygen://files/…``, read within their own folder) and a short-lived signed link this server serves
# (``/files/<token>``, ``file_links.py``). The token names the person and the file and when it expires, sealed with
# an HMAC key every process of the server shares (from HEYGEN_SECRET_KEY, else a random key in the state folder).

LINK_TTL_S = 1800.0
FILES_PATH = "/files/"


def sign_link(key: bytes, person_id: str, relative: str, *, now: float, ttl_s: float = LINK_TTL_S) -> str:
    """A token for ``relative`` (a path inside the person's folder) that opens until ``now + ttl_s``."""
    body = base64.urlsafe_b64encode(json.dumps([person_id, relative, int(now + ttl_s)],
                                               separators=(",", ":")).encode()).rstrip(b"=")
    mac = base64.urlsafe_b64encode(hmac.new(key, body, hashlib.sha256).digest()).rstrip(b"=")
    return f"{body.decode()}.{mac.decode()}"


def read_link(key: bytes, token: str, *, now: float) -> tuple[str, str] | None:
    """(person id, relative path) of a token this server signed and that has not expired; None otherwise."""
    body, _, mac = token.partition(".")
    if not body or not mac or len(token) > 2048:
        return None
    expected = base64.urlsafe_b64encode(hmac.new(key, body.encode(), hashlib.sha256).digest()).rstrip(b"=")
    if not hmac.compare_digest(expected, mac.encode()):
        return None
    try:
        person_id, relative, expires = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(person_id, str) or not isinstance(relative, str) or not isinstance(expires, int):
        return None
    return (person_id, relative) if now < expires else None


def for_person(state: Tenant, out: M) -> M:
    """``out`` (a saved file's answer: ``path``, ``uri``, perhaps ``files``) as the person who asked sees it."""
    if state.person is None:
        return out
    path, uri, link = shown(state, Path(out.path))  # type: ignore[attr-defined]
    changes: dict[str, Any] = {"path": path, "uri": uri, "download_url": link}
    if getattr(out, "files", None):
        changes["files"] = [f.model_copy(update={"path": (s := shown(state, Path(f.path)))[0], "download_url": s[2]})
                            for f in out.files]  # type: ignore[attr-defined]
    return out.model_copy(update=changes)


def shown(state: Tenant, path: Path) -> tuple[str, str, str | None]:
    """How a saved file is shown to the person who asked: (path, uri, download link). The server's own user
    gets the path on disk and its ``file://`` URI; a team server's person gets the path inside their folder, its
    ``heygen://files/`` URI and a signed link (when the server knows its address)."""
    if state.person is None:
        return str(path), path.as_uri(), None
    relative = path.relative_to(state.output_dir).as_posix() if path.is_absolute() else path.as_posix()
    return relative, uri_of(relative), state.file_link(relative)
