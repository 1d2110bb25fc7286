"""The job store's schema, as versioned migrations both backends apply (``core.sql.migrate``).

One list for every table of the store: the jobs (``core.store``), the people of a team server (``core.people``), the
OAuth authorization server's records (``core.grants``) and, on PostgreSQL, the secrets of the webhook endpoints this
server registered for itself (``core.webhooks.StoredSecrets``, encrypted with HEYGEN_SECRET_KEY). A migration is
applied once per database, in one transaction that also records it in ``schema_migrations``; the store takes the
schema lock first (SQLite: its ``BEGIN IMMEDIATE`` file lock; PostgreSQL: an advisory lock), so several processes or
replicas starting at once apply each migration exactly once and all end at the same version.

The statements are written once, with two words a backend fills in: ``{real}`` (a double: SQLite's ``REAL``,
PostgreSQL's ``DOUBLE PRECISION``; PostgreSQL's ``REAL`` is single precision, too coarse for a time) and
``{strict}`` (SQLite's ``STRICT`` tables; nothing on PostgreSQL, whose columns are typed anyway). Versions 1-3
are the tables as earlier releases created them (``IF NOT EXISTS``: a file made before migrations existed takes
them as applied). A new version is appended, never edited: a database records what it applied.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    """Statements separated by ``;`` (none inside a statement), with ``{real}`` and ``{strict}`` to fill in."""


MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at {real} NOT NULL
){strict}
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "jobs, webhook events, meta", """
CREATE TABLE IF NOT EXISTS jobs (
    scope TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('reserved', 'unknown', 'submitted')),
    job_id TEXT,
    owner TEXT,
    lease_until {real},
    title TEXT,
    data TEXT NOT NULL DEFAULT '{{}}',
    created_at {real} NOT NULL,
    updated_at {real} NOT NULL,
    PRIMARY KEY (scope, fingerprint)
){strict};
CREATE INDEX IF NOT EXISTS jobs_by_id ON jobs (scope, job_id);
CREATE INDEX IF NOT EXISTS jobs_by_time ON jobs (scope, created_at);
CREATE TABLE IF NOT EXISTS webhook_events (event_id TEXT PRIMARY KEY, received_at {real} NOT NULL){strict};
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL){strict}
"""),
    Migration(2, "people", """
CREATE TABLE IF NOT EXISTS people (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    subject TEXT,
    daily_credits {real},
    heygen_key TEXT,
    created_at {real} NOT NULL,
    revoked_at {real}
){strict};
CREATE UNIQUE INDEX IF NOT EXISTS people_live_name ON people (name) WHERE revoked_at IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS people_live_subject ON people (subject)
    WHERE revoked_at IS NULL AND subject IS NOT NULL
"""),
    Migration(3, "oauth", """
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY,
    info TEXT NOT NULL,
    created_at {real} NOT NULL
){strict};
CREATE TABLE IF NOT EXISTS oauth_requests (
    request_sha256 TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    params TEXT NOT NULL,
    expires_at {real} NOT NULL
){strict};
CREATE TABLE IF NOT EXISTS oauth_codes (
    code_sha256 TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    params TEXT NOT NULL,
    expires_at {real} NOT NULL
){strict};
CREATE TABLE IF NOT EXISTS oauth_grants (
    grant_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    resource TEXT NOT NULL,
    refresh_sha256 TEXT NOT NULL UNIQUE,
    previous_sha256 TEXT,
    expires_at {real} NOT NULL,
    created_at {real} NOT NULL
){strict};
CREATE INDEX IF NOT EXISTS oauth_grants_previous ON oauth_grants (previous_sha256);
CREATE TABLE IF NOT EXISTS oauth_access_tokens (
    token_sha256 TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    expires_at {real} NOT NULL
){strict};
CREATE INDEX IF NOT EXISTS oauth_access_by_grant ON oauth_access_tokens (grant_id)
"""),
    Migration(4, "poll leases, hold-offs", """
CREATE TABLE IF NOT EXISTS polls (
    scope TEXT NOT NULL,
    job_id TEXT NOT NULL,
    holder TEXT,
    until {real},
    result TEXT,
    polled_at {real},
    PRIMARY KEY (scope, job_id)
){strict};
CREATE INDEX IF NOT EXISTS polls_by_job ON polls (job_id);
CREATE TABLE IF NOT EXISTS holdoffs (
    account TEXT PRIMARY KEY,
    not_before {real} NOT NULL
){strict}
"""),
    Migration(5, "webhook secrets", """
CREATE TABLE IF NOT EXISTS webhook_secrets (
    endpoint_id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    sealed TEXT NOT NULL,
    saved_at {real} NOT NULL
){strict}
"""),
)

LATEST = max(m.version for m in MIGRATIONS)
