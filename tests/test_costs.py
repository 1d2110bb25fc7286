"""Cost before credits (issue 9 §2), at the wire: MCP client ↔ server ↔ sandbox (contract-checked).

For every paid tool: ``dry_run`` sends nothing (the sandbox's request log holds no write, its credits do not
move, the job store stays empty) and returns the body the real call then sends, byte for byte; an estimate
over ``max_credits`` is refused before anything is sent; with a client that takes elicitations, a decline
sends nothing and an accept pays once; a client without elicitation pays as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.types import ElicitRequestParams, ElicitResult

from conftest import make_settings
from heygen_studio.core import costs
from heygen_studio.server import create_server
from heygen_studio.settings import SANDBOX_API_KEY

pytestmark = pytest.mark.anyio

MEDIA = Path(__file__).resolve().parents[1] / "server" / "heygen_studio" / "sandbox" / "media"
QUOTA = Path(__file__).resolve().parents[1] / "references" / "quota.md"
SCRIPT = "Welcome to the team. In the next minute I will show you where everything lives. " * 10  # 150 words: 60 s

@dataclass
class World:
    """What a paid tool's arguments may need: the client under test, and the sandbox behind it."""

    mcp: Client
    tmp: Path
    wire: Any
    app: Any
    clock: Any


Args = Callable[[World], Awaitable[dict[str, Any]]]


async def _call(mcp: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await mcp.call_tool(name, args)
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def _refused(mcp: Client, name: str, args: dict[str, Any]) -> str:
    result = await mcp.call_tool(name, args)
    assert result.is_error, result.structured_content
    return result.content[0].text


async def _look_and_voice(mcp: Client) -> tuple[str, str]:
    look = (await _call(mcp, "list_avatars", {"limit": 1}))["items"][0]["id"]
    voice = (await _call(mcp, "list_voices", {"language": "en", "limit": 1}))["items"][0]["voice_id"]
    return look, voice


async def agent(w: World) -> dict[str, Any]:
    return {"prompt": "A 90-second welcome video for new engineers: tools, people, first week."}


async def avatar(w: World) -> dict[str, Any]:
    return {"avatar_id": (await _look_and_voice(w.mcp))[0], "script": SCRIPT, "resolution": "4k"}


async def studio(w: World) -> dict[str, Any]:
    look, voice = await _look_and_voice(w.mcp)
    return {"scenes": [{"avatar_id": look, "voice_id": voice, "script": SCRIPT},
                       {"avatar_id": look, "voice_id": voice, "script": "Questions? Ask in the team channel."}]}


async def photo(w: World) -> dict[str, Any]:
    path = w.tmp / "me.jpg"
    path.write_bytes((MEDIA / "sample.jpg").read_bytes())
    return {"photo": str(path), "name": "Me"}


async def look(w: World) -> dict[str, Any]:
    """A new look needs an avatar of one's own: made (and consented to) beforehand, by another client."""
    path = w.tmp / "base.jpg"
    path.write_bytes((MEDIA / "sample.jpg").read_bytes())
    async with Client(create_server(make_settings(w.tmp), transport=w.wire)) as setup:
        made = await _call(setup, "create_photo_avatar", {"photo": str(path), "name": "Base"})
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=w.app)) as browser:
            assert (await browser.get(made["consent_url"])).status_code < 400
        w.clock.advance(3600)
    return {"avatar_id": made["look_id"], "prompt": "in a navy suit, in a bright office"}


async def template(w: World) -> dict[str, Any]:
    tid = (await _call(w.mcp, "list_templates", {}))["items"][0]["template_id"]
    return {"template_id": tid, "variables": {}}


async def translation(w: World) -> dict[str, Any]:
    return {"video": "https://example.com/v.mp4", "languages": ["German", "French (Canada)"], "mode": "precision"}


async def produce(w: World) -> dict[str, Any]:
    return {"brief": "A short welcome to our bakery's new opening hours", "max_wait_s": 1}


async def produce_many(w: World) -> dict[str, Any]:
    return {"items": [{"brief": "A short welcome to our bakery's new opening hours"}]}


async def prompt_avatar(w: World) -> dict[str, Any]:
    return {"kind": "prompt", "name": "Prompted", "prompt": "a friendly presenter in a bright studio"}


async def clone(w: World) -> dict[str, Any]:
    return {"audio": "https://example.com/sample.mp3", "name": "Me", "speaker_consent": True}


async def reply(w: World) -> dict[str, Any]:
    """A reply goes to a chat-mode session that has finished its first run (a busy one answers 409)."""
    async with Client(create_server(make_settings(w.tmp), transport=w.wire)) as setup:  # not asked about here
        made = await _call(setup, "create_agent_video", {"prompt": "A short welcome video", "mode": "chat"})
    w.clock.advance(3600)
    return {"session_id": made["job_id"], "message": "Make it a 10-minute video with a longer tour of the office."}


async def speech(w: World) -> dict[str, Any]:
    voice = (await _call(w.mcp, "list_voices", {"engine": "starfish", "limit": 1}))["items"][0]["voice_id"]
    return {"text": SCRIPT, "voice_id": voice}


async def lipsync(w: World) -> dict[str, Any]:
    return {"video": "https://example.com/v.mp4", "audio": "https://example.com/a.mp3"}


# tool -> (arguments, the paid request's path, the estimate in dollars for these arguments), from HeyGen's published
# pay-as-you-go prices (core/costs.py PRICES), billed per output second
PAID_TOOLS: dict[str, tuple[Args, str, float]] = {
    "create_agent_video": (agent, "/v3/video-agents", 2.997),  # 90 s stated in the brief × $0.0333
    "create_avatar_video": (avatar, "/v3/videos", 4.998),  # 60 s × $0.0833 (Avatar IV studio avatar, 4K)
    "create_studio_video": (studio, "/v2/video/generate", 1.0521),  # v2 renders Avatar III: 63 s × $0.0167
    "create_photo_avatar": (photo, "/v3/avatars", 1.0),
    "create_avatar_look": (look, "/v3/avatars", 1.0),
    "create_template_video": (template, r"/v3/templates/[^/]+", 4.002),  # assumed 60 s × $0.0667
    "translate_video": (translation, "/v3/video-translations", 480.24),  # 2 × 3600 s (unknown length) × $0.0667
    "produce_video": (produce, "/v3/videos", 2.001),  # a 30-second script × $0.0667
    "produce_videos": (produce_many, "/v3/videos", 2.001),  # one item: the same; more items list every body
    "create_avatar": (prompt_avatar, "/v3/avatars", 1.0),
    "clone_voice": (clone, "/v3/voices/clone", 1.0),  # assumed (no published price)
    "create_lipsync": (lipsync, "/v3/lipsyncs", 1.998),  # assumed 60 s × $0.0333 (speed)
    "create_speech": (speech, "/v3/voices/speech", 0.04),  # 60 s × $0.000667
    "reply_to_agent": (reply, r"/v3/video-agents/[^/]+", 19.98),  # a 10-minute video stated × $0.0333
}
NOT_YET_GUARDED: set[str] = set()
SCRIPT_MODEL = "POST /chat/completions"  # produce_video drafts its script (no HeyGen credits) even in a dry run


@pytest.fixture
def world(tmp_path: Path, wire: Any, sandbox_app: Any, clock: Any) -> Callable[[Client], World]:
    return lambda mcp: World(mcp, tmp_path, wire, sandbox_app, clock)


def _writes(sandbox: Any, since: int) -> list[str]:
    """What was sent to HeyGen besides reads (the sandbox's script-model stand-in is not HeyGen)."""
    sent = [f"{r.method} {r.path}" for r in sandbox.requests[since:] if r.method != "GET"]
    return [line for line in sent if line != SCRIPT_MODEL]


def _paid_bodies(sandbox: Any, path: str, since: int = 0) -> list[dict[str, Any]]:
    return [r.json for r in sandbox.requests[since:] if r.method == "POST" and re.fullmatch(path, r.path)]


async def test_every_paid_tool_is_covered_and_takes_dry_run_and_max_credits(mcp: Client) -> None:
    tools = (await mcp.list_tools()).tools
    paid = {t.name for t in tools if t.annotations and t.annotations.read_only_hint is False
            and t.annotations.destructive_hint is False and "Paid" in (t.description or "")}
    assert paid - NOT_YET_GUARDED == set(PAID_TOOLS)
    for tool in tools:
        props = tool.input_schema["properties"]
        assert ("dry_run" in props and "max_credits" in props) == (tool.name in paid - NOT_YET_GUARDED), tool.name
        if tool.name in paid - NOT_YET_GUARDED:  # one shared type each, no description: the instructions say
            assert props["dry_run"] == {"type": "boolean"} and props["max_credits"] == {"minimum": 0, "type": "number"}


@pytest.mark.parametrize("tool", sorted(PAID_TOOLS))
async def test_dry_run_sends_nothing_and_returns_the_body_the_real_call_sends(
        mcp: Client, sandbox: Any, tmp_path: Path, tool: str, world: Any) -> None:
    build, path, credits = PAID_TOOLS[tool]
    args = await build(world(mcp))
    before, balance = len(sandbox.requests), sandbox.credits
    jobs = (await _call(mcp, "list_jobs", {}))["items"]

    dry = await _call(mcp, tool, {**args, "dry_run": True})

    assert _writes(sandbox, before) == []  # nothing uploaded, created or paid: reads at most
    assert sandbox.credits == balance
    assert (await _call(mcp, "list_jobs", {}))["items"] == jobs  # nothing claimed or journaled
    preview = dry["dry_run"]
    assert preview["request"]["method"] == "POST" and re.fullmatch(path, preview["request"]["path"])
    assert dry["estimated_usd"] == credits and preview["estimate"]
    assert dry.get("job_id") is None and "without dry_run" in dry["next_step"]
    assert SANDBOX_API_KEY not in json.dumps(dry)  # the body only: never a header, never the key

    real = await _call(mcp, tool, args)

    [sent] = _paid_bodies(sandbox, path, before)
    shown = preview["request"]["body"]
    if preview["uploads"]:  # a local file: uploaded by the real call only; the dry run names it instead
        assert preview["uploads"][0].startswith("me.jpg") and shown["file"]["asset_id"] == "(asset id of me.jpg)"
        shown = {**shown, "file": sent["file"]}
    assert sent == shown  # exactly the body the dry run returned
    assert real["estimated_usd"] == credits and real.get("dry_run") is None
    charged = round(balance - sandbox.credits, 4)
    if tool == "translate_video":  # a URL of unknown length: priced at the worst case, charged by its real length
        assert 0 < charged < credits
    else:  # the sandbox charges from the same price table: the estimate is the bill, to the cent
        assert round(charged, 2) == round(credits, 2), (charged, credits)


@pytest.mark.parametrize("tool", sorted(PAID_TOOLS))
async def test_over_max_credits_is_refused_before_anything_is_sent(
        mcp: Client, sandbox: Any, tmp_path: Path, tool: str, world: Any) -> None:
    build, _, credits = PAID_TOOLS[tool]
    args = await build(world(mcp))
    before, balance = len(sandbox.requests), sandbox.credits

    limit = 0.5 if credits > 0.5 else credits / 2  # speech costs cents
    text = await _refused(mcp, tool, {**args, "max_credits": limit})

    assert f"This would cost about {costs.usd(credits)}" in text
    assert f"over the limit of {costs.usd(limit)} set by max_credits" in text
    assert f"raise max_credits to at least {credits:g}" in text and "Nothing was sent or charged" in text
    assert _writes(sandbox, before) == [] and sandbox.credits == balance  # not even an upload
    assert (await _call(mcp, tool, {**args, "max_credits": credits}))["estimated_usd"] == credits  # at the limit


class Person:
    """An MCP client's elicitation callback: answers every question the same way and keeps them."""

    def __init__(self, action: str, pay: bool = True) -> None:
        self.action, self.pay = action, pay
        self.questions: list[ElicitRequestParams] = []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.questions.append(params)
        return ElicitResult(action=self.action, content={"pay": self.pay} if self.action == "accept" else None)


def _asking_client(tmp_path: Path, wire: Any, person: Person | None, mode: str = "auto", **settings: Any) -> Client:
    server = create_server(make_settings(tmp_path, **{"heygen_confirm_above": 0, **settings}), transport=wire)
    if person is None:
        return Client(server, mode=mode)
    return Client(server, elicitation_callback=person, mode=mode)


@pytest.mark.parametrize("action", ["decline", "accept"])
@pytest.mark.parametrize("tool", sorted(PAID_TOOLS))
async def test_a_declined_confirmation_sends_nothing_and_an_accepted_one_pays_once(
        tmp_path: Path, wire: Any, sandbox: Any, tool: str, action: str, world: Any) -> None:
    build, path, credits = PAID_TOOLS[tool]
    person = Person(action)
    async with _asking_client(tmp_path, wire, person) as mcp:
        args = await build(world(mcp))
        before, balance = len(sandbox.requests), sandbox.credits
        result = await mcp.call_tool(tool, args)
    [question] = person.questions  # asked once, though on 2026-07-28 the question rides two rounds
    assert question.message.startswith(f"{tool} will POST ")
    assert f"about {costs.usd(credits)} (HeyGen's pay-as-you-go price" in question.message
    assert list(question.requested_schema["properties"]) == ["pay"]  # what will be made and its cost; pay?
    if action == "decline":
        assert result.is_error and "The person declined the cost" in result.content[0].text
        assert "nothing was sent or charged" in result.content[0].text
        assert _writes(sandbox, before) == [] and sandbox.credits == balance
    else:
        assert not result.is_error and result.structured_content["estimated_usd"] == credits
        assert len(_paid_bodies(sandbox, path, before)) == 1 and sandbox.credits < balance


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize(("action", "pay", "paid"), [("accept", True, 1), ("accept", False, 0), ("cancel", True, 0)])
async def test_confirmation_on_both_protocol_eras(tmp_path: Path, wire: Any, sandbox: Any, mode: str, action: str,
                                                  pay: bool, paid: int, world: Any) -> None:
    person = Person(action, pay)
    async with _asking_client(tmp_path, wire, person, mode) as mcp:
        args = await avatar(world(mcp))
        result = await mcp.call_tool("create_avatar_video", args)
    assert len(person.questions) == 1 and len(_paid_bodies(sandbox, "/v3/videos")) == paid
    assert result.is_error == (not paid)
    if not paid:
        assert ("cancelled" if action == "cancel" else "declined") in result.content[0].text


async def test_a_client_without_elicitation_pays_as_before(tmp_path: Path, wire: Any, sandbox: Any, world: Any) -> None:
    async with _asking_client(tmp_path, wire, None) as mcp:
        result = await _call(mcp, "create_avatar_video", await avatar(world(mcp)))
    assert result["job_id"].startswith("video:") and len(_paid_bodies(sandbox, "/v3/videos")) == 1


async def test_a_cheap_call_is_not_asked_about(tmp_path: Path, wire: Any, sandbox: Any, world: Any) -> None:
    person = Person("decline")
    async with _asking_client(tmp_path, wire, person, heygen_confirm_above=12) as mcp:
        await _call(mcp, "create_avatar_video", await avatar(world(mcp)))  # 12 credits: not above 12
    assert person.questions == [] and len(_paid_bodies(sandbox, "/v3/videos")) == 1


async def test_heygen_max_credits_caps_every_call(tmp_path: Path, wire: Any, sandbox: Any, world: Any) -> None:
    person = Person("accept")
    async with _asking_client(tmp_path, wire, person, heygen_max_credits=4.5) as mcp:
        args = await avatar(world(mcp))
        text = await _refused(mcp, "create_avatar_video", {**args, "max_credits": 100})  # cannot raise the setting
        assert "over the limit of $4.50 set by HEYGEN_MAX_CREDITS" in text and "raise HEYGEN_MAX_CREDITS" in text
        assert person.questions == []  # refused anyway: not asked
        cheap = await _call(mcp, "create_avatar_video", {**args, "resolution": "1080p", "max_credits": 100})
    assert cheap["estimated_usd"] == 4.002 and len(_paid_bodies(sandbox, "/v3/videos")) == 1


async def test_a_repeat_costs_nothing_so_no_limit_refuses_it(mcp: Client, world: Any) -> None:
    args = await avatar(world(mcp))
    first = await _call(mcp, "create_avatar_video", args)
    dry = await _call(mcp, "create_avatar_video", {**args, "dry_run": True})
    assert dry["estimated_usd"] == 0 and first["video_id"] in dry["dry_run"]["note"]
    again = await _call(mcp, "create_avatar_video", {**args, "max_credits": 0})
    assert again["replayed"] and again["video_id"] == first["video_id"] and again["estimated_usd"] == 0


async def test_a_dry_run_of_a_photo_already_made_says_nothing_would_be_paid(mcp: Client, sandbox: Any,
                                                                             tmp_path: Path, world: Any) -> None:
    args = await photo(world(mcp))
    made = await _call(mcp, "create_photo_avatar", args)
    before = len(sandbox.requests)
    dry = await _call(mcp, "create_photo_avatar", {**args, "dry_run": True})
    assert dry["estimated_usd"] == 0 and dry["dry_run"]["request"] is None and dry["look_id"] == made["look_id"]
    assert _writes(sandbox, before) == []


async def test_a_dry_run_over_the_limit_says_the_real_call_would_be_refused(mcp: Client, world: Any) -> None:
    dry = await _call(mcp, "translate_video", {**await translation(world(mcp)), "dry_run": True, "max_credits": 1})
    assert "would be refused" in dry["dry_run"]["note"]
    assert dry["dry_run"]["assumed"] == [
        "the source video's length could not be read: priced at the longest HeyGen takes (60 min); pass a video job "
        "id or an asset of known length, or set end_time"]


async def test_a_translation_of_a_video_job_is_priced_by_its_length(mcp: Client, sandbox: Any, clock: Any) -> None:
    look, voice = await _look_and_voice(mcp)
    job = await _call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Translate me."})
    clock.advance(3600)
    dry = await _call(mcp, "translate_video", {"video": job["job_id"], "languages": ["German"], "dry_run": True})
    assert dry["estimated_usd"] == 0.0333 and dry["dry_run"]["assumed"] == []  # a 1-second video × $0.0333


# -- the price table and the estimates (core) -----------------------------------------------------------------

def test_every_price_has_a_source_and_is_documented_in_quota_md() -> None:
    doc = QUOTA.read_text(encoding="utf-8")
    for price in costs.PRICES.values():
        assert price.source and (price.assumed == price.source.startswith("not published")), price.name
        row = next((line for line in doc.splitlines() if line.startswith(f"| {price.name} |")), None)
        assert row is not None, f"{price.name} is not in references/quota.md"
        assert f"| ${price.usd:g} per {price.per} |" in row and ("assumed" in row) == price.assumed, row


def test_estimates_follow_the_body() -> None:
    def cost(path: str, body: dict[str, Any], **hints: Any) -> float:
        est = costs.estimate("POST", path, body, **hints)
        assert est is not None
        return est.usd

    words = " ".join(["word"] * 150)  # one minute at 150 words a minute
    avatar = {"type": "avatar", "avatar_id": "a", "script": words}
    assert cost("/v3/videos", avatar) == 4.002  # 60 s × $0.0667 (Avatar IV studio avatar or digital twin)
    assert cost("/v3/videos", {**avatar, "voice_settings": {"speed": 0.5}}) == 8.004  # said slowly: 120 s
    assert cost("/v3/videos", {**avatar, "engine": {"type": "avatar_iii"}}) == 1.002  # 60 s × $0.0167
    assert cost("/v3/videos", {**avatar, "engine": {"type": "avatar_v"}}) == 4.002
    assert cost("/v3/videos", {**avatar, "resolution": "4k"}) == 4.998  # the published 4K row, $0.0833
    assert cost("/v3/videos", {"type": "image", "image": {"type": "url", "url": "u"}, "script": words}) == 3.0
    assert cost("/v3/videos", {"type": "avatar", "avatar_id": "a", "script": "Hi"}) == 0.0667  # one second
    assert cost("/v3/videos", {"type": "avatar", "avatar_id": "a", "script": "你" * 250}) == 4.002  # 250 a minute
    assert cost("/v3/videos", {"type": "cinematic_avatar", "prompt": "p", "duration": 15}) == 7.0  # flat
    assert cost("/v2/video/generate", {"video_inputs": [
        {"character": {"type": "talking_photo"}, "voice": {"type": "text", "input_text": words}},
        {"character": {"type": "talking_photo"}, "voice": {"type": "silence", "duration": 30}}]}) == 3.897
    assert cost("/v3/video-translations", {"output_languages": ["A", "B", "C"]}, seconds=45) == 4.4955
    assert cost("/v3/video-translations", {"output_languages": ["A"], "translate_audio_only": True},
                seconds=60) == 1.002
    assert cost("/v3/video-translations", {"output_languages": ["A"], "mode": "precision", "start_time": 0,
                                          "end_time": 120}) == 8.004
    assert cost("/v3/video-agents", {"prompt": "A 2-minute explainer"}) == 3.996
    assert cost("/v3/videos/batches", {"videos": [avatar] * 3}) == 12.006
    assert cost("/v3/voices/speech", {"text": words, "voice_id": "v"}) == 0.04
    assert cost("/v3/lipsyncs", {"mode": "precision"}, seconds=30) == 2.001
    assert costs.estimate("POST", "/v3/voices", {"prompt": "warm narrator"}) is None  # voice design: free
    assert costs.estimate("GET", "/v3/videos", None) is None
    assert costs.charges("POST", "/v3/video-agents/s1") and not costs.charges("POST", "/v3/video-agents/s1/stop")
    assert costs.charges("POST", "/v3/models/videos") and costs.estimate("POST", "/v3/models/videos", {}) is None


def test_a_confirmed_estimate_may_not_grow() -> None:
    request = costs.PaidRequest("POST", "/v3/avatars", {}, costs.Estimate(usd=2.0))
    with pytest.raises(costs.SpendLimitError, match=r"more than the \$1.00 confirmed"):
        costs.Spend(confirmed=1.0).check(request)
    spend = costs.Spend(confirmed=2.0)
    spend.check(request)
    assert spend.usd == 2.0


def test_the_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from heygen_studio.settings import load_settings

    assert load_settings().heygen_confirm_above == 10 and load_settings().heygen_max_credits is None
    monkeypatch.setenv("HEYGEN_CONFIRM_ABOVE", "")  # empty: never ask
    monkeypatch.setenv("HEYGEN_MAX_CREDITS", "25")
    assert load_settings().heygen_confirm_above is None and load_settings().heygen_max_credits == 25


# -- one paid path, structurally (issue #14 §1) -----------------------------------------------------------------

async def _listed(mcp: Client) -> list[str]:
    return [tool.name for tool in (await mcp.list_tools()).tools]


async def test_every_tool_pays_only_through_the_guard(mcp: Client, wire: Any, sandbox: Any, tmp_path: Path,
                                                      world: Any) -> None:
    """Walk every listed tool with valid arguments (a paid tool's from PAID_TOOLS, any other's filled in from its
    schema as the fuzz does): each request HeyGen charges for must find its claim and estimate in the job store
    first (``wire`` checks, reading the store itself), and no call may end in the SDK's hidden error (a paid
    request outside the paid path is refused by the client, which reads as that)."""
    from types import SimpleNamespace

    from fuzzing import MEDIA as FUZZ_MEDIA
    from fuzzing import FuzzTarget, _filler

    for name in ("sample.jpg", "sample.mp3", "sample.mp4"):
        (tmp_path / name).write_bytes((FUZZ_MEDIA / name).read_bytes())
    pools = FuzzTarget.pools(SimpleNamespace(sandbox=sandbox, folder=tmp_path))  # type: ignore[arg-type]
    tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
    assert len(tools) >= 39
    for name, tool in tools.items():
        if name in PAID_TOOLS:
            args = await PAID_TOOLS[name][0](world(mcp))
        else:
            schema = tool.input_schema
            args = {arg: _filler(arg, prop, pools) for arg, prop in schema.get("properties", {}).items()
                    if arg in schema.get("required", ())}
        result = await mcp.call_tool(name, args)
        text = result.content[0].text if result.content else ""
        assert text != f"Error executing tool {name}", f"{name}({args}) ended in the hidden generic error"
    assert wire.guarded >= len(PAID_TOOLS) and wire.unguarded == []


async def test_a_paid_request_outside_the_paid_path_is_not_sent(mcp: Client, sandbox: Any) -> None:
    """What a tool that forgot the paid path would do, done through the server's own client: refused, unsent."""
    from heygen_studio.core.http import UnguardedPaidRequest
    from heygen_studio.core.models import SendAgentMessage

    made = await _call(mcp, "create_agent_video", {"prompt": "A short welcome video", "mode": "chat"})
    state = mcp.server.live.state  # type: ignore[attr-defined]
    before = len(sandbox.requests)
    with pytest.raises(UnguardedPaidRequest):
        await state.client.send("POST", f"/v3/video-agents/{made['session_id']}", dict,
                                SendAgentMessage(message="Make it 10 minutes"))
    with pytest.raises(UnguardedPaidRequest, match="set no budget"):
        await state.client.video_agents.send_message(made["session_id"], SendAgentMessage(message="Again"))
    assert len(sandbox.requests) == before


# -- HEYGEN_DAILY_CREDITS: a cap that caps spending (issue #14 §1) ----------------------------------------------

@pytest.mark.usefixtures("store_backend")  # on SQLite and on PostgreSQL
async def test_the_daily_limit_holds_across_processes_and_a_refusal_gives_its_reservation_back(
        tmp_path: Path, wire: Any, sandbox: Any) -> None:
    """Two servers on one job store (two processes of one user) share HEYGEN_DAILY_CREDITS=5: $1.93 videos pass
    twice, the third is refused before anything is sent (not even by the other server), a create HeyGen refuses
    gives its reservation back, and get_account says what is left."""
    settings = make_settings(tmp_path, heygen_daily_credits=5)
    async with Client(create_server(settings, transport=wire)) as one, \
            Client(create_server(settings, transport=wire)) as two:
        look, voice = await _look_and_voice(one)
        thirty = "Welcome to the team. " * 18  # 72 words: 29 s at $0.0667 = $1.93

        def video(n: int) -> dict[str, Any]:
            return {"avatar_id": look, "voice_id": voice, "script": thirty, "title": f"take {n}"}

        assert (await _call(one, "create_avatar_video", video(1)))["estimated_usd"] == 1.9343
        sandbox.faults.inject("POST", "/v3/videos", "status", status=400, code="invalid_parameter")
        assert "invalid_parameter" in await _refused(two, "create_avatar_video", video(2))  # HeyGen refused: given back
        assert (await _call(two, "create_avatar_video", video(3)))["estimated_usd"] == 1.9343
        before, balance = len(sandbox.requests), sandbox.credits
        text = await _refused(one, "create_avatar_video", video(4))
        assert "only $1.13 of the daily limit of $5.00 (HEYGEN_DAILY_CREDITS) is left" in text, text
        assert "$3.87 was spent in the last 24 h" in text and "Nothing was sent or charged" in text
        assert _writes(sandbox, before) == [] and sandbox.credits == balance
        account = await _call(two, "get_account", {})
    assert account["daily_left_usd"] == 1.1314 and account["spent_24h_usd"] == 3.8686
    assert account["daily"].startswith("$1.13 of the daily limit of $5.00 left")


@pytest.mark.usefixtures("store_backend")
async def test_doctor_shows_what_the_daily_limit_leaves(tmp_path: Path) -> None:
    from heygen_studio import doctor

    settings = make_settings(tmp_path, heygen_daily_credits=5)
    lines = [check.line() for check in await doctor.checks(settings)]
    assert any(line.startswith("✓ daily limit: $5.00 of the daily limit of $5.00 left") for line in lines), lines


async def test_a_translation_of_a_url_is_priced_by_the_length_its_file_says(mcp: Client, sandbox_app: Any,
                                                                             clock: Any) -> None:
    """A source given as a URL is measured (a range read of its MP4 header, through the checked fetch), not
    guessed; one whose length cannot be read is priced at the worst case and says so."""
    from heygen_studio.core.media_length import mp4_seconds

    look, voice = await _look_and_voice(mcp)
    job = await _call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": SCRIPT})
    clock.advance(3600)
    url = (await _call(mcp, "get_video", {"job_id": job["job_id"]}))["video_url"]
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox_app)) as http:
        whole = (await http.get(url)).content

    async def read(offset: int, length: int) -> bytes:
        return whole[offset:offset + length]

    seconds = await mp4_seconds(read)
    assert seconds is not None and seconds > 0
    dry = await _call(mcp, "translate_video", {"video": url, "languages": ["German"], "dry_run": True})
    assert dry["dry_run"]["assumed"] == []
    assert dry["estimated_usd"] == round(costs.billed_seconds(seconds) * 0.0333, 4)
    unknown = await _call(mcp, "translate_video", {"video": "https://example.invalid/v.mp4",
                                                   "languages": ["German"], "dry_run": True})
    assert unknown["estimated_usd"] == round(3600 * 0.0333, 4)
    assert "could not be read" in unknown["dry_run"]["assumed"][0]
