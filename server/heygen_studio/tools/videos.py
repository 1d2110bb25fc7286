"""Video tools: avatar videos (v3), Studio multi-scene videos (v2, or v3), status, download, list, delete.

The MCP side: signatures, argument descriptions, annotations; the work is ``workflow.videos``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.types import CallToolResult, ResourceLink, TextContent
from pydantic import Field

from ..core.costs import Spend
from ..core.models import (
    MAX_SCRIPT_CHARS,
    AspectRatio,
    EngineType,
    Expressiveness,
    Resolution,
)
from ..core.studio import Scene
from ..workflow import videos as videos_flow
from ..workflow.outputs import Deleted, Downloaded, VideoInfo, VideoJob, VideoList
from . import player
from .common import (
    DESTRUCTIVE,
    LOCAL_WRITE,
    PAID,
    READ_ONLY,
    AppState,
    Context,
    ImageRoots,
    paid,
    reporter,
    reports_errors,
    who,
)
from .fields import Id, JobRef, Name, NextToken, Source

RequestKey = Annotated[
    str | None,
    Field(max_length=64, description="Set only to repeat an identical video on purpose."),
]
HexColor = Annotated[str | None, Field(max_length=7, pattern=r"^#[0-9A-Fa-f]{6}$", description="#RRGGBB")]


@paid
@reports_errors
async def create_avatar_video(
    ctx: Context[AppState],
    script: Annotated[str | None, Field(min_length=1, max_length=MAX_SCRIPT_CHARS,
                                        description="Exact words to speak (or give audio).")] = None,
    avatar_id: Annotated[Id | None, Field(description="Avatar look id from list_avatars(kind='looks').")] = None,
    image: Annotated[Source | None, Field(description="Instead of avatar_id: an image to animate, as a local path, "
                                                   "an http(s) URL or an asset id.")] = None,
    voice_id: Annotated[Id | None, Field(description="list_voices; default: the avatar's own (an image with a "
                                                  "script needs one).")] = None,
    audio: Annotated[Source | None, Field(description="Audio to lip-sync instead of a script: URL or asset id.")
                     ] = None,
    voice_speed: Annotated[float | None, Field(ge=0.5, le=1.5)] = None,
    voice_pitch: Annotated[float | None, Field(ge=-50, le=50)] = None,
    voice_locale: Annotated[str | None, Field(max_length=16, description="Accent of a voice with locales=true "
                                                                        "(list_voices), e.g. 'en-GB'.")] = None,
    resolution: Resolution | None = None,
    aspect_ratio: AspectRatio | None = None,
    background_color: HexColor = None,
    background_image: Annotated[Source | None, Field(description="URL or asset id.")] = None,
    captions: Annotated[bool, Field(description="Also render a captioned copy and an SRT file.")] = False,
    motion_prompt: Annotated[str | None, Field(max_length=1000, description="Gestures/body motion in words.")] = None,
    expressiveness: Annotated[Expressiveness | None, Field(description="Photo avatars, Avatar IV only.")] = None,
    engine: EngineType | None = None,
    output_format: Literal["mp4", "webm"] = "mp4",
    title: Annotated[str | None, Field(max_length=200)] = None,
    request_key: RequestKey = None,
    roots: ImageRoots = None,
    *,
    spend: Spend,
) -> VideoJob:
    """For one presenter saying exact words, or a photo to make talk: an avatar look or any image speaks a script
    or audio. Paid. Returns a job_id at once."""
    return await videos_flow.create_avatar_video(who(ctx, spend, roots), script=script, avatar_id=avatar_id,
                                                 image=image, voice_id=voice_id, audio=audio, voice_speed=voice_speed,
                                                 voice_pitch=voice_pitch, voice_locale=voice_locale,
                                                 resolution=resolution, aspect_ratio=aspect_ratio,
                                                 background_color=background_color, background_image=background_image,
                                                 captions=captions, motion_prompt=motion_prompt,
                                                 expressiveness=expressiveness, engine=engine,
                                                 output_format=output_format, title=title, request_key=request_key)


@paid
@reports_errors
async def create_studio_video(
    ctx: Context[AppState],
    scenes: Annotated[list[Scene], Field(min_length=1, max_length=50, description="1-50 scenes, in order.")],
    title: Annotated[str | None, Field(max_length=200)] = None,
    resolution: Resolution = "1080p",
    aspect_ratio: Literal["16:9", "9:16", "1:1", "4:5", "5:4"] = "16:9",
    captions: bool = False,
    api: Annotated[Literal["v2", "v3"], Field(description="v2 Studio endpoint (default) or v3 type=studio.")] = "v2",
    request_key: RequestKey = None,
    *,
    spend: Spend,
) -> VideoJob:
    """For exact words in scenes, each with its own presenter, voice or background: 1-50 scenes, in order.
    Paid. Returns a job_id at once."""
    return await videos_flow.create_studio_video(who(ctx, spend), scenes=scenes, title=title, resolution=resolution,
                                                 aspect_ratio=aspect_ratio, captions=captions, api=api,
                                                 request_key=request_key)


@reports_errors
async def get_video(
    ctx: Context[AppState],
    job_id: Annotated[JobRef, Field(description="job_id from a create tool, or a HeyGen video id.")],
) -> VideoInfo:
    """Current status of a video and fresh (expiring) URLs. One upstream call."""
    return await videos_flow.get_video(who(ctx), job_id=job_id)


@reports_errors
async def download_video(
    ctx: Context[AppState],
    job_id: Annotated[JobRef, Field(description="job_id of a finished video, agent, translation, lipsync or batch; "
                                                "or a video_id.")],
    filename: Annotated[str | None, Field(max_length=120, description="File name in the output folder.")] = None,
    captioned: Annotated[bool, Field(description="Download the copy with burned-in captions.")] = False,
) -> Annotated[CallToolResult, Downloaded]:
    """Save a finished video into the output folder (resumes, refreshes expired links, never overwrites another
    file); a batch: every finished video, in one folder."""
    saved = await videos_flow.download_video(who(ctx), job_id=job_id, filename=filename, captioned=captioned,
                                             progress=reporter(ctx))
    return presented(saved)


def presented(saved: videos_flow.Saved) -> CallToolResult:
    """Saved files as MCP shows them: the line, a resource link per file (readable over ``resources/read`` when
    small enough), the structured answer."""
    links = [ResourceLink(type="resource_link", name=link.name, uri=link.uri, mime_type=link.mime_type,
                          size=link.size) for link in saved.links]
    return CallToolResult(content=[TextContent(type="text", text=saved.text), *links],
                          structured_content=saved.out.model_dump(mode="json"))


@reports_errors
async def list_videos(
    ctx: Context[AppState],
    limit: Annotated[int, Field(ge=1, le=50)] = 10,
    next_token: NextToken = None,
    title: Annotated[Name | None, Field(description="Filter by title.")] = None,
) -> VideoList:
    """For a video made earlier, to find and download again: your videos, newest first (compact rows;
    next_token for more); then download_video(video_id)."""
    return await videos_flow.list_videos(who(ctx), limit=limit, next_token=next_token, title=title)


@reports_errors
async def delete_video(
    ctx: Context[AppState], video_id: Annotated[JobRef, Field(description="HeyGen video id (or a video job_id).")]
) -> Deleted:
    """Permanently delete a video and its files at HeyGen."""
    return await videos_flow.delete_video(who(ctx), video_id=video_id)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=PAID)(create_avatar_video)
    mcp.tool(annotations=PAID)(create_studio_video)
    mcp.tool(annotations=READ_ONLY, meta=player.TOOL_META)(get_video)
    mcp.tool(annotations=LOCAL_WRITE, meta=player.TOOL_META)(download_video)
    mcp.tool(annotations=READ_ONLY)(list_videos)
    mcp.tool(annotations=DESTRUCTIVE)(delete_video)
