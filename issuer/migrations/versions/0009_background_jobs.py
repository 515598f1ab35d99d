"""Background jobs: the ``job`` table, and on PostgreSQL the queue's own schema.

On PostgreSQL the jobs run on procrastinate's queue (``baeji worker``); its tables,
types and functions (``procrastinate_*``) are created here from the schema file of the
installed procrastinate 3.x, so a job row and its queue entry are written in one
transaction. On SQLite jobs run in the service's own process: only ``job`` is created.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from issuer.models import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROP_QUEUE = """
DROP TABLE IF EXISTS procrastinate_periodic_defers, procrastinate_events,
    procrastinate_jobs, procrastinate_workers CASCADE;
DO $$
DECLARE fn record;
BEGIN
    FOR fn IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'
    LOOP
        EXECUTE 'DROP FUNCTION ' || fn.signature || ' CASCADE';
    END LOOP;
END $$;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
"""


def _run_script(bind: sa.Connection, script: str) -> None:
    """Run a multi-statement SQL script as it is (no placeholders: it holds ``%``)."""
    cursor = bind.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(script)
    finally:
        cursor.close()


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("issuer_id", sa.Integer(), sa.ForeignKey("issuer.id"), nullable=True),
        sa.Column("key", sa.String(length=255), nullable=True, unique=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("run_after", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_job_issuer_id", "job", ["issuer_id"])
    op.create_index("ix_job_state_run_after", "job", ["state", "run_after"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        _run_script(bind, SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _run_script(bind, _DROP_QUEUE)
    op.drop_index("ix_job_state_run_after", table_name="job")
    op.drop_index("ix_job_issuer_id", table_name="job")
    op.drop_table("job")
