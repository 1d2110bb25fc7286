"""Video: avatar videos (v3), Studio multi-scene videos (v2, or v3), status, download, list, delete."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypedDict

from ..core.errors import EndpointRetiredError, HeyGenError
from ..core.files import LocalFile
from ..core.mime import SNIFF_BYTES, sniff
from ..core.models import (
    AspectRatio,
    AvatarLook,
    Background,
    Caption,
    CreateAvatarVideo,
    CreateImageVideo,
    CreateStudioVideoV2,
    CreateStudioVideoV3,
    Engine,
    EngineType,
    Expressiveness,
    Resolution,
    VoiceSettings,
)
from ..core.studio import Scene, build_v2, build_v3, v3_gaps
from ..core.transfer import ByteProgress, download, place_beside
from . import catalog, files
from .assets import resolve_asset
from .errors import Refused, delete
from .inputs import classify_source, confine_output, not_blank, url_or_asset
from .jobs import (
    Progress,
    batch_items,
    finding,
    made_ids,
    make_job_id,
    next_step,
    owns,
    parse_job_id,
    poll_once,
    remember,
    video_failure,
    video_id_for,
)
from .outputs import Deleted, Downloaded, SavedFile, VideoInfo, VideoJob, VideoList, VideoRow
from .tenant import Tenant


def video_job(video_id: str, status: str | None, *, api: Literal["v3", "v2"], replayed: bool,
              note: str | None = None) -> VideoJob:
    """The answer of every tool that submits a render (avatar, Studio, template)."""
    job_id = make_job_id("video", video_id)
    status = status or "pending"
    if replayed:
        note = (note + " " if note else "") + "An identical request was already submitted: this is that video."
    return VideoJob(job_id=job_id, video_id=video_id, status=status, api=api, replayed=replayed,
                    note=note, next_step=next_step("video", status, job_id))


class _SpeechAndLook(TypedDict):
    """The fields an avatar video and an image video share (POST /v3/videos, type=avatar | image)."""

    script: str | None
    voice_id: str | None
    audio_url: str | None
    audio_asset_id: str | None
    voice_settings: VoiceSettings | None
    resolution: Resolution | None
    aspect_ratio: AspectRatio | None
    background: Background | None
    caption: Caption | None
    motion_prompt: str | None
    expressiveness: Expressiveness | None
    output_format: Literal["mp4", "webm"] | None
    title: str | None




def _check_engine(look: AvatarLook, engine: str | None, motion_prompt: str | None,
                  expressiveness: str | None) -> None:
    """HeyGen rejects these combinations after you have asked; say so before anything is paid."""
    engines = look.supported_api_engines
    photo = look.avatar_type == "photo_avatar"
    if engine and engines and engine not in engines:
        raise Refused(f"Avatar '{look.id}' supports engines {engines}, not '{engine}'.")
    if motion_prompt and not photo and engine != "avatar_v":
        fix = "add engine='avatar_v'" if "avatar_v" in engines else "this look has no avatar_v; drop motion_prompt"
        raise Refused(f"motion_prompt works on photo avatars, or on video avatars with engine='avatar_v': {fix}.")
    if expressiveness and not photo:
        raise Refused("expressiveness applies to photo avatars (Avatar IV) only; drop it for this look.")




async def _named(state: Tenant, voice_id: str) -> str:
    """A look's own voice as a note names it: 'name' (id), or the id alone when HeyGen will not say its name (the
    look's voice is HeyGen's to accept: a failed look-up here refuses nothing)."""
    try:
        voice = await catalog.require_voice(state, voice_id)
    except HeyGenError:
        return f"'{voice_id}'"
    return f"'{voice.name}' ({voice_id})" if voice.name else f"'{voice_id}'"


async def _voiced(state: Tenant, scenes: list[Scene]) -> tuple[list[Scene], str | None]:
    """The scenes checked against the catalogue (presenters, voices), each script with a voice: its own, else its
    presenter's default voice; and a note naming the voices so chosen."""
    out: list[Scene] = []
    chosen: dict[str, list[int]] = {}  # "name (id)" -> scene numbers
    used = {scene.voice_id for scene in scenes if scene.voice_id}
    for n, scene in enumerate(scenes, 1):
        look = await catalog.require_look(state, scene.presenter, where=f"scene {n}") if scene.presenter else None
        if scene.voice_id:
            await catalog.require_voice(state, scene.voice_id, where=f"scene {n}")
        elif scene.script:
            if look is None:
                like = f", e.g. the other scenes' '{next(iter(used))}'" if len(used) == 1 else ""
                raise Refused(f"scene {n} has a script and no presenter whose voice to use: give it voice_id{like} "
                                "(list_voices lists voices). Nothing was sent.")
            if not look.default_voice_id:
                raise Refused(f"scene {n}: avatar '{look.id}' has no voice of its own; give the scene voice_id "
                                "(list_voices lists voices). Nothing was sent.")
            own = look.default_voice_id
            chosen.setdefault(await _named(state, own), []).append(n)
            scene = scene.model_copy(update={"voice_id": own})
            used.add(own)
        out.append(scene)
    said = [f"scene{'s' if len(ns) > 1 else ''} {', '.join(map(str, ns))}: {name}" for name, ns in chosen.items()]
    return out, ("The presenter's own voice speaks " + "; ".join(said) + ".") if said else None




async def save_video(state: Tenant, job_id: str, progress: Progress, *, filename: str | None = None,
                     captioned: bool = False, keep_existing: bool = False,
                     folder: str | None = None, on_bytes: ByteProgress | None = None) -> tuple[Downloaded, str]:
    """Save a finished video, agent video, translation or lipsync in the output folder: (what was saved, MIME type).

    Partial files resume; an expired presigned URL is refreshed once. ``keep_existing``: a file already
    saved under that name is the answer (a resumed produce_video call), with no upstream call. ``folder``: a
    plain folder name inside the output folder (a batch's), made if missing. ``on_bytes``: called after each
    chunk with the bytes saved so far and the file's size.
    """
    kind, raw = parse_job_id(state, job_id)

    def place(name: str) -> Path:
        dest = confine_output(state.output_dir, name)
        if folder is None:
            return dest
        inside = dest.parent / confine_output(state.output_dir, folder).name
        if inside.is_symlink() or (inside.exists() and not inside.is_dir()):
            raise Refused(f"{inside} is not a plain folder; move it away and download again.")
        inside.mkdir(mode=0o700, parents=True, exist_ok=True)
        return inside / dest.name

    if keep_existing and filename and (saved := _saved(place(filename))) is not None:
        path, size, mime = saved
        remember(state, raw, status="completed", path=str(path))  # for list_jobs
        return Downloaded(video_id=raw, path=str(path), size_bytes=size, uri=path.as_uri(), already_saved=True,
                          resource_uri=files.file_uri(state.output_dir, path)), mime
    thumbnail = title = length = None
    with finding(job_id):  # a mistyped or deleted id: say where the right one is
        if kind == "translation":
            translation = await state.client.translations.get(raw)
            url, video_id = translation.video_url, raw

            async def refresh() -> str:
                return (await state.client.translations.get(raw)).video_url or ""
        elif kind == "lipsync":
            lipsync = await state.client.lipsyncs.get(raw)
            if lipsync.status != "completed":
                raise Refused(f"Lipsync {raw} is {lipsync.status}, not completed; call wait_for_job('{job_id}') "
                                "first.")
            url, video_id = lipsync.video_url, raw

            async def refresh() -> str:
                return (await state.client.lipsyncs.get(raw)).video_url or ""
        else:
            video_id = await video_id_for(state, job_id)
            video = await state.client.videos.get(video_id)
            if video.status != "completed":
                raise Refused(f"Video {video_id} is {video.status}, not completed; call wait_for_job first.")
            url = video.captioned_video_url if captioned else video.video_url
            thumbnail, title, length = video.thumbnail_url, video.title, video.duration
            if captioned and not url:
                raise Refused(f"Video {video_id} has no captioned copy (it was made without captions=true); "
                                "download it without captioned, or use its subtitle_url from get_video.")

            async def refresh() -> str:
                fresh = await state.client.videos.get(video_id)
                return (fresh.captioned_video_url if captioned else fresh.video_url) or ""
    if not url:
        raise Refused("HeyGen has no file for that job yet; call wait_for_job first.")
    name = filename or f"{video_id}{'-captioned' if captioned else ''}.mp4"
    if not Path(name).suffix:
        name += ".mp4"
    dest = place(name)
    fresh: list[str] = []

    async def refreshed() -> str:  # the link the inline player shows is the one that worked
        fresh.append(await refresh())
        return fresh[-1]

    await progress(0, f"downloading {dest.name}")
    result = await download(state.client.http.client, url, dest, refresh_url=refreshed, on_bytes=on_bytes,
                            keep_others=True)
    mime = _sniff(result.path) or "application/octet-stream"
    if mime == "video/webm" and result.path.suffix == ".mp4" and not filename and not result.already_there:
        wanted = dest = dest.with_suffix(".webm")  # transparent (alpha) output
        result.path, result.already_there = await place_beside(result.path, wanted)
    remember(state, raw, status="completed", duration=length, path=str(result.path))  # for list_jobs
    return Downloaded(video_id=video_id, path=str(result.path), size_bytes=result.size,
                      resumed_from=result.resumed_from, uri=result.path.as_uri(),
                      title=title, video_url=files.reachable(state, fresh[-1] if fresh else url),
                      thumbnail_url=files.reachable(state, thumbnail),
                      resource_uri=files.file_uri(state.output_dir, result.path),
                      already_saved=result.already_there,
                      note=_placement(dest, result.path, result.already_there)), mime


def _placement(wanted: Path, path: Path, already_there: bool) -> str | None:
    """What the result says when the file is not simply new under the name asked for (nothing is overwritten)."""
    if already_there:
        other = f"{wanted.name} holds a different file, left untouched; " if path != wanted else ""
        return f"{other}{path.name} already held this same file, byte for byte: nothing was written."
    if path != wanted:
        return (f"{wanted.name} already holds a different file, left untouched; this one was saved as "
                f"{path.name}.")
    return None


def _sniff(path: Path) -> str | None:
    """The MIME type of a file this server saved, read without following a link put in its place."""
    try:
        with LocalFile.open(path) as file:
            return sniff(file.head(SNIFF_BYTES))
    except (OSError, HeyGenError):
        return None


def _saved(path: Path) -> tuple[Path, int, str] | None:
    """A finished file already saved under this name (a regular file, not a link): path, size, MIME type."""
    try:
        with LocalFile.open(path) as file:
            return path, file.size, sniff(file.head(SNIFF_BYTES)) or "application/octet-stream"
    except (OSError, HeyGenError):
        return None


@dataclass
class Link:
    """A saved file, for the adapter to show (MCP: a resource link beside the text)."""

    name: str
    uri: str
    mime_type: str
    size: int


@dataclass
class Saved:
    """What ``download_video`` saved: the structured answer, one line for a person, a link per file."""

    out: Downloaded
    text: str
    links: list[Link]


Report = Callable[[float, float | None, str | None], Awaitable[None]]
"""Progress for the adapter: (progress, total, message); MCP's ``report_progress`` takes exactly these."""


async def _save_batch(state: Tenant, job_id: str, report: Progress, captioned: bool) -> Saved:
    """Every finished item of a batch, in one folder named after it; unfinished and failed items are listed."""
    _, raw = parse_job_id(state, job_id)
    folder = f"batch-{raw[:12]}"
    saved_files: list[SavedFile] = []
    missing: list[str] = []
    links: list[Link] = []
    items = await batch_items(state, raw)
    for item in items:
        n, label, item_job = item.n, item.label, item.job_id
        if item.remote is not None and item.remote != "completed":  # an item of a HeyGen batch, not finished
            named = f", {item_job}" if item_job else ""
            missing.append(f"item {n} ({label}{named}): {item.failure or item.remote}")
            continue
        if item_job is None:
            missing.append(f"item {n} ({label}): not submitted ({item.why or 'no script'})")
            continue
        if item.remote is None:  # a single create's job: ask it
            status = await poll_once(state, *parse_job_id(state, item_job))
            if status.status != "completed":
                missing.append(f"item {n} ({label}, {item_job}): {status.failure or status.status}")
                continue
        slug = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-").lower()[:40] or "video"
        await report(100 * (n - 1) / len(items), f"item {n} of {len(items)}")
        out, mime = await save_video(state, item_job, report, filename=f"{n:02d}-{slug}.mp4", captioned=captioned,
                                     keep_existing=True, folder=folder)
        saved_files.append(SavedFile(item=n, job_id=item_job, path=out.path, size_bytes=out.size_bytes))
        path = Path(out.path)
        _, uri, link = files.shown(state, path)
        links.append(Link(name=path.name, uri=out.resource_uri or link or uri, mime_type=mime, size=out.size_bytes))
    if not saved_files:
        raise Refused(f"No item of {job_id} has finished yet ({'; '.join(missing)}); call wait_for_job('{job_id}') "
                        "first.")
    await report(100, "downloaded")
    where = confine_output(state.output_dir, folder)
    remember(state, raw, path=str(where))
    total = sum(f.size_bytes for f in saved_files)
    out = Downloaded(video_id=job_id, path=str(where), size_bytes=total, uri=where.as_uri(), files=saved_files,
                     missing=missing or None)
    text = (f"Saved {len(saved_files)} of {len(items)} videos ({total} bytes) to {files.shown(state, where)[0]}"
            + (f"; missing: {'; '.join(missing)}" if missing else ""))
    return Saved(out=out, text=text, links=links)


async def create_avatar_video(
    state: Tenant,
    *,
    script: str | None = None,
    avatar_id: str | None = None,
    image: str | None = None,
    voice_id: str | None = None,
    audio: str | None = None,
    voice_speed: float | None = None,
    voice_pitch: float | None = None,
    voice_locale: str | None = None,
    resolution: Resolution | None = None,
    aspect_ratio: AspectRatio | None = None,
    background_color: str | None = None,
    background_image: str | None = None,
    captions: bool = False,
    motion_prompt: str | None = None,
    expressiveness: Expressiveness | None = None,
    engine: EngineType | None = None,
    output_format: Literal['mp4', 'webm'] = 'mp4',
    title: str | None = None,
    request_key: str | None = None,
) -> VideoJob:
    """For one presenter saying exact words, or a photo to make talk: an avatar look or any image speaks a script
    or audio. Paid. Returns a job_id at once."""
    not_blank(script, "script")
    note = None
    if bool(avatar_id) == bool(image):
        raise Refused("Give exactly one of avatar_id (a look from list_avatars) or image.")
    if bool(script) == bool(audio):
        raise Refused("Give exactly one of script or audio.")
    # What can be checked here is checked before any request (the catalog look-ups below are requests).
    if image:
        classify_source(image, "image")  # refuses ftp:// and other URLs HeyGen cannot fetch
    audio_url, audio_asset_id = url_or_asset(audio, "audio")
    image_url, image_asset = url_or_asset(background_image, "background_image")
    if voice_id:
        await catalog.require_voice(state, voice_id)
    if avatar_id:
        look = await catalog.require_look(state, avatar_id)
        _check_engine(look, engine, motion_prompt, expressiveness)
        if script and not voice_id:
            if not look.default_voice_id:
                raise Refused(f"Avatar '{look.id}' has no voice of its own; pass voice_id (list_voices lists "
                                "voices). Nothing was sent.")
            voice_id = look.default_voice_id
            note = f"The avatar's own voice speaks: {await _named(state, voice_id)}."
    elif script and not voice_id:
        raise Refused("An image has no voice of its own: pass voice_id with the script (list_voices(language=..., "
                        "gender=...) lists voices). Nothing was sent.")
    settings = (VoiceSettings(speed=voice_speed, pitch=voice_pitch, locale=voice_locale)
                if (voice_speed or voice_pitch or voice_locale) else None)
    background = None
    if background_color or background_image:
        background = (Background(type="color", value=background_color) if background_color
                      else Background(type="image", url=image_url, asset_id=image_asset))
    shared = _SpeechAndLook(
        script=script, voice_id=voice_id, audio_url=audio_url, audio_asset_id=audio_asset_id,
        voice_settings=settings, resolution=resolution, aspect_ratio=aspect_ratio, background=background,
        caption=Caption(style="default") if captions else None, motion_prompt=motion_prompt,
        expressiveness=expressiveness, output_format=output_format if output_format != "mp4" else None, title=title)
    req: CreateAvatarVideo | CreateImageVideo
    if avatar_id:
        req = CreateAvatarVideo(avatar_id=avatar_id, engine=Engine(type=engine) if engine else None, **shared)
    else:
        req = CreateImageVideo(image=await resolve_asset(state, image or ""), **shared)
    created = await state.client.videos.create(req, request_key=request_key)
    return video_job(created.video_id, created.status, api="v3", replayed=created.replayed, note=note)


async def create_studio_video(
    state: Tenant,
    *,
    scenes: list[Scene],
    title: str | None = None,
    resolution: Resolution = '1080p',
    aspect_ratio: Literal['16:9', '9:16', '1:1', '4:5', '5:4'] = '16:9',
    captions: bool = False,
    api: Literal['v2', 'v3'] = 'v2',
    request_key: str | None = None,
) -> VideoJob:
    """For exact words in scenes, each with its own presenter, voice or background: 1-50 scenes, in order.
    Paid. Returns a job_id at once."""
    for n, scene in enumerate(scenes, 1):  # local checks first: no request for a call that will be refused
        for field in ("audio", "background_image", "background_video"):
            url_or_asset(getattr(scene, field), f"scene {n} {field}")  # a local path here would be posted as an id
    scenes, note = await _voiced(state, scenes)
    client = state.client

    def v2() -> CreateStudioVideoV2:
        return build_v2(scenes, title=title, resolution=resolution, aspect_ratio=aspect_ratio, captions=captions)

    def v3() -> CreateStudioVideoV3:
        return build_v3(scenes, title=title, resolution=resolution, aspect_ratio=aspect_ratio, captions=captions)

    if api == "v3":
        gaps = v3_gaps(scenes)
        if gaps:
            raise Refused("v3 Studio cannot express: " + "; ".join(gaps) + ". Use api='v2' or change those scenes.")
        created = await client.videos.create(v3(), request_key=request_key)
        return video_job(created.video_id, created.status, api="v3", replayed=created.replayed, note=note)
    try:
        created = await client.videos.create_studio_v2(v2(), request_key=request_key)
        return video_job(created.video_id, created.status, api="v2", replayed=created.replayed, note=note)
    except EndpointRetiredError:  # HeyGen is retiring POST /v2/video/generate in favour of v3 type=studio
        gaps = v3_gaps(scenes)
        if gaps:
            raise Refused("HeyGen has retired the v2 Studio endpoint, and v3 cannot express: " + "; ".join(gaps)
                            + ". Change those scenes, then call again with api='v3'. Nothing was charged.") from None
    created = await client.videos.create(v3(), request_key=request_key)
    retired = "HeyGen has retired the v2 Studio endpoint, so this was sent to v3 (type=studio)."
    return video_job(created.video_id, created.status, api="v3", replayed=created.replayed,
                     note=f"{note} {retired}" if note else retired)


async def get_video(state: Tenant, *, job_id: str) -> VideoInfo:
    """Current status of a video and fresh (expiring) URLs. One upstream call."""
    with finding(job_id):
        video = await state.client.videos.get(await video_id_for(state, job_id))
    remember(state, parse_job_id(state, job_id)[1], status=video.status,
             duration=video.duration if video.status == "completed" else None)
    return VideoInfo(video_id=video.id, status=video.status, title=video.title, duration_s=video.duration,
                     video_url=video.video_url, captioned_video_url=video.captioned_video_url,
                     subtitle_url=video.subtitle_url, thumbnail_url=video.thumbnail_url, failure=video_failure(video),
                     next_step=next_step("video", video.status, make_job_id("video", video.id)))


async def download_video(
    state: Tenant,
    *,
    job_id: str,
    filename: str | None = None,
    captioned: bool = False,
    progress: Report,
) -> Saved:
    """Save a finished video into the output folder (resumes, refreshes expired links, never overwrites another
    file); a batch: every finished video, in one folder."""

    async def report(done: float, message: str) -> None:
        await progress(done, 100, message)

    if parse_job_id(state, job_id)[0] == "batch":
        batch = await _save_batch(state, job_id, report, captioned)
        return Saved(out=files.for_person(state, batch.out), text=batch.text, links=batch.links)
    # One file: progress in bytes (total = the file's size), so a client can show bytes and speed.
    name = ""

    async def starting(_: float, message: str) -> None:
        nonlocal name
        name = message
        await progress(0, None, message)

    async def saved_bytes(done: int, total: int | None) -> None:
        if total is None or done < total:  # the last chunk is reported below, once the file is in place
            await progress(done, total, name)

    out, mime = await save_video(state, job_id, starting, filename=filename, captioned=captioned, on_bytes=saved_bytes)
    await progress(out.size_bytes, out.size_bytes, "downloaded")
    out = files.for_person(state, out)
    path = Path(out.path)
    # The link is readable over MCP (resources/read) when the file is small enough; else the local file (or, for
    # a team server's person, the signed link this server serves).
    link = Link(name=path.name, uri=out.resource_uri or out.download_url or out.uri, mime_type=mime,
                size=out.size_bytes)
    said = (f"Already saved: {path} ({out.size_bytes} bytes). {out.note}" if out.already_saved
            else f"Saved {out.size_bytes} bytes to {path}" + (f". {out.note}" if out.note else ""))
    return Saved(out=out, text=said, links=[link])


async def list_videos(
    state: Tenant,
    *,
    limit: int = 10,
    next_token: str | None = None,
    title: str | None = None,
) -> VideoList:
    """For a video made earlier, to find and download again: your videos, newest first (compact rows;
    next_token for more); then download_video(video_id)."""
    page = await state.client.videos.list(limit=limit, token=catalog.unseal(next_token), title=title)
    made = made_ids(state) if state.person is not None else set()  # read once for the page
    rows = [VideoRow(video_id=v.id, status=v.status, title=v.title, duration_s=v.duration, created_at=v.created_at)
            for v in page.items if owns(state, v.id, made)]  # a team server's person: only the videos they made
    return VideoList(items=rows, next_token=catalog.next_token_of(page))


async def delete_video(state: Tenant, *, video_id: str) -> Deleted:
    """Permanently delete a video and its files at HeyGen."""
    vid = await video_id_for(state, video_id)
    return await delete(state.client.videos.delete(vid), vid,
                        f"No video {vid} at HeyGen (already deleted?); list_videos shows what exists.")
