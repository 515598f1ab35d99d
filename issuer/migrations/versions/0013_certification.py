"""Certifications: the platform's signed EndorsementCredentials about providers.

Revision ID: 0013
Revises: 0012 (chained after the operator console on the operator branch)
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from issuer.models import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certification",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("issuer_id", sa.Integer(), sa.ForeignKey("issuer.id"), nullable=False),
        sa.Column("programme", sa.String(length=64), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("jwt", sa.Text(), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=False),
        sa.Column(
            "status_list_id", sa.String(length=36), sa.ForeignKey("status_list.id"), nullable=False
        ),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revocation_reason", sa.String(length=500), nullable=True),
        sa.UniqueConstraint("status_list_id", "status_index"),
    )
    op.create_index("ix_certification_issuer_id", "certification", ["issuer_id"])


def downgrade() -> None:
    op.drop_index("ix_certification_issuer_id", table_name="certification")
    op.drop_table("certification")
