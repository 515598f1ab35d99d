"""Verdicts a non-expert can trust, as an employer sees them in a real browser.

A genuine badge checked against another address is never called forged; a badge signed with
a key its issuer declared compromised says exactly that; a learning record with one revoked
badge is about the record, with each badge's own verdict listed.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from issuer import db, settings_of
from issuer.issuers import signing
from issuer.issuers.service import issuer_by_slug
from issuer.learners import service as learners
from tests.browser.conftest import DESKTOP, LiveServer, screenshot, wait_replaced

pytestmark = pytest.mark.browser

# What the old pages wrongly said of genuine badges ("may be forged or altered").
FORGED = "위조"


def _email(prefix: str) -> str:
    return f"{prefix}.{secrets.token_hex(4)}@example.kr"


def _find(driver: WebDriver, css: str) -> WebElement:
    found: WebElement = WebDriverWait(driver, 20).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )
    return found


def _verdict(driver: WebDriver) -> tuple[str, str]:
    banner = _find(driver, "section.verdict")
    return str(banner.get_attribute("data-verdict")), banner.text


def _submit(driver: WebDriver, element: WebElement) -> None:
    html = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait_replaced(driver, html)


def test_a_genuine_badge_for_another_email_is_a_mismatch_not_a_forgery(
    page: WebDriver, live_server: LiveServer
) -> None:
    """The e-mail check with another address: "genuine, but not issued to this address"."""
    course = live_server.achievement(live_server.hanbit, "네트워크 보안 기초")
    issued = live_server.issue(live_server.hanbit, course["uuid"], _email("mine"), "한지민")
    page.get(issued["id"])
    page.find_element(By.ID, "email").send_keys(_email("someone.else"), Keys.ENTER)
    notice = _find(page, "[data-recipient]")
    assert notice.get_attribute("data-recipient") == "failed"
    verdict, text = _verdict(page)
    assert verdict == "recipient-mismatch"
    assert "진본" in text
    body = page.find_element(By.TAG_NAME, "body").text
    assert FORGED not in body
    # The badge's content is what the issuer signed: shown as fact, with the issuer's mark.
    assert page.find_elements(By.CSS_SELECTOR, '[data-issuer-mark="registered"]')
    assert "네트워크 보안 기초" in body
    screenshot(page, "verification-recipient-mismatch.png")


def test_a_badge_whose_key_was_declared_compromised_says_so(
    page: WebDriver, live_server: LiveServer
) -> None:
    """After the provider marks its key compromised, the page names that, not "unregistered"."""
    course = live_server.achievement(live_server.nuri, "클라우드 보안 운영")
    issued = live_server.issue(live_server.nuri, course["uuid"], _email("leak"), "윤서준")
    page.get(issued["id"])
    assert _verdict(page)[0] == "valid"

    app = live_server.app
    conf = settings_of(app)
    with db.new_session(db.engine_of(app)) as session:
        issuer = issuer_by_slug(session, live_server.nuri.issuer.slug)
        with db.write_transaction(session):
            signing.rotate_keys(
                db.Work(session, conf, conf.clock(), "test", issuer), compromised=True
            )

    page.refresh()
    verdict, text = _verdict(page)
    assert verdict == "invalid"
    assert "유출" in text
    assert page.find_elements(By.CSS_SELECTOR, '[data-issuer-mark="key-compromised"]')
    assert not page.find_elements(By.CSS_SELECTOR, '[data-issuer-mark="registered"]')
    assert "등록되지 않은" not in page.find_element(By.TAG_NAME, "body").text
    page.set_window_size(*DESKTOP)
    screenshot(page, "verification-key-compromised.png")


def test_a_record_with_one_revoked_badge_lists_each_verdict(
    page: WebDriver, live_server: LiveServer, tmp_path: Path
) -> None:
    """A learning record downloaded before one of its badges was revoked: the record's own
    verdict, with "1 valid, 1 revoked" below it, never a blanket "revoked"."""
    email = _email("record")
    first_course = live_server.achievement(live_server.hanbit, "SQL 데이터베이스 기초")
    second_course = live_server.achievement(live_server.hanbit, "데이터 엔지니어링 파이프라인")
    first = live_server.issue(live_server.hanbit, first_course["uuid"], email, "오하늘")
    second = live_server.issue(live_server.hanbit, second_course["uuid"], email, "오하늘")
    # A provider's link shows its own badges; the learner's whole wallet holds the record.
    app = live_server.app
    conf = settings_of(app)
    with db.unit_of_work(db.engine_of(app), conf, actor="test") as work:
        learner = learners.find_learner(work, email)
        assert learner is not None
        with work.write():
            wallet = learners.new_wallet_url(work, learner.id, issuer_id=None)
    record = live_server.http.get(f"{wallet}/clr.json").json()
    embedded = [c["id"] for c in record["credentialSubject"]["verifiableCredential"]]
    assert sorted(embedded) == sorted([first["id"], second["id"]])
    live_server.api(
        live_server.hanbit,
        "POST",
        f"/api/v1/credentials/{first['uuid']}/revoke",
        json={"reason": "출석 기록 정정"},
    )
    upload = tmp_path / "learning-record.json"
    upload.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")

    page.set_window_size(*DESKTOP)
    page.get(f"{live_server.base_url}/verify")
    page.find_element(By.ID, "file").send_keys(str(upload))
    _submit(page, page.find_element(By.CSS_SELECTOR, 'form button[type="submit"]'))
    verdict, text = _verdict(page)
    assert verdict == "valid"
    assert "유효한 학습 이력" in text
    body = page.find_element(By.TAG_NAME, "body").text
    assert "유효함 1건" in body
    assert "취소됨 1건" in body
    members = {
        m.get_attribute("data-verdict") for m in page.find_elements(By.CSS_SELECTOR, "li.member")
    }
    assert members == {"valid", "revoked"}
    screenshot(page, "verify-record-one-revoked.png")
