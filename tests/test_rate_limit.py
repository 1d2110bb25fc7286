"""A rate limit per person (issue #16 §4), at the wire: ``HEYGEN_RATE_LIMIT`` requests a minute each over HTTP in
team mode. A burst past the limit gets 429 with ``Retry-After`` and a JSON-RPC error that says when to retry (the
SDK's client surfaces it as the request's error); another person is not slowed down; the bucket refills.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from heygen_studio.core.ratelimit import TokenBuckets, retry_after
from test_oauth import ACCEPT, INIT, served, team

pytestmark = pytest.mark.anyio


def leaves(group: BaseExceptionGroup[Exception]) -> list[Exception]:
    return [leaf for e in group.exceptions for leaf in (leaves(e) if isinstance(e, BaseExceptionGroup) else [e])]


async def test_a_burst_past_the_limit_gets_429_and_another_person_is_unaffected(tmp_path: Path) -> None:
    settings, tokens = team(tmp_path, "ana", "ben", heygen_rate_limit=5)
    async with served(settings) as url, httpx2.AsyncClient(timeout=30) as http:
        def bearer(name: str) -> dict[str, str]:
            return {**ACCEPT, "Authorization": f"Bearer {tokens[name]}"}

        answers = [await http.post(f"{url}/mcp", json=INIT, headers=bearer("ana")) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        limited = answers[-1]
        wait = int(limited.headers["retry-after"])
        assert 1 <= wait <= 13  # one request's worth of a 5-a-minute bucket, rounded up
        body = limited.json()
        assert body["jsonrpc"] == "2.0" and body["error"]["code"] == -32000
        assert body["error"]["data"] == {"retry_after_s": wait, "limit_per_minute": 5}
        assert "ana" in body["error"]["message"] and f"retry in {wait} s" in body["error"]["message"]

        assert (await http.post(f"{url}/mcp", json=INIT, headers=bearer("ben"))).status_code == 200

        # The SDK's client reports the 429's error as its request's error, with the message that says when.
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {tokens['ana']}"}, timeout=30) as own:
            errors: list[Exception] = []
            try:
                async with Client(streamable_http_client(f"{url}/mcp", http_client=own)) as mcp:
                    await mcp.list_tools()
            except* MCPError as raised:  # the client's task groups wrap it
                errors.extend(leaves(raised))
            assert len(errors) == 1 and re.search(r"rate limit: ana .* retry in \d+ s", str(errors[0]))

        # A request without a valid bearer is a 401, never counted against a person.
        assert (await http.post(f"{url}/mcp", json=INIT, headers=ACCEPT)).status_code == 401


async def test_no_limit_when_it_is_zero(tmp_path: Path) -> None:
    settings, tokens = team(tmp_path, "ana", heygen_rate_limit=0)
    async with served(settings) as url, httpx2.AsyncClient(timeout=30) as http:
        headers = {**ACCEPT, "Authorization": f"Bearer {tokens['ana']}"}
        statuses = {(await http.post(f"{url}/mcp", json=INIT, headers=headers)).status_code for _ in range(12)}
        assert statuses == {200}


def test_a_bucket_refills_at_its_rate_and_keys_are_apart() -> None:
    now = [1000.0]
    buckets = TokenBuckets(60, clock=lambda: now[0])  # one a second, bursts of 60
    assert all(buckets.take("ana") is None for _ in range(60))
    wait = buckets.take("ana")
    assert wait is not None and 0.99 <= wait <= 1.0
    assert buckets.take("ben") is None
    now[0] += 0.5
    assert buckets.wait("ana") == pytest.approx(0.5)
    now[0] += 0.5
    assert buckets.take("ana") is None and buckets.take("ana") is not None
    now[0] += 3600
    assert all(buckets.take("ana") is None for _ in range(60))  # full again, never more than the burst
    assert buckets.take("ana") is not None
    assert retry_after(0.01) == 1 and retry_after(1.2) == 2
