"""HeyGen's concurrency limit: an account runs at most ``config.concurrency_limit`` video jobs at once.

HeyGen's pricing page (Concurrency Limits): "Pay-As-You-Go: 10 max concurrent video jobs. Concurrent jobs
include any asynchronous generation in progress: Video Agent sessions, avatar video renders, and video
translations. Exceeding the limit returns 429 Too Many Requests with a Retry-After header." (Enterprise: 20+.)

Here a job is in progress until its state machine ends at the sandbox clock: a video (not an agent's: its
session counts) until it completes or fails, a Video Agent session while it thinks or generates (one that
waits on a person renders nothing), a translation until it ends. A create that would go over the limit is
refused whole (``429 rate_limit_exceeded``, nothing made, nothing charged) with ``Retry-After``: the seconds
until enough running jobs end for it to fit. A batch counts its items (a translation body, one per output
language), and a batch larger than the limit itself never fits (its 429 says so). ``concurrency_limit=None``
turns the limit off.

The middleware keeps no idempotency record for a 429 (the request was never acted on), so the same
``Idempotency-Key`` sent again after ``Retry-After`` is a new attempt, not a replay of the refusal.
"""

from __future__ import annotations

import math

from .errors import ApiError
from .state import SandboxState


def running(state: SandboxState, now: float) -> list[float]:
    """When each job in progress ends (sandbox clock), soonest first."""
    ends = [v.terminal_at() for v in state.videos.values()
            if v.session_id is None and v.status(now) in ("pending", "processing")]
    ends += [s.current.done_at if s.current.renders else s.current.generating_at  # a pause frees its slot
             for s in state.sessions.values() if s.active(now)]
    ends += [t.terminal_at() for t in state.translations.values() if t.status(now) in ("pending", "running")]
    return sorted(ends)


def admit(state: SandboxState, jobs: int, what: str) -> None:
    """Let ``jobs`` new jobs start, or raise 429 with ``Retry-After`` (nothing is made or charged)."""
    limit = state.config.concurrency_limit
    if limit is None or jobs <= 0:
        return
    now = state.now()
    ends = running(state, now)
    if len(ends) + jobs <= limit:
        state.peak_in_flight = max(state.peak_in_flight, len(ends) + jobs)
        return
    state.refused_busy += 1
    if jobs > limit:
        wait_until = ends[-1] if ends else now
        message = (f"This {what} starts {jobs} jobs; your plan runs at most {limit} concurrent video jobs. "
                   f"Send at most {limit} at once.")
    else:
        wait_until = ends[len(ends) + jobs - limit - 1]
        message = (f"Concurrent job limit reached: {len(ends)} of {limit} jobs in progress, this {what} needs "
                   f"{jobs}. Retry after the duration specified in the Retry-After header.")
    seconds = max(1, math.ceil(wait_until - now)) if math.isfinite(wait_until) else 60
    raise ApiError(429, "rate_limit_exceeded", message, headers={"Retry-After": str(seconds)})
