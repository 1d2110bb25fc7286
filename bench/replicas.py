"""Replicas behind a balancer (issue #17 part 2), printed as figures.

Two ``heygen-studio serve --http`` replica processes on one PostgreSQL job store (a throwaway cluster,
``tests/postgres.py``) behind HAProxy (``tests/haproxy.py``), ``heygen-studio sandbox --accounts per-key`` as HeyGen
(renders take 6 s). It runs at nice 10: its renders encode real video on the same 2 cores, CPU that HeyGen's render
farm never takes from a server, so at normal priority the figures measure the sandbox's encoder as much as the
replicas (``bench/BENCHMARKS.md`` shows both). ``clients`` MCP clients (default 200) each run create → wait →
download through the balancer with the personal tokens of ``people`` people (default 5, each with a HeyGen key of
their own), 50 at once and at most 10 renders a person at once (HeyGen's limit for an account); one replica is
SIGKILLed once a third of the jobs are created. Then the same work on one replica on its SQLite store (no kill:
there is no other to take over).

Figures: jobs created; duplicates, counted as HeyGen counts money: videos HeyGen holds beyond one a job, and the
wallet's spend (``GET /v3/users/me`` per person's key, before and after) beyond the sum of the creates'
``estimated_usd`` (a create made again answers "a repeat", $0: priced by a dry run of as many words); apart
from them, creates sent again after their replica died, which HeyGen (the sandbox) answered
by replaying the first answer for their ``Idempotency-Key`` (HAProxy logs the ``Idempotent-Replayed`` answer header):
nothing made, nothing charged (``replay_check`` shows, on an account of its own, that a replay answers the first
video and charges once); lost jobs (jobs not completed, downloaded and listed), p50/p95 tool-call latency (a call
made again after the kill counts from its first try), upstream polls per job (GETs of ``/v3/videos/{id}``), calls
made again after the kill.

Webhook-to-wake: each person's key registers the balancer's ``/webhooks/heygen`` with the sandbox (its API, not
``add_webhook(url='self')``, which wants https), and the secret each gets is kept where every replica's receiver
reads it (``workflow.webhooks.secret_keeper``: the shared database, encrypted with HEYGEN_SECRET_KEY; beside the
SQLite store for one replica). The sandbox delivers the moment a render ends (it ticks twice a second). Every time
is read on one clock, HAProxy's, which logs when each request's first byte arrived and when its answer's last byte
left (``haproxy.Logged``: on a kept-alive connection the accept time is when the previous answer ended, so the
handshake and idle times are added). A delivery is matched to its job by ``Heygen-Event-Id`` and the sandbox's
``GET /v3/webhooks/events``, and to the ``wait_for_job`` call that returned the job completed by the
``X-Bench-Tag`` its client put on it. **Webhook-to-wake** is from the delivery's arrival at the balancer to the
woken wait's poll arriving at HeyGen (the first ``GET /v3/videos/{id}`` of that video after the delivery, through
HAProxy's pass-through): the receiving replica's checks and store writes, the NOTIFY, the listener, the wake-up,
the poll lease. Beside it: delivery to the last byte of the wait's answer (the wake, HeyGen's answer to the poll,
the store writes after it, the answer), and HeyGen's own time for that poll (the sandbox's, under this load: the
poll stays the source of truth, so a woken wait asks HeyGen once). A sample is cross-replica when HAProxy sent
the delivery and the wait to different replicas; the rest are replica-local (the only kind with one replica). The
sandbox's polls run at most 1 s apart, backing off to 3 s (``house.poll_interval`` caps HEYGEN_POLL_INTERVAL on
the sandbox), and renders take 6 s, so a wait is usually asleep in a pause when the delivery comes; a wait whose
answer left before its delivery arrived, or that a poll already in flight answered, is counted apart. Goal: under
200 ms.
No asserts; bounded in count and time (each run gives up after ``deadline`` seconds).

Run: .venv/bin/python bench/replicas.py [clients] [people]   (BENCH_SANDBOX_NICE=0: the sandbox at normal priority)
"""

from __future__ import annotations

import os
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
from heygen_studio.settings import load_settings
from heygen_studio.workflow.webhooks import secret_keeper

LOOK = "Abigail_expressive_2024112501"  # one of the sandbox's avatar looks
AT_ONCE = 50
RENDERS_A_PERSON = 10
DEADLINE_S = 75.0
SANDBOX_NICE = int(os.environ.get("BENCH_SANDBOX_NICE", "10"))  # the module docstring says why; 0: as the servers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


def sandbox_client(fleet: haproxy.Fleet) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(base_url=f"http://127.0.0.1:{fleet.sandbox_port}", timeout=30)


async def wallets(fleet: haproxy.Fleet) -> dict[str, float]:
    """Each person's remaining wallet balance (USD), as HeyGen (the sandbox) shows it to their key."""
    async with sandbox_client(fleet) as sandbox:
        return {name: float((await sandbox.get("/v3/users/me", headers={"x-api-key": haproxy.person_key(name)}))
                            .json()["data"]["wallet"]["remaining_balance"]) for name in fleet.tokens}


async def subscribe(fleet: haproxy.Fleet) -> None:
    """Each person's key registers the balancer's receiver; every replica's receiver is given the secrets."""
    env = {k.lower(): v for k, v in fleet.env(0).items() if k.startswith("HEYGEN_")}
    book = secret_keeper(load_settings(**env))
    try:
        async with sandbox_client(fleet) as sandbox:
            for name in fleet.tokens:
                made = await sandbox.post("/v3/webhooks/endpoints", json={"url": f"{fleet.url}/webhooks/heygen"},
                                          headers={"x-api-key": haproxy.person_key(name)})
                endpoint = made.raise_for_status().json()["data"]
                book.add(endpoint["endpoint_id"], endpoint["url"], endpoint["secret"])
    finally:
        book.close()


async def replay_check(fleet: haproxy.Fleet) -> str:
    """The same create sent twice with one Idempotency-Key, on an account of its own: same video, charged once?"""
    key = {"x-api-key": haproxy.person_key("replay-check"), "Idempotency-Key": "bench-replay-check-1"}
    body = {"type": "avatar", "avatar_id": LOOK, "script": "Said once, sent twice."}
    async with sandbox_client(fleet) as sandbox:
        def balance(answer: httpx2.Response) -> float:
            return float(answer.json()["data"]["wallet"]["remaining_balance"])

        before = balance(await sandbox.get("/v3/users/me", headers=key))
        first = await sandbox.post("/v3/videos", json=body, headers=key)
        again = await sandbox.post("/v3/videos", json=body, headers=key)
        after = balance(await sandbox.get("/v3/users/me", headers=key))
        page = (await sandbox.get("/v3/videos", params={"limit": 100}, headers=key)).json().get("data") or []
    if first.status_code != 200 or again.status_code != 200:
        return f"not checked: the sandbox answered {first.status_code} then {again.status_code}: {again.text[:200]}"
    same = first.json()["data"]["video_id"] == again.json()["data"]["video_id"]
    return (f"{'the same video' if same else 'ANOTHER video'}, replayed: "
            f"{again.headers.get('idempotent-replayed') == 'true'}, videos held {len(page)}, "
            f"charged ${before - after:.2f} (one create)")


async def wake_ups(fleet: haproxy.Fleet, final: dict[str, str]) -> dict[str, Any]:
    """Per job whose wait a delivery ended: from the delivery's arrival at the balancer to the woken wait's poll
    reaching HeyGen (the wake) and to the last byte of the wait's answer; and how long HeyGen took over that poll."""
    logged = fleet.logged()
    deliveries: dict[str, haproxy.Logged] = {}  # event id → its delivery
    calls: dict[str, haproxy.Logged] = {}  # tag → its longest request
    polls: dict[str, list[haproxy.Logged]] = {}  # video id → the replicas' GETs of it
    for entry in logged:
        if entry.front == "heygen":
            if entry.method == "GET" and entry.path.startswith("/v3/videos/"):
                polls.setdefault(entry.path.removeprefix("/v3/videos/"), []).append(entry)
            continue
        tag, _, event = entry.captured.partition("|")
        if entry.path == "/webhooks/heygen" and entry.status == 200 and event:
            deliveries.setdefault(event, entry)
        elif tag and (tag not in calls or entry.took_ms >= calls[tag].took_ms):
            calls[tag] = entry
    job_of_event: dict[str, str] = {}
    async with sandbox_client(fleet) as sandbox:
        for name in fleet.tokens:
            page = await sandbox.get("/v3/webhooks/events", params={"limit": 100},
                                     headers={"x-api-key": haproxy.person_key(name)})
            for event in page.json().get("data") or []:
                if event["event_type"].startswith("avatar_video."):
                    job_of_event[event["event_id"]] = f"video:{event['event_data'].get('video_id')}"
    figures: dict[str, Any] = {where: {"wake": [], "answer": [], "heygen": []} for where in ("cross", "local")}
    by_poll = in_flight = undelivered = 0
    delivered = {job_of_event[e]: entry for e, entry in deliveries.items() if e in job_of_event}
    for job, tag in final.items():
        if job not in delivered or tag not in calls:
            undelivered += 1
            continue
        delivery, call = delivered[job], calls[tag]
        if call.ended < delivery.started:
            by_poll += 1  # the wait had its answer before the delivery came
            continue
        woken = [poll for poll in polls.get(job.partition(":")[2], [])
                 if delivery.started <= poll.started <= call.ended]
        if not woken:
            in_flight += 1  # answered by a poll sent before the delivery came, whose answer came after it
            continue
        first = min(woken, key=lambda poll: poll.started)
        where = figures["cross" if delivery.server != call.server else "local"]
        where["wake"].append(first.started - delivery.started)
        where["answer"].append(call.ended - delivery.started)
        where["heygen"].append(first.took_ms / 1000)
    return {**figures, "by_poll": by_poll, "in_flight": in_flight, "undelivered": undelivered}


def latency(samples: list[float]) -> str:
    if not samples:
        return "n/a (no samples)"
    return (f"p50 {statistics.median(samples) * 1000:.0f} ms, p95 {percentile(samples, 0.95) * 1000:.0f} ms "
            f"(n={len(samples)})")


async def workload(fleet: haproxy.Fleet, clients: int, kill: bool) -> dict[str, Any]:
    names = list(fleet.tokens)
    await subscribe(fleet)
    before = await wallets(fleet)
    people = {name: haproxy.Person(fleet.url, token) for name, token in fleet.tokens.items()}
    at_once = anyio.Semaphore(AT_ONCE)
    renders = {name: anyio.Semaphore(RENDERS_A_PERSON) for name in names}
    jobs: dict[str, list[str]] = {name: [] for name in names}
    done: dict[str, set[str]] = {name: set() for name in names}
    final: dict[str, str] = {}  # job → the tag of the wait_for_job call that returned it completed
    estimated: list[float] = []
    failed: list[str] = []
    third = anyio.Event()

    async def client(n: int) -> None:
        name = names[n % len(names)]
        person = people[name]
        async with at_once, renders[name]:
            try:
                made = await person.call("create_avatar_video", {"script": f"Take {n} by {name}.", "avatar_id": LOOK})
                jobs[name].append(made["job_id"])
                if not made.get("estimated_usd"):  # a create made again answers "a repeat, not charged": $0
                    made["estimated_usd"] = (await person.call("create_avatar_video", {  # as many words: same price
                        "script": f"Priced {n} by {name}.", "avatar_id": LOOK, "dry_run": True}))["estimated_usd"]
                estimated.append(float(made["estimated_usd"]))
                if sum(map(len, jobs.values())) >= clients // 3:
                    third.set()
                status: dict[str, Any] = {}
                tries = 0
                while status.get("status") != "completed":
                    tries += 1
                    tag = f"{made['job_id']}.{tries}"  # HAProxy logs '#' escaped
                    status = await person.call("wait_for_job", {"job_id": made["job_id"], "max_wait_s": 20}, tag=tag)
                final[made["job_id"]] = tag
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
    upstream = [e for e in fleet.upstream() if e.method == "POST" and e.path == "/v3/videos"]
    replayed = sum(1 for e in upstream if e.status == 200 and e.captured == "true")
    made_upstream = sum(1 for e in upstream if e.status == 200 and e.captured != "true")
    refused = sum(1 for e in upstream if e.status != 200)
    polls = sum(1 for e in fleet.upstream() if e.method == "GET" and e.path.startswith("/v3/videos/"))
    held = 0
    async with sandbox_client(fleet) as sandbox:
        for name in names:
            page = await sandbox.get("/v3/videos", params={"limit": 100},
                                     headers={"x-api-key": haproxy.person_key(name)})
            held += len(page.json().get("data") or []) if page.status_code == 200 else 0
    after = await wallets(fleet)
    spent = sum(before[name] - after[name] for name in names)
    overcharged = spent - sum(estimated)
    every = [job for name in names for job in jobs[name]]
    lost = sum(1 for name in names for job in jobs[name] if job not in done[name] or job not in listed)
    seconds = sorted(s for person in people.values() for s in person.seconds)
    woke = await wake_ups(fleet, final)
    return {
        "clients": clients, "created": created, "elapsed": elapsed,
        "duplicates": f"{max(0, held - created)} videos, ${max(0.0, overcharged):.2f} "
                      f"({held} held for {created} jobs; ${spent:.2f} spent, ${sum(estimated):.2f} estimated)",
        "upstream": f"{made_upstream} made, {replayed} replayed, {refused} refused",
        "replayed": replayed,
        "lost": lost + (clients - created), "failed": failed,
        "p50": statistics.median(seconds) if seconds else float("nan"),
        "p95": percentile(seconds, 0.95),
        "polls": polls / len(every) if every else float("nan"),
        "again": sum(person.again for person in people.values()),
        **{f"{where}_{what}": latency(woke[where][what]) if kill or where == "local" else "n/a (one replica)"
           for where in ("cross", "local") for what in ("wake", "answer", "heygen")},
        "by_poll": f"{woke['by_poll']} ended by a poll first, {woke['in_flight']} by a poll already in flight, "
                   f"{woke['undelivered']} without a matched delivery",
        "by_replica": Counter(e.server for e in fleet.logged() if e.front == "studio" and e.path == "/mcp"),
        "replay_check": await replay_check(fleet),
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
        with haproxy.Fleet(program, cluster.database(), replicas=2, people=names,
                           sandbox_nice=SANDBOX_NICE) as fleet:
            pg = anyio.run(workload, fleet, clients, True)
    finally:
        cluster.stop()
    with haproxy.Fleet(program, None, replicas=1, people=names, sandbox_nice=SANDBOX_NICE) as fleet:
        lite = anyio.run(workload, fleet, clients, False)

    rows = [
        ("clients (create → wait → download)", "clients", "{}"),
        ("jobs created", "created", "{}"),
        ("duplicates (made or charged twice)", "duplicates", "{}"),
        ("creates upstream (POST /v3/videos answered 200)", "upstream", "{}"),
        ("lost jobs (not completed, downloaded and listed)", "lost", "{}"),
        ("tool-call latency p50", "p50", "{:.2f} s"),
        ("tool-call latency p95", "p95", "{:.2f} s"),
        ("upstream polls per job (GET /v3/videos/{id})", "polls", "{:.1f}"),
        ("calls made again (their replica died)", "again", "{}"),
        ("webhook-to-wake across replicas (goal < 200 ms)", "cross_wake", "{}"),
        ("  delivery to the wait's answer, across replicas", "cross_answer", "{}"),
        ("  HeyGen's time for the woken poll, across", "cross_heygen", "{}"),
        ("webhook-to-wake on the receiving replica", "local_wake", "{}"),
        ("  delivery to the wait's answer, same replica", "local_answer", "{}"),
        ("  HeyGen's time for the woken poll, same replica", "local_heygen", "{}"),
        ("waits not counted above", "by_poll", "{}"),
        ("wall time", "elapsed", "{:.1f} s"),
    ]
    print(f"{'':52}{'2 replicas, PostgreSQL, HAProxy, 1 killed':64}1 replica, SQLite")
    for label, key, form in rows:
        print(f"{label:52}{form.format(pg[key]):64}{form.format(lite[key])}")
    for run, figures in (("PostgreSQL", pg), ("SQLite", lite)):
        print(f"{run}: creates sent again after a replica died: {figures['replayed']}, replayed by their "
              "Idempotency-Key, not charged")
    print(f"replay check (one create sent twice with one Idempotency-Key): {pg['replay_check']}")
    print(f"the sandbox (HeyGen) ran at nice {SANDBOX_NICE}")
    print(f"MCP requests by replica: {dict(pg['by_replica'])} / {dict(lite['by_replica'])}")
    for run, figures in (("PostgreSQL", pg), ("SQLite", lite)):
        if figures["failed"]:
            print(f"{run}: {len(figures['failed'])} clients failed; the first: {figures['failed'][0]}")


if __name__ == "__main__":
    main()
