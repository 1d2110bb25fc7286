"""Script writing and the one-shot pipeline: the MCP tools over ``workflow/scripts.py``.

``write_script`` drafts with DeepSeek (any OpenAI-compatible endpoint) when DEEPSEEK_API_KEY is
set, otherwise with the MCP client's own model through sampling (a ``Resolve(...)`` dependency
returning ``Sample``, portable across protocol eras); in sandbox mode, with neither, the
sandbox's DeepSeek stand-in answers. With none of these, a ToolError says what to set.

``produce_video`` runs brief → script → create → wait → download within one bounded call, and is
resumable: the brief's hash keys the job store, so calling again with the same arguments picks
up the same script and the same job. It never pays twice.

What is MCP here: the tools' signatures, and the sampling request. The workflow says whether a draft needs the
client's model (it answers with the ``ScriptRequest`` to ask); ``asking`` makes that the ``Sample`` the SDK
sends, and ``answered`` hands the client's answer back to the workflow as a ``Drafted``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Resolve, Sample
from mcp.types import CreateMessageResult, SamplingMessage, TextContent
from pydantic import Field

from ..core.costs import Spend
from ..core.scripts import SYSTEM_PROMPT, ScriptFormat, ScriptRequest
from ..workflow import scripts as scripts_flow
from ..workflow.scripts import Drafted, Orientation, Produced, Route, ScriptOut
from . import player
from .common import PAID, READ_ONLY, AppState, Context, paid, reporter, reports_errors, who
from .fields import Id

Duration = Annotated[int, Field(ge=5, le=600, description="Target length in seconds.")]
Language = Annotated[str, Field(min_length=2, max_length=20, description="Language code or name, e.g. 'en', 'de'.")]
SCRIPT_MAX = 20000  # exact words for produce_video: 50 Studio scenes of 400, or one presenter's 5000


def samples(ctx: Context[AppState]) -> bool:
    """The client takes sampling requests: its own model can draft a script."""
    caps = ctx.client_capabilities
    return caps is not None and caps.sampling is not None


def asking(req: ScriptRequest) -> Sample:
    """A script asked of the client's own model: the ``Sample`` the SDK sends (as a request, or in an
    ``InputRequiredResult``)."""
    return Sample([SamplingMessage(role="user", content=TextContent(type="text", text=req.user_message()))],
                  system_prompt=SYSTEM_PROMPT, max_tokens=4000, temperature=0.7)


def sample(asked: Drafted | ScriptRequest) -> Drafted | Sample:
    """A draft made here as it is; a script the workflow asks of the client's model, as the ``Sample``."""
    return asked if isinstance(asked, Drafted) else asking(asked)


def answered(draft: Drafted | CreateMessageResult) -> Drafted:
    """The client's model's answer (sampling) as the workflow's draft; a draft made here as it is."""
    if isinstance(draft, CreateMessageResult):
        text = draft.content.text if isinstance(draft.content, TextContent) else ""
        return Drafted(text=text, source="sampling", model=draft.model)
    return draft


async def draft_for_write(topic: str, duration_s: int, language: str, tone: str | None, audience: str | None,
                          format: ScriptFormat, model: str | None, ctx: Context[AppState]) -> Drafted | Sample:
    return sample(await scripts_flow.draft_for_write(
        who(ctx), topic=topic, duration_s=duration_s, language=language, tone=tone, audience=audience, format=format,
        model=model, client_samples=samples(ctx)))


async def draft_for_produce(brief: str | None, route: Route, avatar_id: str | None, voice_id: str | None,
                            duration_s: int, orientation: str, language: str, script: str | None,
                            ctx: Context[AppState]) -> Drafted | Sample:
    return sample(await scripts_flow.draft_for_produce(
        who(ctx), brief=brief, route=route, avatar_id=avatar_id, voice_id=voice_id, duration_s=duration_s,
        orientation=orientation, language=language, script=script, client_samples=samples(ctx)))


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
    return await scripts_flow.write_script(who(ctx), topic=topic, drafted=answered(draft), duration_s=duration_s,
                                           language=language, tone=tone, audience=audience, format=format)


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
    return await scripts_flow.produce_video(who(ctx, spend), brief=brief, script=script, route=route,
                                           avatar_id=avatar_id, voice_id=voice_id, duration_s=duration_s,
                                           orientation=orientation, language=language, max_wait_s=max_wait_s,
                                           drafted=answered(draft), progress=reporter(ctx))


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(write_script)
    mcp.tool(annotations=PAID, meta=player.TOOL_META)(produce_video)
