"""Account, templates, translation and webhook tools."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..core.errors import NotFoundError
from ..core.models import (
    WEBHOOK_EVENTS,
    AssetRef,
    AssetUrl,
    CreateTranslation,
    CreateWebhook,
    CurrentUser,
    GenerateFromTemplate,
    Page,
)
from . import catalog
from .common import DESTRUCTIVE, PAID, READ_ONLY, WRITES, app, check_id, check_url, reports_errors
from .jobs import id_of, is_job_id, make_job_id, video_id_for
from .outputs import (
    Account,
    Deleted,
    TemplateList,
    TemplateRow,
    TranslationInfo,
    TranslationJobs,
    VideoJob,
    WebhookCreated,
    WebhookList,
    WebhookRow,
)


def _credits(user: CurrentUser) -> tuple[str | None, float | None, float | None, str | None]:
    """(plan, credits remaining, wallet balance, currency) from whichever billing object is set."""
    plan = credits = balance = currency = None
    sub: dict[str, Any] = user.subscription or {}
    if sub:
        plan = sub.get("plan")
        pools = sub.get("credits") or {}
        remaining = [(pools.get(p) or {}).get("remaining") for p in ("premium_credits", "add_on_credits")]
        if any(r is not None for r in remaining):
            credits = float(sum(r or 0 for r in remaining))
    if user.wallet:
        balance = user.wallet.get("remaining_balance")
        currency = user.wallet.get("currency")
    if user.usage_based and user.usage_based.get("remaining_credits") is not None:
        credits = float(user.usage_based["remaining_credits"])
    return plan, credits, balance, currency


@reports_errors
async def get_account(ctx: Context) -> Account:
    """Your HeyGen account: plan and remaining credits or wallet balance."""
    user = await app(ctx).client.account.me()
    plan, credits, balance, currency = _credits(user)
    return Account(username=user.username, email=user.email, billing_type=user.billing_type, plan=plan,
                   credits_remaining=credits, balance=balance, currency=currency)


@reports_errors
async def list_templates(
    ctx: Context,
    api: Annotated[Literal["v3", "v2"], Field(description="v3 templates, or legacy v2 AI Studio ones.")] = "v3",
    limit: catalog.Limit = 10,
    next_token: catalog.NextToken = None,
) -> TemplateList:
    """Your video templates (compact rows); pass the row's api to create_template_video."""
    state = app(ctx)

    async def fetch(token: str | None) -> Page[Any]:
        if api == "v2":
            return Page[Any](items=await state.client.templates.list_v2())
        return await state.client.templates.list(limit=50, token=token)

    rows, nxt = await catalog.window(state, ("templates", api), fetch, offset=catalog.parse_offset(next_token),
                                     limit=limit, keep=lambda t: True)
    items = [TemplateRow(template_id=getattr(t, "id", None) or t.template_id, name=t.name, api=api,
                         aspect_ratio=t.aspect_ratio) for t in rows]
    return TemplateList(items=items, next_token=f"o{nxt}" if nxt is not None else None)


@reports_errors
async def create_template_video(
    ctx: Context,
    template_id: Annotated[str, Field(description="From list_templates.")],
    variables: Annotated[dict[str, Any], Field(description="Template variables to replace, keyed by name.")],
    api: Literal["v3", "v2"] = "v3",
    title: Annotated[str | None, Field(max_length=200)] = None,
    request_key: Annotated[str | None, Field(max_length=64)] = None,
) -> VideoJob:
    """Render a template with your variables. Paid (per output minute)."""
    state = app(ctx)
    tid = check_id(template_id, "template_id")
    req = GenerateFromTemplate(variables=variables, title=title)
    try:
        if api == "v2":
            created = await state.client.templates.generate_v2(tid, req, request_key=request_key)
            video_id, status, replayed = created.video_id, created.status or "pending", created.replayed
        else:
            video = await state.client.templates.generate(tid, req, request_key=request_key)
            video_id, status, replayed = video.id, video.status, False
    except NotFoundError:
        raise ToolError(f"No {api} template '{tid}'; list_templates shows ids and their api.") from None
    job_id = make_job_id("video", video_id)
    return VideoJob(job_id=job_id, video_id=video_id, status=status, api=api, replayed=replayed,
                    next_step=f"Call wait_for_job('{job_id}'), then download_video('{job_id}').")


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
        raise ToolError(f"'{given}' is ambiguous; choose one of {starts[:8]}.")
    raise ToolError(f"Unknown language '{given}'; HeyGen names them like {known[:6]} (full list: "
                    "GET /v3/video-translations/languages).")


@reports_errors
async def translate_video(
    ctx: Context,
    video: Annotated[str, Field(description="An http(s) URL of the video, an asset id, or a video job_id.")],
    languages: Annotated[list[str], Field(min_length=1, max_length=10,
                                          description="HeyGen language names, e.g. 'Spanish (Spain)'.")],
    mode: Annotated[Literal["speed", "precision"], Field(description="precision costs twice as much.")] = "speed",
    title: Annotated[str | None, Field(max_length=200)] = None,
    captions: bool = False,
) -> TranslationJobs:
    """Translate a video (voice clone + lip-sync). Paid (~$0.05/s speed, $0.10/s precision, per language)."""
    state = app(ctx)
    hg = state.client
    known = state.cache.get(("languages",)) or state.cache.put(("languages",), await hg.translations.languages())
    languages = [_language(lang, known) for lang in languages]
    source: AssetUrl | AssetRef
    identity = None
    if video.startswith(("http://", "https://")):
        source = AssetUrl(url=check_url(video))
    elif is_job_id(state, video):
        vid = await video_id_for(state, video)
        detail = await hg.videos.get(vid)
        if not detail.video_url:
            raise ToolError(f"Video {vid} has no file yet ({detail.status}); wait_for_job first.")
        source = AssetUrl(url=detail.video_url)
        identity = {"video_id": detail.id}  # the URL is re-signed on every read; the video is the same
    else:
        source = AssetRef(asset_id=check_id(video, "asset id"))
    req = CreateTranslation(video=source, output_languages=languages, mode=mode, title=title,
                            enable_caption=captions or None)
    if identity is not None:
        identity = {**req.body(), "video": identity}
    created = await hg.translations.create(req, identity=identity)
    ids = created.video_translation_ids
    jobs = [make_job_id("translation", i) for i in ids]
    return TranslationJobs(job_ids=jobs, translation_ids=ids, languages=languages,
                           next_step=f"wait_for_job each job id (e.g. '{jobs[0]}'), then download_video it.")


@reports_errors
async def get_translation(
    ctx: Context, translation_id: Annotated[str, Field(description="translation id or job_id.")]
) -> TranslationInfo:
    """Status of a video translation, with the translated video's URL when done."""
    tid = id_of("translation", translation_id, "translation_id")
    t = await app(ctx).client.translations.get(tid)
    step = {"completed": f"download_video('translation:{tid}') saves it.",
            "failed": "Translation failed; check the source video, then translate again."}.get(
        t.status, f"wait_for_job('translation:{tid}').")
    return TranslationInfo(translation_id=t.id, status=t.status, output_language=t.output_language,
                           video_url=t.video_url, srt_caption_url=t.srt_caption_url,
                           vtt_caption_url=t.vtt_caption_url, failure=t.failure_message, next_step=step)


@reports_errors
async def list_webhooks(ctx: Context, limit: catalog.Limit = 10, next_token: catalog.NextToken = None) -> WebhookList:
    """Registered webhook endpoints (signed event deliveries)."""
    page = await app(ctx).client.webhooks.list(limit=limit, token=next_token)
    rows = [WebhookRow(endpoint_id=e.endpoint_id, url=e.url, status=e.status, events=e.events) for e in page.items]
    return WebhookList(items=rows, next_token=page.next_token if page.has_more else None)


@reports_errors
async def add_webhook(
    ctx: Context,
    url: Annotated[str, Field(description="Your HTTPS endpoint.")],
    events: Annotated[list[str] | None, Field(max_length=30, description="Event types such as "
                                              "'avatar_video.success'; default all.")] = None,
) -> WebhookCreated:
    """Register an HTTPS endpoint for HeyGen events; returns the signing secret once."""
    unknown = sorted(set(events or ()) - set(WEBHOOK_EVENTS))
    if unknown:
        raise ToolError(f"Unknown event type(s) {unknown}; known: {', '.join(WEBHOOK_EVENTS)}.")
    endpoint = await app(ctx).client.webhooks.create(CreateWebhook(url=check_url(url, https_only=True),
                                                                   events=events))  # type: ignore[arg-type]
    return WebhookCreated(endpoint_id=endpoint.endpoint_id, url=endpoint.url, status=endpoint.status,
                          events=endpoint.events, secret=endpoint.secret)


@reports_errors
async def delete_webhook(ctx: Context, endpoint_id: Annotated[str, Field(description="From list_webhooks.")]
                         ) -> Deleted:
    """Remove a webhook endpoint."""
    eid = check_id(endpoint_id, "endpoint_id")
    try:
        await app(ctx).client.webhooks.delete(eid)
    except NotFoundError:
        raise ToolError(f"No webhook endpoint {eid}; list_webhooks shows what exists.") from None
    return Deleted(id=eid)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(get_account)
    mcp.tool(annotations=READ_ONLY)(list_templates)
    mcp.tool(annotations=PAID)(create_template_video)
    mcp.tool(annotations=PAID)(translate_video)
    mcp.tool(annotations=READ_ONLY)(get_translation)
    mcp.tool(annotations=READ_ONLY)(list_webhooks)
    mcp.tool(annotations=WRITES)(add_webhook)
    mcp.tool(annotations=DESTRUCTIVE)(delete_webhook)

