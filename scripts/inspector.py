"""Drive heygen-studio (sandbox mode, every toolset) with the MCP Inspector's CLI, a real client from npm.

Over stdio (the Inspector spawns ``heygen-studio serve`` for every call) and over streamable HTTP (one
``serve --http``), in the protocol era the Inspector picks by default (legacy) and in the modern one:

* ``tools/list``: every listed tool has an object input schema and a ``readOnlyHint``; the read-only ones are
  exactly the ones this script knows arguments for (a new read-only tool fails here until it is added below);
* ``tools/call`` of every read-only tool, with arguments taken from the sandbox's own catalogue and from jobs
  this script makes first (an avatar video, a Video Agent session, a translation: the sandbox charges nothing);
  each answers without ``isError`` and with structured content that has the expected key (and, in the modern
  era, the server's name in the result's ``_meta``, which shows that era was negotiated);
* ``resources/list``, ``resources/templates/list``, and ``resources/read`` of the skill, a reference, a prompt
  file and a result schema (its text parses as JSON);
* ``prompts/list`` and ``prompts/get`` of every prompt, its required arguments filled in: the arguments appear
  in the messages;
* a call of a tool that does not exist must fail (the Inspector exits non-zero): this harness sees failures.

Every step is checked; the script prints one line per step and exits 1 if any failed.
Run: .venv/bin/python scripts/inspector.py [stdio|http ...] [--era legacy|modern ...]   (default: all four)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nodetools import BIN, http_server, install, node_env, sandbox_env, serve_command, stopwatch

Args = dict[str, Any]


class Failed(Exception):
    pass


class Inspector:
    """One ``inspector --cli`` invocation per MCP request, against one target (stdio command or HTTP URL)."""

    def __init__(self, env: dict[str, str], target: list[str], era: str) -> None:
        self.env, self.target, self.era = env, target, era

    def run(self, method: str, *options: str) -> subprocess.CompletedProcess[str]:
        command = [str(BIN / "inspector"), "--cli", "--format", "json", "-q", "--protocol-era", self.era,
                   "--method", method, *options, *self.target]
        try:
            return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=180)
        except subprocess.TimeoutExpired as e:
            raise Failed(f"{method}: no answer in {e.timeout} s") from None

    def __call__(self, method: str, *options: str) -> Any:
        done = self.run(method, *options)
        try:
            answer = json.loads(done.stdout)
        except json.JSONDecodeError:
            answer = None
        if done.returncode != 0 or not isinstance(answer, dict) or "result" not in answer:
            raise Failed(f"{method} exited {done.returncode}: {(done.stdout + done.stderr).strip()[:800]}")
        return answer["result"]

    def call_tool(self, name: str, arguments: Args) -> Any:
        result = self("tools/call", "--tool-name", name, "--tool-args-json", json.dumps(arguments))
        text = " ".join(c.get("text", "") for c in result.get("content", []))
        if result.get("isError"):
            raise Failed(f"{name}({arguments}) is an error: {text[:500]}")
        if not text or not isinstance(result.get("structuredContent"), dict):
            raise Failed(f"{name}: no text or no structured content: {json.dumps(result)[:500]}")
        # The modern era (2026-07-28) names the server in every result's _meta; the legacy one does not.
        if ("io.modelcontextprotocol/serverInfo" in result.get("_meta", {})) != (self.era == "modern"):
            raise Failed(f"{name}: the result's _meta does not match the {self.era} era: {result.get('_meta')}")
        return result["structuredContent"]


class Run:
    """Steps against one target: each prints ok/FAIL, a failure does not stop the others."""

    def __init__(self, label: str, inspector: Inspector) -> None:
        self.label, self.inspector, self.failures, self.passed = label, inspector, 0, 0
        self.found: Args = {}  # ids the steps take from earlier answers

    def step(self, name: str, check: Callable[[], str]) -> None:
        started = time.perf_counter()
        try:
            detail = check()
        except (Failed, KeyError, IndexError, TypeError, AssertionError) as e:
            self.failures += 1
            print(f"  FAIL {self.label} {name}: {type(e).__name__}: {e}", flush=True)
            return
        self.passed += 1
        print(f"  ok   {self.label} {name} ({time.perf_counter() - started:.1f} s){': ' + detail if detail else ''}",
              flush=True)

    def need(self, key: str) -> Any:
        if key not in self.found:
            raise Failed(f"needs {key}, which an earlier step did not provide")
        return self.found[key]


# Read-only tools → (arguments from what earlier steps found, a key the structured result must have).
READ_ONLY: dict[str, tuple[Callable[[Run], Args], str]] = {
    "list_avatars": (lambda r: {"limit": 5}, "items"),
    "get_avatar": (lambda r: {"avatar_id": r.need("avatar_id")}, "id"),
    "list_voices": (lambda r: {"language": "English", "limit": 5}, "items"),
    "design_voice": (lambda r: {"prompt": "A warm, calm narrator for product tutorials"}, "items"),
    "get_account": (lambda r: {}, "balance"),
    "list_agent_styles": (lambda r: {"limit": 5}, "items"),
    "get_agent_session": (lambda r: {"session_id": r.need("session_id")}, "status"),
    "wait_for_job": (lambda r: {"job_id": r.need("video_job"), "max_wait_s": 30}, "done"),
    "get_video": (lambda r: {"job_id": r.need("video_job")}, "status"),
    "list_videos": (lambda r: {"limit": 5}, "items"),
    "list_jobs": (lambda r: {"limit": 5}, "items"),
    "list_assets": (lambda r: {"limit": 5}, "items"),
    "list_templates": (lambda r: {}, "items"),
    "get_translation": (lambda r: {"translation_id": r.need("translation_id")}, "status"),
    "list_webhooks": (lambda r: {}, "items"),
    "write_script": (lambda r: {"topic": "Our new support hours", "duration_s": 30}, "scenes"),
    "read_reference": (lambda r: {"topic": "avatars", "max_chars": 600}, "sections"),
}


def check_tools(run: Run) -> None:
    inspector = run.inspector

    def tools_list() -> str:
        tools = inspector("tools/list")["tools"]
        read_only = set()
        for tool in tools:
            assert tool["inputSchema"].get("type") == "object", f"{tool['name']}: input schema is not an object"
            hint = tool.get("annotations", {}).get("readOnlyHint")
            assert isinstance(hint, bool), f"{tool['name']} has no readOnlyHint"
            if hint:
                read_only.add(tool["name"])
        unknown, gone = read_only - READ_ONLY.keys(), READ_ONLY.keys() - read_only
        assert not unknown, f"read-only tools without arguments in scripts/inspector.py READ_ONLY: {sorted(unknown)}"
        assert not gone, f"READ_ONLY names tools that are not listed as read-only: {sorted(gone)}"
        return f"{len(tools)} tools, {len(read_only)} read-only"

    def setup() -> str:
        # Jobs for the read-only tools that look one up (the sandbox renders a video in about 6 s).
        avatar = inspector.call_tool("list_avatars", {"limit": 1})["items"][0]["id"]
        run.found["avatar_id"] = avatar
        video = inspector.call_tool("create_avatar_video", {"avatar_id": avatar, "script": "Hello from the Inspector."})
        run.found["video_job"] = video["job_id"]
        run.found["session_id"] = inspector.call_tool(
            "create_agent_video", {"prompt": "A 20 second welcome for new support staff."})["session_id"]
        while not inspector.call_tool("wait_for_job", {"job_id": video["job_id"], "max_wait_s": 30})["done"]:
            pass
        translation = inspector.call_tool("translate_video", {"video": video["video_id"],
                                                              "languages": ["Spanish (Spain)"]})
        run.found["translation_id"] = translation["translation_ids"][0]
        return "create_avatar_video, create_agent_video, wait_for_job, translate_video"

    run.step("tools/list", tools_list)
    run.step("setup jobs", setup)
    for name, (arguments, key) in READ_ONLY.items():
        def call(name: str = name, arguments: Callable[[Run], Args] = arguments, key: str = key) -> str:
            result = inspector.call_tool(name, arguments(run))
            assert key in result, f"{name}: no {key!r} in {sorted(result)}"
            return ""
        run.step(f"tools/call {name}", call)

    def unknown_tool() -> str:
        done = inspector.run("tools/call", "--tool-name", "no_such_tool", "--tool-args-json", "{}")
        said = done.stdout + done.stderr
        assert done.returncode != 0 and "no_such_tool" in said, f"exit {done.returncode}: {said[:300]}"
        return f"exit {done.returncode}: {said.strip()[:120]}"

    run.step("tools/call of a missing tool fails", unknown_tool)


def check_resources(run: Run) -> None:
    inspector = run.inspector

    def listing() -> str:
        uris = [r["uri"] for r in inspector("resources/list")["resources"]]
        assert "heygen://skill" in uris, uris
        run.found["reference"] = next(u for u in uris if u.startswith("heygen://references/"))
        templates = [t["uriTemplate"] for t in inspector("resources/templates/list")["resourceTemplates"]]
        assert "heygen://schemas/{tool}" in templates, templates
        return f"{len(uris)} resources, {len(templates)} templates"

    def read(uri: str | Callable[[], str], mime: str) -> Callable[[], str]:
        def check() -> str:
            target = uri if isinstance(uri, str) else uri()
            contents = inspector("resources/read", "--uri", target)["contents"]
            text = contents[0]["text"]
            assert contents[0]["uri"] == target and contents[0].get("mimeType") == mime and text.strip(), contents[0]
            if mime == "application/json":
                json.loads(text)
            return f"{len(text)} chars"
        return check

    run.step("resources/list", listing)
    run.step("resources/read heygen://skill", read("heygen://skill", "text/markdown"))
    run.step("resources/read a reference", read(lambda: run.need("reference"), "text/markdown"))
    run.step("resources/read heygen://prompts/optimize_video_prompt",
             read("heygen://prompts/optimize_video_prompt", "text/markdown"))
    run.step("resources/read heygen://schemas/list_voices", read("heygen://schemas/list_voices", "application/json"))


def check_prompts(run: Run) -> None:
    inspector = run.inspector

    def listing() -> str:
        run.found["prompts"] = inspector("prompts/list")["prompts"]
        return f"{len(run.found['prompts'])} prompts"

    run.step("prompts/list", listing)
    for prompt in run.found.get("prompts", []):
        def get(prompt: Args = prompt) -> str:
            values = {a["name"]: f"sample-{a['name']}-value" for a in prompt.get("arguments", []) if a.get("required")}
            options = ["--prompt-args", *(f"{k}={v}" for k, v in values.items())] if values else []
            messages = inspector("prompts/get", "--prompt-name", prompt["name"], *options)["messages"]
            text = " ".join(m["content"].get("text", "") for m in messages)
            missing = [v for v in values.values() if v not in text]
            assert messages and not missing, f"arguments not in the messages: {missing}"
            return f"{len(messages)} message(s), {len(text)} chars"
        run.step(f"prompts/get {prompt['name']}", get)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("transports", nargs="*", help="stdio, http (default: both)")
    parser.add_argument("--era", action="append", choices=["legacy", "modern"], help="default: both")
    options = parser.parse_args()
    if set(options.transports) - {"stdio", "http"}:
        parser.error(f"transports are stdio and http, not {options.transports}")
    transports, eras = options.transports or ["stdio", "http"], options.era or ["legacy", "modern"]
    install()
    failures = passed = 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for transport in transports:
            for era in eras:
                work = tmp / f"{transport}-{era}"
                work.mkdir()
                env = node_env(sandbox_env(work), work)
                with stopwatch(f"inspector {transport} {era}"):
                    if transport == "stdio":
                        target = [*(f"-e{k}={env[k]}" for k in sorted(env) if k.startswith("HEYGEN_")),
                                  "--", *serve_command()]
                        run = Run(f"{transport}/{era}", Inspector(env, target, era))
                        for check in (check_tools, check_resources, check_prompts):
                            check(run)
                    else:
                        with http_server(work) as url:
                            run = Run(f"{transport}/{era}", Inspector(env, ["--server-url", url, "--transport", "http"],
                                                                      era))
                            for check in (check_tools, check_resources, check_prompts):
                                check(run)
                failures += run.failures
                passed += run.passed
    print(f"scripts/inspector.py: {passed} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
