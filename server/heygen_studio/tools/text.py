"""The text a model reads of a tool result: compact, from its structured content (tokens are a budget).

The SDK writes a result's text as indented JSON with every null field: ``list_avatars``' page of ten was
4 KB. ``ToolServer.call_tool`` replaces that text with ``render(structured, result_schema)``; the
structured content itself is untouched (programs read it, and it validates against the result schema).

* No indentation, no ``null``, ``""``, ``[]`` or ``{}`` fields (recursively), but for a result's own lists:
  ``{"items":[]}`` says that nothing was found.
* A list of two or more objects is a table: ``{"same": {…}, "columns": [...], "rows": [[...], ...]}``; a value
  every row shares is said once in ``same``, and a row lacks nothing (``null`` marks a cell it has no value for).
* Fields whose result-schema property carries ``"x-text": false`` (``outputs.TEXT_OMITS``) are left out of the
  text: ids of related things a model gets from a detail tool when it needs them. Short rows.
"""

from __future__ import annotations

import json
from typing import Any

EMPTY: tuple[Any, ...] = (None, "", [], {})
OMIT_KEY = "x-text"


def prune(value: Any) -> Any:
    """``value`` without null or empty fields, at any depth (list items stay, pruned)."""
    if isinstance(value, dict):
        kept = {key: prune(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if not _empty(item)}
    if isinstance(value, list):
        return [prune(item) for item in value]
    return value


def _empty(value: Any) -> bool:
    return any(value == e and type(value) is type(e) for e in EMPTY)


def _resolve(schema: Any, defs: dict[str, Any]) -> list[dict[str, Any]]:
    """The object schemas ``schema`` may stand for (its $ref resolved, each anyOf branch)."""
    if not isinstance(schema, dict):
        return []
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(defs.get(ref.removeprefix("#/$defs/")), defs)
    found = [schema]
    for branch in schema.get("anyOf", ()) or ():
        found.extend(_resolve(branch, defs))
    return found


def omit_details(value: Any, schema: Any, defs: dict[str, Any] | None = None) -> Any:
    """``value`` less the fields its schema marks ``"x-text": false``."""
    if defs is None:
        defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}
    schemas = _resolve(schema, defs)
    if isinstance(value, dict):
        props: dict[str, Any] = {}
        for sub in schemas:
            props.update(sub.get("properties", {}))
        return {key: omit_details(item, props.get(key), defs) for key, item in value.items()
                if not (isinstance(props.get(key), dict) and props[key].get(OMIT_KEY) is False)}
    if isinstance(value, list):
        items = next((sub["items"] for sub in schemas if isinstance(sub.get("items"), dict)), None)
        return [omit_details(item, items, defs) for item in value]
    return value


def tabulate(value: Any) -> Any:
    """Lists of two or more objects as tables (columns once, shared values once), at any depth."""
    if isinstance(value, dict):
        return {key: tabulate(item) for key, item in value.items()}
    if not isinstance(value, list):
        return value
    items = [tabulate(item) for item in value]
    if len(items) < 2 or not all(isinstance(item, dict) for item in items):
        return items
    columns: list[str] = []
    for item in items:
        columns.extend(key for key in item if key not in columns)
    first = items[0]
    same = {key: first[key] for key in columns if all(key in item and item[key] == first[key] for item in items)}
    columns = [key for key in columns if key not in same]
    table: dict[str, Any] = {"same": same} if same else {}
    table["columns"] = columns
    table["rows"] = [[item.get(key) for key in columns] for item in items]
    return table


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render(structured: Any, schema: dict[str, Any] | None = None) -> str:
    """The compact text of a structured result."""
    shown = omit_details(structured, schema) if schema else structured
    pruned = prune(shown)
    if isinstance(shown, dict) and isinstance(pruned, dict):
        pruned = {key: pruned.get(key, []) for key, item in shown.items() if key in pruned or item == []}
    return dumps(tabulate(pruned))
