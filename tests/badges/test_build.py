"""Building and signing credentials: schema, contexts, both proofs, golden files."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from badges import (
    OB_CONTEXTS,
    ClrCredential,
    OpenBadgeCredential,
    SchemaViolation,
    UndefinedTerm,
    UnknownContext,
    build_clr,
    build_endorsement,
    canonicalize_rdfc,
    decode_jwt,
    find_undefined_terms,
    proofs_of,
    require_defined_terms,
    schema_errors,
    sign_credential,
    verify_jwt_signature,
    verify_proof,
)
from badges.context import CONTEXT_FILES, load_context
from keys import PrivateKeySigner
from tests.samples import ISSUER_DID, sample_credential, sample_issuer

GOLDEN_DIR = Path(__file__).parents[1] / "vectors" / "golden"
KEYS_DIR = Path(__file__).parents[1] / "vectors" / "keys"


def _fixed_signer(name: str, key_id: str) -> PrivateKeySigner:
    key = load_pem_private_key((KEYS_DIR / name).read_bytes(), None)
    return PrivateKeySigner(key, key_id)  # type: ignore[arg-type]


def test_built_credential_matches_the_ob_schema_and_contexts(now: datetime) -> None:
    """A built credential validates against the OB 3.0 schema and every term is defined."""
    document = sample_credential(now=now).to_json()
    assert document["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert schema_errors({**document, "proof": [{"type": "DataIntegrityProof"}]}) == []
    assert find_undefined_terms(document) == []
    assert document["credentialSubject"]["identifier"][0]["identityHash"].startswith("sha256$")
    assert "kim.jiwoo" not in json.dumps(document)


def test_sign_credential_makes_both_proofs(
    now: datetime, ed25519_signer: PrivateKeySigner, rsa_signer: PrivateKeySigner
) -> None:
    """The JSON has an eddsa-rdfc-2022 proof array; the RS256 JWT carries it plus the OB claims."""
    signed = sign_credential(
        sample_credential(now=now), proof_signer=ed25519_signer, jwt_signer=rsa_signer, now=now
    )
    (proof,) = proofs_of(signed.credential)
    assert isinstance(signed.credential["proof"], list)
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"] == ed25519_signer.key_id
    verify_proof(signed.credential, proof, ed25519_signer.public_key)
    assert signed.jwt is not None
    decoded = decode_jwt(signed.jwt)
    assert decoded.header == {"alg": "RS256", "kid": rsa_signer.key_id, "typ": "JWT"}
    verify_jwt_signature(decoded, rsa_signer.public_key)
    assert decoded.credential == signed.credential
    assert decoded.payload["iss"] == ISSUER_DID
    assert decoded.payload["jti"] == signed.credential["id"]
    assert decoded.payload["sub"] == signed.credential["credentialSubject"]["id"]
    assert decoded.payload["nbf"] == int(now.timestamp())
    assert "exp" not in decoded.payload


def test_jwt_exp_follows_valid_until(
    now: datetime, ed25519_signer: PrivateKeySigner, p256_signer: PrivateKeySigner
) -> None:
    """With validUntil the JWT gets exp; ES256 is available on request."""
    until = now + timedelta(days=365)
    signed = sign_credential(
        sample_credential(now=now, valid_until=until),
        proof_signer=ed25519_signer,
        jwt_signer=p256_signer,
        now=now,
    )
    assert signed.jwt is not None
    decoded = decode_jwt(signed.jwt)
    assert decoded.algorithm == "ES256"
    assert decoded.payload["exp"] == int(until.timestamp())
    verify_jwt_signature(decoded, p256_signer.public_key)


def test_schema_violation_blocks_signing(now: datetime, ed25519_signer: PrivateKeySigner) -> None:
    """A credential that breaks the OB schema is refused before anything is signed."""
    document = sample_credential(now=now).to_json()
    document["credentialSubject"]["achievement"]["achievementType"] = "NotAType"
    with pytest.raises(SchemaViolation, match="achievementType") as info:
        sign_credential(document, proof_signer=ed25519_signer, now=now)
    assert info.value.code == "schema-violation"
    assert info.value.errors


def test_unknown_context_blocks_signing(now: datetime, ed25519_signer: PrivateKeySigner) -> None:
    """An @context we do not bundle is an error, never a fetch."""
    document = sample_credential(now=now).to_json()
    document["@context"] = [*document["@context"], "https://evil.example/context.json"]
    with pytest.raises(UnknownContext, match=r"evil\.example") as info:
        sign_credential(document, proof_signer=ed25519_signer, now=now)
    assert info.value.code == "unknown-context"


def test_undefined_terms_are_found(now: datetime) -> None:
    """A property and a type that no context defines are reported by name."""
    document = sample_credential(now=now).to_json()
    document["favouriteColour"] = "blue"
    document["credentialSubject"]["type"] = ["AchievementSubject", "Learner"]
    assert find_undefined_terms(document) == ["Learner", "favouriteColour"]
    with pytest.raises(UndefinedTerm, match="favouriteColour"):
        require_defined_terms(document)


def test_naive_datetimes_are_refused() -> None:
    """Times without a timezone cannot enter a credential."""
    with pytest.raises(ValueError, match="timezone"):
        sample_credential(now=datetime(2026, 1, 1))


def test_credential_json_round_trips(now: datetime) -> None:
    """Parsing the JSON of a built credential gives back an equal model."""
    credential = sample_credential(now=now)
    assert OpenBadgeCredential.from_json(credential.to_json()) == credential


def test_endorsement_validates_and_signs(now: datetime, ed25519_signer: PrivateKeySigner) -> None:
    """An endorsement validates against the endorsement schema and verifies."""
    endorsement = build_endorsement(
        credential_id="urn:uuid:8e1c0a52-3f6b-4d21-a9e7-5c2b7d0f1e93",
        issuer=sample_issuer("did:web:badges.example.kr:issuers:kdigital"),
        subject_id="https://badges.example.kr/achievements/3b1f7c2e-5d0a-4c1e-9a63-2f4e8d9b0c11",
        name="K-디지털 트레이닝 인증 과정",
        comment="고용노동부 K-디지털 트레이닝 기준을 충족하는 과정입니다.",
        now=now,
    )
    signed = sign_credential(endorsement, proof_signer=ed25519_signer, now=now)
    assert signed.jwt is None
    (proof,) = proofs_of(signed.credential)
    verify_proof(signed.credential, proof, ed25519_signer.public_key)
    assert find_undefined_terms(signed.credential) == []


def test_clr_embeds_credentials_as_issued(now: datetime, ed25519_signer: PrivateKeySigner) -> None:
    """A CLR embeds signed badges unchanged; its own proof and each inner proof verify."""
    inner = [
        sign_credential(
            sample_credential(
                now=now, credential_id=f"urn:uuid:00000000-0000-4000-8000-00000000000{i}"
            ),
            proof_signer=ed25519_signer,
            now=now,
        ).credential
        for i in range(2)
    ]
    clr = build_clr(
        credential_id="https://badges.example.kr/clr/6a0e2f8c",
        issuer=sample_issuer("did:web:badges.example.kr"),
        subject_id="urn:uuid:6a0e2f8c-1b7d-4e5a-9c3f-0d8b2a4e6f10",
        credentials=inner,
        name="김지우 학습 이력 (Learning record)",
        now=now,
    )
    signed = sign_credential(clr, proof_signer=ed25519_signer, now=now)
    assert signed.credential["credentialSubject"]["verifiableCredential"] == inner
    assert find_undefined_terms(signed.credential) == []
    (proof,) = proofs_of(signed.credential)
    verify_proof(signed.credential, proof, ed25519_signer.public_key)
    for credential in signed.credential["credentialSubject"]["verifiableCredential"]:
        (inner_proof,) = proofs_of(credential)
        verify_proof(credential, inner_proof, ed25519_signer.public_key)
    assert ClrCredential.from_json(clr.to_json()) == clr


def test_bundled_contexts_match_the_spec_copies(spec_dir: Path) -> None:
    """Every bundled context is byte-for-byte the published spec copy for its URL."""
    mapping = json.loads((spec_dir / "contexts" / "context-map.json").read_text())["contexts"]
    assert set(CONTEXT_FILES) == set(mapping)
    for url, name in CONTEXT_FILES.items():
        assert Path(mapping[url]).name == name
        assert load_context(url) == json.loads((spec_dir / mapping[url]).read_text())
    assert set(OB_CONTEXTS) <= set(CONTEXT_FILES)


def _golden(name: str, value: Any) -> str:
    """Return the committed golden text; BAEJI_UPDATE_GOLDEN=1 rewrites it (review the diff)."""
    path = GOLDEN_DIR / name
    if os.environ.get("BAEJI_UPDATE_GOLDEN") == "1":
        text = (
            value
            if isinstance(value, str)
            else json.dumps(value, ensure_ascii=False, indent=2) + "\n"
        )
        path.write_text(text)
    return path.read_text()


def test_golden_signed_credential() -> None:
    """A fixed key and a fixed clock produce byte-identical signed JSON and JWT."""
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    signed = sign_credential(
        sample_credential(now=now),
        proof_signer=_fixed_signer("ed25519-golden.pem", f"{ISSUER_DID}#key-1"),
        jwt_signer=_fixed_signer("rsa2048-golden.pem", f"{ISSUER_DID}#key-2"),
        now=now,
    )
    text = json.dumps(signed.credential, ensure_ascii=False, indent=2) + "\n"
    assert text == _golden("signed-credential.json", signed.credential)
    assert signed.jwt is not None
    assert signed.jwt + "\n" == _golden("signed-credential.jwt", signed.jwt + "\n")


def test_signing_refuses_undefined_terms(now: datetime, ed25519_signer: PrivateKeySigner) -> None:
    """sign_credential refuses a term no context defines, naming it."""
    document = sample_credential(now=now).to_json()
    document["credentialSubject"]["favouriteColour"] = "blue"
    with pytest.raises(UndefinedTerm, match="favouriteColour") as info:
        sign_credential(document, proof_signer=ed25519_signer, now=now)
    assert info.value.code == "undefined-term"


def test_strict_canonicalization_is_byte_identical(now: datetime, spec_dir: Path) -> None:
    """Strict canonicalization of documents without undefined terms equals plain RDFC-1.0."""
    vector = json.loads(
        (spec_dir / "test-vectors" / "1edtech-clr-eddsa-rdfc-2022-vector.json").read_text()
    )
    for document in (sample_credential(now=now).to_json(), vector["unsignedCredential"]):
        assert canonicalize_rdfc(document, strict=True) == canonicalize_rdfc(document)
