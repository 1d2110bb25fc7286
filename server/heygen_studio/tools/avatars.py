"""Photo avatars and looks (v3): create from a photo, add prompt looks, handle consent.

v3 creates a photo avatar (group + first look) in one call; there is no separate training or
"add motion" step any more (motion is ``motion_prompt`` / ``expressiveness`` on each video).
The same photo is never paid for twice: the photo's content hash keys the job journal, and a
repeated call returns the recorded look (with a fresh consent link if one is needed).
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..core.errors import APIStatusError
from ..core.models import MAX_PROMPT_AVATAR_CHARS, AssetRef, AssetUrl, CreatePhotoAvatar, CreatePromptAvatar
from ..core.transfer import upload_file
from . import catalog
from .common import PAID, AppState, app, check_id, confine_input, reports_errors
from .jobs import make_job_id
from .outputs import PhotoAvatarJob


async def _consent_url(state: AppState, group_id: str | None) -> str | None:
    if not group_id:
        return None
    try:
        return (await state.client.avatars.consent(group_id)).url
    except APIStatusError:
        return None  # not needed, or not yet possible; wait_for_job shows pending_consent when it is


async def _job(state: AppState, look_id: str, group_id: str | None, *, replayed: bool) -> PhotoAvatarJob:
    look = await state.client.avatars.get_look(look_id)
    group_id = group_id or look.group_id
    status = look.status or "completed"
    job_id = make_job_id("look", look_id)
    consent = None
    if status in ("pending_consent", "processing"):
        consent = await _consent_url(state, group_id)
    if status == "pending_consent" or consent:
        step = (f"Ask the person in the photo to open consent_url and approve, then wait_for_job('{job_id}')."
                if consent else "Consent is needed: call create_photo_avatar again shortly for the link.")
    elif status == "completed":
        step = f"Ready: create_avatar_video(avatar_id='{look_id}', ...)."
    elif status == "failed":
        step = "Creation failed; try a clearer, front-facing photo (a new photo is charged again)."
    else:
        step = f"Processing; call wait_for_job('{job_id}')."
    return PhotoAvatarJob(job_id=job_id, look_id=look_id, group_id=group_id, status=status, consent_url=consent,
                          replayed=replayed, next_step=step)


@reports_errors
async def create_photo_avatar(
    ctx: Context,
    photo: Annotated[str, Field(description="A local image path, an http(s) URL, or an asset id.")],
    name: Annotated[str, Field(min_length=1, max_length=100, description="Name of the avatar.")],
    group_id: Annotated[str | None, Field(description="Add the photo as a new look of this existing group.")] = None,
) -> PhotoAvatarJob:
    """Photo avatar (or a new look in a group) from one photo; returns the consent link if needed.
    Paid (~$1); the same photo again costs nothing and returns the same avatar."""
    state = app(ctx)
    if group_id:
        check_id(group_id, "group_id")
    local = None
    if photo.startswith(("http://", "https://")):
        fingerprint = hashlib.sha256(photo.encode()).hexdigest()
        source: AssetUrl | AssetRef = AssetUrl(url=photo)
    elif "/" in photo or "\\" in photo or "." in photo:
        local = confine_input(state.settings, photo)
        digest = hashlib.sha256()
        with local.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        fingerprint = digest.hexdigest()
        source = AssetRef(asset_id="pending")
    else:
        fingerprint = check_id(photo, "asset id")
        source = AssetRef(asset_id=fingerprint)
    key = f"photo-avatar:{fingerprint}:{group_id or ''}"
    previous = state.journal.find_by_key(key)
    if previous is not None:
        return await _job(state, previous["job_id"], previous.get("group_id"), replayed=True)
    if local is not None:
        uploaded = await upload_file(state.client, local)
        if not uploaded.mime_type.startswith("image/"):
            raise ToolError(f"{local.name} is {uploaded.mime_type}, not an image; give a JPEG or PNG photo.")
        source = AssetRef(asset_id=uploaded.asset_id)
    created = await state.client.avatars.create(
        CreatePhotoAvatar(name=name, file=source, avatar_group_id=group_id), request_key=key)
    look_id = (created.avatar_item or {}).get("id")
    new_group = (created.avatar_group or {}).get("id") or group_id
    if not look_id:
        raise ToolError("HeyGen accepted the photo but returned no look id; check get_avatar on the group "
                        f"{new_group} before trying again.")
    state.journal.record(kind="look", job_id=look_id, key=key, title=name, group_id=new_group)
    return await _job(state, look_id, new_group, replayed=False)


@reports_errors
async def create_avatar_look(
    ctx: Context,
    avatar_id: Annotated[str, Field(description="An existing look to base the new look on (same person).")],
    prompt: Annotated[str, Field(min_length=1, max_length=MAX_PROMPT_AVATAR_CHARS,
                                 description="What changes: outfit, setting, pose, style.")],
    name: Annotated[str, Field(min_length=1, max_length=100)] = "New look",
) -> PhotoAvatarJob:
    """New look of an existing avatar from a text prompt (same group). Paid (~$1)."""
    state = app(ctx)
    base = await catalog.require_look(state, avatar_id)
    created = await state.client.avatars.create(
        CreatePromptAvatar(name=name, prompt=prompt, avatar_id=base.id, avatar_group_id=base.group_id))
    look_id = (created.avatar_item or {}).get("id")
    if not look_id:
        raise ToolError(f"HeyGen returned no look id; check get_avatar('{base.group_id or base.id}').")
    return await _job(state, look_id, base.group_id, replayed=False)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=PAID)(create_photo_avatar)
    mcp.tool(annotations=PAID)(create_avatar_look)
