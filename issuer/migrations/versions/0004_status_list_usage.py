"""Status lists count their credentials: ``status_list.used``.

The allocator used to count a list's credentials (``count(*)``) for each purpose on every
issuance, a cost that grows with the list. The counter is raised in the transaction that
stores credentials; this revision adds it and fills it from the credentials already
issued.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both back ends: SQLite (3.35 and later) adds and drops a column in
# place, where a batch operation would copy the table that credentials reference.


def upgrade() -> None:
    op.add_column(
        "status_list", sa.Column("used", sa.Integer(), nullable=False, server_default="0")
    )
    # A list serves one purpose, so at most one of the two counts is not zero.
    op.execute(
        "UPDATE status_list SET used = "
        "(SELECT count(*) FROM credential WHERE credential.revocation_list_id = status_list.id)"
        " + "
        "(SELECT count(*) FROM credential WHERE credential.suspension_list_id = status_list.id)"
    )


def downgrade() -> None:
    op.drop_column("status_list", "used")
