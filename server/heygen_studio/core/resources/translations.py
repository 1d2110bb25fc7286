"""Translations: ``/v3/video-translations`` (one job per output language) and their batches
``/v3/video-translations/batches`` (one item per video and output language)."""

from __future__ import annotations

import builtins
from typing import Any

from ..costs import Seconds
from ..errors import ResponseFormatError
from ..models import (
    BatchDetail,
    CreatedBatch,
    CreatedTranslations,
    CreateTranslation,
    CreateTranslationBatch,
    Page,
    Translation,
)
from ..store import Job
from ._base import Resource


class Translations(Resource):
    async def create(self, req: CreateTranslation, *, request_key: str | None = None,
                     identity: Any = None, seconds: float | None = None) -> CreatedTranslations:
        """``seconds``: the source video's length when known (for the estimate; HeyGen does not need it)."""
        job = Job("translation", req.title, {"languages": list(req.output_languages)})
        created, env = await self._c.create("/v3/video-translations", CreatedTranslations, req, job,
                                            lambda c: c.video_translation_ids[0], request_key=request_key,
                                            identity=identity, seconds=seconds)
        # createVideoTranslation returns one id per output language, in the order they were asked for.
        for tid, lang in zip(created.video_translation_ids[1:], req.output_languages[1:], strict=False):
            self._c.remember("translation", tid, key=f"{env.idempotency_key}:{lang}", title=req.title, language=lang)
        return created

    async def create_batch(self, req: CreateTranslationBatch, *, labels: builtins.list[str] | None = None,
                           identity: Any = None, seconds: Seconds = None) -> CreatedBatch:
        """POST /v3/video-translations/batches (priced per item, claimed and keyed like any create).
        ``labels``: a name per expanded item (video × language), kept with the job for progress reports;
        ``identity`` and ``seconds`` as for ``create``, one per body."""
        job = Job("batch", req.title, {"api": "translations", "labels": labels,
                                       "items": sum(len(t.output_languages) for t in req.video_translations)})
        created, env = await self._c.create("/v3/video-translations/batches", CreatedBatch, req, job,
                                            lambda c: c.ident, identity=identity, seconds=seconds)
        created.replayed = env.replayed
        return created

    async def get_batch(self, batch_id: str, *, page_size: int = 100) -> BatchDetail:
        """GET /v3/video-translations/batches/{id}: every item (all pages); ``video_id`` is the translation id."""
        return await self._c.batch(f"/v3/video-translations/batches/{batch_id}", page_size=page_size)

    async def get(self, translation_id: str) -> Translation:
        return await self._c.get(f"/v3/video-translations/{translation_id}", Translation)

    async def list(self, *, limit: int = 20, token: str | None = None) -> Page[Translation]:
        return await self._c.list("/v3/video-translations", Translation, {"limit": limit, "token": token})

    async def languages(self) -> builtins.list[str]:
        env = await self._c.http.request("GET", "/v3/video-translations/languages")
        data = env.data if isinstance(env.data, dict) else {}
        langs = data.get("languages")
        if not isinstance(langs, list):
            raise ResponseFormatError("GET /v3/video-translations/languages: no 'languages' list")
        return [str(x) for x in langs]
