"""The people store (issue #16 §2): a team server's people, their personal tokens (kept only as hashes) and their
own HeyGen keys (kept only encrypted), in the job store, seen alike by every process. Every test runs on both
backends of the store (``store_backend``: the SQLite file, and a PostgreSQL database)."""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from conftest import Backend
from heygen_studio.core.backends import Stores
from heygen_studio.core.people import PeopleError, SecretKeyError, person_spent, secret_key_problem
from heygen_studio.core.store import Scope, StoreError
from heygen_studio.settings import SettingsError, load_settings

pytestmark = pytest.mark.usefixtures("store_backend")

BASE = "https://api.heygen.com"
HEYGEN_KEY = "sk_V2_hgu_kOwnKeyOfAnn_0123456789abcdefABCDEF"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "jobs.sqlite3"


@pytest.fixture
def stores(store_backend: Backend, path: Path) -> Stores:
    return store_backend.stores(path)


@pytest.fixture
def secret() -> str:
    return Fernet.generate_key().decode()


def test_add_then_find_by_token_subject_and_id(stores: Stores, secret: str) -> None:
    people = stores.people(secret)
    ann, token = people.add("ann", heygen_key=HEYGEN_KEY, daily_credits=25, subject="oidc|ann")
    assert re.fullmatch(r"hgs_[A-Za-z0-9_-]{43}", token)
    assert re.fullmatch(r"p_[0-9a-f]{16}", ann.id)
    assert (ann.name, ann.subject, ann.daily_credits, ann.has_own_key, ann.revoked_at) == (
        "ann", "oidc|ann", 25.0, True, None)
    assert people.by_token(token) == ann
    assert people.by_subject("oidc|ann") == ann
    assert people.get(ann.id) == ann
    assert people.heygen_key(ann) == HEYGEN_KEY
    bob, bob_token = people.add("bob")
    assert bob_token != token and bob.id != ann.id
    assert (bob.subject, bob.daily_credits, bob.has_own_key) == (None, None, False)
    assert people.heygen_key(bob) is None  # spends the server's key
    assert people.by_token(bob_token) == bob
    assert people.list() == [ann, bob]
    for wrong in ("", "hgs_", token[:-1], token + "x", token.removeprefix("hgs_"), "Bearer " + token):
        assert people.by_token(wrong) is None
    assert people.by_subject("oidc|bob") is None and people.get("p_0000000000000000") is None
    shown = repr(people.list()) + repr(ann) + str(ann)
    assert token not in shown and HEYGEN_KEY not in shown and token.removeprefix("hgs_") not in shown
    people.close()


def test_secrets_are_not_in_the_store(stores: Stores, store_backend: Backend, path: Path, secret: str) -> None:
    people = stores.people(secret)
    ann, token = people.add("ann-the-first", heygen_key=HEYGEN_KEY, subject="sub-ann")
    assert people.by_token(token) == ann
    data = store_backend.raw(path)  # the file and its WAL, or every row of the database
    assert b"ann-the-first" in data  # what was written is in what was read (else the test could not fail)
    assert hashlib.sha256(token.encode()).hexdigest().encode() in data  # the token: as its hash only
    for secret_text in (token, token.removeprefix("hgs_"), HEYGEN_KEY, HEYGEN_KEY[7:30], secret):
        assert secret_text.encode() not in data
    people.close()


def test_two_processes_views_of_one_file(stores: Stores) -> None:
    """Two People objects on one file (each its own connection, as two server processes): each sees the other's
    additions and revocations at once."""
    here, there = stores.people(), stores.people()
    ann, token = here.add("ann")
    assert there.by_token(token) == ann
    assert there.list() == [ann]
    revoked = there.revoke("ann")
    assert revoked is not None and revoked.revoked_at is not None
    assert here.by_token(token) is None  # the next request of the other process is refused
    there.add("bob")
    with pytest.raises(PeopleError, match="already a person named bob"):
        here.add("bob")
    assert [p.name for p in here.list()] == ["bob", "ann"]
    here.close()
    there.close()


def test_revoked_people_are_refused_and_listed_last(stores: Stores) -> None:
    people = stores.people()
    ann, token = people.add("ann", subject="sub-ann")
    people.add("bob")
    revoked = people.revoke("ann")
    assert revoked is not None and revoked.id == ann.id and revoked.revoked_at is not None
    assert people.by_token(token) is None
    assert people.by_subject("sub-ann") is None
    assert people.get(ann.id) == revoked  # still known by id, revoked (the record of who spent what)
    assert people.revoke("ann") is None  # nobody left by that name
    assert people.revoke("nobody") is None
    assert [p.name for p in people.list()] == ["bob", "ann"]
    # The name and subject are free again; the old token stays refused.
    again, new_token = people.add("ann", subject="sub-ann")
    assert again.id != ann.id and people.by_token(new_token) == again and people.by_token(token) is None
    assert people.by_subject("sub-ann") == again
    assert [p.name for p in people.list()] == ["bob", "ann", "ann"]
    assert [p.revoked_at is None for p in people.list()] == [True, True, False]
    people.close()


def test_duplicate_names_and_subjects_are_refused(stores: Stores) -> None:
    people = stores.people()
    people.add("ann", subject="sub-1")
    with pytest.raises(PeopleError) as caught:
        people.add("ann")
    assert "already a person named ann" in caught.value.describe()
    assert "tokens revoke ann" in caught.value.describe()  # the next step
    with pytest.raises(PeopleError, match="subject is already ann's"):
        people.add("bob", subject="sub-1")
    assert [p.name for p in people.list()] == ["ann"]  # nothing was added by either
    people.close()


@pytest.mark.parametrize("name", ["", "a" * 65, "ann smith", "ann\n", "ann/bob", "änn"])
def test_bad_names_are_refused(stores: Stores, name: str) -> None:
    people = stores.people()
    with pytest.raises(PeopleError, match="cannot be a name") as caught:
        people.add(name)
    assert "1-64 characters" in caught.value.describe()
    assert people.list() == []
    people.close()


def test_bad_limits_subjects_and_keys_are_refused(stores: Stores, secret: str) -> None:
    people = stores.people(secret)
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(PeopleError, match="daily limit"):
            people.add("ann", daily_credits=bad)
    for subject in ("", "a b", "x" * 256):
        with pytest.raises(PeopleError, match="subject"):
            people.add("ann", subject=subject)
    for key in ("", "sk with space", "sk\n"):
        with pytest.raises(PeopleError, match="HeyGen key"):
            people.add("ann", heygen_key=key)
    assert people.list() == []
    assert people.add("ann", daily_credits=0)[0].daily_credits == 0.0  # 0: no paid calls at all
    people.close()


def test_a_heygen_key_needs_the_secret_key(stores: Stores) -> None:
    people = stores.people()
    with pytest.raises(SecretKeyError) as caught:
        people.add("ann", heygen_key=HEYGEN_KEY)
    text = caught.value.describe()
    assert "HEYGEN_SECRET_KEY is not set" in text and "Fernet.generate_key()" in text
    assert HEYGEN_KEY not in text
    assert people.list() == []  # refused before anything was kept
    people.close()


def test_a_wrong_secret_key_is_a_clear_error(stores: Stores, secret: str) -> None:
    ann, _ = (first := stores.people(secret)).add("ann", heygen_key=HEYGEN_KEY)
    first.close()
    other = Fernet.generate_key().decode()
    wrong = stores.people(other)
    with pytest.raises(SecretKeyError) as caught:
        wrong.heygen_key(ann)
    text = caught.value.describe()
    assert "HEYGEN_SECRET_KEY is not the key the HeyGen keys were stored with" in text
    assert HEYGEN_KEY not in text and secret not in text and other not in text
    # A second key under another secret is refused too: every stored key must open with one secret.
    with pytest.raises(SecretKeyError, match="not the key the HeyGen keys were stored with"):
        wrong.add("bob", heygen_key="sk_bob_key")
    assert [p.name for p in wrong.list()] == ["ann"]
    # Without the secret key, reading it says what to set.
    without, right = stores.people(), stores.people(secret)
    with pytest.raises(SecretKeyError, match="HEYGEN_SECRET_KEY is not set"):
        without.heygen_key(ann)
    assert right.heygen_key(ann) == HEYGEN_KEY
    for people in (wrong, without, right):
        people.close()


def test_the_secret_key_must_be_a_fernet_key(stores: Stores) -> None:
    good = Fernet.generate_key().decode()
    assert secret_key_problem(good) is None
    for bad in ("", "short", good[:-1], good + "=", good.replace("=", "A"), good.strip("=") + "==",
                "+" * 43 + "=", good[:20] + " " + good[21:]):
        problem = secret_key_problem(bad)
        assert problem is not None and "Fernet.generate_key()" in problem, bad
    with pytest.raises(SecretKeyError, match="HEYGEN_SECRET_KEY is not a Fernet key"):
        stores.people("not-a-key")


def test_settings_check_heygen_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("HEYGEN_SECRET_KEY", key)
    settings = load_settings()
    assert settings.heygen_secret_key is not None and settings.heygen_secret_key.get_secret_value() == key
    assert key not in repr(settings)
    monkeypatch.setenv("HEYGEN_SECRET_KEY", "hunter2-is-not-a-fernet-key")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "HEYGEN_SECRET_KEY: is not a Fernet key" in str(caught.value) and "hunter2" not in str(caught.value)
    monkeypatch.setenv("HEYGEN_SECRET_KEY", " ")
    assert load_settings().heygen_secret_key is None


def test_people_share_the_job_store(stores: Stores) -> None:
    """The job store and the people store live in one store (one file, or one database), each with its own
    tables."""
    store = stores.jobs()
    store.record(Scope.of(BASE, "k"), kind="video", job_id="v1")
    people = stores.people()
    ann, _ = people.add("ann")
    assert store.get(Scope.of(BASE, "k"), "v1") is not None and people.get(ann.id) == ann
    store.close()
    people.close()


def test_a_linked_file_is_refused_as_the_job_store_refuses_it(store_backend: Backend, path: Path) -> None:
    if store_backend.name != "sqlite":
        pytest.skip("a file's problem: the SQLite store only")
    Stores(path).people().add("ann")
    link = path.with_name("link.sqlite3")
    link.symlink_to(path)
    with pytest.raises(StoreError, match="link"):
        Stores(link).people().list()


def test_two_servers_adding_one_name_at_once_add_it_once(stores: Stores) -> None:
    """Each its own connection, at the same moment: the clash check and the insert are one step, so exactly one
    adds the name and the others are told it is taken (not a database error)."""
    servers = [stores.people() for _ in range(6)]
    outcomes: list[str] = []
    start = threading.Barrier(len(servers))

    def add(people: Any) -> None:
        start.wait()
        try:
            people.add("ann")
            outcomes.append("added")
        except PeopleError as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=add, args=(people,)) for people in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["There is already a person named ann; nothing was added"] * 5 + ["added"], outcomes
    assert [p.name for p in servers[0].list()] == ["ann"]
    for people in servers:
        people.close()


def test_person_spent_counts_their_scope_only(stores: Stores) -> None:
    """What a person spent is the job store's rows of their scope: the API, the key they spend, and their id."""
    people = stores.people()
    ann, _ = people.add("ann")
    bob, _ = people.add("bob")
    store = stores.jobs()
    assert Scope.of(BASE, "server-key", person=ann.id).account.endswith("@" + ann.id)
    assert Scope.of(BASE, "server-key", person=ann.id) != Scope.of(BASE, "server-key")
    store.claim(Scope.of(BASE, "server-key", person=ann.id), "fp-1", "video", cost=2.5)
    store.claim(Scope.of(BASE, "server-key", person=ann.id), "fp-2", "video", cost=1.25)
    store.claim(Scope.of(BASE, "server-key", person=bob.id), "fp-3", "video", cost=4.0)
    store.claim(Scope.of(BASE, "server-key"), "fp-4", "video", cost=9.0)  # the server's own, nobody's
    store.claim(Scope.of("http://127.0.0.1:9", "server-key", person=ann.id), "fp-5", "video", cost=7.0)
    assert person_spent(store, ann, base_url=BASE, api_key="server-key") == 3.75
    assert person_spent(store, bob, base_url=BASE, api_key="server-key") == 4.0
    assert person_spent(store, bob, base_url=BASE, api_key="another-key") == 0.0
    assert person_spent(store, ann, base_url=BASE, api_key="server-key", window_s=0.0) == 0.0
    store.close()
    people.close()
