"""Webhook events: which jobs just finished, the event each one sends, and its deliveries.

Event payloads follow the HeyGen webhook events (https://docs.heygen.com/docs/using-webhook-events):
``avatar_video.*``, ``video_agent.*``, ``video_translate.*``, the avatar training events, and ``batch.finished``
once every item of a video or translation batch is final (its payload is not documented: the sandbox sends the
batch's aggregate, as its GET shows it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import anyio
import httpx2

from ..core import webhooks
from ..core.fetch import tls_context
from .config import SandboxConfig
from .records import (
    AgentRun,
    AgentSession,
    AvatarLook,
    Batch,
    Delivery,
    Translation,
    Video,
    WebhookEndpoint,
    WebhookEvent,
)
from .store import SandboxStore
from .views import APP_URL, batch_item, video_urls

logger = logging.getLogger(__name__)

# What the avatar-creation source trains as, in event names.
_AVATAR_EVENT_PREFIX = {
    "photo": "photo_avatar_train",
    "digital_twin": "instant_avatar",
    "prompt": "photo_avatar_generation",
}


class Notice(NamedTuple):
    """One event to emit: its type, data, the job's callback URL and the entity it is about."""

    event_type: str
    event_data: dict[str, Any]
    callback_url: str | None
    entity_id: str | None


# -- event data ------------------------------------------------------------------------------------
def video_event_data(store: SandboxStore, video: Video) -> dict[str, Any]:
    if video.failed_at is not None:
        return {
            "video_id": video.id,
            "msg": video.failure_message,
            "error_code": video.failure_code,
            "callback_id": video.callback_id,
        }
    urls = video_urls(store, video, video.base_url)
    return {
        "video_id": video.id,
        "url": urls["video_url"],
        "thumbnail_url": urls["thumbnail_url"],
        "gif_download_url": urls["gif_url"],
        "subtitle_url": urls["subtitle_url"],
        "captioned_video_url": urls["captioned_video_url"],
        "duration": video.duration,
        "video_page_url": f"{APP_URL}/videos/{video.id}",
        "callback_id": video.callback_id,
    }


def agent_event_data(store: SandboxStore, session: AgentSession, run: AgentRun) -> dict[str, Any]:
    data: dict[str, Any] = {
        "session_id": session.session_id,
        "run_id": run.run_id,
        "video_id": run.video_id
        if run.renders and run.ended_early_at > run.generating_at else None,
        "callback_id": session.callback_id,
    }
    if run.stopped_at is not None:
        data["msg"] = "Stopped by the user."
        return data
    video = store.videos.get(run.video_id)
    if video is not None:
        urls = video_urls(store, video, session.base_url)
        data.update(url=urls["video_url"], thumbnail_url=urls["thumbnail_url"], duration=video.duration)
    return data


def translation_event_data(store: SandboxStore, item: Translation) -> dict[str, Any]:
    data: dict[str, Any] = {
        "video_translate_id": item.id,
        "output_language": item.output_language,
        "callback_id": item.callback_id,
    }
    if item.failed_at is not None:
        data["message"] = item.failure_message
    else:
        data["url"] = store.media_url(item.base_url, f"/_media/translations/{item.id}/video.mp4")
    return data


def avatar_event_data(look: AvatarLook) -> dict[str, Any]:
    data: dict[str, Any] = {
        "avatar_group_id": look.group_id,
        "avatar_id": look.id,
        "name": look.name,
        "avatar_type": look.avatar_type,
    }
    if look.failure is not None:
        data["error"] = {"code": look.failure[0], "message": look.failure[1]}
    return data


def batch_event_data(store: SandboxStore, batch: Batch, now: float) -> dict[str, Any]:
    counts = {name: 0 for name in ("queued", "processing", "completed", "failed")}
    for entry in batch.items:
        counts[batch_item(store, batch, entry, now)["status"]] += 1
    return {"batch_id": batch.id, "status": "failed" if counts["completed"] == 0 else "completed",
            "total_items": len(batch.items), "counts_by_status": counts, "title": batch.title}


def _batch_done_at(store: SandboxStore, batch: Batch) -> float:
    """When the last item of a batch became final (an item refused at creation: at once)."""
    ends = [batch.created_at]
    for entry in batch.items:
        job = (store.videos if batch.kind == "video" else store.translations).get(entry.job_id or "")
        if job is not None:
            ends.append(job.terminal_at())
    return max(ends)


# -- what finished ---------------------------------------------------------------------------------
Finished = Video | tuple[AgentSession, AgentRun] | Translation | AvatarLook | Batch


def _finished(store: SandboxStore, now: float) -> list[tuple[float, int, Finished]]:
    """Jobs that reached a final state and were not announced yet, oldest first (ties: by kind)."""
    finished: list[tuple[float, int, Finished]] = []
    for video in store.videos.values():
        if not video.notified and video.kind != "agent" and video.terminal_at() <= now:
            finished.append((video.terminal_at(), 0, video))
    for session in store.sessions.values():
        for run in session.runs:
            if run.notified:
                continue
            end = min(run.ended_early_at, run.done_at)
            if end <= now:
                finished.append((end, 1, (session, run)))
    for translation in store.translations.values():
        if not translation.notified and translation.terminal_at() <= now:
            finished.append((translation.terminal_at(), 2, translation))
    for look in store.looks.values():
        if look.public or look.notified:
            continue
        group = store.groups[look.group_id]
        if group.deleted:
            continue
        done = look.completed_at(group)
        if look.failure is not None or (done is not None and done <= now):
            finished.append((done or now, 3, look))
    for batch in store.batches.values():  # after its items' own events
        if not batch.notified and (done_at := _batch_done_at(store, batch)) <= now:
            finished.append((done_at, 4, batch))
    finished.sort(key=lambda item: (item[0], item[1]))
    return finished


def _notice(store: SandboxStore, item: Finished, now: float) -> Notice:
    """Mark a finished job announced and say what to emit for it."""
    if isinstance(item, Video):
        item.notified = True
        ok = item.status(now) == "completed"
        event = "avatar_video.success" if ok else "avatar_video.fail"
        return Notice(event, video_event_data(store, item), item.callback_url, item.id)
    if isinstance(item, tuple):
        session, run = item
        run.notified = True
        ok = run.phase(now) == "completed"
        event = "video_agent.success" if ok else "video_agent.fail"
        return Notice(event, agent_event_data(store, session, run), session.callback_url, session.session_id)
    if isinstance(item, Translation):
        item.notified = True
        ok = item.status(now) == "completed"
        event = "video_translate.success" if ok else "video_translate.fail"
        return Notice(event, translation_event_data(store, item), item.callback_url, item.id)
    if isinstance(item, Batch):
        item.notified = True
        return Notice("batch.finished", batch_event_data(store, item, now), item.callback_url, item.id)
    item.notified = True
    prefix = _AVATAR_EVENT_PREFIX.get(item.source, "photo_avatar_train")
    event = f"{prefix}.fail" if item.failure is not None else f"{prefix}.success"
    return Notice(event, avatar_event_data(item), None, item.group_id)


def due_notices(store: SandboxStore, now: float) -> Iterator[Notice]:
    """The events jobs finished by ``now`` send, in order (each job is announced once)."""
    for _, _, item in _finished(store, now):
        yield _notice(store, item, now)


# -- deliveries ------------------------------------------------------------------------------------
def deliveries_for(
    event: WebhookEvent, endpoints: Iterable[WebhookEndpoint], callback_url: str | None
) -> list[Delivery]:
    """The job's own ``callback_url`` POST (unsigned) and one signed POST per subscribed endpoint."""
    body = json.dumps({"event_type": event.event_type, "event_data": event.event_data}, separators=(",", ":"))
    base_headers = {"Content-Type": "application/json", "User-Agent": "HeyGen-Sandbox-Webhooks/1.0"}
    deliveries: list[Delivery] = []
    if callback_url:
        deliveries.append(
            Delivery(callback_url, dict(base_headers), body, "callback", event.event_id, event.event_type)
        )
    for endpoint in endpoints:
        if not endpoint.wants(event.event_type, event.entity_id):
            continue
        timestamp = str(int(event.created_at))
        headers = {
            **base_headers,
            "Heygen-Event-Id": event.event_id,
            "Heygen-Timestamp": timestamp,
            # The body form: hex HMAC-SHA256(secret, raw body), what the public verifiers check (core.webhooks).
            "Heygen-Signature": webhooks.sign(endpoint.secret, body.encode()),
        }
        deliveries.append(
            Delivery(
                endpoint.url, headers, body, "webhook", event.event_id, event.event_type, endpoint.endpoint_id
            )
        )
    return deliveries


async def deliver(config: SandboxConfig, deliveries: Sequence[Delivery]) -> None:
    """POST the queued deliveries concurrently (so a dead receiver costs one timeout, not N)."""

    async def post(client: httpx2.AsyncClient, delivery: Delivery) -> None:
        try:
            response = await client.post(delivery.url, content=delivery.body.encode(), headers=delivery.headers)
            delivery.status = response.status_code
        except Exception as exc:  # a receiver that is down must not break the sandbox
            delivery.error = f"{type(exc).__name__}: {exc}"
            logger.info("webhook delivery to %s failed: %s", delivery.url, delivery.error)

    async with (
        httpx2.AsyncClient(transport=config.webhook_transport, timeout=config.webhook_timeout,
                           verify=tls_context()) as client,
        anyio.create_task_group() as tasks,
    ):
        for delivery in deliveries:
            tasks.start_soon(post, client, delivery)
