"""Public documents: credential forms, QR codes, issuer profile, DID document, JWKS, status."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlmodel import Session, col, select

from badges.bake import extract_credential
from badges.image import default_badge_png
from badges.qr import decode_qr
from issuer.models import ShareLink
from tests.issuer.conftest import (
    BASE_URL,
    ENGLISH,
    KOREAN,
    Api,
    Tenant,
    full_wallet_link,
    unique_email,
)

DID = "did:web:badges.example.kr:issuers:hanbit"


@pytest.fixture(scope="module")
def issued(app: Flask, hanbit: Tenant) -> dict[str, Any]:
    """One credential of issuer A."""
    with app.test_client() as client:
        api = Api(client, hanbit)
        course = api.achievement("생성형 AI 서비스 개발")
        return api.issue(course["uuid"], unique_email(), "정하늘")


def _path(url: str) -> str:
    return url.removeprefix(BASE_URL)


def test_json_is_the_credential_exactly_as_issued(
    client: FlaskClient, issued: dict[str, Any]
) -> None:
    """.json serves the stored signed JSON; the bytes are immutable and cacheable."""
    response = client.get(_path(issued["id"]) + ".json")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+ld+json"
    assert json.loads(response.data) == issued["credential"]
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["ETag"]


def test_jwt_is_text_plain(client: FlaskClient, issued: dict[str, Any]) -> None:
    """.jwt serves the compact VC-JWT as text/plain."""
    response = client.get(_path(issued["id"]) + ".jwt")
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == issued["jwt"]


@pytest.mark.parametrize(
    ("extension", "mimetype"), [("png", "image/png"), ("svg", "image/svg+xml")]
)
def test_baked_images_carry_the_credential(
    client: FlaskClient, issued: dict[str, Any], extension: str, mimetype: str
) -> None:
    """.png and .svg are baked with the signed JSON."""
    response = client.get(f"{_path(issued['id'])}.{extension}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert json.loads(extract_credential(response.data)) == issued["credential"]


def test_baked_png_shows_the_course_and_issuer_names(
    client: FlaskClient, issued: dict[str, Any]
) -> None:
    """The baked PNG is the artwork with this course's and this issuer's names drawn on it."""
    response = client.get(f"{_path(issued['id'])}.png")
    credential = issued["credential"]
    expected = default_badge_png(
        credential["credentialSubject"]["achievement"]["name"],
        issuer_name=credential["issuer"]["name"],
        seed=issued["credential"]["credentialSubject"]["achievement"]["id"].rsplit("/", 1)[-1],
    )
    unnamed = default_badge_png("배지", seed="x")
    with Image.open(io.BytesIO(response.data)) as baked, Image.open(io.BytesIO(expected)) as art:
        assert baked.convert("RGBA").tobytes() == art.convert("RGBA").tobytes()
        with Image.open(io.BytesIO(unnamed)) as other:
            assert baked.convert("RGBA").tobytes() != other.convert("RGBA").tobytes()


@pytest.mark.parametrize("extension", ["png", "svg"])
def test_qr_code_holds_the_credential_url(
    client: FlaskClient, issued: dict[str, Any], extension: str
) -> None:
    """The QR code encodes the credential's URL (PNG decoded here; SVG checked for shape)."""
    response = client.get(f"{_path(issued['id'])}/qr.{extension}")
    assert response.status_code == 200
    if extension == "png":
        assert decode_qr(response.data) == [issued["id"]]
    else:
        assert response.data.lstrip().startswith(b"<?xml") or b"<svg" in response.data[:200]


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("application/vc+ld+json", "application/vc+ld+json"),
        ("application/ld+json", "application/ld+json"),
        ("application/json", "application/json"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "text/html"),
        ("*/*", "text/html"),
    ],
    ids=["vc", "ld", "json", "browser", "any"],
)
def test_content_negotiation(
    client: FlaskClient, issued: dict[str, Any], accept: str, mimetype: str
) -> None:
    """/credentials/{id} is JSON-LD for machines and an HTML summary for people."""
    response = client.get(_path(issued["id"]), headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "Accept" in response.headers["Vary"]
    if mimetype != "text/html":
        assert json.loads(response.data) == issued["credential"]
    else:
        page = response.get_data(as_text=True)
        assert "생성형 AI 서비스 개발" in page
        assert "정하늘" in page


def test_html_escapes_what_issuers_typed(api: Api, client: FlaskClient) -> None:
    """Markup in a course name is shown as text, never run."""
    course = api.achievement("<script>alert(1)</script>")
    issued = api.issue(course["uuid"], unique_email(), "<b>x</b>")
    page = client.get(_path(issued["id"]), headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize(
    "path",
    [
        "/credentials/0b7e5b52-0000-4000-8000-000000000000",
        "/credentials/nope.json",
        "/status/nope",
        "/issuers/nobody/did.json",
    ],
)
def test_unknown_documents_are_json_404(client: FlaskClient, path: str) -> None:
    """Missing documents are 404 with the JSON error shape."""
    response = client.get(path)
    assert response.status_code == 404
    assert response.json is not None
    assert response.json["error"] == "not-found"


def test_unknown_credential_extension_is_404(client: FlaskClient, issued: dict[str, Any]) -> None:
    """Only .json, .jwt, .png and .svg exist."""
    assert client.get(_path(issued["id"]) + ".exe").status_code == 404


def test_issuer_profile(client: FlaskClient, hanbit: Tenant) -> None:
    """/issuers/{slug} is the OB 3.0 Profile with the DID as id."""
    body = client.get("/issuers/hanbit").json
    assert body is not None
    assert body["id"] == DID
    assert body["type"] == ["Profile"]
    assert body["name"] == "한빛 아카데미"


def test_did_document_and_jwks_list_the_issuers_keys(client: FlaskClient, hanbit: Tenant) -> None:
    """The DID document has the Ed25519 key as Multikey and JWK, the RSA key as JWK; JWKS agrees."""
    did = client.get("/issuers/hanbit/did.json")
    assert did.mimetype == "application/did+json"
    document = did.json
    assert document is not None
    assert document["id"] == DID
    methods = {m["id"]: m for m in document["verificationMethod"]}
    assert methods[f"{DID}#key-1"]["type"] == "Multikey"
    assert methods[f"{DID}#key-1-jwk"]["publicKeyJwk"]["crv"] == "Ed25519"
    assert methods[f"{DID}#key-2"]["publicKeyJwk"]["kty"] == "RSA"
    assert all(m["controller"] == DID for m in methods.values())
    assert set(document["assertionMethod"]) == set(methods)
    jwks = client.get("/issuers/hanbit/jwks.json").json
    assert jwks is not None
    assert {k["kid"] for k in jwks["keys"]} == {f"{DID}#key-1-jwk", f"{DID}#key-2"}
    assert {k["iss"] for k in jwks["keys"]} == {DID}
    platform = client.get("/.well-known/jwks.json").json
    assert platform is not None
    assert {k["kid"] for k in jwks["keys"]} <= {k["kid"] for k in platform["keys"]}


def test_status_list_is_cacheable_and_revalidates(
    client: FlaskClient, api: Api, issued: dict[str, Any]
) -> None:
    """The status list has ETag and Cache-Control; If-None-Match gives 304 until it changes."""
    entry = issued["credential"]["credentialStatus"][0]
    path = _path(entry["statusListCredential"])
    first = client.get(path)
    assert first.status_code == 200
    assert first.mimetype == "application/vc+ld+json"
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    etag = first.headers["ETag"]
    body = first.json
    assert body is not None
    assert body["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert body["issuer"] == DID
    assert body["proof"][0]["verificationMethod"] == f"{DID}#key-1"
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    other = api.issue(api.achievement()["uuid"], unique_email())
    api.post(f"/api/v1/credentials/{other['uuid']}/revoke", json={"reason": "test"})
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_achievement_id_dereferences(client: FlaskClient, api: Api) -> None:
    """An achievement's id URL serves the OB Achievement JSON badges embed."""
    course = api.achievement("SQL 기초")
    body = client.get(_path(course["id"])).json
    assert body is not None
    assert body["id"] == course["id"]
    assert body["type"] == ["Achievement"]
    assert body["creator"]["id"] == DID


def test_regression_wallet_link_leaks_other_issuers(
    client: FlaskClient, app: Flask, session: Session, api: Api, other_api: Api
) -> None:
    # Review finding: the walletUrl the API answers to issuer B opened the learner's whole
    # wallet, so B could read, record (CLR) and share every badge issuer A issued them.
    email = unique_email("leak")
    theirs = api.issue(api.achievement("한빛의 비공개 과정")["uuid"], email, "김민준")
    mine = other_api.issue(other_api.achievement("누리의 과정")["uuid"], email, "김민준")
    wallet = _path(mine["walletUrl"])

    body = client.get(wallet, headers={"Accept": "application/json"}).json
    assert body is not None
    assert [c["id"] for c in body["credentials"]] == [mine["id"]]
    assert body["scope"] == f"{BASE_URL}/issuers/nuri"
    assert body["record"] is None
    html = client.get(wallet, headers=KOREAN).get_data(as_text=True)
    assert mine["uuid"] in html
    for leaked in (theirs["uuid"], "한빛의 비공개 과정", "한빛 아카데미", "/clr."):
        assert leaked not in html
    assert "누리 ICT 교육센터의 배지만 보입니다" in html
    assert "다른 기관의 지갑 링크를 추가" in html
    assert "이메일로 받은 지갑 링크" in html
    english = client.get(wallet, headers=ENGLISH).get_data(as_text=True)
    assert "add another provider&#39;s wallet link" in english
    assert "wallet link e-mailed to you" in english

    for form in ("json", "jwt"):
        record = client.get(f"{wallet}/clr.{form}")
        assert record.status_code == 403
        assert record.json is not None
        assert set(record.json) == {"error", "message"}
        assert record.json["error"] == "scoped-wallet"
    assert client.get(f"{wallet}/clr.json", headers=KOREAN).status_code == 403
    certificate = client.get(f"{wallet}/credentials/{theirs['uuid']}/certificate")
    assert certificate.status_code == 404

    learner_id = theirs["credential"]["credentialSubject"]["id"].removeprefix("urn:uuid:")
    whole = client.post(f"{wallet}/shares", data={"scope": "all"})
    assert whole.status_code == 403
    assert whole.json is not None
    assert whole.json["error"] == "scoped-wallet"
    for chosen in ([theirs["uuid"]], [mine["uuid"], theirs["uuid"]]):
        refused = client.post(f"{wallet}/shares", data={"scope": "selected", "credential": chosen})
        assert refused.status_code == 422
    assert _shares(session, learner_id) == []
    allowed = client.post(
        f"{wallet}/shares", data={"scope": "selected", "credential": mine["uuid"]}
    )
    assert allowed.status_code == 303
    assert [json.loads(row.credential_ids or "null") for row in _shares(session, learner_id)] == [
        [mine["uuid"]]
    ]

    # A share the learner made from a full link is neither listed nor removable here.
    full = full_wallet_link(app, email)
    client.post(f"{_path(full)}/shares", data={"scope": "all"})
    whole_share = next(row for row in _shares(session, learner_id) if row.credential_ids is None)
    assert whole_share.id not in client.get(wallet, headers=KOREAN).get_data(as_text=True)
    assert whole_share.id in client.get(_path(full), headers=KOREAN).get_data(as_text=True)
    assert client.post(f"{wallet}/shares/{whole_share.id}/delete").status_code == 404
    assert client.get(f"/shares/{whole_share.id}", headers=KOREAN).status_code == 200

    assert client.get("/wallet/not-a-token").status_code == 404


def _shares(session: Session, learner_id: str) -> list[ShareLink]:
    session.rollback()  # a fresh snapshot: the app committed in its own session
    return list(
        session.exec(
            select(ShareLink).where(ShareLink.learner_id == learner_id).order_by(col(ShareLink.id))
        ).all()
    )


def test_home_and_health(client: FlaskClient) -> None:
    """The landing page and the liveness probe answer."""
    assert client.get("/").status_code == 200
    assert client.get("/healthz").json == {"status": "ok"}
