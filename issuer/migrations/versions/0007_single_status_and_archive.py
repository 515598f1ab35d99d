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

Alignment ``targetType`` is now checked against the OB 3.0 AlignmentTargetType vocabulary.
Stored achievements whose alignment names another type (e.g. ``Course``, which the API
used to accept) could never issue (the schema refused every badge); their value becomes
the extension term ``ext:<value>`` so they read and issue again, and nothing is lost.

Downgrading keeps the ``ext:`` target types (valid before this revision too) and needs
every credential to have a suspension slot again: it stops with a
message if some do not (they were issued by an issuer without suspension).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The OB 3.0 AlignmentTargetType values (issuer.schemas keeps the same list for the API).
_TARGET_TYPES = frozenset(
    {
        "ceasn:Competency",
        "ceterms:Credential",
        "CFItem",
        "CFRubric",
        "CFRubricCriterion",
        "CFRubricCriterionLevel",
        "CTDL",
    }
)
_EXTENSION = re.compile(r"^ext:[A-Za-z0-9._-]{1,60}$")


def _fixed_target_type(value: str) -> str:
    if value in _TARGET_TYPES or _EXTENSION.match(value):
        return value
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "", value)[:60] or "Unspecified"
    return f"ext:{cleaned}"


def _fix_alignment_target_types() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, document FROM achievement")).all()
    for achievement_id, text in rows:
        document = json.loads(text)
        changed = False
        for alignment in document.get("alignment") or []:
            value = alignment.get("targetType")
            if isinstance(value, str) and _fixed_target_type(value) != value:
                alignment["targetType"] = _fixed_target_type(value)
                changed = True
        if changed:
            bind.execute(
                sa.text("UPDATE achievement SET document = :document WHERE id = :id"),
                {"document": json.dumps(document, ensure_ascii=False), "id": achievement_id},
            )


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite supports it): rebuilding these tables would trip the
    # foreign keys that point at them.
    op.add_column(
        "issuer", sa.Column("suspension", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("achievement", sa.Column("archived_at", sa.DateTime(timezone=True)))
    _fix_alignment_target_types()
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
    # DROP COLUMN without a table rebuild (SQLite 3.35+), for the same reason.
    op.drop_column("achievement", "archived_at")
    op.drop_column("issuer", "suspension")
