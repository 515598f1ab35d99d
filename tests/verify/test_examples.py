"""The signed 1EdTech samples in tests/vectors/spec/examples and the baked fixtures verify.

Their issuers live on example domains (or are ``urn:uuid`` ids), and their
``verificationMethod`` is the 1EdTech shortcut ``<issuer>#<publicKeyMultibase>``, which our
verifier never trusts by itself. As an employer would, we pin each issuer's keys in a trust
file: a controller document per issuer, listing the key under ``assertionMethod``. The trust
file is written to disk and read back, so the offline path is the one under test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from badges.bake import extract_credential
from badges.vcjwt import decode_jwt
from keys import did_web_to_url
from tests.conftest import SPEC_DIR
from tests.verify.conftest import NOW
from verify import CheckStatus, TrustStore, Verdict, verify_credential

EXAMPLES = SPEC_DIR / "examples"
BAKED = SPEC_DIR / "test-vectors" / "baking"
CAPTURED = datetime(2026, 2, 1, tzinfo=UTC)


def _source(path: Path) -> str | bytes:
    if path.suffix in (".png", ".svg"):
        return path.read_bytes()
    document = json.loads(path.read_text(encoding="utf-8"))
    if "compactJws" in document:
        return str(document["compactJws"])
    return path.read_text(encoding="utf-8")


def _credentials(value: Any) -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
    """Yield (credential, its JWT header or {}) for a sample and everything nested in it."""
    if isinstance(value, str):
        header = decode_jwt(value).header if value.count(".") == 2 else {}
        yield from ((c, header) for c, _ in _credentials(decode_jwt(value).credential))
        return
    if not isinstance(value, Mapping):
        return
    yield value, {}
    holders = [value, value.get("issuer"), value.get("credentialSubject")]
    subject = value.get("credentialSubject")
    if isinstance(subject, Mapping):
        holders.append(subject.get("achievement"))
        for inner in subject.get("verifiableCredential") or []:
            yield from _credentials(inner)
    for holder in holders:
        if isinstance(holder, Mapping):
            for endorsement in holder.get("endorsement") or []:
                yield from _credentials(endorsement)


def _issuer_id(credential: Mapping[str, Any]) -> str:
    issuer = credential["issuer"]
    return str(issuer["id"] if isinstance(issuer, Mapping) else issuer)


def _document_url(issuer_id: str) -> str:
    return did_web_to_url(issuer_id) if issuer_id.startswith("did:web:") else issuer_id


def pinned_documents(sources: list[Any]) -> dict[str, Any]:
    """Controller documents publishing each sample issuer's keys under assertionMethod."""
    documents: dict[str, dict[str, Any]] = {}

    def document_for(issuer_id: str) -> dict[str, Any]:
        url = _document_url(issuer_id)
        return documents.setdefault(
            url,
            {"id": issuer_id, "verificationMethod": [], "assertionMethod": []},
        )

    for source in sources:
        for credential, header in _credentials(source):
            issuer_id = _issuer_id(credential)
            if isinstance(header.get("jwk"), dict):
                document = document_for(issuer_id)
                method_id = f"{issuer_id}#rsa-{len(document['verificationMethod'])}"
                document["verificationMethod"].append(
                    {
                        "id": method_id,
                        "type": "JsonWebKey",
                        "controller": issuer_id,
                        "publicKeyJwk": header["jwk"],
                    }
                )
                document["assertionMethod"].append(method_id)
            proofs = credential.get("proof") or []
            for proof in proofs if isinstance(proofs, list) else [proofs]:
                method = proof.get("verificationMethod")
                if not isinstance(method, str):
                    continue
                multikey = method.split("#")[-1].removeprefix("did:key:")
                if not multikey.startswith("z6Mk"):
                    continue
                document = document_for(issuer_id)
                if method in document["assertionMethod"]:
                    continue
                document["assertionMethod"].append(method)
                if not method.startswith("did:key:"):
                    document["verificationMethod"].append(
                        {
                            "id": method,
                            "type": "Multikey",
                            "controller": issuer_id,
                            "publicKeyMultibase": multikey,
                        }
                    )
    return documents


def _read(source: str | bytes) -> Any:
    text = extract_credential(source) if isinstance(source, bytes) else source
    return json.loads(text) if text.lstrip().startswith("{") else text


# The sample, the verdict, and checks that must hold. 1EdTech revocation lists of the
# samples are given in the trust file as captured: empty, or listing the revoked sample.
CASES = [
    ("examples/ob-v3p0-validator-simple.json", Verdict.VALID, {}),
    ("examples/ob-v3p0-validator-simple-did-web-method.json", Verdict.VALID, {}),
    ("examples/ob-v3p0-validator-simple-did-key-method.json", Verdict.VALID, {}),
    (
        "examples/ob-v3p0-validator-simple-multiple-proofs.json",
        Verdict.VALID,
        {"proof": CheckStatus.PASSED},
    ),
    (
        "examples/ob-v3p0-validator-complete.json",
        Verdict.VALID,
        {"revocation": CheckStatus.PASSED, "endorsements": CheckStatus.FAILED},
    ),
    ("examples/ob-v3p0-validator-endorsement-valid.json", Verdict.VALID, {}),
    (
        "examples/ob-v3p0-validator-credential-status-revoked.json",
        Verdict.REVOKED,
        {"proof": CheckStatus.PASSED, "revocation": CheckStatus.FAILED},
    ),
    (
        "examples/clr-v2p0-validator-simple.json",
        Verdict.VALID,
        {"embedded-credentials": CheckStatus.PASSED},
    ),
    (
        "examples/clr-v2p0-validator-complex.json",
        Verdict.VALID,
        {"embedded-credentials": CheckStatus.PASSED},
    ),
    (
        "examples/clr-v2p0-validator-simple.jwt.json",
        Verdict.VALID,
        {"jwt": CheckStatus.PASSED, "json-ld": CheckStatus.SKIPPED},
    ),
    ("test-vectors/baking/ob30-simple-json.png", Verdict.VALID, {"input": CheckStatus.PASSED}),
    ("test-vectors/baking/ob30-simple-json.svg", Verdict.VALID, {"input": CheckStatus.PASSED}),
    ("test-vectors/baking/ob30-simple-jwt.png", Verdict.VALID, {"jwt": CheckStatus.PASSED}),
    ("test-vectors/baking/ob30-simple-jwt.svg", Verdict.VALID, {"jwt": CheckStatus.PASSED}),
]


@pytest.fixture(scope="module")
def trust_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trust file pinning every sample issuer's keys, written to disk."""
    sources = [_read(_source(SPEC_DIR / path)) for path, _, _ in CASES]
    documents: dict[str, Any] = dict(pinned_documents(sources))
    documents["https://1edtech.edu/credentials/3732/revocations"] = {"revokedCredential": []}
    revoked = json.loads(
        (EXAMPLES / "ob-v3p0-validator-credential-status-revoked.json").read_text("utf-8")
    )
    documents[revoked["credentialStatus"]["id"]] = {
        "revokedCredential": [{"id": revoked["id"], "revocationReason": "test"}]
    }
    path = tmp_path_factory.mktemp("trust") / "trust.json"
    TrustStore.from_documents(documents, captured_at=CAPTURED).save(path)
    return path


@pytest.mark.parametrize(
    ("path", "verdict", "checks"),
    [pytest.param(p, v, c, id=Path(p).name) for p, v, c in CASES],
)
def test_sample_verifies_offline_with_pinned_keys(
    trust_file: Path, path: str, verdict: Verdict, checks: dict[str, CheckStatus]
) -> None:
    """Each signed sample gets its verdict from the trust file alone, with a passing proof."""
    store = TrustStore.load(trust_file)
    report = verify_credential(_source(SPEC_DIR / path), now=NOW, fetcher=store.fetcher())
    got = {check_id: report.check(check_id).status for check_id in checks}
    assert report.verdict is verdict, json.dumps(report.to_dict(), ensure_ascii=False, indent=1)
    assert got == checks
    signed = {report.check("proof").status, report.check("jwt").status}
    assert CheckStatus.PASSED in signed
    assert report.oldest_document is not None
    assert report.oldest_document.captured_at == CAPTURED


@pytest.mark.parametrize(
    "path",
    ["ob-v3p0-validator-simple.json", "test-vectors/baking/ob30-simple-json.png"],
)
def test_samples_do_not_verify_without_the_trust_file(path: str) -> None:
    """Without pinned keys the fragment-embedded key is not trusted: the sample is not valid."""
    source = _source(EXAMPLES / path if path.endswith(".json") else SPEC_DIR / path)
    report = verify_credential(source, now=NOW, fetcher=TrustStore().fetcher())
    assert report.verdict is Verdict.UNVERIFIABLE
    assert report.check("issuer").code == "issuer-unreachable"
    assert report.check("proof").status is CheckStatus.SKIPPED


def test_sample_with_a_key_pinned_for_another_issuer_is_invalid(trust_file: Path) -> None:
    """A pinned document for the issuer that lacks the signing key makes the key check fail."""
    source = (EXAMPLES / "ob-v3p0-validator-simple.json").read_text("utf-8")
    issuer = json.loads(source)["issuer"]["id"]
    documents = {issuer: {"id": issuer, "verificationMethod": [], "assertionMethod": []}}
    store = TrustStore.from_documents(documents, captured_at=CAPTURED)
    report = verify_credential(source, now=NOW, fetcher=store.fetcher())
    assert report.verdict is Verdict.INVALID
    assert report.check("key").code == "key-not-found"


def test_simple_jwt_sample_names_no_key(trust_file: Path) -> None:
    """The OB simple VC-JWT sample has neither kid nor jwk and its key is published nowhere.

    Its payload also lacks an achievement. It cannot verify; we report why.
    """
    store = TrustStore.load(trust_file)
    source = _source(EXAMPLES / "ob-v3p0-validator-simple.jwt.json")
    report = verify_credential(source, now=NOW, fetcher=store.fetcher())
    assert report.verdict is Verdict.INVALID
    assert report.check("structure").status is CheckStatus.FAILED
    assert report.check("jwt").code in ("jwt-not-checked",)
    assert report.check("key").code in ("key-not-found", "issuer-not-resolvable")


@pytest.mark.parametrize(
    "name", ["ob-v3p0-validator-simple-noproof.json", "clr-v2p0-validator-simple-noproof.json"]
)
def test_unsigned_samples_are_invalid(trust_file: Path, name: str) -> None:
    """The samples without a proof are reported as unsigned."""
    store = TrustStore.load(trust_file)
    report = verify_credential(_source(EXAMPLES / name), now=NOW, fetcher=store.fetcher())
    assert report.verdict is Verdict.INVALID
    assert report.check("proof").code == "missing-proof"
