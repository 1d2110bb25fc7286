"""Build the MCPB bundle (``heygen-studio-<version>.mcpb``) for Claude Desktop's one-click install.

    python packaging/mcpb/pack.py OUT_DIR [MCPB_COMMAND...]     # default command: npx -y @anthropic-ai/mcpb

The bundle is a ``uv`` bundle: the project's source (pyproject.toml, server/, the docs the wheel ships) with
``manifest.json`` at its root; the host runs ``uv run --directory <bundle> heygen-studio serve``, which installs
the dependencies from pyproject.toml on first start. The manifest lives here, not at the repository root,
because ``server/heygen_studio/tools/manifest.json`` is a different file (the tool list ``tools/list`` serves).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "SKILL.md", "references", "prompts", "server/heygen_studio")


def stage(into: Path) -> Path:
    """Copy what the bundle holds into ``into`` (caches and bytecode left out)."""
    for name in SOURCES:
        src = ROOT / name
        dst = into / name
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    shutil.copy2(HERE / "manifest.json", into / "manifest.json")
    return into


def pack(out_dir: Path, mcpb: list[str]) -> Path:
    import json

    version = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))["version"]
    out = out_dir / f"heygen-studio-{version}.mcpb"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        staged = stage(Path(tmp) / "heygen-studio")
        subprocess.run([*mcpb, "pack", str(staged), str(out)], check=True)
    return out


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(pack(Path(sys.argv[1]), sys.argv[2:] or ["npx", "-y", "@anthropic-ai/mcpb"]))
