"""All mutable state of one sandbox instance (``app.state.sandbox``)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from typing import Any

import anyio
import httpx2

from ..core import webhooks
from . import seed
from .clock import Clock
from .config import SandboxConfig
from .errors import ApiError
from .faults import FaultInjector
from .media import Signer
from .records import (
    AgentSession,
    Asset,
    AvatarGroup,
    AvatarLook,
    Delivery,
    IdempotencyEntry,
    RecordedRequest,
    Translation,
    Video,
    Voice,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

IDEMPOTENCY_WINDOW = 24 * 3600.0


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat().replace("+00:00", "Z")


class SandboxState:
    """Resources, credits, recorded requests, faults, idempotency records and webhook deliveries.

    Status is computed from ``clock.now()`` whenever it is read; ``await tick()`` (run by the
    middleware before every request) notices jobs that reached a final state and delivers their
    callbacks and webhook events.
    """

    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.credits: float = float(config.initial_credits)
        self.faults = FaultInjector()
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []
        self.events: list[WebhookEvent] = []
        self.idempotency: dict[tuple[str, str, str], IdempotencyEntry] = {}
        self.media_signer = Signer("media")
        self.upload_signer = Signer("upload")
        self._counter = 0
        self._tick_lock = anyio.Lock()
        self._outbox: list[Delivery] = []
        self._prompt_cache: set[str] = set()

        self.voices: dict[str, Voice] = {}
        self.groups: dict[str, AvatarGroup] = {}
        self.looks: dict[str, AvatarLook] = {}
        self.styles: dict[str, dict[str, Any]] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        self.v2_templates: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, Video] = {}
        self.sessions: dict[str, AgentSession] = {}
        self.translations: dict[str, Translation] = {}
        self.assets: dict[str, Asset] = {}
        self.endpoints: dict[str, WebhookEndpoint] = {}
        self.speech: dict[str, dict[str, Any]] = {}
        self._seed()

    # -- catalogue ---------------------------------------------------------------------------------
    def _seed(self) -> None:
        for row in seed.voice_rows():
            voice = Voice(**row)  # type: ignore[arg-type]
            self.voices[voice.voice_id] = voice
        for group_row in seed.avatar_rows():
            group = AvatarGroup(
                id=str(group_row["id"]),
                name=str(group_row["name"]),
                gender=str(group_row["gender"]),
                default_voice_id=str(group_row["default_voice_id"]),
                public=True,
                created_at=seed.SEED_TIME,
            )
            self.groups[group.id] = group
            for look_row in group_row["looks"]:  # type: ignore[attr-defined]
                look = AvatarLook(
                    group_id=group.id,
                    gender=group.gender,
                    default_voice_id=group.default_voice_id,
                    public=True,
                    created_at=seed.SEED_TIME,
                    ready_at=seed.SEED_TIME,
                    **look_row,
                )
                self.looks[look.id] = look
        for style in seed.style_rows():
            self.styles[str(style["style_id"])] = style
        for template in seed.v3_template_rows():
            self.templates[str(template["id"])] = template
        for template in seed.v2_template_rows():
            self.v2_templates[str(template["template_id"])] = template

    # -- ids, time ---------------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def new_id(self, kind: str, *, prefix: str = "", length: int = 32) -> str:
        self._counter += 1
        return prefix + seed.hex_id("sandbox", kind, str(self._counter), length=length)

    # -- credits -----------------------------------------------------------------------------------
    def charge(self, amount: float, what: str) -> None:
        """Deduct ``amount`` credits or raise 402 ``insufficient_credit`` (nothing deducted)."""
        amount = round(float(amount), 4)
        if amount <= 0:
            return
        if self.credits + 1e-9 < amount:
            raise ApiError(
                402,
                "insufficient_credit",
                f"Your account has {self.credits:g} credits but this {what} requires {amount:g} credits.",
            )
        self.credits = round(self.credits - amount, 4)

    # -- media -------------------------------------------------------------------------------------
    def media_url(self, base_url: str, path: str) -> str:
        expires = int(self.now() + self.config.media_url_ttl)
        return self.media_signer.sign(base_url, path, expires)

    def expire_media(self) -> None:
        """Make every media URL issued so far expired (403 from now on); new GETs mint fresh ones."""
        self.media_signer.rotate()

    def upload_url(self, base_url: str, asset_id: str) -> str:
        expires = int(self.now() + self.config.upload_url_ttl)
        return self.upload_signer.sign(base_url, f"/_uploads/{asset_id}", expires)

    def consent_token(self, group_id: str) -> str:
        key = hashlib.sha256(b"heygen-sandbox:consent").digest()
        return hmac.new(key, group_id.encode(), hashlib.sha256).hexdigest()[:32]

    # -- lookups -----------------------------------------------------------------------------------
    def look(self, look_id: str) -> AvatarLook | None:
        look = self.looks.get(look_id)
        if look is None or self.groups[look.group_id].deleted:
            return None
        return look

    def group(self, group_id: str) -> AvatarGroup | None:
        group = self.groups.get(group_id)
        return None if group is None or group.deleted else group

    def group_looks(self, group_id: str) -> list[AvatarLook]:
        return [look for look in self.looks.values() if look.group_id == group_id]

    def group_status(self, group: AvatarGroup, now: float) -> str | None:
        if group.public:
            return None
        statuses = [look.status(now, group) for look in self.group_looks(group.id)]
        for status in ("processing", "pending_consent", "failed"):
            if status in statuses:
                return status
        return "completed"

    def video(self, video_id: str, now: float | None = None) -> Video | None:
        video = self.videos.get(video_id)
        if video is None or not video.visible(self.now() if now is None else now):
            return None
        return video

    def fail_job(self, job_id: str, code: str = "internal_error", message: str = "Rendering failed") -> None:
        """Test helper: make a video or translation fail now (its fail event fires on the next tick)."""
        now = self.now()
        if job_id in self.videos:
            video = self.videos[job_id]
            video.failed_at, video.failure_code, video.failure_message = now, code, message
        elif job_id in self.translations:
            translation = self.translations[job_id]
            translation.failed_at, translation.failure_message = now, message
        elif job_id in self.looks:
            self.looks[job_id].failure = (code, message)
        else:
            raise KeyError(job_id)

    # -- idempotency -------------------------------------------------------------------------------
    def idempotency_entry(self, key: tuple[str, str, str]) -> IdempotencyEntry | None:
        entry = self.idempotency.get(key)
        if entry is not None and self.now() - entry.created_at > IDEMPOTENCY_WINDOW:
            del self.idempotency[key]
            return None
        return entry

    # -- chat prompt cache -------------------------------------------------------------------------
    def prompt_seen(self, digest: str) -> bool:
        seen = digest in self._prompt_cache
        self._prompt_cache.add(digest)
        return seen

    # -- events ------------------------------------------------------------------------------------
    def emit(
        self,
        event_type: str,
        event_data: dict[str, Any],
        *,
        callback_url: str | None = None,
        entity_id: str | None = None,
    ) -> WebhookEvent:
        now = self.now()
        event = WebhookEvent(self.new_id("event", prefix="evt_"), event_type, event_data, now, entity_id)
        self.events.append(event)
        body = json.dumps({"event_type": event_type, "event_data": event_data}, separators=(",", ":"))
        base_headers = {"Content-Type": "application/json", "User-Agent": "HeyGen-Sandbox-Webhooks/1.0"}
        if callback_url:
            self._queue(
                Delivery(callback_url, dict(base_headers), body, "callback", event.event_id, event_type)
            )
        for endpoint in self.endpoints.values():
            if not endpoint.wants(event_type, entity_id):
                continue
            timestamp = str(int(now))
            headers = {
                **base_headers,
                "Heygen-Event-Id": event.event_id,
                "Heygen-Timestamp": timestamp,
                "Heygen-Signature": webhooks.sign(endpoint.secret, timestamp, body.encode()),
            }
            self._queue(
                Delivery(
                    endpoint.url, headers, body, "webhook", event.event_id, event_type, endpoint.endpoint_id
                )
            )
        return event

    def _queue(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        self._outbox.append(delivery)

    # -- the tick ----------------------------------------------------------------------------------
    async def tick(self) -> None:
        """Notice jobs that reached a final state, emit their events, deliver queued POSTs."""
        async with self._tick_lock:
            self._collect(self.now())
            outbox, self._outbox = self._outbox, []
        if outbox:
            await self._deliver(outbox)

    def _collect(self, now: float) -> None:
        from .views import agent_event_data, translation_event_data, video_event_data

        finished: list[tuple[float, int, Any]] = []
        for video in self.videos.values():
            if not video.notified and video.kind != "agent" and video.terminal_at() <= now:
                finished.append((video.terminal_at(), 0, video))
        for session in self.sessions.values():
            for run in session.runs:
                if run.notified:
                    continue
                end = run.stopped_at if run.stopped_at is not None else run.done_at
                if end <= now:
                    finished.append((end, 1, (session, run)))
        for translation in self.translations.values():
            if not translation.notified and translation.terminal_at() <= now:
                finished.append((translation.terminal_at(), 2, translation))
        for look in self.looks.values():
            if look.public or look.notified:
                continue
            group = self.groups[look.group_id]
            if group.deleted:
                continue
            done = look.completed_at(group)
            if look.failure is not None or (done is not None and done <= now):
                finished.append((done or now, 3, look))
        finished.sort(key=lambda item: (item[0], item[1]))
        for _, kind, item in finished:
            if kind == 0:
                item.notified = True
                ok = item.status(now) == "completed"
                self.emit(
                    "avatar_video.success" if ok else "avatar_video.fail",
                    video_event_data(self, item),
                    callback_url=item.callback_url,
                    entity_id=item.id,
                )
            elif kind == 1:
                session, run = item
                run.notified = True
                ok = run.phase(now) == "completed"
                self.emit(
                    "video_agent.success" if ok else "video_agent.fail",
                    agent_event_data(self, session, run),
                    callback_url=session.callback_url,
                    entity_id=session.session_id,
                )
            elif kind == 2:
                item.notified = True
                ok = item.status(now) == "completed"
                self.emit(
                    "video_translate.success" if ok else "video_translate.fail",
                    translation_event_data(self, item),
                    callback_url=item.callback_url,
                    entity_id=item.id,
                )
            else:
                item.notified = True
                prefix = {
                    "photo": "photo_avatar_train",
                    "digital_twin": "instant_avatar",
                    "prompt": "photo_avatar_generation",
                }.get(item.source, "photo_avatar_train")
                data: dict[str, Any] = {
                    "avatar_group_id": item.group_id,
                    "avatar_id": item.id,
                    "name": item.name,
                    "avatar_type": item.avatar_type,
                }
                if item.failure is not None:
                    data["error"] = {"code": item.failure[0], "message": item.failure[1]}
                self.emit(
                    f"{prefix}.fail" if item.failure is not None else f"{prefix}.success",
                    data,
                    entity_id=item.group_id,
                )

    async def _deliver(self, deliveries: Sequence[Delivery]) -> None:
        """POST the queued deliveries concurrently (so a dead receiver costs one timeout, not N)."""

        async def post(client: httpx2.AsyncClient, delivery: Delivery) -> None:
            try:
                response = await client.post(
                    delivery.url, content=delivery.body.encode(), headers=delivery.headers
                )
                delivery.status = response.status_code
            except Exception as exc:  # a receiver that is down must not break the sandbox
                delivery.error = f"{type(exc).__name__}: {exc}"
                logger.info("webhook delivery to %s failed: %s", delivery.url, delivery.error)

        async with (
            httpx2.AsyncClient(
                transport=self.config.webhook_transport, timeout=self.config.webhook_timeout
            ) as client,
            anyio.create_task_group() as tasks,
        ):
            for delivery in deliveries:
                tasks.start_soon(post, client, delivery)


# -- pagination ------------------------------------------------------------------------------------
def encode_token(offset: int) -> str:
    raw = json.dumps({"o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(value["o"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ApiError(400, "validation_error", "Invalid pagination token", param="token") from None
    if offset < 0:
        raise ApiError(400, "validation_error", "Invalid pagination token", param="token")
    return offset
