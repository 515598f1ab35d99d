"""Learner records signed ahead by the ``learners.resign_record`` job.

The app runs jobs in process (SQLite's way; PostgreSQL with ``BAEJI_JOBS=process``). Each
test waits for the record job its change enqueued, then asks the wallet for the record: the
stored record's row (its id, its signed document) must be what the wallet serves, and no
other row appears, so the request signed nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from issuer import db, settings_of
from issuer.jobs import service as jobs
from issuer.jobs.models import Job
from issuer.learners import record_jobs
from issuer.models import Credential, LearnerRecord
from tests.issuer.conftest import BASE_URL, Api, full_wallet_link, make_app, unique_email


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The service with jobs run in this process."""
    app = make_app(database_url, tmp_path_factory.mktemp("instance"), JOBS="process")
    yield app
    db.engine_of(app).dispose()


def _learner(credential: dict[str, Any]) -> str:
    subject: str = credential["credential"]["credentialSubject"]["id"]
    return subject.removeprefix("urn:uuid:")


def _record_jobs(app: Flask, learner_id: str) -> list[Job]:
    """The record jobs of one learner alone, oldest first."""
    with db.new_session(db.engine_of(app)) as session:
        return list(
            session.exec(
                select(Job)
                .where(
                    Job.name == record_jobs.RESIGN_JOB,
                    col(Job.key).startswith(f"{record_jobs.RESIGN_JOB}:{learner_id}:"),
                )
                .order_by(col(Job.id))
            ).all()
        )


def _settled(app: Flask, learner_id: str, count: int) -> list[Job]:
    """Wait for the learner's ``count`` record jobs to finish; return them."""
    found = _record_jobs(app, learner_id)
    assert len(found) == count, [j.key for j in found]
    done = [jobs.wait(db.engine_of(app), j.pk, timeout=60) for j in found]
    assert [j.state for j in done] == ["done"] * count, [j.last_error for j in done]
    return done


def _stored(app: Flask, learner_id: str) -> list[LearnerRecord]:
    with db.new_session(db.engine_of(app)) as session:
        return list(
            session.exec(
                select(LearnerRecord).where(
                    LearnerRecord.learner_id == learner_id, col(LearnerRecord.partial).is_(False)
                )
            ).all()
        )


def _wallet_record(client: FlaskClient, wallet_url: str) -> dict[str, Any]:
    response = client.get(f"{wallet_url.removeprefix(BASE_URL)}/clr.json")
    assert response.status_code == 200, response.data
    body: dict[str, Any] = json.loads(response.data)
    return body


def test_a_badge_issued_is_in_the_record_the_job_signed(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    """Issue → the job signs and stores the record → the wallet serves it, signing nothing."""
    email = unique_email("ahead")
    issued = api.issue(api.achievement("미리 서명")["uuid"], email, "이서연")
    learner = _learner(issued)
    (job,) = _settled(app, learner, 1)
    assert job.issuer_id is None  # the platform's work: no provider's job list shows it
    assert jobs.result_of(job) == {"learners": 1, "records": 1}
    (row,) = _stored(app, learner)
    signed = json.loads(row.document)
    assert [c["id"] for c in signed["credentialSubject"]["verifiableCredential"]] == [issued["id"]]
    record = _wallet_record(client, full_wallet_link(app, email))
    # The request served the job's record: the same signed bytes, and no new row.
    assert record == signed
    assert [r.id for r in _stored(app, learner)] == [row.id]
    assert record["proof"][0]["created"] == signed["proof"][0]["created"]


def test_revocation_re_signs_through_the_job(app: Flask, client: FlaskClient, api: Api) -> None:
    """Revoking one of two badges enqueues a job that stores the record without it."""
    email = unique_email("revoked")
    first = api.issue(api.achievement("첫 과정")["uuid"], email)
    second = api.issue(api.achievement("둘째 과정")["uuid"], email)
    learner = _learner(first)
    _settled(app, learner, 2)
    (before,) = _stored(app, learner)
    revoked = api.post(f"/api/v1/credentials/{first['uuid']}/revoke", json={"reason": "취소"})
    assert revoked.status_code == 200, revoked.json
    jobs_now = _settled(app, learner, 3)
    assert jobs_now[-1].key is not None
    (after,) = _stored(app, learner)
    assert after.id != before.id
    held = json.loads(after.document)["credentialSubject"]["verifiableCredential"]
    assert [c["id"] for c in held] == [second["id"]]
    assert _wallet_record(client, full_wallet_link(app, email)) == json.loads(after.document)
    assert [r.id for r in _stored(app, learner)] == [after.id]


def test_suspending_and_lifting_re_sign_each_time(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    """Suspend, unsuspend, suspend again: each change is a new history version, a new job."""
    email = unique_email("suspended")
    kept = api.issue(api.achievement("유지")["uuid"], email)
    paused = api.issue(api.achievement("정지")["uuid"], email)
    learner = _learner(kept)
    _settled(app, learner, 2)
    path = f"/api/v1/credentials/{paused['uuid']}"
    for count, (action, body) in enumerate(
        [("suspend", {"reason": "검토"}), ("unsuspend", {}), ("suspend", {"reason": "재검토"})],
        start=3,
    ):
        assert api.post(f"{path}/{action}", json=body).status_code == 200
        _settled(app, learner, count)
        (row,) = _stored(app, learner)
        held = json.loads(row.document)["credentialSubject"]["verifiableCredential"]
        expected = [kept["id"]] if action == "suspend" else [kept["id"], paused["id"]]
        assert sorted(c["id"] for c in held) == sorted(expected)
    assert _wallet_record(client, full_wallet_link(app, email)) == json.loads(row.document)


def test_a_batch_enqueues_one_job_for_its_learners(app: Flask, api: Api) -> None:
    """A learner who gets three badges in one batch is re-signed once, with the others."""
    courses = [api.achievement(f"배치 과정 {n}")["uuid"] for n in range(3)]
    many = unique_email("many")
    one = unique_email("one")
    rows = [{"achievementId": c, "recipient": {"email": many, "name": "김하늘"}} for c in courses]
    rows.append({"achievementId": courses[0], "recipient": {"email": one, "name": "박도윤"}})
    with db.new_session(db.engine_of(app)) as session:
        last = session.exec(select(Job.id).order_by(col(Job.id).desc()).limit(1)).first() or 0
    response = api.post("/api/v1/credentials/batch", json={"credentials": rows})
    assert response.status_code == 201, response.json
    with db.new_session(db.engine_of(app)) as session:
        made = session.exec(
            select(Job).where(col(Job.id) > last, Job.name == record_jobs.RESIGN_JOB)
        ).all()
        learners = {
            c.learner_id
            for c in session.exec(
                select(Credential).where(
                    col(Credential.id).in_([c["uuid"] for c in response.json["credentials"]])  # type: ignore[index]
                )
            ).all()
        }
    (job,) = made
    assert job.key is not None
    assert job.key.startswith(f"{record_jobs.RESIGN_JOB}:batch-2:")
    assert sorted(jobs.payload_of(job)["learners"]) == sorted(learners)
    assert job.progress_total == 2
    done = jobs.wait(db.engine_of(app), job.pk, timeout=60)
    assert jobs.result_of(done) == {"learners": 2, "records": 2}
    for learner in learners:
        assert len(_stored(app, learner)) == 1


def test_the_same_change_enqueued_twice_is_one_job(app: Flask, api: Api) -> None:
    """The key is the learner and the history version: the same change gives the same job."""
    issued = api.issue(api.achievement("멱등")["uuid"], unique_email("same"))
    learner = _learner(issued)
    _settled(app, learner, 1)
    (stored,) = _stored(app, learner)
    conf = settings_of(app)
    with db.unit_of_work(db.engine_of(app), conf, actor="test") as work:
        row = work.session.get(Credential, issued["uuid"])
        assert row is not None
        with work.write():
            first = record_jobs.history_changed(work, "reviewed", [row])
            again = record_jobs.history_changed(work, "reviewed", [row])
            other = record_jobs.history_changed(work, "reviewed-again", [row])
    assert first is not None
    assert first == again
    assert other is not None
    assert other != first
    for job_id in (first, other):
        assert jobs.wait(db.engine_of(app), job_id, timeout=60).state == "done"
    # Nothing changed in the history: the stored record was kept, not signed again.
    assert [r.id for r in _stored(app, learner)] == [stored.id]
