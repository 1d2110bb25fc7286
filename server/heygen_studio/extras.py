"""The ``render`` extra: what this install lacks of it, and the one command that adds it here.

Without PyAV or Pillow every sandbox video is the bundled 2-second 320×180 sample clip; without eSpeak NG
(``espeakng-loader``) sandbox videos are rendered but silent (``sandbox/render.py``). ``demo`` and ``doctor``
say so, with ``install_command()``: the command for the environment this interpreter runs in (a pipx venv, a
uv-made one, or any other with pip), installing the extra's requirements as this install's metadata lists them.
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "heygen-studio"
# (module, distribution), as pyproject.toml's ``render`` extra lists them: used when no metadata is installed
VIDEO = (("av", "av>=14"), ("PIL", "pillow>=10.1"))
SPEECH = (("espeakng_loader", "espeakng-loader>=0.2.4"),)
SAMPLE_CLIP = "the sandbox's 2-second 320×180 sample clip"
_EXTRA = re.compile(r"""\bextra\s*==\s*["']render["']""")


def _absent(modules: tuple[tuple[str, str], ...]) -> str | None:
    """The first module that cannot be imported (imported, as the sandbox does: a broken install counts)."""
    for module, _ in modules:
        try:
            importlib.import_module(module)
        except (ImportError, OSError):
            return module
    return None


def video_missing() -> str | None:
    """The module whose absence makes every sandbox video the sample clip (``av`` or ``PIL``), else None."""
    return _absent(VIDEO)


def speech_missing() -> str | None:
    """``espeakng_loader`` when sandbox videos would be silent, else None."""
    return _absent(SPEECH)


def requirements() -> list[str]:
    """The ``render`` extra's requirements (``av>=14``, …) from this install's metadata, sorted."""
    try:
        listed = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        listed = []
    found = [line.partition(";")[0].strip() for line in listed if _EXTRA.search(line.partition(";")[2])]
    return sorted(found or [requirement for _, requirement in VIDEO + SPEECH])


def _installer() -> str:
    try:
        return (metadata.distribution(DISTRIBUTION).read_text("INSTALLER") or "").strip()
    except metadata.PackageNotFoundError:
        return ""


def _join(words: list[str]) -> str:
    return subprocess.list2cmdline(words) if os.name == "nt" else shlex.join(words)


def install_command() -> str:
    """The one command that installs the render extra into the environment this interpreter runs in."""
    wanted = requirements()
    prefix = Path(sys.prefix)
    if prefix.parent.name == "venvs" and any("pipx" in part for part in prefix.parts):
        return _join(["pipx", "inject", prefix.name, *wanted])  # pipx's own way to add packages to its venv
    if _installer() == "uv":  # uv tool, uvx and uv venvs hold no pip
        return _join(["uv", "pip", "install", "--python", sys.executable, *wanted])
    return _join([sys.executable, "-m", "pip", "install", *wanted])
