"""Wallet tokens and share ids never reach a log: the development server's and gunicorn's
access logs are read after real requests over a socket."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask
from werkzeug.serving import make_server

from issuer import db, logs
from tests.issuer.conftest import BASE_URL, Api, create_tenant, make_app, unique_email
from tests.serving import serving


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    """An app on a SQLite file with one issued credential; yields it and its wallet path."""
    folder = tmp_path_factory.mktemp("logs")
    app = make_app(f"sqlite:///{folder / 'baeji.db'}", folder / "instance")
    api = Api(app.test_client(), create_tenant(app, "hanbit", "한빛 아카데미"))
    issued = api.issue(api.achievement()["uuid"], unique_email())
    yield app, issued["walletUrl"].removeprefix(BASE_URL)
    db.engine_of(app).dispose()


def _requests(origin: str, wallet: str, share_id: str) -> None:
    """A learner opening the wallet, a referred request, and a share page."""
    with httpx.Client(base_url=origin, timeout=30) as client:
        assert client.get(wallet, headers={"Accept": "text/html"}).status_code == 200
        assert client.get(f"{wallet}?lang=en").status_code == 200
        assert client.get("/static/baeji.css", headers={"Referer": origin + wallet}).is_success
        assert client.get(f"/shares/{share_id}", headers={"Accept": "text/html"}).status_code == 404


def _assert_redacted(text: str, wallet: str, share_id: str) -> None:
    token = wallet.removeprefix("/wallet/")
    assert token not in text
    assert share_id not in text
    assert f"/wallet/{logs.REDACTED}" in text
    assert f"/shares/{logs.REDACTED}" in text


def test_redact_replaces_the_secret_segment_only() -> None:
    line = (
        '127.0.0.1 - - "GET /wallet/abc_DEF-123/credentials/x/certificate?lang=en HTTP/1.1" '
        '200 "https://badges.example.kr/shares/s3cr3t" "/api/v1/credentials/123"'
    )
    assert logs.redact(line) == (
        '127.0.0.1 - - "GET /wallet/[redacted]/credentials/x/certificate?lang=en HTTP/1.1" '
        '200 "https://badges.example.kr/shares/[redacted]" "/api/v1/credentials/123"'
    )


def test_development_server_log_has_no_tokens(served: tuple[Flask, str], tmp_path: Path) -> None:
    app, wallet = served
    log_file = tmp_path / "werkzeug.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_log.addHandler(handler)
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.INFO)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    share_id = secrets.token_urlsafe(16)
    try:
        with serving(server):
            _requests(f"http://127.0.0.1:{server.port}", wallet, share_id)
    finally:
        werkzeug_log.removeHandler(handler)
        werkzeug_log.setLevel(level)
        handler.close()
    _assert_redacted(log_file.read_text(encoding="utf-8"), wallet, share_id)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
@pytest.mark.parametrize("logger_class", [None, "issuer.logs.RedactingLogger"])
def test_gunicorn_access_log_has_no_tokens(
    served: tuple[Flask, str], tmp_path: Path, logger_class: str | None
) -> None:
    app, wallet = served
    port = _free_port()
    access_log = tmp_path / "access.log"
    error_log = tmp_path / "error.log"
    env = {
        **os.environ,
        "BAEJI_DATABASE_URL": app.config["DATABASE_URL"],
        "BAEJI_BASE_URL": BASE_URL,
        "BAEJI_MASTER_KEY": app.config["MASTER_KEY"],
        "BAEJI_INSTANCE_PATH": app.instance_path,
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--access-logfile",
        str(access_log),
        "--error-logfile",
        str(error_log),
        # Referer and the whole request line, as an operator might configure.
        "--access-logformat",
        '%(h)s "%(r)s" %(s)s %(U)s "%(f)s"',
    ]
    if logger_class:
        command += ["--logger-class", logger_class]
    process = subprocess.Popen([*command, "issuer:create_app()"], env=env)
    share_id = secrets.token_urlsafe(16)
    origin = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to a minute for the worker to start on a busy machine
            try:
                if httpx.get(f"{origin}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start: " + error_log.read_text())
        _requests(origin, wallet, share_id)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    text = access_log.read_text(encoding="utf-8")
    assert "GET /static/baeji.css" in text
    _assert_redacted(text, wallet, share_id)
    assert wallet.removeprefix("/wallet/") not in error_log.read_text(encoding="utf-8")
