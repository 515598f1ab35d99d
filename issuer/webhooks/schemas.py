"""Wire shapes of ``/api/v1/webhooks`` (the shared field types come from :mod:`issuer.schemas`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from issuer.schemas import ApiModel, Name, Timestamp, Url

WebhookEvent = Literal[
    "credential.issued",
    "credential.revoked",
    "credential.suspended",
    "credential.unsuspended",
]
DeliveryState = Literal["pending", "delivered", "failed", "cancelled"]


class WebhookCreate(ApiModel):
    """A new endpoint: where to send which events."""

    url: Url = Field(
        description="a public https URL; its host must resolve to public addresses only",
        examples=["https://lms.example.kr/hooks/baeji"],
    )
    events: list[WebhookEvent] = Field(min_length=1, max_length=4)
    description: Name | None = None


class WebhookOut(ApiModel):
    """An endpoint of the calling issuer (its secret is never shown again)."""

    id: str
    url: str
    events: list[WebhookEvent]
    description: str | None = None
    active: bool
    created_at: Timestamp
    disabled_at: Timestamp | None = None


class WebhookCreated(WebhookOut):
    """A new endpoint, with its signing secret: shown this once only."""

    secret: str = Field(
        description="the HMAC-SHA256 key of Baeji-Signature (whsec_...); store it now, it is "
        "never shown again"
    )


class WebhookList(ApiModel):
    """The calling issuer's endpoints, oldest first (removed ones too)."""

    webhooks: list[WebhookOut]


class DeliveryOut(ApiModel):
    """One event sent (or to send) to an endpoint, with the last answer it got."""

    id: str = Field(description="the Baeji-Delivery header of its attempts")
    event: WebhookEvent
    event_id: str = Field(description="the body's id: the same on every retry and replay")
    state: DeliveryState
    attempts: int
    next_attempt_at: Timestamp | None = Field(
        default=None, description="when a pending delivery is tried next"
    )
    last_status: int | None = Field(
        default=None, description="HTTP status of the last answer; absent when none came"
    )
    last_response: str | None = Field(
        default=None, description="the start of the last answer's body, or what went wrong"
    )
    last_duration_ms: int | None = None
    created_at: Timestamp
    last_attempt_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    payload: dict[str, Any] = Field(description="the JSON body, exactly as sent")


class DeliveryList(ApiModel):
    """Deliveries of one endpoint, newest first."""

    deliveries: list[DeliveryOut]
