"""produce_video and produce_videos as the workflow layer serves them, with no MCP in between (issue #16 §1): a
``Tenant`` on the server's own state, the sandbox behind it on the checked wire, progress as a plain callback.
What the MCP adapter (or the shell) adds is only the asking: the script the client's own model writes comes in as
a ``Drafted``, and the workflow says when one is needed (``draft_for_produce`` / ``item_request`` answer with the
``ScriptRequest`` to ask). The sandbox's request log and the job store prove what was sent, paid and journaled."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from heygen_studio.core import costs
from heygen_studio.core.backends import open_store
from heygen_studio.core.people import People
from heygen_studio.core.scripts import ScriptRequest
from heygen_studio.house import open_state
from heygen_studio.workflow import batches, scripts, spoken
from heygen_studio.workflow.errors import Refused
from heygen_studio.workflow.scripts import Drafted
from heygen_studio.workflow.state import AppState
from heygen_studio.workflow.tenant import Tenant

pytestmark = pytest.mark.anyio

BRIEF = {"brief": "A friendly 20 second welcome to our bakery", "route": "avatar", "avatar_id": None,
         "voice_id": None, "duration_s": 20, "orientation": "landscape", "language": "en", "script": None}


def server_state(settings: Any, wire: Any, people: People | None = None) -> AppState:
    """The server's state as its lifespan makes it, without a server (``people``: a team server's)."""
    state = open_state(settings, wire)
    state.people = people
    return state


@pytest.fixture
async def state(settings: Any, wire: Any) -> AsyncIterator[AppState]:
    made = server_state(settings, wire)
    try:
        yield made
    finally:
        await made.aclose()
    assert wire.violations == [], "contract violations:\n" + "\n".join(wire.violations)


class Progress:
    """The adapter's progress callback: what it was told, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total, message))


def posts(sandbox: Any, path: str) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "POST" and r.path == path]


def chats(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.path.endswith("/chat/completions")]


def sampled(*scenes: str, title: str = "From the client's model") -> Drafted:
    """What the client's own model answers (by sampling), as the adapter hands it to the workflow."""
    text = json.dumps({"title": title, "scenes": [{"text": s} for s in scenes]})
    return Drafted(text=text, source="sampling", model="client-model")


async def test_a_brief_becomes_an_mp4_paid_once_and_resumed(state: AppState, sandbox: Any, clock: Any,
                                                            settings: Any) -> None:
    person = Tenant(state)
    drafted = await scripts.draft_for_produce(person, **BRIEF, client_samples=False)
    assert isinstance(drafted, Drafted) and drafted.source == "sandbox" and len(chats(sandbox)) == 1
    progress = Progress()
    args = {k: v for k, v in BRIEF.items() if k in ("brief", "duration_s")}
    first = await scripts.produce_video(person.paying(costs.Spend()), **args, max_wait_s=1, drafted=drafted,
                                        progress=progress)
    assert first.stage == "rendering" and first.job_id.startswith("video:") and not first.resumed
    assert first.note is not None and first.note.startswith("Picked avatar") and first.script
    done = [p for p, _, _ in progress.seen]
    assert done == sorted(done) and {t for _, t, _ in progress.seen} == {100}
    assert [m for _, _, m in progress.seen][:2] == ["script", "submitting"]

    clock.advance(3600)
    again = await scripts.draft_for_produce(person, **BRIEF, client_samples=False)
    assert isinstance(again, Drafted) and again.source == "journal"  # the script journaled before paying
    progress = Progress()
    second = await scripts.produce_video(person.paying(costs.Spend()), **args, max_wait_s=5, drafted=again,
                                         progress=progress)
    assert second.stage == "done" and second.resumed and second.job_id == first.job_id
    assert second.script == first.script and second.path is not None
    path = Path(second.path)
    assert path.parent == settings.heygen_output_dir and path.read_bytes()[4:8] == b"ftyp"
    assert progress.seen[-1] == (100, 100, "done")
    assert len(posts(sandbox, "/v3/videos")) == 1 and len(chats(sandbox)) == 1  # paid once, written once


async def test_the_client_models_script_is_asked_for_then_used(state: AppState, sandbox: Any) -> None:
    """With no script model here and a client that samples, the workflow hands back the request to ask; the
    answer it gets is what a dry run would send, and nothing was written to the journal or sent."""
    person = Tenant(state)
    asked = await scripts.draft_for_produce(person, **BRIEF, client_samples=True)
    assert isinstance(asked, ScriptRequest) and asked.topic == BRIEF["brief"] and asked.format == "single"
    assert chats(sandbox) == []  # not the sandbox's stand-in: the client's model is asked
    words = "Welcome to the bakery on Main Street. Fresh bread every morning from six."
    with pytest.raises(costs.Preview) as stop:
        await scripts.produce_video(person.paying(costs.Spend(dry_run=True)), brief=BRIEF["brief"], duration_s=20,
                                    drafted=sampled(words), progress=Progress())
    request = stop.value.request
    assert request is not None and request.path == "/v3/videos" and request.body["script"] == words
    assert request.body["title"] == "From the client's model"
    assert posts(sandbox, "/v3/videos") == [] and person.jobs.find(scripts.produce_key(
        BRIEF["brief"], "avatar", None, None, 20, "landscape", "en")) is None  # a dry run journals nothing


async def test_refusals_are_the_workflows_own_and_say_what_to_do(state: AppState, sandbox: Any) -> None:
    person = Tenant(state)
    with pytest.raises(Refused, match=r"^Give brief \(a script is written from it\) or script"):
        await scripts.draft_for_produce(person, **{**BRIEF, "brief": None}, client_samples=False)
    with pytest.raises(Refused, match=r"^Pass exactly one of: items=\[\.\.\.\], topics=\[\.\.\.\]"):
        await batches.produce_videos(person.paying(costs.Spend()), topics=["rye"], languages=["de"],
                                     progress=Progress())
    assert sandbox.requests == [] or all(r.method == "GET" for r in sandbox.requests)


async def test_a_series_with_the_client_models_scripts_is_one_heygen_batch(state: AppState, sandbox: Any) -> None:
    series = {"topics": ["sourdough", "rye bread"], "brief_template": "A 10 second tip about {topic}",
              "items": None, "brief": None, "languages": None, "language": "en", "avatar_id": None,
              "voice_id": None, "route": "avatar", "duration_s": 10, "orientation": "landscape"}
    person = Tenant(state)
    asked = [batches.item_request(person, i, **series) for i in range(3)]
    assert [a.topic if a is not None else None for a in asked] == ["A 10 second tip about sourdough",
                                                                   "A 10 second tip about rye bread", None]
    words = ["Sourdough wants a slow, cool rise.", "Rye likes a wetter dough than wheat."]
    progress = Progress()
    out = await batches.produce_videos(
        person.paying(costs.Spend()), **{k: v for k, v in series.items() if k not in ("items", "brief", "languages")},
        drafts=[sampled(w) for w in words], client_samples=True, progress=progress)
    assert out.submitted == 2 and out.queued == 0 and not out.resumed and out.job_id.startswith("batch:")
    assert [i.state for i in out.items] == ["submitted", "submitted"]
    (batch,) = posts(sandbox, "/v3/videos/batches")
    assert [v["script"] for v in batch.json["videos"]] == words and chats(sandbox) == []
    assert progress.seen[-1] == (100, 100, "submitted")
    # the journal now holds each item's script: nothing more to ask, and a repeat sends nothing
    assert [batches.item_request(person, i, **series) for i in range(2)] == [None, None]
    again = await batches.produce_videos(
        person.paying(costs.Spend()), **{k: v for k, v in series.items() if k not in ("items", "brief", "languages")},
        client_samples=True, progress=Progress())
    assert again.resumed and again.submitted == 0 and [i.state for i in again.items] == ["resumed", "resumed"]
    assert len(posts(sandbox, "/v3/videos/batches")) == 1


async def test_a_team_servers_person_gets_the_video_in_their_own_folder(settings: Any, wire: Any, sandbox: Any,
                                                                       clock: Any) -> None:
    """On a team server the Tenant is a person: the MP4 lands in their folder and the answer shows it as they
    reach it (a path inside their folder, its heygen://files/ URI), never as a path on the server's disk."""
    people = open_store(settings).people(None)
    ann, _ = people.add("ann")
    made = server_state(settings, wire, people)
    try:
        person = Tenant(made, person=ann)
        drafted = await scripts.draft_for_produce(person, **BRIEF, client_samples=False)
        assert isinstance(drafted, Drafted)
        clock.advance(3600)
        first = await scripts.produce_video(person.paying(costs.Spend()), brief=BRIEF["brief"], duration_s=20,
                                            max_wait_s=1, drafted=drafted, progress=Progress())
        if first.stage != "done":  # the render ends on the sandbox's clock
            clock.advance(3600)
            first = await scripts.produce_video(person.paying(costs.Spend()), brief=BRIEF["brief"], duration_s=20,
                                                max_wait_s=5, drafted=drafted, progress=Progress())
        assert first.stage == "done" and first.path is not None
        folder = settings.heygen_output_dir / "people" / ann.id
        saved = folder / first.path
        assert not Path(first.path).is_absolute() and saved.read_bytes()[4:8] == b"ftyp"
        assert first.resource_uri == f"heygen://files/{first.path}" and str(settings.heygen_output_dir) not in (
            first.next_step)
        key = scripts.produce_key(BRIEF["brief"], "avatar", None, None, 20, "landscape", "en")
        assert Tenant(made).jobs.find(key) is None  # the server's own user has no such job
        assert spoken.script_of(person, key.removeprefix("produce:")) is not None  # heygen://scripts/…: theirs
        assert spoken.script_of(Tenant(made), key.removeprefix("produce:")) is None
    finally:
        await made.aclose()
        people.close()
    assert wire.violations == [], "contract violations:\n" + "\n".join(wire.violations)
