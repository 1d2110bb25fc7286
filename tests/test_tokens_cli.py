"""``heygen-studio tokens add|list|revoke`` (issue #16 §2), run as a person runs it: the real command in child
processes sharing a state folder, checked against the people store and the job store read in this process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

import heygen_studio
from conftest import Backend
from heygen_studio.core.backends import Stores
from heygen_studio.core.http import DEFAULT_BASE_URL
from heygen_studio.core.store import Scope

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("store_backend")]  # spawns processes; SQLite and PostgreSQL
SERVER_KEY = "sk_server_key_0123456789abcdef"
OWN_KEY = "sk_V2_hgu_the_own_key_of_bob_9876543210"
TOKEN = re.compile(r"hgs_[A-Za-z0-9_-]{43}")
PACKAGE_ROOT = str(Path(heygen_studio.__file__).resolve().parents[1])


@pytest.fixture
def secret() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "jobs.sqlite3"


@pytest.fixture
def stores(store_backend: Backend, store_path: Path) -> Stores:
    """The store the commands use: the file in their state folder, or the test's PostgreSQL database."""
    return store_backend.stores(store_path)


def tokens(tmp_path: Path, *args: str, stdin: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
    env.update(HEYGEN_STATE_DIR=str(tmp_path / "state"), HEYGEN_API_KEY=SERVER_KEY, **extra)
    if url := os.environ.get("HEYGEN_STORE_URL"):  # the test's PostgreSQL database (``store_backend``)
        env["HEYGEN_STORE_URL"] = url
    # The child runs the very package this test imported (not another checkout's): it is run from tmp_path.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (PACKAGE_ROOT, env.get("PYTHONPATH"))))
    return subprocess.run([sys.executable, "-m", "heygen_studio", "tokens", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, input=stdin, timeout=60)


def added(done: subprocess.CompletedProcess[str]) -> str:
    """The token ``add`` printed: exactly one line on stdout, and nothing but the token there."""
    assert done.returncode == 0, done.stderr
    assert TOKEN.fullmatch(done.stdout.removesuffix("\n")), done.stdout
    assert done.stdout.count("\n") == 1
    token = done.stdout.strip()
    assert token not in done.stderr
    assert "cannot be shown again" in done.stderr and "Authorization: Bearer <token>" in done.stderr
    return token


def one_error(done: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert done.returncode == code, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def listed(tmp_path: Path, **extra: str) -> dict[str, Any]:
    done = tokens(tmp_path, "list", "--json", **extra)
    assert done.returncode == 0, done.stderr
    return {entry["name"]: entry for entry in json.loads(done.stdout)["people"]}


def test_add_prints_the_token_once_and_it_works(tmp_path: Path, stores: Stores) -> None:
    token = added(tokens(tmp_path, "add", "ann", "--daily-credits", "25", "--subject", "oidc|ann"))
    people = stores.people()
    ann = people.by_token(token)
    assert ann is not None and (ann.name, ann.daily_credits, ann.subject, ann.has_own_key) == (
        "ann", 25.0, "oidc|ann", False)
    people.close()
    again = tokens(tmp_path, "add", "ann")
    assert "already a person named ann" in one_error(again) and again.stdout == ""


def test_heygen_key_from_stdin(tmp_path: Path, stores: Stores, store_backend: Backend, store_path: Path,
                               secret: str) -> None:
    done = tokens(tmp_path, "add", "bob", "--heygen-key-stdin", stdin=f"  {OWN_KEY}\n", HEYGEN_SECRET_KEY=secret)
    token = added(done)
    assert OWN_KEY not in done.stdout + done.stderr  # never echoed
    people = stores.people(secret)
    bob = people.by_token(token)
    assert bob is not None and bob.has_own_key and people.heygen_key(bob) == OWN_KEY  # whitespace stripped
    people.close()
    raw = store_backend.raw(store_path)
    assert bob.id.encode() in raw and OWN_KEY.encode() not in raw


def test_heygen_key_stdin_refusals(tmp_path: Path, secret: str) -> None:
    empty = one_error(tokens(tmp_path, "add", "bob", "--heygen-key-stdin", stdin=" \n", HEYGEN_SECRET_KEY=secret))
    assert "No HeyGen key came on stdin" in empty and "< key.txt" in empty
    unset = tokens(tmp_path, "add", "bob", "--heygen-key-stdin", stdin=OWN_KEY)
    line = one_error(unset)
    assert "HEYGEN_SECRET_KEY is not set" in line and "Fernet.generate_key()" in line
    assert OWN_KEY not in unset.stdout + unset.stderr
    bad = one_error(tokens(tmp_path, "add", "bob", "--heygen-key-stdin", stdin=OWN_KEY, HEYGEN_SECRET_KEY="nope"))
    assert "HEYGEN_SECRET_KEY: is not a Fernet key" in bad
    assert listed(tmp_path) == {}  # nothing was added by any of them


def test_list_shows_spend_and_no_secrets(tmp_path: Path, stores: Stores, secret: str) -> None:
    ann_token = added(tokens(tmp_path, "add", "ann", "--daily-credits", "25"))
    bob_token = added(tokens(tmp_path, "add", "bob", "--heygen-key-stdin", stdin=OWN_KEY, HEYGEN_SECRET_KEY=secret))
    people = stores.people()
    ann, bob = people.by_token(ann_token), people.by_token(bob_token)
    people.close()
    assert ann is not None and bob is not None
    # Paid calls as a team server records them: the key spent (the server's, or their own) and the person.
    store = stores.jobs()
    store.claim(Scope.of(DEFAULT_BASE_URL, SERVER_KEY, person=ann.id), "fp-1", "video", cost=2.5)
    store.claim(Scope.of(DEFAULT_BASE_URL, OWN_KEY, person=bob.id), "fp-2", "video", cost=4.0)
    store.claim(Scope.of(DEFAULT_BASE_URL, SERVER_KEY), "fp-3", "video", cost=9.0)  # the server's own: nobody's
    store.close()

    done = tokens(tmp_path, "list", "--json", HEYGEN_SECRET_KEY=secret, HEYGEN_DAILY_CREDITS="10")
    assert done.returncode == 0, done.stderr
    for text in (ann_token, bob_token, OWN_KEY, SERVER_KEY, secret):
        assert text not in done.stdout + done.stderr
    entries = {e["name"]: e for e in json.loads(done.stdout)["people"]}
    assert entries["ann"] == {"name": "ann", "id": ann.id, "subject": None, "has_own_key": False,
                              "daily_credits": 25.0, "daily_limit_usd": 25.0, "spent_24h_usd": 2.5,
                              "created_at": entries["ann"]["created_at"], "revoked_at": None}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entries["ann"]["created_at"])
    assert (entries["bob"]["has_own_key"], entries["bob"]["daily_credits"], entries["bob"]["daily_limit_usd"],
            entries["bob"]["spent_24h_usd"]) == (True, None, 10.0, 4.0)

    # Without the secret key bob's scope cannot be named: his spend is unknown, not 0.
    assert listed(tmp_path)["bob"]["spent_24h_usd"] is None
    table = tokens(tmp_path, "list", HEYGEN_SECRET_KEY=secret)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["NAME", "ID", "SUBJECT", "OWN"]
    assert lines[1].split()[:6] == ["ann", ann.id, "-", "no", "$25.00", "$2.50"]
    assert lines[2].split()[:4] == ["bob", bob.id, "-", "yes"] and "$4.00" in lines[2]


def test_revoke_takes_effect_at_once(tmp_path: Path, stores: Stores) -> None:
    token = added(tokens(tmp_path, "add", "ann"))
    people = stores.people()  # another process's view, open before the revocation
    assert people.by_token(token) is not None
    done = tokens(tmp_path, "revoke", "ann")
    assert done.returncode == 0 and "Revoked ann" in done.stdout, done.stderr
    assert people.by_token(token) is None
    people.close()
    assert listed(tmp_path)["ann"]["revoked_at"] is not None
    assert "No one named ann" in one_error(tokens(tmp_path, "revoke", "ann"))
    assert TOKEN.fullmatch(added(tokens(tmp_path, "add", "ann")))  # the name is free again


def test_usage_mistakes_are_one_line(tmp_path: Path) -> None:
    assert "US dollars" in one_error(tokens(tmp_path, "add", "ann", "--daily-credits", "-3"), code=2)
    assert "cannot be a name" in one_error(tokens(tmp_path, "add", "ann smith"))
    assert "required" in one_error(tokens(tmp_path), code=2)
    empty = tokens(tmp_path, "list")
    assert empty.returncode == 0 and "tokens add NAME" in empty.stdout
