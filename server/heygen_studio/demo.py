"""``heygen-studio demo``: the whole workflow through a real MCP client session over stdio.

It starts ``heygen-studio serve`` as a child process with the embedded sandbox (no API key, no
credits, no network), then: list an avatar and a voice → create a short avatar video → wait
with visible progress → download the MP4 → print where it is and what to do next. A failure is one
line naming its real cause (not the task group that carried it) and, where there is one, the fix.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

import anyio

from .settings import Settings

SCRIPT = "Hi! This video was made by heygen-studio, end to end, on the offline sandbox."


def _say(text: str) -> None:
    print(text, flush=True)


async def _call(client: Any, name: str, args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    result = await client.call_tool(name, args, **kwargs)
    if result.is_error:
        text = result.content[0].text if result.content else "no details"
        raise RuntimeError(f"{name} failed: {text.removeprefix(f'Error executing tool {name}: ')}")
    return result.structured_content or {}


async def _demo(settings: Settings, errlog: TextIO) -> str:
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    env = {k: v for k, v in os.environ.items() if k.startswith(("PATH", "HOME", "LANG", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HEYGEN_SANDBOX="1", HEYGEN_OUTPUT_DIR=str(settings.heygen_output_dir), HEYGEN_API_KEY="")
    if settings.heygen_state_dir is not None:  # the demo's server keeps its jobs where the user said
        env["HEYGEN_STATE_DIR"] = str(settings.heygen_state_dir)
    env.update({k: v for k, v in os.environ.items() if k in ("HEYGEN_SANDBOX_RENDER_S", "HEYGEN_POLL_INTERVAL")})
    params = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"], env=env)
    _say("Starting heygen-studio (MCP over stdio) on the embedded HeyGen sandbox: no key, no credits.")
    # the server's stderr goes to ``errlog``: shown only when the demo fails
    async with Client(stdio_client(params, errlog=errlog)) as client:
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

        progress = Progress(sys.stdout)
        status: dict[str, Any] = {"done": False}
        while not status.get("done"):
            status = await _call(client, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 20},
                                 progress_callback=progress)
        progress.end()
        if status["status"] != "completed":
            raise RuntimeError(f"render {status['status']}: {status.get('failure')}")
        _say(f"Rendered in {time.monotonic() - started:.1f} s. Downloading…")
        saved = await _call(client, "download_video", {"job_id": job["job_id"], "filename": "demo.mp4"})
        return str(saved["path"])


class Progress:
    """The render's progress: a bar redrawn in place (``\\r``) on a terminal; in a file or a pipe, a plain line for
    each new phase and one every ``EVERY_S`` seconds (a log never gets carriage returns)."""

    EVERY_S = 10.0

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.bar = out.isatty()
        self.started = time.monotonic()
        self.shown: tuple[str | None, float] = (None, 0.0)  # the phase last printed, and when

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        percent = 100 * progress / (total or 100)
        if self.bar:
            width = 30
            filled = int(width * percent / 100)
            print(f"\r  [{'#' * filled}{'.' * (width - filled)}] {percent:5.1f}%  {message or ''}   ", end="",
                  file=self.out, flush=True)
            return
        elapsed = time.monotonic() - self.started
        phase = message or ""
        if phase != self.shown[0] or elapsed - self.shown[1] >= self.EVERY_S:
            self.shown = (phase, elapsed)
            print(f"  {percent:5.1f}%  {phase} ({elapsed:.0f} s)".rstrip(), file=self.out, flush=True)

    def end(self) -> None:
        if self.bar:
            print(file=self.out)


class DemoError(Exception):
    """A failure the demo can explain: ``str()`` is the cause and the fix."""


def root_cause(exc: BaseException) -> BaseException:
    """The error that started it: through exception groups (a task group's wrapping) to their first real leaf."""
    while isinstance(exc, BaseExceptionGroup):
        leaves = [e for e in exc.exceptions if not isinstance(e, asyncio.CancelledError)]
        exc = (leaves or list(exc.exceptions))[0]
    return exc


def describe(exc: BaseException) -> str:
    """One line: the cause's own words, with its kind where the words alone do not say it."""
    cause = root_cause(exc)
    text = " ".join(str(cause).split()) or "no details"
    return text if isinstance(cause, (DemoError, RuntimeError)) else f"{type(cause).__name__}: {text}"


def check_output_folder(folder: Path) -> None:
    """The video goes here: say now (not after the render) if it cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise DemoError(f"the output folder {folder} cannot be written ({exc.strerror or exc}); set "
                        "HEYGEN_OUTPUT_DIR to a folder you can write") from None


def command() -> str:
    """How this install's ``heygen-studio`` is started, for the next-step hint."""
    beside = Path(sys.executable).with_name("heygen-studio")
    if beside.exists():
        return str(beside)
    return shutil.which("heygen-studio") or f"{sys.executable} -m heygen_studio"


def next_steps(path: str) -> str:
    return (f"Next: play {path}. To make videos from your assistant, add an MCP server that runs "
            f"'{command()} serve' (README: 'Use it from an MCP client'), with HEYGEN_SANDBOX=1 in its "
            "environment to stay offline or HEYGEN_API_KEY for real videos.")


def server_said(errlog: TextIO) -> str | None:
    """The server's last words on stderr (not its start line): why it stopped, when it did."""
    errlog.seek(0)
    lines = [line.strip() for line in errlog.read().splitlines() if line.strip()]
    last = [line for line in lines if not line.startswith("INFO ") and not line.endswith("Ctrl-C stops it.")]
    return last[-1][:500] if last else None


def run_demo(settings: Settings) -> int:
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
        try:
            check_output_folder(settings.heygen_output_dir)
            path = anyio.run(_demo, settings, errlog)
        except Exception as exc:  # the demo is a command line: one clear line, no traceback
            cause = describe(exc)
            if not isinstance(root_cause(exc), (DemoError, RuntimeError)) and (said := server_said(errlog)):
                cause += f"; the server said: {said}"
            print(f"demo failed: {cause}", file=sys.stderr)
            return 1
    _say(done_line(path))
    _say(next_steps(path))
    return 0


def done_line(path: str) -> str:
    """Where the video is and what it is: the sandbox's sample clip (no render extra) said plainly, with the one
    command that installs the extra; a render without speech said to be silent."""
    from . import extras
    from .sandbox.media import sample

    data = Path(path).read_bytes()
    done = f"Done: {path} ({len(data)} bytes"
    fix = ("For sandbox videos that show what you ask for (size, length, captions and speech), install it: "
           f"{extras.install_command()}")
    if data == sample("sample.mp4"):
        missing = extras.video_missing()
        why = f" ({missing} is missing)" if missing else ""
        return (f"{done}): this is {extras.SAMPLE_CLIP}, the same for every video, not a render of this one: the "
                f"render extra is not installed{why}. {fix}")
    kind = "an MP4" if data[4:8] == b"ftyp" else "a file"
    if silent := extras.speech_missing():
        return f"{done}, {kind}), silent: the render extra is not complete ({silent} is missing). {fix}"
    return f"{done}, {kind})."
