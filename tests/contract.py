"""Validate HTTP exchanges against ../shared/heygen-api/contract.json (OpenAPI 3.1).

Used two ways:

* ``ContractTransport`` wraps any httpx2 transport (for example the sandbox's ASGITransport);
  every exchange to a ``/v2/`` or ``/v3/`` path is checked, request and response, and problems
  collect in ``violations`` (tests assert it stays empty).
* ``Contract.check_request`` / ``check_response`` / ``check_example`` for direct checks
  (docs examples, sandbox responses).

Nothing from the contract is copied into the project: it is read at test time from ../shared, which sits
beside the repository in the project's workspace and not in a user's clone. Where it is absent, a test that needs
it skips through ``require_contract`` (one reason, ``ABSENT``), the other tests run with their exchanges unchecked
(``UNCHECKED`` counts them) and ``conftest.py`` says both counts in the run's summary.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx2
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONTRACT_PATH = PROJECT_ROOT.parent / "shared" / "heygen-api" / "contract.json"
_URN = "urn:heygen-contract"
_METHODS = ("get", "post", "put", "patch", "delete")


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass
class Operation:
    method: str
    template: str
    regex: re.Pattern[str]
    spec: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return self.spec.get("operationId", f"{self.method} {self.template}")


@dataclass
class Contract:
    doc: dict[str, Any]
    operations: list[Operation] = field(default_factory=list)

    def __post_init__(self) -> None:
        resource = Resource.from_contents(self.doc, default_specification=DRAFT202012)
        self._registry = Registry().with_resource(_URN, resource)
        self._validators: dict[str, Draft202012Validator] = {}
        for template, item in self.doc["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template)) + "$"
            for method in _METHODS:
                if method in item:
                    self.operations.append(Operation(method.upper(), template, re.compile(pattern), item[method]))
        # Literal segments beat parameters: /v3/videos/statuses before /v3/videos/{video_id}.
        self.operations.sort(key=lambda op: (op.template.count("{"), -len(op.template)))

    # -- lookup --------------------------------------------------------------------------------
    def find(self, method: str, path: str) -> Operation | None:
        for op in self.operations:
            if op.method == method.upper() and op.regex.match(path):
                return op
        return None

    def _validator(self, *pointer_parts: str) -> Draft202012Validator:
        ref = f"{_URN}#/{_pointer(*pointer_parts)}"
        if ref not in self._validators:
            self._validators[ref] = Draft202012Validator({"$ref": ref}, registry=self._registry)
        return self._validators[ref]

    def schema_errors(self, value: Any, *pointer_parts: str) -> list[str]:
        validator = self._validator(*pointer_parts)
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}"
            for e in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
        ]

    def component_errors(self, value: Any, name: str) -> list[str]:
        return self.schema_errors(value, "components", "schemas", name)

    # -- requests ------------------------------------------------------------------------------
    def check_request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> list[str]:
        op = self.find(method, path)
        if op is None:
            return [f"{method} {path}: not an operation in the contract"]
        where = f"request {op.operation_id}"
        problems: list[str] = []
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        params = [self._deref(p) for p in op.spec.get("parameters", [])]
        path_item = self.doc["paths"][op.template]
        params += [self._deref(p) for p in path_item.get("parameters", [])]
        query = dict(query or {})
        for param in params:
            name, location = param["name"], param["in"]
            schema = param.get("schema", {})
            if location == "query":
                if name not in query:
                    if param.get("required"):
                        problems.append(f"{where}: missing required query parameter {name!r}")
                    continue
                value = _coerce(query.pop(name), schema)
                problems += [f"{where}: query {name}: {m}" for m in self._inline_errors(value, schema)]
            elif location == "header" and name.lower() in headers:
                problems += [
                    f"{where}: header {name}: {m}" for m in self._inline_errors(headers[name.lower()], schema)
                ]
        known_query = {p["name"] for p in params if p["in"] == "query"}
        for extra in query:
            if extra not in known_query:
                problems.append(f"{where}: unknown query parameter {extra!r}")
        request_body = op.spec.get("requestBody")
        if request_body is None:
            if body not in (None, b"", {}):
                problems.append(f"{where}: the operation takes no body")
            return problems
        content = request_body.get("content", {})
        media = (content_type or "").split(";")[0].strip()
        if body is None:
            if request_body.get("required"):
                problems.append(f"{where}: missing required body")
            return problems
        if media not in content:
            return [*problems, f"{where}: content type {media!r} not in {sorted(content)}"]
        if media == "application/json":
            pointer = ("paths", op.template, op.method.lower(), "requestBody", "content", media, "schema")
            problems += [f"{where}: body {m}" for m in self.schema_errors(body, *pointer)]
        return problems

    # -- responses -----------------------------------------------------------------------------
    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        op = self.find(method, path)
        if op is None:
            return [f"{method} {path}: not an operation in the contract"]
        where = f"response {op.operation_id} {status}"
        responses = op.spec.get("responses", {})
        key = str(status)
        if key not in responses:
            key = f"{str(status)[0]}XX" if f"{str(status)[0]}XX" in responses else "default"
        if key not in responses:
            return [f"{where}: status {status} is not declared (declared: {sorted(responses)})"]
        response = self._deref(responses[key])
        content = response.get("content", {})
        if "application/json" not in content:
            return []
        if body is None:
            return [f"{where}: body is not JSON"]
        ref = responses[key].get("$ref")
        if ref:
            pointer = (*ref.removeprefix("#/").split("/"), "content", "application/json", "schema")
        else:
            pointer = ("paths", op.template, op.method.lower(), "responses", key, "content", "application/json",
                       "schema")
        return [f"{where}: {m}" for m in self.schema_errors(body, *pointer)]

    # -- helpers -------------------------------------------------------------------------------
    def _deref(self, obj: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in obj:
            node: Any = self.doc
            for part in obj["$ref"].removeprefix("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            obj = node
        return obj

    def _inline_errors(self, value: Any, schema: dict[str, Any]) -> list[str]:
        validator = Draft202012Validator(schema, registry=self._registry)
        return [e.message[:200] for e in validator.iter_errors(value)]


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    types = schema.get("type", "string")
    types = types if isinstance(types, list) else [types]
    for kind, conv in (("integer", int), ("number", float)):
        if kind in types:
            try:
                return conv(raw)
            except ValueError:
                return raw
    if "boolean" in types:
        return {"true": True, "false": False}.get(raw, raw)
    if "array" in types:
        return raw.split(",")
    return raw


ABSENT = ("HeyGen's API contract (../shared/heygen-api/contract.json) is not beside this clone (the project's "
          "workspace has it, a clone does not): checks against it are skipped; the behaviour tests run")
UNCHECKED = [0]  # exchanges sent through a ContractTransport that had no contract to check them against


@cache
def load_contract() -> Contract | None:
    if not CONTRACT_PATH.is_file():
        return None
    return Contract(json.loads(CONTRACT_PATH.read_text(encoding="utf-8")))


def require_contract() -> Contract:
    """The contract, or a skip of the calling test for the one reason every such test gives (``ABSENT``)."""
    contract = load_contract()
    if contract is None:
        pytest.skip(ABSENT)
    return contract


def in_contract_scope(path: str) -> bool:
    return path.startswith(("/v2/", "/v3/"))


class ContractTransport(httpx2.AsyncBaseTransport):
    """Checks every /v2 and /v3 exchange against the contract; records them all."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, contract: Contract | None) -> None:
        self.inner = inner
        self.contract = contract
        self.violations: list[str] = []
        self.exchanges: list[tuple[httpx2.Request, httpx2.Response | None]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        checking = self.contract is not None and in_contract_scope(request.url.path)
        if self.contract is None and in_contract_scope(request.url.path):
            UNCHECKED[0] += 1
        if checking:
            body_bytes = await request.aread() if request.headers.get("content-type", "").startswith(
                "application/json"
            ) else None
            body: Any = None
            if body_bytes:
                body = json.loads(body_bytes)
            elif request.headers.get("content-type", "").startswith("multipart/"):
                body = b"<multipart>"
            assert self.contract is not None
            self.violations += self.contract.check_request(
                request.method,
                request.url.path,
                query=dict(parse_qsl(request.url.query.decode() if isinstance(request.url.query, bytes)
                                     else str(request.url.query))),
                headers=dict(request.headers),
                body=body,
                content_type=request.headers.get("content-type"),
            )
        response = await self.inner.handle_async_request(request)
        self.exchanges.append((request, response))
        if checking and self.contract is not None and "x-sandbox-fault" not in response.headers:
            await response.aread()
            try:
                payload = json.loads(response.content) if response.content else None
            except ValueError:
                payload = None
            if response.status_code < 500 or payload is not None:
                self.violations += self.contract.check_response(
                    request.method, request.url.path, response.status_code, payload
                )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
