"""Catalogue tools (avatars, looks, voices) and the pre-flight checks that use them.

Catalogues are fetched from HeyGen in large pages, kept for five minutes, and filtered and
paged here: a repeated or refined query costs no upstream call, a name search works although
HeyGen has no name filter, and every answer is a short page of compact rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..core.errors import NotFoundError
from ..core.models import AvatarGroup, AvatarLook, Page, Voice
from ..languages import language_name
from .common import READ_ONLY, AppState, app, check_id, reports_errors
from .outputs import AvatarInfo, AvatarList, AvatarRow, VoiceList, VoiceRow

MAX_UPSTREAM_PAGES = 20


Limit = Annotated[int, Field(ge=1, le=20)]
NextToken = str | None  # the previous page's next_token


@dataclass
class Catalogue:
    items: list[Any] = field(default_factory=list)
    token: str | None = None
    exhausted: bool = False


FetchPage = Callable[[str | None], Awaitable[Page[Any]]]


async def window(state: AppState, key: tuple[Any, ...], fetch: FetchPage, *, offset: int, limit: int,
                 keep: Callable[[Any], bool]) -> tuple[list[Any], int | None]:
    """Rows ``offset``..``offset+limit`` of the filtered catalogue; fetches upstream only what is missing."""
    cat: Catalogue | None = state.cache.get(key)
    if cat is None:
        cat = state.cache.put(key, Catalogue())
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
    return rows, (offset + limit if more and rows else None)


def parse_offset(token: str | None) -> int:
    if not token:
        return 0
    if token.startswith("o") and token[1:].isdigit():
        return int(token[1:])
    raise ToolError("next_token is not one this server issued; start again without it.")


def _name_matcher(name: str | None) -> Callable[[str | None], bool]:
    needle = (name or "").strip().lower()
    return lambda text: not needle or needle in (text or "").lower()


def look_row(look: AvatarLook) -> AvatarRow:
    return AvatarRow(id=look.id, name=look.name, kind="look", type=look.avatar_type, gender=look.gender,
                     group_id=look.group_id, engines=look.supported_api_engines or None,
                     orientation=look.preferred_orientation,
                     default_voice_id=look.default_voice_id, status=look.status)


def group_row(group: AvatarGroup) -> AvatarRow:
    return AvatarRow(id=group.id, name=group.name, kind="group", gender=group.gender,
                     default_voice_id=group.default_voice_id, status=group.status, looks=group.looks_count)


@reports_errors
async def list_avatars(
    ctx: Context,
    kind: Annotated[Literal["looks", "groups"], Field(description="looks (usable as avatar_id) or groups.")] = "looks",
    ownership: Annotated[Literal["public", "private"] | None, Field(description="HeyGen's or your own.")] = None,
    avatar_type: Literal["studio_avatar", "digital_twin", "photo_avatar"] | None = None,
    group_id: Annotated[str | None, Field(description="Only looks of this group.")] = None,
    name: Annotated[str | None, Field(max_length=80, description="Case-insensitive name search.")] = None,
    limit: Limit = 10,
    next_token: NextToken = None,
) -> AvatarList:
    """Find avatars: compact rows of looks (id = avatar_id for videos) or groups."""
    state = app(ctx)
    hg = state.client
    matches = _name_matcher(name)
    offset = parse_offset(next_token)
    if kind == "groups":
        async def fetch_groups(token: str | None) -> Page[Any]:
            return await hg.avatars.list_groups(ownership=ownership, limit=50, token=token)

        rows, nxt = await window(state, ("groups", ownership), fetch_groups, offset=offset, limit=limit,
                                 keep=lambda g: matches(g.name))
        return AvatarList(items=[group_row(g) for g in rows], next_token=f"o{nxt}" if nxt is not None else None)
    if group_id:
        check_id(group_id, "group_id")

    async def fetch_looks(token: str | None) -> Page[Any]:
        return await hg.avatars.list_looks(group_id=group_id, avatar_type=avatar_type, ownership=ownership,
                                           limit=50, token=token)

    rows, nxt = await window(state, ("looks", ownership, avatar_type, group_id), fetch_looks, offset=offset,
                             limit=limit, keep=lambda look: matches(look.name))
    return AvatarList(items=[look_row(look) for look in rows], next_token=f"o{nxt}" if nxt is not None else None)


@reports_errors
async def get_avatar(
    ctx: Context,
    avatar_id: Annotated[str, Field(description="A look id or a group id.")],
) -> AvatarInfo:
    """Details and status of one avatar look, or of a group with its looks."""
    state = app(ctx)
    check_id(avatar_id, "avatar_id")
    hg = state.client
    try:
        look = await hg.avatars.get_look(avatar_id)
    except NotFoundError:
        look = None
    if look is not None:
        state.cache.put(("look", look.id), look)
        failure = (look.error or {}).get("message") if look.status == "failed" else None
        return AvatarInfo(id=look.id, kind="look", name=look.name, status=look.status, type=look.avatar_type,
                          gender=look.gender, group_id=look.group_id, engines=look.supported_api_engines or None,
                          orientation=look.preferred_orientation,
                          default_voice_id=look.default_voice_id, preview_image_url=look.preview_image_url,
                          failure=failure, next_step=_look_step(look))
    try:
        group = await hg.avatars.get_group(avatar_id)
    except NotFoundError:
        raise ToolError(f"No avatar look or group '{avatar_id}'; try list_avatars(name='…').") from None
    looks = await hg.avatars.list_looks(group_id=group.id, limit=20)
    return AvatarInfo(id=group.id, kind="group", name=group.name, status=group.status, gender=group.gender,
                      default_voice_id=group.default_voice_id, preview_image_url=group.preview_image_url,
                      looks=[look_row(lk) for lk in looks.items],
                      next_step="Use one of the looks' ids as avatar_id.")


def _look_step(look: AvatarLook) -> str | None:
    return {
        "pending_consent": "Needs consent: call create_photo_avatar again with the same photo for the consent link.",
        "processing": f"Still processing: wait_for_job('look:{look.id}').",
        "failed": "Creation failed; make a new one from a clearer photo.",
    }.get(look.status or "completed", f"Ready: avatar_id='{look.id}'.")


@reports_errors
async def list_voices(
    ctx: Context,
    language: Annotated[str | None, Field(description="Language name or code, e.g. 'German' or 'de'.")] = None,
    gender: Literal["female", "male"] | None = None,
    type: Annotated[Literal["public", "private"] | None, Field(description="HeyGen's or your cloned ones.")] = None,
    engine: Annotated[str | None, Field(description="Voice engine, e.g. 'starfish'.")] = None,
    name: Annotated[str | None, Field(max_length=80, description="Case-insensitive name search.")] = None,
    limit: Limit = 10,
    next_token: NextToken = None,
) -> VoiceList:
    """Find voices by language, gender, type, engine or name (compact rows)."""
    state = app(ctx)
    lang = language_name(language)
    matches = _name_matcher(name)

    async def fetch(token: str | None) -> Page[Any]:
        return await state.client.voices.list(type=type, engine=engine, language=lang, gender=gender, limit=100,
                                              token=token)

    rows, nxt = await window(state, ("voices", lang, gender, type, engine), fetch, offset=parse_offset(next_token),
                             limit=limit, keep=lambda v: matches(v.name))
    items = [VoiceRow(voice_id=v.voice_id, name=v.name, language=v.language, gender=v.gender) for v in rows]
    return VoiceList(items=items, next_token=f"o{nxt}" if nxt is not None else None)


# -- pre-flight checks used by paid tools ----------------------------------------------------------
async def require_look(state: AppState, look_id: str, *, where: str | None = None) -> AvatarLook:
    """The look, or a ToolError before anything is paid for."""
    check_id(look_id, "avatar_id")
    prefix = f"{where}: " if where else ""
    look: AvatarLook | None = state.cache.get(("look", look_id))
    if look is None:
        try:
            look = await state.client.avatars.get_look(look_id)
        except NotFoundError:
            raise ToolError(f"{prefix}avatar look '{look_id}' not found (group ids are not looks); try "
                            "list_avatars(kind='looks', name='…'). Nothing was charged.") from None
        if look.status in (None, "completed"):
            state.cache.put(("look", look_id), look)
    if look.status not in (None, "completed"):
        raise ToolError(f"{prefix}avatar '{look_id}' is {look.status}, not ready. {_look_step(look)}")
    return look


async def require_voice(state: AppState, voice_id: str, *, where: str | None = None) -> Voice:
    check_id(voice_id, "voice_id")
    voice: Voice | None = state.cache.get(("voice", voice_id))
    if voice is None:
        try:
            voice = await state.client.voices.get(voice_id)
        except NotFoundError:
            prefix = f"{where}: " if where else ""
            raise ToolError(f"{prefix}voice '{voice_id}' not found; try list_voices(language='en'). "
                            "Nothing was charged.") from None
        state.cache.put(("voice", voice_id), voice)
    return voice


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(list_avatars)
    mcp.tool(annotations=READ_ONLY)(get_avatar)
    mcp.tool(annotations=READ_ONLY)(list_voices)
