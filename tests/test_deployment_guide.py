"""references/deployment.md is run as written: every ``bash`` block, in order, in one shell, on the sandbox.

A block is marked ``<!-- run -->`` (it must exit 0) or ``<!-- run: background, ready=<url> -->`` (a server: it
is started in the background and the next block runs once ``<url>`` answers 200; it is stopped at the end). The
test adds only that scaffolding and the environment a reader would have (the sandbox instead of a HeyGen key,
``BEN_HEYGEN_KEY`` for the key the guide reads from it, a fresh state folder); then it checks what the commands
printed against what the guide says they show.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

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


def script(found: list[tuple[dict[str, str], str]]) -> str:
    lines = ["set -euo pipefail", "pids=()", 'trap \'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done\' EXIT']
    for n, (opts, code) in enumerate(found):
        lines.append(f"echo '{MARK}{n}'")
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


def test_every_command_of_the_deployment_guide_runs_as_written(tmp_path: Path) -> None:
    found = blocks()
    ports = {int(p) for _, code in found for p in re.findall(r"--port (\d+)", code)}
    busy = sorted(p for p in ports if not port_free(p))
    if busy:
        pytest.fail(f"the guide's ports {busy} are taken on this machine: free them to run the guide")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
    env.update(HOME=str(tmp_path), HEYGEN_SANDBOX="1", HEYGEN_SANDBOX_ACCOUNTS="per-key",
               HEYGEN_STATE_DIR=str(tmp_path / "state"), HEYGEN_OUTPUT_DIR=str(tmp_path / "out"),
               BEN_HEYGEN_KEY="sandbox-key-of-ben", PYTHONPATH=str(ROOT / "server"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    run = subprocess.run(["bash", "-c", script(found)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=180)
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
