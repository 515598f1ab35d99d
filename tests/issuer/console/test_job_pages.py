"""Console: a large cohort is confirmed as a job, followed on a self-refreshing page, and
ends on the same result page as a small one; the jobs list is the provider's own."""

from __future__ import annotations

import base64
import csv
import io
import re
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func
from sqlmodel import col, select

from issuer import db, settings_of
from issuer.db import Work, unit_of_work
from issuer.jobs import service as jobs
from issuer.models import Credential
from tests.issuer.conftest import BASE_URL, Tenant, make_app, unique_email
from tests.issuer.console.conftest import HOST, Staff, create_staff

RELEASE = threading.Event()


@jobs.handler("test.console.wait")
def wait_for_release(work: Work, run: jobs.JobRun) -> None:
    """Report some progress, then wait until the test lets it finish."""
    run.progress(3, 10)
    RELEASE.wait(timeout=30)


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The console on HTTPS, cohorts over 3 learners as jobs, in chunks of 2."""
    app = make_app(
        database_url,
        tmp_path_factory.mktemp("instance"),
        SERVER_NAME=HOST,
        PREFERRED_URL_SCHEME="https",
        JOBS="process",
        JOB_BATCH_THRESHOLD=3,
        JOB_CHUNK_SIZE=2,
    )
    yield app
    db.engine_of(app).dispose()


@pytest.fixture(scope="module")
def owner(app: Flask, hanbit: Tenant) -> Staff:
    return create_staff(app, "hanbit", "owner")


@pytest.fixture(scope="module")
def stranger(app: Flask, nuri: Tenant) -> Staff:
    return create_staff(app, "nuri", "owner")


def _course(staff: Staff, name: str) -> str:
    response = staff.post(
        "/console/courses/new", {"name": name, "description": "과정", "narrative": "출석"}
    )
    assert response.status_code == 302, response.text
    return str(response.headers["Location"]).split("/console/courses/")[1].split("?")[0]


def _count(app: Flask, course_id: str) -> int:
    with db.new_session(db.engine_of(app)) as session:
        return int(
            session.exec(
                select(func.count()).where(col(Credential.achievement_id) == course_id)
            ).one()
        )


def test_a_running_job_page_refreshes_itself_and_shows_progress(
    app: Flask, owner: Staff, stranger: Staff, hanbit: Tenant
) -> None:
    """No scripts: a meta refresh and a <progress> element; another provider gets 404."""
    engine = db.engine_of(app)
    RELEASE.clear()
    with unit_of_work(engine, settings_of(app), actor="test", issuer=hanbit.issuer) as work:
        job_id = jobs.enqueue(work, "test.console.wait", {}, total=10)
    try:
        page = owner.get(f"/console/jobs/{job_id}")
        for _ in range(50):
            if "3 of 10" in page.text:
                break
            threading.Event().wait(0.1)
            page = owner.get(f"/console/jobs/{job_id}")
        assert page.status_code == 200
        assert '<meta http-equiv="refresh" content="2">' in page.text
        assert '<progress id="job-progress" max="10" value="3">' in page.text
        assert "3 of 10" in page.text or "10건 중 3건" in page.text
        assert "<script" not in page.text
        listed = owner.get("/console/jobs")
        assert f'href="/console/jobs/{job_id}"' in listed.text
        assert stranger.get(f"/console/jobs/{job_id}").status_code == 404
        assert f"/console/jobs/{job_id}" not in stranger.get("/console/jobs").text
    finally:
        RELEASE.set()
    jobs.wait(engine, job_id, timeout=30)
    done = owner.get(f"/console/jobs/{job_id}")
    assert "refresh" not in done.text


def test_a_large_cohort_is_a_job_that_ends_on_the_result_page(app: Flask, owner: Staff) -> None:
    """Five learners (over the threshold): a job page, then the result page with each one."""
    course = _course(owner, "대규모 코호트")
    people = [(unique_email("job"), f"학습자{n}") for n in range(5)]
    out = io.StringIO()
    csv.writer(out).writerows([["이메일", "이름"], *[[e, n] for e, n in people]])
    data = out.getvalue().encode()
    form = {
        "course": course,
        "data": base64.b64encode(data).decode(),
        "filename": "cohort.csv",
        "map_0": "email",
        "map_1": "name",
    }
    confirmed = owner.post("/console/cohort/confirm", form, form="/console/cohort")
    assert confirmed.status_code == 303, confirmed.text
    location = confirmed.headers["Location"]
    match = re.search(r"/console/jobs/(\d+)$", location)
    assert match, location
    job = jobs.wait(db.engine_of(app), int(match.group(1)), timeout=60)
    assert job.state == "done", job.last_error
    result = owner.get(location.removeprefix(BASE_URL))
    assert result.status_code == 200
    for email, name in people:
        assert email in result.text
        assert name in result.text
    assert 'name="rows"' in result.text  # the wallet-link sheet, links made when downloaded
    assert _count(app, course) == 5
    # Confirming the same upload again issues nothing: every learner holds the badge now
    # (a second click while the job runs would get the same job: the upload is its key).
    again = owner.post("/console/cohort/confirm", form, form="/console/cohort")
    assert again.status_code == 200
    assert _count(app, course) == 5
    listed = owner.get("/console/jobs")
    assert "Issuing a cohort" in listed.text or "코호트 발급" in listed.text
    # A viewer sees the job's state, never the cohort's names and addresses.
    viewer = create_staff(app, "hanbit", "viewer")
    seen = viewer.get(location.removeprefix(BASE_URL))
    assert seen.status_code == 200
    for email, name in people:
        assert email not in seen.text
        assert name not in seen.text
