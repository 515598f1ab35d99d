"""``eddsa-jcs-2022`` against the W3C vc-di-eddsa test vectors, every intermediate value.

The vectors are copied byte for byte into ``tests/vectors/w3c-eddsa-jcs-2022/`` (sources in
``tests/vectors/README.md``).
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from badges import InvalidProof
from badges.proof import (
    JCS_CRYPTOSUITE,
    canonicalize_jcs,
    check_proof_options,
    create_proof,
    hash_data_jcs,
    is_jcs_proof,
    verify_proof,
)
from keys import PrivateKeySigner, VerificationKey, multibase_decode, public_key_from_did_key

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "w3c-eddsa-jcs-2022"


def _text(name: str) -> str:
    return (VECTORS / name).read_text(encoding="utf-8").strip()


def _json(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return value


@pytest.fixture
def signed() -> dict[str, Any]:
    """The W3C signed example (eddsa-jcs-2022)."""
    return _json("signedJCS.json")


def _key(signed: dict[str, Any]) -> VerificationKey:
    return VerificationKey(public_key_from_did_key(signed["proof"]["verificationMethod"]))


def test_canonical_document_and_hash() -> None:
    """JCS of the unsigned document is the published text; its SHA-256 the published hash."""
    canonical = canonicalize_jcs(_json("unsigned.json"))
    assert canonical.decode() == _text("canonDocJCS.txt")
    assert hashlib.sha256(canonical).hexdigest() == _text("docHashJCS.txt")


def test_canonical_proof_config_and_combined_hash() -> None:
    """JCS of the proof configuration, its hash, and the combined hash data are the published."""
    config = _json("proofConfigJCS.json")
    canonical = canonicalize_jcs(config)
    assert canonical.decode() == _text("proofCanonJCS.txt")
    assert hashlib.sha256(canonical).hexdigest() == _text("proofHashJCS.txt")
    assert hash_data_jcs(_json("unsigned.json"), config).hex() == _text("combinedHashJCS.txt")


def test_signing_reproduces_the_signature_and_proof() -> None:
    """Signing with the W3C key gives the published signature, proofValue and whole proof."""
    pair = json.loads((VECTORS / "keyPair.json").read_text(encoding="utf-8"))
    config = _json("proofConfigJCS.json")
    seed = multibase_decode(pair["privateKeyMultibase"])[2:]
    signer = PrivateKeySigner.from_ed25519_seed(seed, config["verificationMethod"])
    proof = create_proof(
        _json("unsigned.json"),
        signer,
        now=datetime.fromisoformat(config["created"]),
        cryptosuite=JCS_CRYPTOSUITE,
    )
    assert multibase_decode(proof["proofValue"]).hex() == _text("sigHexJCS.txt")
    assert proof["proofValue"] == _text("sigBTC58JCS.txt")
    assert proof == _json("signedJCS.json")["proof"]


def test_signed_example_verifies(signed: dict[str, Any]) -> None:
    """The W3C signed example verifies with the did:key of its verification method."""
    assert is_jcs_proof(signed["proof"])
    check_proof_options(signed["proof"])
    verify_proof(signed, signed["proof"], _key(signed))


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["credentialSubject"].update(alumniOf="The School of Forgeries"),
        lambda d: d.update(extra="a member a JSON-LD processor would drop"),
        lambda d: d["proof"].update(created="2024-02-24T23:36:38Z"),
        lambda d: d.update({"@context": ["https://www.w3.org/ns/credentials/v2"]}),
    ],
    ids=["subject", "undefined-member", "proof-options", "context-not-the-proofs"],
)
def test_any_change_fails(signed: dict[str, Any], change: Any) -> None:
    """JCS signs the JSON itself: any change, even one RDFC would not see, breaks the proof."""
    tampered = copy.deepcopy(signed)
    change(tampered)
    with pytest.raises(InvalidProof):
        verify_proof(tampered, tampered["proof"], _key(signed))


def test_unserializable_value_is_an_invalid_proof(signed: dict[str, Any]) -> None:
    """A value JCS cannot serialize (an integer beyond IEEE 754) is refused, not crashed on."""
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["big"] = 2**60
    with pytest.raises(InvalidProof, match="JCS"):
        verify_proof(tampered, tampered["proof"], _key(signed))
