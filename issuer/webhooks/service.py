"""Webhook endpoints of a provider, the events written for them, the delivery log, replay.

:func:`emit` is called by the credential workflows (issuing one or a batch, revoking,
suspending, unsuspending, and revoking a badge replaced by a new one) inside the write
transaction that makes the change: one delivery per matching endpoint is written with it,
so an event is sent if and only if its change is committed. Sending is
:mod:`issuer.webhooks.sending`'s job, after the commit.

The body of an event (``payload``)::

    {"id": "<event uuid>", "type": "credential.revoked", "created": "2026-11-30T08:00:00Z",
     "data": {"credentialId": "https://.../credentials/<uuid>", "credentialUuid": "<uuid>",
              "achievementId": "https://.../achievements/<uuid>", "issuerId": "did:web:...",
              "learnerId": "urn:uuid:<uuid>", "status": "revoked", "issuedAt": "...",
              "reason": "..."}}

``reason`` only for revocations and suspensions. The learner's e-mail address is never in
it (the service does not keep it).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from badges import format_datetime
from issuer.config import Settings
from issuer.db import Work, insert_all
from issuer.errors import Conflict, NotFound, ValidationFailed
from issuer.models import Credential, Issuer, parse_id
from issuer.webhooks import delivery_jobs, sending
from issuer.webhooks.models import EVENTS, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Created",
    "create_endpoint",
    "deliveries",
    "disable_endpoint",
    "emit",
    "emit_many",
    "events_of",
    "get_delivery",
    "get_endpoint",
    "list_endpoints",
    "payload_of",
    "replay",
]

MAX_ENDPOINTS = 20
_REASONED = {"credential.revoked", "credential.suspended"}


@dataclass(frozen=True)
class Created:
    """A new endpoint and its signing secret (shown to the provider once, never stored clear)."""

    endpoint: WebhookEndpoint
    secret: str = field(repr=False)


def events_of(endpoint: WebhookEndpoint) -> list[str]:
    """The events ``endpoint`` receives, in :data:`~issuer.webhooks.models.EVENTS` order."""
    chosen = set(json.loads(endpoint.events))
    return [event for event in EVENTS if event in chosen]


def payload_of(delivery: WebhookDelivery) -> dict[str, Any]:
    """The JSON body of ``delivery`` as sent."""
    found: dict[str, Any] = json.loads(delivery.payload)
    return found


def _check_events(events: Iterable[str]) -> list[str]:
    chosen = set(events)
    unknown = sorted(chosen - set(EVENTS))
    if unknown or not chosen:
        message = f"unknown event {unknown[0]!r}" if unknown else "choose at least one event"
        raise ValidationFailed(
            f"events: {message}", errors=[{"field": "events", "message": message}]
        )
    return [event for event in EVENTS if event in chosen]


def create_endpoint(
    work: Work, *, url: str, events: Iterable[str], description: str | None = None
) -> Created:
    """Register an endpoint of the acting issuer; return it with its secret (shown once).

    Raises:
        WebhookUrlRefused: the URL is not a public https address (see
            :func:`issuer.webhooks.sending.check_url`).
        ValidationFailed: no event or an unknown one, a description over 200 characters,
            or more than :data:`MAX_ENDPOINTS` active endpoints.
    """
    issuer = work.tenant
    chosen = _check_events(events)
    text = (description or "").strip() or None
    if text is not None and (len(text) > 200 or any(c in text for c in "\r\n\x00")):
        raise ValidationFailed(
            "description: one line of at most 200 characters",
            errors=[{"field": "description", "message": "invalid"}],
        )
    address = sending.check_url(work.settings, url)
    secret = sending.new_secret()
    endpoint_id = str(uuid.uuid4())
    with work.write():
        active = [e for e in list_endpoints(work) if e.disabled_at is None]
        if len(active) >= MAX_ENDPOINTS:
            raise ValidationFailed(
                f"at most {MAX_ENDPOINTS} webhook endpoints; remove one first",
                errors=[{"field": "url", "message": "too many endpoints"}],
            )
        endpoint = WebhookEndpoint(
            id=endpoint_id,
            issuer_id=issuer.pk,
            url=address,
            events=json.dumps(chosen),
            description=text,
            secret_sealed=sending.seal_secret(work.settings, endpoint_id, secret),
            created_at=work.now,
        )
        work.session.add(endpoint)
        work.audit(
            "webhook.create",
            f"webhook:{endpoint_id}",
            url=address,
            events=chosen,
        )
    return Created(endpoint, secret)


def list_endpoints(work: Work) -> list[WebhookEndpoint]:
    """The acting issuer's endpoints, oldest first, removed ones included."""
    return list(
        work.session.exec(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.issuer_id == work.tenant.pk)
            .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))
        ).all()
    )


def get_endpoint(work: Work, ref: str) -> WebhookEndpoint:
    """The acting issuer's endpoint ``ref`` (its uuid).

    Raises:
        NotFound: no such endpoint, or another issuer's (the two look the same).
    """
    endpoint_id = parse_id(ref)
    endpoint = work.session.get(WebhookEndpoint, endpoint_id) if endpoint_id else None
    if endpoint is None or endpoint.issuer_id != work.tenant.pk:
        raise NotFound(f"no webhook endpoint {ref!r}")
    return endpoint


def disable_endpoint(work: Work, ref: str) -> WebhookEndpoint:
    """Remove an endpoint: nothing more is sent to it; its pending deliveries are cancelled.

    The row and its deliveries stay, so the log remains readable. Removing twice is
    harmless.

    Raises:
        NotFound: no such endpoint of the acting issuer.
    """
    with work.write():
        endpoint = get_endpoint(work, ref)
        if endpoint.disabled_at is None:
            endpoint.disabled_at = work.now
            work.session.add(endpoint)
            pending = work.session.exec(
                select(WebhookDelivery).where(
                    WebhookDelivery.endpoint_id == endpoint.id,
                    WebhookDelivery.state == "pending",
                )
            ).all()
            for delivery in pending:
                delivery.state, delivery.next_attempt_at = "cancelled", None
                work.session.add(delivery)
            work.audit("webhook.disable", f"webhook:{endpoint.id}", issuer_id=endpoint.issuer_id)
    return endpoint


# -- events ---------------------------------------------------------------------------------


def _data(settings: Settings, issuer: Issuer, event: str, row: Credential) -> dict[str, Any]:
    data: dict[str, Any] = {
        "credentialId": settings.url("credentials", row.id),
        "credentialUuid": row.id,
        "achievementId": settings.url("achievements", row.achievement_id),
        "issuerId": issuer.did,
        "learnerId": f"urn:uuid:{row.learner_id}",
        "status": row.status,
        "issuedAt": format_datetime(row.issued_at),
    }
    if event in _REASONED:
        reason = row.revocation_reason if event == "credential.revoked" else row.suspension_reason
        if reason:
            data["reason"] = reason
    return data


def emit(work: Work, event: str, credential: Credential) -> list[str]:
    """Write ``event`` about ``credential`` for each of the issuer's endpoints that want it.

    Call inside the write transaction of the change (the deliveries commit with it).
    Returns the new deliveries' uuids (none when no endpoint subscribed).
    """
    return emit_many(work, event, [credential])


def emit_many(work: Work, event: str, credentials: Sequence[Credential]) -> list[str]:
    """:func:`emit` for many credentials of one issuer at once (a batch): one query for the
    endpoints, one INSERT for the deliveries; one event id per credential."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    if not credentials:
        return []
    issuer = work.tenant
    endpoints = [
        endpoint
        for endpoint in work.session.exec(
            select(WebhookEndpoint).where(
                WebhookEndpoint.issuer_id == issuer.pk,
                col(WebhookEndpoint.disabled_at).is_(None),
            )
        ).all()
        if event in events_of(endpoint)
    ]
    if not endpoints:
        return []
    created = format_datetime(work.now)
    rows: list[WebhookDelivery] = []
    for credential in credentials:
        event_id = str(uuid.uuid4())
        body = json.dumps(
            {
                "id": event_id,
                "type": event,
                "created": created,
                "data": _data(work.settings, issuer, event, credential),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for endpoint in endpoints:
            rows.append(
                WebhookDelivery.model_construct(
                    id=None,
                    uuid=str(uuid.uuid4()),
                    endpoint_id=endpoint.id,
                    event=event,
                    event_id=event_id,
                    payload=body,
                    state="pending",
                    attempts=0,
                    next_attempt_at=work.now,
                    last_status=None,
                    last_response=None,
                    last_duration_ms=None,
                    created_at=work.now,
                    last_attempt_at=None,
                    delivered_at=None,
                )
            )
    insert_all(work.session, rows)
    ids = [row.uuid for row in rows]
    delivery_jobs.send_later(work, ids)
    return ids


# -- the delivery log -------------------------------------------------------------------------


def deliveries(work: Work, ref: str, *, limit: int = 50) -> list[WebhookDelivery]:
    """The newest deliveries of the acting issuer's endpoint ``ref``.

    Raises:
        NotFound: no such endpoint of the acting issuer.
    """
    endpoint = get_endpoint(work, ref)
    return list(
        work.session.exec(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(col(WebhookDelivery.id).desc())
            .limit(limit)
        ).all()
    )


def get_delivery(work: Work, ref: str, delivery_ref: str) -> WebhookDelivery:
    """Delivery ``delivery_ref`` of the acting issuer's endpoint ``ref``.

    Raises:
        NotFound: no such endpoint, or no such delivery of it.
    """
    endpoint = get_endpoint(work, ref)
    delivery_id = parse_id(delivery_ref)
    delivery = (
        work.session.exec(
            select(WebhookDelivery).where(WebhookDelivery.uuid == delivery_id)
        ).first()
        if delivery_id
        else None
    )
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound(f"no delivery {delivery_ref!r} of this webhook endpoint")
    return delivery


def replay(work: Work, ref: str, delivery_ref: str) -> WebhookDelivery:
    """Send a delivery's event again: a new delivery with the same body, due now.

    The event keeps its id (the receiver may already have it); the new delivery has its own
    id and attempts.

    Raises:
        NotFound: no such endpoint or delivery of the acting issuer.
        Conflict: the endpoint was removed.
    """
    with work.write():
        original = get_delivery(work, ref, delivery_ref)
        endpoint = get_endpoint(work, ref)
        if endpoint.disabled_at is not None:
            raise Conflict("this webhook endpoint was removed; nothing is sent to it")
        again = WebhookDelivery(
            uuid=str(uuid.uuid4()),
            endpoint_id=endpoint.id,
            event=original.event,
            event_id=original.event_id,
            payload=original.payload,
            state="pending",
            attempts=0,
            next_attempt_at=work.now,
            created_at=work.now,
        )
        work.session.add(again)
        delivery_jobs.send_later(work, [again.uuid])
        work.audit(
            "webhook.replay",
            f"webhook:{endpoint.id}",
            issuer_id=endpoint.issuer_id,
            event_id=original.event_id,
            delivery=again.uuid,
        )
    return again
