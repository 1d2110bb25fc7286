"""Jobs: ids that say what they are, one-poll status per kind, and the bounded wait.

A create tool returns ``job_id = "<kind>:<id>"`` (video, agent, translation, look). A raw id is
looked up in the job journal, and otherwise treated as a HeyGen video id. Waiting only ever
polls: it never resubmits anything.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import cast

import anyio
from mcp.server.mcpserver.exceptions import ToolError

from ..core.errors import NotFoundError
from ..core.journal import JOB_KINDS, JobKind
from .common import AppState, check_id
from .outputs import JobStatus

TERMINAL = {"completed", "failed"}
STALLED = {"pending_consent", "waiting_for_input"}  # waiting on a person, not on HeyGen

Progress = Callable[[float, str], Awaitable[None]]


def make_job_id(kind: JobKind, raw_id: str) -> str:
    return f"{kind}:{raw_id}"


def id_of(kind: JobKind, value: str, what: str) -> str:
    """A raw HeyGen id from either form a model may pass: ``<kind>:<id>`` or the bare id."""
    return check_id(value.strip().removeprefix(f"{kind}:"), what)


def is_job_id(state: AppState, value: str) -> bool:
    """True for ``<kind>:<id>`` and for a bare id this server's journal knows."""
    return value.strip().partition(":")[0] in JOB_KINDS or state.journal.get(value.strip()) is not None


def parse_job_id(state: AppState, job_id: str) -> tuple[JobKind, str]:
    job_id = job_id.strip()
    if ":" in job_id:
        prefix, _, raw = job_id.partition(":")
        if prefix in JOB_KINDS:
            return cast(JobKind, prefix), check_id(raw, "job id")
    check_id(job_id, "job id")
    entry = state.journal.get(job_id)
    if entry is not None and entry.get("kind") in JOB_KINDS:
        return cast(JobKind, entry["kind"]), job_id
    return "video", job_id


async def video_id_for(state: AppState, job_id: str) -> str:
    """The HeyGen video behind a video or agent job id (a ToolError for any other kind)."""
    kind, raw = parse_job_id(state, job_id)
    if kind == "video":
        return raw
    if kind == "agent":
        session = await state.client.video_agents.get(raw)
        if not session.video_id:
            raise ToolError(f"Agent session {raw} has no video yet ({session.status}); call wait_for_job first.")
        return session.video_id
    raise ToolError(f"{job_id} is a {kind} job, not a video; use the tool for that kind.")


def _video_progress(created_at: int | None, status: str, expected_s: float | None) -> float:
    """An estimate: HeyGen reports no progress for videos. It nears 95% as the expected time passes."""
    if status == "completed":
        return 100.0
    if status == "pending" or created_at is None:
        return 5.0
    elapsed = max(0.0, time.time() - created_at)
    return round(10 + 85 * (1 - math.exp(-2 * elapsed / (expected_s or 240))), 1)


async def poll_once(state: AppState, kind: JobKind, raw_id: str) -> JobStatus:
    """One upstream look at a job; a 404 becomes a ToolError that ends any wait."""
    hg = state.client
    job_id = make_job_id(kind, raw_id)
    try:
        if kind == "video":
            v = await hg.videos.get(raw_id)
            expected = (state.journal.get(raw_id) or {}).get("expected_s")
            return _video_status(job_id, v.id, v.status, v.created_at, v.video_url, v.failure_code,
                                 v.failure_message, expected)
        if kind == "agent":
            s = await hg.video_agents.get(raw_id)
            if s.status == "failed":
                error = next((m.content for m in s.messages if m.type == "error"), None)
                return JobStatus(job_id=job_id, kind=kind, status="failed", done=True, progress=100,
                                 video_id=s.video_id, failure=error or "the agent session failed",
                                 next_step="Read get_agent_session for the agent's messages, then start a new session.")
            if s.status == "waiting_for_input":
                return JobStatus(job_id=job_id, kind=kind, status=s.status, done=False,
                                 progress=float(s.progress or 0), video_id=s.video_id,
                                 next_step="The agent asks something: see get_agent_session; answer: reply_to_agent.")
            if s.video_id and s.status in ("generating", "completed"):
                v = await hg.videos.get(s.video_id)
                status = _video_status(job_id, v.id, v.status, v.created_at, v.video_url, v.failure_code,
                                       v.failure_message)
                status.kind = "agent"
                status.progress = max(status.progress, float(s.progress or 0)) if not status.done else 100.0
                return status
            return JobStatus(job_id=job_id, kind=kind, status=s.status, done=False,
                             progress=float(s.progress or 0), video_id=s.video_id,
                             next_step=f"Still {s.status}; call wait_for_job('{job_id}') again.")
        if kind == "translation":
            t = await hg.translations.get(raw_id)
            done = t.status in TERMINAL
            return JobStatus(
                job_id=job_id, kind=kind, status=t.status, done=done,
                progress=100.0 if done else (10.0 if t.status == "pending" else 50.0),
                video_url=t.video_url, failure=t.failure_message if t.status == "failed" else None,
                next_step=(f"Translated video ready: download_video('{job_id}')." if t.status == "completed"
                           else "Translation failed; check the source video and language, then translate again."
                           if t.status == "failed" else f"Call wait_for_job('{job_id}') again."),
            )
        look = await hg.avatars.get_look(raw_id)
        status = look.status or "completed"
        failure = (look.error or {}).get("message") if status == "failed" else None
        if status == "pending_consent":
            step = ("Waiting for consent: open the consent_url from create_photo_avatar (call it again with the same "
                    "photo to get the link), then wait again.")
        elif status == "completed":
            step = f"Ready: use avatar_id='{raw_id}' in create_avatar_video."
        elif status == "failed":
            step = "Avatar creation failed; try a clearer, front-facing photo."
        else:
            step = f"Still {status}; call wait_for_job('{job_id}') again."
        return JobStatus(job_id=job_id, kind=kind, status=status, done=status in TERMINAL,
                         progress=100.0 if status in TERMINAL else 50.0, failure=failure, next_step=step)
    except NotFoundError:
        raise ToolError(
            f"{job_id} was not found at HeyGen (deleted, or not an id of that kind). List videos or sessions to "
            "find the right id; nothing was resubmitted."
        ) from None


def _video_status(job_id: str, video_id: str, status: str, created_at: int | None, url: str | None,
                  code: str | None, message: str | None, expected_s: float | None = None) -> JobStatus:
    if status == "completed":
        step = f"Done: download_video('{job_id}') saves the MP4."
    elif status == "failed":
        step = "The render failed; fix the cause below and create the video again (that is charged again)."
    else:
        step = f"Still {status}; call wait_for_job('{job_id}') again. Do not create it again."
    failure = f"{code}: {message}" if status == "failed" and code else (message if status == "failed" else None)
    return JobStatus(job_id=job_id, kind="video", status=status, done=status in TERMINAL,
                     progress=_video_progress(created_at, status, expected_s), video_id=video_id, video_url=url,
                     failure=failure, next_step=step)


async def wait(state: AppState, job_id: str, max_wait_s: float, progress: Progress) -> JobStatus:
    """Poll with backoff until the job ends or ``max_wait_s`` runs out; report progress on every poll."""
    kind, raw = parse_job_id(state, job_id)
    started = time.monotonic()
    deadline = started + max_wait_s
    interval = state.poll_interval
    last_progress = -1.0
    status: JobStatus | None = None
    with anyio.move_on_after(max_wait_s):  # a hard bound, even if HeyGen answers slowly
        status = await poll_once(state, kind, raw)
        while True:
            last_progress = 100.0 if status.done else min(max(status.progress, last_progress + 0.1), 99.9)
            await progress(last_progress, f"{status.kind} {status.status}")
            remaining = deadline - time.monotonic()
            if status.done or status.status in STALLED or remaining <= 0.05:
                break
            await anyio.sleep(min(interval, remaining))
            interval = min(interval * 1.5, state.poll_interval * 3)
            status = await poll_once(state, kind, raw)
    if status is None:
        raise ToolError(f"HeyGen did not answer within {max_wait_s:g} s; call wait_for_job('{job_id}') again.")
    status.waited_s = round(time.monotonic() - started, 2)
    if not status.done and status.status not in STALLED:
        status.next_step = (f"Not finished after {status.waited_s:g} s (renders take minutes). Call "
                            f"wait_for_job('{status.job_id}') again; the job keeps running. Do not create it again.")
    return status
