"""The ``/verify`` page with several files, and the certificate's offline QR, in Chromium.

Screenshots: ``test-artifacts/verify-many-desktop.png``, ``verify-many-phone.png`` and
``certificate-offline-qr.png``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from badges.qr import decode_qr
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, screenshot

pytestmark = pytest.mark.browser


def _email(prefix: str) -> str:
    return f"{prefix}.{secrets.token_hex(4)}@example.kr"


def test_several_files_give_one_table_with_a_csv_download(
    page: WebDriver, live_server: LiveServer, tmp_path: Path
) -> None:
    """Four candidates' files in one upload: one row each, the summary, and the CSV button."""
    course = live_server.achievement(live_server.hanbit, "인공지능 서비스 기획 실무")
    other = live_server.achievement(live_server.nuri, "정보보안 관제 기초")
    kim = live_server.issue(live_server.hanbit, course["uuid"], _email("kim"), "김지우")
    lee = live_server.issue(live_server.nuri, other["uuid"], _email("lee"), "이서연")
    park = live_server.issue(live_server.hanbit, course["uuid"], _email("park"), "박민수")
    live_server.api(
        live_server.hanbit,
        "POST",
        f"/api/v1/credentials/{park['uuid']}/revoke",
        json={"reason": "출석 기준 미달"},
    )
    files = []
    for name, issued, suffix in (
        ("1-김지우.png", kim, ".png"),
        ("2-이서연.json", lee, ".json"),
        ("3-박민수.jwt", park, ".jwt"),
    ):
        path = tmp_path / name
        path.write_bytes(live_server.http.get(str(issued["id"]) + suffix).content)
        files.append(path)
    forged = tmp_path / "4-위조.json"
    forged.write_text(
        live_server.http.get(str(kim["id"]) + ".json").text.replace("기획 실무", "기획 심화"),
        encoding="utf-8",
    )
    files.append(forged)

    page.set_window_size(*DESKTOP)
    page.get(f"{live_server.base_url}/verify")
    page.find_element(By.ID, "file").send_keys("\n".join(str(f) for f in files))
    page.find_element(By.CSS_SELECTOR, "form.stack-form button[type=submit]").click()
    table = WebDriverWait(page, 60).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table.batch-table"))
    )
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    verdicts = [r.get_attribute("data-verdict") for r in rows]
    names = [r.find_element(By.TAG_NAME, "th").text for r in rows]
    assert names == [f.name for f in files]
    assert verdicts == ["valid", "valid", "revoked", "invalid"]
    assert "인공지능 서비스 기획 실무" in rows[0].text
    assert "누리 ICT 교육센터" in rows[1].text
    assert "파일 4개 확인" in page.find_element(By.ID, "batch-summary").text
    assert page.find_element(By.CSS_SELECTOR, "input[name=table]").get_attribute("value")
    screenshot(page, "verify-many-desktop.png")
    page.set_window_size(*PHONE)
    screenshot(page, "verify-many-phone.png")


def test_certificate_shows_both_qr_codes_and_a_screenshot_verifies_offline(
    page: WebDriver, live_server: LiveServer
) -> None:
    """The printed certificate's offline QR reads back from a screenshot of the page."""
    course = live_server.achievement(
        live_server.hanbit, "2026년 하반기 디지털 전환 실무자 양성 과정: 데이터 분석 심화"
    )
    issued = live_server.issue(live_server.hanbit, course["uuid"], _email("cert"), "정하늘")
    wallet = str(issued["walletUrl"])
    page.set_window_size(*DESKTOP)
    page.get(f"{wallet}/credentials/{issued['uuid']}/certificate")
    figure = page.find_element(By.CSS_SELECTOR, "figure.certificate-offline-qr")
    assert "네트워크 없이 확인" in figure.text
    shot = screenshot(page, "certificate-offline-qr.png")
    texts = decode_qr(shot.read_bytes())
    assert any(t.startswith("BJ1:") for t in texts), texts
