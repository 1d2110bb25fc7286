"""The people a team server serves (issue #16 §2): who they are, their personal tokens, their own HeyGen keys.

One row per person in the job store (table ``people``: ``core.schema``; SQLite's ``jobs.sqlite3`` or the
PostgreSQL database HEYGEN_STORE_URL names), through a ``core.sql.Database`` of its own (``core.backends``
opens it), so every server process, every replica and ``heygen-studio tokens`` see one list, and a revocation
holds at once for the next request of every process.

Secrets at rest: a personal token (``hgs_…``) is kept only as its SHA-256; a person's HeyGen key only encrypted
(Fernet) with ``HEYGEN_SECRET_KEY``. Neither is a field of ``Person``, so no repr, log line or listing shows one.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import math
import re
import secrets
import time
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from .errors import HeyGenError
from .sql import Database
from .store import DAY_S, JobStore, Scope

TOKEN_PREFIX = "hgs_"
NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
SUBJECT_MAX = 255  # OpenID Connect: a `sub` is at most 255 ASCII characters
MAKE_SECRET_KEY = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'

_COLUMNS = "id, name, subject, daily_credits, heygen_key IS NOT NULL, created_at, revoked_at"


class PeopleError(HeyGenError):
    """A person cannot be added, found or changed as asked."""

    default_hint = "`heygen-studio tokens list` shows who there is."


class SecretKeyError(PeopleError):
    """HEYGEN_SECRET_KEY is missing, malformed, or not the key the stored HeyGen keys were encrypted with."""

    default_hint = (f"Set HEYGEN_SECRET_KEY in the server's environment to a Fernet key (make one with "
                    f"{MAKE_SECRET_KEY}) and keep it: the HeyGen keys stored for people need the same one.")


@dataclasses.dataclass(frozen=True)
class Person:
    """Someone the server serves. Holds no secret: the token and the HeyGen key are not fields."""

    id: str
    """Stable and opaque ("p_" + 16 hex), never derived from the token."""
    name: str
    """Unique among people not revoked: 1-64 characters of A-Z a-z 0-9 . _ -"""
    subject: str | None
    """An OpenID Connect ``sub`` that signs in as this person."""
    daily_credits: float | None
    """US dollars this person may reserve in a rolling 24 h; None: the server's HEYGEN_DAILY_CREDITS."""
    has_own_key: bool
    """A HeyGen key of their own is stored (encrypted); False: they spend the server's key."""
    created_at: float
    revoked_at: float | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def secret_key_problem(value: str) -> str | None:
    """Why ``value`` cannot be HEYGEN_SECRET_KEY, or None: it must be a Fernet key, 32 bytes in url-safe base64
    (44 characters, the last one ``=``), exactly as ``Fernet.generate_key()`` prints it."""
    try:
        ok = (len(value) == 44 and re.fullmatch(r"[A-Za-z0-9_-]{43}=", value) is not None
              and len(base64.urlsafe_b64decode(value)) == 32)
    except (binascii.Error, ValueError):
        ok = False
    return None if ok else f"is not a Fernet key (32 url-safe base64 bytes); make one with {MAKE_SECRET_KEY}"


def _token_hash(token: str) -> str:
    # A personal token carries 256 random bits, so a fast unsalted hash is right: nobody can guess their way to a
    # preimage, and a slow password hash would only slow every request down. A lookup by hash also compares no
    # secret byte by byte in Python (no timing leak of the token).
    return hashlib.sha256(token.encode()).hexdigest()


def _plain(value: str, what: str, *, hint: str) -> str:
    if not value or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise PeopleError(f"The {what} is empty or contains whitespace or control characters", hint=hint)
    return value


class People:
    """The people store. Safe across threads and processes; every failure is a ``HeyGenError`` with a next step
    (``PeopleError``, ``SecretKeyError``, or the job store's ``StoreError`` for the file itself)."""

    _LOCK = "people"  # a change reads (a clash, the row to revoke) before it writes

    def __init__(self, db: Database, *, secret_key: str | None = None) -> None:
        if secret_key is not None and (problem := secret_key_problem(secret_key)) is not None:
            raise SecretKeyError(f"HEYGEN_SECRET_KEY {problem}")
        self._fernet = Fernet(secret_key) if secret_key is not None else None
        self._db = db  # its own connection(s): closed by ``close``
        self._tx = db.tx

    @staticmethod
    def _person(row: tuple[Any, ...]) -> Person:
        person_id, name, subject, daily, has_key, created, revoked = row
        return Person(id=str(person_id), name=str(name), subject=subject,
                      daily_credits=None if daily is None else float(daily), has_own_key=bool(has_key),
                      created_at=float(created), revoked_at=None if revoked is None else float(revoked))

    def _one(self, where: str, args: tuple[Any, ...]) -> Person | None:
        with self._tx(write=False) as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM people WHERE {where}", args).fetchone()
        return None if row is None else self._person(row)

    # -- changes -------------------------------------------------------------------------------
    def add(self, name: str, *, heygen_key: str | None = None, daily_credits: float | None = None,
            subject: str | None = None) -> tuple[Person, str]:
        """A new person and their personal token, returned this once (only its hash is kept)."""
        if not NAME_PATTERN.fullmatch(name):
            raise PeopleError(f"{name[:80]!r} cannot be a name",
                              hint="Use 1-64 characters: letters, digits, '.', '_' or '-'.")
        if daily_credits is not None and not (math.isfinite(daily_credits) and daily_credits >= 0):
            raise PeopleError("The daily limit must be a number of US dollars, 0 or more",
                              hint="Give it as --daily-credits 25 (or leave it out for the server's limit).")
        if subject is not None:
            _plain(subject, "subject", hint="Give the exact `sub` claim your identity provider sends.")
            if len(subject) > SUBJECT_MAX:
                raise PeopleError(f"The subject is longer than {SUBJECT_MAX} characters",
                                  hint="Give the exact `sub` claim your identity provider sends.")
        sealed = None
        if heygen_key is not None:
            _plain(heygen_key, "HeyGen key", hint="Paste the key alone, from https://app.heygen.com/settings?nav=API.")
            if self._fernet is None:
                raise SecretKeyError(f"A HeyGen key for {name} would be stored encrypted, and HEYGEN_SECRET_KEY "
                                     "is not set; nothing was added",
                                     hint=f"Make a key with {MAKE_SECRET_KEY}, set it as HEYGEN_SECRET_KEY here and "
                                          "in the server's environment, then add the person again.")
            sealed = self._fernet.encrypt(heygen_key.encode()).decode()
        daily_credits = None if daily_credits is None else float(daily_credits)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        person = Person(id="p_" + secrets.token_hex(8), name=name, subject=subject, daily_credits=daily_credits,
                        has_own_key=sealed is not None, created_at=time.time(), revoked_at=None)
        with self._tx(write=True, lock=self._LOCK) as conn:
            if sealed is not None:  # one secret key for every stored HeyGen key, or none could be read back
                other = conn.execute("SELECT heygen_key FROM people WHERE heygen_key IS NOT NULL LIMIT 1").fetchone()
                if other is not None:
                    self._open(str(other[0]))
            clash = conn.execute("SELECT name, subject FROM people WHERE revoked_at IS NULL AND "
                                 "(name = ? OR subject = ?)", (name, subject)).fetchone()
            if clash is not None and clash[0] == name:
                raise PeopleError(f"There is already a person named {name}; nothing was added",
                                  hint=f"Pick another name, or `heygen-studio tokens revoke {name}` first.")
            if clash is not None:
                raise PeopleError(f"The subject is already {clash[0]}'s; nothing was added",
                                  hint=f"One subject signs in as one person: `heygen-studio tokens revoke {clash[0]}` "
                                       "first, or give another subject.")
            conn.execute("INSERT INTO people (id, name, token_sha256, subject, daily_credits, heygen_key, "
                         "created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                         (person.id, name, _token_hash(token), subject, daily_credits, sealed, person.created_at))
        return person, token

    def revoke(self, name: str) -> Person | None:
        """Revoke the person of that name (not revoked yet): from now on their token and subject find no one.
        None when there is no such person."""
        with self._tx(write=True, lock=self._LOCK) as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM people WHERE name = ? AND revoked_at IS NULL",
                               (name,)).fetchone()
            if row is None:
                return None
            now = time.time()
            conn.execute("UPDATE people SET revoked_at = ? WHERE id = ?", (now, row[0]))
        return dataclasses.replace(self._person(row), revoked_at=now)

    # -- reads ---------------------------------------------------------------------------------
    def list(self) -> list[Person]:
        """Everyone: people not revoked first (oldest first), then the revoked (most recently revoked first)."""
        with self._tx(write=False) as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM people ORDER BY revoked_at IS NOT NULL, "
                                "revoked_at DESC, created_at").fetchall()
        return [self._person(row) for row in rows]

    def by_token(self, token: str) -> Person | None:
        """The person this personal token belongs to; None when it is unknown or they were revoked."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        return self._one("token_sha256 = ? AND revoked_at IS NULL", (_token_hash(token),))

    def by_subject(self, subject: str) -> Person | None:
        """The person this OpenID Connect ``sub`` signs in as; None when no one (not revoked) has it."""
        return self._one("subject = ? AND revoked_at IS NULL", (subject,))

    def get(self, person_id: str) -> Person | None:
        """The person with this id, revoked or not (check ``revoked_at``)."""
        return self._one("id = ?", (person_id,))

    def heygen_key(self, person: Person) -> str | None:
        """The person's own HeyGen key, decrypted; None when they spend the server's key."""
        with self._tx(write=False) as conn:
            row = conn.execute("SELECT heygen_key FROM people WHERE id = ?", (person.id,)).fetchone()
        if row is None or row[0] is None:
            return None
        if self._fernet is None:
            raise SecretKeyError(f"{person.name}'s HeyGen key is stored encrypted, and HEYGEN_SECRET_KEY is not set",
                                 hint="Set HEYGEN_SECRET_KEY to the key it was stored with, then try again.")
        return self._open(str(row[0]))

    def _open(self, sealed: str) -> str:
        assert self._fernet is not None
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretKeyError("HEYGEN_SECRET_KEY is not the key the HeyGen keys were stored with",
                                 hint="Set it back to the key they were stored with; if that key is lost, revoke "
                                      "those people and add them again with their HeyGen keys.") from None

    def close(self) -> None:
        self._db.close()


def person_spent(store: JobStore, person: Person, *, base_url: str, api_key: str | None,
                 instance: str | None = None, window_s: float = DAY_S) -> float:
    """US dollars the person's paid calls reserved in the last ``window_s``: the job store's rows of their scope
    (the API they reach, the key they spend: their own or the server's, and their id)."""
    scope = Scope.of(base_url, api_key, instance=instance, person=person.id)
    return round(sum((amount for _, amount in store.spent(scope, window_s=window_s)), 0.0), 4)
