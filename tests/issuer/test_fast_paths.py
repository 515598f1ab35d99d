"""Stored documents served like static files; the service verifies its own badges in
process, and reuses a report only while nothing it depended on has changed."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, request_started
from flask.testing import FlaskClient
from sqlmodel import select

from issuer import db, settings_of
from issuer.caches import BoundedCache
from issuer.issuers import signing
from issuer.issuers.service import token_digest
from issuer.models import AuditEvent, WalletToken
from issuer.published import service as published
from issuer.verification.service import ReportCache, verify_source
from tests.issuer.conftest import (
    BASE_URL,
    KOREAN,
    Api,
    Tenant,
    create_tenant,
    statements,
    unique_email,
)

DID = "did:web:badges.example.kr:issuers:{slug}"


def _path(url: str) -> str:
    return url.removeprefix(BASE_URL)


@contextmanager
def _requests(app: Flask) -> Iterator[list[str]]:
    """Collect the paths of every request the app handles meanwhile."""
    seen: list[str] = []

    def started(sender: Flask, **extra: Any) -> None:
        from flask import request

        seen.append(request.path)

    request_started.connect(started, app)
    try:
        yield seen
    finally:
        request_started.disconnect(started, app)


def _verdict(html: str) -> str:
    marker = 'data-verdict="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def _reports(app: Flask) -> ReportCache:
    cache = app.extensions["issuer"]["reports"]
    assert isinstance(cache, ReportCache)
    return cache


@pytest.fixture(scope="module")
def tenant(app: Flask) -> Tenant:
    return create_tenant(app, "fast", "빠른 아카데미")


def test_the_service_verifies_its_own_badges_without_calling_itself(
    app: Flask, client: FlaskClient, tenant: Tenant
) -> None:
    """The page and POST /api/v1/verify read the DID document and status lists from the
    database: the app handles exactly the one request it was sent."""
    api = Api(client, tenant)
    issued = api.issue(api.achievement()["uuid"], unique_email())
    with _requests(app) as seen:
        page = client.get(_path(issued["id"]), headers=KOREAN)
    assert seen == [_path(issued["id"])]
    assert _verdict(page.get_data(as_text=True)) == "valid"
    with _requests(app) as seen:
        answer = client.post("/api/v1/verify", json={"url": issued["id"]})
    assert seen == ["/api/v1/verify"]
    assert answer.json is not None
    assert answer.json["verdict"] == "valid"


def test_a_kept_report_never_hides_a_revocation(
    app: Flask, client: FlaskClient, tenant: Tenant
) -> None:
    """A report is reused while its documents are unchanged; a revocation shows on the very
    next page load and API call."""
    api = Api(client, tenant)
    issued = api.issue(api.achievement()["uuid"], unique_email())
    page = _path(issued["id"])
    assert _verdict(client.get(page, headers=KOREAN).get_data(as_text=True)) == "valid"
    assert _verdict(client.get(page, headers=KOREAN).get_data(as_text=True)) == "valid"
    assert len(_reports(app).entries) >= 1
    with app.test_request_context():
        once = verify_source(app, issued["jwt"])
    with app.test_request_context():
        again = verify_source(app, issued["jwt"])
    assert again.checks is once.checks  # reused, not verified again
    assert again.checked_at is not None
    first = client.post(
        "/api/v1/verify", data=issued["jwt"], headers={"Content-Type": "text/plain"}
    )
    assert first.json is not None
    assert first.json["verdict"] == "valid"
    api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "부정 취득"})
    assert _verdict(client.get(page, headers=KOREAN).get_data(as_text=True)) == "revoked"
    after = client.post(
        "/api/v1/verify", data=issued["jwt"], headers={"Content-Type": "text/plain"}
    )
    assert after.json is not None
    assert after.json["verdict"] == "revoked"
    with app.test_request_context():
        assert verify_source(app, issued["jwt"]).verdict.value == "revoked"
    by_json = client.post("/api/v1/verify", json={"credential": issued["jwt"]})
    assert by_json.json is not None
    assert by_json.json["verdict"] == "revoked"


def test_a_kept_report_never_hides_a_compromised_key(app: Flask, client: FlaskClient) -> None:
    """A key compromised by another worker (its own caches) invalidates the badge on this
    worker's next page load."""
    tenant = create_tenant(app, "fast-leak", "유출 아카데미")
    api = Api(client, tenant)
    issued = api.issue(api.achievement()["uuid"], unique_email())
    page = _path(issued["id"])
    assert _verdict(client.get(page, headers=KOREAN).get_data(as_text=True)) == "valid"
    did_path = "/issuers/fast-leak/did.json"
    etag = client.get(did_path).headers["ETag"]
    conf = settings_of(app)
    other_worker = dataclasses.replace(conf, signer_cache=BoundedCache(4, 60.0))
    with db.new_session(db.engine_of(app)) as session, db.write_transaction(session):
        signing.compromise_key(
            db.Work(session, other_worker, conf.clock(), "test", tenant.issuer),
            f"{DID.format(slug='fast-leak')}#key-1",
        )
    assert client.get(did_path, headers={"If-None-Match": etag}).status_code == 200
    assert _verdict(client.get(page, headers=KOREAN).get_data(as_text=True)) == "invalid"


def _forms(issued: dict[str, Any], slug: str) -> list[tuple[str, str]]:
    """(path, expected Cache-Control) of every stored document of a credential."""
    path = _path(issued["id"])
    status_path = _path(issued["credential"]["credentialStatus"]["statusListCredential"])
    immutable = "public, max-age=31536000, immutable"
    return [
        (f"{path}.json", immutable),
        (f"{path}.jwt", immutable),
        (f"{path}.png", immutable),
        (f"{path}.svg", immutable),
        (f"{path}/qr.png", immutable),
        (f"{path}/qr.svg", immutable),
        (status_path, "public, max-age=60"),
        (f"/issuers/{slug}/did.json", "public, max-age=300"),
        (f"/issuers/{slug}/jwks.json", "public, max-age=300"),
        ("/.well-known/jwks.json", "public, max-age=300"),
    ]


def test_stored_documents_revalidate_like_static_files(client: FlaskClient, tenant: Tenant) -> None:
    """Every stored document has a strong ETag and its Cache-Control; a matching
    If-None-Match is a 304 without a body, and a second fetch gives the same bytes."""
    api = Api(client, tenant)
    issued = api.issue(api.achievement()["uuid"], unique_email())
    for path, cache_control in _forms(issued, "fast"):
        first = client.get(path)
        assert first.status_code == 200, path
        assert first.headers["Cache-Control"] == cache_control, path
        etag = first.headers["ETag"]
        assert etag.startswith('"'), path  # strong, not W/
        again = client.get(path)
        assert again.data == first.data, path
        assert again.headers["ETag"] == etag, path
        cached = client.get(path, headers={"If-None-Match": etag})
        assert cached.status_code == 304, path
        assert cached.data == b"", path
        assert cached.headers["ETag"] == etag, path
        # If-None-Match compares weakly (RFC 9110): a cache that weakened the tag still gets 304.
        weak = client.get(path, headers={"If-None-Match": f"W/{etag}"})
        assert weak.status_code == 304, path
        other = client.get(path, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200, path


def test_a_status_change_gives_the_list_a_new_etag(client: FlaskClient, tenant: Tenant) -> None:
    """Revoking changes the revocation list's ETag, so a revalidation fetches it again."""
    api = Api(client, tenant)
    issued = api.issue(api.achievement()["uuid"], unique_email())
    status_path = _path(issued["credential"]["credentialStatus"]["statusListCredential"])
    etag = client.get(status_path).headers["ETag"]
    api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "test"})
    fresh = client.get(status_path, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != etag


def test_drawn_images_are_kept_within_bounds(
    app: Flask, client: FlaskClient, tenant: Tenant
) -> None:
    """Baked images and QR codes are drawn once per worker, in a bounded cache."""
    api = Api(client, tenant)
    issued = api.issue(api.achievement()["uuid"], unique_email())
    caches = published.caches_of(app.extensions["issuer"])
    path = _path(issued["id"])
    client.get(f"{path}.png")
    held = len(caches.images)
    assert client.get(f"{path}.png").status_code == 200
    assert len(caches.images) == held
    assert held <= caches.images.max_entries == 256


def test_a_stored_document_costs_at_most_one_select(
    app: Flask, client: FlaskClient, tenant: Tenant
) -> None:
    """A status list and a DID document are one SELECT each (read fresh, so a revocation
    or a rotation shows at once); an issued credential's JSON, which never changes, is
    answered from the worker's bounded cache after its first read."""
    api = Api(client, tenant)
    issued = api.issue(api.achievement()["uuid"], unique_email())
    status_path = _path(issued["credential"]["credentialStatus"]["statusListCredential"])
    json_path = _path(issued["id"]) + ".json"
    for path in (status_path, "/issuers/fast/did.json", json_path):
        assert client.get(path).status_code == 200, path
    for path, expected in ((status_path, 1), ("/issuers/fast/did.json", 1), (json_path, 0)):
        with statements(app) as seen:
            response = client.get(path)
        assert response.status_code == 200, path
        selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == expected, (path, seen)
    caches = published.caches_of(app.extensions["issuer"])
    assert len(caches.credentials) <= caches.credentials.max_entries


def test_a_batch_logs_every_credential_and_links_every_learner(
    app: Flask, client: FlaskClient, tenant: Tenant
) -> None:
    """Rows inserted many at once keep the audit log's semantics: one credential.issue
    event per badge and one batch.issue event, and one scoped wallet link per row."""
    api = Api(client, tenant)
    achievement = api.achievement()["uuid"]
    rows = [
        {"achievementId": achievement, "recipient": {"email": unique_email(), "name": "이서연"}}
        for _ in range(3)
    ]
    response = api.post("/api/v1/credentials/batch", json=rows)
    assert response.status_code == 201, response.json
    body = response.json
    assert body is not None
    issued = body["credentials"] if isinstance(body, dict) else body
    with db.new_session(db.engine_of(app)) as session:
        for item in issued:
            events = session.exec(
                select(AuditEvent).where(
                    AuditEvent.subject == item["id"], AuditEvent.action == "credential.issue"
                )
            ).all()
            assert len(events) == 1
            assert events[0].issuer_id == tenant.issuer.pk
            assert json.loads(events[0].detail or "{}") == {"achievement": achievement}
            token = item["walletUrl"].rsplit("/", 1)[1]
            link = session.exec(
                select(WalletToken).where(WalletToken.token_hash == token_digest(token))
            ).one()
            assert link.issuer_id == tenant.issuer.pk
        batch = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "batch.issue", AuditEvent.issuer_id == tenant.issuer.pk
            )
        ).all()
        assert [event.subject for event in batch][-1:] == ["3 credentials"]
