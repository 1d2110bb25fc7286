"""Videos: ``/v3/videos`` (avatar, image and Studio videos), their batches ``/v3/videos/batches``, and the v2
Studio ``/v2/video/generate``."""

from __future__ import annotations

import builtins

from ..errors import APIConnectionError, EndpointRetiredError, NotFoundError
from ..models import (
    BatchDetail,
    CreateAvatarVideo,
    CreatedBatch,
    CreatedVideo,
    CreateImageVideo,
    CreateStudioVideoV2,
    CreateStudioVideoV3,
    CreateVideoBatch,
    Deleted,
    Page,
    RequestModel,
    StatusEntry,
    V2TextVoice,
    Video,
)
from ..scripts import expected_render_s
from ..store import Job
from ._base import Resource


def expected_for(req: RequestModel) -> float:
    """Expected render time of a video request (scripts spoken, plus silences and audio as a guess)."""
    scripts: builtins.list[str] = []
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


class Videos(Resource):
    async def create(
        self, req: CreateAvatarVideo | CreateImageVideo | CreateStudioVideoV3, *, request_key: str | None = None
    ) -> CreatedVideo:
        job = Job("video", req.title, {"api": "v3", "type": req.type, "expected_s": expected_for(req)})
        created, env = await self._c.create("/v3/videos", CreatedVideo, req, job, lambda c: c.video_id,
                                            request_key=request_key)
        created.replayed = env.replayed
        return created

    async def create_batch(self, req: CreateVideoBatch, *, request_key: str | None = None,
                           part_of: str | None = None) -> CreatedBatch:
        """POST /v3/videos/batches: many ``POST /v3/videos`` bodies in one paid request (priced as their sum,
        claimed and keyed like any create). The videos are made asynchronously: ``get_batch`` names them.
        ``part_of``: the local batch this one belongs to (its record then stays out of ``list_jobs``)."""
        expected = max(expected_for(v) for v in req.videos)
        job = Job("batch", req.title, {"api": "videos", "items": len(req.videos), "expected_s": expected,
                                       "part_of": part_of})
        created, env = await self._c.create("/v3/videos/batches", CreatedBatch, req, job, lambda c: c.ident,
                                            request_key=request_key)
        created.replayed = env.replayed
        return created

    async def get_batch(self, batch_id: str, *, page_size: int = 100) -> BatchDetail:
        """GET /v3/videos/batches/{id}: aggregate status and every item (all pages), each with its video id."""
        return await self._c.batch(f"/v3/videos/batches/{batch_id}", page_size=page_size)

    async def create_studio_v2(self, req: CreateStudioVideoV2, *, request_key: str | None = None) -> CreatedVideo:
        """POST /v2/video/generate. Raises ``EndpointRetiredError`` if HeyGen says the path is gone."""
        try:
            job = Job("video", req.title, {"type": "studio", "expected_s": expected_for(req)})
            return await self._c.send_v2_create("/v2/video/generate", req, job, request_key=request_key)
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
            if exc.maybe_received:  # v2 takes no Idempotency-Key, so a resend could pay twice
                exc.hint = (
                    "The request may have reached HeyGen before the connection dropped: check list_videos for a "
                    "new video before submitting again."
                )
            raise

    async def get(self, video_id: str) -> Video:
        return await self._c.get(f"/v3/videos/{video_id}", Video)

    async def list(self, *, limit: int = 20, token: str | None = None, title: str | None = None) -> Page[Video]:
        return await self._c.list("/v3/videos", Video, {"limit": limit, "token": token, "title": title})

    async def delete(self, video_id: str) -> Deleted:
        return await self._c.delete(f"/v3/videos/{video_id}", where="DELETE /v3/videos",
                                    fallback={"id": video_id, "deleted": True})

    async def statuses(self, video_ids: builtins.list[str]) -> builtins.list[StatusEntry]:
        env = await self._c.http.request("GET", "/v3/videos/statuses", params={"video_ids": video_ids})
        return self._c.page(StatusEntry, env, "GET /v3/videos/statuses").items
