"""``heygen-studio video create|status|wait|download``, ``jobs``, ``voices``, ``avatars``, ``produce "brief"``.

A shell workflow on the very same tools an MCP client calls: the paid commands (``video create``, ``produce``)
through an in-process MCP client (``shell.session``), for the cost confirmation; the others through the same
workflow calls without MCP (``shell.direct``), so they start fast. Exit codes: 0 done, 1 an
error (one line on stderr with the next step), 4 a wait ran out while the job still runs (the job id is
printed: wait for it again, never create it again), 130 interrupted. ``--json`` prints one JSON document on
stdout and nothing else, on every way out: the tool's structured result, ``{"error": ...}`` on failure, and a
result that ends in an error (a wait that ran out) with ``"error"`` beside its fields; bars appear only on a
terminal.

This module is imported by ``cli.py`` to build its parser, so it imports nothing heavy at the top.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn

from .session import EXIT_ERROR, EXIT_INTERRUPTED, INTERRUPTED

COMMANDS = ("video", "jobs", "voices", "avatars", "produce")
# The tools' enumerations (core.models Resolution, AspectRatio; workflow.scripts Route, Orientation), checked
# against them by tests/test_shell.py; spelled out so that building the parser imports no model.
RESOLUTIONS = ("4k", "1080p", "720p")
ASPECT_RATIOS = ("16:9", "9:16", "4:5", "5:4", "1:1", "auto")
ROUTES = ("avatar", "studio", "agent")
ORIENTATIONS = ("landscape", "portrait")
DEFAULT_TIMEOUT_S = 1800.0


class ShellParser(argparse.ArgumentParser):
    """argparse with the shell's contract: a bad argument is one line on stderr and exit 1 (with ``--json`` on
    the command line, also ``{"error": ...}`` on stdout)."""

    json_errors = False  # set by ``main`` for the command line it parses (every subparser is one of these)

    def error(self, message: str) -> NoReturn:
        line = f"{self.prog}: {message} (see {self.prog} --help)"
        print(line, file=sys.stderr)
        if ShellParser.json_errors:
            print(json.dumps({"error": line}, indent=2))
        sys.exit(EXIT_ERROR)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:  # argparse's own signature
        parsed, extra = super().parse_known_args(args, namespace)
        if extra:  # a subcommand's unknown option is reported here, not by the top-level parser
            self.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed, extra


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 1 <= value <= 86400:
        raise argparse.ArgumentTypeError("must be between 1 and 86400 seconds")
    return value


def _credits(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount in US dollars") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _count(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}")
        return int(text)

    return parse


class Text:
    """A string argument with the bound its tool's schema gives it (``tools/fields.py``), and plain text: the fast
    commands reach the workflow without the MCP tools' argument screen (``tools/registry.py``), so the parser
    refuses what that screen would (tests/test_shell.py checks the bounds against the tools' schemas)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.__name__ = "text"  # argparse names a type by it

    def __call__(self, text: str) -> str:
        if len(text) > self.limit:
            raise argparse.ArgumentTypeError(f"at most {self.limit} characters; this has {len(text)}")
        if any("\ud800" <= c <= "\udfff" for c in text):  # bytes that are not UTF-8, as Python reads them from argv
            raise argparse.ArgumentTypeError("not UTF-8 text; type it again")
        return text


JOB_REF, ID, TOKEN, LANGUAGE, NAME_SEARCH, ENGINE, FILENAME = (
    Text(140), Text(128), Text(512), Text(64), Text(80), Text(40), Text(120))


def _command(parent: Any, name: str, *, help: str, **kw: Any) -> Any:
    """A subcommand whose --help starts with what it does (argparse shows ``help`` only in the list above)."""
    return parent.add_parser(name, help=help, description=help, **kw)


def add_commands(sub: Any) -> None:
    """Register the shell's commands on ``cli.py``'s subparsers (and on the shell's own parser)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print the structured result as JSON (for scripts)")
    common.add_argument("--sandbox", action="store_true",
                        help="use the offline sandbox (as HEYGEN_SANDBOX=1): the embedded one, or `heygen-studio "
                             "sandbox` on a port when HEYGEN_BASE_URL points at it")
    paid = argparse.ArgumentParser(add_help=False)
    paid.add_argument("--dry-run", action="store_true", help="show the request and its estimated cost; send nothing")
    paid.add_argument("--max-credits", type=_credits, metavar="N", help="refuse if the estimate is above $N")
    paid.add_argument("--yes", action="store_true",
                      help="confirm the cost without asking (a cost above HEYGEN_CONFIRM_ABOVE is asked y/N on a "
                           "terminal, and refused without one unless --yes; the sandbox is free and never asks)")
    timeout = argparse.ArgumentParser(add_help=False)
    timeout.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT_S, metavar="S",
                         help=f"stop waiting after S seconds, exit 4; the job keeps running (default "
                              f"{DEFAULT_TIMEOUT_S:g})")

    video = _command(sub, "video", help="create a video, see its status, wait for it, download it")
    actions = video.add_subparsers(dest="action", required=True, metavar="{create,status,wait,download}")
    create = _command(actions, "create", parents=[common, paid, timeout], help="create an avatar video (paid)")
    create.add_argument("--avatar", required=True, metavar="ID", help="avatar look id (see `heygen-studio avatars`)")
    create.add_argument("--voice", metavar="ID", help="voice id (see `heygen-studio voices`); default: the avatar's")
    words = create.add_mutually_exclusive_group(required=True)
    words.add_argument("--script", help="the exact words to speak")
    words.add_argument("--script-file", metavar="PATH", help="read the script from a text file ('-' = stdin)")
    create.add_argument("--title", help="the video's title")
    create.add_argument("--resolution", choices=RESOLUTIONS, help="output resolution (default: HeyGen's)")
    create.add_argument("--aspect-ratio", choices=ASPECT_RATIOS, help="output aspect ratio (default: HeyGen's)")
    create.add_argument("--wait", action="store_true", help="then wait for the render (as `video wait`)")
    create.add_argument("--download", action="store_true", help="then wait and download it (as `video download`)")
    create.add_argument("--filename", help="with --download: the file name in the output folder")
    create.set_defaults(run="video_create")

    status = _command(actions, "status", parents=[common], help="a video's status (one look, no waiting)")
    status.add_argument("job_id", type=JOB_REF,
                        help="the job id `video create` printed (video:…), or a HeyGen video id")
    status.set_defaults(run="video_status")

    wait = _command(actions, "wait", parents=[common, timeout], help="wait for a job with a progress bar")
    wait.add_argument("job_id", type=JOB_REF, help="any job id (video:…, agent:…, translation:…, batch:…)")
    wait.set_defaults(run="video_wait")

    download = _command(actions, "download", parents=[common], help="save a finished video in the output folder")
    download.add_argument("job_id", type=JOB_REF, help="the job id of a finished video")
    download.add_argument("--filename", type=FILENAME, help="file name in the output folder (default: <video id>.mp4)")
    download.add_argument("--captioned", action="store_true", help="the copy with burned-in captions")
    download.set_defaults(run="video_download")

    jobs = _command(sub, "jobs", parents=[common], help="jobs made from this machine, newest first")
    jobs.add_argument("--limit", type=_count(1, 50), default=10, help="how many jobs, newest first (1-50)")
    jobs.set_defaults(run="jobs")

    voices = _command(sub, "voices", parents=[common], help="find voices (a compact table)")
    voices.add_argument("--language", type=LANGUAGE, help="language name or code, e.g. German or de")
    voices.add_argument("--gender", choices=("female", "male"), help="only voices of this gender")
    voices.add_argument("--type", choices=("public", "private"), help="HeyGen's, or your cloned ones")
    voices.add_argument("--engine", type=ENGINE, help="voice engine, e.g. starfish")
    voices.add_argument("--name", type=NAME_SEARCH, help="case-insensitive name search")
    voices.add_argument("--limit", type=_count(1, 20), default=10, help="rows per page (1-20)")
    voices.add_argument("--next", type=TOKEN, metavar="TOKEN",
                        help="the next page (the token the previous page printed)")
    voices.set_defaults(run="voices")

    avatars = _command(sub, "avatars", parents=[common], help="find avatar looks or groups (a compact table)")
    avatars.add_argument("--groups", action="store_true", help="list groups instead of looks")
    avatars.add_argument("--ownership", choices=("public", "private"), help="HeyGen's, or your own")
    avatars.add_argument("--type", choices=("studio_avatar", "digital_twin", "photo_avatar"), help="only this kind")
    avatars.add_argument("--group", type=ID, metavar="ID", help="only the looks of this group")
    avatars.add_argument("--name", type=NAME_SEARCH, help="case-insensitive name search")
    avatars.add_argument("--limit", type=_count(1, 20), default=10, help="rows per page (1-20)")
    avatars.add_argument("--next", type=TOKEN, metavar="TOKEN",
                         help="the next page (the token the previous page printed)")
    avatars.set_defaults(run="avatars")

    produce = _command(sub, "produce", parents=[common, paid, timeout],
                             help='brief → script → video → MP4 (paid): produce "a 30 s intro to our app"')
    produce.add_argument("brief", help="what the video is about")
    produce.add_argument("--route", choices=ROUTES, default="avatar",
                         help="avatar: one presenter; studio: scenes; agent: HeyGen's Video Agent")
    produce.add_argument("--avatar", metavar="ID", help="default: a public avatar (named in the answer)")
    produce.add_argument("--voice", metavar="ID", help="default: a voice in the script's language")
    produce.add_argument("--duration", type=_count(5, 300), default=30, metavar="S", help="target seconds")
    produce.add_argument("--orientation", choices=ORIENTATIONS, default="landscape", help="landscape or portrait")
    produce.add_argument("--language", default="en", help="language code or name (default en)")
    produce.set_defaults(run="produce")


def parser() -> ShellParser:
    root = ShellParser(prog="heygen-studio", description=__doc__.splitlines()[0] if __doc__ else None)
    add_commands(root.add_subparsers(dest="command", required=True))
    return root


def main(argv: list[str]) -> int:
    """Run one shell command; the exit code (0, 1, 4, 130)."""
    ShellParser.json_errors = "--json" in argv
    args = parser().parse_args(argv)
    try:
        from .commands import run

        return run(args)  # it reports Ctrl-C itself once it runs
    except KeyboardInterrupt:  # Ctrl-C while modules are still being imported: one line, no traceback
        print(f"heygen-studio: {INTERRUPTED}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": INTERRUPTED}, indent=2))
        return EXIT_INTERRUPTED
