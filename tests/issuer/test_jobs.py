"""Background jobs run in process (SQLite's way; PostgreSQL too with BAEJI_JOBS=process).

Enqueueing is part of the caller's transaction, a key makes it idempotent, a failing
handler is retried with growing waits and then marked failed, and the job API shows an
issuer its own jobs only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from issuer import db, settings_of
from issuer.db import Work, unit_of_work
from issuer.errors import ServiceBusy
from issuer.jobs import service as jobs
from issuer.jobs.models import Job
from tests.issuer.conftest import Api, Tenant, make_app

CALLS: dict[str, list[float]] = {}
_CALLS_LOCK = threading.Lock()


def _called(key: str) -> int:
    with _CALLS_LOCK:
        CALLS.setdefault(key, []).append(time.monotonic())
        return len(CALLS[key])


@jobs.handler("test.echo")
def echo(work: Work, run: jobs.JobRun) -> dict[str, Any]:
    """Report progress and return the payload with the acting issuer."""
    _called(str(run.payload["tag"]))
    run.progress(1, 2)
    return {"echo": run.payload["tag"], "issuer": work.issuer.slug if work.issuer else None}


@jobs.handler("test.flaky")
def flaky(work: Work, run: jobs.JobRun) -> None:
    """Fail until the payload's attempt count is reached."""
    _called(str(run.payload["tag"]))
    if run.attempt < run.payload["succeed_at"]:
        raise ServiceBusy("the receiver is busy")


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The service with in-process jobs and short backoff (0.2 s, doubling)."""
    app = make_app(
        database_url,
        tmp_path_factory.mktemp("instance"),
        JOBS="process",
        JOB_BACKOFF=0.2,
        JOB_MAX_ATTEMPTS=3,
    )
    yield app
    db.engine_of(app).dispose()


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    """Each test (and database) counts its own handler calls."""
    with _CALLS_LOCK:
        CALLS.clear()


def _enqueue(app: Flask, name: str, payload: dict[str, Any], **kwargs: Any) -> int:
    with unit_of_work(db.engine_of(app), settings_of(app), actor="test") as work:
        return jobs.enqueue(work, name, payload, **kwargs)


def test_a_job_runs_after_commit_with_progress_and_result(app: Flask) -> None:
    """The commit starts the job; its result and progress are on its row."""
    job_id = _enqueue(app, "test.echo", {"tag": "after-commit"})
    job = jobs.wait(db.engine_of(app), job_id, timeout=20)
    assert job.state == "done"
    assert job.attempts == 1
    assert (job.progress_done, job.progress_total) == (2, 2)
    assert jobs.result_of(job) == {"echo": "after-commit", "issuer": None}
    assert job.started_at is not None
    assert job.finished_at is not None


def test_a_rolled_back_job_never_runs(app: Flask) -> None:
    """Enqueueing is part of the caller's transaction."""
    engine = db.engine_of(app)

    def failing_request() -> None:
        with unit_of_work(engine, settings_of(app), actor="t") as work:
            jobs.enqueue(work, "test.echo", {"tag": "rolled-back"})
            raise RuntimeError("the request failed after enqueueing")

    with pytest.raises(RuntimeError):
        failing_request()
    time.sleep(0.5)
    with db.new_session(engine) as session:
        tags = [jobs.payload_of(j)["tag"] for j in jobs.list_jobs(session, name="test.echo")]
    assert "rolled-back" not in tags
    assert "rolled-back" not in CALLS


def test_enqueue_is_idempotent_by_key(app: Flask) -> None:
    """The same key gives the same job, run once."""
    first = _enqueue(app, "test.echo", {"tag": "keyed"}, key="test:keyed")
    second = _enqueue(app, "test.echo", {"tag": "keyed"}, key="test:keyed")
    assert first == second
    jobs.wait(db.engine_of(app), first, timeout=20)
    third = _enqueue(app, "test.echo", {"tag": "keyed"}, key="test:keyed")
    assert third == first
    time.sleep(0.3)
    assert len(CALLS["keyed"]) == 1


def test_a_failing_handler_is_retried_with_backoff(app: Flask) -> None:
    """Two failures, then success: three attempts, the second wait longer than the first."""
    job_id = _enqueue(app, "test.flaky", {"tag": "flaky", "succeed_at": 3})
    job = jobs.wait(db.engine_of(app), job_id, timeout=30)
    assert job.state == "done", job.last_error
    assert job.attempts == 3
    first, second, third = CALLS["flaky"]
    assert second - first >= 0.2
    assert third - second >= 0.4
    assert job.last_error is None


def test_a_job_fails_after_its_last_attempt(app: Flask) -> None:
    """BAEJI_JOB_MAX_ATTEMPTS failures: failed, with the error's code and message."""
    job_id = _enqueue(app, "test.flaky", {"tag": "hopeless", "succeed_at": 99})
    job = jobs.wait(db.engine_of(app), job_id, timeout=30)
    assert job.state == "failed"
    assert job.attempts == 3
    assert job.last_error == "try-again: the receiver is busy"
    assert len(CALLS["hopeless"]) == 3


def test_a_job_left_queued_by_a_dead_process_runs(app: Flask) -> None:
    """A job committed but never started (the process died) runs when the runner wakes."""
    engine = db.engine_of(app)
    with db.new_session(engine) as session:
        job = Job(
            name="test.echo",
            actor="test",
            payload='{"tag": "orphan"}',
            created_at=settings_of(app).clock(),
        )
        session.add(job)
        session.commit()
        job_id = job.pk
    app.test_client().get("/")  # any process's next request (or next job) picks it up
    from issuer.jobs import runner

    runner.runner_for(engine, settings_of(app)).wake()
    assert jobs.wait(engine, job_id, timeout=20).state == "done"


def test_the_job_api_shows_an_issuer_its_own_jobs(
    app: Flask, api: Api, other_api: Api, hanbit: Tenant
) -> None:
    """GET /api/v1/jobs/{id}: the owner sees it; another issuer gets 404; a bad id is 404."""
    engine = db.engine_of(app)
    with unit_of_work(engine, settings_of(app), actor="test", issuer=hanbit.issuer) as work:
        job_id = jobs.enqueue(work, "test.echo", {"tag": "scoped"})
    jobs.wait(engine, job_id, timeout=20)
    mine = api.get(f"/api/v1/jobs/{job_id}")
    assert mine.status_code == 200, mine.json
    body = mine.json
    assert body is not None
    assert body["state"] == "done"
    assert body["progress"] == {"done": 2, "total": 2}
    assert body["result"] == {"echo": "scoped", "issuer": "hanbit"}
    assert body["url"].endswith(f"/api/v1/jobs/{job_id}")
    assert other_api.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert api.get("/api/v1/jobs/not-a-number").status_code == 404
    listed = api.get("/api/v1/jobs").json
    assert listed is not None
    assert [j["id"] for j in listed["jobs"]] == [job_id]
    assert other_api.get("/api/v1/jobs").json == {"jobs": []}
    assert api.get("/api/v1/jobs?state=bogus").status_code == 422


def test_payload_sealing_round_trips(app: Flask) -> None:
    """Personal data in a payload is sealed under the master key; altered, it cannot be read."""
    conf = settings_of(app)
    sealed = jobs.seal(conf, [{"email": "a@example.kr"}])
    assert "example" not in sealed
    assert jobs.unseal(conf, sealed) == [{"email": "a@example.kr"}]
    with pytest.raises(ValueError, match="cannot be read"):
        jobs.unseal(conf, sealed[:-4] + "AAAA")


def test_baeji_worker_explains_that_sqlite_needs_none(app: Flask) -> None:
    """With SQLite, jobs run inside the service: the worker command says so and exits 1."""
    from click.testing import CliRunner

    from verify.cli import main as baeji

    if db.engine_of(app).dialect.name != "sqlite":
        pytest.skip("the worker runs on PostgreSQL (tests/issuer/test_job_workers.py)")
    result = CliRunner().invoke(baeji, ["worker"], obj=app)
    assert result.exit_code == 1
    assert "with SQLite, jobs run inside the service itself" in result.output


def test_a_job_whose_runner_went_silent_is_run_again(app: Flask) -> None:
    """A job left running by a process that died (no heartbeat for STALE_AFTER) runs again."""
    from issuer.jobs import runner

    engine = db.engine_of(app)
    silent_since = settings_of(app).clock() - runner.STALE_AFTER - runner.STALE_AFTER
    with db.new_session(engine) as session:
        job = Job(
            name="test.echo",
            actor="test",
            payload='{"tag": "silent"}',
            state="running",
            attempts=1,
            created_at=silent_since,
            started_at=silent_since,
            heartbeat_at=silent_since,
        )
        session.add(job)
        session.commit()
        job_id = job.pk
    assert runner.next_due(engine) == 0.0
    runner.runner_for(engine, settings_of(app)).wake()
    done = jobs.wait(engine, job_id, timeout=20)
    assert done.state == "done"
    assert done.attempts == 2
    assert len(CALLS["silent"]) == 1


def test_a_job_whose_runners_keep_dying_is_failed_not_run_forever(app: Flask) -> None:
    """Silent on its last attempt (its process died every time): failed, worker-lost."""
    from issuer.jobs import runner

    engine = db.engine_of(app)
    silent_since = settings_of(app).clock() - 2 * runner.STALE_AFTER
    with db.new_session(engine) as session:
        job = Job(
            name="test.echo",
            actor="test",
            payload='{"tag": "poison"}',
            state="running",
            attempts=3,
            created_at=silent_since,
            heartbeat_at=silent_since,
        )
        session.add(job)
        session.commit()
        job_id = job.pk
    runner.runner_for(engine, settings_of(app)).wake()
    done = jobs.wait(engine, job_id, timeout=20)
    assert done.state == "failed"
    assert done.last_error is not None
    assert done.last_error.startswith("worker-lost: ")
    assert "poison" not in CALLS
