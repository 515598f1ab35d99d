"""Encoded fields are length-capped before decoding, and dates always format as valid XSD.

Issue 9: anyone could post a credential whose fields cost seconds of CPU to decode. Each
cap below is checked before a byte is decoded; each test states its CPU and memory budget.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone

import pytest

from badges import (
    InvalidProof,
    MalformedJwt,
    StatusListError,
    decode_jwt,
    format_datetime,
    proofs_of,
    sign_credential,
    verify_proof,
)
from badges.proof import MAX_PROOF_VALUE_LENGTH, MAX_PROOFS
from badges.status import MAX_DECODED_BYTES, MAX_ENCODED_LENGTH, Bitstring
from badges.vcjwt import MAX_JWT_HEADER_LENGTH, MAX_JWT_SIGNATURE_LENGTH
from keys import PrivateKeySigner, b64url_encode, multibase_encode
from tests.cost import MIB, measured
from tests.samples import sample_credential


def test_regression_long_proof_value_is_refused_before_decoding(
    now: datetime, ed25519_signer: PrivateKeySigner
) -> None:
    """A 60,000-character proofValue is InvalidProof within 0.5 s of CPU and 4 MiB."""
    # Issue 9: such a proofValue cost 2.7 s to decode as base58 before the signature check.
    signed = sign_credential(sample_credential(now=now), proof_signer=ed25519_signer, now=now)
    (proof,) = proofs_of(signed.credential)
    hostile = {**proof, "proofValue": "z" + "3" * 60_000}
    with measured() as cost, pytest.raises(InvalidProof, match="characters"):
        verify_proof(signed.credential, hostile, ed25519_signer.public_key)
    assert cost.cpu_seconds < 0.5
    assert cost.peak_bytes < 4 * MIB


def test_too_many_proofs_are_refused_before_any_is_checked(
    now: datetime, ed25519_signer: PrivateKeySigner
) -> None:
    """A credential listing more than MAX_PROOFS proofs is InvalidProof; at the cap it reads."""
    signed = sign_credential(sample_credential(now=now), proof_signer=ed25519_signer, now=now)
    (proof,) = proofs_of(signed.credential)
    assert len(proofs_of({**signed.credential, "proof": [proof] * MAX_PROOFS})) == MAX_PROOFS
    with measured() as cost, pytest.raises(InvalidProof, match="at most 16"):
        proofs_of({**signed.credential, "proof": [proof] * 10_000})
    assert cost.cpu_seconds < 0.5
    assert cost.peak_bytes < 4 * MIB


def test_longest_ed25519_proof_value_fits_the_cap(
    now: datetime, ed25519_signer: PrivateKeySigner
) -> None:
    """A signature of 64 0xff bytes (the longest base58 form) is under the cap."""
    assert len(multibase_encode(b"\xff" * 64)) <= MAX_PROOF_VALUE_LENGTH
    signed = sign_credential(sample_credential(now=now), proof_signer=ed25519_signer, now=now)
    (proof,) = proofs_of(signed.credential)
    verify_proof(signed.credential, proof, ed25519_signer.public_key)


@pytest.mark.parametrize(
    ("segment", "length", "match"),
    [
        (0, MAX_JWT_HEADER_LENGTH + 1, "header is longer"),
        (2, MAX_JWT_SIGNATURE_LENGTH + 1, "signature is longer"),
    ],
    ids=["header", "signature"],
)
def test_jwt_segments_are_capped_before_decoding(segment: int, length: int, match: str) -> None:
    """An overlong JWT header or signature is MalformedJwt before base64url decoding."""
    parts = [b64url_encode(b'{"alg":"EdDSA"}'), b64url_encode(b'{"iss":"x"}'), "AAAA"]
    parts[segment] = "A" * length
    with measured() as cost, pytest.raises(MalformedJwt, match=match):
        decode_jwt(".".join(parts))
    assert cost.cpu_seconds < 0.5
    assert cost.peak_bytes < 4 * MIB


def test_encoded_list_longer_than_the_largest_list_is_refused_unread() -> None:
    """An encodedList longer than any list we accept could encode is refused before decoding."""
    hostile = "u" + "A" * MAX_ENCODED_LENGTH
    with measured() as cost, pytest.raises(StatusListError, match="characters") as info:
        Bitstring.decode(hostile)
    assert info.value.code == "invalid-status-list"
    assert cost.cpu_seconds < 0.5
    assert cost.peak_bytes < 4 * MIB


def test_encoded_list_cap_holds_the_largest_incompressible_list() -> None:
    """The cap admits the worst case: MAX_DECODED_BYTES of random bits, GZIP'd."""
    bits = Bitstring.from_bytes(os.urandom(MAX_DECODED_BYTES))
    encoded = bits.encode()
    assert len(encoded) <= MAX_ENCODED_LENGTH
    assert Bitstring.decode(encoded).to_bytes() == bits.to_bytes()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
        (datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), "0999-12-31T23:59:59Z"),
        (datetime(2025, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=9))), "2025-03-01T00:00:00Z"),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "9999-12-31T23:59:59Z"),
    ],
    ids=["year-1", "year-999", "kst", "year-9999"],
)
def test_regression_years_are_always_four_digits(value: datetime, expected: str) -> None:
    """format_datetime pads the year: XML Schema dateTime has at least four year digits."""
    # Issue 9: activity dates before 1000 were signed as "1-01-01T00:00:00Z".
    assert format_datetime(value) == expected
