"""The job store keeps the money promise (issue #8 §1): a submitted job is never lost and never paid twice, and
when that cannot be guaranteed nothing is paid. Through an MCP client, on the sandbox, whose request log and
credits prove what was sent and charged; and the store's own rules under racing connections (each its own, as
separate processes or replicas). Every test runs on both backends (``store_backend``: the SQLite file in the
state folder, and a fresh PostgreSQL database, issue #17)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from conftest import Backend, make_settings
from heygen_studio.core.backends import Stores
from heygen_studio.core.schema import LATEST, MIGRATIONS
from heygen_studio.core.store import PERSON_LIMIT, DailyLimitError, Scope, _host
from heygen_studio.server import create_server
from test_mcp_tools import call, error, look_and_voice, scenes, upstream

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("store_backend")]
V2 = "/v2/video/generate"


async def studio_args(mcp: Client) -> dict[str, Any]:
    look, voice = await look_and_voice(mcp)
    return {"scenes": scenes(look, voice), "title": "once only"}


async def test_concurrent_identical_v2_creates_pay_once(mcp: Client, sandbox: Any) -> None:
    args = await studio_args(mcp)
    credits = sandbox.credits
    results: list[dict[str, Any]] = []

    async def create() -> None:
        results.append(await call(mcp, "create_studio_video", args))

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(create)
    assert len(upstream(sandbox, "POST", V2)) == 1
    assert len({r["job_id"] for r in results}) == 1 and sum(r["replayed"] for r in results) == 3
    charged = credits - sandbox.credits
    assert charged > 0 and len(sandbox.videos) == 1
    body = upstream(sandbox, "POST", V2)[0].json
    assert body["callback_id"].startswith("hs-") and body["title"] == "once only"  # the reconcile marker


async def test_concurrent_identical_v2_template_creates_pay_once(mcp: Client, sandbox: Any) -> None:
    template = (await call(mcp, "list_templates", {"api": "v2", "limit": 1}))["items"][0]
    assert template["name"] == "Welcome Message"  # the sandbox's: every variable has a default, so {} is enough
    args = {"template_id": template["template_id"], "api": "v2", "variables": {}, "title": "template once"}
    outcomes: list[Any] = []

    async def create() -> None:
        outcomes.append(await mcp.call_tool("create_template_video", args))

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(create)
    posts = [r for r in sandbox.requests if r.method == "POST" and r.path.startswith("/v2/template/")]
    assert len(posts) == 1, [o.content[0].text for o in outcomes if o.is_error]  # one paid job
    ok = [o.structured_content["job_id"] for o in outcomes if not o.is_error]
    assert len(ok) == 3 and len(set(ok)) == 1, ok  # and all three calls are that job
    assert sum(bool(o.structured_content["replayed"]) for o in outcomes) == 2


async def test_a_lost_v2_answer_is_listed_and_the_repeat_finds_the_job(mcp: Client, sandbox: Any) -> None:
    """A v2 create whose answer is lost to a dropped connection used to be missing from list_jobs, and
    repeating it paid again. Now it is listed as unknown, and the repeat asks HeyGen (listVideos by the
    request's title) before sending anything."""
    args = await studio_args(mcp)
    sandbox.faults.inject("POST", V2, "drop_after")  # HeyGen makes the job; the answer never arrives
    text = await error(mcp, "create_studio_video", args)
    assert "list_videos" in text or "list_jobs" in text
    rows = (await call(mcp, "list_jobs", {}))["items"]
    assert rows[0]["state"].startswith("unknown") and rows[0]["title"] == "once only"
    again = await call(mcp, "create_studio_video", args)
    assert again["replayed"] and len(upstream(sandbox, "POST", V2)) == 1 and len(sandbox.videos) == 1
    assert again["video_id"] == next(iter(sandbox.videos))
    assert (await call(mcp, "list_jobs", {}))["items"][0]["job_id"] == again["job_id"]


async def test_a_lost_v3_answer_replays_the_same_key(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    async with Client(create_server(make_settings(tmp_path, heygen_max_retries=0), transport=wire)) as mcp:
        look, voice = await look_and_voice(mcp)
        args = {"avatar_id": look, "voice_id": voice, "script": "Lost answer."}
        sandbox.faults.inject("POST", "/v3/videos", "drop_after")  # HeyGen makes the job; the answer is lost
        await error(mcp, "create_avatar_video", args)
        assert (await call(mcp, "list_jobs", {}))["items"][0]["state"].startswith("unknown")
        again = await call(mcp, "create_avatar_video", args)
    keys = {r.headers.get("idempotency-key") for r in upstream(sandbox, "POST", "/v3/videos")}
    assert len(keys) == 1 and len(sandbox.videos) == 1 and again["replayed"]


def sqlite_only(backend: Backend) -> None:
    if backend.name != "sqlite":
        pytest.skip("a file's problem: the SQLite store only (PostgreSQL: test_an_unreachable_database_refuses_to_pay)")


async def test_an_unwritable_store_refuses_to_pay(tmp_path: Path, wire: Any, sandbox: Any,
                                                  store_backend: Backend) -> None:
    sqlite_only(store_backend)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = make_settings(tmp_path, heygen_state_dir=blocker / "state")
    async with Client(create_server(settings, transport=wire)) as client:
        look, voice = await look_and_voice(client)
        text = await error(client, "create_studio_video", {"scenes": scenes(look, voice)})
        assert "job store" in text and "cannot be opened" in text and "Nothing was sent or charged" in text
        text = await error(client, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Hi"})
        assert "HEYGEN_STATE_DIR" in text
        assert not [r for r in sandbox.requests if r.method == "POST"] and not sandbox.videos  # look-ups only


async def test_a_symlinked_store_is_refused_not_written_through(tmp_path: Path, wire: Any, sandbox: Any,
                                                               store_backend: Backend) -> None:
    sqlite_only(store_backend)
    outside = tmp_path / "outside.db"
    outside.write_bytes(b"")
    state = tmp_path / "state"
    state.mkdir()
    os.symlink(outside, state / "jobs.sqlite3")
    async with Client(create_server(make_settings(tmp_path, heygen_state_dir=state), transport=wire)) as client:
        look, voice = await look_and_voice(client)
        text = await error(client, "create_studio_video", {"scenes": scenes(look, voice)})
        assert "symbolic link" in text
    assert outside.read_bytes() == b"" and not sandbox.videos


async def test_sandbox_jobs_never_answer_for_another_api(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    """Scope: after trying the embedded sandbox, the same state folder pointed at another HeyGen must not
    answer an identical v2 create with 'already submitted' and the sandbox's video id."""
    state = tmp_path / "state"
    async with Client(create_server(make_settings(tmp_path, heygen_state_dir=state))) as embedded:
        args = await studio_args(embedded)
        first = await call(embedded, "create_studio_video", args)
    async with Client(create_server(make_settings(tmp_path, heygen_state_dir=state), transport=wire)) as other:
        second = await call(other, "create_studio_video", args)
    assert not second["replayed"] and second["video_id"] != first["video_id"]
    assert len(upstream(sandbox, "POST", V2)) == 1


async def test_an_old_journal_is_imported_once_and_junk_lines_are_skipped(tmp_path: Path, wire: Any,
                                                                         sandbox: Any) -> None:
    settings = make_settings(tmp_path)
    legacy = settings.legacy_journal
    legacy.parent.mkdir(parents=True)
    lines = [json.dumps({"job_id": "v-old", "kind": "video", "key": "k", "title": "from 0.1", "created_at": 1.0}),
             "\x00\x00\x00", json.dumps({"job_id": "a-old", "kind": "agent_session", "title": "no time"}),
             '{"job_id": "torn']
    legacy.write_text("\n".join(lines))
    for _ in range(2):  # imported once: a restart does not list them twice
        async with Client(create_server(settings, transport=wire)) as client:
            rows = (await call(client, "list_jobs", {}))["items"]
    assert sorted(r["job_id"] for r in rows) == ["agent:a-old", "video:v-old"]
    async with Client(create_server(settings, transport=wire)) as client:  # listed, never trusted to skip a payment
        look, voice = await look_and_voice(client)
        await call(client, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "New."})
    assert len(upstream(sandbox, "POST", "/v3/videos")) == 1


async def test_an_unreachable_database_refuses_to_pay(tmp_path: Path, wire: Any, sandbox: Any,
                                                      store_backend: Backend) -> None:
    """HEYGEN_STORE_URL names a PostgreSQL nobody answers at: a paid create is refused at once, saying where (never
    the password) and what to fix; nothing is sent."""
    if store_backend.name != "postgres":
        pytest.skip("PostgreSQL's problem (SQLite: test_an_unwritable_store_refuses_to_pay)")
    from postgres import free_port

    port = free_port()  # nothing listens there
    url = f"postgresql://jobkeeper:hunter2-secret-pw@127.0.0.1:{port}/jobs"
    async with Client(create_server(make_settings(tmp_path, heygen_store_url=url), transport=wire)) as client:
        look, voice = await look_and_voice(client)
        started = time.monotonic()
        text = await error(client, "create_studio_video", {"scenes": scenes(look, voice)})
        assert time.monotonic() - started < 5  # told at once, not after a pool's timeout
    assert f"The job store on PostgreSQL at 127.0.0.1:{port}/jobs cannot be opened" in text, text
    assert "refused" in text and "HEYGEN_STORE_URL" in text and "Nothing was sent or charged" in text
    assert "hunter2" not in text and "jobkeeper" not in text
    assert not [r for r in sandbox.requests if r.method == "POST"] and not sandbox.videos


def test_the_store_url_is_a_secret_and_must_name_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    from heygen_studio.core.backends import open_store
    from heygen_studio.settings import SettingsError, load_settings

    monkeypatch.setenv("HEYGEN_STORE_URL", "mysql://ops:pa55-word-x@db.internal:3306/jobs")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "HEYGEN_STORE_URL: must be a PostgreSQL URL" in str(caught.value) and "pa55" not in str(caught.value)
    monkeypatch.setenv("HEYGEN_STORE_URL", "postgresql://ops:pa55-word-x@db.internal:6432/jobs")
    settings = load_settings()
    assert settings.store_url == "postgresql://ops:pa55-word-x@db.internal:6432/jobs"
    stores = open_store(settings)
    assert stores.postgres and repr(stores) == "<Stores PostgreSQL at db.internal:6432/jobs>"
    assert "pa55" not in repr(settings) + repr(stores) + repr(stores.database())
    monkeypatch.setenv("HEYGEN_STORE_URL", " ")  # blank: the SQLite file, as unset
    settings = load_settings()
    assert settings.store_url is None and not open_store(settings).postgres
    assert open_store(settings).describe() == str(settings.store_path)


async def test_doctor_says_which_store_and_whether_it_answers(tmp_path: Path, store_backend: Backend) -> None:
    from heygen_studio import doctor

    lines = [check.line() for check in await doctor.checks(make_settings(tmp_path))]
    if store_backend.name == "sqlite":
        assert any(line.startswith("✓ state folder: job store ") for line in lines), lines
        return
    assert store_backend.url is not None
    where = store_backend.url.removeprefix("postgresql://postgres@")
    assert f"✓ job store: PostgreSQL at {where} answers, its schema up to date (HEYGEN_STORE_URL)" in lines, lines
    from postgres import free_port

    away = f"postgresql://ops:pa55-word-x@127.0.0.1:{free_port()}/jobs"
    lines = [check.line() for check in await doctor.checks(make_settings(tmp_path, heygen_store_url=away))]
    bad = [line for line in lines if line.startswith("✗ job store: The job store on PostgreSQL at 127.0.0.1:")]
    assert len(bad) == 1 and "refused" in bad[0] and bad[0].endswith("Fix: HEYGEN_STORE_URL (paid creates are "
                                                                      "refused until the job store can be written)")
    assert "pa55" not in "\n".join(lines)


# -- the store's rules, under racing connections ------------------------------------------------------------------

BASE = "https://api.heygen.com"


@pytest.fixture
def stores(store_backend: Backend, tmp_path: Path) -> Stores:
    return store_backend.stores(tmp_path / "state" / "jobs.sqlite3")


def opened(stores: Stores, count: int, scope: Scope) -> list[Any]:
    """``count`` job stores, each on connections of its own (as processes or replicas), opened and used once, so
    that what races next is the call itself (not the first use's connect and migrate)."""
    jobs = [stores.jobs() for _ in range(count)]
    for store in jobs:
        store.spent(scope)
    return jobs


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(0…count-1)`` in threads released together; what each returned, or the exception it raised."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_racing_claims_of_one_create_make_one_new_claim(stores: Stores) -> None:
    """Eight processes (each its own connection) claim one fingerprint at the same moment: one may send, the rest
    see it in flight; once settled, every claim answers with that job."""
    scope = Scope.of(BASE, "key-one")
    jobs = opened(stores, 8, scope)
    claims = at_once(8, lambda i: jobs[i].claim(scope, "fp-once", "video", title="once", cost=1.5))
    assert sorted(c.state for c in claims) == ["in_flight"] * 7 + ["new"], claims
    winner = next(i for i, c in enumerate(claims) if c.state == "new")
    jobs[winner].settle(scope, claims[winner], "v-1", estimated_usd=1.5)
    again = at_once(8, lambda i: jobs[i].claim(scope, "fp-once", "video", cost=1.5))
    assert {(c.state, c.record.job_id) for c in again} == {("submitted", "v-1")}
    assert [amount for _, amount in jobs[0].spent(scope)] == [1.5]  # reserved once
    for store in jobs:
        store.close()


def test_racing_for_the_last_dollars_only_what_fits_passes(stores: Stores) -> None:
    """A daily limit of $5 and twelve $1 creates (different requests, each its own connection) at once: exactly
    five reserve, seven are refused before anything is sent, and a refusal's release gives its dollars back."""
    scope = Scope.of(BASE, "key-budget")
    jobs = opened(stores, 12, scope)
    claims = at_once(12, lambda i: jobs[i].claim(scope, f"fp-{i}", "video", cost=1.0, daily_limit=5.0))
    passed = [c for c in claims if not isinstance(c, Exception)]
    refused = [c for c in claims if isinstance(c, DailyLimitError)]
    assert len(passed) == 5 and len(refused) == 7, claims
    assert all(c.state == "new" for c in passed) and "only $0.00 of the daily limit" in refused[0].message
    assert sum(amount for _, amount in jobs[0].spent(scope)) == 5.0
    assert "(HEYGEN_DAILY_CREDITS)" in refused[0].message  # the server's limit, by default
    jobs[0].release(scope, passed[0])  # HeyGen refused that one: its dollar is free again
    assert jobs[1].claim(scope, "fp-next", "video", cost=1.0, daily_limit=5.0).state == "new"
    # A team server's person with a limit of their own: the store's refusal names theirs, not the server's.
    mine = Scope.of(BASE, "key-budget", person="p_0123456789abcdef")
    with pytest.raises(DailyLimitError) as refusal:
        jobs[2].claim(mine, "fp-big", "video", cost=6.0, daily_limit=5.0, limit_from=PERSON_LIMIT)
    assert "(your daily limit)" in refusal.value.message and "tokens add --daily-credits" in refusal.value.describe()
    for store in jobs:
        store.close()


def test_a_dead_owner_here_frees_its_claim_at_once_and_another_machines_waits_for_its_lease(stores: Stores) -> None:
    scope = Scope.of(BASE, "key-owners")
    ours, theirs, later = stores.jobs(), stores.jobs(), stores.jobs()
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    ours.owner = f"{_host()}:{finished.pid}:0badc0de"  # a process of this machine that no longer runs
    assert ours.claim(scope, "fp-dead", "video").state == "new"
    took = later.claim(scope, "fp-dead", "video")
    assert took.state == "unknown" and took.token == later.owner  # at once: reconcile with HeyGen, then send
    theirs.owner = "another-machine/0123456789ab:1:0badc0de"  # its pid 1 means nothing here: only its lease can tell
    assert theirs.claim(scope, "fp-away", "video", lease_s=0.5).state == "new"
    assert later.claim(scope, "fp-away", "video").state == "in_flight"
    time.sleep(0.6)
    assert later.claim(scope, "fp-away", "video").state == "unknown"
    for store in (ours, theirs, later):
        store.close()


def test_a_webhook_event_is_taken_by_its_first_receiver_only(stores: Stores) -> None:
    jobs = opened(stores, 6, Scope.of(BASE, "key"))
    firsts = at_once(6, lambda i: jobs[i].remember_event("evt-1", max_age_s=3600))
    assert sorted(firsts) == [False] * 5 + [True], firsts
    assert jobs[0].remember_event("evt-2", max_age_s=3600) and not jobs[3].remember_event("evt-2", max_age_s=3600)
    for store in jobs:
        store.close()


def test_news_of_a_job_reaches_every_scope_that_holds_it(stores: Stores) -> None:
    """``update_everywhere`` (a webhook's news) finds the job in each person's scope of that API, and only there."""
    store = stores.jobs()
    ann, bob = Scope.of(BASE, "key", person="p_ann"), Scope.of(BASE, "key", person="p_bob")
    other_api = Scope.of("http://127.0.0.1:9", "key", person="p_ann")
    for scope in (ann, bob, other_api):
        store.record(scope, kind="video", job_id="v-9", status="pending")
    assert store.update_everywhere(BASE + "/", "v-9", status="completed") == 2
    assert [store.get(s, "v-9").get("status") for s in (ann, bob, other_api)] == [  # type: ignore[union-attr]
        "completed", "completed", "pending"]
    store.record(ann, kind="video", job_id="v-10", slots=1)
    assert [r.job_id for r in store.holding(ann, since=0)] == ["v-10"] and store.holding(bob, since=0) == []
    store.close()


def test_servers_opening_a_new_store_file_at_once_all_open_it(tmp_path: Path, store_backend: Backend) -> None:
    """Eight processes start on a store file that does not exist yet, at once (each its own connection), many times
    over: every one opens it (the first switches it to WAL, the others wait for that) and finds the schema."""
    sqlite_only(store_backend)
    failures = []
    for trial in range(80):
        databases = [Stores(tmp_path / f"new-{trial}" / "jobs.sqlite3").database() for _ in range(8)]

        def first_use(i: int, databases: list[Any] = databases) -> Any:
            with databases[i].tx(write=True) as conn:
                return conn.execute("SELECT count(*) FROM jobs").fetchone()[0]

        failures += [r for r in at_once(8, first_use) if r != 0]
        for db in databases:
            db.close()
    assert failures == []


# -- the schema: versioned migrations -----------------------------------------------------------------------------

def test_a_new_store_is_migrated_to_the_latest_version_once(stores: Stores) -> None:
    first, second = stores.database(), stores.database()
    assert first.schema_version() == LATEST  # type: ignore[attr-defined]
    assert second.schema_version() == LATEST  # type: ignore[attr-defined]
    with first.tx(write=False) as conn:
        rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert [tuple(r) for r in rows] == [(m.version, m.name) for m in MIGRATIONS]
    assert [tuple(r) for r in rows] == [(1, "jobs, webhook events, meta"), (2, "people"), (3, "oauth"),
                                        (4, "poll leases, hold-offs"), (5, "webhook secrets")]
    first.close()
    second.close()


def test_a_file_made_before_migrations_keeps_its_jobs(tmp_path: Path, store_backend: Backend) -> None:
    """A jobs.sqlite3 of an earlier release has the tables and no schema_migrations: its versions are recorded
    as applied, and its jobs stay."""
    sqlite_only(store_backend)
    import sqlite3

    path = tmp_path / "state" / "jobs.sqlite3"
    path.parent.mkdir()
    old = sqlite3.connect(path)
    old.executescript("""CREATE TABLE jobs (scope TEXT NOT NULL, fingerprint TEXT NOT NULL, kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('reserved', 'unknown', 'submitted')), job_id TEXT, owner TEXT,
        lease_until REAL, title TEXT, data TEXT NOT NULL DEFAULT '{}', created_at REAL NOT NULL,
        updated_at REAL NOT NULL, PRIMARY KEY (scope, fingerprint)) STRICT;""")
    scope = Scope.of(BASE, "key")
    old.execute("INSERT INTO jobs VALUES (?, 'fp', 'video', 'submitted', 'v-old', NULL, NULL, 'old', '{}', ?, ?)",
                (scope.key, time.time(), time.time()))
    old.commit()
    old.close()
    store = Stores(path).jobs()
    assert store.find(scope, "fp").job_id == "v-old"  # type: ignore[union-attr]
    assert store.db.schema_version() == LATEST  # type: ignore[attr-defined]
    store.close()


def test_replicas_migrating_one_fresh_database_at_once(store_backend: Backend) -> None:
    """Two replicas start at once on an empty database while a third holds the schema lock (as one mid-migration
    does): both wait; once it is free, one applies every migration, the other finds them applied, both end at
    the latest version, and neither fails."""
    if store_backend.name != "postgres":
        pytest.skip("PostgreSQL's advisory lock (SQLite migrates under its file lock: BEGIN IMMEDIATE)")
    import psycopg

    from heygen_studio.core.sql import SCHEMA_LOCK

    url = store_backend.url
    assert url is not None
    script = ("import json, sys; from heygen_studio.core.store_pg import PostgresDatabase; "
              "db = PostgresDatabase(sys.argv[1]); applied = db.migrate(); "
              "print(json.dumps({'applied': applied, 'version': db.schema_version()})); db.close()")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(Path(__file__).parents[1] / "server"),
                                                                       os.environ.get("PYTHONPATH"))))}
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (SCHEMA_LOCK,))
        replicas = [subprocess.Popen([sys.executable, "-c", script, url], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
        deadline = time.monotonic() + 30
        while holder.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                             ).fetchone() != (2,):
            assert time.monotonic() < deadline, "the replicas never reached the schema lock"
            time.sleep(0.05)
        assert [r.poll() for r in replicas] == [None, None]  # both waiting
        assert holder.execute("SELECT to_regclass('public.jobs')").fetchone() == (None,)  # nothing applied yet
        holder.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (SCHEMA_LOCK,))
    outcomes = []
    for replica in replicas:
        out, err = replica.communicate(timeout=60)
        assert replica.returncode == 0 and "Error" not in err, err
        outcomes.append(json.loads(out))
    assert sorted(o["applied"] for o in outcomes) == [[], [m.version for m in MIGRATIONS]], outcomes
    assert [o["version"] for o in outcomes] == [LATEST, LATEST]
