"""Issue #15 §5: what start-up does not do, checked by what it loads (speed itself is ``bench/waits.py``'s).

* a shell ``jobs`` reads the job store without importing the embedded sandbox, the docs or the tool modules it
  does not call, and finds the same jobs the sandbox's wiring would (``house.make_where`` agrees with
  ``make_wiring`` in every configuration);
* a server reads its bundled docs on the first resources or prompts request, not when it is built;
* the garbage collector held during a command's start is running again when the command ends, however it ends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client

from conftest import make_settings
from heygen_studio.house import make_where, make_wiring
from heygen_studio.server import create_server
from heygen_studio.settings import Settings

LOOK = "Abigail_expressive_2024112501"  # a public look the sandbox seeds


def run_python(code: str, tmp_path: Path) -> Any:
    """``code`` in a fresh interpreter on the embedded sandbox; the JSON it prints last."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
    env.update(HEYGEN_SANDBOX="1", HEYGEN_STATE_DIR=str(tmp_path / "state"), HEYGEN_OUTPUT_DIR=str(tmp_path / "out"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


SHELL_JOBS = """
import contextlib, io, json, sys
from heygen_studio.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
    main(["jobs", "--json"])
loaded = [m for m in ("heygen_studio.sandbox.app", "heygen_studio.tools.docs", "heygen_studio.tools.videos", "yaml")
          if m in sys.modules]
print(json.dumps({"jobs": json.loads(out.getvalue())["items"], "loaded": loaded}))
"""


def test_shell_jobs_lists_the_sandboxs_jobs_without_importing_it(tmp_path: Path) -> None:
    made = run_python(f"""
import contextlib, io, json
from heygen_studio.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
    main(["video", "create", "--avatar", "{LOOK}", "--script", "Hello there.", "--json"])
print(json.dumps(json.loads(out.getvalue())["job_id"]))
""", tmp_path)
    listed = run_python(SHELL_JOBS, tmp_path)
    assert [job["job_id"] for job in listed["jobs"]] == [made]  # another process's job, in the sandbox's scope
    assert listed["loaded"] == []


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return make_settings(tmp_path, **overrides)


@pytest.mark.parametrize("case", ["real API", "sandbox on a port", "test transport", "embedded, kept on disk",
                                  "embedded, in memory"])
def test_where_names_the_scope_the_wiring_will_have(tmp_path: Path, case: str) -> None:
    transport = None
    if case == "real API":
        settings = _settings(tmp_path, heygen_sandbox=False)
    elif case == "sandbox on a port":
        settings = _settings(tmp_path, heygen_base_url="http://127.0.0.1:8765")
    elif case == "test transport":
        settings = _settings(tmp_path)
        transport = httpx2.MockTransport(lambda request: httpx2.Response(404))
    else:
        settings = _settings(tmp_path)
        if case == "embedded, in memory":  # a state file the sandbox refuses (a link): it keeps state in memory
            settings.store_path.parent.mkdir(parents=True)
            (settings.store_path.parent / "sandbox.sqlite3").symlink_to(tmp_path / "elsewhere.sqlite3")
    where = make_where(settings, transport)()
    wired = make_wiring(settings, transport)()
    if case == "embedded, in memory":  # this process's own jobs: none before its sandbox exists, then its own
        assert where[0] == wired.base_url and where[1] != wired.instance
        assert where[1] == f"{os.getpid()}-unbuilt" and str(wired.instance).startswith(f"{os.getpid()}-")
    else:
        assert where == (wired.base_url, wired.instance)
    if case == "embedded, kept on disk":
        assert where[1] == "embedded"
    if wired.sandbox is not None:
        wired.sandbox.state.sandbox.close()


@pytest.mark.anyio
async def test_the_docs_are_read_on_the_first_resources_or_prompts_request(tmp_path: Path, wire: Any) -> None:
    from heygen_studio.tools import content

    content.references.cache_clear()
    content.prompt_files.cache_clear()
    server = create_server(make_settings(tmp_path), transport=wire)
    async with Client(server) as client:
        assert [t.name for t in (await client.list_tools()).tools]
        assert content.references.cache_info().currsize == 0 and content.prompt_files.cache_info().currsize == 0
        resources = {str(r.uri) for r in (await client.list_resources()).resources}
        assert "heygen://skill" in resources and "heygen://references/assets" in resources
        assert (await client.list_prompts()).prompts
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert {"heygen://references/{topic}", "heygen://prompts/{name}", "heygen://schemas/{tool}"} <= templates


@pytest.mark.parametrize("argv", [["jobs", "--json"], ["jobs", "--limit", "nope"], ["--version"], ["config"]])
def test_the_garbage_collector_runs_again_when_a_command_ends(tmp_path: Path, argv: list[str]) -> None:
    ran = run_python(f"""
import contextlib, gc, io, json
from heygen_studio.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \\
        contextlib.suppress(SystemExit):
    main({argv!r})
print(json.dumps(gc.isenabled()))
""", tmp_path)
    assert ran is True
