"""Key provenance: which keys count as the issuer's, for Data Integrity proofs and VC-JWTs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from badges import jwt_claims
from keys import VerificationKey, b64url_encode
from tests.verify.conftest import NOW, Issuer, World
from verify import CheckStatus, DictFetcher, Verdict, verify_credential

HTTPS_ISSUER = "https://academy.example.kr/issuers/7"


def _jwt(issuer: Issuer, credential: dict[str, Any], header: dict[str, Any]) -> str:
    claims = {**credential, **jwt_claims(credential)}
    signing_input = (
        b64url_encode(json.dumps({"alg": "RS256", "typ": "JWT", **header}).encode())
        + "."
        + b64url_encode(json.dumps(claims, ensure_ascii=False).encode())
    )
    return f"{signing_input}.{b64url_encode(issuer.rsa.sign(signing_input.encode()))}"


def _verify(source: Any, documents: dict[str, Any]) -> Any:
    return verify_credential(source, now=NOW, fetcher=DictFetcher(documents))


def _did_document(world: World, issuer: Issuer) -> dict[str, Any]:
    url = f"https://badges.example.kr/issuers/{issuer.slug}/did.json"
    document: dict[str, Any] = world.documents[url]
    return document


def test_method_whose_controller_is_someone_else(world: World, hanbit: Issuer) -> None:
    """A method in the issuer's own document but controlled by another DID is refused."""
    credential, _ = world.issue(hanbit)
    document = _did_document(world, hanbit)
    document["verificationMethod"][0]["controller"] = "did:web:badges.example.kr:issuers:other"
    report = _verify(credential, world.documents)
    assert report.check("key").code == "key-not-controlled"
    assert report.verdict is Verdict.INVALID


def test_method_not_under_assertion_method(world: World, hanbit: Issuer) -> None:
    """Authentication keys do not sign credentials: assertionMethod must list the key."""
    credential, _ = world.issue(hanbit)
    document = _did_document(world, hanbit)
    document["assertionMethod"] = document["assertionMethod"][1:]
    report = _verify(credential, world.documents)
    assert report.check("key").code == "key-not-assertion-method"


def test_method_missing_from_the_document(world: World, hanbit: Issuer) -> None:
    """A proof naming a key the issuer does not publish fails the key check."""
    document = world.credential(hanbit)
    credential, _ = world.sign(hanbit, document, verification_method=f"{hanbit.did}#key-retired")
    world.publish_status(hanbit)
    report = _verify(credential, world.documents)
    assert report.check("key").code == "key-not-found"


def test_malformed_key_in_the_document(world: World, hanbit: Issuer) -> None:
    """A published key that does not decode is reported, not crashed on."""
    credential, _ = world.issue(hanbit)
    _did_document(world, hanbit)["verificationMethod"][0]["publicKeyMultibase"] = "zBad"
    report = _verify(credential, world.documents)
    assert report.check("key").code == "invalid-key"


def test_did_document_for_another_did(world: World, hanbit: Issuer) -> None:
    """The DID document must be about the issuer's DID."""
    credential, _ = world.issue(hanbit)
    _did_document(world, hanbit)["id"] = "did:web:badges.example.kr:issuers:other"
    report = _verify(credential, world.documents)
    assert report.check("issuer").code == "issuer-document-mismatch"
    assert report.verdict is Verdict.INVALID


def test_did_document_that_is_not_json(world: World, hanbit: Issuer) -> None:
    """A DID document that is not a JSON object is an invalid issuer document."""
    credential, _ = world.issue(hanbit)
    world.documents[f"https://badges.example.kr/issuers/{hanbit.slug}/did.json"] = "[1]"
    report = _verify(credential, world.documents)
    assert report.check("issuer").code == "invalid-issuer-document"


def test_malformed_did_web(world: World, hanbit: Issuer) -> None:
    """An issuer did:web with an empty path segment cannot be resolved."""
    document = world.credential(hanbit)
    document["issuer"]["id"] = "did:web:badges.example.kr::x"
    credential, _ = world.sign(hanbit, document)
    report = _verify(credential, world.documents)
    assert report.check("issuer").code == "invalid-issuer-document"


def test_https_issuer_with_controller_document(world: World, hanbit: Issuer) -> None:
    """An HTTPS issuer id is dereferenced to its controller document."""
    document = world.credential(hanbit)
    document["issuer"]["id"] = HTTPS_ISSUER
    document.pop("credentialStatus")
    method = f"{HTTPS_ISSUER}#key-1"
    credential, _ = world.sign(hanbit, document, verification_method=method)
    profile = {
        "id": HTTPS_ISSUER,
        "type": ["Profile"],
        "name": "HTTPS 아카데미",
        "assertionMethod": [
            {
                "id": "#key-1",
                "type": "Multikey",
                "controller": HTTPS_ISSUER,
                "publicKeyMultibase": hanbit.ed25519.public_key.to_multikey(),
            }
        ],
    }
    report = _verify(credential, {HTTPS_ISSUER: profile})
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert report.check("issuer").details["method"] == "https"
    assert report.check("issuer").details["name"] == "HTTPS 아카데미"


def test_issuer_referencing_a_did_key_and_an_external_method(world: World, hanbit: Issuer) -> None:
    """assertionMethod may reference a did:key, or a method in another document it controls."""
    from keys import did_key_from_public_key

    did_key = did_key_from_public_key(hanbit.ed25519.public_key.key)
    external = "https://keys.example.kr/hanbit"
    for method, documents in (
        (did_key, {}),
        (
            f"{external}#k1",
            {
                external: {
                    "id": external,
                    "verificationMethod": [
                        {
                            "id": "#k1",
                            "type": "Multikey",
                            "controller": HTTPS_ISSUER,
                            "publicKeyMultibase": hanbit.ed25519.public_key.to_multikey(),
                        }
                    ],
                }
            },
        ),
    ):
        document = world.credential(hanbit)
        document["issuer"]["id"] = HTTPS_ISSUER
        document.pop("credentialStatus")
        credential, _ = world.sign(hanbit, document, verification_method=method)
        profile = {"id": HTTPS_ISSUER, "assertionMethod": [method]}
        report = _verify(credential, {HTTPS_ISSUER: profile, **documents})
        assert report.verdict is Verdict.VALID, report.to_dict()


def test_external_method_controlled_by_someone_else(world: World, hanbit: Issuer) -> None:
    """A referenced external method must still name the issuer as its controller."""
    external = "https://keys.example.kr/hanbit"
    document = world.credential(hanbit)
    document["issuer"]["id"] = HTTPS_ISSUER
    document.pop("credentialStatus")
    credential, _ = world.sign(hanbit, document, verification_method=f"{external}#k1")
    documents = {
        HTTPS_ISSUER: {"id": HTTPS_ISSUER, "assertionMethod": [f"{external}#k1"]},
        external: {
            "id": external,
            "verificationMethod": [
                {
                    "id": f"{external}#k1",
                    "type": "Multikey",
                    "controller": "https://someone.example",
                    "publicKeyMultibase": hanbit.ed25519.public_key.to_multikey(),
                }
            ],
        },
    }
    report = _verify(credential, documents)
    assert report.check("key").code == "key-not-controlled"
    del documents[external]
    report = _verify(credential, documents)
    assert report.check("key").code == "key-not-found"


def _https_issuer_jwt(world: World, hanbit: Issuer, kid: str) -> str:
    document = world.credential(hanbit)
    document["issuer"]["id"] = HTTPS_ISSUER
    document.pop("credentialStatus")
    return _jwt(hanbit, document, {"kid": kid})


def test_jwt_key_from_the_issuers_jwks(world: World, hanbit: Issuer) -> None:
    """A JWKS under an HTTPS issuer's own path is honoured; an iss member must match."""
    jwks_url = f"{HTTPS_ISSUER}/jwks.json"
    jwk = {**hanbit.rsa.public_key.to_jwk(), "kid": "rsa-1", "use": "sig"}
    token = _https_issuer_jwt(world, hanbit, f"{jwks_url}#rsa-1")
    documents: dict[str, Any] = {HTTPS_ISSUER: {"id": HTTPS_ISSUER}, jwks_url: {"keys": [jwk]}}
    report = _verify(token, documents)
    assert report.verdict is Verdict.VALID, report.to_dict()
    documents[jwks_url] = {"keys": [{**jwk, "iss": "https://academy.example.kr/issuers/8"}]}
    assert _verify(token, documents).check("key").code == "key-not-controlled"
    documents[jwks_url] = {"keys": []}
    assert _verify(token, documents).check("key").code == "key-not-found"


def test_regression_shared_origin_jwks_forgery(world: World, hanbit: Issuer) -> None:
    """Another tenant's JWKS on the same origin never speaks for the issuer.

    Every issuer of a platform shares its origin; a kid naming a sibling's (or the
    platform-wide) JWKS let one tenant sign badges in another's name.
    """
    jwk = {**hanbit.rsa.public_key.to_jwk(), "kid": "rsa-1"}
    for jwks_url in (
        "https://academy.example.kr/issuers/8/jwks.json",
        "https://academy.example.kr/.well-known/jwks.json",
    ):
        token = _https_issuer_jwt(world, hanbit, f"{jwks_url}#rsa-1")
        documents = {HTTPS_ISSUER: {"id": HTTPS_ISSUER}, jwks_url: {"keys": [jwk]}}
        report = _verify(token, documents)
        assert report.verdict is Verdict.INVALID, jwks_url
        assert report.check("key").code == "key-not-controlled"
        documents[jwks_url] = {"keys": [{**jwk, "iss": HTTPS_ISSUER}]}
        assert _verify(token, documents).verdict is Verdict.VALID, jwks_url


def test_regression_did_issuer_ignores_jwks(world: World, hanbit: Issuer) -> None:
    """A did:web issuer's keys come from its DID document only, never from a JWKS.

    A kid naming another tenant's JWKS on the platform's origin was accepted as the
    issuer's key, for JWTs and Data Integrity proofs alike.
    """
    credential = world.credential(hanbit)
    world.publish_status(hanbit)
    jwks_url = "https://badges.example.kr/issuers/nuri/jwks.json"
    jwk = {**hanbit.rsa.public_key.to_jwk(), "kid": "rsa-1"}
    documents = {**world.documents, jwks_url: {"keys": [jwk]}}
    fetcher = DictFetcher(documents)
    report = verify_credential(
        _jwt(hanbit, credential, {"kid": f"{jwks_url}#rsa-1"}), now=NOW, fetcher=fetcher
    )
    assert report.verdict is Verdict.INVALID
    assert report.check("key").code == "key-not-controlled"
    assert jwks_url not in fetcher.requests


def test_jwks_on_another_origin_is_not_fetched(world: World, hanbit: Issuer) -> None:
    """A kid pointing at a JWKS elsewhere is not the issuer's key, and is not even fetched."""
    credential = world.credential(hanbit)
    world.publish_status(hanbit)
    token = _jwt(hanbit, credential, {"kid": "https://evil.example/jwks.json#rsa-1"})
    fetcher = DictFetcher(world.documents)
    report = verify_credential(token, now=NOW, fetcher=fetcher)
    assert report.check("key").code == "key-not-controlled"
    assert not [url for url in fetcher.requests if "evil" in url]


def test_jwt_with_a_published_inline_jwk(world: World, hanbit: Issuer) -> None:
    """A jwk header is accepted when the issuer publishes the same key."""
    credential = world.credential(hanbit)
    world.publish_status(hanbit)
    jwk = {k: v for k, v in hanbit.rsa.public_key.to_jwk().items() if k != "kid"}
    report = _verify(_jwt(hanbit, credential, {"jwk": jwk}), world.documents)
    assert report.verdict is Verdict.VALID, report.to_dict()


def test_jwt_whose_kid_and_jwk_disagree(world: World, hanbit: Issuer, key_pool: Any) -> None:
    """kid names the issuer's key but jwk carries another: refused."""
    credential = world.credential(hanbit)
    world.publish_status(hanbit)
    other = key_pool["mallory"].rsa.public_key.to_jwk()
    other.pop("kid")
    token = _jwt(hanbit, credential, {"kid": hanbit.rsa.key_id, "jwk": other})
    assert _verify(token, world.documents).check("key").code == "key-only-in-credential"


def test_jwt_with_a_malformed_jwk(world: World, hanbit: Issuer) -> None:
    """A jwk header that is not a key is reported as an invalid key."""
    credential = world.credential(hanbit)
    world.publish_status(hanbit)
    token = _jwt(hanbit, credential, {"jwk": {"kty": "RSA"}})
    assert _verify(token, world.documents).check("key").code == "invalid-key"
    token = _jwt(hanbit, credential, {"jwk": "not a key"})
    assert _verify(token, world.documents).check("key").code == "invalid-key"


def test_jwt_without_kid_or_jwk_tries_the_issuers_keys(world: World, hanbit: Issuer) -> None:
    """Without kid or jwk, the issuer's published keys of the token's algorithm are tried."""
    credential = world.credential(hanbit)
    world.publish_status(hanbit)
    token = _jwt(hanbit, credential, {})
    report = _verify(token, world.documents)
    assert report.verdict is Verdict.VALID
    assert report.check("jwt").details["kid"] == hanbit.rsa.key_id


def test_jwt_whose_claims_disagree(world: World, hanbit: Issuer) -> None:
    """iss must be the issuer: a VC-JWT with another iss fails the jwt check."""
    credential = world.credential(hanbit)
    world.publish_status(hanbit)
    claims = {**credential, "iss": "did:web:elsewhere"}
    header = b64url_encode(json.dumps({"alg": "RS256", "kid": hanbit.rsa.key_id}).encode())
    body = b64url_encode(json.dumps(claims, ensure_ascii=False).encode())
    signature = b64url_encode(hanbit.rsa.sign(f"{header}.{body}".encode()))
    report = _verify(f"{header}.{body}.{signature}", world.documents)
    assert report.check("jwt").code == "jwt-claim-mismatch"
    assert report.verdict is Verdict.INVALID


def test_jwt_signed_with_an_algorithm_other_than_the_keys(world: World, hanbit: Issuer) -> None:
    """An ES256 header over an RSA key is refused (no algorithm but the key's own)."""
    credential = world.credential(hanbit)
    world.publish_status(hanbit)
    token = _jwt(hanbit, credential, {"kid": hanbit.rsa.key_id, "alg": "ES256"})
    assert _verify(token, world.documents).check("jwt").code == "unsupported-algorithm"


def test_proof_pointing_at_an_rsa_key(world: World, hanbit: Issuer) -> None:
    """An eddsa proof whose verificationMethod is an RSA key cannot verify."""
    document = world.credential(hanbit)
    credential, _ = world.sign(hanbit, document, verification_method=hanbit.rsa.key_id)
    world.publish_status(hanbit)
    report = _verify(credential, world.documents)
    assert report.check("proof").code == "unsupported-cryptosuite"


def test_malformed_proof(world: World, hanbit: Issuer) -> None:
    """A proof without a proofValue is malformed."""
    credential, _ = world.issue(hanbit)
    del credential["proof"][0]["proofValue"]
    report = _verify(credential, world.documents)
    assert report.check("proof").code == "invalid-proof"
    assert report.check("issuer").status is CheckStatus.SKIPPED
    credential["proof"] = "not a proof"
    assert _verify(credential, world.documents).check("proof").code == "invalid-proof"


def test_no_issuer(world: World, hanbit: Issuer) -> None:
    """A credential without an issuer fails both structure and issuer."""
    credential, _ = world.issue(hanbit)
    del credential["issuer"]
    report = _verify(credential, world.documents)
    assert report.check("issuer").code == "no-issuer"
    assert report.check("structure").status is CheckStatus.FAILED


def test_issuer_unreachable_is_unverifiable(world: World, hanbit: Issuer) -> None:
    """A DID document that cannot be fetched (not a 404) makes the result unverifiable."""
    credential, _ = world.issue(hanbit)

    class Down:
        def fetch(self, url: str, *, accept: str) -> Any:
            from verify import ConnectionFailed

            raise ConnectionFailed("connection refused", url=url)

    report = verify_credential(credential, now=NOW, fetcher=Down())
    assert report.check("issuer").code == "issuer-unreachable"
    assert report.verdict is Verdict.UNVERIFIABLE


def test_keys_do_not_leak_private_material(hanbit: Issuer) -> None:
    """Sanity: the DID document's JWKs are public (no 'd')."""
    key = VerificationKey.from_jwk(
        {k: v for k, v in hanbit.rsa.public_key.to_jwk().items() if k != "kid"}
    )
    assert "d" not in key.to_jwk()


@pytest.mark.parametrize("bad_kid", ["#nope", "nope"])
def test_relative_or_bare_kid_not_published(world: World, hanbit: Issuer, bad_kid: str) -> None:
    """A kid the issuer does not publish is not found (relative) or not the issuer's (bare)."""
    credential = world.credential(hanbit)
    world.publish_status(hanbit)
    report = _verify(_jwt(hanbit, credential, {"kid": bad_kid}), world.documents)
    assert report.check("key").status is CheckStatus.FAILED
