"""Open Badges 2.0: hosted and signed assertions, baked PNG/SVG, and every failure mode.

The happy path uses the OB 2.0 example badge of the 1EdTech specification (assertion, badge
class and issuer profile at example.org, awarded to ``nobody@example.org``; see
``tests/vectors/README.md``), served by a :class:`~verify.DictFetcher`. Failure modes use
badges built here by hand; signed assertions use RSA keys generated in the test. A 410 Gone
goes through a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import copy
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from badges.identity import identity_hash
from badges.image import default_badge_png
from badges.qr import qr_png
from tests.verify.conftest import NOW, LocalServer
from verify import (
    CheckStatus,
    DictFetcher,
    DocumentGone,
    FetchedDocument,
    HttpFetcher,
    Verdict,
    VerificationReport,
    verify_credential,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "ob2"
ASSERTION_URL = "https://example.org/beths-robotics-badge.json"
BADGE_URL = "https://example.org/robotics-badge.json"
ISSUER_URL = "https://example.org/organization.json"
KEY_URL = "https://example.org/publicKey.json"
REVOCATIONS_URL = "https://example.org/revocationList.json"
RECIPIENT = "nobody@example.org"


def _vector(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return value


def _spec_documents() -> dict[str, Any]:
    return {
        ASSERTION_URL: _vector("assertion.json"),
        BADGE_URL: _vector("badgeclass.json"),
        ISSUER_URL: _vector("issuer.json"),
    }


def _messages(report: VerificationReport) -> list[str]:
    return [c.message(lang) for c in report.checks for lang in ("en", "ko")]


def _itxt_png(
    keyword: str, text: str, image: bytes | None = None, *, kind: bytes = b"iTXt"
) -> bytes:
    """Bake ``text`` into a PNG by hand, the way OB 2.0 bakers do (before IEND)."""
    png = image if image is not None else default_badge_png("Robotics")
    if kind == b"iTXt":
        data = keyword.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    else:
        data = keyword.encode("latin-1") + b"\x00" + text.encode("latin-1")
    chunk = struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return png[:-12] + chunk + png[-12:]


class GoneFetcher(DictFetcher):
    """A DictFetcher whose ``gone`` URLs answer as an HTTP 410 would."""

    def __init__(self, documents: dict[str, Any], gone: set[str]) -> None:
        super().__init__(documents)
        self.gone = gone

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        if url.split("#", 1)[0] in self.gone:
            self.requests.append(url)
            raise DocumentGone(f"{url} answered 410 Gone", url=url)
        return super().fetch(url, accept=accept)


# ------------------------------------------------------------------------------------------
# hosted: the specification's example
# ------------------------------------------------------------------------------------------


def test_spec_hosted_assertion_by_url_is_valid_open_badges_2() -> None:
    fetcher = DictFetcher(_spec_documents())
    report = verify_credential(ASSERTION_URL, now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.VALID, [(c.id, c.code) for c in report.checks]
    assert report.version == "2.0"
    assert report.check("input").code == "input-url"
    assert report.check("structure").code == "ob2-structure-ok"
    assert report.check("issuer").code == "ob2-issuer-ok"
    assert report.check("key").code == "ob2-origin-ok"
    assert report.check("proof").code == "ob2-hosted-ok"
    assert report.check("revocation").code == "ob2-hosted-not-revoked"
    assert report.check("validity-window").code == "ob2-issued-no-expiry"
    data = report.to_dict("ko")
    assert data["version"] == "2.0"
    assert data["credential"]["name"] == "Awesome Robotics Badge"
    assert data["credential"]["issuer"] == {"id": ISSUER_URL, "name": "An Example Badge Issuer"}
    assert data["credential"]["validFrom"] == "2016-12-31T23:59:59Z"
    # What OB 2.0 cannot promise is said, in both languages; "None" is never shown.
    assert "only as current as the issuer's server" in report.check("structure").message("en")
    assert "발급자 서버" in report.check("structure").message("ko")
    assert not any("None" in m for m in _messages(report))


def test_spec_assertion_from_a_file_is_checked_against_the_hosted_copy() -> None:
    fetcher = DictFetcher(_spec_documents())
    data = json.dumps(_vector("assertion.json")).encode()
    report = verify_credential(data, now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.VALID
    assert ASSERTION_URL in fetcher.requests


def test_recipient_hash_with_the_employers_email() -> None:
    fetcher = DictFetcher(_spec_documents())
    matched = verify_credential(
        ASSERTION_URL, now=NOW, fetcher=fetcher, email=" Nobody@Example.org "
    )
    assert matched.check("recipient").status is CheckStatus.PASSED
    assert matched.verdict is Verdict.VALID
    other = verify_credential(ASSERTION_URL, now=NOW, fetcher=fetcher, email="kim@example.kr")
    assert other.check("recipient").code == "recipient-mismatch"
    assert other.verdict is not Verdict.VALID


def test_md5_and_unhashed_identities() -> None:
    documents = _spec_documents()
    documents[ASSERTION_URL]["recipient"] = {
        "type": "email",
        "hashed": True,
        "salt": "s",
        "identity": identity_hash(RECIPIENT, "s", algorithm="md5"),
    }
    report = verify_credential(
        ASSERTION_URL, now=NOW, fetcher=DictFetcher(documents), email=RECIPIENT
    )
    assert report.check("recipient").code == "recipient-matched"
    documents[ASSERTION_URL]["recipient"] = {
        "type": "email",
        "hashed": False,
        "identity": RECIPIENT,
    }
    report = verify_credential(
        ASSERTION_URL, now=NOW, fetcher=DictFetcher(documents), email=RECIPIENT
    )
    assert report.check("recipient").code == "recipient-matched"
    documents[ASSERTION_URL]["recipient"] = {
        "type": "url",
        "hashed": False,
        "identity": "https://x",
    }
    report = verify_credential(
        ASSERTION_URL, now=NOW, fetcher=DictFetcher(documents), email=RECIPIENT
    )
    assert report.check("recipient").code == "ob2-recipient-not-email"


# ------------------------------------------------------------------------------------------
# hosted: failure modes
# ------------------------------------------------------------------------------------------


def test_assertion_on_another_origin_is_invalid() -> None:
    documents = _spec_documents()
    forged_url = "https://badges.evil.example.net/beth.json"
    forged = copy.deepcopy(documents.pop(ASSERTION_URL))
    forged["id"] = forged_url
    documents[forged_url] = forged
    report = verify_credential(forged_url, now=NOW, fetcher=DictFetcher(documents))
    assert report.check("key").code == "ob2-wrong-origin"
    assert report.check("key").details["allowed"] == ["example.org"]
    assert report.verdict is Verdict.INVALID


def test_issuer_allowed_origins_and_starts_with() -> None:
    documents = _spec_documents()
    hosted_url = "https://badges.example.com/awards/beth.json"
    assertion = copy.deepcopy(documents.pop(ASSERTION_URL))
    assertion["id"] = hosted_url
    documents[hosted_url] = assertion
    documents[ISSUER_URL]["verification"] = {
        "type": "VerificationObject",
        "allowedOrigins": ["badges.example.com"],
    }
    report = verify_credential(hosted_url, now=NOW, fetcher=DictFetcher(documents))
    assert report.verdict is Verdict.VALID
    documents[ISSUER_URL]["verification"]["startsWith"] = "https://badges.example.com/public/"
    report = verify_credential(hosted_url, now=NOW, fetcher=DictFetcher(documents))
    assert report.check("key").code == "ob2-outside-prefix"
    assert report.verdict is Verdict.INVALID


def test_legacy_verify_url_on_another_origin_is_invalid() -> None:
    documents = _spec_documents()
    documents[ASSERTION_URL]["verify"] = {"type": "hosted", "url": "https://evil.example.net/x"}
    report = verify_credential(ASSERTION_URL, now=NOW, fetcher=DictFetcher(documents))
    assert report.check("key").code == "ob2-wrong-origin"
    assert report.verdict is Verdict.INVALID


def test_revoked_flag_on_the_hosted_assertion() -> None:
    documents = _spec_documents()
    documents[ASSERTION_URL]["revoked"] = True
    documents[ASSERTION_URL]["revocationReason"] = "Issued in error"
    report = verify_credential(ASSERTION_URL, now=NOW, fetcher=DictFetcher(documents))
    assert report.verdict is Verdict.REVOKED
    assert "Issued in error" in report.check("revocation").message("en")


def test_hosted_assertion_gone_means_revoked() -> None:
    documents = _spec_documents()
    baked = json.dumps(documents[ASSERTION_URL])
    fetcher = GoneFetcher(documents, {ASSERTION_URL})
    report = verify_credential(baked.encode(), now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.REVOKED
    assert report.check("revocation").code == "ob2-gone"


def test_410_from_a_real_server(local_server: LocalServer) -> None:
    """HttpFetcher reports 410 as DocumentGone; a baked copy of that badge is revoked."""
    base = local_server.base
    assertion = _vector("assertion.json") | {"id": f"{base}/a/1", "badge": f"{base}/badge"}
    local_server.routes["/a/1"] = (
        410,
        {"Content-Type": "application/json"},
        json.dumps(assertion).encode(),
    )
    local_server.json(
        "/badge", _vector("badgeclass.json") | {"id": f"{base}/badge", "issuer": f"{base}/org"}
    )
    local_server.json("/org", _vector("issuer.json") | {"id": f"{base}/org"})
    fetcher = HttpFetcher(allow_local=True)
    report = verify_credential(json.dumps(assertion), now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.REVOKED
    by_url = verify_credential(f"{base}/a/1", now=NOW, fetcher=fetcher)
    assert by_url.check("input").code == "credential-gone"
    assert by_url.verdict is not Verdict.VALID


def test_expired_badge() -> None:
    documents = _spec_documents()
    documents[ASSERTION_URL]["expires"] = "2017-06-30T23:59:59Z"
    report = verify_credential(ASSERTION_URL, now=NOW, fetcher=DictFetcher(documents))
    assert report.verdict is Verdict.EXPIRED
    assert report.check("validity-window").message("en") == "Expired on 2017-06-30T23:59:59+00:00."


def test_local_copy_that_differs_from_the_hosted_one_is_invalid() -> None:
    documents = _spec_documents()
    altered = copy.deepcopy(documents[ASSERTION_URL])
    altered["recipient"]["identity"] = "sha256$" + "0" * 64
    report = verify_credential(json.dumps(altered), now=NOW, fetcher=DictFetcher(documents))
    assert report.check("proof").code == "ob2-hosted-differs"
    assert report.verdict is Verdict.INVALID


def test_missing_badge_class_or_unreachable_issuer() -> None:
    documents = _spec_documents()
    del documents[BADGE_URL]
    report = verify_credential(ASSERTION_URL, now=NOW, fetcher=DictFetcher(documents))
    assert report.check("issuer").code == "ob2-document-missing"
    assert report.verdict is Verdict.INVALID
    documents = _spec_documents()
    documents[ISSUER_URL]["id"] = "https://example.org/other.json"
    report = verify_credential(ASSERTION_URL, now=NOW, fetcher=DictFetcher(documents))
    assert report.check("issuer").code == "ob2-id-mismatch"
    assert report.verdict is Verdict.INVALID


# ------------------------------------------------------------------------------------------
# signed
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[bytes, bytes, bytes]:
    """(issuer private PEM, issuer public PEM, another private PEM), generated for the test."""
    issuer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def private_pem(key: rsa.RSAPrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    public = issuer.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem(issuer), public, private_pem(other)


def _signed_world(public_pem: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Documents of an issuer that signs (key, revocation list) and a signed assertion."""
    documents = _spec_documents()
    del documents[ASSERTION_URL]
    documents[ISSUER_URL]["publicKey"] = KEY_URL
    documents[ISSUER_URL]["revocationList"] = REVOCATIONS_URL
    documents[KEY_URL] = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "CryptographicKey",
        "id": KEY_URL,
        "owner": ISSUER_URL,
        "publicKeyPem": public_pem.decode("ascii"),
    }
    documents[REVOCATIONS_URL] = _vector("revocation-list.json")
    assertion = _vector("assertion.json") | {
        "id": "urn:uuid:2d4a8b2c-3e0f-4a51-9f1e-7c1b3d5a6e70",
        "verification": {"type": "SignedBadge", "creator": KEY_URL},
    }
    return documents, assertion


def _sign(assertion: dict[str, Any], private_pem: bytes) -> str:
    return jwt.encode(assertion, private_pem, algorithm="RS256")


def test_signed_assertion_is_valid(rsa_keys: tuple[bytes, bytes, bytes]) -> None:
    private, public, _ = rsa_keys
    documents, assertion = _signed_world(public)
    token = _sign(assertion, private)
    report = verify_credential(token, now=NOW, fetcher=DictFetcher(documents), email=RECIPIENT)
    assert report.verdict is Verdict.VALID, [(c.id, c.code) for c in report.checks]
    assert report.version == "2.0"
    assert report.check("key").code == "ob2-key-ok"
    assert report.check("jwt").code == "ob2-signature-ok"
    assert report.check("revocation").code == "ob2-not-on-revocation-list"
    assert report.check("structure").details["mode"] == "signed"


def test_signed_with_another_key_is_invalid(rsa_keys: tuple[bytes, bytes, bytes]) -> None:
    _, public, other = rsa_keys
    documents, assertion = _signed_world(public)
    report = verify_credential(_sign(assertion, other), now=NOW, fetcher=DictFetcher(documents))
    assert report.check("jwt").code == "ob2-bad-signature"
    assert report.verdict is Verdict.INVALID


def test_tampered_payload_is_invalid(rsa_keys: tuple[bytes, bytes, bytes]) -> None:
    private, public, _ = rsa_keys
    documents, assertion = _signed_world(public)
    header, _, signature = _sign(assertion, private).split(".")
    forged = jwt.encode(
        assertion | {"issuedOn": "2026-01-01T00:00:00Z"}, private, algorithm="RS256"
    )
    token = f"{header}.{forged.split('.')[1]}.{signature}"
    report = verify_credential(token, now=NOW, fetcher=DictFetcher(documents))
    assert report.check("jwt").code == "ob2-bad-signature"
    assert report.verdict is Verdict.INVALID


def test_key_not_owned_by_the_issuer_is_invalid(rsa_keys: tuple[bytes, bytes, bytes]) -> None:
    private, public, _ = rsa_keys
    documents, assertion = _signed_world(public)
    documents[KEY_URL]["owner"] = "https://mallory.example.net/issuer.json"
    report = verify_credential(_sign(assertion, private), now=NOW, fetcher=DictFetcher(documents))
    assert report.check("key").code == "ob2-key-not-owned"
    assert report.verdict is Verdict.INVALID
    # A key the issuer's profile does not list is not the issuer's either.
    documents, assertion = _signed_world(public)
    documents[ISSUER_URL]["publicKey"] = ["https://example.org/otherKey.json"]
    report = verify_credential(_sign(assertion, private), now=NOW, fetcher=DictFetcher(documents))
    assert report.check("key").code == "ob2-key-not-owned"


def test_revocation_list_hit_is_revoked(rsa_keys: tuple[bytes, bytes, bytes]) -> None:
    private, public, _ = rsa_keys
    documents, assertion = _signed_world(public)
    for revoked_id, reason in (
        ("urn:uuid:52e4c6b3-8c13-4fa8-8482-a5cf34ef37a9", "Honor code violation"),
        ("urn:uuid:6deb4a00-ebce-4b28-8cc2-afa705ef7be4", "-"),
    ):
        token = _sign(assertion | {"id": revoked_id}, private)
        report = verify_credential(token, now=NOW, fetcher=DictFetcher(documents))
        assert report.verdict is Verdict.REVOKED
        assert reason in report.check("revocation").message("en")


def test_unreachable_revocation_list_is_unverifiable(rsa_keys: tuple[bytes, bytes, bytes]) -> None:
    private, public, _ = rsa_keys
    documents, assertion = _signed_world(public)
    del documents[REVOCATIONS_URL]
    report = verify_credential(_sign(assertion, private), now=NOW, fetcher=DictFetcher(documents))
    assert report.check("revocation").status is CheckStatus.ERROR
    assert report.verdict is Verdict.UNVERIFIABLE


def test_signed_type_without_a_signature_is_invalid(rsa_keys: tuple[bytes, bytes, bytes]) -> None:
    _, public, _ = rsa_keys
    documents, assertion = _signed_world(public)
    report = verify_credential(assertion, now=NOW, fetcher=DictFetcher(documents))
    assert report.check("jwt").code == "ob2-signed-without-signature"
    assert report.verdict is Verdict.INVALID


# ------------------------------------------------------------------------------------------
# baked images
# ------------------------------------------------------------------------------------------


def test_baked_png_wins_over_the_qr_code_it_depicts() -> None:
    """Regression: an OB 2.0 baked PNG whose picture is a QR code must not follow the QR."""
    other = "https://badges.example.kr/credentials/someone-else"
    documents = _spec_documents() | {other: {"not": "followed"}}
    fetcher = DictFetcher(documents)
    image = _itxt_png("openbadges", json.dumps(documents[ASSERTION_URL]), qr_png(other))
    report = verify_credential(image, now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.VALID
    assert report.version == "2.0"
    assert report.check("input").code == "input-png"
    assert other not in fetcher.requests


def test_baked_png_with_a_url_in_a_text_chunk() -> None:
    fetcher = DictFetcher(_spec_documents())
    image = _itxt_png("openbadges", ASSERTION_URL, kind=b"tEXt")
    report = verify_credential(image, now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.VALID
    assert report.check("input").details["url"] == ASSERTION_URL


def test_baked_png_with_a_signed_assertion(rsa_keys: tuple[bytes, bytes, bytes]) -> None:
    private, public, _ = rsa_keys
    documents, assertion = _signed_world(public)
    image = _itxt_png("openbadges", _sign(assertion, private))
    report = verify_credential(image, now=NOW, fetcher=DictFetcher(documents))
    assert report.verdict is Verdict.VALID
    assert report.check("jwt").code == "ob2-signature-ok"


def _ob2_svg(body: str = "", verify: str | None = None) -> bytes:
    attribute = f' verify="{verify}"' if verify else ""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org" '
        'width="10" height="10">'
        f"<openbadges:assertion{attribute}><![CDATA[{body}]]></openbadges:assertion>"
        '<rect width="10" height="10"/></svg>'
    ).encode()


def test_baked_svg_json_and_verify_attribute(rsa_keys: tuple[bytes, bytes, bytes]) -> None:
    documents = _spec_documents()
    report = verify_credential(
        _ob2_svg(json.dumps(documents[ASSERTION_URL])), now=NOW, fetcher=DictFetcher(documents)
    )
    assert report.verdict is Verdict.VALID
    assert report.check("input").code == "input-svg"
    report = verify_credential(
        _ob2_svg(verify=ASSERTION_URL), now=NOW, fetcher=DictFetcher(documents)
    )
    assert report.verdict is Verdict.VALID
    private, public, _ = rsa_keys
    signed_documents, assertion = _signed_world(public)
    image = _ob2_svg(verify=_sign(assertion, private))
    report = verify_credential(image, now=NOW, fetcher=DictFetcher(signed_documents))
    assert report.verdict is Verdict.VALID
    assert report.check("jwt").code == "ob2-signature-ok"


# ------------------------------------------------------------------------------------------
# the command line
# ------------------------------------------------------------------------------------------


def test_cli_verifies_an_ob2_baked_png(local_server: LocalServer, tmp_path: Path) -> None:
    """``baeji verify`` reads an OB 2.0 baked PNG through the same entry point."""
    from click.testing import CliRunner

    from verify.cli import main

    base = local_server.base
    assertion = _vector("assertion.json") | {"id": f"{base}/a/1", "badge": f"{base}/badge"}
    local_server.json("/a/1", assertion)
    local_server.json(
        "/badge", _vector("badgeclass.json") | {"id": f"{base}/badge", "issuer": f"{base}/org"}
    )
    local_server.json("/org", _vector("issuer.json") | {"id": f"{base}/org"})
    png = tmp_path / "beth.png"
    png.write_bytes(_itxt_png("openbadges", json.dumps(assertion)))
    runner = CliRunner()
    outcome = runner.invoke(main, ["verify", str(png), "--allow-local", "--lang", "en"])
    assert outcome.exit_code == 0, outcome.output
    assert "[Open Badges 2.0]" in outcome.output
    assert "“Awesome Robotics Badge”" in outcome.output
    assert "None" not in outcome.output
    as_json = runner.invoke(
        main, ["verify", str(png), "--allow-local", "--json", "--email", RECIPIENT]
    )
    data = json.loads(as_json.output)
    assert data["verdict"] == "valid"
    assert data["version"] == "2.0"
    assert {c["id"]: c["code"] for c in data["checks"]}["recipient"] == "recipient-matched"


def test_ob2_verifies_offline_from_a_trust_file(rsa_keys: tuple[bytes, bytes, bytes]) -> None:
    """Every OB 2.0 document is fetched through the run's fetcher, so a trust file serves them."""
    from datetime import timedelta

    from verify import TrustStore

    private, public, _ = rsa_keys
    documents, assertion = _signed_world(public)
    captured = NOW - timedelta(days=2)
    store = TrustStore.from_documents(documents, captured_at=captured)
    report = verify_credential(_sign(assertion, private), now=NOW, fetcher=store.fetcher())
    assert report.verdict is Verdict.VALID
    assert report.oldest_document is not None
    assert report.oldest_document.captured_at == captured
    # A document the trust file lacks makes the badge unverifiable, not invalid.
    del documents[REVOCATIONS_URL]
    store = TrustStore.from_documents(documents, captured_at=captured)
    report = verify_credential(_sign(assertion, private), now=NOW, fetcher=store.fetcher())
    assert report.verdict is Verdict.UNVERIFIABLE


def test_ob1_signed_badge_names_its_key_in_verify_url(
    rsa_keys: tuple[bytes, bytes, bytes],
) -> None:
    private, public, _ = rsa_keys
    documents, assertion = _signed_world(public)
    del assertion["verification"]
    assertion["verify"] = {"type": "signed", "url": KEY_URL}
    report = verify_credential(_sign(assertion, private), now=NOW, fetcher=DictFetcher(documents))
    assert report.verdict is Verdict.VALID, [(c.id, c.code) for c in report.checks]
    assert report.check("key").details["key"] == KEY_URL
