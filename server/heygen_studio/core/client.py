"""The HeyGen client: one resource namespace per API area over one ``HeyGenHTTP`` transport.

    async with HeyGenClient(api_key=...) as hg:
        look = (await hg.avatars.list_looks(ownership="public", limit=1)).items[0]
        created = await hg.videos.create_avatar(CreateAvatarVideo(avatar_id=look.id, script="Hi", voice_id=...))
        video = await hg.videos.get(created.video_id)

Each area lives in ``core/resources/<area>.py``; this module holds the composition and the
plumbing they share. Paid creates carry an ``Idempotency-Key`` derived from the request body
(plus an optional caller ``request_key``), and are written to the job journal when one is given,
so a submitted job is never forgotten. The v2 endpoints take no key; the journal stands in for
it: the same body within 24 h returns the recorded job instead of paying again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from .errors import ResponseFormatError
from .http import Envelope, HeyGenHTTP, Sleep, idempotency_key_for
from .models import CreatedVideo, Deleted, Page, RequestModel
from .resources import (
    Account,
    Assets,
    Avatars,
    Templates,
    Translations,
    VideoAgents,
    Videos,
    Voices,
    Webhooks,
)
from .resources._base import M, parse

if TYPE_CHECKING:
    import httpx2

    from .journal import JobJournal, RecordKind

REPLAY_WINDOW_S = 24 * 3600  # HeyGen replays a repeated Idempotency-Key for 24 h; the v2 stand-in matches


class HTTPOptions(TypedDict, total=False):
    """``HeyGenHTTP``'s settings, passed through unchanged (its signature holds the defaults)."""

    base_url: str
    timeout: float
    max_retries: int
    transport: httpx2.AsyncBaseTransport | None
    sleep: Sleep | None


class HeyGenClient:
    """Async HeyGen API client. One instance shares one connection pool."""

    def __init__(
        self, *, api_key: str | None, journal: JobJournal | None = None, **options: Unpack[HTTPOptions]
    ) -> None:
        self.http = HeyGenHTTP(api_key=api_key, **options)
        self.journal = journal
        self.video_agents = VideoAgents(self)
        self.videos = Videos(self)
        self.assets = Assets(self)
        self.avatars = Avatars(self)
        self.voices = Voices(self)
        self.account = Account(self)
        self.templates = Templates(self)
        self.translations = Translations(self)
        self.webhooks = Webhooks(self)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> HeyGenClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- shared plumbing -----------------------------------------------------------------------
    async def get(self, path: str, model: type[M], params: dict[str, Any] | None = None) -> M:
        env = await self.http.request("GET", path, params=params)
        return parse(model, env.data, f"GET {path}")

    async def list(self, path: str, model: type[M], params: dict[str, Any] | None = None) -> Page[M]:
        env = await self.http.request("GET", path, params=params)
        return self.page(model, env, f"GET {path}")

    @staticmethod
    def page(model: type[M], env: Envelope, where: str) -> Page[M]:
        if not isinstance(env.data, list):
            raise ResponseFormatError(f"{where}: expected a list in 'data'")
        items = [parse(model, item, where) for item in env.data]
        return Page[model](items=items, has_more=bool(env.has_more), next_token=env.next_token or None)  # type: ignore[valid-type]

    async def send(
        self,
        method: str,
        path: str,
        model: type[M],
        body: RequestModel | dict[str, Any] | None = None,
        *,
        request_key: str | None = None,
        idempotent: bool = True,
        identity: Any = None,
    ) -> tuple[M, Envelope]:
        """A v3 write. ``idempotent`` writes carry an Idempotency-Key derived from the job's identity:
        the body, unless the body holds something that changes between attempts at the same job (a
        presigned URL, re-signed on every read), when the caller says what the job is instead.
        The returned envelope's ``idempotency_key`` is the key that was sent: journal that one."""
        payload = body.body() if isinstance(body, RequestModel) else body
        env = await self.http.request(
            method, path, json_body=payload, idempotent=idempotent, request_key=request_key, identity=identity
        )
        return parse(model, env.data, f"{method} {path}"), env

    async def send_v2_create(
        self, path: str, req: RequestModel, *, request_key: str | None, title: str | None, **journal: Any
    ) -> CreatedVideo:
        """A v2 video create. The contract's v2 creates (generateStudioVideoV2, generateFromTemplateV2) take
        no Idempotency-Key, so the journal stands in for one: the same body within 24 h returns the recorded
        job (``replayed=True``) instead of paying again. A new job is journaled with ``journal`` extras."""
        body = req.body()
        key = idempotency_key_for("POST", path, body, request_key)  # the v3 recipe, for the journal only
        if self.journal is not None and (previous := self.journal.find_by_key(key, max_age_s=REPLAY_WINDOW_S)):
            return CreatedVideo(video_id=previous["job_id"], status="submitted", replayed=True)
        env = await self.http.request("POST", path, json_body=body, envelope="v2")
        created = parse(CreatedVideo, env.data, f"POST {path}")
        self.remember("video", created.video_id, key=key, title=title, api="v2", **journal)
        return created

    async def delete(self, path: str, *, where: str, fallback: dict[str, Any]) -> Deleted:
        """A DELETE; HeyGen may answer with empty ``data``, when ``fallback`` describes the deletion."""
        env = await self.http.request("DELETE", path)
        return parse(Deleted, env.data or fallback, where)

    def remember(self, kind: RecordKind, job_id: str, *, key: str | None, title: str | None, **extra: Any) -> None:
        if self.journal is not None:
            self.journal.record(kind=kind, job_id=job_id, key=key, title=title, **extra)
