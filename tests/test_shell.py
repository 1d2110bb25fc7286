"""The shell workflow (issue #10 §2), run as a person runs it: the real ``heygen-studio`` command in child
processes, each one its own process on the embedded sandbox (HEYGEN_SANDBOX=1), sharing the job store and the
sandbox's state through HEYGEN_STATE_DIR, downloading into HEYGEN_OUTPUT_DIR."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = Path(sys.executable).with_name("heygen-studio")  # the console script pip installed
LOOK = "Abigail_expressive_2024112501"  # a public look the sandbox seeds

pytestmark = pytest.mark.slow


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
    env.update(HEYGEN_SANDBOX="1", HEYGEN_STATE_DIR=str(tmp_path / "state"), HEYGEN_OUTPUT_DIR=str(tmp_path / "out"),
               HEYGEN_SANDBOX_RENDER_S="2", HEYGEN_POLL_INTERVAL="0.3")
    env.update(extra)
    return env


def shell(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
          stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert COMMAND.exists(), f"{COMMAND} is missing: pip install -e . makes it"
    return subprocess.run([str(COMMAND), *args], capture_output=True, text=True, timeout=240, cwd=tmp_path,
                          env=env or environment(tmp_path), input=stdin if stdin is not None else "")


def as_json(done: subprocess.CompletedProcess[str]) -> Any:
    assert "\x1b" not in done.stdout, "escape codes in --json output"
    return json.loads(done.stdout)


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def create(tmp_path: Path, script: str, env: dict[str, str] | None = None, *more: str) -> str:
    done = shell(tmp_path, "video", "create", "--avatar", LOOK, "--script", script, "--json", *more, env=env)
    assert done.returncode == 0, done.stderr
    created = as_json(done)
    assert created["job_id"].startswith("video:") and created["estimated_usd"] > 0
    return str(created["job_id"])


def test_create_wait_download_ends_with_the_mp4(tmp_path: Path) -> None:
    looks = as_json(shell(tmp_path, "avatars", "--limit", "1", "--json"))["items"]
    voices = as_json(shell(tmp_path, "voices", "--language", "en", "--limit", "1", "--json"))["items"]
    done = shell(tmp_path, "video", "create", "--avatar", looks[0]["id"], "--voice", voices[0]["voice_id"],
                 "--script", "Hello from the shell.", "--title", "shell test", "--resolution", "720p", "--json")
    assert done.returncode == 0, done.stderr
    job = as_json(done)["job_id"]

    waited = shell(tmp_path, "video", "wait", job, "--json")
    assert waited.returncode == 0, waited.stderr
    status = as_json(waited)
    assert status["job_id"] == job and status["done"] and status["status"] == "completed"

    saved = shell(tmp_path, "video", "download", job, "--json")
    assert saved.returncode == 0, saved.stderr
    out = as_json(saved)
    path = Path(out["path"])
    assert path.parent == tmp_path / "out" and path.stat().st_size == out["size_bytes"] > 0
    assert path.read_bytes()[4:8] == b"ftyp"  # an MP4

    human = shell(tmp_path, "video", "download", job, "--filename", "again.mp4")  # without --json: one line
    assert human.returncode == 0 and re.fullmatch(r"Saved .*again\.mp4 \(.+/s\)\.\n", human.stdout), human.stdout


def test_a_short_wait_exits_4_with_the_job_id_and_the_job_downloads_after_another_wait(tmp_path: Path) -> None:
    env = environment(tmp_path, HEYGEN_SANDBOX_RENDER_S="15")
    job = create(tmp_path, "A render that outlasts the first wait.", env)
    early = shell(tmp_path, "video", "download", job, env=env)
    assert early.returncode == 1 and "`heygen-studio video wait <job id>`" in one_line(early.stderr)

    short = shell(tmp_path, "video", "wait", job, "--timeout", "1", env=env)
    assert short.returncode == 4
    line = short.stderr.strip().splitlines()[-1]
    assert job in line and "do not create it again" in line and f"heygen-studio video wait {job}" in line

    listed = as_json(shell(tmp_path, "jobs", "--json", env=env))["items"]  # another process sees the same job
    assert [row["job_id"] for row in listed] == [job]

    waited = shell(tmp_path, "video", "wait", job, env=env)
    assert waited.returncode == 0, waited.stderr
    assert "\x1b" not in waited.stderr + waited.stdout  # no terminal: progress is plain lines
    assert re.search(rf"^{re.escape(job)}: video \w+ \d+% \(\d+ s\)$", waited.stderr, flags=re.M)
    assert f"heygen-studio video download {job}" in waited.stdout  # the next step, in shell words
    saved = shell(tmp_path, "video", "download", job, "--json", env=env)
    assert saved.returncode == 0, saved.stderr
    assert Path(as_json(saved)["path"]).read_bytes()[4:8] == b"ftyp"


def test_create_with_download_chains_the_three_steps(tmp_path: Path) -> None:
    done = shell(tmp_path, "video", "create", "--avatar", LOOK, "--script", "All in one go.", "--download",
                 "--filename", "chained.mp4", "--json")
    assert done.returncode == 0, done.stderr
    result = as_json(done)
    assert result["status"]["status"] == "completed" and result["created"]["job_id"] == result["status"]["job_id"]
    assert Path(result["downloaded"]["path"]) == tmp_path / "out" / "chained.mp4"


@pytest.mark.parametrize("args", [
    ["video", "status", "bad/id"],
    ["video", "wait", "video:nope"],
    ["video", "download", "video:nope"],
    ["video", "create", "--avatar", "no_such_look", "--script", "Hi."],
    ["video", "create", "--avatar", LOOK],  # no script
    ["video", "create", "--avatar", LOOK, "--script-file", "missing.txt"],
    ["video", "wait", "video:x", "--timeout", "soon"],
    ["voices", "--limit", "99"],
    ["avatars", "--type", "cartoon"],
    ["jobs", "--bogus"],
    ["video"],
])
def test_a_bad_id_or_argument_exits_1_with_one_line(tmp_path: Path, args: list[str]) -> None:
    done = shell(tmp_path, *args)
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert one_line(done.stderr).startswith("heygen-studio")
    assert done.stdout == ""


def test_json_is_one_document_on_every_way_out(tmp_path: Path) -> None:
    """--json: a time-out is its last status with the error beside it, never the error and then the status (two
    documents, which json.load refuses); failures and bad arguments are {"error": ...}."""
    env = environment(tmp_path, HEYGEN_SANDBOX_RENDER_S="60")
    job = create(tmp_path, "Waited for too briefly.", env)
    short = shell(tmp_path, "video", "wait", job, "--timeout", "1", "--json", env=env)
    doc = as_json(short)
    assert short.returncode == 4 and doc["job_id"] == job and doc["done"] is False and doc["status"] != "failed"
    assert f"heygen-studio video wait {job}" in doc["error"] and "do not create it again" in doc["error"]
    chained = shell(tmp_path, "video", "create", "--avatar", LOOK, "--script", "Chained, briefly.", "--wait",
                    "--timeout", "1", "--json", env=env)
    doc = as_json(chained)
    assert chained.returncode == 4 and doc["created"]["job_id"] == doc["status"]["job_id"] in doc["error"]
    produced = shell(tmp_path, "produce", "A slow one", "--duration", "5", "--timeout", "2", "--json", env=env)
    doc = as_json(produced)
    assert produced.returncode == 4 and doc["stage"] == "rendering" and doc["job_id"] in doc["error"]
    for args in (["video", "wait", "video:nope"], ["jobs", "--limit", "99"], ["video", "wait"]):
        failed = shell(tmp_path, *args, "--json", env=env)
        assert failed.returncode == 1 and list(as_json(failed)) == ["error"], failed.stdout
        assert as_json(failed)["error"] in failed.stderr


def test_jobs_says_what_became_of_each_job(tmp_path: Path) -> None:
    saved = shell(tmp_path, "video", "create", "--avatar", LOOK, "--script", "Saved.", "--download", "--json")
    path = as_json(saved)["downloaded"]["path"]
    finished = create(tmp_path, "Finished, not saved.")
    assert shell(tmp_path, "video", "wait", finished).returncode == 0
    sent = create(tmp_path, "Sent, never waited for.")
    rows = {row["job_id"]: row for row in as_json(shell(tmp_path, "jobs", "--json"))["items"]}
    assert rows[as_json(saved)["created"]["job_id"]]["state"] == "downloaded"
    assert rows[as_json(saved)["created"]["job_id"]]["path"] == path
    assert rows[finished]["state"] == "completed" and rows[sent]["state"] == "submitted"
    table = shell(tmp_path, "jobs").stdout.splitlines()
    assert [line.split()[-1] for line in table[1:]] == ["submitted", "completed", "downloaded"], table


def test_errors_name_the_next_step_in_shell_words(tmp_path: Path) -> None:
    done = shell(tmp_path, "video", "download", "video:nope", "--json")
    assert done.returncode == 1
    assert "video:nope was not found at HeyGen" in one_line(done.stderr)
    assert "video:nope was not found at HeyGen" in as_json(done)["error"]  # scripts get the error as JSON too


def test_status_jobs_and_catalogue_tables(tmp_path: Path) -> None:
    job = create(tmp_path, "Status check.")
    status = shell(tmp_path, "video", "status", job)
    assert status.returncode == 0 and status.stdout.startswith(job.removeprefix("video:") + ": ")
    assert as_json(shell(tmp_path, "video", "status", job, "--json"))["video_id"] == job.removeprefix("video:")
    jobs = shell(tmp_path, "jobs")
    assert jobs.returncode == 0 and job in jobs.stdout and "\x1b" not in jobs.stdout
    voices = shell(tmp_path, "voices", "--gender", "female", "--limit", "2")
    lines = voices.stdout.strip().splitlines()
    assert lines[0].split() == ["voice", "id", "name", "language", "gender"] and len(lines) == 3
    assert "More: heygen-studio voices --next " in voices.stderr
    token = voices.stderr.split("--next ")[1].split()[0]
    page = as_json(shell(tmp_path, "voices", "--gender", "female", "--limit", "2", "--next", token, "--json"))
    first = as_json(shell(tmp_path, "voices", "--gender", "female", "--limit", "2", "--json"))
    assert {v["voice_id"] for v in page["items"]}.isdisjoint(v["voice_id"] for v in first["items"])
    groups = shell(tmp_path, "avatars", "--groups", "--limit", "2")
    assert groups.returncode == 0 and groups.stdout.split()[:2] == ["group", "id"]


@pytest.fixture
def real_api(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a shell on the real API (no HEYGEN_SANDBOX, a key), the API being `heygen-studio
    sandbox` on a port: HeyGen's answers, and the shell's real-API behaviour (money is asked about)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(COMMAND), "sandbox", "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=environment(tmp_path), cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"  # it answers DeepSeek's /chat/completions too (produce writes a script)
        env = environment(tmp_path, HEYGEN_BASE_URL=base, HEYGEN_API_KEY="test-key-0123456789",
                          DEEPSEEK_BASE_URL=base, DEEPSEEK_API_KEY="ds-test-key-0123456789",
                          HEYGEN_CONFIRM_ABOVE="0.01")  # dollars: a 1-second video costs $0.0667
        env.pop("HEYGEN_SANDBOX")
        yield env
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_cost_above_the_threshold_needs_yes_without_a_terminal(tmp_path: Path, real_api: dict[str, str]) -> None:
    env = real_api
    refused = shell(tmp_path, "video", "create", "--avatar", LOOK, "--script", "Costly.", env=env)
    assert refused.returncode == 1
    line = one_line(refused.stderr)
    assert "about $0.07" in line and "--yes" in line and "nothing was sent or charged" in line
    assert as_json(shell(tmp_path, "jobs", "--json", env=env))["items"] == []  # nothing was sent
    dry = shell(tmp_path, "video", "create", "--avatar", LOOK, "--script", "Costly.", "--dry-run", "--json", env=env)
    assert as_json(dry)["dry_run"]["request"]["path"] == "/v3/videos"
    assert create(tmp_path, "Costly.", env, "--yes").startswith("video:")
    capped = shell(tmp_path, "video", "create", "--avatar", LOOK, "--script", "Other.", "--max-credits", "0.01",
                   env=env)
    assert capped.returncode == 1 and "--max-credits" in one_line(capped.stderr)


def test_the_sandbox_is_free_so_the_shell_never_asks(tmp_path: Path) -> None:
    """HEYGEN_SANDBOX=1: the estimate is over HEYGEN_CONFIRM_ABOVE, but nothing costs money, so nobody is asked
    (on a terminal or not) and the shell says the sandbox is free, with what the real API would charge."""
    env = environment(tmp_path, HEYGEN_CONFIRM_ABOVE="0.01", TERM="xterm-256color", COLUMNS="200")
    code, seen = read_pty(["video", "create", "--avatar", LOOK, "--script", "Ask me first."], env, tmp_path, "n")
    assert code == 0, seen
    assert "[y/N]" not in seen and "Create it and pay" not in seen
    assert "The sandbox is free: nothing to confirm or pay (with the real API it would cost about $0.13)." in seen
    assert re.search(r"Created video:\w+, free on the sandbox \(about \$0\.13 with the real API\)\.", seen), seen
    done = shell(tmp_path, "video", "create", "--avatar", LOOK, "--script", "Costly.", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "The sandbox is free: nothing to confirm or pay (with the real API it would cost about " \
                          "$0.07).\n"
    assert re.fullmatch(r"Created video:\w+, free on the sandbox \(about \$0\.07 with the real API\)\.\n"
                        r"Next: heygen-studio video wait video:\w+\n", done.stdout), done.stdout
    dry = shell(tmp_path, "video", "create", "--avatar", LOOK, "--script", "Not sent.", "--dry-run", env=env)
    assert "Estimated: $0.07 with the real API; the sandbox is free." in dry.stdout, dry.stdout
    produced = shell(tmp_path, "produce", "A free brief", "--duration", "5", "--json", env=env)
    assert produced.returncode == 0 and as_json(produced)["stage"] == "done", produced.stderr  # no --yes needed


def test_produce_a_brief_to_an_mp4(tmp_path: Path) -> None:
    done = shell(tmp_path, "produce", "A ten second hello from the sandbox", "--duration", "10", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    result = as_json(done)
    assert result["stage"] == "done" and Path(result["path"]).read_bytes()[4:8] == b"ftyp"
    again = shell(tmp_path, "produce", "A ten second hello from the sandbox", "--duration", "10", "--json")
    assert as_json(again)["resumed"] is True and as_json(again)["path"] == result["path"]  # never paid twice


def test_a_short_produce_exits_4_and_resumes(tmp_path: Path) -> None:
    env = environment(tmp_path, HEYGEN_SANDBOX_RENDER_S="20")
    done = shell(tmp_path, "produce", "A slow render", "--duration", "5", "--timeout", "2", env=env)
    assert done.returncode == 4
    line = done.stderr.strip().splitlines()[-1]
    job = re.search(r"(video:\w+) is still rendering", line)
    assert job and "do not create it again" in line and f"heygen-studio video wait {job.group(1)}" in line


def read_pty(args: list[str], env: dict[str, str], cwd: Path, answer: str | None = None) -> tuple[int, str]:
    """Run with a terminal on stdin, stdout and stderr; everything it wrote, and its exit code. ``answer``: what
    the person types when asked y/N."""
    import pty

    master, slave = pty.openpty()
    child = subprocess.Popen([str(COMMAND), *args], stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
            if answer is not None and b"[y/N]" in b"".join(chunks):
                os.write(master, answer.encode() + b"\n")
                answer = None
        elif child.poll() is not None:
            break
    os.close(master)
    return child.wait(timeout=30), b"".join(chunks).decode(errors="replace")


def test_bars_on_a_terminal_and_never_escape_codes_in_json(tmp_path: Path) -> None:
    env = environment(tmp_path, HEYGEN_SANDBOX_RENDER_S="8", TERM="xterm-256color", COLUMNS="120")
    job = create(tmp_path, "Watched on a terminal.", env)
    code, seen = read_pty(["video", "wait", job], env, tmp_path)
    assert code == 0 and "\x1b[" in seen and "0:00:0" in seen  # a bar, with the elapsed time
    assert re.search(r"video (waiting|pending|processing)", seen) and "video completed" in seen  # and the phase
    code, seen = read_pty(["video", "download", job], env, tmp_path)
    assert code == 0 and "\x1b[" in seen and re.search(r"\d+(\.\d)?/\d+(\.\d)? kB", seen)  # bytes done/total
    code, seen = read_pty(["video", "wait", job, "--json"], env, tmp_path)
    assert code == 0 and "\x1b" not in seen and json.loads(seen)["status"] == "completed"


def test_on_a_terminal_the_person_is_asked_about_the_cost(tmp_path: Path, real_api: dict[str, str]) -> None:
    env = {**real_api, "TERM": "xterm-256color", "COLUMNS": "200"}
    code, seen = read_pty(["video", "create", "--avatar", LOOK, "--script", "Ask me first."], env, tmp_path, "n")
    assert code == 1 and "Estimated cost: about $0.13 (HeyGen's pay-as-you-go price" in seen and "[y/N]" in seen
    answer = seen.split("[y/N]", 1)[1]  # what the person reads after answering: for them, not for an assistant
    assert answer.split() == ["n", "Not", "created.", "Nothing", "was", "sent", "or", "charged."], answer
    assert as_json(shell(tmp_path, "jobs", "--json", env=env))["items"] == []  # nothing was sent
    code, seen = read_pty(["produce", "A brief worth asking about", "--duration", "5"], env, tmp_path, "y")
    assert code == 0 and "produce_video will POST" in seen and "Saved " in seen


def test_the_sandbox_on_a_port(tmp_path: Path) -> None:
    """HEYGEN_SANDBOX=1 with HEYGEN_BASE_URL: `heygen-studio sandbox` serving on a port, not the embedded one."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(COMMAND), "sandbox", "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=environment(tmp_path), cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        env = environment(tmp_path, HEYGEN_BASE_URL=f"http://127.0.0.1:{port}")
        env.pop("HEYGEN_SANDBOX")
        done = shell(tmp_path, "video", "create", "--avatar", LOOK, "--script", "Served on a port.", "--sandbox",
                     "--download", "--json", env=env)
        assert done.returncode == 0, done.stderr
        assert Path(as_json(done)["downloaded"]["path"]).read_bytes()[4:8] == b"ftyp"
        assert not (tmp_path / "state" / "sandbox.sqlite3").exists()  # the embedded sandbox was not used
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_readme_shell_section_runs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## From the shell", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```shell\n(.*?)```", section, flags=re.S)
    assert shutil.which("jq"), "the README's example uses jq: install it (apt-get install jq; .ci/run does)"
    env = environment(tmp_path)
    env["PATH"] = f"{COMMAND.parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], capture_output=True, text=True, timeout=240,
                          cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "out").glob("*.mp4"))


# Runs one command as the console script does (``cli.main``), then says what it imported.
WHAT_IT_IMPORTED = """
import contextlib, io, json, sys
from heygen_studio.cli import main
out, code = io.StringIO(), 0
with contextlib.redirect_stdout(out):
    try:
        main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "stdout": out.getvalue(),
                  "imported": sorted({name.partition(".")[0] for name in sys.modules} & {"mcp", "rich"})}))
"""


def imported_by(tmp_path: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", WHAT_IT_IMPORTED, *args], capture_output=True, text=True,
                          timeout=240, cwd=tmp_path, env=environment(tmp_path))
    assert done.returncode == 0, done.stderr
    ran: dict[str, Any] = json.loads(done.stdout)
    assert ran["code"] == 0, (args, done.stderr)
    return ran


def test_the_commands_without_a_cost_never_import_the_mcp_sdk(tmp_path: Path) -> None:
    """jobs, voices, avatars and video status|wait|download call the workflow directly (``shell/direct.py``): not
    the MCP SDK, and with --json not rich either. A paid command still talks MCP (its cost question is an MCP
    elicitation): the same check sees the SDK there."""
    created = imported_by(tmp_path, "video", "create", "--avatar", LOOK, "--script", "Imports.", "--json")
    assert "mcp" in created["imported"]
    job = json.loads(created["stdout"])["job_id"]
    for args in (["video", "wait", job], ["video", "status", job], ["video", "download", job], ["jobs"],
                 ["voices", "--limit", "2"], ["avatars", "--groups", "--limit", "2"]):
        ran = imported_by(tmp_path, *args, "--json")
        assert ran["imported"] == [], (args, ran["imported"])
        assert json.loads(ran["stdout"]), args
    table = imported_by(tmp_path, "jobs")  # a table (plain, no terminal) is printed by rich, still without MCP
    assert table["imported"] == ["rich"] and job in table["stdout"]


def test_the_parser_bounds_strings_as_the_tools_do(tmp_path: Path) -> None:
    """The commands without MCP skip the tools' argument screen, so their parser holds each string to the bound
    the tool's schema gives it (``shell.Text``); here those bounds are read back from the tools' schemas."""
    import argparse

    import anyio

    from conftest import make_settings
    from heygen_studio import shell
    from heygen_studio.server import create_server
    from heygen_studio.shell.commands import FAST

    tool_of = {"video_status": "get_video", "video_wait": "wait_for_job", "video_download": "download_video",
               "jobs": "list_jobs", "voices": "list_voices", "avatars": "list_avatars"}
    argument_of = {"next": "next_token", "group": "group_id"}
    assert set(tool_of) == set(FAST)
    schemas = {tool.name: tool.input_schema["properties"]
               for tool in anyio.run(create_server(make_settings(tmp_path)).list_tools)}

    def limit(schema: dict[str, Any]) -> int | None:
        return schema.get("maxLength") or next((s["maxLength"] for s in schema.get("anyOf", ()) if "maxLength" in s),
                                               None)

    def commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for command in action.choices.values():
                    yield command
                    yield from commands(command)

    checked = 0
    for command in commands(shell.parser()):
        run = command.get_default("run")
        if run not in FAST:
            continue
        for action in command._actions:
            name = argument_of.get(action.dest, action.dest)
            if name not in schemas[tool_of[run]] or action.choices is not None or action.nargs == 0:
                continue  # a flag, a choice from the tool's own enumeration, or not the tool's argument
            bound = limit(schemas[tool_of[run]][name])
            if bound is None:  # a number (--limit): its own type checks it
                continue
            assert isinstance(action.type, shell.Text) and action.type.limit == bound, (run, action.dest)
            checked += 1
    assert checked == 11
    with pytest.raises(argparse.ArgumentTypeError):
        shell.TOKEN("x" * 513)
    with pytest.raises(argparse.ArgumentTypeError):
        shell.ENGINE(b"\xff".decode(errors="surrogateescape"))  # a byte that is not UTF-8, as argv gives it


def test_the_parser_offers_what_the_tools_take() -> None:
    from heygen_studio import shell
    from heygen_studio.core.models import AspectRatio, Resolution
    from heygen_studio.workflow.scripts import Orientation, Route

    assert get_args(Resolution) == shell.RESOLUTIONS and get_args(AspectRatio) == shell.ASPECT_RATIOS
    assert get_args(Route) == shell.ROUTES and get_args(Orientation) == shell.ORIENTATIONS


def test_tool_words_become_shell_commands() -> None:
    from heygen_studio.shell.session import in_shell_words

    assert in_shell_words("Call wait_for_job('video:1') again.\n Do not create it again.") == (
        "Call `heygen-studio video wait video:1` again. Do not create it again.")
    assert in_shell_words("see list_avatars(name='…'); dry_run=true shows it; raise max_credits, or "
                          "HEYGEN_MAX_CREDITS") == ("see `heygen-studio avatars`; --dry-run shows it; raise "
                                                    "--max-credits, or HEYGEN_MAX_CREDITS")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc to see where the start-up is")
def test_ctrl_c_while_starting_is_one_line_too(tmp_path: Path) -> None:
    """Ctrl-C in the first second, while the command still imports pydantic (seen in /proc: its compiled core is
    mapped), used to print a traceback: heygen_studio.cli imported it (through the settings) before anything could
    catch the interrupt."""
    import signal

    env = environment(tmp_path)
    for _ in range(3):  # the moment varies with the machine's load: each must end the same way
        child = subprocess.Popen([str(COMMAND), "jobs", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=env, cwd=tmp_path,
                                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        maps = Path(f"/proc/{child.pid}/maps")
        deadline = time.monotonic() + 30
        while child.poll() is None and time.monotonic() < deadline:
            try:
                if "pydantic_core" in maps.read_text():
                    break
            except OSError:
                pass
            time.sleep(0.002)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
        assert child.returncode == 130 and "Traceback" not in err, err
        assert err.strip().splitlines()[-1].startswith("heygen-studio: interrupted"), err
        assert list(json.loads(out)) == ["error"], out


def test_ctrl_c_stops_waiting_quietly_and_the_job_keeps_running(tmp_path: Path) -> None:
    import signal

    env = environment(tmp_path, HEYGEN_SANDBOX_RENDER_S="60")
    job = create(tmp_path, "Interrupted, not cancelled.", env)
    # A command typed at a terminal gets Ctrl-C. A test run started in the background (`.ci/run &`, a CI runner,
    # nohup) has SIGINT ignored, and its children inherit that: the wait would then go on to the end and exit 0.
    # So the child gets SIGINT's default back, as the terminal's foreground job has it.
    child = subprocess.Popen([str(COMMAND), "video", "wait", job, "--json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(3)  # waiting by now (or still starting: either way Ctrl-C must end it quietly)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130 and "Traceback" not in err
    said = "interrupted; a job already created keeps running (`heygen-studio jobs` lists it)."
    assert err.strip().splitlines()[-1] == f"heygen-studio: {said}"
    assert json.loads(out) == {"error": said}  # --json: a script reads the interruption too
    assert as_json(shell(tmp_path, "video", "status", job, "--json", env=env))["status"] != "failed"
