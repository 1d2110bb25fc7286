"""Avatar: find avatars (looks and groups); create every kind v3 offers (photo, digital twin,
prompt) with consent; rename and delete your looks.

v3 creates an avatar (group + first look) in one call; there is no separate training or
"add motion" step any more (motion is ``motion_prompt`` / ``expressiveness`` on each video).
The same photo or footage is never paid for twice: the file's content hash keys the job journal, and a
repeated call returns the recorded look (with a fresh consent link if one is needed). A prompt avatar is
replayed by HeyGen's Idempotency-Key (same body, same key), so it is paid once too.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from ..core import costs
from ..core.errors import APIStatusError, NotFoundError
from ..core.files import LocalFile
from ..core.models import (
    AssetInput,
    AssetRef,
    AssetUrl,
    AvatarGroup,
    AvatarLook,
    CreateDigitalTwin,
    CreatePhotoAvatar,
    CreatePromptAvatar,
    Page,
)
from ..core.transfer import upload_file
from . import catalog
from .assets import resolve_asset
from .errors import Refused
from .inputs import check_id, classify_source, confine_input, not_blank
from .jobs import make_job_id, next_step
from .outputs import AvatarChange, AvatarInfo, AvatarList, AvatarRow, PhotoAvatarJob
from .tenant import Tenant


async def _consent_url(state: Tenant, group_id: str | None) -> str | None:
    if not group_id:
        return None
    try:
        return (await state.client.avatars.consent(group_id)).url
    except APIStatusError:
        return None  # not needed, or not yet possible; wait_for_job shows pending_consent when it is


async def _job(state: Tenant, look_id: str, group_id: str | None, *, replayed: bool) -> PhotoAvatarJob:
    look = await state.client.avatars.get_look(look_id)
    group_id = group_id or look.group_id
    status = look.status or "completed"
    job_id = make_job_id("look", look_id)
    consent = None
    if status in ("pending_consent", "processing") and not costs.previewing(state.spend):  # a dry run asks for nothing
        consent = await _consent_url(state, group_id)
    return PhotoAvatarJob(job_id=job_id, look_id=look_id, group_id=group_id, status=status, consent_url=consent,
                          replayed=replayed, next_step=next_step("look", status, job_id, consent_url=bool(consent)))


def look_row(look: AvatarLook) -> AvatarRow:
    return AvatarRow(id=look.id, name=look.name, kind="look", type=look.avatar_type, gender=look.gender,
                     group_id=look.group_id, engines=look.supported_api_engines or None,
                     orientation=look.preferred_orientation,
                     default_voice_id=look.default_voice_id, status=look.status)


def group_row(group: AvatarGroup) -> AvatarRow:
    return AvatarRow(id=group.id, name=group.name, kind="group", gender=group.gender,
                     default_voice_id=group.default_voice_id, status=group.status, looks=group.looks_count)








# What each file-made kind is made from: the MIME family its file must have, and what to call it.
_FILE_KINDS: dict[str, tuple[str, str]] = {"photo": ("image/", "a JPEG or PNG photo"),
                                           "digital_twin": ("video/", "an MP4 or MOV video of the person")}


async def _file_avatar(state: Tenant, kind: Literal["photo", "digital_twin"], file: str, name: str,
                       group_id: str | None, *, arg: str = "file") -> PhotoAvatarJob:
    """A photo avatar or a digital twin from one file. The file's content hash (or its URL or asset id) keys
    the job journal, so the same file again returns the recorded look and pays nothing."""
    if classify_source(file, arg) != "path":
        return await _made_from(state, kind, file, name, group_id, None)
    # One descriptor from the check to the upload; hashed in a worker thread (a big file never blocks
    # the server), once: the upload reuses the digest.
    with confine_input(state, file) as local:
        return await _made_from(state, kind, file, name, group_id, local)


async def _made_from(state: Tenant, kind: Literal["photo", "digital_twin"], file: str, name: str,
                     group_id: str | None, local: LocalFile | None) -> PhotoAvatarJob:
    if classify_source(file) == "url":
        fingerprint = hashlib.sha256(file.encode()).hexdigest()
        source: AssetUrl | AssetRef = AssetUrl(url=file)
    elif local is not None:
        fingerprint = await local.sha256()
        source = AssetRef(asset_id="pending")
    else:
        fingerprint = check_id(file, "asset id")
        source = AssetRef(asset_id=fingerprint)
    key = f"{kind.replace('_', '-')}-avatar:{fingerprint}:{group_id or ''}"
    previous = state.jobs.find(key)
    if previous is not None and previous.job_id:
        return await _job(state, previous.job_id, previous.get("group_id"), replayed=True)
    if local is not None:
        uploaded = await upload_file(state.client, local)
        family, wanted = _FILE_KINDS[kind]
        if not uploaded.mime_type.startswith(family):
            raise Refused(f"{local.name} is {uploaded.mime_type}; a {kind} avatar needs {wanted}.")
        source = AssetRef(asset_id=uploaded.asset_id)
    req = (CreatePhotoAvatar(name=name, file=source, avatar_group_id=group_id) if kind == "photo"
           else CreateDigitalTwin(name=name, file=source, avatar_group_id=group_id))
    created = await state.client.avatars.create(req, request_key=key)
    look_id = (created.avatar_item or {}).get("id")
    new_group = (created.avatar_group or {}).get("id") or group_id
    if not look_id:
        raise Refused(f"HeyGen accepted the {kind} but returned no look id; check get_avatar on the group "
                        f"{new_group} before trying again.")
    state.jobs.record(kind="look", job_id=look_id, key=key, title=name, group_id=new_group)
    state.cache.forget("looks", "groups")
    return await _job(state, look_id, new_group, replayed=created.replayed)


async def _prompt_avatar(state: Tenant, req: CreatePromptAvatar, group_id: str | None) -> PhotoAvatarJob:
    """A prompt look; an identical request again is replayed by HeyGen (Idempotency-Key) and paid once."""
    created = await state.client.avatars.create(req)
    look_id = (created.avatar_item or {}).get("id")
    group_id = (created.avatar_group or {}).get("id") or group_id
    if not look_id:
        raise Refused(f"HeyGen returned no look id; check get_avatar('{group_id}') before trying again.")
    state.cache.forget("looks", "groups")
    return await _job(state, look_id, group_id, replayed=created.replayed)


async def list_avatars(
    state: Tenant,
    *,
    kind: Literal['looks', 'groups'] = 'looks',
    ownership: Literal['public', 'private'] | None = None,
    avatar_type: Literal['studio_avatar', 'digital_twin', 'photo_avatar'] | None = None,
    group_id: str | None = None,
    name: str | None = None,
    limit: int = 10,
    next_token: str | None = None,
) -> AvatarList:
    """Find avatars: compact rows of looks (id = avatar_id for videos) or groups."""
    hg = state.client
    matches = catalog.name_matcher(name)
    if kind == "groups":
        async def fetch_groups(token: str | None) -> Page[Any]:
            return await hg.avatars.list_groups(ownership=ownership, limit=50, token=token)

        rows, nxt = await catalog.window(state, ("groups", ownership), fetch_groups, next_token=next_token,
                                         limit=limit, keep=lambda g: matches(g.name))
        return AvatarList(items=[group_row(g) for g in rows], next_token=nxt)
    if group_id:
        check_id(group_id, "group_id")

    async def fetch_looks(token: str | None) -> Page[Any]:
        return await hg.avatars.list_looks(group_id=group_id, avatar_type=avatar_type, ownership=ownership,
                                           limit=50, token=token)

    rows, nxt = await catalog.window(state, ("looks", ownership, avatar_type, group_id), fetch_looks,
                                     next_token=next_token, limit=limit, keep=lambda look: matches(look.name))
    return AvatarList(items=[look_row(look) for look in rows], next_token=nxt)


async def get_avatar(state: Tenant, *, avatar_id: str) -> AvatarInfo:
    """Details and status of one avatar look, or of a group with its looks."""
    check_id(avatar_id, "avatar_id")
    hg = state.client
    try:
        look = await hg.avatars.get_look(avatar_id)
    except NotFoundError:
        look = None
    if look is not None:
        state.cache.put(("look", look.id), look)
        failure = (look.error or {}).get("message") if look.status == "failed" else None
        return AvatarInfo(id=look.id, kind="look", name=look.name, status=look.status, type=look.avatar_type,
                          gender=look.gender, group_id=look.group_id, engines=look.supported_api_engines or None,
                          orientation=look.preferred_orientation,
                          default_voice_id=look.default_voice_id, preview_image_url=look.preview_image_url,
                          failure=failure, next_step=catalog.look_step(look))
    try:
        group = await hg.avatars.get_group(avatar_id)
    except NotFoundError:
        raise Refused(f"No avatar look or group '{avatar_id}'; try list_avatars(name='…').") from None
    looks = await hg.avatars.list_looks(group_id=group.id, limit=20)
    return AvatarInfo(id=group.id, kind="group", name=group.name, status=group.status, gender=group.gender,
                      default_voice_id=group.default_voice_id, preview_image_url=group.preview_image_url,
                      looks=[look_row(lk) for lk in looks.items],
                      next_step="Use one of the looks' ids as avatar_id.")


async def create_photo_avatar(
    state: Tenant,
    *,
    photo: str,
    name: str,
    group_id: str | None = None,
) -> PhotoAvatarJob:
    """For a photo of a person to reuse as a presenter: a photo avatar (or a new look in a group); returns the
    consent link if needed. Paid; the same photo again costs nothing and returns the same avatar."""
    not_blank(name, "name")
    if group_id:
        check_id(group_id, "group_id")
    return await _file_avatar(state, "photo", photo, name, group_id, arg="photo")


async def create_avatar(
    state: Tenant,
    *,
    kind: Literal['photo', 'digital_twin', 'prompt'],
    name: str,
    file: str | None = None,
    prompt: str | None = None,
    reference_images: list[str] | None = None,
    group_id: str | None = None,
) -> PhotoAvatarJob:
    """For footage of a person, or a description, to make an avatar: any kind; returns a look job_id
    (+ consent_url if needed). Paid (~$1); the same inputs again are free."""
    not_blank(name, "name")
    not_blank(prompt, "prompt")
    if group_id:
        check_id(group_id, "group_id")
    if kind != "prompt":
        if not file or prompt or reference_images:
            raise Refused(f"A {kind} avatar takes file (the {'photo' if kind == 'photo' else 'video footage'}) "
                            "and no prompt or reference_images.")
        return await _file_avatar(state, kind, file, name, group_id)
    if not prompt or file:
        raise Refused("A prompt avatar takes prompt (and optional reference_images), not file.")
    for item in reference_images or ():
        classify_source(item, "reference_images item")  # refuses ftp:// and the like before any request
    images: list[AssetInput] = [await resolve_asset(state, item) for item in reference_images or ()]
    req = CreatePromptAvatar(name=name, prompt=prompt, avatar_group_id=group_id, reference_images=images or None)
    return await _prompt_avatar(state, req, group_id)


async def create_avatar_look(
    state: Tenant,
    *,
    avatar_id: str,
    prompt: str,
    name: str = 'New look',
) -> PhotoAvatarJob:
    """New look of an existing avatar from a text prompt (same group). Paid."""
    not_blank(prompt, "prompt")
    not_blank(name, "name")
    base = await catalog.require_look(state, avatar_id)
    return await _prompt_avatar(
        state, CreatePromptAvatar(name=name, prompt=prompt, avatar_id=base.id, avatar_group_id=base.group_id),
        base.group_id)


async def manage_avatar(
    state: Tenant,
    *,
    avatar_id: str,
    action: Literal['rename', 'delete'],
    name: str | None = None,
) -> AvatarChange:
    """Rename or delete one of your avatar looks, or delete a whole group."""
    check_id(avatar_id, "avatar_id")
    hg = state.client
    if action == "rename":
        if not name:
            raise Refused("rename needs name (the look's new name).")
        not_blank(name, "name")
        try:
            look = await hg.avatars.rename_look(avatar_id, name)
        except NotFoundError:
            raise Refused(f"No look '{avatar_id}' of yours (groups cannot be renamed); "
                            "list_avatars(ownership='private') shows yours.") from None
        state.cache.forget("looks", "look")
        return AvatarChange(id=look.id, kind="look", action="renamed", name=look.name,
                            next_step=f"Use avatar_id='{look.id}' as before; only its name changed.")
    if name:
        raise Refused("delete takes no name; drop it (or use action='rename').")
    kind: Literal["look", "group"] = "look"
    try:
        await hg.avatars.delete_look(avatar_id)
    except NotFoundError:
        kind = "group"
        try:
            await hg.avatars.delete_group(avatar_id)
        except NotFoundError:
            raise Refused(f"No look or group '{avatar_id}' (already deleted?); "
                            "list_avatars(ownership='private') shows yours.") from None
    state.cache.forget("looks", "groups", "look")
    return AvatarChange(id=avatar_id, kind=kind, action="deleted",
                        next_step="Deleted at HeyGen; videos already made with it are kept.")
