"""The operator console's jobs pages and e-mail outbox summary.

Jobs run in process (SQLite's way; PostgreSQL with ``BAEJI_JOBS=process``); batches over
three rows are jobs, so each provider's cohort of four is a real ``credentials.batch`` job.
Mail goes to the SMTP sink of :mod:`tests.issuer.test_mail`, which refuses one address for
good (550), so the outbox has a mail given up.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import update
from sqlmodel import col

from issuer import db, settings_of
from issuer.jobs import service as jobs
from issuer.jobs.models import Job
from issuer.learners import record_jobs
from issuer.operator.service import PAGE_SIZE
from issuer.outbox import service as outbox
from tests.issuer.conftest import (
    BASE_URL,
    ENGLISH,
    KOREAN,
    Api,
    Tenant,
    create_tenant,
    unique_email,
)
from tests.issuer.console.conftest import HOST, create_staff
from tests.issuer.operator.conftest import Operator, create_operator
from tests.issuer.test_mail import Sink, mailing_app_fixture, sink  # noqa: F401  (the SMTP sink)

app = mailing_app_fixture(
    "The operator console on its HTTPS origin: jobs in process, cohorts over 3 as jobs.",
    SERVER_NAME=HOST,
    PREFERRED_URL_SCHEME="https",
    JOB_BATCH_THRESHOLD=3,
    JOB_CHUNK_SIZE=2,
)


@pytest.fixture(scope="module")
def operator(app: Flask) -> Operator:
    return create_operator(app)


def _provider(app: Flask, name: str) -> Tenant:
    return create_tenant(app, f"jobs-{secrets.token_hex(3)}", name)


def _cohort(app: Flask, tenant: Tenant) -> int:
    """Issue a cohort of four as ``tenant`` (a job); return the finished job's id."""
    api = Api(app.test_client(), tenant)
    course = api.achievement("작업 확인 과정")
    rows = [
        {"recipient": {"email": unique_email("cohort"), "name": f"학습자 {n}"}} for n in range(4)
    ]
    answer = api.post(
        "/api/v1/credentials/batch",
        json={"achievementId": course["id"], "credentials": rows},
    )
    assert answer.status_code == 202, answer.json
    job_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    assert jobs.wait(db.engine_of(app), job_id, timeout=60).state == "done"
    return job_id


def _listed(text: str) -> set[int]:
    return {int(n) for n in re.findall(r'<tr data-job="(\d+)"', text)}


@pytest.fixture(scope="module")
def two_cohorts(app: Flask) -> tuple[tuple[Tenant, int], tuple[Tenant, int]]:
    first = _provider(app, "가람 코딩 학원")
    second = _provider(app, "나래 데이터 스쿨")
    return (first, _cohort(app, first)), (second, _cohort(app, second))


def test_jobs_page_lists_every_providers_jobs(
    operator: Operator, two_cohorts: tuple[tuple[Tenant, int], tuple[Tenant, int]]
) -> None:
    (first, first_job), (second, second_job) = two_cohorts
    page = operator.get("/operator/jobs", headers=ENGLISH)
    assert page.status_code == 200
    assert {first_job, second_job} <= _listed(page.text)
    for tenant, job_id in ((first, first_job), (second, second_job)):
        row = re.search(rf'<tr data-job="{job_id}".*?</tr>', page.text)
        assert row is not None
        assert tenant.issuer.name in row.group(0)
        assert f"<code>{tenant.issuer.slug}</code>" in row.group(0)
        assert "Issuing a cohort" in row.group(0)
        assert 'data-state="done"' in row.group(0)
        assert '<progress max="4" value="4">' in row.group(0)
    # The platform's own jobs are there too: the learners' records, signed ahead.
    assert "Signing learner records" in page.text
    assert 'href="/operator/jobs"' in page.text  # the nav links the page
    korean = operator.get("/operator/jobs", headers=KOREAN)
    assert "기수 일괄 발급" in korean.text
    assert "학습 이력 서명" in korean.text


def test_jobs_filter_by_provider_state_and_task(
    operator: Operator, two_cohorts: tuple[tuple[Tenant, int], tuple[Tenant, int]]
) -> None:
    (first, first_job), (second, second_job) = two_cohorts
    only_first = _listed(operator.get(f"/operator/jobs?provider={first.issuer.slug}").text)
    assert first_job in only_first
    assert second_job not in only_first
    assert _listed(operator.get(f"/operator/jobs?provider={second.issuer.slug}").text) == {
        second_job
    }
    done = _listed(operator.get("/operator/jobs?state=done&name=credentials.batch").text)
    assert {first_job, second_job} <= done
    assert not {first_job, second_job} & _listed(operator.get("/operator/jobs?state=failed").text)
    platform = _listed(operator.get("/operator/jobs?provider=_platform").text)
    assert platform
    assert not {first_job, second_job} & platform
    records = operator.get(f"/operator/jobs?name={record_jobs.RESIGN_JOB}").text
    assert _listed(records) == platform & _listed(records)
    assert operator.get("/operator/jobs?state=sleeping").status_code == 422
    assert operator.get("/operator/jobs?provider=no-such-provider").status_code == 404


def _future_jobs(app: Flask, count: int) -> list[int]:
    """``count`` record jobs (of no learner) due next year: they stay queued."""
    conf = settings_of(app)
    with db.unit_of_work(db.engine_of(app), conf, actor="test") as work, work.write():
        later = work.now + timedelta(days=365)
        return [
            jobs.enqueue(work, record_jobs.RESIGN_JOB, {"learners": []}, run_after=later)
            for _ in range(count)
        ]


def test_jobs_are_paginated(app: Flask, operator: Operator) -> None:
    made = _future_jobs(app, PAGE_SIZE + 1)
    first = operator.get("/operator/jobs?state=queued")
    assert len(_listed(first.text)) == PAGE_SIZE
    assert 'rel="next" href="/operator/jobs?page=2&amp;state=queued"' in first.text
    second = operator.get("/operator/jobs?state=queued&page=2")
    assert 'rel="prev"' in second.text
    assert set(made) <= _listed(first.text) | _listed(second.text)
    assert not _listed(first.text) & _listed(second.text)


def test_provider_staff_cannot_reach_the_jobs_pages(
    app: Flask, two_cohorts: tuple[tuple[Tenant, int], tuple[Tenant, int]]
) -> None:
    (tenant, job_id), _ = two_cohorts
    owner = create_staff(app, tenant.issuer.slug, "owner")
    for path in ("/operator/jobs", f"/operator/jobs/{job_id}", "/operator/mail"):
        answer = owner.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/operator/login")
    # Their console session, presented as an operator's, opens nothing either.
    cookie = owner.client.get_cookie(
        "baeji_console", domain=urlsplit(BASE_URL).netloc, path="/console"
    )
    assert cookie is not None
    intruder = Operator(app, owner.email)
    intruder.client.set_cookie(
        "baeji_operator", cookie.value, path="/operator", domain=cookie.domain
    )
    assert intruder.get("/operator/jobs").status_code == 302
    # Their own console still shows their own job, and no other provider's.
    assert owner.get(f"/console/jobs/{job_id}").status_code == 200


def test_job_detail_refreshes_while_it_runs(
    app: Flask, operator: Operator, two_cohorts: tuple[tuple[Tenant, int], tuple[Tenant, int]]
) -> None:
    (_, done_id), _ = two_cohorts
    (queued_id,) = _future_jobs(app, 1)
    queued = operator.get(f"/operator/jobs/{queued_id}", headers=ENGLISH)
    assert queued.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in queued.text
    assert "Waiting to start" in queued.text
    assert "Next attempt" in queued.text
    # The job starts: claimed, one attempt, with its progress reported as it goes.
    with db.new_session(db.engine_of(app)) as session:
        session.execute(
            update(Job)
            .where(col(Job.id) == queued_id)
            .values(state="running", attempts=1, progress_total=4)
        )
        session.commit()
    run = jobs.JobRun(
        job_id=queued_id,
        name=record_jobs.RESIGN_JOB,
        payload={},
        attempt=1,
        issuer_id=None,
        result=None,
        engine=db.engine_of(app),
    )
    run.progress(1, 4)
    running = operator.get(f"/operator/jobs/{queued_id}", headers=KOREAN)
    assert '<meta http-equiv="refresh" content="2">' in running.text
    assert '<progress id="job-progress" max="4" value="1">' in running.text
    assert "진행 중" in running.text
    assert 'id="job-attempts">1<' in running.text
    finished = operator.get(f"/operator/jobs/{done_id}", headers=ENGLISH)
    assert "http-equiv" not in finished.text
    assert "Finished" in finished.text
    assert operator.get("/operator/jobs/999999999").status_code == 404


def _mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Baeji <badges@example.kr>"
    message["To"] = to
    message["Subject"] = "운영자 메일 확인"
    message.set_content("https://badges.example.kr/wallet/secret-token-of-the-mail")
    return message


def _settled_counts(app: Flask) -> dict[str, int]:
    """The outbox's counts once nothing is waiting or being sent."""
    deadline = time.monotonic() + 30
    while True:
        with db.new_session(db.engine_of(app)) as session:
            counts = outbox.counts(session)
        if not counts.get("pending") and not counts.get("sending"):
            return counts
        assert time.monotonic() < deadline, counts
        time.sleep(0.05)


def test_outbox_summary_counts_and_lists_failed_mail_without_address(
    app: Flask,
    operator: Operator,
    sink: tuple[Sink, int],  # noqa: F811
    two_cohorts: tuple[tuple[Tenant, int], tuple[Tenant, int]],
) -> None:
    received, _ = sink
    (tenant, _), _ = two_cohorts
    refused = unique_email("refused")
    fine = unique_email("fine")
    received.reject.add(refused)
    conf = settings_of(app)
    with db.unit_of_work(db.engine_of(app), conf, actor="test") as work, work.write():
        outbox.queue(
            work,
            [
                outbox.Mail(
                    _mail(refused),
                    key=f"ops:{refused}",
                    kind="ops.check",
                    issuer_id=tenant.issuer.pk,
                ),
                outbox.Mail(
                    _mail(fine), key=f"ops:{fine}", kind="ops.check", issuer_id=tenant.issuer.pk
                ),
            ],
        )
    received.to(fine)
    counts = _settled_counts(app)
    assert counts.get("failed", 0) >= 1
    page = operator.get("/operator/mail", headers=ENGLISH)
    assert page.status_code == 200
    shown: dict[str, Any] = dict(re.findall(r'<dd data-state="(\w+)">([\d,]+)</dd>', page.text))
    assert {k: int(v.replace(",", "")) for k, v in shown.items()} == {
        state: counts.get(state, 0) for state in ("pending", "sending", "sent", "failed")
    }
    failed = page.text.split('id="mail-failed"', 1)[1]
    assert "<code>ops.check</code>" in failed
    assert tenant.issuer.name in failed
    assert "550" in failed
    # Nothing about whom it was for or what it said.
    for secret in (refused, fine, "secret-token-of-the-mail", "운영자 메일 확인"):
        assert secret not in page.text
    korean = operator.get("/operator/mail", headers=KOREAN)
    assert "발송을 포기한 메일" in korean.text
    assert 'href="/operator/mail"' in korean.text
