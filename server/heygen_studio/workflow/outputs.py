"""Structured outputs of the MCP tools (module level: the SDK reads them as output schemas).

Rows are compact on purpose: ids, names and the few fields a model needs to choose. Long
presigned URLs appear only where the model asked for one thing (get_video, get_avatar). A field marked
``TEXT_OMITS`` is in the structured content but not in the text a model reads (``text.py``).
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.config import JsonDict

from ..core.store import JobKind


class Out(BaseModel):
    """A tool's result. Its validator and serializer are built when a tool that returns it is first registered
    (the SDK derives the output schema then), not when this module is imported: one call imports 40 of them."""

    model_config = ConfigDict(defer_build=True)


TEXT_OMITS: JsonDict = {"x-text": False}  # structured content only: ids of related things, shown by a detail tool,
# and the URLs the inline player (``player.py``) shows beside a saved file


class VideoJob(Out):
    job_id: str = Field(description="Pass to wait_for_job / get_video.")
    video_id: str
    status: str
    api: Literal["v3", "v2"] = "v3"
    replayed: bool = Field(False, description="True: an identical earlier request was returned, not paid again.")
    note: str | None = None
    next_step: str


class VideoInfo(Out):
    video_id: str
    status: str
    title: str | None = None
    duration_s: float | None = None
    video_url: str | None = Field(None, description="Presigned, expires; use download_video to save the file.")
    captioned_video_url: str | None = None
    subtitle_url: str | None = None
    thumbnail_url: str | None = None
    failure: str | None = None
    next_step: str | None = None


class VideoRow(Out):
    video_id: str
    status: str
    title: str | None = None
    duration_s: float | None = None
    created_at: int | None = None


class VideoList(Out):
    items: list[VideoRow]
    next_token: str | None = None


class JobStatus(Out):
    job_id: str
    kind: JobKind
    status: str
    done: bool = Field(description="True when the job finished (completed or failed).")
    progress: float = Field(description="0-100; an estimate where HeyGen reports none.")
    video_id: str | None = None
    duration_s: float | None = Field(default=None, description="The finished video's length.")
    video_url: str | None = None
    thumbnail_url: str | None = Field(default=None, json_schema_extra=TEXT_OMITS)
    failure: str | None = None
    waited_s: float = 0.0
    note: str | None = Field(default=None, description="Transient HeyGen failures met while waiting, if any.")
    needs: Literal["answer", "approval", "consent"] | None = Field(
        default=None, description="Set when the job waits on a person; nothing happens until they act.")
    message: str | None = Field(default=None, description="The agent's question or draft, when it waits.")
    next_step: str


class JobRow(Out):
    job_id: str
    title: str | None = None
    state: str = Field(description="As last seen by wait_for_job, get_video or a download: submitted (not seen "
                                   "finished since), completed, failed, downloaded (path says where); or why a "
                                   "create has no job id yet.")
    created_at: str = Field(description="When it was sent, ISO 8601 UTC.")
    duration_s: float | None = Field(default=None, description="The finished video's (or speech's) length.")
    path: str | None = Field(default=None, description="Where download_video saved it.")


class JobList(Out):
    items: list[JobRow]


class SavedFile(Out):
    item: int
    job_id: str
    path: str
    size_bytes: int
    download_url: str | None = Field(default=None, description="A short-lived link to the file (team servers).")


class Downloaded(Out):
    video_id: str
    path: str = Field(description="The file; for a batch, its folder.")
    size_bytes: int
    resumed_from: int = 0
    uri: str
    title: str | None = Field(default=None, json_schema_extra=TEXT_OMITS)
    video_url: str | None = Field(default=None, json_schema_extra=TEXT_OMITS)
    thumbnail_url: str | None = Field(default=None, json_schema_extra=TEXT_OMITS)
    resource_uri: str | None = Field(default=None, json_schema_extra=TEXT_OMITS)
    files: list[SavedFile] | None = Field(default=None, description="A batch's saved videos.")
    missing: list[str] | None = Field(default=None, description="A batch's items not saved, and why.")
    already_saved: bool = Field(default=False, description="True: the file was there already, byte for byte; "
                                                           "nothing was written.")
    note: str | None = Field(default=None, description="Set when the name held a file already: never overwritten.")
    download_url: str | None = Field(default=None, description="A short-lived link to the file, served by this "
                                                               "server (a team server's people reach it remotely).")


class AgentJob(Out):
    job_id: str
    session_id: str
    status: str
    video_id: str | None = None
    replayed: bool = False
    next_step: str


class AgentMessageOut(Out):
    role: str
    type: str
    content: str
    resource_ids: list[str] | None = Field(default=None, description="A draft_* id: a draft to approve.")


class AgentSessionInfo(Out):
    session_id: str
    status: str
    progress: int | None = None
    title: str | None = None
    video_id: str | None = None
    messages: list[AgentMessageOut] = Field(default_factory=list)
    next_step: str


class AgentReplyOut(Out):
    session_id: str
    run_id: str
    next_step: str


class StyleRow(Out):
    style_id: str
    name: str
    tags: list[str] = Field(default_factory=list)
    aspect_ratio: str | None = None


class StyleList(Out):
    items: list[StyleRow]
    next_token: str | None = None


class AvatarRow(Out):
    id: str = Field(description="Look id (use as avatar_id) or group id.")
    name: str
    kind: Literal["look", "group"]
    type: str | None = None
    gender: str | None = None
    group_id: str | None = Field(default=None, json_schema_extra=TEXT_OMITS)
    engines: list[str] | None = None
    orientation: str | None = Field(default=None, description="The look's preferred orientation.")
    default_voice_id: str | None = Field(default=None, json_schema_extra=TEXT_OMITS)
    status: str | None = None
    looks: int | None = None


class AvatarList(Out):
    items: list[AvatarRow]
    next_token: str | None = None


class AvatarInfo(Out):
    id: str
    kind: Literal["look", "group"]
    name: str
    status: str | None = None
    type: str | None = None
    gender: str | None = None
    group_id: str | None = None
    engines: list[str] | None = None
    orientation: str | None = None
    default_voice_id: str | None = None
    preview_image_url: str | None = None
    looks: list[AvatarRow] | None = None
    failure: str | None = None
    next_step: str | None = None


class AvatarChange(Out):
    id: str
    kind: Literal["look", "group"]
    action: Literal["renamed", "deleted"]
    name: str | None = None
    next_step: str


class PhotoAvatarJob(Out):
    job_id: str
    look_id: str
    group_id: str | None = None
    status: str
    consent_url: str | None = Field(None, description="Open in a browser to approve the avatar.")
    replayed: bool = False
    next_step: str


class VoiceRow(Out):
    voice_id: str
    name: str | None = None
    language: str | None = None
    gender: str | None = None
    locales: bool | None = Field(default=None, description="True: speaks the locale (accent) a request names, e.g. "
                                                           "create_speech(locale='en-GB'). HeyGen's support_locale.")


class VoiceList(Out):
    items: list[VoiceRow]
    next_token: str | None = None
    note: str | None = Field(default=None, description="A filter widened (an accent is listed by language), or why "
                                                       "nothing matched.")


class SpeechOut(Out):
    path: str
    uri: str
    download_url: str | None = Field(default=None, description="A short-lived link to the file (team servers).")
    size_bytes: int
    duration_s: float
    voice_id: str
    asset_id: str | None = Field(None, description="Pass as audio to create_avatar_video or Studio scenes.")
    replayed: bool = Field(False, description="True: made before with the same text and voice; not paid again.")
    next_step: str


class DesignedVoices(Out):
    items: list[VoiceRow]
    locale: str | None = Field(default=None, description="The locale (accent) HeyGen matched every voice to.")
    seed: int
    next_step: str


class VoiceJob(Out):
    job_id: str
    voice_id: str
    status: str
    replayed: bool = False
    next_step: str


class LipsyncJob(Out):
    job_id: str
    lipsync_id: str
    status: str
    speech: SpeechOut | None = Field(None, description="The speech made from script, when one was given.")
    replayed: bool = False
    next_step: str


class AssetOut(Out):
    asset_id: str
    mime_type: str
    size_bytes: int
    method: Literal["multipart", "direct"]
    url: str | None = None


class AssetRow(Out):
    asset_id: str
    name: str
    type: str
    uploaded_at: int | None = None


class AssetList(Out):
    items: list[AssetRow]
    next_token: str | None = None


class Deleted(Out):
    id: str
    deleted: bool = True
    note: str | None = None


class Account(Out):
    username: str
    email: str | None = None
    billing_type: str | None = None
    plan: str | None = None
    credits_remaining: float | None = None
    balance: float | None = None
    currency: str | None = None
    daily_left_usd: float | None = Field(None, description="What HEYGEN_DAILY_CREDITS still allows in 24 h.")
    spent_24h_usd: float = Field(0.0, description="Reserved by paid calls in the last 24 h (every process).")
    daily: str = ""


class TemplateRow(Out):
    template_id: str
    name: str
    api: Literal["v3", "v2"]
    aspect_ratio: str | None = None


class TemplateList(Out):
    items: list[TemplateRow]
    next_token: str | None = None


class TranslationJobs(Out):
    job_ids: list[str]
    translation_ids: list[str]
    languages: list[str]
    next_step: str


class TranslationInfo(Out):
    translation_id: str
    status: str
    output_language: str | None = None
    video_url: str | None = None
    srt_caption_url: str | None = None
    vtt_caption_url: str | None = None
    failure: str | None = None
    next_step: str | None = None


class WebhookRow(Out):
    endpoint_id: str
    url: str
    status: str
    events: list[str] | None = None


class WebhookList(Out):
    items: list[WebhookRow]
    next_token: str | None = None


class WebhookCreated(WebhookRow):
    secret: str | None = Field(None, description="Signing secret (whsec_…); store it to verify deliveries.")
    next_step: str | None = None


class PaidRequestOut(Out):
    method: str
    path: str
    body: dict[str, Any] = Field(description="The JSON body exactly as it would be sent (headers, and so the key, "
                                             "are never shown).")


class DryRun(Out):
    request: PaidRequestOut | None = Field(description="What would be sent; null: nothing would (a repeat).")
    uploads: list[str] = Field(default_factory=list, description="Local files uploaded first; the body names each "
                                                                  "by a placeholder asset id.")
    estimate: list[str] = Field(default_factory=list, description="How the estimate adds up.")
    assumed: list[str] = Field(default_factory=list, description="Prices and lengths the estimate assumes.")
    note: str | None = None


_PRICED: dict[type[BaseModel], type[BaseModel]] = {}


def priced(model: type[BaseModel]) -> type[BaseModel]:
    """A paid tool's result model with ``estimated_usd`` and ``dry_run`` (issue 9 §2): the same name and
    fields, where a dry run, which makes nothing, leaves the fields a made job fills in null: the required ones
    (job_id…) and those with a default (a Studio dry run said ``"api":"v3"`` above a ``/v2`` request: the default,
    not the request). A real answer is made from the tool's own model, so it carries every value as before."""
    if model not in _PRICED:
        fields: dict[str, Any] = {
            name: (Optional[info.annotation], Field(None, description=info.description,  # noqa: UP045
                                                    json_schema_extra=info.json_schema_extra))
            for name, info in model.model_fields.items()
            if info.is_required() or info.get_default(call_default_factory=True) is not None
        }
        fields["estimated_usd"] = (float | None, Field(None, description=(
            "Estimated cost in US dollars (HeyGen's pay-as-you-go price); 0 for a repeat, which is not charged.")))
        fields["dry_run"] = (DryRun | None, Field(None, description="Set by dry_run=true: nothing was sent."))
        _PRICED[model] = create_model(model.__name__, __base__=model, __module__=__name__, **fields)
    return _PRICED[model]
