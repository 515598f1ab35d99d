"""The OpenAPI document says what each operation really takes and answers (issue 9, item
10): conflicts, non-empty strings, required reasons, exactly one verification source,
a schema per media type, the methods a route answers, and per-operation errors."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.issuer.conftest import Api


@pytest.fixture(scope="module")
def document(app: Any) -> dict[str, Any]:
    found: dict[str, Any] = app.test_client().get("/api/openapi.json").json
    return found


def _statuses(document: dict[str, Any], path: str, method: str) -> set[int]:
    return {int(status) for status in document["paths"][path][method]["responses"]}


def test_each_operation_lists_only_the_errors_it_can_return(document: dict[str, Any]) -> None:
    assert _statuses(document, "/api/v1/achievements", "get") == {200, 401, 429}
    assert _statuses(document, "/api/v1/achievements/{ref}", "get") == {200, 401, 404, 429}
    assert _statuses(document, "/api/v1/achievements", "post") == {
        201,
        400,
        401,
        413,
        415,
        422,
        429,
    }
    assert _statuses(document, "/api/v1/credentials", "post") == {
        201,
        400,
        401,
        409,
        413,
        415,
        422,
        429,
        503,
    }
    for action in ("revoke", "suspend", "unsuspend"):
        statuses = _statuses(document, f"/api/v1/credentials/{{ref}}/{action}", "post")
        assert statuses == {200, 400, 401, 404, 409, 413, 415, 422, 429}
    # Anonymous: no 401, but a rate limit.
    assert _statuses(document, "/api/v1/verify", "post") == {200, 400, 413, 415, 422, 429}
    limited = document["paths"]["/api/v1/verify"]["post"]["responses"]["429"]
    assert limited["headers"]["Retry-After"]["required"] is True


def test_conflicts_are_documented_and_answered(
    document: dict[str, Any], api: Api, client: FlaskClient
) -> None:
    issued = api.issue(api.achievement()["uuid"], "conflict.test@example.kr")
    path = f"/api/v1/credentials/{issued['uuid']}"
    assert api.post(f"{path}/revoke", json={"reason": "취소"}).status_code == 200
    response = api.post(f"{path}/suspend", json={"reason": "검토"})
    assert response.status_code == 409
    assert "409" in document["paths"]["/api/v1/credentials/{ref}/suspend"]["post"]["responses"]


def test_text_fields_are_non_empty(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for model, field in (
        ("AchievementCreate", "name"),
        ("AchievementCreate", "description"),
        ("RecipientIn", "email"),
        ("CredentialCreate", "achievementId"),
        ("StatusReason", "reason"),
    ):
        assert schemas[model]["properties"][field]["minLength"] == 1, (model, field)


def test_revoking_and_suspending_require_a_reason(document: dict[str, Any]) -> None:
    paths = document["paths"]
    schemas = document["components"]["schemas"]
    for action in ("revoke", "suspend"):
        body = paths[f"/api/v1/credentials/{{ref}}/{action}"]["post"]["requestBody"]
        assert body["required"] is True
        ref = body["content"]["application/json"]["schema"]["$ref"]
        assert schemas[ref.rsplit("/", 1)[1]]["required"] == ["reason"]
    unsuspend = paths["/api/v1/credentials/{ref}/unsuspend"]["post"]["requestBody"]
    assert unsuspend["required"] is False


def test_verify_takes_exactly_one_of_credential_or_url(
    document: dict[str, Any], client: FlaskClient
) -> None:
    request = document["components"]["schemas"]["VerifyRequest"]
    assert [branch["required"] for branch in request["oneOf"]] == [["credential"], ["url"]]
    for body in ({}, {"credential": "a.b.c", "url": "https://example.kr/x"}):
        response = client.post("/api/v1/verify", json=body)
        assert response.status_code == 422
        assert response.json is not None
        assert response.json["error"] == "validation-error"


def test_each_media_type_has_its_own_schema(document: dict[str, Any]) -> None:
    content = document["paths"]["/api/v1/verify"]["post"]["requestBody"]["content"]
    json_schema = content["application/json"]["schema"]
    assert json_schema == {"$ref": "#/components/schemas/VerifyBody"}
    for media in ("image/png", "image/jpeg", "image/svg+xml", "application/octet-stream"):
        assert content[media]["schema"]["format"] == "binary", media
    assert content["text/plain"]["schema"]["type"] == "string"
    form = content["multipart/form-data"]["schema"]
    assert set(form["properties"]) == {"file", "email", "lang"}
    batch = document["paths"]["/api/v1/credentials/batch"]["post"]["requestBody"]["content"]
    assert set(batch["multipart/form-data"]["schema"]["properties"]) == {
        "file",
        "achievementId",
        "jwtAlg",
        "duplicates",
    }
    assert batch["text/csv"]["schema"]["type"] == "string"
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert batch[xlsx]["schema"]["format"] == "binary"
    assert batch["application/json"]["schema"] == {"$ref": "#/components/schemas/BatchBody"}


def test_batch_route_answers_only_post(client: FlaskClient, api: Api) -> None:
    allowed = client.options("/api/v1/credentials/batch").headers["Allow"]
    assert {method.strip() for method in allowed.split(",")} == {"POST", "OPTIONS"}
    response = api.get("/api/v1/credentials/batch")
    assert response.status_code == 405
    assert response.json is not None
    assert response.json["error"] == "method-not-allowed"
    # Other references still reach the credential route.
    assert api.get("/api/v1/credentials/batches").status_code == 404
