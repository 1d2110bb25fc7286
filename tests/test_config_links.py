"""``config <client> --write`` cannot be turned against the user (issue #14 §3): a cloned repository's
``.vscode`` (or its ``mcp.json``) that links outside the project is refused, naming where it leads; a backup
is never written through a link planted at its name.

The real ``heygen-studio config … --write`` in a subprocess, in a temporary project, HOME a temporary folder.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from test_install import SECRET, cli, env_for

DOCKER = {"auths": {"registry.example": {"auth": "ZGV2OnNlY3JldA=="}}, "credsStore": "desktop"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(json.dumps(DOCKER))
    (home / ".ssh").mkdir(mode=0o700)
    (home / ".ssh" / "authorized_keys").write_text("ssh-ed25519 AAAA me@laptop\n")
    return home


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "cloned-repo"
    project.mkdir()
    return project


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_project_mcp_json_linking_into_home_is_refused_naming_where_it_leads(home: Path, project: Path) -> None:
    (project / ".vscode").mkdir()
    (project / ".vscode" / "mcp.json").symlink_to(home / ".docker" / "config.json")
    before = files_under(home)
    out = cli("config", "vscode", "--write", env=env_for(home), cwd=project)
    assert out.returncode == 1, out.stderr
    assert str(home / ".docker" / "config.json") in out.stderr and "outside this project" in out.stderr
    assert "Nothing was written" in out.stderr and "Traceback" not in out.stderr
    assert files_under(home) == before  # the Docker config is as it was, and no backup of it was made
    assert json.loads((home / ".docker" / "config.json").read_text()) == DOCKER
    assert sorted(p.name for p in (project / ".vscode").iterdir()) == ["mcp.json"]
    assert json.loads(out.stdout)["servers"]["heygen"]["type"] == "stdio"  # the entry to paste is printed


def test_a_project_vscode_folder_linking_to_ssh_is_refused(home: Path, project: Path) -> None:
    (project / ".vscode").symlink_to(home / ".ssh")
    out = cli("config", "vscode", "--write", env=env_for(home), cwd=project)
    assert out.returncode == 1, out.stderr
    assert str(home / ".ssh") in out.stderr and "outside this project" in out.stderr
    assert sorted(p.name for p in (home / ".ssh").iterdir()) == ["authorized_keys"]  # no ~/.ssh/mcp.json


def test_a_dangling_project_link_is_refused_and_creates_nothing(home: Path, project: Path, tmp_path: Path) -> None:
    (project / ".vscode").symlink_to(tmp_path / "nowhere" / "yet")
    out = cli("config", "vscode", "--write", env=env_for(home), cwd=project)
    assert out.returncode == 1 and str(tmp_path / "nowhere" / "yet") in out.stderr
    assert not (tmp_path / "nowhere").exists()


def test_a_link_loop_is_refused_plainly(home: Path, project: Path) -> None:
    (project / ".vscode").symlink_to(project / ".vscode")
    out = cli("config", "vscode", "--write", env=env_for(home), cwd=project)
    assert out.returncode == 1 and "Traceback" not in out.stderr and ".vscode" in out.stderr, out.stderr


def test_links_that_stay_inside_the_project_are_written_through(home: Path, project: Path) -> None:
    (project / "editor").mkdir()
    (project / "editor" / "mcp.json").write_text('{"servers": {}}')
    (project / ".vscode").symlink_to(project / "editor")
    out = cli("config", "vscode", "--sandbox", "--write", env=env_for(home), cwd=project)
    assert out.returncode == 0, out.stderr
    assert "heygen" in json.loads((project / "editor" / "mcp.json").read_text())["servers"]
    assert (project / ".vscode").is_symlink()


def test_a_link_planted_at_the_backup_name_is_never_followed(home: Path, tmp_path: Path) -> None:
    """Today's backup name is the file's name and the time to the second, and the copy follows a link there:
    a planted link sends a copy of the config, key and all, wherever it points. Links are planted at every
    name the old scheme could pick in the next minute; none may be written through."""
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir()
    original = {"mcpServers": {"heygen": {"command": "x", "env": {"HEYGEN_API_KEY": SECRET}}}}
    config.write_text(json.dumps(original))
    config.chmod(0o600)
    stolen = tmp_path / "stolen"
    stolen.mkdir()
    start = time.time()
    for second in range(60):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(start + second))
        for name in (f"mcp.json.{stamp}.bak", *(f"mcp.json.{stamp}-{n}.bak" for n in range(1, 3))):
            (config.parent / name).symlink_to(stolen / name)
    out = cli("config", "cursor", "--write", env=env_for(home), cwd=home)
    assert out.returncode == 0, out.stderr
    assert list(stolen.iterdir()) == []  # nothing was written through a link
    backups = [p for p in config.parent.glob("mcp.json.*.bak") if not p.is_symlink()]
    assert len(backups) == 1 and json.loads(backups[0].read_bytes()) == original
    assert str(backups[0]) in out.stderr
    info = os.lstat(backups[0])
    assert stat.S_ISREG(info.st_mode) and info.st_mode & 0o777 == 0o600  # it holds the key: yours alone
    assert json.loads(config.read_text())["mcpServers"]["heygen"]["env"]["HEYGEN_API_KEY"] == SECRET
    assert SECRET not in out.stdout + out.stderr


def test_backup_names_are_not_predictable(home: Path) -> None:
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir()
    names = set()
    for n in range(3):
        config.write_text(json.dumps({"mcpServers": {}, "run": n}))
        out = cli("config", "cursor", "--sandbox", "--write", env=env_for(home), cwd=home)
        assert out.returncode == 0, out.stderr
        names |= {p.name for p in config.parent.glob("mcp.json.*.bak")}
    assert len(names) == 3
    # the time to the second, then a random part: nobody can plant a link at a name before it exists
    assert all(len(name.split(".")[2].split("-")[-1]) >= 12 for name in names), names
