"""The ``issuer-certification`` check: a certifier's EndorsementCredential about the issuer.

Each scenario issues a real badge and a real certification endorsement (with its own
revocation status entry and validity period) with our badges package and real keys; the
network is the world's DictFetcher. Only a certification that verifies in full, from a
trusted certifier, about the badge's issuer, is ``certified``; none changes the badge's
own verdict.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from badges import build_endorsement, sign_credential, status_entry
from tests.verify.conftest import BASE_URL, ISSUED, NOW, Issuer, World
from verify import (
    CertificationState,
    CheckStatus,
    Verdict,
    verify_certification,
    verify_credential,
)

CERT_INDEX = 777


def certification(
    world: World,
    certifier: Issuer,
    subject_id: str,
    *,
    valid_until: datetime | None = NOW + timedelta(days=365),
    signer: Issuer | None = None,
) -> dict[str, Any]:
    """A certification as the platform issues it: revocable, with a validity period."""
    unsigned = build_endorsement(
        credential_id=f"{BASE_URL}/certifications/{certifier.slug}-{subject_id[-6:]}",
        issuer=certifier.profile,
        subject_id=subject_id,
        name="디지털 리더스 클럽 인증 · Digital Leaders Club certification",
        now=ISSUED,
        comment="우수 교육기관 · An outstanding training provider",
    ).to_json()
    if valid_until is not None:
        unsigned["validUntil"] = valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
    unsigned["credentialStatus"] = status_entry(
        certifier.status_url("revocation"), CERT_INDEX, "revocation"
    ).to_json()
    key = (signer or certifier).ed25519
    signed = sign_credential(
        unsigned,
        proof_signer=key,
        now=ISSUED,
        verification_method=(signer or certifier).proof_method,
    )
    world.publish_status(certifier)
    return signed.credential


@pytest.fixture
def platform(world: World) -> Issuer:
    """The certifying body (the platform's identity)."""
    return world.issuer("platform", "Baeji 배지")


def _badge(world: World, hanbit: Issuer) -> dict[str, Any]:
    credential, _ = world.issue(hanbit)
    return credential


def test_a_current_certification_is_certified(
    world: World, hanbit: Issuer, platform: Issuer
) -> None:
    """A valid certification by the trusted certifier about the badge's issuer: certified."""
    badge = _badge(world, hanbit)
    cert = certification(world, platform, hanbit.did)
    report = verify_credential(
        badge,
        now=NOW,
        fetcher=world.fetcher(),
        certifiers=[platform.did],
        certifications=[cert],
    )
    check = report.check("issuer-certification")
    assert report.verdict is Verdict.VALID
    assert check.status is CheckStatus.PASSED
    assert check.code == "certified"
    assert check.details["state"] == "certified"
    assert check.details["issuer"] == platform.did
    assert "Digital Leaders Club" in check.message("en")
    assert "인증한 발급기관" in check.message("ko")
    assert check.title("ko") == "발급기관 인증"
    assert [c.role for c in report.children] == ["certification"]
    assert report.children[0].verdict is Verdict.VALID


def test_standalone_api_gives_the_same_answer(
    world: World, hanbit: Issuer, platform: Issuer
) -> None:
    """verify_certification checks a profile id directly (a provider's page has no badge)."""
    cert = certification(world, platform, hanbit.did)
    found = verify_certification(
        [cert], subject_id=hanbit.did, certifiers={platform.did}, now=NOW, fetcher=world.fetcher()
    )
    assert found.state is CertificationState.CERTIFIED
    assert found.certified
    assert found.endorsement is not None
    assert found.endorsement["id"] == cert["id"]


def test_embedded_in_the_issuer_profile(world: World, hanbit: Issuer, platform: Issuer) -> None:
    """A certification embedded in the badge's issuer profile is found without being handed in."""
    cert = certification(world, platform, hanbit.did)
    document = world.credential(hanbit)
    document["issuer"]["endorsement"] = [cert]
    badge, _ = world.sign(hanbit, document)
    world.publish_status(hanbit)
    report = verify_credential(badge, now=NOW, fetcher=world.fetcher(), certifiers=[platform.did])
    assert report.check("issuer-certification").code == "certified"


def test_expired_is_not_current(world: World, hanbit: Issuer, platform: Issuer) -> None:
    """Past validUntil: expired, and the badge stays valid."""
    badge = _badge(world, hanbit)
    cert = certification(world, platform, hanbit.did, valid_until=NOW - timedelta(days=1))
    report = verify_credential(
        badge, now=NOW, fetcher=world.fetcher(), certifiers=[platform.did], certifications=[cert]
    )
    check = report.check("issuer-certification")
    assert report.verdict is Verdict.VALID
    assert check.status is CheckStatus.FAILED
    assert check.code == "certification-expired"
    assert check.details["state"] == "expired"
    assert "expired" in check.message("en")
    assert "만료" in check.message("ko")


def test_revoked_is_not_current(world: World, hanbit: Issuer, platform: Issuer) -> None:
    """The certifier set the certification's revocation bit: revoked."""
    badge = _badge(world, hanbit)
    cert = certification(world, platform, hanbit.did)
    platform.revocations.set(CERT_INDEX)
    world.publish_status(platform)
    report = verify_credential(
        badge, now=NOW, fetcher=world.fetcher(), certifiers=[platform.did], certifications=[cert]
    )
    check = report.check("issuer-certification")
    assert report.verdict is Verdict.VALID
    assert check.code == "certification-revoked"
    assert "취소" in check.message("ko")


def test_signed_by_a_providers_key_is_invalid(
    world: World, hanbit: Issuer, platform: Issuer
) -> None:
    """A provider forging the platform's certification with its own key: invalid."""
    badge = _badge(world, hanbit)
    cert = certification(world, platform, hanbit.did, signer=hanbit)
    report = verify_credential(
        badge, now=NOW, fetcher=world.fetcher(), certifiers=[platform.did], certifications=[cert]
    )
    check = report.check("issuer-certification")
    assert check.code == "certification-invalid"
    assert check.details["state"] == "invalid"
    assert report.verdict is Verdict.VALID


def test_about_another_issuer_is_invalid(world: World, hanbit: Issuer, platform: Issuer) -> None:
    """A genuine certification of another provider does not certify this one."""
    badge = _badge(world, hanbit)
    other = world.issuer("mallory", "Mallory")
    cert = certification(world, platform, other.did)
    report = verify_credential(
        badge, now=NOW, fetcher=world.fetcher(), certifiers=[platform.did], certifications=[cert]
    )
    check = report.check("issuer-certification")
    assert check.code == "certification-invalid"
    assert check.details["reason"] == "certification-wrong-subject"


def test_self_certification_is_ignored(world: World, hanbit: Issuer, platform: Issuer) -> None:
    """An endorsement the provider issued about itself is no certification at all."""
    badge = _badge(world, hanbit)
    own = world.endorsement(hanbit, hanbit.did)
    report = verify_credential(
        badge, now=NOW, fetcher=world.fetcher(), certifiers=[platform.did], certifications=[own]
    )
    check = report.check("issuer-certification")
    assert check.status is CheckStatus.SKIPPED
    assert check.code == "no-certification"
    assert check.details["ignored"] == 1
    assert not report.children


def test_a_current_one_wins_over_an_expired_one(
    world: World, hanbit: Issuer, platform: Issuer
) -> None:
    """Re-certified after an expiry: the current certification is what counts."""
    badge = _badge(world, hanbit)
    old = certification(world, platform, hanbit.did, valid_until=NOW - timedelta(days=30))
    new = certification(world, platform, hanbit.did)
    report = verify_credential(
        badge,
        now=NOW,
        fetcher=world.fetcher(),
        certifiers=[platform.did],
        certifications=[old, new],
    )
    assert report.check("issuer-certification").code == "certified"


def test_unreachable_status_list_is_unverifiable(
    world: World, hanbit: Issuer, platform: Issuer
) -> None:
    """Without its status list a certification is never reported as current (fail closed)."""
    badge = _badge(world, hanbit)
    cert = certification(world, platform, hanbit.did)
    del world.documents[platform.status_url("revocation")]
    fetcher = world.fetcher()
    report = verify_credential(
        badge, now=NOW, fetcher=fetcher, certifiers=[platform.did], certifications=[cert]
    )
    check = report.check("issuer-certification")
    assert check.status is CheckStatus.ERROR
    assert check.code == "certification-unverifiable"
    assert report.verdict is Verdict.VALID


def test_a_forged_badge_gets_no_certification(
    world: World, hanbit: Issuer, platform: Issuer
) -> None:
    """A badge whose proof fails names an issuer it cannot speak for: nothing is looked up."""
    badge = _badge(world, hanbit)
    badge["name"] = "변조된 배지"
    cert = certification(world, platform, hanbit.did)
    report = verify_credential(
        badge, now=NOW, fetcher=world.fetcher(), certifiers=[platform.did], certifications=[cert]
    )
    assert report.verdict is Verdict.INVALID
    assert report.check("issuer-certification").code == "authenticity-not-established"


def test_not_requested_by_default(world: World, hanbit: Issuer) -> None:
    """Without certifiers the check is not applicable, in both languages."""
    report = verify_credential(_badge(world, hanbit), now=NOW, fetcher=world.fetcher())
    check = report.check("issuer-certification")
    assert check.code == "certification-not-requested"
    assert check.status_label("en") == "not applicable"
    assert check.message("ko")
    assert report.to_dict("ko")["checks"][-1]["id"] == "issuer-certification"
