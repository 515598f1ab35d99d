"""Batch issuing: JSON lists and CSV uploads in every encoding; all rows or none."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, func, select

from issuer.models import Credential
from tests.issuer.conftest import Api, Tenant, unique_email


@pytest.fixture(scope="module")
def course(app: Flask, hanbit: Tenant) -> dict[str, Any]:
    """One achievement of issuer A."""
    with app.test_client() as client:
        return Api(client, hanbit).achievement("클라우드 인프라 구축 실무")


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Credential)).one()


def _csv(course: dict[str, Any], emails: list[str]) -> str:
    names = ["김민준", "이서연", "박지호", "최유나", "정하늘"]
    lines = ["이메일,이름,비고"] + [f"{e},{names[i % 5]},메모" for i, e in enumerate(emails)]
    return "\r\n".join(lines) + "\r\n"


def test_json_list_issues_every_row(api: Api, course: dict[str, Any]) -> None:
    """A bare JSON list of rows issues one credential per row, in order."""
    emails = [unique_email() for _ in range(3)]
    rows = [
        {"achievementId": course["uuid"], "recipient": {"email": e, "name": "김학습"}}
        for e in emails
    ]
    response = api.post("/api/v1/credentials/batch", json=rows)
    assert response.status_code == 201, response.json
    body = response.json
    assert body is not None
    assert body["count"] == 3
    assert len({c["id"] for c in body["credentials"]}) == 3
    assert all(c["walletUrl"] for c in body["credentials"])


def test_json_object_with_a_default_achievement(api: Api, course: dict[str, Any]) -> None:
    """{"achievementId", "credentials": [...]} applies the achievement to rows naming none."""
    rows = [{"recipient": {"email": unique_email(), "name": "최유나"}} for _ in range(2)]
    response = api.post(
        "/api/v1/credentials/batch",
        json={"achievementId": course["uuid"], "jwtAlg": "EdDSA", "credentials": rows},
    )
    assert response.status_code == 201, response.json
    assert response.json is not None
    assert response.json["count"] == 2


def test_bad_rows_are_all_reported_and_nothing_is_issued(
    api: Api, course: dict[str, Any], session: Session
) -> None:
    """Every invalid row is listed with its reason; the valid rows are not issued either."""
    before = _count(session)
    good = unique_email()
    rows: list[dict[str, Any]] = [
        {"achievementId": course["uuid"], "recipient": {"email": good, "name": "김학습"}},
        {"achievementId": course["uuid"], "recipient": {"email": "broken", "name": "김학습"}},
        {"recipient": {"email": unique_email(), "name": "김학습"}},
        {"achievementId": course["uuid"], "recipient": {"email": good.upper(), "name": "김학습"}},
        {
            "achievementId": "0b7e5b52-0000-4000-8000-000000000000",
            "recipient": {"email": unique_email(), "name": "김학습"},
        },
        {
            "achievementId": course["uuid"],
            "recipient": {"email": unique_email(), "name": "가" * 101},
        },
    ]
    response = api.post("/api/v1/credentials/batch", json=rows)
    assert response.status_code == 422
    body = response.json
    assert body is not None
    assert body["error"] == "invalid-rows"
    assert "nothing was issued" in body["message"]
    reported = {(r["row"], r["field"]) for r in body["rows"]}
    assert reported == {
        (2, "recipient.email"),
        (3, "achievementId"),
        (4, "recipient.email"),
        (5, "achievementId"),
        (6, "recipient.name"),
    }
    duplicate = next(r for r in body["rows"] if r["row"] == 4)
    assert "row 1" in duplicate["message"]
    session.rollback()  # end the read snapshot; see what others committed
    assert _count(session) == before


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp949", b""), ("euc-kr", b""), ("utf-16", b"")],
    ids=["utf-8", "utf-8-bom", "cp949", "euc-kr", "utf-16"],
)
def test_csv_in_korean_spreadsheet_encodings(
    api: Api, course: dict[str, Any], encoding: str, bom: bytes
) -> None:
    """CSV in UTF-8 (with or without BOM), CP949, EUC-KR or UTF-16 keeps Korean names intact."""
    emails = [unique_email() for _ in range(2)]
    data = bom + _csv(course, emails).encode(encoding)
    response = api.post(
        f"/api/v1/credentials/batch?achievementId={course['uuid']}",
        data=data,
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body is not None
    names = [c["credential"]["credentialSubject"]["name"] for c in body["credentials"]]
    assert names == ["김민준", "이서연"]


def test_csv_multipart_upload(api: Api, course: dict[str, Any]) -> None:
    """A multipart 'file' upload with the achievement as a form field."""
    data = _csv(course, [unique_email()]).encode("cp949")
    response = api.post(
        "/api/v1/credentials/batch",
        data={
            "file": (io.BytesIO(data), "cohort.csv", "text/csv"),
            "achievementId": course["uuid"],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json


def test_csv_row_errors_name_the_file_line(api: Api, course: dict[str, Any]) -> None:
    """CSV row errors carry the line number a spreadsheet user sees."""
    text = f"email,name\n{unique_email()},김민준\n\nnot-an-email,이서연\n"
    response = api.post(
        f"/api/v1/credentials/batch?achievementId={course['uuid']}",
        data=text.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert response.json is not None
    assert response.json["rows"] == [
        {
            "row": 2,
            "line": 4,
            "field": "recipient.email",
            "message": "Value error, is not an email address",
        }
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00", "neither"),
        (b"", "empty"),
        (b"name,phone\n\xea\xb9\x80,010\n", "email column"),
        (b"email,name\n", "no rows"),
    ],
    ids=["garbage", "empty", "no-email-column", "header-only"],
)
def test_unusable_csv_is_400(api: Api, course: dict[str, Any], data: bytes, message: str) -> None:
    """Undecodable or headerless CSV is a 400 invalid-csv with a clear message."""
    response = api.post(
        f"/api/v1/credentials/batch?achievementId={course['uuid']}",
        data=data,
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "invalid-csv"
    assert message in response.json["message"]


def test_batch_row_limit(app: Flask, api: Api, course: dict[str, Any]) -> None:
    """More rows than BATCH_MAX_ROWS is a 413 before anything is signed."""
    limit = app.extensions["issuer"]["settings"].batch_max_rows
    rows = [{"recipient": {"email": f"r{i}@example.kr"}} for i in range(limit + 1)]
    response = api.post(
        "/api/v1/credentials/batch", json={"achievementId": course["uuid"], "credentials": rows}
    )
    assert response.status_code == 413
    assert response.json is not None
    assert response.json["error"] == "payload-too-large"


def test_batch_idempotency(api: Api, course: dict[str, Any], session: Session) -> None:
    """A retried batch with the same key returns the same credentials and issues nothing new."""
    rows = [
        {"achievementId": course["uuid"], "recipient": {"email": unique_email(), "name": "김학습"}}
        for _ in range(2)
    ]
    headers = {"Idempotency-Key": "cohort-2026-spring"}
    first = api.post("/api/v1/credentials/batch", json=rows, headers=headers)
    count = _count(session)
    again = api.post("/api/v1/credentials/batch", json=rows, headers=headers)
    assert first.json is not None
    assert again.json is not None
    assert [c["id"] for c in again.json["credentials"]] == [
        c["id"] for c in first.json["credentials"]
    ]
    session.rollback()  # end the read snapshot; see what others committed
    assert _count(session) == count
    changed = api.post("/api/v1/credentials/batch", json=rows[:1], headers=headers)
    assert changed.status_code == 409


def test_batch_of_another_issuers_achievement_is_refused(api: Api, other_api: Api) -> None:
    """Issuer B cannot issue issuer A's achievement: the row is reported as unknown."""
    theirs = api.achievement("A의 과정")
    response = other_api.post(
        "/api/v1/credentials/batch",
        json=[
            {
                "achievementId": theirs["uuid"],
                "recipient": {"email": unique_email(), "name": "김학습"},
            }
        ],
    )
    assert response.status_code == 422
    assert response.json is not None
    assert response.json["rows"][0]["field"] == "achievementId"


@pytest.mark.parametrize(
    "body", [{"credentials": "x"}, "text", 3], ids=["not-a-list", "string", "number"]
)
def test_batch_body_shape(api: Api, body: object) -> None:
    """A JSON body that is neither a list nor {credentials: [...]} is a 400."""
    response = api.post("/api/v1/credentials/batch", json=body)
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "invalid-json"
