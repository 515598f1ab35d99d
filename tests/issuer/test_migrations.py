"""Migrations: the newest revision matches the models, round-trips, and guards the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import SQLModel

import issuer.jobs.models
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
        # procrastinate's tables (the PostgreSQL job queue, migration 0009) are not models.
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, _kind, _parents: (
                    not (name or "").startswith("procrastinate")
                ),
            },
        )
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


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_0007_rewrites_alignment_types_outside_the_vocabulary(engine: Engine) -> None:
    """An alignment typed "Course" (accepted before) becomes ext:Course; valid types stay."""
    _migrate(engine, "0003", down=True)
    document = {
        "name": "옛 과정",
        "alignment": [
            {"targetName": "a", "targetUrl": "https://x.example/a", "targetType": "Course"},
            {"targetName": "b", "targetUrl": "https://x.example/b", "targetType": "CFItem"},
            {"targetName": "c", "targetUrl": "https://x.example/c"},
        ],
    }
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO issuer (id, slug, name, did, created_at) "
                "VALUES (900, 'legacy', '옛 기관', 'did:web:x:issuers:legacy', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO achievement (id, issuer_id, name, document, created_at, updated_at) "
                "VALUES ('0b7e5b52-0000-4000-8000-000000000005', 900, '옛 과정', :document, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"document": json.dumps(document, ensure_ascii=False)},
        )
        for n, purpose in ((1, "revocation"), (2, "suspension")):
            connection.execute(
                text(
                    'INSERT INTO status_list (id, issuer_id, purpose, size, "full", bits, '
                    "document, etag, created_at, updated_at) VALUES "
                    "(:id, 900, :purpose, 8, :off, :bits, '{}', 'e', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                ),
                {
                    "id": f"0b7e5b52-0000-4000-8000-00000000000{n}",
                    "purpose": purpose,
                    "off": False,
                    "bits": b"\0",
                },
            )
        connection.execute(
            text(
                "INSERT INTO learner (id, email_hmac, created_at) VALUES "
                "('0b7e5b52-0000-4000-8000-0000000000bb', 'h', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO credential (id, issuer_id, achievement_id, learner_id, document, "
                "jwt, jwt_alg, issued_at, valid_from, revocation_list_id, revocation_index, "
                "suspension_list_id, suspension_index) VALUES "
                "('0b7e5b52-0000-4000-8000-0000000000dd', 900, "
                "'0b7e5b52-0000-4000-8000-000000000005', '0b7e5b52-0000-4000-8000-0000000000bb', "
                "'{\"signed\": true}', 'j', 'RS256', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                "'0b7e5b52-0000-4000-8000-000000000001', 3, "
                "'0b7e5b52-0000-4000-8000-000000000002', 3)"
            )
        )
    db.upgrade(engine)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT document FROM achievement")).scalar_one()
        suspension = connection.execute(text("SELECT suspension FROM issuer")).scalar_one()
        kept = connection.execute(text("SELECT document, suspension_index FROM credential")).one()
    types = [a.get("targetType") for a in json.loads(stored)["alignment"]]
    assert types == ["ext:Course", "CFItem", None]
    assert not suspension
    # The credential survives the table change byte for byte, its suspension slot too.
    assert tuple(kept) == ('{"signed": true}', 3)


def test_0007_downgrade_refuses_badges_without_a_suspension_slot(engine: Engine) -> None:
    """Downgrading would lose what a suspension-less badge is: it stops with a message."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO issuer (id, slug, name, did, created_at, suspension) "
                "VALUES (901, 'one', '기관', 'did:web:x:issuers:one', CURRENT_TIMESTAMP, :off)"
            ),
            {"off": False},
        )
        connection.execute(
            text(
                'INSERT INTO status_list (id, issuer_id, purpose, size, "full", bits, document, '
                "etag, created_at, updated_at) VALUES ('0b7e5b52-0000-4000-8000-0000000000aa', "
                "901, 'revocation', 8, :off, :bits, '{}', 'e', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
            ),
            {"off": False, "bits": b"\0"},
        )
        connection.execute(
            text(
                "INSERT INTO learner (id, email_hmac, created_at) VALUES "
                "('0b7e5b52-0000-4000-8000-0000000000bb', 'h', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO achievement (id, issuer_id, name, document, created_at, updated_at) "
                "VALUES ('0b7e5b52-0000-4000-8000-0000000000cc', 901, 'c', '{}', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO credential (id, issuer_id, achievement_id, learner_id, document, "
                "jwt, jwt_alg, issued_at, valid_from, revocation_list_id, revocation_index) "
                "VALUES ('0b7e5b52-0000-4000-8000-0000000000dd', 901, "
                "'0b7e5b52-0000-4000-8000-0000000000cc', '0b7e5b52-0000-4000-8000-0000000000bb', "
                "'{}', 'j', 'RS256', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                "'0b7e5b52-0000-4000-8000-0000000000aa', 1)"
            )
        )
    with pytest.raises(RuntimeError, match="no suspension entry"):
        _migrate(engine, "0003", down=True)
    assert db.current_revision(engine) == db.head_revision()
