"""Real Chromium: a large cohort becomes a job whose page refreshes itself (no scripts) until
the result page; the provider's job list shows it.

The service here runs cohorts of more than 3 learners as jobs, in process (SQLite).
"""

from __future__ import annotations

import csv
import io
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from issuer import db, settings_of
from issuer.db import Work, unit_of_work
from issuer.jobs import service as jobs
from tests.browser.conftest import (
    PHONE,
    LiveServer,
    body_text,
    running_service,
    screenshot,
    sign_in_staff,
    submit,
)

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"
RELEASE = threading.Event()


@jobs.handler("test.browser.hold")
def hold(work: Work, run: jobs.JobRun) -> None:
    """Stay running (two of five done) until the test lets the job finish."""
    run.progress(2, 5)
    RELEASE.wait(timeout=60)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service on a real HTTP server, cohorts over 3 learners as jobs."""
    folder = tmp_path_factory.mktemp("live-jobs")
    with running_service(folder, JOB_BATCH_THRESHOLD=3, JOB_CHUNK_SIZE=2) as live:
        yield live
        # A held job lets go before the server stops.
        RELEASE.set()


@pytest.mark.slow
def test_a_job_page_refreshes_itself_to_the_end(
    browser: WebDriver, server: LiveServer, tmp_path: Path
) -> None:
    """A running job's page shows its progress and reloads by itself until it is done;
    a cohort over the threshold goes through its job to the usual result page."""
    browser.set_window_size(*PHONE)
    browser.get(f"{server.base_url}/healthz")
    browser.delete_all_cookies()
    sign_in_staff(browser, server.app, PASSWORD)
    assert "/console/courses" in browser.current_url

    engine = db.engine_of(server.app)
    RELEASE.clear()
    with unit_of_work(
        engine, settings_of(server.app), actor="test", issuer=server.hanbit.issuer
    ) as work:
        held = jobs.enqueue(work, "test.browser.hold", {}, total=5)
    browser.get(f"{server.base_url}/console/jobs/{held}")
    WebDriverWait(browser, 20).until(lambda p: "5건 중 2건" in body_text(p))
    bar = browser.find_element(By.ID, "job-progress")
    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("2", "5")
    assert "진행 중" in body_text(browser)
    screenshot(browser, "console-job-progress.png")
    RELEASE.set()
    # Nobody touches the browser: the page's own refresh shows the job finished.
    WebDriverWait(browser, 30).until(lambda p: "완료" in body_text(p))
    assert not browser.find_elements(By.CSS_SELECTOR, "meta[http-equiv=refresh]")

    course = server.achievement(server.hanbit, "대규모 코호트 과정")
    learners = [(f"job{n}.{secrets.token_hex(3)}@example.kr", f"학습자{n}") for n in range(5)]
    out = io.StringIO()
    csv.writer(out).writerows([["이메일", "이름"], *[[e, n] for e, n in learners]])
    upload = tmp_path / "코호트.csv"
    upload.write_bytes(out.getvalue().encode("cp949"))
    browser.get(f"{server.base_url}/console/cohort?course={course['uuid']}")
    browser.find_element(By.NAME, "file").send_keys(str(upload))
    submit(browser)
    submit(browser, "form[action='/console/cohort/confirm'] button[type=submit]")
    assert "/console/jobs/" in browser.current_url
    WebDriverWait(browser, 60).until(lambda p: "배지 5개를 발급했습니다" in body_text(p))
    text = body_text(browser)
    for email, name in learners:
        assert email in text
        assert name in text
    screenshot(browser, "console-job-cohort-result.png")

    browser.get(f"{server.base_url}/console/jobs")
    listing = body_text(browser)
    assert "코호트 발급" in listing
    assert "완료" in listing
    screenshot(browser, "console-jobs.png")
