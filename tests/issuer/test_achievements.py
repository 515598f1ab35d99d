"""Achievements API: create, list, read, update; validation; authentication; tenancy."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.issuer.conftest import BASE_URL, Api, Tenant


def test_create_returns_the_achievement_with_its_public_id(api: Api) -> None:
    """POST gives 201 with the OB id (a URL), the uuid, and the fields as sent."""
    body = api.achievement(
        "클라우드 인프라 구축 실무", achievementType="Certificate", tag=["클라우드"]
    )
    assert body["id"] == f"{BASE_URL}/achievements/{body['uuid']}"
    assert body["name"] == "클라우드 인프라 구축 실무"
    assert body["achievementType"] == "Certificate"
    assert body["tag"] == ["클라우드"]
    assert body["issuer"] == "did:web:badges.example.kr:issuers:hanbit"


def test_list_and_get(api: Api) -> None:
    """A created achievement is listed and readable by uuid."""
    created = api.achievement("생성형 AI 서비스 개발")
    listed = api.get("/api/v1/achievements").json
    assert listed is not None
    assert created["uuid"] in [a["uuid"] for a in listed["achievements"]]
    one = api.get(f"/api/v1/achievements/{created['uuid']}")
    assert one.status_code == 200
    assert one.json == created


def test_patch_changes_only_given_fields(api: Api) -> None:
    """PATCH keeps members left out and clears those set to null."""
    created = api.achievement("데이터 시각화", humanCode="DV-101")
    response = api.patch(
        f"/api/v1/achievements/{created['uuid']}",
        json={"description": "새 설명", "humanCode": None},
    )
    assert response.status_code == 200
    body = response.json
    assert body is not None
    assert body["description"] == "새 설명"
    assert body["name"] == "데이터 시각화"
    assert "humanCode" not in body


def test_patch_cannot_remove_a_required_field(api: Api) -> None:
    """Clearing the name is a 422, not a broken achievement."""
    created = api.achievement()
    response = api.patch(f"/api/v1/achievements/{created['uuid']}", json={"name": None})
    assert response.status_code == 422
    assert response.json is not None
    assert response.json["error"] == "validation-error"


def test_korean_text_is_nfc_normalized(api: Api) -> None:
    """Decomposed Hangul (as macOS writes it) is stored composed."""
    decomposed = "\u1100\u1161\u11a8"  # 각 as jamo
    body = api.achievement(f"{decomposed} 과정")
    assert body["name"] == "각 과정"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "d", "criteria": {"narrative": "n"}}, "name"),
        ({"name": "가" * 201, "description": "d", "criteria": {"narrative": "n"}}, "name"),
        ({"name": "  ", "description": "d", "criteria": {"narrative": "n"}}, "name"),
        ({"name": "a\x00b", "description": "d", "criteria": {"narrative": "n"}}, "name"),
        ({"name": "a\u202eb", "description": "d", "criteria": {"narrative": "n"}}, "name"),
        ({"name": "n", "description": "d", "criteria": {}}, "criteria"),
        (
            {
                "name": "n",
                "description": "d",
                "criteria": {"narrative": "n"},
                "achievementType": "Nope",
            },
            "achievementType",
        ),
        (
            {"name": "n", "description": "d", "criteria": {"id": "javascript:alert(1)"}},
            "criteria.id",
        ),
        ({"name": "n", "description": "d", "criteria": {"narrative": "n"}, "extra": 1}, "extra"),
        (
            {
                "name": "n",
                "description": "d",
                "criteria": {"narrative": "n"},
                "creditsAvailable": -1,
            },
            "creditsAvailable",
        ),
    ],
    ids=[
        "missing-name",
        "name-too-long",
        "blank-name",
        "nul-byte",
        "bidi-override",
        "empty-criteria",
        "unknown-type",
        "script-url",
        "unknown-member",
        "negative-credits",
    ],
)
def test_invalid_fields_are_422_naming_the_field(
    api: Api, body: dict[str, object], field: str
) -> None:
    """Each invalid field gives a 422 validation-error whose errors name it."""
    response = api.post("/api/v1/achievements", json=body)
    assert response.status_code == 422
    payload = response.json
    assert payload is not None
    assert payload["error"] == "validation-error"
    assert any(e["field"].startswith(field) for e in payload["errors"]), payload


def test_malformed_json_is_400(api: Api) -> None:
    """A body that is not JSON is a 400 invalid-json."""
    response = api.post(
        "/api/v1/achievements", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json == {
        "error": "invalid-json",
        "message": "the request body is not valid JSON",
    }


def test_deeply_nested_json_is_400_not_500(api: Api) -> None:
    """JSON nested past the parser's recursion limit is refused cleanly."""
    body = b"[" * 100_000 + b"]" * 100_000
    response = api.post(
        "/api/v1/achievements", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_form_body_is_415(api: Api) -> None:
    """Only application/json is accepted."""
    response = api.post("/api/v1/achievements", data={"name": "x"})
    assert response.status_code == 415
    assert response.json is not None
    assert response.json["error"] == "unsupported-media-type"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Basic abc", "Bearer baeji_unknownkey12_" + "a" * 43, "Bearer nonsense"],
    ids=["missing", "empty", "basic", "unknown", "malformed"],
)
def test_requests_without_a_valid_key_are_401(client: FlaskClient, header: str | None) -> None:
    """Missing, malformed or unknown keys give 401 with WWW-Authenticate."""
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/achievements", headers=headers)
    assert response.status_code == 401
    assert response.json is not None
    assert response.json["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_another_issuers_achievement_is_404(api: Api, other_api: Api) -> None:
    """Issuer B's key gets 404 on A's achievement, for reading and updating alike."""
    created = api.achievement()
    path = f"/api/v1/achievements/{created['uuid']}"
    assert other_api.get(path).status_code == 404
    assert other_api.patch(path, json={"name": "탈취"}).status_code == 404
    listed = other_api.get("/api/v1/achievements").json
    assert listed is not None
    assert created["uuid"] not in [a["uuid"] for a in listed["achievements"]]


def test_unknown_achievement_is_404(api: Api, hanbit: Tenant) -> None:
    """A uuid that names nothing, or a malformed one, is 404."""
    assert api.get("/api/v1/achievements/0b7e5b52-0000-4000-8000-000000000000").status_code == 404
    assert api.get("/api/v1/achievements/not-a-uuid").status_code == 404


@pytest.mark.parametrize("tag", ["no-inputs", "KO", "en-us", "x-private", "ko_KR"])
def test_regression_a_language_the_badge_schema_refuses_is_refused_when_saved(
    api: Api, tag: str
) -> None:
    """Found by the contract test: PATCH took inLanguage "no-inputs", and from then on every
    badge of the course failed the OB 3.0 schema at signing (422 schema-violation)."""
    created = api.achievement("언어 태그 확인")
    response = api.patch(f"/api/v1/achievements/{created['uuid']}", json={"inLanguage": tag})
    assert response.status_code == 422
    assert response.json is not None
    assert response.json["errors"][0]["field"] == "inLanguage"


@pytest.mark.parametrize("tag", ["ko", "en-US", "zh-Hant-TW", "es-419"])
def test_language_tags_the_badge_schema_takes_are_kept_and_issue(api: Api, tag: str) -> None:
    created = api.achievement("언어 태그 확인", inLanguage=tag)
    assert created["inLanguage"] == tag
    issued = api.issue(created["uuid"], f"lang.{tag.lower()}@example.kr")
    assert issued["credential"]["credentialSubject"]["achievement"]["inLanguage"] == tag
