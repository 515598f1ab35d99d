"""``baeji worker`` on PostgreSQL: a 5,000-row cohort survives a SIGKILLed worker.

Two real worker processes share the queue. The one running the job is killed with
SIGKILL half-way; the other notices the silent worker (heartbeats every second, stalled
after three), puts the job back on the queue and finishes it from the first chunk not
recorded. Exactly 5,000 badges exist at the end, one per learner.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, text
from sqlmodel import select

from issuer import db, settings_of
from issuer.credentials import batch_jobs
from issuer.db import unit_of_work
from issuer.jobs import service as jobs
from issuer.jobs.models import Job
from issuer.models import Credential
from keys import MasterKey
from tests.issuer.conftest import BASE_URL, PG_URL, Api, create_tenant, isolated_database, make_app

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(PG_URL is None, reason="needs BAEJI_TEST_DATABASE_URL"),
]
ROWS = 5000
BAEJI = str(Path(sys.executable).with_name("baeji"))


@pytest.fixture
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL schema of this test's own: a queue with nothing on it but what the test
    puts there (the 5,000-row cohort leaves 5,000 record jobs behind, which a later test's
    worker would otherwise work off before reaching its own job)."""
    with isolated_database("postgres", tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="module")
def master_key() -> str:
    """The master key the service and its workers share."""
    return MasterKey.generate()[1]


@pytest.fixture
def app(
    database: str, master_key: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The service with jobs on the queue (nothing runs in its own process)."""
    app = make_app(
        database,
        tmp_path_factory.mktemp("instance"),
        MASTER_KEY=master_key,
        JOBS="queue",
        BATCH_MAX_ROWS=ROWS,
        JOB_CHUNK_SIZE=100,
    )
    yield app
    db.engine_of(app).dispose()


def _start_worker(
    name: str, database: str, master_key: str, instance: Path, log: Path, **extra: str
) -> subprocess.Popen[bytes]:
    env = {
        **{f"BAEJI_{k}": v for k, v in extra.items()},
        **os.environ,
        "BAEJI_DATABASE_URL": database,
        "BAEJI_MASTER_KEY": master_key,
        "BAEJI_BASE_URL": BASE_URL,
        "BAEJI_INSTANCE_PATH": str(instance),
        "BAEJI_JOB_CHUNK_SIZE": extra.get("JOB_CHUNK_SIZE", "100"),
        "BAEJI_JOB_HEARTBEAT": "1",
        "BAEJI_JOB_STALLED_AFTER": "3",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [BAEJI, "worker", "--name", name], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _job(app: Flask, job_id: int) -> Job:
    with db.new_session(db.engine_of(app)) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _wait(app: Flask, job_id: int, until: Any, timeout: float, logs: list[Path]) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _job(app, job_id)
        if until(job):
            return job
        time.sleep(0.5)
    output = "\n".join(log.read_text(errors="replace")[-3000:] for log in logs)
    raise AssertionError(f"job {job_id} never got there: {_job(app, job_id)}\n{output}")


def test_a_killed_worker_loses_nothing(
    app: Flask, database: str, master_key: str, tmp_path: Path
) -> None:
    """5,000 rows, two workers, one SIGKILLed mid-way: exactly 5,000 badges."""
    tenant = create_tenant(app, "cohort", "대규모 코호트 아카데미")
    api = Api(app.test_client(), tenant)
    course = api.achievement("대규모 코호트 과정")
    rows = [
        {"recipient": {"email": f"learner{n}@cohort.example.kr", "name": f"학습자 {n}"}}
        for n in range(ROWS)
    ]
    response = api.post(
        "/api/v1/credentials/batch", json={"achievementId": course["id"], "credentials": rows}
    )
    assert response.status_code == 202, response.json
    assert response.json is not None
    job_id = response.json["job"]["id"]
    # Committed with its queue entry, in one transaction.
    with db.engine_of(app).connect() as connection:
        queued = connection.execute(
            text("SELECT count(*) FROM procrastinate_jobs WHERE lock = :lock"),
            {"lock": f"baeji-job-{job_id}"},
        ).scalar_one()
    assert queued == 1

    instance = tmp_path / "instance"
    instance.mkdir()
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first = _start_worker("first", database, master_key, instance, logs[0])
    second: subprocess.Popen[bytes] | None = None
    try:
        _wait(app, job_id, lambda j: j.progress_done >= 300, 240, logs[:1])
        second = _start_worker("second", database, master_key, instance, logs[1])
        time.sleep(1.5)  # the second worker is up and polling while the first works
        middle = _job(app, job_id)
        assert middle.state == "running"
        assert middle.progress_done < ROWS
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        done = _wait(app, job_id, lambda j: j.state in ("done", "failed"), 400, logs)
        assert done.state == "done", done.last_error
        assert done.attempts >= 2
        assert (done.progress_done, done.progress_total) == (ROWS, ROWS)
        result = jobs.result_of(done)
        assert result is not None
        assert result["count"] == ROWS
        assert sorted(c["row"] for c in result["credentials"]) == list(range(1, ROWS + 1))
        with db.new_session(db.engine_of(app)) as session:
            issued = session.exec(
                select(func.count(), func.count(func.distinct(Credential.learner_id))).where(
                    Credential.issuer_id == tenant.issuer.pk
                )
            ).one()
        assert tuple(issued) == (ROWS, ROWS)
    finally:
        for process in (first, second):
            if process is not None:
                _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_failing_job_is_retried_with_backoff_then_failed(
    app: Flask, database: str, master_key: str, tmp_path: Path
) -> None:
    """The worker retries a failing job after 1 s, then 2 s, and then marks it failed."""
    tenant = create_tenant(app, "archived", "보관된 과정 아카데미")
    api = Api(app.test_client(), tenant)
    course = api.achievement("곧 보관될 과정")
    with unit_of_work(
        db.engine_of(app), settings_of(app), actor="test", issuer=tenant.issuer
    ) as work:
        job_id = batch_jobs.enqueue_batch(
            work,
            [{"recipient": {"email": "late@example.kr", "name": "늦은 학습자"}}],
            achievement_id=course["id"],
            max_rows=10,
        )
    # Archived after the job was accepted: every attempt fails with invalid-rows.
    assert api.post(f"/api/v1/achievements/{course['uuid']}/archive").status_code == 200
    log = tmp_path / "worker.log"
    worker = _start_worker(
        "retry", database, master_key, tmp_path, log, JOB_BACKOFF="1", JOB_MAX_ATTEMPTS="3"
    )
    try:
        started = time.monotonic()
        done = _wait(app, job_id, lambda j: j.state in ("done", "failed"), 60, [log])
        elapsed = time.monotonic() - started
    finally:
        _stop(worker)
    assert done.state == "failed"
    assert done.attempts == 3
    assert done.last_error is not None
    assert done.last_error.startswith("invalid-rows: ")
    assert elapsed >= 3  # waited 1 s, then 2 s
    with db.engine_of(app).connect() as connection:
        events = (
            connection.execute(
                text(
                    "SELECT e.type::text FROM procrastinate_events e JOIN procrastinate_jobs j"
                    " ON j.id = e.job_id WHERE j.lock = :lock ORDER BY e.id"
                ),
                {"lock": f"baeji-job-{job_id}"},
            )
            .scalars()
            .all()
        )
    assert events.count("scheduled") >= 2  # two retries, each scheduled later
    assert events[-1] == "failed"
