"""The shell commands: each one calls its tools and prints through ``Out``.

The paid commands (``FAST`` does not hold them) reach the tools through ``Session``, an in-process MCP client,
for the cost confirmation; the others through ``direct.Direct``, the same workflow calls without MCP.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from ..settings import Settings, SettingsError, load_settings
from .output import Out
from .session import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TIMEOUT,
    INTERRUPTED,
    Declined,
    Session,
    ShellError,
    Tools,
    in_shell_words,
)


def usd(amount: float) -> str:
    """An estimate in dollars, as the tools' own text writes it (the shell reaches the core through MCP only)."""
    return f"${amount:.4f}" if amount and abs(amount) < 0.01 else f"${amount:,.2f}"


def cost(session: Tools, amount: float | None) -> str:
    """What a create costs: its estimate, or, on the sandbox (which charges nothing), that it is free."""
    if session.settings.heygen_sandbox:
        return f"free on the sandbox (about {usd(amount or 0)} with the real API)"
    return f"about {usd(amount or 0)}"


WAIT_CALL_S = 45.0  # one wait_for_job call, as a model would make it (each call is bounded)
PRODUCE_CALL_S = 120.0
SCRIPT_FILE_MAX = 1 << 20

Paid = Callable[[Session, argparse.Namespace, Out], Awaitable[int]]
Fast = Callable[[Tools, argparse.Namespace, Out], Awaitable[int]]


def run(args: argparse.Namespace) -> int:
    """The command's exit code; with ``--json`` exactly one JSON document on stdout on every way out."""
    out = Out(args.json)
    try:
        return _run(args, out)
    except KeyboardInterrupt:
        out.error(INTERRUPTED)
        return EXIT_INTERRUPTED
    finally:
        out.finish()


def _run(args: argparse.Namespace, out: Out) -> int:
    import anyio

    overrides: dict[str, Any] = {"heygen_toolsets": "all"}  # the shell offers what it offers; no listing budget
    if args.sandbox:
        overrides["heygen_sandbox"] = True
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        out.error(str(exc))
        return EXIT_ERROR
    _quiet_logs()
    return anyio.run(_session, args, settings, out)


def _quiet_logs() -> None:
    """Only warnings reach the terminal (the tools' INFO lines are for a server's log)."""
    root = logging.getLogger()
    root.setLevel(logging.WARNING)
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="heygen-studio: %(message)s")


async def _session(args: argparse.Namespace, settings: Settings, out: Out) -> int:
    try:
        fast = FAST.get(args.run)
        if fast is not None:
            from .direct import Direct

            async with Direct(settings) as tools:
                return await fast(tools, args, out)
        async with Session(settings, yes=getattr(args, "yes", False), note=out.note) as session:
            return await PAID[args.run](session, args, out)
    except Declined as exc:  # the person said no: their own answer, not a failure to explain
        out.error(str(exc), plain=True)
        return EXIT_ERROR
    except ShellError as exc:
        out.error(str(exc))
        return EXIT_ERROR


# -- video -------------------------------------------------------------------------------------------------

def _script(args: argparse.Namespace) -> str:
    if args.script is not None:
        return str(args.script)
    path = str(args.script_file)
    try:
        if path == "-":
            return sys.stdin.read(SCRIPT_FILE_MAX)
        with open(path, encoding="utf-8") as fh:
            return fh.read(SCRIPT_FILE_MAX)
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ShellError(f"cannot read the script file {path}: {why}; give a UTF-8 text file or --script.") from None


def _paid(args: argparse.Namespace) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if args.dry_run:
        extra["dry_run"] = True
    if args.max_credits is not None:
        extra["max_credits"] = args.max_credits
    return extra


def _dry_run_lines(session: Session, out: Out, result: dict[str, Any]) -> None:
    import json

    dry = result.get("dry_run") or {}
    request = dry.get("request")
    if request:
        out.say(f"Would send {request['method']} {request['path']}:")
        out.say(json.dumps(request.get("body"), indent=2, ensure_ascii=False))
    for line in dry.get("estimate") or []:
        out.say(f"  {line}")
    step = in_shell_words(str(result["next_step"])).replace("Call again without", "Run it again without")
    free = " with the real API; the sandbox is free" if session.settings.heygen_sandbox else ""
    out.say(f"Estimated: {usd(result.get('estimated_usd') or 0)}{free}. {step}")
    if dry.get("note"):
        out.say(in_shell_words(str(dry["note"])))


async def video_create(session: Session, args: argparse.Namespace, out: Out) -> int:
    arguments: dict[str, Any] = {"avatar_id": args.avatar, "script": _script(args), **_paid(args)}
    for key, value in (("voice_id", args.voice), ("title", args.title), ("resolution", args.resolution),
                       ("aspect_ratio", args.aspect_ratio)):
        if value is not None:
            arguments[key] = value
    created = await session.call("create_avatar_video", arguments)
    if args.dry_run:
        if out.json:
            out.result(created)
        else:
            _dry_run_lines(session, out, created)
        return EXIT_OK
    job_id = str(created["job_id"])
    if not (args.wait or args.download):
        if out.json:
            out.result(created)
        else:
            again = " (an identical earlier request: that video, not paid again)" if created.get("replayed") else ""
            out.say(f"Created {job_id}{again}, {cost(session, created.get('estimated_usd'))}.")
            out.say(f"Next: heygen-studio video wait {job_id}")
        return EXIT_OK
    out.note(f"Created {job_id} ({cost(session, created.get('estimated_usd'))}).")
    results: dict[str, Any] = {"created": created}
    status, code = await _wait(session, out, job_id, args.timeout)
    results["status"] = status
    if code == EXIT_OK and args.download:
        results["downloaded"] = await _download(session, out, job_id, args.filename, False)
    if out.json:
        out.result(results)
    return code


async def video_status(session: Tools, args: argparse.Namespace, out: Out) -> int:
    info = await session.call("get_video", {"job_id": args.job_id})
    if out.json:
        out.result(info)
        return EXIT_OK
    parts = [f"{info['video_id']}: {info['status']}"]
    if info.get("title"):
        parts.append(f"\"{info['title']}\"")
    if info.get("duration_s"):
        parts.append(f"{info['duration_s']:g} s")
    out.say("  ".join(parts))
    if info.get("failure"):
        out.say(f"Failure: {info['failure']}")
    if info.get("next_step"):
        out.say(in_shell_words(str(info["next_step"])))
    return EXIT_OK


async def _wait(session: Tools, out: Out, job_id: str, timeout: float) -> tuple[dict[str, Any], int]:
    """wait_for_job, call after bounded call, until the job ends or ``timeout`` runs out: (last status, exit)."""
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    with out.progress(job_id) as bar:
        while True:  # one look at least, however short the timeout: the answer says where the job is
            remaining = deadline - time.monotonic()
            status = await session.call("wait_for_job", {"job_id": job_id,
                                                         "max_wait_s": max(1.0, min(WAIT_CALL_S, remaining))},
                                        bar.callback)
            if status.get("done") or status.get("needs") or deadline - time.monotonic() < 1:
                break
    job_id = str(status.get("job_id") or job_id)
    if not status.get("done") and not status.get("needs"):
        out.error(f"{job_id} is still {status.get('status', 'running')} after {bar.elapsed:.0f} s: do not create it "
                  f"again; run `heygen-studio video wait {job_id}`.")
        return status, EXIT_TIMEOUT
    if status.get("needs"):
        out.error(f"{job_id} waits on a person ({status['needs']}): {in_shell_words(str(status['next_step']))}")
        return status, EXIT_ERROR
    if status.get("status") != "completed":
        failure = status.get("failure") or status.get("status")
        out.error(f"{job_id} {status.get('status')}: {failure}. {in_shell_words(str(status['next_step']))}")
        return status, EXIT_ERROR
    out.note(f"{job_id} completed in {bar.elapsed:.0f} s.")
    return status, EXIT_OK


async def video_wait(session: Tools, args: argparse.Namespace, out: Out) -> int:
    status, code = await _wait(session, out, args.job_id, args.timeout)
    if out.json:
        out.result(status)
    elif code == EXIT_OK:
        out.say(in_shell_words(str(status["next_step"])))
    return code


async def _download(session: Tools, out: Out, job_id: str, filename: str | None, captioned: bool) -> dict[str, Any]:
    arguments: dict[str, Any] = {"job_id": job_id}
    if filename:
        arguments["filename"] = filename
    if captioned:
        arguments["captioned"] = True
    with out.progress("downloading", transfer=True) as bar:
        saved = await session.call("download_video", arguments, bar.callback)
    speed = saved["size_bytes"] / max(bar.elapsed, 1e-3)
    out.say(f"Saved {saved['path']} ({_size(saved['size_bytes'])}, {_size(speed)}/s).")
    return saved


async def video_download(session: Tools, args: argparse.Namespace, out: Out) -> int:
    saved = await _download(session, out, args.job_id, args.filename, args.captioned)
    if out.json:
        out.result(saved)
    return EXIT_OK


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


# -- catalogue and jobs ---------------------------------------------------------------------------------------

def _when(epoch: Any) -> str:
    try:
        return datetime.fromtimestamp(float(epoch)).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


async def jobs(session: Tools, args: argparse.Namespace, out: Out) -> int:
    listed = await session.call("list_jobs", {"limit": args.limit})
    if out.json:
        out.result(listed)
        return EXIT_OK
    items = listed.get("items") or []
    if not items:
        out.say("No jobs yet from this machine for this account.")
        return EXIT_OK
    out.table(["job id", "title", "created", "state"],
              [[j["job_id"], j.get("title"), _when(j.get("created_at")), j.get("state")] for j in items])
    return EXIT_OK


def _more(out: Out, command: str, token: str | None) -> None:
    if token:
        out.note(f"More: heygen-studio {command} --next {token} (with the same filters)")


async def voices(session: Tools, args: argparse.Namespace, out: Out) -> int:
    arguments = {k: v for k, v in (("language", args.language), ("gender", args.gender), ("type", args.type),
                                   ("engine", args.engine), ("name", args.name), ("next_token", args.next))
                 if v is not None}
    listed = await session.call("list_voices", {**arguments, "limit": args.limit})
    if out.json:
        out.result(listed)
        return EXIT_OK
    out.table(["voice id", "name", "language", "gender"],
              [[v["voice_id"], v.get("name"), v.get("language"), v.get("gender")] for v in listed["items"]])
    _more(out, "voices", listed.get("next_token"))
    return EXIT_OK


async def avatars(session: Tools, args: argparse.Namespace, out: Out) -> int:
    arguments: dict[str, Any] = {k: v for k, v in (
        ("ownership", args.ownership), ("avatar_type", args.type), ("group_id", args.group), ("name", args.name),
        ("next_token", args.next)) if v is not None}
    arguments.update(kind="groups" if args.groups else "looks", limit=args.limit)
    listed = await session.call("list_avatars", arguments)
    if out.json:
        out.result(listed)
        return EXIT_OK
    rows = listed["items"]
    if args.groups:
        out.table(["group id", "name", "gender", "looks"],
                  [[a["id"], a.get("name"), a.get("gender"), a.get("looks")] for a in rows])
    else:
        out.table(["avatar id", "name", "type", "gender", "orientation"],
                  [[a["id"], a.get("name"), a.get("type"), a.get("gender"), a.get("orientation")] for a in rows])
    _more(out, "avatars", listed.get("next_token"))
    return EXIT_OK


# -- produce --------------------------------------------------------------------------------------------------

async def produce(session: Session, args: argparse.Namespace, out: Out) -> int:
    arguments: dict[str, Any] = {"brief": args.brief, "route": args.route, "duration_s": args.duration,
                                 "orientation": args.orientation, "language": args.language, **_paid(args)}
    if args.avatar:
        arguments["avatar_id"] = args.avatar
    if args.voice:
        arguments["voice_id"] = args.voice
    deadline = time.monotonic() + args.timeout
    result: dict[str, Any] = {}
    with out.progress("produce") as bar:
        session.asker.live = bar  # a cost question pauses the bar
        while True:  # each call is bounded; the same arguments resume the same job (never paid twice)
            remaining = deadline - time.monotonic()
            result = await session.call("produce_video", {**arguments, "max_wait_s": max(1.0, min(PRODUCE_CALL_S,
                                                                                                remaining))},
                                        bar.callback)
            if args.dry_run or result.get("stage") != "rendering" or deadline - time.monotonic() < 1:
                break
    if out.json:
        out.result(result)
    if args.dry_run:
        if not out.json:
            _dry_run_lines(session, out, result)
        return EXIT_OK
    job_id = str(result.get("job_id"))
    stage = result.get("stage")
    if stage == "done":
        out.say(f"Saved {result['path']} (\"{result.get('title')}\", {job_id}).")
        return EXIT_OK
    if stage == "rendering":
        out.error(f"{job_id} is still rendering after {bar.elapsed:.0f} s: do not create it again; run "
                  f"`heygen-studio video wait {job_id}` (then `heygen-studio video download {job_id}`), or the same "
                  "`heygen-studio produce` again, which resumes it.")
        return EXIT_TIMEOUT
    out.error(f"{job_id} {stage}: {result.get('failure') or ''} {in_shell_words(str(result.get('next_step')))}")
    return EXIT_ERROR


PAID: dict[str, Paid] = {"video_create": video_create, "produce": produce}
FAST: dict[str, Fast] = {
    "video_status": video_status, "video_wait": video_wait, "video_download": video_download, "jobs": jobs,
    "voices": voices, "avatars": avatars,
}
