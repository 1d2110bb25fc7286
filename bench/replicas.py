"""Replicas behind a balancer (issue #17 part 2), printed as figures.

Two ``heygen-studio serve --http`` replica processes on one PostgreSQL job store (a throwaway cluster,
``tests/postgres.py``) behind HAProxy (``tests/haproxy.py``), ``heygen-studio sandbox --accounts per-key`` as HeyGen
(renders take 6 s). ``clients`` MCP clients (default 200) each run create → wait → download through the balancer
with the personal tokens of ``people`` people (default 5, each with a HeyGen key of their own), 50 at once and at
most 10 renders a person at once (HeyGen's limit for an account); one replica is SIGKILLed once a third of the jobs
are created. Then the same work on one replica on its SQLite store (no kill: there is no other to take over).

Figures: jobs created, duplicate creates (creates HeyGen received beyond one a job, from the balancer's log of the
upstream, and videos HeyGen holds beyond one a job), lost jobs (jobs not completed, downloaded and listed), p50/p95
tool-call latency (a call made again after the kill counts from its first try), upstream polls per job (GETs of
``/v3/videos/{id}``), calls made again after the kill, webhook-to-wake latency across replicas (n/a here: a
webhook wakes the waits of the replica it reaches only, until the wake-ups go through the store; branch ``rep``).
No asserts; bounded in count and time (each run gives up after ``deadline`` seconds).

Run: .venv/bin/python bench/replicas.py [clients] [people]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import haproxy
import postgres

LOOK = "Abigail_expressive_2024112501"  # one of the sandbox's avatar looks
AT_ONCE = 50
RENDERS_A_PERSON = 10
DEADLINE_S = 75.0


async def workload(fleet: haproxy.Fleet, clients: int, kill: bool) -> dict[str, Any]:
    names = list(fleet.tokens)
    people = {name: haproxy.Person(fleet.url, token) for name, token in fleet.tokens.items()}
    at_once = anyio.Semaphore(AT_ONCE)
    renders = {name: anyio.Semaphore(RENDERS_A_PERSON) for name in names}
    jobs: dict[str, list[str]] = {name: [] for name in names}
    done: dict[str, set[str]] = {name: set() for name in names}
    failed: list[str] = []
    third = anyio.Event()

    async def client(n: int) -> None:
        name = names[n % len(names)]
        person = people[name]
        async with at_once, renders[name]:
            try:
                made = await person.call("create_avatar_video", {"script": f"Take {n} by {name}.", "avatar_id": LOOK})
                jobs[name].append(made["job_id"])
                if sum(map(len, jobs.values())) >= clients // 3:
                    third.set()
                status: dict[str, Any] = {}
                while status.get("status") != "completed":
                    status = await person.call("wait_for_job", {"job_id": made["job_id"], "max_wait_s": 20})
                await person.call("download_video", {"job_id": made["job_id"]})
                done[name].add(made["job_id"])
            except AssertionError as exc:
                failed.append(str(exc)[:200])

    async def killer() -> None:
        await third.wait()
        await anyio.to_thread.run_sync(fleet.kill, 0)

    started = time.monotonic()
    with anyio.move_on_after(DEADLINE_S):
        async with anyio.create_task_group() as tasks:
            if kill:
                tasks.start_soon(killer)
            for n in range(clients):
                tasks.start_soon(client, n)
    elapsed = time.monotonic() - started

    listed: set[str] = set()
    for person in people.values():
        with anyio.move_on_after(30):
            rows = (await person.call("list_jobs", {"limit": 50}))["items"]  # 40 a person by default
            listed |= {row["job_id"] for row in rows}
    created = sum(map(len, jobs.values()))
    upstream = fleet.upstream()
    creates = sum(1 for e in upstream if e.method == "POST" and e.path == "/v3/videos" and e.status == 200)
    refused = sum(1 for e in upstream if e.method == "POST" and e.path == "/v3/videos" and e.status != 200)
    polls = sum(1 for e in upstream if e.method == "GET" and e.path.startswith("/v3/videos/"))
    held = 0
    async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{fleet.sandbox_port}", timeout=30) as sandbox:
        for name in names:
            page = await sandbox.get("/v3/videos", params={"limit": 100},
                                     headers={"x-api-key": haproxy.person_key(name)})
            held += len(page.json().get("data") or []) if page.status_code == 200 else 0
    every = [job for name in names for job in jobs[name]]
    lost = sum(1 for name in names for job in jobs[name] if job not in done[name] or job not in listed)
    seconds = sorted(s for person in people.values() for s in person.seconds)
    return {
        "clients": clients, "created": created, "elapsed": elapsed,
        "duplicates": f"{max(0, creates - created)} ({creates} created upstream, {refused} refused, {held} held)",
        "lost": lost + (clients - created), "failed": failed,
        "p50": statistics.median(seconds) if seconds else float("nan"),
        "p95": seconds[int(0.95 * (len(seconds) - 1))] if seconds else float("nan"),
        "polls": polls / len(every) if every else float("nan"),
        "again": sum(person.again for person in people.values()),
        "by_replica": Counter(e.rest.split()[0] for e in fleet.logged() if e.front == "studio" and e.path == "/mcp"),
    }


def main() -> None:
    clients = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    program, why = haproxy.find()
    bindir, user, pg_why = postgres.find()
    if program is None or bindir is None:
        print(f"not run: {why or pg_why}")
        return
    names = tuple(f"p{i}" for i in range(count))
    cluster = postgres.Cluster(bindir, user)
    cluster.start()
    try:
        with haproxy.Fleet(program, cluster.database(), replicas=2, people=names) as fleet:
            pg = anyio.run(workload, fleet, clients, True)
    finally:
        cluster.stop()
    with haproxy.Fleet(program, None, replicas=1, people=names) as fleet:
        lite = anyio.run(workload, fleet, clients, False)

    rows = [
        ("clients (create → wait → download)", "clients", "{}"),
        ("jobs created", "created", "{}"),
        ("duplicate creates", "duplicates", "{}"),
        ("lost jobs (not completed, downloaded and listed)", "lost", "{}"),
        ("tool-call latency p50", "p50", "{:.2f} s"),
        ("tool-call latency p95", "p95", "{:.2f} s"),
        ("upstream polls per job (GET /v3/videos/{id})", "polls", "{:.1f}"),
        ("calls made again (their replica died)", "again", "{}"),
        ("wall time", "elapsed", "{:.1f} s"),
    ]
    print(f"{'':52}{'2 replicas, PostgreSQL, HAProxy, 1 killed':50}1 replica, SQLite")
    for label, key, form in rows:
        print(f"{label:52}{form.format(pg[key]):50}{form.format(lite[key])}")
    print(f"{'webhook-to-wake latency across replicas':52}{'n/a (needs branch rep)':50}n/a (one replica)")
    print(f"MCP requests by replica: {dict(pg['by_replica'])} / {dict(lite['by_replica'])}")
    for run, figures in (("PostgreSQL", pg), ("SQLite", lite)):
        if figures["failed"]:
            print(f"{run}: {len(figures['failed'])} clients failed; the first: {figures['failed'][0]}")


if __name__ == "__main__":
    main()
