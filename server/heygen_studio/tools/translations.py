"""Translation tools: translate a video (or several at once, as one HeyGen batch) into other languages (voice.

The MCP side: signatures, argument descriptions, annotations; the work is ``workflow.translations``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server import MCPServer
from pydantic import Field

from ..core.costs import Spend
from ..workflow import translations as translations_flow
from ..workflow.outputs import TranslationInfo, TranslationJobs
from .common import PAID, READ_ONLY, AppState, Context, paid, reports_errors, who
from .fields import JobRef, LanguageName, Source


@paid
@reports_errors
async def translate_video(
    ctx: Context[AppState],
    languages: Annotated[list[LanguageName], Field(min_length=1, max_length=10,
                                          description="HeyGen language names, e.g. 'Spanish (Spain)'.")],
    video: Annotated[Source | None, Field(description="An http(s) URL of the video, an asset id, or a video "
                                                      "job_id.")] = None,
    videos: Annotated[list[Source] | None, Field(min_length=2, max_length=10, description="Instead of video: "
                                                 "several, as one batch (a batch: job id).")] = None,
    mode: Annotated[Literal["speed", "precision"], Field(description="precision costs twice as much.")] = "speed",
    title: Annotated[str | None, Field(max_length=200)] = None,
    captions: bool = False,
    *,
    spend: Spend,
) -> TranslationJobs:
    """For a finished video in other languages: voice clone + lip-sync, one or several videos at once. Paid, per
    video and language."""
    return await translations_flow.translate_video(who(ctx, spend), languages=languages, video=video, videos=videos,
                                                   mode=mode, title=title, captions=captions)


@reports_errors
async def get_translation(
    ctx: Context[AppState], translation_id: Annotated[JobRef, Field(description="translation id or job_id.")]
) -> TranslationInfo:
    """Status of a video translation, with the translated video's URL when done."""
    return await translations_flow.get_translation(who(ctx), translation_id=translation_id)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=PAID)(translate_video)
    mcp.tool(annotations=READ_ONLY)(get_translation)
