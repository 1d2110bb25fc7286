"""HeyGen webhook deliveries: verify them, say which job each is about, wake whoever waits on that job.

**What the contract says** (``contract.json``: top-level ``webhooks.heygenEvent`` and ``WebhookDelivery``):
registered endpoints get deliveries *signed* with headers ``Heygen-Signature``, ``Heygen-Timestamp`` and
``Heygen-Event-Id``, an HMAC with the endpoint's ``whsec_`` secret; per-job ``callback_url`` deliveries are
*not* signed. It does not say which bytes are signed. **Unconfirmed** (research 2026-11 §1.6): at least six
independent public verifiers agree on the *body form*, ``Heygen-Signature`` = lowercase hex
HMAC-SHA256(secret, raw body), the timestamp checked separately (±300 s); 0.1 of this package (and the
sandbox until now) read it as the *v1 form*, ``v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>``.
``check`` accepts both; the sandbox signs with the body form.

Either way a delivery verifies only when: the secret is not blank; a signature matches; the timestamp is a
plain unix-seconds number within five minutes of now; and the event is new. "New" is remembered by the
caller's ``remember`` (the server uses the job store, so every process shares it): the event id, and a
hash of the signed body. The body form signs neither timestamp nor event id, so a captured delivery
re-sent with fresh headers is caught by the body hash. The signature is also read from ``X-HeyGen-Signature``
or ``Signature``, the names third-party receivers report (``SIGNATURE_HEADERS``); the check is the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import anyio

from .errors import HeyGenError

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

    from .sql import Database

try:
    import fcntl
except ImportError:  # Windows: no advisory lock; each write is still atomic (os.replace)
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

TOLERANCE_S = 300
"""Deliveries signed more than five minutes from now are stale (HeyGen's documented tolerance)."""
REMEMBER_S = 24 * 3600
"""How long event ids are remembered: HeyGen retries a delivery for up to 24 h (one integration spec)."""
MAX_TIMESTAMP_DIGITS = 12  # unix seconds until the year 33658; int() of 5000 digits raises
MAX_EVENT_ID = 256
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
SIGNATURE_HEADERS = ("heygen-signature", "x-heygen-signature", "signature")
"""Where the signature is read, first one present wins: the contract's name, then the names third-party
receivers report HeyGen using. Only the name varies; what must match (the HMAC) is the same for all."""

Remember = Callable[[str], bool]
"""Records a key; True the first time it is seen, False for a replay (``SQLiteJobStore.remember_event``)."""


class Refused(Exception):
    """A delivery that must not be acted on; ``status`` is the HTTP answer (4xx), ``str()`` why."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


# -- signing -----------------------------------------------------------------------------------------
def sign(secret: str, body: bytes) -> str:
    """The body form (what HeyGen's public verifiers check): lowercase hex HMAC-SHA256(secret, raw body)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign_v1(secret: str, timestamp: int | str, body: bytes) -> str:
    """The v1 form: ``v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`` (0.1's reading; still accepted)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


# -- verifying ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verified:
    event_id: str
    timestamp: int
    form: Literal["body", "v1"]


def parse_timestamp(text: str) -> int | None:
    """Unix seconds as plain ASCII digits, at most 12 of them; anything else is None (never an exception)."""
    text = text.strip()
    if not text or len(text) > MAX_TIMESTAMP_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _signed_by(secrets: list[bytes], given: str, timestamp: str, body: bytes) -> Literal["body", "v1"] | None:
    """Which form matched, if any. Several signatures may be sent (comma or space separated: a rotation)."""
    for part in re.split(r"[,\s]+", given.strip()):
        if part.startswith("v1="):
            candidate, form, signed = part[3:].lower(), "v1", f"{timestamp}.".encode() + body
        elif _HEX64.match(part):
            candidate, form, signed = part.lower(), "body", body
        else:
            continue
        for key in secrets:
            if hmac.compare_digest(hmac.new(key, signed, hashlib.sha256).hexdigest(), candidate):
                return "v1" if form == "v1" else "body"
    return None


def check(secrets: Iterable[str | None], headers: Mapping[str, str], body: bytes, *, remember: Remember,
          tolerance_s: float = TOLERANCE_S, now: float | None = None) -> Verified:
    """Verify one delivery against any of ``secrets``; raise ``Refused`` (with a 4xx status) when it fails.

    Order: a usable secret, the headers' shape, the signature, the time window, then (only for a delivery that
    passed all of those) ``remember`` the event id and the body's hash, so forged deliveries cannot burn ids.
    """
    keys = [s.encode() for s in secrets if s and s.strip()]
    if not keys:
        raise Refused("no webhook secret is configured (HEYGEN_WEBHOOK_SECRET, or add_webhook with url='self')")
    lower = {k.lower(): v for k, v in headers.items()}
    given = next((lower[name].strip() for name in SIGNATURE_HEADERS if lower.get(name, "").strip()), "")
    if not given:
        raise Refused("unsigned: no Heygen-Signature (or X-HeyGen-Signature, Signature) header")
    raw_stamp = lower.get("heygen-timestamp", "")
    stamp = parse_timestamp(raw_stamp)
    if stamp is None:
        raise Refused("Heygen-Timestamp must be unix seconds", 400)
    event_id = lower.get("heygen-event-id", "").strip()
    if not event_id or len(event_id) > MAX_EVENT_ID or not event_id.isprintable():
        raise Refused("a Heygen-Event-Id header is required (it is how replays are recognised)", 400)
    form = _signed_by(keys, given, raw_stamp.strip(), body)
    if form is None:
        raise Refused("the signature does not match (wrong secret, or the body was changed)")
    if abs((time.time() if now is None else now) - stamp) > tolerance_s:
        raise Refused(f"stale: Heygen-Timestamp is more than {tolerance_s:g} s from now")
    if not remember(f"event:{event_id}"):
        raise Refused(f"replayed: event {event_id} was received already", 409)
    if not remember(f"body:{hashlib.sha256(body).hexdigest()}"):
        raise Refused("replayed: these signed bytes were received already", 409)
    return Verified(event_id, stamp, form)


class EventMemory:
    """An in-process ``Remember`` (for ``verify`` when no store is given): keys expire after ``max_age_s``."""

    def __init__(self, max_age_s: float = REMEMBER_S) -> None:
        self.max_age_s = max_age_s
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: t for k, t in self._seen.items() if now - t < self.max_age_s}
            seen = self._seen.get(key)
            if seen is not None and now - seen < self.max_age_s:
                return False
            self._seen[key] = now
            return True


_PROCESS_MEMORY = EventMemory()


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, remember: Remember | None = None,
           tolerance_s: float = TOLERANCE_S, now: float | None = None) -> bool:
    """True when the delivery is signed with ``secret`` (either form), recent, and not seen before.

    ``remember`` defaults to a memory of this process; pass the job store's ``remember_event`` to share it.
    """
    try:
        check([secret], headers, body, remember=remember or _PROCESS_MEMORY, tolerance_s=tolerance_s, now=now)
    except Refused:
        return False
    return True


# -- which job a delivery is about -------------------------------------------------------------------
@dataclass(frozen=True)
class JobEvent:
    """A delivery about one of our job kinds: ``kind:raw_id`` is the job id the tools use."""

    event_type: str
    kind: Literal["video", "agent", "translation", "look"]
    raw_id: str
    status: Literal["completed", "failed"]
    failure: str | None = None
    video_id: str | None = None

    @property
    def job_id(self) -> str:
        return f"{self.kind}:{self.raw_id}"

    @property
    def keys(self) -> tuple[str, ...]:
        """What ``JobSignals`` wakes: the id, and the video an agent session made."""
        return (self.raw_id, self.video_id) if self.video_id and self.video_id != self.raw_id else (self.raw_id,)


# event type prefix → (job kind, the event_data field holding its id). Payload shapes: HeyGen's webhook-events
# page (docs.heygen.com/docs/using-webhook-events) as the sandbox emits them (sandbox/events.py).
_JOB_EVENTS: dict[str, tuple[Literal["video", "agent", "translation", "look"], str]] = {
    "avatar_video": ("video", "video_id"),
    "video_agent": ("agent", "session_id"),
    "video_translate": ("translation", "video_translate_id"),
    "photo_avatar_train": ("look", "avatar_id"),
    "photo_avatar_generation": ("look", "avatar_id"),
    "instant_avatar": ("look", "avatar_id"),
}


def job_event(payload: Any) -> JobEvent | None:
    """The job a delivery's JSON (``{"event_type", "event_data"}``) is about; None for other events."""
    if not isinstance(payload, dict) or not isinstance(payload.get("event_type"), str):
        raise Refused("the body is not a HeyGen event ({event_type, event_data})", 400)
    event_type: str = payload["event_type"]
    data = payload.get("event_data")
    prefix, _, outcome = event_type.rpartition(".")
    if prefix.startswith("video_translate.preflight"):
        prefix, outcome = "video_translate", "fail"  # validation_failed / download_failed: the job will not run
    target = _JOB_EVENTS.get(prefix)
    if target is None or outcome not in ("success", "fail") or not isinstance(data, dict):
        return None
    kind, id_field = target
    raw_id = data.get(id_field)
    if not isinstance(raw_id, str) or not raw_id or len(raw_id) > 128:
        return None
    failure = None
    if outcome == "fail":
        error = data.get("error")
        text = data.get("msg") or data.get("message") or (error.get("message") if isinstance(error, dict) else None)
        failure = str(text)[:500] if text else "failed"
    video_id = data.get("video_id") if kind == "agent" and isinstance(data.get("video_id"), str) else None
    return JobEvent(event_type, kind, raw_id, "completed" if outcome == "success" else "failed", failure, video_id)


# -- waking waiters ----------------------------------------------------------------------------------
@dataclass(eq=False)
class Waiter:
    """One ``wait_for_job`` listening for news of some ids; ``wait`` returns True when news came."""

    signals: JobSignals
    ids: set[str] = field(default_factory=set)
    _event: anyio.Event = field(default_factory=anyio.Event)

    def also(self, job: str) -> None:
        if job not in self.ids:
            self.ids.add(job)
            self.signals._waiting.setdefault(job, set()).add(self)

    def fire(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` s; True (at once) if news came since the last call."""
        with anyio.move_on_after(max(timeout, 0.0)):
            await self._event.wait()
        woke = self._event.is_set()
        if woke:
            self._event = anyio.Event()  # no await since the wake-up: news after this point sets the new one
        return woke


class JobSignals:
    """In-process wake-ups: the webhook receiver says "job X changed", every ``wait_for_job`` on X polls now.

    One per server (``create_server``), shared by the HTTP receiver and the tools through the lifespan state.
    A listener is registered before its first poll, so news arriving during a poll is not lost.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, set[Waiter]] = {}

    @contextlib.contextmanager
    def listen(self, *ids: str) -> Iterator[Waiter]:
        waiter = Waiter(self)
        for job in ids:
            waiter.also(job)
        try:
            yield waiter
        finally:
            for job in waiter.ids:
                listeners = self._waiting.get(job)
                if listeners is not None:
                    listeners.discard(waiter)
                    if not listeners:
                        del self._waiting[job]

    def notify(self, *ids: str) -> int:
        """Wake every waiter on any of ``ids``; returns how many were woken."""
        woken = {w for job in ids for w in self._waiting.get(job, ())}
        for waiter in woken:
            waiter.fire()
        return len(woken)

    def notify_all(self) -> int:
        """Wake every waiter (news may have been missed: a lost connection to the other replicas)."""
        woken = {w for listeners in self._waiting.values() for w in listeners}
        for waiter in woken:
            waiter.fire()
        return len(woken)

    def waiting(self, job: str) -> int:
        return len(self._waiting.get(job, ()))


# -- secrets of endpoints this server registered for itself ------------------------------------------
class SecretKeeper(Protocol):
    """Where the ``whsec_`` secrets of endpoints registered with ``add_webhook(url='self')`` are kept, so the
    receiver can check deliveries without the user copying a secret by hand: ``SecretBook`` (a file beside the
    SQLite job store) or ``StoredSecrets`` (the PostgreSQL database every replica shares). Both are opened by
    ``core.backends.Stores.webhook_secrets``."""

    where: str
    """Where they are kept, for a person (no secret)."""

    def secrets(self) -> list[str]: ...
    def add(self, endpoint_id: str, url: str, secret: str) -> None: ...
    def remove(self, endpoint_id: str) -> bool: ...
    def close(self) -> None: ...


class SecretBook:
    """The secrets in a JSON file beside the SQLite job store, the user's own (0600, in their 0700 state folder),
    written atomically and never through a link. On one machine that file is as shared as the store itself, and
    it needs no key: a one-person server has no HEYGEN_SECRET_KEY. Not in the SQLite store's rows, which hold no
    secret in clear. ``add`` and ``remove`` raise ``OSError`` when the file cannot be written.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def _read(self) -> list[dict[str, Any]]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return []
        except OSError as exc:
            logger.warning("cannot read webhook secrets %s: %s", self.path, exc.strerror or exc)
            return []
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            foreign = hasattr(os, "geteuid") and info.st_uid != os.geteuid()
            if not stat.S_ISREG(info.st_mode) or foreign or info.st_size > 1 << 20:
                logger.warning("ignoring webhook secrets %s: not a small regular file of this user", self.path)
                return []
            try:
                entries = json.loads(handle.read())
            except ValueError:
                logger.warning("ignoring webhook secrets %s: not JSON", self.path)
                return []
        if not isinstance(entries, list):
            return []
        return [e for e in entries if isinstance(e, dict) and isinstance(e.get("secret"), str)]

    def secrets(self) -> list[str]:
        return [e["secret"] for e in self._read() if e["secret"].strip()]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.with_name(self.path.name + ".lock"),
                     os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # two processes registering at once both keep their secret
            yield
        finally:
            os.close(fd)

    def _write(self, entries: list[dict[str, Any]]) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(entries, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)  # replaces a planted link itself, never writes through it

    def add(self, endpoint_id: str, url: str, secret: str) -> None:
        """Keep a secret (OSError when the file cannot be written)."""
        with self._locked():
            entries = [e for e in self._read() if e.get("endpoint_id") != endpoint_id]
            entries.append({"endpoint_id": endpoint_id, "url": url, "secret": secret, "saved_at": int(time.time())})
            self._write(entries)

    def remove(self, endpoint_id: str) -> bool:
        with self._locked():
            entries = self._read()
            kept = [e for e in entries if e.get("endpoint_id") != endpoint_id]
            if len(kept) == len(entries):
                return False
            self._write(kept)
            return True

    def close(self) -> None:
        pass


class SecretsKeyError(HeyGenError):
    """A webhook secret cannot be kept in (or read from) the shared database without HEYGEN_SECRET_KEY."""

    default_hint = ("Set HEYGEN_SECRET_KEY (the same on every replica) to a Fernet key, make one with "
                    "python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\", "
                    "restart, and call add_webhook() again; or set HEYGEN_WEBHOOK_SECRET to the endpoint's secret.")


class StoredSecrets:
    """The secrets in the job store's ``webhook_secrets`` table (PostgreSQL, ``core.schema`` version 5): a delivery
    reaches whichever replica the balancer picks, and every replica must check it, so the secret cannot live on
    one replica's disk. A database is copied, backed up and read by other machines, so a secret is kept there
    only encrypted (Fernet, with HEYGEN_SECRET_KEY, as a person's HeyGen key is): ``add`` without that key raises
    ``SecretsKeyError``; a row sealed with another key is skipped (and logged) by ``secrets``."""

    def __init__(self, db: Database, secret_key: str | None) -> None:
        self._db = db
        self.where = f"{db.where} (encrypted with HEYGEN_SECRET_KEY)"
        self._fernet: Fernet | None = None
        if secret_key is not None:
            from cryptography.fernet import Fernet

            self._fernet = Fernet(secret_key)

    def secrets(self) -> list[str]:
        from cryptography.fernet import InvalidToken

        with self._db.tx(write=False) as conn:
            rows = conn.execute("SELECT endpoint_id, sealed FROM webhook_secrets ORDER BY saved_at").fetchall()
        found = []
        for endpoint_id, sealed in rows:
            try:
                if self._fernet is None:
                    raise InvalidToken
                found.append(self._fernet.decrypt(str(sealed).encode()).decode())
            except InvalidToken:
                logger.warning("cannot read the secret of webhook %s: HEYGEN_SECRET_KEY is %s", endpoint_id,
                               "not set" if self._fernet is None else "not the key it was kept with")
        return [secret for secret in found if secret.strip()]

    def add(self, endpoint_id: str, url: str, secret: str) -> None:
        if self._fernet is None:
            raise SecretsKeyError(f"The webhook secret cannot be kept in {self._db.where}: HEYGEN_SECRET_KEY is not "
                                  "set, and a secret is kept there only encrypted")
        sealed = self._fernet.encrypt(secret.encode()).decode()
        with self._db.tx(write=True) as conn:
            conn.execute("INSERT INTO webhook_secrets (endpoint_id, url, sealed, saved_at) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (endpoint_id) DO UPDATE SET url = excluded.url, sealed = excluded.sealed, "
                         "saved_at = excluded.saved_at", (endpoint_id, url, sealed, time.time()))

    def remove(self, endpoint_id: str) -> bool:
        with self._db.tx(write=True) as conn:
            return conn.execute("DELETE FROM webhook_secrets WHERE endpoint_id = ?", (endpoint_id,)).rowcount > 0

    def close(self) -> None:
        self._db.close()
