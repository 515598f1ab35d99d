"""The provider console in a real Chromium, as a training academy's staff uses it.

An owner sets a password from the CLI's one-time link, signs in, invites a colleague,
creates a course with an image and an NCS alignment, uploads a CP949 CSV with Korean
headers and a bad row (the preview names the row, and the learner who already holds the
badge), uploads the fixed file and confirms, downloads the wallet-link sheet, issues a
second cohort from an .xlsx, revokes one badge with a reason, and the public page of that
badge shows it revoked. Every console page is screenshotted into ``test-artifacts/``.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.conftest import (
    LiveServer,
    body_text,
    fill,
    new_email,
    screenshot,
    sign_in_staff,
    submit,
)

pytestmark = pytest.mark.browser

PASSWORD = "한빛 아카데미 비밀번호 2026"
HEADER = [
    "이메일",
    "이름",
    "성적",
    "학점",
    "기수",
    "교육시작일",
    "교육종료일",
    "증빙 URL",
    "담당 강사",
]


def _cohort_csv(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    path.write_bytes(out.getvalue().encode("cp949"))
    return path


def _row(email: str, name: str) -> list[str]:
    return [email, name, "A", "3", "12기", "2026-09-01", "2026-11-27", "", "이강사"]


def _wait_for_file(folder: Path, suffix: str) -> Path:
    """Wait (60 s at most) for Chromium to finish a download into ``folder``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} download in {folder}")


@pytest.mark.slow
def test_console_end_to_end(page: WebDriver, live_server: LiveServer, tmp_path: Path) -> None:
    base = live_server.base_url
    # The one-time link sets the password, then the owner signs in.
    _, link = sign_in_staff(page, live_server.app, PASSWORD, shots=True)
    assert "/console/courses" in page.current_url, body_text(page)
    page.get(link)
    assert "/console/set-password/" in page.current_url
    assert "비밀번호 설정" not in page.title

    # An invitation for a colleague: a one-time link shown once.
    page.get(f"{base}/console/settings/staff")
    fill(page, {"email": new_email("colleague")})
    submit(page, "main form.card button[type=submit]")
    invite = page.find_element(By.ID, "invite-link").text
    assert invite.startswith(f"{base}/console/set-password/")
    screenshot(page, "console-staff.png")

    # A course with an image and an NCS alignment.
    image = tmp_path / "badge.png"
    Image.new("RGB", (128, 128), "#1d6fb8").save(image)
    page.get(f"{base}/console/courses/new")
    fill(
        page,
        {
            "name": "빅데이터 분석 실무",
            "description": "공공데이터로 분석 보고서를 만드는 80시간 과정",
            "narrative": "출석 80% 이상, 최종 프로젝트 통과",
            "tags": "데이터, 파이썬",
            "credits": "4",
            "ncs_code": "2001020201_20v4",
            "ncs_name": "빅데이터 분석 결과 시각화",
        },
    )
    page.find_element(By.NAME, "image").send_keys(str(image))
    screenshot(page, "console-course-form.png")
    submit(page)
    assert "saved=1" in page.current_url
    course_id = page.current_url.split("/console/courses/")[1].split("?")[0]
    page.get(f"{base}/console/courses")
    assert "빅데이터 분석 실무" in body_text(page)
    screenshot(page, "console-courses.png")

    # One learner of the cohort already holds the badge (issued earlier over the API).
    emails = [new_email("learner") for _ in range(3)]
    live_server.issue(live_server.hanbit, course_id, emails[0], "김민준")

    # A CP949 CSV with Korean headers and one bad row: the preview names the row.
    bad = _cohort_csv(
        tmp_path / "12기-오류.csv",
        [_row(emails[0], "김민준"), _row("이메일아님", "이서연"), _row(emails[2], "박지호")],
    )
    page.get(f"{base}/console/cohort")
    page.find_element(By.NAME, "file").send_keys(str(bad))
    screenshot(page, "console-cohort-upload.png")
    submit(page)
    text = body_text(page)
    assert "담당 강사" in text  # the unknown column is listed
    assert page.find_elements(By.ID, "problems")
    assert page.find_elements(By.ID, "holders")
    assert not page.find_elements(By.CSS_SELECTOR, "form[action='/console/cohort/confirm']")
    screenshot(page, "console-cohort-preview-problems.png")

    good = _cohort_csv(
        tmp_path / "12기.csv",
        [_row(emails[0], "김민준"), _row(emails[1], "이서연"), _row(emails[2], "박지호")],
    )
    page.get(f"{base}/console/cohort?course={course_id}")
    page.find_element(By.NAME, "file").send_keys(str(good))
    submit(page)
    assert page.find_elements(By.ID, "holders")
    assert not page.find_elements(By.ID, "problems")
    screenshot(page, "console-cohort-preview.png")
    submit(page, "form[action='/console/cohort/confirm'] button[type=submit]")
    result = body_text(page)
    assert "배지 2개를 발급했습니다" in result
    assert "1명은 이미 보유" in result
    wallets = page.find_elements(By.CSS_SELECTOR, "a[href*='/wallet/']")
    assert len(wallets) == 2
    screenshot(page, "console-cohort-result.png")

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    page.find_element(By.CSS_SELECTOR, "button[name=format][value=xlsx]").click()
    sheet = load_workbook(_wait_for_file(downloads, ".xlsx")).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(rows) == 3
    assert {r[0] for r in rows[1:]} == {emails[1], emails[2]}
    assert all(str(r[3]).startswith(f"{base}/wallet/") for r in rows[1:])

    # A second cohort from an .xlsx with Korean headers.
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["이메일", "성명", "결과", "학기"])
    ws.append([new_email("xlsx"), "최유나", "Pass", "2026-2"])
    workbook = tmp_path / "13기.xlsx"
    book.save(workbook)
    page.get(f"{base}/console/cohort?course={course_id}")
    page.find_element(By.NAME, "file").send_keys(str(workbook))
    submit(page)
    assert "최유나" in body_text(page)
    submit(page, "form[action='/console/cohort/confirm'] button[type=submit]")
    assert "배지 1개를 발급했습니다" in body_text(page)

    # Issued badges: find one learner, revoke with a reason after a confirmation.
    page.get(f"{base}/console/badges?name=이서연")
    screenshot(page, "console-badges.png")
    submit(page, "a[href*='/console/badges/']")
    badge_url = page.current_url
    screenshot(page, "console-badge.png")
    submit(page, "a[href$='/revoke']")
    confirm = body_text(page)
    assert "이서연" in confirm
    assert "빅데이터 분석 실무" in confirm
    fill(page, {"reason": "출석 기준 미달 확인"})
    screenshot(page, "console-revoke-confirm.png")
    submit(page)
    assert page.current_url == badge_url
    assert page.find_element(By.ID, "status").text == "취소"
    badge_id = badge_url.rsplit("/", 1)[1]

    page.get(f"{base}/credentials/{badge_id}")
    public = body_text(page)
    today = datetime.now(UTC)
    assert "취소" in public
    assert f"{today.year}" in public
    assert f"{today.month}월 {today.day}일" in public
    screenshot(page, "console-revoked-public.png")

    for name, path in (
        ("console-settings.png", "/console/settings"),
        ("console-api-keys.png", "/console/settings/keys"),
        ("console-signing-keys.png", "/console/settings/signing"),
        ("console-audit.png", "/console/settings/audit"),
        ("console-account.png", "/console/account"),
        ("console-issue-one.png", "/console/issue"),
        ("console-archive-confirm.png", f"/console/courses/{course_id}/archive"),
    ):
        page.get(f"{base}{path}")
        assert page.find_elements(By.CSS_SELECTOR, "nav.console-nav")
        screenshot(page, name)
    page.get(f"{base}/console/settings/signing")
    submit(page, "a[href*='/console/settings/signing/compromise']")
    assert (
        int(
            page.find_element(By.ID, "affected")
            .text.split("이 키로 서명한 배지 ")[1]
            .split("개")[0]
        )
        >= 1
    )
    screenshot(page, "console-compromise-confirm.png")
