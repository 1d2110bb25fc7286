"""Translation: translate a video (or several at once, as one HeyGen batch) into other languages (voice
clone + lip-sync), and read one's status."""

from __future__ import annotations

from typing import Any, Literal

from ..core.models import AssetRef, AssetUrl, CreateTranslation, CreateTranslationBatch
from .assets import media_seconds
from .errors import Refused
from .inputs import check_id, check_url, classify_source
from .jobs import finding, id_of, is_job_id, make_job_id, next_step, only_mine, video_id_for
from .outputs import TranslationInfo, TranslationJobs
from .tenant import Tenant


def _language(given: str, known: list[str]) -> str:
    """HeyGen's exact name for ``given``: 'German' → 'German (Germany)' when that is the only German."""
    if given in known:
        return given
    lowered = given.strip().lower()
    exact = [k for k in known if k.lower() == lowered]
    starts = exact or [k for k in known if k.lower().startswith(lowered)]
    if len(starts) == 1:
        return starts[0]
    if starts:
        raise Refused(f"'{given}' is ambiguous; choose one of {starts[:8]}.")
    raise Refused(f"Unknown language '{given}'; HeyGen names them like {known[:6]} (full list: "
                    "GET /v3/video-translations/languages).")


def _given(state: Tenant, video: str) -> str:
    """What kind of source ``video`` is (url, job, or an asset id), checked before any request: a local path
    is refused with what to do instead."""
    given = classify_source(video, "video", paths=False)
    if given == "url":
        return "url"
    if is_job_id(state, video):
        return "job"
    if given == "path":
        raise Refused("video takes an http(s) URL, an asset id or a video job_id, not a local path: upload "
                        f"the file with upload_asset(path='{video[:80]}') and pass its asset_id as video. "
                        "Nothing was sent or charged.")
    return "asset"


async def _source(state: Tenant, video: str) -> tuple[AssetUrl | AssetRef, dict[str, Any] | None, float | None]:
    """What ``video`` names, as a translation's source: (the input, what the job is when the input's URL is
    re-signed on every read, the source's length when known)."""
    given = _given(state, video)
    if given == "url":
        url = check_url(video, "video")
        return AssetUrl(url=url), None, await media_seconds(state, url)  # priced by its real length when readable
    if given != "job":
        return AssetRef(asset_id=check_id(video, "asset id")), None, None
    # a video job: translate its file, keyed by the video (its URL is re-signed on every read)
    vid = await video_id_for(state, video)
    detail = await state.client.videos.get(vid)
    if not detail.video_url:
        raise Refused(f"Video {vid} has no file yet ({detail.status}); wait_for_job first.")
    return AssetUrl(url=detail.video_url), {"video_id": detail.id}, detail.duration




async def _translate_many(state: Tenant, videos: list[str], languages: list[str], mode: Literal["speed", "precision"],
                          title: str | None, captions: bool) -> TranslationJobs:
    """Several videos as one POST /v3/video-translations/batches: one item per video and language."""
    if len({v.strip() for v in videos}) != len(videos):
        raise Refused("videos has a repeat; list each video once. Nothing was sent or charged.")
    reqs, identities, lengths, labels = [], [], [], []
    for n, each in enumerate(videos, start=1):
        source, identity, seconds = await _source(state, each)
        req = CreateTranslation(video=source, output_languages=languages, mode=mode, title=title,
                                enable_caption=captions or None)
        reqs.append(req)
        identities.append(req.body() if identity is None else {**req.body(), "video": identity})
        lengths.append(seconds)
        labels += [f"video {n} {lang}" for lang in languages]
    batch = CreateTranslationBatch(video_translations=reqs, title=title)
    created = await state.client.translations.create_batch(batch, labels=labels, identity=identities,
                                                          seconds=lengths)
    job = make_job_id("batch", created.ident)
    return TranslationJobs(job_ids=[job], translation_ids=[], languages=languages,
                           next_step=f"{len(labels)} translations in one batch: " + next_step("batch", "pending", job))


async def translate_video(
    state: Tenant,
    *,
    languages: list[str],
    video: str | None = None,
    videos: list[str] | None = None,
    mode: Literal['speed', 'precision'] = 'speed',
    title: str | None = None,
    captions: bool = False,
) -> TranslationJobs:
    """For a finished video in other languages: voice clone + lip-sync, one or several videos at once. Paid, per
    video and language."""
    hg = state.client
    if (video is None) == (videos is None):
        raise Refused("Pass video (one) or videos (several, sent as one batch). Nothing was sent or charged.")
    for each in videos or [video or ""]:
        _given(state, each)  # checked before any request, the language list included
    known = state.cache.get(("languages",)) or state.cache.put(("languages",), await hg.translations.languages())
    languages = [_language(lang, known) for lang in languages]
    if videos is not None:
        return await _translate_many(state, videos, languages, mode, title, captions)
    assert video is not None
    source, identity, seconds = await _source(state, video)
    req = CreateTranslation(video=source, output_languages=languages, mode=mode, title=title,
                            enable_caption=captions or None)
    if identity is not None:
        identity = {**req.body(), "video": identity}
    created = await hg.translations.create(req, identity=identity, seconds=seconds)
    ids = created.video_translation_ids
    jobs = [make_job_id("translation", i) for i in ids]
    step = "For each job id, as for the first: " + next_step("translation", "pending", jobs[0])
    return TranslationJobs(job_ids=jobs, translation_ids=ids, languages=languages, next_step=step)


async def get_translation(state: Tenant, *, translation_id: str) -> TranslationInfo:
    """Status of a video translation, with the translated video's URL when done."""
    tid = id_of("translation", translation_id, "translation_id")
    only_mine(state, tid, translation_id)
    with finding(make_job_id("translation", tid)):
        t = await state.client.translations.get(tid)
    return TranslationInfo(translation_id=t.id, status=t.status, output_language=t.output_language,
                           video_url=t.video_url, srt_caption_url=t.srt_caption_url,
                           vtt_caption_url=t.vtt_caption_url, failure=t.failure_message,
                           next_step=next_step("translation", t.status, make_job_id("translation", tid)))
