"""Job tools: wait for any job (bounded, with progress), list this person's jobs (``workflow.jobs``)."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from pydantic import Field

from ..workflow import jobs
from ..workflow.outputs import JobList, JobStatus
from . import player
from .common import LOCAL_READ, READ_ONLY, AppState, Context, reports_errors, who
from .fields import JobRef


@reports_errors
async def wait_for_job(
    ctx: Context[AppState],
    job_id: Annotated[JobRef, Field(description="Any job_id a create tool returned, or a HeyGen video id.")],
    max_wait_s: Annotated[float, Field(ge=1, le=300, description="Return by then (hosts cut calls near 60 s).")] = 45,
) -> JobStatus:
    """Wait (bounded) for any job_id (video, agent, translation, look, lipsync, voice, batch); reports progress.
    Returns the current state; if not done, call again. Never resubmits (a batch's queued items are sent as
    HeyGen frees slots: priced when the batch was made, never twice)."""

    async def report(progress: float, message: str) -> None:
        await ctx.report_progress(progress, total=100, message=message)

    return await jobs.wait(who(ctx), job_id, max_wait_s, report)


@reports_errors
async def list_jobs(
    ctx: Context[AppState],
    limit: Annotated[int, Field(ge=1, le=50)] = 10,
) -> JobList:
    """Jobs submitted to this HeyGen account from this machine (any server process), newest first: recover a
    lost job_id. Each row: its state as last seen (wait_for_job refreshes it), when it was sent, its length and
    saved file once known."""
    return jobs.list_jobs(who(ctx), limit)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY, meta=player.TOOL_META)(wait_for_job)
    mcp.tool(annotations=LOCAL_READ)(list_jobs)
