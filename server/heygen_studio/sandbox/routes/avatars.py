"""Avatars (v3): groups, looks, creation (photo, digital twin, prompt) and consent."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .. import checks
from ..errors import ApiError, invalid_parameter, validation_error
from ..media import forbidden
from ..models.avatars import (
    CreateAvatarConsent,
    CreateAvatarEnvelope,
    CreateDigitalTwin,
    CreatePhotoAvatar,
    CreatePromptAvatar,
    UpdateAvatarLook,
)
from ..models.base import parse_model, parse_union
from ..records import AvatarGroup, AvatarLook
from ..state import SandboxState
from ..views import group_item, look_item
from ..web import base_url, ok, or_404, paged, query_enum, state_of
from .videos import image_size, kept_file


# -- avatars ---------------------------------------------------------------------------------------
def _ownership_ok(public: bool, ownership: str | None) -> bool:
    return ownership is None or (ownership == "public") == public


async def list_groups(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    ownership = query_enum(request, "ownership", ("public", "private"))
    groups = [g for g in state.groups.values() if not g.deleted and _ownership_ok(g.public, ownership)]
    groups.sort(key=lambda g: (g.public, -g.created_at))  # private (newest first), then the public catalog
    base = base_url(request)
    return paged(request, groups, lambda g: group_item(state, g, base, now), default=20, maximum=50)


async def list_looks(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    ownership = query_enum(request, "ownership", ("public", "private"))
    avatar_type = query_enum(request, "avatar_type", ("studio_avatar", "digital_twin", "photo_avatar"))
    group_id = request.query_params.get("group_id")
    looks = [
        look
        for look in state.looks.values()
        if not state.groups[look.group_id].deleted
        and _ownership_ok(look.public, ownership)
        and (avatar_type is None or look.avatar_type == avatar_type)
        and (not group_id or look.group_id == group_id)
    ]
    looks.sort(key=lambda look: (look.public, -look.created_at))
    base = base_url(request)
    return paged(request, looks, lambda look: look_item(state, look, base, now), default=20, maximum=50)


def _group_or_404(state: SandboxState, group_id: str) -> AvatarGroup:
    group = or_404(state.group(group_id), "Avatar group", group_id, "avatar_not_found")
    return group


def _look_or_404(state: SandboxState, look_id: str) -> AvatarLook:
    look = or_404(state.look(look_id), "Avatar look", look_id, "avatar_not_found")
    return look


async def get_group(request: Request) -> Response:
    state = state_of(request)
    group = _group_or_404(state, request.path_params["group_id"])
    return ok(group_item(state, group, base_url(request), state.now()))


async def delete_group(request: Request) -> Response:
    state = state_of(request)
    group = _group_or_404(state, request.path_params["group_id"])
    if group.public:
        raise ApiError(403, "forbidden", "Public avatars cannot be deleted")
    group.deleted = True
    return ok({"id": group.id})


async def get_look(request: Request) -> Response:
    state = state_of(request)
    look = _look_or_404(state, request.path_params["look_id"])
    return ok(look_item(state, look, base_url(request), state.now()))


async def update_look(request: Request) -> Response:
    state = state_of(request)
    look = _look_or_404(state, request.path_params["look_id"])
    body = parse_model(UpdateAvatarLook, await request.body(), required=False)
    if look.public:
        raise ApiError(403, "forbidden", "Public avatar looks cannot be modified")
    if body is not None and body.name is not None:
        if not body.name.strip():
            raise validation_error("name must not be empty", "name")
        look.name = body.name
    return ok(look_item(state, look, base_url(request), state.now()))


async def delete_look(request: Request) -> Response:
    state = state_of(request)
    look = _look_or_404(state, request.path_params["look_id"])
    if look.public:
        raise ApiError(403, "forbidden", "Public avatar looks cannot be deleted")
    del state.looks[look.id]
    return ok({"id": look.id})


AvatarBody = CreatePhotoAvatar | CreateDigitalTwin | CreatePromptAvatar


def _reference(state: SandboxState, body: AvatarBody, now: float) -> AvatarLook | None:
    """Check the creation inputs; return the look a prompt avatar starts from (if it names one)."""
    if not body.name.strip():
        raise validation_error("name must not be empty", "name")
    if isinstance(body, CreatePhotoAvatar | CreateDigitalTwin):
        checks.check_asset_input(state, body.file, "file", ("image",) if body.type == "photo" else ("video",))
        return None
    if not body.prompt.strip():
        raise validation_error("prompt must not be empty", "prompt")
    for i, image in enumerate(body.reference_images or []):
        checks.check_asset_input(state, image, f"reference_images[{i}]", ("image",))
    if body.avatar_id:
        return checks.require_look(state, body.avatar_id, "avatar_id", now, usable=False)
    return None


def _joined_group(state: SandboxState, body: AvatarBody, reference: AvatarLook | None) -> AvatarGroup | None:
    """The private group the new look joins: the one named, else a prompt look's reference's group."""
    # A prompt look joins its reference's group, unless that group is public (then a new identity).
    private_reference = reference.group_id if reference is not None and not reference.public else None
    group_id = body.avatar_group_id or private_reference
    if not group_id:
        return None
    group = state.group(group_id)
    if group is None:
        raise ApiError(400, "avatar_not_found", f"Avatar group '{group_id}' not found", param="avatar_group_id")
    if group.public:
        raise ApiError(403, "forbidden", "Looks cannot be added to public avatar groups")
    return group


def _new_group(state: SandboxState, body: AvatarBody, now: float, needs_consent: bool) -> AvatarGroup:
    group = AvatarGroup(
        id=state.new_id("avatar-group"),
        name=body.name,
        gender=None,
        default_voice_id=None,
        public=False,
        created_at=now,
        consent_required=needs_consent,
        consent_status="not_started" if needs_consent else None,
    )
    state.groups[group.id] = group
    return group


def _new_look(state: SandboxState, body: AvatarBody, group: AvatarGroup, now: float) -> AvatarLook:
    avatar_type = {"photo": "photo_avatar", "digital_twin": "digital_twin", "prompt": "photo_avatar"}[
        body.type
    ]
    portrait = body.type != "digital_twin"
    width, height = (1024, 1536) if portrait else (1920, 1080)
    photo = (kept_file(state, body.file) or None) if isinstance(body, CreatePhotoAvatar) else None
    size = image_size(state, photo)
    if size is not None:  # the photo's own shape (``aspect_ratio: auto`` keeps it)
        (width, height), portrait = size, size[1] > size[0]
    look = AvatarLook(
        id=state.new_id("avatar-look"),
        group_id=group.id,
        name=body.name,
        avatar_type=avatar_type,
        gender=group.gender,
        default_voice_id=group.default_voice_id,
        supported_api_engines=["avatar_v", "avatar_iv", "avatar_iii"]
        if body.type == "digital_twin"
        else ["avatar_iv"],
        preferred_orientation="portrait" if portrait else "landscape",
        image_width=width,
        image_height=height,
        tags=[body.type],
        public=False,
        created_at=now,
        ready_at=now + state.config.avatar_seconds,
        source=body.type,
        photo=photo,
    )
    state.looks[look.id] = look
    return look


async def create_avatar(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    body = parse_union(CreateAvatarEnvelope, await request.body())
    reference = _reference(state, body, now)
    group = _joined_group(state, body, reference)
    state.charge_for("/v3/avatars", await request.body(), "avatar")
    needs_consent = body.type in ("photo", "digital_twin") and state.config.photo_consent_required
    if group is None:
        group = _new_group(state, body, now, needs_consent)
    elif needs_consent and not group.consent_required:
        group.consent_required, group.consent_status = True, "not_started"
    look = _new_look(state, body, group, now)
    base = base_url(request)
    return ok(
        {
            "avatar_group": group_item(state, group, base, now),
            "avatar_item": look_item(state, look, base, now),
        }
    )


async def create_consent(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    group = _group_or_404(state, request.path_params["group_id"])
    body = parse_model(CreateAvatarConsent, await request.body(), required=False)
    if group.public:
        raise invalid_parameter("Public avatars need no consent", "group_id")
    url: str | None = None
    if group.consent_required and group.consent_approved_at is None:
        if body is not None and body.consent_video is not None:
            checks.check_asset_input(state, body.consent_video, "consent_video", ("video",))
            group.consent_status, group.consent_approved_at = "approved", now
        else:
            checks.check_url(body.reroute_url if body else None, "reroute_url")
            group.consent_status = "pending"
            url = state.consent_url(base_url(request), group.id)
    return ok({"avatar_group": group_item(state, group, base_url(request), now), "url": url})


async def consent_page(request: Request) -> Response:
    """The browser page behind the consent URL: visiting it (GET) approves the avatar group."""
    state = state_of(request)
    group_id = request.path_params["group_id"]
    if request.query_params.get("token") != state.consent_token(group_id):
        return forbidden("Invalid consent link.")
    group = state.group(group_id)
    if group is None:
        return HTMLResponse("<h1>Avatar not found</h1>", status_code=404)
    if group.consent_approved_at is None and group.consent_status != "pending":
        return HTMLResponse(
            "<h1>Consent not requested</h1><p>Start it with POST /v3/avatars/{group_id}/consent.</p>",
            status_code=409,
        )
    if group.consent_approved_at is None:
        group.consent_status, group.consent_approved_at = "approved", state.now()
    return HTMLResponse(f"<h1>Consent recorded</h1><p>Avatar group {group.name} is approved.</p>")


routes = [
    Route("/v3/avatars", list_groups, methods=["GET"]),
    Route("/v3/avatars", create_avatar, methods=["POST"]),
    Route("/v3/avatars/looks", list_looks, methods=["GET"]),
    Route("/v3/avatars/looks/{look_id}", get_look, methods=["GET"]),
    Route("/v3/avatars/looks/{look_id}", update_look, methods=["PATCH"]),
    Route("/v3/avatars/looks/{look_id}", delete_look, methods=["DELETE"]),
    Route("/v3/avatars/{group_id}", get_group, methods=["GET"]),
    Route("/v3/avatars/{group_id}", delete_group, methods=["DELETE"]),
    Route("/v3/avatars/{group_id}/consent", create_consent, methods=["POST"]),
    Route("/_consent/{group_id}", consent_page, methods=["GET"]),
]
