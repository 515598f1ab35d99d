"""Learner records (CLR 2.0): what they hold, their associations, re-issue, verification.

Each record is verified with the ``verify`` package alone, through the Flask client as
its network: it must be valid, with one valid sub-report per embedded badge.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from issuer.issuers.service import PLATFORM_SLUG
from tests.issuer.conftest import (
    BASE_URL,
    Api,
    ClientFetcher,
    full_wallet_link,
    merge_wallets,
    unique_email,
)
from verify import CheckStatus, Verdict, verify_credential
from verify.cli import main as baeji

PLATFORM_DID = "did:web:badges.example.kr"


def _path(url: str) -> str:
    return url.removeprefix(BASE_URL)


def _record(client: FlaskClient, wallet_url: str, form: str = "json") -> Any:
    response = client.get(f"{_path(wallet_url)}/clr.{form}")
    assert response.status_code == 200, response.data
    assert response.headers["Cache-Control"] == "private, no-store"
    return json.loads(response.data) if form == "json" else response.get_data(as_text=True)


def test_record_embeds_badges_of_every_issuer_and_verifies(
    client: FlaskClient, api: Api, other_api: Api
) -> None:
    """A learner's record holds each badge as issued, is signed by the platform, and is valid."""
    email = unique_email("clr")
    python = api.achievement("파이썬 데이터 분석 기초")
    genai = api.achievement("생성형 AI 서비스 개발", buildsOn=[python["uuid"]])
    mlops = other_api.achievement("MLOps 모델 배포 심화", buildsOn=[genai["id"]])
    first = api.issue(python["uuid"], email, "김민준", validFrom="2026-01-10T00:00:00Z")
    second = api.issue(genai["uuid"], email, "김민준", validFrom="2026-02-10T00:00:00Z")
    third = other_api.issue(mlops["uuid"], email, "김민준")
    wallet = merge_wallets(client, third["walletUrl"], first["walletUrl"])
    record = _record(client, wallet)
    assert record["type"] == ["VerifiableCredential", "ClrCredential"]
    assert record["@context"][1] == "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
    assert record["issuer"]["id"] == PLATFORM_DID
    assert record["credentialSubject"]["id"] == third["credential"]["credentialSubject"]["id"]
    assert "partial" not in record
    embedded = record["credentialSubject"]["verifiableCredential"]
    # exactly as issued, each with its own issuer's proof, in the order they were earned
    assert embedded == [first["credential"], second["credential"], third["credential"]]
    assert {
        (a["associationType"], a["sourceId"], a["targetId"])
        for a in record["credentialSubject"]["association"]
    } == {("precedes", python["id"], genai["id"]), ("precedes", genai["id"], mlops["id"])}
    fetcher = ClientFetcher(client)
    report = verify_credential(record, now=datetime.now(UTC), fetcher=fetcher)
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert [child.verdict for child in report.children] == [Verdict.VALID] * 3
    assert report.check("embedded-credentials").status is CheckStatus.PASSED
    assert "/.well-known/did.json" in fetcher.fetched
    token = _record(client, wallet, "jwt")
    jwt_report = verify_credential(token, now=datetime.now(UTC), fetcher=ClientFetcher(client))
    assert jwt_report.verdict is Verdict.VALID
    assert jwt_report.check("jwt").status is CheckStatus.PASSED


def test_record_is_reissued_only_when_the_history_changes(
    client: FlaskClient, app: Flask, api: Api
) -> None:
    """Unchanged history gives the same signed bytes; issuing, suspending or revoking re-issues."""
    email = unique_email("reissue")
    course = api.achievement("SQL 기초")
    other = api.achievement("데이터 시각화")
    first = api.issue(course["uuid"], email)
    wallet = full_wallet_link(app, email)
    original = _record(client, wallet)
    assert _record(client, wallet) == original
    second = api.issue(other["uuid"], email)
    grown = _record(client, wallet)
    assert grown["id"] != original["id"]
    assert len(grown["credentialSubject"]["verifiableCredential"]) == 2
    api.post(f"/api/v1/credentials/{second['uuid']}/suspend", json={"reason": "검토"})
    suspended = _record(client, wallet)
    assert [c["id"] for c in suspended["credentialSubject"]["verifiableCredential"]] == [
        first["id"]
    ]
    api.post(f"/api/v1/credentials/{second['uuid']}/unsuspend")
    api.post(f"/api/v1/credentials/{first['uuid']}/revoke", json={"reason": "취소"})
    revoked = _record(client, wallet)
    assert [c["id"] for c in revoked["credentialSubject"]["verifiableCredential"]] == [second["id"]]
    report = verify_credential(revoked, now=datetime.now(UTC), fetcher=ClientFetcher(client))
    assert report.verdict is Verdict.VALID


def test_no_record_without_a_valid_badge(client: FlaskClient, app: Flask, api: Api) -> None:
    """A learner whose only badge is revoked has no record to download (404)."""
    email = unique_email()
    issued = api.issue(api.achievement()["uuid"], email)
    api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "취소"})
    wallet = _path(full_wallet_link(app, email))
    response = client.get(f"{wallet}/clr.json")
    assert response.status_code == 404
    assert client.get(f"{wallet}/clr.xml").status_code == 404


def test_expired_badges_are_left_out(client: FlaskClient, app: Flask, api: Api) -> None:
    """A badge past its validUntil is not in the record (the verifier would call it expired)."""
    email = unique_email()
    api.issue(api.achievement()["uuid"], email)
    soon = api.issue(api.achievement()["uuid"], email, validUntil="2099-01-01T00:00:00Z")
    record = _record(client, full_wallet_link(app, email))
    assert len(record["credentialSubject"]["verifiableCredential"]) == 2
    assert soon["credential"]["validUntil"] == "2099-01-01T00:00:00Z"


def test_platform_did_document(client: FlaskClient, app: Flask, api: Api) -> None:
    """The platform publishes its own keys at /.well-known/did.json, once it has any."""
    email = unique_email()
    api.issue(api.achievement()["uuid"], email)
    _record(client, full_wallet_link(app, email))
    document = client.get("/.well-known/did.json").json
    assert document is not None
    assert document["id"] == PLATFORM_DID
    assert document["verificationMethod"][0]["controller"] == PLATFORM_DID
    assert client.get("/did.json").json == document
    jwks = client.get("/.well-known/jwks.json").json
    assert jwks is not None
    assert any(k["kid"].startswith(f"{PLATFORM_DID}#") for k in jwks["keys"])
    assert client.get(f"/issuers/{PLATFORM_SLUG}/did.json").status_code == 404


@pytest.mark.parametrize(
    ("builds_on", "message"),
    [
        (["0b7e5b52-0000-4000-8000-000000000000"], "no achievement"),
        (["self"], "itself"),
    ],
    ids=["unknown", "self"],
)
def test_builds_on_is_validated(api: Api, builds_on: list[str], message: str) -> None:
    """buildsOn must name existing achievements other than the achievement itself."""
    course = api.achievement("선수 과정 검사")
    refs = [course["uuid"] if ref == "self" else ref for ref in builds_on]
    response = api.patch(f"/api/v1/achievements/{course['uuid']}", json={"buildsOn": refs})
    assert response.status_code == 422
    assert response.json is not None
    assert response.json["errors"][0]["field"] == "buildsOn"
    assert message in response.json["message"]


def test_builds_on_cannot_form_a_cycle(api: Api) -> None:
    """A prerequisite that already builds on the achievement is refused."""
    first = api.achievement("기초")
    second = api.achievement("심화", buildsOn=[first["uuid"]])
    assert second["buildsOn"] == [first["id"]]
    response = api.patch(f"/api/v1/achievements/{first['uuid']}", json={"buildsOn": [second["id"]]})
    assert response.status_code == 422
    assert response.json is not None
    assert "cycle" in response.json["message"]
    cleared = api.patch(f"/api/v1/achievements/{second['uuid']}", json={"buildsOn": None})
    assert cleared.json is not None
    assert cleared.json["buildsOn"] == []
    listed = api.get("/api/v1/achievements").json
    assert listed is not None
    assert all("buildsOn" in a for a in listed["achievements"])


def test_results_are_issued_into_the_badge(api: Api) -> None:
    """A result (status and/or grade) given at issuing is in credentialSubject.result."""
    issued = api.issue(
        api.achievement()["uuid"],
        unique_email(),
        result=[{"status": "Completed", "value": "A+"}],
    )
    assert issued["credential"]["credentialSubject"]["result"] == [
        {"type": ["Result"], "value": "A+", "status": "Completed"}
    ]
    bad = api.post(
        "/api/v1/credentials",
        json={
            "achievementId": api.achievement()["uuid"],
            "recipient": {"email": unique_email(), "name": "김학습"},
            "result": [{}],
        },
    )
    assert bad.status_code == 422


def test_rotating_the_platform_key_reissues_the_record(
    client: FlaskClient, api: Api, app: Flask, runner: CliRunner
) -> None:
    """`baeji keys rotate --issuer _platform` makes the next record carry the new key."""
    email = unique_email()
    api.issue(api.achievement()["uuid"], email)
    wallet = full_wallet_link(app, email)
    before = _record(client, wallet)
    result = runner.invoke(
        baeji, ["keys", "rotate", "--issuer", PLATFORM_SLUG], obj=app, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    after = _record(client, wallet)
    assert after["id"] != before["id"]
    assert after["proof"][0]["verificationMethod"] != before["proof"][0]["verificationMethod"]
    for document in (before, after):  # the retired key stays published
        report = verify_credential(document, now=datetime.now(UTC), fetcher=ClientFetcher(client))
        assert report.verdict is Verdict.VALID
    refused = runner.invoke(baeji, ["apikey", "create", "--issuer", PLATFORM_SLUG], obj=app)
    assert refused.exit_code == 1
