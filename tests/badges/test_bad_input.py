"""Bad input to the credential core gets a typed error with a stable code, never a crash."""

from __future__ import annotations

import resource
import tracemalloc
from datetime import datetime
from typing import Any

import pytest

from badges import (
    BadgeError,
    InvalidJsonLd,
    InvalidProof,
    MissingProof,
    UndefinedTerm,
    UnknownContext,
    UnsupportedCryptosuite,
    canonicalize_rdfc,
    create_proof,
    find_undefined_terms,
    proofs_of,
    require_defined_terms,
    sign_credential,
    verify_proof,
)
from badges.canonical import fallback_count
from badges.rdfc import canonicalize_quads
from keys import PrivateKeySigner
from tests.samples import sample_credential

VC = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


@pytest.mark.parametrize(
    "document",
    [
        {"@context": 5, "id": "urn:x"},
        {"@context": [VC, {"@version": 2.0}]},
        {"@context": [VC], "id": 5},
        {"@context": [VC], "@type": {"not": "a string"}},
        {"@context": [VC, {"name": {"@id": "@type"}}]},
    ],
    ids=["context-number", "bad-version", "numeric-id", "type-object", "keyword-redefinition"],
)
def test_malformed_json_ld(document: dict[str, Any]) -> None:
    """Malformed JSON-LD is an InvalidJsonLd (code invalid-json-ld or a subclass)."""
    with pytest.raises(InvalidJsonLd) as info:
        canonicalize_rdfc(document)
    assert info.value.code in {"invalid-json-ld", "unknown-context"}


def test_proof_needs_an_ed25519_key(now: datetime, rsa_signer: PrivateKeySigner) -> None:
    """eddsa-rdfc-2022 refuses to sign with an RSA key."""
    with pytest.raises(UnsupportedCryptosuite, match="Ed25519"):
        create_proof(sample_credential(now=now).to_json(), rsa_signer, now=now)


def test_wrong_key_type_refused_on_verify(
    now: datetime, ed25519_signer: PrivateKeySigner, p256_signer: PrivateKeySigner
) -> None:
    """An eddsa proof never verifies under a P-256 key."""
    signed = sign_credential(sample_credential(now=now), proof_signer=ed25519_signer, now=now)
    (proof,) = proofs_of(signed.credential)
    with pytest.raises(UnsupportedCryptosuite):
        verify_proof(signed.credential, proof, p256_signer.public_key)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"cryptosuite": "ecdsa-rdfc-2019"}, UnsupportedCryptosuite),
        ({"type": "RsaSignature2018"}, UnsupportedCryptosuite),
        ({"proofPurpose": "authentication"}, InvalidProof),
        ({"proofValue": "uAAAA"}, InvalidProof),
        ({"proofValue": "z0000"}, InvalidProof),
        ({"proofValue": "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"}, InvalidProof),
        ({"verificationMethod": None}, InvalidProof),
        ({"@context": ["https://www.w3.org/ns/credentials/v2"]}, InvalidProof),
    ],
    ids=[
        "other-suite",
        "other-type",
        "purpose",
        "not-base58",
        "bad-base58",
        "short-signature",
        "no-method",
        "context-mismatch",
    ],
)
def test_malformed_proofs(
    change: dict[str, Any], error: type[BadgeError], now: datetime, ed25519_signer: PrivateKeySigner
) -> None:
    """Malformed or unsupported proofs raise typed errors before or instead of a crypto check."""
    signed = sign_credential(sample_credential(now=now), proof_signer=ed25519_signer, now=now)
    (proof,) = proofs_of(signed.credential)
    with pytest.raises(error):
        verify_proof(signed.credential, {**proof, **change}, ed25519_signer.public_key)


@pytest.mark.parametrize(
    "document",
    [{}, {"proof": []}, {"proof": "z123"}, {"proof": [1]}],
    ids=["absent", "empty", "string", "not-object"],
)
def test_missing_or_shapeless_proofs(document: dict[str, Any]) -> None:
    """No proof is MissingProof; a proof that is not an object is InvalidProof."""
    with pytest.raises((MissingProof, InvalidProof)) as info:
        proofs_of(document)
    assert info.value.code in {"missing-proof", "invalid-proof"}


def test_regression_poison_graph_is_refused_quickly() -> None:
    """Blank nodes that all reference each other are refused before RDFC-1.0 runs.

    Eight such nodes took RDFC-1.0 about 43 s; a verifier would canonicalize them before
    checking any signature, so a 1 KB upload could hold a server worker for minutes.
    """
    n = 12
    nodes = [
        {"id": f"_:b{i}", "relatedTo": [f"_:b{j}" for j in range(n) if j != i]} for i in range(n)
    ]
    document = {"@context": {"@vocab": "https://example.org/#", "relatedTo": {"@type": "@id"}}}
    with pytest.raises(InvalidJsonLd, match="blank node"):
        canonicalize_rdfc({**document, "@graph": nodes})


def test_oversize_documents_are_refused() -> None:
    """A document with more objects than the budget is refused before canonicalizing."""
    document = {"@context": [VC], "items": [{"a": i} for i in range(25_000)]}
    with pytest.raises(InvalidJsonLd, match="objects"):
        canonicalize_rdfc(document)


def _nested(depth: int) -> dict[str, Any]:
    document: dict[str, Any] = {"name": "leaf"}
    for _ in range(depth):
        document = {"type": ["VerifiableCredential"], "credentialSubject": [document]}
    return document


@pytest.mark.parametrize("depth", [70, 5_000])
def test_deeply_nested_documents_are_refused(depth: int) -> None:
    """Nesting far beyond any credential is an InvalidJsonLd before any JSON-LD work."""
    document = {"@context": [VC, OB], **_nested(depth)}
    with pytest.raises(InvalidJsonLd, match="nests deeper"):
        canonicalize_rdfc(document)
    with pytest.raises(InvalidJsonLd, match="nests deeper"):
        find_undefined_terms(document)


def test_ordinary_nesting_is_accepted(now: datetime) -> None:
    """A dozen levels (a CLR's embedded credentials and alignments) are fine."""
    document = {"@context": [VC, OB], **_nested(12)}
    assert canonicalize_rdfc(document).count("\n") >= 12


def test_huge_literals_cost_memory_in_proportion() -> None:
    """A 4 MB text canonicalizes with a bounded memory peak (a few copies of the text)."""
    text = "가나다라" * 1_000_000
    document = {"@context": [VC], "id": "urn:uuid:1", "name": text}
    tracemalloc.start()
    try:
        result = canonicalize_rdfc(document)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert text in result
    assert peak < 20 * len(text.encode())


@pytest.mark.parametrize(
    "where",
    ["top", "embedded"],
)
def test_unknown_contexts_are_refused_on_the_fast_path(where: str, now: datetime) -> None:
    """A context we do not bundle is UnknownContext, wherever it appears; nothing is fetched."""
    unknown = "https://contexts.example.org/never-fetched.jsonld"
    document = sample_credential(now=now).to_json()
    if where == "top":
        document["@context"] = [*document["@context"], unknown]
    else:
        document["credentialSubject"]["@context"] = [unknown]
    before = fallback_count()
    with pytest.raises(UnknownContext, match="never-fetched") as info:
        canonicalize_rdfc(document)
    assert info.value.code == "unknown-context"
    assert fallback_count() == before


def test_undefined_terms_are_refused_in_strict_mode(now: datetime) -> None:
    """strict canonicalization and require_defined_terms name the undefined term."""
    document = sample_credential(now=now).to_json()
    document["credentialSubject"]["achievement"]["secretField"] = "unsigned?"
    with pytest.raises(UndefinedTerm, match="secretField") as info:
        canonicalize_rdfc(document, strict=True)
    assert info.value.code == "undefined-term"
    with pytest.raises(UndefinedTerm, match="secretField"):
        require_defined_terms(document)


def test_poison_quads_are_refused_within_the_work_budget() -> None:
    """A clique of blank nodes given as quads raises TooComplex, an InvalidJsonLd."""
    n = 12
    quads = [(f"_:b{i}", "<urn:ex:p>", f"_:b{j}", "") for i in range(n) for j in range(n) if i != j]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    with pytest.raises(InvalidJsonLd, match="work budget"):
        canonicalize_quads(quads)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_utime - before < 30


def test_python_values_no_json_text_has_go_to_pyld() -> None:
    """A non-string key (only Python callers can make one) gets pyld's answer, not a crash."""
    document = {"@context": [VC], "id": "urn:uuid:1", "name": "a", 5: "x"}
    before = fallback_count()
    with pytest.raises(InvalidJsonLd):
        canonicalize_rdfc(document)  # type: ignore[arg-type]
    assert fallback_count() == before + 1
