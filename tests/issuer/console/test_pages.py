"""The console's pages through the Flask test client: accounts, security, courses, cohorts."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from typing import Any

import pyotp
import pytest
from flask import Flask
from openpyxl import Workbook, load_workbook
from sqlmodel import col, func, select

from issuer import db
from issuer.console.models import StaffUser
from issuer.models import Achievement, AuditEvent, Credential
from tests.issuer.conftest import BASE_URL, Api, Tenant, unique_email
from tests.issuer.console.conftest import PASSWORD, Staff, create_staff
from tests.issuer.test_badge_pages import png_bytes

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def owner(app: Flask, hanbit: Tenant) -> Staff:
    return create_staff(app, "hanbit", "owner")


@pytest.fixture(scope="module")
def viewer(app: Flask, hanbit: Tenant) -> Staff:
    return create_staff(app, "hanbit", "viewer")


@pytest.fixture(scope="module")
def stranger(app: Flask, nuri: Tenant) -> Staff:
    return create_staff(app, "nuri", "owner")


def _course(staff: Staff, name: str = "파이썬 데이터 분석", **extra: Any) -> str:
    response = staff.post(
        "/console/courses/new",
        {"name": name, "description": "40시간 과정", "narrative": "80% 출석", **extra},
    )
    assert response.status_code == 302, response.text
    return str(response.headers["Location"]).split("/console/courses/")[1].split("?")[0]


def _count(app: Flask, course_id: str) -> int:
    with db.new_session(db.engine_of(app)) as session:
        return int(
            session.exec(
                select(func.count()).where(col(Credential.achievement_id) == course_id)
            ).one()
        )


# -- accounts and security ----------------------------------------------------------------------


def test_session_cookie_flags_and_signing_out(app: Flask, hanbit: Tenant) -> None:
    staff = create_staff(app, "hanbit", "issuer")
    signed = staff.sign_in()
    cookie = next(v for v in signed.headers.getlist("Set-Cookie") if v.startswith("baeji_console="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite=lax", "path=/console"} <= flags
    assert staff.get("/console/courses").status_code == 200
    out = staff.post("/console/logout", {}, form="/console/courses")
    assert out.status_code == 302
    assert staff.get("/console/courses").status_code == 302  # back to the sign-in page


def test_sign_out_everywhere_ends_other_browsers(app: Flask, hanbit: Tenant) -> None:
    first = create_staff(app, "hanbit", "viewer")
    second = Staff(app, first.email)
    assert second.sign_in().status_code == 302
    assert first.post("/console/account", {"do": "everywhere"}).status_code == 302
    assert second.get("/console/courses").status_code == 302
    assert first.get("/console/courses").status_code == 302


def test_csrf_refused_without_token(app: Flask, owner: Staff) -> None:
    refused = owner.client.post(
        "/console/courses/new", data={"name": "x", "description": "y", "narrative": "z"}
    )
    assert refused.status_code == 400
    forged = owner.client.post("/console/logout", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    anonymous = Staff(app, owner.email).client.post(
        "/console/login", data={"email": owner.email, "password": PASSWORD}
    )
    assert anonymous.status_code == 400
    assert owner.get("/console/courses").status_code == 200  # still signed in


def test_wrong_password_and_login_throttling(app: Flask, hanbit: Tenant) -> None:
    staff = create_staff(app, "hanbit", "viewer")
    app.config["RATELIMIT_CONSOLE_ACCOUNT"] = "3 per hour"
    try:
        browser = Staff(app, staff.email)
        for _ in range(3):
            assert browser.sign_in(password="wrong password!").status_code == 401
        throttled = browser.sign_in()  # even the right password waits now
        assert throttled.status_code == 429
        assert "baeji_console=" not in " ".join(throttled.headers.getlist("Set-Cookie"))
    finally:
        app.config.pop("RATELIMIT_CONSOLE_ACCOUNT")
    with db.new_session(db.engine_of(app)) as session:
        failed = session.exec(
            select(func.count()).where(
                AuditEvent.action == "staff.sign-in-failed", AuditEvent.subject == staff.email
            )
        ).one()
    assert failed == 3


def test_totp_second_factor_from_the_account_page(app: Flask, hanbit: Tenant) -> None:
    staff = create_staff(app, "hanbit", "viewer")
    started = staff.post("/console/account", {"do": "totp-start"})
    assert started.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in started.text
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', started.text)
    assert secret
    totp = pyotp.TOTP(secret.group(1))
    conf_now = app.extensions["issuer"]["settings"].clock()
    on = staff.post(
        "/console/account",
        {"do": "totp-confirm", "secret": secret.group(1), "code": totp.at(conf_now)},
    )
    assert on.status_code == 302
    browser = Staff(app, staff.email)
    asked = browser.sign_in()
    assert asked.status_code == 401
    assert 'name="code"' in asked.text
    assert browser.sign_in(code="000000").status_code == 401


def test_viewer_reads_but_cannot_issue_or_manage(app: Flask, owner: Staff, viewer: Staff) -> None:
    course = _course(owner)
    assert viewer.get("/console/courses").status_code == 200
    assert viewer.get("/console/badges").status_code == 200
    assert viewer.get("/console/issue").status_code == 403
    assert viewer.get("/console/cohort").status_code == 403
    assert viewer.get("/console/settings/keys").status_code == 403
    token = viewer.token("/console/courses")
    issued = viewer.client.post(
        "/console/issue",
        data={"csrf_token": token, "course": course, "email": unique_email(), "name": "김"},
    )
    assert issued.status_code == 403
    edit = viewer.client.post(
        f"/console/courses/{course}",
        data={"csrf_token": token, "name": "바뀐 이름", "description": "d", "narrative": "n"},
    )
    assert edit.status_code == 403
    assert _count(app, course) == 0


def test_another_providers_badge_and_course_are_not_found(
    app: Flask, owner: Staff, stranger: Staff, api: Api
) -> None:
    theirs = api.achievement("한빛 과정")
    badge = api.issue(theirs["uuid"] if "uuid" in theirs else theirs["id"], unique_email())
    assert owner.get(f"/console/badges/{badge['uuid']}").status_code == 200
    assert stranger.get(f"/console/badges/{badge['uuid']}").status_code == 404
    assert stranger.get(f"/console/badges/{badge['uuid']}/revoke").status_code == 404
    course_id = theirs["id"].rsplit("/", 1)[-1]
    assert stranger.get(f"/console/courses/{course_id}").status_code == 404
    listing = stranger.get("/console/badges")
    assert badge["uuid"] not in listing.text
    sheet = stranger.post(
        "/console/cohort/sheet",
        {"rows": json.dumps([{"email": "a@b.kr", "name": "x", "credential": badge["uuid"]}])},
        form="/console/cohort",
    )
    assert sheet.status_code == 404
    with db.new_session(db.engine_of(app)) as session:
        colleague = session.exec(select(StaffUser).where(StaffUser.email == owner.email)).one()
    for action in ("reset", "remove"):
        answer = stranger.post("/console/settings/staff", {action: str(colleague.id)})
        assert "no staff account" in answer.text
        assert "/console/set-password/" not in answer.text
    assert owner.get("/console/courses").status_code == 200  # the owner is still signed in


# -- courses, issuing, badges -------------------------------------------------------------------


def test_course_with_every_field_image_and_ncs(app: Flask, owner: Staff) -> None:
    course = _course(
        owner,
        name="데이터 시각화",
        tags="데이터, 시각화",
        credits="3",
        fieldOfStudy="정보통신",
        humanCode="DV-101",
        achievementType="Certificate",
        criteria_url="https://hanbit.example.kr/criteria",
        results="grade | 최종 등급 | LetterGrade | A, B, C",
        alignment="데이터 분석 | https://example.kr/competency | DA-1 | 사내 역량",
        ncs_code="2001020201_20v4",
        ncs_name="빅데이터 분석 결과 시각화",
        image=(io.BytesIO(png_bytes()), "badge.png"),
    )
    with db.new_session(db.engine_of(app)) as session:
        row = session.get(Achievement, course)
        assert row is not None
        assert row.image is not None
        doc = json.loads(row.document)
    assert doc["tag"] == ["데이터", "시각화"]
    assert doc["creditsAvailable"] == 3
    assert doc["achievementType"] == "Certificate"
    assert doc["resultDescription"][0]["allowedValue"] == ["A", "B", "C"]
    ncs = next(a for a in doc["alignment"] if a.get("targetCode") == "2001020201_20v4")
    assert ncs["targetFramework"].startswith("NCS")
    assert ncs["targetName"] == "빅데이터 분석 결과 시각화"
    assert doc["image"].startswith(BASE_URL)
    edited = owner.post(
        f"/console/courses/{course}",
        {"name": "데이터 시각화 심화", "description": "d", "narrative": "n"},
    )
    assert edited.status_code == 302
    assert "데이터 시각화 심화" in owner.get("/console/courses").text
    assert owner.post(f"/console/courses/{course}/archive", {}).status_code == 302
    assert "데이터 시각화 심화" not in owner.get("/console/courses").text
    bad = owner.post("/console/courses/new", {"name": "", "description": "", "narrative": ""})
    assert bad.status_code == 422


def _cp949_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("cp949")


HEADER = [
    "이메일",
    "이름",
    "성적",
    "학점",
    "기수",
    "교육시작일",
    "교육종료일",
    "증빙 URL",
    "담당자",
]


def _row(email: str, name: str) -> list[str]:
    return [
        email,
        name,
        "A+",
        "3",
        "7기",
        "2026-09-01",
        "2026-11-20",
        "https://hanbit.example.kr/p/1",
        "이강사",
    ]


def test_cohort_csv_preview_confirm_sheet_and_no_duplicates(app: Flask, owner: Staff) -> None:
    course = _course(owner, name="코호트 과정")
    emails = [unique_email("cohort") for _ in range(3)]
    bad = _cp949_csv(
        [
            HEADER,
            _row(emails[0], "김민준"),
            _row("not-an-email", "이서연"),
            _row(emails[2], '=HYPERLINK("http://evil")'),
        ]
    )
    preview = owner.post(
        "/console/cohort",
        {"course": course, "file": (io.BytesIO(bad), "7기.csv")},
        form="/console/cohort",
    )
    assert preview.status_code == 200, preview.text
    assert "담당자" in preview.text  # the unknown column is listed
    for column, field in enumerate(["email", "name", "result", "credits", "term", "start"]):
        chosen = re.search(rf'<select id="map_{column}".*?</select>', preview.text, re.S)
        assert chosen
        assert f'<option value="{field}" selected>' in chosen.group(0)
    assert '<option value="" selected>' in preview.text.split('id="map_8"')[1]
    assert 'id="problems"' in preview.text
    assert "cohort_confirm" not in preview.text
    assert 'action="/console/cohort/confirm"' not in preview.text
    good = _cp949_csv(
        [
            HEADER,
            _row(emails[0], "김민준"),
            _row(emails[1], "이서연"),
            _row(emails[2], '=HYPERLINK("http://evil")'),
        ]
    )
    preview = owner.post(
        "/console/cohort",
        {"course": course, "file": (io.BytesIO(good), "7기.csv")},
        form="/console/cohort",
    )
    assert 'action="/console/cohort/confirm"' in preview.text
    data = base64.b64encode(good).decode()
    mapping = {
        f"map_{i}": m
        for i, m in enumerate(
            ["email", "name", "result", "credits", "term", "start", "end", "evidence", ""]
        )
    }
    form = {"course": course, "data": data, "filename": "7기.csv", **mapping}
    result = owner.post("/console/cohort/confirm", form, form="/console/cohort")
    assert result.status_code == 200, result.text
    assert result.text.count(f'href="{BASE_URL}/wallet/') == 3
    assert _count(app, course) == 3
    with db.new_session(db.engine_of(app)) as session:
        one = session.exec(select(Credential).where(Credential.achievement_id == course)).first()
        assert one is not None
        subject = json.loads(one.document)["credentialSubject"]
    assert subject["result"][0]["value"] == "A+"
    assert subject["term"] == "7기"
    assert subject["creditsEarned"] == 3
    by_term = owner.get("/console/badges", query_string={"term": "7기", "course": course})
    assert "3 badge(s)" in by_term.text
    assert "김민준" in by_term.text
    other_term = owner.get("/console/badges", query_string={"term": "8기", "course": course})
    assert "김민준" not in other_term.text
    # The same confirm again (a double click) and the same file again issue nothing.
    again = owner.post("/console/cohort/confirm", form, form="/console/cohort")
    assert again.status_code == 200
    reupload = owner.post(
        "/console/cohort",
        {"course": course, "file": (io.BytesIO(good), "7기.csv")},
        form="/console/cohort",
    )
    assert 'id="holders"' in reupload.text
    assert _count(app, course) == 3
    rows = re.search(r'name="rows" value="([^"]+)"', result.text)
    assert rows
    import html

    sheet = owner.post(
        "/console/cohort/sheet",
        {"rows": html.unescape(rows.group(1)), "format": "xlsx"},
        form="/console/cohort",
    )
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.data))
    active = book.active
    assert active is not None
    cells = [[c.value for c in row] for row in active.iter_rows()]
    assert len(cells) == 4
    assert all(str(r[3]).startswith(f"{BASE_URL}/wallet/") for r in cells[1:])
    assert all(not str(v).startswith("=") for r in cells for v in r)
    assert any(str(r[1]).startswith("'=HYPERLINK") for r in cells)


def test_cohort_xlsx_with_korean_headers(app: Flask, owner: Staff) -> None:
    course = _course(owner, name="엑셀 과정")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["이메일", "성명", "결과", "학기"])
    sheet.append([unique_email("xlsx"), "박지호", "Pass", "2026-2"])
    sheet.append([None, None, None, None])
    out = io.BytesIO()
    book.save(out)
    preview = owner.post(
        "/console/cohort",
        {"course": course, "file": (io.BytesIO(out.getvalue()), "c.xlsx")},
        form="/console/cohort",
    )
    assert preview.status_code == 200
    assert "박지호" in preview.text
    assert 'action="/console/cohort/confirm"' in preview.text


def test_issue_one_search_and_revoke_with_confirmation(
    app: Flask, owner: Staff, client: Any
) -> None:
    course = _course(owner, name="개별 발급 과정")
    email = unique_email("one")
    issued = owner.post(
        "/console/issue", {"course": course, "email": email, "name": "최유나", "result": "A"}
    )
    assert issued.status_code == 200
    assert f"{BASE_URL}/wallet/" in issued.text
    found = owner.get("/console/badges", query_string={"email": email})
    assert "최유나" in found.text
    assert "1" in found.text
    assert "최유나" not in owner.get("/console/badges", query_string={"email": unique_email()}).text
    assert "최유나" in owner.get("/console/badges", query_string={"name": "유나"}).text
    assert "최유나" not in owner.get("/console/badges", query_string={"name": "%"}).text
    with db.new_session(db.engine_of(app)) as session:
        badge = session.exec(select(Credential).where(Credential.achievement_id == course)).one()
    confirm = owner.get(f"/console/badges/{badge.id}/revoke")
    assert "최유나" in confirm.text
    assert "개별 발급 과정" in confirm.text
    assert owner.post(f"/console/badges/{badge.id}/revoke", {}).status_code == 422
    done = owner.post(f"/console/badges/{badge.id}/revoke", {"reason": "부정 수료"})
    assert done.status_code == 302
    status = app.test_client().get(f"/credentials/{badge.id}", headers={"Accept": "text/html"})
    assert "부정 수료" not in status.text
    assert (
        owner.get("/console/badges", query_string={"status": "revoked"}).text.count("최유나") == 1
    )
    export = owner.get("/console/badges.csv", query_string={"course": course})
    assert export.status_code == 200
    assert "부정 수료" in export.data.decode("utf-8-sig")


def test_xss_in_every_field_is_inert(app: Flask, owner: Staff) -> None:
    course = _course(owner, name=XSS, description=XSS, tags=XSS[:29])
    pages = [owner.get("/console/courses"), owner.get(f"/console/courses/{course}")]
    issued = owner.post(
        "/console/issue", {"course": course, "email": unique_email(), "name": XSS, "term": XSS}
    )
    pages += [issued, owner.get("/console/badges")]
    upload = _cp949_csv([["이메일", "이름", XSS], [unique_email(), XSS, XSS]])
    pages.append(
        owner.post(
            "/console/cohort",
            {"course": course, "file": (io.BytesIO(upload), "x.csv")},
            form="/console/cohort",
        )
    )
    for response in pages:
        assert "<script>alert" not in response.text
        assert "<img src=x" not in response.text
        assert "script-src 'none'" in response.headers["Content-Security-Policy"]


# -- settings ------------------------------------------------------------------------------------


def test_settings_profile_keys_signing_audit_and_staff(
    app: Flask, owner: Staff, viewer: Staff
) -> None:
    saved = owner.post(
        "/console/settings",
        {
            "name": "한빛 아카데미",
            "url": "https://hanbit.example.kr",
            "email": "edu@hanbit.example.kr",
            "description": "교육 기관",
            "logo": (io.BytesIO(png_bytes()), "logo.png"),
        },
    )
    assert saved.status_code == 302
    assert viewer.post("/console/settings", {"name": "x"}).status_code == 403
    created = owner.post("/console/settings/keys", {"name": "LMS"})
    key = re.search(r'<code id="new-key">([^<]+)</code>', created.text)
    assert key
    assert key.group(1).startswith("baeji_")
    prefix = key.group(1).split("_")[1]
    revoked = owner.post("/console/settings/keys", {"revoke": prefix})
    assert revoked.status_code == 200
    keys_page = owner.get("/console/settings/signing")
    key_id = re.search(r"<code>([^<]+#[^<]+)</code>", keys_page.text)
    assert key_id
    course = _course(owner, name="서명 키 과정")
    owner.post("/console/issue", {"course": course, "email": unique_email(), "name": "서명"})
    confirm = owner.get(
        "/console/settings/signing/compromise", query_string={"key": key_id.group(1)}
    )
    affected = re.search(r'<span id="affected">[^0-9]*([0-9]+)', confirm.text)
    assert affected
    assert int(affected.group(1)) >= 1
    assert confirm.status_code == 200
    assert 'id="affected"' in confirm.text
    assert (
        owner.post("/console/settings/signing", {}, form="/console/settings/signing").status_code
        == 302
    )
    invited = owner.post(
        "/console/settings/staff", {"email": unique_email("new"), "role": "issuer"}
    )
    assert f"{BASE_URL}/console/set-password/" in invited.text
    with db.new_session(db.engine_of(app)) as session:
        newest = session.exec(select(StaffUser).order_by(col(StaffUser.id).desc())).first()
    assert newest is not None
    first_link = re.search(r'<code id="invite-link">([^<]+)</code>', invited.text)
    assert first_link
    reset = owner.post("/console/settings/staff", {"reset": str(newest.id)})
    second_link = re.search(r'<code id="invite-link">([^<]+)</code>', reset.text)
    assert second_link
    assert second_link.group(1) != first_link.group(1)
    for link in (first_link.group(1), second_link.group(1)):
        assert owner.get(link.removeprefix(BASE_URL)).status_code == 200
    assert owner.post("/console/settings/staff", {"reset": "999999"}).status_code == 200
    assert "no staff account" in owner.post("/console/settings/staff", {"reset": "999999"}).text
    log = owner.get("/console/settings/audit").text
    for action in (
        "apikey.create",
        "apikey.revoke",
        "key.rotate",
        "staff.create",
        "issuer.profile",
        "issuer.logo",
        "staff.sign-in",
    ):
        assert action in log
    with db.new_session(db.engine_of(app)) as session:
        assert session.exec(select(StaffUser).where(StaffUser.role == "issuer")).first()


def test_badges_paginate_and_export_is_formula_safe(app: Flask, owner: Staff) -> None:
    course = _course(owner, name="페이지 과정")
    rows = [["이메일", "이름"]] + [[unique_email("page"), f"학습자{i:02d}"] for i in range(52)]
    rows.append([unique_email("formula"), '=HYPERLINK("http://evil","x")'])
    upload = _cp949_csv(rows)
    preview = owner.post(
        "/console/cohort",
        {"course": course, "file": (io.BytesIO(upload), "p.csv")},
        form="/console/cohort",
    )
    data = re.search(r'name="data" value="([^"]+)"', preview.text)
    assert data, preview.text[-3000:]
    form = {"course": course, "data": data.group(1), "filename": "p.csv", "map_0": "email"}
    form["map_1"] = "name"
    assert owner.post("/console/cohort/confirm", form, form="/console/cohort").status_code == 200
    first = owner.get("/console/badges", query_string={"course": course})
    assert "Page 1 of 2" in first.text
    assert first.text.count('<tr><td><a href="/console/badges/') == 50
    second = owner.get("/console/badges", query_string={"course": course, "page": 2})
    assert second.text.count('<tr><td><a href="/console/badges/') == 3
    export = owner.get("/console/badges.csv", query_string={"course": course})
    table = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert len(table) == 54
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)
    assert any(row[0].startswith("'=HYPERLINK") for row in table)
