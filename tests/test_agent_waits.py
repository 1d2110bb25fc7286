"""A Video Agent session that waits on a person ends wait_for_job at once with the next step (issue 9 §4).

HeyGen's agent may stop to ask a question (``waiting_for_input``) or to have a draft approved: the contract
names a ``reviewing`` status, and HeyGen was also seen keeping ``generating`` while its newest message carries
a ``draft_*`` resource and nothing renders (shared research 2026-11, §1.4). The sandbox does all three when a
chat-mode prompt asks for it. Through an MCP client; the ``mcp`` fixture fails on any contract violation.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from heygen_studio.core.models import AgentMessage, AgentSession
from heygen_studio.workflow.jobs import agent_needs, next_step, waits_on_person
from test_mcp_tools import call, upstream

pytestmark = pytest.mark.anyio


def session_gets(sandbox: Any, session_id: str) -> int:
    return len(upstream(sandbox, "GET", f"/v3/video-agents/{session_id}"))


async def start(mcp: Client, sandbox: Any, clock: Any, prompt: str) -> dict[str, Any]:
    job = await call(mcp, "create_agent_video", {"prompt": prompt, "mode": "chat"})
    clock.advance(sandbox.config.agent_thinking_seconds + 0.5)  # the agent has thought it over
    return job


async def waits_at_once(mcp: Client, sandbox: Any, job: dict[str, Any]) -> dict[str, Any]:
    before = session_gets(sandbox, job["session_id"])
    started = time.monotonic()
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 60})
    assert time.monotonic() - started < 2 and status["waited_s"] < 2  # not the 60 s it was allowed
    assert session_gets(sandbox, job["session_id"]) - before == 1  # one look was enough
    assert not status["done"]
    return status


async def finish(mcp: Client, clock: Any, job: dict[str, Any], tmp_path: Path) -> None:
    clock.advance(3600)
    done = await call(mcp, "wait_for_job", {"job_id": job["job_id"]})
    assert done["done"] and done["status"] == "completed" and done["needs"] is None
    saved = await call(mcp, "download_video", {"job_id": job["job_id"]})
    assert Path(saved["path"]).read_bytes()[4:8] == b"ftyp"


async def test_a_question_ends_the_wait_at_once_with_reply_to_agent(mcp: Client, sandbox: Any, clock: Any,
                                                                   tmp_path: Path) -> None:
    job = await start(mcp, sandbox, clock, "A launch video for our app. Ask me questions before you start.")
    status = await waits_at_once(mcp, sandbox, job)
    assert status["status"] == "waiting_for_input" and status["needs"] == "answer"
    assert status["message"].startswith("Before I start")  # the question itself, no extra call needed
    assert f"reply_to_agent('{job['session_id']}'" in status["next_step"]
    session = await call(mcp, "get_agent_session", {"session_id": job["job_id"]})
    assert "reply_to_agent" in session["next_step"]
    reply = await call(mcp, "reply_to_agent", {"session_id": job["job_id"],
                                               "message": "Small-business owners; 30 seconds."})
    assert reply["run_id"]
    await finish(mcp, clock, job, tmp_path)


@pytest.mark.parametrize("draft_status", ["reviewing", "generating"])
async def test_a_draft_to_approve_ends_the_wait_at_once_with_the_approval_step(
        mcp: Client, sandbox: Any, clock: Any, tmp_path: Path, draft_status: str) -> None:
    sandbox.config.agent_draft_status = draft_status
    job = await start(mcp, sandbox, clock, "A 30 second product teaser. Show me a draft to approve first.")
    clock.advance(3600)  # however long it sits there, it renders nothing
    status = await waits_at_once(mcp, sandbox, job)
    assert status["status"] == draft_status and status["needs"] == "approval"
    assert "Ready to go?" in status["message"]
    assert f"reply_to_agent('{job['session_id']}', message='Approved, render it.')" in status["next_step"]
    assert "Nothing renders until then" in status["next_step"]
    session = await call(mcp, "get_agent_session", {"session_id": job["session_id"]})
    assert session["messages"][0]["resource_ids"][0].startswith("draft_") and not session["video_id"]
    assert "Approved" in session["next_step"]
    await call(mcp, "reply_to_agent", {"session_id": job["job_id"], "message": "Approved, render it."})
    clock.advance(1)
    working = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 1})
    assert working["needs"] is None and "Call wait_for_job" in working["next_step"]  # rendering now
    await finish(mcp, clock, job, tmp_path)


async def test_a_question_then_a_draft_then_the_video(mcp: Client, sandbox: Any, clock: Any, tmp_path: Path) -> None:
    job = await start(mcp, sandbox, clock, "An onboarding video. Ask me questions, then show me a draft.")
    assert (await waits_at_once(mcp, sandbox, job))["needs"] == "answer"
    await call(mcp, "reply_to_agent", {"session_id": job["job_id"], "message": "New hires; one minute."})
    clock.advance(sandbox.config.agent_thinking_seconds + 0.5)
    assert (await waits_at_once(mcp, sandbox, job))["needs"] == "approval"
    await call(mcp, "reply_to_agent", {"session_id": job["job_id"], "message": "Approved, render it."})
    await finish(mcp, clock, job, tmp_path)
    assert len(upstream(sandbox, "POST", "/v3/videos")) == 0  # the agent renders; nothing else was paid for


async def test_a_working_session_wait_is_bounded(mcp: Client, sandbox: Any) -> None:
    job = await call(mcp, "create_agent_video", {"prompt": "A 20 second intro. Ask me questions.", "mode": "chat"})
    started = time.monotonic()  # the sandbox clock stands still: the agent thinks "forever"
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 1})
    assert time.monotonic() - started < 3 and status["waited_s"] <= 1.5
    assert status["status"] == "thinking" and not status["done"] and status["needs"] is None
    assert "Call wait_for_job" in status["next_step"] and "Do not create it again" in status["next_step"]


def session(status: str, *messages: AgentMessage) -> AgentSession:
    return AgentSession(session_id="s1", status=status, created_at=0, messages=list(messages))


@pytest.mark.parametrize(("status", "needs"), [
    ("waiting_for_input", "answer"), ("reviewing", "approval"),  # the contract's own
    ("awaiting_approval", "approval"), ("needs_review", "approval"), ("pending_confirmation", "approval"),
    ("input_required", "answer"), ("waiting_for_user_input", "answer"), ("awaiting_answer", "answer"),
    ("thinking", None), ("generating", None), ("waiting", None), ("processing", None), ("pending", None),
    ("completed", None), ("failed", None),
])
def test_whatever_status_string_heygen_uses(status: str, needs: str | None) -> None:
    """Statuses HeyGen may add are read by their words; a queue or work status is never a person's turn."""
    assert agent_needs(session(status)) == needs
    assert waits_on_person(status) == (needs is not None)
    step = next_step("agent", status, "agent:s1")
    assert ("reply_to_agent('s1'" in step) == (needs is not None)


def test_a_draft_resource_means_approval_whatever_the_status() -> None:
    draft = AgentMessage(role="model", type="resource", content="Ready to go?", resource_ids=["draft_ab12"])
    answered = AgentMessage(role="user", type="text", content="Approved.")
    assert agent_needs(session("generating", draft)) == "approval"
    assert agent_needs(session("generating", answered, draft)) is None  # replied: the agent is at work again
    assert agent_needs(session("completed", draft)) is None
