"""The outbox table: e-mails waiting to be sent, sent, or given up.

Nothing readable about the recipient is stored: the whole message (addresses, subject and
body, which may carry a wallet link) is sealed under the master key with the row's ``key``
as associated data, and ``sealed`` is set to ``NULL`` once the mail is sent or given up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from issuer.models import UTCDateTime

# States of a row; ``sending`` is a claim that lapses at ``lease_until``.
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
STATES = (PENDING, SENDING, SENT, FAILED)


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class OutboxMail(SQLModel, table=True):
    """One e-mail: sealed until sent, then only its bookkeeping remains.

    ``key`` makes queueing idempotent (one mail per badge issued, per invitation...);
    ``message_id`` is the ``Message-ID`` header, fixed when the row is written so a mail
    sent twice after a crash is recognisably the same mail.
    """

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_mail_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40)
    issuer_id: int | None = Field(default=None, foreign_key="issuer.id", index=True)
    message_id: str = Field(max_length=255)
    sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary(), nullable=True))
    state: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _when()
    lease_until: datetime | None = _when(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    created_at: datetime = _when()
    sent_at: datetime | None = _when(nullable=True)

    @property
    def pk(self) -> int:
        """The primary key of a saved row."""
        if self.id is None:
            raise RuntimeError("the outbox row has not been saved yet")
        return self.id
