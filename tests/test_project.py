"""Project-level guarantees: layering, settings, CLI, README ↔ CI, and the installed wheel."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def test_domain_core_imports_nothing_from_mcp() -> None:
    code = ("import sys, heygen_studio.core.client, heygen_studio.core.transfer, heygen_studio.core.studio, "
            "heygen_studio.core.webhooks, heygen_studio.core.grants, heygen_studio.core.ratelimit, "
            "heygen_studio.settings; "
            "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith(('mcp.', 'openai'))))")
    out = run(sys.executable, "-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_tools_never_import_the_sandbox() -> None:
    """The adapter reaches the simulator only through ``Wiring`` (house.make_wiring), never by import."""
    code = ("import importlib, pkgutil, sys, heygen_studio.tools as t; "
            "names = [m.name for m in pkgutil.iter_modules(t.__path__)]; "
            "[importlib.import_module('heygen_studio.tools.' + n) for n in names]; "
            "print(len(names), sorted(m for m in sys.modules if m.startswith('heygen_studio.sandbox')))")
    out = run(sys.executable, "-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(" ", 1)[1].strip() == "[]" and int(out.stdout.split()[0]) >= 12
    tools = ROOT / "server" / "heygen_studio" / "tools"
    for source in tools.glob("*.py"):  # imports inside functions too, which the run above does not reach
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [f"{'.' * node.level}{node.module or ''}"]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            assert not any(n in ("..sandbox", "heygen_studio.sandbox") or n.startswith(("..sandbox.",
                           "heygen_studio.sandbox.")) for n in names), f"{source.name}:{node.lineno} imports {names}"


def test_bad_setting_stops_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "HEYGEN_TIMEOUT": "soon"}
    out = run(sys.executable, "-m", "heygen_studio", "serve", env=env, cwd=tmp_path)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert lines == ["heygen-studio: invalid configuration: HEYGEN_TIMEOUT: Input should be a valid number, "
                     "unable to parse string as a number"]


def test_a_key_with_a_trailing_newline_stops_start_up_without_echoing_it(tmp_path: Path) -> None:
    """Issue #8: a key pasted with a newline was sent, failed, and appeared in the error text."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEYGEN_")}
    env["HEYGEN_API_KEY"] = "sk-live-0123456789abcdef\n"
    out = run(sys.executable, "-m", "heygen_studio", "serve", env=env, cwd=tmp_path)
    assert out.returncode != 0 and "0123456789abcdef" not in out.stderr + out.stdout
    assert out.stderr.strip().splitlines() == [
        "heygen-studio: invalid configuration: HEYGEN_API_KEY: contains whitespace or control characters "
        "(a stray newline?); remove them"]


def test_settings_read_env_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from heygen_studio.settings import load_settings

    (tmp_path / ".env").write_text("HEYGEN_API_KEY=from-dotenv\nHEYGEN_MAX_RETRIES=5\n")
    monkeypatch.setenv("HEYGEN_ALLOWED_DIRS", os.pathsep.join(["/srv/a", "/srv/b"]))
    monkeypatch.setenv("HEYGEN_OUTPUT_DIR", str(tmp_path / "videos"))
    s = load_settings()
    assert s.api_key == "from-dotenv" and s.heygen_max_retries == 5
    assert s.heygen_allowed_dirs == [Path("/srv/a"), Path("/srv/b"), tmp_path / "videos"]
    assert "from-dotenv" not in repr(s) and "from-dotenv" not in str(s.model_dump())


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    try_it = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]  # from a fresh clone: demo, then tests
    blocks = re.findall(r"```bash\n(.*?)```", try_it, flags=re.S)
    commands = [line for block in blocks for line in block.strip().splitlines()]
    assert len(commands) == 2, commands
    demo, tests = commands
    assert demo.endswith("heygen-studio demo") and "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci


@pytest.mark.slow
def test_wheel_ships_the_docs_and_reads_them_installed(tmp_path: Path) -> None:
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT))
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("heygen_studio-*.whl"))
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    assert "heygen_studio/_docs/SKILL.md" in names
    assert any(n.startswith("heygen_studio/_docs/references/") and n.endswith(".md") for n in names)
    assert "heygen_studio/sandbox/media/sample.mp4" in names
    assert "heygen_studio/tools/manifest.json" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)  # the MIT text the metadata promises
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    installed = run(str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel))
    assert installed.returncode == 0, installed.stderr[-2000:]
    # Dependencies come from this test run's environment, through a plain path entry: that adds no
    # editable finder, so `heygen_studio` itself can only come from the installed wheel.
    site = next(env_dir.glob("lib/python*/site-packages"))
    deps = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "zz_deps.pth").write_text("\n".join(deps) + "\n")
    code = """
import json, anyio, heygen_studio
from heygen_studio.docs import docs_root
from heygen_studio.tools import registry
assert "site-packages" in heygen_studio.__file__, heygen_studio.__file__
assert registry.load_manifest() is not None  # the wheel ships a manifest this install can use
print(docs_root().joinpath("SKILL.md").read_text()[:40].replace(chr(10), " "))
from mcp import Client
from heygen_studio.server import create_server
from heygen_studio.settings import Settings
async def main():
    async with Client(create_server(Settings(_env_file=None))) as c:
        print((await c.read_resource("heygen://skill")).contents[0].text[:40].replace(chr(10), " "))
        print(sorted(p.name for p in (await c.list_prompts()).prompts))
anyio.run(main)
"""
    out = run(str(py), "-c", code, cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith("--- name: heygen-studio") and lines[1] == lines[0]
    assert "optimize_video_prompt" in lines[2]

    # The installed command itself, as pipx / uv tool would put it on PATH: version, doctor, a client entry.
    command = env_dir / "bin" / "heygen-studio"
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
    clean.update(HEYGEN_SANDBOX="1", HEYGEN_STATE_DIR=str(tmp_path / "state"), HEYGEN_OUTPUT_DIR=str(tmp_path / "out"))
    version = run(str(command), "--version", cwd=tmp_path, env=clean)
    assert version.returncode == 0 and version.stdout.strip() == f"heygen-studio {heygen_version()}", version.stderr
    doctor = run(str(command), "doctor", cwd=tmp_path, env=clean)
    assert doctor.returncode == 0 and doctor.stdout.splitlines()[-1] == "Ready.", doctor.stdout + doctor.stderr
    config = run(str(command), "config", "cursor", "--sandbox", cwd=tmp_path, env=clean)
    assert config.returncode == 0, config.stderr
    assert json.loads(config.stdout)["mcpServers"]["heygen"]["command"] == str(command)


def heygen_version() -> str:
    import tomllib

    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])
