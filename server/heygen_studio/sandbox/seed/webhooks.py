"""Webhook event types (HeyGen's /v3/webhooks/event-types)."""

from __future__ import annotations


# -- webhook event types ---------------------------------------------------------------------------
def _pair(prefix: str, thing: str) -> list[tuple[str, str]]:
    return [
        (f"{prefix}.success", f"Sent when {thing} finishes successfully."),
        (f"{prefix}.fail", f"Sent when {thing} fails."),
    ]


WEBHOOK_EVENT_TYPES: tuple[tuple[str, str], ...] = (
    *_pair("avatar_video", "an avatar video render"),
    *_pair("avatar_video_gif", "the GIF preview of a video"),
    *_pair("video_translate", "a video translation"),
    (
        "video_translate.preflight.validation_failed",
        "Sent when a translation's input does not pass validation.",
    ),
    ("video_translate.preflight.download_failed", "Sent when a translation's input video cannot be fetched."),
    ("personalized_video", "Sent when a personalized video is ready."),
    *_pair("instant_avatar", "digital-twin (instant avatar) training"),
    *_pair("photo_avatar_generation", "prompt-based avatar generation"),
    *_pair("photo_avatar_train", "photo avatar training"),
    *_pair("photo_avatar_add_motion", "adding motion to a photo avatar"),
    *_pair("proofread_creation", "a translation proofread session"),
    *_pair("live_avatar", "a live avatar session"),
    *_pair("avatar_video_caption", "the captioned version of a video"),
    *_pair("video_agent", "a Video Agent run"),
    *_pair("hyperframes_video", "a HyperFrames render"),
    *_pair("ai_clipping", "an AI clipping job"),
    ("batch.finished", "Sent when every item of a batch has reached a final state."),
)

WEBHOOK_EVENT_NAMES: frozenset[str] = frozenset(name for name, _ in WEBHOOK_EVENT_TYPES)
