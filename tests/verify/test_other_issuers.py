"""OB 3.0 credentials from other issuers: VC-JWT with ES256 and EdDSA, Ed25519Signature2020.

Another platform's issuer is a did:web on its own host, with a DID document we build here
the way such platforms publish theirs (``JsonWebKey2020`` and ``Ed25519VerificationKey2020``
methods); every key is generated in the test. OB 3.0 "Verify a Credential" finds the JWT key
by ``kid`` (a DID URL dereferenced through the issuer's DID document) or by ``jwk`` — which
counts only when the issuer publishes that same key.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from badges import jwt_claims
from badges.canonical import canonicalize_rdfc
from keys import KeyType, PrivateKeySigner, b64url_encode
from keys.encoding import multibase_encode
from tests.verify.conftest import NOW, Issuer, World
from verify import CheckStatus, DictFetcher, Verdict, verify_credential

OTHER_DID = "did:web:credentials.univ.example"
OTHER_DID_URL = "https://credentials.univ.example/.well-known/did.json"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


@pytest.fixture(scope="module")
def signers() -> dict[str, PrivateKeySigner]:
    return {
        "es256": PrivateKeySigner.generate(KeyType.P256, f"{OTHER_DID}#es-1"),
        "eddsa": PrivateKeySigner.generate(KeyType.ED25519, f"{OTHER_DID}#ed-1"),
        "stranger": PrivateKeySigner.generate(KeyType.ED25519, f"{OTHER_DID}#ed-2"),
    }


def _did_document(signers: dict[str, PrivateKeySigner]) -> dict[str, Any]:
    es, ed = signers["es256"], signers["eddsa"]
    es_jwk = {k: v for k, v in es.public_key.to_jwk().items() if k not in ("kid", "alg")}
    return {
        "@context": ["https://www.w3.org/ns/did/v1", ED25519_2020_CONTEXT],
        "id": OTHER_DID,
        "verificationMethod": [
            {
                "id": "#es-1",
                "type": "JsonWebKey2020",
                "controller": OTHER_DID,
                "publicKeyJwk": es_jwk,
            },
            {
                "id": f"{OTHER_DID}#ed-1",
                "type": "Ed25519VerificationKey2020",
                "controller": OTHER_DID,
                "publicKeyMultibase": ed.public_key.to_multikey(),
            },
        ],
        "assertionMethod": ["#es-1", f"{OTHER_DID}#ed-1"],
    }


def _credential(world: World, hanbit: Issuer) -> dict[str, Any]:
    """A credential of the other issuer: our sample's content, their DID, no status list."""
    credential = copy.deepcopy(world.credential(hanbit))
    credential["issuer"] = {"id": OTHER_DID, "type": ["Profile"], "name": "한국대학교 (Univ.)"}
    credential["id"] = "https://credentials.univ.example/c/1"
    credential.pop("credentialStatus", None)
    return credential


def _jwt(credential: dict[str, Any], signer: PrivateKeySigner, header: dict[str, Any]) -> str:
    claims = {**credential, **jwt_claims(credential)}
    signing_input = (
        b64url_encode(json.dumps({"typ": "JWT", **header}).encode())
        + "."
        + b64url_encode(json.dumps(claims, ensure_ascii=False).encode())
    )
    return f"{signing_input}.{b64url_encode(signer.sign(signing_input.encode()))}"


def test_es256_jwt_with_a_did_url_kid(
    world: World, hanbit: Issuer, signers: dict[str, PrivateKeySigner]
) -> None:
    credential = _credential(world, hanbit)
    token = _jwt(credential, signers["es256"], {"alg": "ES256", "kid": f"{OTHER_DID}#es-1"})
    fetcher = DictFetcher({OTHER_DID_URL: _did_document(signers)})
    report = verify_credential(token, now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.VALID, [(c.id, c.code) for c in report.checks]
    assert report.check("jwt").status is CheckStatus.PASSED
    assert report.check("key").details["used"][0]["type"] == "P-256"


def test_eddsa_jwt_with_a_published_jwk_header(
    world: World, hanbit: Issuer, signers: dict[str, PrivateKeySigner]
) -> None:
    credential = _credential(world, hanbit)
    fetcher = DictFetcher({OTHER_DID_URL: _did_document(signers)})
    published = signers["eddsa"].public_key.to_jwk()
    token = _jwt(credential, signers["eddsa"], {"alg": "EdDSA", "jwk": published})
    report = verify_credential(token, now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.VALID, [(c.id, c.code) for c in report.checks]
    # A key that only the JWT names is not the issuer's, however well it signs.
    stranger = signers["stranger"].public_key.to_jwk()
    token = _jwt(credential, signers["stranger"], {"alg": "EdDSA", "jwk": stranger})
    report = verify_credential(token, now=NOW, fetcher=fetcher)
    assert report.check("key").code == "key-only-in-credential"
    assert report.verdict is Verdict.INVALID


def test_es256_header_over_an_eddsa_key_is_refused(
    world: World, hanbit: Issuer, signers: dict[str, PrivateKeySigner]
) -> None:
    credential = _credential(world, hanbit)
    token = _jwt(credential, signers["eddsa"], {"alg": "ES256", "kid": f"{OTHER_DID}#ed-1"})
    fetcher = DictFetcher({OTHER_DID_URL: _did_document(signers)})
    report = verify_credential(token, now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.INVALID
    assert report.check("jwt").status is CheckStatus.FAILED


def _sign_ed25519_2020(document: dict[str, Any], signer: PrivateKeySigner) -> dict[str, Any]:
    """An Ed25519Signature2020 proof, computed step by step from the suite's definition.

    Canonicalize the proof options (with the document's ``@context``) and the document with
    RDFC-1.0, SHA-256 each, sign ``hash(options) || hash(document)`` with Ed25519, and write
    the signature as multibase base58btc.
    """
    options = {
        "type": "Ed25519Signature2020",
        "created": "2026-02-01T09:00:00Z",
        "verificationMethod": signer.key_id,
        "proofPurpose": "assertionMethod",
    }
    options_hash = hashlib.sha256(
        canonicalize_rdfc({**options, "@context": document["@context"]}).encode()
    ).digest()
    document_hash = hashlib.sha256(canonicalize_rdfc(document).encode()).digest()
    signature = signer.sign(options_hash + document_hash)
    return {**document, "proof": {**options, "proofValue": multibase_encode(signature)}}


def _legacy_credential(world: World, hanbit: Issuer) -> dict[str, Any]:
    """The other issuer's credential in the VC 1.1 form Ed25519Signature2020 issuers use."""
    credential = _credential(world, hanbit)
    credential["@context"] = [
        "https://www.w3.org/2018/credentials/v1",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ED25519_2020_CONTEXT,
    ]
    # Our sample's JSON Schema validator type is defined for the VC 2.0 form only.
    credential.pop("credentialSchema", None)
    credential["issuanceDate"] = credential.pop("validFrom")
    if "validUntil" in credential:
        credential["expirationDate"] = credential.pop("validUntil")
    return credential


def test_ed25519_signature_2020_with_an_ed25519_verification_key_2020(
    world: World, hanbit: Issuer, signers: dict[str, PrivateKeySigner]
) -> None:
    signed = _sign_ed25519_2020(_legacy_credential(world, hanbit), signers["eddsa"])
    fetcher = DictFetcher({OTHER_DID_URL: _did_document(signers)})
    report = verify_credential(signed, now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.VALID, [
        (c.id, c.code) for c in report.checks if c.status is CheckStatus.FAILED
    ]
    assert report.check("proof").status is CheckStatus.PASSED
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Advanced AI"
    report = verify_credential(tampered, now=NOW, fetcher=fetcher)
    assert report.check("proof").status is CheckStatus.FAILED
    assert report.verdict is Verdict.INVALID
    # Signed by a key the issuer's DID document does not list: not the issuer's.
    stranger = _sign_ed25519_2020(_legacy_credential(world, hanbit), signers["stranger"])
    report = verify_credential(stranger, now=NOW, fetcher=fetcher)
    assert report.check("key").status is CheckStatus.FAILED
    assert report.verdict is Verdict.INVALID


def test_unsupported_jwt_algorithm_is_unverifiable_and_named(
    world: World, hanbit: Issuer, signers: dict[str, PrivateKeySigner]
) -> None:
    """PS256 may be genuine: unverifiable, naming it. HS256 and none never are: invalid."""
    credential = _credential(world, hanbit)
    claims = {**credential, **jwt_claims(credential)}
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fetcher = DictFetcher({OTHER_DID_URL: _did_document(signers)})
    pss = jwt.encode(claims, rsa_key, algorithm="PS256", headers={"kid": f"{OTHER_DID}#ps-1"})
    report = verify_credential(pss, now=NOW, fetcher=fetcher)
    assert report.check("jwt").code == "unsupported-jwt-algorithm"
    assert "PS256" in report.check("jwt").message("en")
    assert "PS256" in report.check("jwt").message("ko")
    assert report.verdict is Verdict.UNVERIFIABLE
    hmac = jwt.encode(claims, "shared-secret-of-32-bytes-or-more!!", algorithm="HS256")
    report = verify_credential(hmac, now=NOW, fetcher=fetcher)
    assert report.check("jwt").code == "unsupported-algorithm"
    assert report.verdict is Verdict.INVALID
