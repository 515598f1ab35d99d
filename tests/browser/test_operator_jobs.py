"""The operator's jobs and mail pages in a real Chromium.

Two providers each have a job (queued for later, so they wait on the list), the platform
has its own (the learner record signed after a badge is issued); the operator filters the
list by provider and state through the form, opens a job that is running and watches its
page refresh itself (a ``<meta http-equiv="refresh">``: no script runs) as the progress
moves, then reads the e-mail outbox summary. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from click.testing import CliRunner
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy import update
from sqlmodel import col, select

from issuer import db, settings_of
from issuer.jobs import service as jobs
from issuer.jobs.models import Job
from issuer.learners import record_jobs
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, screenshot, wait_replaced
from tests.issuer.conftest import Tenant
from verify.cli import main as baeji

pytestmark = pytest.mark.browser

PASSWORD = "작업 화면 운영자 비밀번호 2026"


def _fill(page: WebDriver, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = page.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def _submit(page: WebDriver, selector: str) -> None:
    old = page.find_element(By.TAG_NAME, "html")
    page.find_element(By.CSS_SELECTOR, selector).click()
    wait_replaced(page, old)


def _sign_in(page: WebDriver, live_server: LiveServer) -> None:
    email = f"jobs-operator.{secrets.token_hex(4)}@example.kr"
    created = CliRunner().invoke(
        baeji,
        ["user", "create", "--email", email, "--operator"],
        obj=live_server.app,
        catch_exceptions=False,
    )
    assert created.exit_code == 0, created.output
    page.get(created.output.strip().splitlines()[-1])
    _fill(page, {"password": PASSWORD, "password2": PASSWORD})
    _submit(page, "main form button[type=submit]")
    _fill(page, {"email": email, "password": PASSWORD})
    _submit(page, "main form button[type=submit]")
    assert page.current_url.rstrip("/").endswith("/operator"), page.current_url


def _waiting_job(live_server: LiveServer, tenant: Tenant) -> int:
    """A job of ``tenant``, due next year: it waits on the list."""
    app = live_server.app
    with db.unit_of_work(db.engine_of(app), settings_of(app), actor="test") as work, work.write():
        return jobs.enqueue(
            work.acting_for(tenant.issuer),
            record_jobs.RESIGN_JOB,
            {"learners": []},
            run_after=work.now + timedelta(days=365),
        )


def _rows(page: WebDriver) -> dict[int, str]:
    return {
        int(str(row.get_attribute("data-job"))): str(row.get_attribute("data-state"))
        for row in page.find_elements(By.CSS_SELECTOR, "#jobs tbody tr[data-job]")
    }


def _move(live_server: LiveServer, job_id: int, **values: object) -> None:
    with db.new_session(db.engine_of(live_server.app)) as session:
        session.execute(update(Job).where(col(Job.id) == job_id).values(**values))
        session.commit()


@pytest.mark.slow
def test_operator_jobs_and_mail_pages(page: WebDriver, live_server: LiveServer) -> None:
    base = live_server.base_url
    course = live_server.achievement(live_server.hanbit, "작업 화면 과정")
    issued = live_server.issue(
        live_server.hanbit, course["id"], f"jobs.{secrets.token_hex(3)}@example.kr", "정하린"
    )
    learner = issued["credential"]["credentialSubject"]["id"].removeprefix("urn:uuid:")
    hanbit_job = _waiting_job(live_server, live_server.hanbit)
    nuri_job = _waiting_job(live_server, live_server.nuri)
    _sign_in(page, live_server)

    page.get(f"{base}/operator/jobs?lang=ko")
    listed = _rows(page)
    assert listed[hanbit_job] == "queued"
    assert listed[nuri_job] == "queued"
    body = page.find_element(By.TAG_NAME, "body").text
    assert live_server.hanbit.issuer.name in body
    assert live_server.nuri.issuer.name in body
    assert "학습 이력 서명" in body  # the platform's record job for the badge issued
    with db.new_session(db.engine_of(live_server.app)) as session:
        record_job = session.exec(
            select(Job.id).where(col(Job.key).startswith(f"{record_jobs.RESIGN_JOB}:{learner}:"))
        ).one()
    assert record_job is not None
    jobs.wait(db.engine_of(live_server.app), record_job, timeout=60)
    page.set_window_size(*DESKTOP)
    page.get(f"{base}/operator/jobs?lang=ko")
    assert _rows(page)[record_job] == "done"
    screenshot(page, "operator-jobs.png")

    # Filter through the form: one provider's waiting jobs.
    _fill(page, {"provider": live_server.nuri.issuer.slug})
    Select(page.find_element(By.NAME, "state")).select_by_value("queued")
    _submit(page, "main form.card button[type=submit]")
    filtered = _rows(page)
    assert nuri_job in filtered
    assert hanbit_job not in filtered
    assert set(filtered.values()) == {"queued"}
    screenshot(page, "operator-jobs-filtered.png")

    # A job that runs: its page refreshes itself as the progress moves.
    page.set_window_size(*PHONE)
    _move(live_server, hanbit_job, state="running", attempts=1, progress_total=5, progress_done=1)
    page.get(f"{base}/operator/jobs/{hanbit_job}?lang=ko")
    meta = page.find_elements(By.CSS_SELECTOR, 'meta[http-equiv="refresh"]')
    assert meta
    assert meta[0].get_attribute("content") == "2"
    assert page.find_element(By.ID, "job-progress").get_attribute("value") == "1"
    screenshot(page, "operator-job-running.png")
    _move(live_server, hanbit_job, progress_done=4)
    WebDriverWait(page, 20).until(
        lambda d: d.find_element(By.ID, "job-progress").get_attribute("value") == "4"
    )
    _move(live_server, hanbit_job, state="done", progress_done=5)
    WebDriverWait(page, 20).until(lambda d: not d.find_elements(By.ID, "job-refreshes"))
    assert page.find_element(By.ID, "job-state").text == "완료"
    screenshot(page, "operator-job-done.png")

    # The outbox summary (this server sends no mail: all counts are zero).
    page.find_element(By.CSS_SELECTOR, "nav.console-nav a[href='/operator/mail']").click()
    assert page.find_elements(By.ID, "mail-counts")
    assert "발송을 포기한 메일" in page.find_element(By.TAG_NAME, "body").text
    screenshot(page, "operator-mail.png")
    page.get(f"{base}/operator/jobs?lang=en")
    assert "Signing learner records" in page.find_element(By.TAG_NAME, "body").text
    screenshot(page, "operator-jobs-en.png")
