"""Docs over MCP (resources, prompts, completions, read_reference) and the script writer
(DeepSeek through the openai SDK, the client's model through sampling, neither) and produce_video."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.types import CreateMessageResult, PromptReference, ResourceTemplateReference, TextContent

from conftest import make_settings
from heygen_studio.server import create_server

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]
REQUIRED_PROMPTS = {"optimize_video_prompt", "write_video_script", "plan_studio_video", "create_photo_avatar_guide"}


async def call(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, args)
    assert not result.is_error, result.content[0].text
    return result.structured_content


def chats(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.path.endswith("/chat/completions")]


# -- docs ---------------------------------------------------------------------------------------------
async def test_resources_list_and_read(mcp: Client) -> None:
    listed = {str(r.uri): r for r in (await mcp.list_resources()).resources}
    assert "heygen://skill" in listed
    topics = sorted(p.stem for p in (ROOT / "references").glob("*.md"))
    assert topics
    for topic in topics:
        res = listed[f"heygen://references/{topic}"]
        assert res.title and res.description and res.mime_type == "text/markdown"
    skill = await mcp.read_resource("heygen://skill")
    assert skill.contents[0].text == (ROOT / "SKILL.md").read_text()
    one = await mcp.read_resource(f"heygen://references/{topics[0]}")
    assert one.contents[0].text == (ROOT / "references" / f"{topics[0]}.md").read_text()
    with pytest.raises(MCPError):
        await mcp.read_resource("heygen://references/no-such-topic")


async def test_templates_complete_topic_names(mcp: Client) -> None:
    templates = {t.uri_template for t in (await mcp.list_resource_templates()).resource_templates}
    assert {"heygen://references/{topic}", "heygen://prompts/{name}"} <= templates
    done = await mcp.complete(ref=ResourceTemplateReference(type="ref/resource", uri="heygen://references/{topic}"),
                              argument={"name": "topic", "value": "video"})
    expected = sorted(p.stem for p in (ROOT / "references").glob("video*.md"))
    assert done.completion.values == expected


async def test_prompts_listed_rendered_and_completed(mcp: Client) -> None:
    prompts = {p.name: p for p in (await mcp.list_prompts()).prompts}
    assert set(prompts) >= REQUIRED_PROMPTS
    for prompt in prompts.values():
        assert prompt.description and all(a.description for a in prompt.arguments or [])
    spec = prompts["optimize_video_prompt"]
    args = {a.name: "a 30 second launch teaser for a coffee app" if a.required else "landscape"
            for a in spec.arguments or []}
    rendered = await mcp.get_prompt("optimize_video_prompt", args)
    text = rendered.messages[0].content.text
    assert "coffee app" in text and "{" not in text.replace("{{", "")
    source = await mcp.read_resource("heygen://prompts/optimize_video_prompt")
    assert "coffee" not in source.contents[0].text
    orientation = await mcp.complete(ref=PromptReference(type="ref/prompt", name="optimize_video_prompt"),
                                     argument={"name": "orientation", "value": "p"})
    assert orientation.completion.values == ["portrait"]
    language = await mcp.complete(ref=PromptReference(type="ref/prompt", name="write_video_script"),
                                  argument={"name": "language", "value": "Ger"})
    assert "German" in language.completion.values


async def test_read_reference_by_topic_and_query(mcp: Client) -> None:
    topic = sorted(p.stem for p in (ROOT / "references").glob("*.md"))[0]
    one = await call(mcp, "read_reference", {"topic": topic})
    assert one["sections"][0]["topic"] == topic and one["topics"] is None  # the list is asked for on its own
    assert topic in (await call(mcp, "read_reference", {}))["topics"]
    found = await call(mcp, "read_reference", {"query": "how long do renders take; how to poll", "max_chars": 3000})
    assert 1 <= len(found["sections"]) <= 3
    assert sum(len(s["text"]) for s in found["sections"]) <= 3100
    bad = await mcp.call_tool("read_reference", {"topic": "nonsense"})
    assert bad.is_error and "Topics:" in bad.content[0].text


# -- write_script -----------------------------------------------------------------------------------------
async def test_write_script_with_deepseek(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    settings = make_settings(tmp_path, deepseek_api_key="sk-deepseek-test")
    async with Client(create_server(settings, transport=wire)) as client:
        args = {"topic": "Why hydration matters for runners", "duration_s": 45, "language": "en",
                "tone": "upbeat", "format": "scenes"}
        first = await call(client, "write_script", args)
        again = await call(client, "write_script", args)
    assert first["source"] == "deepseek" and first["scenes"] and first["total_seconds"] > 0
    for scene in first["scenes"]:
        assert len(scene["text"]) <= 5000 and scene["seconds"] > 0 and scene["words"] > 0
        assert "[pause" not in scene["text"]
    assert abs(first["total_seconds"] - sum(s["seconds"] for s in first["scenes"])) < 0.5
    assert first["usage"]["prompt_tokens"] > 0 and again["usage"]["cache_hit_tokens"] > 0
    sent = chats(sandbox)
    assert len(sent) == 2 and sent[0].headers.get("authorization", "").startswith("Bearer ")
    assert sent[0].json["model"] == "deepseek-chat" and sent[0].json["response_format"] == {"type": "json_object"}


async def test_write_script_agent_brief_with_reasoner(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    settings = make_settings(tmp_path, deepseek_api_key="sk-deepseek-test")
    async with Client(create_server(settings, transport=wire)) as client:
        out = await call(client, "write_script", {"topic": "Launch of a coffee app", "duration_s": 30,
                                                  "format": "agent-brief", "model": "deepseek-reasoner"})
    assert out["brief"] and "word for word" in out["brief"] and out["model"] == "deepseek-reasoner"


async def test_write_script_through_client_sampling(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    seen: list[Any] = []

    async def sampler(context: Any, params: Any) -> CreateMessageResult:
        seen.append(params)
        script = {"title": "Sampled", "language": "de", "scenes": [
            {"text": "Hallo zusammen. [pause 1s] Heute geht es um Wasser.", "visual": "presenter"},
            {"text": "Trinkt genug!", "visual": "glass"}]}
        return CreateMessageResult(role="assistant", model="client-model",
                                   content=TextContent(type="text", text="```json\n" + json.dumps(script) + "\n```"))

    settings = make_settings(tmp_path)
    for mode in ("auto", "legacy"):
        async with Client(create_server(settings, transport=wire), sampling_callback=sampler, mode=mode) as client:
            out = await call(client, "write_script", {"topic": "Wasser trinken", "language": "de", "duration_s": 10})
        assert out["source"] == "sampling" and out["model"] == "client-model" and out["language"] == "de"
        assert out["scenes"][0]["text"] == 'Hallo zusammen. <break time="1s"/> Heute geht es um Wasser.'
    assert len(seen) == 2 and chats(sandbox) == []


async def test_long_scenes_are_split_at_heygens_limit_and_cjk_is_timed_by_characters(tmp_path: Path,
                                                                                      wire: Any) -> None:
    sentence = "This sentence is part of a very long monologue about video production. "
    answers = iter([
        {"title": "Long", "language": "en", "scenes": [{"text": sentence * 100, "visual": "talk"}]},
        {"title": "日本", "language": "ja", "scenes": [{"text": "こんにちは。" * 50, "visual": "hello"}]},
    ])

    async def sampler(context: Any, params: Any) -> CreateMessageResult:
        return CreateMessageResult(role="assistant", model="m",
                                   content=TextContent(type="text", text=json.dumps(next(answers))))

    async with Client(create_server(make_settings(tmp_path), transport=wire), sampling_callback=sampler) as client:
        long = await call(client, "write_script", {"topic": "a long talk", "duration_s": 600})
        japanese = await call(client, "write_script", {"topic": "日本語の挨拶", "language": "ja", "duration_s": 60})
    assert len(long["scenes"]) == 2 and all(len(s["text"]) <= 5000 for s in long["scenes"])
    assert " ".join(s["text"] for s in long["scenes"]) == (sentence * 100).strip()
    assert long["words"] == 1200 and abs(long["total_seconds"] - 480) < 1  # 150 words per minute
    assert japanese["words"] == 300 and japanese["total_seconds"] == 60  # 300 characters per minute


async def test_write_script_with_neither_says_what_to_set(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, heygen_sandbox=False)
    async with Client(create_server(settings)) as client:
        result = await client.call_tool("write_script", {"topic": "anything at all"})
    assert result.is_error and "DEEPSEEK_API_KEY" in result.content[0].text and "sampling" in result.content[0].text


# -- produce_video --------------------------------------------------------------------------------------------
async def test_produce_video_resumes_and_never_pays_twice(mcp: Client, sandbox: Any, clock: Any,
                                                          settings: Any) -> None:
    args = {"brief": "A friendly 20 second welcome to our bakery", "duration_s": 20, "max_wait_s": 1}
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    first = (await mcp.call_tool("produce_video", args, progress_callback=on_progress)).structured_content
    assert first["stage"] == "rendering" and first["job_id"].startswith("video:") and not first["resumed"]
    assert "produce_video again" in first["next_step"] and first["note"].startswith("Picked avatar")
    assert seen and seen == sorted(seen)
    clock.advance(3600)
    second = await call(mcp, "produce_video", args)
    assert second["stage"] == "done" and second["resumed"] and second["job_id"] == first["job_id"]
    path = Path(second["path"])
    assert path.parent == settings.heygen_output_dir and path.read_bytes()[4:8] == b"ftyp"
    assert len([r for r in sandbox.requests if r.method == "POST" and r.path == "/v3/videos"]) == 1
    assert len(chats(sandbox)) == 1  # the script was written once and reused


@pytest.mark.parametrize(("route", "prefix", "path"), [("studio", "video:", "/v2/video/generate"),
                                                       ("agent", "agent:", "/v3/video-agents")])
async def test_produce_video_other_routes(mcp: Client, sandbox: Any, clock: Any, route: str, prefix: str,
                                          path: str) -> None:
    args = {"brief": "Three tips for better sleep", "route": route, "duration_s": 40, "max_wait_s": 1,
            "orientation": "portrait"}
    first = await call(mcp, "produce_video", args)
    assert first["job_id"].startswith(prefix)
    clock.advance(3600)
    done = await call(mcp, "produce_video", args)
    assert done["stage"] == "done" and Path(done["path"]).is_file()
    assert len([r for r in sandbox.requests if r.method == "POST" and r.path == path]) == 1


async def test_produce_video_cut_off_mid_submit_replays_instead_of_paying_again(
        tmp_path: Path, wire: Any, sandbox: Any) -> None:
    settings = make_settings(tmp_path, heygen_max_retries=0)  # nothing retried inside the call: it is cut off
    args = {"brief": "A calm 20 second note about our opening hours", "duration_s": 20, "max_wait_s": 1}
    async with Client(create_server(settings, transport=wire)) as client:
        sandbox.faults.inject("POST", "/v3/videos", "drop_after")  # HeyGen accepts; the answer never arrives
        cut = await client.call_tool("produce_video", args)
        assert cut.is_error and "connection dropped" in cut.content[0].text
        again = await call(client, "produce_video", args)
    posts = [r for r in sandbox.requests if r.method == "POST" and r.path == "/v3/videos"]
    # createVideo's Idempotency-Key (contract x-idempotency: 24 h replay) makes the second POST a replay.
    assert len(posts) == 2 and len({r.headers.get("idempotency-key") for r in posts}) == 1  # same script, same key
    assert len(chats(sandbox)) == 1  # the script was written once
    assert again["job_id"] == f"video:{next(iter(sandbox.videos))}" and len(sandbox.videos) == 1  # one job, not two
