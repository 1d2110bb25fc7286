"""Lipsyncs: ``/v3/lipsyncs`` (new speech on an existing video; a job polled until ``completed``)."""

from __future__ import annotations

from typing import Any

from ..models import CreatedLipsync, CreateLipsync, Deleted, Lipsync, Page
from ..store import Job
from ._base import Resource


class Lipsyncs(Resource):
    async def create(self, req: CreateLipsync, *, request_key: str | None = None,
                     identity: Any = None, seconds: float | None = None) -> CreatedLipsync:
        """``identity``: what the job is when the body holds a URL re-signed on every read (a video job's file);
        ``seconds``: the source video's length when known (for the estimate)."""
        job = Job("lipsync", req.title, {"mode": req.mode or "speed"})
        created, env = await self._c.create("/v3/lipsyncs", CreatedLipsync, req, job, lambda c: c.lipsync_id,
                                            request_key=request_key, identity=identity, seconds=seconds)
        created.replayed = env.replayed
        return created

    async def get(self, lipsync_id: str) -> Lipsync:
        return await self._c.get(f"/v3/lipsyncs/{lipsync_id}", Lipsync)

    async def list(self, *, limit: int = 10, token: str | None = None) -> Page[Lipsync]:
        return await self._c.list("/v3/lipsyncs", Lipsync, {"limit": limit, "token": token})

    async def delete(self, lipsync_id: str) -> Deleted:
        return await self._c.delete(f"/v3/lipsyncs/{lipsync_id}", where="DELETE /v3/lipsyncs",
                                    fallback={"id": lipsync_id})
