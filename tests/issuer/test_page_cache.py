"""Kept verification pages: served again only while nothing they show has changed.

A second app on the same database stands for the other gunicorn worker: it has caches of
its own, and the two share nothing but the database.
"""

from __future__ import annotations

import base64
import dataclasses
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from PIL import Image

from issuer import db, settings_of
from issuer.caches import BoundedCache
from issuer.certification import service as certifying
from issuer.issuers import platform, signing
from issuer.issuers import service as accounts
from issuer.verification.page_cache import PAGE_DEPENDENCIES, covers, current_versions
from tests.issuer.conftest import BASE_URL, ENGLISH, KOREAN, Api, Tenant, create_tenant, make_app
from tests.issuer.conftest import unique_email as email
from verify import CheckResult, CheckStatus


def _path(url: str) -> str:
    return url.removeprefix(BASE_URL)


def _verdict(html: str) -> str:
    marker = 'data-verdict="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@contextmanager
def _renders(app: Flask) -> Iterator[list[str]]:
    """Collect the names of the templates the app renders meanwhile."""
    seen: list[str] = []

    def rendered(sender: Flask, template: Any, **extra: Any) -> None:
        seen.append(template.name)

    template_rendered.connect(rendered, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(rendered, app)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def other_worker(
    app: Flask, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """A second app on the same database and master key: another worker."""
    other = make_app(
        database_url, tmp_path_factory.mktemp("worker2"), MASTER_KEY=app.config["MASTER_KEY"]
    )
    yield other
    db.engine_of(other).dispose()


@pytest.fixture(scope="module")
def tenant(app: Flask) -> Tenant:
    # The platform's identity exists from `baeji init` on, as in a real instance: made later
    # (by the first learner record a background job signs) it would change the platform's
    # keys, which kept pages depend on, between two loads of a test.
    with db.unit_of_work(db.engine_of(app), settings_of(app), actor="test") as work:
        platform.ensure_platform(work)
    return create_tenant(app, "kept", "보관 아카데미", suspension=True)


@pytest.fixture
def api(client: FlaskClient, tenant: Tenant) -> Api:
    return Api(client, tenant)


@pytest.fixture(scope="module")
def course_id(app: Flask, tenant: Tenant) -> str:
    return str(Api(app.test_client(), tenant).achievement("캐시 검증 과정")["uuid"])


def test_a_page_is_rendered_once_and_revalidates_with_its_etag(
    app: Flask, client: FlaskClient, api: Api, course_id: str
) -> None:
    """The second load is the kept page (nothing rendered), byte for byte; its strong
    ETag answers If-None-Match with 304, weakly compared; the browser must revalidate."""
    path = _path(api.issue(course_id, email())["id"])
    first = client.get(path, headers=KOREAN)
    assert first.status_code == 200
    with _renders(app) as rendered:
        again = client.get(path, headers=KOREAN)
    assert rendered == []
    assert again.data == first.data
    etag = again.headers["ETag"]
    assert etag == first.headers["ETag"]
    assert etag.startswith('"')
    assert again.headers["Cache-Control"] == "no-cache"
    assert again.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Accept-Language" in again.headers["Vary"]
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    for tag in (etag, f"W/{etag}"):
        cached = client.get(path, headers={**KOREAN, "If-None-Match": tag})
        assert cached.status_code == 304
        assert cached.data == b""
        assert cached.headers["ETag"] == etag
        assert cached.headers["Cache-Control"] == "no-cache"
    assert client.get(path, headers={**KOREAN, "If-None-Match": '"other"'}).status_code == 200


def test_a_revocation_by_another_worker_shows_on_the_next_load(
    client: FlaskClient, api: Api, course_id: str, other_worker: Flask, tenant: Tenant
) -> None:
    """Suspend, unsuspend and revoke through the other worker: each shows on this
    worker's very next load, and the old ETag no longer answers 304."""
    issued = api.issue(course_id, email())
    path = _path(issued["id"])
    etag = client.get(path, headers=KOREAN).headers["ETag"]
    assert _verdict(client.get(path, headers=KOREAN).get_data(as_text=True)) == "valid"
    elsewhere = Api(other_worker.test_client(), tenant)
    base = f"/api/v1/credentials/{issued['uuid']}"
    steps = (("suspend", "suspended"), ("unsuspend", "valid"), ("revoke", "revoked"))
    for action, verdict in steps:
        body = {"reason": "확인 중"} if action != "unsuspend" else None
        assert elsewhere.post(f"{base}/{action}", json=body).status_code == 200, action
        page = client.get(path, headers={**KOREAN, "If-None-Match": etag})
        assert page.status_code == 200, action
        assert _verdict(page.get_data(as_text=True)) == verdict, action
        etag = page.headers["ETag"]
    assert "취소된 배지" in client.get(path, headers=KOREAN).get_data(as_text=True)


def test_a_key_compromise_by_another_worker_shows_on_the_next_load(
    app: Flask, client: FlaskClient
) -> None:
    """A compromised signing key (declared with another worker's caches) makes the kept
    page invalid at once."""
    tenant = create_tenant(app, "kept-leak", "유출 아카데미")
    api = Api(client, tenant)
    issued = api.issue(api.achievement()["uuid"], email())
    path = _path(issued["id"])
    for _ in range(2):
        assert _verdict(client.get(path, headers=KOREAN).get_data(as_text=True)) == "valid"
    conf = settings_of(app)
    other = dataclasses.replace(conf, signer_cache=BoundedCache(4, 60.0))
    with (
        db.unit_of_work(db.engine_of(app), other, actor="t", issuer=tenant.issuer) as work,
        work.write(),
    ):
        signing.compromise_key(work, f"{tenant.issuer.did}#key-1")
    assert _verdict(client.get(path, headers=KOREAN).get_data(as_text=True)) == "invalid"


def test_languages_are_kept_apart(client: FlaskClient, api: Api, course_id: str) -> None:
    """Korean and English pages of one badge are kept separately, whether the language
    comes from Accept-Language, ?lang= or the cookie."""
    path = _path(api.issue(course_id, email())["id"])
    korean = client.get(path, headers=KOREAN)
    english = client.get(path, headers=ENGLISH)
    for _ in range(2):
        assert client.get(path, headers=KOREAN).data == korean.data
        assert client.get(path, headers=ENGLISH).data == english.data
    assert '<html lang="ko"' in korean.get_data(as_text=True)
    assert '<html lang="en"' in english.get_data(as_text=True)
    assert korean.headers["ETag"] != english.headers["ETag"]
    switched = client.get(f"{path}?lang=en", headers=KOREAN)
    assert '<html lang="en"' in switched.get_data(as_text=True)
    assert "lang=en" in switched.headers["Set-Cookie"]
    # The cookie now says English, whatever the browser's languages say.
    assert '<html lang="en"' in client.get(path, headers=KOREAN).get_data(as_text=True)
    client.delete_cookie("lang")
    assert client.get(path, headers=KOREAN).data == korean.data


def test_other_queries_and_email_checks_are_never_kept(
    app: Flask, client: FlaskClient, api: Api, course_id: str
) -> None:
    """A page with another query parameter (it goes into the page's links) is rendered
    each time; an employer's email check is never stored, nor served to anyone else."""
    issued = api.issue(course_id, email("kept"))
    path = _path(issued["id"])
    for _ in range(2):
        with _renders(app) as rendered:
            page = client.get(f"{path}?utm_source=qr", headers=KOREAN)
        assert "service/verification.html" in rendered
        assert "utm_source=qr" in page.get_data(as_text=True)
    checked = client.post(path, data={"email": "someone@example.kr"}, headers=KOREAN)
    assert checked.headers["Cache-Control"] == "no-store"
    assert "someone@example.kr" in checked.get_data(as_text=True)
    plain = client.get(path, headers=KOREAN).get_data(as_text=True)
    assert "someone@example.kr" not in plain


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (90, 30), "#222f3e").save(buffer, format="PNG")
    return f"data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}"


def test_a_new_logo_shows_on_the_next_load(
    client: FlaskClient, api: Api, course_id: str, tenant: Tenant
) -> None:
    """The issuer's row is part of what a page is made from: a logo set since shows."""
    path = _path(api.issue(course_id, email())["id"])
    logo = f'src="{BASE_URL}/issuers/{tenant.issuer.slug}/logo"'
    assert logo not in client.get(path, headers=KOREAN).get_data(as_text=True)
    assert api.patch("/api/v1/issuer", json={"logo": _png()}).status_code == 200
    try:
        assert logo in client.get(path, headers=KOREAN).get_data(as_text=True)
    finally:
        api.patch("/api/v1/issuer", json={"logo": None})
    assert logo not in client.get(path, headers=KOREAN).get_data(as_text=True)


def test_time_expires_a_kept_page(
    database_url: str, tmp_path: Path, app: Flask, tenant: Tenant, course_id: str
) -> None:
    """A kept page says when the badge was checked (to the minute) and follows the
    validity window: a minute later it is rendered again, past validUntil it is expired."""
    start = datetime(2030, 3, 2, 10, 0, 5, tzinfo=UTC)
    clock = Clock(start)
    worker = make_app(database_url, tmp_path, MASTER_KEY=app.config["MASTER_KEY"])
    state = worker.extensions["issuer"]
    state["settings"] = dataclasses.replace(state["settings"], clock=clock)
    client = worker.test_client()
    until = start + timedelta(hours=1)
    issued = Api(client, tenant).issue(
        course_id, email(), validUntil=until.isoformat().replace("+00:00", "Z")
    )
    path = _path(issued["id"])
    english = ENGLISH
    first = client.get(path, headers=english).get_data(as_text=True)
    assert _verdict(first) == "valid"
    assert "10:00 UTC" in first
    clock.now = start + timedelta(seconds=40)
    with _renders(worker) as rendered:
        assert client.get(path, headers=english).get_data(as_text=True) == first
    assert rendered == []
    clock.now = start + timedelta(minutes=1)
    later = client.get(path, headers=english).get_data(as_text=True)
    assert "10:01 UTC" in later
    assert _verdict(later) == "valid"
    # The verifier allows five minutes of clock skew: valid until 11:05:05, within a minute.
    clock.now = until + timedelta(minutes=5, seconds=-5)
    assert _verdict(client.get(path, headers=english).get_data(as_text=True)) == "valid"
    clock.now = until + timedelta(minutes=5, seconds=5)
    assert _verdict(client.get(path, headers=english).get_data(as_text=True)) == "expired"
    db.engine_of(worker).dispose()


def test_every_dependency_has_a_version(app: Flask, api: Api, course_id: str) -> None:
    """The versions read for a page cover each kind in PAGE_DEPENDENCIES (a new kind of
    dependency must yield rows), and there are none for an unknown credential."""
    issued = api.issue(course_id, email())
    engine = db.engine_of(app)
    _certify(app, "kept")
    versions = current_versions(engine, issued["uuid"])
    kinds = {kind for kind, _, _ in versions}
    assert len(kinds) == len(PAGE_DEPENDENCIES)
    assert kinds == {
        "credential",
        "status-list",
        "issuer",
        "signing-key",
        "certification",
        "platform-key",
    }
    # Two lists (revocation and suspension) for an issuer with suspension on.
    assert sum(1 for kind, _, _ in versions if kind == "status-list") == 2
    with db.new_session(engine) as session:
        assert current_versions(session, issued["uuid"]) == versions
    assert current_versions(engine, "00000000-0000-4000-8000-000000000000") == ()


def test_a_check_reading_other_documents_keeps_no_page(
    app: Flask, api: Api, course_id: str
) -> None:
    """covers() keeps a page only when every check that ran is one whose inputs the
    versions cover: a check added later (reading documents of its own) disables keeping
    until PAGE_DEPENDENCIES and COVERED_CHECKS name it."""
    issued = api.issue(course_id, email())
    versions = current_versions(db.engine_of(app), issued["uuid"])
    slug = next(ref for kind, ref, _ in versions if kind == "issuer")
    did = issued["credential"]["issuer"]["id"]
    documents = [f"/issuers/{slug}/did.json"]
    ran = CheckResult("proof", CheckStatus.PASSED, "ok", {"en": "ok"})
    assert covers(versions, documents, did, [ran])
    # ``registry`` reads registries of its own, which no version covers.
    other = CheckResult("registry", CheckStatus.PASSED, "ok", {"en": "ok"})
    assert not covers(versions, documents, did, [ran, other])
    skipped = CheckResult("registry", CheckStatus.SKIPPED, "n/a", {"en": "n/a"})
    assert covers(versions, documents, did, [ran, skipped])
    assert not covers(versions, [*documents, "/status/other-list"], did, [ran])
    assert not covers(versions, documents, "did:web:elsewhere.example", [ran])


def _certify(app: Flask, slug: str) -> str:
    """Certify the provider ``slug`` (as an operator would); return the certification id."""
    settings = settings_of(app)
    with db.unit_of_work(db.engine_of(app), settings, actor="operator:test") as work:
        provider = accounts.issuer_by_slug(work.session, slug)
        done = certifying.certify(
            work, provider, programme="leaders-club", until=work.now + timedelta(days=365)
        )
        return str(done.id)


def _certification_mark(html: str) -> str | None:
    marker = 'data-certification="'
    if marker not in html:
        return None
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_a_certified_providers_page_is_kept_until_its_certification_changes(
    app: Flask, client: FlaskClient, course_id: str, other_worker: Flask
) -> None:
    """With the issuer-certification check covered, a certified provider's page is kept;
    a revocation of the certification (by another worker) shows on the very next load."""
    provider = create_tenant(app, "kept-certified", "인증 아카데미")
    course = Api(client, provider).achievement("인증 과정")["uuid"]
    path = _path(Api(client, provider).issue(course, email())["id"])
    certification_id = _certify(app, "kept-certified")
    first = client.get(path, headers=KOREAN)
    assert _certification_mark(first.get_data(as_text=True)) == "certified"
    with _renders(app) as rendered:
        again = client.get(path, headers=KOREAN)
    assert rendered == []
    assert again.data == first.data
    settings = settings_of(other_worker)
    with db.unit_of_work(db.engine_of(other_worker), settings, actor="operator:test") as work:
        certifying.revoke(work, certification_id, reason="기준 미달")
    after = client.get(path, headers={**KOREAN, "If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert _certification_mark(after.get_data(as_text=True)) == "revoked"
