"""The HTTP mode's bearer token: one rule for what a token may be, and the token kept in the state folder.

``serve --http`` without ``HEYGEN_HTTP_TOKEN`` or ``--token`` uses the token kept in ``http-token`` in the state
folder (beside the job store, readable only by its owner), made on first use; ``config <client> --http`` writes
the same token into a client. This module is light (no MCP, no web server): ``config`` imports it.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

TOKEN_FILE = "http-token"
MIN_LENGTH = 16


class TokenError(ValueError):
    """The kept token cannot be read, made or used; ``str()`` is one line with the fix and never the token."""


def token_problem(value: str) -> str | None:
    """Why ``value`` cannot be the HTTP token, or None. ``--token`` and ``HEYGEN_HTTP_TOKEN`` both use this, so
    they accept the same values: printable ASCII (it travels in a header), no spaces, at least 16 characters."""
    if any(not 33 <= ord(ch) <= 126 for ch in value):
        return ("contains spaces, control or non-ASCII characters (a stray newline?); use printable ASCII, "
                "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'")
    if len(value) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters (use a random token)"
    return None


def token_path(state_dir: Path, name: str = TOKEN_FILE) -> Path:
    return state_dir / name


def stored_token(state_dir: Path, name: str = TOKEN_FILE) -> tuple[str, Path]:
    """The token kept in ``state_dir`` under ``name`` (made now, 0600, if there is none yet) and its file: the HTTP
    token, or another secret every process of the server shares (the key of signed file links)."""
    path = token_path(state_dir, name)
    try:
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            _create(path)
        if os.name != "nt" and path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)  # loosened by hand or by a copy: only its owner may read it
        token = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc.__class__.__name__
        raise TokenError(f"cannot keep the HTTP token in {path} ({reason}): make that folder writable, set "
                         "HEYGEN_STATE_DIR to one that is, or set HEYGEN_HTTP_TOKEN") from None
    problem = token_problem(token)
    if problem is not None:
        raise TokenError(f"{path} does not hold a usable token ({problem.split(';')[0]}): delete that file and "
                         "start again for a new one, or set HEYGEN_HTTP_TOKEN")
    return token, path


def _create(path: Path) -> None:
    """A new random token at ``path``, whole or not at all: written to a private temporary file, then linked
    into place (two servers starting at once agree on the first one linked)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
