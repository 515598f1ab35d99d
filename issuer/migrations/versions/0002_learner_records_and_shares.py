"""Learner records (CLR 2.0), share links, and achievements that build on others.

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "achievement_link",
        sa.Column("achievement_id", sa.String(length=36), nullable=False),
        sa.Column("builds_on_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["achievement_id"], ["achievement.id"]),
        sa.ForeignKeyConstraint(["builds_on_id"], ["achievement.id"]),
        sa.PrimaryKeyConstraint("achievement_id", "builds_on_id"),
    )
    op.create_index(
        "ix_achievement_link_builds_on_id", "achievement_link", ["builds_on_id"], unique=False
    )

    op.create_table(
        "learner_record",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("jwt", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learner.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "content_hash"),
    )
    op.create_index("ix_learner_record_learner_id", "learner_record", ["learner_id"], unique=False)

    op.create_table(
        "share_link",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("credential_ids", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learner.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_share_link_learner_id", "share_link", ["learner_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_share_link_learner_id", table_name="share_link")
    op.drop_table("share_link")
    op.drop_index("ix_learner_record_learner_id", table_name="learner_record")
    op.drop_table("learner_record")
    op.drop_index("ix_achievement_link_builds_on_id", table_name="achievement_link")
    op.drop_table("achievement_link")
