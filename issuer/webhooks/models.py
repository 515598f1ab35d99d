"""Tables of webhooks: a provider's endpoints, and every delivery made (or to make) to them.

The signing secret of an endpoint is shown once, when it is created, and stored sealed
under the master key (:meth:`keys.MasterKey.seal_data`, bound to the endpoint's id): the
service must read it back to sign each delivery, so a digest would not do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, LargeBinary, Text
from sqlmodel import Field, SQLModel

from issuer.models import UTCDateTime

# The events a provider may subscribe to, in the order the pages list them.
EVENTS = (
    "credential.issued",
    "credential.revoked",
    "credential.suspended",
    "credential.unsuspended",
)
# A delivery waits (``pending``) until it is sent (``delivered``), gives up after the last
# attempt (``failed``), or its endpoint was removed first (``cancelled``).
STATES = ("pending", "delivered", "failed", "cancelled")
_ID_LENGTH = 36


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class WebhookEndpoint(SQLModel, table=True):
    """An address of one provider that receives the events it subscribed to.

    ``events`` is a JSON list of names from :data:`EVENTS`. A removed endpoint keeps its
    row (``disabled_at``) so its deliveries stay readable.
    """

    __tablename__ = "webhook_endpoint"

    id: str = Field(primary_key=True, max_length=_ID_LENGTH)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    url: str = Field(max_length=2048)
    events: str = Field(sa_column=Column(Text(), nullable=False))
    description: str | None = Field(default=None, max_length=200)
    secret_sealed: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    created_at: datetime = _when()
    disabled_at: datetime | None = _when(nullable=True)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: the exact body sent, its attempts and the last answer.

    ``event_id`` is the same for every endpoint and every retry or replay of one event
    (receivers de-duplicate on it); ``uuid`` names this delivery (the ``Baeji-Delivery``
    header, the API's id); ``id`` orders deliveries as they were written, so events go out
    in the order they happened (a retry may still come after a later event).
    ``next_attempt_at`` is when a ``pending`` delivery is due; ``last_status`` is the HTTP
    status of the last answer (``None`` when none came: a timeout, a refused address),
    ``last_response`` a short excerpt of its body or what went wrong.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
        Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=_ID_LENGTH, unique=True)
    endpoint_id: str = Field(foreign_key="webhook_endpoint.id", max_length=_ID_LENGTH)
    event: str = Field(max_length=40)
    event_id: str = Field(max_length=_ID_LENGTH, index=True)
    payload: str = Field(sa_column=Column(Text(), nullable=False))
    state: str = Field(max_length=16)
    attempts: int = Field(default=0, sa_column=Column(Integer(), nullable=False))
    next_attempt_at: datetime | None = _when(nullable=True)
    last_status: int | None = None
    last_response: str | None = Field(default=None, max_length=500)
    last_duration_ms: int | None = None
    created_at: datetime = _when()
    last_attempt_at: datetime | None = _when(nullable=True)
    delivered_at: datetime | None = _when(nullable=True)
