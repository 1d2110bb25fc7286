"""``GET /files/<token>``: a team server's person downloads a saved file through a short-lived signed link.

A remote person's downloads are not paths on the server's disk to them (``workflow.files``): ``download_video``
answers with a ``heygen://files/…`` resource and a link to here. The token is the credential (no bearer: a
browser or ``curl`` opens it as it is); it names the person and the file and expires (``LINK_TTL_S``). The file is
opened inside that person's folder only, without following a link out of it (``core.files.open_below``), and only
while the person is not revoked. Nothing is written.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from .core.errors import HeyGenError
from .core.files import LocalFile, open_below
from .core.mime import SNIFF_BYTES, sniff
from .http_token import stored_token
from .settings import Settings
from .workflow.files import FILES_PATH, read_link

if TYPE_CHECKING:
    from .workflow.state import Live

GONE = ("This link has expired or is not one this server made: call download_video again for a fresh link (it "
        "does not download the video twice).")


class FileLinks:
    """The ASGI app ``serving.Gate`` sends ``/files/…`` to."""

    def __init__(self, live: Live) -> None:
        self.live = live

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.answer(scope)
        await response(scope, receive, send)

    async def answer(self, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            return JSONResponse({"error": "open the link with GET"}, status_code=405, headers={"Allow": "GET, HEAD"})
        state = self.live.state
        if state is None or state.people is None or state.link_key is None:
            return JSONResponse({"error": GONE}, status_code=404)
        found = read_link(state.link_key, scope["path"].removeprefix(FILES_PATH), now=time.time())
        person = state.people.get(found[0]) if found is not None else None
        if found is None or person is None or person.revoked:
            return JSONResponse({"error": GONE}, status_code=404)
        folder = state.account(person).output_dir
        try:
            file = await anyio.to_thread.run_sync(open_below, folder, found[1])
        except (HeyGenError, OSError):
            return JSONResponse({"error": "That file is no longer in your folder: download it again."}, status_code=404)
        mime = sniff(file.head(SNIFF_BYTES)) or "application/octet-stream"
        headers = {"Content-Length": str(file.size), "Cache-Control": "private, no-store",
                   "Content-Disposition": f'attachment; filename="{_ascii(Path(found[1]).name)}"',
                   "X-Content-Type-Options": "nosniff"}
        if scope["method"] == "HEAD":
            file.close()
            return Response(status_code=200, headers=headers, media_type=mime)
        return StreamingResponse(_chunks(file), headers=headers, media_type=mime)


async def _chunks(file: LocalFile) -> AsyncIterator[bytes]:
    with file:
        async for block in file.chunks():
            yield block


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name) or "file"


def link_key(settings: Settings) -> bytes:
    """The key file links are signed with, the same in every process of this server: derived from
    HEYGEN_SECRET_KEY when set, else a random key kept in the state folder (0600, made once). A team on PostgreSQL
    (replicas, each with a state folder of its own) is refused at start without HEYGEN_SECRET_KEY
    (``serving.http_app``), so every replica signs and opens the same links."""
    if settings.heygen_secret_key is not None:
        secret = settings.heygen_secret_key.get_secret_value().encode()
    else:
        secret = stored_token(settings.store_path.parent, LINK_KEY_FILE)[0].encode()
    return hmac.new(secret, b"heygen-studio file links", hashlib.sha256).digest()


LINK_KEY_FILE = "file-links.key"
