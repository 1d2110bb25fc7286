"""``heygen-studio demo``: the whole workflow through a real MCP client session over stdio.

It starts ``heygen-studio serve`` as a child process with the embedded sandbox (no API key, no
credits, no network), then: list an avatar and a voice → create a short avatar video → wait
with visible progress → download the MP4 → print where it is.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import anyio

from .settings import Settings

SCRIPT = "Hi! This video was made by heygen-studio, end to end, on the offline sandbox."


def _say(text: str) -> None:
    print(text, flush=True)


async def _call(client: Any, name: str, args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    result = await client.call_tool(name, args, **kwargs)
    if result.is_error:
        raise RuntimeError(f"{name} failed: {result.content[0].text if result.content else '?'}")
    return result.structured_content or {}


async def _demo(settings: Settings) -> str:
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    env = {k: v for k, v in os.environ.items() if k.startswith(("PATH", "HOME", "LANG", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HEYGEN_SANDBOX="1", HEYGEN_OUTPUT_DIR=str(settings.heygen_output_dir), HEYGEN_API_KEY="")
    if settings.heygen_state_dir is not None:  # the demo's server keeps its jobs where the user said
        env["HEYGEN_STATE_DIR"] = str(settings.heygen_state_dir)
    params = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"], env=env)
    _say("Starting heygen-studio (MCP over stdio) on the embedded HeyGen sandbox: no key, no credits.")
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet)) as client:
            tools = await client.list_tools()
            _say(f"Connected: {len(tools.tools)} tools.")
            avatars = await _call(client, "list_avatars", {"kind": "looks", "limit": 1})
            look = avatars["items"][0]
            voices = await _call(client, "list_voices", {"language": "en", "limit": 1})
            voice = voices["items"][0]
            _say(f"Avatar: {look['name']} ({look['id']})   Voice: {voice['name']} ({voice['voice_id']})")
            job = await _call(client, "create_avatar_video", {
                "avatar_id": look["id"], "voice_id": voice["voice_id"], "script": SCRIPT,
                "title": "heygen-studio demo", "resolution": "720p",
            })
            _say(f"Submitted {job['job_id']}; waiting for the render…")
            started = time.monotonic()

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                width = 30
                filled = int(width * progress / (total or 100))
                print(f"\r  [{'#' * filled}{'.' * (width - filled)}] {progress:5.1f}%  {message or ''}   ",
                      end="", flush=True)

            status: dict[str, Any] = {"done": False}
            while not status.get("done"):
                status = await _call(client, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 20},
                                     progress_callback=on_progress)
            print()
            if status["status"] != "completed":
                raise RuntimeError(f"render {status['status']}: {status.get('failure')}")
            _say(f"Rendered in {time.monotonic() - started:.1f} s. Downloading…")
            saved = await _call(client, "download_video", {"job_id": job["job_id"], "filename": "demo.mp4"})
            return str(saved["path"])


def run_demo(settings: Settings) -> int:
    try:
        path = anyio.run(_demo, settings)
    except Exception as exc:  # the demo is a command line: one clear line, no traceback
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    with open(path, "rb") as fh:
        head = fh.read(12)
    kind = "an MP4" if head[4:8] == b"ftyp" else "a file"
    _say(f"Done: {path} ({os.path.getsize(path)} bytes, {kind}).")
    return 0
