"""Webhook endpoints and events (v3): register, update, rotate the secret, list events."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ...core import webhooks
from .. import checks
from ..errors import validation_error
from ..models.base import parse_body, parse_model
from ..models.webhooks import CreateWebhookEndpoint, UpdateWebhookEndpoint
from ..records import WebhookEndpoint
from ..seed import WEBHOOK_EVENT_TYPES
from ..state import SandboxState
from ..views import endpoint_item, event_item
from ..web import ok, ok_list, or_404, paged, query_enum, state_of


# -- webhooks --------------------------------------------------------------------------------------
def _secret(state: SandboxState) -> str:
    return "whsec_" + state.new_id("webhook-secret", length=40)


def _endpoint(state: SandboxState, endpoint_id: str) -> WebhookEndpoint:
    endpoint = or_404(state.endpoints.get(endpoint_id), "Webhook endpoint", endpoint_id)
    return endpoint


def _check_events(events: list[str] | None) -> list[str] | None:
    if events is not None and not events:
        raise validation_error("events must not be empty (omit it for all events)", "events")
    return list(dict.fromkeys(events)) if events is not None else None


async def create_endpoint(request: Request) -> Response:
    state = state_of(request)
    body = parse_body(CreateWebhookEndpoint, await request.body())
    checks.check_url(body.url, "url")
    endpoint = WebhookEndpoint(
        endpoint_id=state.new_id("webhook-endpoint"),
        url=body.url,
        events=_check_events(body.events),
        secret=_secret(state),
        created_at=state.now(),
        entity_id=body.entity_id,
    )
    state.endpoints[endpoint.endpoint_id] = endpoint
    return ok(endpoint_item(endpoint, with_secret=True))


async def list_endpoints(request: Request) -> Response:
    state = state_of(request)
    endpoints = list(reversed(state.endpoints.values()))
    return paged(request, endpoints, lambda e: endpoint_item(e), default=10, maximum=100)


async def update_endpoint(request: Request) -> Response:
    state = state_of(request)
    endpoint = _endpoint(state, request.path_params["endpoint_id"])
    body = parse_model(UpdateWebhookEndpoint, await request.body(), required=False)
    if body is not None:
        if body.url is not None:
            checks.check_url(body.url, "url")
            endpoint.url = body.url
        if "events" in body.model_fields_set:
            endpoint.events = _check_events(body.events)
    return ok(endpoint_item(endpoint))


async def delete_endpoint(request: Request) -> Response:
    state = state_of(request)
    endpoint = _endpoint(state, request.path_params["endpoint_id"])
    del state.endpoints[endpoint.endpoint_id]
    return JSONResponse({"data": {}, "error": None})


async def rotate_secret(request: Request) -> Response:
    state = state_of(request)
    endpoint = _endpoint(state, request.path_params["endpoint_id"])
    endpoint.secret = _secret(state)
    return ok({"endpoint_id": endpoint.endpoint_id, "secret": endpoint.secret})


async def event_types(request: Request) -> Response:
    items = [{"event_type": name, "description": text} for name, text in WEBHOOK_EVENT_TYPES]
    return ok_list(items)


async def list_events(request: Request) -> Response:
    state = state_of(request)
    names = tuple(name for name, _ in WEBHOOK_EVENT_TYPES)
    event_type = query_enum(request, "event_type", names)
    entity_id = request.query_params.get("entity_id")
    events = [
        e
        for e in reversed(state.events)
        if (event_type is None or e.event_type == event_type) and (not entity_id or e.entity_id == entity_id)
    ]
    return paged(request, events, lambda e: event_item(e), default=10, maximum=100)


def verify_signature(secret: str, timestamp: str, body: str | bytes, signature: str) -> bool:
    """Whether ``Heygen-Signature`` is ``secret``'s, in either form ``core.webhooks`` accepts (exposed for tests;
    no time window and no replay memory: those are the receiver's)."""
    raw = body.encode() if isinstance(body, str) else body
    if not secret.strip():
        return False
    return any(hmac.compare_digest(expected, signature.strip().lower())
               for expected in (webhooks.sign(secret, raw), webhooks.sign_v1(secret, timestamp, raw)))


routes = [
    Route("/v3/webhooks/endpoints", create_endpoint, methods=["POST"]),
    Route("/v3/webhooks/endpoints", list_endpoints, methods=["GET"]),
    Route("/v3/webhooks/endpoints/{endpoint_id}", update_endpoint, methods=["PATCH"]),
    Route("/v3/webhooks/endpoints/{endpoint_id}", delete_endpoint, methods=["DELETE"]),
    Route("/v3/webhooks/endpoints/{endpoint_id}/rotate-secret", rotate_secret, methods=["POST"]),
    Route("/v3/webhooks/event-types", event_types, methods=["GET"]),
    Route("/v3/webhooks/events", list_events, methods=["GET"]),
]
