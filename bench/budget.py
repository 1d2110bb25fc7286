"""Token and start-up budgets (issues #3 and #9 §7), printed as figures.

* ``tools/list`` of the default toolset ≤ 16 KB of JSON on the wire; of ``HEYGEN_TOOLSETS=all`` ≤ 1 KB per tool;
* one ``list_voices`` page (20 rows) ≤ 3 KB of structured content (2.5 KB until issue #18 §3 gave every row
  whether it takes an accent, ``locales``);
* result text (what a model reads): a ``list_avatars`` / ``list_voices`` row ≤ 150 bytes on average; the
  whole avatar flow (list_avatars, list_voices, create_avatar_video, wait_for_job until done, download_video)
  ≤ 3 KB;
* cold start (spawn → initialized → tools/list) at most 0.08 s slower than a one-tool MCPServer
  started the same way, measured side by side (interleaved runs, medians) in one run (issue #15 §5;
  ``bench/waits.py`` prints it beside the shell's start-up and the upload ratio).

Run: .venv/bin/python bench/budget.py [runs]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, ListToolsResult, TextContent

BASELINE = textwrap.dedent('''
    from mcp.server import MCPServer
    server = MCPServer("baseline", version="0")

    @server.tool()
    def ping() -> str:
        """Answer pong."""
        return "pong"

    server.run()
''')


async def cold_start(params: StdioServerParameters) -> float:
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet), mode="legacy") as client:
            await client.list_tools()
            return time.perf_counter() - started


def listing_bytes(tools: ListToolsResult) -> int:
    """Bytes of a ``tools/list`` result as a client receives it: the result as sent on the wire."""
    return len(ListToolsResult(tools=tools.tools).model_dump_json(by_alias=True, exclude_none=True).encode())


def result_text(result: CallToolResult) -> int:
    """Bytes of text a model reads from a result (its text items; a resource link is not text)."""
    return sum(len(item.text.encode()) for item in result.content if isinstance(item, TextContent))


async def sizes(env: dict[str, str]) -> tuple[int, int, int]:
    """tools/list bytes on the wire, its tool count, and the structured bytes of a 20-row list_voices page."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"], env=env)
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet)) as client:
            tools = await client.list_tools()
            page = await client.call_tool("list_voices", {"limit": 20})
            return listing_bytes(tools), len(tools.tools), len(json.dumps(page.structured_content).encode())


async def result_texts(env: dict[str, str]) -> tuple[dict[str, float], list[tuple[str, int]]]:
    """Average text bytes per catalogue row (list_avatars, list_voices: default pages), and the avatar flow's
    result text, call by call."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"], env=env)
    rows: dict[str, float] = {}
    flow: list[tuple[str, int]] = []
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet)) as client:
            async def call(name: str, args: dict[str, object]) -> CallToolResult:
                result = await client.call_tool(name, args)
                assert not result.is_error, result.content
                flow.append((name, result_text(result)))
                return result

            avatars = await call("list_avatars", {})
            voices = await call("list_voices", {"language": "English"})
            for name, page in (("list_avatars", avatars), ("list_voices", voices)):
                rows[name] = result_text(page) / len((page.structured_content or {})["items"])
            look = (avatars.structured_content or {})["items"][0]["id"]
            voice = (voices.structured_content or {})["items"][0]["voice_id"]
            job = await call("create_avatar_video", {
                "avatar_id": look, "voice_id": voice, "title": "Budget flow",
                "script": "Hello! This is a short update from the support team. Thanks for watching."})
            job_id = (job.structured_content or {})["job_id"]
            while not ((await call("wait_for_job", {"job_id": job_id})).structured_content or {})["done"]:
                pass
            await call("download_video", {"job_id": job_id})
    return rows, flow


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
        env.update(HEYGEN_OUTPUT_DIR=tmp)
        sandbox = {**env, "HEYGEN_SANDBOX": "1", "HEYGEN_STATE_DIR": str(Path(tmp) / "state")}
        default_bytes, default_n, page_bytes = await sizes(sandbox)
        all_bytes, all_n, _ = await sizes({**sandbox, "HEYGEN_TOOLSETS": "all"})
        print(f"tools/list, default toolset: {default_bytes} bytes of JSON, {default_n} tools "
              f"(budget 16384: {verdict(default_bytes <= 16384)})")
        print(f"tools/list, HEYGEN_TOOLSETS=all: {all_bytes} bytes, {all_n} tools, {all_bytes / all_n:.0f} bytes per "
              f"tool (budget 1024 per tool: {verdict(all_bytes <= 1024 * all_n)})")
        print(f"list_voices page of 20: {page_bytes} bytes of structured content "
              f"(budget 3072: {verdict(page_bytes <= 3072)})")
        rows, flow = await result_texts(sandbox)
        for name, average in rows.items():
            print(f"{name} result text: {average:.0f} bytes per row (budget 150: {verdict(average <= 150)})")
        total = sum(n for _, n in flow)
        steps = ", ".join(f"{name} {n}" for name, n in flow)
        print(f"avatar flow result text: {total} bytes ({steps}) (budget 3072: {verdict(total <= 3072)})")

        script = Path(tmp) / "baseline.py"
        script.write_text(BASELINE)
        ours = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"], env=env)
        base = StdioServerParameters(command=sys.executable, args=[str(script)], env=env)
        ours_t, base_t = [], []
        await cold_start(ours)  # warm the OS file cache for both before measuring
        await cold_start(base)
        for _ in range(runs):
            base_t.append(await cold_start(base))
            ours_t.append(await cold_start(ours))
        ours_m, base_m = statistics.median(ours_t), statistics.median(base_t)
        delta = ours_m - base_m
        print(f"cold start, median of {runs}: heygen-studio {ours_m:.3f} s, one-tool MCPServer {base_m:.3f} s, "
              f"difference {delta:+.3f} s (budget +0.080 s: {'PASS' if delta <= 0.08 else 'FAIL'})")


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 7)
