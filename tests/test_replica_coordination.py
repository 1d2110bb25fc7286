"""Replicas on one job store (issue #17 part 2): waits that cost nothing, limits shared, nothing lost to a kill -9.

Two servers ("replicas": each with its own state, lifespan and, on PostgreSQL, its own LISTEN connection) on one
database of a throwaway PostgreSQL cluster (``pg_cluster``), HeyGen the sandbox. A webhook delivered to one replica
wakes a wait on the other (the figure goes to bench/replicas.py; the bound here is generous); waiters on both
replicas share one upstream poll per job per interval (counted in the sandbox's request log); a 429 seen by one holds
the other off; jobs in flight are counted across replicas; a replica killed mid-create costs nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client

from conftest import make_settings
from heygen_studio.core.errors import NotFoundError, RateLimitError
from heygen_studio.house import open_state, replicas
from heygen_studio.server import StudioServer, create_server
from heygen_studio.serving import WebhookReceiver
from test_concurrency import test_two_server_processes_share_the_slots
from test_store_processes import LiveSandbox, avatar, env_for, kill_9_while_sending, live, server
from test_webhooks_receiver import LOOK, SECRET, event, ok, returned, signed, video_polls

pytestmark = pytest.mark.anyio
__all__ = ["live"]  # the fixture, from test_store_processes


@pytest.fixture
def pg(pg_cluster: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database, named by HEYGEN_STORE_URL for every Settings (and child process) this test makes."""
    url = pg_cluster.database()
    monkeypatch.setenv("HEYGEN_STORE_URL", url)
    yield url
    pg_cluster.drop(url)


def replica_settings(tmp_path: Path, name: str, **overrides: Any) -> Any:
    """A replica on the real API's settings (no sandbox clamp on the poll interval), its own output folder; the state
    folder is shared (on SQLite the store is there: one machine)."""
    values: dict[str, Any] = {"heygen_sandbox": False, "heygen_api_key": "test-key-0123456789",
                              "heygen_poll_interval": 30.0, "heygen_webhook_secret": SECRET,
                              "heygen_state_dir": tmp_path / "state", "heygen_output_dir": tmp_path / name}
    return make_settings(tmp_path, **{**values, **overrides})


@asynccontextmanager
async def two_replicas(tmp_path: Path, wire: Any, **overrides: Any
                       ) -> AsyncIterator[tuple[tuple[StudioServer, Client], tuple[StudioServer, Client]]]:
    """Two servers, each running its lifespan (and its listener), with an MCP client on each."""
    async with AsyncExitStack() as stack:
        pair = []
        for name in ("a", "b"):
            srv = create_server(replica_settings(tmp_path, name, **overrides), transport=wire)
            pair.append((srv, await stack.enter_async_context(Client(srv, raise_exceptions=True))))
        yield pair[0], pair[1]


async def test_a_webhook_on_one_replica_wakes_a_wait_on_the_other(pg: str, tmp_path: Path, wire: Any, sandbox: Any,
                                                                  clock: Any) -> None:
    async with two_replicas(tmp_path, wire) as ((srv_a, a), (srv_b, b)):
        state_b = srv_b.live.state
        assert state_b is not None and state_b.listener is not None and state_b.listener.ready.is_set()
        job = await ok(a, "create_avatar_video", {"avatar_id": LOOK, "script": "Wake the other replica."})
        raw = job["video_id"]
        results: list[dict[str, Any]] = []

        async def waiter() -> None:
            results.append(await ok(b, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 60}))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(waiter)
            with anyio.fail_after(10):
                while not (srv_b.live.signals.waiting(raw) and video_polls(sandbox, raw) >= 1):
                    await anyio.sleep(0.005)
            await anyio.sleep(0.3)
            assert results == [] and video_polls(sandbox, raw) == 1  # waiting on B, not polling (30 s interval)
            clock.advance(3600)  # HeyGen finished the render
            body = event(raw)
            started = time.perf_counter()
            assert srv_a.live.state is not None
            receiver = WebhookReceiver(srv_a.live, srv_a.live.state.settings)  # delivered to replica A
            async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=receiver), base_url="http://a") as http:
                answer = await http.post("/webhooks/heygen", content=body, headers=signed(body))
            assert answer.status_code == 200, answer.text
            await returned(results)
            woke_in = time.perf_counter() - started
        (status,) = results
        assert status["done"] and status["status"] == "completed"
        assert woke_in < 2.0, f"B's wait returned {woke_in * 1000:.0f} ms after A's delivery"
        assert video_polls(sandbox, raw) == 2  # one poll before, one on the wake-up (the stored result was cleared)
        print(f"webhook on A to wake on B: {woke_in * 1000:.1f} ms")


@pytest.mark.usefixtures("store_backend")
async def test_waiters_on_two_replicas_share_one_poll_per_interval(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    interval, waiters, wait_s = 0.4, 6, 2.0
    async with two_replicas(tmp_path, wire, heygen_poll_interval=interval) as ((_, a), (_, b)):
        job = await ok(a, "create_avatar_video", {"avatar_id": LOOK, "script": "Poll me once."})
        raw = job["video_id"]
        before = video_polls(sandbox, raw)
        results: list[dict[str, Any]] = []

        async def waiter(client: Client) -> None:
            results.append(await ok(client, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": wait_s}))

        started = time.monotonic()
        async with anyio.create_task_group() as tasks:
            for n in range(waiters):
                tasks.start_soon(waiter, a if n % 2 else b)
        elapsed = time.monotonic() - started
    polls = video_polls(sandbox, raw) - before
    assert len(results) == waiters and all(r["job_id"] == job["job_id"] and not r["done"] for r in results)
    assert 1 <= polls <= elapsed / interval + 1, f"{polls} upstream polls in {elapsed:.2f} s (interval {interval} s)"
    # each waiter polls every 0.4-1.2 s on its own: uncoalesced, the 6 of them would send well over 12
    print(f"{waiters} waiters on 2 replicas for {elapsed:.2f} s: {polls} upstream polls")


async def test_a_429_seen_by_one_replica_holds_the_other_off(pg: str, tmp_path: Path, wire: Any,
                                                             sandbox: Any) -> None:
    first = open_state(replica_settings(tmp_path, "a", heygen_max_retries=0), wire)
    second = open_state(replica_settings(tmp_path, "b", heygen_max_retries=0), wire)
    path = "/v3/videos/v-held-off"
    try:
        sandbox.faults.inject("GET", path, "status", status=429, retry_after=120)
        with pytest.raises(RateLimitError):
            await first.client.videos.get("v-held-off")
        sent = len(sandbox.requests)
        with pytest.raises(RateLimitError) as held:  # not sent at all: B holds off for A's Retry-After
            await second.client.videos.get("v-held-off")
        assert len(sandbox.requests) == sent
        assert held.value.retry_after is not None and 110 < held.value.retry_after <= 120
        assert "Nothing was sent" in held.value.describe() and "Retry after" in held.value.describe()
        other = open_state(replica_settings(tmp_path, "c", heygen_max_retries=0, heygen_api_key="another-key-0123"),
                           wire)
        with pytest.raises(NotFoundError):  # another key is not held off
            await other.client.videos.get("v-held-off")
        await other.aclose()

        sandbox.faults.inject("GET", path, "status", status=429, retry_after=2)  # a short one: waited out
        with first.store.db.tx(write=True) as conn:  # (as if the long one had ended)
            conn.execute("DELETE FROM holdoffs")
        with pytest.raises(RateLimitError):
            await first.client.videos.get("v-held-off")
        started = time.monotonic()
        with pytest.raises(NotFoundError):  # sent once the hold-off passed
            await second.client.videos.get("v-held-off")
        assert time.monotonic() - started >= 1.8
        assert [r.status for r in sandbox.requests if r.path == path][-2:] == [429, 404]
    finally:
        await first.aclose()
        await second.aclose()


def test_a_pooled_connection_the_database_cut_is_replaced_before_use(pg: str) -> None:
    """A restart of the database breaks the pool's idle connections (here: every other backend is terminated). The
    pool checks a connection that sat idle for ``CHECK_IDLE_S`` before handing it out, so the next call after a
    pause gets a working one instead of failing (a payment would be refused for nothing)."""
    import psycopg

    from heygen_studio.core.store_pg import CHECK_IDLE_S, PostgresJobStore

    store = PostgresJobStore(pg)
    try:
        assert store.shared.not_before("some-account") is None  # the pool holds a connection now
        with psycopg.connect(pg, autocommit=True) as admin:
            cut = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()
        assert cut is not None and cut[0] >= 1
        time.sleep(CHECK_IDLE_S + 0.2)
        assert store.shared.not_before("some-account") is None  # not a StoreError: the cut connection was replaced
    finally:
        store.close()


async def test_the_listener_reconnects_and_wakes_every_waiter(pg: str, pg_cluster: Any, tmp_path: Path,
                                                              wire: Any) -> None:
    """The listener's connection is cut (as a restarted database or a dropped link would): it reconnects, wakes
    every local waiter (news may have been lost meanwhile), and hears news again."""
    import psycopg

    state = open_state(replica_settings(tmp_path, "a"), wire)
    try:
        async with replicas(state):
            listener = state.listener
            assert listener is not None and listener.ready.is_set()
            with state.signals.listen("some-job") as news:
                with psycopg.connect(pg, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE query LIKE 'LISTEN%' AND datname = current_database()")
                assert await news.wait(5.0)  # woken by the reconnection
                assert listener.connections == 2
                state.store.shared.forget(["some-job"], announce=True)  # a webhook's news, as the receiver sends it
                assert await news.wait(5.0)  # and news is heard again
        assert state.listener is None
    finally:
        await state.aclose()


async def test_jobs_in_flight_are_counted_across_replicas_on_postgresql(
        pg: str, mcp: Client, sandbox: Any, clock: Any, settings: Any, wire: Any) -> None:
    """tests/test_concurrency.py's two servers, on one PostgreSQL database: the second counts the first's jobs in
    flight and sends only what the free slots take."""
    await test_two_server_processes_share_the_slots(mcp, sandbox, clock, settings, wire)


@pytest.mark.slow
async def test_a_replica_killed_mid_create_costs_nothing_twice(pg: str, live: LiveSandbox, tmp_path: Path) -> None:
    """Two server processes on one PostgreSQL database; A is kill -9ed after its paid request reached HeyGen and
    before it recorded the answer. B, running all along, repeats the create: the dead replica's claim is
    reconciled (its Idempotency-Key replayed: HeyGen answers with the job it made, and charges nothing), and B
    waits the job to its end."""
    async with server(live, tmp_path, "b") as b:
        args = await avatar(b)
        await kill_9_while_sending(live, tmp_path, env_for(live, tmp_path, "a"), "create_avatar_video", args,
                                   "/v3/videos")
        with anyio.fail_after(20):
            while not live.state.videos:  # HeyGen makes the job the dead replica paid for
                await anyio.sleep(0.05)
        credits = live.state.credits
        result = await ok(b, "create_avatar_video", args)
        assert result["replayed"] and result["video_id"] == next(iter(live.state.videos))
        live.clock.advance(3600)
        done = await ok(b, "wait_for_job", {"job_id": result["job_id"], "max_wait_s": 20})
        assert done["done"] and done["status"] == "completed"
    assert len(live.state.videos) == 1 and live.state.credits == credits
    first, again = live.posts("/v3/videos")  # the claim's Idempotency-Key replayed: HeyGen made no second job
    assert first.headers["idempotency-key"] == again.headers["idempotency-key"]


@pytest.mark.usefixtures("store_backend")
def test_poll_leases_and_hold_offs_in_the_store(store_backend: Any, tmp_path: Path) -> None:
    """The shared tables' rules, on both backends: one caller holds a job's lease; its result is served while fresh;
    a failed poll frees the lease; news clears the result; a dead holder's lease is free at once; a hold-off only
    grows, and ends."""
    import subprocess
    import sys

    stores = store_backend.stores(tmp_path / "state" / "jobs.sqlite3")
    one, two = stores.jobs(), stores.jobs()  # two processes' (replicas') connections
    try:
        a, b = one.shared, two.shared
        first = a.take("s", "v1", "A", fresh_s=5, hold_s=30)
        assert first.mine and first.result is None
        held = b.take("s", "v1", "B", fresh_s=5, hold_s=30)
        assert not held.mine and held.result is None and held.until >= first.until - 0.01
        a.put("s", "v1", "A", '{"status": "processing"}')
        assert b.take("s", "v1", "B", fresh_s=5, hold_s=30).result == '{"status": "processing"}'  # fresh: shared
        assert b.take("s", "v1", "B", fresh_s=0, hold_s=30).mine  # stale: B polls
        assert not a.take("s", "v1", "A", fresh_s=0, hold_s=30).mine
        b.drop("s", "v1", "B")  # B's poll failed: the next caller polls
        assert a.take("s", "v1", "A", fresh_s=0, hold_s=30).mine
        a.put("s", "v1", "A", '{"status": "processing"}')
        assert b.take("s", "v2", "B", fresh_s=5, hold_s=30).mine  # another job: its own lease
        b.forget(["v1"])  # a webhook's news
        assert b.read("s", "v1") is None and b.take("s", "v1", "B", fresh_s=5, hold_s=30).mine

        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        from heygen_studio.core.store import _host

        corpse = f"{_host()}:{dead.stdout.strip()}:deadbeef"  # a process of this machine that no longer runs
        assert a.take("s", "v3", corpse, fresh_s=5, hold_s=30).mine
        assert b.take("s", "v3", "B", fresh_s=5, hold_s=30).mine  # freed at once, not after 30 s

        later = time.time() + 60
        a.hold_off("acct", later)
        a.hold_off("acct", later - 30)  # an earlier end does not shorten it
        assert b.not_before("acct") == pytest.approx(later) and b.not_before("other") is None
        a.hold_off("gone", time.time() - 1)
        assert b.not_before("gone") is None
    finally:
        one.close()
        two.close()
