"""Credentials built and signed by ``badges`` are accepted by independent verifiers.

The Data Integrity proof is checked by Digital Bazaar's ``@digitalbazaar/vc`` with the
``eddsa-rdfc-2022`` cryptosuite (JSON-LD safe mode, its default), the VC-JWT by ``jose``,
and the RS256 token once more by PyJWT. ``verify.mjs`` runs every job of the module in a
single Node.js process; its document loader serves only the bundled contexts and the
issuer's DID document, so nothing is fetched.
"""

from __future__ import annotations

import base64
import copy
import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import jwt as pyjwt
import pytest
from jsonschema import Draft201909Validator

from badges import (
    Profile,
    SignedCredential,
    add_proof,
    build_endorsement,
    encode_jwt,
    format_datetime,
    sign_credential,
    status_entry,
)
from badges.context import CONTEXT_FILES, load_context
from badges.schema import ACHIEVEMENT_CREDENTIAL
from keys import KeyType, PrivateKeySigner, build_did_document
from tests.samples import ISSUER_DID, sample_credential

pytestmark = pytest.mark.node

INTEROP_DIR = Path(__file__).resolve().parent
MIN_NODE_MAJOR = 20  # jose 6 and the Digital Bazaar packages need Node.js 20 or later
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# The verifiers' clock: a day after issuance, so validity checks are deterministic.
VERIFY_AT = format_datetime(NOW + timedelta(days=1))
ORIGINAL_NAME = "인공지능 기초 과정 (AI Fundamentals)"
# One character changed (기 → 귀), the smallest edit a forger could make.
TAMPERED_NAME = "인공지능 귀초 과정 (AI Fundamentals)"
UNPROVIDED_CONTEXT = "https://contexts.example.org/not-provided/v1"


def _unavailable(reason: str) -> NoReturn:
    """Skip when Node.js is missing locally; in CI the interop check must run, so fail."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the independent-verifier tests may not be skipped)")
    pytest.skip(reason)


def _packages_installed() -> bool:
    """Return whether node_modules holds exactly the versions package.json pins."""
    manifest = json.loads((INTEROP_DIR / "package.json").read_text(encoding="utf-8"))
    for name, version in manifest["dependencies"].items():
        installed = INTEROP_DIR / "node_modules" / name / "package.json"
        if not installed.is_file():
            return False
        if json.loads(installed.read_text(encoding="utf-8")).get("version") != version:
            return False
    return True


@pytest.fixture(scope="session")
def node() -> str:
    """The node executable, with the pinned interop packages installed by ``npm ci``."""
    node_path = shutil.which("node")
    npm_path = shutil.which("npm")
    if node_path is None or npm_path is None:
        _unavailable("node and npm are needed for the independent-verifier tests")
    version = subprocess.run(
        [node_path, "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < MIN_NODE_MAJOR:
        _unavailable(f"Node.js {MIN_NODE_MAJOR}+ is needed, found {version}")
    # Test processes running side by side (pytest -n) install one at a time.
    with (INTEROP_DIR / ".npm-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _packages_installed():
            install = subprocess.run(
                [npm_path, "ci", "--no-audit", "--no-fund"],
                cwd=INTEROP_DIR,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if install.returncode != 0:
                pytest.fail(f"npm ci failed in {INTEROP_DIR}:\n{install.stderr[-2000:]}")
    return node_path


@dataclass(frozen=True)
class DiOutcome:
    """What ``@digitalbazaar/vc`` said about the Data Integrity proof."""

    verified: bool
    error: str | None


@dataclass(frozen=True)
class JwtOutcome:
    """What ``jose`` said about the VC-JWT, and whether its payload is the credential."""

    verified: bool
    error: str | None
    payload_matches: bool


@dataclass(frozen=True)
class Outcome:
    """The independent verdicts on one job."""

    di: DiOutcome
    jwt: JwtOutcome | None


def _parse_outcome(data: Mapping[str, Any]) -> Outcome:
    di = DiOutcome(verified=data["di"]["verified"] is True, error=data["di"]["error"])
    token = data["jwt"]
    return Outcome(
        di=di,
        jwt=None
        if token is None
        else JwtOutcome(
            verified=token["verified"] is True,
            error=token["error"],
            payload_matches=token["payloadMatches"] is True,
        ),
    )


def run_node(node_path: str, script: str, payload: Any) -> Any:
    """Run ``script`` of the interop folder with ``payload`` as JSON on its standard input;
    return the JSON it prints."""
    completed = subprocess.run(
        [node_path, script],
        cwd=INTEROP_DIR,
        input=json.dumps(payload, ensure_ascii=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def _run_verifier(node_path: str, jobs: Mapping[str, Mapping[str, Any]]) -> dict[str, Outcome]:
    """Verify every job in one ``node verify.mjs`` process; return outcomes by job id."""
    batch = {
        "contexts": {url: load_context(url) for url in CONTEXT_FILES},
        "jobs": [{"id": job_id, "now": VERIFY_AT, **job} for job_id, job in jobs.items()],
    }
    results = run_node(node_path, "verify.mjs", batch)["results"]
    return {result["id"]: _parse_outcome(result) for result in results}


@dataclass(frozen=True)
class Issued:
    """One signed credential, the issuer's DID document and the extra tokens tested."""

    signed: SignedCredential
    did_document: dict[str, Any]
    eddsa_jwt: str
    es256_jwt: str


@pytest.fixture(scope="module")
def issued(
    ed25519_signer: PrivateKeySigner, rsa_signer: PrivateKeySigner, p256_signer: PrivateKeySigner
) -> Issued:
    """The Korean sample credential signed with fresh keys: DI (Ed25519) and RS256 VC-JWT.

    It has the shape Baeji issues by default: one ``credentialStatus`` object.
    """
    assert ed25519_signer.key_id.startswith(f"{ISSUER_DID}#")
    credential = sample_credential(now=NOW, name=ORIGINAL_NAME, suspension=False)
    signed = sign_credential(
        credential, proof_signer=ed25519_signer, jwt_signer=rsa_signer, now=NOW
    )
    did_document = build_did_document(
        ISSUER_DID, [ed25519_signer.public_key, rsa_signer.public_key, p256_signer.public_key]
    )
    # Ed25519 and P-256 keys appear in the DID document twice; the JWT names the
    # JsonWebKey form, which is what a JOSE verifier can use.
    return Issued(
        signed=signed,
        did_document=did_document,
        # The default kid names the key's JsonWebKey entry in the DID document.
        eddsa_jwt=encode_jwt(signed.credential, ed25519_signer),
        es256_jwt=encode_jwt(signed.credential, p256_signer),
    )


def _with_achievement_name(credential: Mapping[str, Any], name: str) -> dict[str, Any]:
    changed = copy.deepcopy(dict(credential))
    changed["credentialSubject"]["achievement"]["name"] = name
    return changed


def _with_tampered_payload(token: str, name: str) -> str:
    """Re-encode the JWT payload with another achievement name, keeping the signature."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed = _with_achievement_name(claims, name)
    encoded = base64.urlsafe_b64encode(json.dumps(changed, ensure_ascii=False).encode())
    return f"{header}.{encoded.decode().rstrip('=')}.{signature}"


def _certification(signer: PrivateKeySigner, jwt_signer: PrivateKeySigner) -> SignedCredential:
    """A certification shaped as ``baeji issuer certify`` makes it: an EndorsementCredential
    about a provider's DID, with a revocation entry, a validity period and both languages."""
    unsigned = build_endorsement(
        credential_id="https://badges.example.kr/certifications/3f0c8a52-1d4e-4b7a-9c2f-5e6d7a8b9c0d",
        issuer=Profile(id=ISSUER_DID, name="Baeji 배지"),
        subject_id="did:web:badges.example.kr:issuers:leader",
        name="디지털 리더스 클럽 인증 · Digital Leaders Club certification",
        now=NOW,
        comment="품질 기준을 충족한 교육기관 · Meets the programme's quality criteria",
    ).to_json()
    unsigned["description"] = "디지털 리더스 클럽 인증 교육기관 · A certified training provider"
    unsigned["validUntil"] = format_datetime(NOW + timedelta(days=365))
    unsigned["credentialStatus"] = status_entry(
        "https://badges.example.kr/status/6c1e7f0a-2b3d-4e5f-8a9b-0c1d2e3f4a5b", 4242, "revocation"
    ).to_json()
    return sign_credential(unsigned, proof_signer=signer, jwt_signer=jwt_signer, now=NOW)


@pytest.fixture(scope="module")
def outcomes(
    node: str, issued: Issued, ed25519_signer: PrivateKeySigner, rsa_signer: PrivateKeySigner
) -> dict[str, Outcome]:
    """Every job of this module, verified in a single Node.js process."""
    credential = issued.signed.credential
    assert issued.signed.jwt is not None
    did_document = issued.did_document

    tampered = _with_achievement_name(credential, TAMPERED_NAME)
    unprovided = copy.deepcopy(credential)
    unprovided["@context"] = [*unprovided["@context"], UNPROVIDED_CONTEXT]
    # Signed by a key the DID document does not list, under the listed key's id.
    impostor = PrivateKeySigner.generate(KeyType.ED25519, ed25519_signer.key_id)
    wrong_key = sign_credential(
        sample_credential(now=NOW, name=ORIGINAL_NAME), proof_signer=impostor, now=NOW
    ).credential
    # A member no context defines: RDFC-1.0 drops it, so no signature would cover it.
    # sign_credential refuses such a document, so the proof is added directly here.
    undefined_term = add_proof(
        {**sample_credential(now=NOW, name=ORIGINAL_NAME).to_json(), "비고": "정의되지 않은 용어"},
        ed25519_signer,
        now=NOW,
    )

    # The shape of an issuer with suspension on (two status entries, an array).
    with_suspension = sign_credential(
        sample_credential(now=NOW, name=ORIGINAL_NAME), proof_signer=ed25519_signer, now=NOW
    ).credential

    certification = _certification(ed25519_signer, rsa_signer)
    assert certification.jwt is not None
    forged_certification = sign_credential(
        {k: v for k, v in certification.credential.items() if k != "proof"},
        proof_signer=impostor,
        now=NOW,
    ).credential

    jobs: dict[str, dict[str, Any]] = {
        "certification": {"credential": certification.credential, "jwt": certification.jwt},
        "certification-forged": {"credential": forged_certification},
        "RS256": {"credential": credential, "jwt": issued.signed.jwt},
        "with-suspension": {"credential": with_suspension},
        "EdDSA": {"credential": credential, "jwt": issued.eddsa_jwt},
        "ES256": {"credential": credential, "jwt": issued.es256_jwt},
        "tampered": {"credential": tampered},
        "tampered-jwt": {
            "credential": credential,
            "jwt": _with_tampered_payload(issued.signed.jwt, TAMPERED_NAME),
        },
        "wrong-key": {"credential": wrong_key},
        "unprovided-context": {"credential": unprovided},
        "undefined-term": {"credential": undefined_term},
    }
    return _run_verifier(node, {k: {**v, "didDocument": did_document} for k, v in jobs.items()})


def test_data_integrity_proof_verifies_in_digital_bazaar_vc(outcomes: dict[str, Outcome]) -> None:
    """@digitalbazaar/vc accepts the eddsa-rdfc-2022 proof of a Korean credential."""
    assert outcomes["RS256"].di == DiOutcome(verified=True, error=None)


@pytest.mark.parametrize("algorithm", ["RS256", "EdDSA", "ES256"], ids=str)
def test_vc_jwt_verifies_in_jose(outcomes: dict[str, Outcome], algorithm: str) -> None:
    """jose verifies the VC-JWT with the DID document's JWK; the payload is the credential."""
    assert outcomes[algorithm].jwt == JwtOutcome(verified=True, error=None, payload_matches=True)


def test_certification_endorsement_verifies_in_digital_bazaar_vc_and_jose(
    outcomes: dict[str, Outcome],
) -> None:
    """A certification (EndorsementCredential) verifies independently: DI proof and VC-JWT."""
    assert outcomes["certification"].di == DiOutcome(verified=True, error=None)
    assert outcomes["certification"].jwt == JwtOutcome(
        verified=True, error=None, payload_matches=True
    )


def test_forged_certification_fails_in_digital_bazaar_vc(outcomes: dict[str, Outcome]) -> None:
    """The same certification signed by a key the certifier does not publish fails."""
    assert outcomes["certification-forged"].di.verified is False


def test_issued_credential_is_realistic(issued: Issued) -> None:
    """The interop credential carries what the issue asks for, so the checks above cover it."""
    credential = issued.signed.credential
    subject = credential["credentialSubject"]
    achievement = subject["achievement"]
    assert achievement["name"] == ORIGINAL_NAME
    assert achievement["achievementType"] == "Course"
    assert achievement["alignment"]
    assert achievement["resultDescription"]
    assert subject["result"]
    assert subject["identifier"][0]["identityHash"].startswith("sha256$")
    assert credential["evidence"]
    assert credential["credentialSchema"]
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"


def test_issued_credential_passes_the_1edtech_schema_whole(issued: Issued) -> None:
    """The bundled 1EdTech OB 3.0 schema, unchanged, accepts the whole signed credential."""
    text = (resources.files("badges") / "schemas" / ACHIEVEMENT_CREDENTIAL).read_text("utf-8")
    validator = Draft201909Validator(json.loads(text))
    assert [e.message for e in validator.iter_errors(issued.signed.credential)] == []


def test_two_status_entries_verify_in_digital_bazaar_vc(outcomes: dict[str, Outcome]) -> None:
    """The suspension shape (an array of two entries) still verifies in @digitalbazaar/vc."""
    assert outcomes["with-suspension"].di == DiOutcome(verified=True, error=None)


def test_tampered_achievement_name_fails_in_digital_bazaar_vc(
    outcomes: dict[str, Outcome],
) -> None:
    """Changing one character of the achievement name breaks the proof for @digitalbazaar/vc."""
    assert sum(a != b for a, b in zip(ORIGINAL_NAME, TAMPERED_NAME, strict=True)) == 1
    outcome = outcomes["tampered"].di
    assert outcome.verified is False
    assert outcome.error is not None
    assert "Invalid signature" in outcome.error


def test_tampered_jwt_payload_fails_in_jose(outcomes: dict[str, Outcome]) -> None:
    """jose rejects an RS256 token whose payload was edited after signing."""
    outcome = outcomes["tampered-jwt"].jwt
    assert outcome is not None
    assert outcome.verified is False
    assert outcome.error is not None
    assert "signature verification failed" in outcome.error


def test_proof_by_an_unlisted_key_fails_in_digital_bazaar_vc(
    outcomes: dict[str, Outcome],
) -> None:
    """A proof naming the issuer's key id but made with another key does not verify."""
    outcome = outcomes["wrong-key"].di
    assert outcome.verified is False
    assert outcome.error is not None
    assert "Invalid signature" in outcome.error


def test_verifier_fetches_nothing(outcomes: dict[str, Outcome]) -> None:
    """A context the test did not provide is refused by the loader, never fetched."""
    outcome = outcomes["unprovided-context"].di
    assert outcome.verified is False
    assert outcome.error is not None
    assert f"document loader refused {UNPROVIDED_CONTEXT}" in outcome.error


def test_verifier_runs_in_safe_mode(outcomes: dict[str, Outcome]) -> None:
    """@digitalbazaar/vc runs JSON-LD safe mode: a signed undefined term is refused."""
    outcome = outcomes["undefined-term"].di
    assert outcome.verified is False
    assert outcome.error is not None
    assert "Safe mode validation error" in outcome.error


def test_pyjwt_decodes_the_rs256_token(issued: Issued) -> None:
    """PyJWT, given only the DID document's RSA JWK, verifies the RS256 token and its claims."""
    token = issued.signed.jwt
    assert token is not None
    kid = pyjwt.get_unverified_header(token)["kid"]
    (method,) = (m for m in issued.did_document["verificationMethod"] if m["id"] == kid)
    assert kid in issued.did_document["assertionMethod"]
    key = pyjwt.PyJWK(method["publicKeyJwk"])
    credential = issued.signed.credential
    claims = pyjwt.decode(
        token,
        key,
        algorithms=["RS256"],
        issuer=ISSUER_DID,
        subject=credential["credentialSubject"]["id"],
        options={"require": ["iss", "jti", "nbf", "sub"]},
    )
    assert claims["jti"] == credential["id"]
    assert {k: v for k, v in claims.items() if k not in {"iss", "jti", "nbf", "sub"}} == credential
