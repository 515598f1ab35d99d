"""Webhook deliveries sent by background jobs (the default ``WEBHOOK_SENDER=jobs``).

The change that announces an event enqueues the delivery's job in its own transaction; the
job (run in this process here, by ``baeji worker`` on a PostgreSQL queue in production) sends
it, and a receiver that fails gets a follow-up job at the delivery's next attempt time, so
retries need no cron. The attempt-by-attempt schedule is covered by tests/issuer/test_webhooks.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlmodel import col, select

from issuer import db, settings_of
from issuer.jobs.models import Job
from issuer.webhooks import sending
from issuer.webhooks.models import WebhookDelivery
from tests.issuer.conftest import Api, make_app, unique_email
from tests.issuer.webhook_receiver import Receiver, receiver


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The service with jobs run in this process, receivers on 127.0.0.1 allowed."""
    app = make_app(
        database_url, tmp_path_factory.mktemp("instance"), WEBHOOK_ALLOW_LOCAL=True, JOBS="process"
    )
    yield app
    db.engine_of(app).dispose()


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


def _register(api: Api, hook: Receiver, events: list[str]) -> dict[str, Any]:
    response = api.post("/api/v1/webhooks", json={"url": hook.url(), "events": events})
    assert response.status_code == 201, response.json
    body: dict[str, Any] = response.json  # type: ignore[assignment]
    return body


def _remove(api: Api, endpoint: dict[str, Any]) -> None:
    response = api.client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=api.tenant.headers)
    assert response.status_code == 204


def _received(app: Flask, hook: Receiver, count: int) -> list[Any]:
    """Wait until ``count`` deliveries reached ``hook`` (a loaded machine's in-process runner
    may wait out a retry's backoff); say what the delivery jobs did if they never do."""
    return hook.wait_for(
        count,
        seconds=90,
        why=lambda: [(j.id, j.state, j.attempts, j.last_error) for j in _delivery_jobs(app)],
    )


def _delivery_jobs(app: Flask) -> list[Job]:
    with db.new_session(db.engine_of(app)) as session:
        return list(
            session.exec(
                select(Job).where(Job.name == "webhooks.deliver").order_by(col(Job.id))
            ).all()
        )


def test_events_are_sent_by_jobs_once_each_and_signed(app: Flask, api: Api, hook: Receiver) -> None:
    endpoint = _register(api, hook, ["credential.issued", "credential.revoked"])
    course = api.achievement("웹훅 작업 과정")["uuid"]
    issued = api.issue(course, unique_email())
    revoked = api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "오류"})
    assert revoked.status_code == 200
    got = _received(app, hook, 2)
    time.sleep(0.3)  # nothing more arrives
    assert [r.headers["Baeji-Event"] for r in hook.got()] == [
        "credential.issued",
        "credential.revoked",
    ]
    for request in got:
        assert sending.verify_signature(
            endpoint["secret"],
            request.headers["Baeji-Signature"],
            request.body,
            now=int(settings_of(app).clock().timestamp()),
        )
        assert json.loads(request.body)["data"]["credentialUuid"] == issued["uuid"]
    jobs = _delivery_jobs(app)
    assert jobs
    assert all(job.state == "done" for job in jobs)
    _remove(api, endpoint)


def test_a_failing_receiver_gets_a_follow_up_job_at_its_next_attempt(
    app: Flask, api: Api, hook: Receiver
) -> None:
    hook.status = 500
    endpoint = _register(api, hook, ["credential.issued"])
    course = api.achievement("웹훅 재시도 과정")["uuid"]
    before = {job.id for job in _delivery_jobs(app)}
    api.issue(course, unique_email())
    _received(app, hook, 1)
    deadline = time.monotonic() + 30
    while True:
        new = [job for job in _delivery_jobs(app) if job.id not in before]
        if len(new) == 2 and new[0].state == "done":
            break
        assert time.monotonic() < deadline, [(job.state, job.run_after) for job in new]
        time.sleep(0.05)
    first, follow_up = new
    with db.new_session(db.engine_of(app)) as session:
        (delivery,) = session.exec(
            select(WebhookDelivery).where(
                WebhookDelivery.uuid == json.loads(first.payload)["ids"][0]
            )
        ).all()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 500)
    # The retry waits for the delivery's own backoff, as a queued job.
    assert follow_up.state == "queued"
    assert follow_up.run_after == delivery.next_attempt_at
    assert json.loads(follow_up.payload) == {"ids": [delivery.uuid]}
    _remove(api, endpoint)
