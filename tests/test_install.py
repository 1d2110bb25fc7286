"""Install and connect in one step (issue #10 §1): ``config <client>``, ``doctor``, and the registry files.

Everything runs the real command in a subprocess (HOME pointed at a temporary folder, so no real client
config is touched). The MCP registry's ``server.json`` is checked against the registry's published JSON schema
as the PyPI package ``skillsaw`` ships it (byte for byte, with the registry's publishing rules in its
``mcp-registry-server-json-valid`` rule): the registry's own ``mcp-publisher validate`` sends the file to the
live registry and ships only as a GitHub release binary, neither of which this offline CI can reach. The MCPB
manifest is checked by ``mcpb validate`` from npm (``@anthropic-ai/mcpb``), installed by the test into a cache.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from test_transports import free_port, wait_for_port
from without_modules import hide

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
SECRET = "sk-live-do-not-print-0123456789"
JSON_CLIENTS = ("claude-desktop", "cursor", "vscode", "windsurf")
MCPB_VERSION = "2.1.2"  # @anthropic-ai/mcpb, pinned: a new CLI may change what it accepts
NPM_CACHE = Path(os.environ.get("HEYGEN_TEST_TOOLS", Path.home() / ".cache" / "heygen-studio-tests")) / "npm"


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_", "XDG_"))}
    env.update(HOME=str(home), HEYGEN_STATE_DIR=str(home / "state"), PYTHONUTF8="1")
    env.update(extra)
    return env


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "heygen_studio", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120, stdin=subprocess.DEVNULL)


# -- config <client> -----------------------------------------------------------------------------
def test_each_clients_entry_parses_points_at_this_install_and_never_holds_the_key(tmp_path: Path) -> None:
    env = env_for(tmp_path, HEYGEN_API_KEY=SECRET, HEYGEN_OUTPUT_DIR="videos",
                  HEYGEN_ALLOWED_DIRS=str(tmp_path / "media"))
    for client in JSON_CLIENTS:
        out = cli("config", client, env=env, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert SECRET not in out.stdout + out.stderr
        doc = json.loads(out.stdout)
        servers = doc["servers" if client == "vscode" else "mcpServers"]
        entry = servers["heygen"]
        assert Path(entry["command"]).is_absolute() and entry["args"][-1] == "serve"
        assert entry["env"]["HEYGEN_OUTPUT_DIR"] == str(tmp_path / "videos")  # absolute: hosts start in /
        assert entry["env"]["HEYGEN_ALLOWED_DIRS"].split(os.pathsep) == [str(tmp_path / "media"),
                                                                         str(tmp_path / "videos")]
        if client == "vscode":
            assert entry["type"] == "stdio" and entry["env"]["HEYGEN_API_KEY"] == "${input:heygen-api-key}"
            assert doc["inputs"][0]["password"] is True and doc["inputs"][0]["id"] == "heygen-api-key"
        else:
            assert entry["env"]["HEYGEN_API_KEY"] == "YOUR_HEYGEN_API_KEY"
            assert "YOUR_HEYGEN_API_KEY" in out.stderr  # says to replace it
        version = subprocess.run([entry["command"], *entry["args"][:-1], "--version"], capture_output=True,
                                 text=True, timeout=60)
        assert version.stdout.strip() == f"heygen-studio {VERSION}", version.stderr

    sandboxed = json.loads(cli("config", "cursor", "--sandbox", env=env, cwd=tmp_path).stdout)
    assert sandboxed["mcpServers"]["heygen"]["env"]["HEYGEN_SANDBOX"] == "1"
    assert "HEYGEN_API_KEY" not in sandboxed["mcpServers"]["heygen"]["env"]


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_printed_sandbox_entry_starts_a_server_a_client_can_use(tmp_path: Path) -> None:
    """What a client does with the entry: start exactly that command with exactly that env, then list tools."""
    out = cli("config", "claude-desktop", "--sandbox", env=env_for(tmp_path), cwd=tmp_path)
    entry = json.loads(out.stdout)["mcpServers"]["heygen"]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **entry["env"]}
    params = StdioServerParameters(command=entry["command"], args=entry["args"], env=env, cwd="/")
    with open(os.devnull, "w") as quiet, anyio.fail_after(60):
        async with Client(stdio_client(params, errlog=quiet)) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            account = await client.call_tool("get_account", {})
    assert {"create_avatar_video", "wait_for_job", "download_video"} <= names
    assert not account.is_error, account.content


def test_a_uvx_run_is_told_its_path_may_not_last() -> None:
    from heygen_studio.clients import temporary_install

    assert temporary_install("/home/u/.cache/uv/archive-v0/AbC123/bin/heygen-studio")
    assert not temporary_install("/home/u/.local/share/uv/tools/heygen-studio/bin/heygen-studio")
    assert not temporary_install("/home/u/.local/pipx/venvs/heygen-studio/bin/heygen-studio")


def test_claude_code_gets_a_claude_mcp_add_line_and_write_runs_it(tmp_path: Path) -> None:
    env = env_for(tmp_path, HEYGEN_API_KEY=SECRET, PATH=str(tmp_path / "bin") + os.pathsep + "/usr/bin:/bin")
    out = cli("config", "claude-code", env=env, cwd=tmp_path)
    assert out.returncode == 0 and SECRET not in out.stdout + out.stderr
    argv = shlex.split(out.stdout)
    assert argv[:3] == ["claude", "mcp", "add"] and "heygen" in argv
    command = argv[argv.index("--") + 1:]
    assert Path(command[0]).is_absolute() and command[-1] == "serve"
    envs = dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "--env")
    assert envs["HEYGEN_API_KEY"] == "YOUR_HEYGEN_API_KEY" and Path(envs["HEYGEN_OUTPUT_DIR"]).is_absolute()

    missing = cli("config", "claude-code", "--write", env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "`claude` is not on PATH" in missing.stderr

    # A stand-in ``claude`` (an external program, not ours) that records the argv it was given.
    (tmp_path / "bin").mkdir()
    stub = tmp_path / "bin" / "claude"
    stub.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    f"open({str(tmp_path / 'argv.json')!r}, 'w').write(json.dumps(sys.argv[1:]))\n")
    stub.chmod(0o755)
    ran = cli("config", "claude-code", "--sandbox", "--write", env=env, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert json.loads((tmp_path / "argv.json").read_text()) == shlex.split(ran.stdout)[1:]
    assert "HEYGEN_SANDBOX=1" in ran.stdout and "Added" in ran.stderr


CLAUDE_STAND_IN = """#!{python}
# A stand-in for Claude Code's `claude mcp add|remove` at user scope (an external program, not ours): the servers
# in $HOME/.claude.json's mcpServers, and the refusal the real CLI gives to a name it already has.
import json, os, sys
path = os.path.join(os.environ["HOME"], ".claude.json")
data = json.load(open(path)) if os.path.exists(path) else {{"numStartups": 3}}
servers = data.setdefault("mcpServers", {{}})
args = sys.argv[1:]
with open(os.path.join(os.environ["HOME"], "claude-calls.jsonl"), "a") as log:
    log.write(json.dumps(args) + "\\n")
words, options, env, after = [], {{}}, {{}}, []
rest = args[2:]
if "--" in rest:
    rest, after = rest[:rest.index("--")], rest[rest.index("--") + 1:]
i = 0
while i < len(rest):
    if rest[i].startswith("-"):
        if rest[i] in ("-e", "--env"):
            name, _, value = rest[i + 1].partition("=")
            env[name] = value
        else:
            options[rest[i]] = rest[i + 1]
        i += 2
    else:
        words.append(rest[i])
        i += 1
name = words[0]
if args[:2] == ["mcp", "remove"]:
    if name not in servers:
        sys.exit(f"No user-scoped MCP server found with name: {{name}}")
    del servers[name]
    print(f"Removed MCP server {{name}} from user config")
else:
    if name in servers:
        sys.exit(f"MCP server {{name}} already exists in user config")
    servers[name] = {{"type": "stdio", "command": after[0], "args": after[1:], "env": env}}
    print(f"Added stdio MCP server {{name}} to user config")
json.dump(data, open(path, "w"), indent=2)
"""


def test_claude_code_write_twice_replaces_our_entry_keeping_the_key_and_the_users_settings(tmp_path: Path) -> None:
    """`claude mcp add` refuses a name it has: a second --write replaced nothing and failed. Now it removes ours
    and adds it again, keeping a key put there since and the variables we do not set; --sandbox then takes the key
    out and says where the copy of the file that still has it is."""
    (tmp_path / "bin").mkdir()
    stub = tmp_path / "bin" / "claude"
    stub.write_text(CLAUDE_STAND_IN.format(python=sys.executable))
    stub.chmod(0o755)
    env = env_for(tmp_path, PATH=str(tmp_path / "bin") + os.pathsep + "/usr/bin:/bin")
    first = cli("config", "claude-code", "--write", env=env, cwd=tmp_path)
    assert first.returncode == 0 and "Added" in first.stderr, first.stderr
    claude_json = tmp_path / ".claude.json"
    data = json.loads(claude_json.read_text())
    data["mcpServers"]["heygen"]["env"].update(HEYGEN_API_KEY=SECRET, HEYGEN_TOOLSETS="all")  # the person's edits
    claude_json.write_text(json.dumps(data))

    again = cli("config", "claude-code", "--write", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Replaced" in again.stderr and "Kept the API key" in again.stderr and "HEYGEN_TOOLSETS" in again.stderr
    assert SECRET not in again.stdout + again.stderr and "YOUR_HEYGEN_API_KEY" in again.stdout  # the printed line
    entry = json.loads(claude_json.read_text())["mcpServers"]["heygen"]
    assert entry["env"]["HEYGEN_API_KEY"] == SECRET and entry["env"]["HEYGEN_TOOLSETS"] == "all"
    assert entry["args"][-1] == "serve" and json.loads(claude_json.read_text())["numStartups"] == 3

    sandboxed = cli("config", "claude-code", "--sandbox", "--write", env=env, cwd=tmp_path)
    assert sandboxed.returncode == 0, sandboxed.stderr
    entry = json.loads(claude_json.read_text())["mcpServers"]["heygen"]
    assert "HEYGEN_API_KEY" not in entry["env"] and entry["env"]["HEYGEN_SANDBOX"] == "1"
    assert entry["env"]["HEYGEN_TOOLSETS"] == "all" and SECRET not in sandboxed.stdout + sandboxed.stderr
    assert "Removed the API key" in sandboxed.stderr
    backup = Path(sandboxed.stderr.split("the backup ")[1].split(" still has it")[0])
    assert backup.parent == tmp_path and SECRET in backup.read_text() and backup.stat().st_mode & 0o777 == 0o600


def test_write_keeps_the_entrys_other_variables_and_says_when_sandbox_takes_the_key_out(tmp_path: Path) -> None:
    config = tmp_path / ".codeium" / "windsurf" / "mcp_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"mcpServers": {"heygen": {"command": "/old/heygen-studio", "args": ["serve"], "env": {
        "HEYGEN_API_KEY": SECRET, "HEYGEN_TOOLSETS": "avatars,batch", "HEYGEN_MAX_CREDITS": "5",
        "HEYGEN_OUTPUT_DIR": "/old/videos"}}}}))
    env = env_for(tmp_path)
    out = cli("config", "windsurf", "--write", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    kept = json.loads(config.read_text())["mcpServers"]["heygen"]["env"]
    assert kept["HEYGEN_TOOLSETS"] == "avatars,batch" and kept["HEYGEN_MAX_CREDITS"] == "5"
    assert kept["HEYGEN_API_KEY"] == SECRET and kept["HEYGEN_OUTPUT_DIR"] == str(tmp_path / "heygen-output")
    assert "Kept HEYGEN_TOOLSETS, HEYGEN_MAX_CREDITS" in out.stderr

    sandboxed = cli("config", "windsurf", "--sandbox", "--write", env=env, cwd=tmp_path)
    assert sandboxed.returncode == 0, sandboxed.stderr
    now = json.loads(config.read_text())["mcpServers"]["heygen"]["env"]
    assert "HEYGEN_API_KEY" not in now and now["HEYGEN_SANDBOX"] == "1" and now["HEYGEN_TOOLSETS"] == "avatars,batch"
    [line] = [line for line in sandboxed.stderr.splitlines() if line.startswith("Removed the API key")]
    backup = Path(line.split("the backup ")[1].split(" still has it")[0])
    assert SECRET in backup.read_text() and SECRET not in sandboxed.stdout + sandboxed.stderr


def test_write_merges_into_the_file_keeping_other_servers_keys_and_a_real_key(tmp_path: Path) -> None:
    config = tmp_path / ".cursor" / "mcp.json"
    config.parent.mkdir()
    original = {"theme": "dark", "mcpServers": {
        "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"]},
        "heygen": {"command": "/old/heygen-studio", "args": ["serve"], "env": {"HEYGEN_API_KEY": SECRET}}}}
    config.write_text(json.dumps(original, indent=4))
    config.chmod(0o600)
    env = env_for(tmp_path)
    out = cli("config", "cursor", "--write", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert SECRET not in out.stdout + out.stderr and "Kept the API key" in out.stderr
    merged = json.loads(config.read_text())
    assert merged["theme"] == "dark" and merged["mcpServers"]["github"] == original["mcpServers"]["github"]
    assert list(merged["mcpServers"]) == ["github", "heygen"]
    heygen = merged["mcpServers"]["heygen"]
    assert heygen["command"] != "/old/heygen-studio" and heygen["env"]["HEYGEN_API_KEY"] == SECRET
    assert config.stat().st_mode & 0o777 == 0o600  # a file holding a key stays private
    backups = list(config.parent.glob("mcp.json.*.bak"))
    assert len(backups) == 1 and json.loads(backups[0].read_text()) == original

    again = cli("config", "cursor", "--write", env=env, cwd=tmp_path)
    assert again.returncode == 0 and "nothing changed" in again.stderr
    assert len(list(config.parent.glob("mcp.json.*.bak"))) == 1


def test_write_creates_each_clients_file_where_that_client_reads_it(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    expected = {"claude-desktop": tmp_path / ".config" / "Claude" / "claude_desktop_config.json",
                "cursor": tmp_path / ".cursor" / "mcp.json",
                "windsurf": tmp_path / ".codeium" / "windsurf" / "mcp_config.json",
                "vscode": tmp_path / "project" / ".vscode" / "mcp.json"}
    (tmp_path / "project").mkdir()
    for client, path in expected.items():
        out = cli("config", client, "--sandbox", "--write", env=env, cwd=tmp_path / "project")
        assert out.returncode == 0, out.stderr
        assert str(path) in out.stderr and "a new file" in out.stderr
        doc = json.loads(path.read_text())
        assert doc == json.loads(cli("config", client, "--sandbox", env=env, cwd=tmp_path / "project").stdout)
        assert path.stat().st_mode & 0o777 == 0o600
    # Claude Desktop on Linux follows XDG_CONFIG_HOME.
    xdg = cli("config", "claude-desktop", "--write", env={**env, "XDG_CONFIG_HOME": str(tmp_path / "xdg")},
              cwd=tmp_path)
    assert xdg.returncode == 0 and (tmp_path / "xdg" / "Claude" / "claude_desktop_config.json").is_file()


def test_write_refuses_a_file_that_is_not_json_and_leaves_it_alone(tmp_path: Path) -> None:
    config = tmp_path / ".codeium" / "windsurf" / "mcp_config.json"
    config.parent.mkdir(parents=True)
    config.write_text('{"mcpServers": {"a": {"command": "x"}\n')
    out = cli("config", "windsurf", "--write", env=env_for(tmp_path), cwd=tmp_path)
    assert out.returncode == 1
    assert f"{config} is not valid JSON" in out.stderr and "line 2" in out.stderr
    assert "Traceback" not in out.stderr
    assert config.read_text() == '{"mcpServers": {"a": {"command": "x"}\n'
    assert list(config.parent.iterdir()) == [config]

    config.write_text('["not", "an object"]')
    out = cli("config", "windsurf", "--write", env=env_for(tmp_path), cwd=tmp_path)
    assert out.returncode == 1 and "not an object" in out.stderr


def test_a_vscode_file_with_comments_is_left_as_it_is(tmp_path: Path) -> None:
    """VS Code's mcp.json may be JSONC: rewriting would drop the comments, so the entry is pasted by hand."""
    config = tmp_path / ".vscode" / "mcp.json"
    config.parent.mkdir()
    text = '{\n  // my servers\n  "servers": {"a": {"type": "stdio", "command": "x",},},\n}\n'
    config.write_text(text)
    out = cli("config", "vscode", "--write", env=env_for(tmp_path), cwd=tmp_path)
    assert out.returncode == 1 and "comments or trailing commas" in out.stderr and str(config) in out.stderr
    assert config.read_text() == text
    assert json.loads(out.stdout)["servers"]["heygen"]["type"] == "stdio"  # the entry to paste is printed


def test_write_through_a_symlinked_config_keeps_the_link(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles" / "cursor-mcp.json"
    dotfiles.parent.mkdir()
    dotfiles.write_text('{"mcpServers": {}}')
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".cursor" / "mcp.json").symlink_to(dotfiles)
    out = cli("config", "cursor", "--sandbox", "--write", env=env_for(tmp_path), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / ".cursor" / "mcp.json").is_symlink()
    assert "heygen" in json.loads(dotfiles.read_text())["mcpServers"]


# -- doctor -----------------------------------------------------------------------------------
def doctor(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return cli("doctor", env=env_for(tmp_path, **extra), cwd=tmp_path)


def test_doctor_passes_in_sandbox_mode(tmp_path: Path) -> None:
    out = doctor(tmp_path, HEYGEN_SANDBOX="1", HEYGEN_OUTPUT_DIR=str(tmp_path / "new" / "videos"))
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert all(line[0] in "✓!" for line in lines[:-1]) and lines[-1] == "Ready."
    assert lines[0].startswith("✓ mode: sandbox")
    assert any(line.startswith("✓ API key: accepted by the sandbox") for line in lines)
    assert any(line.startswith("✓ API wallet:") for line in lines)
    assert f"✓ output folder: {tmp_path / 'new' / 'videos'} is writable (created it now)" in lines
    assert (tmp_path / "new" / "videos").is_dir()
    assert out.stderr == ""


def render_extra_command() -> list[str]:
    """The command doctor and demo must give: pip for this interpreter, with pyproject.toml's render extra."""
    return [sys.executable, "-m", "pip", "install", *sorted(PYPROJECT["project"]["optional-dependencies"]["render"])]


def test_doctor_says_sandbox_videos_are_the_sample_clip_without_the_render_extra(tmp_path: Path) -> None:
    env = hide(env_for(tmp_path, HEYGEN_SANDBOX="1"), tmp_path / "hide", "av", "PIL")
    out = cli("doctor", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr  # a warning: the sandbox works, its videos are one clip
    [line] = [line for line in out.stdout.splitlines() if "sandbox videos" in line]
    assert line.startswith("! sandbox videos: each one is the sandbox's 2-second 320×180 sample clip"), line
    assert "render extra is not installed (av is missing)" in line
    assert shlex.split(line.split(" Fix: ", 1)[1]) == render_extra_command()
    assert out.stdout.splitlines()[-1] == "Ready, with 1 warning (! above)."


def test_doctor_says_sandbox_videos_are_silent_without_espeak_and_checks_nothing_on_the_real_api(
        tmp_path: Path) -> None:
    env = hide(env_for(tmp_path, HEYGEN_SANDBOX="1"), tmp_path / "hide", "espeakng_loader")
    out = cli("doctor", env=env, cwd=tmp_path)
    [line] = [line for line in out.stdout.splitlines() if "sandbox videos" in line]
    assert line.startswith("! sandbox videos: rendered as asked but silent") and "espeakng_loader is missing" in line
    assert shlex.split(line.split(" Fix: ", 1)[1]) == render_extra_command()
    with_it = doctor(tmp_path, HEYGEN_SANDBOX="1")
    assert "✓ sandbox videos: rendered as asked (size, length, captions and speech)" in with_it.stdout.splitlines()
    real = hide(env_for(tmp_path, HEYGEN_API_KEY="YOUR_HEYGEN_API_KEY"), tmp_path / "hide", "av", "PIL")
    assert "sandbox videos" not in cli("doctor", env=real, cwd=tmp_path).stdout  # renders are the sandbox's


def test_the_render_extra_command_fits_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """pipx adds packages to its venvs with ``inject``; an environment uv made has no pip."""
    from heygen_studio import extras

    wanted = sorted(PYPROJECT["project"]["optional-dependencies"]["render"])
    assert sorted(extras.requirements()) == wanted
    monkeypatch.setattr(extras, "requirements", lambda: wanted)
    monkeypatch.setattr(sys, "prefix", "/home/u/.local/share/pipx/venvs/heygen-studio")
    assert shlex.split(extras.install_command()) == ["pipx", "inject", "heygen-studio", *wanted]
    monkeypatch.setattr(sys, "prefix", "/home/u/.local/share/uv/tools/heygen-studio")
    monkeypatch.setattr(extras, "_installer", lambda: "uv")
    assert shlex.split(extras.install_command()) == ["uv", "pip", "install", "--python", sys.executable, *wanted]


def test_doctor_fails_on_an_output_folder_that_cannot_be_written_naming_it(tmp_path: Path) -> None:
    """A folder under a regular file cannot be made even by root (CI runs as root)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    out = doctor(tmp_path, HEYGEN_SANDBOX="1", HEYGEN_OUTPUT_DIR=str(blocker / "videos"))
    assert out.returncode == 1
    line = next(line for line in out.stdout.splitlines() if "output folder" in line)
    assert line.startswith(f"✗ output folder: cannot create {blocker / 'videos'}") and "Fix: set HEYGEN_OUTPUT_DIR" \
        in line
    assert out.stdout.splitlines()[-1] == "1 problem to fix (✗ above)."
    out = doctor(tmp_path, HEYGEN_SANDBOX="1", HEYGEN_OUTPUT_DIR=str(blocker))
    assert out.returncode == 1 and f"✗ output folder: {blocker} is not a folder" in out.stdout


def test_doctor_names_a_state_folder_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    out = doctor(tmp_path, HEYGEN_SANDBOX="1", HEYGEN_STATE_DIR=str(tmp_path / "file" / "state"))
    assert out.returncode == 1
    assert any(line.startswith("✗ state folder:") and str(tmp_path / "file") in line for line in
               out.stdout.splitlines()), out.stdout


def test_doctor_warns_on_allowing_the_home_folder_but_passes(tmp_path: Path) -> None:
    out = doctor(tmp_path, HEYGEN_SANDBOX="1", HEYGEN_ALLOWED_DIRS=os.pathsep.join([str(tmp_path), "/"]))
    assert out.returncode == 0, out.stdout
    warnings = [line for line in out.stdout.splitlines() if line.startswith("! allowed folder:")]
    assert len(warnings) == 2 and "every file under it" in warnings[0]


def test_doctor_without_a_key_or_with_the_placeholder_says_how_to_fix_it(tmp_path: Path) -> None:
    out = doctor(tmp_path)
    assert out.returncode == 1
    assert "✗ API key: HEYGEN_API_KEY is not set. Fix:" in out.stdout and "HEYGEN_SANDBOX=1" in out.stdout
    out = doctor(tmp_path, HEYGEN_API_KEY="YOUR_HEYGEN_API_KEY")
    assert out.returncode == 1 and "still the placeholder" in out.stdout


@pytest.mark.anyio
async def test_the_placeholder_key_is_refused_at_once_naming_how_to_set_it(tmp_path: Path) -> None:
    """The entry `config` writes holds YOUR_HEYGEN_API_KEY until the person puts a key there. A call then used to
    go out with it (and, offline, retried the network); now every call that needs HeyGen is refused before any
    request, saying so and how to set the key. On the sandbox the placeholder counts as no key, which it needs."""
    import httpx2

    from conftest import make_settings
    from heygen_studio.server import create_server

    sent: list[str] = []
    wire = httpx2.MockTransport(lambda request: sent.append(str(request.url)) or httpx2.Response(503))
    settings = make_settings(tmp_path, heygen_sandbox=False, heygen_api_key="YOUR_HEYGEN_API_KEY",
                             heygen_base_url="https://api.heygen.com")
    async with Client(create_server(settings, transport=wire)) as client:
        look = "Abigail_expressive_2024112501"
        for name, args in (("list_avatars", {}), ("get_account", {}), ("wait_for_job", {"job_id": "video:abc"}),
                           ("create_avatar_video", {"avatar_id": look, "script": "Hello."})):
            with anyio.fail_after(5):  # at once: no retries, no network
                result = await client.call_tool(name, args)
            text = result.content[0].text  # type: ignore[union-attr]
            assert result.is_error and "still the placeholder YOUR_HEYGEN_API_KEY" in text, (name, text)
            assert "Put your HeyGen API key" in text and "HEYGEN_SANDBOX=1" in text, (name, text)
    assert sent == []
    async with Client(create_server(make_settings(tmp_path, heygen_api_key="YOUR_HEYGEN_API_KEY"))) as client:
        assert not (await client.call_tool("list_avatars", {"limit": 1})).is_error


def test_doctor_fails_on_a_client_entry_that_still_has_the_placeholder(tmp_path: Path) -> None:
    """The shell's environment may have a key (or the sandbox) while Cursor's entry still has the placeholder:
    doctor reads each client's entry and names the one that needs the key."""
    env = env_for(tmp_path)
    assert cli("config", "cursor", "--write", env=env, cwd=tmp_path).returncode == 0
    config = tmp_path / ".cursor" / "mcp.json"
    out = doctor(tmp_path, HEYGEN_SANDBOX="1")
    assert out.returncode == 1, out.stdout
    [line] = [line for line in out.stdout.splitlines() if line.startswith("✗ cursor:")]
    assert f"{config} still has the placeholder key YOUR_HEYGEN_API_KEY" in line
    assert "Fix: put your key" in line and "heygen-studio config cursor --sandbox --write" in line
    assert cli("config", "cursor", "--sandbox", "--write", env=env, cwd=tmp_path).returncode == 0
    out = doctor(tmp_path, HEYGEN_SANDBOX="1")
    assert out.returncode == 0 and f"✓ cursor: \"heygen\" entry in {config} (the offline sandbox)" in out.stdout
    data = json.loads(config.read_text())
    data["mcpServers"]["heygen"]["env"] = {"HEYGEN_API_KEY": SECRET}
    config.write_text(json.dumps(data))
    out = doctor(tmp_path, HEYGEN_SANDBOX="1")
    assert out.returncode == 0 and "(its key is set)" in out.stdout and SECRET not in out.stdout + out.stderr


@pytest.mark.slow
@pytest.mark.anyio
async def test_doctor_checks_the_key_against_a_real_api_over_http(tmp_path: Path) -> None:
    """Real-API mode, the API being ``heygen-studio sandbox`` on a port (keys starting 'bad' are refused)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "heygen_studio", "sandbox", "--port", str(port)],
                            env=env_for(tmp_path), cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        await wait_for_port(proc, port)
        base = f"http://127.0.0.1:{port}"
        good = doctor(tmp_path, HEYGEN_BASE_URL=base, HEYGEN_API_KEY=SECRET)
        assert good.returncode == 0, good.stdout
        assert f"✓ mode: real HeyGen API at {base}" in good.stdout and "✓ API key: accepted by HeyGen" in good.stdout
        assert SECRET not in good.stdout + good.stderr
        bad = doctor(tmp_path, HEYGEN_BASE_URL=base, HEYGEN_API_KEY="bad-key-0123456789")
        assert bad.returncode == 1 and "✗ API key: rejected by HeyGen (HTTP 401)" in bad.stdout
        assert "bad-key-0123456789" not in bad.stdout + bad.stderr
        deepseek = doctor(tmp_path, HEYGEN_BASE_URL=base, HEYGEN_API_KEY=SECRET, DEEPSEEK_API_KEY="ds-key-01234567",
                          DEEPSEEK_BASE_URL=f"http://127.0.0.1:{free_port()}")
        assert deepseek.returncode == 1 and "✗ scripts: cannot reach DeepSeek" in deepseek.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- the MCP registry's server.json and the MCPB bundle manifest ---------------------------------------
def server_json() -> dict[str, Any]:
    return json.loads((ROOT / "server.json").read_text(encoding="utf-8"))


def mcpb_manifest() -> dict[str, Any]:
    return json.loads((ROOT / "packaging" / "mcpb" / "manifest.json").read_text(encoding="utf-8"))


def test_registry_and_bundle_versions_are_the_packages_version() -> None:
    server = server_json()
    assert server["version"] == VERSION
    assert [p["version"] for p in server["packages"]] == [VERSION]
    assert server["packages"][0]["identifier"] == PYPROJECT["project"]["name"]
    assert mcpb_manifest()["version"] == VERSION


def test_the_registry_can_verify_the_pypi_package_is_ours() -> None:
    """The registry checks PyPI ownership by an ``mcp-name: <name>`` line in the package's README."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"mcp-name: {server_json()['name']}" in readme
    repo = PYPROJECT["project"]["urls"]["Repository"]
    assert server_json()["repository"]["url"] == repo and mcpb_manifest()["repository"]["url"] == repo


def test_the_bundle_lists_the_default_toolset() -> None:
    from heygen_studio.tools import toolsets

    default = [name for name, group in toolsets.TOOLSETS.items() if group == toolsets.DEFAULT]
    assert [tool["name"] for tool in mcpb_manifest()["tools"]] == default


def test_server_json_is_valid_for_the_registry(tmp_path: Path) -> None:
    import jsonschema
    from skillsaw.schemas import mcp_registry

    schema_file = Path(mcp_registry.__file__).parent / "v2025_12_11" / "server.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    server = server_json()
    assert schema["$id"] == server["$schema"]  # the schema version server.json declares
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(server)

    skillsaw = shutil.which("skillsaw", path=str(Path(sys.executable).parent)) or "skillsaw"

    def lint(doc: dict[str, Any], name: str) -> subprocess.CompletedProcess[str]:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "server.json").write_text(json.dumps(doc), encoding="utf-8")
        return subprocess.run([skillsaw, "lint", str(folder)], capture_output=True, text=True, timeout=120)

    good = lint(server, "good")
    assert good.returncode == 0 and "Repo type: mcp-registry" in good.stdout, good.stdout + good.stderr
    too_long = {**server, "description": "x" * 101}  # the registry's 100-character limit
    bad = lint(too_long, "bad")
    assert bad.returncode != 0 and "mcp-registry-server-json-valid" in bad.stdout, bad.stdout


def mcpb_cli() -> list[str]:
    """``mcpb`` from npm, installed once into the test tools' cache (pinned version)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are not installed (.ci/run installs them): cannot run `mcpb validate`")
    binary = NPM_CACHE / "node_modules" / ".bin" / "mcpb"
    if not binary.exists():
        NPM_CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NPM_CACHE),
                               f"@anthropic-ai/mcpb@{MCPB_VERSION}"], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    return [str(binary)]


def test_mcpb_manifest_passes_mcpb_validate(tmp_path: Path) -> None:
    mcpb = mcpb_cli()
    good = subprocess.run([*mcpb, "validate", str(ROOT / "packaging" / "mcpb" / "manifest.json")],
                          capture_output=True, text=True, timeout=120)
    assert good.returncode == 0 and "validation passes" in good.stdout, good.stdout + good.stderr
    broken = {k: v for k, v in mcpb_manifest().items() if k != "author"}
    (tmp_path / "manifest.json").write_text(json.dumps(broken))
    bad = subprocess.run([*mcpb, "validate", str(tmp_path / "manifest.json")], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode != 0 and "author" in bad.stdout + bad.stderr


@pytest.mark.slow
def test_the_mcpb_bundle_packs_with_the_project_inside(tmp_path: Path) -> None:
    mcpb = mcpb_cli()
    done = subprocess.run([sys.executable, str(ROOT / "packaging" / "mcpb" / "pack.py"), str(tmp_path), *mcpb],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    bundle = tmp_path / f"heygen-studio-{VERSION}.mcpb"
    import zipfile

    names = set(zipfile.ZipFile(bundle).namelist())
    assert {"manifest.json", "pyproject.toml", "LICENSE", "server/heygen_studio/__main__.py",
            "server/heygen_studio/tools/manifest.json"} <= names
    assert not any("__pycache__" in n for n in names)
    manifest = mcpb_manifest()
    entry = manifest["server"]["entry_point"]
    assert entry in names and manifest["server"]["mcp_config"]["args"][-2:] == ["heygen-studio", "serve"]


# -- the README ---------------------------------------------------------------------------------
def readme_section(title: str) -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8").split(f"\n## {title}", 1)[1].split("\n## ", 1)[0]


def test_readme_installs_from_the_repository_url_on_the_python_it_needs() -> None:
    import re

    section = readme_section("Install")
    assert PYPROJECT["project"]["requires-python"] == ">=3.11" and "Python ≥ 3.11" in section
    repo = PYPROJECT["project"]["urls"]["Repository"]
    commands = re.findall(r"```bash\n(.*?)```", section, flags=re.S)[0].strip().splitlines()
    assert commands == [f"pipx install git+{repo}", f"uv tool install git+{repo}",
                        f"uvx --from git+{repo} heygen-studio serve"]
    # A second install, to add the render extra: pipx leaves an installed package as it is unless --force.
    spec = f'"heygen-studio[render] @ git+{repo}"'
    said = " ".join(section.split())
    assert f"`pipx install {spec}`" in said and f"`pipx install --force {spec}`" in said
    assert "Installed already without it?" in said


def test_readme_client_entry_has_the_shape_config_prints(tmp_path: Path) -> None:
    import re

    shown = json.loads(re.findall(r"```json\n(.*?)```", readme_section("Use it from an MCP client"), re.S)[0])
    printed = json.loads(cli("config", "claude-desktop", env=env_for(tmp_path), cwd=tmp_path).stdout)
    a, b = shown["mcpServers"]["heygen"], printed["mcpServers"]["heygen"]
    assert list(a) == list(b) and a["args"] == b["args"] and list(a["env"]) == list(b["env"])
    assert a["env"]["HEYGEN_API_KEY"] == b["env"]["HEYGEN_API_KEY"]
    for client in (*JSON_CLIENTS, "claude-code"):
        assert f"heygen-studio config {client}" in readme_section("Use it from an MCP client")
