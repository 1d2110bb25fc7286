"""Voice tools: find voices, design one from a description, clone one from a sample, and text to speech.

The MCP side: signatures, argument descriptions, annotations; the work is ``workflow.voices``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.types import CallToolResult, ResourceLink, TextContent
from pydantic import Field

from ..core.costs import Spend
from ..core.models import MAX_SCRIPT_CHARS
from ..workflow import voices as voices_flow
from ..workflow.outputs import DesignedVoices, SpeechOut, VoiceJob, VoiceList
from .common import (
    PAID,
    READ_ONLY,
    AppState,
    AudioRoots,
    Context,
    paid,
    paid_presented,
    reports_errors,
    who,
)
from .fields import Id, LanguageName, Limit, NextToken, Source

RequestKey = Annotated[str | None, Field(max_length=64, description="Set only to repeat it on purpose.")]
Locale = Annotated[str | None, Field(max_length=16, description="Accent: voices of this locale, e.g. 'en-GB'.")]
SpeechLocale = Annotated[str | None, Field(max_length=16, description=(
    "e.g. 'en-GB', 'pt-BR': the accent of a voice with locales=true, and the speech's language (else "
    "detected)."))]


def speech_result(out: SpeechOut) -> CallToolResult:
    """The file as a resource link, and the structured answer."""
    path = Path(out.path)
    mime = "audio/wav" if path.suffix.lower() == ".wav" else "audio/mpeg"
    link = ResourceLink(type="resource_link", name=path.name, uri=out.uri, mime_type=mime, size=out.size_bytes)
    text = TextContent(type="text", text=f"Saved {out.duration_s:g} s of speech to {path}. {out.next_step}")
    return CallToolResult(content=[text, link], structured_content=out.model_dump(mode="json"))


@reports_errors
async def list_voices(
    ctx: Context[AppState],
    language: Annotated[LanguageName | None, Field(description="Language name or code, e.g. 'German' or 'de'; with "
                                                   "an accent ('en-GB', 'British'): the voices that speak it.")
                        ] = None,
    gender: Literal["female", "male"] | None = None,
    type: Annotated[Literal["public", "private"] | None, Field(description="HeyGen's or your cloned ones.")] = None,
    engine: Annotated[str | None, Field(max_length=40, description="Voice engine, e.g. 'starfish'.")] = None,
    name: Annotated[str | None, Field(max_length=80, description="Case-insensitive name search.")] = None,
    limit: Limit = 10,
    next_token: NextToken = None,
) -> VoiceList:
    """Find voices by language or accent, gender, type, engine or name (compact rows). locales=true: the voice
    takes a locale (accent) per request, e.g. create_speech(locale='en-GB')."""
    return await voices_flow.list_voices(who(ctx), language=language, gender=gender, type=type, engine=engine,
                                         name=name, limit=limit, next_token=next_token)


@reports_errors
async def design_voice(
    ctx: Context[AppState],
    prompt: Annotated[str, Field(min_length=1, max_length=1000, description="e.g. 'warm, calm female narrator'.")],
    gender: Literal["female", "male"] | None = None,
    locale: Locale = None,
    seed: Annotated[int, Field(ge=0, le=1000, description="0 = best matches; 1, 2… = the next ones.")] = 0,
) -> DesignedVoices:
    """For a new voice from a description: up to 3 matching voices (HeyGen's voice design)."""
    return await voices_flow.design_voice(who(ctx), prompt=prompt, gender=gender, locale=locale, seed=seed)


@paid_presented(speech_result)
@reports_errors
async def create_speech(
    ctx: Context[AppState],
    text: Annotated[str, Field(min_length=1, max_length=MAX_SCRIPT_CHARS, description="Words to speak, or SSML.")],
    voice_id: Annotated[Id, Field(description="From list_voices(engine='starfish'), or a clone.")],
    speed: Annotated[float | None, Field(ge=0.5, le=2.0)] = None,
    locale: SpeechLocale = None,
    filename: Annotated[str | None, Field(max_length=120)] = None,
    request_key: RequestKey = None,
    *,
    spend: Spend,
) -> SpeechOut:
    """For words as audio, no video: saves an audio file; its asset_id is the audio for create_avatar_video and
    Studio scenes. Paid (small)."""
    return await voices_flow.create_speech(who(ctx, spend), text=text, voice_id=voice_id, speed=speed, locale=locale,
                                           filename=filename, request_key=request_key)


@paid
@reports_errors
async def clone_voice(
    ctx: Context[AppState],
    audio: Annotated[Source, Field(description="The speaker's voice: a local file, an http(s) URL or an asset id.")],
    name: Annotated[str, Field(min_length=1, max_length=100)],
    speaker_consent: Annotated[bool, Field(description="true only if the speaker agreed to be cloned.")],
    language: Annotated[LanguageName | None, Field(description="e.g. 'en'; detected if omitted.")] = None,
    request_key: RequestKey = None,
    roots: AudioRoots = None,
    *,
    spend: Spend,
) -> VoiceJob:
    """For a voice cloned from a recording: an audio sample (yours, or a speaker who agreed). Paid.
    Returns a voice: job id; wait_for_job, then use its voice_id."""
    return await voices_flow.clone_voice(who(ctx, spend, roots), audio=audio, name=name,
                                         speaker_consent=speaker_consent, language=language, request_key=request_key)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(list_voices)
    mcp.tool(annotations=READ_ONLY)(design_voice)
    mcp.tool(annotations=PAID)(create_speech)
    mcp.tool(annotations=PAID)(clone_voice)
