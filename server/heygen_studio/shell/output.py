"""What the shell prints: results (``--json``: one JSON document on stdout, whatever happens), tables, progress
(rich bars on a terminal; plain lines on stderr otherwise; nothing with ``--json``), one-line errors.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from .session import ProgressFn


class Out:
    """``--json``: ``result`` and ``error`` are kept, and ``finish`` prints them as one document (a result that
    ended in an error, a time-out say, is that result with ``"error"`` beside its fields), so a script's
    ``json.load`` or ``jq`` reads every outcome. Without ``--json`` a result is printed at once."""

    def __init__(self, json_mode: bool) -> None:
        self.json = json_mode
        self.bars = not json_mode and sys.stderr.isatty()
        self._document: Any = None
        self._error: str | None = None
        self._finished = False

    def result(self, data: Any) -> None:
        """The structured result (``--json``: printed by ``finish``)."""
        if self.json:
            self._document = data
        else:
            print(json.dumps(data, indent=2, ensure_ascii=False))

    def finish(self) -> None:
        """``--json``: print the one document, once: the result, with the first error beside its fields if there
        was one; the error alone if there is no result."""
        if not self.json or self._finished:
            return
        self._finished = True
        document = self._document if isinstance(self._document, dict) else (
            {} if self._document is None else {"result": self._document})
        if self._error is not None:
            document = {"error": self._error, **{k: v for k, v in document.items() if k != "error"}}
        elif not document:
            document = {"error": "heygen-studio stopped without a result; see the lines above on stderr"}
        print(json.dumps(document, indent=2, ensure_ascii=False), flush=True)

    def say(self, text: str) -> None:
        """A line of the human answer (stdout)."""
        if not self.json:
            print(text, flush=True)

    def note(self, text: str) -> None:
        """Progress and hints (stderr), never with --json."""
        if not self.json:
            print(text, file=sys.stderr, flush=True)

    def error(self, text: str, *, plain: bool = False) -> None:
        """The one line on stderr (``plain``: without the command's name, an answer to the person's own choice);
        with --json also ``"error"`` in the document on stdout, for scripts."""
        line = " ".join(text.split())
        print(f"{'' if plain else 'heygen-studio: '}{line}", file=sys.stderr, flush=True)
        if self.json and self._error is None:
            self._error = line

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> None:
        """A compact table: boxed on a terminal, plain aligned columns (greppable) otherwise."""
        from rich import box
        from rich.console import Console
        from rich.table import Table

        tty = sys.stdout.isatty()
        console = Console(highlight=False, soft_wrap=False) if tty else Console(
            width=400, no_color=True, highlight=False, force_terminal=False, color_system=None)
        table = Table(*columns, box=box.SIMPLE_HEAD if tty else None, title=title if tty else None,
                      show_header=True, pad_edge=False, header_style="bold" if tty else "")
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)

    def progress(self, what: str, *, transfer: bool = False) -> Bar:
        return Bar(self, what, transfer=transfer)


class Bar:
    """A progress display fed by a tool's progress notifications (``callback``), across several calls.

    ``transfer``: progress counts bytes (a download): shows bytes and speed. Otherwise it is a percentage
    with the job's phase and the elapsed time.
    """

    def __init__(self, out: Out, what: str, *, transfer: bool) -> None:
        self.out, self.what, self.transfer = out, what, transfer
        self.started = time.monotonic()
        self.phase = ""
        self.done = 0.0
        self.total: float | None = None
        self._rich: Any = None
        self._task: Any = None
        self._printed = ("", 0.0, -1.0)

    def __enter__(self) -> Bar:
        if self.out.bars:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                SpinnerColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TransferSpeedColumn,
            )

            middle = [DownloadColumn(), TransferSpeedColumn()] if self.transfer else [TaskProgressColumn()]
            self._rich = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), *middle,
                                  TimeElapsedColumn(), console=Console(stderr=True))
            self._rich.__enter__()
            self._task = self._rich.add_task(self.what, total=None if self.transfer else 100)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._rich is not None:
            self._rich.__exit__(kind, exc, tb)

    def pause(self) -> None:
        """Take the bar off the terminal (to ask the person something)."""
        if self._rich is not None:
            self._rich.stop()

    def resume(self) -> None:
        if self._rich is not None:
            self._rich.start()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def callback(self) -> ProgressFn:
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            self.update(progress, total, message)

        return on_progress

    def update(self, progress: float, total: float | None, message: str | None) -> None:
        self.phase = message or self.phase
        self.done, self.total = progress, total
        if self._rich is not None:
            text = (self.phase or self.what) if self.transfer else f"{self.what} {self.phase}".strip()
            if self.transfer:
                self._rich.update(self._task, completed=progress, total=total, description=text)
            else:
                self._rich.update(self._task, completed=min(progress, 100.0), description=text)
            return
        if self.transfer:
            return  # a download's plain output is its result line
        last_phase, last_at, last_progress = self._printed
        # A line per new phase, and one every 15 s. A phase that comes back lower (a tool that runs its steps
        # again: a cost preview, a resumed call) is not news.
        if (self.phase != last_phase and progress > last_progress) or self.elapsed - last_at >= 15:
            self._printed = (self.phase, self.elapsed, max(progress, last_progress))
            self.out.note(f"{self.what}: {self.phase} {progress:.0f}% ({self.elapsed:.0f} s)")
