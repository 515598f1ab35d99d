"""Nested credentials: CLR members of every kind, nesting limits, endorsements on achievements."""

from __future__ import annotations

from typing import Any

from badges import add_proof
from tests.verify.conftest import ISSUED, NOW, Issuer, World
from verify import CheckStatus, DictFetcher, Verdict, verify_credential


def _verify(world: World, source: Any) -> Any:
    return verify_credential(source, now=NOW, fetcher=DictFetcher(world.documents))


def _clr_raw(world: World, platform: Issuer, members: list[Any]) -> dict[str, Any]:
    """A CLR whose members are taken as given (signed without the issuer-side checks)."""
    unsigned = world.clr(platform, [{}])
    unsigned.pop("proof")
    unsigned["credentialSubject"]["verifiableCredential"] = members
    return add_proof(
        unsigned, platform.ed25519, now=ISSUED, verification_method=platform.proof_method
    )


def test_clr_member_that_is_not_a_credential(world: World, hanbit: Issuer) -> None:
    """A CLR member that is neither an object nor a JWT gets an invalid sub-report."""
    platform = world.issuer("platform", "플랫폼")
    credential, _ = world.issue(hanbit)
    clr = _clr_raw(world, platform, [credential, "urn:uuid:not-a-credential"])
    report = _verify(world, clr)
    assert [child.verdict for child in report.children] == [Verdict.VALID, Verdict.INVALID]
    assert report.children[1].check("input").code == "embedded-not-a-credential"
    assert report.check("embedded-credentials").details["verdict"] == "invalid"
    # Issue 11: the record's verdict is its own (its proof verified); the member's is listed.
    assert report.verdict is Verdict.VALID
    assert report.check("embedded-credentials").details["tally"] == {"valid": 1, "invalid": 1}


def test_clr_member_as_vc_jwt(world: World, hanbit: Issuer) -> None:
    """A CLR may carry a member as a compact VC-JWT; it is verified as one."""
    platform = world.issuer("platform", "플랫폼")
    _, token = world.issue(hanbit)
    report = _verify(world, _clr_raw(world, platform, [token]))
    (child,) = report.children
    assert child.check("jwt").status is CheckStatus.PASSED
    assert child.verdict is Verdict.VALID


def test_unverifiable_member_is_listed_not_blanket(world: World, hanbit: Issuer) -> None:
    """A member whose status list is gone is listed as unverifiable; the record keeps its own."""
    platform = world.issuer("platform", "플랫폼")
    credential, _ = world.issue(hanbit)
    clr = world.clr(platform, [credential])
    del world.documents[hanbit.status_url("revocation")]
    report = _verify(world, clr)
    assert report.check("embedded-credentials").code == "embedded-unverifiable"
    assert [child.verdict for child in report.children] == [Verdict.UNVERIFIABLE]
    # Issue 11 changed this deliberately (was: the whole record unverifiable).
    assert report.verdict is Verdict.VALID


def test_nesting_is_limited(world: World, hanbit: Issuer) -> None:
    """A CLR inside a CLR inside ... stops at the nesting limit with a failure."""
    platform = world.issuer("platform", "플랫폼")
    inner, _ = world.issue(hanbit)
    document: dict[str, Any] = inner
    for _ in range(4):
        document = _clr_raw(world, platform, [document])
    report = _verify(world, document)
    deepest = report
    while deepest.children:
        deepest = deepest.children[0]
    assert deepest.check("embedded-credentials").code == "nesting-too-deep"
    # The refusal reaches the top: a record built to exhaust the verifier is invalid.
    assert report.check("embedded-credentials").code == "nesting-too-deep"
    assert report.verdict is Verdict.INVALID


def test_children_are_not_verified_under_a_forged_parent(world: World, hanbit: Issuer) -> None:
    """If the CLR's own proof fails, its members are not fetched or verified."""
    platform = world.issuer("platform", "플랫폼")
    credential, _ = world.issue(hanbit)
    clr = world.clr(platform, [credential])
    clr["name"] = "위조된 이력"
    report = _verify(world, clr)
    assert report.children == ()
    assert report.check("embedded-credentials").code == "authenticity-not-established"
    assert report.verdict is Verdict.INVALID


def test_endorsement_on_the_achievement(world: World, hanbit: Issuer) -> None:
    """Endorsements of the achievement are found and verified too."""
    endorser = world.issuer("endorser", "한국디지털교육협회")
    document = world.credential(hanbit)
    achievement = document["credentialSubject"]["achievement"]
    achievement["endorsement"] = [world.endorsement(endorser, achievement["id"])]
    credential, _ = world.sign(hanbit, document)
    world.publish_status(hanbit)
    report = _verify(world, credential)
    assert report.verdict is Verdict.VALID
    assert report.check("endorsements").code == "endorsements-valid"
    assert report.children[0].role == "endorsement"
