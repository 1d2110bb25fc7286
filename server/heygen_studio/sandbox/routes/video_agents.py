"""Video Agent sessions (v3): thinking → generating → completed, one video per run.

A chat-mode session may stop for a person, as HeyGen's agent does when asked to: a prompt that asks the
agent to ask questions ("ask me…", "questions") makes the first run end in a question
(``waiting_for_input``); one that asks for a draft first ("draft", "approve", "storyboard", "check with
me") makes a run end with a draft to approve (``config.agent_draft_status``; the message carries a
``draft_*`` resource). Both, in that order, when the prompt asks for both. Nothing renders in a paused
run; the reply starts the next run.

Two HeyGen quirks, off by default (``SandboxConfig``): a run over ``agent_fail_silently_over`` characters fails
with no reason; with ``agent_session_gone_after_video`` a session answers 404 once it has shown its video id.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import checks, costs
from ..concurrency import admit
from ..errors import ApiError, invalid_parameter, not_found
from ..models.base import parse_body, parse_model
from ..models.video_agents import CreateVideoAgentSession, SendVideoAgentMessage, StopSession
from ..records import AgentRun, AgentSession, Video
from ..state import SandboxState
from ..views import draft_id, resource_id, session_detail, session_video_id, video_detail, video_urls
from ..web import base_url, ok, ok_list, or_404, paged, state_of

_ASKS_QUESTIONS = re.compile(r"\bask me\b|\bquestions?\b", re.IGNORECASE)
_ASKS_FOR_DRAFT = re.compile(r"\bdrafts?\b|\bapprov\w*|\bstoryboard\b|\bcheck with me\b", re.IGNORECASE)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(seconds?|secs?|s\b|minutes?|mins?)", re.IGNORECASE)


def estimate_seconds(prompt: str) -> float:
    """Length the agent aims for: an explicit "N seconds/minutes" in the prompt, else 60 s."""
    match = _DURATION.search(prompt)
    if not match:
        return costs.AGENT_RUN_SECONDS
    value = float(match.group(1))
    if match.group(2).lower().startswith("m"):
        value *= 60
    return min(max(value, 5.0), 600.0)


def _title(prompt: str) -> str:
    words = prompt.split()
    title = " ".join(words[:8])
    return title + ("…" if len(words) > 8 else "")


def _session(state: SandboxState, session_id: str) -> AgentSession:
    session = or_404(state.sessions.get(session_id), "Video agent session", session_id)
    return session


def _check_overrides(
    state: SandboxState, body: CreateVideoAgentSession | SendVideoAgentMessage, now: float
) -> None:
    if body.avatar_id:
        checks.require_look(state, body.avatar_id, "avatar_id", now)
    if body.voice_id:
        checks.require_voice(state, body.voice_id, "voice_id")
    for i, item in enumerate(body.files or []):
        checks.check_asset_input(state, item, f"files[{i}]")


def _pauses(mode: str, prompt: str) -> list[str]:
    """Where a chat-mode agent will stop for the person (see the module docstring)."""
    if mode != "chat":
        return []
    return [p for p, asked in (("question", _ASKS_QUESTIONS), ("draft", _ASKS_FOR_DRAFT)) if asked.search(prompt)]


def _start_run(state: SandboxState, request: Request, session: AgentSession, message: str) -> AgentRun:
    now = state.now()
    cfg = state.config
    pause = session.pauses.pop(0) if session.pauses else None
    run = AgentRun(
        run_id=state.new_id("run", prefix="run_", length=24),
        message=message,
        started_at=now,
        thinking=cfg.agent_thinking_seconds,
        generating=cfg.agent_generating_seconds,
        video_id=state.new_id("video"),
        pause=pause,
        pause_status="waiting_for_input" if pause == "question" else cfg.agent_draft_status,
    )
    limit = cfg.agent_fail_silently_over
    if limit is not None and len(message) > limit:  # fails while thinking, with no reason and no video
        run.failed_at = now + cfg.agent_thinking_seconds / 2
    if pause is not None or run.failed_at is not None:  # a question or a draft: nothing renders until the reply
        session.runs.append(run)
        return run
    video = Video(
        id=run.video_id,
        kind="agent",
        title=session.title,
        created_at=run.generating_at,
        render_seconds=cfg.agent_generating_seconds,
        duration=round(estimate_seconds(message), 2),
        base_url=base_url(request),
        script=message,
        session_id=session.session_id,
        width=1080 if session.orientation == "portrait" else 1920,
        height=1920 if session.orientation == "portrait" else 1080,
        look_id=session.avatar_id,
        voice_id=session.voice_id,
    )
    state.videos[video.id] = video
    session.runs.append(run)
    return run


async def create_session(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    body = parse_body(CreateVideoAgentSession, await request.body())
    _check_overrides(state, body, now)
    if body.style_id and body.style_id not in state.styles:
        raise invalid_parameter(f"Style '{body.style_id}' not found", "style_id")
    checks.check_url(body.callback_url, "callback_url")
    admit(state, 1, "Video Agent session")
    state.charge_for("/v3/video-agents", await request.body(), "Video Agent run")
    session = AgentSession(
        session_id=state.new_id("session"),
        mode=body.mode,
        title=_title(body.prompt),
        created_at=now,
        base_url=base_url(request),
        callback_url=body.callback_url,
        callback_id=body.callback_id,
        avatar_id=body.avatar_id,
        voice_id=body.voice_id,
        style_id=body.style_id,
        orientation=body.orientation,
        pauses=_pauses(body.mode, body.prompt),
    )
    _start_run(state, request, session, body.prompt)
    state.sessions[session.session_id] = session
    return ok(
        {
            "session_id": session.session_id,
            "status": session.status(now),
            "video_id": None,
            "created_at": int(now),
        }
    )


def _session_summary(session: AgentSession) -> dict[str, Any]:
    return {"session_id": session.session_id, "created_at": int(session.created_at), "title": session.title}


async def list_sessions(request: Request) -> Response:
    state = state_of(request)
    sessions = list(reversed(state.sessions.values()))
    return paged(request, sessions, _session_summary, default=20, maximum=100)


def _style_item(state: SandboxState, style: dict[str, Any], base: str) -> dict[str, Any]:
    return {
        "style_id": style["style_id"],
        "name": style["name"],
        "aspect_ratio": style["aspect_ratio"],
        "tags": list(style["tags"]),
        "thumbnail_url": state.media_url(base, f"/_media/styles/{style['style_id']}/thumbnail.jpg"),
        "preview_video_url": state.media_url(base, f"/_media/styles/{style['style_id']}/preview.mp4"),
    }


async def list_styles(request: Request) -> Response:
    state = state_of(request)
    tag = (request.query_params.get("tag") or "").strip().lower()
    styles = [s for s in state.styles.values() if not tag or tag in [t.lower() for t in s["tags"]]]
    base = base_url(request)
    return paged(request, styles, lambda style: _style_item(state, style, base), default=20, maximum=100)


async def get_session(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    session = _session(state, request.path_params["session_id"])
    if state.config.agent_session_gone_after_video:  # stale once its video was assigned (vm0 #33077)
        if session.video_shown:
            raise ApiError(404, "not_found", "Session not found")
        session.video_shown = session_video_id(session, now) is not None
    return ok(session_detail(session, now))


async def send_message(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    session = _session(state, request.path_params["session_id"])
    body = parse_body(SendVideoAgentMessage, await request.body())
    if session.mode != "chat":
        raise invalid_parameter("Only sessions created with mode 'chat' accept follow-up messages", "session_id")
    if session.active(now):
        raise ApiError(409, "conflict", "The agent is still working on the previous message; wait or stop it")
    _check_overrides(state, body, now)
    admit(state, 1, "Video Agent run")
    state.charge_for(f"/v3/video-agents/{session.session_id}", await request.body(), "Video Agent run")
    run = _start_run(state, request, session, body.message)
    return ok({"session_id": session.session_id, "run_id": run.run_id, "title": session.title})


async def stop_session(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    session = _session(state, request.path_params["session_id"])
    parse_model(StopSession, await request.body(), required=False)
    run = session.current
    if session.active(now):
        run.stopped_at = now
        video = state.videos.get(run.video_id)
        if video is not None:
            if now < run.generating_at:
                del state.videos[video.id]
            else:
                video.failed_at, video.failure_code = now, "cancelled"
                video.failure_message = "Stopped by the user."
    return ok({"session_id": session.session_id})


async def session_videos(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    session = _session(state, request.path_params["session_id"])
    base = base_url(request)
    videos = [state.video(run.video_id, now) for run in reversed(session.runs)]
    return ok_list([video_detail(state, v, base, now) for v in videos if v is not None])


async def get_resource(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    session = _session(state, request.path_params["session_id"])
    wanted = request.path_params["resource_id"]
    base = base_url(request)
    for run in session.runs:
        if run.pause == "draft" and draft_id(run) == wanted and now >= run.generating_at:
            return ok(
                {
                    "resource_id": wanted,
                    "resource_type": "draft",
                    "source_type": "generated",
                    "created_at": int(run.generating_at),
                    "metadata": {"run_id": run.run_id, "scenes": 3, "script": run.message[:200]},
                }
            )
        video = state.video(run.video_id, now)
        if resource_id(run.video_id) == wanted and video is not None and video.status(now) == "completed":
            urls = video_urls(state, video, base)
            return ok(
                {
                    "resource_id": wanted,
                    "resource_type": "video",
                    "source_type": "generated",
                    "url": urls["video_url"],
                    "preview_url": urls["gif_url"],
                    "thumbnail_url": urls["thumbnail_url"],
                    "created_at": int(video.finishes_at),
                    "metadata": {"video_id": video.id, "duration": video.duration, "run_id": run.run_id},
                }
            )
    raise not_found("Resource", wanted)


routes = [
    Route("/v3/video-agents", create_session, methods=["POST"]),
    Route("/v3/video-agents", list_sessions, methods=["GET"]),
    Route("/v3/video-agents/styles", list_styles, methods=["GET"]),
    Route("/v3/video-agents/{session_id}", get_session, methods=["GET"]),
    Route("/v3/video-agents/{session_id}", send_message, methods=["POST"]),
    Route("/v3/video-agents/{session_id}/stop", stop_session, methods=["POST"]),
    Route("/v3/video-agents/{session_id}/videos", session_videos, methods=["GET"]),
    Route("/v3/video-agents/{session_id}/resources/{resource_id}", get_resource, methods=["GET"]),
]
