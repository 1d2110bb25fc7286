"""Webhooks: ``/v3/webhooks/endpoints``, event types and delivered events."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .common import APIModel, RequestModel

WEBHOOK_EVENTS = (
    "avatar_video.success", "avatar_video.fail", "avatar_video_gif.success", "avatar_video_gif.fail",
    "avatar_video_caption.success", "avatar_video_caption.fail", "video_translate.success",
    "video_translate.fail", "video_translate.preflight.validation_failed",
    "video_translate.preflight.download_failed", "personalized_video", "instant_avatar.success",
    "instant_avatar.fail", "photo_avatar_generation.success", "photo_avatar_generation.fail",
    "photo_avatar_train.success", "photo_avatar_train.fail", "photo_avatar_add_motion.success",
    "photo_avatar_add_motion.fail", "proofread_creation.success", "proofread_creation.fail",
    "live_avatar.success", "live_avatar.fail", "video_agent.success", "video_agent.fail",
    "hyperframes_video.success", "hyperframes_video.fail", "ai_clipping.success", "ai_clipping.fail",
    "batch.finished",
)  # fmt: skip


WebhookEvent = Literal[WEBHOOK_EVENTS]  # type: ignore[valid-type]


class CreateWebhook(RequestModel):
    url: Annotated[str, Field(pattern=r"^https://", description="HTTPS URL that receives events.")]
    events: list[WebhookEvent] | None = None
    entity_id: str | None = None


class UpdateWebhook(RequestModel):
    url: Annotated[str | None, Field(pattern=r"^https://")] = None
    events: list[WebhookEvent] | None = None


class WebhookEndpoint(APIModel):
    endpoint_id: str
    url: str
    status: str
    created_at: str
    events: list[str] | None = None
    secret: str | None = None


class RotatedSecret(APIModel):
    endpoint_id: str
    secret: str


class WebhookEventType(APIModel):
    event_type: str
    description: str


class WebhookEventRecord(APIModel):
    event_id: str
    event_type: str
    event_data: dict[str, Any]
    created_at: str
