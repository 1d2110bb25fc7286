"""Lipsync: new speech on an existing video, the speaker's lips re-animated to match (``POST /v3/lipsyncs``).

The video is a job of this server (its finished file), a URL, an asset id or a local file; the speech is an
audio file, URL or asset id (``create_speech``'s ``asset_id``), or a script and voice turned into speech first.
Everything is checked before anything is paid; the lipsync is claimed in the job store and sent with an
Idempotency-Key, so the same call again returns the same job.
"""

from __future__ import annotations

from typing import Literal, cast

from ..core.errors import NotFoundError
from ..core.models import AssetRef, AssetUrl, CreateLipsync
from ..core.store import JOB_KINDS, JobKind
from ..core.transfer import upload_file
from .assets import media_seconds
from .errors import Refused
from .inputs import check_id, check_url, classify_source, confine_input, not_blank
from .jobs import known_job, make_job_id, next_step, video_id_for
from .outputs import LipsyncJob
from .tenant import Tenant
from .voices import audio_source, make_speech


def _job_of(state: Tenant, value: str) -> tuple[JobKind, str] | None:
    """``(kind, id)`` when ``value`` names a job: ``<kind>:<id>``, or a bare id the job store holds as a job."""
    prefix, sep, raw = value.strip().partition(":")
    if sep and prefix in JOB_KINDS:
        return cast(JobKind, prefix), check_id(raw, "job id")
    record = known_job(state, value.strip())
    if record is not None and record.kind in JOB_KINDS:
        return cast(JobKind, record.kind), value.strip()
    return None


async def _job_video(state: Tenant, kind: JobKind, raw: str) -> tuple[str, float | None]:
    """The finished file of a video, agent, translation or lipsync job (its URL is presigned, so it is read now),
    and its length when HeyGen says it (the lipsync is priced by it)."""
    job_id = make_job_id(kind, raw)
    if kind not in ("video", "agent", "translation", "lipsync"):
        raise Refused(f"{job_id} is a {kind} job, not a video; pass a video job_id, a URL or an asset id.")
    try:
        seconds: float | None = None
        if kind == "translation":
            translation = await state.client.translations.get(raw)
            status, url = translation.status, translation.video_url
        elif kind == "lipsync":
            lipsync = await state.client.lipsyncs.get(raw)
            status, url = lipsync.status, lipsync.video_url
        else:
            video = await state.client.videos.get(await video_id_for(state, job_id))
            status, url, seconds = video.status, video.video_url, video.duration
    except NotFoundError:
        raise Refused(f"{job_id} was not found at HeyGen (deleted?); list_jobs shows your jobs. "
                        "Nothing was charged.") from None
    if status != "completed" or not url:
        raise Refused(f"{job_id} is {status}, not finished: wait_for_job('{job_id}') first. Nothing was charged.")
    return url, seconds


async def _video_source(state: Tenant, value: str) -> tuple[AssetUrl | AssetRef, str | None, float | None]:
    """The video as HeyGen takes it, the job it came from (the request's identity then, not its URL), and its
    length when it can be told (a job's, or read from the file at a URL: the estimate uses it)."""
    source = classify_source(value, "video")
    if source == "url":
        url = check_url(value, "video")
        return AssetUrl(url=url), None, await media_seconds(state, url)
    if source == "path":
        with confine_input(state, value) as local:
            uploaded = await upload_file(state.client, local)
        if not uploaded.mime_type.startswith("video/"):
            raise Refused(f"video: {local.name} is {uploaded.mime_type}, not a video. Nothing was charged.")
        return AssetRef(asset_id=uploaded.asset_id), None, None
    job = _job_of(state, value)
    if job is not None:
        url, seconds = await _job_video(state, *job)
        return AssetUrl(url=url), make_job_id(*job), seconds
    asset_id = check_id(value, "video asset id")
    try:
        detail = await state.client.assets.get(asset_id)
    except NotFoundError:
        raise Refused(f"video: no asset or job '{asset_id}'; pass a job_id, an http(s) URL, an asset id from "
                        "upload_asset, or a local file. Nothing was charged.") from None
    if detail.type != "video":
        raise Refused(f"video: asset '{asset_id}' is {detail.type}, not a video. Nothing was charged.")
    return AssetRef(asset_id=asset_id), None, None


async def create_lipsync(
    state: Tenant,
    *,
    video: str,
    audio: str | None = None,
    script: str | None = None,
    voice_id: str | None = None,
    mode: Literal['speed', 'precision'] = 'speed',
    start_s: float | None = None,
    end_s: float | None = None,
    title: str | None = None,
    request_key: str | None = None,
) -> LipsyncJob:
    """For a finished video that should say something else: new speech, lips in sync. Paid (per second).
    Returns a job_id: wait_for_job, then download_video."""
    if bool(audio) == bool(script):
        raise Refused("Give exactly one of audio (a file, URL or asset id) or script (with voice_id).")
    not_blank(script, "script")
    if script and not voice_id:
        raise Refused("script needs voice_id (see list_voices(engine='starfish')). Nothing was sent.")
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise Refused("end_s must be after start_s. Nothing was sent.")
    classify_source(video, "video")  # refuses ftp:// and other URLs before any request
    if audio:
        classify_source(audio, "audio")
    if voice_id:
        check_id(voice_id, "voice_id")
    speech = None
    if audio:
        sound: AssetUrl | AssetRef = await audio_source(state, audio, "audio")
    source, job, seconds = await _video_source(state, video)
    if not audio:  # the paid step last, once everything else is known to be fine
        speech = await make_speech(state, script or "", voice_id or "")
        if not speech.asset_id:
            raise Refused(f"The speech was saved to {speech.path} but could not be uploaded; call again (the speech "
                            "is not paid again).")
        sound = AssetRef(asset_id=speech.asset_id)
    req = CreateLipsync(video=source, audio=sound, title=title, mode=mode if mode != "speed" else None,
                        start_time=start_s, end_time=end_s)
    identity = {**req.body(), "video": {"job": job}} if job else None
    created = await state.client.lipsyncs.create(req, request_key=request_key, identity=identity, seconds=seconds)
    job_id = make_job_id("lipsync", created.lipsync_id)
    return LipsyncJob(job_id=job_id, lipsync_id=created.lipsync_id, status="pending", speech=speech,
                      replayed=created.replayed, next_step=next_step("lipsync", "pending", job_id))
