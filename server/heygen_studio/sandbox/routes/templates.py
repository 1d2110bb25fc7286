"""Templates: v3 (list, get, generate) and v2 (list, get, generate) template videos."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import checks, costs
from ..concurrency import admit
from ..errors import ApiError, validation_error
from ..models.base import parse_body
from ..models.templates import GenerateFromTemplate, V2TemplateGenerate
from ..render import dimensions
from ..seed import SEED_TIME
from ..state import SandboxState
from ..views import video_detail
from ..web import base_url, ok, or_404, paged, state_of, v2_ok
from .videos import new_video

# -- templates (v3) --------------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def _render(script: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), script)


def _template_summary(state: SandboxState, template: dict[str, Any], base: str) -> dict[str, Any]:
    return {
        "id": template["id"],
        "name": template["name"],
        "aspect_ratio": template["aspect_ratio"],
        "thumbnail_url": state.media_url(base, f"/_media/templates/{template['id']}/thumbnail.jpg"),
        "created_at": SEED_TIME,
        "updated_at": SEED_TIME,
    }


async def list_templates(request: Request) -> Response:
    state = state_of(request)
    base = base_url(request)
    templates = list(state.templates.values())
    return paged(request, templates, lambda t: _template_summary(state, t, base), default=10, maximum=100)


def _template(state: SandboxState, template_id: str) -> dict[str, Any]:
    template = or_404(state.templates.get(template_id), "Template", template_id)
    return template


async def get_template(request: Request) -> Response:
    state = state_of(request)
    template = _template(state, request.path_params["template_id"])
    data = _template_summary(state, template, base_url(request))
    variables = template["variables"]
    data["variables"] = variables
    data["scene_ids"] = [scene_id for scene_id, _, _ in template["scenes"]]
    data["scenes"] = [
        {
            "scene_id": scene_id,
            "script": script,
            "variables": [{"name": name, "variable_type": variables[name]["type"]} for name in names],
        }
        for scene_id, script, names in template["scenes"]
    ]
    return ok(data)


def _prop(props: dict[str, Any], key: str, kind: str, param: str) -> str:
    value = props.get(key)
    if not isinstance(value, str):
        raise validation_error(f"A {kind} variable needs properties.{key}", f"{param}.properties.{key}")
    return value


def _check_variable(state: SandboxState, kind: str, props: dict[str, Any], param: str, now: float) -> str | None:
    """Check one variable's ``properties`` by its type; return the text of a text variable."""
    if kind == "text":
        return _prop(props, "content", kind, param)
    if kind == "character":
        character_id = _prop(props, "character_id", kind, param)
        checks.require_look(state, character_id, f"{param}.properties.character_id", now)
    elif kind == "voice":
        voice_id = _prop(props, "voice_id", kind, param)
        checks.require_voice(state, voice_id, f"{param}.properties.voice_id")
    else:  # image / video / audio
        url, asset_id = props.get("url"), props.get("asset_id")
        if bool(url) == bool(asset_id):
            raise validation_error("Provide exactly one of url or asset_id", f"{param}.properties.url")
        if asset_id:
            checks.check_asset_id(state, str(asset_id), f"{param}.properties.asset_id")
    return None


def _variable_values(
    state: SandboxState, declared: dict[str, Any], given: dict[str, Any], prefix: str, now: float
) -> dict[str, str]:
    """Check template variable replacements; return the text values (for the script)."""
    values = {
        name: spec["properties"].get("content", "")
        for name, spec in declared.items()
        if spec["type"] == "text"
    }
    for name, value in given.items():
        param = f"{prefix}.{name}"
        spec = declared.get(name)
        if spec is None:
            raise validation_error(f"Unknown template variable '{name}'", param)
        kind = spec["type"]
        if isinstance(value, str):
            if kind != "text":
                raise validation_error(f"Variable '{name}' is of type {kind}", param)
            values[name] = value
            continue
        if not isinstance(value, dict):
            raise validation_error(f"Variable '{name}' must be an object or a string", param)
        given_kind = value.get("type", kind)
        if given_kind != kind:
            raise validation_error(f"Variable '{name}' is of type {kind}, not {given_kind}", f"{param}.type")
        props = value.get("properties", value)
        if not isinstance(props, dict):
            raise validation_error("properties must be an object", f"{param}.properties")
        text = _check_variable(state, kind, props, param, now)
        if text is not None:
            values[name] = text
    return values


async def generate_from_template(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    template = _template(state, request.path_params["template_id"])
    body = parse_body(GenerateFromTemplate, await request.body())
    values = _variable_values(state, template["variables"], body.variables, "variables", now)
    scenes = {scene_id: script for scene_id, script, _ in template["scenes"]}
    order = body.scene_ids if body.scene_ids is not None else list(scenes)
    for i, scene_id in enumerate(order):
        if scene_id not in scenes:
            raise validation_error(f"Unknown scene '{scene_id}'", f"scene_ids[{i}]")
    if not order:
        raise validation_error("scene_ids must not be empty", "scene_ids")
    if body.dimension is not None and (body.dimension.width % 2 or body.dimension.height % 2):
        raise validation_error("dimension width and height must be even", "dimension")
    script = " ".join(_render(scenes[s], values) for s in order)
    video = await _template_video(state, request, body, kind="template", title=body.title or template["name"],
                            script=script, captioned=body.caption or body.subtitles is not None, charge=True,
                            aspect_ratio=template.get("aspect_ratio"))
    return ok(video_detail(state, video, base_url(request), now))


_ORIENTATIONS = {"landscape": "16:9", "portrait": "9:16", "square": "1:1"}


async def _template_video(state: SandboxState, request: Request, body: Any, *, kind: str, title: str, script: str,
                    captioned: bool, charge: bool, aspect_ratio: str | None) -> Any:
    """Render a template's script as a video: store it and (unless a free test render) charge it. Its size is
    the request's ``dimension``, else 1080p in the template's aspect ratio."""
    seconds = max(5.0, costs.speech_seconds(script))
    if body.dimension is not None:
        size = (body.dimension.width, body.dimension.height)
    else:
        size = dimensions(_ORIENTATIONS.get(aspect_ratio or "", aspect_ratio), "1080p")
    video = new_video(state, request, kind=kind, title=title, duration=seconds, script=script,
                      callback_url=body.callback_url, callback_id=body.callback_id, folder_id=body.folder_id,
                      captioned=captioned, size=size)
    admit(state, 1, "video")
    if charge:
        state.charge_for(request.url.path, await request.body(), "video")
    state.videos[video.id] = video
    return video


# -- templates (v2) --------------------------------------------------------------------------------
def _v2_template(state: SandboxState, template_id: str) -> dict[str, Any]:
    template = state.v2_templates.get(template_id)
    if template is None:
        raise ApiError(404, "not_found", f"Template '{template_id}' not found")
    return template


async def v2_list_templates(request: Request) -> Response:
    state = state_of(request)
    base = base_url(request)
    return v2_ok(
        {
            "templates": [
                {
                    "template_id": t["template_id"],
                    "name": t["name"],
                    "thumbnail_image_url": state.media_url(
                        base, f"/_media/templates/{t['template_id']}/thumbnail.jpg"
                    ),
                    "aspect_ratio": t["aspect_ratio"],
                }
                for t in state.v2_templates.values()
            ]
        }
    )


async def v2_get_template(request: Request) -> Response:
    template = _v2_template(state_of(request), request.path_params["template_id"])
    scene_id = f"scene_{template['template_id'][:8]}"
    return v2_ok(
        {
            "variables": template["variables"],
            "scenes": [
                {"id": scene_id, "script": template["script"], "variables": sorted(template["variables"])}
            ],
        }
    )


async def v2_generate_from_template(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    template = _v2_template(state, request.path_params["template_id"])
    body = parse_body(V2TemplateGenerate, await request.body())
    given = {name: value.model_dump(exclude_none=True) for name, value in body.variables.items()}
    values = _variable_values(state, template["variables"], given, "variables", now)
    script = _render(template["script"], values)
    video = await _template_video(state, request, body, kind="v2_template", title=body.title or template["name"],
                            script=script, captioned=bool(body.caption), charge=not body.test,
                            aspect_ratio=template.get("aspect_ratio"))
    return v2_ok({"video_id": video.id})


routes = [
    Route("/v3/templates", list_templates, methods=["GET"]),
    Route("/v3/templates/{template_id}", get_template, methods=["GET"]),
    Route("/v3/templates/{template_id}", generate_from_template, methods=["POST"]),
    Route("/v2/templates", v2_list_templates, methods=["GET"]),
    Route("/v2/template/{template_id}", v2_get_template, methods=["GET"]),
    Route("/v2/template/{template_id}/generate", v2_generate_from_template, methods=["POST"]),
]
