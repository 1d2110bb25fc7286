"""Semantic checks shared by the create endpoints (ids exist, mutually exclusive inputs, ...)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from . import costs
from .errors import ApiError, invalid_parameter, validation_error
from .models.base import AssetBase64, AssetId, AssetUrl
from .records import AvatarLook
from .store import SandboxStore

HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
MAX_SCRIPT = 5000


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def require_look(
    state: SandboxStore, look_id: str, param: str, now: float, *, usable: bool = True
) -> AvatarLook:
    look = state.look(look_id)
    if look is None:
        if state.group(look_id) is not None:
            raise ApiError(
                400,
                "avatar_not_found",
                f"'{look_id}' is an avatar group id; pass a look id (GET /v3/avatars/looks?group_id=...)",
                param=param,
            )
        raise ApiError(400, "avatar_not_found", f"Avatar '{look_id}' not found", param=param)
    if usable:
        status = look.status(now, state.groups[look.group_id])
        if status not in (None, "completed"):
            raise invalid_parameter(f"Avatar '{look_id}' is not ready for video generation (status: {status})", param)
    return look


def require_voice(state: SandboxStore, voice_id: str, param: str) -> None:
    if voice_id not in state.voices:
        raise ApiError(400, "voice_not_found", f"Voice '{voice_id}' not found", param=param)


def check_asset_input(state: SandboxStore, value: Any, param: str, kinds: tuple[str, ...] = ()) -> None:
    if isinstance(value, AssetUrl):
        if not value.url.startswith(("http://", "https://")):
            raise validation_error("url must be an http(s) URL", join(param, "url"))
    elif isinstance(value, AssetId):
        check_asset_id(state, value.asset_id, join(param, "asset_id"), kinds)
    elif isinstance(value, AssetBase64):
        try:
            base64.b64decode(value.data, validate=True)
        except (binascii.Error, ValueError):
            raise validation_error("data is not valid base64", join(param, "data")) from None


def check_asset_id(state: SandboxStore, asset_id: str, param: str, kinds: tuple[str, ...] = ()) -> None:
    asset = state.assets.get(asset_id)
    if asset is None or asset.status != "completed":
        raise ApiError(400, "asset_not_available", f"Asset '{asset_id}' not found or not ready", param=param)
    if kinds and asset.kind not in kinds:
        raise invalid_parameter(f"Asset '{asset_id}' is {asset.kind}; expected {' or '.join(kinds)}", param)


def check_url(value: str | None, param: str) -> None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise validation_error(f"'{param}' must be an http(s) URL", param)


def speech_source(
    state: SandboxStore, src: Any, prefix: str = "", default_voice: str | None = None
) -> tuple[float, str]:
    """Validate script XOR audio (+ voice) of a video/scene; return (estimated seconds, script)."""
    script = src.script
    has_audio = bool(src.audio_url) or bool(src.audio_asset_id)
    if script is not None and has_audio:
        raise validation_error("script and audio_url/audio_asset_id are mutually exclusive", join(prefix, "script"))
    if src.audio_url and src.audio_asset_id:
        raise validation_error("audio_url and audio_asset_id are mutually exclusive", join(prefix, "audio_url"))
    if script is None and not has_audio:
        raise validation_error("Provide either script or audio_url/audio_asset_id", join(prefix, "script"))
    if has_audio:
        check_url(src.audio_url, join(prefix, "audio_url"))
        if src.audio_asset_id:
            check_asset_id(state, src.audio_asset_id, join(prefix, "audio_asset_id"), ("audio", "video"))
        return costs.AUDIO_INPUT_SECONDS, ""
    if len(script) > MAX_SCRIPT:
        raise validation_error(f"script must be at most {MAX_SCRIPT} characters", join(prefix, "script"))
    voice_id = src.voice_id or default_voice
    if not voice_id:
        raise validation_error("voice_id is required with script", join(prefix, "voice_id"))
    require_voice(state, voice_id, join(prefix, "voice_id"))
    speed = src.voice_settings.speed if src.voice_settings is not None else 1.0
    return costs.speech_seconds(script, speed), script


def check_engine(look: AvatarLook, engine: Any, param: str) -> None:
    if engine is None:
        return
    if engine.type not in look.supported_api_engines:
        raise invalid_parameter(
            f"Avatar '{look.id}' does not support engine '{engine.type}' "
            f"(supported: {', '.join(look.supported_api_engines)})",
            join(param, "type")
        )


def check_color(value: str | None, param: str) -> None:
    if value is not None and not HEX_COLOR.match(value):
        raise validation_error(f"'{param}' must be a hex colour like #1a2b3c", param)
