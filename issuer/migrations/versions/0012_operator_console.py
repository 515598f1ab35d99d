"""Operator console: providers' standing on the platform, and applications to join.

Revision ID: 0012
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from issuer.models import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite >= 3.35 has both): a batch operation would copy the
    # issuer table, and the copy fails while other tables hold foreign keys to it.
    op.add_column(
        "issuer",
        sa.Column("state", sa.String(length=16), nullable=False, server_default="active"),
    )
    op.add_column("issuer", sa.Column("state_reason", sa.String(length=500), nullable=True))
    op.add_column("issuer", sa.Column("state_changed_at", UTCDateTime(), nullable=True))
    op.create_table(
        "provider_application",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("issuer_id", sa.Integer(), sa.ForeignKey("issuer.id"), nullable=True),
    )
    op.create_index(
        "ix_provider_application_state", "provider_application", ["state", "submitted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_provider_application_state", table_name="provider_application")
    op.drop_table("provider_application")
    op.drop_column("issuer", "state_changed_at")
    op.drop_column("issuer", "state_reason")
    op.drop_column("issuer", "state")
