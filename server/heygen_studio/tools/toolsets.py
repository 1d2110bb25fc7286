"""Named toolsets: a small default surface, more on request (``HEYGEN_TOOLSETS``), as GitHub's MCP server does.

Every tool belongs to exactly one set, in ``TOOLSETS`` below: **a new tool goes in that table** (a test fails,
naming it, for a tool that is registered but not in the table, or in the table but not registered). ``default``
holds what people ask for most (find an avatar and a voice, the create routes, translation, speech audio, an old
video, wait, download, jobs, account, docs); the others are opt-in. ``HEYGEN_TOOLSETS`` is a comma-separated list
of set names (``default`` is always among them: the workflow's wait and download serve every other set), or
``all``. Sets not enabled are not listed: the instructions name each of their tools with one line from
``SUMMARIES``, and calling one answers which set holds it, how to enable it, and the arguments it takes (so a
model that never saw its schema calls it right after the restart).

No imports from the rest of the package: settings read this module at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DEFAULT = "default"
ALL = "all"

# What each set is for, in the order the docs list them. A set may be empty until its tools land.
SETS: dict[str, str] = {
    DEFAULT: "the everyday workflow: find an avatar and a voice, create, translate, speech, wait, download, jobs, "
             "account, docs",
    "agent": "Video Agent session management and styles",
    "videos": "the account's video library: look up, delete",
    "avatars": "avatar details, photo avatars and looks",
    "voices": "voice design and cloning",
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
    "translate_video": DEFAULT,  # among the most common requests (issue #18 §1)
    "create_speech": DEFAULT,
    "list_videos": DEFAULT,  # find an old video again, then download_video
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
    "delete_video": "videos",
    # avatars
    "get_avatar": "avatars",
    "create_photo_avatar": "avatars",
    "create_avatar_look": "avatars",
    "create_avatar": "avatars",
    "manage_avatar": "avatars",
    # voices
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

# What each tool outside the default set does, in one line: the instructions list them when their set is not enabled.
SUMMARIES: dict[str, str] = {
    "stop_agent_session": "stop a running Video Agent session",
    "list_agent_styles": "visual styles for Video Agent",
    "get_video": "one video's status and fresh links",
    "delete_video": "delete a video at HeyGen",
    "get_avatar": "one avatar look or group, in detail",
    "create_photo_avatar": "a reusable avatar from a photo (with consent)",
    "create_avatar_look": "a new look of an avatar, from a prompt",
    "create_avatar": "an avatar from a photo, footage or a description",
    "manage_avatar": "rename or delete your avatars",
    "design_voice": "voices that match a description",
    "clone_voice": "a voice cloned from a recording",
    "upload_asset": "upload a file; returns an asset_id",
    "list_assets": "your uploads",
    "delete_asset": "delete an upload",
    "list_templates": "your HeyGen templates",
    "create_template_video": "a video from a template's variables",
    "get_translation": "a translation's status and link",
    "create_lipsync": "new speech on a finished video, lips in sync",
    "produce_videos": "many videos in one call (a series, languages, a list)",
    "list_webhooks": "your webhook endpoints",
    "add_webhook": "register a webhook endpoint",
    "delete_webhook": "remove a webhook endpoint",
}

# A listed tool that does the job of a hidden one without a restart, where there is one.
INSTEAD: dict[str, str] = {
    "get_video": "wait_for_job(job_id) reports a video's status, and download_video(job_id) saves it",
    "get_translation": "wait_for_job(job_id) reports a translation's status, and download_video(job_id) saves it",
    "create_photo_avatar": "to make a photo talk once, create_avatar_video(image=…) takes it as it is",
    "produce_videos": "produce_video makes one video per call",
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


def not_enabled_message(tool: str, enabled: Iterable[str], arguments: str | None = None) -> str:
    """What calling a tool whose set is not enabled answers: the set, how to enable it, what to use meanwhile, and
    (``arguments``, from its listed schema) the arguments it takes, so the call after the restart is right."""
    group = TOOLSETS[tool]
    instead = f" Meanwhile, {INSTEAD[tool]}." if tool in INSTEAD else ""
    takes = f" Once enabled, {tool} takes: {arguments}." if arguments is not None else ""
    return (f"Tool '{tool}' is in the '{group}' toolset, which this server does not enable. Ask the user to set "
            f"{enable_hint([group], enabled)} (or HEYGEN_TOOLSETS=all) in the server's environment and restart it. "
            f"Nothing was sent or charged.{instead}{takes}")


def hidden_note(text: str, enabled: Iterable[str]) -> str | None:
    """For a listed tool's error that names tools whose sets are not enabled: which sets hold them, how to add
    them (a step the model can act on, rather than a call that is refused)."""
    on = set(enabled)
    named = [tool for tool in re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text) if TOOLSETS.get(tool, DEFAULT) not in on]
    if not named:
        return None
    tools = list(dict.fromkeys(named))
    sets = list(dict.fromkeys(TOOLSETS[tool] for tool in tools))
    where = "; ".join(f"{tool} is in the '{TOOLSETS[tool]}' toolset" for tool in tools)
    return (f"({where}, not enabled here: the user adds {'it' if len(sets) == 1 else 'them'} with "
            f"{enable_hint(sets, on)} and restarts the server.)")


def others(enabled: Iterable[str], tools: Iterable[str]) -> dict[str, list[str]]:
    """Sets not enabled → their tools among ``tools`` (the registered ones), in ``SETS`` order."""
    on = set(enabled)
    found: dict[str, list[str]] = {}
    for tool in tools:
        group = TOOLSETS.get(tool)
        if group is not None and group not in on:
            found.setdefault(group, []).append(tool)
    return {group: found[group] for group in SETS if group in found}
