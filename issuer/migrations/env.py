"""Alembic environment: our SQLModel tables, on the connection handed in or the URL.

``issuer.db.upgrade`` passes a live connection in ``config.attributes["connection"]``;
the ``alembic`` command line (``alembic -c issuer/migrations/alembic.ini ...``) uses
``sqlalchemy.url`` or ``BAEJI_DATABASE_URL``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

# Importing the models registers their tables on SQLModel.metadata.
import issuer.certification.models
import issuer.console.models
import issuer.jobs.models
import issuer.models
import issuer.operator.models
import issuer.outbox.models
import issuer.webhooks.models  # noqa: F401
from issuer.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # procrastinate's own tables (PostgreSQL job queue, migration 0009) are not ours.
        include_name=lambda name, kind, _parents: not (name or "").startswith("procrastinate"),
        # SQLite alters tables by copying them; batch mode does that for us.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection, or on a new one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = os.environ.get("BAEJI_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set BAEJI_DATABASE_URL or sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()
