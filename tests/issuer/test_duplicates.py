"""Duplicates are a decision: a learner who holds a badge gets no second one by accident."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from badges import Bitstring
from issuer import db, settings_of
from issuer.credentials import service as services
from issuer.db import Work
from issuer.models import Credential
from issuer.schemas import BatchRow
from tests.issuer.conftest import BASE_URL, Api, Tenant, unique_email


@pytest.fixture(scope="module")
def course(app: Flask, hanbit: Tenant) -> dict[str, Any]:
    """One achievement of issuer A (suspension on)."""
    with app.test_client() as client:
        return Api(client, hanbit).achievement("데이터 엔지니어링 부트캠프")


def _issue(api: Api, course: dict[str, Any], email: str, **fields: Any) -> Any:
    return api.post(
        "/api/v1/credentials",
        json={
            "achievementId": course["uuid"],
            "recipient": {"email": email, "name": "김민준"},
            **fields,
        },
    )


def _active(session: Session, email_learner: str, achievement: str) -> list[Credential]:
    session.rollback()
    return list(
        session.exec(
            select(Credential).where(
                Credential.learner_id == email_learner,
                Credential.achievement_id == achievement,
                col(Credential.revoked_at).is_(None),
            )
        ).all()
    )


def _learner_id(issued: dict[str, Any]) -> str:
    subject_id: str = issued["credential"]["credentialSubject"]["id"]
    return subject_id.removeprefix("urn:uuid:")


def test_a_second_badge_is_refused_with_the_one_held(
    api: Api, course: dict[str, Any], session: Session
) -> None:
    """By default the same learner and course again is 409 already-holds naming the badge."""
    email = unique_email()
    first = _issue(api, course, email)
    assert first.status_code == 201, first.json
    again = _issue(api, course, email.upper())
    assert again.status_code == 409, again.json
    body = again.json
    assert body is not None
    assert body["error"] == "already-holds"
    assert body["existing"]["id"] == first.json["id"]
    assert body["existing"]["status"] == "active"
    assert len(_active(session, _learner_id(first.json), course["uuid"])) == 1


def test_allow_issues_a_retake(api: Api, course: dict[str, Any], session: Session) -> None:
    """duplicates: allow issues a second badge; the first stays active."""
    email = unique_email()
    first = _issue(api, course, email).json
    second = _issue(api, course, email, duplicates="allow")
    assert second.status_code == 201, second.json
    assert len(_active(session, _learner_id(first), course["uuid"])) == 2


def test_replace_revokes_the_old_badge_in_the_same_transaction(
    api: Api, client: FlaskClient, course: dict[str, Any], session: Session
) -> None:
    """duplicates: replace revokes the badge held, naming its successor, bit set in its list."""
    email = unique_email()
    first = _issue(api, course, email).json
    assert first is not None
    second = _issue(api, course, email, duplicates="replace")
    assert second.status_code == 201, second.json
    new_id = second.json["id"]
    old = api.get(f"/api/v1/credentials/{first['uuid']}").json
    assert old is not None
    assert old["status"] == "revoked"
    assert old["revocationReason"] == f"replaced by {new_id}"
    active = _active(session, _learner_id(first), course["uuid"])
    assert [c.id for c in active] == [second.json["uuid"]]
    entry = next(
        s for s in first["credential"]["credentialStatus"] if s["statusPurpose"] == "revocation"
    )
    listed = client.get(entry["statusListCredential"].removeprefix(BASE_URL)).json
    assert listed is not None
    bits = Bitstring.decode(listed["credentialSubject"]["encodedList"])
    assert int(entry["statusListIndex"]) in set(bits.set_indexes())


def test_a_revoked_badge_is_not_held_and_a_suspended_one_is(
    api: Api, course: dict[str, Any]
) -> None:
    """Revoked: the learner may be issued again. Suspended: still held (it may come back)."""
    revoked_email, suspended_email = unique_email(), unique_email()
    revoked = _issue(api, course, revoked_email).json
    assert revoked is not None
    api.post(f"/api/v1/credentials/{revoked['uuid']}/revoke", json={"reason": "오류"})
    assert _issue(api, course, revoked_email).status_code == 201
    suspended = _issue(api, course, suspended_email).json
    assert suspended is not None
    api.post(f"/api/v1/credentials/{suspended['uuid']}/suspend", json={"reason": "확인 중"})
    again = _issue(api, course, suspended_email)
    assert again.status_code == 409
    assert again.json["existing"]["status"] == "suspended"


def test_an_expired_badge_is_not_held(app: Flask, api: Api, course: dict[str, Any]) -> None:
    """A badge past its validUntil may be renewed without saying duplicates."""
    email = unique_email()
    conf = settings_of(app)
    first = _issue(api, course, email).json
    assert first is not None
    with db.new_session(db.engine_of(app)) as session, db.write_transaction(session):
        row = session.get(Credential, first["uuid"])
        assert row is not None
        row.valid_until = conf.clock().replace(year=2000)
        session.add(row)
    assert _issue(api, course, email).status_code == 201


def test_idempotent_replays_are_unaffected(api: Api, course: dict[str, Any]) -> None:
    """The same Idempotency-Key and body answer the first credential again, not 409."""
    email = unique_email()
    headers = {"Idempotency-Key": f"dup-{email}"}
    body = {"achievementId": course["uuid"], "recipient": {"email": email, "name": "이서연"}}
    first = api.post("/api/v1/credentials", json=body, headers=headers)
    again = api.post("/api/v1/credentials", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]  # type: ignore[index]


def test_a_cohort_sent_again_with_one_late_learner_issues_one_badge(
    api: Api, course: dict[str, Any]
) -> None:
    """Rows already held are skipped and reported with the badge held; the rest is issued."""
    emails = [unique_email() for _ in range(3)]
    rows = [{"recipient": {"email": e, "name": "박지호"}} for e in emails]
    first = api.post(
        "/api/v1/credentials/batch", json={"achievementId": course["uuid"], "credentials": rows}
    ).json
    assert first is not None
    assert first["count"] == 3
    assert first["skippedCount"] == 0
    late = [*rows, {"recipient": {"email": unique_email(), "name": "최유나"}}]
    again = api.post(
        "/api/v1/credentials/batch", json={"achievementId": course["uuid"], "credentials": late}
    )
    assert again.status_code == 201, again.json
    body = again.json
    assert body is not None
    assert body["count"] == 1
    assert body["credentials"][0]["row"] == 4
    assert body["skippedCount"] == 3
    assert [s["row"] for s in body["skipped"]] == [1, 2, 3]
    assert {s["code"] for s in body["skipped"]} == {"already-holds"}
    assert [s["existing"]["id"] for s in body["skipped"]] == [c["id"] for c in first["credentials"]]


def test_a_csv_cohort_reports_skipped_lines(api: Api, course: dict[str, Any]) -> None:
    """CSV batches report the file line of each skipped row."""
    held = unique_email()
    assert _issue(api, course, held).status_code == 201
    text = f"이메일,이름\r\n{unique_email()},정하늘\r\n{held},김민준\r\n"
    response = api.post(
        f"/api/v1/credentials/batch?achievementId={course['uuid']}",
        data=text.encode(),
        content_type="text/csv",
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body is not None
    assert (body["count"], body["skippedCount"]) == (1, 1)
    assert body["skipped"][0]["row"] == 2
    assert body["skipped"][0]["line"] == 3


def test_nothing_to_issue_is_not_an_error(api: Api, course: dict[str, Any]) -> None:
    """A batch whose every learner holds the badge issues nothing and says so."""
    email = unique_email()
    assert _issue(api, course, email).status_code == 201
    response = api.post(
        "/api/v1/credentials/batch",
        json=[{"achievementId": course["uuid"], "recipient": {"email": email, "name": "김"}}],
    )
    assert response.status_code == 201, response.json
    assert response.json is not None
    assert (response.json["count"], response.json["skippedCount"]) == (0, 1)


def test_batch_replace_and_allow(api: Api, course: dict[str, Any], session: Session) -> None:
    """A batch's duplicates option applies to every row."""
    email = unique_email()
    first = _issue(api, course, email).json
    assert first is not None
    row = {"achievementId": course["uuid"], "recipient": {"email": email, "name": "김민준"}}
    allowed = api.post(
        "/api/v1/credentials/batch", json={"duplicates": "allow", "credentials": [row]}
    ).json
    assert allowed is not None
    assert allowed["count"] == 1
    assert len(_active(session, _learner_id(first), course["uuid"])) == 2
    replaced = api.post(
        "/api/v1/credentials/batch", json={"duplicates": "replace", "credentials": [row]}
    ).json
    assert replaced is not None
    active = _active(session, _learner_id(first), course["uuid"])
    assert [c.id for c in active] == [replaced["credentials"][0]["uuid"]]


def test_the_same_learner_twice_in_one_batch_is_a_row_error(
    api: Api, course: dict[str, Any]
) -> None:
    """Within one batch, a repeated learner is a row error whatever the mode."""
    email = unique_email()
    rows = [{"recipient": {"email": email, "name": "김"}}, {"recipient": {"email": email}}]
    for mode in services.DUPLICATES:
        response = api.post(
            "/api/v1/credentials/batch",
            json={
                "achievementId": course["uuid"],
                "duplicates": mode,
                "allowAnonymous": True,
                "credentials": rows,
            },
        )
        assert response.status_code == 422, response.json
        assert response.json["rows"][0]["row"] == 2  # type: ignore[index]


def test_a_badge_issued_meanwhile_is_caught_inside_the_write_transaction(
    app: Flask, hanbit: Tenant, course: dict[str, Any]
) -> None:
    """Another batch issues the same learner the badge while this one signs: the check made
    again inside the write transaction skips the row instead of issuing a second badge."""
    conf = settings_of(app)
    email, other = unique_email(), unique_email()
    rows = [
        BatchRow.model_validate({"recipient": {"email": e, "name": "김학습"}})
        for e in (email, other)
    ]
    engine = db.engine_of(app)
    raced: list[services.BatchOutcome] = []

    def meanwhile(done: int, _total: int) -> None:
        if done == 1:
            with db.new_session(engine) as second:
                raced.append(
                    services.issue_batch(
                        Work(second, conf, conf.clock(), "test", hanbit.issuer),
                        rows[:1],
                        achievement_id=course["uuid"],
                    )
                )

    with db.new_session(engine) as session:
        outcome = services.issue_batch(
            Work(session, conf, conf.clock(), "test", hanbit.issuer),
            rows,
            achievement_id=course["uuid"],
            progress=meanwhile,
        )
        assert len(raced[0].issued) == 1
        assert [s.row for s in outcome.skipped] == [1]
        assert outcome.skipped[0].existing.id == raced[0].issued[0].credential.id
        assert outcome.rows == [2]
        learner = raced[0].issued[0].credential.learner_id
        assert len(_active(session, learner, course["uuid"])) == 1


def test_replace_inside_a_race_revokes_the_badge_issued_meanwhile(
    app: Flask, hanbit: Tenant, course: dict[str, Any]
) -> None:
    """replace revokes what is held when it writes, including a badge issued meanwhile."""
    conf = settings_of(app)
    email = unique_email()
    row = BatchRow.model_validate({"recipient": {"email": email, "name": "김학습"}})
    engine = db.engine_of(app)
    raced: list[services.BatchOutcome] = []

    def meanwhile(done: int, _total: int) -> None:
        with db.new_session(engine) as second:
            raced.append(
                services.issue_batch(
                    Work(second, conf, conf.clock(), "test", hanbit.issuer),
                    [row],
                    achievement_id=course["uuid"],
                )
            )

    with db.new_session(engine) as session:
        outcome = services.issue_batch(
            Work(session, conf, conf.clock(), "test", hanbit.issuer),
            [row],
            achievement_id=course["uuid"],
            progress=meanwhile,
            duplicates="replace",
        )
        session.rollback()
        old = session.get(Credential, raced[0].issued[0].credential.id)
        assert old is not None
        assert old.revoked_at is not None
        new_url = conf.url("credentials", outcome.issued[0].credential.id)
        assert old.revocation_reason == f"replaced by {new_url}"
        assert json.loads(old.document)["id"] != new_url


def test_holders_previews_who_would_be_skipped(
    app: Flask, api: Api, hanbit: Tenant, course: dict[str, Any]
) -> None:
    """The preview names, by e-mail, each learner who holds the badge, creating no learner."""
    held, new = unique_email(), unique_email()
    issued = _issue(api, course, held).json
    assert issued is not None
    conf = settings_of(app)
    with db.new_session(db.engine_of(app)) as session:
        found = services.holders(
            Work(session, conf, conf.clock(), "test", hanbit.issuer),
            course["uuid"],
            [held.upper(), new],
        )
        assert {email: row.id for email, row in found.items()} == {held: issued["uuid"]}


def test_two_concurrent_batches_for_one_learner_issue_one_badge(
    app: Flask, hanbit: Tenant, course: dict[str, Any]
) -> None:
    """Two workers send the same learner at once (threads, own sessions): one badge is
    issued and the other batch reports the row as already held."""
    conf = settings_of(app)
    engine = db.engine_of(app)
    row = BatchRow.model_validate({"recipient": {"email": unique_email(), "name": "김학습"}})
    start = threading.Barrier(2)
    outcomes: list[services.BatchOutcome] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            with db.new_session(engine) as session:
                start.wait(timeout=30)
                outcomes.append(
                    services.issue_batch(
                        Work(session, conf, conf.clock(), "test", hanbit.issuer),
                        [row],
                        achievement_id=course["uuid"],
                    )
                )
        except BaseException as err:  # reported below, in the test's thread
            failures.append(err)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert sorted(len(o.issued) for o in outcomes) == [0, 1]
    assert sorted(len(o.skipped) for o in outcomes) == [0, 1]
    winner = next(o for o in outcomes if o.issued).issued[0].credential
    with db.new_session(engine) as session:
        assert [c.id for c in _active(session, winner.learner_id, course["uuid"])] == [winner.id]
