"""One credential per scenario, issued by our own badges package with real keys.

A single parametrized test maps each scenario to its verdict and to the checks that decide
it, as verifier-core does with its fixtures. The network is a DictFetcher holding exactly
what the issuers publish.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from badges.proof import create_proof
from keys import b64url_encode
from tests.verify.conftest import ISSUED, LEARNER_EMAIL, NOW, World
from verify import CheckStatus, DictFetcher, Verdict, verify_credential

PASSED, FAILED, SKIPPED, ERROR = (
    CheckStatus.PASSED,
    CheckStatus.FAILED,
    CheckStatus.SKIPPED,
    CheckStatus.ERROR,
)


@dataclass
class Scenario:
    """What to verify, and what the network holds."""

    source: Any
    fetcher: DictFetcher
    email: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _valid(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛 디지털 혁신 아카데미")
    credential, _ = world.issue(issuer)
    return Scenario(credential, world.fetcher(), email=LEARNER_EMAIL)


def _valid_jwt(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛 디지털 혁신 아카데미")
    _, token = world.issue(issuer)
    return Scenario(token, world.fetcher())


def _expired(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    credential, _ = world.issue(issuer, valid_until=NOW - timedelta(days=10))
    return Scenario(credential, world.fetcher())


def _not_yet_valid(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    credential, _ = world.issue(issuer, valid_from=NOW + timedelta(days=10))
    return Scenario(credential, world.fetcher())


def _within_skew(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    credential, _ = world.issue(issuer, valid_until=NOW - timedelta(minutes=2))
    return Scenario(credential, world.fetcher())


def _revoked(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    issuer.revocations.set(48213)
    credential, _ = world.issue(issuer, index=48213)
    return Scenario(credential, world.fetcher())


def _suspended(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    issuer.suspensions.set(777)
    credential, _ = world.issue(issuer, index=777)
    return Scenario(credential, world.fetcher())


def _tampered(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    credential, _ = world.issue(issuer)
    achievement = credential["credentialSubject"]["achievement"]
    achievement["name"] = achievement["name"].replace("기초", "심화", 1)
    return Scenario(credential, world.fetcher())


def _tampered_jwt(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    _, token = world.issue(issuer)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["achievement"]["name"] += "!"
    forged = b64url_encode(json.dumps(claims, ensure_ascii=False).encode())
    return Scenario(f"{header}.{forged}.{signature}", world.fetcher())


def _signed_by_another_key(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    mallory = world.issuer("mallory", "Mallory")
    credential, _ = world.sign(
        issuer,
        world.credential(issuer),
        proof_signer=mallory.ed25519.with_key_id(issuer.proof_method),
    )
    world.publish_status(issuer)
    return Scenario(credential, world.fetcher())


def _key_not_controlled(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    mallory = world.issuer("mallory", "Mallory")
    credential, _ = world.sign(
        issuer,
        world.credential(issuer),
        proof_signer=mallory.ed25519,
        verification_method=mallory.proof_method,
    )
    world.publish_status(issuer)
    return Scenario(credential, world.fetcher())


def _unknown_issuer(world: World) -> Scenario:
    ghost = world.issuer("ghost", "Ghost Academy", keys="mallory")
    credential, _ = world.issue(ghost)
    del world.documents[f"https://badges.example.kr/issuers/{ghost.slug}/did.json"]
    return Scenario(credential, world.fetcher())


def _unsupported_cryptosuite(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    credential, _ = world.issue(issuer)
    credential["proof"][0]["cryptosuite"] = "ecdsa-rdfc-2019"
    return Scenario(credential, world.fetcher())


def _jcs_signed(world: World, *, tamper: bool = False) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    document = world.credential(issuer)
    proof = create_proof(
        document,
        issuer.ed25519,
        now=ISSUED,
        verification_method=issuer.proof_method,
        cryptosuite="eddsa-jcs-2022",
    )
    credential = {**document, "proof": [proof]}
    if tamper:
        # A member no context defines: RDFC would drop it, JCS signs it.
        credential["비고"] = "나중에 추가됨"
    world.publish_status(issuer)
    return Scenario(credential, world.fetcher())


def _did_key_without_fragment(world: World) -> Scenario:
    issuer = world.did_key_issuer("hanbit")
    # Digital Bazaar and DCC refuse a did:key reference without its #fragment: it names
    # the DID, not a verification method the DID document lists.
    credential, _ = world.sign(issuer, world.credential(issuer), verification_method=issuer.did)
    world.publish_status(issuer)
    return Scenario(credential, world.fetcher())


def _alg_none(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    _, token = world.issue(issuer)
    payload = token.split(".")[1]
    header = b64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return Scenario(f"{header}.{payload}.", world.fetcher())


def _jwk_only_in_credential(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    mallory = world.issuer("mallory", "Mallory")
    credential = world.credential(issuer)
    world.publish_status(issuer)
    claims = {
        **credential,
        "iss": issuer.did,
        "jti": credential["id"],
        "nbf": int((NOW - timedelta(days=30)).timestamp()),
    }
    jwk = {k: v for k, v in mallory.rsa.public_key.to_jwk().items() if k != "kid"}
    header = {"alg": "RS256", "typ": "JWT", "jwk": jwk}
    signing_input = (
        b64url_encode(json.dumps(header).encode())
        + "."
        + b64url_encode(json.dumps(claims, ensure_ascii=False).encode())
    )
    signature = b64url_encode(mallory.rsa.sign(signing_input.encode()))
    return Scenario(f"{signing_input}.{signature}", world.fetcher())


def _status_list_unreachable(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    credential, _ = world.issue(issuer)
    del world.documents[issuer.status_url("revocation")]
    return Scenario(credential, world.fetcher())


def _status_list_by_someone_else(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    mallory = world.issuer("mallory", "Mallory")
    credential, _ = world.issue(issuer)
    world.publish_status(issuer, signer=mallory.ed25519, list_issuer=mallory.did)
    return Scenario(credential, world.fetcher())


def _status_list_forged_signature(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    mallory = world.issuer("mallory", "Mallory")
    credential, _ = world.issue(issuer)
    # The list claims the right issuer but is signed with a key the issuer does not control.
    world.publish_status(issuer, signer=mallory.ed25519)
    return Scenario(credential, world.fetcher())


def _status_list_expired(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    credential, _ = world.issue(issuer)
    world.publish_status(issuer, valid_until=NOW - timedelta(days=1))
    return Scenario(credential, world.fetcher())


def _clr_with_revoked_inner(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    platform = world.issuer("platform", "배지 플랫폼")
    issuer.revocations.set(2002)
    first, _ = world.issue(issuer, index=1001, name="데이터 분석 기초")
    second, _ = world.issue(issuer, index=2002, name="클라우드 입문")
    clr = world.clr(platform, [first, second])
    return Scenario(clr, world.fetcher())


def _clr_valid(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    platform = world.issuer("platform", "배지 플랫폼")
    first, _ = world.issue(issuer, index=1001)
    second, _ = world.issue(issuer, index=2002)
    return Scenario(world.clr(platform, [first, second]), world.fetcher())


def _recipient_mismatch(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    credential, _ = world.issue(issuer)
    return Scenario(credential, world.fetcher(), email="someone.else@example.com")


def _undefined_term_added(world: World) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    credential, _ = world.issue(issuer)
    # RDFC drops terms no context defines, so the proof alone would still verify.
    credential["grade"] = "A+"
    return Scenario(credential, world.fetcher())


def _did_key_issuer(world: World) -> Scenario:
    issuer = world.did_key_issuer("hanbit")
    document = world.credential(issuer)
    credential, _ = world.sign(issuer, document)
    world.publish_status(issuer)
    return Scenario(credential, world.fetcher())


def _with_endorsement(world: World, *, expired: bool = False) -> Scenario:
    issuer = world.issuer("hanbit", "한빛")
    endorser = world.issuer("endorser", "한국디지털교육협회")
    endorsement = world.endorsement(
        endorser, issuer.did, valid_until=NOW - timedelta(days=1) if expired else None
    )
    document = world.credential(issuer)
    document["endorsement"] = [endorsement]
    credential, _ = world.sign(issuer, document)
    world.publish_status(issuer)
    return Scenario(credential, world.fetcher())


SCENARIOS: list[
    tuple[str, Callable[[World], Scenario], Verdict, dict[str, tuple[CheckStatus, str]]]
]
SCENARIOS = [
    (
        "valid",
        _valid,
        Verdict.VALID,
        {
            "input": (PASSED, "input-json"),
            "structure": (PASSED, "structure-ok"),
            "json-ld": (PASSED, "json-ld-ok"),
            "issuer": (PASSED, "issuer-resolved"),
            "key": (PASSED, "key-controlled"),
            "proof": (PASSED, "proof-verified"),
            "jwt": (SKIPPED, "jwt-not-present"),
            "status": (PASSED, "status-lists-verified"),
            "revocation": (PASSED, "not-revoked"),
            "suspension": (PASSED, "not-suspended"),
            "validity-window": (PASSED, "valid-without-end"),
            "recipient": (PASSED, "recipient-matched"),
            "endorsements": (SKIPPED, "no-endorsements"),
            "embedded-credentials": (SKIPPED, "not-a-clr"),
        },
    ),
    (
        "valid-vc-jwt",
        _valid_jwt,
        Verdict.VALID,
        {
            "input": (PASSED, "input-jwt"),
            "proof": (PASSED, "proof-verified"),
            "jwt": (PASSED, "jwt-verified"),
            "key": (PASSED, "key-controlled"),
        },
    ),
    (
        "expired",
        _expired,
        Verdict.EXPIRED,
        {"validity-window": (FAILED, "expired"), "proof": (PASSED, "proof-verified")},
    ),
    (
        "not-yet-valid",
        _not_yet_valid,
        Verdict.NOT_YET_VALID,
        {"validity-window": (FAILED, "not-yet-valid")},
    ),
    (
        "expired-within-clock-skew",
        _within_skew,
        Verdict.VALID,
        {"validity-window": (PASSED, "within-validity-period")},
    ),
    (
        "revoked",
        _revoked,
        Verdict.REVOKED,
        {"revocation": (FAILED, "revoked"), "suspension": (PASSED, "not-suspended")},
    ),
    (
        "suspended",
        _suspended,
        Verdict.SUSPENDED,
        {"suspension": (FAILED, "suspended"), "revocation": (PASSED, "not-revoked")},
    ),
    (
        "tampered",
        _tampered,
        Verdict.INVALID,
        {"proof": (FAILED, "invalid-proof"), "status": (SKIPPED, "authenticity-not-established")},
    ),
    (
        "tampered-vc-jwt",
        _tampered_jwt,
        Verdict.INVALID,
        {"jwt": (FAILED, "invalid-jwt-signature"), "proof": (FAILED, "invalid-proof")},
    ),
    (
        "signed-by-another-key",
        _signed_by_another_key,
        Verdict.INVALID,
        {"key": (PASSED, "key-controlled"), "proof": (FAILED, "invalid-proof")},
    ),
    (
        "key-not-controlled-by-issuer",
        _key_not_controlled,
        Verdict.INVALID,
        {"key": (FAILED, "key-not-controlled"), "proof": (SKIPPED, "proof-not-checked")},
    ),
    (
        "unknown-issuer",
        _unknown_issuer,
        Verdict.INVALID,
        {"issuer": (FAILED, "unknown-issuer"), "key": (SKIPPED, "issuer-not-resolved")},
    ),
    (
        # Issue 11: a suite we do not implement is "unverifiable" (was "invalid").
        "unsupported-cryptosuite",
        _unsupported_cryptosuite,
        Verdict.UNVERIFIABLE,
        {"proof": (ERROR, "unsupported-cryptosuite"), "issuer": (SKIPPED, "no-proof-to-check")},
    ),
    (
        "eddsa-jcs-2022",
        _jcs_signed,
        Verdict.VALID,
        {
            "proof": (PASSED, "proof-verified"),
            "json-ld": (SKIPPED, "json-ld-not-needed-jcs"),
            "revocation": (PASSED, "not-revoked"),
        },
    ),
    (
        "eddsa-jcs-2022-tampered",
        lambda world: _jcs_signed(world, tamper=True),
        Verdict.INVALID,
        {"proof": (FAILED, "invalid-proof")},
    ),
    (
        "did-key-method-without-fragment",
        _did_key_without_fragment,
        Verdict.INVALID,
        {"key": (FAILED, "key-reference-inexact")},
    ),
    (
        "alg-none",
        _alg_none,
        Verdict.INVALID,
        {"jwt": (FAILED, "unsupported-algorithm"), "proof": (PASSED, "proof-verified")},
    ),
    (
        "jwk-only-in-credential",
        _jwk_only_in_credential,
        Verdict.INVALID,
        {"key": (FAILED, "key-only-in-credential"), "jwt": (SKIPPED, "jwt-not-checked")},
    ),
    (
        "status-list-unreachable",
        _status_list_unreachable,
        Verdict.UNVERIFIABLE,
        {
            "status": (ERROR, "status-list-unreachable"),
            "revocation": (ERROR, "status-unknown"),
            "suspension": (PASSED, "not-suspended"),
        },
    ),
    (
        "status-list-signed-by-someone-else",
        _status_list_by_someone_else,
        Verdict.UNVERIFIABLE,
        {"status": (ERROR, "status-list-wrong-issuer"), "revocation": (ERROR, "status-unknown")},
    ),
    (
        "status-list-forged-signature",
        _status_list_forged_signature,
        Verdict.UNVERIFIABLE,
        {"status": (ERROR, "status-list-invalid"), "suspension": (ERROR, "status-unknown")},
    ),
    (
        "status-list-expired",
        _status_list_expired,
        Verdict.UNVERIFIABLE,
        {"status": (ERROR, "status-list-invalid")},
    ),
    (
        # Issue 11: the record's verdict is its own; the revoked badge is listed, not blanket.
        "clr-with-one-revoked-inner-badge",
        _clr_with_revoked_inner,
        Verdict.VALID,
        {
            "proof": (PASSED, "proof-verified"),
            "structure": (PASSED, "structure-ok-clr"),
            "embedded-credentials": (FAILED, "embedded-not-valid"),
        },
    ),
    (
        "clr-valid",
        _clr_valid,
        Verdict.VALID,
        {"embedded-credentials": (PASSED, "embedded-valid")},
    ),
    (
        "recipient-mismatch",
        _recipient_mismatch,
        Verdict.RECIPIENT_MISMATCH,
        {"recipient": (FAILED, "recipient-mismatch"), "proof": (PASSED, "proof-verified")},
    ),
    (
        "undefined-term-added-after-signing",
        _undefined_term_added,
        Verdict.INVALID,
        {"json-ld": (FAILED, "undefined-term"), "proof": (PASSED, "proof-verified")},
    ),
    (
        "did-key-issuer",
        _did_key_issuer,
        Verdict.VALID,
        {"issuer": (PASSED, "issuer-resolved"), "revocation": (PASSED, "not-revoked")},
    ),
    (
        "valid-endorsement",
        _with_endorsement,
        Verdict.VALID,
        {"endorsements": (PASSED, "endorsements-valid")},
    ),
    (
        "expired-endorsement-does-not-change-the-verdict",
        lambda world: _with_endorsement(world, expired=True),
        Verdict.VALID,
        {"endorsements": (FAILED, "endorsements-not-valid")},
    ),
]


@pytest.mark.parametrize(
    ("make", "verdict", "expected"),
    [pytest.param(make, verdict, expected, id=name) for name, make, verdict, expected in SCENARIOS],
)
def test_scenario(
    world: World,
    make: Callable[[World], Scenario],
    verdict: Verdict,
    expected: dict[str, tuple[CheckStatus, str]],
) -> None:
    """Each scenario gets its verdict, and the deciding checks their status and code."""
    scenario = make(world)
    report = verify_credential(
        scenario.source, now=NOW, fetcher=scenario.fetcher, email=scenario.email
    )
    got = {
        check_id: (report.check(check_id).status, report.check(check_id).code)
        for check_id in expected
    }
    assert (report.verdict, got) == (verdict, expected), json.dumps(
        report.to_dict(), ensure_ascii=False, indent=1
    )


def test_clr_children_carry_each_inner_verdict(world: World) -> None:
    """The CLR report has one sub-report per embedded badge, the revoked one marked revoked."""
    scenario = _clr_with_revoked_inner(world)
    report = verify_credential(scenario.source, now=NOW, fetcher=scenario.fetcher)
    assert [child.verdict for child in report.children] == [Verdict.VALID, Verdict.REVOKED]
    assert {child.role for child in report.children} == {"embedded-credential"}
    assert report.check("embedded-credentials").details["summary"] == ["revoked"]


def test_endorsement_sub_report(world: World) -> None:
    """An embedded endorsement is verified with its own issuer's key, in its own sub-report."""
    scenario = _with_endorsement(world)
    report = verify_credential(scenario.source, now=NOW, fetcher=scenario.fetcher)
    (child,) = report.children
    assert child.role == "endorsement"
    assert child.verdict is Verdict.VALID
    assert child.check("issuer").details["issuer"].endswith(":issuers:endorser")
    assert child.check("recipient").status is SKIPPED


def test_each_document_is_fetched_once(world: World) -> None:
    """A CLR of two badges from one issuer fetches its DID document and lists only once."""
    scenario = _clr_valid(world)
    verify_credential(scenario.source, now=NOW, fetcher=scenario.fetcher)
    assert len(scenario.fetcher.requests) == len(set(scenario.fetcher.requests))


def test_nothing_is_fetched_for_a_tampered_credential_status(world: World) -> None:
    """Status lists are fetched only once the credential's signature is established."""
    scenario = _tampered(world)
    verify_credential(scenario.source, now=NOW, fetcher=scenario.fetcher)
    assert not [url for url in scenario.fetcher.requests if "/status/" in url]


def test_clock_skew_is_configurable(world: World) -> None:
    """With no clock skew allowed, a credential expired two minutes ago is expired."""
    scenario = _within_skew(world)
    report = verify_credential(
        scenario.source, now=NOW, fetcher=scenario.fetcher, clock_skew=timedelta(0)
    )
    assert report.verdict is Verdict.EXPIRED
