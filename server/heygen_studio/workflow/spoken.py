"""The words a ``produce_video`` call has spoken, as its answer shows them.

A model checks the script, or reuses it (a translation voiced again passes it back as ``script``), only if
the answer shows it. A short script is shown whole; a long one by its first lines and
``heygen://scripts/{key}``, which reads all of it: the key is the call's (the brief's hash, as in the job
store), and the script comes from the job store, or from the dry run that drafted it. A light module: the
MCP adapter registers the resource at start-up (``tools/spoken.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tenant import Tenant

SCRIPTS = "heygen://scripts/"
SHOWN_MAX = 1500  # characters shown whole in an answer
HEAD_MAX = 600  # of a longer script: its first lines up to about this many characters
KEY = re.compile(r"[0-9a-f]{40}")


def spoken(script: Mapping[str, Any]) -> str:
    """The words of a script (``core.scripts.Script`` as JSON), one paragraph per scene: passed back as
    ``produce_video(script=…)``, it makes the same scenes."""
    return "\n\n".join(str(scene.get("text") or "") for scene in script.get("scenes") or ())


def shown(words: str, key: str) -> tuple[str, str | None]:
    """What an answer shows of ``words``, and the resource URI of the whole when it shows only a part."""
    if len(words) <= SHOWN_MAX:
        return words, None
    head = ""
    for line in words.splitlines(keepends=True):
        if head and len(head) + len(line) > HEAD_MAX:
            break
        head += line
    if len(head) > HEAD_MAX:  # one long paragraph: cut at a word
        head = head[:HEAD_MAX].rsplit(" ", 1)[0]
    return f"{head.rstrip()} …", SCRIPTS + key.removeprefix("produce:")


def script_of(state: Tenant, key: str) -> Mapping[str, Any] | None:
    """The script of produce call ``key`` (its hash, as in ``script_uri``): journaled, or drafted by a dry run."""
    record = state.jobs.find(f"produce:{key}")
    script = record.get("script") if record is not None else None
    if not script:
        script = state.cache.get(("produce-script", f"produce:{key}"))  # drafted by a dry run, not yet journaled
    return script if isinstance(script, Mapping) else None
