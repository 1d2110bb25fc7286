"""The shell's way to the paid tools: the very same MCP server, run in this process, reached by an MCP client.

``create_server(settings)`` is what ``heygen-studio serve`` serves; an in-memory ``mcp.Client`` on it calls
the tools exactly as Claude or Cursor do (the SDK's in-process connection: no stdio, no JSON framing). So the
shell gets the tools' guards, job store, idempotency, cost checks and error texts unchanged, and the tools'
progress notifications drive its bars. A cost confirmation (elicitation) is answered here: on the sandbox
(HEYGEN_SANDBOX=1, from the shell's own settings) nothing costs money, so it is not asked; else ``--yes``, a
y/N question on a terminal (a no reads "Not created."), or, with no terminal to ask on, a decline with the flag
to pass.

The other commands reach their tools without MCP (``shell.direct``); both ways answer ``Tools.call`` alike.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, Protocol

from .. import startup

if TYPE_CHECKING:  # not at run time: ``cli.py`` imports this to build its parser, before it can catch Ctrl-C
    from ..settings import Settings

EXIT_OK, EXIT_ERROR, EXIT_TIMEOUT = 0, 1, 4  # done; an error (one line on stderr); a wait ran out, job running
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT
INTERRUPTED = "interrupted; a job already created keeps running (`heygen-studio jobs` lists it)."
ProgressFn = Callable[[float, float | None, str | None], Awaitable[None]]

# Tool names in a tool's text, as the shell command that does the same (the tools speak to a model).
_SHELL_WORDS = [
    (re.compile(r"wait_for_job\('([^']+)'\)"), r"`heygen-studio video wait \1`"),
    (re.compile(r"download_video\('([^']+)'\)"), r"`heygen-studio video download \1`"),
    (re.compile(r"\bwait_for_job\b"), "`heygen-studio video wait <job id>`"),
    (re.compile(r"\bdownload_video\b"), "`heygen-studio video download <job id>`"),
    (re.compile(r"\blist_avatars\([^)]*\)|\blist_avatars\b"), "`heygen-studio avatars`"),
    (re.compile(r"\blist_voices\([^)]*\)|\blist_voices\b"), "`heygen-studio voices`"),
    (re.compile(r"\blist_jobs\b"), "`heygen-studio jobs`"),
    (re.compile(r"\bproduce_video\b"), "`heygen-studio produce`"),
    (re.compile(r"\bdry_run=true\b"), "--dry-run"),
    (re.compile(r"\bdry_run\b"), "--dry-run"),
    (re.compile(r"(?<![A-Z_])max_credits\b"), "--max-credits"),
]


def in_shell_words(text: str) -> str:
    """A tool's message on one line, with the tool calls it suggests written as shell commands."""
    text = " ".join(text.split())
    for pattern, replacement in _SHELL_WORDS:
        text = pattern.sub(replacement, text)
    return text


class Tools(Protocol):
    """A way to the tools (``Session``, ``direct.Direct``): a tool's structured result by its name and arguments."""

    settings: Settings

    async def call(self, tool: str, arguments: dict[str, Any], progress: ProgressFn | None = None
                   ) -> dict[str, Any]: ...


class ShellError(Exception):
    """A failure to report as one line on stderr (exit 1); ``str()`` is the line, next step included."""


class Declined(ShellError):
    """The person answered no to the cost question: nothing was created (exit 1, said to the person)."""


NOT_CREATED = "Not created. Nothing was sent or charged."
_ESTIMATE = re.compile(r"Estimated cost: about (\$[\d,.]+)")


class Asker:
    """Answers the tools' cost question (MCP elicitation): on the sandbox nothing costs money, so it accepts and
    says so (``note``); --yes accepts; on a terminal the person is asked y/N; with no terminal nobody can answer,
    so it declines and remembers the question for the error line."""

    def __init__(self, yes: bool, *, free: bool = False, note: Callable[[str], None] | None = None) -> None:
        self.yes = yes
        self.free = free  # the sandbox (HEYGEN_SANDBOX=1): no money is spent, whatever the estimate
        self.note = note
        self.unasked: str | None = None
        self.declined = False  # the person answered no
        self.live: Any = None  # a progress display on the terminal, paused while the person is asked

    async def __call__(self, context: Any, params: Any) -> Any:
        from mcp.types import ElicitResult

        question = str(getattr(params, "message", ""))
        if self.free:
            found = _ESTIMATE.search(question)
            real = f" (with the real API it would cost about {found.group(1)})" if found else ""
            if self.note is not None:
                if self.live is not None:
                    self.live.pause()
                try:
                    self.note(f"The sandbox is free: nothing to confirm or pay{real}.")
                finally:
                    if self.live is not None:
                        self.live.resume()
            return ElicitResult(action="accept", content={"pay": True})
        if self.yes:
            return ElicitResult(action="accept", content={"pay": True})
        if sys.stdin.isatty() and sys.stderr.isatty():
            import anyio

            if self.live is not None:
                self.live.pause()
            try:
                print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
                answer = await anyio.to_thread.run_sync(sys.stdin.readline)
            finally:
                if self.live is not None:
                    self.live.resume()
            pay = answer.strip().lower() in ("y", "yes")
            self.declined = not pay
            return ElicitResult(action="accept", content={"pay": pay})
        self.unasked = question
        return ElicitResult(action="decline")


class Session:
    """``async with Session(settings, yes=...) as s: await s.call("list_jobs", {...})``."""

    def __init__(self, settings: Settings, *, yes: bool = False, note: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.asker = Asker(yes, free=settings.heygen_sandbox, note=note)
        self._stack = AsyncExitStack()
        self._client: Any = None

    async def __aenter__(self) -> Session:
        from mcp import Client

        from ..server import create_server

        server = create_server(self.settings)
        self._client = await self._stack.enter_async_context(Client(server, elicitation_callback=self.asker))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def call(self, tool: str, arguments: dict[str, Any], progress: ProgressFn | None = None) -> dict[str, Any]:
        """The tool's structured result; its error text (one line, in shell words) as a ``ShellError``."""
        self.asker.declined = False
        result = await self._client.call_tool(tool, arguments, progress_callback=progress)
        startup.release()  # the SDK, the server and the first tool's modules are in (see ``startup``)
        if result.is_error:
            text = next((c.text for c in result.content if getattr(c, "type", "") == "text"), "") or "failed"
            text = text.removeprefix(f"Error executing tool {tool}: ")
            if self.asker.declined:  # the tool's text is for a model ("ask them before calling again")
                raise Declined(NOT_CREATED)
            if self.asker.unasked is not None:
                question = self.asker.unasked.removesuffix(" Create it and pay?")
                raise ShellError(f"{question} Nobody at a terminal to confirm it, so nothing was sent or charged: "
                                 "rerun with --yes to pay (--dry-run shows the request, --max-credits caps it).")
            raise ShellError(in_shell_words(text))
        return dict(result.structured_content or {})
