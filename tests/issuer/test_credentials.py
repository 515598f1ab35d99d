"""Issuing one credential, idempotency, status changes, reading, and tenancy."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, select

from badges import Bitstring, matches_identity_hash
from issuer.models import AuditEvent, Credential, Learner
from tests.issuer.conftest import BASE_URL, Api, percent, unique_email


@pytest.fixture(scope="module")
def course(app: Flask, hanbit: Any) -> dict[str, Any]:
    """One achievement of issuer A, shared by the module."""
    with app.test_client() as client:
        return Api(client, hanbit).achievement("파이썬 데이터 분석 기초")


def _status_bits(api: Api, credential: dict[str, Any], purpose: str) -> tuple[Bitstring, int]:
    entry = next(e for e in credential["credentialStatus"] if e["statusPurpose"] == purpose)
    path = entry["statusListCredential"].removeprefix(BASE_URL)
    listed = api.client.get(path).json
    assert listed is not None
    bits = Bitstring.decode(listed["credentialSubject"]["encodedList"])
    return bits, int(entry["statusListIndex"])


def test_issue_returns_the_signed_credential_jwt_and_wallet(
    api: Api, course: dict[str, Any]
) -> None:
    """201 with the credential URL, the signed OB 3.0 JSON, a VC-JWT and a wallet link."""
    email = unique_email("minjun")
    body = api.issue(course["uuid"], email, "김민준")
    credential = body["credential"]
    assert body["id"] == credential["id"] == f"{BASE_URL}/credentials/{body['uuid']}"
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == "did:web:badges.example.kr:issuers:hanbit"
    subject = credential["credentialSubject"]
    assert subject["id"].startswith("urn:uuid:")
    assert subject["name"] == "김민준"
    assert subject["achievement"]["id"] == course["id"]
    identity = subject["identifier"][0]
    assert matches_identity_hash(email, identity["salt"], identity["identityHash"])
    assert email not in json.dumps(credential)
    assert [e["statusPurpose"] for e in credential["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert credential["proof"][0]["verificationMethod"].endswith("#key-1")
    assert body["jwt"].count(".") == 2
    assert body["walletUrl"].startswith(f"{BASE_URL}/wallet/")
    assert body["status"] == "active"


def test_the_same_learner_keeps_one_subject_id_across_issuers(
    api: Api, other_api: Api, course: dict[str, Any]
) -> None:
    """A learner's credentialSubject.id is the same in every badge, from any issuer."""
    email = unique_email("seoyeon")
    first = api.issue(course["uuid"], email, "이서연")
    other_course = other_api.achievement("클라우드 기초")
    second = other_api.issue(other_course["uuid"], email.upper(), "이서연")
    assert (
        first["credential"]["credentialSubject"]["id"]
        == second["credential"]["credentialSubject"]["id"]
    )


def test_learner_email_is_stored_only_as_an_hmac(
    app: Flask, api: Api, course: dict[str, Any], session: Session
) -> None:
    """No table holds the learner's address."""
    email = unique_email("privacy")
    api.issue(course["uuid"], email)
    for learner in session.exec(select(Learner)).all():
        assert email not in learner.email_hmac
    rows = session.exec(select(Credential)).all()
    assert all(email not in row.document for row in rows)


def test_idempotency_key_replays_the_same_credential(api: Api, course: dict[str, Any]) -> None:
    """The same key and body return the same credential, marked as a replay."""
    body = {
        "achievementId": course["uuid"],
        "recipient": {"email": unique_email(), "name": "박지호"},
    }
    headers = {"Idempotency-Key": "order-2026-0001"}
    first = api.post("/api/v1/credentials", json=body, headers=headers)
    again = api.post("/api/v1/credentials", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json is not None
    assert again.json is not None
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    assert again.json["credential"] == first.json["credential"]
    assert again.json["jwt"] == first.json["jwt"]


def test_idempotency_key_matches_uuid_and_url_references_alike(
    api: Api, course: dict[str, Any]
) -> None:
    """Naming the achievement by uuid or URL is the same request."""
    recipient = {"email": unique_email(), "name": "김학습"}
    headers = {"Idempotency-Key": "same-thing-two-ways"}
    first = api.post(
        "/api/v1/credentials",
        json={"achievementId": course["uuid"], "recipient": recipient},
        headers=headers,
    )
    again = api.post(
        "/api/v1/credentials",
        json={"achievementId": course["id"], "recipient": recipient},
        headers=headers,
    )
    assert first.json is not None
    assert again.json is not None
    assert again.json["id"] == first.json["id"]


def test_idempotency_key_with_another_body_is_409(api: Api, course: dict[str, Any]) -> None:
    """Reusing a key for a different request is refused and issues nothing."""
    headers = {"Idempotency-Key": "order-2026-0002"}
    first = api.post(
        "/api/v1/credentials",
        json={
            "achievementId": course["uuid"],
            "recipient": {"email": unique_email(), "name": "김학습"},
        },
        headers=headers,
    )
    assert first.status_code == 201
    other = api.post(
        "/api/v1/credentials",
        json={
            "achievementId": course["uuid"],
            "recipient": {"email": unique_email(), "name": "김학습"},
        },
        headers=headers,
    )
    assert other.status_code == 409
    assert other.json is not None
    assert other.json["error"] == "idempotency-key-reused"


def test_idempotency_keys_are_scoped_to_the_issuer(
    api: Api, other_api: Api, course: dict[str, Any]
) -> None:
    """Issuer B may use the same key string as issuer A."""
    headers = {"Idempotency-Key": "shared-key"}
    api.post(
        "/api/v1/credentials",
        json={
            "achievementId": course["uuid"],
            "recipient": {"email": unique_email(), "name": "김학습"},
        },
        headers=headers,
    )
    theirs = other_api.achievement()
    response = other_api.post(
        "/api/v1/credentials",
        json={
            "achievementId": theirs["uuid"],
            "recipient": {"email": unique_email(), "name": "김학습"},
        },
        headers=headers,
    )
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers


@pytest.mark.parametrize(
    "key", ["", "with space", "한글", "x" * 256], ids=["empty", "space", "hangul", "long"]
)
def test_malformed_idempotency_key_is_400(api: Api, course: dict[str, Any], key: str) -> None:
    """Idempotency-Key must be 1-255 printable ASCII characters."""
    response = api.post(
        "/api/v1/credentials",
        json={
            "achievementId": course["uuid"],
            "recipient": {"email": unique_email(), "name": "김학습"},
        },
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "invalid-header"


def test_eddsa_jwt_on_request(api: Api, course: dict[str, Any]) -> None:
    """jwtAlg EdDSA signs the VC-JWT with the Ed25519 key's JsonWebKey id."""
    body = api.issue(course["uuid"], unique_email(), jwtAlg="EdDSA")
    header = json.loads(_b64(body["jwt"].split(".")[0]))
    assert header["alg"] == "EdDSA"
    assert header["kid"].endswith("#key-1-jwk")
    default = api.issue(course["uuid"], unique_email())
    header = json.loads(_b64(default["jwt"].split(".")[0]))
    assert header == {
        "alg": "RS256",
        "kid": "did:web:badges.example.kr:issuers:hanbit#key-2",
        "typ": "JWT",
    }


def _b64(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@pytest.mark.parametrize(
    ("recipient", "extra", "field"),
    [
        ({"email": "not-an-email"}, {}, "recipient.email"),
        ({"email": "a@b"}, {}, "recipient.email"),
        ({"email": "김@example.kr", "name": "가" * 101}, {}, "recipient.name"),
        ({"email": "ok@example.kr"}, {"validFrom": "2026-03-02T00:00:00"}, "validFrom"),
        (
            {"email": "ok@example.kr"},
            {"validFrom": "2026-03-02T00:00:00Z", "validUntil": "2026-03-01T00:00:00Z"},
            "body",
        ),
        ({"email": "ok@example.kr"}, {"validUntil": "2001-01-01T00:00:00Z"}, "validUntil"),
        ({"email": "ok@example.kr"}, {"jwtAlg": "HS256"}, "jwtAlg"),
        (
            {"email": "ok@example.kr"},
            {"achievementId": "0b7e5b52-0000-4000-8000-000000000000"},
            "achievementId",
        ),
    ],
    ids=[
        "email",
        "email-no-dot",
        "name-too-long",
        "naive-date",
        "window",
        "expired",
        "alg",
        "unknown-achievement",
    ],
)
def test_invalid_requests_are_422(
    api: Api, course: dict[str, Any], recipient: dict[str, str], extra: dict[str, str], field: str
) -> None:
    """Each invalid field is a 422 naming it; nothing is issued."""
    body = {"achievementId": course["uuid"], "recipient": recipient, **extra}
    response = api.post("/api/v1/credentials", json=body)
    assert response.status_code == 422, response.json
    payload = response.json
    assert payload is not None
    assert payload["error"] == "validation-error"
    assert any(e["field"] == field for e in payload["errors"]), payload


def test_get_credential_and_another_issuers_404(
    api: Api, other_api: Api, course: dict[str, Any]
) -> None:
    """The issuer reads its credential by uuid or URL; another issuer gets 404."""
    issued = api.issue(course["uuid"], unique_email())
    mine = api.get(f"/api/v1/credentials/{issued['uuid']}")
    assert mine.status_code == 200
    assert mine.json is not None
    assert mine.json["credential"] == issued["credential"]
    assert mine.json["status"] == "active"
    assert other_api.get(f"/api/v1/credentials/{issued['uuid']}").status_code == 404
    for action in ("revoke", "suspend", "unsuspend"):
        response = other_api.post(
            f"/api/v1/credentials/{issued['uuid']}/{action}", json={"reason": "x"}
        )
        assert response.status_code == 404


def test_revoke_sets_the_bit_and_is_final(
    api: Api, course: dict[str, Any], session: Session
) -> None:
    """Revocation flips the credential's bit in the signed list at once, and cannot be undone."""
    issued = api.issue(course["uuid"], unique_email())
    bits, index = _status_bits(api, issued["credential"], "revocation")
    assert not bits.get(index)
    response = api.post(
        f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "부정 수료 확인"}
    )
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["status"] == "revoked"
    assert response.json["revocationReason"] == "부정 수료 확인"
    bits, index = _status_bits(api, issued["credential"], "revocation")
    assert bits.get(index)
    again = api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "again"})
    assert again.status_code == 409
    assert (
        api.post(f"/api/v1/credentials/{issued['uuid']}/suspend", json={"reason": "x"}).status_code
        == 409
    )
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.subject == issued["id"], AuditEvent.action == "credential.revoke"
        )
    ).all()
    assert len(events) == 1
    assert events[0].actor.startswith("apikey:")
    assert json.loads(events[0].detail or "{}") == {"reason": "부정 수료 확인"}


def test_revoke_requires_a_reason(api: Api, course: dict[str, Any]) -> None:
    """A revocation without a reason is a 422."""
    issued = api.issue(course["uuid"], unique_email())
    response = api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={})
    assert response.status_code == 422
    assert response.json is not None
    assert response.json["errors"] == [{"field": "reason", "message": "required"}]


def test_suspend_and_unsuspend_toggle_the_suspension_bit(api: Api, course: dict[str, Any]) -> None:
    """Suspension sets its bit; unsuspending clears it; the revocation bit is untouched."""
    issued = api.issue(course["uuid"], unique_email())
    path = f"/api/v1/credentials/{issued['uuid']}"
    assert api.post(f"{path}/unsuspend").status_code == 409
    suspended = api.post(f"{path}/suspend", json={"reason": "이의 신청 검토 중"})
    assert suspended.json is not None
    assert suspended.json["status"] == "suspended"
    bits, index = _status_bits(api, issued["credential"], "suspension")
    assert bits.get(index)
    assert api.post(f"{path}/suspend", json={"reason": "twice"}).status_code == 409
    lifted = api.post(f"{path}/unsuspend")
    assert lifted.json is not None
    assert lifted.json["status"] == "active"
    bits, index = _status_bits(api, issued["credential"], "suspension")
    assert not bits.get(index)
    revocation, rindex = _status_bits(api, issued["credential"], "revocation")
    assert not revocation.get(rindex)


def test_learner_credentials_by_email_subject_id_or_uuid(
    api: Api, other_api: Api, course: dict[str, Any]
) -> None:
    """A learner's credentials from this issuer, found three ways; other issuers' stay hidden."""
    email = unique_email("history")
    first = api.issue(course["uuid"], email)
    second_course = api.achievement("SQL 기초")
    second = api.issue(second_course["uuid"], email)
    subject_id = first["credential"]["credentialSubject"]["id"]
    for ref in (email, subject_id, subject_id.removeprefix("urn:uuid:")):
        response = api.get(f"/api/v1/learners/{percent(ref)}/credentials")
        assert response.status_code == 200, ref
        body = response.json
        assert body is not None
        assert body["learnerId"] == subject_id
        assert {c["uuid"] for c in body["credentials"]} == {first["uuid"], second["uuid"]}
    # Issuer B has issued nothing to this learner: it cannot learn that they exist.
    assert other_api.get(f"/api/v1/learners/{percent(email)}/credentials").status_code == 404
    assert api.get(f"/api/v1/learners/{percent(unique_email())}/credentials").status_code == 404
