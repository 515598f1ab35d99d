"""Browser fixtures: the service on a real HTTP server, and Debian's headless Chromium.

The service runs on 127.0.0.1 on a free port, in a thread, with its own SQLite database;
its public origin (``BASE_URL``) is that address, so credential ids, QR codes and DIDs
point at it. The browser is Debian's ``chromium`` driven through its matching
``chromedriver`` (what ``.ci/run`` installs); nothing here downloads a browser or driver.
Without them the tests skip, except under ``CI=true``, where they fail.

Screenshots of the key pages go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from flask import Flask
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait
from werkzeug.serving import BaseWSGIServer, make_server

from issuer import db, settings_of
from tests.conftest import REPO_ROOT
from tests.issuer.conftest import Tenant, create_tenant, make_app
from tests.serving import serving
from verify.cli import main as baeji

CHROMIUM = Path(os.environ.get("BAEJI_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("BAEJI_CHROMEDRIVER", "/usr/bin/chromedriver"))
ARTIFACTS = REPO_ROOT / "test-artifacts"
PHONE = (412, 915)
DESKTOP = (1280, 900)

StartResponse = Callable[..., Any]


class _LateApp:
    """A WSGI app whose Flask app is set once the server's port (its BASE_URL) is known."""

    def __init__(self) -> None:
        self.app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        assert self.app is not None
        result: Iterable[bytes] = self.app(environ, start_response)
        return result


@dataclass
class LiveServer:
    """The running service: its origin, the app, two providers and an HTTP client."""

    base_url: str
    app: Flask
    hanbit: Tenant
    nuri: Tenant
    http: httpx.Client

    def api(self, tenant: Tenant, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Call the issuing API over HTTP as ``tenant``; return the JSON (2xx asserted)."""
        response = self.http.request(method, path, headers=tenant.headers, **kwargs)
        assert response.is_success, response.text
        body: dict[str, Any] = response.json()
        return body

    def achievement(self, tenant: Tenant, name: str, **fields: Any) -> dict[str, Any]:
        """Create an achievement through the API."""
        return self.api(
            tenant,
            "POST",
            "/api/v1/achievements",
            json={
                "name": name,
                "description": f"{name} 과정입니다.",
                "criteria": {"narrative": "모든 과제를 제출하고 최종 평가를 통과했습니다."},
                **fields,
            },
        )

    def issue(
        self, tenant: Tenant, achievement_id: str, email: str, name: str, **fields: Any
    ) -> dict[str, Any]:
        """Issue a credential through the API."""
        return self.api(
            tenant,
            "POST",
            "/api/v1/credentials",
            json={
                "achievementId": achievement_id,
                "recipient": {"email": email, "name": name},
                **fields,
            },
        )


@contextmanager
def running_service(folder: Path, **settings: Any) -> Iterator[LiveServer]:
    """The service on SQLite in ``folder``, served at http://127.0.0.1:<free port> by
    werkzeug in a thread, with its two providers and an HTTP client; ``settings`` override
    the test app's."""
    late = _LateApp()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, late, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = make_app(
        f"sqlite:///{folder / 'baeji.db'}", folder / "instance", BASE_URL=base_url, **settings
    )
    late.app = app
    with serving(server):
        hanbit = create_tenant(app, "hanbit", "한빛 디지털 아카데미")
        nuri = create_tenant(app, "nuri", "누리 ICT 교육센터")
        with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as http:
            yield LiveServer(base_url, app, hanbit, nuri, http)
    db.engine_of(app).dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service on a real HTTP server, for the whole run."""
    # A development server: webhook receivers on 127.0.0.1 are allowed (jobs send them).
    with running_service(tmp_path_factory.mktemp("live"), WEBHOOK_ALLOW_LOCAL=True) as live:
        yield live


def _browser_or_skip() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    message = (
        f"headless Chromium is not installed ({', '.join(missing)} missing): install Debian's "
        "chromium, chromium-driver and fonts-nanum packages (.ci/run does this)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Chromium for the whole run, asking for Korean pages like a Korean phone."""
    _browser_or_skip()
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--lang=ko",
        f"--user-data-dir={profile}",
        f"--window-size={PHONE[0]},{PHONE[1]}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "ko-KR,ko,en-US,en"})
    # The driver path is given, so Selenium Manager (which may download) never runs.
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser: WebDriver, live_server: LiveServer) -> WebDriver:
    """The browser, on a phone-sized window, with no cookies left by an earlier test."""
    browser.set_window_size(*PHONE)
    browser.get(f"{live_server.base_url}/healthz")
    browser.delete_all_cookies()
    return browser


def screenshot(driver: WebDriver, name: str) -> Path:
    """Save a full-page screenshot as ``test-artifacts/<name>`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    width = int(driver.execute_script("return window.innerWidth"))
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    try:
        assert driver.save_screenshot(str(path))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path


def wait_replaced(driver: WebDriver, old: WebElement, seconds: float = 60) -> None:
    """Wait until ``old`` (the page's ``html`` element before a click) has left the page.

    While the old document is being torn down, Chromium may answer with "node does not
    belong to the document" instead of a stale element; both mean the page was replaced.
    """

    def replaced(_: WebDriver) -> bool:
        try:
            old.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(driver, seconds).until(replaced)


# -- driving the pages -------------------------------------------------------------------------

FORM_BUTTON = "main form button[type=submit]"


def new_email(prefix: str) -> str:
    """An e-mail address no other test uses."""
    return f"{prefix}.{secrets.token_hex(4)}@example.kr"


def fill(driver: WebDriver, values: dict[str, str]) -> None:
    """Type ``values`` into the page's fields of those names (each emptied first)."""
    for name, value in values.items():
        field = driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def submit(driver: WebDriver, selector: str = FORM_BUTTON) -> None:
    """Press the last button ``selector`` finds and wait for the next page to replace this one."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_elements(By.CSS_SELECTOR, selector)[-1].click()
    wait_replaced(driver, old)


def body_text(driver: WebDriver) -> str:
    """The page's visible text."""
    return str(driver.find_element(By.TAG_NAME, "body").text)


def sign_in_staff(
    driver: WebDriver,
    app: Flask,
    password: str,
    *,
    area: str = "console",
    prefix: str = "owner",
    shots: bool = False,
) -> tuple[str, str]:
    """Create a staff account with the CLI (an owner of ``hanbit``, or with ``area``
    "operator" a platform operator), set ``password`` through the one-time link and sign in
    at ``/<area>/login``, screenshotting both pages with ``shots``. The account's e-mail and
    its (now used) link; where the sign-in landed is the caller's to check."""
    email = new_email(prefix)
    role = ["--operator"] if area == "operator" else ["--issuer", "hanbit", "--role", "owner"]
    created = CliRunner().invoke(
        baeji, ["user", "create", "--email", email, *role], obj=app, catch_exceptions=False
    )
    assert created.exit_code == 0, created.output
    link = created.output.strip().splitlines()[-1]
    assert link.startswith(f"{settings_of(app).base_url}/{area}/set-password/"), link
    driver.get(link)
    fill(driver, {"password": password, "password2": password})
    if shots:
        screenshot(driver, f"{area}-set-password.png")
    submit(driver)
    assert f"/{area}/login" in driver.current_url
    fill(driver, {"email": email, "password": password})
    if shots:
        screenshot(driver, f"{area}-login.png")
    submit(driver)
    return email, link
