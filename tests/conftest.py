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
    HeyGen charges for checked against the job stores under the test's folder and the PostgreSQL database of the
    test, if it has one (``paid_guard``): sent without a claim and an estimate made first, it fails the test."""
    import os

    from paid_guard import GuardedWire, sqlite_claims

    def claims() -> Iterator[tuple[str, str]]:
        yield from sqlite_claims(Path(tmp_path))
        if url := os.environ.get("HEYGEN_STORE_URL"):
            import postgres

            yield from postgres.jobs_rows(url)

    guarded = GuardedWire(ContractTransport(httpx2.ASGITransport(app=sandbox_app), load_contract()), claims)
    yield guarded
    assert guarded.unguarded == [], f"paid requests sent without a claim and an estimate: {guarded.unguarded}"


# -- the job store's backends: SQLite (a file in the state folder) and PostgreSQL (a throwaway cluster) ----------

@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """One PostgreSQL server for the session (``tests/postgres.py``), started by the first test that needs it;
    skips those tests, saying why, where Debian's postgresql is not installed."""
    import postgres

    bindir, user, why = postgres.find()
    if bindir is None:
        pytest.skip(why)
    cluster = postgres.Cluster(bindir, user)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


class Backend:
    """The job store a test runs on: ``sqlite`` (the file under HEYGEN_STATE_DIR) or ``postgres`` (a fresh
    database of ``pg_cluster``, named by HEYGEN_STORE_URL in this test's environment, so every ``Settings`` the test
    makes uses it)."""

    def __init__(self, name: str, url: str | None = None) -> None:
        self.name = name
        self.url = url

    def stores(self, path: Path) -> Any:
        """The store, as ``open_store`` opens it for settings whose SQLite file would be ``path``."""
        from heygen_studio.core.backends import Stores

        return Stores(path, self.url)

    def env(self) -> dict[str, str]:
        """What a child process's environment needs to use the same store (besides HEYGEN_STATE_DIR)."""
        return {"HEYGEN_STORE_URL": self.url} if self.url else {}

    def raw(self, path: Path) -> bytes:
        """Everything the store keeps, as bytes: the SQLite file and its WAL, or every row of the database."""
        if self.url is None:
            return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())
        import postgres

        return postgres.dump(self.url)


@pytest.fixture(params=["sqlite", "postgres"])
def store_backend(request: pytest.FixtureRequest, clean_environ: None, monkeypatch: pytest.MonkeyPatch,
                  tmp_path: Path) -> Iterator[Backend]:
    """Runs a test once on each backend of the job store (``pytestmark = pytest.mark.usefixtures("store_backend")``
    for a whole module). On PostgreSQL, a test that made a SQLite job store anyway fails: it did not test it."""
    if request.param == "sqlite":
        yield Backend("sqlite")
        return
    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.database()
    monkeypatch.setenv("HEYGEN_STORE_URL", url)
    yield Backend("postgres", url)
    cluster.drop(url)
    assert not list(tmp_path.rglob("jobs.sqlite3")), "a test on PostgreSQL made a SQLite job store"


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
