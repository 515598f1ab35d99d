"""Issuer fixtures: an app per test module on a migrated database, issuers, API clients.

Every module gets its own database: a SQLite file in a temporary folder, and, when
``BAEJI_TEST_DATABASE_URL`` is set, also a fresh PostgreSQL schema that is dropped
afterwards (so parallel or repeated runs never collide). Issuers are created once per
module: RSA key generation is the slow part of setting one up.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from issuer import create_app, db, settings_of
from issuer.config import Settings
from issuer.issuers import service as accounts
from issuer.jobs.models import Job
from issuer.jobs.service import mode_of
from issuer.models import Issuer
from issuer.schemas import IssuerCreate
from keys import MasterKey
from verify import DocumentNotFound, FetchedDocument, HttpStatusError

BASE_URL = "https://badges.example.kr"
REPO_ROOT_HINT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("BAEJI_TEST_DATABASE_URL")
# PostgreSQL joins the matrix only when CI (or a developer) points at a server.
DATABASES = [pytest.param("sqlite", id="sqlite")] + (
    [pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)] if PG_URL else []
)


@contextmanager
def isolated_database(kind: str, folder: Path) -> Iterator[str]:
    """Yield the URL of an empty database of ``kind``; drop it afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'baeji.db'}"
        return
    assert PG_URL is not None
    schema = f"baeji_test_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# Rate limits stay on in every test app, high enough that no test meets them by accident;
# tests/issuer/test_limits.py sets low ones.
UNLIMITED = {
    name: "100000 per minute"
    for name in (
        "RATELIMIT_VERIFY",
        "RATELIMIT_AUTH_FAILURES",
        "RATELIMIT_LOOKUP",
        "RATELIMIT_LOOKUP_MISSES",
        "RATELIMIT_ISSUE",
        "RATELIMIT_BATCH",
        "RATELIMIT_WALLET_LINK",
        "RATELIMIT_WALLET_LINK_EMAIL",
    )
}


# argon2's cheapest parameters for staff passwords in test apps (a real argon2id hash, at a
# thousandth of the production cost); tests/issuer/console/test_service.py checks that a
# password hashed under other parameters is re-hashed with the app's at sign-in.
CHEAP_PASSWORDS = {"PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_KIB": 8, "PASSWORD_PARALLELISM": 1}


def make_app(database_url: str, instance: Path, **overrides: Any) -> Flask:
    """Create an app on ``database_url`` (migrated to head) with a fresh master key."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "BASE_URL": BASE_URL,
            "INSTANCE_PATH": str(instance),
            "MASTER_KEY": MasterKey.generate()[1],
            "TESTING": True,
            **UNLIMITED,
            **CHEAP_PASSWORDS,
            **overrides,
        }
    )
    db.upgrade(db.engine_of(app))
    return app


@pytest.fixture(scope="module", params=DATABASES)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database for this module: SQLite, and PostgreSQL when configured."""
    with isolated_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The service on this module's database."""
    app = make_app(database_url, tmp_path_factory.mktemp("instance"))
    yield app
    db.engine_of(app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture(scope="module")
def settings(app: Flask) -> Settings:
    """The app's settings (base URL, master key...)."""
    return settings_of(app)


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A database session on the app's engine."""
    with db.new_session(db.engine_of(app)) as session:
        yield session


@dataclass
class Tenant:
    """An issuer and one of its API keys."""

    issuer: Issuer
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def create_tenant(app: Flask, slug: str, name: str, *, suspension: bool = False) -> Tenant:
    """Register an issuer through the service layer."""
    conf = settings_of(app)
    with db.new_session(db.engine_of(app)) as session:
        issuer, key = accounts.create_issuer(
            db.Work(session, conf, conf.clock(), "test"),
            IssuerCreate(slug=slug, name=name, suspension=suspension),
        )
    return Tenant(issuer, key)


@pytest.fixture(scope="module")
def hanbit(app: Flask) -> Tenant:
    """Issuer A: 한빛 아카데미, with suspension on (its badges carry two status entries)."""
    return create_tenant(app, "hanbit", "한빛 아카데미", suspension=True)


@pytest.fixture(scope="module")
def nuri(app: Flask) -> Tenant:
    """Issuer B: 누리 ICT 교육센터, with the defaults (one credentialStatus object)."""
    return create_tenant(app, "nuri", "누리 ICT 교육센터")


class Api:
    """A client that sends one issuer's API key with every request."""

    def __init__(self, client: FlaskClient, tenant: Tenant) -> None:
        self.client = client
        self.tenant = tenant

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {**self.tenant.headers, **(extra or {})}

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> TestResponse:
        return self.client.get(path, headers=self._headers(headers))

    def post(
        self, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> TestResponse:
        return self.client.post(path, headers=self._headers(headers), **kwargs)

    def patch(
        self, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> TestResponse:
        return self.client.patch(path, headers=self._headers(headers), **kwargs)

    def achievement(self, name: str = "파이썬 데이터 분석 기초", **fields: Any) -> dict[str, Any]:
        """Create an achievement and return its JSON."""
        body = {
            "name": name,
            "description": "pandas로 공공데이터를 분석하는 40시간 과정",
            "criteria": {"narrative": "80% 이상 출석, 프로젝트 제출"},
            **fields,
        }
        response = self.post("/api/v1/achievements", json=body)
        assert response.status_code == 201, response.json
        result: dict[str, Any] = response.json  # type: ignore[assignment]
        return result

    def issue(
        self, achievement_id: str, email: str, name: str | None = "김민준", **fields: Any
    ) -> dict[str, Any]:
        """Issue one credential and return the JSON response."""
        recipient = {"email": email, **({"name": name} if name else {})}
        response = self.post(
            "/api/v1/credentials",
            json={"achievementId": achievement_id, "recipient": recipient, **fields},
        )
        assert response.status_code == 201, response.json
        result: dict[str, Any] = response.json  # type: ignore[assignment]
        return result


@pytest.fixture
def api(client: FlaskClient, hanbit: Tenant) -> Api:
    """Issuer A's API client."""
    return Api(client, hanbit)


@pytest.fixture
def other_api(client: FlaskClient, nuri: Tenant) -> Api:
    """Issuer B's API client."""
    return Api(client, nuri)


def unique_email(prefix: str = "learner") -> str:
    """A learner email no other test uses."""
    return f"{prefix}.{secrets.token_hex(4)}@example.kr"


def percent(text_value: str) -> str:
    """Percent-encode a path segment."""
    return quote(text_value, safe="")


class ClientFetcher:
    """Routes the verifier's requests for the service's origin into the Flask test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.fetched: list[str] = []

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        parts = urlsplit(url)
        # did:web URLs are https; the test origin is https too, so scheme and host must match.
        assert f"{parts.scheme}://{parts.netloc}" == BASE_URL, url
        self.fetched.append(parts.path)
        response = self.client.get(parts.path, query_string=parts.query, headers={"Accept": accept})
        if response.status_code == 404:
            raise DocumentNotFound(f"{url} answered 404", url=url)
        if response.status_code != 200:
            raise HttpStatusError(
                f"{url} answered {response.status_code}", url=url, status=response.status_code
            )
        headers = {k.lower(): v for k, v in response.headers.items()}
        return FetchedDocument(url, 200, response.content_type or "", response.get_data(), headers)


# What a browser sends: HTML first, anything else at lower quality.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
KOREAN = {"Accept": BROWSER_ACCEPT, "Accept-Language": "ko-KR,ko;q=0.9,en-US;q=0.8"}
ENGLISH = {"Accept": BROWSER_ACCEPT, "Accept-Language": "en-US,en;q=0.9"}


def full_wallet_link(app: Flask, email: str) -> str:
    """Return a new full wallet link of ``email``'s learner, as ``baeji wallet link`` prints."""
    from verify.cli import main as baeji

    result = CliRunner().invoke(baeji, ["wallet", "link", "--email", email], obj=app)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def merge_wallets(client: FlaskClient, wallet_url: str, other_url: str) -> str:
    """Add ``other_url`` on ``wallet_url``'s wallet page, as a browser; return the new path."""
    path = wallet_url.removeprefix(BASE_URL)
    response = client.post(f"{path}/merge", data={"link": other_url}, headers=KOREAN)
    assert response.status_code == 303, response.get_data(as_text=True)
    location: str = response.headers["Location"]
    assert location.startswith("/wallet/")
    return location


def page(client: FlaskClient, path: str, *, headers: dict[str, str] | None = None) -> str:
    """GET ``path`` as a Korean browser and return the HTML (asserting a 200 page)."""
    response = client.get(path, headers=headers or KOREAN)
    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def settle_jobs(app: Flask, timeout: float = 60.0) -> None:
    """Wait until no background job of ``app`` is queued or running (jobs run in this
    process on SQLite; on PostgreSQL's queue nothing runs without a worker, so only jobs
    already due in process are waited for)."""
    engine = db.engine_of(app)
    with db.unit_of_work(engine, settings_of(app), actor="test") as work:
        if mode_of(work) != "process":
            return
    deadline = time.monotonic() + timeout
    while True:
        with db.new_session(engine) as session:
            waiting = session.exec(
                select(Job.id).where(col(Job.state).in_(("queued", "running")))
            ).first()
        if waiting is None:
            return
        assert time.monotonic() < deadline, f"job {waiting} still waits after {timeout:g} s"
        time.sleep(0.05)


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements the app's database runs meanwhile, in this thread (the
    request's; a background job running meanwhile in the job thread is not the request's
    cost)."""
    seen: list[str] = []
    engine = db.engine_of(app)
    thread = threading.get_ident()

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.get_ident() == thread:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", executed)
