"""Cohort files as providers keep them: CP949 CSV and .xlsx with Korean headers, every column
that a badge can carry, and unknown columns reported instead of dropped silently."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook

from issuer.credentials.upload import XLSX_MEDIA_TYPE, read_csv, read_table, read_xlsx
from issuer.errors import InvalidCsv
from tests.issuer.conftest import Api, Tenant, unique_email

_KOREAN_HEADER = "이메일,이름,성적,학점,기수,교육시작일,교육종료일,증빙 URL,전화번호"


def _workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "수료자"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_rows(emails: list[str]) -> list[list[Any]]:
    return [
        ["이메일", "이름", "성적", "학점", "기수", "교육시작일", "교육종료일", "증빙 URL", "비고"],
        *[
            [
                email,
                "김민준",
                95,
                3,
                "2026-1기",
                datetime(2026, 3, 2),
                date(2026, 6, 30),
                "https://lms.example.kr/p/1",
                "메모",
            ]
            for email in emails
        ],
    ]


def test_korean_columns_of_a_cp949_file_are_mapped() -> None:
    """성적, 학점, 기수, 교육시작일, 교육종료일, 증빙 URL become the badge's fields; an unknown
    column is reported."""
    text = (
        f"{_KOREAN_HEADER}\r\na@example.kr,김민준,A+,3,2026-1기,2026.03.02,2026-06-30,"
        "https://lms.example.kr/p/1,010\r\n"
    )
    parsed = read_csv(text.encode("cp949"))
    assert parsed.rows == [
        {
            "recipient": {"email": "a@example.kr", "name": "김민준"},
            "result": [{"value": "A+"}],
            "creditsEarned": 3.0,
            "term": "2026-1기",
            "activityStartDate": "2026-03-02T00:00:00Z",
            "activityEndDate": "2026-06-30T00:00:00Z",
            "evidence": [{"id": "https://lms.example.kr/p/1"}],
        }
    ]
    assert parsed.ignored_columns == ["전화번호"]


def test_english_headers_name_the_same_columns() -> None:
    """result, resultStatus, credits, cohort, startDate, endDate, evidenceUrl."""
    text = (
        "email,name,result,resultStatus,credits,cohort,startDate,endDate,evidenceUrl\n"
        "a@example.kr,Kim,95,Completed,1.5,2026-A,2026-03-02,2026-06-30,https://e.example/1\n"
    )
    row = read_csv(text.encode()).rows[0]
    assert row["result"] == [{"value": "95", "status": "Completed"}]
    assert (row["creditsEarned"], row["term"]) == (1.5, "2026-A")
    assert row["evidence"] == [{"id": "https://e.example/1"}]


def test_an_xlsx_sheet_is_read_like_a_csv() -> None:
    """The first sheet, its date cells as dates, numbers as text where text is expected."""
    parsed = read_table(_workbook(_xlsx_rows(["a@example.kr"])))
    assert parsed.lines == [2]
    assert parsed.ignored_columns == ["비고"]
    row = parsed.rows[0]
    assert row["result"] == [{"value": "95"}]
    assert row["creditsEarned"] == 3.0
    assert row["activityStartDate"] == "2026-03-02T00:00:00Z"
    assert row["activityEndDate"] == "2026-06-30T00:00:00Z"


def test_a_broken_workbook_is_a_clear_error() -> None:
    """A ZIP that is not a workbook is invalid-csv, not a 500."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(InvalidCsv, match="cannot be read"):
        read_xlsx(buffer.getvalue())


@pytest.fixture(scope="module")
def course(app: Flask, hanbit: Tenant) -> dict[str, Any]:
    with app.test_client() as client:
        return Api(client, hanbit).achievement("AI 서비스 개발자 과정")


def _subject(issued: dict[str, Any]) -> dict[str, Any]:
    subject: dict[str, Any] = issued["credential"]["credentialSubject"]
    return subject


def test_batch_api_takes_an_xlsx_body(api: Api, course: dict[str, Any]) -> None:
    """An .xlsx body issues every row with its result, credits, term, dates and evidence."""
    emails = [unique_email(), unique_email()]
    response = api.post(
        f"/api/v1/credentials/batch?achievementId={course['uuid']}",
        data=_workbook(_xlsx_rows(emails)),
        content_type=XLSX_MEDIA_TYPE,
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body is not None
    assert body["count"] == 2
    assert body["ignoredColumns"] == ["비고"]
    issued = body["credentials"][0]
    subject = _subject(issued)
    assert subject["result"][0]["value"] == "95"
    assert subject["creditsEarned"] == 3
    assert subject["term"] == "2026-1기"
    assert subject["activityStartDate"].startswith("2026-03-02")
    assert subject["activityEndDate"].startswith("2026-06-30")
    assert issued["credential"]["evidence"][0]["id"] == "https://lms.example.kr/p/1"


def test_batch_api_takes_an_xlsx_upload_and_a_cp949_csv(api: Api, course: dict[str, Any]) -> None:
    """A multipart .xlsx upload and a CP949 CSV with Korean headers both issue."""
    upload = api.post(
        "/api/v1/credentials/batch",
        data={
            "file": (io.BytesIO(_workbook(_xlsx_rows([unique_email()]))), "cohort.xlsx"),
            "achievementId": course["uuid"],
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.json
    text = (
        f"{_KOREAN_HEADER}\r\n{unique_email()},이서연,B,2,2026-2기,2026-09-01,2026-12-20,"
        "https://lms.example.kr/p/2,010\r\n"
    )
    csv = api.post(
        f"/api/v1/credentials/batch?achievementId={course['uuid']}",
        data=text.encode("cp949"),
        content_type="text/csv",
    )
    assert csv.status_code == 201, csv.json
    assert csv.json is not None
    assert csv.json["ignoredColumns"] == ["전화번호"]
    assert _subject(csv.json["credentials"][0])["term"] == "2026-2기"


def test_a_zip_bomb_is_refused_unread() -> None:
    """A workbook whose parts would unpack past the limit is refused from its directory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"\0" * (65 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(InvalidCsv, match="unpacks to 65 MiB"):
        read_table(buffer.getvalue())


def test_entity_declarations_in_a_sheet_are_refused() -> None:
    """A sheet that declares XML entities (billion laughs) is invalid-csv, never expanded."""
    good = _workbook(_xlsx_rows(["a@example.kr"]))
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good)) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for item in source.infolist():
            part = bomb if item.filename == "xl/worksheets/sheet1.xml" else source.read(item)
            target.writestr(item.filename, part)
    with pytest.raises(InvalidCsv, match="cannot be read"):
        read_table(buffer.getvalue())
