"""The built-in OAuth authorization server's records (issue #16 §3): registered clients, sign-ins waiting for
the login page, authorization codes, and grants with their access and refresh tokens.

They live in the job store beside the people (``core.people``; tables in ``core.schema``), on a
``core.sql.Database`` of their own, so every server process (and every replica on one PostgreSQL) honours every
grant and revocation at once. Codes, tokens and sign-in request ids are kept only as SHA-256 hashes: each carries
at least 192 random bits, so a fast hash is right (as for personal tokens), and a copy of the store grants
nothing. Clients are public (PKCE, no secret; see ``auth/provider.py``), so no client secret is kept either.

A grant is one person's consent for one client: it owns the refresh token and the access tokens issued under it.
Refresh tokens rotate: each refresh issues a new one, and the one before stays usable until the new one is first
used (a client whose answer was lost in transit can still refresh; a stolen token that has been rotated past
finds nothing). Revoking any token of a grant ends the grant and all its tokens.

No MCP here: the SDK-facing provider (``auth/provider.py``) maps these records to the SDK's types.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass

from .sql import Conn, Database

ACCESS_TTL_S = 3600  # an access token lives 1 h (claude.ai refreshes up to 5 min before expiry)
REFRESH_TTL_S = 30 * 24 * 3600  # a grant unused for 30 days ends; each refresh starts the 30 days again
CODE_TTL_S = 300  # an authorization code is exchanged within 5 min, once
REQUEST_TTL_S = 900  # a person has 15 min on the login page
ACCESS_PREFIX = "hga_"
REFRESH_PREFIX = "hgr_"

def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class SignIn:
    """An authorization request waiting for the person to sign in on the login page."""

    client_id: str
    redirect_uri: str
    redirect_uri_provided_explicitly: bool
    code_challenge: str
    state: str | None
    scopes: tuple[str, ...]
    resource: str


@dataclass(frozen=True)
class Code:
    """An authorization code's terms: the sign-in it completes, and who signed in."""

    sign_in: SignIn
    person_id: str
    expires_at: float


@dataclass(frozen=True)
class Grant:
    """One person's consent for one client, as its refresh token (or an access token) finds it."""

    grant_id: str
    client_id: str
    person_id: str
    scopes: tuple[str, ...]
    resource: str
    expires_at: float


@dataclass(frozen=True)
class Access:
    """What a live access token stands for."""

    grant: Grant
    scopes: tuple[str, ...]
    expires_at: float


@dataclass(frozen=True)
class Issued:
    """Tokens just issued (the only time they exist in clear)."""

    access_token: str
    refresh_token: str
    expires_in: int
    scopes: tuple[str, ...]


class OAuthGrants:
    """The authorization server's records. Safe across threads and processes; a failure of the file is the job
    store's ``StoreError`` (with its next step)."""

    _LOCK = "oauth"  # a code, a sign-in or a refresh token is read, then used up or rotated: once

    def __init__(self, db: Database) -> None:
        self._db = db  # its own connection(s): closed by ``close``

    # -- clients -------------------------------------------------------------------------------
    def add_client(self, client_id: str, info: str) -> None:
        """Keep a registered client (``info``: its metadata as JSON, holding no secret)."""
        with self._db.tx(write=True) as conn:
            conn.execute("INSERT INTO oauth_clients (client_id, info, created_at) VALUES (?, ?, ?) ON CONFLICT "
                         "(client_id) DO UPDATE SET info = excluded.info, created_at = excluded.created_at",
                         (client_id, info, time.time()))

    def client(self, client_id: str) -> str | None:
        with self._db.tx(write=False) as conn:
            row = conn.execute("SELECT info FROM oauth_clients WHERE client_id = ?", (client_id,)).fetchone()
        return None if row is None else str(row[0])

    # -- sign-in -------------------------------------------------------------------------------
    def begin(self, sign_in: SignIn) -> str:
        """Keep ``sign_in`` for the login page; the request id that names it (in the page's address)."""
        request_id = secrets.token_urlsafe(24)
        now = time.time()
        with self._db.tx(write=True) as conn:
            conn.execute("DELETE FROM oauth_requests WHERE expires_at < ?", (now,))
            conn.execute("INSERT INTO oauth_requests (request_sha256, client_id, params, expires_at) "
                         "VALUES (?, ?, ?, ?)", (_sha256(request_id), sign_in.client_id, _dump(sign_in),
                                                 now + REQUEST_TTL_S))
        return request_id

    def sign_in(self, request_id: str) -> SignIn | None:
        """The sign-in ``request_id`` names, while it waits; None once used or expired."""
        with self._db.tx(write=False) as conn:
            row = conn.execute("SELECT params FROM oauth_requests WHERE request_sha256 = ? AND expires_at >= ?",
                               (_sha256(request_id), time.time())).fetchone()
        return None if row is None else _load(str(row[0]))

    def complete(self, request_id: str, person_id: str) -> tuple[SignIn, str] | None:
        """The person signed in: the sign-in (used up) and a new authorization code bound to them; None when the
        request was used or expired meanwhile."""
        code = secrets.token_urlsafe(32)
        now = time.time()
        with self._db.tx(write=True, lock=self._LOCK) as conn:
            row = _take(conn, "oauth_requests", "request_sha256", _sha256(request_id), "params", now)
            if row is None:
                return None
            conn.execute("DELETE FROM oauth_codes WHERE expires_at < ?", (now,))
            sign_in = _load(str(row[0]))
            conn.execute("INSERT INTO oauth_codes (code_sha256, client_id, person_id, params, expires_at) "
                         "VALUES (?, ?, ?, ?, ?)", (_sha256(code), sign_in.client_id, person_id, str(row[0]),
                                                    now + CODE_TTL_S))
        return sign_in, code

    # -- codes and tokens ----------------------------------------------------------------------
    def code(self, code: str) -> Code | None:
        """An authorization code's terms, before it is redeemed (expired ones too: the caller says so)."""
        with self._db.tx(write=False) as conn:
            row = conn.execute("SELECT person_id, params, expires_at FROM oauth_codes WHERE code_sha256 = ?",
                               (_sha256(code),)).fetchone()
        return None if row is None else Code(sign_in=_load(str(row[1])), person_id=str(row[0]),
                                             expires_at=float(row[2]))

    def redeem(self, code: str) -> Issued | None:
        """Use the code up and open its grant: the first tokens. None when it was redeemed already or expired."""
        now = time.time()
        with self._db.tx(write=True, lock=self._LOCK) as conn:
            row = _take(conn, "oauth_codes", "code_sha256", _sha256(code), "person_id, params", now)
            if row is None:
                return None
            sign_in = _load(str(row[1]))
            grant = Grant(grant_id="g_" + secrets.token_hex(12), client_id=sign_in.client_id,
                          person_id=str(row[0]), scopes=sign_in.scopes, resource=sign_in.resource,
                          expires_at=now + REFRESH_TTL_S)
            refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
            conn.execute("INSERT INTO oauth_grants (grant_id, client_id, person_id, scopes, resource, refresh_sha256, "
                         "previous_sha256, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                         (grant.grant_id, grant.client_id, grant.person_id, " ".join(grant.scopes), grant.resource,
                          _sha256(refresh), grant.expires_at, now))
            access = self._access(conn, grant.grant_id, grant.scopes, now)
        return Issued(access_token=access, refresh_token=refresh, expires_in=ACCESS_TTL_S, scopes=grant.scopes)

    def by_refresh(self, refresh_token: str) -> Grant | None:
        """The live grant a refresh token (its newest, or the one before) belongs to."""
        digest = _sha256(refresh_token)
        with self._db.tx(write=False) as conn:
            row = conn.execute(f"SELECT {_GRANT} FROM oauth_grants WHERE (refresh_sha256 = ? OR previous_sha256 = ?) "
                               "AND expires_at >= ?", (digest, digest, time.time())).fetchone()
        return None if row is None else _grant(row)

    def refresh(self, refresh_token: str, scopes: tuple[str, ...]) -> Issued | None:
        """Rotate: a new refresh token and a new access token (for ``scopes``, within the grant's) for the grant
        ``refresh_token`` belongs to; its 30 days start again. None when the grant is gone or expired."""
        digest = _sha256(refresh_token)
        now = time.time()
        refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
        with self._db.tx(write=True, lock=self._LOCK) as conn:
            row = conn.execute("SELECT grant_id, refresh_sha256, scopes FROM oauth_grants WHERE "
                               "(refresh_sha256 = ? OR previous_sha256 = ?) AND expires_at >= ?",
                               (digest, digest, now)).fetchone()
            if row is None:
                return None
            grant_id, newest, granted = str(row[0]), str(row[1]), tuple(str(row[2]).split())
            scopes = tuple(s for s in scopes if s in granted)
            # The newest used: it becomes "the one before". The one before used again (its answer was lost):
            # it stays the one before, and the token it was rotated to is dropped.
            previous = newest if digest == newest else digest
            conn.execute("UPDATE oauth_grants SET refresh_sha256 = ?, previous_sha256 = ?, expires_at = ? "
                         "WHERE grant_id = ?", (_sha256(refresh), previous, now + REFRESH_TTL_S, grant_id))
            access = self._access(conn, grant_id, scopes, now)
        return Issued(access_token=access, refresh_token=refresh, expires_in=ACCESS_TTL_S, scopes=scopes)

    def access(self, access_token: str) -> Access | None:
        """What a live access token stands for; None when unknown, expired or revoked."""
        with self._db.tx(write=False) as conn:
            row = conn.execute(
                f"SELECT {', '.join('g.' + c for c in _GRANT.split(', '))}, a.scopes, a.expires_at "
                "FROM oauth_access_tokens a JOIN oauth_grants g ON g.grant_id = a.grant_id "
                "WHERE a.token_sha256 = ? AND a.expires_at >= ?", (_sha256(access_token), time.time())).fetchone()
        if row is None:
            return None
        return Access(grant=_grant(row[:6]), scopes=tuple(str(row[6]).split()), expires_at=float(row[7]))

    def revoke(self, token: str) -> bool:
        """End the grant ``token`` (an access or refresh token) belongs to, and every token of it."""
        digest = _sha256(token)
        with self._db.tx(write=True, lock=self._LOCK) as conn:
            row = conn.execute("SELECT grant_id FROM oauth_access_tokens WHERE token_sha256 = ? UNION "
                               "SELECT grant_id FROM oauth_grants WHERE refresh_sha256 = ? OR previous_sha256 = ?",
                               (digest, digest, digest)).fetchone()
            if row is None:
                return False
            conn.execute("DELETE FROM oauth_access_tokens WHERE grant_id = ?", (row[0],))
            conn.execute("DELETE FROM oauth_grants WHERE grant_id = ?", (row[0],))
        return True

    @staticmethod
    def _access(conn: Conn, grant_id: str, scopes: tuple[str, ...], now: float) -> str:
        token = ACCESS_PREFIX + secrets.token_urlsafe(32)
        conn.execute("DELETE FROM oauth_access_tokens WHERE expires_at < ?", (now,))
        conn.execute("DELETE FROM oauth_grants WHERE expires_at < ?", (now,))
        conn.execute("INSERT INTO oauth_access_tokens (token_sha256, grant_id, scopes, expires_at) VALUES (?, ?, ?, ?)",
                     (_sha256(token), grant_id, " ".join(scopes), now + ACCESS_TTL_S))
        return token

    def close(self) -> None:
        self._db.close()


def _take(conn: Conn, table: str, key: str, digest: str, columns: str, now: float
          ) -> tuple[object, ...] | None:
    """Read and delete the live row of ``table`` whose ``key`` is ``digest`` (in the caller's write transaction):
    a code or a sign-in is used once."""
    row: tuple[object, ...] | None = conn.execute(
        f"SELECT {columns} FROM {table} WHERE {key} = ? AND expires_at >= ?", (digest, now)).fetchone()
    if row is not None:
        conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (digest,))
    return row


_GRANT = "grant_id, client_id, person_id, scopes, resource, expires_at"


def _grant(row: tuple[object, ...]) -> Grant:
    grant_id, client_id, person_id, scopes, resource, expires_at = row
    return Grant(grant_id=str(grant_id), client_id=str(client_id), person_id=str(person_id),
                 scopes=tuple(str(scopes).split()), resource=str(resource), expires_at=float(str(expires_at)))


def _dump(sign_in: SignIn) -> str:
    return json.dumps({**sign_in.__dict__, "scopes": list(sign_in.scopes)}, separators=(",", ":"))


def _load(params: str) -> SignIn:
    data = json.loads(params)
    return SignIn(client_id=str(data["client_id"]), redirect_uri=str(data["redirect_uri"]),
                  redirect_uri_provided_explicitly=bool(data["redirect_uri_provided_explicitly"]),
                  code_challenge=str(data["code_challenge"]), state=data.get("state"),
                  scopes=tuple(str(s) for s in data["scopes"]), resource=str(data["resource"]))
