"""Two replicas behind HAProxy on one PostgreSQL job store (issue #17), as real processes (``tests/haproxy.py``).

Two people, each with a personal token (``heygen-studio tokens add``) and a HeyGen key of their own, run create →
wait → download through the balancer with real MCP clients; a replica is killed (SIGKILL) while their waits are
under way. Every job is still found and downloaded, from the replica left; HeyGen (the sandbox, behind a logged
pass-through) got exactly one create per job; nothing was lost. A client whose call died with the replica calls
again, on a new connection, as a person's assistant would.

The session-based protocol era keeps a session in one replica's memory: the balancer sticks its requests to that
replica (``Mcp-Session-Id``), which the last test shows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

import haproxy

pytestmark = pytest.mark.anyio

JOBS_EACH = 2
LOOK = "Abigail_expressive_2024112501"  # one of the sandbox's avatar looks


@pytest.fixture
def fleet(pg_cluster: Any) -> Iterator[haproxy.Fleet]:
    program, why = haproxy.find()
    if program is None:
        pytest.skip(why)
    url = pg_cluster.database()
    with haproxy.Fleet(program, url, replicas=2, people=("ana", "ben")) as running:
        yield running
    pg_cluster.drop(url)


def sandbox_videos(fleet: haproxy.Fleet, name: str) -> list[str]:
    """The ids of the videos the sandbox holds in ``name``'s account (their own HeyGen key's)."""
    listed = httpx2.get(f"http://127.0.0.1:{fleet.sandbox_port}/v3/videos",
                        headers={"x-api-key": haproxy.person_key(name)}, params={"limit": 100}, timeout=10)
    assert listed.status_code == 200, listed.text
    return sorted(str(v["id"]) for v in listed.json()["data"])


async def test_a_replica_killed_mid_wait_loses_no_job_and_pays_no_create_twice(fleet: haproxy.Fleet) -> None:
    tokens = fleet.tokens
    assert all(token.startswith("hgs_") for token in tokens.values())
    made: dict[str, list[dict[str, Any]]] = {name: [] for name in tokens}
    saved: dict[str, list[dict[str, Any]]] = {name: [] for name in tokens}
    created = anyio.Event()
    killed_at: list[float] = []

    async def run(name: str) -> None:
        person = people[name]
        for n in range(JOBS_EACH):
            made[name].append(await person.call(
                "create_avatar_video", {"script": f"Hello from {name}, take {n}.", "avatar_id": LOOK}))
        if all(len(jobs) == JOBS_EACH for jobs in made.values()):
            created.set()
        async with anyio.create_task_group() as waits:  # each job waited on at once
            for job in made[name]:
                waits.start_soon(finish, person, name, job["job_id"])

    async def finish(person: haproxy.Person, name: str, job: str) -> None:
        status: dict[str, Any] = {}
        with anyio.fail_after(90):
            while status.get("status") != "completed":
                status = await person.call("wait_for_job", {"job_id": job, "max_wait_s": 20})
        saved[name].append({**await person.call("download_video", {"job_id": job}), "job": job})

    async def kill_mid_wait() -> None:
        await created.wait()
        await anyio.sleep(1.5)  # the sandbox renders for 6 s: every job is being waited on, none is done
        await anyio.to_thread.run_sync(fleet.kill, 0)
        killed_at.append(time.monotonic())

    people = {name: haproxy.Person(fleet.url, token) for name, token in tokens.items()}
    with anyio.fail_after(150):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(kill_mid_wait)
            for name in tokens:
                tasks.start_soon(run, name)

    assert killed_at and fleet.replicas[0].poll() is not None, "replica 0 was not killed mid-run"
    assert fleet.replicas[1].poll() is None
    for name, person in people.items():
        # Every job is found (from the replica left: the store is shared) and its file came down.
        jobs = sorted(job["job_id"] for job in made[name])
        listed = await person.call("list_jobs", {})
        assert sorted(row["job_id"] for row in listed["items"]) == jobs
        assert sorted(done["job"] for done in saved[name]) == jobs
        for done in saved[name]:
            fetched = httpx2.get(done["download_url"], timeout=30)  # a signed link: any replica opens it
            assert fetched.status_code == 200 and fetched.content[4:8] == b"ftyp", fetched.status_code
        # HeyGen holds exactly their videos: no create reached it twice, none went missing.
        assert sandbox_videos(fleet, name) == sorted(job["video_id"] for job in made[name])
    creates = [e for e in fleet.upstream() if e.method == "POST" and e.path == "/v3/videos" and e.status == 200]
    assert len(creates) == JOBS_EACH * len(tokens), creates
    served = {e.server for e in fleet.logged() if e.front == "studio" and e.path == "/mcp"}
    assert {"replicas/r0", "replicas/r1"} <= served, served  # both replicas answered tool calls before the kill


async def test_a_session_based_client_sticks_to_the_replica_that_holds_its_session(fleet: haproxy.Fleet) -> None:
    """2025-11-25 clients: the session lives in one replica's memory. Roundrobin alone would send every other
    request to the replica that never heard of it (404 "session not found"); the stick table sends them all to
    the one that made it."""
    token = fleet.tokens["ana"]
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http, \
            Client(streamable_http_client(f"{fleet.url}/mcp", http_client=http), mode="legacy") as mcp:
        for _ in range(6):
            result = await mcp.call_tool("list_jobs", {})
            assert not result.is_error, result.content
    session = [e for e in fleet.logged() if e.front == "studio" and e.path == "/mcp"]
    assert len(session) >= 7, session  # initialize, initialized, six calls (and the session's close)
    assert len({e.server for e in session}) == 1, session  # one replica took all of them
