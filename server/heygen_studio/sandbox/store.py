"""The sandbox's resources and bookkeeping: stores, ids, credits, media URLs, look-ups.

``SandboxState`` (state.py) adds webhook events and the tick on top of this base, so that views and
event builders can read the stores without importing the state that calls them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from . import seed
from .clock import Clock
from .config import SandboxConfig
from .errors import ApiError
from .faults import FaultInjector
from .kept import FILES_FOLDER, KeptFiles
from .media import Signer
from .persist import SandboxDisk
from .records import (
    AgentSession,
    Asset,
    AvatarGroup,
    AvatarLook,
    Batch,
    Delivery,
    IdempotencyEntry,
    Lipsync,
    RecordedRequest,
    Translation,
    Video,
    Voice,
    WebhookEndpoint,
    WebhookEvent,
)
from .render import RENDERS_FOLDER, Renders

IDEMPOTENCY_WINDOW = 24 * 3600.0


class SandboxStore:
    """Resources, credits, recorded requests, faults, idempotency records and webhook deliveries.

    Status is computed from ``clock.now()`` whenever it is read.
    """

    def __init__(self, config: SandboxConfig, clock: Clock, account: str | None = None) -> None:
        self.config = config
        self.clock = clock
        self.account = account  # per-key accounts (accounts.py): this account's name, the hash of its key
        self.credits: float = float(config.initial_credits)
        self.faults = FaultInjector()
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []
        self.events: list[WebhookEvent] = []
        self.idempotency: dict[tuple[str, str, str], IdempotencyEntry] = {}
        self.media_signer = Signer("media", account)
        self.upload_signer = Signer("upload", account)
        self._counter = 0
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
        self.lipsyncs: dict[str, Lipsync] = {}
        self.batches: dict[str, Batch] = {}
        self.assets: dict[str, Asset] = {}
        self.endpoints: dict[str, WebhookEndpoint] = {}
        self.speech: dict[str, dict[str, Any]] = {}
        self._seed()
        self.disk: SandboxDisk | None = None
        beside = None if config.state_path is None else config.state_path.parent
        self.files = KeptFiles(None if beside is None else beside / FILES_FOLDER)  # uploaded images and audio
        self.renders = Renders(None if beside is None else beside / RENDERS_FOLDER, self.files.get)
        self._id_salt = "" if account is None else account + "-"  # one account's ids are no other's
        if config.state_path is not None:
            self.disk = SandboxDisk.open(config.state_path, self)
            if self.disk is not None:  # ids must not collide with other processes on the same file
                self._id_salt += secrets.token_hex(8) + "-"

    # -- persistence (only with ``config.state_path``) --------------------------------------------
    @property
    def persistent(self) -> bool:
        """True when this sandbox's state is kept in ``config.state_path`` (it survives restarts)."""
        return self.disk is not None

    def pull(self) -> None:
        """Take in what other processes on the same state file changed (before every request)."""
        if self.disk is not None:
            self.disk.pull(self)

    def push(self) -> None:
        """Write what this process changed (after every request)."""
        if self.disk is not None:
            self.disk.push(self)

    def close(self) -> None:
        if self.disk is not None:
            self.disk.push(self)
            self.disk.close()
            self.disk = None

    # -- catalog -----------------------------------------------------------------------------------
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
        return prefix + seed.hex_id("sandbox", kind, f"{self._id_salt}{self._counter}", length=length)

    # -- the wallet (``credits``: its balance, in US dollars) ----------------------------------------
    def price(self, path: str, body: Any, *, seconds: Any = None) -> float:
        """What HeyGen's published pay-as-you-go prices make ``body`` at ``path`` cost: the server's own table
        (``core.costs``), so an estimate and this wallet agree to the cent. ``seconds``: a source's length the
        sandbox knows (a video of its own) and the body does not say."""
        from ..core import costs

        raw = body if isinstance(body, dict) else json.loads(body or b"{}")
        est = costs.estimate("POST", path, raw, seconds=seconds)
        return est.usd if est is not None else 0.0

    def charge_for(self, path: str, body: Any, what: str, *, seconds: Any = None) -> float:
        """Price a create from its body (``price``) and deduct it; returns what was charged."""
        amount = self.price(path, body, seconds=seconds)
        self.charge(amount, what)
        return amount

    def charge(self, amount: float, what: str) -> None:
        """Deduct ``amount`` dollars or raise 402 ``insufficient_credit`` (nothing deducted)."""
        amount = round(float(amount), 4)
        if amount <= 0:
            return
        if self.credits + 1e-9 < amount:
            raise ApiError(
                402,
                "insufficient_credit",
                f"Your API wallet has ${self.credits:,.2f} but this {what} costs ${amount:,.2f}.",
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
        key = hashlib.sha256(b"heygen-sandbox:consent" + (self.account or "").encode()).digest()
        return hmac.new(key, group_id.encode(), hashlib.sha256).hexdigest()[:32]

    def consent_url(self, base_url: str, group_id: str) -> str:
        """The page a person visits to approve an avatar group (an account's names it, as its media URLs do)."""
        account = "" if self.account is None else f"account={self.account}&"
        return f"{base_url}/_consent/{group_id}?{account}token={self.consent_token(group_id)}"

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
        """Test helper: make a video, translation, lipsync, voice clone or look fail now (a video's, translation's
        or look's fail event fires on the next tick)."""
        now = self.now()
        if job_id in self.videos:
            video = self.videos[job_id]
            video.failed_at, video.failure_code, video.failure_message = now, code, message
        elif job_id in self.translations:
            translation = self.translations[job_id]
            translation.failed_at, translation.failure_message = now, message
        elif job_id in self.lipsyncs:
            lipsync = self.lipsyncs[job_id]
            lipsync.failed_at, lipsync.failure_message = now, message
        elif job_id in self.voices and self.voices[job_id].type == "private":
            self.voices[job_id].failure_message = message
        elif job_id in self.looks:
            self.looks[job_id].failure = (code, message)
        else:
            raise KeyError(job_id)

    def ask_person(self, session_id: str, pause: str = "question") -> None:
        """Test helper: make a Video Agent session's current run stop for the person (a ``question``, or a
        ``draft`` to approve) whatever its mode, as a chat session that asked for it does; nothing renders
        until a reply starts the next run."""
        run = self.sessions[session_id].current
        run.pause = pause
        run.pause_status = "waiting_for_input" if pause == "question" else self.config.agent_draft_status

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
