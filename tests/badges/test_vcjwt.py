"""VC-JWT decoding refuses what it must: alg none, HMAC, mismatched keys, extra headers."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from badges import (
    InvalidJwtSignature,
    JwtClaimMismatch,
    MalformedJwt,
    UnsupportedAlgorithm,
    check_jwt_claims,
    decode_jwt,
    encode_jwt,
    sign_credential,
    verify_jwt_signature,
)
from keys import PrivateKeySigner, b64url_decode, b64url_encode
from tests.samples import sample_credential


def _segment(value: object) -> str:
    return b64url_encode(json.dumps(value).encode())


@pytest.fixture
def token(now: datetime, ed25519_signer: PrivateKeySigner, rsa_signer: PrivateKeySigner) -> str:
    """An RS256 VC-JWT of the sample credential."""
    signed = sign_credential(
        sample_credential(now=now), proof_signer=ed25519_signer, jwt_signer=rsa_signer, now=now
    )
    assert signed.jwt is not None
    return signed.jwt


def _with_header(token: str, header: dict[str, str], signature: str | None = None) -> str:
    _, payload, sig = token.split(".")
    return f"{_segment(header)}.{payload}.{sig if signature is None else signature}"


@pytest.mark.parametrize(
    "header",
    [{"alg": "none"}, {"alg": "HS256"}, {"alg": "RS512"}, {}],
    ids=["none", "hs256", "rs512", "missing"],
)
def test_refused_algorithms(token: str, header: dict[str, str]) -> None:
    """alg none, HMAC and unsupported algorithms are refused before any key is used."""
    with pytest.raises(UnsupportedAlgorithm) as info:
        decode_jwt(_with_header(token, header, signature=""))
    assert info.value.code == "unsupported-algorithm"


def test_hs256_signed_with_the_public_key_is_refused(
    token: str, rsa_signer: PrivateKeySigner
) -> None:
    """The classic key-confusion attack (HMAC keyed with the RSA public key) is refused."""
    import hashlib
    import hmac

    header = _segment({"alg": "HS256", "typ": "JWT"})
    payload = token.split(".")[1]
    secret = rsa_signer.public_key.public_bytes()
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    with pytest.raises(UnsupportedAlgorithm):
        decode_jwt(f"{header}.{payload}.{b64url_encode(mac)}")


def test_algorithm_must_match_the_key(token: str, ed25519_signer: PrivateKeySigner) -> None:
    """An RS256 token never verifies under an Ed25519 key, whatever it claims."""
    with pytest.raises(UnsupportedAlgorithm, match="does not match"):
        verify_jwt_signature(decode_jwt(token), ed25519_signer.public_key)


def test_tampered_payload_fails(token: str, rsa_signer: PrivateKeySigner) -> None:
    """Changing the payload breaks the signature."""
    header, payload, signature = token.split(".")
    body = json.loads(b64url_decode(payload))
    body["name"] = "위조된 배지"
    forged = f"{header}.{_segment(body)}.{signature}"
    with pytest.raises(InvalidJwtSignature):
        verify_jwt_signature(decode_jwt(forged), rsa_signer.public_key)


@pytest.mark.parametrize(
    "text",
    ["", "a.b", "a.b.c.d", "!!!.e30.", "e30.bm90IGpzb24.", "W10.e30."],
    ids=["empty", "two-parts", "four-parts", "bad-b64", "payload-not-json", "header-array"],
)
def test_malformed_tokens(text: str) -> None:
    """Garbage is a MalformedJwt with a stable code, never a crash."""
    with pytest.raises((MalformedJwt, UnsupportedAlgorithm)):
        decode_jwt(text)


def test_extra_jose_headers_are_refused(token: str) -> None:
    """OB 3.0 allows only alg, kid, typ (and jwk): anything else is refused."""
    with pytest.raises(MalformedJwt, match="x5u"):
        decode_jwt(
            _with_header(token, {"alg": "RS256", "kid": "k", "x5u": "https://evil.example/"})
        )


@pytest.mark.parametrize("claim", ["iss", "jti", "sub", "nbf"])
def test_claims_must_agree_with_the_credential(
    token: str, rsa_signer: PrivateKeySigner, claim: str
) -> None:
    """A registered claim that disagrees with the credential is a JwtClaimMismatch."""
    header, payload, _ = token.split(".")
    body = json.loads(b64url_decode(payload))
    body[claim] = 1 if claim == "nbf" else "urn:uuid:someone-else"
    forged = f"{header}.{_segment(body)}."
    with pytest.raises(JwtClaimMismatch, match=claim):
        check_jwt_claims(decode_jwt(forged + "AA"))


def test_vc_claim_form_is_accepted(now: datetime, rsa_signer: PrivateKeySigner) -> None:
    """The VC 1.1 form (credential in a 'vc' claim) decodes to the credential."""
    credential = sample_credential(now=now).to_json()
    token = encode_jwt(
        {
            "vc": credential,
            "validFrom": credential["validFrom"],
            "issuer": credential["issuer"],
            "id": credential["id"],
        },
        rsa_signer,
    )
    decoded = decode_jwt(token)
    verify_jwt_signature(decoded, rsa_signer.public_key)
    assert decoded.credential == credential


def test_1edtech_jwt_sample_decodes(spec_dir: object) -> None:
    """The 1EdTech VC-JWT sample (vc claim form) decodes to an OpenBadgeCredential."""
    from pathlib import Path

    assert isinstance(spec_dir, Path)
    sample = json.loads((spec_dir / "examples" / "ob-v3p0-validator-simple.jwt.json").read_text())
    text = (
        sample
        if isinstance(sample, str)
        else next(v for v in sample.values() if isinstance(v, str) and v.count(".") == 2)
    )
    decoded = decode_jwt(text)
    assert "OpenBadgeCredential" in decoded.credential["type"]


@pytest.mark.parametrize("depth", [100, 100_000], ids=["past-limit", "recursion-bomb"])
def test_regression_deeply_nested_payload(depth: int) -> None:
    """A deeply nested payload is a MalformedJwt, never a RecursionError (a 500 in the API).

    json.loads raised RecursionError past ~1000 levels, which no caller expected.
    """
    body = '{"a":' + "[" * depth + "]" * depth + "}"
    token = f"{_segment({'alg': 'RS256'})}.{b64url_encode(body.encode())}.AA"
    with pytest.raises(MalformedJwt, match="nested"):
        decode_jwt(token)


@pytest.mark.parametrize("claim", ["iss", "jti", "nbf"])
def test_required_claims(token: str, claim: str) -> None:
    """iss, jti and nbf must be present (sub is checked when present: 1EdTech omits it)."""
    header, payload, _ = token.split(".")
    body = json.loads(b64url_decode(payload))
    del body[claim]
    with pytest.raises(JwtClaimMismatch, match=claim):
        check_jwt_claims(decode_jwt(f"{header}.{_segment(body)}.AA"))
