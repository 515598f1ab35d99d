"""Key rotation and compromise: old badges keep verifying after a rotation, not after a leak."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from issuer import db, settings_of
from issuer.caches import BoundedCache
from issuer.issuers import signing
from issuer.models import AuditEvent, SigningKey
from keys import KeyType
from tests.issuer.conftest import Api, ClientFetcher, create_tenant, settle_jobs, unique_email
from verify import Verdict, verify_credential

DID = "did:web:badges.example.kr:issuers:{slug}"


def _rotate(
    app: Flask, slug: str, *, compromised: bool = False, key_type: KeyType | None = None
) -> list[str]:
    conf = settings_of(app)
    with db.new_session(db.engine_of(app)) as session:
        from issuer.issuers.service import issuer_by_slug

        issuer = issuer_by_slug(session, slug)
        with db.write_transaction(session):
            created = signing.rotate_keys(
                db.Work(session, conf, conf.clock(), "test", issuer),
                key_types=[key_type] if key_type else signing.ISSUER_KEY_TYPES,
                compromised=compromised,
            )
        return [row.key_id for row in created]


def _verdict(client: FlaskClient, source: str | bytes | dict[str, Any]) -> Verdict:
    return verify_credential(source, now=datetime.now(UTC), fetcher=ClientFetcher(client)).verdict


def test_rotation_keeps_old_badges_valid_and_signs_new_ones_with_the_new_key(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    """After a rotation, old and new credentials verify; new ones use key-3 and key-4."""
    tenant = create_tenant(app, "rotate", "회전 아카데미")
    api = Api(client, tenant)
    course = api.achievement()
    old = api.issue(course["uuid"], unique_email())
    created = _rotate(app, "rotate")
    did = DID.format(slug="rotate")
    assert created == [f"{did}#key-3", f"{did}#key-4"]
    new = api.issue(course["uuid"], unique_email())
    assert new["credential"]["proof"][0]["verificationMethod"] == f"{did}#key-3"
    assert json.loads(_b64(new["jwt"].split(".")[0]))["kid"] == f"{did}#key-4"
    assert _verdict(client, old["jwt"]) is Verdict.VALID
    assert _verdict(client, old["credential"]) is Verdict.VALID
    assert _verdict(client, new["jwt"]) is Verdict.VALID
    document = client.get("/issuers/rotate/did.json").json
    assert document is not None
    ids = {m["id"] for m in document["verificationMethod"]}
    assert {f"{did}#key-1", f"{did}#key-2", f"{did}#key-3", f"{did}#key-4"} <= ids
    states = {
        row.key_id: row.state
        for row in session.exec(
            select(SigningKey).where(col(SigningKey.key_id).startswith(did))
        ).all()
    }
    assert states == {
        f"{did}#key-1": "retired",
        f"{did}#key-2": "retired",
        f"{did}#key-3": "active",
        f"{did}#key-4": "active",
    }


def test_compromised_key_stops_verifying(app: Flask, client: FlaskClient, session: Session) -> None:
    """A compromised key leaves assertionMethod (listed as revoked); what it signed fails."""
    tenant = create_tenant(app, "leaked", "유출 아카데미")
    api = Api(client, tenant)
    course = api.achievement()
    old = api.issue(course["uuid"], unique_email())
    _rotate(app, "leaked", compromised=True)
    did = DID.format(slug="leaked")
    document = client.get("/issuers/leaked/did.json").json
    assert document is not None
    # Issue 11 changed this deliberately: the compromised keys stay listed under
    # verificationMethod with "revoked" (so verifiers can say the key was compromised),
    # and under no relationship, so nothing verifies with them.
    revoked = {m["id"] for m in document["verificationMethod"] if m.get("revoked")}
    assert {f"{did}#key-1", f"{did}#key-1-jwk", f"{did}#key-2"} <= revoked
    for relationship in ("assertionMethod", "authentication"):
        assert not revoked & set(document[relationship])
    jwks = client.get("/issuers/leaked/jwks.json").json
    assert jwks is not None
    assert {k["kid"] for k in jwks["keys"]} == {f"{did}#key-3-jwk", f"{did}#key-4"}
    assert _verdict(client, old["credential"]) is Verdict.INVALID
    assert _verdict(client, old["jwt"]) is Verdict.INVALID
    for form in (old["credential"], old["jwt"]):
        report = verify_credential(form, now=datetime.now(UTC), fetcher=ClientFetcher(client))
        assert report.check("key").code == "key-compromised"
        assert "유출되었다고 신고했습니다" in report.check("key").message("ko")
    # The page says exactly that, and neither "registered" nor "not registered".
    page = client.post(
        "/verify",
        data={"text": json.dumps(old["credential"], ensure_ascii=False)},
        headers={"Accept-Language": "ko"},
    ).get_data(as_text=True)
    assert 'data-issuer-mark="key-compromised"' in page
    assert "이 배지에 서명한 키가 유출되었다고 신고했습니다" in page
    assert "새로 발급된 배지를 요청하세요" in page
    assert 'data-issuer-mark="registered"' not in page
    assert "이 플랫폼에 등록되지 않은 발급자" not in page
    assert 'data-verified="no"' in page
    # The status lists were re-signed with the new key, so new badges are fully valid.
    new = api.issue(course["uuid"], unique_email())
    assert _verdict(client, new["jwt"]) is Verdict.VALID
    actions = [
        e.action
        for e in session.exec(
            select(AuditEvent).where(AuditEvent.issuer_id == tenant.issuer.pk)
        ).all()
    ]
    assert actions.count("key.compromise") == 2
    assert actions.count("key.rotate") == 2


def test_compromising_a_retired_key_only_unpublishes_it(app: Flask, client: FlaskClient) -> None:
    """Marking an already retired key compromised creates no new key."""
    tenant = create_tenant(app, "retired", "은퇴 아카데미")
    _rotate(app, "retired", key_type=KeyType.RSA)
    did = DID.format(slug="retired")
    conf = settings_of(app)
    with db.new_session(db.engine_of(app)) as session, db.write_transaction(session):
        created = signing.compromise_key(
            db.Work(session, conf, conf.clock(), "test", tenant.issuer), f"{did}#key-2"
        )
    assert created == []
    jwks = client.get("/issuers/retired/jwks.json").json
    assert jwks is not None
    assert {k["kid"] for k in jwks["keys"]} == {f"{did}#key-1-jwk", f"{did}#key-3"}


def test_private_keys_are_sealed_at_rest(app: Flask, session: Session) -> None:
    """Stored private keys open only with the master key and the key's own id."""
    rows = session.exec(select(SigningKey)).all()
    conf = settings_of(app)
    for row in rows[:2]:
        assert row.sealed.startswith(b"BK1")
        signer = conf.master_key.unseal(row.sealed, row.key_id)
        assert signer.public_key.to_jwk()["kty"] == json.loads(row.public_jwk)["kty"]
        assert b"PRIVATE KEY" not in row.sealed


def _b64(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def test_a_rotation_by_another_worker_reaches_this_one_at_once(
    app: Flask, client: FlaskClient
) -> None:
    """Unsealed keys are kept per worker, yet a compromise made by another worker (its own
    settings and cache) makes this worker's next issuance use the new keys."""
    tenant = create_tenant(app, "two-workers", "두 일꾼 아카데미")
    api = Api(client, tenant)
    course = api.achievement()
    did = DID.format(slug="two-workers")
    first = api.issue(course["uuid"], unique_email())
    assert first["credential"]["proof"][0]["verificationMethod"] == f"{did}#key-1"
    conf = settings_of(app)
    # The learner-record jobs an issuance starts sign with the platform's keys, which are
    # kept too: count once they are done.
    settle_jobs(app)
    cached = len(conf.signer_cache)
    assert cached >= 1
    again = api.issue(course["uuid"], unique_email())
    assert again["credential"]["proof"][0]["verificationMethod"] == f"{did}#key-1"
    settle_jobs(app)
    assert len(conf.signer_cache) == cached  # the second issuance reused the unsealed keys
    other_worker = dataclasses.replace(conf, signer_cache=BoundedCache(4, 60.0))
    with db.new_session(db.engine_of(app)) as session, db.write_transaction(session):
        signing.compromise_key(
            db.Work(session, other_worker, conf.clock(), "test", tenant.issuer), f"{did}#key-1"
        )
    new = api.issue(course["uuid"], unique_email())
    assert new["credential"]["proof"][0]["verificationMethod"] == f"{did}#key-3"
    assert _verdict(client, new["jwt"]) is Verdict.VALID
    assert _verdict(client, first["credential"]) is Verdict.INVALID


def test_unsealed_keys_are_kept_for_a_bounded_time_and_number() -> None:
    """The per-worker cache drops the least recently used entry when full, and any entry
    once its time is up."""
    now = [0.0]
    cache: BoundedCache[str] = BoundedCache(2, 300.0, timer=lambda: now[0])
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"
    cache.put("c", "C")
    assert len(cache) == 2
    assert cache.get("b") is None
    assert cache.get_or_make("a", lambda: "new") == "A"
    now[0] = 301.0
    assert cache.get("a") is None
    assert cache.get_or_make("a", lambda: "new") == "new"
    cache.clear()
    assert len(cache) == 0
