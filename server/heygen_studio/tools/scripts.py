"""Script writing and the one-shot pipeline.

``write_script`` drafts with DeepSeek (any OpenAI-compatible endpoint) when DEEPSEEK_API_KEY is
set, otherwise with the MCP client's own model through sampling (a ``Resolve(...)`` dependency
returning ``Sample``, portable across protocol eras); in sandbox mode, with neither, the
sandbox's DeepSeek stand-in answers. With none of these, a ToolError says what to set.

``produce_video`` runs brief → script → create → wait → download within one bounded call, and is
resumable: the brief's hash keys the job store, so calling again with the same arguments picks
up the same script and the same job. It never pays twice.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Resolve, Sample
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CreateMessageResult, SamplingMessage, TextContent
from pydantic import BaseModel, Field

from ..core import costs
from ..core.costs import Spend
from ..core.models import MAX_STUDIO_SCENES, AspectRatio, CreateAgentSession, CreateAvatarVideo
from ..core.scripts import (
    SYSTEM_PROMPT,
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
from ..workflow import catalog, files
from ..workflow.inputs import not_blank
from ..workflow.jobs import make_job_id, wait
from ..workflow.outputs import TEXT_OMITS
from ..workflow.tenant import Tenant
from ..workflow.videos import save_video
from . import player, spoken
from .common import PAID, READ_ONLY, AppState, Context, paid, reports_errors, who
from .fields import Id

if TYPE_CHECKING:
    import httpx2

Duration = Annotated[int, Field(ge=5, le=600, description="Target length in seconds.")]
Language = Annotated[str, Field(min_length=2, max_length=20, description="Language code or name, e.g. 'en', 'de'.")]
Route = Literal["avatar", "studio", "agent"]
Orientation = Literal["landscape", "portrait"]
Stage = Literal["rendering", "done", "failed", "waiting_for_input"]
DraftSource = Literal["deepseek", "sandbox", "journal", "exact"]
SCRIPT_MAX = 20000  # exact words for produce_video: 50 Studio scenes of 400, or one presenter's 5000
TITLE_MAX = 200
ROUTE_FORMAT: dict[str, ScriptFormat] = {"avatar": "single", "studio": "scenes", "agent": "agent-brief"}


class Drafted(BaseModel):
    """What the resolver hands the tool: model text, or a script already in the job store."""

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


def _produce_key(brief: str | None, route: str, avatar_id: str | None, voice_id: str | None, duration_s: int,
                 orientation: str, language: str, script: str | None = None) -> str:
    """The job store's key of a produce call: the same arguments, the same key (and so the same job)."""
    fields: list[Any] = [(brief or "").strip(), route, avatar_id, voice_id, duration_s, orientation, language.lower()]
    if script is not None:  # appended only when given: a brief's key is what it was before scripts were taken
        fields.append(script.strip())
    return "produce:" + hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:40]


def _request(brief: str | None, route: Route, duration_s: int, language: str, script: str | None) -> ScriptRequest:
    not_blank(brief, "brief")
    not_blank(script, "script")
    if not brief and not script:
        raise ToolError("Give brief (a script is written from it) or script (the exact words to speak), or both "
                        "(the brief then only titles the video).")
    return ScriptRequest(topic=(brief or "").strip() or headline(script or ""), duration_s=duration_s,
                         language=language, format=ROUTE_FORMAT[route])


def _exact(req: ScriptRequest, brief: str | None, script: str) -> Script:
    """The given words as this route's script; refused here when HeyGen could not take them."""
    made = exact_script(script, req, headline(brief or "") or headline(script))
    if len(made.scenes) > MAX_STUDIO_SCENES:
        raise ToolError(f"The script makes {len(made.scenes)} scenes (one per paragraph, a long one split); HeyGen "
                        f"takes at most {MAX_STUDIO_SCENES}: join paragraphs. Nothing was sent.")
    if req.format == "single" and len(made.scenes) > 1:
        raise ToolError("The script is over 5000 characters for one presenter; use route='studio' (a scene per "
                        "paragraph). Nothing was sent.")
    return made


async def _draft(state: Tenant, ctx: Context[AppState], req: ScriptRequest, model: str | None) -> Drafted | Sample:
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
    caps = ctx.client_capabilities
    if caps is not None and caps.sampling is not None:
        return Sample([SamplingMessage(role="user", content=TextContent(type="text", text=req.user_message()))],
                      system_prompt=SYSTEM_PROMPT, max_tokens=4000, temperature=0.7)
    stand_in = state.wired.deepseek_stand_in
    if stand_in is not None:
        return await complete("sandbox-key", stand_in, state.transport, "sandbox")
    raise ToolError("No script model: set DEEPSEEK_API_KEY (any OpenAI-compatible endpoint via DEEPSEEK_BASE_URL), "
                    "or use an MCP client that supports sampling, or write the script yourself.")


async def draft_for_write(topic: str, duration_s: int, language: str, tone: str | None, audience: str | None,
                          format: ScriptFormat, model: str | None, ctx: Context[AppState]) -> Drafted | Sample:
    not_blank(topic, "topic")
    req = ScriptRequest(topic=topic, duration_s=duration_s, language=language, tone=tone, audience=audience,
                        format=format)
    return await _draft(who(ctx), ctx, req, model)


async def draft_for_produce(brief: str | None, route: Route, avatar_id: str | None, voice_id: str | None,
                            duration_s: int, orientation: str, language: str, script: str | None,
                            ctx: Context[AppState]) -> Drafted | Sample:
    state = who(ctx)
    req = _request(brief, route, duration_s, language, script)
    key = _produce_key(brief, route, avatar_id, voice_id, duration_s, orientation, language, script)
    previous = state.jobs.find(key)
    if previous is not None and previous.get("script"):
        return Drafted(source="journal", script=previous.get("script"))
    drafted = state.cache.get(("produce-script", key))  # a dry run's (or the last round's) script, not journaled
    if drafted is not None:
        return Drafted(source="journal", script=drafted)
    # Everything that can refuse this call is checked before the script model is paid for (a fuzz run once spent
    # 89 model calls on ids and languages that were refused afterwards); the tool body reuses the answer.
    exact = _exact(req, brief, script) if script else None  # refused before any request when HeyGen would refuse
    await _cast(state, key, avatar_id, voice_id, language)
    if exact is not None:
        return Drafted(source="exact", script=exact.model_dump(mode="json"))
    return await _draft(state, ctx, req, None)


def _unpack(draft: Drafted | CreateMessageResult, req: ScriptRequest) -> tuple[Script, str, str, Usage | None]:
    if isinstance(draft, CreateMessageResult):
        text = draft.content.text if isinstance(draft.content, TextContent) else ""
        return _titled(parse_script(text, req)), "sampling", draft.model, None
    if draft.script is not None:
        return _titled(Script.model_validate(draft.script)), draft.source, draft.model, None
    return _titled(parse_script(draft.text, req)), draft.source, draft.model, draft.usage


def _titled(script: Script) -> Script:
    """The drafted title, cut to the length HeyGen takes (createVideo ``title``: 200 characters, see
    ``CreateAvatarVideo``); models often echo a long brief as the title, which no argument of ours can fix."""
    title = " ".join(script.title.split()) or "Untitled"
    if len(title) > TITLE_MAX:
        cut = title[: TITLE_MAX - 1]
        title = (cut.rsplit(" ", 1)[0] if " " in cut[TITLE_MAX // 2 :] else cut).rstrip(" ,.;:-") + "…"
    return script if title == script.title else script.model_copy(update={"title": title})


@reports_errors
async def write_script(
    ctx: Context[AppState],
    topic: Annotated[str, Field(min_length=3, max_length=4000, description="Topic or brief.")],
    draft: Annotated[Any, Resolve(draft_for_write)],
    duration_s: Duration = 60,
    language: Language = "en",
    tone: Annotated[str | None, Field(max_length=80)] = None,
    audience: Annotated[str | None, Field(max_length=120)] = None,
    format: Annotated[ScriptFormat, Field(description="scenes (Studio), single (one presenter) or agent-brief "
                                                      "(a Video Agent prompt).")] = "scenes",
    model: Annotated[Literal["deepseek-chat", "deepseek-reasoner"] | None,
                     Field(description="DeepSeek model; default from DEEPSEEK_MODEL.")] = None,
) -> ScriptOut:
    """Write a script for speech: scenes with pause markup and seconds (DeepSeek, or your model via
    sampling). No HeyGen credits."""
    req = ScriptRequest(topic=topic, duration_s=duration_s, language=language, tone=tone, audience=audience,
                        format=format)
    script, source, used, usage = _unpack(draft, req)
    step = {"scenes": "create_studio_video with one scene per item (or produce_video).",
            "single": "create_avatar_video with script = the scene text.",
            "agent-brief": "create_agent_video with prompt = brief."}[format]
    return ScriptOut.model_validate({**script.model_dump(), "source": source, "model": used, "usage": usage,
                                     "next_step": step})


async def _cast(state: Tenant, key: str, avatar_id: str | None, voice_id: str | None,
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
            raise ToolError("No ready public avatar found; pass avatar_id (see list_avatars).")
        look = ready[0]
        notes.append(f"avatar '{look.name}' ({look.id})")
    if voice_id:
        await catalog.require_voice(state, voice_id)
    else:
        lang = language_name(language)
        voices = (await state.client.voices.list(language=lang, limit=20)).items
        if not voices:
            raise ToolError(f"No voice for language {language!r}; pass voice_id (see list_voices).")
        same = [v for v in voices if look.gender and (v.gender or "").lower() == look.gender.lower()]
        voice = (same or voices)[0]
        voice_id = voice.voice_id
        notes.append(f"voice '{voice.name}' ({voice.voice_id}, {voice.language})")
    return look.id, voice_id, ("Picked " + " and ".join(notes) + ".") if notes else None


async def _submit(state: Tenant, route: Route, script: Script, avatar_id: str, voice_id: str,
                  orientation: Orientation, duration_s: int) -> str:
    aspect: AspectRatio = "9:16" if orientation == "portrait" else "16:9"
    if route == "agent":
        session = await state.client.video_agents.create(CreateAgentSession(
            prompt=script.brief or script.scenes[0].text, avatar_id=avatar_id, voice_id=voice_id,
            orientation=orientation), seconds=max(float(duration_s), script.total_seconds))
        return make_job_id("agent", session.session_id)
    if route == "avatar":
        text = " ".join(s.text for s in script.scenes)
        if len(text) > 5000:
            raise ToolError("The script is over 5000 characters for one presenter; use route='studio'.")
        created = await state.client.videos.create(CreateAvatarVideo(
            avatar_id=avatar_id, voice_id=voice_id, script=text, title=script.title, aspect_ratio=aspect))
        return make_job_id("video", created.video_id)
    scenes = [Scene(avatar_id=avatar_id, voice_id=voice_id, script=s.text) for s in script.scenes]
    created = await state.client.videos.create_studio_v2(build_v2(
        scenes, title=script.title, resolution="1080p", aspect_ratio=aspect, captions=False))
    return make_job_id("video", created.video_id)


@paid
@reports_errors
async def produce_video(
    ctx: Context[AppState],
    draft: Annotated[Any, Resolve(draft_for_produce)],
    brief: Annotated[str | None, Field(min_length=3, max_length=4000, description="What the video is about: a "
                                       "script is written from it.")] = None,
    script: Annotated[str | None, Field(min_length=1, max_length=SCRIPT_MAX, description=(
        "Exact words instead (studio: a scene per paragraph); a brief then only titles it."))] = None,
    route: Annotated[Route, Field(description="avatar: one presenter; studio: scenes; agent: Video Agent.")] = "avatar",
    avatar_id: Annotated[Id | None, Field(description="Default: a public avatar (named in the answer).")] = None,
    voice_id: Annotated[Id | None, Field(description="Default: a voice in the script's language.")] = None,
    duration_s: Annotated[int, Field(ge=5, le=300)] = 30,
    orientation: Orientation = "landscape",
    language: Language = "en",
    max_wait_s: Annotated[float, Field(ge=1, le=300, description="Return by then; call again to resume.")] = 40,
    *,
    spend: Spend,
) -> Produced:
    """For a topic, when the user just wants the finished file: brief (or your exact script) → video → MP4 in one
    call; the answer shows the words spoken. Paid (the render). If it outlasts max_wait_s, call again alike to
    resume (never pays twice)."""
    state = who(ctx, spend)
    key = _produce_key(brief, route, avatar_id, voice_id, duration_s, orientation, language, script)
    req = _request(brief, route, duration_s, language, script)
    await ctx.report_progress(2, total=100, message="script")
    made, _, _, _ = _unpack(draft, req)
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
            avatar_id, voice_id, note = await _cast(state, key, avatar_id, voice_id, language)
            # Written before the paid call: if this call is cut off while HeyGen is accepting the job,
            # the next call re-sends the same script, so the same Idempotency-Key replays that job.
            # A dry run journals nothing.
            if not costs.previewing(spend):
                state.jobs.record(kind="produce_plan", job_id="", key=key, title=made.title,
                                  script=made.model_dump(mode="json"), avatar_id=avatar_id, voice_id=voice_id)
        await ctx.report_progress(10, total=100, message="submitting")
        job_id, resumed = await _submit(state, route, made, avatar_id, voice_id, orientation, duration_s), False
        state.jobs.record(kind="produce", job_id=job_id, key=key, title=made.title,
                          script=made.model_dump(mode="json"), avatar_id=avatar_id, voice_id=voice_id)

    async def report(progress: float, message: str) -> None:
        await ctx.report_progress(15 + progress * 0.8, total=100, message=f"rendering: {message}")

    status = await wait(state, job_id, max_wait_s, report)
    note = " ".join(n for n in (note, status.note) if n) or None

    def answer(stage: Stage, step: str, *, failure: str | None = None, path: str | None = None) -> Produced:
        done = stage == "done"
        return Produced(stage=stage, job_id=job_id, video_id=status.video_id, path=path, title=made.title,
                        route=route, script=words, script_uri=words_uri, script_seconds=made.total_seconds,
                        avatar_id=avatar_id, voice_id=voice_id,
                        resumed=resumed, note=note, failure=failure, next_step=step,
                        video_url=files.reachable(state, status.video_url) if done else None,
                        thumbnail_url=files.reachable(state, status.thumbnail_url) if done else None,
                        resource_uri=files.file_uri(state.settings.heygen_output_dir, path) if path else None)

    if status.status == "failed":
        return answer("failed", status.next_step, failure=status.failure)
    if status.needs:  # the Video Agent asks something or shows a draft: nothing renders until a person acts
        return answer("waiting_for_input", status.next_step)
    if not status.done:
        return answer("rendering", "Still rendering. Call produce_video again with the same arguments to resume "
                      f"(nothing is paid again), or wait_for_job('{job_id}') then download_video('{job_id}').")

    async def downloading(progress: float, message: str) -> None:
        await ctx.report_progress(96 + progress * 0.03, total=100, message=message)

    video_id = status.video_id or ""  # a resumed call may find the file already saved
    saved, _ = await save_video(state, make_job_id("video", video_id), downloading, filename=f"{video_id}.mp4",
                                keep_existing=True)
    await ctx.report_progress(100, total=100, message="done")
    return answer("done", f"The video is at {saved.path}.", path=saved.path)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(write_script)
    mcp.tool(annotations=PAID, meta=player.TOOL_META)(produce_video)
