"""Where the bundled docs live: ``SKILL.md``, ``references/*.md`` and ``prompts/``.

An installed wheel carries them inside the package (``heygen_studio/_docs``); a source checkout
(editable install) reads them from the repository root. Both are the same files.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path


def docs_root() -> Traversable:
    packaged = files("heygen_studio").joinpath("_docs")
    if packaged.joinpath("SKILL.md").is_file():
        return packaged
    return Path(__file__).resolve().parents[2]
