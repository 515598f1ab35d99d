"""Issuer registries: ``baeji verify --registry`` online, from files, and offline.

The registries are served by a real HTTP server on 127.0.0.1 (``--allow-local``): a DCC
issuer-registry document and a signed registry credential of the platform
``did:web:127.0.0.1%3APORT``, whose DID document is at ``/.well-known/did.json``.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from badges import sign_credential
from badges.context import REGISTRY_CONTEXTS
from badges.model import format_datetime
from keys import PrivateKeySigner, build_did_document
from tests.verify.conftest import NOW, Keys, LocalServer, World
from verify import CheckStatus, InvalidTrustStore, TrustStore, Verdict, verify_credential
from verify.cli import main
from verify.errors import InvalidRegistry
from verify.registry import (
    IssuerRegistry,
    UncheckedRegistry,
    check_registry,
    parse_registry,
    with_registry_check,
)
from verify.trust import FORMAT, FORMAT_WITH_REGISTRIES, TrustedDocument


def dcc_registry(entries: dict[str, str], name: str = "Test Registry") -> dict[str, Any]:
    """A registry in DCC's issuer-registry format listing ``entries`` (DID -> name)."""
    return {
        "meta": {"created": "2026-01-01T00:00:00Z", "name": name},
        "registry": {
            did: {"name": label, "url": "https://example.kr", "location": "Seoul, KR"}
            for did, label in entries.items()
        },
    }


def signed_registry(
    signer: PrivateKeySigner, issuer_did: str, entries: dict[str, str], base: str
) -> dict[str, Any]:
    """A registry credential signed by ``signer`` as ``issuer_did`` (as a platform signs it)."""
    unsigned = {
        "@context": list(REGISTRY_CONTEXTS),
        "id": f"{base}/registry.vc.json",
        "type": ["VerifiableCredential", "IssuerRegistryCredential"],
        "issuer": {"id": issuer_did, "name": "Baeji"},
        "name": "Baeji issuer registry",
        "validFrom": format_datetime(NOW - timedelta(days=1)),
        "credentialSubject": {
            "id": f"{base}/registry.json",
            "type": "IssuerRegistry",
            "name": "Baeji issuer registry",
            "registeredIssuer": [
                {"id": did, "type": "RegisteredIssuer", "name": label, "url": base}
                for did, label in entries.items()
            ],
        },
    }
    return sign_credential(unsigned, proof_signer=signer, now=NOW - timedelta(days=1)).credential


def _platform(server: LocalServer, key_pool: dict[str, Keys]) -> tuple[str, PrivateKeySigner]:
    """Publish the platform's DID document (the bare origin) and return (DID, signer)."""
    did = f"did:web:127.0.0.1%3A{server.port}"
    signer = key_pool["platform"].ed25519.with_key_id(f"{did}#key-1")
    server.json("/.well-known/did.json", build_did_document(did, [signer.public_key]))
    return did, signer


def _write(tmp_path: Path, name: str, value: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_dcc_registry_file_marks_the_issuer_known_or_not(
    runner: CliRunner, live: World, local_server: LocalServer, tmp_path: Path
) -> None:
    """A listed issuer is "known to registry <name>"; an unlisted one is in no registry, and
    the verdict stays valid either way."""
    issuer = live.issuer("hanbit", "한빛 디지털 혁신 아카데미")
    credential, _ = live.issue(issuer)
    local_server.publish(live)
    badge = _write(tmp_path, "badge.json", credential)
    listed = _write(tmp_path, "dcc.json", dcc_registry({issuer.did: "Hanbit Academy"}))
    other = _write(tmp_path, "other.json", dcc_registry({"did:web:else.kr": "Else"}, "Other"))

    known = runner.invoke(
        main, ["verify", str(badge), "--allow-local", "--registry", str(listed), "--lang", "en"]
    )
    assert known.exit_code == 0, known.output
    assert "✓ passed  Issuer registry" in known.stdout
    assert "Known to registry Test Registry: the issuer is listed as “Hanbit Academy”." in (
        known.stdout
    )

    unknown = runner.invoke(
        main,
        ["verify", str(badge), "--allow-local", "--registry", str(other), "--json"],
    )
    assert unknown.exit_code == 0, unknown.output
    report = json.loads(unknown.stdout)
    assert report["verdict"] == "valid"
    check = report["checks"][-1]
    assert (check["id"], check["status"], check["code"]) == (
        "registry",
        "failed",
        "issuer-not-in-registry",
    )

    korean = runner.invoke(
        main, ["verify", str(badge), "--allow-local", "--registry", str(other), "--lang", "ko"]
    )
    assert "발급자 등록부" in korean.stdout
    assert "주어진 어느 등록부에도 없습니다 (Other)" in korean.stdout


def test_online_signed_registry_then_offline_from_the_trust_file(
    runner: CliRunner,
    live: World,
    local_server: LocalServer,
    key_pool: dict[str, Keys],
    tmp_path: Path,
) -> None:
    """A signed registry fetched from the platform verifies, is saved with --save-trust, and
    the trust file alone marks the issuer known offline (given again or not)."""
    issuer = live.issuer("hanbit", "한빛 디지털 혁신 아카데미")
    credential, _ = live.issue(issuer)
    local_server.publish(live)
    platform_did, signer = _platform(local_server, key_pool)
    base = local_server.base
    local_server.json(
        "/registry.vc.json", signed_registry(signer, platform_did, {issuer.did: "한빛"}, base)
    )
    local_server.json("/registry.json", dcc_registry({"did:web:else.kr": "Else"}, "DCC copy"))
    badge = _write(tmp_path, "badge.json", credential)
    trust = tmp_path / "trust.json"
    signed_url = f"{base}/registry.vc.json"

    online = runner.invoke(
        main,
        [
            "verify",
            str(badge),
            "--allow-local",
            "--registry",
            f"{base}/registry.json",
            "--registry",
            signed_url,
            "--save-trust",
            str(trust),
            "--lang",
            "en",
        ],
    )
    assert online.exit_code == 0, online.output
    assert f"Known to registry Baeji issuer registry ({platform_did})" in online.stdout
    saved = json.loads(trust.read_text(encoding="utf-8"))
    assert saved["format"] == FORMAT_WITH_REGISTRIES
    assert [r["url"] for r in saved["registries"]] == [f"{base}/registry.json", signed_url]
    assert f"https://127.0.0.1:{local_server.port}/.well-known/did.json" in TrustStore.load(trust)

    local_server.routes.clear()
    for extra in ([], ["--registry", signed_url]):
        offline = runner.invoke(
            main,
            ["verify", str(badge), "--offline", "--trust", str(trust), "--json", *extra],
        )
        assert offline.exit_code == 0, offline.output
        check = json.loads(offline.stdout)["checks"][-1]
        assert check["code"] == "issuer-in-registry"
        assert check["details"]["registry"] == f"Baeji issuer registry ({platform_did})"


def test_a_forged_signed_registry_is_not_trusted(
    runner: CliRunner,
    live: World,
    local_server: LocalServer,
    key_pool: dict[str, Keys],
    tmp_path: Path,
) -> None:
    """A registry signed with another key than the platform's, or by another DID than the
    site's, is reported as unchecked: the issuer is never marked known from it."""
    issuer = live.issuer("hanbit", "한빛")
    credential, _ = live.issue(issuer)
    local_server.publish(live)
    platform_did, _ = _platform(local_server, key_pool)
    base = local_server.base
    forger = key_pool["hanbit"].ed25519.with_key_id(f"{platform_did}#key-1")
    local_server.json(
        "/registry.vc.json", signed_registry(forger, platform_did, {issuer.did: "한빛"}, base)
    )
    local_server.json(
        "/other/registry.vc.json",
        signed_registry(issuer.ed25519, issuer.did, {issuer.did: "한빛"}, base),
    )
    badge = _write(tmp_path, "badge.json", credential)
    for url in (f"{base}/registry.vc.json", f"{base}/other/registry.vc.json"):
        result = runner.invoke(
            main, ["verify", str(badge), "--allow-local", "--registry", url, "--json"]
        )
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["verdict"] == "valid"
        check = report["checks"][-1]
        assert (check["status"], check["code"]) == ("error", "registry-unchecked")
        assert "could not be checked" in result.stderr


def test_missing_registry_file_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    """A registry path that does not exist stops the command (exit 2)."""
    badge = _write(tmp_path, "badge.json", {"x": 1})
    result = runner.invoke(main, ["verify", str(badge), "--registry", str(tmp_path / "no.json")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_registry_check_does_not_change_the_verdict(live: World) -> None:
    """The check is informational: known, unknown and unchecked keep the report's verdict."""
    issuer = live.issuer("hanbit", "한빛")
    credential, _ = live.issue(issuer)
    from verify import DictFetcher

    report = verify_credential(credential, now=NOW, fetcher=DictFetcher(live.documents))
    assert report.verdict is Verdict.VALID
    known = IssuerRegistry("R", "r.json", {})
    parsed = parse_registry(
        dcc_registry({issuer.did: "한빛"}),
        source="r.json",
        fetcher=DictFetcher({}),
        now=NOW,
    )
    marked = with_registry_check(report, [known, parsed])
    assert marked.verdict is Verdict.VALID
    assert marked.check("registry").status is CheckStatus.PASSED
    assert marked.check("registry").details["name"] == "한빛"
    unchecked = with_registry_check(
        report, [known], [UncheckedRegistry("https://x/registry.json", "fetch-error", "down")]
    )
    assert unchecked.check("registry").status is CheckStatus.ERROR
    assert unchecked.verdict is Verdict.VALID
    assert check_registry(None, [parsed]).code == "registry-no-issuer"
    # A forgery naming a listed issuer: its signature fails, so the name proves nothing and
    # the registry is not even asked.
    forged = copy.deepcopy(credential)
    forged["name"] = "위조된 배지"
    forged_report = verify_credential(forged, now=NOW, fetcher=DictFetcher(live.documents))
    assert forged_report.verdict is Verdict.INVALID
    refused = with_registry_check(forged_report, [parsed])
    assert refused.check("registry").status is CheckStatus.SKIPPED
    assert refused.check("registry").code == "authenticity-not-established"


@pytest.mark.parametrize(
    ("document", "match"),
    [
        ([], "not a JSON object"),
        ({"meta": {}}, "neither"),
        ({"registry": []}, "map DIDs"),
        ({"registry": {"did:web:a": {"url": "https://a"}}}, "no name"),
        ({"type": ["VerifiableCredential", "IssuerRegistryCredential"]}, "credentialSubject"),
    ],
    ids=["not-an-object", "no-registry", "registry-list", "entry-without-name", "vc-no-subject"],
)
def test_malformed_registries_are_refused(document: Any, match: str) -> None:
    """What is not a registry raises InvalidRegistry with a reason."""
    from verify import DictFetcher

    with pytest.raises(InvalidRegistry, match=match):
        parse_registry(
            json.dumps(document).encode(), source="x.json", fetcher=DictFetcher({}), now=NOW
        )


def test_trust_file_versions() -> None:
    """Without registries a trust file stays version 1; with them it is version 2, and both
    read back; version 1 with registries is refused."""
    document = TrustedDocument("https://a/did.json", "application/json", b"{}", NOW)
    plain = TrustStore([document])
    assert json.loads(plain.dumps())["format"] == FORMAT
    registry = TrustedDocument("https://a/registry.json", "application/json", b'{"a":1}', NOW)
    withreg = plain.with_registries([registry])
    payload = json.loads(withreg.dumps())
    assert payload["format"] == FORMAT_WITH_REGISTRIES
    again = TrustStore.loads(withreg.dumps())
    assert [r.url for r in again.registries] == ["https://a/registry.json"]
    assert "https://a/did.json" in again
    merged = plain.merged(again)
    assert len(merged.registries) == 1
    with pytest.raises(InvalidTrustStore, match="registries need"):
        TrustStore.loads(json.dumps({**payload, "format": FORMAT}))


def test_batch_lines_name_issuers_no_registry_lists(
    runner: CliRunner, live: World, local_server: LocalServer, tmp_path: Path
) -> None:
    """With several inputs, a badge whose issuer no given registry lists says so on its line;
    a listed one's line does not, and the exit code stays that of the verdicts."""
    listed_issuer = live.issuer("hanbit", "한빛")
    other_issuer = live.issuer("mallory", "Mallory")
    listed, _ = live.issue(listed_issuer)
    other, _ = live.issue(other_issuer)
    local_server.publish(live)
    first = _write(tmp_path, "listed.json", listed)
    second = _write(tmp_path, "other.json", other)
    registry = _write(tmp_path, "dcc.json", dcc_registry({listed_issuer.did: "Hanbit"}))
    result = runner.invoke(
        main,
        [
            "verify",
            str(first),
            str(second),
            "--allow-local",
            "--registry",
            str(registry),
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "other.json" in line)
    assert lines[at + 1].startswith("    ✗ registry: The issuer did:web:")
    assert not any("listed.json" in line and "registry" in line for line in lines)
    assert sum("✗ registry" in line for line in lines) == 1
