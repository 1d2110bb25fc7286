"""The Agent Plugins bundle (issue #15 §4): ``packaging/agent-plugins/build.py`` builds a ``heygen-studio/``
plugin folder in the vendor-neutral Agent Plugins 1.0.0 format, from the repository's own SKILL.md and
references.

``plugin.json`` and ``mcp.json`` are validated against the specification's published JSON Schemas, vendored
byte for byte in ``tests/vendor/agent-plugins-spec/`` (from SPEC_REPOSITORY at SPEC_COMMIT, Agent Plugins
SPEC_VERSION; Apache-2.0, as that project licenses its schemas): the spec forbids a client to fetch a schema
while loading a plugin, and the tests run offline. The rules the schemas cannot express (``spec/1.0.0.md``
§4.1, §7.1, §7.2.1, §9, §10.1) are checked here too, the skill by the Agent Skills validator (``skills-ref``).
Then the server is started exactly as ``mcp.json`` declares it, the way the spec tells a client to (§7.2.1,
§9, §11.1): the bare command found by the platform's executable search, ``${PLUGIN_ROOT}`` and
``${PLUGIN_DATA}`` expanded once in ``args``, ``env`` and ``cwd`` only, the data folder created first, both
variables set in its environment; and a real MCP client uses it over stdio.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "packaging" / "agent-plugins" / "build.py"
SPEC_VERSION = "1.0.0"
SPEC_REPOSITORY = "https://github.com/agentplugins/agent-plugins-spec"
SPEC_COMMIT = "bd383552095128f6effe895b9257cfd580a6d179"  # 2026-08-06; the schemas last changed in d92e6f4
SCHEMAS = ROOT / "tests" / "vendor" / "agent-plugins-spec" / "schemas" / SPEC_VERSION
SCHEMA_SHA256 = {  # the files as published at SPEC_COMMIT: a local edit fails here, not silently
    "plugin.schema.json": "0a4aad95ce337878ad38802ebf0daa3fde76abe3f65400c86bcbb1ec0b3ab883",
    "mcp.schema.json": "6539175bfcdf43085855183e86da40ea94b166547a72b47ae9a0a390516d3acb",
}
PLACEHOLDER = re.compile(r"\$\{(PLUGIN_ROOT|PLUGIN_DATA)\}")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def errors(doc: Any, name: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema(name), format_checker=jsonschema.FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def build(out: Path) -> Path:
    done = subprocess.run([sys.executable, str(BUILD), str(out)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    plugin = Path(done.stdout.strip())
    assert plugin == out / "heygen-studio"
    return plugin


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("bundle"))


def load(plugin: Path, name: str) -> dict[str, Any]:
    return json.loads((plugin / name).read_text(encoding="utf-8"))


def front_matter_name(skill_md: Path) -> str:
    match = re.match(r"^---\n(.*?)\n---\n", skill_md.read_text(encoding="utf-8"), re.S)
    assert match, f"{skill_md} has no front matter"
    found = re.search(r"^name:\s*(\S+)\s*$", match.group(1), re.M)
    assert found, f"{skill_md} has no name"
    return found.group(1)


# -- the schemas -------------------------------------------------------------------------------------------
def test_the_vendored_schemas_are_the_published_ones() -> None:
    for name, digest in SCHEMA_SHA256.items():
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name
        assert schema(name)["$id"] == f"https://agent-plugins.org/schemas/{SPEC_VERSION}/{name}"
    notes = (SCHEMAS.parents[1] / "README.md").read_text(encoding="utf-8")
    assert SPEC_REPOSITORY in notes and SPEC_COMMIT in notes and "Apache License 2.0" in notes
    assert (SCHEMAS.parents[1] / "LICENSE-Apache-2.0.txt").read_text(encoding="utf-8").lstrip().startswith(
        "Apache License")


def test_plugin_json_and_mcp_json_are_valid_against_the_spec_schemas(plugin: Path) -> None:
    manifest, servers = load(plugin, "plugin.json"), load(plugin, "mcp.json")
    assert errors(manifest, "plugin.schema.json") == []
    assert errors(servers, "mcp.schema.json") == []
    assert manifest["$schema"] == schema("plugin.schema.json")["$id"]  # §5.2: the version the plugin targets
    assert servers["$schema"] == schema("mcp.schema.json")["$id"]  # §10.1: the same version as plugin.json
    assert manifest["name"] == PYPROJECT["project"]["name"] and plugin.name == manifest["name"]
    assert manifest["version"] == PYPROJECT["project"]["version"]
    assert manifest["repository"] == PYPROJECT["project"]["urls"]["Repository"]
    assert manifest["license"] == PYPROJECT["project"]["license"]


@pytest.mark.parametrize(("name", "change", "why"), [
    ("plugin.schema.json", {"name": "HeyGen Studio"}, "a name with capitals and a space"),
    ("plugin.schema.json", {"tools": []}, "a field the closed manifest does not define"),
    ("plugin.schema.json", {"$schema": "https://agent-plugins.org/schemas/0.9.0/plugin.schema.json"},
     "another version"),
    ("mcp.schema.json", {"cwd": "data"}, "a cwd that is not ./, ${PLUGIN_ROOT} or ${PLUGIN_DATA}-rooted"),
    ("mcp.schema.json", {"env": {"PLUGIN_DATA": "/tmp"}}, "the reserved PLUGIN_DATA in env"),
    ("mcp.schema.json", {"url": "https://example.com/mcp"}, "a field of another transport"),
])
def test_the_schemas_refuse_what_the_spec_refuses(plugin: Path, name: str, change: dict[str, Any],
                                                   why: str) -> None:
    """The validation is live: each of these breaks of the spec fails it."""
    if name == "plugin.schema.json":
        doc = {**load(plugin, "plugin.json"), **change}
    else:
        doc = load(plugin, "mcp.json")
        doc["mcpServers"]["heygen"] = {**doc["mcpServers"]["heygen"], **change}
    assert errors(doc, name), why


def test_what_the_schemas_cannot_check(plugin: Path) -> None:
    """§7.2.1: ``command`` is one executable token, bare or ``./``, never expanded (a bundled executable needs
    ``./``; this bundle ships none and runs the installed command); §9.2: no secrets in ``env``; §4.1: every
    file of the package stays inside it."""
    for name, server in load(plugin, "mcp.json")["mcpServers"].items():
        command = server["command"]
        assert command.strip() == command and not re.search(r"\s", command), f"{name}: not one token"
        assert "${" not in command, f"{name}: command is never expanded"
        if command.startswith("./"):
            target = (plugin / command).resolve()
            assert target.is_relative_to(plugin.resolve()) and os.access(target, os.X_OK), name
        else:
            assert "/" not in command and "\\" not in command, f"{name}: a path must start with ./"
        for value in [*server.get("args", []), *server.get("env", {}).values()]:
            assert "KEY" not in value.upper() and "TOKEN" not in value.upper(), f"{name}: a secret in the package"
        assert not set(server.get("env", {})) & {"HEYGEN_API_KEY", "DEEPSEEK_API_KEY", "HEYGEN_HTTP_TOKEN"}
    root = plugin.resolve()
    for path in plugin.rglob("*"):
        assert path.resolve().is_relative_to(root) and not path.is_symlink(), path


def test_the_skill_is_the_repositorys_own_skill_and_valid(plugin: Path) -> None:
    """§7.1: each immediate child of ``skills/`` with a SKILL.md is one skill, in the Agent Skills format, its
    folder named as its ``name``. It is the repository's SKILL.md and references/, byte for byte."""
    skills = [p.parent for p in (plugin / "skills").glob("*/SKILL.md")]
    assert [p.name for p in skills] == [front_matter_name(ROOT / "SKILL.md")] == ["heygen-studio"]
    skill = skills[0]
    assert front_matter_name(skill / "SKILL.md") == skill.name
    assert (skill / "SKILL.md").read_bytes() == (ROOT / "SKILL.md").read_bytes()
    shipped = sorted(p.relative_to(skill / "references") for p in (skill / "references").rglob("*") if p.is_file())
    source = sorted(p.relative_to(ROOT / "references") for p in (ROOT / "references").rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts)
    assert shipped == source and shipped
    assert all((skill / "references" / p).read_bytes() == (ROOT / "references" / p).read_bytes() for p in shipped)
    named = set(re.findall(r"references/([\w-]+\.md)", (skill / "SKILL.md").read_text(encoding="utf-8")))
    assert named and all((skill / "references" / n).is_file() for n in named)  # its links resolve in the bundle
    skills_ref = pytest.importorskip("skills_ref")
    assert skills_ref.validate(skill) == []
    assert (plugin / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()


def test_a_rebuild_replaces_the_bundle_and_another_folder_is_left_alone(tmp_path: Path) -> None:
    first = build(tmp_path)
    (first / "stale.txt").write_text("from an older build")
    assert not (build(tmp_path) / "stale.txt").exists()
    other = tmp_path / "elsewhere"
    (other / "heygen-studio").mkdir(parents=True)
    (other / "heygen-studio" / "mine.txt").write_text("not a build")
    done = subprocess.run([sys.executable, str(BUILD), str(other)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "not an earlier build" in done.stderr
    assert (other / "heygen-studio" / "mine.txt").read_text() == "not a build"


# -- the server, started as a client of the spec starts it -------------------------------------------------------
def launch(plugin: Path, data: Path, server: dict[str, Any], base: dict[str, str]) -> StdioServerParameters:
    """What a conformant client runs for a stdio entry of ``mcp.json`` (spec §7.2.1, §9.1, §9.2, §11.1)."""
    root = plugin.resolve()
    data.mkdir(parents=True, exist_ok=True)  # §9.1: the client creates PLUGIN_DATA before the launch
    values = {"PLUGIN_ROOT": str(root), "PLUGIN_DATA": str(data.resolve())}

    def expand(text: str) -> str:  # one pass, exact occurrences only, nothing else expanded
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)

    assert server["type"] == "stdio"
    command = server["command"]  # never expanded
    if command.startswith("./"):
        resolved = (root / command).resolve()
        assert resolved.is_relative_to(root)
    else:
        found = shutil.which(command, path=base["PATH"])  # the platform's executable search
        assert found, f"{command} is not on PATH"
        resolved = Path(found)
    cwd = Path(expand(server["cwd"])) if "cwd" in server else root
    if not cwd.is_absolute():
        cwd = (root / cwd).resolve()
    assert cwd.resolve().is_relative_to(root) or cwd.resolve().is_relative_to(data.resolve())
    env = {**base, **{k: expand(v) for k, v in server.get("env", {}).items()}, **values}
    return StdioServerParameters(command=str(resolved), args=[expand(a) for a in server.get("args", [])], env=env,
                                 cwd=str(cwd))


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_server_starts_as_mcp_json_declares_and_makes_a_video(plugin: Path, tmp_path: Path) -> None:
    """The person's setup as the bundle's README gives it: ``heygen-studio`` installed (here: this test's
    environment's command, on PATH), the sandbox chosen in ``.env`` in the plugin's data folder. The base
    environment has no HEYGEN_* variable: what the server knows comes from ``mcp.json`` and that folder."""
    data = tmp_path / "plugin-data" / "heygen-studio"
    data.mkdir(parents=True)
    (data / ".env").write_text("HEYGEN_SANDBOX=1\nHEYGEN_SANDBOX_RENDER_S=0.5\nHEYGEN_POLL_INTERVAL=0.1\n")
    base = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            "HOME": str(tmp_path / "home")}
    if "PYTHONPATH" in os.environ:  # the code under test, when it is not the installed copy
        base["PYTHONPATH"] = os.environ["PYTHONPATH"]
    [(name, server)] = load(plugin, "mcp.json")["mcpServers"].items()
    params = launch(plugin, data, server, base)
    before = snapshot(plugin)
    with open(os.devnull, "w") as quiet, anyio.fail_after(120):
        async with Client(stdio_client(params, errlog=quiet)) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            assert {"create_avatar_video", "wait_for_job", "download_video"} <= tools
            account = await client.call_tool("get_account", {})
            assert not account.is_error, account.content
            look = (await client.call_tool("list_avatars", {"limit": 1})).structured_content["items"][0]["id"]  # type: ignore[index]
            job = await client.call_tool("create_avatar_video", {"avatar_id": look, "script": "From a plugin."})
            assert not job.is_error and job.structured_content, job.content
            job_id = job.structured_content["job_id"]
            status: dict[str, Any] = {}
            while not status.get("done"):
                status = (await client.call_tool("wait_for_job", {"job_id": job_id, "max_wait_s": 20})
                          ).structured_content or {}
            saved = await client.call_tool("download_video", {"job_id": job_id, "filename": "plugin.mp4"})
            assert not saved.is_error, saved.content
    assert name == "heygen" and status["status"] == "completed"
    video = data.resolve() / "heygen-output" / "plugin.mp4"  # the default output folder, in PLUGIN_DATA
    assert saved.structured_content is not None and Path(saved.structured_content["path"]) == video
    assert video.read_bytes()[4:8] == b"ftyp"
    assert snapshot(plugin) == before, "the server wrote into the plugin's package"
