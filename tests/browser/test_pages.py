"""The pages in a real browser: what an employer, a learner and a provider actually see.

Headless Chromium asks for Korean, like a phone in Korea. Badges are issued through the
HTTP API; QR codes are read with a real QR decoder; the learner's downloaded record is
verified with the ``verify`` package over HTTP, as an employer's copy of ``baeji verify``
would.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from badges.qr import decode_qr
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, LiveServer, screenshot, wait_replaced
from verify import CheckStatus, HttpFetcher, Verdict, verify_credential

pytestmark = pytest.mark.browser

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMAGE = '<img src=x onerror="window.pwned=1">'


def _email(prefix: str) -> str:
    return f"{prefix}.{secrets.token_hex(4)}@example.kr"


def _find(driver: WebDriver, css: str) -> WebElement:
    """Wait for an element: a click that submits a form returns before the next page loads."""
    found: WebElement = WebDriverWait(driver, 20).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )
    return found


def _click_and_wait(driver: WebDriver, element: WebElement) -> None:
    """Click a link or button and wait until the browser has left the current page."""
    html = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait_replaced(driver, html)


def _verdict(driver: WebDriver) -> tuple[str, str]:
    banner = _find(driver, "section.verdict")
    return str(banner.get_attribute("data-verdict")), banner.text


def _assert_no_script_ran(driver: WebDriver) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018  (reading it is what raises)
    assert driver.execute_script("return window.pwned === undefined")


def _local_fetcher() -> HttpFetcher:
    # The test server speaks plain HTTP on 127.0.0.1: development mode of the fetcher.
    return HttpFetcher(allow_local=True)


def test_qr_code_opens_the_verdict_then_revocation_shows(
    page: WebDriver, live_server: LiveServer
) -> None:
    """Scan the QR code, open it on a phone: valid in Korean; revoke, reload: revoked."""
    course = live_server.achievement(live_server.hanbit, "클라우드 인프라 구축 실무")
    issued = live_server.issue(
        live_server.hanbit,
        course["uuid"],
        _email("qr"),
        "박지호",
        result=[{"status": "Completed", "value": "A"}],
        creditsEarned=3,
    )
    qr = live_server.http.get(f"/credentials/{issued['uuid']}/qr.png")
    (url,) = decode_qr(qr.content)
    assert url == issued["id"]

    page.get(url)
    assert page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ko"
    verdict, text = _verdict(page)
    assert verdict == "valid"
    assert "유효한 배지" in text
    assert Verdict.VALID.label("ko") in text
    body = page.find_element(By.TAG_NAME, "body").text
    for shown in (
        "클라우드 인프라 구축 실무",
        "박지호",
        "한빛 디지털 아카데미",
        "이 플랫폼에 등록된 기관",
    ):
        assert shown in body
    screenshot(page, "verification-valid-ko.png")

    live_server.api(
        live_server.hanbit,
        "POST",
        f"/api/v1/credentials/{issued['uuid']}/revoke",
        json={"reason": "수료 기준 미달 확인"},
    )
    page.refresh()
    verdict, text = _verdict(page)
    assert verdict == "revoked"
    assert "취소된 배지" in text

    _click_and_wait(page, page.find_element(By.CSS_SELECTOR, '.lang-switch a[hreflang="en"]'))
    assert page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    verdict, text = _verdict(page)
    assert verdict == "revoked"
    assert "Revoked badge" in text
    assert Verdict.REVOKED.label("en") in text
    page.get(url)  # the choice is remembered
    assert "Revoked badge" in _verdict(page)[1]
    page.set_window_size(*DESKTOP)
    screenshot(page, "verification-revoked-en.png")


def test_keyboard_reaches_the_skip_link_and_the_email_form(
    page: WebDriver, live_server: LiveServer
) -> None:
    """Tab first lands on "skip to content"; the email check works from the keyboard."""
    course = live_server.achievement(live_server.hanbit, "데이터 시각화")
    email = _email("keys")
    issued = live_server.issue(live_server.hanbit, course["uuid"], email, "최유나")
    page.get(issued["id"])
    page.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = page.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link"
    assert focused.text == "본문으로 건너뛰기"
    field = page.find_element(By.ID, "email")
    assert page.find_element(By.CSS_SELECTOR, 'label[for="email"]').text == "지원자 이메일"
    field.send_keys(email, Keys.ENTER)
    notice = _find(page, "[data-recipient]")
    assert notice.get_attribute("data-recipient") == "passed"
    assert "일치합니다" in notice.text


def test_verify_page_upload_of_a_baked_png(
    page: WebDriver, live_server: LiveServer, tmp_path: Path
) -> None:
    """An employer uploads the baked PNG a candidate sent and sees the same verdict."""
    course = live_server.achievement(live_server.nuri, "MLOps 모델 배포 심화")
    issued = live_server.issue(live_server.nuri, course["uuid"], _email("png"), "이서연")
    baked = tmp_path / "badge.png"
    baked.write_bytes(live_server.http.get(f"/credentials/{issued['uuid']}.png").content)

    page.set_window_size(*DESKTOP)
    page.get(f"{live_server.base_url}/verify")
    assert page.find_element(By.CSS_SELECTOR, 'label[for="file"]').text == "배지 파일"
    page.find_element(By.ID, "file").send_keys(str(baked))
    _click_and_wait(page, page.find_element(By.CSS_SELECTOR, 'form button[type="submit"]'))
    verdict, text = _verdict(page)
    assert verdict == "valid"
    assert "유효한 배지" in text
    body = page.find_element(By.TAG_NAME, "body").text
    assert "MLOps 모델 배포 심화" in body
    assert "PNG 이미지에 담긴 자격증명을 꺼냈습니다." in body
    screenshot(page, "verify-upload.png")


def test_wallet_record_certificate_and_share(page: WebDriver, live_server: LiveServer) -> None:
    """A provider's wallet link shows its own badges; adding the other provider's link gives
    the whole wallet, whose downloaded record verifies with every badge inside; a share
    page is published, then taken down."""
    email = _email("wallet")
    basics = live_server.achievement(live_server.hanbit, "파이썬 데이터 분석 기초")
    advanced = live_server.achievement(
        live_server.nuri, "생성형 AI 서비스 개발", buildsOn=[basics["id"]]
    )
    first = live_server.issue(
        live_server.hanbit,
        basics["uuid"],
        email,
        "김민준",
        validFrom="2026-01-20T00:00:00Z",
        result=[{"status": "Completed", "value": "A+"}],
    )
    second = live_server.issue(live_server.nuri, advanced["uuid"], email, "김민준")

    page.get(second["walletUrl"])
    body = page.find_element(By.TAG_NAME, "body").text
    assert "김민준님의 배지" in body
    assert "누리 ICT 교육센터의 배지만 보입니다" in body
    assert "파이썬 데이터 분석 기초" not in body
    cards = page.find_elements(By.CSS_SELECTOR, "li.badge")
    assert [c.get_attribute("data-credential") for c in cards] == [second["uuid"]]
    assert page.find_elements(By.CSS_SELECTOR, "a[data-record]") == []
    screenshot(page, "wallet-scoped-ko.png")

    # Add the other provider's link with the form (no script): first a mistyped one.
    field = page.find_element(By.ID, "merge-link")
    assert page.find_element(By.CSS_SELECTOR, 'label[for="merge-link"]').text
    field.send_keys(first["walletUrl"][:-5])
    _click_and_wait(page, page.find_element(By.CSS_SELECTOR, "form.merge-form button"))
    assert "본인의 다른 지갑 링크가 아닙니다" in _find(page, "#merge-problem").text
    assert page.switch_to.active_element.get_attribute("id") == "merge-link"
    page.find_element(By.ID, "merge-link").send_keys(first["walletUrl"])
    _click_and_wait(page, page.find_element(By.CSS_SELECTOR, "form.merge-form button"))
    wallet_url = page.current_url
    assert wallet_url.startswith(f"{live_server.base_url}/wallet/")
    assert wallet_url not in (first["walletUrl"], second["walletUrl"])
    body = page.find_element(By.TAG_NAME, "body").text
    for shown in ("파이썬 데이터 분석 기초", "생성형 AI 서비스 개발", "한빛", "누리"):
        assert shown in body
    cards = page.find_elements(By.CSS_SELECTOR, "li.badge")
    assert [c.get_attribute("data-credential") for c in cards] == [second["uuid"], first["uuid"]]
    screenshot(page, "wallet-ko.png")

    record_url = page.find_element(By.CSS_SELECTOR, 'a[data-record="json"]').get_attribute("href")
    assert record_url == f"{wallet_url}/clr.json"
    record = live_server.http.get(record_url).json()
    report = verify_credential(record, now=datetime.now(UTC), fetcher=_local_fetcher())
    assert report.verdict is Verdict.VALID, json.dumps(report.to_dict(), ensure_ascii=False)
    assert report.check("embedded-credentials").status is CheckStatus.PASSED
    assert [child.verdict for child in report.children] == [Verdict.VALID, Verdict.VALID]
    assert [c.credential["id"] for c in report.children if c.credential] == [
        first["id"],
        second["id"],
    ]
    (association,) = record["credentialSubject"]["association"]
    assert association == {
        "type": "Association",
        "associationType": "precedes",
        "sourceId": basics["id"],
        "targetId": advanced["id"],
    }

    card = page.find_element(By.CSS_SELECTOR, f'li[data-credential="{first["uuid"]}"]')
    _click_and_wait(page, card.find_element(By.PARTIAL_LINK_TEXT, "인쇄 / PDF로 저장"))
    page.set_window_size(*DESKTOP)
    certificate = page.find_element(By.CSS_SELECTOR, "article.certificate").text
    assert "수료 증명서" in certificate
    assert "김민준" in certificate
    assert "파이썬 데이터 분석 기초" in certificate
    qr = page.find_element(By.CSS_SELECTOR, "img.certificate-qr")
    assert qr.get_attribute("alt")
    assert page.execute_script("return arguments[0].naturalWidth > 0", qr)
    screenshot(page, "certificate.png")
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not page.find_element(By.CSS_SELECTOR, ".site-header").is_displayed()
        screenshot(page, "certificate-print.png")
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    a4 = PrintOptions()
    a4.page_width, a4.page_height, a4.background = 21.0, 29.7, True
    pdf = base64.b64decode(page.print_page(a4))
    (ARTIFACTS / "certificate.pdf").write_bytes(pdf)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # one A4 sheet

    page.set_window_size(*PHONE)
    page.get(wallet_url)
    _click_and_wait(page, page.find_element(By.CSS_SELECTOR, "form.share-form button[type=submit]"))
    link = _find(page, "a.share-link")
    share_url = str(link.get_attribute("href"))
    assert decode_qr(live_server.http.get(f"{share_url}/qr.png").content) == [share_url]
    _click_and_wait(page, link)
    verdict, text = _verdict(page)
    assert verdict == "valid"
    assert "유효한 학습 이력" in text
    assert "김민준님의 학습 이력" in page.find_element(By.TAG_NAME, "h1").text
    members = page.find_elements(By.CSS_SELECTOR, "li.member")
    assert [m.get_attribute("data-verdict") for m in members] == ["valid", "valid"]
    screenshot(page, "share.png")

    page.get(wallet_url)
    _click_and_wait(page, page.find_element(By.CSS_SELECTOR, "li.share button.danger"))
    _find(page, "#shares")
    assert page.find_elements(By.CSS_SELECTOR, "a.share-link") == []
    page.get(share_url)
    assert "더 이상 공유되지 않습니다" in page.find_element(By.TAG_NAME, "h1").text


def test_markup_in_a_badge_stays_text(
    page: WebDriver, live_server: LiveServer, tmp_path: Path
) -> None:
    """Script and image tags in a course, a name and evidence are shown literally; none runs."""
    course = live_server.achievement(
        live_server.hanbit,
        f"보안 {XSS_SCRIPT}",
        description=f"설명 {XSS_IMAGE}",
    )
    issued = live_server.issue(
        live_server.hanbit,
        course["uuid"],
        _email("xss"),
        XSS_IMAGE[:100],
        evidence=[{"name": XSS_SCRIPT, "narrative": XSS_IMAGE}],
    )
    page.set_window_size(*DESKTOP)
    page.get(issued["id"])
    _assert_no_script_ran(page)
    assert f"보안 {XSS_SCRIPT}" in page.find_element(By.ID, "credential-title").text
    body = page.find_element(By.TAG_NAME, "body").text
    assert XSS_IMAGE in body
    assert page.find_elements(By.CSS_SELECTOR, "main script, main img[src='x']") == []
    screenshot(page, "xss-inert.png")

    forged = dict(issued["credential"])
    forged["name"] = XSS_SCRIPT
    upload = tmp_path / "forged.json"
    upload.write_text(json.dumps(forged, ensure_ascii=False))
    page.get(f"{live_server.base_url}/verify")
    page.find_element(By.ID, "file").send_keys(str(upload))
    _click_and_wait(page, page.find_element(By.CSS_SELECTOR, 'form button[type="submit"]'))
    _assert_no_script_ran(page)
    assert _verdict(page)[0] == "invalid"


def test_issuer_profile_page(page: WebDriver, live_server: LiveServer) -> None:
    """A provider's page lists its courses and says it is registered on the platform."""
    live_server.achievement(
        live_server.hanbit, "SQL 데이터베이스 기초", creditsAvailable=2, tag=["SQL", "데이터"]
    )
    page.set_window_size(*DESKTOP)
    page.get(f"{live_server.base_url}/issuers/hanbit")
    assert page.find_element(By.TAG_NAME, "h1").text == "한빛 디지털 아카데미"
    body = page.find_element(By.TAG_NAME, "body").text
    assert "이 플랫폼에 등록된 기관" in body
    assert "SQL 데이터베이스 기초" in body
    screenshot(page, "issuer-profile.png")


def test_unknown_credential_is_a_friendly_page(page: WebDriver, live_server: LiveServer) -> None:
    """An unknown id (a mistyped QR link) is a 404 page in Korean, not an error dump."""
    page.get(f"{live_server.base_url}/credentials/{uuid.uuid4()}")
    assert page.find_element(By.TAG_NAME, "h1").text == "찾을 수 없습니다"
    assert "Traceback" not in page.page_source
    screenshot(page, "not-found.png")


def _blurred_photo(path: Path) -> Path:
    """A phone photo of a badge too blurred for any QR decoder: soft colour shapes only."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("RGB", (640, 480), (236, 232, 224))
    draw = ImageDraw.Draw(image)
    draw.rectangle((180, 120, 460, 400), fill=(30, 30, 30))
    for x in range(200, 440, 24):
        for y in range(140, 380, 24):
            if (x * 7 + y * 13) % 3:
                draw.rectangle((x, y, x + 12, y + 12), fill=(240, 240, 240))
    image.filter(ImageFilter.GaussianBlur(18)).save(path, "JPEG")
    return path


def test_unreadable_photo_says_try_a_sharper_one(
    page: WebDriver, live_server: LiveServer, tmp_path: Path
) -> None:
    """A blurred photo with no readable QR: "we could not read a badge here", never forged."""
    photo = _blurred_photo(tmp_path / "photo.jpg")
    page.get(f"{live_server.base_url}/verify")
    page.find_element(By.ID, "file").send_keys(str(photo))
    _click_and_wait(page, page.find_element(By.CSS_SELECTOR, 'form button[type="submit"]'))
    verdict, text = _verdict(page)
    assert verdict == "unreadable"
    assert "배지를 읽지 못했습니다" in text
    assert "더 선명한 사진이나 원본 파일" in text
    body = page.find_element(By.TAG_NAME, "body").text
    assert "위조" not in body
    screenshot(page, "verify-unreadable-photo.png")


def test_tampered_upload_shows_unverified_content_and_no_registered_mark(
    page: WebDriver, live_server: LiveServer, tmp_path: Path
) -> None:
    """A grade changed to A+++: greyed, labelled unverified, and no registered-issuer mark."""
    course = live_server.achievement(live_server.nuri, "데이터 분석 실무")
    issued = live_server.issue(
        live_server.nuri,
        course["uuid"],
        _email("tamper"),
        "정다은",
        result=[{"value": "B", "status": "Completed"}],
    )
    tampered = dict(issued["credential"])
    tampered["credentialSubject"] = {
        **tampered["credentialSubject"],
        "result": [{**tampered["credentialSubject"]["result"][0], "value": "A+++"}],
    }
    upload = tmp_path / "badge.json"
    upload.write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")

    page.set_window_size(*DESKTOP)
    page.get(f"{live_server.base_url}/verify")
    page.find_element(By.ID, "file").send_keys(str(upload))
    _click_and_wait(page, page.find_element(By.CSS_SELECTOR, 'form button[type="submit"]'))
    verdict, _ = _verdict(page)
    assert verdict == "invalid"
    card = _find(page, "section.credential")
    assert card.get_attribute("data-verified") == "no"
    assert "검증되지 않은 내용" in card.text
    assert "A+++" in card.text  # shown, but only as what the file claims
    assert not page.find_elements(By.CSS_SELECTOR, '[data-issuer-mark="registered"]')
    # The claimed fields are visibly greyed, not shown as fact.
    opacity = float(
        page.execute_script(
            "return getComputedStyle(document.querySelector('.credential.unverified .facts'))"
            ".opacity"
        )
    )
    assert opacity < 1
    screenshot(page, "verify-tampered-upload.png")
