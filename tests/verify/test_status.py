"""Status entries and status lists: every way they can be unusable ends in error (fail closed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from badges import Bitstring, add_proof, sign_credential
from badges.canonical import fallback_count, fast_path_count
from tests.verify.conftest import NOW, Issuer, World
from verify import (
    CheckStatus,
    DictFetcher,
    ProofCache,
    Verdict,
    default_proof_cache,
    verify_credential,
)


def _with_entries(world: World, issuer: Issuer, entries: list[Any]) -> dict[str, Any]:
    """Sign a credential with these status entries, skipping the issuer-side schema check."""
    document = world.credential(issuer)
    document["credentialStatus"] = entries
    world.publish_status(issuer)
    return add_proof(document, issuer.ed25519, now=NOW, verification_method=issuer.proof_method)


def _entry(issuer: Issuer, purpose: str = "revocation", **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": f"{issuer.status_url(purpose)}#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": "5",
        "statusListCredential": issuer.status_url(purpose),
    }
    entry.update(changes)
    return {k: v for k, v in entry.items() if v is not None}


def _verify(world: World, credential: dict[str, Any]) -> Any:
    return verify_credential(credential, now=NOW, fetcher=DictFetcher(world.documents))


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"statusListIndex": "-1"}, "unsupported-status"),
        ({"statusListIndex": "five"}, "unsupported-status"),
        ({"statusListIndex": True}, "unsupported-status"),
        ({"statusListIndex": "999999999"}, "status-list-invalid"),
        ({"statusSize": 2}, "unsupported-status"),
        ({"statusListCredential": None}, "unsupported-status"),
    ],
    ids=["negative", "not-a-number", "boolean", "out-of-range", "status-size", "no-list"],
)
def test_unreadable_entries_fail_closed(
    world: World, hanbit: Issuer, changes: dict[str, Any], code: str
) -> None:
    """An entry we cannot read leaves revocation unknown: unverifiable, never valid."""
    credential = _with_entries(world, hanbit, [_entry(hanbit, **changes)])
    report = _verify(world, credential)
    assert report.check("status").code == code
    assert report.check("revocation").status is CheckStatus.ERROR
    assert report.verdict is Verdict.UNVERIFIABLE


def test_integer_index_is_accepted(world: World, hanbit: Issuer) -> None:
    """The 1EdTech sample writes the index as a number; we read it too."""
    credential = _with_entries(world, hanbit, [_entry(hanbit, statusListIndex=5)])
    assert _verify(world, credential).verdict is Verdict.VALID


def test_other_purposes_are_noted_not_read(world: World, hanbit: Issuer) -> None:
    """A 'message' or 'refresh' entry is listed as ignored; revocation is still read."""
    entries = [_entry(hanbit), _entry(hanbit, "message", statusListCredential="https://x/y")]
    report = _verify(world, _with_entries(world, hanbit, entries))
    assert report.verdict is Verdict.VALID
    assert report.check("status").details["ignored"] == ["message"]
    assert report.check("suspension").code == "no-suspension-entry"


def test_unknown_status_type(world: World, hanbit: Issuer) -> None:
    """A status entry of a type we do not implement leaves revocation unknown."""
    entry = {"id": "https://badges.example.kr/refresh/1", "type": "1EdTechCredentialRefresh"}
    report = _verify(world, _with_entries(world, hanbit, [entry]))
    assert report.check("status").code == "unsupported-status"
    assert report.check("revocation").status is CheckStatus.ERROR
    assert report.verdict is Verdict.UNVERIFIABLE


def test_non_object_entry(world: World, hanbit: Issuer) -> None:
    """A credentialStatus item that is not an object breaks the schema and is not read."""
    report = _verify(world, _with_entries(world, hanbit, ["https://x/list"]))
    assert report.check("status").code == "unsupported-status"
    assert report.check("structure").status is CheckStatus.FAILED
    assert report.verdict is Verdict.INVALID


def test_purpose_not_offered_by_the_list(world: World, hanbit: Issuer) -> None:
    """A revocation entry pointing at the suspension list is refused."""
    entry = _entry(hanbit, statusListCredential=hanbit.status_url("suspension"))
    report = _verify(world, _with_entries(world, hanbit, [entry]))
    assert report.check("status").code == "status-list-invalid"
    assert "not for 'revocation'" in report.check("status").details["reason"]


def _replace_list(
    world: World, issuer: Issuer, change: Callable[[dict[str, Any]], None], *, resign: bool
) -> None:
    url = issuer.status_url("revocation")
    document = dict(world.documents[url])
    document.pop("proof")
    change(document)
    world.documents[url] = (
        sign_credential(document, proof_signer=issuer.ed25519, now=NOW).credential
        if resign
        else document
    )


@pytest.mark.parametrize(
    ("change", "resign", "reason"),
    [
        (lambda d: d.update(type=["VerifiableCredential"]), True, "not a BitstringStatusList"),
        (lambda d: d.update(id="https://badges.example.kr/status/other"), True, "its id is"),
        (lambda d: None, False, "no embedded proof"),
        (lambda d: d.pop("credentialSubject"), True, "no credentialSubject"),
        (lambda d: d["credentialSubject"].pop("encodedList"), True, "no encodedList"),
        (lambda d: d["credentialSubject"].update(encodedList="uH4sI"), True, "GZIP"),
        (lambda d: d.update(validFrom="2099-01-01T00:00:00Z"), True, "not-yet-valid"),
        (lambda d: d.update(validUntil="yesterday"), True, "isoformat"),
    ],
    ids=["type", "id", "unsigned", "no-subject", "no-list", "bad-gzip", "future", "bad-date"],
)
def test_unusable_status_lists(
    world: World,
    hanbit: Issuer,
    change: Callable[[dict[str, Any]], None],
    resign: bool,
    reason: str,
) -> None:
    """Each defect of the list credential is reported and makes the result unverifiable."""
    credential, _ = world.issue(hanbit)
    _replace_list(world, hanbit, change, resign=resign)
    report = _verify(world, credential)
    assert report.check("status").code == "status-list-invalid"
    assert reason in report.check("status").details["reason"]
    assert report.verdict is Verdict.UNVERIFIABLE


def test_status_list_with_only_unknown_proofs(world: World, hanbit: Issuer) -> None:
    """A list whose only proof is of an unknown type is not verified."""
    credential, _ = world.issue(hanbit)
    url = hanbit.status_url("revocation")
    world.documents[url]["proof"][0]["cryptosuite"] = "ecdsa-rdfc-2019"
    report = _verify(world, credential)
    assert "no proof we can verify" in report.check("status").details["reason"]


def test_tampered_status_list(world: World, hanbit: Issuer) -> None:
    """Clearing a bit in a signed list breaks its proof: the list is not trusted."""
    hanbit.revocations.set(48213)
    credential, _ = world.issue(hanbit)
    url = hanbit.status_url("revocation")
    from badges import Bitstring

    world.documents[url]["credentialSubject"]["encodedList"] = Bitstring().encode()
    report = _verify(world, credential)
    assert report.check("status").code == "status-list-invalid"
    assert report.verdict is Verdict.UNVERIFIABLE


def test_status_list_that_is_not_json(world: World, hanbit: Issuer) -> None:
    """A list URL answering with something other than a JSON object."""
    credential, _ = world.issue(hanbit)
    world.documents[hanbit.status_url("revocation")] = "not json"
    report = _verify(world, credential)
    assert report.check("status").code == "status-list-invalid"


@pytest.mark.parametrize(
    ("listed", "verdict"),
    [
        ([], Verdict.VALID),
        ([{"id": "SELF"}], Verdict.REVOKED),
        ([{"id": "SELF", "revoked": False}], Verdict.VALID),
    ],
    ids=["not-listed", "listed", "listed-not-revoked"],
)
def test_1edtech_revocation_list(
    world: World, hanbit: Issuer, listed: list[dict[str, Any]], verdict: Verdict
) -> None:
    """1EdTechRevocationList: revoked when the credential's id is listed, unless revoked: false."""
    url = "https://badges.example.kr/revocations/hanbit"
    entry = {"id": url, "type": "1EdTechRevocationList"}
    credential = _with_entries(world, hanbit, [entry])
    world.documents[url] = {
        "revokedCredential": [
            {**item, "id": credential["id"]} if item.get("id") == "SELF" else item
            for item in listed
        ]
    }
    assert _verify(world, credential).verdict is verdict


@pytest.mark.parametrize(
    ("document", "code"),
    [(None, "status-list-unreachable"), ({"revoked": []}, "status-list-invalid"), ("x", None)],
    ids=["missing", "no-list", "not-json"],
)
def test_broken_1edtech_revocation_list(
    world: World, hanbit: Issuer, document: Any, code: str | None
) -> None:
    """An unreachable or malformed 1EdTech list fails closed."""
    url = "https://badges.example.kr/revocations/hanbit"
    credential = _with_entries(world, hanbit, [{"id": url, "type": "1EdTechRevocationList"}])
    if document is not None:
        world.documents[url] = document
    report = _verify(world, credential)
    assert report.verdict is Verdict.UNVERIFIABLE
    assert report.check("status").code == (code or "status-list-invalid")
    no_id = _with_entries(world, hanbit, [{"type": "1EdTechRevocationList"}])
    assert _verify(world, no_id).check("status").code == "unsupported-status"


def test_revoked_and_unreachable_suspension_is_revoked(world: World, hanbit: Issuer) -> None:
    """The most severe outcome wins: revoked beats an unreadable suspension list."""
    hanbit.revocations.set(48213)
    credential, _ = world.issue(hanbit)
    del world.documents[hanbit.status_url("suspension")]
    report = _verify(world, credential)
    assert report.verdict is Verdict.REVOKED
    assert report.check("suspension").status is CheckStatus.ERROR


def test_status_list_with_future_valid_until_is_fine(world: World, hanbit: Issuer) -> None:
    """A list valid until tomorrow is used."""
    credential, _ = world.issue(hanbit)
    world.publish_status(hanbit, valid_until=NOW + timedelta(days=1))
    assert _verify(world, credential).verdict is Verdict.VALID


def test_a_status_list_is_verified_once_per_change_across_runs(
    world: World, hanbit: Issuer
) -> None:
    """With a ProofCache, two credentials on the same lists verify each list's proof once;
    a revocation (new list bytes) is verified afresh and shows at once."""
    first, _ = world.issue(hanbit, index=11)
    second, _ = world.issue(hanbit, index=12)
    proofs = ProofCache(max_entries=8)

    def run(credential: dict[str, Any]) -> Any:
        fetcher = DictFetcher(world.documents)
        return verify_credential(credential, now=NOW, fetcher=fetcher, proof_cache=proofs)

    assert run(first).verdict is Verdict.VALID
    assert len(proofs) == 2  # the revocation list and the suspension list
    assert run(second).verdict is Verdict.VALID
    assert len(proofs) == 2  # nothing new verified for the second credential
    hanbit.revocations.set(12, True)
    world.publish_status(hanbit)
    assert run(second).verdict is Verdict.REVOKED
    assert run(first).verdict is Verdict.VALID
    assert len(proofs) == 3  # the re-signed revocation list, verified once


def test_a_remembered_proof_is_no_way_around_a_changed_list(world: World, hanbit: Issuer) -> None:
    """A list altered after its proof was remembered is checked again, and fails."""
    credential, _ = world.issue(hanbit, index=21)
    proofs = ProofCache()
    fetcher = DictFetcher(world.documents)
    report = verify_credential(credential, now=NOW, fetcher=fetcher, proof_cache=proofs)
    assert report.verdict is Verdict.VALID
    url = hanbit.status_url("revocation")
    # A well-formed list that says "revoked", without a new proof.
    bits = Bitstring()
    bits.set(21, True)
    tampered = dict(world.documents[url])
    tampered["credentialSubject"] = {**tampered["credentialSubject"], "encodedList": bits.encode()}
    world.documents[url] = tampered
    report = verify_credential(
        credential, now=NOW, fetcher=DictFetcher(world.documents), proof_cache=proofs
    )
    assert report.check("status").code == "status-list-invalid"
    assert report.verdict is Verdict.UNVERIFIABLE


def test_the_proof_cache_is_bounded() -> None:
    """Least recently used proofs beyond the bound are forgotten."""
    proofs = ProofCache(max_entries=2)
    names = [ProofCache.key(f"list {n}".encode(), {"n": n}, {"x": "k"}) for n in range(3)]
    proofs.add(names[0])
    proofs.add(names[1])
    assert names[0] in proofs
    proofs.add(names[2])
    assert len(proofs) == 2
    assert names[1] not in proofs
    assert names[0] in proofs


def test_without_a_cache_given_lists_are_remembered_by_the_process(
    world: World, hanbit: Issuer
) -> None:
    """verify_credential with no proof_cache uses the process's shared cache: the second
    credential on the same lists verifies no list proof again; a revocation still shows."""
    first, _ = world.issue(hanbit, index=31)
    second, _ = world.issue(hanbit, index=32)
    shared = default_proof_cache()
    shared.clear()
    assert _verify(world, first).verdict is Verdict.VALID
    assert len(shared) == 2
    assert _verify(world, second).verdict is Verdict.VALID
    assert len(shared) == 2
    hanbit.revocations.set(32, True)
    world.publish_status(hanbit)
    assert _verify(world, second).verdict is Verdict.REVOKED
    assert len(shared) == 3


def test_an_empty_cache_verifies_every_list_every_time(world: World, hanbit: Issuer) -> None:
    """ProofCache(max_entries=0) opts out of remembering: nothing is kept."""
    credential, _ = world.issue(hanbit, index=33)
    proofs = ProofCache(max_entries=0)
    for _ in range(2):
        report = verify_credential(
            credential, now=NOW, fetcher=DictFetcher(world.documents), proof_cache=proofs
        )
        assert report.verdict is Verdict.VALID
        assert len(proofs) == 0


def test_the_term_check_and_the_proof_share_one_canonicalization(
    world: World, hanbit: Issuer
) -> None:
    """With the lists remembered, a credential costs two canonicalizations: its proof
    configuration and the document itself (the undefined-term check is the same pass)."""
    credential, _ = world.issue(hanbit, index=34)
    proofs = ProofCache()
    fetcher = DictFetcher(world.documents)
    assert verify_credential(credential, now=NOW, fetcher=fetcher, proof_cache=proofs).verdict is (
        Verdict.VALID
    )
    before = fast_path_count() + fallback_count()
    report = verify_credential(credential, now=NOW, fetcher=fetcher, proof_cache=proofs)
    assert report.verdict is Verdict.VALID
    assert report.check("json-ld").code == "json-ld-ok"
    assert fast_path_count() + fallback_count() - before == 2
