"""GET /api/v1/credentials: the calling issuer's badges, filtered, in stable cursor pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from badges import format_datetime
from issuer import settings_of
from tests.issuer.conftest import Api, Tenant, create_tenant, unique_email


@pytest.fixture(scope="module")
def lister(app: Flask) -> Tenant:
    """An issuer of its own, so its listing holds only this module's badges."""
    return create_tenant(app, "lister", "목록 아카데미", suspension=True)


@pytest.fixture(scope="module")
def cohort(app: Flask, lister: Tenant) -> dict[str, Any]:
    """Two courses; five badges in two terms, one revoked and one suspended."""
    with app.test_client() as client:
        api = Api(client, lister)
        cloud = api.achievement("클라우드 기초")
        data = api.achievement("데이터 분석")
        people = [
            (cloud, "김민준", "2026-1기"),
            (cloud, "이서연", "2026-1기"),
            (cloud, "박지호", "2026-2기"),
            (data, "김하늘", "2026-2기"),
            (data, "Choi Yuna", "2026-2기"),
        ]
        issued = []
        for course, name, term in people:
            email = unique_email()
            body = api.issue(course["uuid"], email, name, term=term)
            issued.append({**body, "email": email, "name": name})
        api.post(f"/api/v1/credentials/{issued[1]['uuid']}/revoke", json={"reason": "오류"})
        api.post(f"/api/v1/credentials/{issued[2]['uuid']}/suspend", json={"reason": "확인"})
        return {"cloud": cloud, "data": data, "issued": issued}


def _list(api: Api, **query: Any) -> Any:
    response = api.get("/api/v1/credentials?" + urlencode(query))
    assert response.status_code == 200, response.json
    return response.json


def _uuids(body: dict[str, Any]) -> set[str]:
    return {c["uuid"] for c in body["credentials"]}


def test_filters(client: FlaskClient, lister: Tenant, cohort: dict[str, Any]) -> None:
    """Name (part, any case), e-mail, achievement, term, status: all must hold."""
    api = Api(client, lister)
    issued = cohort["issued"]
    every = {c["uuid"] for c in issued}
    assert _uuids(_list(api)) == every
    assert _uuids(_list(api, name="김")) == {issued[0]["uuid"], issued[3]["uuid"]}
    assert _uuids(_list(api, name="choi")) == {issued[4]["uuid"]}
    assert _uuids(_list(api, email=issued[3]["email"].upper())) == {issued[3]["uuid"]}
    assert _uuids(_list(api, email=unique_email())) == set()
    assert _uuids(_list(api, achievementId=cohort["data"]["id"])) == {
        issued[3]["uuid"],
        issued[4]["uuid"],
    }
    assert _uuids(_list(api, term="2026-1기")) == {issued[0]["uuid"], issued[1]["uuid"]}
    assert _uuids(_list(api, status="revoked")) == {issued[1]["uuid"]}
    assert _uuids(_list(api, status="suspended")) == {issued[2]["uuid"]}
    assert _uuids(_list(api, status="active", term="2026-2기")) == {
        issued[3]["uuid"],
        issued[4]["uuid"],
    }
    assert _uuids(_list(api, achievementId=cohort["cloud"]["uuid"], name="박")) == {
        issued[2]["uuid"]
    }


def test_issued_date_range(
    app: Flask, client: FlaskClient, lister: Tenant, cohort: dict[str, Any]
) -> None:
    """issuedFrom is inclusive, issuedUntil exclusive."""
    api = Api(client, lister)
    now = settings_of(app).clock()
    later = format_datetime(now + timedelta(days=1))
    earlier = format_datetime(now - timedelta(days=1))
    assert len(_list(api, issuedFrom=earlier)["credentials"]) == 5
    assert _list(api, issuedFrom=later)["credentials"] == []
    assert _list(api, issuedUntil=earlier)["credentials"] == []
    bad = api.get("/api/v1/credentials?issuedFrom=2026-01-01T00:00:00")
    assert bad.status_code == 422


def test_cursor_pages_are_stable_and_complete(
    client: FlaskClient, lister: Tenant, cohort: dict[str, Any]
) -> None:
    """Following nextCursor visits every badge exactly once, newest first, even when a badge
    is issued between pages (keyset pages do not shift as offsets would)."""
    api = Api(client, lister)
    seen: list[str] = []
    page = _list(api, limit=2)
    first_page = [c["uuid"] for c in page["credentials"]]
    newcomer = api.issue(cohort["data"]["uuid"], unique_email(), "정하늘")
    while True:
        seen += [c["uuid"] for c in page["credentials"]]
        if "nextCursor" not in page:
            break
        page = _list(api, limit=2, cursor=page["nextCursor"])
    assert seen[:2] == first_page
    assert len(seen) == len(set(seen))
    # The newcomer sorts before the cursor unless issued in the same second with a lower id.
    assert set(seen) - {newcomer["uuid"]} == {c["uuid"] for c in cohort["issued"]}
    stamps = [c["issuedAt"] for c in _list(api, limit=200)["credentials"]]
    assert stamps == sorted(stamps, reverse=True)


def test_a_forged_cursor_is_refused(client: FlaskClient, lister: Tenant) -> None:
    """A cursor the listing never handed out is 400 invalid-cursor."""
    response = Api(client, lister).get("/api/v1/credentials?cursor=not-a-cursor")
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "invalid-cursor"


def test_another_issuers_badges_are_never_listed(
    api: Api, lister: Tenant, cohort: dict[str, Any]
) -> None:
    """Issuer A lists none of this issuer's badges, even by the learner's e-mail."""
    mine = _uuids(_list(api, limit=200))
    assert not mine & {c["uuid"] for c in cohort["issued"]}
    assert _list(api, email=cohort["issued"][0]["email"])["credentials"] == []
