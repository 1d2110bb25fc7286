"""Compact the JSON Schemas the SDK derives from tool signatures (tokens are a budget).

Pydantic spends most of a tool listing on noise: a ``title`` on every field and, for every
optional parameter, ``anyOf: [X, {"type": "null"}]`` plus ``"default": null``. For inputs an
optional field simply is not ``required``, so it becomes ``X``. Outputs keep their nullability
(structured content carries nulls and clients may validate it), written as ``type: [X, "null"]``.
Argument validation never reads these schemas: the SDK validates with the pydantic models.
"""

from __future__ import annotations

from typing import Any

_NULL = {"type": "null"}
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "$defs", "patternProperties")
_SUBSCHEMAS = ("items", "additionalProperties", "not", "contains")


def _nullable_branch(node: dict[str, Any]) -> dict[str, Any] | None:
    """X when ``node`` is ``anyOf: [X, null]`` (in either order), else None."""
    branches = node.get("anyOf")
    if not isinstance(branches, list) or len(branches) != 2 or _NULL not in branches:
        return None
    other = branches[0] if branches[1] == _NULL else branches[1]
    return other if isinstance(other, dict) else None


def compact(node: Any, *, output: bool) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    branch = _nullable_branch(node)
    if branch is not None:
        merged = {k: v for k, v in node.items() if k != "anyOf"}
        inner = compact(branch, output=output)
        if not output:  # an omitted optional argument is simply absent; `default: null` goes below
            return compact({**inner, **merged}, output=output)
        if isinstance(inner.get("type"), str) and "$ref" not in inner:
            inner = {**inner, "type": [inner["type"], "null"]}
            if "enum" in inner:
                inner["enum"] = [*inner["enum"], None]
            return compact({**inner, **merged}, output=output)
        node = {**merged, "anyOf": [inner, _NULL]}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: compact(sub, output=output) for name, sub in value.items()}
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [compact(sub, output=output) for sub in value]
        elif key in _SUBSCHEMAS:
            out[key] = compact(value, output=output)
        else:
            out[key] = value
    if output:
        out.pop("default", None)  # defaults mean nothing to a reader of results
    elif out.get("default", 0) is None:
        out.pop("default")
    return out


def _kind(node: dict[str, Any]) -> Any:
    if "type" in node:
        return node["type"]
    if "$ref" in node:
        return "object"
    kinds: list[str] = []
    for branch in node.get("anyOf", []):
        kind = _kind(branch)
        kinds += kind if isinstance(kind, list) else [kind]
    return kinds or "object"


def shallow_output(schema: dict[str, Any]) -> dict[str, Any]:
    """Field names and types, one level deep: what a model needs to read a result, in a few tokens.

    Structured content still conforms (nested objects and arrays are typed, not expanded)."""
    props = {}
    for name, node in (schema.get("properties") or {}).items():
        field: dict[str, Any] = {"type": _kind(node)}
        if "enum" in node and len(node["enum"]) <= 6:
            field["enum"] = node["enum"]
        props[name] = field
    out: dict[str, Any] = {"type": "object", "properties": props}
    if schema.get("required"):
        out["required"] = schema["required"]
    return out


def compact_tool_schemas(tool: Any) -> None:
    """Rewrite a registered SDK ``Tool``'s advertised input and output schemas in place."""
    tool.parameters = compact(tool.parameters, output=False)
    schema = tool.output_schema
    if schema is not None:
        tool.__dict__["output_schema"] = shallow_output(compact(schema, output=True))  # a cached_property
