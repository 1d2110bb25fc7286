"""Script writing and the one-shot pipeline.

A script is drafted with DeepSeek (any OpenAI-compatible endpoint) when DEEPSEEK_API_KEY is set, otherwise by
the client's own model when the adapter can ask it (MCP sampling: ``draft`` then answers with the
``ScriptRequest`` to ask, and the adapter passes the answer back as a ``Drafted``); in sandbox mode, with
neither, the sandbox's DeepSeek stand-in answers. With none of these, a ``Refused`` says what to set.

``produce_video`` runs brief → script → create → wait → download within one bounded call, and is resumable:
the brief's hash keys the job store, so calling again with the same arguments picks up the same script and the
same job. It never pays twice.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from ..core import costs
from ..core.models import MAX_STUDIO_SCENES, AspectRatio, CreateAgentSession, CreateAvatarVideo
from ..core.scripts import (
    Script,
    ScriptFormat,
    ScriptRequest,
    Usage,
    deepseek_complete,
    exact_script,
    headline,
    parse_script,
)
from ..core.studio import Scene, build_v2
from ..languages import language_name
from . import catalog, files, spoken
from .errors import Refused
from .inputs import not_blank
from .jobs import make_job_id, wait
from .outputs import TEXT_OMITS
from .tenant import Tenant
from .videos import Report, save_video

if TYPE_CHECKING:
    import httpx2

Route = Literal["avatar", "studio", "agent"]
Orientation = Literal["landscape", "portrait"]
Stage = Literal["rendering", "done", "failed", "waiting_for_input"]
DraftSource = Literal["deepseek", "sandbox", "sampling", "journal", "exact"]
TITLE_MAX = 200
ROUTE_FORMAT: dict[str, ScriptFormat] = {"avatar": "single", "studio": "scenes", "agent": "agent-brief"}


class Drafted(BaseModel):
    """A script's draft: model text (DeepSeek's, the stand-in's, or the client's model's: ``sampling``), or a
    script already made (in the job store, or the exact words given)."""

    text: str = ""
    source: DraftSource = "deepseek"
    model: str = ""
    usage: Usage | None = None
    script: dict[str, Any] | None = None


class ScriptOut(Script):
    source: Literal["deepseek", "sandbox", "sampling", "journal"]
    model: str
    usage: Usage | None = None
    next_step: str


class Produced(BaseModel):
    stage: Stage
    job_id: str
    video_id: str | None = None
    path: str | None = None
    title: str
    route: Route
    script: str = Field(description="The words spoken, one paragraph per scene (pass it back as script, e.g. "
                                    "translated); a long one: its first lines, and script_uri reads all of it.")
    script_uri: str | None = Field(default=None, description="heygen://scripts/…: the whole script (resources/read).")
    script_seconds: float
    avatar_id: str | None = None
    voice_id: str | None = None
    resumed: bool = Field(False, description="True: picked up an earlier call's job; nothing was paid again.")
    note: str | None = None
    failure: str | None = None
    next_step: str
    video_url: str | None = Field(default=None, json_schema_extra=TEXT_OMITS)
    thumbnail_url: str | None = Field(default=None, json_schema_extra=TEXT_OMITS)
    resource_uri: str | None = Field(default=None, json_schema_extra=TEXT_OMITS)


def produce_key(brief: str | None, route: str, avatar_id: str | None, voice_id: str | None, duration_s: int,
                orientation: str, language: str, script: str | None = None) -> str:
    """The job store's key of a produce call: the same arguments, the same key (and so the same job)."""
    fields: list[Any] = [(brief or "").strip(), route, avatar_id, voice_id, duration_s, orientation, language.lower()]
    if script is not None:  # appended only when given: a brief's key is what it was before scripts were taken
        fields.append(script.strip())
    return "produce:" + hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:40]


def produce_request(brief: str | None, route: Route, duration_s: int, language: str,
                    script: str | None) -> ScriptRequest:
    not_blank(brief, "brief")
    not_blank(script, "script")
    if not brief and not script:
        raise Refused("Give brief (a script is written from it) or script (the exact words to speak), or both "
                      "(the brief then only titles the video).")
    return ScriptRequest(topic=(brief or "").strip() or headline(script or ""), duration_s=duration_s,
                         language=language, format=ROUTE_FORMAT[route])


def _exact(req: ScriptRequest, brief: str | None, script: str) -> Script:
    """The given words as this route's script; refused here when HeyGen could not take them."""
    made = exact_script(script, req, headline(brief or "") or headline(script))
    if len(made.scenes) > MAX_STUDIO_SCENES:
        raise Refused(f"The script makes {len(made.scenes)} scenes (one per paragraph, a long one split); HeyGen "
                      f"takes at most {MAX_STUDIO_SCENES}: join paragraphs. Nothing was sent.")
    if req.format == "single" and len(made.scenes) > 1:
        raise Refused("The script is over 5000 characters for one presenter; use route='studio' (a scene per "
                      "paragraph). Nothing was sent.")
    return made


async def draft(state: Tenant, req: ScriptRequest, model: str | None = None, *,
                client_samples: bool = False) -> Drafted | ScriptRequest:
    """A script's draft from the script model this server calls; or ``req`` back, to ask the client's own model
    (``client_samples``: the adapter can, and DEEPSEEK_API_KEY is not set), the answer to come back as a
    ``Drafted`` of source ``sampling``."""
    settings = state.settings
    model = model or settings.deepseek_model

    async def complete(api_key: str, base_url: str, wire: httpx2.AsyncBaseTransport | None,
                       source: DraftSource) -> Drafted:
        text, usage, used = await deepseek_complete(req, api_key=api_key, base_url=base_url, model=model,
                                                    transport=wire)
        return Drafted(text=text, source=source, model=used, usage=usage)

    if settings.deepseek_api_key is not None:
        key = settings.deepseek_api_key.get_secret_value()
        stand_in = state.wired.deepseek_stand_in  # offline: the sandbox's DeepSeek stand-in answers
        if stand_in is not None:
            return await complete(key, stand_in, state.transport, "deepseek")
        return await complete(key, settings.deepseek_base_url, None, "deepseek")
    if client_samples:
        return req
    stand_in = state.wired.deepseek_stand_in
    if stand_in is not None:
        return await complete("sandbox-key", stand_in, state.transport, "sandbox")
    raise Refused("No script model: set DEEPSEEK_API_KEY (any OpenAI-compatible endpoint via DEEPSEEK_BASE_URL), "
                  "or use an MCP client that supports sampling, or write the script yourself.")


async def draft_for_write(state: Tenant, *, topic: str, duration_s: int, language: str, tone: str | None,
                          audience: str | None, format: ScriptFormat, model: str | None,
                          client_samples: bool) -> Drafted | ScriptRequest:
    """``write_script``'s draft (asked for before the call: the client's model may be asked for it)."""
    not_blank(topic, "topic")
    req = ScriptRequest(topic=topic, duration_s=duration_s, language=language, tone=tone, audience=audience,
                        format=format)
    return await draft(state, req, model, client_samples=client_samples)


async def draft_for_produce(state: Tenant, *, brief: str | None, route: Route, avatar_id: str | None,
                            voice_id: str | None, duration_s: int, orientation: str, language: str,
                            script: str | None, client_samples: bool) -> Drafted | ScriptRequest:
    """``produce_video``'s script: the journal's (a repeat), a dry run's, the exact words given, or a draft
    (``draft``), once everything that can refuse the call has been checked."""
    req = produce_request(brief, route, duration_s, language, script)
    key = produce_key(brief, route, avatar_id, voice_id, duration_s, orientation, language, script)
    previous = state.jobs.find(key)
    if previous is not None and previous.get("script"):
        return Drafted(source="journal", script=previous.get("script"))
    drafted = state.cache.get(("produce-script", key))  # a dry run's (or the last round's) script, not journaled
    if drafted is not None:
        return Drafted(source="journal", script=drafted)
    # Everything that can refuse this call is checked before the script model is paid for (a fuzz run once spent
    # 89 model calls on ids and languages that were refused afterwards); the tool body reuses the answer.
    exact = _exact(req, brief, script) if script else None  # refused before any request when HeyGen would refuse
    await cast(state, key, avatar_id, voice_id, language)
    if exact is not None:
        return Drafted(source="exact", script=exact.model_dump(mode="json"))
    return await draft(state, req, None, client_samples=client_samples)


def unpack(drafted: Drafted, req: ScriptRequest) -> tuple[Script, str, str, Usage | None]:
    """A draft as a script (titled), with its source, model and usage."""
    if drafted.script is not None:
        return titled(Script.model_validate(drafted.script)), drafted.source, drafted.model, None
    return titled(parse_script(drafted.text, req)), drafted.source, drafted.model, drafted.usage


def titled(script: Script) -> Script:
    """The drafted title, cut to the length HeyGen takes (createVideo ``title``: 200 characters, see
    ``CreateAvatarVideo``); models often echo a long brief as the title, which no argument of ours can fix."""
    title = " ".join(script.title.split()) or "Untitled"
    if len(title) > TITLE_MAX:
        cut = title[: TITLE_MAX - 1]
        title = (cut.rsplit(" ", 1)[0] if " " in cut[TITLE_MAX // 2 :] else cut).rstrip(" ,.;:-") + "…"
    return script if title == script.title else script.model_copy(update={"title": title})


async def write_script(state: Tenant, *, topic: str, drafted: Drafted, duration_s: int = 60, language: str = "en",
                       tone: str | None = None, audience: str | None = None,
                       format: ScriptFormat = "scenes") -> ScriptOut:
    """Write a script for speech: scenes with pause markup and seconds, from the draft asked for before the call
    (``draft_for_write``, for ``state``). No HeyGen credits."""
    req = ScriptRequest(topic=topic, duration_s=duration_s, language=language, tone=tone, audience=audience,
                        format=format)
    script, source, used, usage = unpack(drafted, req)
    step = {"scenes": "create_studio_video with one scene per item (or produce_video).",
            "single": "create_avatar_video with script = the scene text.",
            "agent-brief": "create_agent_video with prompt = brief."}[format]
    return ScriptOut.model_validate({**script.model_dump(), "source": source, "model": used, "usage": usage,
                                     "next_step": step})


async def cast(state: Tenant, key: str, avatar_id: str | None, voice_id: str | None,
               language: str) -> tuple[str, str, str | None]:
    """The avatar and voice for a produce call, checked (or picked) once per call: (avatar_id, voice_id, note)."""
    cached: tuple[str, str, str | None] | None = state.cache.get(("produce-cast", key))
    if cached is None:
        cached = state.cache.put(("produce-cast", key), await _defaults(state, avatar_id, voice_id, language))
    return cached


async def _defaults(state: Tenant, avatar_id: str | None, voice_id: str | None,
                    language: str) -> tuple[str, str, str | None]:
    notes = []
    if avatar_id:
        look = await catalog.require_look(state, avatar_id)
    else:
        page = await state.client.avatars.list_looks(ownership="public", limit=20)
        ready = [lk for lk in page.items if lk.status in (None, "completed")]
        if not ready:
            raise Refused("No ready public avatar found; pass avatar_id (see list_avatars).")
        look = ready[0]
        notes.append(f"avatar '{look.name}' ({look.id})")
    if voice_id:
        await catalog.require_voice(state, voice_id)
    else:
        lang = language_name(language)
        voices = (await state.client.voices.list(language=lang, limit=20)).items
        if not voices:
            raise Refused(f"No voice for language {language!r}; pass voice_id (see list_voices).")
        same = [v for v in voices if look.gender and (v.gender or "").lower() == look.gender.lower()]
        voice = (same or voices)[0]
        voice_id = voice.voice_id
        notes.append(f"voice '{voice.name}' ({voice.voice_id}, {voice.language})")
    return look.id, voice_id, ("Picked " + " and ".join(notes) + ".") if notes else None


async def submit(state: Tenant, route: Route, script: Script, avatar_id: str, voice_id: str,
                 orientation: Orientation, duration_s: int) -> str:
    """Create the video of ``route`` (a paid create, held to the tenant's budget): its job id."""
    aspect: AspectRatio = "9:16" if orientation == "portrait" else "16:9"
    if route == "agent":
        session = await state.client.video_agents.create(CreateAgentSession(
            prompt=script.brief or script.scenes[0].text, avatar_id=avatar_id, voice_id=voice_id,
            orientation=orientation), seconds=max(float(duration_s), script.total_seconds))
        return make_job_id("agent", session.session_id)
    if route == "avatar":
        text = " ".join(s.text for s in script.scenes)
        if len(text) > 5000:
            raise Refused("The script is over 5000 characters for one presenter; use route='studio'.")
        created = await state.client.videos.create(CreateAvatarVideo(
            avatar_id=avatar_id, voice_id=voice_id, script=text, title=script.title, aspect_ratio=aspect))
        return make_job_id("video", created.video_id)
    scenes = [Scene(avatar_id=avatar_id, voice_id=voice_id, script=s.text) for s in script.scenes]
    created = await state.client.videos.create_studio_v2(build_v2(
        scenes, title=script.title, resolution="1080p", aspect_ratio=aspect, captions=False))
    return make_job_id("video", created.video_id)


async def produce_video(
    state: Tenant,
    *,
    brief: str | None = None,
    script: str | None = None,
    route: Route = "avatar",
    avatar_id: str | None = None,
    voice_id: str | None = None,
    duration_s: int = 30,
    orientation: Orientation = "landscape",
    language: str = "en",
    max_wait_s: float = 40,
    drafted: Drafted,
    progress: Report,
) -> Produced:
    """For a topic, when the user just wants the finished file: brief (or your exact script) → video → MP4 in one
    call; the answer shows the words spoken. Paid (the render): ``state.spend`` is the call's budget. ``drafted``:
    the script asked for before the call (``draft_for_produce``). If it outlasts max_wait_s, call again alike to
    resume (never pays twice)."""
    spend = state.spend
    key = produce_key(brief, route, avatar_id, voice_id, duration_s, orientation, language, script)
    req = produce_request(brief, route, duration_s, language, script)
    await progress(2, 100, "script")
    made, _, _, _ = unpack(drafted, req)
    state.cache.put(("produce-script", key), made.model_dump(mode="json"))  # a dry run shows what is then sent
    words, words_uri = spoken.shown(spoken.spoken(made.model_dump(mode="json")), key)
    previous = state.jobs.find(key)
    note = None
    if previous is not None and previous.job_id:
        costs.nothing_to_send(spend, f"This brief's video is already made or rendering ({previous.job_id}): calling "
                              "without dry_run resumes it and pays for nothing.")
        job_id, resumed = previous.job_id, True
        avatar_id, voice_id = previous.get("avatar_id"), previous.get("voice_id")
    else:
        if previous is not None:  # an earlier call got as far as submitting: same choices, same body
            avatar_id, voice_id = previous.get("avatar_id"), previous.get("voice_id")
        else:
            avatar_id, voice_id, note = await cast(state, key, avatar_id, voice_id, language)
            # Written before the paid call: if this call is cut off while HeyGen is accepting the job,
            # the next call re-sends the same script, so the same Idempotency-Key replays that job.
            # A dry run journals nothing.
            if not costs.previewing(spend):
                state.jobs.record(kind="produce_plan", job_id="", key=key, title=made.title,
                                  script=made.model_dump(mode="json"), avatar_id=avatar_id, voice_id=voice_id)
        await progress(10, 100, "submitting")
        job_id, resumed = await submit(state, route, made, avatar_id, voice_id, orientation, duration_s), False
        state.jobs.record(kind="produce", job_id=job_id, key=key, title=made.title,
                          script=made.model_dump(mode="json"), avatar_id=avatar_id, voice_id=voice_id)

    async def report(done: float, message: str) -> None:
        await progress(15 + done * 0.8, 100, f"rendering: {message}")

    status = await wait(state, job_id, max_wait_s, report)
    note = " ".join(n for n in (note, status.note) if n) or None

    def answer(stage: Stage, step: str, *, failure: str | None = None, path: Path | None = None) -> Produced:
        done = stage == "done"
        return Produced(stage=stage, job_id=job_id, video_id=status.video_id,
                        path=files.shown(state, path)[0] if path else None, title=made.title,
                        route=route, script=words, script_uri=words_uri, script_seconds=made.total_seconds,
                        avatar_id=avatar_id, voice_id=voice_id,
                        resumed=resumed, note=note, failure=failure, next_step=step,
                        video_url=files.reachable(state, status.video_url) if done else None,
                        thumbnail_url=files.reachable(state, status.thumbnail_url) if done else None,
                        resource_uri=files.file_uri(state.output_dir, path) if path else None)

    if status.status == "failed":
        return answer("failed", status.next_step, failure=status.failure)
    if status.needs:  # the Video Agent asks something or shows a draft: nothing renders until a person acts
        return answer("waiting_for_input", status.next_step)
    if not status.done:
        return answer("rendering", "Still rendering. Call produce_video again with the same arguments to resume "
                      f"(nothing is paid again), or wait_for_job('{job_id}') then download_video('{job_id}').")

    async def downloading(done: float, message: str) -> None:
        await progress(96 + done * 0.03, 100, message)

    video_id = status.video_id or ""  # a resumed call may find the file already saved
    saved, _ = await save_video(state, make_job_id("video", video_id), downloading, filename=f"{video_id}.mp4",
                                keep_existing=True)
    await progress(100, 100, "done")
    path = Path(saved.path)  # on a team server, the person is shown it inside their own folder
    return answer("done", f"The video is at {files.shown(state, path)[0]}.", path=path)
