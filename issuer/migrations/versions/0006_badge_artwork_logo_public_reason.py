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
    # Plain ADD/DROP COLUMN (SQLite >= 3.35 has both): a batch operation would copy the
    # tables, and the copy fails while credentials hold foreign keys to them.
    op.add_column("achievement", sa.Column("image", sa.LargeBinary(), nullable=True))
    op.add_column("achievement", sa.Column("image_type", sa.String(length=32), nullable=True))
    op.add_column("issuer", sa.Column("logo", sa.LargeBinary(), nullable=True))
    op.add_column("issuer", sa.Column("logo_type", sa.String(length=32), nullable=True))
    op.add_column(
        "credential",
        sa.Column("reason_public", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("credential", "reason_public")
    op.drop_column("issuer", "logo_type")
    op.drop_column("issuer", "logo")
    op.drop_column("achievement", "image_type")
    op.drop_column("achievement", "image")
