"""heygen-studio side by side with the two published HeyGen MCP servers on PyPI, in one run (issue #10 §6).

The peers, ``heygen-mcp`` 0.0.3 (HeyGen's own) and ``heygen-mcp-sbroenne`` 0.3.1 (the community fork), are
installed as published into throwaway venvs (Python >= 3.12 for ``heygen-mcp``; found on PATH, in pyenv, or
through ``uv``). Both import ``mcp.server.fastmcp``, which mcp 2.x removed: when a peer does not start as
published, the output says so, and it is measured with ``mcp<2`` (the SDK it was written for) instead.

Figures, each where it applies (n/a says why not):

* cold start: spawn → initialize → ``tools/list`` over stdio, median of interleaved runs (``budget.cold_start``),
  and, for scale, that of a one-tool ``MCPServer`` on this machine's mcp (``budget.BASELINE``);
* ``tools/list`` bytes on the wire and the tool count;
* a typical catalogue page: ``list_voices`` and ``list_avatars`` default pages against the sandbox, the whole
  result's bytes on the wire and the text a model reads. The peers have no base-URL setting (``api.heygen.com``
  is hard-coded) and call v2 endpoints the sandbox does not serve, so they cannot be pointed at it;
* per-call overhead: ``get_account`` through ``heygen-studio serve`` (stdio, the sandbox on a loopback port) over
  the raw ``GET /v3/users/me`` it makes, sent with ``httpx2`` to the same sandbox; medians and their ratio;
* upload: throughput and the client's peak RSS growth for a sparse file, heygen-studio's upload path against raw
  ``httpx2`` streaming (``upload_rss.measure_in_child``);
* 200 concurrent ``wait_for_job`` calls in one process: CPU seconds and polls per job (``webhooks``).

Run: .venv/bin/python bench/compare.py [--runs 7] [--calls 60] [--upload-mib 1024] [--waits 200] [--no-peers]
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from budget import BASELINE, cold_start, listing_bytes, result_text
from upload_rss import KEY, measure_in_child, sandbox_on_port
from webhooks import concurrent_waits

OURS = "heygen-studio"


@dataclass
class Peer:
    package: str
    version: str
    command: str
    min_python: tuple[int, int]
    params: StdioServerParameters | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.package} {self.version}"


PEERS = [Peer("heygen-mcp", "0.0.3", "heygen-mcp", (3, 12)),
         Peer("heygen-mcp-sbroenne", "0.3.1", "heygen-mcp-sbroenne", (3, 10))]


def python_version(python: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = done.stdout.split()
    return (int(parts[0]), int(parts[1])) if done.returncode == 0 and len(parts) == 2 else None


def find_python(minimum: tuple[int, int]) -> str | None:
    """The newest Python >= ``minimum`` on PATH, in pyenv, through ``uv python find``, or this one."""
    candidates = [shutil.which(f"python3.{n}") for n in range(14, minimum[1] - 1, -1)]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")), reverse=True)
    if shutil.which("uv"):
        found = subprocess.run(["uv", "python", "find", f">={minimum[0]}.{minimum[1]}"], capture_output=True, text=True)
        candidates.append(found.stdout.strip() if found.returncode == 0 else None)
    candidates.append(sys.executable)
    versions = [(v, c) for c in candidates if c and (v := python_version(c)) and v >= minimum]
    return max(versions)[1] if versions else None


def starts(venv: Path, module: str = "heygen_mcp.server") -> str | None:
    """None when the peer's server module imports, else the last line of the error."""
    done = subprocess.run([str(venv / "bin/python"), "-c", f"import {module}"], capture_output=True, text=True)
    return None if done.returncode == 0 else (done.stderr.strip().splitlines() or ["?"])[-1].split(". ")[0][:160]


def install(peer: Peer, root: Path, env: dict[str, str]) -> None:
    python = find_python(peer.min_python)
    if python is None:
        peer.notes.append(f"not installed: needs Python >= {'.'.join(map(str, peer.min_python))}, none found")
        return
    venv = root / peer.package
    pip = [str(venv / "bin/python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    try:
        subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([*pip, f"{peer.package}=={peer.version}"], check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as e:
        peer.notes.append(f"not installed: pip said {(e.stderr or '').strip().splitlines()[-1:]}")
        return
    peer.notes.append(f"installed from PyPI with Python {'.'.join(map(str, python_version(python) or ()))}")
    if (error := starts(venv)) is not None:
        if "mcp" not in error:
            peer.notes.append(f"does not start: {error}")
            return
        subprocess.run([*pip, "mcp<2"], check=True, capture_output=True)
        version = "import importlib.metadata as m; print(m.version('mcp'))"
        pinned = subprocess.run([str(venv / "bin/python"), "-c", version], capture_output=True, text=True).stdout
        pinned = pinned.strip()
        peer.notes.append(f"as published it does not start (mcp 2.x): {error}; measured with mcp {pinned} (mcp<2)")
        if (error := starts(venv)) is not None:
            peer.notes.append(f"does not start with mcp<2 either: {error}")
            return
    peer.params = StdioServerParameters(command=str(venv / "bin" / peer.command), args=[], cwd=str(root),
                                        env={**env, "HEYGEN_API_KEY": "bench-not-a-real-key"})


async def listing(params: StdioServerParameters) -> tuple[int, int]:
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet), mode="legacy") as client:
            tools = await client.list_tools()
            return listing_bytes(tools), len(tools.tools)


async def catalogue(params: StdioServerParameters) -> dict[str, tuple[int, int, int]]:
    """Default pages of list_voices and list_avatars: (bytes of the result on the wire, text bytes, rows)."""
    pages = {}
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet), mode="legacy") as client:
            for tool in ("list_voices", "list_avatars"):
                result = await client.call_tool(tool, {})
                assert not result.is_error, result.content
                wire = result.model_dump_json(by_alias=True, exclude_none=True)
                pages[tool] = (len(wire.encode()), result_text(result), len((result.structured_content or {})["items"]))
    return pages


async def overhead(params: StdioServerParameters, port: int, calls: int) -> tuple[float, float]:
    """Median seconds of get_account through the server and of the raw GET /v3/users/me it makes, interleaved."""
    tool_t: list[float] = []
    raw_t: list[float] = []
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet), mode="legacy") as client, \
                httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"X-Api-Key": KEY}) as http:
            for n in range(calls + 5):  # the first five warm both (imports, connection pools)
                started = time.perf_counter()
                result = await client.call_tool("get_account", {})
                took = time.perf_counter() - started
                assert not result.is_error, result.content
                started = time.perf_counter()
                (await http.get("/v3/users/me")).raise_for_status()
                raw = time.perf_counter() - started
                if n >= 5:
                    tool_t.append(took)
                    raw_t.append(raw)
    return statistics.median(tool_t), statistics.median(raw_t)


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


async def main(options: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
        sandbox = {**env, "HEYGEN_SANDBOX": "1", "HEYGEN_OUTPUT_DIR": str(tmp / "out"),
                   "HEYGEN_STATE_DIR": str(tmp / "state")}
        ours = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"], env=sandbox)
        peers = [] if options.no_peers else PEERS
        for peer in peers:
            started = time.perf_counter()
            await anyio.to_thread.run_sync(install, peer, tmp / "peers", env)
            print(f"{peer.label}: {'; '.join(peer.notes)} ({time.perf_counter() - started:.0f} s)", flush=True)
        running = [(OURS, ours)] + [(p.label, p.params) for p in peers if p.params is not None]
        columns = [OURS] + [p.label for p in peers]

        def na(why: str | dict[str, str]) -> dict[str, str]:
            """The peers' cells for a figure that does not apply to them, and why (per package, or for all)."""
            def cell(p: Peer) -> str:
                reason = why if isinstance(why, str) else why[p.package]
                return ("n/a" + (f" ({reason})" if reason else "")) if p.params is not None else "not running"
            return {p.label: cell(p) for p in peers}

        rows: list[list[str]] = [["", *columns]]

        def row(figure: str, values: dict[str, str]) -> None:
            rows.append([figure, *(values.get(c, "not running") for c in columns)])

        script = tmp / "one_tool.py"
        script.write_text(BASELINE)
        sdk = StdioServerParameters(command=sys.executable, args=[str(script)], env=env)
        timed = [*running, ("sdk", sdk)]
        times: dict[str, list[float]] = {name: [] for name, _ in timed}
        for _, params in timed:
            await cold_start(params)  # warm the OS file cache for each before measuring
        for _ in range(options.runs):
            for name, params in timed:
                times[name].append(await cold_start(params))
        row(f"cold start (spawn → initialize → tools/list), median of {options.runs}",
            {name: f"{statistics.median(t):.2f} s" for name, t in times.items()})
        row("   a one-tool MCPServer (mcp 2.3), started the same way",
            {OURS: f"{statistics.median(times['sdk']):.2f} s", **na("")})

        lists = {name: await listing(params) for name, params in running}
        every = await listing(StdioServerParameters(command=ours.command, args=ours.args,
                                                    env={**sandbox, "HEYGEN_TOOLSETS": "all"}))
        row("tools/list bytes (tools)", {name: f"{b:,} ({n})" for name, (b, n) in lists.items()})
        row("tools/list bytes, every toolset (tools)", {OURS: f"{every[0]:,} ({every[1]})", **na("one set")})

        pages = await catalogue(ours)
        for tool, (wire, text, items) in pages.items():
            row(f"{tool} default page: result bytes / text bytes (rows)",
                {OURS: f"{wire:,} / {text:,} ({items})", **na("no base-URL setting")})

        with sandbox_on_port() as port:
            remote = StdioServerParameters(command=ours.command, args=ours.args, env={
                **env, "HEYGEN_API_KEY": KEY, "HEYGEN_BASE_URL": f"http://127.0.0.1:{port}",
                "HEYGEN_OUTPUT_DIR": str(tmp / "out"), "HEYGEN_STATE_DIR": str(tmp / "state-remote")})
            tool_s, raw_s = await overhead(remote, port, options.calls)
            row(f"get_account over raw GET /v3/users/me, median of {options.calls}",
                {OURS: f"{tool_s * 1000:.1f} ms / {raw_s * 1000:.1f} ms = {tool_s / raw_s:.1f}×",
                 **na("no base-URL setting")})
            up = {how: await anyio.to_thread.run_sync(measure_in_child, how, port, options.upload_mib)
                  for how in ("ours", "raw")}
            def upload(f: dict[str, float]) -> str:
                return f"{f['mib_per_s']:.0f} MiB/s, peak {f['peak_mb']:.0f} MB (+{f['growth_mb']:.1f})"

            row(f"upload {options.upload_mib} MiB: MiB/s, client peak RSS (growth in the upload)",
                {OURS: upload(up["ours"]),
                 **na({"heygen-mcp": "no upload tool", "heygen-mcp-sbroenne": "upload.heygen.com hard-coded; "
                                                                              "its source reads the whole file"})})
            row("   the same with raw httpx2 streaming", {OURS: upload(up["raw"]), **na("")})

        waits = await concurrent_waits(tmp, options.waits)
        row(f"{options.waits} concurrent wait_for_job: completed, CPU s, polls per job",
            {OURS: f"{int(waits['completed'])}/{options.waits}, {waits['cpu_s']:.2f} CPU s, "
                   f"{waits['polls_per_job']:.1f} polls", **na("no wait tool; the client polls")})

        print()
        print(table(rows))
        for peer in peers:
            print(f"{peer.label}: {'; '.join(peer.notes)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="cold starts per server (default 7)")
    parser.add_argument("--calls", type=int, default=60, help="calls for the per-call overhead (default 60)")
    parser.add_argument("--upload-mib", type=int, default=1024, help="size of the uploaded file (default 1024)")
    parser.add_argument("--waits", type=int, default=200, help="concurrent waits (default 200)")
    parser.add_argument("--no-peers", action="store_true", help="skip installing and measuring the peers")
    anyio.run(main, parser.parse_args())
