"""The sandbox's accounts: one for every key (``SandboxConfig(accounts="shared")``, the default), or one per API
key (``"per-key"``), so the people of a team server who each use their own HeyGen key are each an account of
their own: person A's videos, assets, avatars, cloned voices, webhooks, agent sessions, batches, idempotency
records, concurrency slots and wallet are not B's.

* Each per-key account is a ``SandboxState`` of its own, named by a hash of its key (``account_name``; the key
  itself is kept nowhere). It starts as a fresh account does: the wallet at ``initial_credits`` and the same
  public catalogue (avatars, voices, templates) as every other. An id of another account's object is unknown to
  it, so it answers exactly as any unknown id (the same 404, the same body).
* The ``front`` is the sandbox itself: the request and delivery logs, the injected faults, the DeepSeek
  stand-in, and what answers a request no account takes (a refused key, an unknown media URL). In ``shared``
  mode it is also the one account.
* Media, upload and consent URLs carry no key: an account's URLs name it (``?account=<name>``) and are signed
  with its own keys (``media.Signer``, ``consent_token``), so a URL reaches the account that issued it.
* With ``state_path``, each account keeps its state in ``sandbox-accounts/<name>/`` beside that file (its own
  ``sandbox.sqlite3``, ``files/`` and ``renders/``: persist.py, kept.py); the accounts there are opened at
  start, so their webhooks are delivered after a restart, and an account another process made is opened when
  its key (or one of its URLs) is first seen.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import stat
from pathlib import Path

from .clock import Clock
from .config import SandboxConfig
from .state import SandboxState
from .statefile import STATE_FILE

logger = logging.getLogger(__name__)

ACCOUNTS_FOLDER = "sandbox-accounts"
SCOPE_KEY = "heygen_sandbox.account"  # the ASGI scope entry that holds a request's account (web.state_of)
_NAME = re.compile(r"^[0-9a-f]{32}$")


def account_name(key: str) -> str:
    """The name of a key's account: a hash of the key, never the key."""
    return hashlib.sha256(b"heygen-sandbox:account\n" + key.encode()).hexdigest()[:32]


class Accounts:
    """The front (``app.state.sandbox``) and, in ``per-key`` mode, one account per key (``app.state.accounts``)."""

    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.front = SandboxState(config, clock)
        self.per_key = config.accounts == "per-key"
        self._by_name: dict[str, SandboxState] = {}
        self._folder: Path | None = None
        if self.per_key and config.state_path is not None and self.front.persistent:
            self._folder = _usable_folder(config.state_path.parent / ACCOUNTS_FOLDER)
        if self._folder is not None:
            for name in sorted(child.name for child in self._folder.iterdir()):
                if _NAME.match(name) and (self._folder / name / STATE_FILE).is_file():
                    self._open(name)

    def all(self) -> list[SandboxState]:
        """The front and every account open now."""
        return [self.front, *self._by_name.values()]

    def for_key(self, key: str) -> SandboxState:
        """The account of an accepted ``key``: made (or opened from its folder) on first use; the front in
        ``shared`` mode."""
        if not self.per_key:
            return self.front
        name = account_name(key)
        return self._by_name.get(name) or self._open(name)

    def named(self, name: str | None) -> SandboxState | None:
        """The account called ``name`` (from a media, upload or consent URL) if it exists, here or in its folder."""
        if not self.per_key or name is None or not _NAME.match(name):
            return None
        found = self._by_name.get(name)
        if found is None and self._folder is not None and (self._folder / name / STATE_FILE).is_file():
            found = self._open(name)
        return found

    def _open(self, name: str) -> SandboxState:
        front = self.front
        path = None if self._folder is None else self._folder / name / STATE_FILE
        state = SandboxState(dataclasses.replace(front.config, state_path=path), front.clock, account=name)
        state.requests, state.deliveries, state.faults = front.requests, front.deliveries, front.faults
        self._by_name[name] = state
        return state

    def close(self) -> None:
        for state in self.all():
            state.close()


def _usable_folder(folder: Path) -> Path | None:
    """The accounts' folder, made this user's alone; ``None`` (accounts in memory, with a warning) when it cannot
    be, or is a link that could send their files anywhere."""
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode):
            raise OSError("it is a symbolic link or not a folder")
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            raise OSError(f"it belongs to another user (uid {info.st_uid})")
        next(folder.iterdir(), None)  # readable
    except OSError as exc:
        logger.warning("the sandbox keeps its per-key accounts in memory only: %s cannot be used (%s)", folder, exc)
        return None
    return folder
