"""One route per kind of request (issue #18 §2): which tool answers which request, said once.

The server's instructions list these lines (those whose tool is enabled), SKILL.md's route table has the same
rows, and each route tool's description starts with ``For <when>:`` in the same words; ``tests/test_routes.py``
compares the three. Change a route here, then in SKILL.md and in the tool's docstring.

No imports from the rest of the package: the server reads this module at start-up.
"""

from __future__ import annotations

# (when the user has…, the tool to use), in the order the instructions and SKILL.md list them
ROUTES: tuple[tuple[str, str], ...] = (
    ("a topic, when the user just wants the finished file", "produce_video"),
    ("a brief that Video Agent should write, cast and edit (an ad, a promo)", "create_agent_video"),
    ("one presenter saying exact words, or a photo to make talk", "create_avatar_video"),
    ("exact words in scenes, each with its own presenter, voice or background", "create_studio_video"),
    ("a finished video in other languages", "translate_video"),
    ("words as audio, no video", "create_speech"),
    ("a video made earlier, to find and download again", "list_videos"),
    ("many videos at once (a series over topics, or a list)", "produce_videos"),
    ("a HeyGen template to fill in", "create_template_video"),
    ("a finished video that should say something else", "create_lipsync"),
    ("a photo of a person to reuse as a presenter", "create_photo_avatar"),
    ("footage of a person, or a description, to make an avatar", "create_avatar"),
    ("a new voice from a description", "design_voice"),
    ("a voice cloned from a recording", "clone_voice"),
)


def lead(tool: str) -> str | None:
    """How a route tool's description begins: ``For <when>:``."""
    return next((f"For {when}:" for when, name in ROUTES if name == tool), None)


def lines(listed: set[str] | frozenset[str]) -> str:
    """The instructions' route lines, for the tools ``listed``."""
    return "\n".join(f"- {when} → {tool}" for when, tool in ROUTES if tool in listed)
