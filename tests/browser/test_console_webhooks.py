"""The console's webhook pages in a real Chromium: an owner adds an endpoint (the secret is
shown once), a badge issued reaches a receiver on 127.0.0.1, the deliveries page shows the
answers, and "send again" replays one. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import json
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from issuer import settings_of
from issuer.webhooks import sending
from tests.browser.conftest import (
    LiveServer,
    screenshot,
    sign_in_staff,
    submit,
)
from tests.issuer.webhook_receiver import receiver

pytestmark = pytest.mark.browser

PASSWORD = "웹훅 담당자 비밀번호 2026"


def _body_says(page: WebDriver, text: str, seconds: float = 30) -> str:
    """Reload until the page shows ``text`` (the attempt is recorded after its answer)."""
    deadline = time.monotonic() + seconds
    while text not in (body := page.find_element(By.TAG_NAME, "body").text):
        assert time.monotonic() < deadline, f"{text!r} never shown"
        time.sleep(0.1)
        page.refresh()
    return body


def test_webhook_pages_in_a_browser(page: WebDriver, live_server: LiveServer) -> None:
    app = live_server.app
    base = live_server.base_url
    sign_in_staff(page, live_server.app, PASSWORD, prefix="webhooks")
    assert "/console/courses" in page.current_url
    with receiver() as hook:
        page.get(f"{base}/console/settings")
        submit(page, "a[href$='/console/settings/webhooks']")
        assert "웹훅" in page.title
        page.find_element(By.NAME, "url").send_keys(hook.url("/lms"))
        page.find_element(By.NAME, "description").send_keys("학사 관리 시스템")
        submit(page, "main form.card button[type=submit]")
        secret = page.find_element(By.ID, "webhook-secret").text
        assert secret.startswith("whsec_")
        screenshot(page, "console-webhooks-created.png")

        course = live_server.achievement(live_server.hanbit, "웹훅 브라우저 과정")
        live_server.issue(
            live_server.hanbit, course["uuid"], "webhook.browser@example.kr", "김웹훅"
        )
        (first,) = hook.wait_for(1, seconds=30)  # sent by a job, after the issuing committed
        assert sending.verify_signature(
            secret,
            first.headers["Baeji-Signature"],
            first.body,
            now=int(settings_of(app).clock().timestamp()),
        )

        page.get(f"{base}/console/settings/webhooks")
        assert secret not in page.page_source
        submit(page, "a[href*='/console/settings/webhooks/']")
        assert "HTTP 200" in page.find_element(By.TAG_NAME, "body").text
        hook.status = 500
        submit(page, "button[name=replay]")
        assert "곧 다시 보냅니다" in page.find_element(By.TAG_NAME, "body").text
        hook.wait_for(2, seconds=30)
        page.refresh()
        body = _body_says(page, "HTTP 500")
        assert "HTTP 200" in body
        screenshot(page, "console-webhook-deliveries.png")
        again = hook.got()[-1]
        assert json.loads(again.body)["id"] == json.loads(first.body)["id"]
        assert again.headers["Baeji-Delivery"] != first.headers["Baeji-Delivery"]

        page.get(f"{base}/console/settings/webhooks")
        submit(page, "button[name=disable]")
        assert "삭제했습니다" in page.find_element(By.TAG_NAME, "body").text
