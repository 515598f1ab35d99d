"""Status list allocation: random free indexes, and a new list once one fills up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from sqlmodel import Session, col, select

from badges import Bitstring
from issuer import db
from issuer.jobs import service as jobs
from issuer.jobs.models import Job
from issuer.models import Credential, StatusList
from tests.issuer.conftest import (
    BASE_URL,
    DATABASES,
    Api,
    create_tenant,
    isolated_database,
    make_app,
    unique_email,
)

# Three credentials per list: small enough to roll over within one batch.
TINY_FILL = 3 / 131_072


@pytest.fixture(params=DATABASES)
def tiny_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app whose status lists take three credentials each."""
    with isolated_database(request.param, tmp_path / "db") as url:
        app = make_app(url, tmp_path / "instance", STATUS_LIST_FILL=TINY_FILL)
        yield app
        db.engine_of(app).dispose()


def test_full_lists_roll_over_to_new_ones(tiny_app: Flask) -> None:
    """A batch larger than a list's capacity opens new lists; each stays signed and usable."""
    tenant = create_tenant(tiny_app, "rollover", "롤오버 센터")
    client = tiny_app.test_client()
    api = Api(client, tenant)
    course = api.achievement()
    rows = [
        {"achievementId": course["uuid"], "recipient": {"email": unique_email(), "name": "김학습"}}
        for _ in range(7)
    ]
    response = api.post("/api/v1/credentials/batch", json=rows)
    assert response.status_code == 201, response.json
    issued = api.issue(course["uuid"], unique_email())
    with db.new_session(db.engine_of(tiny_app)) as session:
        lists = session.exec(
            select(StatusList).where(
                StatusList.issuer_id == tenant.issuer.pk, StatusList.purpose == "revocation"
            )
        ).all()
        assert len(lists) == 3
        assert sorted(lst.full for lst in lists) == [False, True, True]
        credentials = session.exec(
            select(Credential).where(Credential.issuer_id == tenant.issuer.pk)
        ).all()
        per_list: dict[str, int] = {}
        for row in credentials:
            per_list[row.revocation_list_id] = per_list.get(row.revocation_list_id, 0) + 1
        assert sorted(per_list.values()) == [2, 3, 3]
        # The counter the allocator reads instead of counting agrees with the rows.
        assert {lst.id: lst.used for lst in lists} == per_list
    api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "test"})
    # Issue 11: one credentialStatus object (revocation) by default.
    entry = issued["credential"]["credentialStatus"]
    assert entry["statusPurpose"] == "revocation"
    listed = client.get(entry["statusListCredential"].removeprefix(BASE_URL)).json
    assert listed is not None
    bits = Bitstring.decode(listed["credentialSubject"]["encodedList"])
    assert bits.set_indexes() == [int(entry["statusListIndex"])]


def test_indexes_are_spread_at_random(app: Flask, session: Session) -> None:
    """Consecutive credentials do not get consecutive indexes (BSL privacy: random allocation)."""
    tenant = create_tenant(app, "spread", "분산 센터")
    api = Api(app.test_client(), tenant)
    course = api.achievement()
    rows = [
        {"achievementId": course["uuid"], "recipient": {"email": unique_email(), "name": "김학습"}}
        for _ in range(8)
    ]
    body = api.post("/api/v1/credentials/batch", json=rows).json
    assert body is not None
    indexes = [
        int(c["credential"]["credentialStatus"]["statusListIndex"]) for c in body["credentials"]
    ]
    assert len(set(indexes)) == 8
    assert sorted(indexes) != list(range(min(indexes), min(indexes) + 8))


def _usage(app: Flask, issuer_id: int) -> dict[str, tuple[int, int]]:
    """Each list of the issuer: (its ``used`` counter, the credentials actually on it)."""
    with db.new_session(db.engine_of(app)) as session:
        lists = session.exec(select(StatusList).where(StatusList.issuer_id == issuer_id)).all()
        credentials = session.exec(
            select(Credential).where(Credential.issuer_id == issuer_id)
        ).all()
        counted = {lst.id: 0 for lst in lists}
        for row in credentials:
            counted[row.revocation_list_id] += 1
            if row.suspension_list_id is not None:
                counted[row.suspension_list_id] += 1
        return {lst.id: (lst.used, counted[lst.id]) for lst in lists}


def test_usage_counters_survive_the_migration_round_trip(tiny_app: Flask) -> None:
    """Revision 0004 fills ``used`` from the credentials already issued on each list."""
    # Suspension on: revision 0003 (below 0007) can only hold badges with both entries.
    tenant = create_tenant(tiny_app, "counted", "계수 센터", suspension=True)
    api = Api(tiny_app.test_client(), tenant)
    course = api.achievement()
    rows = [
        {"achievementId": course["uuid"], "recipient": {"email": unique_email(), "name": "김학습"}}
        for _ in range(5)
    ]
    assert api.post("/api/v1/credentials/batch", json=rows).status_code == 201
    before = _usage(tiny_app, tenant.issuer.pk)
    assert all(used == counted for used, counted in before.values())
    assert sum(used for used, _ in before.values()) == 10  # 5 credentials x 2 purposes
    engine = db.engine_of(tiny_app)
    # The learners' record job (run in this process on SQLite; PostgreSQL's wait for a
    # worker) ends before the schema moves.
    with Session(engine) as session:
        running = session.exec(select(Job.id).where(col(Job.state).in_(("queued", "running"))))
        for job_id in running.all() if engine.dialect.name == "sqlite" else []:
            assert job_id is not None
            jobs.wait(engine, job_id, timeout=60)
    config = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004-1")
    db.upgrade(engine)
    assert _usage(tiny_app, tenant.issuer.pk) == before
