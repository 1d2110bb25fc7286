"""Catalog paging and caching, and the pre-flight checks paid tools run against the catalog.

Catalogs (avatars, looks, voices, styles, templates) are fetched from HeyGen in large pages, kept
for five minutes, and filtered and paged here: a repeated or refined query costs no upstream call,
a name search works although HeyGen has no name filter, and every answer is a short page of compact
rows. Lists HeyGen pages itself (videos, assets, webhooks) hand out HeyGen's ``next_token`` sealed with
a short checksum (``seal``/``unseal``), so a made-up token is refused here, as on the catalog lists,
instead of being sent upstream.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import NotFoundError
from ..core.models import AvatarLook, Page, Voice
from .errors import Refused
from .inputs import check_id
from .jobs import make_job_id, next_step
from .tenant import Tenant

MAX_UPSTREAM_PAGES = 20
NOT_ISSUED = ("next_token is not one this server issued; pass the next_token of the previous page exactly, or start "
              "again without it. Nothing was sent.")


@dataclass
class CachedCatalog:
    items: list[Any] = field(default_factory=list)
    token: str | None = None
    exhausted: bool = False


FetchPage = Callable[[str | None], Awaitable[Page[Any]]]


def _everything(item: Any) -> bool:
    return True


async def window(state: Tenant, key: tuple[Any, ...], fetch: FetchPage, *, next_token: str | None, limit: int,
                 keep: Callable[[Any], bool] = _everything) -> tuple[list[Any], str | None]:
    """The page after ``next_token`` of the filtered catalog, and the token of the page after it.

    Fetches upstream only what the cache is missing.
    """
    offset = _parse_offset(next_token)
    cat: CachedCatalog | None = state.cache.get(key)
    if cat is None:
        cat = state.cache.put(key, CachedCatalog())
    matches = [item for item in cat.items if keep(item)]
    pages = 0
    while len(matches) < offset + limit + 1 and not cat.exhausted and pages < MAX_UPSTREAM_PAGES:
        page = await fetch(cat.token)
        pages += 1
        cat.items.extend(page.items)
        cat.token = page.next_token
        cat.exhausted = not page.has_more or not page.next_token
        matches.extend(item for item in page.items if keep(item))
    rows = matches[offset : offset + limit]
    more = len(matches) > offset + limit or not cat.exhausted
    return rows, (f"o{offset + limit}" if more and rows else None)


def _parse_offset(token: str | None) -> int:
    if not token:
        return 0
    if token.startswith("o") and token[1:].isdigit():
        return int(token[1:])
    raise Refused(NOT_ISSUED)


def _checksum(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:8]


def seal(token: str) -> str:
    """HeyGen's opaque page token as this server hands it out: ``h`` + 8 hex of its SHA-256 + the token."""
    return f"h{_checksum(token)}{token}"


def unseal(token: str | None) -> str | None:
    """HeyGen's token back from one ``seal`` made (None for none); anything else is refused before any request.

    Not a secret: a checksum, so a model's guess or a mangled copy never reaches HeyGen (which would answer
    400 ``Invalid pagination token`` after a round trip) and every list tool refuses tokens alike.
    """
    if not token:
        return None
    if len(token) > 9 and token[0] == "h" and token[1:9] == _checksum(token[9:]):
        return token[9:]
    raise Refused(NOT_ISSUED)


def next_token_of(page: Page[Any]) -> str | None:
    """The sealed token for the next page of a list HeyGen pages itself, when there is one."""
    return seal(page.next_token) if page.has_more and page.next_token else None


def name_matcher(name: str | None) -> Callable[[str | None], bool]:
    needle = (name or "").strip().lower()
    return lambda text: not needle or needle in (text or "").lower()


def look_step(look: AvatarLook) -> str:
    return next_step("look", look.status or "completed", make_job_id("look", look.id))


# -- pre-flight checks used by paid tools ----------------------------------------------------------
async def require_look(state: Tenant, look_id: str, *, where: str | None = None) -> AvatarLook:
    """The look, or a Refused before anything is paid for."""
    check_id(look_id, "avatar_id")
    prefix = f"{where}: " if where else ""
    look: AvatarLook | None = state.cache.get(("look", look_id))
    if look is None:
        try:
            look = await state.client.avatars.get_look(look_id)
        except NotFoundError:
            raise Refused(f"{prefix}avatar look '{look_id}' not found (group ids are not looks); try "
                            "list_avatars(kind='looks', name='…'). Nothing was charged.") from None
        if look.status in (None, "completed"):
            state.cache.put(("look", look_id), look)
    if look.status not in (None, "completed"):
        raise Refused(f"{prefix}avatar '{look_id}' is {look.status}, not ready. {look_step(look)}")
    return look


async def require_voice(state: Tenant, voice_id: str, *, where: str | None = None) -> Voice:
    check_id(voice_id, "voice_id")
    voice: Voice | None = state.cache.get(("voice", voice_id))
    if voice is None:
        try:
            voice = await state.client.voices.get(voice_id)
        except NotFoundError:
            prefix = f"{where}: " if where else ""
            raise Refused(f"{prefix}voice '{voice_id}' not found; try list_voices(language='en'). "
                            "Nothing was charged.") from None
        if voice.status in (None, "complete"):  # a clone still processing is asked about again
            state.cache.put(("voice", voice_id), voice)
    if voice.status not in (None, "complete"):
        prefix = f"{where}: " if where else ""
        raise Refused(f"{prefix}voice '{voice_id}' is a clone that is {voice.status}, not ready: "
                        f"wait_for_job('voice:{voice_id}') first. Nothing was charged.")
    return voice
