"""Shared fixtures: the embedded sandbox (on a manual clock) and a HeyGen client wired to it
through ``ContractTransport``, so every exchange a test makes is checked against the contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from contract import ContractTransport, load_contract


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No developer's real key or settings leak into a test; no .env is read."""
    import os

    for name in list(os.environ):
        if name.startswith(("HEYGEN_", "DEEPSEEK_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HEYGEN_STATE_DIR", str(tmp_path / "state"))  # never the developer's own job store
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> Any:
    from heygen_studio.sandbox import ManualClock

    return ManualClock()


@pytest.fixture
def sandbox_app(clock: Any) -> Any:
    from heygen_studio.sandbox import create_app

    return create_app(clock=clock)


@pytest.fixture
def sandbox(sandbox_app: Any) -> Any:
    """The sandbox's state: request log, fault injection, credits, clock."""
    return sandbox_app.state.sandbox


@pytest.fixture
def wire(sandbox_app: Any, tmp_path: Any) -> Iterator[Any]:
    """The transport under every client: the sandbox in process, checked against the contract, and every request
    HeyGen charges for checked against the job stores under the test's folder (``paid_guard``): sent without a
    claim and an estimate made first, it fails the test."""
    from paid_guard import GuardedWire

    guarded = GuardedWire(ContractTransport(httpx2.ASGITransport(app=sandbox_app), load_contract()),
                          lambda: list(Path(tmp_path).rglob("*.sqlite3")))
    yield guarded
    assert guarded.unguarded == [], f"paid requests sent without a claim and an estimate: {guarded.unguarded}"


class RecordedSleep:
    """Stands in for ``anyio.sleep`` in the HTTP layer so retry waits are asserted, not waited."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
async def hg(wire: ContractTransport, sleeps: RecordedSleep, tmp_path: Any) -> AsyncIterator[Any]:
    from heygen_studio.core.client import HeyGenClient
    from heygen_studio.core.store import Scope, ScopedJobs, SQLiteJobStore
    from heygen_studio.sandbox import SANDBOX_BASE_URL

    client = HeyGenClient(
        api_key="test-key-0123456789",
        base_url=SANDBOX_BASE_URL,
        transport=wire,
        sleep=sleeps,
        jobs=ScopedJobs(SQLiteJobStore(tmp_path / "jobs.sqlite3"), Scope.of(SANDBOX_BASE_URL, "test-key-0123456789")),
    )
    try:
        yield client
    finally:
        await client.aclose()
    assert wire.violations == [], "contract violations:\n" + "\n".join(wire.violations)


def make_settings(tmp_path: Any, **overrides: Any) -> Any:
    from heygen_studio.settings import Settings

    values: dict[str, Any] = {
        "heygen_sandbox": True,
        "heygen_output_dir": tmp_path / "out",
        "heygen_allowed_dirs": [tmp_path],
        "heygen_poll_interval": 0.05,
        "heygen_state_dir": tmp_path / "state",
        "heygen_toolsets": "all",  # tests call every tool; tests/test_toolsets.py covers the default set
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(tmp_path: Any) -> Any:
    return make_settings(tmp_path)


@pytest.fixture
async def mcp(settings: Any, wire: ContractTransport) -> AsyncIterator[Any]:
    """An in-memory MCP client on a fresh server whose HeyGen is the sandbox (checked wire)."""
    from mcp import Client

    from heygen_studio.server import create_server

    async with Client(create_server(settings, transport=wire), raise_exceptions=True) as client:
        yield client
    assert wire.violations == [], "contract violations:\n" + "\n".join(wire.violations)
