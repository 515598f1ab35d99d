"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C vc-di-eddsa).

Create: hash the canonical proof configuration and the canonical unsecured document
(SHA-256 each, proof configuration first), sign the 64 bytes with Ed25519, and write the
signature as multibase base58btc. Verify re-does the hashing and checks the signature.
The legacy names ``eddsa-2022`` and ``Ed25519Signature2020`` are read, never written.

``eddsa-jcs-2022`` is read too (other issuers use it; Digital Bazaar verifies it): the same
hashing and signature, with the JSON Canonicalization Scheme (RFC 8785, through the
``rfc8785`` package) instead of RDFC-1.0, so it signs the JSON bytes themselves and needs no
JSON-LD processing. Baeji signs with ``eddsa-rdfc-2022`` only; :func:`create_proof` writes a
JCS proof only when asked (tests, interop).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import rfc8785

from badges.canonical import canonicalize_rdfc
from badges.errors import InvalidProof, MissingProof, UnsupportedCryptosuite
from badges.model import format_datetime
from keys import InvalidKeyEncoding, InvalidSignature, KeyType, PublicKey, Signer, multibase_decode
from keys.encoding import multibase_encode

PROOF_TYPE = "DataIntegrityProof"
MAX_PROOFS = 16
"""Most embedded proofs read from one document. Each proof costs a canonicalization of the
whole document, so a credential padded with thousands of copies of its proof would cost
minutes of CPU; real credentials carry one or two."""
MAX_PROOF_VALUE_LENGTH = 96
"""Longest ``proofValue`` read: an Ed25519 signature is 64 bytes, at most 88 base58btc
characters after the ``z``. Longer values are refused before decoding (base58 decoding
costs time quadratic in its length)."""
CRYPTOSUITE = "eddsa-rdfc-2022"
JCS_CRYPTOSUITE = "eddsa-jcs-2022"
# Cryptosuites that hash and sign exactly as eddsa-rdfc-2022 does, under other names.
_RDFC_SUITES = {
    (PROOF_TYPE, CRYPTOSUITE),
    (PROOF_TYPE, "eddsa-2022"),
    ("Ed25519Signature2020", None),
}
_JCS_SUITES = {(PROOF_TYPE, JCS_CRYPTOSUITE)}
_READABLE_SUITES = _RDFC_SUITES | _JCS_SUITES


def is_jcs_proof(proof: Mapping[str, Any]) -> bool:
    """Whether ``proof`` is an ``eddsa-jcs-2022`` proof (it needs no JSON-LD processing)."""
    return (proof.get("type"), proof.get("cryptosuite")) in _JCS_SUITES


def canonicalize_jcs(value: Mapping[str, Any]) -> bytes:
    """Return the RFC 8785 (JCS) serialization of ``value``, for ``eddsa-jcs-2022``.

    Raises:
        InvalidProof: the value cannot be serialized (e.g. a number outside IEEE 754).
    """
    try:
        return rfc8785.dumps(dict(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as err:
        raise InvalidProof(f"the document cannot be canonicalized with JCS: {err}") from err


def hash_data_jcs(unsecured: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
    """Return ``SHA-256(JCS(proof config)) || SHA-256(JCS(document))`` (eddsa-jcs-2022)."""
    config_hash = hashlib.sha256(canonicalize_jcs(proof_config)).digest()
    return config_hash + hashlib.sha256(canonicalize_jcs(unsecured)).digest()


def proofs_of(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the embedded proofs of a document as a list (a single object is accepted).

    Raises:
        MissingProof: the document has no ``proof``.
        InvalidProof: ``proof`` is neither an object nor a list of objects, or it lists
            more than :data:`MAX_PROOFS`.
    """
    proof = document.get("proof")
    if proof is None or proof == []:
        raise MissingProof("the credential has no embedded proof")
    proofs = proof if isinstance(proof, list) else [proof]
    if len(proofs) > MAX_PROOFS:
        raise InvalidProof(f"{len(proofs)} proofs; at most {MAX_PROOFS} are read")
    if not all(isinstance(p, dict) for p in proofs):
        raise InvalidProof("proof must be an object or a list of objects")
    return list(proofs)


def hash_data(
    unsecured: Mapping[str, Any],
    proof_config: Mapping[str, Any],
    *,
    strict: bool = False,
    canonical_document: str | None = None,
) -> bytes:
    """Return ``SHA-256(canonical proof config) || SHA-256(canonical document)``.

    ``proof_config`` is the proof without ``proofValue`` and with the document's
    ``@context`` (vc-di-eddsa, "Proof Configuration (eddsa-rdfc-2022)"). ``strict``
    refuses undefined terms in the document (see :func:`canonicalize_rdfc`).
    ``canonical_document``: ``canonicalize_rdfc(unsecured)``, when the caller already
    made it from this very document.
    """
    config_hash = hashlib.sha256(canonicalize_rdfc(proof_config).encode("utf-8")).digest()
    if canonical_document is None:
        canonical_document = canonicalize_rdfc(unsecured, strict=strict)
    document_hash = hashlib.sha256(canonical_document.encode("utf-8")).digest()
    return config_hash + document_hash


def create_proof(
    document: Mapping[str, Any],
    signer: Signer,
    *,
    now: datetime,
    verification_method: str | None = None,
    proof_purpose: str = "assertionMethod",
    strict: bool = False,
    cryptosuite: str = CRYPTOSUITE,
) -> dict[str, Any]:
    """Create an ``eddsa-rdfc-2022`` proof over ``document`` (its existing proofs excluded).

    Args:
        document: the unsecured credential (JSON-LD, with ``@context``).
        signer: an Ed25519 signer.
        now: the ``created`` time.
        verification_method: the key's URL; defaults to ``signer.key_id``.
        proof_purpose: ``assertionMethod`` for credentials.
        strict: refuse terms no context defines; they would go unsigned.
        cryptosuite: ``eddsa-rdfc-2022`` (what Baeji issues) or ``eddsa-jcs-2022``.

    Returns:
        The proof object, with ``proofValue``.

    Raises:
        UnsupportedCryptosuite: the signer is not Ed25519.
        InvalidJsonLd: the document cannot be canonicalized.
    """
    if signer.key_type is not KeyType.ED25519:
        raise UnsupportedCryptosuite(f"{cryptosuite} needs an Ed25519 key, not {signer.key_type}")
    if cryptosuite not in (CRYPTOSUITE, JCS_CRYPTOSUITE):
        raise UnsupportedCryptosuite(f"Baeji does not sign with {cryptosuite!r}")
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": cryptosuite,
        "created": format_datetime(now),
        "verificationMethod": verification_method or signer.key_id,
        "proofPurpose": proof_purpose,
    }
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {**proof, "@context": document.get("@context")}
    if cryptosuite == JCS_CRYPTOSUITE:
        # vc-di-eddsa, "Proof Configuration (eddsa-jcs-2022)": the configuration, and so
        # the written proof, carries the document's @context.
        proof["@context"] = document.get("@context")
        digest = hash_data_jcs(unsecured, config)
    else:
        digest = hash_data(unsecured, config, strict=strict)
    proof["proofValue"] = multibase_encode(signer.sign(digest), "z")
    return proof


def add_proof(
    document: Mapping[str, Any],
    signer: Signer,
    *,
    now: datetime,
    verification_method: str | None = None,
    strict: bool = False,
) -> dict[str, Any]:
    """Return a copy of ``document`` with a new proof appended to its ``proof`` array.

    OB 3.0 requires ``proof`` to be an array in the plain-JSON form.
    """
    proof = create_proof(
        document, signer, now=now, verification_method=verification_method, strict=strict
    )
    secured = copy.deepcopy(dict(document))
    existing = secured.get("proof")
    proofs = [] if existing is None else existing if isinstance(existing, list) else [existing]
    secured["proof"] = [*proofs, proof]
    return secured


def check_proof_options(proof: Mapping[str, Any]) -> None:
    """Check a proof's type, cryptosuite, purpose and value shape before any crypto.

    Raises:
        UnsupportedCryptosuite: the proof type or cryptosuite is not one we can verify.
        InvalidProof: a required member is missing or malformed.
    """
    suite = (proof.get("type"), proof.get("cryptosuite"))
    if suite not in _READABLE_SUITES:
        raise UnsupportedCryptosuite(
            f"unsupported proof {proof.get('type')!r} / {proof.get('cryptosuite')!r}"
        )
    if proof.get("proofPurpose") != "assertionMethod":
        raise InvalidProof("proofPurpose must be assertionMethod")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise InvalidProof("proofValue must be multibase base58btc ('z...')")
    if len(value) > MAX_PROOF_VALUE_LENGTH:
        raise InvalidProof(
            f"proofValue is {len(value)} characters; an Ed25519 signature needs at most"
            f" {MAX_PROOF_VALUE_LENGTH}"
        )
    if not isinstance(proof.get("verificationMethod"), str):
        raise InvalidProof("proof has no verificationMethod")


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key: PublicKey,
    *,
    canonical_document: str | None = None,
) -> None:
    """Verify one embedded proof of ``document`` with ``public_key``.

    The caller resolves the key from ``proof["verificationMethod"]`` and checks that its
    controller is the issuer; this function checks only the cryptography.
    ``canonical_document`` is the RDFC-1.0 canonical form of ``document`` without its
    proofs when the caller already made it (the verifier's undefined-term check does),
    so it is not made twice; it must come from this very document.

    Raises:
        UnsupportedCryptosuite: unknown proof type or cryptosuite, or a non-Ed25519 key.
        InvalidProof: malformed proof or a signature that does not verify.
        InvalidJsonLd: the document cannot be canonicalized.
    """
    check_proof_options(proof)
    if public_key.key_type is not KeyType.ED25519:
        raise UnsupportedCryptosuite("eddsa proofs verify with Ed25519 keys only")
    try:
        signature = multibase_decode(proof["proofValue"], max_length=MAX_PROOF_VALUE_LENGTH)
    except InvalidKeyEncoding as err:
        raise InvalidProof("proofValue is not valid base58btc") from err
    if len(signature) != 64:
        raise InvalidProof("an Ed25519 signature is 64 bytes")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if is_jcs_proof(proof):
        digest = _jcs_digest(document, unsecured, options)
    else:
        # vc-di-eddsa, "Verify Proof": a proof carrying its own @context must agree with
        # the document's.
        if "@context" in options and options["@context"] != document.get("@context"):
            raise InvalidProof("the proof's @context differs from the document's")
        config = {**options, "@context": document.get("@context")}
        digest = hash_data(unsecured, config, canonical_document=canonical_document)
    try:
        public_key.verify(signature, digest)
    except InvalidSignature as err:
        raise InvalidProof("the proof signature does not verify") from err


def _jcs_digest(
    document: Mapping[str, Any], unsecured: dict[str, Any], options: dict[str, Any]
) -> bytes:
    """vc-di-eddsa, "Verify Proof (eddsa-jcs-2022)": the hash data of a JCS proof."""
    context = options.get("@context")
    if context is not None:
        # The document's @context must start with the proof's, in order; the proof's is
        # then the one that was signed.
        signed = context if isinstance(context, list) else [context]
        found = document.get("@context")
        found = found if isinstance(found, list) else [found]
        if found[: len(signed)] != signed:
            raise InvalidProof("the document's @context does not start with the proof's")
        unsecured["@context"] = context
    config = dict(options)
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    return hash_data_jcs(unsecured, config)
