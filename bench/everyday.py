"""Everyday requests, call by call (issue #18 §1-2): the default surface and what ten common requests cost a model.

Each request starts on a fresh ``heygen-studio serve`` (stdio, ``HEYGEN_TOOLSETS`` unset: the default set), as a
host starts it, against one sandbox served on a loopback port (the code under test's own, renders of 2 s; its
consent links can be opened, as a person would). The bench plays the route a model would take from what it reads:

* the first tool is the one the server's instructions name on the first line that mentions the request's cue
  words (a request with no such line takes the route its tools' descriptions suggest, the first plan below);
* ids come from the results' text (what a model reads), never their structured content;
* a call to a tool the server does not list answers which toolset holds it: the bench counts that call, then
  restarts the server with the ``HEYGEN_TOOLSETS`` value the answer names (the user's part) and calls again;
* a photo avatar's consent link is opened (the person's part) when ``wait_for_job`` says it ``needs`` consent.

Printed: the default ``tools/list`` (bytes on the wire, tool count) and instructions (bytes), then per request the
route taken, the tool calls, the user's steps (restarts, consent) and the bytes of result text the model read.
Setup (a finished video for the requests that need one) is not counted.

Run: .venv/bin/python bench/everyday.py [--before REV]
``--before REV`` also runs the same requests against the code at REV (``git archive`` into a temporary folder,
on ``PYTHONPATH``) and prints both side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, ListToolsResult, TextContent

ROOT = Path(__file__).resolve().parents[1]
NOT_ENABLED = "toolset, which this server does not enable"
PHOTO = "https://example.com/ceo.jpg"
TOOL = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def text_of(result: CallToolResult) -> str:
    return "\n".join(item.text for item in result.content if isinstance(item, TextContent))


def read(text: str) -> Any:
    """A result's JSON text, its tables (``{"same", "columns", "rows"}``) read back as rows."""
    def rows(value: Any) -> Any:
        if isinstance(value, dict) and {"columns", "rows"} <= value.keys():
            return [{**value.get("same", {}), **dict(zip(value["columns"], row, strict=True))}
                    for row in value["rows"]]
        if isinstance(value, dict):
            return {k: rows(v) for k, v in value.items()}
        return value
    return rows(json.loads(text))


@dataclass
class Tally:
    route: str = ""
    calls: int = 0
    restarts: int = 0
    consents: int = 0
    text_bytes: int = 0
    steps: list[str] = field(default_factory=list)


class Session:
    """One request's conversation with the server; restarts it when the user has to enable a toolset."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.tally = Tally()
        self.counting = True
        self._stack = AsyncExitStack()
        self.client: Client | None = None
        self.instructions = ""

    async def start(self, toolsets: str | None = None) -> None:
        await self._stack.aclose()
        self._stack = AsyncExitStack()
        env = {**self.env, **({"HEYGEN_TOOLSETS": toolsets} if toolsets else {})}
        params = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"], env=env)
        quiet = self._stack.enter_context(open(os.devnull, "w"))  # noqa: SIM115 (closed with the stack)
        self.client = await self._stack.enter_async_context(Client(stdio_client(params, errlog=quiet)))
        self.instructions = self.client.instructions or ""

    async def aclose(self) -> None:
        await self._stack.aclose()

    async def call(self, name: str, args: dict[str, Any]) -> Any:
        """Call a tool as a model would; the result's text, read as JSON when it is JSON."""
        assert self.client is not None
        result = await self.client.call_tool(name, args)
        text = text_of(result)
        if self.counting:
            self.tally.calls += 1
            self.tally.text_bytes += len(text.encode())
            self.tally.steps.append(f"{name} {len(text.encode())}")
        if result.is_error and NOT_ENABLED in text:
            wanted = re.search(r"HEYGEN_TOOLSETS=([\w,]+)", text)
            assert wanted, text
            self.tally.restarts += 1
            self.tally.steps.append(f"(user restarts with HEYGEN_TOOLSETS={wanted.group(1)})")
            await self.start(wanted.group(1))
            return await self.call(name, args)
        if result.is_error:
            raise RuntimeError(f"{name} refused: {text}")
        return read(text) if text.lstrip().startswith(("{", "[")) else text

    async def wait(self, job_id: str, consent_url: str | None = None) -> Any:
        for _ in range(30):
            status = await self.call("wait_for_job", {"job_id": job_id, "max_wait_s": 30})
            if status.get("done"):
                return status
            if status.get("needs") == "consent" and consent_url:
                async with httpx2.AsyncClient() as browser:  # the person opens the link the model gave them
                    (await browser.get(consent_url)).raise_for_status()
                self.tally.consents += 1
                self.tally.steps.append("(user opens the consent link)")
                consent_url = None
            elif status.get("needs"):
                raise RuntimeError(f"{job_id} needs {status['needs']}: {status.get('message')}")
        raise RuntimeError(f"{job_id} never finished")

    async def voice(self, **filters: Any) -> str:
        return str((await self.call("list_voices", {"language": "English", "limit": 5, **filters}))["items"][0]
                   ["voice_id"])

    async def look(self) -> str:
        return str((await self.call("list_avatars", {"limit": 5}))["items"][0]["id"])


Plan = Callable[[Session, dict[str, Any]], Awaitable[None]]


# -- the plans: what a model does on each route ------------------------------------------------------------------
async def produce(s: Session, _: dict[str, Any]) -> None:
    args = {"brief": "A 30-second explainer on how our refund policy works: 30 days, no questions asked.",
            "duration_s": 30}
    for _attempt in range(10):
        if (await s.call("produce_video", args)).get("path"):
            return
    raise RuntimeError("produce_video never finished")


async def agent_explainer(s: Session, _: dict[str, Any]) -> None:
    job = await s.call("create_agent_video", {
        "prompt": "A 30-second explainer on how our refund policy works: 30 days, no questions asked. "
                  "Keep it to 30 seconds, no dead air."})
    await s.wait(job["job_id"])
    await s.call("download_video", {"job_id": job["job_id"]})


async def talking_photo(s: Session, _: dict[str, Any]) -> None:
    voice = await s.voice(gender="male")
    job = await s.call("create_avatar_video", {"image": PHOTO, "voice_id": voice,
                                              "script": "Welcome to the team! We are glad you are here."})
    await s.wait(job["job_id"])
    await s.call("download_video", {"job_id": job["job_id"]})


async def photo_avatar(s: Session, _: dict[str, Any]) -> None:
    made = await s.call("create_photo_avatar", {"photo": PHOTO, "name": "CEO"})
    look = await s.wait(made["job_id"], made.get("consent_url"))
    voice = await s.voice(gender="male")
    job = await s.call("create_avatar_video", {"avatar_id": made.get("look_id") or look.get("look_id"),
                                              "voice_id": voice, "script": "Welcome to the team! We are glad you "
                                                                           "are here."})
    await s.wait(job["job_id"])
    await s.call("download_video", {"job_id": job["job_id"]})


async def studio(s: Session, _: dict[str, Any]) -> None:
    look, voice = await s.look(), await s.voice()
    scenes = [{"avatar_id": look, "voice_id": voice, "script": line, "background_color": colour}
              for line, colour in (("Welcome to our product tour.", "#FFFFFF"),
                                   ("First, create a project from the dashboard.", "#EEF2FF"),
                                   ("Then invite your team. That's it!", "#FFFFFF"))]
    job = await s.call("create_studio_video", {"scenes": scenes, "title": "Product tour"})
    await s.wait(job["job_id"])
    await s.call("download_video", {"job_id": job["job_id"]})


async def three_languages(s: Session, given: dict[str, Any]) -> None:
    made = await s.call("translate_video", {"video": given["job_id"],
                                            "languages": ["Spanish (Spain)", "German", "French (France)"]})
    for job in made["job_ids"]:
        await s.wait(job)
        await s.call("download_video", {"job_id": job})


async def price(s: Session, _: dict[str, Any]) -> None:
    look, voice = await s.look(), await s.voice()
    await s.call("get_account", {})
    await s.call("create_avatar_video", {"avatar_id": look, "voice_id": voice, "dry_run": True,
                                         "script": " ".join(["This is one sentence of a two-minute update."] * 40)})


async def translation(s: Session, given: dict[str, Any]) -> None:
    made = await s.call("translate_video", {"video": given["video_url"], "languages": ["Japanese"]})
    job = made["job_ids"][0]
    await s.wait(job)
    await s.call("download_video", {"job_id": job})


async def agent_ad(s: Session, _: dict[str, Any]) -> None:
    job = await s.call("create_agent_video", {
        "prompt": "A 20-second vertical ad for our new trail-running shoe: grip, light weight, 30-day returns. "
                  "Energetic. Keep it to 20 seconds, no dead air.", "orientation": "portrait"})
    await s.wait(job["job_id"])
    await s.call("download_video", {"job_id": job["job_id"]})


async def old_video_listed(s: Session, given: dict[str, Any]) -> None:
    found = await s.call("list_videos", {"title": given["title"]})
    await s.call("download_video", {"job_id": found["items"][0]["video_id"]})


async def old_video_jobs(s: Session, given: dict[str, Any]) -> None:
    found = await s.call("list_jobs", {"limit": 50})
    job = next(row for row in found["items"] if row.get("title") == given["title"])
    await s.call("download_video", {"job_id": job["job_id"]})


async def speech(s: Session, _: dict[str, Any]) -> None:
    voice = await s.voice(gender="female")
    await s.call("create_speech", {"text": "Thanks for calling. Your order is on its way.", "voice_id": voice})


async def check_render(s: Session, given: dict[str, Any]) -> None:
    await s.wait(given["pending"])
    await s.call("download_video", {"job_id": given["pending"]})


@dataclass
class Request:
    label: str
    cues: tuple[str, ...]
    plans: dict[str, Plan]  # first tool → what the model does; the first is the route without a cue


REQUESTS = [
    Request("talking-head explainer on a topic", ("topic", "brief", "idea"),
            {"produce_video": produce, "create_agent_video": agent_explainer}),
    Request("a talking photo", ("photo",), {"create_avatar_video": talking_photo, "create_photo_avatar": photo_avatar}),
    Request("a multi-scene video", ("scene",), {"create_studio_video": studio}),
    Request("the same video in three languages", ("language",), {"translate_video": three_languages}),
    Request("a price question", ("price", "cost"), {"create_avatar_video": price}),
    Request("a translation (a URL)", ("translat",), {"translate_video": translation}),
    Request("a Video Agent ad", ("ad", "promo"), {"create_agent_video": agent_ad}),
    Request("find and re-download an old video", ("earlier", "lost"),
            {"list_videos": old_video_listed, "list_jobs": old_video_jobs}),
    Request("speech audio", ("audio", "speech"), {"create_speech": speech}),
    Request("checking on a long render", ("render",), {"wait_for_job": check_render}),
]


def route_for(request: Request, instructions: str) -> str:
    """The first tool with a plan named on the first instructions line that mentions a cue word and names one;
    else the first plan."""
    for line in instructions.splitlines():
        if any(re.search(rf"\b{cue}", line, re.I) for cue in request.cues):
            for tool in TOOL.findall(line):
                if tool in request.plans:
                    return str(tool)
    return next(iter(request.plans))


async def setup(env: dict[str, str]) -> dict[str, Any]:
    """A finished video (an old one to find, one to translate) and one still rendering: not counted."""
    s = Session(env)
    s.counting = False
    await s.start()
    try:
        look, voice = await s.look(), await s.voice()
        job = await s.call("create_avatar_video", {"avatar_id": look, "voice_id": voice, "title": "Quarterly update",
                                                   "script": "Hello! Here is our quarterly update in one minute."})
        done = await s.wait(job["job_id"])
        pending = await s.call("create_avatar_video", {"avatar_id": look, "voice_id": voice, "title": "Launch",
                                                       "script": "Our launch video, which takes a while to render."})
        return {"job_id": job["job_id"], "video_url": done["video_url"], "title": "Quarterly update",
                "pending": pending["job_id"]}
    finally:
        await s.aclose()


SANDBOX = """
import sys
from heygen_studio.sandbox import SandboxConfig, run_sandbox
run_sandbox(port=int(sys.argv[1]), config=SandboxConfig(render_seconds=2, agent_thinking_seconds=0.5,
            agent_generating_seconds=2, avatar_seconds=1, translation_seconds=2, lipsync_seconds=2,
            voice_clone_seconds=1))
"""


async def serve_sandbox(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """The code under test's sandbox on a free loopback port, ready."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen([sys.executable, "-c", SANDBOX, str(port)], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    async with httpx2.AsyncClient() as probe_client:
        for _ in range(200):
            try:
                await probe_client.get(url)
                return child, url
            except httpx2.TransportError:
                await anyio.sleep(0.05)
    child.kill()
    raise RuntimeError("the sandbox did not start")


async def measure(pythonpath: str) -> tuple[dict[str, int], list[tuple[Request, Tally]]]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
        env.update(PYTHONPATH=pythonpath)
        sandbox, url = await serve_sandbox(env)
        try:
            env.update(HEYGEN_SANDBOX="1", HEYGEN_BASE_URL=url, HEYGEN_OUTPUT_DIR=tmp,
                       HEYGEN_STATE_DIR=str(Path(tmp) / "state"))
            return await requests(env)
        finally:
            sandbox.terminate()
            sandbox.wait()


async def requests(env: dict[str, str]) -> tuple[dict[str, int], list[tuple[Request, Tally]]]:
    """The default surface, then each request on a fresh server."""
    s = Session(env)
    await s.start()
    assert s.client is not None
    tools = await s.client.list_tools()
    listing = len(ListToolsResult(tools=tools.tools).model_dump_json(by_alias=True, exclude_none=True).encode())
    surface = {"bytes": listing, "tools": len(tools.tools), "instructions": len(s.instructions.encode())}
    await s.aclose()
    given = await setup(env)
    results = []
    for request in REQUESTS:
        s = Session(env)
        await s.start()
        try:
            s.tally.route = route_for(request, s.instructions)
            await request.plans[s.tally.route](s, given)
        finally:
            await s.aclose()
        results.append((request, s.tally))
    return surface, results


def archive(rev: str, into: Path) -> str:
    """The server package at ``rev``, unpacked under ``into``; its PYTHONPATH."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "server"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=tar, check=True)
    return str(into / "server")


def table(columns: list[tuple[str, dict[str, int], list[tuple[Request, Tally]]]]) -> None:
    for name, surface, _ in columns:
        print(f"{name}: default tools/list {surface['bytes']:,} bytes, {surface['tools']} tools "
              f"(budget 16384: {'PASS' if surface['bytes'] <= 16384 else 'FAIL'}); "
              f"instructions {surface['instructions']:,} bytes")
    print()
    head = f"{'request':38}" + "".join(f" | {name[:44]:44}" for name, _, _ in columns)
    print(head.rstrip())
    print(f"{'':38}" + "".join(f" | {'route':22}{'calls':>6}{'user':>5}{'text B':>8}" for _ in columns))
    totals = [[0, 0, 0] for _ in columns]
    for i, request in enumerate(REQUESTS):
        line = f"{request.label:38}"
        for n, (_, _, rows) in enumerate(columns):
            tally = rows[i][1]
            user = tally.restarts + tally.consents
            line += f" | {tally.route:22}{tally.calls:>6}{user:>5}{tally.text_bytes:>8}"
            totals[n] = [totals[n][0] + tally.calls, totals[n][1] + user, totals[n][2] + tally.text_bytes]
        print(line)
    print(f"{'total':38}" + "".join(f" | {'':22}{c:>6}{r:>5}{b:>8}" for c, r, b in totals))
    print("(user: the steps a person takes: restarting the server with a toolset, opening a consent link)")
    print()
    for name, _, rows in columns:
        print(f"{name}, calls in order:")
        for request, tally in rows:
            print(f"  {request.label}: {' → '.join(tally.steps)}")


async def main(before: str | None) -> None:
    columns = []
    with tempfile.TemporaryDirectory() as tmp:
        if before:
            columns.append((f"before ({before})", *await measure(archive(before, Path(tmp)))))
        here = os.environ.get("PYTHONPATH") or str(ROOT / "server")
        columns.append(("after (this tree)" if before else "this tree", *await measure(here)))
    table(columns)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", metavar="REV", help="also measure the code at this git revision")
    anyio.run(main, parser.parse_args().before)
