"""The public issuer registry: ``/registry.json`` (DCC format) and its signed copy.

Both are checked on SQLite and PostgreSQL: their content, their ETags and 304s, that a
change to a provider shows on the next request, and that the signed copy verifies with the
``verify`` package (fetching the platform's DID document from the app itself).
"""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import func, select

from badges.image import default_badge_png
from issuer import db, settings_of
from issuer.issuers.service import PLATFORM_SLUG
from issuer.models import Issuer, RegistryCredential
from issuer.operator import service as operators
from issuer.registry.service import registry_entries
from keys import did_web_from_url
from tests.issuer.conftest import BASE_URL, ClientFetcher, Tenant, create_tenant, statements
from verify.cli import main as baeji
from verify.errors import InvalidRegistry
from verify.registry import fetch_registry, parse_registry, publisher_did

REGISTRY_URL = f"{BASE_URL}/registry.json"
SIGNED_URL = f"{BASE_URL}/registry.vc.json"
PLATFORM_DID = did_web_from_url(BASE_URL)


def _json(response: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response.get_data())
    return data


def _platform_did(app: Flask) -> str | None:
    with db.new_session(db.engine_of(app)) as session:
        return session.exec(select(Issuer.did).where(Issuer.slug == PLATFORM_SLUG)).first()


def _rename(app: Flask, slug: str, name: str) -> None:
    """Rename a provider as an operator's edit would (a plain row update)."""
    with db.new_session(db.engine_of(app)) as session:
        row = session.exec(select(Issuer).where(Issuer.slug == slug)).one()
        row.name = name
        session.add(row)
        session.commit()


def test_registry_lists_every_provider_in_the_dcc_format(
    client: FlaskClient, app: Flask, hanbit: Tenant, nuri: Tenant
) -> None:
    """Every provider is listed by DID with its name, address and profile; the platform never."""
    client.get("/registry.vc.json")  # creates the platform's identity if it is missing
    assert _platform_did(app) == PLATFORM_DID
    response = client.get("/registry.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = _json(response)
    assert document["meta"] == {
        "name": "Baeji 배지 issuer registry",
        "url": REGISTRY_URL,
        "signedCopy": SIGNED_URL,
        "issuer": PLATFORM_DID,
    }
    listed = document["registry"]
    assert PLATFORM_DID not in listed
    assert listed[hanbit.issuer.did] == {
        "name": "한빛 아카데미",
        "url": f"{BASE_URL}/issuers/hanbit",
        "profile": f"{BASE_URL}/issuers/hanbit",
    }
    assert listed[nuri.issuer.did]["name"] == "누리 ICT 교육센터"
    assert list(listed) == sorted(listed)


def test_registry_answers_304_until_a_provider_changes(
    client: FlaskClient, app: Flask, hanbit: Tenant
) -> None:
    """The ETag holds while nothing changes; a new provider, a logo or a rename changes it."""
    first = client.get("/registry.json")
    etag = first.headers["ETag"]
    again = client.get("/registry.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag

    joined = create_tenant(app, "registry-joined", "새싹 코딩 스쿨")
    after_join = client.get("/registry.json", headers={"If-None-Match": etag})
    assert after_join.status_code == 200
    assert after_join.headers["ETag"] != etag
    assert _json(after_join)["registry"][joined.issuer.did]["name"] == "새싹 코딩 스쿨"

    logo = "data:image/png;base64," + base64.b64encode(default_badge_png("로고")).decode()
    patched = client.patch("/api/v1/issuer", json={"logo": logo}, headers=joined.headers)
    assert patched.status_code == 200, patched.json
    entry = _json(client.get("/registry.json"))["registry"][joined.issuer.did]
    assert entry["logo"] == f"{BASE_URL}/issuers/registry-joined/logo"
    assert client.get("/issuers/registry-joined/logo").status_code == 200

    before_rename = client.get("/registry.json").headers["ETag"]
    _rename(app, "registry-joined", "새싹 코딩 스쿨 (Saessak Coding School)")
    renamed = client.get("/registry.json", headers={"If-None-Match": before_rename})
    assert renamed.status_code == 200
    entry = _json(renamed)["registry"][joined.issuer.did]
    assert entry["name"] == "새싹 코딩 스쿨 (Saessak Coding School)"


def test_signed_registry_verifies_with_the_verify_package(
    client: FlaskClient, app: Flask, hanbit: Tenant, nuri: Tenant
) -> None:
    """The signed copy lists the same providers and its proof verifies with the platform's
    published key; it is served with an ETag and 304 like the others."""
    response = client.get("/registry.vc.json")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+ld+json"
    etag = response.headers["ETag"]
    assert client.get("/registry.vc.json", headers={"If-None-Match": etag}).status_code == 304
    credential = _json(response)
    assert credential["type"] == ["VerifiableCredential", "IssuerRegistryCredential"]
    assert credential["issuer"]["id"] == PLATFORM_DID
    assert credential["credentialSubject"]["id"] == REGISTRY_URL
    now = datetime.now(UTC)
    fetcher = ClientFetcher(client)
    registry = fetch_registry(SIGNED_URL, fetcher=fetcher, now=now)
    assert registry.signed_by == PLATFORM_DID
    assert "/.well-known/did.json" in fetcher.fetched
    entry = registry.lookup(hanbit.issuer.did)
    assert entry is not None
    assert entry.name == "한빛 아카데미"
    assert entry.url == f"{BASE_URL}/issuers/hanbit"
    dcc = _json(client.get("/registry.json"))["registry"]
    assert set(registry.entries) == set(dcc)
    assert registry.lookup(PLATFORM_DID) is None


def test_signed_registry_refuses_a_tampered_or_foreign_copy(
    client: FlaskClient, hanbit: Tenant
) -> None:
    """A name changed after signing, or a copy that another DID claims, is not a registry."""
    credential = _json(client.get("/registry.vc.json"))
    now = datetime.now(UTC)
    fetcher = ClientFetcher(client)
    tampered = copy.deepcopy(credential)
    listed = tampered["credentialSubject"]["registeredIssuer"]
    listed[0]["name"] = "위조된 이름"
    with pytest.raises(InvalidRegistry, match="signature"):
        parse_registry(tampered, source="tampered.json", fetcher=fetcher, now=now)
    with pytest.raises(InvalidRegistry, match="not by"):
        parse_registry(
            credential,
            source=f"{BASE_URL}/issuers/hanbit/registry.vc.json",
            fetcher=fetcher,
            now=now,
            expected_issuer=publisher_did(f"{BASE_URL}/issuers/hanbit/registry.vc.json"),
        )
    untyped = {**credential, "type": ["VerifiableCredential"]}
    with pytest.raises(InvalidRegistry, match="neither"):
        parse_registry(untyped, source="untyped.json", fetcher=fetcher, now=now)


def test_signed_registry_is_signed_once_per_list(
    client: FlaskClient, app: Flask, hanbit: Tenant
) -> None:
    """The same list is served from the stored copy; a changed list is signed anew, and
    copies superseded for over an hour are dropped then."""
    first = client.get("/registry.vc.json")
    second = client.get("/registry.vc.json")
    assert second.get_data() == first.get_data()
    with db.new_session(db.engine_of(app)) as session:
        # A copy superseded long ago: dropped when the list is next signed.
        session.add(
            RegistryCredential(
                digest="0" * 64,
                document="{}",
                etag="old",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        session.commit()
        before = session.exec(select(func.count()).select_from(RegistryCredential)).one()
    joined = create_tenant(app, "registry-signed", "다온 데이터 아카데미")
    changed = client.get("/registry.vc.json")
    assert changed.headers["ETag"] != first.headers["ETag"]
    with db.new_session(db.engine_of(app)) as session:
        after = session.exec(select(func.count()).select_from(RegistryCredential)).one()
    assert after == before  # one signed, the long superseded one dropped
    with db.new_session(db.engine_of(app)) as session:
        digests = session.exec(select(RegistryCredential.digest)).all()
    assert "0" * 64 not in digests
    registry = parse_registry(
        changed.get_data(),
        source=SIGNED_URL,
        fetcher=ClientFetcher(client),
        now=settings_of(app).clock(),
        expected_issuer=PLATFORM_DID,
    )
    found = registry.lookup(joined.issuer.did)
    assert found is not None
    assert found.name == "다온 데이터 아카데미"


def test_registry_costs_the_same_few_selects_for_many_providers(
    client: FlaskClient, app: Flask, hanbit: Tenant
) -> None:
    """The registry is two SELECTs (the providers' narrow columns, never their logo bytes, and
    their current certifications), however many providers there are; the signed copy adds
    a constant few, and no signing when the list is unchanged."""
    client.get("/registry.vc.json")
    with statements(app) as few_dcc:
        assert client.get("/registry.json").status_code == 200
    with statements(app) as few_signed:
        assert client.get("/registry.vc.json").status_code == 200
    conf = settings_of(app)
    with db.new_session(db.engine_of(app)) as session:
        for n in range(150):
            session.add(
                Issuer(
                    slug=f"bulk-{n:03d}",
                    name=f"교육기관 {n:03d}",
                    did=f"did:web:badges.example.kr:issuers:bulk-{n:03d}",
                    created_at=conf.clock(),
                )
            )
        session.commit()
    client.get("/registry.vc.json")  # signs the longer list once
    with statements(app) as many_dcc:
        response = client.get("/registry.json")
    assert len(_json(response)["registry"]) >= 151
    with statements(app) as many_signed:
        assert client.get("/registry.vc.json").status_code == 200
    selects = [s for s in many_dcc if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == len([s for s in few_dcc if s.lstrip().upper().startswith("SELECT")])
    assert len(selects) == 2  # the providers, and their current certifications
    assert len(many_signed) == len(few_signed)
    assert not any("logo," in s or "logo " in s.split("FROM")[0] for s in many_dcc)
    assert not any("INSERT" in s for s in many_signed)


def _baeji(app: Flask, *args: str) -> str:
    result = CliRunner().invoke(baeji, list(args), obj=app, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_certified_provider_is_listed_with_its_certification_until_revoked(
    client: FlaskClient, app: Flask
) -> None:
    """A certified provider's entry names the programme, its end and the endorsement in both
    documents; once revoked (or past its end) the entry has no certification."""
    provider = create_tenant(app, "registry-leader", "리더 아카데미")
    output = _baeji(
        app,
        "issuer",
        "certify",
        "--issuer",
        "registry-leader",
        "--programme",
        "leaders-club",
        "--until",
        "2099-12-31",
        "--json",
    )
    endorsement = json.loads(output)["id"]
    entry = _json(client.get("/registry.json"))["registry"][provider.issuer.did]
    certification = entry["certification"]
    assert certification["programme"] == "leaders-club"
    assert certification["name"] == "디지털 리더스 클럽 · Digital Leaders Club"
    assert certification["validUntil"].startswith("2099-12-31")
    assert certification["endorsement"] == endorsement
    assert client.get(endorsement.removeprefix(BASE_URL) + ".json").status_code == 200

    registry = fetch_registry(SIGNED_URL, fetcher=ClientFetcher(client), now=datetime.now(UTC))
    listed = registry.lookup(provider.issuer.did)
    assert listed is not None
    assert listed.extra["certification"] == [{"type": "Certification", **certification}]

    conf = settings_of(app)
    with db.new_session(db.engine_of(app)) as session:
        later = registry_entries(db.Work(session, conf, datetime(2100, 1, 1, tzinfo=UTC), "test"))
    (expired,) = [e for e in later if e.did == provider.issuer.did]
    assert expired.certification is None

    _baeji(
        app,
        "issuer",
        "certify",
        "--revoke",
        "--issuer",
        "registry-leader",
        "--reason",
        "x",
        "--yes",
    )
    entry = _json(client.get("/registry.json"))["registry"][provider.issuer.did]
    assert "certification" not in entry
    registry = fetch_registry(SIGNED_URL, fetcher=ClientFetcher(client), now=datetime.now(UTC))
    listed = registry.lookup(provider.issuer.did)
    assert listed is not None
    assert "certification" not in listed.extra


def test_removed_providers_leave_the_registry_suspended_ones_stay(
    client: FlaskClient, app: Flask
) -> None:
    """A provider the operator removed is no longer listed; a suspended one still is (its
    badges keep verifying), and reinstating it lists it again."""
    provider = create_tenant(app, "registry-leaving", "떠나는 교육원")
    settings = settings_of(app)

    def change(name: str, reason: str | None) -> None:
        with db.unit_of_work(db.engine_of(app), settings, actor="operator:test") as work:
            operators.change_state(work, "registry-leaving", name, reason=reason)

    def listed() -> bool:
        return provider.issuer.did in _json(client.get("/registry.json"))["registry"]

    assert listed()
    change("suspend", "서류 보완")
    assert listed()
    change("remove", "계약 종료")
    assert not listed()
    change("unsuspend", None)
    assert listed()
