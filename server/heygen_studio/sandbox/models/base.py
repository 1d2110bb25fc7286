"""Base classes (open/closed, strict JSON), tagged unions, asset inputs and request-body parsing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, Union, get_args

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, ValidationError
from pydantic_core import ErrorDetails

from ..errors import ApiError

M = TypeVar("M", bound=BaseModel)


# defer_build: a model's validator is built when a request first needs it, not when the sandbox is imported
# (a shell command that lists voices on the embedded sandbox never validates a video request).
class Open(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, defer_build=True)


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


def tagged(*models: type[BaseModel], field: str = "type") -> Any:
    """A union discriminated by ``field`` (whose annotation on each model is a ``Literal``)."""
    members = []
    names = []
    for model in models:
        (value,) = get_args(model.model_fields[field].annotation)
        names.append(value)
        members.append(Annotated[model, Tag(f"~{value}")])

    def pick(raw: Any) -> str | None:
        value = raw.get(field) if isinstance(raw, dict) else getattr(raw, field, None)
        return f"~{value}" if isinstance(value, str) and value in names else None

    expected = ", ".join(repr(n) for n in names)
    return Annotated[
        Union[tuple(members)],  # noqa: UP007 - a runtime-built union
        Discriminator(
            pick,
            custom_error_type="bad_discriminator",
            custom_error_message=f"'{field}' must be one of {expected}",
        ),
    ]


# -- asset inputs ----------------------------------------------------------------------------------
class AssetUrl(Closed):
    type: Literal["url"]
    url: str


class AssetId(Closed):
    type: Literal["asset_id"]
    asset_id: str


class AssetBase64(Closed):
    type: Literal["base64"]
    media_type: str
    data: str


# Type checkers see the plain unions; pydantic validates through the tagged (discriminated) ones.
if TYPE_CHECKING:
    AssetInput = AssetUrl | AssetId | AssetBase64
    AssetUrlOrId = AssetUrl | AssetId
else:
    AssetInput = tagged(AssetUrl, AssetId, AssetBase64)
    AssetUrlOrId = tagged(AssetUrl, AssetId)


# -- parsing ---------------------------------------------------------------------------------------
def param_from_loc(loc: tuple[Any, ...], skip: int = 0) -> str | None:
    out = ""
    for part in loc[skip:]:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.startswith("~"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or None


def _describe(error: ErrorDetails, param: str | None) -> str:
    kind = error["type"]
    where = f"'{param}'" if param else "body"
    if kind == "extra_forbidden":
        return f"Unknown field {where}: this object does not accept extra keys"
    if kind == "missing":
        return f"Missing required field {where}"
    return f"Invalid value for {where}: {error['msg']}"


def error_from_validation(exc: ValidationError, skip: int = 0) -> ApiError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    param = param_from_loc(tuple(first["loc"]), skip)
    if first["type"] == "bad_discriminator":
        field = "engine_type" if "engine_type" in first["msg"] else "type"
        param = f"{param}.{field}" if param else field
    message = _describe(first, param)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ApiError(400, "validation_error", message, param=param)


def load_json(raw: bytes, *, required: bool = True) -> Any:
    if not raw.strip():
        if required:
            raise ApiError(400, "validation_error", "A JSON request body is required")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "validation_error", "The request body is not valid JSON") from None


def parse_model(model: type[M], raw: bytes, *, required: bool = True) -> M | None:
    payload = load_json(raw, required=required)
    if payload is None:
        return None
    if not isinstance(payload, dict):
        raise ApiError(400, "validation_error", "The request body must be a JSON object")
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise error_from_validation(exc) from None


def parse_body(model: type[M], raw: bytes) -> M:
    """A required JSON body validated as ``model`` (400 when it is missing or invalid)."""
    body = parse_model(model, raw)
    assert body is not None  # parse_model(required=True) raises instead of returning None
    return body


def parse_union(envelope: type[BaseModel], raw: bytes) -> Any:
    """Parse a discriminated-union body through a one-field ``body`` envelope model."""
    payload = load_json(raw)
    if not isinstance(payload, dict):
        raise ApiError(400, "validation_error", "The request body must be a JSON object")
    if "type" not in payload:
        raise ApiError(400, "validation_error", "Missing required field 'type'", param="type")
    try:
        return envelope.model_validate_json(b'{"body":' + raw + b"}", strict=True).body  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise error_from_validation(exc, skip=1) from None


class DubbingOptions(Closed):
    """The options createLipsync and createVideoTranslation share (CreateLipsyncRequest,
    CreateVideoTranslationRequest); each adds its own fields, and its own ``fps_mode`` typing."""

    video: AssetUrlOrId
    title: str | None = None
    mode: Literal["speed", "precision"] = "speed"
    callback_id: str | None = None
    callback_url: str | None = None
    disable_music_track: bool = False
    enable_caption: bool = False
    enable_dynamic_duration: bool = True
    enable_speech_enhancement: bool = False
    enable_watermark: bool = False
    start_time: float | None = None
    end_time: float | None = None
    folder_id: str | None = None
    keep_the_same_format: bool | None = None
