"""Large batches as background jobs: 202 with a job URL above the threshold, 201 below it.

The app here runs jobs in process (SQLite's way; PostgreSQL with BAEJI_JOBS=process), with
a threshold of 5 rows and chunks of 3, so a batch of 8 rows is three chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, update
from sqlmodel import col, select

from issuer import db, settings_of
from issuer.jobs import runner
from issuer.jobs import service as jobs
from issuer.jobs.models import Job
from issuer.models import Credential
from tests.issuer.conftest import Api, Tenant, make_app, unique_email


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The service with in-process jobs, batches over 5 rows as jobs, chunks of 3."""
    app = make_app(
        database_url,
        tmp_path_factory.mktemp("instance"),
        JOBS="process",
        JOB_BATCH_THRESHOLD=5,
        JOB_CHUNK_SIZE=3,
    )
    yield app
    db.engine_of(app).dispose()


def _rows(count: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {"recipient": {"email": unique_email(f"{prefix}{n}"), "name": f"학습자 {n}"}}
        for n in range(count)
    ]


def _finished(app: Flask, api: Api, url: str) -> dict[str, Any]:
    job_id = int(url.rsplit("/", 1)[1])
    jobs.wait(db.engine_of(app), job_id, timeout=60)
    response = api.get(url.removeprefix("https://badges.example.kr"))
    assert response.status_code == 200, response.json
    body: dict[str, Any] = response.json  # type: ignore[assignment]
    return body


def _count(app: Flask, issuer_id: int) -> int:
    with db.new_session(db.engine_of(app)) as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(Credential)
                .where(Credential.issuer_id == issuer_id)
            ).one()
        )


def test_a_small_batch_is_issued_in_the_request(api: Api) -> None:
    """At the threshold: 201 with the credentials, as before."""
    course = api.achievement("작은 배치")
    response = api.post(
        "/api/v1/credentials/batch",
        json={"achievementId": course["id"], "credentials": _rows(5, "small")},
    )
    assert response.status_code == 201, response.json
    assert response.json is not None
    assert response.json["count"] == 5


def test_a_large_batch_is_a_job_with_per_row_results(
    app: Flask, api: Api, other_api: Api, hanbit: Tenant
) -> None:
    """Above it: 202, a job URL; the job issues every row once, skipping a holder."""
    course = api.achievement("큰 배치")
    rows = _rows(8, "large")
    held = api.issue(course["id"], rows[4]["recipient"]["email"], "이미 보유")
    before = _count(app, hanbit.issuer.pk)
    response = api.post(
        "/api/v1/credentials/batch",
        json={"achievementId": course["id"], "credentials": rows},
        headers={"Idempotency-Key": "large-batch-1"},
    )
    assert response.status_code == 202, response.json
    accepted = response.json
    assert accepted is not None
    location = response.headers["Location"]
    assert location == accepted["job"]["url"]
    assert accepted["job"]["state"] in ("queued", "running", "done")
    assert accepted["job"]["progress"]["total"] == 8
    job = _finished(app, api, location)
    assert job["state"] == "done", job
    assert job["progress"] == {"done": 8, "total": 8}
    result = job["result"]
    assert result["count"] == 7
    assert [c["row"] for c in result["credentials"]] == [1, 2, 3, 4, 6, 7, 8]
    assert result["skipped"] == [
        {
            "row": 5,
            "line": None,
            "code": "already-holds",
            "existing": {
                "id": held["id"],
                "uuid": held["uuid"],
                "status": "active",
                "issuedAt": result["skipped"][0]["existing"]["issuedAt"],
            },
        }
    ]
    assert _count(app, hanbit.issuer.pk) == before + 7
    for credential in result["credentials"]:
        assert api.get(f"/api/v1/credentials/{credential['uuid']}").status_code == 200
    # The same key and body: the same job, nothing more issued; another body: 409.
    again = api.post(
        "/api/v1/credentials/batch",
        json={"achievementId": course["id"], "credentials": rows},
        headers={"Idempotency-Key": "large-batch-1"},
    )
    assert again.status_code == 202
    assert again.headers["Location"] == location
    other = api.post(
        "/api/v1/credentials/batch",
        json={"achievementId": course["id"], "credentials": _rows(7, "other")},
        headers={"Idempotency-Key": "large-batch-1"},
    )
    assert other.status_code == 409
    assert other.json is not None
    assert other.json["error"] == "idempotency-key-reused"
    assert _count(app, hanbit.issuer.pk) == before + 7
    # Another issuer cannot see the job.
    assert other_api.get(location.removeprefix("https://badges.example.kr")).status_code == 404


def test_rerunning_a_batch_job_issues_nothing_twice(app: Flask, api: Api, hanbit: Tenant) -> None:
    """A run that died after its chunks committed but before they were recorded is run
    again: every chunk is answered by its idempotency key, with the same rows."""
    course = api.achievement("다시 실행")
    response = api.post(
        "/api/v1/credentials/batch",
        json={
            "achievementId": course["id"],
            "credentials": _rows(7, "rerun"),
            "duplicates": "allow",
        },
    )
    assert response.status_code == 202, response.json
    first = _finished(app, api, response.headers["Location"])
    count = _count(app, hanbit.issuer.pk)
    engine = db.engine_of(app)
    with db.new_session(engine) as session:
        session.execute(
            update(Job)
            .where(col(Job.id) == first["id"])
            .values(state="queued", result=None, progress_done=0, finished_at=None)
        )
        session.commit()
    runner.runner_for(engine, settings_of(app)).wake()
    second = _finished(app, api, response.headers["Location"])
    assert second["state"] == "done"
    assert second["attempts"] == 2
    assert second["result"]["credentials"] == first["result"]["credentials"]
    assert _count(app, hanbit.issuer.pk) == count


def test_a_large_batch_with_a_bad_row_is_refused_at_once(app: Flask, api: Api) -> None:
    """Rows are checked before anything is queued: 422 naming the row, no job."""
    course = api.achievement("잘못된 행")
    rows = _rows(7, "bad")
    rows[3]["recipient"]["email"] = "not-an-address"
    with db.new_session(db.engine_of(app)) as session:
        before = len(jobs.list_jobs(session, limit=1000))
    response = api.post(
        "/api/v1/credentials/batch", json={"achievementId": course["id"], "credentials": rows}
    )
    assert response.status_code == 422, response.json
    assert response.json is not None
    assert response.json["rows"][0]["row"] == 4
    with db.new_session(db.engine_of(app)) as session:
        assert len(jobs.list_jobs(session, limit=1000)) == before
