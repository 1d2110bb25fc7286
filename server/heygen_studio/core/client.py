"""The HeyGen client: resource namespaces over one ``HeyGenHTTP`` transport.

    async with HeyGenClient(api_key=...) as hg:
        look = (await hg.avatars.list_looks(ownership="public", limit=1)).items[0]
        created = await hg.videos.create_avatar(CreateAvatarVideo(avatar_id=look.id, script="Hi", voice_id=...))
        video = await hg.videos.get(created.video_id)

Paid creates carry an ``Idempotency-Key`` derived from the request body (plus an optional
caller ``request_key``), and are written to the job journal when one is given, so a submitted
job is never forgotten. The v2 Studio endpoint takes no key; the journal stands in for it: the
same body within 24 h returns the recorded job instead of paying again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx2
from pydantic import BaseModel, ValidationError

from .errors import APIConnectionError, EndpointRetiredError, NotFoundError, ResponseFormatError
from .http import DEFAULT_BASE_URL, Envelope, HeyGenHTTP, Sleep, idempotency_key_for
from .models import (
    AgentReply,
    AgentSession,
    AgentSessionSummary,
    AgentStyle,
    AssetDetail,
    AvatarConsent,
    AvatarConsentRequest,
    AvatarGroup,
    AvatarLook,
    CreateAgentSession,
    CreateAvatarVideo,
    CreatedAvatar,
    CreateDigitalTwin,
    CreatedTranslations,
    CreatedVideo,
    CreateImageVideo,
    CreatePhotoAvatar,
    CreatePromptAvatar,
    CreateSpeech,
    CreateStudioVideoV2,
    CreateStudioVideoV3,
    CreateTranslation,
    CreateWebhook,
    CurrentUser,
    Deleted,
    DesignedVoices,
    DesignVoice,
    GenerateFromTemplate,
    Page,
    RequestModel,
    RotatedSecret,
    SendAgentMessage,
    Speech,
    StatusEntry,
    Template,
    Translation,
    UpdateWebhook,
    UploadedAsset,
    UploadInstructions,
    V2Template,
    V2TextVoice,
    Video,
    Voice,
    WebhookEndpoint,
    WebhookEventRecord,
    WebhookEventType,
)
from .scripts import expected_render_s

if TYPE_CHECKING:
    from .journal import JobJournal

M = TypeVar("M", bound=BaseModel)
REPLAY_WINDOW_S = 24 * 3600


def parse(model: type[M], data: Any, where: str) -> M:
    """Validate HeyGen's data against a response model; name the missing fields on failure."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "<root>" for e in exc.errors()})
        raise ResponseFormatError(
            f"{where}: HeyGen's response lacks or mis-types field(s) {', '.join(fields)}"
        ) from None


class HeyGenClient:
    """Async HeyGen API client. One instance shares one connection pool."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
        max_retries: int = 3,
        transport: httpx2.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
        journal: JobJournal | None = None,
    ) -> None:
        self.http = HeyGenHTTP(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            transport=transport,
            sleep=sleep,
        )
        self.journal = journal
        self.video_agents = VideoAgents(self)
        self.videos = Videos(self)
        self.assets = Assets(self)
        self.avatars = Avatars(self)
        self.voices = Voices(self)
        self.users = Users(self)
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
        presigned URL, re-signed on every read), when the caller says what the job is instead."""
        payload = body.body() if isinstance(body, RequestModel) else body
        basis = payload if identity is None else identity
        key = idempotency_key_for(method, path, basis, request_key) if idempotent else None
        env = await self.http.request(method, path, json_body=payload, idempotency_key=key)
        return parse(model, env.data, f"{method} {path}"), env

    def remember(self, kind: str, job_id: str, *, key: str | None, title: str | None, **extra: Any) -> None:
        if self.journal is not None:
            self.journal.record(kind=kind, job_id=job_id, key=key, title=title, **extra)


class _Resource:
    def __init__(self, client: HeyGenClient) -> None:
        self._c = client


# -- Video Agent -----------------------------------------------------------------------------------
class VideoAgents(_Resource):
    async def create(self, req: CreateAgentSession, *, request_key: str | None = None) -> AgentSession:
        path = "/v3/video-agents"
        created, _ = await self._c.send("POST", path, AgentSession, req, request_key=request_key)
        self._c.remember(
            "agent", created.session_id, key=env_key(path, req, request_key), title=req.prompt[:80],
            video_id=created.video_id,
        )
        return created

    async def get(self, session_id: str) -> AgentSession:
        return await self._c.get(f"/v3/video-agents/{session_id}", AgentSession)

    async def list(self, *, limit: int = 20, token: str | None = None) -> Page[AgentSessionSummary]:
        return await self._c.list("/v3/video-agents", AgentSessionSummary, {"limit": limit, "token": token})

    async def styles(self, *, tag: str | None = None, limit: int = 20, token: str | None = None) -> Page[AgentStyle]:
        return await self._c.list("/v3/video-agents/styles", AgentStyle, {"tag": tag, "limit": limit, "token": token})

    async def send_message(self, session_id: str, req: SendAgentMessage) -> AgentReply:
        reply, _ = await self._c.send("POST", f"/v3/video-agents/{session_id}", AgentReply, req)
        return reply

    async def stop(self, session_id: str) -> str:
        stopped, _ = await self._c.send("POST", f"/v3/video-agents/{session_id}/stop", AgentSessionSummaryId, {})
        return stopped.session_id

    async def videos(self, session_id: str) -> Page[Video]:
        return await self._c.list(f"/v3/video-agents/{session_id}/videos", Video)


def expected_for(req: RequestModel) -> float:
    """Expected render time of a video request (scripts spoken, plus silences and audio as a guess)."""
    scripts: list[str] = []
    extra = 0.0
    if isinstance(req, CreateStudioVideoV2):
        for scene in req.video_inputs:
            voice = scene.voice
            if isinstance(voice, V2TextVoice):
                scripts.append(voice.input_text)
            else:
                extra += getattr(voice, "duration", None) or 10.0
    elif isinstance(req, CreateStudioVideoV3):
        for studio_scene in req.scenes:
            speech = getattr(studio_scene, "input", studio_scene)
            script = getattr(speech, "script", None)
            if script:
                scripts.append(script)
            else:
                extra += getattr(speech, "duration", None) or 10.0
    else:
        script = getattr(req, "script", None)
        scripts, extra = ([script], 0.0) if script else ([], 30.0)
    return expected_render_s(scripts, extra_output_s=extra)


class AgentSessionSummaryId(BaseModel):
    session_id: str


def env_key(path: str, req: RequestModel, request_key: str | None) -> str:
    return idempotency_key_for("POST", path, req.body(), request_key)


# -- videos ----------------------------------------------------------------------------------------
class Videos(_Resource):
    async def create(
        self, req: CreateAvatarVideo | CreateImageVideo | CreateStudioVideoV3, *, request_key: str | None = None
    ) -> CreatedVideo:
        path = "/v3/videos"
        created, env = await self._c.send("POST", path, CreatedVideo, req, request_key=request_key)
        created.replayed = env.replayed
        self._c.remember("video", created.video_id, key=env_key(path, req, request_key), title=req.title,
                         api="v3", type=req.type, expected_s=expected_for(req))
        return created

    async def create_studio_v2(self, req: CreateStudioVideoV2, *, request_key: str | None = None) -> CreatedVideo:
        """POST /v2/video/generate. Raises ``EndpointRetiredError`` if HeyGen says the path is gone."""
        path = "/v2/video/generate"
        key = env_key(path, req, request_key)
        journal = self._c.journal
        if journal is not None:
            previous = journal.find_by_key(key, max_age_s=REPLAY_WINDOW_S)
            if previous is not None:
                return CreatedVideo(video_id=previous["job_id"], status="submitted", replayed=True)
        try:
            env = await self._c.http.request("POST", path, json_body=req.body(), envelope="v2")
        except NotFoundError as exc:
            # A path-level 404/410 means the endpoint is gone; `avatar_not_found` and kin mean a bad id.
            if not isinstance(exc, EndpointRetiredError) and (
                exc.status_code not in (404, 410) or exc.code not in (None, "not_found")
            ):
                raise
            raise EndpointRetiredError(
                exc.message, status_code=exc.status_code, code=exc.code or "endpoint_retired",
                hint="HeyGen no longer serves the v2 Studio endpoint; send the scenes to v3 (type=studio).",
            ) from None
        except APIConnectionError as exc:
            if exc.maybe_received:
                exc.hint = (
                    "The request may have reached HeyGen before the connection dropped: check list_videos for a "
                    "new video before submitting again."
                )
            raise
        created = parse(CreatedVideo, env.data, f"POST {path}")
        self._c.remember("video", created.video_id, key=key, title=req.title, api="v2", type="studio",
                         expected_s=expected_for(req))
        return created

    async def get(self, video_id: str) -> Video:
        return await self._c.get(f"/v3/videos/{video_id}", Video)

    async def list(self, *, limit: int = 20, token: str | None = None, title: str | None = None) -> Page[Video]:
        return await self._c.list("/v3/videos", Video, {"limit": limit, "token": token, "title": title})

    async def delete(self, video_id: str) -> Deleted:
        env = await self._c.http.request("DELETE", f"/v3/videos/{video_id}")
        return parse(Deleted, env.data or {"id": video_id, "deleted": True}, "DELETE /v3/videos")

    async def statuses(self, video_ids: list[str]) -> list[StatusEntry]:
        env = await self._c.http.request("GET", "/v3/videos/statuses", params={"video_ids": video_ids})
        return self._c.page(StatusEntry, env, "GET /v3/videos/statuses").items


# -- assets ----------------------------------------------------------------------------------------
class Assets(_Resource):
    async def upload_multipart(self, path: Path, mime_type: str) -> UploadedAsset:
        """POST /v3/assets (≤ 32 MB). The file is streamed from disk in chunks."""
        with path.open("rb") as fh:
            env = await self._c.http.request("POST", "/v3/assets", files={"file": (path.name, fh, mime_type)})
        return parse(UploadedAsset, env.data, "POST /v3/assets")

    async def create_direct_upload(self, filename: str, content_type: str, size_bytes: int,
                                   checksum_sha256: str | None = None) -> UploadInstructions:
        body = {"filename": filename, "content_type": content_type, "size_bytes": size_bytes,
                "checksum_sha256": checksum_sha256}
        body = {k: v for k, v in body.items() if v is not None}
        instructions, _ = await self._c.send("POST", "/v3/assets/direct-uploads", UploadInstructions, body)
        return instructions

    async def complete_direct_upload(self, asset_id: str, checksum_sha256: str | None = None) -> UploadedAsset:
        body = {"checksum_sha256": checksum_sha256} if checksum_sha256 else {}
        done, _ = await self._c.send("POST", f"/v3/assets/{asset_id}/complete", UploadedAsset, body)
        return done

    async def get(self, asset_id: str) -> AssetDetail:
        return await self._c.get(f"/v3/assets/{asset_id}", AssetDetail)

    async def list(self, *, username: str, limit: int = 20, token: str | None = None) -> Page[AssetDetail]:
        return await self._c.list("/v3/assets", AssetDetail, {"username": username, "limit": limit, "token": token})

    async def delete(self, asset_id: str) -> Deleted:
        env = await self._c.http.request("DELETE", f"/v3/assets/{asset_id}")
        return parse(Deleted, env.data or {"id": asset_id}, "DELETE /v3/assets")


# -- avatars ---------------------------------------------------------------------------------------
Ownership = Literal["public", "private"]


class Avatars(_Resource):
    async def list_groups(self, *, ownership: Ownership | None = None, limit: int = 20,
                          token: str | None = None) -> Page[AvatarGroup]:
        return await self._c.list("/v3/avatars", AvatarGroup, {"ownership": ownership, "limit": limit, "token": token})

    async def get_group(self, group_id: str) -> AvatarGroup:
        return await self._c.get(f"/v3/avatars/{group_id}", AvatarGroup)

    async def delete_group(self, group_id: str) -> Deleted:
        env = await self._c.http.request("DELETE", f"/v3/avatars/{group_id}")
        return parse(Deleted, env.data or {"id": group_id}, "DELETE /v3/avatars")

    async def list_looks(self, *, group_id: str | None = None, avatar_type: str | None = None,
                         ownership: Ownership | None = None, limit: int = 20,
                         token: str | None = None) -> Page[AvatarLook]:
        params = {"group_id": group_id, "avatar_type": avatar_type, "ownership": ownership, "limit": limit,
                  "token": token}
        return await self._c.list("/v3/avatars/looks", AvatarLook, params)

    async def get_look(self, look_id: str) -> AvatarLook:
        return await self._c.get(f"/v3/avatars/looks/{look_id}", AvatarLook)

    async def rename_look(self, look_id: str, name: str) -> AvatarLook:
        look, _ = await self._c.send("PATCH", f"/v3/avatars/looks/{look_id}", AvatarLook, {"name": name})
        return look

    async def delete_look(self, look_id: str) -> Deleted:
        env = await self._c.http.request("DELETE", f"/v3/avatars/looks/{look_id}")
        return parse(Deleted, env.data or {"id": look_id}, "DELETE /v3/avatars/looks")

    async def create(self, req: CreatePhotoAvatar | CreatePromptAvatar | CreateDigitalTwin, *,
                     request_key: str | None = None) -> CreatedAvatar:
        path = "/v3/avatars"
        created, _ = await self._c.send("POST", path, CreatedAvatar, req, request_key=request_key)
        look_id = (created.avatar_item or {}).get("id")
        group_id = (created.avatar_group or {}).get("id") or (created.avatar_item or {}).get("group_id")
        if look_id or group_id:
            self._c.remember("look", str(look_id or group_id), key=env_key(path, req, request_key),
                             title=req.name, group_id=group_id)
        return created

    async def consent(self, group_id: str, req: AvatarConsentRequest | None = None) -> AvatarConsent:
        body = (req or AvatarConsentRequest()).body()
        consent, _ = await self._c.send("POST", f"/v3/avatars/{group_id}/consent", AvatarConsent, body)
        return consent


# -- voices ----------------------------------------------------------------------------------------
class Voices(_Resource):
    async def list(self, *, type: str | None = None, engine: str | None = None, language: str | None = None,
                   gender: str | None = None, limit: int = 20, token: str | None = None) -> Page[Voice]:
        params = {"type": type, "engine": engine, "language": language, "gender": gender, "limit": limit,
                  "token": token}
        return await self._c.list("/v3/voices", Voice, params)

    async def get(self, voice_id: str) -> Voice:
        return await self._c.get(f"/v3/voices/{voice_id}", Voice)

    async def design(self, req: DesignVoice) -> DesignedVoices:
        designed, _ = await self._c.send("POST", "/v3/voices", DesignedVoices, req)
        return designed

    async def speech(self, req: CreateSpeech) -> Speech:
        speech, _ = await self._c.send("POST", "/v3/voices/speech", Speech, req)
        return speech


# -- account ---------------------------------------------------------------------------------------
class Users(_Resource):
    async def me(self) -> CurrentUser:
        return await self._c.get("/v3/users/me", CurrentUser)


# -- templates -------------------------------------------------------------------------------------
class Templates(_Resource):
    async def list(self, *, limit: int = 20, token: str | None = None) -> Page[Template]:
        return await self._c.list("/v3/templates", Template, {"limit": limit, "token": token})

    async def get(self, template_id: str) -> Template:
        return await self._c.get(f"/v3/templates/{template_id}", Template)

    async def generate(self, template_id: str, req: GenerateFromTemplate, *,
                       request_key: str | None = None) -> Video:
        path = f"/v3/templates/{template_id}"
        video, _ = await self._c.send("POST", path, Video, req, request_key=request_key)
        self._c.remember("video", video.id, key=env_key(path, req, request_key), title=req.title, api="v3",
                         type="template")
        return video

    async def list_v2(self) -> list[V2Template]:
        env = await self._c.http.request("GET", "/v2/templates", envelope="v2")
        data = env.data if isinstance(env.data, dict) else {}
        return [parse(V2Template, t, "GET /v2/templates") for t in data.get("templates", [])]

    async def get_v2(self, template_id: str) -> dict[str, Any]:
        env = await self._c.http.request("GET", f"/v2/template/{template_id}", envelope="v2")
        if not isinstance(env.data, dict):
            raise ResponseFormatError("GET /v2/template: expected an object in 'data'")
        return env.data

    async def generate_v2(self, template_id: str, req: GenerateFromTemplate, *,
                          request_key: str | None = None) -> CreatedVideo:
        path = f"/v2/template/{template_id}/generate"
        key = env_key(path, req, request_key)
        journal = self._c.journal
        if journal is not None and (previous := journal.find_by_key(key, max_age_s=REPLAY_WINDOW_S)):
            return CreatedVideo(video_id=previous["job_id"], status="submitted", replayed=True)
        env = await self._c.http.request("POST", path, json_body=req.body(), envelope="v2")
        created = parse(CreatedVideo, env.data, f"POST {path}")
        self._c.remember("video", created.video_id, key=key, title=req.title, api="v2", type="template")
        return created


# -- translations ----------------------------------------------------------------------------------
class Translations(_Resource):
    async def create(self, req: CreateTranslation, *, request_key: str | None = None,
                     identity: Any = None) -> CreatedTranslations:
        path = "/v3/video-translations"
        created, _ = await self._c.send("POST", path, CreatedTranslations, req, request_key=request_key,
                                        identity=identity)
        key = idempotency_key_for("POST", path, req.body() if identity is None else identity, request_key)
        for tid, lang in zip(created.video_translation_ids, req.output_languages, strict=False):
            self._c.remember("translation", tid, key=f"{key}:{lang}", title=req.title, language=lang)
        return created

    async def get(self, translation_id: str) -> Translation:
        return await self._c.get(f"/v3/video-translations/{translation_id}", Translation)

    async def list(self, *, limit: int = 20, token: str | None = None) -> Page[Translation]:
        return await self._c.list("/v3/video-translations", Translation, {"limit": limit, "token": token})

    async def languages(self) -> list[str]:
        env = await self._c.http.request("GET", "/v3/video-translations/languages")
        data = env.data if isinstance(env.data, dict) else {}
        langs = data.get("languages")
        if not isinstance(langs, list):
            raise ResponseFormatError("GET /v3/video-translations/languages: no 'languages' list")
        return [str(x) for x in langs]


# -- webhooks --------------------------------------------------------------------------------------
class Webhooks(_Resource):
    async def list(self, *, limit: int = 20, token: str | None = None) -> Page[WebhookEndpoint]:
        return await self._c.list("/v3/webhooks/endpoints", WebhookEndpoint, {"limit": limit, "token": token})

    async def create(self, req: CreateWebhook) -> WebhookEndpoint:
        endpoint, _ = await self._c.send("POST", "/v3/webhooks/endpoints", WebhookEndpoint, req)
        return endpoint

    async def update(self, endpoint_id: str, req: UpdateWebhook) -> WebhookEndpoint:
        endpoint, _ = await self._c.send("PATCH", f"/v3/webhooks/endpoints/{endpoint_id}", WebhookEndpoint, req)
        return endpoint

    async def delete(self, endpoint_id: str) -> None:
        await self._c.http.request("DELETE", f"/v3/webhooks/endpoints/{endpoint_id}")

    async def rotate_secret(self, endpoint_id: str) -> RotatedSecret:
        rotated, _ = await self._c.send("POST", f"/v3/webhooks/endpoints/{endpoint_id}/rotate-secret",
                                        RotatedSecret, None)
        return rotated

    async def event_types(self) -> list[WebhookEventType]:
        env = await self._c.http.request("GET", "/v3/webhooks/event-types")
        return self._c.page(WebhookEventType, env, "GET /v3/webhooks/event-types").items

    async def events(self, *, event_type: str | None = None, entity_id: str | None = None, limit: int = 20,
                     token: str | None = None) -> Page[WebhookEventRecord]:
        params = {"event_type": event_type, "entity_id": entity_id, "limit": limit, "token": token}
        return await self._c.list("/v3/webhooks/events", WebhookEventRecord, params)

