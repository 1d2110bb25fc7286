"""``heygen-studio tokens add|list|revoke``: the people a team server (``serve --http``) serves, and their tokens.

``add`` prints the new personal token alone on stdout, once (only its hash is kept), and a line on stderr on how to
use it; ``--heygen-key-stdin`` stores a HeyGen key of their own, encrypted with HEYGEN_SECRET_KEY, read from stdin
and never echoed. ``list`` shows everyone with what they spent in the last 24 h (``--json``: one JSON document on
stdout, on every way out); ``revoke`` holds for the next request of every server process. Exit codes: 0 done,
1 an error (one line on stderr with the next step). No token or key is ever printed but the new token by ``add``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from .core.backends import open_store
from .core.errors import HeyGenError
from .core.people import People, PeopleError, Person, SecretKeyError, person_spent
from .core.store import JobStore
from .settings import Settings

PROG = "heygen-studio tokens"


def _people(settings: Settings) -> People:
    secret = settings.heygen_secret_key.get_secret_value() if settings.heygen_secret_key is not None else None
    return open_store(settings).people(secret)


def _fail(exc: HeyGenError, *, as_json: bool = False) -> int:
    line = f"{PROG}: {exc.describe()}"
    print(line, file=sys.stderr)
    if as_json:
        print(json.dumps({"error": line}, indent=2))
    return 1


def _read_key() -> str:
    """The HeyGen key from stdin (asked for without echo on a terminal), stripped; refused when empty."""
    if sys.stdin is None:
        text = ""
    elif sys.stdin.isatty():
        import getpass

        text = getpass.getpass("HeyGen API key (not shown): ")
    else:
        text = sys.stdin.read()
    key = text.strip()
    if not key:
        raise PeopleError("No HeyGen key came on stdin; nothing was added",
                          hint="Pipe the key in (heygen-studio tokens add NAME --heygen-key-stdin < key.txt), or "
                               "type it when asked; leave --heygen-key-stdin out for the server's key.")
    return key


def run_add(settings: Settings, name: str, *, heygen_key_stdin: bool = False, daily_credits: float | None = None,
            subject: str | None = None) -> int:
    try:
        people = _people(settings)
        try:
            key = _read_key() if heygen_key_stdin else None
            person, token = people.add(name, heygen_key=key, daily_credits=daily_credits, subject=subject)
        finally:
            people.close()
    except HeyGenError as exc:
        return _fail(exc)
    print(token, flush=True)
    spends = "their own HeyGen key" if person.has_own_key else "the server's HeyGen key"
    print(f"Added {person.name} ({person.id}; spends {spends}). The token above is shown this once and cannot be "
          "shown again: give it to them privately. They send it as `Authorization: Bearer <token>` to "
          "`heygen-studio serve --http`, or sign in with it on the server's OAuth page.", file=sys.stderr)
    return 0


def run_revoke(settings: Settings, name: str) -> int:
    try:
        people = _people(settings)
        try:
            person = people.revoke(name)
        finally:
            people.close()
        if person is None:
            raise PeopleError(f"No one named {name} is here (or they were revoked already); nothing was revoked")
    except HeyGenError as exc:
        return _fail(exc)
    print(f"Revoked {person.name} ({person.id}): their token and subject are refused from the next request on, "
          "in every server process.")
    return 0


def _where(settings: Settings) -> tuple[str, str | None]:
    """(base URL, instance) the server's jobs are scoped to, as ``serve`` wires it (``house.make_where``)."""
    if not settings.heygen_sandbox:
        return settings.heygen_base_url, None
    from .house import make_where  # the embedded sandbox's instance: only in sandbox mode

    return make_where(settings, None)()


def _spent(people: People, store: JobStore, person: Person, settings: Settings,
           where: tuple[str, str | None]) -> float | None:
    """Dollars reserved in the last 24 h for this person; None when their own key cannot be read (then their
    rows' scope, which hashes the key, cannot be named)."""
    try:
        key = people.heygen_key(person) if person.has_own_key else settings.api_key
    except SecretKeyError:
        return None
    return person_spent(store, person, base_url=where[0], api_key=key, instance=where[1])


def _when(at: float | None) -> str | None:
    return None if at is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def _entry(person: Person, spent: float | None, settings: Settings) -> dict[str, Any]:
    limit = person.daily_credits if person.daily_credits is not None else settings.heygen_daily_credits
    return {"name": person.name, "id": person.id, "subject": person.subject, "has_own_key": person.has_own_key,
            "daily_credits": person.daily_credits, "daily_limit_usd": limit, "spent_24h_usd": spent,
            "created_at": _when(person.created_at), "revoked_at": _when(person.revoked_at)}


def _money(value: float | None) -> str:
    return "?" if value is None else f"${value:,.2f}"


def _table(entries: list[dict[str, Any]]) -> str:
    head = ("NAME", "ID", "SUBJECT", "OWN KEY", "DAILY LIMIT", "SPENT 24H", "CREATED", "REVOKED")
    rows = [head]
    for e in entries:
        limit = _money(e["daily_limit_usd"]) if e["daily_limit_usd"] is not None else "none"
        rows.append((e["name"], e["id"], e["subject"] or "-", "yes" if e["has_own_key"] else "no",
                     limit if e["daily_credits"] is not None else f"server ({limit})", _money(e["spent_24h_usd"]),
                     e["created_at"][:16].replace("T", " "),
                     (e["revoked_at"] or "-")[:16].replace("T", " ")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def run_list(settings: Settings, *, as_json: bool = False) -> int:
    try:
        people = _people(settings)
        store = open_store(settings).jobs()
        try:
            everyone = people.list()
            where = _where(settings) if everyone else (settings.heygen_base_url, None)
            entries = [_entry(p, _spent(people, store, p, settings, where), settings) for p in everyone]
        finally:
            store.close()
            people.close()
    except HeyGenError as exc:
        return _fail(exc, as_json=as_json)
    if as_json:
        print(json.dumps({"people": entries}, indent=2))
        return 0
    if not entries:
        print("No people yet: `serve --http` serves one person with its HTTP token. Add someone with "
              "`heygen-studio tokens add NAME`.")
        return 0
    print(_table(entries))
    if any(e["spent_24h_usd"] is None for e in entries):
        print("?: their own HeyGen key cannot be read (HEYGEN_SECRET_KEY unset or not the one it was stored "
              "with), so neither can what they spent.", file=sys.stderr)
    return 0
