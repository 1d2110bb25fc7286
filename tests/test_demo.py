"""``heygen-studio demo`` (issue #10 §4): the real command, as a process.

It ends by saying what to do next, and a failure is one line naming the real cause: an output folder
it cannot write (found before anything renders), or a tool that failed inside the MCP session (not
"unhandled errors in a TaskGroup", the wrapper that carried it).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from test_transports import assert_mp4, child_env
from without_modules import hide

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow]


def demo(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "heygen_studio", "demo"], env=child_env(tmp_path, **env),
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=120)


def test_the_demo_saves_the_video_and_says_what_to_do_next(tmp_path: Path) -> None:
    done = demo(tmp_path)
    assert done.returncode == 0, done.stderr
    saved = tmp_path / "out" / "demo.mp4"
    assert_mp4(saved)  # the request's own render
    *_, last, next_step = done.stdout.strip().splitlines()
    assert last == f"Done: {saved} ({saved.stat().st_size} bytes, an MP4)."  # a render: nothing to add
    assert next_step.startswith(f"Next: play {saved}.") and "serve'" in next_step and "HEYGEN_API_KEY" in next_step


def test_without_the_render_extra_the_demo_says_it_saved_the_sample_clip_and_how_to_render(tmp_path: Path) -> None:
    """No PyAV or Pillow (hidden from the demo and the server it starts): the file is the bundled sample, and the
    Done line says so, with the one command that installs the extra into this environment."""
    import shlex
    import tomllib

    from heygen_studio.sandbox.media import sample

    done = subprocess.run([sys.executable, "-m", "heygen_studio", "demo"], cwd=str(tmp_path), capture_output=True,
                          text=True, timeout=120, env=hide(child_env(tmp_path), tmp_path / "hide", "av", "PIL"))
    assert done.returncode == 0, done.stderr
    saved = tmp_path / "out" / "demo.mp4"
    assert saved.read_bytes() == sample("sample.mp4")
    *_, last, next_step = done.stdout.strip().splitlines()
    head = f"Done: {saved} ({saved.stat().st_size} bytes): this is the sandbox's 2-second 320×180 sample clip, "
    assert last.startswith(head) and "the render extra is not installed (av is missing)" in last, last
    render = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["render"]
    command = shlex.split(last.split("install it: ", 1)[1])
    assert command == [sys.executable, "-m", "pip", "install", *sorted(render)]
    assert next_step.startswith(f"Next: play {saved}.")


def test_progress_into_a_log_is_plain_lines_and_a_bar_only_on_a_terminal(tmp_path: Path) -> None:
    """Written to a file (the demo's output kept as a log), progress is one line per phase, never the terminal's
    carriage-return redraws; on a terminal the bar redraws in place."""
    import os
    import pty
    import select

    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        done = subprocess.run([sys.executable, "-m", "heygen_studio", "demo"], env=child_env(tmp_path),
                              cwd=str(tmp_path), stdout=out, stderr=subprocess.STDOUT, timeout=120)
    written = log.read_bytes()
    assert done.returncode == 0, written
    assert b"\r" not in written and b"\x1b" not in written
    assert re.search(rb"^ +100\.0%  video completed \(\d+ s\)$", written, flags=re.M), written

    master, slave = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "heygen_studio", "demo"], env=child_env(tmp_path),
                             cwd=str(tmp_path), stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    seen = b""
    while select.select([master], [], [], 60)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the demo ended and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert child.wait(timeout=30) == 0, seen
    assert re.search(rb"\r  \[#+\.*\] +\d+\.\d%", seen), seen  # the bar, redrawn in place


def failed_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "TaskGroup" not in done.stderr and "sub-exception" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("demo failed: ")
    return lines[0]


def test_an_output_folder_it_cannot_write_is_named_before_anything_renders(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # a path under a regular file: unwritable even for root (CI)
    line = failed_line(demo(tmp_path, HEYGEN_OUTPUT_DIR=str(blocker / "videos")))
    assert f"the output folder {blocker / 'videos'} cannot be written" in line and "HEYGEN_OUTPUT_DIR" in line


def test_a_tool_failing_inside_the_session_is_named_not_its_task_group(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = demo(tmp_path, HEYGEN_STATE_DIR=str(blocker / "state"))
    line = failed_line(done)
    assert "Submitted" not in done.stdout  # it stopped at the create, and says why
    assert line.startswith("demo failed: create_avatar_video failed: The job store ")
    assert "HEYGEN_STATE_DIR" in line and "Error executing tool" not in line


def test_a_server_that_cannot_start_is_named_with_what_it_said(tmp_path: Path) -> None:
    # Only the demo's server process runs with HEYGEN_SANDBOX=1 and an empty key (its env, not the demo's):
    # this sitecustomize stops that process alone, as a broken install would, with its own last words.
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os, sys\n"
        "if os.environ.get('HEYGEN_API_KEY') == '' and os.environ.get('HEYGEN_SANDBOX') == '1':\n"
        "    print('heygen-studio: the server could not start (a broken install, say)', file=sys.stderr)\n"
        "    sys.stderr.flush()\n"
        "    os._exit(1)\n")
    env = child_env(tmp_path)
    del env["HEYGEN_SANDBOX"]
    env["PYTHONPATH"] = str(hook)
    done = subprocess.run([sys.executable, "-m", "heygen_studio", "demo"], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=120)
    line = failed_line(done)
    said = "heygen-studio: the server could not start (a broken install, say)"
    assert "Connection closed" in line and line.endswith(f"; the server said: {said}")
