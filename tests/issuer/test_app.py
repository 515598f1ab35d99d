"""The application shell: error shape everywhere, size caps, OpenAPI document, docs page."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from sqlmodel import Session, col, select

from issuer import audit, create_app, db, settings_of
from issuer.config import utc_now
from issuer.errors import NotFound
from issuer.models import AuditEvent, Issuer
from issuer.schemas import AchievementCreate, CredentialCreate, IssuedCredential
from tests.issuer.conftest import Api, Tenant, unique_email


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/no/such/page", 404, "not-found"),
        ("delete", "/api/v1/achievements", 405, "method-not-allowed"),
        ("put", "/status/x", 405, "method-not-allowed"),
    ],
    ids=["404", "405-api", "405-public"],
)
def test_http_errors_are_json(
    client: FlaskClient, method: str, path: str, status: int, code: str
) -> None:
    """Routing errors use the same {"error", "message"} body as everything else."""
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error", "message"}
    assert response.json["error"] == code


def test_oversized_body_is_413(app: Flask, api: Api) -> None:
    """A body over MAX_CONTENT_LENGTH is refused with 413 before it is read."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = api.post(
        "/api/v1/credentials/batch", data=b"x" * (limit + 1), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 413
    assert response.json is not None
    assert response.json["error"] == "payload-too-large"


def test_unexpected_errors_are_a_500_without_details(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An unhandled exception gives a generic 500 body; the traceback goes only to the log."""
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail")

    with caplog.at_level(logging.ERROR, logger="issuer.errors"):
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.json == {"error": "internal-error", "message": "internal server error"}
    assert "secret detail" in caplog.text
    db.engine_of(app).dispose()


def test_database_errors_on_a_missing_schema_are_500_json(tmp_path: Path) -> None:
    """Even a database failure answers with the JSON error shape."""
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/empty.db"}
    )
    response = app.test_client().get("/issuers/anyone")
    assert response.status_code == 500
    assert response.json is not None
    assert response.json["error"] == "internal-error"
    db.engine_of(app).dispose()


def test_openapi_document_describes_the_contract(client: FlaskClient) -> None:
    """Every API route of DESIGN.md is in the document, with schemas from the real models."""
    document = client.get("/api/openapi.json").json
    assert document is not None
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    expected = {
        ("/api/v1/achievements", "post"),
        ("/api/v1/achievements", "get"),
        ("/api/v1/achievements/{ref}", "get"),
        ("/api/v1/achievements/{ref}", "patch"),
        ("/api/v1/achievements/{ref}/archive", "post"),
        ("/api/v1/credentials", "post"),
        ("/api/v1/credentials", "get"),
        ("/api/v1/credentials/batch", "post"),
        ("/api/v1/credentials/{ref}", "get"),
        ("/api/v1/credentials/{ref}/revoke", "post"),
        ("/api/v1/credentials/{ref}/suspend", "post"),
        ("/api/v1/credentials/{ref}/unsuspend", "post"),
        ("/api/v1/learners/{ref}/credentials", "get"),
        ("/api/v1/verify", "post"),
        ("/api/v1/issuer", "get"),
        ("/api/v1/issuer", "patch"),
        ("/api/v1/verify/batch", "post"),
        ("/api/v1/jobs", "get"),
        ("/api/v1/jobs/{job_id}", "get"),
        ("/api/v1/webhooks", "get"),
        ("/api/v1/webhooks", "post"),
        ("/api/v1/webhooks/{webhook}", "delete"),
        ("/api/v1/webhooks/{webhook}/deliveries", "get"),
        ("/api/v1/webhooks/{webhook}/deliveries/{delivery}/replay", "post"),
    }
    assert {(p, m) for p, methods in paths.items() for m in methods} == expected
    schemas = document["components"]["schemas"]
    assert schemas["AchievementCreate"] == _component(AchievementCreate, "validation")
    assert schemas["CredentialCreate"] == _component(CredentialCreate, "validation")
    assert schemas["IssuedCredential"] == _component(IssuedCredential, "serialization")
    issue = paths["/api/v1/credentials"]["post"]
    assert issue["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CredentialCreate"
    }
    assert issue["security"] == [{"apiKey": []}]
    assert paths["/api/v1/verify"]["post"]["security"] == []
    assert "text/csv" in paths["/api/v1/credentials/batch"]["post"]["requestBody"]["content"]


def _component(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
    _, definitions = models_json_schema(
        [(model, mode)], by_alias=True, ref_template="#/components/schemas/{model}"
    )
    schema: dict[str, Any] = definitions["$defs"][model.__name__]
    return schema


def test_docs_page_is_self_contained(client: FlaskClient) -> None:
    """/api/docs renders every operation and loads nothing from elsewhere."""
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/api/v1/credentials/batch" in page
    assert "<script" not in page
    assert "https://cdn" not in page
    assert 'src="http' not in page


def test_create_app_reads_the_baeji_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without test config, BAEJI_* variables configure the app; a dev master key is made 0600."""
    monkeypatch.setenv("BAEJI_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("BAEJI_BASE_URL", "https://badges.example.org/")
    monkeypatch.setenv("BAEJI_BATCH_MAX_ROWS", "7")
    monkeypatch.delenv("BAEJI_DATABASE_URL", raising=False)
    monkeypatch.delenv("BAEJI_MASTER_KEY", raising=False)
    app = create_app()
    settings = app.extensions["issuer"]["settings"]
    assert settings.base_url == "https://badges.example.org"
    assert settings.batch_max_rows == 7
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'inst' / 'baeji.db'}"
    assert (tmp_path / "inst" / "master.key").stat().st_mode & 0o777 == 0o600
    db.engine_of(app).dispose()


def test_sqlite_runs_in_wal_mode(app: Flask) -> None:
    """The embedded database uses write-ahead logging (readers never block the writer)."""
    engine = db.engine_of(app)
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_responses_never_contain_private_key_material(
    app: Flask, client: FlaskClient, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """No response or log line carries a private JWK member, a PEM block or a sealed key."""
    with caplog.at_level(logging.DEBUG):
        course = api.achievement()
        issued = api.issue(course["uuid"], unique_email())
        bodies = [
            client.get("/issuers/hanbit/did.json").data,
            client.get("/issuers/hanbit/jwks.json").data,
            client.get("/.well-known/jwks.json").data,
            api.get(f"/api/v1/credentials/{issued['uuid']}").data,
            client.get("/api/openapi.json").data,
        ]
    from sqlmodel import select

    from issuer.models import SigningKey

    with db.new_session(db.engine_of(app)) as session:
        sealed = [row.sealed for row in session.exec(select(SigningKey)).all()]
    for body in [*bodies, caplog.text.encode()]:
        assert b'"d"' not in body
        assert b'"p"' not in body
        assert b'"q"' not in body
        assert b"PRIVATE KEY" not in body
        assert not any(blob[3:20] in body for blob in sealed)


class _Boom(Exception):
    """Raised inside a unit to see what is rolled back."""


def _subjects(app: Flask) -> set[str]:
    with db.new_session(db.engine_of(app)) as session:
        return set(session.exec(select(AuditEvent.subject)).all())


def _write_then_fail(session: Session, subject: str) -> None:
    with db.write_transaction(session):
        audit.record(session, actor="test", action="t", subject=subject, now=utc_now())
        session.flush()
        raise _Boom


def _fail_in_unit(app: Flask, subject: str) -> None:
    with db.unit_of_work(db.engine_of(app), settings_of(app), actor="cli:test") as work:
        work.audit("t", subject)
        work.session.flush()
        raise _Boom


def test_nested_write_units_are_savepoints(app: Flask) -> None:
    """An inner unit commits with the outer one; its failure rolls back only its own writes."""
    tag = uuid.uuid4().hex
    now = settings_of(app).clock()
    with db.new_session(db.engine_of(app)) as session:
        with db.write_transaction(session):
            audit.record(session, actor="test", action="t.outer", subject=f"{tag}-outer", now=now)
            with db.write_transaction(session):
                audit.record(session, actor="test", action="t.kept", subject=f"{tag}-kept", now=now)
            # The inner unit did not commit the outer one half-way.
            assert f"{tag}-kept" not in _subjects(app)
            with pytest.raises(_Boom):
                _write_then_fail(session, f"{tag}-lost")
        subjects = _subjects(app)
    assert {f"{tag}-outer", f"{tag}-kept"} <= subjects
    assert f"{tag}-lost" not in subjects


def test_unit_of_work_commits_at_the_edge_or_rolls_back(app: Flask) -> None:
    """The edge ends the transaction: committed when the body ends, rolled back when it raises."""
    tag = uuid.uuid4().hex
    engine, conf = db.engine_of(app), settings_of(app)
    with db.unit_of_work(engine, conf, actor="cli:test") as work:
        assert work.actor == "cli:test"
        assert work.issuer is None
        work.audit("t", f"{tag}-a")
    with pytest.raises(_Boom):
        _fail_in_unit(app, f"{tag}-b")
    subjects = _subjects(app)
    assert f"{tag}-a" in subjects
    assert f"{tag}-b" not in subjects


def test_work_audit_logs_the_units_actor_time_and_tenant(app: Flask, hanbit: Tenant) -> None:
    """Work.audit names the unit's actor and instant, and the tenant unless told otherwise."""
    tag = uuid.uuid4().hex
    engine, conf = db.engine_of(app), settings_of(app)
    with db.unit_of_work(engine, conf, actor="cli:audit") as work:
        tenant = hanbit.issuer
        acting = work.acting_for(tenant)
        work.audit("t.none", f"{tag}-none", reason="r")
        acting.audit("t.tenant", f"{tag}-tenant")
        acting.audit("t.explicit", f"{tag}-explicit", issuer_id=None)
        later = acting.at(work.now.replace(microsecond=0))
        later.audit("t.later", f"{tag}-later")
    with db.new_session(engine) as session:
        rows = {
            row.subject: row
            for row in session.exec(
                select(AuditEvent).where(col(AuditEvent.subject).startswith(tag))
            ).all()
        }
    assert {row.actor for row in rows.values()} == {"cli:audit"}
    assert rows[f"{tag}-none"].issuer_id is None
    assert rows[f"{tag}-none"].detail == '{"reason": "r"}'
    assert rows[f"{tag}-tenant"].issuer_id == tenant.pk
    assert rows[f"{tag}-explicit"].issuer_id is None
    assert rows[f"{tag}-later"].issuer_id == tenant.pk
    assert rows[f"{tag}-later"].occurred_at.microsecond == 0
    stamped = rows[f"{tag}-tenant"].occurred_at
    assert stamped.replace(tzinfo=None) == work.now.replace(tzinfo=None)


def test_work_as_actor_changes_only_who_acts(app: Flask, hanbit: Tenant) -> None:
    """Work.as_actor audits under another actor, with the unit's session, time and tenant."""
    tag = uuid.uuid4().hex
    engine, conf = db.engine_of(app), settings_of(app)
    with db.unit_of_work(engine, conf, actor="console", issuer=hanbit.issuer) as work:
        own = work.as_actor("staff:a@example.org")
        assert (own.session, own.settings, own.now, own.issuer) == (
            work.session,
            work.settings,
            work.now,
            work.issuer,
        )
        assert work.actor == "console"
        own.audit("t.own", f"{tag}-own")
    with db.new_session(engine) as session:
        row = session.exec(select(AuditEvent).where(AuditEvent.subject == f"{tag}-own")).one()
    assert row.actor == "staff:a@example.org"
    assert row.issuer_id == hanbit.issuer.pk


def test_unit_of_work_without_an_issuer_has_no_tenant(app: Flask) -> None:
    """A workflow that needs the acting issuer gets a clear error where none acts."""
    with db.unit_of_work(db.engine_of(app), settings_of(app), actor="public") as work:
        with pytest.raises(NotFound):
            _ = work.tenant
        issuer = Issuer(slug="x", name="X", did="did:web:x")
        assert work.acting_for(issuer).tenant is issuer
        assert work.acting_for(issuer).session is work.session
