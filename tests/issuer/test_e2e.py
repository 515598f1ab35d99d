"""End to end: issue through the HTTP API, verify every download with `verify` alone, revoke.

The network is replaced at its boundary only: a Fetcher that sends the verifier's requests
for the service's origin into the Flask test client. Nothing of the issuer is called
directly.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from issuer.verification import service as verification
from tests.issuer.conftest import BASE_URL, Api, ClientFetcher, unique_email
from verify import CachingFetcher, Verdict, verify_credential


def _now() -> datetime:
    return datetime.now(UTC)


def test_issue_download_verify_revoke(client: FlaskClient, api: Api) -> None:
    """JSON, JWT, baked PNG/SVG, QR and URL all verify as valid; after revocation, as revoked."""
    email = unique_email("e2e")
    course = api.achievement("파이썬 데이터 분석 기초")
    issued = api.issue(course["uuid"], email, "김민준")
    path = issued["id"].removeprefix(BASE_URL)
    downloads: dict[str, str | bytes] = {
        "json": client.get(f"{path}.json").data,
        "jwt": client.get(f"{path}.jwt").get_data(as_text=True),
        "png": client.get(f"{path}.png").data,
        "svg": client.get(f"{path}.svg").data,
        "qr": client.get(f"{path}/qr.png").data,
        "url": issued["id"],
    }
    fetcher = ClientFetcher(client)
    for form, source in downloads.items():
        report = verify_credential(source, now=_now(), fetcher=fetcher, email=email)
        assert report.verdict is Verdict.VALID, (form, report.to_dict())
        statuses = {check.id: check.status.value for check in report.checks}
        assert statuses["proof"] == "passed", form
        assert statuses["revocation"] == statuses["suspension"] == "passed", form
        assert statuses["recipient"] == "passed", form
        if form == "jwt":
            assert statuses["jwt"] == "passed"
    assert "/issuers/hanbit/did.json" in fetcher.fetched

    wrong = verify_credential(
        downloads["jwt"], now=_now(), fetcher=fetcher, email="someone@example.kr"
    )
    assert {c.id: c.status.value for c in wrong.checks}["recipient"] == "failed"

    response = api.post(
        f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "수료 취소"}
    )
    assert response.status_code == 200
    for form in ("json", "jwt", "png", "qr"):
        report = verify_credential(downloads[form], now=_now(), fetcher=ClientFetcher(client))
        assert report.verdict is Verdict.REVOKED, form


def test_suspension_shows_as_suspended_then_valid(client: FlaskClient, api: Api) -> None:
    """Suspending turns the verdict to suspended; lifting it turns it back to valid."""
    issued = api.issue(api.achievement()["uuid"], unique_email())
    api.post(f"/api/v1/credentials/{issued['uuid']}/suspend", json={"reason": "검토 중"})
    report = verify_credential(issued["jwt"], now=_now(), fetcher=ClientFetcher(client))
    assert report.verdict is Verdict.SUSPENDED
    api.post(f"/api/v1/credentials/{issued['uuid']}/unsuspend")
    report = verify_credential(issued["jwt"], now=_now(), fetcher=ClientFetcher(client))
    assert report.verdict is Verdict.VALID


def test_tampered_download_is_invalid(client: FlaskClient, api: Api) -> None:
    """Changing one field of the downloaded JSON breaks the proof."""
    issued = api.issue(api.achievement()["uuid"], unique_email(), "이서연")
    document = dict(issued["credential"])
    document["credentialSubject"] = {**document["credentialSubject"], "name": "홍길동"}
    report = verify_credential(document, now=_now(), fetcher=ClientFetcher(client))
    assert report.verdict is Verdict.INVALID


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_public_verify_endpoint(client: FlaskClient, api: Api, lang: str) -> None:
    """POST /api/v1/verify runs the verifier on JSON, JWT text, an image upload or a URL."""
    email = unique_email()
    issued = api.issue(api.achievement()["uuid"], email)
    path = issued["id"].removeprefix(BASE_URL)
    cases = [
        client.post(f"/api/v1/verify?lang={lang}", json=issued["credential"]),
        client.post(
            "/api/v1/verify", json={"credential": issued["jwt"], "email": email, "lang": lang}
        ),
        client.post("/api/v1/verify", json={"url": issued["id"], "lang": lang}),
        client.post("/api/v1/verify", data=issued["jwt"], headers={"Content-Type": "text/plain"}),
        client.post(
            "/api/v1/verify",
            data=client.get(f"{path}.png").data,
            headers={"Content-Type": "image/png"},
        ),
    ]
    for response in cases:
        assert response.status_code == 200
        assert response.json is not None
        assert response.json["verdict"] == "valid", response.json
    assert client.post("/api/v1/verify", json={}).status_code == 422
    bad = client.post("/api/v1/verify", json={"credential": "garbage"})
    assert bad.status_code == 200
    assert bad.json is not None
    assert bad.json["verdict"] == "unreadable"  # issue 11: nothing badge-like in "garbage"


def test_other_origins_go_through_one_cache_per_app(app: Flask) -> None:
    """Other origins are fetched through one Cache-Control-honouring cache per app."""
    fetcher = verification._external_fetcher(app)
    assert isinstance(fetcher, CachingFetcher)
    assert verification._external_fetcher(app) is fetcher
