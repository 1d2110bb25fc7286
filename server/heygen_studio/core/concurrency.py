"""HeyGen's concurrency limit, as the job store sees it: how many of the account's job slots are taken.

HeyGen runs at most so many video jobs at once per account (Pay-As-You-Go 10, Enterprise 20+: the
``HEYGEN_CONCURRENCY`` setting); video renders, Video Agent sessions and translations count, a batch's
items each count, and a create beyond the limit gets 429 with ``Retry-After``. So that a series of many
videos fits, ``produce_videos`` sends only what the free slots take and queues the rest
(``workflow/batches.py``). The job store is shared by every server process of the user, so it knows what is
in flight across processes:

* every paid create of a job kind that counts records how many slots it holds (``hold``: ``slots`` in its
  row, written with its claim, before it is sent);
* ``in_flight`` sums the slots of the rows made within ``HORIZON_S``; a row it has not seen for
  ``FRESH_S`` is looked up at HeyGen first (one GET; a batch's counts come with its detail) and its
  ``slots`` set to what still runs: 0 once it ended (or waits on a person), so it frees its slots.

Jobs made elsewhere (HeyGen's web app, another machine) are not in the store: HeyGen's 429 then says so,
and its ``Retry-After`` is honoured by the caller.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from .errors import HeyGenError, NotFoundError
from .models import BatchDetail

if TYPE_CHECKING:
    from .client import HeyGenClient
    from .store import Job, JobRecord, ScopedJobs

logger = logging.getLogger(__name__)

HORIZON_S = 3 * 3600.0  # a job older than this holds no slot (renders take minutes; an hour is rare)
FRESH_S = 5.0  # a row looked up at HeyGen this recently is taken at its word
MAX_LOOKUPS = 40  # at most this many GETs per count: older rows count as recorded
_ENDED = frozenset({"completed", "failed", "complete"})
_PERSON = frozenset({"waiting_for_input", "reviewing", "pending_consent"})  # renders nothing until a reply


def hold(job: Job, body: dict[str, Any]) -> None:
    """Record on a create's job how many slots it takes: a video or a Video Agent session one, a translation
    one per output language, a batch one per item; other kinds (avatars, voices, lipsyncs) none."""
    if job.kind in ("video", "agent"):
        slots = 1
    elif job.kind == "translation":
        slots = len(body.get("output_languages") or ()) or 1
    elif job.kind == "batch":
        items = job.data.get("items")
        slots = items if isinstance(items, int) else 0
    else:
        return
    if slots > 0:
        job.data.setdefault("slots", slots)


async def in_flight(client: HeyGenClient, jobs: ScopedJobs) -> int:
    """Slots taken now by this account's jobs in the store (looked up at HeyGen when not seen lately)."""
    now = time.time()
    total = 0
    for n, rec in enumerate(jobs.holding(since=now - HORIZON_S)):
        slots = int(rec.get("slots") or 0)
        seen = float(rec.get("checked_at") or 0)
        if n < MAX_LOOKUPS and rec.state == "submitted" and rec.job_id and now - seen > FRESH_S:
            slots = await _running(client, rec, slots)
            try:
                jobs.update(rec.job_id, slots=slots, checked_at=round(time.time(), 3))
            except HeyGenError as exc:
                logger.warning("job store: %s", exc.describe())
        total += slots
    return total


async def _running(client: HeyGenClient, rec: JobRecord, slots: int) -> int:
    """How many of a job's slots are still taken, from HeyGen's answer (as recorded when it cannot tell)."""
    assert rec.job_id is not None
    try:
        if rec.kind == "video":
            return 0 if (await client.videos.get(rec.job_id)).status in _ENDED else 1
        if rec.kind == "agent":
            status = (await client.video_agents.get(rec.job_id)).status
            return 0 if status in _ENDED or status in _PERSON else 1
        if rec.kind == "translation":
            return 0 if (await client.translations.get(rec.job_id)).status in _ENDED else slots
        if rec.kind == "batch":
            api = "video-translations" if rec.get("api") == "translations" else "videos"
            detail = await client.get(f"/v3/{api}/batches/{rec.job_id}", BatchDetail, {"limit": 1})
            if detail.counts_by_status:
                return sum(n for status, n in detail.counts_by_status.items() if status not in _ENDED)
            return 0 if detail.status in _ENDED else slots
    except NotFoundError:
        return 0  # gone at HeyGen (deleted): it runs nothing
    except HeyGenError as exc:
        logger.info("could not look up %s %s: %s", rec.kind, rec.job_id, exc.describe())
    return slots
