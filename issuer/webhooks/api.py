"""``/api/v1/webhooks``: the calling issuer's webhook endpoints and their delivery log."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from issuer.errors import BadRequest
from issuer.operations import operation, parse, work
from issuer.webhooks import service
from issuer.webhooks.models import WebhookDelivery, WebhookEndpoint
from issuer.webhooks.schemas import (
    DeliveryList,
    DeliveryOut,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookOut,
)

bp = Blueprint("webhooks", __name__, url_prefix="/api/v1")
TAG = "webhooks"
_SIGNING = (
    "Each delivery is a POST of a JSON body {id, type, created, data} with the headers "
    "Baeji-Event (the type), Baeji-Delivery (this delivery's id) and Baeji-Signature: "
    "t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' keyed with the secret>. See the "
    "'Webhooks' section of /api/docs for the payload and a verification recipe."
)


def _out(endpoint: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(
        id=endpoint.id,
        url=endpoint.url,
        events=service.events_of(endpoint),
        description=endpoint.description,
        active=endpoint.disabled_at is None,
        created_at=endpoint.created_at,
        disabled_at=endpoint.disabled_at,
    )


def _delivery(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.uuid,
        event=row.event,
        event_id=row.event_id,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status=row.last_status,
        last_response=row.last_response,
        last_duration_ms=row.last_duration_ms,
        created_at=row.created_at,
        last_attempt_at=row.last_attempt_at,
        delivered_at=row.delivered_at,
        payload=service.payload_of(row),
    )


@bp.get("/webhooks")
@operation(summary="List webhook endpoints", tag=TAG, responses={200: WebhookList})
def index() -> Response:
    """The calling issuer's endpoints (never their secrets)."""
    rows = service.list_endpoints(work())
    return jsonify(WebhookList(webhooks=[_out(row) for row in rows]).to_json())


@bp.post("/webhooks")
@operation(
    summary="Register a webhook endpoint",
    tag=TAG,
    body=WebhookCreate,
    responses={201: WebhookCreated},
    description="Registers a public https URL for credential.issued, credential.revoked, "
    "credential.suspended and/or credential.unsuspended events. The answer carries the "
    "signing secret once; it is never shown again (remove the endpoint and register a new "
    "one to change it). The URL is refused (422 webhook-url-refused) unless it is https and "
    "its host resolves to public addresses only. " + _SIGNING,
    links={
        "Deliveries": {
            "operationId": "get_api_v1_webhooks_webhook_deliveries",
            "parameters": {"webhook": "$response.body#/id"},
        },
        "Remove": {
            "operationId": "delete_api_v1_webhooks_webhook",
            "parameters": {"webhook": "$response.body#/id"},
        },
    },
)
def create() -> tuple[Response, int, dict[str, str]]:
    """Register an endpoint; the secret is in this answer only."""
    data = parse(WebhookCreate)
    created = service.create_endpoint(
        work(), url=data.url, events=data.events, description=data.description
    )
    shown = WebhookCreated(**_out(created.endpoint).model_dump(), secret=created.secret)
    location = f"/api/v1/webhooks/{created.endpoint.id}"
    return jsonify(shown.to_json()), 201, {"Location": location}


@bp.delete("/webhooks/<webhook>")
@operation(
    summary="Remove a webhook endpoint",
    tag=TAG,
    responses={204: None},
    description="Nothing more is sent to it; its pending deliveries are cancelled. The "
    "endpoint and its delivery log stay readable.",
)
def remove(webhook: str) -> tuple[str, int]:
    """Disable an endpoint of the calling issuer."""
    service.disable_endpoint(work(), webhook)
    return "", 204


_LIMIT = {
    "limit": {
        "description": "deliveries to list, newest first (1-200, default 50)",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    }
}


@bp.get("/webhooks/<webhook>/deliveries")
@operation(
    summary="List an endpoint's deliveries",
    tag=TAG,
    responses={200: DeliveryList},
    query=_LIMIT,
    errors={400: "limit is not a whole number from 1 to 200 (bad-request)"},
    description="Each event sent (or to send) to the endpoint, with its state, attempts, "
    "the next attempt's time, and the last answer's status and first characters.",
)
def deliveries(webhook: str) -> Response:
    """The endpoint's newest deliveries."""
    text = request.args.get("limit", "50")
    if not text.isdigit() or not 1 <= int(text) <= 200:
        raise BadRequest("limit: a whole number from 1 to 200")
    rows = service.deliveries(work(), webhook, limit=int(text))
    return jsonify(DeliveryList(deliveries=[_delivery(row) for row in rows]).to_json())


@bp.post("/webhooks/<webhook>/deliveries/<delivery>/replay")
@operation(
    summary="Send a delivery again",
    tag=TAG,
    responses={202: DeliveryOut},
    errors={409: "The endpoint was removed (conflict)"},
    description="Queues a new delivery of the same event (same body and event id, a new "
    "delivery id), due at once.",
)
def replay(webhook: str, delivery: str) -> tuple[Response, int]:
    """Replay a delivery of the calling issuer's endpoint."""
    again = service.replay(work(), webhook, delivery)
    return jsonify(_delivery(again).to_json()), 202
