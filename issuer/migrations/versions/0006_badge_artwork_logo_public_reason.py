"""Badge artwork, issuer logos, and whether a revocation's reason is public.

- ``achievement.image`` / ``image_type``: the provider's own badge artwork (PNG, JPEG or
  SVG), fetched or decoded once when the achievement is created or its image changes, and
  served from Baeji from then on.
- ``issuer.logo`` / ``logo_type``: the provider's logo, shown on its profile, on
  verification pages and on printed certificates.
- ``credential.reason_public``: the provider chose to show the revocation or suspension
  reason on public pages. Existing rows get ``false``: reasons stay private.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("achievement") as batch:
        batch.add_column(sa.Column("image", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("image_type", sa.String(length=32), nullable=True))
    with op.batch_alter_table("issuer") as batch:
        batch.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("logo_type", sa.String(length=32), nullable=True))
    with op.batch_alter_table("credential") as batch:
        batch.add_column(
            sa.Column("reason_public", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("credential") as batch:
        batch.drop_column("reason_public")
    with op.batch_alter_table("issuer") as batch:
        batch.drop_column("logo_type")
        batch.drop_column("logo")
    with op.batch_alter_table("achievement") as batch:
        batch.drop_column("image_type")
        batch.drop_column("image")
