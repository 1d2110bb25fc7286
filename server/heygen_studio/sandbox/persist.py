"""The sandbox's memory on disk (``SandboxConfig.state_path``), so an embedded sandbox survives restarts.

One SQLite file (stdlib ``sqlite3``, WAL, a busy timeout), one row per resource: ``(kind, id)`` holds
the resource as JSON and the ``seq`` of the write that last changed it. Several processes may embed
a sandbox over the same file at once (every MCP client window starts its own server): each is one
view of one simulated HeyGen account. Per-key accounts (accounts.py) each have a file of their own.

* **pull** (before every request): read the rows other processes wrote since the last pull
  (``seq`` greater than the last one seen; one indexed query, nothing when ``seq`` did not move)
  and update the in-memory records *in place*, so a request still running keeps valid references.
* **push** (after every request, after every tick): serialise the records, compare them with what
  was last read or written, and write only the changed rows (and tombstones for deleted ones) in one
  short ``BEGIN IMMEDIATE`` transaction that also bumps ``seq``. Credits are written as a *delta*
  (``credits = credits + spent``), so two processes charging at once both count.

Why SQLite rather than an atomically rewritten JSON snapshot: a snapshot under a file lock makes
every request rewrite the whole state, and two processes that each loaded it would overwrite each
other's new videos (last writer wins on everything); per-resource rows lose nothing that two
processes create, and SQLite's locking and WAL make a killed process harmless. Two processes
changing the *same* resource at the same moment keep the last write (a status flag or a rename);
at worst a finished job's webhook is delivered by both (HeyGen's delivery is at-least-once too).

What is kept: videos, Video Agent sessions, translations, lipsyncs, video and translation batches, created
avatars and looks, cloned voices, assets (their metadata and first bytes; the bytes of kept images and audio are
files in ``files/`` beside the state file: kept.py), speech, webhook endpoints and events, finished
``Idempotency-Key`` records, and credits. Not
kept: the request and delivery logs, injected faults, rotated media keys (tests' tools), in-flight idempotency
records (a crash must not leave a key "in progress" for 24 h).

The file is never trusted: a symlink or a file of another user is refused, a malformed row is
skipped with a warning, and when the file cannot be opened or written the sandbox warns and goes
on in memory.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
import math
import sqlite3
import time
import types
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin, get_type_hints

from .records import (
    AgentSession,
    Asset,
    AvatarGroup,
    AvatarLook,
    Batch,
    IdempotencyEntry,
    Lipsync,
    Translation,
    Video,
    Voice,
    WebhookEndpoint,
    WebhookEvent,
)
from .statefile import SCHEMA_VERSION, STATE_FILE, connect

if TYPE_CHECKING:
    from .store import SandboxStore

logger = logging.getLogger(__name__)

TOMBSTONE_DAYS = 7.0
__all__ = ["STATE_FILE", "SandboxDisk"]


class Malformed(ValueError):
    """A stored value that does not fit its record's field types."""


# -- the records kept ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    """One kind of resource: where the store keeps it, its record class, and which ones are kept."""

    name: str
    attr: str
    record: type[Any] | None  # None: a plain JSON object (speech)
    keep: Callable[[Any], bool] = lambda _: True


def _not_public(item: Any) -> bool:
    return not item.public  # the seeded public catalog is rebuilt on every start


def _private(voice: Any) -> bool:
    return bool(voice.type == "private")  # cloned voices; the public library is rebuilt on every start


KINDS = (
    Kind("video", "videos", Video),
    Kind("session", "sessions", AgentSession),
    Kind("translation", "translations", Translation),
    Kind("lipsync", "lipsyncs", Lipsync),
    Kind("batch", "batches", Batch),
    Kind("voice", "voices", Voice, _private),
    Kind("group", "groups", AvatarGroup, _not_public),
    Kind("look", "looks", AvatarLook, _not_public),
    Kind("asset", "assets", Asset),
    Kind("endpoint", "endpoints", WebhookEndpoint),
    Kind("speech", "speech", None),
    Kind("idempotency", "idempotency", IdempotencyEntry, lambda entry: entry.done),
)
EVENT = "event"  # webhook events: a list in the store, kept in order of creation
_BY_NAME = {kind.name: kind for kind in KINDS}


def _ident(kind: Kind, key: Any) -> str:
    return json.dumps(list(key)) if kind.name == "idempotency" else str(key)


def _key(kind: Kind, ident: str) -> Any:
    if kind.name != "idempotency":
        return ident
    parts = json.loads(ident)
    if not (isinstance(parts, list) and len(parts) == 3 and all(isinstance(p, str) for p in parts)):
        raise Malformed("idempotency key")
    return tuple(parts)


# -- JSON codec ------------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return vars(value)
    raise TypeError(f"{type(value).__name__} is not kept")


_ENCODER = json.JSONEncoder(default=_json_default, separators=(",", ":"))


def encode(item: Any) -> str:
    """A record as JSON (its fields in declaration order; bytes as base64). Run after every request
    over every record, so it avoids ``dataclasses.asdict`` (a deep copy): ~5 µs a video."""
    return _ENCODER.encode(vars(item) if dataclasses.is_dataclass(item) else item)


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _revive(value: Any, hint: Any) -> Any:
    """``value`` (from JSON) as a ``hint``; ``Malformed`` when it does not fit."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        for arg in args:
            try:
                return _revive(value, arg)
            except Malformed:
                continue
        raise Malformed(repr(hint))
    if hint is type(None):
        if value is None:
            return None
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif hint is bytes:
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                pass
    elif origin in (list, tuple) and isinstance(value, list):
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) == len(args):
                return tuple(_revive(v, a) for v, a in zip(value, args, strict=True))
        else:
            items = [_revive(v, args[0]) for v in value] if args else list(value)
            return tuple(items) if origin is tuple else items
    elif origin is dict or hint is dict:
        if isinstance(value, dict):
            return value
    elif isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, value)
    raise Malformed(repr(hint))


def build(cls: type[Any], data: Any) -> Any:
    """A record of ``cls`` from its JSON form, every field checked against its type."""
    if not isinstance(data, dict):
        raise Malformed(cls.__name__)
    hints = _hints(cls)
    values = {f.name: _revive(data[f.name], hints[f.name]) for f in dataclasses.fields(cls) if f.name in data}
    try:
        return cls(**values)
    except TypeError:  # a required field is missing
        raise Malformed(cls.__name__) from None


def decode(kind: Kind, data: str) -> Any:
    value = json.loads(data)
    if kind.record is None:
        if not isinstance(value, dict):
            raise Malformed(kind.name)
        return value
    return build(kind.record, value)


class SandboxDisk:
    """The link between one sandbox's memory and the shared file. Use ``open()``; ``None`` = memory only."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._seen = 0  # the last ``seq`` pulled
        self._saved: dict[str, dict[str, str]] = {kind.name: {} for kind in KINDS}
        self._events: set[str] = set()
        self._credits_synced = 0.0
        self._failing = False

    @classmethod
    def open(cls, path: Path, store: SandboxStore) -> SandboxDisk | None:
        """Attach ``store`` to the file at ``path`` and load it; ``None`` (with a warning) when it cannot be."""
        try:
            conn = connect(path)
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                schema = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
                if schema == SCHEMA_VERSION:
                    conn.execute("INSERT OR IGNORE INTO meta VALUES ('seq', 0)")
                    conn.execute("INSERT OR IGNORE INTO meta VALUES ('credits', ?)", (store.credits,))
                    conn.execute("DELETE FROM resources WHERE data IS NULL AND updated_at < ?",
                                 (time.time() - TOMBSTONE_DAYS * 86400,))
            if schema != SCHEMA_VERSION:
                conn.close()
                raise OSError(f"it was written by another version (schema {schema!r})")
        except (OSError, sqlite3.Error) as exc:
            logger.warning("the sandbox keeps its state in memory only: %s cannot be used (%s)", path, exc)
            return None
        disk = cls(path, conn)
        disk._credits_synced = store.credits
        disk.pull(store)
        return disk

    def close(self) -> None:
        self._conn.close()

    def _trouble(self, action: str, exc: Exception) -> None:
        if not self._failing:
            logger.warning("the sandbox could not %s %s (%s); going on in memory", action, self.path, exc)
        self._failing = True

    # -- read --------------------------------------------------------------------------------------
    def pull(self, store: SandboxStore) -> None:
        """Apply what other processes wrote since the last pull."""
        try:
            seq, credits = self._conn.execute(
                "SELECT (SELECT value FROM meta WHERE key = 'seq'), (SELECT value FROM meta WHERE key = 'credits')"
            ).fetchone()
            if seq == self._seen:
                return
            rows = self._conn.execute(
                "SELECT kind, id, data FROM resources WHERE seq > ? AND seq <= ? ORDER BY seq", (self._seen, seq)
            ).fetchall()
        except sqlite3.Error as exc:
            self._trouble("read", exc)
            return
        if isinstance(credits, int | float) and math.isfinite(credits):
            store.credits = round(credits + store.credits - self._credits_synced, 4)
            self._credits_synced = float(credits)
        for kind, ident, data in rows:
            try:
                self._apply(store, str(kind), str(ident), data)
            except (Malformed, ValueError, TypeError) as exc:
                logger.warning("the sandbox skips a malformed %s row %r in %s (%s)", kind, ident, self.path, exc)
        self._seen = int(seq)
        self._failing = False

    def _apply(self, store: SandboxStore, kind_name: str, ident: str, data: str | None) -> None:
        if kind_name == EVENT:
            if data is not None and ident not in self._events:
                store.events.append(build(WebhookEvent, json.loads(data)))
                self._events.add(ident)
            return
        kind = _BY_NAME.get(kind_name)
        if kind is None:
            return  # a kind a newer version keeps
        saved = self._saved[kind.name]
        if data is not None and saved.get(ident) == data:
            return  # our own write, read back
        target: MutableMapping[Any, Any] = getattr(store, kind.attr)
        key = _key(kind, ident)
        if data is None:
            target.pop(key, None)
            saved.pop(ident, None)
            return
        item = decode(kind, data)
        current = target.get(key)
        if kind.record is not None and type(current) is type(item):
            vars(current).update(vars(item))  # in place: a running request keeps its reference
        else:
            target[key] = item
        saved[ident] = data

    # -- write -------------------------------------------------------------------------------------
    def push(self, store: SandboxStore) -> None:
        """Write what changed in this process since the last pull or push."""
        changes: list[tuple[str, str, str | None]] = []
        for kind in KINDS:
            saved = self._saved[kind.name]
            present: set[str] = set()
            for key, item in getattr(store, kind.attr).items():
                if not kind.keep(item):
                    continue
                ident = _ident(kind, key)
                present.add(ident)
                data = encode(item)
                if saved.get(ident) != data:
                    changes.append((kind.name, ident, data))
            changes += [(kind.name, ident, None) for ident in saved if ident not in present]
        events = [event for event in store.events if event.event_id not in self._events]
        changes += [(EVENT, event.event_id, encode(event)) for event in events]
        spent = round(store.credits - self._credits_synced, 4)
        if not changes and not spent:
            return
        now = time.time()
        try:
            with self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                (seq,) = self._conn.execute("SELECT value + 1 FROM meta WHERE key = 'seq'").fetchone()
                self._conn.executemany(
                    "INSERT INTO resources (kind, id, seq, data, updated_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, data = excluded.data, "
                    "updated_at = excluded.updated_at",
                    [(kind_name, ident, seq, data, now) for kind_name, ident, data in changes],
                )
                self._conn.execute("UPDATE meta SET value = round(value + ?, 4) WHERE key = 'credits'", (spent,))
                self._conn.execute("UPDATE meta SET value = ? WHERE key = 'seq'", (seq,))
                (credits,) = self._conn.execute("SELECT value FROM meta WHERE key = 'credits'").fetchone()
        except sqlite3.Error as exc:
            self._trouble("write", exc)
            return
        for kind_name, ident, written in changes:
            if kind_name == EVENT:
                self._events.add(ident)
            elif written is None:
                self._saved[kind_name].pop(ident, None)
            else:
                self._saved[kind_name][ident] = written
        store.credits = self._credits_synced = float(credits)
        self._failing = False
