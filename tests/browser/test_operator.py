"""The operator console in a real Chromium, as the platform's operators use it.

An operator sets a password from ``baeji user create --operator``'s one-time link and signs
in; a provider applies through the public join form and the operator approves it; the
operator registers a provider by hand, suspends a provider that has issued a badge (the
badge's public page still says valid, its API key is refused with ``provider-suspended``),
certifies a provider (its public page shows the verified certification), reinstates the
suspended one, removes another, and reads the figures and the audit log. Every operator
page is screenshotted into ``test-artifacts/`` (phone size, and the lists on a desktop).
"""

from __future__ import annotations

import secrets

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    LiveServer,
    body_text,
    fill,
    new_email,
    screenshot,
    sign_in_staff,
    submit,
)
from tests.issuer.conftest import create_tenant

pytestmark = pytest.mark.browser

PASSWORD = "플랫폼 운영자 비밀번호 2026"


def _submit(page: WebDriver, selector: str = "main form.card button[type=submit]") -> None:
    """Press the form's button (by default the card form's) and wait for the next page."""
    submit(page, selector)


def _sign_in_operator(page: WebDriver, live_server: LiveServer) -> str:
    email, _ = sign_in_staff(page, live_server.app, PASSWORD, area="operator", shots=True)
    assert page.current_url.rstrip("/").endswith("/operator"), page.current_url
    return email


@pytest.mark.slow
def test_operator_console_end_to_end(page: WebDriver, live_server: LiveServer) -> None:
    base = live_server.base_url
    operator = _sign_in_operator(page, live_server)
    assert "교육기관" in body_text(page)
    screenshot(page, "operator-providers.png")

    # A provider applies through the public join form (Korean), and the operator approves it.
    slug = f"daon-{secrets.token_hex(3)}"
    applicant = new_email("applicant")
    page.get(f"{base}/join")
    fill(
        page,
        {
            "name": "다온 평생교육원",
            "slug": slug,
            "url": "https://daon.example.kr",
            "email": applicant,
            "description": "성인 디지털 역량 교육",
            "message": "디지털 리더스 클럽에 참여하고 싶습니다.",
        },
    )
    screenshot(page, "operator-join.png")
    _submit(page)
    assert page.find_elements(By.ID, "join-done"), body_text(page)
    screenshot(page, "operator-join-done.png")
    page.get(f"{base}/join?lang=en")
    assert "Join Baeji as a training provider" in body_text(page)
    screenshot(page, "operator-join-en.png")
    page.get(f"{base}/operator/applications?lang=ko")
    screenshot(page, "operator-applications.png")
    page.find_element(By.LINK_TEXT, "다온 평생교육원").click()
    assert applicant in body_text(page)
    screenshot(page, "operator-application.png")
    _submit(page, "button[name=do][value=approve]")
    invite = page.find_element(By.ID, "invite-link").text
    assert invite.startswith(f"{base}/console/set-password/")
    screenshot(page, "operator-approved.png")

    # A provider registered by hand, with its owner's invitation.
    hand = f"saebit-{secrets.token_hex(3)}"
    page.get(f"{base}/operator/providers/new")
    fill(
        page,
        {
            "name": "새빛 코딩 학원",
            "slug": hand,
            "url": "https://saebit.example.kr",
            "email": "contact@saebit.example.kr",
            "description": "청소년 코딩 교육",
            "owner_email": new_email("owner"),
        },
    )
    screenshot(page, "operator-register.png")
    _submit(page)
    assert page.find_element(By.ID, "invite-link").text.startswith(f"{base}/console/set-password/")
    screenshot(page, "operator-registered.png")

    # A provider that issued a badge is suspended: the badge still verifies, its key is refused.
    tenant = create_tenant(live_server.app, f"nara-{secrets.token_hex(3)}", "나라 직업전문학교")
    course = live_server.achievement(tenant, "클라우드 기초")
    badge = live_server.issue(tenant, course["id"], new_email("learner"), "최유나")
    page.get(f"{base}/operator/providers/{tenant.issuer.slug}")
    assert "나라 직업전문학교" in body_text(page)
    screenshot(page, "operator-provider.png")

    # Certified in the Digital Leaders Club: the provider's public page shows it, verified.
    until = page.find_element(By.ID, "until")
    page.execute_script("arguments[0].value = '2027-12-31'", until)
    fill(page, {"narrative": "2026년 품질 심사 통과"})
    screenshot(page, "operator-certify.png")
    _submit(page, "button[name=do][value=certify]")
    assert page.find_elements(By.CSS_SELECTOR, "tr[data-certification-state=current]")
    screenshot(page, "operator-provider-certified.png")
    page.get(f"{base}/issuers/{tenant.issuer.slug}")
    mark = page.find_element(By.ID, "certification")
    assert mark.get_attribute("data-certification") == "certified"
    assert "디지털 리더스 클럽" in mark.text
    page.get(f"{base}/operator/providers/{tenant.issuer.slug}")
    page.get(f"{base}/operator/providers/{tenant.issuer.slug}/suspend")
    assert "계속 유효하게 검증" in page.find_element(By.ID, "keeps-verifying").text
    fill(page, {"reason": "민원 조사 중"})
    screenshot(page, "operator-confirm-suspend.png")
    _submit(page)
    assert "정지됨" in page.find_element(By.ID, "provider-state").text
    screenshot(page, "operator-provider-suspended.png")
    refused = live_server.http.get("/api/v1/achievements", headers=tenant.headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == "provider-suspended"
    page.get(badge["id"])
    verdict = page.find_element(By.CSS_SELECTOR, "section.verdict")
    assert verdict.get_attribute("data-verdict") == "valid"
    screenshot(page, "operator-suspended-badge-still-valid.png")
    page.get(f"{base}/operator/providers/{tenant.issuer.slug}/unsuspend")
    _submit(page)
    assert "활동 중" in page.find_element(By.ID, "provider-state").text
    assert live_server.http.get("/api/v1/achievements", headers=tenant.headers).status_code == 200

    # The hand-registered provider is removed.
    page.get(f"{base}/operator/providers/{hand}/remove")
    fill(page, {"reason": "등록 취소 요청"})
    screenshot(page, "operator-confirm-remove.png")
    _submit(page)
    assert "삭제됨" in page.find_element(By.ID, "provider-state").text

    # Figures, the audit log (filtered) and the account page.
    page.get(f"{base}/operator/figures")
    assert page.find_elements(By.CSS_SELECTOR, "#months tbody tr")
    screenshot(page, "operator-figures.png")
    page.get(f"{base}/operator/audit")
    fill(page, {"action": "operator.", "provider": tenant.issuer.slug})
    _submit(page, "main form.card button[type=submit]")
    audit = page.find_element(By.ID, "audit").text
    assert "operator.suspend" in audit
    assert "operator.unsuspend" in audit
    assert f"operator:{operator}" in audit
    screenshot(page, "operator-audit.png")
    page.get(f"{base}/operator/account")
    screenshot(page, "operator-account.png")

    # Desktop width: the lists, and the figures in English.
    page.set_window_size(*DESKTOP)
    try:
        page.get(f"{base}/operator/")
        screenshot(page, "operator-providers-desktop.png")
        page.get(f"{base}/operator/figures?lang=en")
        assert "Platform figures" in body_text(page)
        screenshot(page, "operator-figures-en-desktop.png")
        page.get(f"{base}/operator/?lang=ko")
    finally:
        page.set_window_size(*PHONE)

    # Signing out ends the session: the console asks to sign in again.
    _submit(page, "form[action='/operator/logout'] button[type=submit]")
    page.get(f"{base}/operator/figures")
    assert "/operator/login" in page.current_url
