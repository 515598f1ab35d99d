"""Issue 11: badges every verifier accepts, and issuance that refuses what would make a bad one.

- One ``credentialStatus`` object by default, so the bundled 1EdTech OB 3.0 JSON Schema
  validates the issued credential as a whole document (no per-entry special case).
- Suspension is an issuer setting (off by default) that adds the second entry; suspending a
  badge issued without one is a clear 409 ``suspension-not-enabled``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft201909Validator

from issuer import accounts, db, settings_of
from tests.issuer.conftest import Api, ClientFetcher, Tenant, create_tenant, unique_email
from verify import Verdict, verify_credential
from verify.cli import main as baeji


def _official(name: str) -> Draft201909Validator:
    """The 1EdTech schema exactly as bundled: nothing of ours in between."""
    text = (resources.files("badges") / "schemas" / name).read_text(encoding="utf-8")
    return Draft201909Validator(json.loads(text))


def _whole_document_errors(document: dict[str, Any], name: str) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _official(name).iter_errors(document)
    ]


@pytest.fixture(scope="module")
def plain(app: Flask) -> Tenant:
    """An issuer with the defaults (suspension off)."""
    return create_tenant(app, "plain", "기본 설정 아카데미")


@pytest.fixture
def plain_api(client: FlaskClient, plain: Tenant) -> Api:
    """The default issuer's API."""
    return Api(client, plain)


def test_default_badge_has_one_status_object_and_passes_the_schema_whole(
    plain_api: Api, client: FlaskClient
) -> None:
    """One revocation entry, as an object; the official schema accepts the whole credential."""
    course = plain_api.achievement("클라우드 기초")
    issued = plain_api.issue(course["uuid"], unique_email(), "이서연")
    credential = issued["credential"]
    status = credential["credentialStatus"]
    assert isinstance(status, dict)
    assert status["statusPurpose"] == "revocation"
    assert status["type"] == "BitstringStatusListEntry"
    assert _whole_document_errors(credential, "ob_v3p0_achievementcredential_schema.json") == []
    # What is served is the same document.
    served = client.get(issued["id"].removeprefix("https://badges.example.kr") + ".json").json
    assert served == credential


def test_suspension_on_issuer_adds_the_second_entry(api: Api) -> None:
    """An issuer with suspension on writes an array of two (the documented deviation)."""
    course = api.achievement("보안 실무")
    credential = api.issue(course["uuid"], unique_email())["credential"]
    purposes = [e["statusPurpose"] for e in credential["credentialStatus"]]
    assert purposes == ["revocation", "suspension"]
    # The official schema refuses the array; that is the one deliberate deviation.
    assert _whole_document_errors(credential, "ob_v3p0_achievementcredential_schema.json")


@pytest.mark.parametrize("action", ["suspend", "unsuspend"])
def test_suspending_without_suspension_is_a_clear_conflict(plain_api: Api, action: str) -> None:
    """409 suspension-not-enabled; the badge can still be revoked."""
    course = plain_api.achievement("데이터 엔지니어링")
    issued = plain_api.issue(course["uuid"], unique_email())
    path = f"/api/v1/credentials/{issued['uuid']}"
    response = plain_api.post(f"{path}/{action}", json={"reason": "검토 중"})
    assert response.status_code == 409
    assert response.json is not None
    assert response.json["error"] == "suspension-not-enabled"
    assert "revoked" in response.json["message"]
    assert plain_api.post(f"{path}/revoke", json={"reason": "취소"}).status_code == 200


def test_single_status_badge_verifies_and_revokes(plain_api: Api, client: FlaskClient) -> None:
    """The verifier reads the one-object form: valid, then revoked; suspension not applicable."""
    course = plain_api.achievement("AI 서비스 기획")
    issued = plain_api.issue(course["uuid"], unique_email(), "박지훈")
    fetcher = ClientFetcher(client)
    report = verify_credential(issued["credential"], now=datetime.now(UTC), fetcher=fetcher)
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert report.check("revocation").code == "not-revoked"
    suspension = report.check("suspension")
    assert suspension.code == "no-suspension-entry"
    assert suspension.status_label("ko") == "해당 없음"
    token = verify_credential(issued["jwt"], now=datetime.now(UTC), fetcher=fetcher)
    assert token.verdict is Verdict.VALID
    plain_api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "x"})
    again = verify_credential(issued["credential"], now=datetime.now(UTC), fetcher=fetcher)
    assert again.verdict is Verdict.REVOKED


def test_turning_suspension_on_applies_to_new_badges_only(app: Flask, client: FlaskClient) -> None:
    """The setting changes what is issued next; an older badge without the entry stays so."""
    tenant = create_tenant(app, "switch", "전환 센터")
    api = Api(client, tenant)
    course = api.achievement("네트워크 기초")
    before = api.issue(course["uuid"], unique_email())
    result = CliRunner().invoke(
        baeji, ["issuer", "suspension", "--issuer", "switch", "--enable"], obj=app
    )
    assert result.exit_code == 0, result.output
    after = api.issue(course["uuid"], unique_email())
    assert isinstance(before["credential"]["credentialStatus"], dict)
    assert len(after["credential"]["credentialStatus"]) == 2
    old = api.post(f"/api/v1/credentials/{before['uuid']}/suspend", json={"reason": "r"})
    assert old.status_code == 409
    new = api.post(f"/api/v1/credentials/{after['uuid']}/suspend", json={"reason": "r"})
    assert new.status_code == 200
    conf = settings_of(app)
    with db.new_session(db.engine_of(app)) as session:
        issuer = accounts.issuer_by_slug(session, "switch")
        accounts.set_suspension(session, issuer, False, now=conf.clock(), actor="test")
    # Turned off again: a badge that carries the entry can still be unsuspended.
    lifted = api.post(f"/api/v1/credentials/{after['uuid']}/unsuspend")
    assert lifted.status_code == 200
    latest = api.issue(course["uuid"], unique_email())["credential"]
    assert isinstance(latest["credentialStatus"], dict)
