"""Nothing a person needs lives on one replica's disk (issue #17): two replicas of one server, each with a state folder
of its own, on one PostgreSQL database (``pg_cluster``), served by uvicorn on loopback ports.

A webhook registered through one replica (``add_webhook()``) is checked by the other when HeyGen's delivery reaches
it: the secret is in the database, encrypted with HEYGEN_SECRET_KEY, and in no state folder. Without that key the
secret is not kept, and the answer says how to fix it. A team server on PostgreSQL refuses to start without
HEYGEN_SECRET_KEY (its signed file links must open on every replica), and a one-person server there will not use a
token kept in one replica's state folder. ``doctor`` says what the replicas must share.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
import psycopg
import pytest
from cryptography.fernet import Fernet
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

import postgres
from conftest import make_settings
from contract import ContractTransport, load_contract
from heygen_studio import doctor
from heygen_studio.core.backends import open_store
from heygen_studio.sandbox import ManualClock, SandboxConfig, create_app
from heygen_studio.server import create_server
from heygen_studio.serving import HTTPConfigError, http_app, http_auth
from test_transports import free_port, uvicorn_on
from test_webhooks_receiver import LOOK, Tunnel, ok

pytestmark = pytest.mark.anyio
PUBLIC = "https://studio.example.test"


@pytest.fixture
def database(pg_cluster: Any) -> Any:
    url = pg_cluster.database()
    yield url
    pg_cluster.drop(url)


def replica(tmp_path: Path, name: str, url: str, **overrides: Any) -> Any:
    """One replica's settings: the shared database, a state folder of its own."""
    values: dict[str, Any] = {"heygen_store_url": url, "heygen_state_dir": tmp_path / name,
                               "heygen_public_url": PUBLIC, "heygen_http_token": "t0ken-for-replica-tests-0123456789"}
    return make_settings(tmp_path, **{**values, **overrides})


async def test_a_webhook_added_on_one_replica_is_checked_by_the_other(tmp_path: Path, database: str) -> None:
    port_b = free_port()
    clock = ManualClock(start=time.time())
    sandbox_app = create_app(SandboxConfig(webhook_transport=Tunnel(port_b)), clock=clock)  # HeyGen delivers to B
    sandbox = sandbox_app.state.sandbox
    wire = ContractTransport(httpx2.ASGITransport(app=sandbox_app), load_contract())
    key = Fernet.generate_key().decode()
    a, b = (replica(tmp_path, name, database, heygen_secret_key=key) for name in ("a", "b"))
    token = a.heygen_http_token.get_secret_value()
    port_a = free_port()
    server_b = create_server(b, transport=wire)
    app_a = http_app(create_server(a, transport=wire), a, host="127.0.0.1", port=port_a)
    app_b = http_app(server_b, b, host="127.0.0.1", port=port_b)
    async with uvicorn_on(app_a, port_a) as url_a, uvicorn_on(app_b, port_b), \
            httpx2.AsyncClient(timeout=60, headers={"Authorization": f"Bearer {token}"}) as http, \
            Client(streamable_http_client(f"{url_a}/mcp", http_client=http)) as client:
        added = await ok(client, "add_webhook", {"events": ["avatar_video.success"]})
        assert added["secret"] is None and "PostgreSQL" in added["next_step"], added
        job = await ok(client, "create_avatar_video", {"avatar_id": LOOK, "script": "Tell them on B."})
        clock.advance(30)
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox_app),
                                      base_url="http://sandbox.heygen.test", headers={"x-api-key": "k"}) as other:
            await other.get("/v3/users/me")  # any request ticks the sandbox: it delivers the event, to replica B
        with anyio.fail_after(5):
            while not [d for d in sandbox.deliveries if d.kind == "webhook"]:
                await anyio.sleep(0.01)
        (delivery,) = [d for d in sandbox.deliveries if d.kind == "webhook"]
        assert delivery.status == 200, delivery  # B checked HeyGen's signature with the secret A kept
        row = server_b.live.state.jobs.get(job["video_id"]) if server_b.live.state else None
        assert row is not None and row.get("webhook_event") == "avatar_video.success"
        (secret,) = [e.secret for e in sandbox.endpoints.values()]
        kept = postgres.dump(database)
        assert secret.encode() not in kept  # only encrypted
        with psycopg.connect(database) as conn:
            assert conn.execute("SELECT count(*) FROM webhook_secrets").fetchone() == (1,)
        await ok(client, "delete_webhook", {"endpoint_id": added["endpoint_id"]})
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM webhook_secrets").fetchone() == (0,)  # forgotten with it
    assert not list(tmp_path.rglob("webhook-secrets.json")) and not list(tmp_path.rglob("jobs.sqlite3"))


async def test_without_heygen_secret_key_the_secret_is_not_kept_and_the_answer_says_how(
        tmp_path: Path, database: str, wire: ContractTransport) -> None:
    settings = replica(tmp_path, "a", database)
    async with Client(create_server(settings, transport=wire)) as client:
        added = await ok(client, "add_webhook", {})
    assert added["secret"], added  # not kept: the person gets it once, to set HEYGEN_WEBHOOK_SECRET
    assert "HEYGEN_SECRET_KEY" in added["next_step"] and "HEYGEN_WEBHOOK_SECRET" in added["next_step"]
    assert added["secret"].encode() not in postgres.dump(database)
    assert not list(tmp_path.rglob("webhook-secrets.json"))


def test_a_team_on_postgresql_needs_heygen_secret_key_and_a_person_a_shared_token(
        tmp_path: Path, database: str) -> None:
    settings = replica(tmp_path, "a", database, heygen_http_token=None)
    with pytest.raises(HTTPConfigError, match=r"HEYGEN_HTTP_TOKEN.*every replica"):
        http_auth(settings, "127.0.0.1")  # one person: the token kept in this replica's folder is not used
    people = open_store(settings).people()
    people.add("ana")
    people.close()
    server = create_server(settings)
    with pytest.raises(HTTPConfigError, match=r"HEYGEN_SECRET_KEY.*every replica.*Fernet"):
        http_app(server, settings, host="127.0.0.1", port=free_port())
    keyed = replica(tmp_path, "a", database, heygen_http_token=None, heygen_secret_key=Fernet.generate_key().decode())
    assert http_auth(keyed, "127.0.0.1").people == 1
    http_app(create_server(keyed), keyed, host="127.0.0.1", port=free_port())
    assert not (tmp_path / "a" / "file-links.key").exists()


def test_doctor_says_what_replicas_must_share(tmp_path: Path, database: str) -> None:
    bare = doctor.replicas(replica(tmp_path, "a", database))
    assert bare.mark == "✗" and "HEYGEN_SECRET_KEY" in bare.text and "Fernet" in bare.text
    keyed = replica(tmp_path, "a", database, heygen_secret_key=Fernet.generate_key().decode())
    good = doctor.replicas(keyed)
    assert good.mark == "✓" and str(keyed.heygen_output_dir) in good.text
