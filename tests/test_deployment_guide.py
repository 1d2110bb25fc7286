"""references/deployment.md is run as written: every ``bash`` block, in order, in one shell, on the sandbox.

A block is marked ``<!-- run -->`` (it must exit 0) or ``<!-- run: background, ready=<url> -->`` (a server: it
is started in the background and the next block runs once ``<url>`` answers 200; it is stopped at the end). The
test adds only that scaffolding and the environment a reader would have (the sandbox instead of a HeyGen key,
``BEN_HEYGEN_KEY`` for the key the guide reads from it, a fresh state folder); then it checks what the commands
printed against what the guide says they show.

Two more options: ``given=VAR`` says the reader has ``VAR`` set from here on (the test exports it: for
``HEYGEN_STORE_URL``, a fresh database of the throwaway PostgreSQL cluster, ``pg_cluster``); ``needs=haproxy``
marks the balancer's blocks, left out (only they) where Debian's ``haproxy`` is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "references" / "deployment.md"
BLOCK = re.compile(r"^<!-- run(?::\s*(?P<opts>[^>]*?))?\s*-->\n```bash\n(?P<code>.*?)^```", re.S | re.M)
MARK = "::heygen-guide-block::"


def blocks() -> list[tuple[dict[str, str], str]]:
    text = GUIDE.read_text()
    found = [({k.strip(): v.strip() for k, _, v in (o.partition("=") for o in (m["opts"] or "").split(",") if o)},
              m["code"]) for m in BLOCK.finditer(text)]
    assert len(found) == text.count("```bash"), "every bash block in the guide is marked to run"
    return found


def script(found: list[tuple[dict[str, str], str]], given: dict[str, str], missing: set[str] = frozenset()) -> str:
    lines = ["set -euo pipefail", "pids=()", 'trap \'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done\' EXIT']
    for n, (opts, code) in enumerate(found):
        lines.append(f"echo '{MARK}{n}'")
        if "given" in opts:
            lines.append(f"export {opts['given']}={shlex.quote(given[opts['given']])}")
        if opts.get("needs") in missing:
            continue
        if "background" in opts:
            ready = opts["ready"]
            lines += [f"( {code.strip()} ) > server-{n}.log 2>&1 &", "pids+=($!)",
                      f"for _ in $(seq 300); do curl -sf -o /dev/null {shlex.quote(ready)} && break; sleep 0.1; done",
                      f"curl -sf -o /dev/null {shlex.quote(ready)} || {{ cat server-{n}.log; exit 1; }}"]
        else:
            lines.append(code.rstrip())
    lines.append(f"echo '{MARK}end'")
    return "\n".join(lines) + "\n"


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_every_command_of_the_deployment_guide_runs_as_written(tmp_path: Path, pg_cluster: Any) -> None:
    found = blocks()
    ports = {int(p) for _, code in found for p in re.findall(r"--port (\d+)|bind 127\.0\.0\.1:(\d+)", code)
             for p in p if p}
    busy = sorted(p for p in ports if not port_free(p))
    if busy:
        pytest.fail(f"the guide's ports {busy} are taken on this machine: free them to run the guide")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
    env.update(HOME=str(tmp_path), HEYGEN_SANDBOX="1", HEYGEN_SANDBOX_ACCOUNTS="per-key",
               HEYGEN_STATE_DIR=str(tmp_path / "state"), HEYGEN_OUTPUT_DIR=str(tmp_path / "out"),
               BEN_HEYGEN_KEY="sandbox-key-of-ben", PYTHONPATH=str(ROOT / "server"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    database = pg_cluster.database()
    missing = {"haproxy"} if shutil.which("haproxy") is None else set()
    run = subprocess.run(["bash", "-c", script(found, {"HEYGEN_STORE_URL": database}, missing)], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0 and f"{MARK}end" in run.stdout, (run.stdout[-3000:], run.stderr[-3000:])
    out = dict(re.findall(rf"{MARK}(\d+)\n(.*?)(?={MARK})", run.stdout, re.S))
    said = [out.get(str(n), "") for n in range(len(found))]

    assert all(secret not in run.stdout + run.stderr for secret in ("sandbox-key-of-ben",))
    tokens = [(tmp_path / f"{name}.token").read_text().strip() for name in ("ana", "ben")]
    assert all(t.startswith("hgs_") and t not in run.stdout for t in tokens)  # printed once, into the files
    listed = said[1]
    assert "ana" in listed and "ben" in listed and "20" in listed  # tokens list: both, ana's daily limit

    prm, end = json.JSONDecoder().raw_decode(said[3])  # curl prints the document, then the status code
    assert prm["resource"] == "https://studio.example.com/mcp"
    assert prm["authorization_servers"] == ["https://studio.example.com/"] or \
        prm["authorization_servers"] == ["https://studio.example.com"]
    assert said[3][end:].strip() == "401"  # no token: refused, with the metadata named
    assert '"serverInfo"' in said[4] and '"heygen-studio"' in said[4]  # a personal token as the bearer
    metadata = json.JSONDecoder().raw_decode(said[5])[0]
    assert metadata["issuer"].rstrip("/") == "https://studio.example.com"
    assert "S256" in metadata["code_challenge_methods_supported"]
    assert metadata["registration_endpoint"] == "https://studio.example.com/register"

    issuer = json.JSONDecoder().raw_decode(said[8])[0]  # the second server, signing in with an identity provider
    assert issuer["resource"] == "https://studio2.example.com/mcp"
    assert issuer["authorization_servers"] == ["https://login.example.com/"]
    assert (tmp_path / "carol.token").read_text().startswith("hgs_")

    # PostgreSQL: the people are in the database (not the SQLite file), both replicas know them, and nothing a
    # person needs was written to the state folder by the replicas (no link key: HEYGEN_SECRET_KEY signs links).
    at = {opts.get("given") or opts.get("needs") or code.split()[0]: n for n, (opts, code) in reversed(
        list(enumerate(found)))}
    pg, replicas = at["HEYGEN_STORE_URL"], at["HEYGEN_STORE_URL"] + 3
    assert "PostgreSQL at 127.0.0.1" in said[pg] and database.rpartition("/")[2] in said[pg], said[pg]
    assert "✓ replicas: HEYGEN_SECRET_KEY is set" in said[pg], said[pg]
    assert (tmp_path / "dana.token").read_text().startswith("hgs_")
    assert said[replicas].split() == ['"serverInfo":{"name":"heygen-studio"'] * 2, said[replicas]
    assert not (tmp_path / "state" / "file-links.key").exists()
    if missing:
        pytest.skip("the balancer's part of the guide did not run: Debian's haproxy is not installed "
                    "(`.ci/run` installs it, or: apt-get install -y haproxy)")
    assert said[at["haproxy"] + 1].split() == ["200"] * 4, said[at["haproxy"] + 1]  # the session stays on its replica
