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


async def speech(w: World) -> dict[str, Any]:
    voice = (await _call(w.mcp, "list_voices", {"engine": "starfish", "limit": 1}))["items"][0]["voice_id"]
    return {"text": SCRIPT, "voice_id": voice}


async def lipsync(w: World) -> dict[str, Any]:
    return {"video": "https://example.com/v.mp4", "audio": "https://example.com/a.mp3"}


# tool -> (arguments, the paid request's path, the estimate for these arguments)
PAID_TOOLS: dict[str, tuple[Args, str, float]] = {
    "create_agent_video": (agent, "/v3/video-agents", 3.0),  # 90 s stated in the brief, 2 credits a minute
    "create_avatar_video": (avatar, "/v3/videos", 12.0),  # 1 min at 6 a minute, ×2 for 4k
    "create_studio_video": (studio, "/v2/video/generate", 3.0),  # v2 avatars: ~62 s (1.5 min billed) at 2 a minute
    "create_photo_avatar": (photo, "/v3/avatars", 1.0),
    "create_avatar_look": (look, "/v3/avatars", 1.0),
    "create_template_video": (template, r"/v3/templates/[^/]+", 6.0),  # assumed 60 s at Avatar IV's rate
    "translate_video": (translation, "/v3/video-translations", 12.0),  # 2 languages × assumed 60 s × 6
    "produce_video": (produce, "/v3/videos", 3.0),  # a 30-second script at Avatar IV's rate
    "produce_videos": (produce_many, "/v3/videos", 3.0),  # one item: the same; more items list every body
    "create_avatar": (prompt_avatar, "/v3/avatars", 1.0),
    "clone_voice": (clone, "/v3/voices/clone", 1.0),  # assumed (no published price)
    "create_lipsync": (lipsync, "/v3/lipsyncs", 3.0),  # assumed 60 s of audio, speed mode
    "create_speech": (speech, "/v3/voices/speech", 0.02),  # 60 s of speech at $0.02 a minute
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
    assert dry["estimated_credits"] == credits and preview["estimate"]
    assert dry.get("job_id") is None and "without dry_run" in dry["next_step"]
    assert SANDBOX_API_KEY not in json.dumps(dry)  # the body only: never a header, never the key

    real = await _call(mcp, tool, args)

    [sent] = _paid_bodies(sandbox, path, before)
    shown = preview["request"]["body"]
    if preview["uploads"]:  # a local file: uploaded by the real call only; the dry run names it instead
        assert preview["uploads"][0].startswith("me.jpg") and shown["file"]["asset_id"] == "(asset id of me.jpg)"
        shown = {**shown, "file": sent["file"]}
    assert sent == shown  # exactly the body the dry run returned
    assert real["estimated_credits"] == credits and real.get("dry_run") is None
    assert sandbox.credits < balance


@pytest.mark.parametrize("tool", sorted(PAID_TOOLS))
async def test_over_max_credits_is_refused_before_anything_is_sent(
        mcp: Client, sandbox: Any, tmp_path: Path, tool: str, world: Any) -> None:
    build, _, credits = PAID_TOOLS[tool]
    args = await build(world(mcp))
    before, balance = len(sandbox.requests), sandbox.credits

    limit = 0.5 if credits > 0.5 else credits / 2  # speech costs cents
    text = await _refused(mcp, tool, {**args, "max_credits": limit})

    assert f"This would cost about {credits:g} credits" in text
    assert f"over the limit of {limit:g} set by max_credits" in text
    assert f"raise max_credits to at least {credits:g}" in text and "Nothing was sent or charged" in text
    assert _writes(sandbox, before) == [] and sandbox.credits == balance  # not even an upload
    assert (await _call(mcp, tool, {**args, "max_credits": credits}))["estimated_credits"] == credits  # at the limit


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
    assert question.message.startswith(f"{tool} will POST ") and f"about {credits:g} credits" in question.message
    assert list(question.requested_schema["properties"]) == ["pay"]  # what will be made and its cost; pay?
    if action == "decline":
        assert result.is_error and "The person declined the cost" in result.content[0].text
        assert "nothing was sent or charged" in result.content[0].text
        assert _writes(sandbox, before) == [] and sandbox.credits == balance
    else:
        assert not result.is_error and result.structured_content["estimated_credits"] == credits
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
    async with _asking_client(tmp_path, wire, person, heygen_max_credits=6) as mcp:
        args = await avatar(world(mcp))
        text = await _refused(mcp, "create_avatar_video", {**args, "max_credits": 100})  # cannot raise the setting
        assert "over the limit of 6 set by HEYGEN_MAX_CREDITS" in text and "raise HEYGEN_MAX_CREDITS" in text
        assert person.questions == []  # refused anyway: not asked
        cheap = await _call(mcp, "create_avatar_video", {**args, "resolution": "1080p", "max_credits": 100})
    assert cheap["estimated_credits"] == 6.0 and len(_paid_bodies(sandbox, "/v3/videos")) == 1


async def test_a_repeat_costs_nothing_so_no_limit_refuses_it(mcp: Client, world: Any) -> None:
    args = await avatar(world(mcp))
    first = await _call(mcp, "create_avatar_video", args)
    dry = await _call(mcp, "create_avatar_video", {**args, "dry_run": True})
    assert dry["estimated_credits"] == 0 and first["video_id"] in dry["dry_run"]["note"]
    again = await _call(mcp, "create_avatar_video", {**args, "max_credits": 0})
    assert again["replayed"] and again["video_id"] == first["video_id"] and again["estimated_credits"] == 0


async def test_a_dry_run_of_a_photo_already_made_says_nothing_would_be_paid(mcp: Client, sandbox: Any,
                                                                             tmp_path: Path, world: Any) -> None:
    args = await photo(world(mcp))
    made = await _call(mcp, "create_photo_avatar", args)
    before = len(sandbox.requests)
    dry = await _call(mcp, "create_photo_avatar", {**args, "dry_run": True})
    assert dry["estimated_credits"] == 0 and dry["dry_run"]["request"] is None and dry["look_id"] == made["look_id"]
    assert _writes(sandbox, before) == []


async def test_a_dry_run_over_the_limit_says_the_real_call_would_be_refused(mcp: Client, world: Any) -> None:
    dry = await _call(mcp, "translate_video", {**await translation(world(mcp)), "dry_run": True, "max_credits": 1})
    assert "would be refused" in dry["dry_run"]["note"]
    assert dry["dry_run"]["assumed"] == ["the source video lasts 60 s (its length is not known before sending)"]


async def test_a_translation_of_a_video_job_is_priced_by_its_length(mcp: Client, sandbox: Any, clock: Any) -> None:
    look, voice = await _look_and_voice(mcp)
    job = await _call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Translate me."})
    clock.advance(3600)
    dry = await _call(mcp, "translate_video", {"video": job["job_id"], "languages": ["German"], "dry_run": True})
    assert dry["estimated_credits"] == 1.5 and dry["dry_run"]["assumed"] == []  # a short video: 30 s billed, × 3


# -- the price table and the estimates (core) -----------------------------------------------------------------

def test_every_price_has_a_source_and_is_documented_in_quota_md() -> None:
    doc = QUOTA.read_text(encoding="utf-8")
    for price in costs.PRICES.values():
        assert price.source and (price.assumed == price.source.startswith("not published")), price.name
        row = next((line for line in doc.splitlines() if line.startswith(f"| {price.name} |")), None)
        assert row is not None, f"{price.name} is not in references/quota.md"
        assert f"| {price.credits:g} per {price.per} |" in row and ("assumed" in row) == price.assumed, row


def test_estimates_follow_the_body() -> None:
    def credits(path: str, body: dict[str, Any], **hints: Any) -> float:
        est = costs.estimate("POST", path, body, **hints)
        assert est is not None
        return est.credits

    words = " ".join(["word"] * 150)  # one minute at 150 words a minute
    assert credits("/v3/videos", {"type": "avatar", "avatar_id": "a", "script": words}) == 6.0
    assert credits("/v3/videos", {"type": "avatar", "avatar_id": "a", "script": words,
                                  "voice_settings": {"speed": 0.5}}) == 12.0  # said slowly: two minutes
    assert credits("/v3/videos", {"type": "avatar", "avatar_id": "a", "script": words,
                                  "engine": {"type": "avatar_iii"}}) == 2.0
    assert credits("/v3/videos", {"type": "avatar", "avatar_id": "a", "script": "Hi"}) == 3.0  # 30-s increments
    assert credits("/v3/videos", {"type": "avatar", "avatar_id": "a", "script": "你" * 250}) == 6.0  # 250 a minute
    assert credits("/v2/video/generate", {"video_inputs": [
        {"character": {"type": "talking_photo"}, "voice": {"type": "text", "input_text": words}},
        {"character": {"type": "talking_photo"}, "voice": {"type": "silence", "duration": 30}}]}) == 1.5
    assert credits("/v3/video-translations", {"output_languages": ["A", "B", "C"]}, seconds=45) == 9.0
    assert credits("/v3/video-translations", {"output_languages": ["A"], "mode": "precision", "start_time": 0,
                                              "end_time": 120}) == 12.0
    assert credits("/v3/video-agents", {"prompt": "A 2-minute explainer"}) == 4.0
    assert credits("/v3/videos/batches", {"videos": [{"type": "avatar", "avatar_id": "a", "script": words}] * 3}) == 18
    assert credits("/v3/voices/speech", {"text": words, "voice_id": "v"}) == 0.02
    assert costs.estimate("POST", "/v3/voices", {"prompt": "warm narrator"}) is None  # voice design: free
    assert costs.estimate("GET", "/v3/videos", None) is None


def test_a_confirmed_estimate_may_not_grow() -> None:
    request = costs.PaidRequest("POST", "/v3/avatars", {}, costs.Estimate(credits=2.0))
    with pytest.raises(costs.SpendLimitError, match="more than the 1 confirmed"):
        costs.Spend(confirmed=1.0).check(request)
    spend = costs.Spend(confirmed=2.0)
    spend.check(request)
    assert spend.credits == 2.0


def test_the_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from heygen_studio.settings import load_settings

    assert load_settings().heygen_confirm_above == 10 and load_settings().heygen_max_credits is None
    monkeypatch.setenv("HEYGEN_CONFIRM_ABOVE", "")  # empty: never ask
    monkeypatch.setenv("HEYGEN_MAX_CREDITS", "25")
    assert load_settings().heygen_confirm_above is None and load_settings().heygen_max_credits == 25
