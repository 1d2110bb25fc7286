"""Sandbox configuration (timings, credits, auth, outbound webhook transport)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import httpx2

AccountsMode = Literal["shared", "per-key"]
ACCOUNTS_MODES: tuple[str, ...] = get_args(AccountsMode)


@dataclass
class SandboxConfig:
    """Knobs for one sandbox instance. All durations are seconds of *sandbox clock* time.

    * ``render_seconds``: a video is ``pending`` for the first 15 % of this, then ``processing``,
      then ``completed``.
    * ``agent_thinking_seconds`` / ``agent_generating_seconds``: a Video Agent run is ``thinking``,
      then ``generating`` (its video renders during this phase), then ``completed``.
    * ``agent_draft_status``: the session status while a chat-mode agent waits for its draft to be
      approved: the contract's ``reviewing`` (default), or ``generating`` as HeyGen was seen to keep it
      (its newest message then carries a ``draft_*`` resource; nothing renders until a reply).
    * ``agent_fail_silently_over``: a run whose message is longer than this many characters fails half-way
      through thinking with no reason (status ``failed``, progress 0, no error message, no video), as HeyGen's
      agent does, mostly with long prompts (heygen-cli #321); ``None`` (default): never.
    * ``agent_session_gone_after_video``: once a session's GET has shown its video id, later GETs answer 404
      "Session not found" (HeyGen's stale sessions, vm0 #33077); the video stays readable at ``/v3/videos/{id}``.
    * ``avatar_seconds``: avatar training time (``processing``), after which photo and digital-twin
      avatars wait in ``pending_consent`` when ``photo_consent_required``.
    * ``translation_seconds``: a translation is ``pending`` for the first 15 %, then ``running``.
    * ``lipsync_seconds``: a lipsync is ``pending`` for the first 15 %, then ``running`` (twice as long in
      ``precision`` mode).
    * ``voice_clone_seconds``: a voice clone is ``processing``, then ``complete``.
    * ``media_url_ttl``: lifetime of presigned media URLs (minted fresh on every GET).
    * ``webhook_transport``: used for outbound callback/webhook deliveries (``None`` = real HTTP).
    * ``api_keys``: ``None`` accepts any non-empty key except ones starting with ``bad``;
      a collection accepts exactly those keys.
    * ``concurrency_limit``: video jobs in progress at once (HeyGen: Pay-As-You-Go 10, Enterprise 20+); a
      create beyond it gets 429 ``rate_limit_exceeded`` with ``Retry-After`` (concurrency.py); None: no limit.
    * ``state_path``: a SQLite file (``persist.py``) that keeps the sandbox's jobs, avatars, assets,
      webhooks, idempotency records and credits across restarts, shared by every process given the
      same file; ``None`` (the default, and what tests use) keeps everything in memory.
    * ``accounts``: ``"shared"`` (default): every accepted key reaches one account, as one HeyGen account's keys
      do; ``"per-key"``: each key is an account of its own, with its own wallet, jobs, assets, avatars, cloned
      voices and webhooks (accounts.py), as the people of a team server who each use their own key are.
    """

    initial_credits: float = 1000.0
    render_seconds: float = 6.0
    agent_thinking_seconds: float = 2.0
    agent_generating_seconds: float = 6.0
    agent_draft_status: str = "reviewing"
    agent_fail_silently_over: int | None = None
    agent_session_gone_after_video: bool = False
    avatar_seconds: float = 3.0
    translation_seconds: float = 6.0
    lipsync_seconds: float = 6.0
    voice_clone_seconds: float = 3.0
    media_url_ttl: float = 7 * 24 * 3600
    upload_url_ttl: float = 3600.0
    photo_consent_required: bool = True
    webhook_transport: httpx2.AsyncBaseTransport | None = None
    webhook_timeout: float = 5.0
    api_keys: Collection[str] | None = None
    username: str = "sandbox_user"
    email: str = "sandbox@heygen.test"
    state_path: Path | None = None
    concurrency_limit: int | None = 10
    accounts: AccountsMode = "shared"

    def __post_init__(self) -> None:
        if self.accounts not in ACCOUNTS_MODES:
            raise ValueError(f"accounts must be one of {', '.join(ACCOUNTS_MODES)}, not {self.accounts!r}")

    def key_accepted(self, key: str | None) -> bool:
        if not key:
            return False
        if self.api_keys is not None:
            return key in self.api_keys
        return not key.startswith("bad")
