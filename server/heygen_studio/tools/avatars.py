"""Avatar tools: find avatars (looks and groups), create every kind v3 offers, rename and delete your looks.

The MCP side: signatures, argument descriptions, annotations; the work is ``workflow.avatars``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import ListRoots, Resolve
from mcp.types import ListRootsResult
from pydantic import Field

from ..core.costs import Spend
from ..core.models import (
    MAX_PROMPT_AVATAR_CHARS,
)
from ..workflow import avatars as avatars_flow
from ..workflow.outputs import AvatarChange, AvatarInfo, AvatarList, PhotoAvatarJob
from .common import (
    DESTRUCTIVE,
    PAID,
    READ_ONLY,
    AppState,
    Context,
    PhotoRoots,
    needs_roots,
    paid,
    reports_errors,
    who,
)
from .fields import Id, Limit, NextToken, Source


def _avatar_roots(ctx: Context[AppState], file: str | None = None,
                  reference_images: list[str] | None = None) -> ListRoots | None:
    return needs_roots(ctx, [file, *(reference_images or [])])


@reports_errors
async def list_avatars(
    ctx: Context[AppState],
    kind: Annotated[Literal["looks", "groups"], Field(description="looks (usable as avatar_id) or groups.")] = "looks",
    ownership: Annotated[Literal["public", "private"] | None, Field(description="HeyGen's or your own.")] = None,
    avatar_type: Literal["studio_avatar", "digital_twin", "photo_avatar"] | None = None,
    group_id: Annotated[Id | None, Field(description="Only looks of this group.")] = None,
    name: Annotated[str | None, Field(max_length=80, description="Case-insensitive name search.")] = None,
    limit: Limit = 10,
    next_token: NextToken = None,
) -> AvatarList:
    """Find avatars: compact rows of looks (id = avatar_id for videos) or groups."""
    return await avatars_flow.list_avatars(who(ctx), kind=kind, ownership=ownership, avatar_type=avatar_type,
                                           group_id=group_id, name=name, limit=limit, next_token=next_token)


@reports_errors
async def get_avatar(
    ctx: Context[AppState],
    avatar_id: Annotated[Id, Field(description="A look id or a group id.")],
) -> AvatarInfo:
    """Details and status of one avatar look, or of a group with its looks."""
    return await avatars_flow.get_avatar(who(ctx), avatar_id=avatar_id)


@paid
@reports_errors
async def create_photo_avatar(
    ctx: Context[AppState],
    photo: Annotated[Source, Field(description="A local image path, an http(s) URL, or an asset id.")],
    name: Annotated[str, Field(min_length=1, max_length=100, description="Name of the avatar.")],
    group_id: Annotated[Id | None, Field(description="Add the photo as a new look of this existing group.")] = None,
    roots: PhotoRoots = None,
    *,
    spend: Spend,
) -> PhotoAvatarJob:
    """For a photo of a person to reuse as a presenter: a photo avatar (or a new look in a group); returns the
    consent link if needed. Paid; the same photo again costs nothing and returns the same avatar."""
    return await avatars_flow.create_photo_avatar(who(ctx, spend, roots), photo=photo, name=name, group_id=group_id)


@paid
@reports_errors
async def create_avatar(
    ctx: Context[AppState],
    kind: Annotated[Literal["photo", "digital_twin", "prompt"],
                    Field(description="digital_twin: from video footage; prompt: from a description.")],
    name: Annotated[str, Field(min_length=1, max_length=100)],
    file: Annotated[Source | None, Field(description="photo/digital_twin: local path, URL or asset id.")] = None,
    prompt: Annotated[str | None, Field(min_length=1, max_length=MAX_PROMPT_AVATAR_CHARS,
                                        description="prompt: how the avatar looks.")] = None,
    reference_images: Annotated[list[Source] | None, Field(max_length=3, description="prompt: ≤3 images.")] = None,
    group_id: Annotated[Id | None, Field(description="Add as a new look of this group.")] = None,
    roots: Annotated[ListRootsResult | None, Resolve(_avatar_roots)] = None,
    *,
    spend: Spend,
) -> PhotoAvatarJob:
    """For footage of a person, or a description, to make an avatar: any kind; returns a look job_id
    (+ consent_url if needed). Paid (~$1); the same inputs again are free."""
    return await avatars_flow.create_avatar(who(ctx, spend, roots), kind=kind, name=name, file=file, prompt=prompt,
                                            reference_images=reference_images, group_id=group_id)


@paid
@reports_errors
async def create_avatar_look(
    ctx: Context[AppState],
    avatar_id: Annotated[Id, Field(description="An existing look to base the new look on (same person).")],
    prompt: Annotated[str, Field(min_length=1, max_length=MAX_PROMPT_AVATAR_CHARS,
                                 description="What changes: outfit, setting, pose, style.")],
    name: Annotated[str, Field(min_length=1, max_length=100)] = "New look",
    *,
    spend: Spend,
) -> PhotoAvatarJob:
    """New look of an existing avatar from a text prompt (same group). Paid."""
    return await avatars_flow.create_avatar_look(who(ctx, spend), avatar_id=avatar_id, prompt=prompt, name=name)


@reports_errors
async def manage_avatar(
    ctx: Context[AppState],
    avatar_id: Annotated[Id, Field(description="One of your looks (or, to delete, a group).")],
    action: Literal["rename", "delete"],
    name: Annotated[str | None, Field(min_length=1, max_length=100, description="The new name (rename).")] = None,
) -> AvatarChange:
    """Rename or delete one of your avatar looks, or delete a whole group."""
    return await avatars_flow.manage_avatar(who(ctx), avatar_id=avatar_id, action=action, name=name)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(list_avatars)
    mcp.tool(annotations=READ_ONLY)(get_avatar)
    mcp.tool(annotations=PAID)(create_photo_avatar)
    mcp.tool(annotations=PAID)(create_avatar_look)
    mcp.tool(annotations=PAID)(create_avatar)
    mcp.tool(annotations=DESTRUCTIVE)(manage_avatar)
