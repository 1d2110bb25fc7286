"""What every tool module shares: app state, error mapping, annotations, input guards.

Error contract (the model must always be able to act): every anticipated failure becomes a
``ToolError`` whose text names the problem and one next step. ``HeyGenError`` subclasses carry
that text (``describe()``); pydantic validation errors are flattened to one line per field.
Anything else is a bug and stays a crash (the SDK hides its text and logs the traceback).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context, Elicit, ListRoots, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ListRootsResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from ..core.errors import HeyGenError
from ..core.files import LocalFile, resolve, root_of
from ..settings import Settings
from ..workflow.errors import ANTICIPATED, answer
from ..workflow.inputs import (
    classify_source,
)
from ..workflow.outputs import DryRun, PaidRequestOut, priced
from ..workflow.state import AppState
from ..workflow.tenant import Tenant
from .person import person_of
from .text import render

if TYPE_CHECKING:
    from ..core import costs  # imported where used: the price table is not start-up work (tools.docs imports us)

__all__ = ["AppState", "Context", "LocalFile"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# Only hints that differ from the spec's defaults (destructive: true, idempotent: false, open world: true)
# are spelled out; the rest would be tokens that say nothing.
READ_ONLY = ToolAnnotations(read_only_hint=True)
PAID = ToolAnnotations(read_only_hint=False, destructive_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True)  # say it anyway
LOCAL_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
LOCAL_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True)

def app(ctx: Context[AppState]) -> AppState:
    return ctx.request_context.lifespan_context


def reporter(ctx: Context[AppState]) -> Callable[[float, float | None, str | None], Awaitable[None]]:
    """The workflow's progress reports, sent to the client as MCP progress notifications."""

    async def report(progress: float, total: float | None, message: str | None) -> None:
        await ctx.report_progress(progress, total=total, message=message)

    return report


def who(ctx: Context[AppState], spend: costs.Spend | None = None, roots: ListRootsResult | None = None) -> Tenant:
    """Who is asking, for the workflow layer: the person this call serves, for a paid call its budget, and the
    folders their client shared (its roots, when a path argument needed them)."""
    state = app(ctx)
    return Tenant(state, person=person_of(state), spend=spend, roots=tuple(client_roots(roots)))


def reports_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Turn anticipated failures into ToolErrors with a next step (signature kept for the SDK)."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except ToolError:
            raise
        except ANTICIPATED as exc:  # a refusal, bad input, the local file system: the same words as the shell's
            raise ToolError(answer(exc)) from None

    return wrapper


# -- local files: the output folder, HEYGEN_ALLOWED_DIRS and the client's roots -------------------

def needs_roots(ctx: Context[AppState], values: Iterable[str | None]) -> ListRoots | None:
    """Ask the client for its roots (``roots/list``) only when a path argument lies outside the folders
    this server already allows, and only if the client declared the roots capability.

    Roots are asked for at the call that needs them, never cached: a client's ``roots/list_changed``
    is honoured at once. ``ListRoots`` through ``Resolve`` works on both protocol eras (a mid-call
    request on 2025-11-25 sessions, an input-required round on 2026-07-28), where roots are deprecated
    but still served (SEP-2577); a client without roots gets the output folder and HEYGEN_ALLOWED_DIRS.
    """
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.roots is None:
        return None
    allowed = app(ctx).settings.heygen_allowed_dirs
    for value in values:
        if not value or classify_source(value) != "path":
            continue
        try:
            inside = root_of(resolve(value), allowed) is not None
        except HeyGenError:
            inside = False  # changing under us: the roots may still be what allows it
        if not inside:
            return ListRoots()
    return None


def roots_for_path(ctx: Context[AppState], path: str | None = None) -> ListRoots | None:
    return needs_roots(ctx, [path])


def roots_for_photo(ctx: Context[AppState], photo: str) -> ListRoots | None:
    return needs_roots(ctx, [photo])


def roots_for_image(ctx: Context[AppState], image: str | None = None) -> ListRoots | None:
    return needs_roots(ctx, [image])


def roots_for_files(ctx: Context[AppState], files: list[str] | None = None) -> ListRoots | None:
    return needs_roots(ctx, files or [])


def roots_for_audio(ctx: Context[AppState], audio: str | None = None) -> ListRoots | None:
    return needs_roots(ctx, [audio])


def roots_for_media(ctx: Context[AppState], video: str | None = None, audio: str | None = None) -> ListRoots | None:
    return needs_roots(ctx, [video, audio])


# The client's roots, when a path argument needs them (hidden from the tool's input schema).
PathRoots = Annotated[ListRootsResult | None, Resolve(roots_for_path)]
PhotoRoots = Annotated[ListRootsResult | None, Resolve(roots_for_photo)]
ImageRoots = Annotated[ListRootsResult | None, Resolve(roots_for_image)]
FilesRoots = Annotated[ListRootsResult | None, Resolve(roots_for_files)]
AudioRoots = Annotated[ListRootsResult | None, Resolve(roots_for_audio)]
MediaRoots = Annotated[ListRootsResult | None, Resolve(roots_for_media)]


def client_roots(result: ListRootsResult | None) -> list[Path]:
    """The folders among the client's roots: ``file://`` URIs only, never ``/`` nor a whole home folder
    (those stay opt-in through HEYGEN_ALLOWED_DIRS)."""
    folders: list[Path] = []
    home = Path.home().resolve()
    for root in result.roots if result is not None else []:
        uri = urlparse(str(root.uri))
        if uri.scheme != "file" or uri.netloc not in ("", "localhost"):
            continue
        folder = resolve(url2pathname(unquote(uri.path)))
        if folder == folder.parent or folder == home:
            logger.warning("ignoring the client's root %s: a whole disk or home folder is only allowed through "
                           "HEYGEN_ALLOWED_DIRS", folder)
            continue
        if folder not in folders:
            folders.append(folder)
    return folders


# -- cost before credits (issue 9 §2): one guard for every paid tool ----------------------------------------

# No descriptions: the names say it, the instructions explain them once, and tools/list is a budget.
DryRunArg = bool
MaxCredits = Annotated[float | None, Field(ge=0)]  # 0: only what costs nothing (a repeat)


class Confirm(BaseModel):
    """The one question a paid call over HEYGEN_CONFIRM_ABOVE asks (a flat form, as elicitation requires)."""

    pay: bool = Field(description="Yes: create it and spend the amount shown.")


def _can_ask(ctx: Context[AppState]) -> bool:
    """The client takes form elicitations (a bare ``elicitation: {}`` is form support, as the SDK reads it)."""
    capabilities = ctx.client_capabilities
    asks = capabilities.elicitation if capabilities is not None else None
    return asks is not None and (asks.form is not None or asks.url is None)


def _limit(max_credits: float | None, settings: Settings) -> tuple[float | None, str]:
    """The tighter of the argument and the setting, and what to raise to go higher."""
    setting = settings.heygen_max_credits
    if max_credits is not None and (setting is None or max_credits <= setting):
        return max_credits, "max_credits"
    return setting, "HEYGEN_MAX_CREDITS (a server setting)"


def _question(name: str, preview: costs.Preview) -> str:
    """What will be made and what it costs, for the person to confirm (deterministic: it may be asked again)."""
    from ..core import costs

    request = preview.request
    assert request is not None
    est = request.estimate
    what = costs.subject(request.body)
    uploads = f" First uploads {', '.join(preview.spend.uploads)}." if preview.spend.uploads else ""
    assumed = f" Assumes {'; '.join(est.assumed)}." if est.assumed else ""
    return (f"{name} will {request.method} {request.path}{' for ' + what if what else ''}: "
            f"{'; '.join(est.lines)}. Estimated cost: about {costs.usd(est.usd)} (HeyGen's pay-as-you-go price, "
            f"from your API wallet).{assumed}{uploads} Create it and pay?")


def _within_daily_limit(state: Tenant, cost: float) -> None:
    """HEYGEN_DAILY_CREDITS, checked before anything (an upload) is sent; the job store checks it again,
    atomically, when the create is claimed."""
    import time

    from ..core.store import within_daily_limit

    limit = state.daily_limit
    if limit is not None and cost > 0:
        within_daily_limit(state.jobs.spent(), cost, limit, time.time(), state.daily_limit_from)


def _dry_run_answer(model: type[BaseModel], stop: costs.Preview, limit: float | None, limit_from: str) -> BaseModel:
    request, note = stop.request, stop.note
    if request is None:
        return model.model_validate({"estimated_usd": 0.0, "next_step": note or "Nothing would be sent.",
                                     "dry_run": DryRun(request=None, uploads=stop.spend.uploads, note=note)})
    from ..core.costs import usd

    cost = request.usd
    if request.replay_of:
        note = f"A repeat of job {request.replay_of}: HeyGen returns that job, nothing is charged."
    elif limit is not None and cost > limit:
        note = f"Over the limit of {usd(limit)} ({limit_from}): the real call would be refused."
    step = f"Nothing was sent. Call again without dry_run to send it (about {usd(cost)})."
    out = DryRun(request=PaidRequestOut(method=request.method, path=request.path, body=request.body),
                 uploads=stop.spend.uploads, estimate=request.estimate.lines, assumed=request.estimate.assumed,
                 note=note)
    return model.model_validate({"estimated_usd": cost, "dry_run": out, "next_step": step})


async def _preview(tool: Callable[..., Awaitable[Any]], arguments: dict[str, Any]) -> costs.Preview | None:
    """Run the tool as a dry run: the paid request it would send, or None if it would send none."""
    from ..core import costs

    try:
        await tool(**arguments, spend=costs.Spend(dry_run=True))
    except costs.Preview as stop:
        return stop if stop.request is not None else None
    return None


def paid_presented(present: Callable[[Any], CallToolResult]) -> Callable[[Callable[..., Awaitable[Any]]],
                                                                         Callable[..., Awaitable[Any]]]:
    """``@paid`` for a tool whose answer is a ``CallToolResult`` made from its result model (a file as a
    resource link beside the structured answer): the tool returns the model, ``present`` makes the result.
    A dry run, which makes no file, answers with the priced model as structured content."""
    return lambda tool: paid(tool, present=present)


def paid(tool: Callable[..., Awaitable[Any]], *,
         present: Callable[[Any], CallToolResult] | None = None) -> Callable[..., Awaitable[Any]]:
    """Cost before credits, for a paid tool: put it above ``@reports_errors``; nothing else changes.

        @paid
        @reports_errors
        async def create_speech(ctx: Context[AppState], text: ..., ..., spend: costs.Spend) -> SpeechOut:
            tenant = who(ctx, spend)  # the person's client, held to this call's budget

    The tool takes the call's budget as its ``spend`` argument (hidden from the tool's schema) and passes it on
    explicitly. Its paid request must go through the client (``HeyGenClient.create``, ``send_v2_create`` or
    ``send``), which prices it with ``core.costs.estimate`` (a new endpoint needs its rule and price row there)
    and holds it to the call's ``costs.Spend`` before claiming or sending it. The tool gains:

    * ``dry_run``: the call runs as usual (checks, catalogue reads) up to the paid request, which is returned
      (method, path, exact body, never a header) with its estimate instead of being sent; nothing is
      uploaded, claimed, journaled or charged. A tool that writes its own journal rows before paying checks
      ``costs.previewing(spend)`` first;
    * ``max_credits`` (and the HEYGEN_MAX_CREDITS setting; the tighter wins): a larger estimate is refused
      before anything is sent (a dry run runs first, so not even an upload goes), with the estimate and what
      to raise;
    * a confirmation: when the client takes form elicitations and the estimate is over HEYGEN_CONFIRM_ABOVE,
      the person is asked (what will be made, its cost) before anything is paid; a decline or cancel sends
      nothing. It is a ``Resolve`` dependency, so it works on both protocol eras. Clients without elicitation
      get the call as before.

    The result model gains ``estimated_usd`` (``outputs.priced``): what this call spent, 0 for a repeat.
    """
    from ..core import costs

    signature = inspect.signature(tool, eval_str=True)
    assert "spend" in signature.parameters, f"{tool.__name__} must take the call's budget as `spend`"
    params = [p for p in signature.parameters.values() if p.name != "spend"]
    taken = {"dry_run", "max_credits", "previewed", "confirmed"} & set(signature.parameters)
    assert not taken, f"{tool.__name__} already has parameters named {sorted(taken)}"
    ctx_name = next(p.name for p in params  # Context[AppState] is a subclass of Context (a generic pydantic model)
                    if isinstance(p.annotation, type) and issubclass(p.annotation, Context))
    model = priced(signature.return_annotation)
    name = tool.__name__
    keyword = inspect.Parameter.KEYWORD_ONLY

    def resolver(fn: Callable[..., Any], suffix: str, extra: list[inspect.Parameter], returns: Any) -> None:
        """Give a resolver the tool's own parameters (its arguments by name, its context, its resolved inputs)."""
        own = [p.replace(kind=keyword) for p in params] + [
            inspect.Parameter("dry_run", keyword, default=False, annotation=DryRunArg),
            inspect.Parameter("max_credits", keyword, default=None, annotation=MaxCredits), *extra]
        fn.__signature__ = inspect.Signature(own, return_annotation=returns)  # type: ignore[attr-defined]
        fn.__annotations__ = {p.name: p.annotation for p in own} | {"return": returns}
        fn.__module__, fn.__qualname__, fn.__name__ = tool.__module__, f"{tool.__qualname__}.{suffix}", suffix

    tool_names = [p.name for p in params]

    async def preview(**kwargs: Any) -> costs.Preview | None:
        """A dry run first, when the call may ask the person or has a limit: so that nothing at all (not even
        an upload) is sent for a call that is declined or over its limit."""
        ctx = kwargs[ctx_name]
        settings = app(ctx).settings
        asks = settings.heygen_confirm_above is not None and _can_ask(ctx)
        limited = _limit(kwargs["max_credits"], settings)[0] is not None or who(ctx).daily_limit is not None
        if kwargs["dry_run"] or not (asks or limited):
            return None
        return await _preview(tool, {n: kwargs[n] for n in tool_names})

    resolver(preview, "preview", [], costs.Preview | None)
    Previewed = Annotated[Any, Resolve(preview)]

    async def confirm(**kwargs: Any) -> Confirm | Elicit[Confirm] | None:
        previewed: costs.Preview | None = kwargs["previewed"]
        ctx = kwargs[ctx_name]
        threshold = app(ctx).settings.heygen_confirm_above
        if previewed is None or previewed.request is None or threshold is None or not _can_ask(ctx):
            return None
        cost = previewed.request.usd
        limit, _ = _limit(kwargs["max_credits"], app(ctx).settings)
        if cost <= threshold or (limit is not None and cost > limit):
            return None  # cheap enough, or refused anyway before anything is sent
        return Elicit(_question(name, previewed), Confirm)

    resolver(confirm, "confirm", [inspect.Parameter("previewed", keyword, default=None, annotation=Previewed)],
             Confirm | Elicit[Confirm] | None)
    Confirmed = Annotated[ElicitationResult[Confirm], Resolve(confirm)]

    @functools.wraps(tool)
    async def wrapper(**kwargs: Any) -> Any:
        answer = await answered(**kwargs)
        if present is None:
            return answer
        if getattr(answer, "dry_run", None) is not None:
            shown = answer.model_dump(mode="json")
            return CallToolResult(content=[TextContent(type="text", text=render(shown, model.model_json_schema()))],
                                  structured_content=shown)
        return present(answer)

    async def answered(*, dry_run: bool = False, max_credits: float | None = None,
                       previewed: costs.Preview | None = None, confirmed: Any = None, **kwargs: Any) -> BaseModel:
        ctx = kwargs[ctx_name]
        agreed: float | None = None
        if confirmed is not None:
            answer = confirmed.data if isinstance(confirmed, AcceptedElicitation) else None
            if not isinstance(confirmed, AcceptedElicitation) or (isinstance(answer, Confirm) and not answer.pay):
                action = "cancelled" if getattr(confirmed, "action", "") == "cancel" else "declined"
                cost = f" (about {costs.usd(previewed.request.usd)})" if previewed and previewed.request else ""
                raise ToolError(f"The person {action} the cost{cost}, so nothing was created: nothing was sent or "
                                "charged. Ask them before calling again; dry_run=true shows the request and its cost.")
            if isinstance(answer, Confirm) and previewed is not None and previewed.request is not None:
                agreed = previewed.request.usd
        limit, limit_from = _limit(max_credits, app(ctx).settings)
        if previewed is not None and previewed.request is not None:
            try:  # over a limit: refused before anything, uploads included, is sent
                costs.Spend(limit=limit, limit_from=limit_from).check(previewed.request)
                _within_daily_limit(who(ctx), previewed.request.usd)
            except HeyGenError as exc:
                raise ToolError(exc.describe()) from None
        spend = costs.Spend(dry_run=dry_run, limit=limit, limit_from=limit_from, confirmed=agreed)
        try:
            result = await tool(**kwargs, spend=spend)
        except costs.Preview as stop:
            return _dry_run_answer(model, stop, limit, limit_from)
        fields = result.model_dump() if isinstance(result, BaseModel) else dict(result)
        if dry_run:  # it finished without a paid request: a repeat answered from the journal, say
            note = "Nothing would be sent or charged: " + str(fields.get("next_step") or "nothing to pay.")
            return model.model_validate({**fields, "estimated_usd": 0.0, "dry_run": DryRun(request=None,
                                                                                              note=note)})
        return model.model_validate({**fields, "estimated_usd": spend.usd})

    added = [inspect.Parameter("dry_run", keyword, default=False, annotation=DryRunArg),
             inspect.Parameter("max_credits", keyword, default=None, annotation=MaxCredits),
             inspect.Parameter("previewed", keyword, default=None, annotation=Previewed),
             inspect.Parameter("confirmed", keyword, default=None, annotation=Confirmed)]
    returns: Any = model if present is None else Annotated[CallToolResult, model]
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(kind=keyword) for p in params] + added, return_annotation=returns)
    wrapper.__annotations__ = {p.name: p.annotation for p in [*params, *added]} | {"return": returns}
    return wrapper
