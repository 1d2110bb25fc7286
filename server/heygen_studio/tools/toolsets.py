"""Named toolsets: a small default surface, more on request (``HEYGEN_TOOLSETS``), as GitHub's MCP server does.

Every tool belongs to exactly one set, in ``TOOLSETS`` below: **a new tool goes in that table** (a test fails,
naming it, for a tool that is registered but not in the table, or in the table but not registered). ``default``
holds the everyday workflow (find an avatar and a voice, the create routes, wait, download, jobs, account,
docs); the others are opt-in. ``HEYGEN_TOOLSETS`` is a comma-separated list of set names (``default`` is
always among them: the workflow's wait and download serve every other set), or ``all``. Sets not enabled are
not listed; calling one of their tools says which set holds it and how to enable it.

No imports from the rest of the package: settings read this module at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT = "default"
ALL = "all"

# What each set is for, in the order the docs list them. A set may be empty until its tools land.
SETS: dict[str, str] = {
    DEFAULT: "the everyday workflow: find an avatar and a voice, create, wait, download, jobs, account, docs",
    "agent": "Video Agent session management and styles",
    "videos": "the account's video library: look up, list, delete",
    "avatars": "avatar details, photo avatars and looks",
    "voices": "speech, voice design and cloning",
    "assets": "uploads: upload, list, delete",
    "templates": "HeyGen templates",
    "translation": "video translation",
    "lipsync": "new speech on an existing video",
    "batch": "many videos in one call",
    "webhooks": "webhook endpoints",
}

# tool name → its set. One row per tool; keep rows grouped by set.
TOOLSETS: dict[str, str] = {
    # default: the everyday workflow
    "list_avatars": DEFAULT,
    "list_voices": DEFAULT,
    "create_avatar_video": DEFAULT,
    "create_studio_video": DEFAULT,
    "create_agent_video": DEFAULT,
    "get_agent_session": DEFAULT,  # a chat-mode session's questions: the create route is unusable without them
    "reply_to_agent": DEFAULT,
    "write_script": DEFAULT,
    "produce_video": DEFAULT,
    "wait_for_job": DEFAULT,
    "download_video": DEFAULT,
    "list_jobs": DEFAULT,
    "get_account": DEFAULT,
    "read_reference": DEFAULT,
    # agent
    "stop_agent_session": "agent",
    "list_agent_styles": "agent",
    # videos
    "get_video": "videos",
    "list_videos": "videos",
    "delete_video": "videos",
    # avatars
    "get_avatar": "avatars",
    "create_photo_avatar": "avatars",
    "create_avatar_look": "avatars",
    "create_avatar": "avatars",
    "manage_avatar": "avatars",
    # voices
    "create_speech": "voices",
    "design_voice": "voices",
    "clone_voice": "voices",
    # assets
    "upload_asset": "assets",
    "list_assets": "assets",
    "delete_asset": "assets",
    # templates
    "list_templates": "templates",
    "create_template_video": "templates",
    # translation
    "translate_video": "translation",
    "get_translation": "translation",
    # lipsync
    "create_lipsync": "lipsync",
    # batch
    "produce_videos": "batch",
    # webhooks
    "list_webhooks": "webhooks",
    "add_webhook": "webhooks",
    "delete_webhook": "webhooks",
}


class UnknownToolset(ValueError):
    """A set name that is not in ``SETS``; ``str()`` names the valid ones."""


def parse(value: str | Iterable[str] | None) -> frozenset[str]:
    """The sets a ``HEYGEN_TOOLSETS`` value enables: always ``default``; every set for ``all``."""
    names = value.split(",") if isinstance(value, str) else list(value or ())
    wanted = {name.strip().lower() for name in names if name and name.strip()}
    unknown = sorted(wanted - SETS.keys() - {ALL})
    if unknown:
        raise UnknownToolset(f"unknown toolset {', '.join(map(repr, unknown))}; "
                             f"choose from {', '.join(SETS)} (comma-separated), or all")
    return frozenset(SETS) if ALL in wanted else frozenset(wanted | {DEFAULT})


def set_of(tool: str) -> str | None:
    return TOOLSETS.get(tool)


def enable_hint(sets: Iterable[str], enabled: Iterable[str]) -> str:
    """The HEYGEN_TOOLSETS value that adds ``sets`` to those ``enabled`` now."""
    have = [s for s in SETS if s in set(enabled) | set(sets)]
    return "HEYGEN_TOOLSETS=" + ",".join(have)


def not_enabled_message(tool: str, enabled: Iterable[str]) -> str:
    """What calling a tool whose set is not enabled answers."""
    group = TOOLSETS[tool]
    return (f"Tool '{tool}' is in the '{group}' toolset, which this server does not enable. Ask the user to set "
            f"{enable_hint([group], enabled)} (or HEYGEN_TOOLSETS=all) in the server's environment and restart it. "
            "Nothing was sent or charged.")


def others(enabled: Iterable[str], tools: Iterable[str]) -> dict[str, list[str]]:
    """Sets not enabled → their tools among ``tools`` (the registered ones), in ``SETS`` order."""
    on = set(enabled)
    found: dict[str, list[str]] = {}
    for tool in tools:
        group = TOOLSETS.get(tool)
        if group is not None and group not in on:
            found.setdefault(group, []).append(tool)
    return {group: found[group] for group in SETS if group in found}
