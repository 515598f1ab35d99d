"""Multibase, Multikey, did:key and JWK codecs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given
from hypothesis import strategies as st

from keys import (
    InvalidKeyEncoding,
    KeyType,
    PrivateKeySigner,
    UnsupportedKeyType,
    VerificationKey,
    b58decode,
    b58encode,
    b64url_encode,
    did_key_from_public_key,
    jwk_thumbprint,
    jwk_to_public_key,
    multibase_decode,
    multibase_encode,
    multikey_to_public_key,
    public_key_from_did_key,
    public_key_to_jwk,
    public_key_to_multikey,
)
from keys.encoding import MAX_BASE58_LENGTH
from tests.cost import MIB, measured


@pytest.fixture(scope="module")
def w3c_keypair(spec_dir: Path) -> dict[str, str]:
    """The W3C vc-di-eddsa key pair with its decoded forms."""
    vectors = json.loads((spec_dir / "test-vectors" / "w3c-vc-di-eddsa-vectors.json").read_text())
    keypair: dict[str, str] = vectors["keyPair"]
    return keypair


def test_multikey_decodes_w3c_vector_key(w3c_keypair: dict[str, str]) -> None:
    """The W3C Multikey decodes to the published raw Ed25519 public key."""
    key = multikey_to_public_key(w3c_keypair["publicKeyMultibase"])
    assert isinstance(key, ed25519.Ed25519PublicKey)
    assert key.public_bytes_raw().hex() == w3c_keypair["publicKeyHex"]


def test_multikey_encodes_w3c_vector_key(w3c_keypair: dict[str, str]) -> None:
    """The seed of the W3C secret key yields the published public Multikey and did:key."""
    secret = multibase_decode(w3c_keypair["privateKeyMultibase"])
    assert secret[:2].hex() == w3c_keypair["privateKeyMulticodecPrefixHex"]
    signer = PrivateKeySigner.from_ed25519_seed(secret[2:], "k")
    assert signer.public_key.to_multikey() == w3c_keypair["publicKeyMultibase"]
    assert did_key_from_public_key(signer.public_key.key) == w3c_keypair["didKey"]


def test_did_key_resolves_offline(w3c_keypair: dict[str, str]) -> None:
    """A did:key verification method URL resolves to its own key."""
    key = public_key_from_did_key(w3c_keypair["verificationMethod"])
    assert public_key_to_multikey(key) == w3c_keypair["publicKeyMultibase"]


def test_did_key_with_foreign_fragment_is_refused(w3c_keypair: dict[str, str]) -> None:
    """A did:key URL whose fragment names another key is an error."""
    with pytest.raises(InvalidKeyEncoding, match="fragment"):
        public_key_from_did_key(w3c_keypair["didKey"] + "#z6MkOther")


def test_p256_multikey_round_trips() -> None:
    """A P-256 key survives Multikey encoding (compressed point, 0x1200 codec)."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    encoded = public_key_to_multikey(key)
    assert encoded.startswith("zDn")
    assert public_key_to_multikey(multikey_to_public_key(encoded)) == encoded


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("", "base58btc"),
        ("f00", "base58btc"),
        ("z0OIl", "base58"),
        ("z" + b58encode(b"\xed\x01" + b"\x00" * 31), "32 key bytes"),
        ("z" + b58encode(b"\x12\x00" + b"\x00" * 32), "codec"),
        ("u" + "AAAA", "base58btc"),
    ],
    ids=["empty", "unknown-base", "bad-char", "short-key", "unknown-codec", "not-base58"],
)
def test_bad_multikeys_are_refused(value: str, match: str) -> None:
    """Malformed Multikey values raise InvalidKeyEncoding with its stable code."""
    with pytest.raises(InvalidKeyEncoding, match=match) as info:
        multikey_to_public_key(value)
    assert info.value.code == "invalid-key-encoding"


@given(st.binary(max_size=80))
def test_base58_round_trips(data: bytes) -> None:
    """base58btc decoding inverts encoding, leading zero bytes included."""
    assert b58decode(b58encode(data)) == data


@given(st.binary(max_size=80), st.sampled_from(["z", "u"]))
def test_multibase_round_trips(data: bytes, base: str) -> None:
    """Multibase decoding inverts encoding in both supported bases."""
    assert multibase_decode(multibase_encode(data, base)) == data


@pytest.mark.parametrize("key_type", list(KeyType), ids=[k.value for k in KeyType])
def test_jwk_round_trips(key_type: KeyType) -> None:
    """Every key type survives JWK encoding, and the JWK carries no private member."""
    signer = PrivateKeySigner.generate(key_type, "k")
    jwk = public_key_to_jwk(signer.public_key.key)
    assert "d" not in jwk
    back = VerificationKey.from_jwk(jwk)
    assert back.public_bytes() == signer.public_key.public_bytes()


def test_rfc7638_thumbprint_example() -> None:
    """The RFC 7638 section 3.1 example key has the published thumbprint."""
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6t"
        "Soc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65Y"
        "GjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdk"
        "t-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqD"
        "Kgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize(
    ("jwk", "error", "match"),
    [
        ({"kty": "oct", "k": "AAAA"}, UnsupportedKeyType, "oct"),
        ({"kty": "OKP", "crv": "X25519", "x": "AAAA"}, UnsupportedKeyType, "X25519"),
        ({"kty": "OKP", "crv": "Ed25519"}, InvalidKeyEncoding, "'x'"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, InvalidKeyEncoding, "32 bytes"),
        ({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}, UnsupportedKeyType, "P-384"),
        ({"kty": "EC", "crv": "P-256", "x": "AQ", "y": "AQ"}, InvalidKeyEncoding, "invalid JWK"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"}, InvalidKeyEncoding, "private"),
    ],
    ids=["symmetric", "x25519", "missing-x", "short-x", "p384", "off-curve", "private"],
)
def test_bad_jwks_are_refused(jwk: dict[str, str], error: type[Exception], match: str) -> None:
    """Unsupported or malformed JWKs raise a typed error."""
    with pytest.raises(error, match=match):
        jwk_to_public_key(jwk)


def test_weak_rsa_jwk_is_refused(spec_dir: Path) -> None:
    """An RSA JWK under 2048 bits is refused (RS256 needs at least 2048)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    pem = (Path(__file__).parents[1] / "vectors" / "keys" / "rsa1024-weak.pem").read_bytes()
    weak = load_pem_private_key(pem, None).public_key()
    jwk = public_key_to_jwk(weak)  # type: ignore[arg-type]
    with pytest.raises(UnsupportedKeyType, match="2048"):
        jwk_to_public_key(jwk)


def test_regression_quadratic_base58_is_refused_before_decoding() -> None:
    """A 117 KiB base58 value is refused at once, within 0.5 s of CPU and 4 MiB."""
    # Issue 9: base58 decoding is quadratic; a 117 KiB proofValue held a CPU for 10-15 s.
    hostile = "z" + "2" * 120_000
    with measured() as cost, pytest.raises(InvalidKeyEncoding, match="at most 1024"):
        multibase_decode(hostile)
    assert cost.cpu_seconds < 0.5
    assert cost.peak_bytes < 4 * MIB
    with pytest.raises(InvalidKeyEncoding, match="at most 1024"):
        b58decode("2" * (MAX_BASE58_LENGTH + 1))


def test_base58_caps_are_tighter_per_field() -> None:
    """A caller's max_length is checked before decoding; the longest allowed value decodes."""
    data = bytes(range(64))
    assert multibase_decode(multibase_encode(data), max_length=90) == data
    with pytest.raises(InvalidKeyEncoding, match="at most 10"):
        multibase_decode(multibase_encode(data), max_length=10)
    longest = "z" * MAX_BASE58_LENGTH
    assert b58encode(b58decode(longest)) == longest


@pytest.mark.parametrize("length", [0, 1, 9, 10, 11, 57, 200], ids=lambda n: f"{n}-bytes")
def test_chunked_base58_decoding_round_trips(length: int) -> None:
    """Decoding ten digits at a time gives the same bytes as digit by digit."""
    data = bytes((i * 37 + 11) % 256 for i in range(length))
    assert b58decode(b58encode(data)) == data
    assert b58decode(b58encode(b"\0\0" + data)) == b"\0\0" + data


def test_overlong_multikey_is_refused_before_decoding() -> None:
    """A publicKeyMultibase longer than any Ed25519 or P-256 Multikey is refused unread."""
    with pytest.raises(InvalidKeyEncoding, match="at most 128"):
        multikey_to_public_key("z" + "2" * 1000)


def test_oversized_jwk_members_are_refused_before_decoding() -> None:
    """An RSA modulus over 8192 bits (here 1 MB of base64url) is refused unread."""
    jwk = {"kty": "RSA", "n": "A" * 1_000_000, "e": "AQAB"}
    with measured() as cost, pytest.raises(UnsupportedKeyType, match="8192 bits"):
        jwk_to_public_key(jwk)
    assert cost.cpu_seconds < 0.5
    assert cost.peak_bytes < 4 * MIB


def test_rsa_8192_jwk_is_still_read() -> None:
    """The largest RSA key we accept passes the member caps."""
    modulus = (1 << 8191) | 1
    jwk = {"kty": "RSA", "n": b64url_encode(modulus.to_bytes(1024, "big")), "e": "AQAB"}
    key = jwk_to_public_key(jwk)
    assert public_key_to_jwk(key)["n"] == jwk["n"]
