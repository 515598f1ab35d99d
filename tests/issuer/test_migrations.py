"""Migrations: the newest revision matches the models, round-trips, and guards the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import SQLModel

import issuer.models  # noqa: F401  (registers the tables)
from issuer import db
from tests.issuer.conftest import DATABASES, isolated_database


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database migrated to head."""
    with isolated_database(request.param, tmp_path) as url:
        engine = db.make_engine(url)
        db.upgrade(engine)
        yield engine
        engine.dispose()


def test_head_matches_the_models(engine: Engine) -> None:
    """Autogenerate finds nothing to add: the migrations and the SQLModel tables agree."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    assert db.current_revision(engine) == db.head_revision()


def test_downgrade_and_upgrade_again(engine: Engine) -> None:
    """The initial revision downgrades to an empty database and upgrades again."""
    config = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event"]
)
def test_audit_log_is_append_only(engine: Engine, statement: str) -> None:
    """The database refuses to change or delete audit events."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_event (occurred_at, actor, action, subject) "
                "VALUES (CURRENT_TIMESTAMP, 'test', 'test.event', 'subject')"
            )
        )
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
