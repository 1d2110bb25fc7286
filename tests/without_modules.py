"""A child process's environment in which some installed modules cannot be imported, as if not installed.

``hide(env, folder, "av", "PIL")`` writes a ``sitecustomize.py`` naming those modules into ``folder`` and puts
that folder first on the child's PYTHONPATH (keeping what was there): at start-up it adds an import finder that
refuses them and their submodules with ``ModuleNotFoundError``, as Python does for a package that is not
installed. A process the child starts with PYTHONPATH passed on (``demo`` starts its server so) sees the same.
"""

from __future__ import annotations

import os
from pathlib import Path

HOOK = '''
import sys

class _Hidden:
    """Refuses these modules: as if they were not installed."""
    names = NAMES

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Hidden())
'''


def hide(env: dict[str, str], folder: Path, *modules: str) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(HOOK.replace("NAMES", repr(modules)), encoding="utf-8")
    before = env.get("PYTHONPATH")
    return {**env, "PYTHONPATH": os.pathsep.join([str(folder), *([before] if before else [])])}
