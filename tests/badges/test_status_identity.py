"""Bitstring Status List encoding and recipient identity hashes."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badges import (
    Bitstring,
    InvalidIdentityHash,
    StatusIndexOutOfRange,
    StatusListError,
    build_status_list_credential,
    email_identity,
    find_undefined_terms,
    identity_hash,
    matches_identity_hash,
    proofs_of,
    sign_credential,
    status_entry,
    verify_proof,
)
from keys import PrivateKeySigner


def _vectors(spec_dir: Path, name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((spec_dir / "test-vectors" / name).read_text())[
        "vectors"
    ]
    return vectors


def test_decoding_vectors(spec_dir: Path) -> None:
    """Every published encodedList decodes to its length and set bits (MSB-first)."""
    for vector in _vectors(spec_dir, "bitstring-status-list/decoding-vectors.json"):
        bits = Bitstring.decode(vector["encodedList"])
        assert len(bits) == vector["uncompressedBits"], vector["name"]
        assert bits.set_indexes() == vector["setBitIndexes"], vector["name"]


def test_1edtech_status_list_has_bit_23(spec_dir: Path) -> None:
    """The 1EdTech validator's list marks index 23, the one its revoked sample points at."""
    folder = spec_dir / "test-vectors" / "bitstring-status-list"
    listing = json.loads((folder / "1edtech-validator-status-list-credential.json").read_text())
    bits = Bitstring.decode(listing["credentialSubject"]["encodedList"])
    credential = json.loads(
        (folder / "1edtech-validator-ob3-credential-revoked-index-23.json").read_text()
    )
    assert bits.get(int(credential["credentialStatus"]["statusListIndex"]))
    assert bits.set_indexes() == [23]


@settings(max_examples=25, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=131_071), max_size=40))
def test_encode_decode_round_trips(indexes: set[int]) -> None:
    """Encoding then decoding keeps exactly the set bits."""
    bits = Bitstring()
    for index in indexes:
        bits.set(index)
    again = Bitstring.decode(bits.encode())
    assert again.set_indexes() == sorted(indexes)


def test_encoding_is_deterministic_and_clearable() -> None:
    """The same bits always encode to the same text, and clearing a bit restores it."""
    bits = Bitstring()
    empty = bits.encode()
    bits.set(94567)
    assert bits.get(94567)
    assert bits.encode() != empty
    bits.set(94567, False)
    assert bits.encode() == empty


def _encode_raw(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(raw)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("encoded", "error", "match"),
    [
        ("zabc", StatusListError, "base64url"),
        ("u!!!", StatusListError, "base64url"),
        (
            "u" + base64.urlsafe_b64encode(b"not gzip").rstrip(b"=").decode(),
            StatusListError,
            "GZIP",
        ),
        (_encode_raw(b"\0" * 1024), StatusListError, "at least 131072"),
        (_encode_raw(b"\0" * (17 * 1024 * 1024)), StatusListError, "size limit"),
    ],
    ids=["wrong-base", "bad-chars", "not-gzip", "too-short", "gzip-bomb"],
)
def test_bad_lists_are_refused(encoded: str, error: type[Exception], match: str) -> None:
    """Malformed, short and oversize lists raise StatusListError with a stable code."""
    with pytest.raises(error, match=match) as info:
        Bitstring.decode(encoded)
    assert info.value.code == "invalid-status-list"  # type: ignore[attr-defined]


def test_index_bounds() -> None:
    """Indexes outside the list are StatusIndexOutOfRange."""
    bits = Bitstring()
    with pytest.raises(StatusIndexOutOfRange):
        bits.get(131_072)
    with pytest.raises(StatusIndexOutOfRange):
        bits.set(-1)
    with pytest.raises(StatusIndexOutOfRange):
        status_entry("https://x.example/status/1", -5, "revocation")
    with pytest.raises(StatusListError, match="purpose"):
        status_entry("https://x.example/status/1", 5, "message")


def test_status_entry_shape() -> None:
    """Entries carry the index as a base-10 string and an id distinct from the list URL."""
    entry = status_entry("https://badges.example.kr/status/7", 94567, "suspension").to_json()
    assert entry == {
        "id": "https://badges.example.kr/status/7#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": "94567",
        "statusListCredential": "https://badges.example.kr/status/7",
    }


def test_status_list_credential_signs_and_verifies(
    now: datetime, ed25519_signer: PrivateKeySigner
) -> None:
    """The list credential uses only defined terms and its proof verifies."""
    bits = Bitstring()
    bits.set(42)
    listing = build_status_list_credential(
        list_url="https://badges.example.kr/status/1",
        issuer_id="did:web:badges.example.kr:issuers:hanbit",
        purpose="revocation",
        bits=bits,
        now=now,
    )
    signed = sign_credential(listing, proof_signer=ed25519_signer, now=now)
    assert find_undefined_terms(signed.credential) == []
    (proof,) = proofs_of(signed.credential)
    verify_proof(signed.credential, proof, ed25519_signer.public_key)
    assert Bitstring.decode(
        signed.credential["credentialSubject"]["encodedList"]
    ).set_indexes() == [42]


def test_identity_hash_vectors(spec_dir: Path) -> None:
    """Every published IdentityHash vector matches, upper- or lower-case hex."""
    for vector in _vectors(spec_dir, "identity-hash-vectors.json"):
        assert matches_identity_hash(vector["identifier"], vector["salt"], vector["identityHash"])
        algorithm, _, digest = vector["identityHash"].partition("$")
        assert matches_identity_hash(
            vector["identifier"], vector["salt"], f"{algorithm}${digest.upper()}"
        )
        if algorithm == "sha256":
            assert (
                identity_hash(vector["identifier"], vector["salt"])
                == vector["identityHash"].lower()
            )


def test_email_identity_is_salted_and_normalized() -> None:
    """Email identities are sha256 with a random salt, matching the trimmed lower-case address."""
    one = email_identity("Kim.Jiwoo@Example.com ")
    two = email_identity("kim.jiwoo@example.com")
    assert one.salt != two.salt
    assert one.identity_hash != two.identity_hash
    assert one.identity_hash.startswith("sha256$")
    assert one.salt is not None
    assert matches_identity_hash("kim.jiwoo@example.com", one.salt, one.identity_hash)
    assert not matches_identity_hash("lee@example.com", one.salt, one.identity_hash)


@pytest.mark.parametrize("value", ["abc", "sha1$00", "$00"], ids=["no-alg", "sha1", "empty-alg"])
def test_bad_identity_hashes(value: str) -> None:
    """Unknown hash formats raise InvalidIdentityHash."""
    with pytest.raises(InvalidIdentityHash):
        matches_identity_hash("a@example.com", "s", value)
    with pytest.raises(InvalidIdentityHash):
        identity_hash("a@example.com", "s", algorithm="sha1")
