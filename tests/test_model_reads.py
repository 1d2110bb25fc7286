"""Issue #18 §3: what the model needs is in the text, and required means required.

Every test here reads only what a model reads: a result's text content and the tools' listed input schemas
(``tools/list``). Structured content is never looked at: a host may hand a model the text alone. Requests
are read from the sandbox's log where a test must prove what was (or was not) sent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

pytestmark = pytest.mark.anyio


# -- what a model reads ---------------------------------------------------------------------------------------
async def read(mcp: Client, name: str, args: dict[str, Any] | None = None) -> str:
    """The text of a successful call (its first content item)."""
    result = await mcp.call_tool(name, args or {})
    text = result.content[0].text if result.content else ""
    assert not result.is_error, text
    return text


async def shown(mcp: Client, name: str, args: dict[str, Any] | None = None) -> Any:
    """The text of a successful call, as the JSON it is."""
    return json.loads(await read(mcp, name, args))


async def refused(mcp: Client, name: str, args: dict[str, Any] | None = None) -> str:
    result = await mcp.call_tool(name, args or {})
    text = result.content[0].text if result.content else ""
    assert result.is_error, text
    return text


def rows(table: Any) -> list[dict[str, Any]]:
    """The rows of a rendered list (one object, a list of objects, or a same/columns/rows table) as objects."""
    if isinstance(table, list):
        return table
    if "rows" not in table:
        return [table]
    same = table.get("same", {})
    return [{**same, **{k: v for k, v in zip(table["columns"], row, strict=True) if v is not None}}
            for row in table["rows"]]


async def listed(mcp: Client, name: str) -> dict[str, Any]:
    """A tool's input schema as tools/list shows it."""
    tools = {t.name: t for t in (await mcp.list_tools()).tools}
    return tools[name].input_schema


async def a_look(mcp: Client) -> str:
    return rows((await shown(mcp, "list_avatars", {"limit": 1}))["items"])[0]["id"]


async def a_voice(mcp: Client, language: str = "en") -> str:
    return rows((await shown(mcp, "list_voices", {"language": language, "limit": 1}))["items"])[0]["voice_id"]


# -- the smaller items ----------------------------------------------------------------------------------------
async def test_a_studio_dry_run_does_not_claim_v3_for_a_v2_request(mcp: Client) -> None:
    """The dry run's answer said ``"api":"v3"`` (the field's default) above a ``POST /v2/video/generate``."""
    scene = {"avatar_id": await a_look(mcp), "voice_id": await a_voice(mcp), "script": "Hello there."}
    dry = await shown(mcp, "create_studio_video", {"scenes": [scene], "dry_run": True})
    assert dry["dry_run"]["request"]["path"] == "/v2/video/generate"
    assert "api" not in dry and "replayed" not in dry  # nothing was made: nothing to say about a made job
    assert "$" in dry["next_step"] and "credits" not in json.dumps(dry)  # a price in dollars
    made = await shown(mcp, "create_studio_video", {"scenes": [scene]})
    assert made["api"] == "v2"


async def test_a_download_already_there_does_not_say_saved(mcp: Client, clock: Any) -> None:
    scene = {"avatar_id": await a_look(mcp), "voice_id": await a_voice(mcp), "script": "Hello there."}
    job = (await shown(mcp, "create_studio_video", {"scenes": [scene]}))["job_id"]
    clock.advance(3600)
    first = await read(mcp, "download_video", {"job_id": job})
    assert first.startswith("Saved ") and "nothing was written" not in first
    again = await read(mcp, "download_video", {"job_id": job})
    assert again.startswith("Already saved: ") and "nothing was written" in again
    assert not re.search(r"\bSaved\b", again)  # not both "Saved" and "nothing was written"


@pytest.mark.parametrize(("tool", "args"), [
    ("wait_for_job", {"job_id": "video:0123456789abcdef0123"}),
    ("wait_for_job", {"job_id": "translation:0123456789abcdef0123"}),
    ("get_video", {"job_id": "0123456789abcdef0123"}),
    ("download_video", {"job_id": "video:0123456789abcdef0123"}),
    ("get_translation", {"translation_id": "0123456789abcdef0123"}),
    ("get_agent_session", {"session_id": "agent:0123456789abcdef0123"}),
])
async def test_an_unknown_job_id_points_at_list_jobs(mcp: Client, tool: str, args: dict[str, Any]) -> None:
    text = await refused(mcp, tool, args)
    assert "0123456789abcdef0123" in text and "list_jobs" in text, text


async def test_read_reference_does_not_repeat_the_topic_list(mcp: Client) -> None:
    topics = (await shown(mcp, "read_reference"))["topics"]  # asked for on its own
    assert len(topics) > 10 and "scripts" in topics
    for args in ({"topic": "scripts", "max_chars": 600}, {"query": "pauses in a script", "max_chars": 600}):
        text = await read(mcp, "read_reference", args)
        assert "topics" not in json.loads(text)
        assert sum(topic in text for topic in topics) < len(topics) // 2, text


# -- voices by accent -----------------------------------------------------------------------------------------
async def test_an_accent_lists_the_voices_that_speak_it_and_says_the_filter_was_widened(mcp: Client) -> None:
    """``list_voices(language="en-GB")`` silently became "English"; no row said anything about accents."""
    for language in ("en-GB", "British"):
        answer = await shown(mcp, "list_voices", {"language": language, "limit": 5})
        found = rows(answer["items"])
        assert found and all(r["language"] == "English" and r["locales"] is True for r in found)
        note = answer["note"]
        assert f"'{language}' widened to English" in note and "locale='en-GB'" in note and "create_speech" in note
        assert "design_voice" in note
    plain = rows((await shown(mcp, "list_voices", {"language": "German", "limit": 3}))["items"])
    assert all(r["locales"] is False for r in plain)  # the row says it, either way


async def test_an_accent_no_voice_takes_and_an_accent_as_a_name_say_what_to_try(mcp: Client) -> None:
    none = await shown(mcp, "list_voices", {"language": "de-AT"})
    assert none["items"] == [] and "No German voice takes a locale" in none["note"]
    assert "design_voice(prompt='…', locale='de-AT')" in none["note"]
    named = await shown(mcp, "list_voices", {"name": "British"})
    assert named["items"] == [] and "names carry no accent" in named["note"]
    assert "list_voices(language='en-GB')" in named["note"]
    other = await shown(mcp, "list_voices", {"name": "Nobody-By-This-Name"})
    assert other["items"] == [] and "No voice name contains" in other["note"]


async def test_design_voice_says_the_locale_its_voices_matched(mcp: Client) -> None:
    answer = await shown(mcp, "design_voice", {"prompt": "calm narrator", "locale": "en-GB"})
    assert rows(answer["items"]) and answer["locale"] == "en-GB"


async def test_what_a_locale_changes_is_in_the_schemas_and_reaches_heygen(mcp: Client, sandbox: Any) -> None:
    speech = (await listed(mcp, "create_speech"))["properties"]["locale"]["description"]
    assert "accent" in speech and "locales=true" in speech and "language" in speech
    video = (await listed(mcp, "create_avatar_video"))["properties"]["voice_locale"]["description"]
    assert "accent" in video.lower() and "locales=true" in video
    voice = rows((await shown(mcp, "list_voices", {"language": "en-GB", "limit": 1}))["items"])[0]["voice_id"]
    await read(mcp, "create_avatar_video", {"avatar_id": await a_look(mcp), "voice_id": voice, "script": "Cheers.",
                                            "voice_locale": "en-GB"})
    sent = [r for r in sandbox.requests if r.method == "POST" and r.path == "/v3/videos"][-1].json
    assert sent["voice_settings"] == {"locale": "en-GB"}


# -- a script's voice: the presenter's own, or required and said so -------------------------------------------
async def test_a_scene_with_a_script_speaks_with_its_presenters_voice(mcp: Client, sandbox: Any) -> None:
    """No schema marked a scene's voice_id required, yet the natural first call (a presenter and a script) failed
    for every scene. The presenter's own voice is used now, as its schema says, and the answer names it."""
    scene = (await listed(mcp, "create_studio_video"))["$defs"]["Scene"]
    assert "voice_id" not in scene.get("required", []) and "presenter's own" in scene["properties"]["voice_id"][
        "description"]
    look = await a_look(mcp)
    own = (await shown(mcp, "get_avatar", {"avatar_id": look}))["default_voice_id"]
    job = await shown(mcp, "create_studio_video", {"scenes": [{"avatar_id": look, "script": "Hello there."},
                                                              {"avatar_id": look, "script": "Goodbye."}]})
    assert job["job_id"].startswith("video:") and own in job["note"] and "scenes 1, 2" in job["note"]
    sent = [r for r in sandbox.requests if r.method == "POST" and r.path == "/v2/video/generate"][-1].json
    assert [s["voice"]["voice_id"] for s in sent["video_inputs"]] == [own, own]


async def test_a_scene_without_a_presenter_is_told_which_voice_to_give(mcp: Client, sandbox: Any) -> None:
    look = await a_look(mcp)
    text = await refused(mcp, "create_studio_video", {"scenes": [
        {"avatar_id": look, "script": "Hello there."},
        {"background_image": "https://example.com/slide.png", "script": "Over a slide."}]})
    own = (await shown(mcp, "get_avatar", {"avatar_id": look}))["default_voice_id"]
    assert "scene 2" in text and "voice_id" in text and own in text and "Nothing was sent" in text
    assert not [r for r in sandbox.requests if r.method == "POST" and r.path.startswith(("/v2/video", "/v3/videos"))]


async def test_an_avatar_video_names_the_voice_it_speaks_with(mcp: Client) -> None:
    look = await a_look(mcp)
    own = (await shown(mcp, "get_avatar", {"avatar_id": look}))["default_voice_id"]
    job = await shown(mcp, "create_avatar_video", {"avatar_id": look, "script": "Hello there."})
    assert own in job["note"] and "own voice" in job["note"]


async def test_a_looks_voice_heygen_will_not_describe_is_still_its_voice(mcp: Client, sandbox: Any) -> None:
    """Naming the voice is for the note only: a look-up that fails refuses nothing (HeyGen accepts its own)."""
    look = await a_look(mcp)
    own = (await shown(mcp, "get_avatar", {"avatar_id": look}))["default_voice_id"]
    sandbox.faults.inject("GET", f"/v3/voices/{own}", "status", status=404, code="voice_not_found", times=10)
    job = await shown(mcp, "create_avatar_video", {"avatar_id": look, "script": "Still spoken."})
    assert f"'{own}'" in job["note"]
    assert [r for r in sandbox.requests if r.method == "POST" and r.path == "/v3/videos"][-1].json["voice_id"] == own


async def test_an_image_video_says_in_its_schema_that_a_script_needs_a_voice(mcp: Client) -> None:
    """The description promised 'default: the avatar's own' for every video; an image has none, and failed."""
    described = (await listed(mcp, "create_avatar_video"))["properties"]["voice_id"]["description"]
    assert "image" in described and "needs one" in described
    text = await refused(mcp, "create_avatar_video", {"image": "https://example.com/face.jpg", "script": "Hi."})
    assert "voice_id" in text and "list_voices" in text and "Nothing was sent" in text


# -- list_jobs rows -------------------------------------------------------------------------------------------
BRIEF = ("Make a short friendly welcome video for new bakery staff covering hygiene rules, opening hours and where "
         "the coffee machine is")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


async def test_list_jobs_rows_say_state_time_length_and_file(mcp: Client, clock: Any) -> None:
    """Rows had state null for finished jobs, epoch timestamps, no length or saved file, and agent titles cut
    mid-word from the brief."""
    look = await a_look(mcp)
    saved = (await shown(mcp, "create_avatar_video", {"avatar_id": look, "script": "Saved one."}))["job_id"]
    waited = (await shown(mcp, "create_avatar_video", {"avatar_id": look, "script": "Waited for."}))["job_id"]
    agent = (await shown(mcp, "create_agent_video", {"prompt": BRIEF}))["job_id"]
    before = {r["job_id"]: r for r in rows((await shown(mcp, "list_jobs"))["items"])}
    assert all(r["state"] == "submitted" and ISO.fullmatch(r["created_at"]) for r in before.values())
    title = before[agent]["title"]
    assert title.endswith("…") and BRIEF.startswith(title[:-1]) and BRIEF[len(title) - 1] == " "  # a whole word
    clock.advance(3600)
    await read(mcp, "wait_for_job", {"job_id": waited})
    await read(mcp, "download_video", {"job_id": saved})
    after = {r["job_id"]: r for r in rows((await shown(mcp, "list_jobs"))["items"])}
    assert after[waited]["state"] == "completed" and after[waited]["duration_s"] > 0 and "path" not in after[waited]
    assert after[saved]["state"] == "downloaded" and after[saved]["duration_s"] > 0
    assert after[saved]["path"].endswith(".mp4") and Path(after[saved]["path"]).is_file()
    assert after[agent]["state"] == "submitted"  # not looked at since: no state is made up


# -- produce_video: the words spoken, shown, and taken exactly --------------------------------------------------
def posts(sandbox: Any, path: str) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "POST" and r.path == path]


def chats(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.path.endswith("/chat/completions")]


async def test_produce_video_shows_the_words_it_has_spoken(mcp: Client, clock: Any, sandbox: Any) -> None:
    """The answer never showed the script, so a model could neither check nor reuse it."""
    args = {"brief": "A tip about brewing green tea", "max_wait_s": 2}
    first = await shown(mcp, "produce_video", args)
    sent = posts(sandbox, "/v3/videos")[-1].json["script"]
    assert first["script"] == sent and "script_uri" not in first  # short: shown whole
    clock.advance(3600)
    done = await shown(mcp, "produce_video", args)  # resumed: the same words, from the job store
    assert done["stage"] == "done" and done["script"] == sent and len(chats(sandbox)) == 1


async def test_an_exact_script_is_spoken_as_given_in_another_language(mcp: Client, sandbox: Any) -> None:
    """Re-voicing a video in another language needed its script again, and produce_video took none."""
    schema = await listed(mcp, "produce_video")
    assert "script" in schema["properties"] and "brief" not in schema.get("required", [])
    german = "Grüner Tee braucht Wasser mit achtzig Grad. [pause 1s] Drei Minuten ziehen lassen, dann genießen."
    answer = await shown(mcp, "produce_video", {"script": german, "language": "de", "max_wait_s": 2})
    sent = posts(sandbox, "/v3/videos")[-1].json
    assert sent["script"] == answer["script"] and sent["script"].startswith("Grüner Tee braucht Wasser")
    assert '<break time="1s"/>' in sent["script"] and "Drei Minuten ziehen lassen, dann genießen." in sent["script"]
    assert not chats(sandbox)  # no script model was asked
    assert "German" in answer["note"]  # the voice was picked for the script's language
    text = await refused(mcp, "produce_video", {"max_wait_s": 2})
    assert "brief" in text and "script" in text


async def test_an_exact_studio_script_makes_a_scene_per_paragraph(mcp: Client, sandbox: Any) -> None:
    script = "First we boil the water.\n\nThen we wait three minutes."
    answer = await shown(mcp, "produce_video", {"script": script, "route": "studio", "brief": "Tea in two steps",
                                                "max_wait_s": 2})
    inputs = posts(sandbox, "/v2/video/generate")[-1].json["video_inputs"]
    assert [i["voice"]["input_text"] for i in inputs] == script.split("\n\n")
    assert answer["script"] == script and answer["title"] == "Tea in two steps"


async def test_a_long_script_shows_its_first_lines_and_a_link_to_all_of_it(mcp: Client, sandbox: Any) -> None:
    paragraphs = [f"Part {n}: " + "green tea is best brewed gently, below boiling, for a short while. " * 4
                  for n in range(1, 9)]
    script = "\n\n".join(p.strip() for p in paragraphs)
    answer = await shown(mcp, "produce_video", {"script": script, "route": "studio", "max_wait_s": 2})
    assert answer["script"].startswith("Part 1: ") and answer["script"].endswith(" …")
    assert len(answer["script"]) < len(script) // 2 and answer["script_uri"].startswith("heygen://scripts/")
    whole = (await mcp.read_resource(answer["script_uri"])).contents[0].text
    assert whole == script
    inputs = posts(sandbox, "/v2/video/generate")[-1].json["video_inputs"]
    assert "\n\n".join(i["voice"]["input_text"] for i in inputs) == whole
