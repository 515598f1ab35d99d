"""The certificate's offline QR format (``BJ1:``): base45, signing, decoding, QR size."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import cbor2
import pytest

from badges.compact import (
    PREFIX,
    CompactClaims,
    CompactStatus,
    InvalidCompactCredential,
    base45_decode,
    base45_encode,
    compact_qr,
    compact_qr_png,
    decode_compact,
    sign_compact,
)
from badges.qr import decode_qr
from keys import KeyType, PrivateKeySigner, VerificationKey

ISSUER = "did:web:baeji.kr:issuers:hanbit-digital-academy"
KOREAN = CompactClaims(
    credential_id="https://baeji.kr/credentials/0b9f3c2e-7d4a-4c1e-9a8b-5f6e7d8c9b0a",
    issuer_id=ISSUER,
    issuer_name="한빛 디지털 혁신 아카데미",
    holder_name="김지우",
    course_name=(
        "2026년 하반기 디지털 전환 실무자 양성 과정: 인공지능 기반 데이터 분석 및 시각화 심화"
    ),
    valid_from=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    valid_until=datetime(2029, 3, 1, 14, 59, 59, tzinfo=UTC),
    status=(
        CompactStatus("https://baeji.kr/status/revocation/3", 48213, "revocation"),
        CompactStatus("https://baeji.kr/status/suspension/3", 48213, "suspension"),
    ),
)
# Measured for KOREAN: about 678 characters, QR version 17 (85 x 85 modules) at level M.
# The certificate prints the offline QR 45 mm wide: 85 modules + 8 of quiet zone gives
# 0.48 mm per module, well above the ~0.3 mm a phone camera reads from A4 paper.
MAX_VERSION = 17


@pytest.fixture(scope="module")
def signer() -> PrivateKeySigner:
    return PrivateKeySigner.generate(KeyType.ED25519, f"{ISSUER}#key-1")


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
    ],
)
def test_base45_rfc9285_examples(data: bytes, text: str) -> None:
    assert base45_encode(data) == text
    assert base45_decode(text) == data


@pytest.mark.parametrize("text", ["GGW", "ZZZ", "A", "abc", "é0"])
def test_base45_refuses_invalid_text(text: str) -> None:
    """RFC 9285 §6: out-of-range groups, a dangling character, letters outside the alphabet."""
    with pytest.raises(InvalidCompactCredential):
        base45_decode(text)


def test_sign_decode_round_trip_and_the_signature_covers_the_claims(
    signer: PrivateKeySigner,
) -> None:
    text = sign_compact(KOREAN, signer)
    assert text.startswith(PREFIX)
    signed = decode_compact(text)
    assert signed.claims == KOREAN
    assert signed.key_ref == "#key-1"
    assert signed.algorithm == "EdDSA"
    VerificationKey(signer.public_key.key).verify(signed.signature, signed.signed_data)


def test_the_korean_badge_fits_a_small_alphanumeric_qr_that_reads_back(
    signer: PrivateKeySigner,
) -> None:
    """Measured: a Korean holder, a 57-character Korean course name and a did:web issuer."""
    text = sign_compact(KOREAN, signer)
    code = compact_qr(text)
    assert code.version is not None
    assert code.version <= MAX_VERSION, (code.version, len(text))
    modules = code.modules_count
    assert modules == 17 + 4 * code.version
    assert decode_qr(compact_qr_png(text)) == [text]


def test_rsa_keys_are_refused() -> None:
    rsa = PrivateKeySigner.generate(KeyType.RSA, f"{ISSUER}#key-rsa-1")
    with pytest.raises(InvalidCompactCredential):
        sign_compact(KOREAN, rsa)


@pytest.mark.parametrize(
    "text",
    [
        "HC1:6BFOXN",
        PREFIX + "not base45 !",
        PREFIX + base45_encode(b"not zlib"),
        PREFIX + base45_encode(zlib.compress(b"\xff\xff")),
        PREFIX + base45_encode(zlib.compress(cbor2.dumps([1, 2, 3]))),
        PREFIX + base45_encode(zlib.compress(b"\0" * 100_000)),
        PREFIX
        + base45_encode(zlib.compress(cbor2.dumps([b"\xa0", {}, cbor2.dumps({"v": 1}), b""]))),
    ],
    ids=["other-prefix", "base45", "zlib", "cbor", "not-cose", "zip-bomb", "no-alg"],
)
def test_malformed_texts_are_refused_with_one_error(text: str) -> None:
    with pytest.raises(InvalidCompactCredential) as caught:
        decode_compact(text)
    assert caught.value.code == "invalid-compact-credential"


def test_claims_from_a_credential_refuse_a_bad_status_index() -> None:
    credential = {
        "id": "https://baeji.kr/credentials/1",
        "issuer": {"id": ISSUER, "name": "한빛"},
        "validFrom": "2026-03-02T09:30:00Z",
        "credentialSubject": {"achievement": {"name": "데이터 분석"}},
        "credentialStatus": [
            {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListCredential": "https://baeji.kr/status/1",
                "statusListIndex": "열셋",
            }
        ],
    }
    with pytest.raises(InvalidCompactCredential):
        CompactClaims.from_credential(credential, holder_name="김지우")
    credential["credentialStatus"][0]["statusListIndex"] = "13"  # type: ignore[index]
    claims = CompactClaims.from_credential(credential, holder_name="김지우")
    assert claims.status == (CompactStatus("https://baeji.kr/status/1", 13, "revocation"),)
    assert claims.issuer_name == "한빛"
