"""The e-mail outbox: mail written with what it is about, sent after the request.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from issuer.models import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_mail",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=200), nullable=False, unique=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("issuer_id", sa.Integer(), sa.ForeignKey("issuer.id"), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_outbox_mail_due", "outbox_mail", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_mail_issuer_id", "outbox_mail", ["issuer_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_mail_issuer_id", table_name="outbox_mail")
    op.drop_index("ix_outbox_mail_due", table_name="outbox_mail")
    op.drop_table("outbox_mail")
