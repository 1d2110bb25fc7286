"""Voice tools: find voices for create_avatar_video, create_studio_video and produce_video."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from pydantic import Field

from ..core.models import Page
from ..languages import language_name
from . import catalog
from .common import READ_ONLY, AppState, Context, app, reports_errors
from .fields import LanguageName
from .outputs import VoiceList, VoiceRow


@reports_errors
async def list_voices(
    ctx: Context[AppState],
    language: Annotated[LanguageName | None, Field(description="Language name or code, e.g. 'German' or 'de'.")] = None,
    gender: Literal["female", "male"] | None = None,
    type: Annotated[Literal["public", "private"] | None, Field(description="HeyGen's or your cloned ones.")] = None,
    engine: Annotated[str | None, Field(max_length=40, description="Voice engine, e.g. 'starfish'.")] = None,
    name: Annotated[str | None, Field(max_length=80, description="Case-insensitive name search.")] = None,
    limit: catalog.Limit = 10,
    next_token: catalog.NextToken = None,
) -> VoiceList:
    """Find voices by language, gender, type, engine or name (compact rows)."""
    state = app(ctx)
    lang = language_name(language)
    matches = catalog.name_matcher(name)

    async def fetch(token: str | None) -> Page[Any]:
        return await state.client.voices.list(type=type, engine=engine, language=lang, gender=gender, limit=100,
                                              token=token)

    rows, nxt = await catalog.window(state, ("voices", lang, gender, type, engine), fetch, next_token=next_token,
                                     limit=limit, keep=lambda v: matches(v.name))
    items = [VoiceRow(voice_id=v.voice_id, name=v.name, language=v.language, gender=v.gender) for v in rows]
    return VoiceList(items=items, next_token=nxt)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(list_voices)
