"""Render sandbox resources as the JSON objects HeyGen returns (media URLs minted per call)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .media import EXTENSIONS
from .records import (
    AgentRun,
    AgentSession,
    Asset,
    AvatarGroup,
    AvatarLook,
    Batch,
    BatchEntry,
    Lipsync,
    Translation,
    Video,
    Voice,
    WebhookEndpoint,
    WebhookEvent,
)
from .store import SandboxStore

APP_URL = "https://app.heygen.com"


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat().replace("+00:00", "Z")


def _ts(value: float | None) -> int | None:
    return None if value is None else int(value)


# -- videos ----------------------------------------------------------------------------------------
def video_urls(state: SandboxStore, video: Video, base: str) -> dict[str, str | None]:
    root = f"/_media/videos/{video.id}"
    return {
        "video_url": state.media_url(base, f"{root}/video.mp4"),
        "thumbnail_url": state.media_url(base, f"{root}/thumbnail.jpg"),
        "gif_url": state.media_url(base, f"{root}/preview.gif"),
        "subtitle_url": state.media_url(base, f"{root}/subtitles.srt"),
        "captioned_video_url": state.media_url(base, f"{root}/captioned.mp4") if video.captioned else None,
    }


def video_detail(state: SandboxStore, video: Video, base: str, now: float) -> dict[str, Any]:
    status = video.status(now)
    done = status == "completed"
    urls = (
        video_urls(state, video, base)
        if done
        else dict.fromkeys(("video_url", "thumbnail_url", "gif_url", "subtitle_url", "captioned_video_url"))
    )
    return {
        "id": video.id,
        "title": video.title,
        "status": status,
        "created_at": _ts(video.created_at),
        "completed_at": _ts(video.finishes_at) if done else None,
        "duration": video.duration if done else None,
        "folder_id": video.folder_id,
        "output_language": None,
        **urls,
        "video_page_url": f"{APP_URL}/videos/{video.id}",
        "failure_code": video.failure_code if status == "failed" else None,
        "failure_message": video.failure_message if status == "failed" else None,
    }


def bulk_status(video: Video | None, video_id: str, now: float) -> dict[str, Any]:
    if video is None:
        return {"video_id": video_id, "status": "not_found", "error": None}
    status = video.status(now)
    error = None
    if status == "failed":
        error = {"code": video.failure_code, "message": video.failure_message}
    return {"video_id": video.id, "status": status, "error": error}


# -- batches ---------------------------------------------------------------------------------------
_BATCH_ITEM_STATUS = {"pending": "queued", "running": "processing", "processing": "processing",
                      "completed": "completed", "failed": "failed"}


def batch_item(state: SandboxStore, batch: Batch, entry: BatchEntry, now: float) -> dict[str, Any]:
    """One item of a batch, in the batch's words: its job's status (``queued`` has no id yet), or its error."""
    if entry.error_code is not None:
        return {"item_index": entry.index, "status": "failed", "video_id": None,
                "error": {"code": entry.error_code, "message": entry.error_message, "param": entry.error_param}}
    job: Video | Translation | None = (state.videos.get(entry.job_id or "") if batch.kind == "video"
                                       else state.translations.get(entry.job_id or ""))
    if job is None:  # deleted since
        return {"item_index": entry.index, "status": "failed", "video_id": entry.job_id,
                "error": {"code": "not_found", "message": "The item's job was deleted"}}
    status = _BATCH_ITEM_STATUS.get(job.status(now), "processing")
    error = None
    if status == "failed":
        code = job.failure_code if isinstance(job, Video) and job.failure_code else "internal_error"
        error = {"code": code, "message": job.failure_message or "Failed"}
    return {"item_index": entry.index, "status": status, "video_id": None if status == "queued" else job.id,
            "error": error}


# -- video agent -----------------------------------------------------------------------------------
def resource_id(video_id: str) -> str:
    return f"res_{video_id[:24]}"


def session_messages(session: AgentSession, now: float) -> list[dict[str, Any]]:
    messages: list[tuple[float, int, dict[str, Any]]] = []
    seq = 0

    def add(at: float, role: str, kind: str, content: str, resources: list[str] | None = None) -> None:
        nonlocal seq
        if at <= now:
            seq += 1
            messages.append(
                (
                    at,
                    seq,
                    {
                        "role": role,
                        "type": kind,
                        "content": content,
                        "created_at": int(at),
                        "resource_ids": resources,
                    },
                )
            )

    for run in session.runs:
        stop = run.ended_early_at  # stopped or failed: nothing is said after (a failure gives no reason)
        add(run.started_at, "user", "text", run.message)
        if run.started_at < stop:
            add(run.started_at, "model", "text", f"Planning a video for: {run.message[:120]}")
        if run.pause == "question" and run.generating_at < stop:
            add(run.generating_at, "model", "text", AGENT_QUESTION)
        elif run.pause == "draft" and run.generating_at < stop:
            add(run.generating_at, "model", "resource", AGENT_DRAFT, [draft_id(run)])
        elif run.generating_at < stop:
            add(run.generating_at, "model", "text", "Script and scenes are ready. Rendering the video now.")
        if run.done_at < stop:
            add(run.done_at, "model", "resource", "Your video is ready.", [resource_id(run.video_id)])
        if run.stopped_at is not None:
            add(run.stopped_at, "model", "error", "Stopped by the user.")
    messages.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [m for _, _, m in messages[:40]]


AGENT_QUESTION = "Before I start: who is the video for, and how long should it be?"
AGENT_DRAFT = "Here is a draft of the script and scenes. Ready to go? Reply to approve, or tell me what to change."


def draft_id(run: AgentRun) -> str:
    return f"draft_{run.run_id.removeprefix('run_')}"


def session_video_id(session: AgentSession, now: float) -> str | None:
    for run in reversed(session.runs):
        if run.renders and now >= run.generating_at and run.ended_early_at > run.generating_at:
            return run.video_id
    return None


def session_detail(session: AgentSession, now: float) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "status": session.status(now),
        "progress": session.current.progress(now),
        "title": session.title,
        "video_id": session_video_id(session, now),
        "created_at": int(session.created_at),
        "messages": session_messages(session, now),
    }


# -- avatars ---------------------------------------------------------------------------------------
def look_item(state: SandboxStore, look: AvatarLook, base: str, now: float) -> dict[str, Any]:
    group = state.groups[look.group_id]
    status = look.status(now, group)
    error = (
        {"code": look.failure[0], "message": look.failure[1]} if look.failure and status == "failed" else None
    )
    return {
        "id": look.id,
        "name": look.name,
        "avatar_type": look.avatar_type,
        "group_id": look.group_id,
        "gender": look.gender,
        "default_voice_id": look.default_voice_id,
        "preview_image_url": state.media_url(base, f"/_media/looks/{look.id}/preview.jpg"),
        "preview_video_url": state.media_url(base, f"/_media/looks/{look.id}/preview.mp4"),
        "supported_api_engines": list(look.supported_api_engines),
        "preferred_orientation": look.preferred_orientation,
        "image_width": look.image_width,
        "image_height": look.image_height,
        "tags": list(look.tags),
        "status": status,
        "error": error,
    }


def group_item(state: SandboxStore, group: AvatarGroup, base: str, now: float) -> dict[str, Any]:
    looks = state.group_looks(group.id)
    status = state.group_status(group, now)
    error = None
    if status == "failed":
        failed = next(look for look in looks if look.failure)
        error = {"code": failed.failure[0], "message": failed.failure[1]}  # type: ignore[index]
    return {
        "id": group.id,
        "name": group.name,
        "gender": group.gender,
        "default_voice_id": group.default_voice_id,
        "created_at": int(group.created_at),
        "looks_count": len(looks),
        "preview_image_url": state.media_url(base, f"/_media/groups/{group.id}/preview.jpg"),
        "preview_video_url": state.media_url(base, f"/_media/groups/{group.id}/preview.mp4"),
        "status": status,
        "consent_status": group.consent_status if group.consent_required else None,
        "error": error,
    }


# -- voices ----------------------------------------------------------------------------------------
def voice_item(state: SandboxStore, voice: Voice, base: str) -> dict[str, Any]:
    return {
        "voice_id": voice.voice_id,
        "name": voice.name,
        "language": voice.language,
        "gender": voice.gender,
        "type": voice.type,
        "preview_audio_url": state.media_url(base, f"/_media/voices/{voice.voice_id}/preview.mp3"),
        "support_pause": voice.support_pause,
        "support_locale": voice.support_locale,
    }


def voice_detail(state: SandboxStore, voice: Voice, base: str, now: float) -> dict[str, Any]:
    status = voice.status(now)  # None for library voices: "Clone status. Only present for cloned voices."
    ready = status in (None, "complete")
    return {
        "voice_id": voice.voice_id,
        "name": voice.name,
        "language": voice.language,
        "gender": voice.gender,
        "preview_audio_url": state.media_url(base, f"/_media/voices/{voice.voice_id}/preview.mp3") if ready else None,
        "support_pause": voice.support_pause,
        "support_interactive_avatar": voice.support_interactive_avatar,
        "status": status,
        "created_at": int(voice.created_at) if voice.created_at is not None else None,
        "failure_message": voice.failure_message if status == "failed" else None,
    }


# -- assets ----------------------------------------------------------------------------------------
def asset_url(state: SandboxStore, asset: Asset, base: str) -> str:
    ext = EXTENSIONS.get(asset.mime_type, "")
    return state.media_url(base, f"/_media/assets/{asset.id}/file{ext}")


def asset_detail(state: SandboxStore, asset: Asset, base: str) -> dict[str, Any]:
    return {
        "id": asset.id,
        "name": asset.name,
        "owner": asset.owner,
        "space_id": f"space_{state.config.username}",
        "type": asset.kind,
        "uploaded_at": int(asset.created_at),
        "url": asset_url(state, asset, base),
        "folder_id": asset.folder_id,
    }


# -- translations ----------------------------------------------------------------------------------
def translation_detail(state: SandboxStore, item: Translation, base: str, now: float) -> dict[str, Any]:
    status = item.status(now)
    done = status == "completed"
    root = f"/_media/translations/{item.id}"
    return {
        "id": item.id,
        "title": item.title,
        "status": status,
        "output_language": item.output_language,
        "input_language": item.input_language,
        "created_at": int(item.created_at),
        "duration": item.duration if done else None,
        "callback_id": item.callback_id,
        "translate_audio_only": item.translate_audio_only,
        "video_url": state.media_url(base, f"{root}/video.mp4") if done else None,
        "audio_url": state.media_url(base, f"{root}/audio.mp3") if done else None,
        "srt_caption_url": state.media_url(base, f"{root}/captions.srt")
        if done and item.enable_caption
        else None,
        "vtt_caption_url": state.media_url(base, f"{root}/captions.vtt")
        if done and item.enable_caption
        else None,
        "failure_message": item.failure_message if status == "failed" else None,
    }


# -- lipsyncs --------------------------------------------------------------------------------------
def lipsync_detail(state: SandboxStore, item: Lipsync, base: str, now: float) -> dict[str, Any]:
    status = item.status(now)
    done = status == "completed"
    root = f"/_media/lipsyncs/{item.id}"
    return {
        "id": item.id,
        "title": item.title,
        "status": status,
        "created_at": int(item.created_at),
        "duration": item.duration if done else None,
        "callback_id": item.callback_id,
        "video_url": state.media_url(base, f"{root}/video.mp4") if done else None,
        "caption_url": state.media_url(base, f"{root}/captions.srt") if done and item.enable_caption else None,
        "failure_message": item.failure_message if status == "failed" else None,
    }


# -- webhooks --------------------------------------------------------------------------------------
def endpoint_item(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    return {
        "endpoint_id": endpoint.endpoint_id,
        "url": endpoint.url,
        "events": list(endpoint.events) if endpoint.events is not None else None,
        "status": endpoint.status,
        "created_at": iso(endpoint.created_at),
        "secret": endpoint.secret if with_secret else None,
    }


def event_item(event: WebhookEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "event_data": event.event_data,
        "created_at": iso(event.created_at),
    }
