"""Wallet links get a scope: the provider whose badges a link shows, or none (full).

Until this revision every wallet link showed all of a learner's badges, from every
provider, although the issuing API hands the link to the provider that issued. From now
on a link minted for an issuing answer has ``issuer_id`` set and shows that provider's
badges only; ``issuer_id IS NULL`` is a full link, which only the learner receives.

Existing rows get ``NULL``: links minted before this revision keep their old reach
(every provider's badges, the whole-history record, share pages of anything). Providers
may hold such links of learners they issued to. An operator who wants them gone can
delete them, then give learners new links (``baeji wallet link --email ...``)::

    DELETE FROM wallet_token WHERE issuer_id IS NULL AND created_at < '<time of upgrade>';

Revision ID: 0003
Revises: 0002
Create Date: 2026-03-16
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL's own name for an unnamed foreign key, as 0001 got for its tables.
_FOREIGN_KEY = "wallet_token_issuer_id_fkey"


def upgrade() -> None:
    with op.batch_alter_table("wallet_token") as batch:
        batch.add_column(sa.Column("issuer_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(_FOREIGN_KEY, "issuer", ["issuer_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("wallet_token") as batch:
        batch.drop_constraint(_FOREIGN_KEY, type_="foreignkey")
        batch.drop_column("issuer_id")
