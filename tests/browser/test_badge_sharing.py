"""Badges worth sharing, in a real browser: the revoked certificate, LinkedIn and link-preview
tags, and the baked PNG with the course name drawn on it."""

from __future__ import annotations

import base64
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.remote.webdriver import WebDriver

from badges.bake import extract_credential
from badges.image import default_badge_png
from tests.browser.conftest import ARTIFACTS, DESKTOP, LiveServer, new_email, screenshot

pytestmark = pytest.mark.browser


def test_revoked_certificate_prints_the_mark(page: WebDriver, live_server: LiveServer) -> None:
    """A revoked badge's certificate prints, on one A4 sheet, a large 취소됨 · REVOKED mark."""
    course = live_server.achievement(live_server.hanbit, "클라우드 보안 실무")
    issued = live_server.issue(
        live_server.hanbit,
        course["uuid"],
        new_email("revoked"),
        "정하늘",
        activityStartDate="2026-03-02T00:00:00Z",
        activityEndDate="2026-04-24T00:00:00Z",
        creditsEarned=60,
    )
    live_server.api(
        live_server.hanbit,
        "POST",
        f"/api/v1/credentials/{issued['uuid']}/revoke",
        json={"reason": "수료 요건 미충족 확인"},
    )
    page.set_window_size(*DESKTOP)
    page.get(f"{issued['walletUrl']}/credentials/{issued['uuid']}/certificate")
    mark = page.find_element(By.CSS_SELECTOR, "[data-certificate-mark]")
    assert mark.text == "취소됨 · REVOKED"
    assert mark.is_displayed()
    assert int(mark.size["width"]) > 300  # large, not a footnote
    assert "이 증명서는 효력이 없습니다" in page.find_element(By.TAG_NAME, "body").text
    screenshot(page, "certificate-revoked.png")
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert page.find_element(By.CSS_SELECTOR, "[data-certificate-mark]").is_displayed()
        assert not page.find_element(By.CSS_SELECTOR, "[data-print-steps]").is_displayed()
        url = page.find_element(By.CSS_SELECTOR, ".certificate-url")
        # The address stays on one line: no break inside the UUID.
        line = float(
            page.execute_script("return parseFloat(getComputedStyle(arguments[0]).lineHeight)", url)
        )
        assert url.size["height"] < line * 1.5
        screenshot(page, "certificate-revoked-print.png")
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    a4 = PrintOptions()
    a4.page_width, a4.page_height, a4.background = 21.0, 29.7, True
    pdf = base64.b64decode(page.print_page(a4))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "certificate-revoked.pdf").write_bytes(pdf)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1


def test_linkedin_and_link_preview_tags(page: WebDriver, live_server: LiveServer) -> None:
    """The verification page offers Add to LinkedIn, filled in, and carries OG/Twitter tags
    whose image is the badge PNG."""
    course = live_server.achievement(live_server.nuri, "생성형 AI 프롬프트 엔지니어링")
    issued = live_server.issue(live_server.nuri, course["uuid"], new_email("share"), "한지우")
    page.get(issued["id"])

    def meta(selector: str) -> str:
        return str(page.find_element(By.CSS_SELECTOR, selector).get_attribute("content"))

    assert meta('meta[property="og:title"]') == "생성형 AI 프롬프트 엔지니어링 · 누리 ICT 교육센터"
    assert meta('meta[property="og:url"]') == issued["id"]
    assert meta('meta[property="og:image"]') == f"{issued['id']}.png"
    assert meta('meta[name="twitter:card"]') == "summary_large_image"
    preview = live_server.http.get(meta('meta[property="og:image"]'))
    assert preview.headers["content-type"] == "image/png"

    link = page.find_element(By.CSS_SELECTOR, "a[data-linkedin]")
    assert link.text == "LinkedIn 프로필에 추가"
    params = parse_qs(urlsplit(str(link.get_attribute("href"))).query)
    assert params["startTask"] == ["CERTIFICATION_NAME"]
    assert params["name"] == ["생성형 AI 프롬프트 엔지니어링"]
    assert params["organizationName"] == ["누리 ICT 교육센터"]
    assert params["certUrl"] == [issued["id"]]
    copy = page.find_element(By.CSS_SELECTOR, "[data-copy-link]")
    assert copy.text == issued["id"]
    assert page.execute_script("return getComputedStyle(arguments[0]).userSelect", copy) == "all"
    screenshot(page, "verification-sharing-ko.png")


def test_baked_png_shows_the_course_name(page: WebDriver, live_server: LiveServer) -> None:
    """The PNG a learner puts on LinkedIn shows the course and provider names: the browser
    draws exactly the artwork rendered from the bundled font, with ink in the text area."""
    name = "빅데이터 분석 전문가 과정"
    course = live_server.achievement(live_server.hanbit, name)
    issued = live_server.issue(live_server.hanbit, course["uuid"], new_email("png"), "오세진")
    png_url = f"{issued['id']}.png"
    baked = live_server.http.get(png_url).content
    assert extract_credential(baked)
    page.get(png_url)
    data_url = page.execute_script(
        "const img = document.querySelector('img');"
        "const canvas = document.createElement('canvas');"
        "canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;"
        "canvas.getContext('2d').drawImage(img, 0, 0);"
        "return canvas.toDataURL('image/png');"
    )
    shown_bytes = base64.b64decode(str(data_url).split(",", 1)[1])
    expected_bytes = default_badge_png(
        name, issuer_name="한빛 디지털 아카데미", seed=course["uuid"]
    )
    with (
        Image.open(io.BytesIO(shown_bytes)) as shown,
        Image.open(io.BytesIO(expected_bytes)) as expected,
    ):
        shown_rgba = shown.convert("RGBA")
        expected_rgba = expected.convert("RGBA")
        assert shown_rgba.size == expected_rgba.size == (512, 512)
        # The text region as the browser shows it matches the artwork drawn from our font.
        box = (130, 140, 382, 340)
        a = shown_rgba.crop(box).tobytes()
        b = expected_rgba.crop(box).tobytes()
        differing = sum(
            1 for i in range(0, len(a), 4) if max(abs(a[i + k] - b[i + k]) for k in range(3)) > 8
        )
        assert differing < 50
        ink = sum(
            1
            for i in range(0, len(a), 4)
            if a[i + 3] == 255 and (a[i] + a[i + 1] + a[i + 2]) / 3 < 110
        )
        assert ink > 1000
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "baked-badge.png").write_bytes(baked)
