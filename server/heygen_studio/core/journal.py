"""The job journal: every job this server submits, appended to a JSON-lines file.

A paid job that was submitted is never forgotten (the record is written as soon as HeyGen
returns its id) and never silently resubmitted (creates look their idempotency key up here
first where HeyGen offers no key of its own). Records carry no secrets: ids, kinds, titles.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Literal, get_args

logger = logging.getLogger(__name__)

JobKind = Literal["video", "agent", "translation", "look"]
"""The kinds of job HeyGen runs for us; a job id is ``<kind>:<HeyGen id>``."""
JOB_KINDS: frozenset[str] = frozenset(get_args(JobKind))
RecordKind = JobKind | Literal["asset", "produce", "produce_plan"]
"""What the journal records: jobs, plus uploads and produce_video plans that stand in for keys."""
_LEGACY_KINDS = {"agent_session": "agent", "avatar_look": "look"}  # written before 0.2; read as today's


class JobJournal:
    def __init__(self, path: Path | None) -> None:
        """``path=None`` keeps the journal in memory only (tests, read-only folders)."""
        self.path = path
        self._lock = threading.Lock()
        self._loaded: list[dict[str, Any]] | None = None

    @property
    def _records(self) -> list[dict[str, Any]]:
        """The file is read on first use, not at start-up: most sessions never look back."""
        if self._loaded is None:
            self._loaded = []
            if self.path is not None and self.path.is_file():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue  # a torn last line from a crash: skip it, keep the rest
                    entry["kind"] = _LEGACY_KINDS.get(entry.get("kind"), entry.get("kind"))
                    self._loaded.append(entry)
        return self._loaded

    def record(self, *, kind: RecordKind, job_id: str, key: str | None = None, title: str | None = None,
               **extra: Any) -> dict[str, Any]:
        entry = {"job_id": job_id, "kind": kind, "key": key, "title": title, "created_at": time.time(),
                 **{k: v for k, v in extra.items() if v is not None}}
        with self._lock:
            self._records.append(entry)
            if self.path is not None:
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    with self.path.open("a+b") as fh:
                        if fh.tell():  # end a line torn by a crash, so this record stays readable
                            fh.seek(-1, 2)
                            if fh.read(1) != b"\n":
                                fh.write(b"\n")  # append mode: writes go to the end whatever the seek
                        fh.write(json.dumps(entry, separators=(",", ":")).encode() + b"\n")
                except OSError as exc:  # the job exists at HeyGen: never turn a paid create into an error
                    logger.warning("could not write the job journal %s (%s); job %s is kept in memory only",
                                   self.path, exc.strerror or exc, job_id)
        return entry

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            for entry in self._records[::-1]:  # newest first (typeshed types reversed(list) as Any)
                if entry["job_id"] == job_id:
                    return entry
        return None

    def find_by_key(self, key: str, *, max_age_s: float | None = None) -> dict[str, Any] | None:
        cutoff = time.time() - max_age_s if max_age_s is not None else None
        with self._lock:
            for entry in self._records[::-1]:  # newest first (typeshed types reversed(list) as Any)
                if entry.get("key") == key and (cutoff is None or entry["created_at"] >= cutoff):
                    return entry
        return None

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        with self._lock:
            return list(reversed(self._records[-limit:]))
