"""Lipsync: new speech on an existing video, the speaker's lips re-animated to match (``POST /v3/lipsyncs``).

The MCP side: signatures, argument descriptions, annotations; the work is ``workflow.lipsync``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server import MCPServer
from pydantic import Field

from ..core.costs import Spend
from ..core.models import MAX_SCRIPT_CHARS
from ..workflow import lipsync as lipsync_flow
from ..workflow.outputs import LipsyncJob
from .common import PAID, AppState, Context, MediaRoots, paid, reports_errors, who
from .fields import Id, Source
from .voices import RequestKey


@paid
@reports_errors
async def create_lipsync(
    ctx: Context[AppState],
    video: Annotated[Source, Field(description="A video job_id, URL, asset id or file.")],
    audio: Annotated[Source | None, Field(description="Audio file, URL or asset id (create_speech's).")] = None,
    script: Annotated[str | None, Field(min_length=1, max_length=MAX_SCRIPT_CHARS,
                                        description="Or words to speak, with voice_id.")] = None,
    voice_id: Id | None = None,
    mode: Annotated[Literal["speed", "precision"], Field(description="precision: better, twice the cost.")] = "speed",
    start_s: Annotated[float | None, Field(ge=0, le=36000, description="Re-voice only from here…")] = None,
    end_s: Annotated[float | None, Field(ge=0, le=36000, description="…to here (s).")] = None,
    title: Annotated[str | None, Field(max_length=200)] = None,
    request_key: RequestKey = None,
    roots: MediaRoots = None,
    *,
    spend: Spend,
) -> LipsyncJob:
    """For a finished video that should say something else: new speech, lips in sync. Paid (per second).
    Returns a job_id: wait_for_job, then download_video."""
    return await lipsync_flow.create_lipsync(who(ctx, spend, roots), video=video, audio=audio, script=script,
                                             voice_id=voice_id, mode=mode, start_s=start_s, end_s=end_s, title=title,
                                             request_key=request_key)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=PAID)(create_lipsync)
