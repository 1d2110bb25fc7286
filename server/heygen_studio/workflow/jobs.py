"""Jobs: ids that say what they are, the next step for each state, one poll per kind, the bounded wait.

A create tool returns ``job_id = "<kind>:<id>"`` (video, agent, translation, look, lipsync, voice, batch). A raw id is
looked up in the job store, and otherwise treated as a HeyGen video id. Waiting only ever
polls: it never resubmits anything.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import anyio

from ..core.errors import (
    API_KEY_PAGE,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    HeyGenError,
    NotFoundError,
    RateLimitError,
    ResponseFormatError,
)
from ..core.replicas import polled
from ..core.store import JOB_KINDS, LEGACY_SCOPE, JobKind, JobRecord
from . import files
from .errors import Refused
from .inputs import check_id
from .outputs import JobList, JobRow, JobStatus
from .tenant import Tenant

if TYPE_CHECKING:  # HeyGen's models come with the client that reads them: listing jobs needs neither
    from ..core.models import AgentSession, BatchDetail, Video

logger = logging.getLogger(__name__)

TERMINAL = {"completed", "failed"}
V2_MARKER = "heygen-studio hs-"  # the title core/client.py's send_v2_create gives an untitled v2 create
STALLED = {"pending_consent", "waiting_for_input", "reviewing"}  # waiting on a person, not on HeyGen
# Statuses that mean HeyGen is at work (or has the job queued): never a person's turn.
WORKING = {"pending", "waiting", "queued", "processing", "running", "thinking", "generating", "rendering"}
# An unknown status that names a person's turn ("awaiting_approval", "needs_review", "input_required"…).
_PERSON_WORDS = re.compile(r"wait|review|approv|input|confirm|question|consent|feedback|draft", re.IGNORECASE)
_APPROVAL_WORDS = re.compile(r"review|approv|confirm|draft", re.IGNORECASE)
Needs = Literal["answer", "approval", "consent"]

Progress = Callable[[float, str], Awaitable[None]]


def waits_on_person(status: str) -> bool:
    """True when ``status`` means a person must act: a known one (``STALLED``), or any status HeyGen may add
    that is neither finished nor plainly at work and whose name says waiting, review, approval or input."""
    if status in STALLED:
        return True
    return status not in TERMINAL and status not in WORKING and bool(_PERSON_WORDS.search(status))


def agent_needs(session: AgentSession) -> Needs | None:
    """What a Video Agent session waits for from a person, whatever status string HeyGen shows for it.

    * a draft to approve: the newest message is the agent's and carries a ``draft_*`` resource (HeyGen may
      keep the status ``generating`` meanwhile, with its video pending: nothing renders until someone
      replies), or the status names a review or an approval (``reviewing``);
    * an answer: ``waiting_for_input``, or another status naming a person's turn.
    """
    if session.status in TERMINAL:
        return None
    newest = session.messages[0] if session.messages else None  # the API lists messages newest-first
    if newest is not None and newest.role != "user" and any(
            r.startswith("draft") for r in newest.resource_ids or ()):
        return "approval"
    if not waits_on_person(session.status):
        return None
    return "approval" if _APPROVAL_WORDS.search(session.status) else "answer"


LONG_PROMPT_CHARS = 2500
"""HeyGen's Video Agent fails with no reason far more often on briefs longer than this (heygen-cli #321)."""


def agent_silent_failure(session: AgentSession, record: JobRecord | None, job_id: str) -> tuple[str, str] | None:
    """``(failure, next_step)`` for a session HeyGen marked failed without a reason (no error message), else None.

    HeyGen does this mostly for long prompts; nothing is ever resubmitted here (a new session is paid again)."""
    if session.status != "failed" or any(m.type == "error" for m in session.messages):
        return None
    said = next((m.content for m in session.messages if m.role == "user"), None)  # newest first: the last brief
    chars = len(said) if said else record.get("prompt_chars") if record is not None else None
    size = f"; this one had {chars:,} characters" if isinstance(chars, int) else ""
    long = isinstance(chars, int) and chars > LONG_PROMPT_CHARS
    return ("HeyGen's Video Agent failed without giving a reason",
            f"HeyGen's agent fails like this mostly on long briefs (over ~{LONG_PROMPT_CHARS:,} characters{size}): "
            f"{'shorten' if long else 'simplify'} the brief, then, only if the user agrees, call create_agent_video "
            f"again (a new session is charged again). Nothing was resubmitted for {job_id}.")


def remember_agent_video(state: Tenant, session_id: str, video_id: str | None) -> None:
    """Keep the video a session made with its job: HeyGen may answer 404 for the session once the video exists."""
    record = known_job(state, session_id)
    if video_id and record is not None and record.get("video_id") != video_id:
        try:
            state.jobs.update(session_id, video_id=video_id)
        except HeyGenError as exc:
            logger.warning("job store: %s", exc.describe())


def known_agent_video(state: Tenant, session_id: str) -> str | None:
    record = known_job(state, session_id)
    video_id = record.get("video_id") if record is not None else None
    return video_id if isinstance(video_id, str) and video_id else None


def session_gone(session_id: str, video_id: str) -> str:
    return (f"HeyGen no longer shows session {session_id} (404), as it does once the video exists; "
            f"following video {video_id}.")


def _agent_message(session: AgentSession) -> str | None:
    """The agent's newest words (its question, or what the draft is), shortened."""
    said = next((m.content for m in session.messages if m.role != "user" and m.type != "error"), None)
    return said[:400] if said else None


FIND_JOBS = "list_jobs shows the job ids made from this machine (list_videos: every video at HeyGen)"


def unknown_job(job_id: str) -> Refused:
    """The refusal for a job id HeyGen does not know (404): mistyped, deleted, or of another kind."""
    return Refused(f"{job_id} was not found at HeyGen (a mistyped or deleted id, or one of another kind): "
                     f"{FIND_JOBS}. Nothing was resubmitted.")


@contextmanager
def finding(job_id: str) -> Iterator[None]:
    """Look-ups of a job the model named: a 404 becomes ``unknown_job``, which says where the right id is."""
    try:
        yield
    except NotFoundError:
        raise unknown_job(job_id) from None


def make_job_id(kind: JobKind, raw_id: str) -> str:
    return f"{kind}:{raw_id}"


def id_of(kind: JobKind, value: str, what: str) -> str:
    """A raw HeyGen id from either form a model may pass: ``<kind>:<id>`` or the bare id."""
    return check_id(value.strip().removeprefix(f"{kind}:"), what)


def known_job(state: Tenant, job_id: str) -> JobRecord | None:
    """The store's record of a job id, if any; a store that cannot be read is no record (logged)."""
    try:
        return state.jobs.get(job_id)
    except HeyGenError as exc:
        logger.warning("job store: %s", exc.describe())
        return None


def owns(state: Tenant, raw_id: str, made: set[str] | None = None) -> bool:
    """Whether a HeyGen id is one of this person's jobs (or an id inside one: an agent session's video, a batch's
    item). The server's own user owns whatever their key reaches; a team server's person only what they made.
    ``made``: ``made_ids(state)``, when one call asks about many ids."""
    if state.person is None or known_job(state, raw_id) is not None:
        return True
    return raw_id in (made_ids(state) if made is None else made)


def made_ids(state: Tenant) -> set[str]:
    """Every id inside the data of this person's recent jobs (a store that cannot be read: none)."""
    try:
        records = state.jobs.recent(200)
    except HeyGenError as exc:
        logger.warning("job store: %s", exc.describe())
        return set()
    return set().union(*(_ids_in(record.data) for record in records))


def _ids_in(data: object) -> set[str]:
    """Every string inside a record's data (ids of the videos its job made, among others)."""
    if isinstance(data, str):
        return {data}
    if isinstance(data, dict):
        return set().union(*(_ids_in(v) for v in data.values())) if data else set()
    if isinstance(data, list):
        return set().union(*(_ids_in(v) for v in data)) if data else set()
    return set()


def only_mine(state: Tenant, raw_id: str, job_id: str) -> str:
    """``raw_id`` if it is this person's; else the very refusal a wrong id gets (another person's job is not
    found, indistinguishable from one that does not exist)."""
    if not owns(state, raw_id):
        raise unknown_job(job_id)
    return raw_id


def seen(state: Tenant, raw_id: str, running: int) -> None:
    """Record what a poll saw of a job that holds slots of HeyGen's concurrency limit (``core/concurrency.py``):
    how many still run (0 once it ended), so that queued items may take the slots it frees."""
    record = known_job(state, raw_id)
    if record is None or not record.get("slots") or record.get("slots") == running:
        return
    try:
        state.jobs.update(raw_id, slots=running, checked_at=round(time.time(), 3))
    except HeyGenError as exc:
        logger.warning("job store: %s", exc.describe())


def remember(state: Tenant, raw_id: str, **fields: object) -> None:
    """Keep what was last seen of a job with its record (status, length, saved file, HeyGen's title), for
    ``list_jobs``: written only when something changed; a job this machine did not make has no record."""
    record = known_job(state, raw_id)
    changed = {k: v for k, v in fields.items() if v is not None and record is not None and record.get(k) != v}
    if not changed:
        return
    try:
        state.jobs.update(raw_id, **changed)
    except HeyGenError as exc:
        logger.warning("job store: %s", exc.describe())


def is_job_id(state: Tenant, value: str) -> bool:
    """True for ``<kind>:<id>`` and for a bare id the job store knows."""
    return value.strip().partition(":")[0] in JOB_KINDS or known_job(state, value.strip()) is not None


def parse_job_id(state: Tenant, job_id: str) -> tuple[JobKind, str]:
    """(kind, HeyGen id) of a job id the caller gave; on a team server, only one of the caller's own jobs."""
    job_id = job_id.strip()
    if ":" in job_id:
        prefix, _, raw = job_id.partition(":")
        if prefix in JOB_KINDS:
            return cast(JobKind, prefix), only_mine(state, check_id(raw, "job id"), job_id)
    check_id(job_id, "job id")
    entry = known_job(state, job_id)
    if entry is not None and entry.kind in JOB_KINDS:
        return cast(JobKind, entry.kind), job_id
    return "video", only_mine(state, job_id, job_id)


async def video_id_for(state: Tenant, job_id: str) -> str:
    """The HeyGen video behind a video or agent job id (a ToolError for any other kind)."""
    kind, raw = parse_job_id(state, job_id)
    if kind == "video":
        return raw
    if kind == "agent":
        try:
            session = await state.client.video_agents.get(raw)
        except NotFoundError:
            known = known_agent_video(state, raw)  # the session may be gone once its video exists
            if known is None:
                raise
            return known
        if not session.video_id:
            raise Refused(f"Agent session {raw} has no video yet ({session.status}); call wait_for_job first.")
        remember_agent_video(state, raw, session.video_id)
        return session.video_id
    raise Refused(f"{job_id} is a {kind} job, not a video; use the tool for that kind.")


FAILED_STEP: dict[JobKind, str] = {
    "video": "The render failed; fix the cause (see failure) and create the video again (that is charged again).",
    "agent": "The session failed; read get_agent_session for the agent's messages, then start a new session.",
    "translation": "Translation failed; check the source video and language, then translate again.",
    "look": "Avatar creation failed (see failure); try a clearer, front-facing photo or footage, or another "
            "prompt (a new create is charged again).",
    "lipsync": "Lipsync failed (see failure); check that the video shows one speaking face, then create it again.",
    "voice": "Cloning failed (see failure); record a cleaner sample (one speaker, no music) and clone again.",
    "batch": "Every item failed (see failure); fix the cause, then produce_videos again (a new batch is charged).",
}


def clone_status(status: str | None) -> str:
    """A voice clone's status in the words of every other job: HeyGen says ``complete`` (not ``completed``)."""
    return "completed" if status in (None, "complete") else status


def next_step(kind: JobKind, status: str, job_id: str, *, waited_s: float | None = None,
              consent_url: bool = False, needs: Needs | None = None) -> str:
    """What the model should do next about a job in ``status``: the one wording every tool returns.

    ``waited_s``: a bounded wait ran out after that long. ``consent_url``: the answer carries a consent link.
    ``needs``: what a person must do (``agent_needs``); by default read from the status.
    """
    raw = job_id.removeprefix(f"{kind}:")
    if kind == "batch":
        return _batch_step(status, job_id, waited_s)
    if needs is None and kind in ("agent", "look") and waits_on_person(status):  # renders never wait on a person
        needs = "consent" if kind == "look" else "approval" if _APPROVAL_WORDS.search(status) else "answer"
    if status == "completed":
        if kind == "look":
            return f"Ready: create_avatar_video(avatar_id='{raw}', ...)."
        if kind == "voice":
            return f"Ready: use voice_id='{raw}' in create_speech or a video."
        what = {"translation": "the translated video", "lipsync": "the lip-synced video"}.get(kind, "the MP4")
        return f"Done: download_video('{job_id}') saves {what}."
    if status == "failed":
        return FAILED_STEP[kind]
    if consent_url:
        return f"Ask the person in the photo to open consent_url and approve, then wait_for_job('{job_id}')."
    if needs == "consent":
        return ("Waiting for consent: repeat the create with the same file (free) for the consent_url, "
                f"have the person approve, then wait_for_job('{job_id}').")
    if needs == "approval":
        return (f"The agent waits for its draft to be approved (see message; get_agent_session('{raw}') shows "
                f"more). Ask the user, then reply_to_agent('{raw}', message='Approved, render it.') or send the "
                f"changes they want; then wait_for_job('{job_id}'). Nothing renders until then.")
    if needs == "answer":
        return (f"The agent asks something (see message; get_agent_session('{raw}') shows more). Ask the user, "
                f"answer with reply_to_agent('{raw}', message=...), then wait_for_job('{job_id}').")
    if waited_s is not None:
        return (f"Not finished after {waited_s:g} s (renders take minutes). Call wait_for_job('{job_id}') again; "
                "the job keeps running. Do not create it again.")
    then = {"look": f"use avatar_id='{raw}'", "voice": f"use voice_id='{raw}'"}.get(kind, f"download_video('{job_id}')")
    return f"Call wait_for_job('{job_id}'), then {then}. Do not create it again."


def _batch_step(status: str, job_id: str, waited_s: float | None, remake: str = "produce_video") -> str:
    if status == "completed":
        return f"Done: download_video('{job_id}') saves every MP4 in one folder."
    if status == "completed_with_failures":
        return (f"Done, some items failed (see failure): download_video('{job_id}') saves the finished ones; "
                f"remake the failed ones with {remake} (that is charged again).")
    if status == "failed":
        return FAILED_STEP["batch"].replace("produce_videos", "translate_video") if remake == "translate_video" \
            else FAILED_STEP["batch"]
    if waited_s is not None:
        return (f"Not finished after {waited_s:g} s (renders take minutes). Call wait_for_job('{job_id}') again; "
                "the items keep rendering. Do not create them again.")
    return f"Call wait_for_job('{job_id}'), then download_video('{job_id}'). Do not create it again."


@dataclass
class BatchEntry:
    """One item of a batch: its number and label, the job made for it (``video:…``, ``translation:…``, …; None
    before HeyGen names it), why it was not submitted, and, for an item of a HeyGen batch, that batch's word
    on it (``queued``, ``processing``, ``completed``, ``failed``) and the reason it failed."""

    n: int
    label: str
    job_id: str | None = None
    why: str | None = None
    remote: str | None = None
    failure: str | None = None
    started: int | None = None  # when HeyGen's batch was made
    queued: bool = False  # waits for a free slot of HeyGen's concurrency limit (workflow/batches.py ``advance``)


async def batch_items(state: Tenant, raw_id: str) -> list[BatchEntry]:
    """A batch's items: a produce_videos batch from the job store (each item a single create's job, or an item
    of a HeyGen batch), or a HeyGen batch made by a tool (a translation batch), read from HeyGen's detail."""
    record = state.jobs.find(f"batch:{raw_id}")
    details: dict[tuple[str, str], BatchDetail] = {}

    async def detail(api: str, batch_id: str) -> BatchDetail:
        if (api, batch_id) not in details:
            res = state.client.translations if api == "translations" else state.client.videos
            details[api, batch_id] = got = await res.get_batch(batch_id)
            seen(state, batch_id, sum(1 for item in got.items if item.status not in TERMINAL))
        return details[api, batch_id]

    def entry(n: int, label: str, api: str, got: BatchDetail, index: int) -> BatchEntry:
        item = next((i for i in got.items if i.item_index == index), None)
        if item is None:
            return BatchEntry(n, label, remote="queued", started=got.created_at)
        kind: JobKind = "translation" if api == "translations" else "video"
        return BatchEntry(n, label, make_job_id(kind, item.video_id) if item.video_id else None,
                          remote=item.status, failure=item.reason(), started=got.created_at)

    if record is not None and record.kind == "batch":
        out = []
        for n, item in enumerate(record.get("items") or [], start=1):
            plan = state.jobs.find(str(item.get("key")))
            label = str(item.get("label"))
            if plan is not None and plan.get("hg_batch") and not plan.job_id:
                api = str(plan.get("hg_api") or "videos")
                got = await detail(api, str(plan.get("hg_batch")))
                out.append(entry(n, label, api, got, int(plan.get("hg_index") or 0)))
            elif plan is not None and plan.get("queued") and not plan.job_id:
                out.append(BatchEntry(n, label, why="queued for a free HeyGen slot; wait_for_job sends it",
                                      queued=True))
            else:
                out.append(BatchEntry(n, label, (plan.job_id or None) if plan else None,
                                      plan.get("failure") if plan else None))
        return out
    made = known_job(state, raw_id)
    if made is None or made.kind != "batch" or not made.get("api"):
        raise Refused(f"batch:{raw_id} is not a batch made from this machine (list_jobs shows yours); "
                        "nothing was sent.")
    api = str(made.get("api"))
    labels = [str(x) for x in made.get("labels") or []]
    got = await detail(api, raw_id)
    count = max(int(made.get("items") or 0), len(labels), got.total_items)
    return [entry(i + 1, labels[i] if i < len(labels) else f"item {i + 1}", api, got, i) for i in range(count)]


async def _batch_status(state: Tenant, raw_id: str) -> JobStatus:
    """Every item's state, summed up: n of m done, failures with reasons. The items of a HeyGen batch are read
    from its detail (one request for all of them, per page of 100); only single creates are polled one by one."""
    job_id = make_job_id("batch", raw_id)
    completed = failed = waiting = 0
    progress = 0.0
    reasons: list[str] = []
    asks: list[str] = []
    needs: Needs | None = None
    # a produce_videos batch's queued items, sent as HeyGen frees slots
    retry_at = await state.send_queued(state, raw_id) if state.send_queued is not None else None
    items = await batch_items(state, raw_id)
    made = known_job(state, raw_id)
    remake = "translate_video" if made is not None and made.get("api") == "translations" else "produce_video"
    for item in items:
        n, label = item.n, item.label
        if item.queued:
            waiting += 1
            continue
        if item.remote in TERMINAL:
            if item.remote == "completed":
                completed += 1
            else:
                failed += 1
                where = f", {item.job_id}" if item.job_id else ""
                reasons.append(f"item {n} ({label}{where}): {item.failure or 'failed'}")
            progress += 100.0
            continue
        if item.remote is not None:  # queued or processing at HeyGen: an estimate from the batch's age
            progress += _video_progress(item.started, "pending" if item.remote == "queued" else "processing", None)
            continue
        if item.job_id is None:
            failed += 1
            progress += 100.0
            reasons.append(f"item {n} ({label}): not submitted ({item.why or 'no script'}); call produce_videos "
                           "again with the same arguments")
            continue
        kind, raw = parse_job_id(state, item.job_id)
        try:
            status = await poll_once(state, kind, raw)
        except Refused as exc:
            failed += 1
            progress += 100.0
            reasons.append(f"item {n} ({label}): {exc}")
            continue
        if status.needs:  # a Video Agent item asks something: it renders only once a person answers
            needs = needs or status.needs
            asks.append(f"item {n} ({label}): {status.next_step}")
        if status.status == "failed":
            failed += 1
            reasons.append(f"item {n} ({label}, {item.job_id}): {status.failure or 'failed'}")
        elif status.done:
            completed += 1
        progress += 100.0 if status.done else status.progress
    total = len(items)
    done = completed + failed == total
    text = ("completed" if failed == 0 else "failed" if completed == 0 else "completed_with_failures") if done \
        else "rendering"
    progress = 100.0 if done else round(progress / max(total, 1), 1)
    queue = ""
    if waiting:
        queue = (f", {waiting} queued (HeyGen runs at most {state.settings.heygen_concurrency} video jobs at once; "
                 "wait_for_job sends them as slots free")
        if retry_at is not None:
            queue += f"; HeyGen said busy: next try in {max(0.0, retry_at - time.time()):.0f} s"
        queue += ")"
    return JobStatus(job_id=job_id, kind="batch", status=text, done=done, progress=progress,
                     message=f"{completed} of {total} done, {failed} failed, "
                     f"{total - completed - failed - waiting} rendering{queue}"
                     + "".join(f"; {ask}" for ask in asks),
                     failure="; ".join(reasons) or None, needs=needs,
                     next_step=_batch_step(text, job_id, None, remake) if needs is None else
                     f"{asks[0]} The other items go on meanwhile; then wait_for_job('{job_id}').")


def _video_progress(created_at: int | None, status: str, expected_s: float | None) -> float:
    """An estimate: HeyGen reports no progress for videos. It nears 95% as the expected time passes."""
    if status == "completed":
        return 100.0
    if status == "pending" or created_at is None:
        return 5.0
    elapsed = max(0.0, time.time() - created_at)
    return round(10 + 85 * (1 - math.exp(-2 * elapsed / (expected_s or 240))), 1)


async def poll_once(state: Tenant, kind: JobKind, raw_id: str, *, video_id: str | None = None) -> JobStatus:
    """One upstream look at a job; a 404 becomes a ToolError that ends any wait. ``video_id``: the video an earlier
    poll saw an agent session make (a session HeyGen no longer shows is followed through its video)."""
    if kind == "batch":
        status = await _batch_status(state, raw_id)
    else:
        status = await _shared_poll(state, kind, raw_id, video_id=video_id)
        if status.done or status.needs:  # ended, or waits on a person (renders nothing): its slot is free
            seen(state, raw_id, 0)
    remember(state, raw_id, status=status.status, duration=status.duration_s,
             failure=status.failure if status.done else None)
    return status


POLL_LEASE_S = 30.0
"""How long one caller's poll holds a job's lease; a holder that died (or hangs) frees it by then at the latest."""
SHORT_WAIT_S = 0.2
"""How long a caller that found the lease held sleeps between looks when no wake-up comes (SQLite, other processes)."""


async def _shared_poll(state: Tenant, kind: JobKind, raw_id: str, *, video_id: str | None = None) -> JobStatus:
    """``_poll``, at most once per job per poll interval across every caller of every replica (``core.replicas``).

    The first caller takes the job's lease in the store, polls HeyGen and stores the result; a caller within the
    interval gets that result; one that finds the lease held waits for the holder's result (woken by its
    ``polled:<id>`` news: in this process at once, from other replicas by PostgreSQL's NOTIFY, else a short sleep),
    and takes the lease over if it is freed or expires without one. A webhook's news clears the stored result
    (``serving.WebhookReceiver``), so the wake-up it causes polls HeyGen. A store that cannot be used: polled alone.
    """
    shared, scope = state.store.shared, state.jobs.scope.key
    holder = f"{state.store.owner}:{uuid.uuid4().hex[:8]}"
    try:
        with state.signals.listen(polled(raw_id)) as news:  # listening before looking: no result is missed
            while True:
                took = shared.take(scope, raw_id, holder, fresh_s=state.poll_interval, hold_s=POLL_LEASE_S)
                if took.result is not None:
                    try:
                        return JobStatus.model_validate_json(took.result)
                    except ValueError:  # written by another release: poll afresh
                        took = shared.take(scope, raw_id, holder, fresh_s=0.0, hold_s=POLL_LEASE_S)
                if took.mine:
                    break
                await news.wait(min(SHORT_WAIT_S, max(took.until - time.time(), 0.01)))
    except HeyGenError as exc:
        logger.warning("job store: %s; polling without the shared lease", exc.describe())
        return await _poll(state, kind, raw_id, video_id=video_id)
    try:
        status = await _poll(state, kind, raw_id, video_id=video_id)
    except BaseException:
        with contextlib.suppress(HeyGenError):
            shared.drop(scope, raw_id, holder)
        raise
    try:
        told = [polled(raw_id)]  # every replica's callers waiting on this lease: in the same transaction
        if status.needs:  # a person's turn ends when they answer (reply_to_agent): never served from the store
            shared.drop(scope, raw_id, holder, announce=told)
        else:
            shared.put(scope, raw_id, holder, status.model_dump_json(), announce=told)
    except HeyGenError as exc:
        logger.warning("job store: %s", exc.describe())
    state.signals.notify(polled(raw_id))
    return status


def acted_on(state: Tenant, *raw_ids: str) -> None:
    """This server changed these jobs (a reply to an agent, a stop): what was last polled of them is stale."""
    try:
        state.store.shared.forget(raw_ids)
    except HeyGenError as exc:
        logger.warning("job store: %s", exc.describe())


async def _poll(state: Tenant, kind: JobKind, raw_id: str, *, video_id: str | None = None) -> JobStatus:
    hg = state.client
    job_id = make_job_id(kind, raw_id)
    try:
        if kind == "video":
            record = known_job(state, raw_id)
            expected = record.get("expected_s") if record else None
            return _video_status(job_id, kind, await hg.videos.get(raw_id), expected)
        if kind == "agent":
            try:
                s = await hg.video_agents.get(raw_id)
            except NotFoundError:
                known = video_id or known_agent_video(state, raw_id)
                if known is None:
                    raise
                status = _video_status(job_id, kind, await hg.videos.get(known))  # not the end: the video is the job
                status.note = session_gone(raw_id, known)
                return status
            remember_agent_video(state, raw_id, s.video_id)
            remember(state, raw_id, title=s.title)  # HeyGen's name for it, not the brief's first words
            needs = agent_needs(s)
            if needs is not None:  # a person's turn: say so at once, whatever the status string is
                return JobStatus(job_id=job_id, kind=kind, status=s.status, done=False,
                                 progress=float(s.progress or 0), video_id=s.video_id, needs=needs,
                                 message=_agent_message(s), next_step=next_step(kind, s.status, job_id, needs=needs))
            if s.video_id and s.status in ("generating", "completed"):
                status = _video_status(job_id, kind, await hg.videos.get(s.video_id))
                status.progress = max(status.progress, float(s.progress or 0)) if not status.done else 100.0
                return status
            error = next((m.content for m in s.messages if m.type == "error"), None)
            silent = agent_silent_failure(s, known_job(state, raw_id), job_id)
            return JobStatus(job_id=job_id, kind=kind, status=s.status, done=s.status == "failed",
                             progress=100.0 if s.status == "failed" else float(s.progress or 0),
                             video_id=s.video_id,
                             failure=(silent[0] if silent else error) if s.status == "failed" else None,
                             next_step=silent[1] if silent else next_step(kind, s.status, job_id))
        if kind in ("translation", "lipsync"):  # pending → running → completed | failed, a file when done
            t = await (hg.translations.get(raw_id) if kind == "translation" else hg.lipsyncs.get(raw_id))
            done = t.status in TERMINAL
            return JobStatus(
                job_id=job_id, kind=kind, status=t.status, done=done,
                progress=100.0 if done else (10.0 if t.status == "pending" else 50.0),
                video_url=t.video_url, failure=t.failure_message if t.status == "failed" else None,
                next_step=next_step(kind, t.status, job_id),
            )
        if kind == "voice":
            voice = await hg.voices.get(raw_id)
            status_text = clone_status(voice.status)
            done = status_text in TERMINAL
            return JobStatus(job_id=job_id, kind=kind, status=status_text, done=done,
                             progress=100.0 if done else 50.0,
                             failure=(voice.failure_message or "cloning failed") if status_text == "failed" else None,
                             next_step=next_step(kind, status_text, job_id))
        look = await hg.avatars.get_look(raw_id)
        status_text = look.status or "completed"
        failure = (look.error or {}).get("message") if status_text == "failed" else None
        return JobStatus(job_id=job_id, kind=kind, status=status_text, done=status_text in TERMINAL,
                         progress=100.0 if status_text in TERMINAL else 50.0, failure=failure,
                         needs="consent" if waits_on_person(status_text) else None,
                         next_step=next_step(kind, status_text, job_id))
    except NotFoundError:
        raise unknown_job(job_id) from None


def video_failure(video: Video) -> str | None:
    """``code: message`` of a failed render (None unless it failed)."""
    if video.status != "failed":
        return None
    return f"{video.failure_code}: {video.failure_message}" if video.failure_code else video.failure_message


def _video_status(job_id: str, kind: JobKind, video: Video, expected_s: float | None = None) -> JobStatus:
    """A video's state, under the job id the model holds (a video job, or the agent session that made it)."""
    failure = video_failure(video)
    step = next_step("video", video.status, job_id)
    if failure and "INSUFFICIENT_CREDIT" in failure.upper():  # accepted, then failed: MOVIO_PAYMENT_INSUFFICIENT_CREDIT
        step = (f"The render failed for lack of API credit (an API key spends the API wallet, not the web plan): top "
                f"it up at {API_KEY_PAGE}, then create it again if the user agrees.")
    return JobStatus(job_id=job_id, kind=kind, status=video.status, done=video.status in TERMINAL,
                     progress=_video_progress(video.created_at, video.status, expected_s), video_id=video.id,
                     duration_s=video.duration if video.status == "completed" else None,
                     video_url=video.video_url, thumbnail_url=video.thumbnail_url, failure=failure, next_step=step)


def transient(exc: HeyGenError) -> str | None:
    """A short name for a failure that says nothing about the job (HeyGen busy or unreachable), else None.

    Each poll already went through the HTTP layer's retries (``core/http.py``); a burst that outlasts them is
    polled through by ``wait`` until its own bound, since a read can be repeated without effect on the job.
    """
    if isinstance(exc, RateLimitError):
        return f"429 {exc.code or 'rate_limited'}"
    if isinstance(exc, APIStatusError):
        return f"{exc.status_code} {exc.code or 'server_error'}" if exc.status_code >= 500 else None
    if isinstance(exc, APITimeoutError):
        return "timeout"
    if isinstance(exc, APIConnectionError):
        return "dropped connection" if exc.maybe_received else "no connection"
    if isinstance(exc, ResponseFormatError):
        return "malformed answer"
    return None


def _tally(failures: list[str]) -> str:
    return ", ".join(f"{what} ×{n}" if n > 1 else what for what, n in Counter(failures).most_common())


async def wait(state: Tenant, job_id: str, max_wait_s: float, progress: Progress) -> JobStatus:
    """Poll with backoff until the job ends or ``max_wait_s`` runs out; report progress on every poll.

    Between polls it listens for a webhook about this job (HTTP mode's receiver, ``state.signals``): news
    ends the pause at once and the next poll follows it. The poll stays the source of truth (a delivery
    may precede what the API shows), so after news the pace restarts from the shortest interval.

    Transient upstream failures (``transient``) do not end the wait: the last known state stands, the
    next poll follows the usual backoff (or a 429's Retry-After), and the answer's ``note`` counts them.
    """
    kind, raw = parse_job_id(state, job_id)
    started = time.monotonic()
    deadline = started + max_wait_s
    interval = state.poll_interval
    last_progress = -1.0
    status: JobStatus | None = None
    failures: list[str] = []
    tries = 0
    with state.signals.listen(raw) as news, anyio.move_on_after(max_wait_s):  # a hard bound, even if HeyGen is slow
        while True:
            tries += 1
            pause = interval
            try:
                status = await poll_once(state, kind, raw, video_id=status.video_id if status is not None else None)
            except HeyGenError as exc:
                what = transient(exc)
                if what is None:
                    raise
                failures.append(what)
                if isinstance(exc, RateLimitError) and exc.retry_after:
                    pause = max(pause, exc.retry_after)
                await progress(max(last_progress, 0.0), f"HeyGen answered {what}; polling on")
            else:
                last_progress = 100.0 if status.done else min(max(status.progress, last_progress + 0.1), 99.9)
                await progress(last_progress, f"{status.kind} {status.status}")
                if status.done or status.needs:  # finished, or a person's turn: waiting longer cannot help
                    break
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                break
            if status is not None and status.video_id:
                news.also(status.video_id)  # an agent session's video: its avatar_video event is news too
            if await news.wait(min(pause, remaining)):
                interval = state.poll_interval
            else:
                interval = min(interval * 1.5, state.poll_interval * 3)
    waited = round(time.monotonic() - started, 2)
    if status is None:
        if failures:
            raise Refused(
                f"HeyGen did not answer usefully for {waited:g} s ({len(failures)} polls: {_tally(failures)}); "
                f"the job is not affected. Call wait_for_job('{job_id}') again in a minute. Do not create it again.")
        raise Refused(f"HeyGen did not answer within {max_wait_s:g} s; call wait_for_job('{job_id}') again.")
    status.waited_s = waited
    if failures:
        met = f"{len(failures)} of {tries} polls met a transient HeyGen failure ({_tally(failures)}); polling went on."
        status.note = f"{status.note} {met}" if status.note else met
    if not status.done and not status.needs:
        status.next_step = next_step(kind, status.status, status.job_id, waited_s=status.waited_s)
    return status


def _job_row(job_id: str, records: list[JobRecord]) -> JobRow:
    """One job from its records, newest first: what any of them saw last."""

    def latest(name: str) -> Any:
        return next((r.get(name) for r in records if r.get(name) is not None), None)

    duration, path = latest("duration"), latest("path")
    return JobRow(job_id=job_id, title=latest("title") or next(filter(None, map(_title, records)), None),
                  state="downloaded" if isinstance(path, str) else str(latest("status") or "submitted"),
                  created_at=iso_time(min(r.created_at for r in records)),
                  duration_s=float(duration) if isinstance(duration, int | float) else None,
                  path=path if isinstance(path, str) else None)


def _title(record: JobRecord) -> str | None:
    """A record's title, less the marker a v2 create is found by after a lost answer (not a title anyone gave)."""
    return None if not record.title or record.title.startswith(V2_MARKER) else record.title


def iso_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _listed_id(entry: JobRecord) -> str:
    """The job id a row lists: ``<kind>:<id>`` (a produce_video row keeps its video's job id as it is)."""
    job_id = entry.job_id or ""
    return make_job_id(cast(JobKind, entry.kind), job_id) if entry.kind in JOB_KINDS else job_id


UNSETTLED = {
    "reserved": "sending: another call is submitting it now",
    "unknown": "unknown: sent, answer lost; repeat the same create (it checks HeyGen first, never pays twice)",
}


def list_jobs(state: Tenant, limit: int = 10) -> JobList:
    """This person's jobs on this HeyGen account (any server process), newest first, one row each."""
    groups: dict[str, list[JobRecord]] = {}  # one job may have several records (a produce_video and its create)
    rows: list[JobRow | str] = []  # a row, or the job id whose row is made from its group
    entries = state.recorded_jobs.recent(200) + (state.store.recent(LEGACY_SCOPE, 50) if state.journal_jobs else [])
    known: dict[str, dict[str, str]] = {}  # what any row of a job says of its end (a produce_video row and its video's)
    for entry in entries:
        if entry.state == "submitted" and entry.job_id and entry.kind in (*JOB_KINDS, "produce"):
            learnt = known.setdefault(_listed_id(entry), {})
            for name in ("status", "path"):
                if isinstance(entry.get(name), str) and name not in learnt:
                    learnt[name] = entry.get(name)
    for entry in entries:
        kind = entry.kind
        if kind not in (*JOB_KINDS, "produce") or entry.get("part_of"):
            continue  # produce_video plans and uploads are not jobs; a HeyGen batch inside a batch: listed as it
        if entry.state != "submitted":
            rows.append(JobRow(job_id="(no id yet)", title=_title(entry), created_at=iso_time(entry.created_at),
                               state=UNSETTLED[entry.state]))
            continue
        if not entry.job_id:
            continue
        job_id = make_job_id(cast(JobKind, kind), entry.job_id) if kind in JOB_KINDS else entry.job_id
        if job_id not in groups:
            groups[job_id] = []
            rows.append(job_id)
        groups[job_id].append(entry)
    listed = [row if isinstance(row, JobRow) else _job_row(row, groups[row]) for row in rows[:limit]]
    if state.person is not None:  # a team server's person: where in their folder, not where on the server's disk
        listed = [r.model_copy(update={"path": files.shown(state, Path(r.path))[0]}) if r.path else r for r in listed]
    return JobList(items=listed)
