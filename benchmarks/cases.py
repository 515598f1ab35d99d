"""The benchmark registry: one :class:`Case` per table row, in table order.

A case's ``setup`` prepares its inputs once (keys, a realistic credential, images) and
returns the operation to time; everything it does stays outside the timings. To add a row,
write a setup function and append a :class:`Case` to :data:`CASES` (issuing through the
service: :mod:`benchmarks.service`; HTTP load: :mod:`benchmarks.http`; pages over a large
database: :mod:`benchmarks.scale`). A setup that needs something the machine lacks
raises :class:`Unavailable` and the row is reported as skipped; a setup may register
clean-up (closing a database, removing a temporary directory) on the ``ExitStack`` it gets.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from badges import (
    Achievement,
    Alignment,
    Bitstring,
    Criteria,
    Evidence,
    OpenBadgeCredential,
    Profile,
    Result,
    ResultDescription,
    SignedCredential,
    build_credential,
    build_status_list_credential,
    canonicalize_rdfc,
    create_proof,
    email_identity,
    encode_jwt,
    format_datetime,
    sign_credential,
    status_entry,
)
from badges.bake import bake_png
from badges.context import document_loader
from badges.image import default_badge_png
from badges.proof import CRYPTOSUITE, PROOF_TYPE
from badges.qr import qr_png
from badges.status import MIN_ENTRIES
from benchmarks.http import http_cases
from benchmarks.registry import Case, Unavailable, missing_requirement
from benchmarks.scale import scale_cases
from benchmarks.service import service_cases
from benchmarks.timing import Operation
from keys import KeyType, PrivateKeySigner, build_did_document, did_web_to_url
from keys.encoding import multibase_encode
from verify import DictFetcher, ProofCache, Verdict, verify_credential

__all__ = ["CASES", "Case", "Unavailable", "missing_requirement"]

ED25519_SIGN = "Ed25519 sign (raw primitive, 64-byte message)"
RSA_SIGN = "RSA-2048 sign (raw primitive, RS256)"
ED25519_VERIFY = "Ed25519 verify (raw primitive)"
PYLD_CANONICALIZE = "pyld RDFC-1.0 canonicalization (credential; pyld baseline)"
PYLD_PROOF = "pyld DI proof (eddsa-rdfc-2022 create; pyld baseline)"

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ISSUER_DID = "did:web:badges.example.kr:issuers:seoul-tech"
BASE_URL = "https://badges.example.kr"
CREDENTIAL_URL = f"{BASE_URL}/credentials/0b6f3c1a-92d4-4e7b-8a15-c3d9e2f41a07"
STATUS_LISTS = {f"{BASE_URL}/status/1": "revocation", f"{BASE_URL}/status/2": "suspension"}
STATUS_INDEX = 48_213
STATUS_SET_BITS = 1_000
_SEED = 20260302


# Inputs shared by several rows, built once per process.


@dataclass(frozen=True)
class Issuance:
    """Fresh keys, a realistic unsigned credential and its signed forms."""

    ed25519: PrivateKeySigner
    rsa: PrivateKeySigner
    credential: OpenBadgeCredential
    document: dict[str, Any]
    signed: SignedCredential

    @property
    def signed_text(self) -> str:
        """The signed credential as the JSON text that is baked and served."""
        return json.dumps(self.signed.credential, ensure_ascii=False)


def _realistic_credential() -> OpenBadgeCredential:
    """A course badge with Korean names, an NCS alignment, a result and evidence."""
    score_url = f"{BASE_URL}/achievements/7d2e9c40/results/score"
    achievement = Achievement(
        id=f"{BASE_URL}/achievements/7d2e9c40-1f3b-4a6d-b8e2-5c0a9f7d3e18",
        name="클라우드 네이티브 백엔드 개발 (Cloud-Native Backend)",
        description="컨테이너, 쿠버네티스, 관측성을 다루는 120시간 실무 과정.",
        criteria=Criteria(narrative="출석률 85% 이상, 팀 프로젝트와 최종 평가 모두 통과."),
        achievement_type="Course",
        alignment=[
            Alignment(
                target_name="응용SW엔지니어링 (NCS 2001020200)",
                target_url="https://www.ncs.go.kr/unity/th03/ncsSearchMain.do",
                target_code="2001020200",
                target_framework="국가직무능력표준 (NCS)",
            )
        ],
        result_description=[
            ResultDescription(
                id=score_url,
                name="최종 평가 점수",
                result_type="Percent",
                value_min="0",
                value_max="100",
            )
        ],
        credits_available=4.0,
        tag=["클라우드", "쿠버네티스", "백엔드"],
        in_language="ko",
    )
    return build_credential(
        credential_id=CREDENTIAL_URL,
        issuer=Profile(
            id=ISSUER_DID,
            name="서울 테크 캠퍼스 평생교육원",
            url="https://seoul-tech.example.kr",
        ),
        achievement=achievement,
        subject_id="urn:uuid:c41e8a2b-6d93-4f0e-a7b5-19e2d3c4f580",
        identifier=[email_identity("park.seoyeon@example.com", salt="9c1e5a7b3d2f4068")],
        now=NOW,
        valid_until=NOW + timedelta(days=5 * 365),
        results=[Result(result_description=score_url, value="94")],
        evidence=[
            Evidence(
                id=f"{BASE_URL}/evidence/capstone-park",
                name="팀 프로젝트: 공공 자전거 대여 예측 API",
                narrative="FastAPI와 PostgreSQL로 만든 수요 예측 서비스 배포 보고서",
            )
        ],
        status=[status_entry(url, STATUS_INDEX, purpose) for url, purpose in STATUS_LISTS.items()],
        term="2026년 1학기",
    )


@cache
def issuance() -> Issuance:
    """Return the shared keys and credential (generated on first use)."""
    ed25519_signer = PrivateKeySigner.generate(KeyType.ED25519, f"{ISSUER_DID}#key-1")
    rsa_signer = PrivateKeySigner.generate(KeyType.RSA, f"{ISSUER_DID}#key-2")
    credential = _realistic_credential()
    signed = sign_credential(
        credential, proof_signer=ed25519_signer, jwt_signer=rsa_signer, now=NOW
    )
    return Issuance(ed25519_signer, rsa_signer, credential, credential.to_json(), signed)


# Setups, in table order.


def _ed25519_sign(stack: ExitStack) -> Operation:
    key = ed25519.Ed25519PrivateKey.generate()
    message = os.urandom(64)
    return lambda: key.sign(message)


def _rsa_sign(stack: ExitStack) -> Operation:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = os.urandom(64)
    return lambda: key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def _canonicalize(stack: ExitStack) -> Operation:
    document = issuance().document
    return lambda: canonicalize_rdfc(document)


# The pyld baselines: the same work done the way Baeji did it before its own canonicalizer,
# pyld called directly with the bundled contexts. Their rows are what the "vs pyld" ratios
# divide by; each setup checks that the baseline produces exactly Baeji's output, so the two
# rows always measure the same work.


def _pyld_options() -> dict[str, Any]:
    return {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": document_loader,
    }


def _pyld_normalize(document: dict[str, Any]) -> str:
    from pyld import jsonld

    result: str = jsonld.normalize(document, _pyld_options())
    return result


def _pyld_canonicalize(stack: ExitStack) -> Operation:
    document = issuance().document
    if _pyld_normalize(document) != canonicalize_rdfc(document):
        raise RuntimeError("pyld and badges.canonicalize_rdfc disagree on the benchmark credential")
    return lambda: _pyld_normalize(document)


def _pyld_proof(
    document: dict[str, Any], key: ed25519.Ed25519PrivateKey, verification_method: str
) -> dict[str, Any]:
    """An ``eddsa-rdfc-2022`` proof made with pyld, hashlib and cryptography alone."""
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_datetime(NOW),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    config = {**proof, "@context": document["@context"]}
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    digest = (
        hashlib.sha256(_pyld_normalize(config).encode("utf-8")).digest()
        + hashlib.sha256(_pyld_normalize(unsecured).encode("utf-8")).digest()
    )
    proof["proofValue"] = multibase_encode(key.sign(digest), "z")
    return proof


def _pyld_create_proof(stack: ExitStack) -> Operation:
    document = issuance().document
    key = ed25519.Ed25519PrivateKey.generate()
    method = f"{ISSUER_DID}#key-1"
    # Ed25519 signatures are deterministic: the same key gives the same proofValue.
    ours = create_proof(document, PrivateKeySigner(key, method), now=NOW)
    if _pyld_proof(document, key, method) != ours:
        raise RuntimeError("the pyld proof baseline differs from badges.create_proof")
    return lambda: _pyld_proof(document, key, method)


def _create_proof(stack: ExitStack) -> Operation:
    shared = issuance()
    return lambda: create_proof(shared.document, shared.ed25519, now=NOW)


def _sign_credential(stack: ExitStack) -> Operation:
    shared = issuance()
    return lambda: sign_credential(
        shared.credential, proof_signer=shared.ed25519, jwt_signer=shared.rsa, now=NOW
    )


def _encode_jwt(stack: ExitStack) -> Operation:
    shared = issuance()
    return lambda: encode_jwt(shared.signed.credential, shared.rsa)


def _status_bits() -> Bitstring:
    """A full-size list with scattered set bits; the benchmark credential's bit stays clear."""
    bits = Bitstring(MIN_ENTRIES)
    drawn = random.Random(_SEED).sample(range(MIN_ENTRIES), STATUS_SET_BITS + 1)
    for index in [i for i in drawn if i != STATUS_INDEX][:STATUS_SET_BITS]:
        bits.set(index)
    return bits


def _status_list(stack: ExitStack) -> Operation:
    return _status_bits().encode


def _bake_png(stack: ExitStack) -> Operation:
    shared = issuance()
    image = default_badge_png(shared.credential.credential_subject.achievement.name, size=512)
    text = shared.signed_text
    return lambda: bake_png(image, text)


def _qr_png(stack: ExitStack) -> Operation:
    return lambda: qr_png(CREDENTIAL_URL)


def _ed25519_verify(stack: ExitStack) -> Operation:
    key = ed25519.Ed25519PrivateKey.generate()
    message = os.urandom(64)
    signature = key.sign(message)
    public_key = key.public_key()
    return lambda: public_key.verify(signature, message)


def _verify_credential(stack: ExitStack) -> Operation:
    """Keys and lists cached: what a long-running verifier does (the default)."""
    return _verifier(ProofCache())


def _verify_credential_uncached(stack: ExitStack) -> Operation:
    """Every status list's proof verified on every call, as a one-off verification does."""
    return _verifier(ProofCache(max_entries=0))


def _verifier(proofs: ProofCache) -> Operation:
    shared = issuance()
    # The issuer's DID document and both signed status lists, served from memory: the row
    # measures verification, not the network.
    documents: dict[str, dict[str, Any]] = {
        did_web_to_url(ISSUER_DID): build_did_document(
            ISSUER_DID, [shared.ed25519.public_key, shared.rsa.public_key]
        )
    }
    for url, purpose in STATUS_LISTS.items():
        status_list = build_status_list_credential(
            list_url=url, issuer_id=ISSUER_DID, purpose=purpose, bits=_status_bits(), now=NOW
        )
        documents[url] = sign_credential(
            status_list, proof_signer=shared.ed25519, now=NOW
        ).credential
    fetcher = DictFetcher(documents)
    credential = shared.signed.credential
    at = NOW + timedelta(days=1)
    # Timing a verification that fails early would flatter the verifier; insist on "valid".
    verdict = verify_credential(credential, now=at, fetcher=fetcher, proof_cache=proofs).verdict
    if verdict is not Verdict.VALID:
        raise RuntimeError(f"the benchmark credential does not verify: {verdict}")
    return lambda: verify_credential(credential, now=at, fetcher=fetcher, proof_cache=proofs)


CASES: list[Case] = [
    Case(ED25519_SIGN, _ed25519_sign),
    Case(RSA_SIGN, _rsa_sign),
    Case(PYLD_CANONICALIZE, _pyld_canonicalize, (ED25519_SIGN,)),
    Case(
        "RDFC-1.0 canonicalization (credential)",
        _canonicalize,
        (ED25519_SIGN,),
        versus=PYLD_CANONICALIZE,
    ),
    Case(PYLD_PROOF, _pyld_create_proof, (ED25519_SIGN,)),
    Case(
        "DI proof (create_proof, eddsa-rdfc-2022)",
        _create_proof,
        (ED25519_SIGN,),
        versus=PYLD_PROOF,
    ),
    Case(
        "sign_credential (schema + DI proof + RS256 JWT)",
        _sign_credential,
        (ED25519_SIGN, RSA_SIGN),
    ),
    Case("VC-JWT only (encode_jwt, RS256)", _encode_jwt, (RSA_SIGN,)),
    Case(f"Status list encode ({MIN_ENTRIES:,} bits, {STATUS_SET_BITS:,} set)", _status_list),
    Case("PNG bake (bake_png, 512 px badge)", _bake_png),
    Case("QR code PNG (qr_png, credential URL)", _qr_png),
    Case(ED25519_VERIFY, _ed25519_verify),
    Case(
        "verify_credential (JSON, DI proof, 2 status lists; keys + lists cached)",
        _verify_credential,
        (ED25519_VERIFY,),
    ),
    Case(
        "verify_credential (JSON, DI proof, 2 status lists; lists verified every call)",
        _verify_credential_uncached,
        (ED25519_VERIFY,),
    ),
    *service_cases(),
    *http_cases(),
    *scale_cases(),
]
"""Every row, in table order."""
