"""The store, opened from the settings: the one place that decides between SQLite and PostgreSQL.

``open_store(settings)`` reads ``store_url`` (HEYGEN_STORE_URL) and ``store_path`` (the SQLite file under
HEYGEN_STATE_DIR): no URL, the embedded SQLite file, as always; ``postgresql://…``, that database (psycopg is
imported only then). The ``Stores`` it returns opens the store's parts, each on connections of its own that its
``close`` releases, as separate processes would: ``jobs()`` (``core.store``), ``people(secret_key)``
(``core.people``), ``grants()`` (``core.grants``), ``webhook_secrets(file, key)`` (``core.webhooks``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .sql import Database, SQLiteDatabase
from .store import SQLiteJobStore

if TYPE_CHECKING:
    from .grants import OAuthGrants
    from .people import People
    from .store import SQLJobStore
    from .webhooks import SecretKeeper

SCHEMES = ("postgresql://", "postgres://")


class StoreSettings(Protocol):
    """What ``open_store`` reads of the settings (``settings.Settings`` has both)."""

    @property
    def store_path(self) -> Path: ...
    @property
    def store_url(self) -> str | None: ...


class Stores:
    """Where the job store lives, and how to open its parts. Holds no connection itself; its ``repr`` never shows
    the URL (it may hold a password)."""

    __slots__ = ("_url", "path")

    def __init__(self, path: Path, url: str | None = None) -> None:
        self.path = path
        self._url = url

    @property
    def postgres(self) -> bool:
        return self._url is not None

    def describe(self) -> str:
        """Where it is, for a person: the SQLite file, or PostgreSQL's host:port/database (no user, no password)."""
        if self._url is None:
            return str(self.path)
        from .store_pg import describe

        return f"PostgreSQL at {describe(self._url)}"

    def __repr__(self) -> str:
        return f"<Stores {self.describe()}>"

    def database(self) -> Database:
        """A new connection (SQLite) or pool (PostgreSQL) to the store, migrated on first use."""
        if self._url is None:
            return SQLiteDatabase(self.path)
        from .store_pg import PostgresDatabase

        return PostgresDatabase(self._url)

    def jobs(self) -> SQLJobStore:
        if self._url is None:
            return SQLiteJobStore(self.path)
        from .store_pg import PostgresJobStore

        return PostgresJobStore(self._url)

    def people(self, secret_key: str | None = None) -> People:
        from .people import People

        return People(self.database(), secret_key=secret_key)

    def grants(self) -> OAuthGrants:
        from .grants import OAuthGrants

        return OAuthGrants(self.database())

    def webhook_secrets(self, file: Path, secret_key: str | None = None) -> SecretKeeper:
        """Where ``add_webhook(url='self')`` keeps its endpoints' secrets: the file ``file`` beside the SQLite store,
        or the shared database's ``webhook_secrets`` table (encrypted with ``secret_key``), which every replica's
        receiver reads (``core.webhooks``)."""
        from .webhooks import SecretBook, StoredSecrets

        if self._url is None:
            return SecretBook(file)
        return StoredSecrets(self.database(), secret_key)

    def may_hold_people(self) -> bool:
        """False only when certainly no one was ever added: the SQLite file does not exist yet (so a one-person
        server does not create it just to look). A database is always asked."""
        return self._url is not None or self.path.exists()


def open_store(settings: StoreSettings) -> Stores:
    """The store the settings name: PostgreSQL at HEYGEN_STORE_URL, else the SQLite file in the state folder."""
    return Stores(settings.store_path, settings.store_url)
