"""Compact the JSON Schemas the SDK derives from tool signatures (tokens are a budget).

Pydantic spends most of a tool listing on noise: a ``title`` on every field and, for every
optional parameter, ``anyOf: [X, {"type": "null"}]`` plus ``"default": null``. For inputs an
optional field simply is not ``required``, so it becomes ``X``. Output (result) schemas keep their
nullability (structured content carries nulls), written as ``type: [X, "null"]``, and are served
as resources (``heygen://schemas/{tool}``) rather than listed. Argument validation never reads
these schemas: the SDK validates with the pydantic models.
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
    else:
        if out.get("default", 0) is None:
            out.pop("default")
        if out.get("minLength") == 1:
            out.pop("minLength")  # "not empty" is still enforced; it is not worth the tokens
        if out.get("pattern") == "^https?://":
            out.pop("pattern")  # URLs are still checked, with a clearer error than a regex miss
        if out.get("default") is False and out.get("type") == "boolean":
            out.pop("default")  # an absent flag is false
    return out
