"""Tables of the operator console: applications sent through the public ``/join`` form.

An application is what a training provider asks to be registered as; an operator approves
it (the provider is created and its owner gets a one-time invitation link) or rejects it
with a reason. The row stays either way, as the record of the decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from issuer.models import UTCDateTime

APPLICATION_STATES = ("pending", "approved", "rejected")


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class ProviderApplication(SQLModel, table=True):
    """A provider's request to join the platform, and the operator's decision on it.

    ``email`` is the applicant's (the would-be owner's) address, kept in the clear: it is
    a business contact the operator writes to, not a learner's address.
    """

    __tablename__ = "provider_application"
    __table_args__ = (Index("ix_provider_application_state", "state", "submitted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64)
    name: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=2048)
    email: str = Field(max_length=254)
    description: str | None = Field(default=None, max_length=2000)
    message: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    lang: str = Field(default="ko", max_length=8)
    state: str = Field(default="pending", max_length=16)
    submitted_at: datetime = _when()
    decided_at: datetime | None = _when(nullable=True)
    decided_by: str | None = Field(default=None, max_length=120)
    reason: str | None = Field(default=None, max_length=500)
    # The provider created on approval.
    issuer_id: int | None = Field(default=None, foreign_key="issuer.id")

    @property
    def pk(self) -> int:
        """The primary key of a saved application."""
        if self.id is None:
            raise RuntimeError("the application has not been saved yet")
        return self.id
