"""One credentialStatus by default; suspension as an issuer setting; archived achievements.

The 1EdTech OB 3.0 JSON Schema types ``credentialStatus`` as one object, so from this
revision a badge carries only its revocation entry unless its issuer has turned
suspension on (``issuer.suspension``), which adds the second entry. A credential issued
without one has no suspension slot: ``suspension_list_id`` and ``suspension_index``
become nullable. Every issuer starts with suspension off, those registered before this
revision too: their badges issued so far keep both entries and can still be suspended
(suspension follows the badge's own entry), and what they issue from now on validates
against the schema unless the operator turns suspension on for them.

``achievement.archived_at`` hides an achievement from new issuance and from listings
while its badges keep resolving.

Downgrading needs every credential to have a suspension slot again: it stops with a
message if some do not (they were issued by an issuer without suspension).

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("issuer") as batch:
        batch.add_column(
            sa.Column("suspension", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("achievement") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("credential") as batch:
        batch.alter_column("suspension_list_id", existing_type=sa.String(36), nullable=True)
        batch.alter_column("suspension_index", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    missing = (
        op.get_bind()
        .execute(sa.text("SELECT COUNT(*) FROM credential WHERE suspension_list_id IS NULL"))
        .scalar_one()
    )
    if missing:
        raise RuntimeError(
            f"{missing} credential(s) have no suspension entry (issued with suspension off); "
            "revision 0003 cannot store them. Keep this revision."
        )
    with op.batch_alter_table("credential") as batch:
        batch.alter_column("suspension_list_id", existing_type=sa.String(36), nullable=False)
        batch.alter_column("suspension_index", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("achievement") as batch:
        batch.drop_column("archived_at")
    with op.batch_alter_table("issuer") as batch:
        batch.drop_column("suspension")
