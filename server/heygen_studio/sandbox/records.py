"""The sandbox's resources. Their status is a pure function of the clock (computed lazily)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PENDING_FRACTION = 0.15  # share of a job's processing time spent "pending" before "processing"


def running_status(now: float, created_at: float, seconds: float, failed_at: float | None) -> str:
    """``pending`` (the first 15 %), ``running``, then ``completed``; ``failed`` from ``failed_at`` on."""
    if failed_at is not None and now >= failed_at:
        return "failed"
    elapsed = now - created_at
    if elapsed >= seconds:
        return "completed"
    if elapsed < seconds * PENDING_FRACTION:
        return "pending"
    return "running"


@dataclass
class RecordedRequest:
    """One request as the sandbox saw it (the API key value is masked as ``***``)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    status: int | None = None
    fault: str | None = None


@dataclass
class Delivery:
    """One outbound webhook (signed, to a registered endpoint) or callback (unsigned) POST."""

    url: str
    headers: dict[str, str]
    body: str
    kind: str  # "callback" | "webhook"
    event_id: str
    event_type: str
    endpoint_id: str | None = None
    status: int | None = None
    error: str | None = None

    @property
    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.body)
        return payload


@dataclass
class Voice:
    voice_id: str
    name: str
    language: str
    language_code: str
    locale: str
    gender: str
    engines: tuple[str, ...]
    support_pause: bool = True
    support_locale: bool = False
    support_interactive_avatar: bool = False
    type: str = "public"
    # a clone (type "private"): made at created_at, "processing" until ready_at, then "complete" (or failed)
    created_at: float | None = None
    ready_at: float | None = None
    failure_message: str | None = None

    def matches_language(self, wanted: str) -> bool:
        wanted = wanted.strip().lower()
        return wanted in (self.language.lower(), self.language_code.lower(), self.locale.lower()) or (
            self.locale.lower().startswith(wanted + "-")
        )

    def status(self, now: float) -> str | None:
        """A clone's status: ``processing``, ``complete`` (sic) or ``failed``; None for library voices."""
        if self.type != "private":
            return None
        if self.failure_message is not None:
            return "failed"
        return "complete" if self.ready_at is None or now >= self.ready_at else "processing"


@dataclass
class AvatarGroup:
    id: str
    name: str
    gender: str | None
    default_voice_id: str | None
    public: bool
    created_at: float
    consent_required: bool = False
    consent_status: str | None = None
    consent_approved_at: float | None = None
    deleted: bool = False


@dataclass
class AvatarLook:
    id: str
    group_id: str
    name: str
    avatar_type: str
    gender: str | None
    default_voice_id: str | None
    supported_api_engines: list[str]
    preferred_orientation: str | None
    image_width: int | None
    image_height: int | None
    tags: list[str]
    public: bool
    created_at: float
    ready_at: float
    source: str = "seed"  # seed | photo | digital_twin | prompt
    failure: tuple[str, str] | None = None
    notified: bool = False
    photo: str | None = None  # a photo avatar's photo (a kept file's SHA-256, kept.py): its videos show it

    def completed_at(self, group: AvatarGroup) -> float | None:
        """When the look became (or becomes) usable; ``None`` while it waits for consent."""
        if self.public:
            return self.created_at
        if self.failure is not None:
            return None
        if group.consent_required:
            if group.consent_approved_at is None:
                return None
            return max(self.ready_at, group.consent_approved_at)
        return self.ready_at

    def status(self, now: float, group: AvatarGroup) -> str | None:
        if self.public:
            return None
        if self.failure is not None:
            return "failed"
        if now < self.ready_at:
            return "processing"
        done = self.completed_at(group)
        if done is None or now < done:
            return "pending_consent"
        return "completed"


@dataclass
class Scene:
    """One scene of a video as its render shows it (render.py): its length, what is said and what is shown.
    A kept file is named by its SHA-256 (kept.py); ``""`` names one that was asked for but is not kept (a
    URL the sandbox does not fetch, a file too large to keep), which the render shows as a placeholder."""

    seconds: float
    script: str = ""
    look_id: str | None = None  # the presenter (an avatar look)
    voice_id: str | None = None
    speed: float = 1.0
    background: str | None = None  # a colour
    backdrop: str | None = None  # an image behind the presenter, or the image an image scene shows
    photo: str | None = None  # the image that speaks (a talking photo)
    fit: str | None = None  # how ``photo`` fits the frame
    clip: bool = False  # the scene shows a video clip (drawn as a labelled placeholder)
    audio: str | None = None  # audio spoken instead of a script


@dataclass
class Video:
    id: str
    kind: str  # avatar | image | studio | cinematic | v2_studio | template | v2_template | agent
    title: str | None
    created_at: float  # when the video exists (agent videos: when the run starts generating)
    render_seconds: float
    duration: float
    base_url: str
    script: str = ""
    callback_url: str | None = None
    callback_id: str | None = None
    folder_id: str | None = None
    output_format: str = "mp4"
    captioned: bool = False
    session_id: str | None = None
    failed_at: float | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    notified: bool = False
    # what the render shows (render.py): the output size, the background colour, the presenter, the voice
    width: int = 1920
    height: int = 1080
    background: str | None = None
    look_id: str | None = None
    voice_id: str | None = None
    scenes: list[Scene] = field(default_factory=list)  # scene by scene, when they differ (else the fields above)

    @property
    def finishes_at(self) -> float:
        return self.created_at + self.render_seconds

    def visible(self, now: float) -> bool:
        return now >= self.created_at

    def status(self, now: float) -> str:
        if self.failed_at is not None and now >= self.failed_at:
            return "failed"
        elapsed = now - self.created_at
        if elapsed >= self.render_seconds:
            return "completed"
        if elapsed < self.render_seconds * PENDING_FRACTION:
            return "pending"
        return "processing"

    def terminal_at(self) -> float:
        return self.failed_at if self.failed_at is not None else self.finishes_at


@dataclass
class AgentRun:
    """One turn of a session. A run with a ``pause`` ("question" or "draft") thinks, then waits for the
    person's reply (session status ``pause_status``) and renders nothing; the reply starts the next run."""

    run_id: str
    message: str
    started_at: float
    thinking: float
    generating: float
    video_id: str
    stopped_at: float | None = None
    notified: bool = False
    pause: str | None = None
    pause_status: str = "waiting_for_input"
    failed_at: float | None = None  # failed with no reason (config.agent_fail_silently_over)

    @property
    def generating_at(self) -> float:
        return self.started_at + self.thinking

    @property
    def ended_early_at(self) -> float:
        """When the run was stopped or failed (inf if neither)."""
        ends = [t for t in (self.stopped_at, self.failed_at) if t is not None]
        return min(ends) if ends else float("inf")

    @property
    def done_at(self) -> float:
        if self.pause is not None:
            return float("inf")  # waits for a reply: never finishes on its own
        return self.started_at + self.thinking + self.generating

    @property
    def renders(self) -> bool:
        return self.pause is None

    def phase(self, now: float) -> str:
        if self.stopped_at is not None and now >= self.stopped_at:
            return "stopped"
        if self.failed_at is not None and now >= self.failed_at:
            return "failed"
        if now < self.generating_at:
            return "thinking"
        if self.pause is not None:
            return "paused"
        if now < self.done_at:
            return "generating"
        return "completed"

    def progress(self, now: float) -> int:
        phase = self.phase(now)
        at = min(now, self.stopped_at) if self.stopped_at is not None else now
        if phase == "completed":
            return 100
        if phase == "failed":
            return 0  # as HeyGen shows a run that failed with no reason
        if phase == "paused":
            return 10 if self.pause == "question" else 50
        if at < self.generating_at:
            return int(10 * max(0.0, at - self.started_at) / max(self.thinking, 1e-9))
        return min(99, 10 + int(89 * (at - self.generating_at) / max(self.generating, 1e-9)))


@dataclass
class AgentSession:
    session_id: str
    mode: str
    title: str
    created_at: float
    base_url: str
    callback_url: str | None = None
    callback_id: str | None = None
    avatar_id: str | None = None
    voice_id: str | None = None
    style_id: str | None = None
    orientation: str | None = None
    runs: list[AgentRun] = field(default_factory=list)
    pauses: list[str] = field(default_factory=list)  # what the next runs stop to ask: "question", "draft"
    video_shown: bool = False  # a GET showed its video id (config.agent_session_gone_after_video)

    @property
    def current(self) -> AgentRun:
        return self.runs[-1]

    def status(self, now: float) -> str:
        phase = self.current.phase(now)
        if phase == "stopped":
            return "waiting_for_input" if self.mode == "chat" else "failed"
        if phase == "paused":
            return self.current.pause_status
        return phase

    def active(self, now: float) -> bool:
        return self.current.phase(now) in ("thinking", "generating")


@dataclass
class Translation:
    id: str
    title: str | None
    output_language: str
    input_language: str | None
    created_at: float
    seconds: float
    duration: float
    base_url: str
    mode: str = "speed"
    callback_url: str | None = None
    callback_id: str | None = None
    enable_caption: bool = False
    translate_audio_only: bool = False
    failed_at: float | None = None
    failure_message: str | None = None
    notified: bool = False
    source_video_id: str | None = None  # the sandbox video translated (its render is what the output shows)
    start: float = 0.0  # where in the source the translation starts (``start_time``)

    def status(self, now: float) -> str:
        return running_status(now, self.created_at, self.seconds, self.failed_at)

    def terminal_at(self) -> float:
        return self.failed_at if self.failed_at is not None else self.created_at + self.seconds


@dataclass
class BatchEntry:
    """One item of a batch: the video or translation made for it, or why it could not be made."""

    index: int
    job_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    error_param: str | None = None


@dataclass
class Batch:
    """A video batch (``kind`` "video") or a translation batch ("translation"): its items are real videos or
    translations, so its status is theirs, read from the clock like every other."""

    id: str
    kind: str
    title: str | None
    created_at: float
    items: list[BatchEntry] = field(default_factory=list)
    callback_url: str | None = None
    notified: bool = False  # its batch.finished event was emitted


@dataclass
class Lipsync:
    id: str
    title: str | None
    created_at: float
    seconds: float  # processing time
    duration: float  # of the output video
    base_url: str
    mode: str = "speed"
    callback_id: str | None = None
    enable_caption: bool = False
    failed_at: float | None = None
    failure_message: str | None = None
    # what the output shows and says: the sandbox video dubbed (from ``start``), and the new speech (a speech
    # the sandbox made, or a kept audio file: kept.py)
    source_video_id: str | None = None
    start: float = 0.0
    speech_id: str | None = None
    audio: str | None = None

    def status(self, now: float) -> str:
        return running_status(now, self.created_at, self.seconds, self.failed_at)


@dataclass
class Asset:
    id: str
    name: str
    owner: str
    created_at: float
    status: str  # pending_upload | uploaded | completed
    mime_type: str = "application/octet-stream"
    size_bytes: int = 0
    sha256: str | None = None
    head: bytes = b""
    folder_id: str | None = None
    declared_content_type: str | None = None
    declared_size: int | None = None
    declared_checksum: str | None = None

    @property
    def kind(self) -> str:
        major = self.mime_type.split("/")[0]
        if major in ("image", "video", "audio"):
            return major
        if self.mime_type == "application/pdf":
            return "pdf"
        if self.mime_type in ("application/x-subrip", "text/srt"):
            return "srt"
        return "file"


@dataclass
class WebhookEndpoint:
    endpoint_id: str
    url: str
    events: list[str] | None
    secret: str
    created_at: float
    entity_id: str | None = None
    status: str = "enabled"

    def wants(self, event_type: str, entity_id: str | None) -> bool:
        if self.status != "enabled":
            return False
        if self.events is not None and event_type not in self.events:
            return False
        return self.entity_id is None or self.entity_id == entity_id


@dataclass
class WebhookEvent:
    event_id: str
    event_type: str
    event_data: dict[str, Any]
    created_at: float
    entity_id: str | None = None


@dataclass
class IdempotencyEntry:
    created_at: float
    done: bool = False
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
