"""The certification table: each certification's signed EndorsementCredential, as issued.

``document`` is the signed JSON and ``jwt`` the VC-JWT, exactly as signed and never rebuilt.
The (list, index) unique constraint guarantees no two certifications share a status bit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from issuer.models import UTCDateTime

_ID_LENGTH = 36


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


def _text(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(Text(), nullable=nullable))


class Certification(SQLModel, table=True):
    """One certification of a provider by the platform, in one programme.

    ``issuer_id`` is the certified provider; the certification's public URL is
    ``{base}/certifications/{id}``. A revoked certification keeps its row (its status bit
    is set and its document still resolves, so verifiers can say "revoked").
    """

    __tablename__ = "certification"
    __table_args__ = (UniqueConstraint("status_list_id", "status_index"),)

    id: str = Field(primary_key=True, max_length=_ID_LENGTH)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    programme: str = Field(max_length=64)
    narrative: str | None = _text(nullable=True)
    document: str = _text()
    jwt: str = _text()
    valid_from: datetime = _when()
    valid_until: datetime = _when()
    status_list_id: str = Field(foreign_key="status_list.id", max_length=_ID_LENGTH)
    status_index: int
    created_at: datetime = _when()
    revoked_at: datetime | None = _when(nullable=True)
    revocation_reason: str | None = Field(default=None, max_length=500)
