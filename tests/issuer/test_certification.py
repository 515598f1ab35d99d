"""Certification ("Digital Leaders Club") as the platform's signed EndorsementCredential.

On SQLite and PostgreSQL: ``baeji issuer certify`` issues the endorsement, its id resolves,
the ``verify`` package verifies it (through the published documents, as any verifier
would), and the provider's page and its badges' pages show it; a revocation or an expiry
(the clock moved) shows on the next load; a forged certification (signed by a provider's
key, or about another provider) is never shown. Korean and English texts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from badges import Profile, build_endorsement, format_datetime, sign_credential
from issuer import db, settings_of
from issuer.certification import service as certifying
from issuer.certification.models import Certification
from issuer.issuers import signing
from issuer.issuers.platform import platform_did
from issuer.models import AuditEvent
from issuer.verification import certification as certification_pages
from tests.interop.test_independent_verifiers import DiOutcome
from tests.interop.test_independent_verifiers import _run_verifier as run_verifier
from tests.interop.test_independent_verifiers import node as node  # the fixture
from tests.issuer.conftest import (
    BASE_URL,
    ENGLISH,
    KOREAN,
    Api,
    ClientFetcher,
    Tenant,
    create_tenant,
    make_app,
    page,
    unique_email,
)
from verify import CertificationState, Verdict, verify_certification, verify_credential
from verify.cli import main as baeji

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PLATFORM = "did:web:badges.example.kr"


@dataclass
class Clock:
    """The service's clock, moved by the tests (the one boundary replaced besides the network)."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


CLOCK = Clock()


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The service on this module's database, on a clock the tests move."""
    app = make_app(database_url, tmp_path_factory.mktemp("instance"), CLOCK=CLOCK)
    yield app
    db.engine_of(app).dispose()


@pytest.fixture(autouse=True)
def _clock_at_start() -> Iterator[None]:
    CLOCK.now = START
    yield
    CLOCK.now = START


def _run(app: Flask, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(baeji, list(args), obj=app, input=input, catch_exceptions=False)


@dataclass
class Provider:
    """A provider with one issued badge."""

    tenant: Tenant
    badge_url: str
    badge: dict[str, Any]

    @property
    def slug(self) -> str:
        return self.tenant.issuer.slug

    @property
    def path(self) -> str:
        return self.badge_url.removeprefix(BASE_URL)


def _provider(app: Flask, client: FlaskClient, slug: str, name: str) -> Provider:
    tenant = create_tenant(app, slug, name)
    api = Api(client, tenant)
    achievement = api.achievement("클라우드 기초 과정")
    issued = api.issue(achievement["id"], unique_email())
    return Provider(tenant, issued["id"], issued["credential"])


def _certify(app: Flask, slug: str, until: str = "2028-12-31", *more: str) -> str:
    result = _run(
        app,
        "issuer",
        "certify",
        "--issuer",
        slug,
        "--programme",
        "leaders-club",
        "--until",
        until,
        "--json",
        *more,
    )
    assert result.exit_code == 0, result.output
    url: str = json.loads(result.output)["id"]
    return url


def _document(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url.removeprefix(BASE_URL), headers={"Accept": "application/json"})
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json(force=True)
    return document


def _mark(html: str) -> str | None:
    """The certification state a page shows, if any."""
    marker = 'data-certification="'
    start = html.find(marker)
    if start < 0:
        return None
    return html[start + len(marker) : html.index('"', start + len(marker))]


def test_certify_issues_a_signed_endorsement_at_a_stable_url(
    app: Flask, client: FlaskClient
) -> None:
    """The endorsement's id resolves; it is the platform's, about the provider, revocable."""
    provider = _provider(app, client, "leader-a", "리더 아카데미")
    url = _certify(app, provider.slug, "2028-12-31", "--narrative", "우수 교육기관 · Outstanding")
    assert url.startswith(f"{BASE_URL}/certifications/")
    document = _document(client, url)
    assert document["id"] == url
    assert document["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert document["issuer"]["id"] == PLATFORM == platform_did(settings_of(app))
    subject = document["credentialSubject"]
    assert subject["id"] == provider.badge["issuer"]["id"] == provider.tenant.issuer.did
    assert subject["type"] == ["EndorsementSubject"]
    assert subject["endorsementComment"] == "우수 교육기관 · Outstanding"
    assert "디지털 리더스 클럽" in document["name"]
    assert "Digital Leaders Club" in document["name"]
    assert document["validUntil"] == "2028-12-31T14:59:59Z"  # end of the day in KST
    assert document["credentialStatus"]["statusPurpose"] == "revocation"
    assert document["proof"][0]["verificationMethod"].startswith(PLATFORM + "#")
    jwt = client.get(url.removeprefix(BASE_URL) + ".jwt")
    assert jwt.status_code == 200
    assert jwt.get_data(as_text=True).count(".") == 2
    profile = client.get(f"/issuers/{provider.slug}", headers={"Accept": "application/ld+json"})
    assert [e["id"] for e in profile.get_json(force=True)["endorsement"]] == [url]
    browser = client.get(url.removeprefix(BASE_URL), headers=KOREAN)
    assert browser.status_code == 303
    assert browser.headers["Location"].endswith(f"/issuers/{provider.slug}#certification")
    # Any verifier, through the published documents only.
    fetcher = ClientFetcher(client)
    report = verify_credential(document, now=CLOCK.now, fetcher=fetcher)
    assert report.verdict is Verdict.VALID, report.to_dict()
    found = verify_certification(
        [document],
        subject_id=provider.tenant.issuer.did,
        certifiers={PLATFORM},
        now=CLOCK.now,
        fetcher=fetcher,
    )
    assert found.state is CertificationState.CERTIFIED
    badge = verify_credential(
        provider.badge,
        now=CLOCK.now,
        fetcher=fetcher,
        certifiers=[PLATFORM],
        certifications=[jwt.get_data(as_text=True)],
    )
    assert badge.verdict is Verdict.VALID
    assert badge.check("issuer-certification").code == "certified"
    with db.new_session(db.engine_of(app)) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.subject == url)).all()
        assert [e.action for e in events] == ["certification.issue"]


def test_pages_show_a_verified_certification_in_korean_and_english(
    app: Flask, client: FlaskClient
) -> None:
    """The badge page (near the registered mark), its checks and the provider's page."""
    provider = _provider(app, client, "leader-b", "비 교육센터")
    _certify(app, provider.slug)
    korean = page(client, provider.path)
    assert _mark(korean) == "certified"
    assert "인증 기관: 디지털 리더스 클럽" in korean
    assert 'data-check="issuer-certification" data-status="passed"' in korean
    english = page(client, provider.path, headers=ENGLISH)
    assert "Certified: Digital Leaders Club" in english
    assert "Issuer certification" in english
    profile = page(client, f"/issuers/{provider.slug}")
    assert _mark(profile) == "certified"
    assert 'id="certification"' in profile
    assert "verify 패키지" in profile
    assert "Digital Leaders Club" in page(client, f"/issuers/{provider.slug}", headers=ENGLISH)


def test_an_uncertified_provider_shows_nothing(app: Flask, client: FlaskClient) -> None:
    """No certification: no mark, and the check says so."""
    provider = _provider(app, client, "plain-c", "씨 아카데미")
    html = page(client, provider.path, headers=ENGLISH)
    assert _mark(html) is None
    assert 'data-check="issuer-certification" data-status="skipped"' in html
    assert _mark(page(client, f"/issuers/{provider.slug}")) is None


def test_revocation_shows_on_the_next_load(app: Flask, client: FlaskClient) -> None:
    """Revoked (after a confirmation prompt): no longer current anywhere, said plainly."""
    provider = _provider(app, client, "leader-d", "디 아카데미")
    url = _certify(app, provider.slug)
    assert _mark(page(client, provider.path)) == "certified"  # verified and kept
    assert _mark(page(client, f"/issuers/{provider.slug}")) == "certified"
    refused = _run(
        app,
        "issuer",
        "certify",
        "--revoke",
        "--issuer",
        provider.slug,
        "--reason",
        "x",
        input="n\n",
    )
    assert refused.exit_code == 1
    assert _mark(page(client, provider.path)) == "certified"
    revoked = _run(
        app,
        "issuer",
        "certify",
        "--revoke",
        "--issuer",
        provider.slug,
        "--reason",
        "품질 기준 미달",
        "--yes",
    )
    assert revoked.exit_code == 0, revoked.output
    assert url in revoked.output
    korean = page(client, provider.path)
    assert _mark(korean) == "revoked"
    assert "인증 취소됨" in korean
    assert "인증 기관: 디지털 리더스 클럽" not in korean
    english = page(client, f"/issuers/{provider.slug}", headers=ENGLISH)
    assert _mark(english) == "revoked"
    assert "certification revoked (not current)" in english
    assert "Certified:" not in english
    # The badge itself is unaffected; the profile no longer lists the certification.
    assert 'data-verdict="valid"' in korean
    profile = client.get(f"/issuers/{provider.slug}", headers={"Accept": "application/ld+json"})
    assert "endorsement" not in profile.get_json(force=True)
    again = _run(app, "issuer", "certify", "--revoke", "--issuer", provider.slug, "--reason", "x")
    assert again.exit_code == 1
    assert "no certification to revoke" in again.output


def test_expiry_shows_when_the_clock_passes_it(app: Flask, client: FlaskClient) -> None:
    """Past validUntil the certification is named expired, never current."""
    provider = _provider(app, client, "leader-e", "이 아카데미")
    _certify(app, provider.slug, (START + timedelta(days=10)).isoformat())
    assert _mark(page(client, provider.path)) == "certified"
    CLOCK.now = START + timedelta(days=11)
    html = page(client, provider.path, headers=ENGLISH)
    assert _mark(html) == "expired"
    assert "certification expired (not current)" in html
    assert 'data-verdict="valid"' in html
    assert "인증 만료됨" in page(client, f"/issuers/{provider.slug}")
    with db.new_session(db.engine_of(app)) as session:
        work = db.Work(session, settings_of(app), CLOCK.now, "test")
        assert certifying.current(work, provider.tenant.issuer) is None
        assert certifying.current(work.at(START), provider.tenant.issuer) is not None


def _signed_as(app: Flask, provider: Provider, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` signed with the provider's own active key (what a provider can do)."""
    with db.new_session(db.engine_of(app)) as session:
        work = db.Work(session, settings_of(app), CLOCK.now, "test")
        signer = signing.active_signers(work, provider.tenant.issuer.pk).proof
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    return sign_credential(
        unsigned, proof_signer=signer, now=CLOCK.now, verification_method=signer.key_id
    ).credential


def _upload(client: FlaskClient, badge: dict[str, Any]) -> str:
    response = client.post(
        "/verify", data={"text": json.dumps(badge, ensure_ascii=False)}, headers=ENGLISH
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_forged_certifications_are_never_shown(app: Flask, client: FlaskClient) -> None:
    """One signed with a provider's key, or a genuine one about another provider: not shown."""
    forger = _provider(app, client, "forger-f", "에프 아카데미")
    certified = _provider(app, client, "leader-g", "지 아카데미")
    genuine = _document(client, _certify(app, certified.slug))
    forged = _signed_as(
        app,
        forger,
        build_endorsement(
            credential_id=f"{BASE_URL}/certifications/forged",
            issuer=_profile(genuine),
            subject_id=forger.tenant.issuer.did,
            name="디지털 리더스 클럽 인증 · Digital Leaders Club certification",
            now=CLOCK.now,
        ).to_json(),
    )
    for embedded in (forged, genuine):
        badge = dict(forger.badge)
        badge["issuer"] = {**forger.badge["issuer"], "endorsement": [embedded]}
        html = _upload(client, _signed_as(app, forger, badge))
        assert 'data-verdict="valid"' in html
        assert 'data-issuer-mark="registered"' in html
        assert _mark(html) is None
        assert 'data-check="issuer-certification" data-status="failed"' in html
    # The genuine one embedded by its own provider is shown.
    badge = dict(certified.badge)
    badge["issuer"] = {**certified.badge["issuer"], "endorsement": [genuine]}
    assert _mark(_upload(client, _signed_as(app, certified, badge))) == "certified"


def _profile(document: dict[str, Any]) -> Profile:
    issuer = document["issuer"]
    return Profile(id=issuer["id"], name=issuer.get("name"))


def test_cli_refuses_bad_input(app: Flask, client: FlaskClient) -> None:
    """Unknown programme (usage error), a past end, and the platform itself."""
    provider = _provider(app, client, "leader-h", "에이치 아카데미")
    unknown = _run(
        app,
        "issuer",
        "certify",
        "--issuer",
        provider.slug,
        "--programme",
        "x",
        "--until",
        "2030-01-01",
    )
    assert unknown.exit_code == 2
    past = _run(
        app,
        "issuer",
        "certify",
        "--issuer",
        provider.slug,
        "--programme",
        "leaders-club",
        "--until",
        "2020-01-01",
    )
    assert past.exit_code == 1
    assert "future" in past.output
    missing = _run(app, "issuer", "certify", "--issuer", provider.slug)
    assert missing.exit_code == 2
    with db.new_session(db.engine_of(app)) as session:
        mine = select(Certification).where(Certification.issuer_id == provider.tenant.issuer.pk)
        assert not session.exec(mine).all()


def test_certifications_are_listed_and_found_as_current(app: Flask, client: FlaskClient) -> None:
    """``baeji issuer certifications`` lists each with its state; ``current`` finds it."""
    provider = _provider(app, client, "leader-i", "아이 아카데미")
    url = _certify(app, provider.slug)
    listed = _run(app, "issuer", "certifications", "--issuer", provider.slug)
    assert listed.exit_code == 0
    assert url.rsplit("/", 1)[1] in listed.output
    assert "leaders-club" in listed.output
    assert "current" in listed.output
    with db.new_session(db.engine_of(app)) as session:
        found = certifying.current(
            db.Work(session, settings_of(app), CLOCK.now, "test"), provider.tenant.issuer
        )
        assert found is not None
        assert certifying.certification_url(BASE_URL, found.id) == url
        assert found.status_list_id


@pytest.mark.node
def test_the_issued_certification_verifies_in_digital_bazaar_vc(
    app: Flask, client: FlaskClient, node: str
) -> None:
    """The service's own certification, with the platform's published DID document, passes
    Digital Bazaar's verifier (Data Integrity) and jose (VC-JWT)."""
    provider = _provider(app, client, "leader-j", "제이 아카데미")
    url = _certify(app, provider.slug)
    document = _document(client, url)
    token = client.get(url.removeprefix(BASE_URL) + ".jwt").get_data(as_text=True)
    did_document = client.get("/.well-known/did.json").get_json(force=True)
    outcome = run_verifier(
        node,
        {
            "certification": {
                "credential": document,
                "jwt": token,
                "didDocument": did_document,
                "now": format_datetime(START + timedelta(days=1)),
            }
        },
    )["certification"]
    assert outcome.di == DiOutcome(verified=True, error=None)
    assert outcome.jwt is not None
    assert outcome.jwt.verified


def test_a_kept_result_is_reused_until_its_documents_change(
    app: Flask, client: FlaskClient
) -> None:
    """The worker keeps a verified certification while the platform's status list and DID
    document keep their ETags; the revocation's new list ETag makes the next load verify."""
    provider = _provider(app, client, "leader-k", "케이 아카데미")
    url = _certify(app, provider.slug)
    with app.test_request_context():
        first = certification_pages.provider_certification(app, provider.tenant.issuer)
        again = certification_pages.provider_certification(app, provider.tenant.issuer)
        assert first.certified
        assert again is first
    with db.new_session(db.engine_of(app)) as session:
        work = db.Work(session, settings_of(app), CLOCK.now, "test")
        certifying.revoke(work, url, reason="test")
        session.commit()
    with app.test_request_context():
        after = certification_pages.provider_certification(app, provider.tenant.issuer)
        assert after is not first
        assert after.state is CertificationState.REVOKED


def test_the_verify_api_reports_the_certification(app: Flask, client: FlaskClient) -> None:
    """POST /api/v1/verify carries the issuer-certification check, in the language asked."""
    provider = _provider(app, client, "leader-l", "엘 아카데미")
    _certify(app, provider.slug)
    response = client.post("/api/v1/verify?lang=en", json=provider.badge)
    assert response.status_code == 200
    report = response.get_json()
    assert report["verdict"] == "valid"
    check = next(c for c in report["checks"] if c["id"] == "issuer-certification")
    assert check["status"] == "passed"
    assert check["details"]["state"] == "certified"
    assert "Digital Leaders Club" in check["message"]
    assert [c["role"] for c in report["children"]] == ["certification"]
