"""Build the Agent Plugins 1.0.0 bundle: a ``heygen-studio/`` plugin folder for any client of that format.

    python packaging/agent-plugins/build.py OUT_DIR     # writes OUT_DIR/heygen-studio/ and prints its path

Agent Plugins (https://github.com/agentplugins/agent-plugins-spec, ``spec/1.0.0.md``) is a vendor-neutral
folder format: ``plugin.json`` (the manifest) at the root, one folder per Agent Skill under ``skills/`` (named
as the skill's ``name``), and ``mcp.json`` declaring MCP servers. The manifest and ``mcp.json`` live here; the
skill is assembled from the repository's own ``SKILL.md`` and ``references/`` (the files the wheel and the MCPB
bundle ship), so there is one copy of the docs. The bundle's layout:

    heygen-studio/
    ├── plugin.json
    ├── mcp.json                      the stdio server: `heygen-studio serve`, working in ${PLUGIN_DATA}
    ├── skills/heygen-studio/SKILL.md
    ├── skills/heygen-studio/references/*.md
    ├── README.md                     how to install the command and give it a key
    └── LICENSE

``mcp.json`` runs the installed ``heygen-studio`` command (a bare command, found on PATH as the spec allows: the
bundle ships no executable of its own) in the plugin's data folder, so the server reads ``.env`` there (the
key, or HEYGEN_SANDBOX=1) and saves videos there unless HEYGEN_OUTPUT_DIR says where.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NAME = "heygen-studio"  # plugin.json's name: the bundle's folder


def skill_name(skill_md: Path) -> str:
    """The ``name`` in SKILL.md's front matter: the skill's folder must be named so (Agent Skills)."""
    match = re.match(r"^---\n(.*?)\n---\n", skill_md.read_text(encoding="utf-8"), re.S)
    found = re.search(r"^name:\s*(\S+)\s*$", match.group(1) if match else "", re.M)
    if found is None:
        raise SystemExit(f"{skill_md} has no 'name:' in its front matter")
    return found.group(1).strip("'\"")


def build(out_dir: Path) -> Path:
    """Write ``out_dir/heygen-studio/`` (replacing an earlier build there; any other folder is left alone)."""
    plugin = out_dir / NAME
    if plugin.exists():
        if not (plugin / "plugin.json").is_file():
            raise SystemExit(f"{plugin} exists and is not an earlier build (no plugin.json): choose another folder")
        shutil.rmtree(plugin)
    skill = plugin / "skills" / skill_name(ROOT / "SKILL.md")
    skill.mkdir(parents=True)
    for name in ("plugin.json", "mcp.json", "README.md"):
        shutil.copyfile(HERE / name, plugin / name)
    shutil.copyfile(ROOT / "LICENSE", plugin / "LICENSE")
    shutil.copyfile(ROOT / "SKILL.md", skill / "SKILL.md")
    shutil.copytree(ROOT / "references", skill / "references", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return plugin


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(build(Path(sys.argv[1])))
