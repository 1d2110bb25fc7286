"""Shared fixtures: the embedded sandbox (on a manual clock) and a HeyGen client wired to it
through ``ContractTransport``, so every exchange a test makes is checked against the contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from contract import ContractTransport, load_contract


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many examples the fuzz drew per tool, and what a run without ../shared left out: the tests that
    need HeyGen's contract skip with one reason (``contract.ABSENT``), and the exchanges of the other tests went
    unchecked."""
    import sys

    import contract

    fuzzing = sys.modules.get("fuzzing")
    fuzzed = [r for r in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
              if "test_fuzz_tool[" in r.nodeid and r.when == "call"]
    if fuzzing is not None and fuzzed:
        terminalreporter.write_line(
            f"fuzz: {fuzzing.EXAMPLES} examples per tool for {len(fuzzed)} tool{'s' * (len(fuzzed) != 1)} (200 when CI "
            "is set; "
            "HEYGEN_FUZZ_EXAMPLES=N to choose).")
    if contract.load_contract() is not None:
        return
    skipped = sum(1 for report in terminalreporter.stats.get("skipped", [])
                  if isinstance(report.longrepr, tuple) and report.longrepr[2].endswith(contract.ABSENT))
    if skipped or contract.UNCHECKED[0]:
        terminalreporter.write_line(
            f"contract checks skipped: {skipped} test{'s' * (skipped != 1)} that need HeyGen's API contract, and "
            f"{contract.UNCHECKED[0]} HTTP exchange{'s' * (contract.UNCHECKED[0] != 1)} of the tests that ran were "
            f"not checked against it ({contract.CONTRACT_PATH} is absent; the project's workspace has it beside "
            "the repository).")


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
