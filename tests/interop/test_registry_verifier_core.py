"""DCC's verifier-core accepts our ``/registry.json`` as a known-issuer registry.

The service runs on a real HTTP server on 127.0.0.1 (SQLite), issues a badge through its
API, and serves its registry, DID documents and status lists. ``registry.mjs`` verifies
with ``@digitalcredentials/verifier-core`` (pinned in ``package.json``, installed by
``npm ci``) with ``knownDIDRegistries`` = our registry as a ``dcc-legacy`` registry, the
way VerifierPlus configures it. Its fetches for the service's public origin are answered
by the local server and every other address is refused, so the test runs offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from werkzeug.serving import make_server

from badges import sign_credential
from badges.context import CONTEXT_FILES, OWN_CONTEXT_FILES, load_context
from issuer import db
from keys import KeyType, PrivateKeySigner, did_key_from_public_key
from tests.interop.test_independent_verifiers import INTEROP_DIR, node, run_node  # noqa: F401
from tests.issuer.conftest import BASE_URL, Api, Tenant, create_tenant, make_app
from tests.samples import sample_credential
from tests.serving import serving
from verify.cli import main as baeji

pytestmark = pytest.mark.node


@dataclass(frozen=True)
class Service:
    """The issuer service on 127.0.0.1, and a provider of it."""

    app: Flask
    local: str
    tenant: Tenant


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on SQLite, served over HTTP on an ephemeral 127.0.0.1 port."""
    folder = tmp_path_factory.mktemp("registry-interop")
    app = make_app(f"sqlite:///{folder / 'baeji.db'}", folder / "instance")
    tenant = create_tenant(app, "hanbit", "한빛 아카데미")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    try:
        with serving(server):
            yield Service(app, f"http://127.0.0.1:{server.server_port}", tenant)
    finally:
        db.engine_of(app).dispose()


def _run(node_path: str, payload: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = run_node(node_path, "registry.mjs", payload)
    return result


def _unlisted_credential() -> dict[str, Any]:
    """A badge signed by a did:key issuer (resolvable offline) that no registry lists."""
    signer = PrivateKeySigner.generate(KeyType.ED25519, "key")
    did = did_key_from_public_key(signer.public_key.key)
    signer = signer.with_key_id(f"{did}#{did.removeprefix('did:key:')}")
    unsigned = sample_credential(now=datetime.now(UTC), issuer_did=did, suspension=False)
    return sign_credential(unsigned, proof_signer=signer, now=datetime.now(UTC)).credential


def test_verifier_core_marks_our_issuer_known_from_our_registry(
    node: str,  # noqa: F811
    service: Service,
) -> None:
    """Our provider's badge is "registered" by our registry, named as we list it; an issuer
    the registry does not list is not; nothing is fetched from the network."""
    client = service.app.test_client()
    api = Api(client, service.tenant)
    achievement = api.achievement("데이터 분석 입문 (Intro to Data Analysis)")
    issued = api.issue(achievement["id"], "registry.interop@example.kr")
    registry = json.loads(client.get("/registry.json").get_data())
    assert service.tenant.issuer.did in registry["registry"]

    outcome = _run(
        node,
        {
            "origin": BASE_URL,
            "local": service.local,
            "registries": [
                {
                    "name": "Baeji Registry",
                    "type": "dcc-legacy",
                    "url": f"{service.local}/registry.json",
                }
            ],
            "credentials": [
                {"id": "ours", "credential": issued["credential"]},
                {"id": "unlisted", "credential": _unlisted_credential()},
            ],
        },
    )
    results = {result["id"]: result for result in outcome["results"]}
    ours = results["ours"]
    assert ours["fatal"] == []
    assert ours["signature"] is True
    assert ours["registered"] is True, ours
    (match,) = ours["matchingIssuers"]
    assert match["issuer"]["federation_entity"]["organization_name"] == "한빛 아카데미"
    assert match["issuer"]["federation_entity"]["homepage_uri"] == f"{BASE_URL}/issuers/hanbit"
    assert match["registry"]["federation_entity"]["organization_name"] == "Baeji Registry"
    assert ours["uncheckedRegistries"] == []

    unlisted = results["unlisted"]
    assert unlisted["fatal"] == []
    assert unlisted["registered"] is False, unlisted
    assert unlisted["matchingIssuers"] == []
    assert unlisted["uncheckedRegistries"] == []
    # Only the optional JSON Schema look-up (verifier-core's extra information) was refused:
    # keys, status lists and the registry all came from the local server.
    assert {url.rsplit("/", 1)[-1] for url in outcome["refused"]} <= {
        "ob_v3p0_achievementcredential_schema.json"
    }


def test_verifier_core_reports_an_unreachable_registry_as_unchecked(
    node: str,  # noqa: F811
    service: Service,
) -> None:
    """A registry it cannot load is "unchecked", not a match: the check can fail."""
    client = service.app.test_client()
    api = Api(client, service.tenant)
    achievement = api.achievement("클라우드 기초 (Cloud Basics)")
    issued = api.issue(achievement["id"], "registry.unreachable@example.kr")
    outcome = _run(
        node,
        {
            "origin": BASE_URL,
            "local": service.local,
            "registries": [
                {
                    "name": "Missing",
                    "type": "dcc-legacy",
                    "url": f"{service.local}/no-such-registry.json",
                }
            ],
            "credentials": [{"id": "ours", "credential": issued["credential"]}],
        },
    )
    (result,) = outcome["results"]
    assert result["registered"] is False
    assert [r["name"] for r in result["uncheckedRegistries"]] == ["Missing"]


def test_interop_packages_pin_verifier_core() -> None:
    """verifier-core is pinned exactly, and the lock file holds that version."""
    manifest = json.loads((INTEROP_DIR / "package.json").read_text(encoding="utf-8"))
    version = manifest["dependencies"]["@digitalcredentials/verifier-core"]
    assert version[0].isdigit()
    lock = json.loads((INTEROP_DIR / "package-lock.json").read_text(encoding="utf-8"))
    installed = lock["packages"]["node_modules/@digitalcredentials/verifier-core"]["version"]
    assert installed == version
    assert Path(INTEROP_DIR / "registry.mjs").is_file()


def test_signed_registry_proof_verifies_with_digital_bazaar(
    node: str,  # noqa: F811
    service: Service,
) -> None:
    """The signed registry (with a certified provider in it) passes ``@digitalbazaar/vc`` in
    JSON-LD safe mode: the bundled Baeji registry context defines every term it uses."""
    result = CliRunner().invoke(
        baeji,
        [
            "issuer",
            "certify",
            "--issuer",
            "hanbit",
            "--programme",
            "leaders-club",
            "--until",
            "2099-12-31",
        ],
        obj=service.app,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    client = service.app.test_client()
    credential = json.loads(client.get("/registry.vc.json").get_data())
    assert credential["credentialSubject"]["registeredIssuer"][0]["certification"]
    did_document = json.loads(client.get("/.well-known/did.json").get_data())
    contexts = {url: load_context(url) for url in (*CONTEXT_FILES, *OWN_CONTEXT_FILES)}
    jobs = {
        "signed": credential,
        "tampered": {
            **credential,
            "credentialSubject": {
                **credential["credentialSubject"],
                "registeredIssuer": [
                    {**credential["credentialSubject"]["registeredIssuer"][0], "name": "가짜"}
                ],
            },
        },
    }
    batch = {
        "contexts": contexts,
        "jobs": [
            {"id": job_id, "credential": document, "didDocument": did_document}
            for job_id, document in jobs.items()
        ],
    }
    outcomes = {r["id"]: r["di"] for r in run_node(node, "verify.mjs", batch)["results"]}
    assert outcomes["signed"] == {"verified": True, "error": None}
    assert outcomes["tampered"]["verified"] is False
