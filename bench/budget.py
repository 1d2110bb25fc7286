"""Token and start-up budgets (issue #3), printed as figures.

* whole ``tools/list`` ≤ 20 KB of JSON;
* one ``list_voices`` page (20 rows) ≤ 2.5 KB;
* cold start (spawn → initialized → tools/list) at most 0.12 s slower than a one-tool MCPServer
  started the same way, measured side by side (interleaved runs, medians) in one run.

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
from mcp.types import ListToolsResult

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


async def sizes(env: dict[str, str]) -> tuple[int, int]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"], env=env)
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet)) as client:
            tools = await client.list_tools()  # the bytes a client receives: the result as sent on the wire
            listing = ListToolsResult(tools=tools.tools).model_dump_json(by_alias=True, exclude_none=True)
            page = await client.call_tool("list_voices", {"limit": 20})
            return len(listing.encode()), len(json.dumps(page.structured_content).encode())


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
        env.update(HEYGEN_OUTPUT_DIR=tmp)
        tools_bytes, page_bytes = await sizes({**env, "HEYGEN_SANDBOX": "1"})
        print(f"tools/list: {tools_bytes} bytes of JSON (budget 20480: {'PASS' if tools_bytes <= 20480 else 'FAIL'})")
        print(f"list_voices page of 20: {page_bytes} bytes (budget 2560: {'PASS' if page_bytes <= 2560 else 'FAIL'})")

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
              f"difference {delta:+.3f} s (budget +0.120 s: {'PASS' if delta <= 0.12 else 'FAIL'})")


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 7)
