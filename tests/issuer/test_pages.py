"""Pages for people: the verification page a QR code opens, /verify, issuer profiles, errors.

Pages are checked through the Flask client as a browser would ask for them (an ``Accept``
that prefers HTML, an ``Accept-Language``); what they show must agree with the ``verify``
package, whose verdict labels and check messages they use.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from issuer.pages import CONTENT_SECURITY_POLICY
from tests.issuer.conftest import (
    BASE_URL,
    BROWSER_ACCEPT,
    ENGLISH,
    KOREAN,
    Api,
    Tenant,
    page,
    unique_email,
)
from verify import Verdict

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMAGE = '<img src=x onerror="window.pwned=1">'


def _path(url: str) -> str:
    return url.removeprefix(BASE_URL)


@pytest.fixture(scope="module")
def course(app: Flask, hanbit: Tenant) -> dict[str, Any]:
    """An achievement of issuer A with a prerequisite-free Korean name."""
    with app.test_client() as client:
        return Api(client, hanbit).achievement(
            "클라우드 인프라 구축 실무", creditsAvailable=3, fieldOfStudy="클라우드"
        )


def test_verification_page_shows_the_verdict_in_korean(
    client: FlaskClient, api: Api, course: dict[str, Any]
) -> None:
    """A Korean browser opening a badge's URL reads the Korean verdict of the verify package."""
    email = unique_email()
    issued = api.issue(
        course["uuid"],
        email,
        "박지호",
        creditsEarned=3,
        result=[{"status": "Completed", "value": "A+"}],
        term="2026년 1기",
    )
    html = page(client, _path(issued["id"]))
    assert 'lang="ko"' in html
    assert 'data-verdict="valid"' in html
    assert "유효한 배지" in html
    assert Verdict.VALID.label("ko") in html
    for text in (
        "클라우드 인프라 구축 실무",
        "박지호",
        "한빛 아카데미",
        "이수 완료",
        "A+",
        "3학점",
    ):
        assert text in html, text
    assert "이 플랫폼에 등록된 기관" in html
    assert 'href="/issuers/hanbit"' in html
    # every check of the report, with the verify package's own Korean titles
    for check_id in ("input", "structure", "issuer", "key", "proof", "jwt", "revocation"):
        assert f'data-check="{check_id}" data-status="' in html
    assert "Data Integrity 서명" in html


def test_verification_page_in_english_and_dates_per_language(
    client: FlaskClient, api: Api, course: dict[str, Any]
) -> None:
    """English browsers get English; dates are written the way each language writes them."""
    issued = api.issue(course["uuid"], unique_email(), "Kim", validFrom="2026-03-01T16:30:00Z")
    english = page(client, _path(issued["id"]), headers=ENGLISH)
    assert 'lang="en"' in english
    assert "Valid badge" in english
    assert "1 March 2026" in english
    korean = page(client, _path(issued["id"]))
    assert "2026년 3월 2일" in korean  # 16:30 UTC is already the 2nd in Seoul


def test_language_switch_sets_a_cookie(
    client: FlaskClient, api: Api, course: dict[str, Any]
) -> None:
    """?lang=en overrides a Korean browser and is remembered in a cookie."""
    issued = api.issue(course["uuid"], unique_email())
    path = _path(issued["id"])
    response = client.get(f"{path}?lang=en", headers=KOREAN)
    assert "Valid badge" in response.get_data(as_text=True)
    assert "lang=en" in response.headers["Set-Cookie"]
    assert "Valid badge" in page(client, path)  # the cookie wins over Accept-Language
    assert f'href="{path}?lang=ko"' in page(client, path)
    client.get(f"{path}?lang=ko", headers=KOREAN)
    assert "유효한 배지" in page(client, path)


def test_revoked_and_suspended_verdicts(
    client: FlaskClient, api: Api, course: dict[str, Any]
) -> None:
    """The page follows the live status: suspended, then valid again, then revoked."""
    issued = api.issue(course["uuid"], unique_email())
    path = _path(issued["id"])
    api.post(f"/api/v1/credentials/{issued['uuid']}/suspend", json={"reason": "확인 중"})
    html = page(client, path)
    assert 'data-verdict="suspended"' in html
    assert "일시 정지된 배지" in html
    api.post(f"/api/v1/credentials/{issued['uuid']}/unsuspend")
    assert 'data-verdict="valid"' in page(client, path)
    api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "취소"})
    html = page(client, path)
    assert 'data-verdict="revoked"' in html
    assert "취소된 배지" in html
    assert Verdict.REVOKED.label("ko") in html
    # Browsers may keep the page but must revalidate it on every load (its ETag follows
    # the status), so the revocation is what they show.
    assert client.get(path, headers=KOREAN).headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    ("typed", "status", "text"),
    [("self", "passed", "일치합니다"), ("someone@example.kr", "failed", "일치하지 않습니다")],
    ids=["match", "mismatch"],
)
def test_email_form_checks_the_recipient(
    client: FlaskClient, api: Api, course: dict[str, Any], typed: str, status: str, text: str
) -> None:
    """An employer types the candidate's email; the page says whether it matches."""
    email = unique_email()
    issued = api.issue(course["uuid"], email)
    response = client.post(
        _path(issued["id"]),
        data={"email": email if typed == "self" else typed},
        headers=KOREAN,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-recipient="{status}"' in html
    assert text in html
    assert client.post(_path(issued["id"]) + ".json", data={"email": email}).status_code == 404


def test_markup_in_credential_fields_is_shown_as_text(
    client: FlaskClient, api: Api, hanbit: Tenant
) -> None:
    """Script and markup in names, descriptions and evidence render as inert text."""
    course = api.achievement(
        f"과정 {XSS_SCRIPT}",
        description=f"설명 {XSS_IMAGE}",
        criteria={"narrative": f"기준 {XSS_SCRIPT}"},
    )
    issued = api.issue(
        course["uuid"],
        unique_email(),
        "<b>이름</b>",
        evidence=[{"name": XSS_SCRIPT, "description": XSS_IMAGE, "id": "https://example.kr/work"}],
    )
    html = page(client, _path(issued["id"]))
    assert XSS_SCRIPT not in html
    assert "<img src=x" not in html
    assert "<b>이름</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html
    assert "<script" not in html


def test_pages_carry_a_script_free_content_security_policy(
    client: FlaskClient, api: Api, course: dict[str, Any]
) -> None:
    """HTML pages forbid every script and any resource from elsewhere."""
    issued = api.issue(course["uuid"], unique_email())
    for path in ("/", "/verify", _path(issued["id"]), "/issuers/hanbit"):
        response = client.get(path, headers=KOREAN)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert "script-src 'none'" in CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        html = response.get_data(as_text=True)
        assert "<script" not in html
        assert 'src="http' not in html
        assert 'href="http' not in html.split("</head>")[0]
        assert "style=" not in html
    css = client.get("/static/baeji.css")
    assert css.status_code == 200
    assert b"@import" not in css.data
    assert b"url(" not in css.data
    css.close()


def test_unknown_credential_is_a_friendly_page_for_browsers(client: FlaskClient) -> None:
    """Browsers get a 404 page in their language; programs keep the JSON error."""
    path = "/credentials/0b7e5b52-0000-4000-8000-000000000000"
    response = client.get(path, headers=KOREAN)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "찾을 수 없습니다" in html
    assert "Traceback" not in html
    english = client.get("/no/such/page", headers=ENGLISH)
    assert english.status_code == 404
    assert "Not found" in english.get_data(as_text=True)
    assert client.get(path).json == {
        "error": "not-found",
        "message": "no credential '0b7e5b52-0000-4000-8000-000000000000'",
    }
    api = client.get("/api/v1/achievements", headers=KOREAN)
    assert api.status_code == 401
    assert api.mimetype == "application/json"


def test_verify_page_accepts_an_uploaded_baked_png(
    client: FlaskClient, api: Api, course: dict[str, Any]
) -> None:
    """Uploading a baked PNG gives the same report as the verify package, with the email."""
    email = unique_email()
    issued = api.issue(course["uuid"], email, "최유나")
    png = client.get(_path(issued["id"]) + ".png").data
    form = page(client, "/verify")
    assert 'enctype="multipart/form-data"' in form
    assert '<label for="file">' in form
    response = client.post(
        "/verify",
        data={"file": (io.BytesIO(png), "badge.png"), "text": "", "email": email},
        headers=KOREAN,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-verdict="valid"' in html
    assert "PNG 이미지에 담긴 자격증명을 꺼냈습니다." in html
    assert 'data-recipient="passed"' in html
    assert "최유나" in html


@pytest.mark.parametrize("form", ["jwt", "json", "link"])
def test_verify_page_accepts_pasted_text(
    client: FlaskClient, api: Api, course: dict[str, Any], form: str
) -> None:
    """A JWT, the JSON or the badge's link pasted into the form is verified."""
    issued = api.issue(course["uuid"], unique_email())
    text = {
        "jwt": issued["jwt"],
        "json": json.dumps(issued["credential"], ensure_ascii=False),
        "link": issued["id"],
    }[form]
    response = client.post("/verify", data={"text": text}, headers=ENGLISH)
    assert response.status_code == 200
    assert 'data-verdict="valid"' in response.get_data(as_text=True)


def test_verify_page_reports_text_that_is_no_credential(client: FlaskClient) -> None:
    """Pasted text that is not a credential gets a report saying so, not an error page."""
    response = client.post("/verify", data={"text": "안녕하세요"}, headers=KOREAN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Issue 11: text with nothing badge-like is "unreadable", never "may be forged".
    assert 'data-verdict="unreadable"' in html
    assert "배지를 읽지 못했습니다" in html
    assert "더 선명한 사진이나 원본 파일" in html
    assert "위조" not in html
    assert 'data-check="input" data-status="failed"' in html


def test_verify_page_wants_exactly_one_input(client: FlaskClient) -> None:
    """Neither a file nor text, or both, re-shows the form with a hint (400)."""
    empty = client.post("/verify", data={"text": "  "}, headers=KOREAN)
    assert empty.status_code == 400
    assert "파일을 고르거나" in empty.get_data(as_text=True)
    both = client.post(
        "/verify",
        data={"file": (io.BytesIO(b"{}"), "a.json"), "text": "eyJ"},
        headers=ENGLISH,
        content_type="multipart/form-data",
    )
    assert both.status_code == 400
    assert "not both" in both.get_data(as_text=True)


def test_uploaded_credential_with_markup_renders_inert(client: FlaskClient) -> None:
    """A forged upload full of markup is reported invalid and its text shown escaped."""
    forged = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "https://evil.example/credentials/1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://evil.example/issuer", "type": ["Profile"], "name": XSS_SCRIPT},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": XSS_IMAGE,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
            "name": XSS_IMAGE,
            "achievement": {
                "id": "https://evil.example/a",
                "type": ["Achievement"],
                "name": XSS_SCRIPT,
                "description": XSS_IMAGE,
                "criteria": {"narrative": XSS_SCRIPT},
            },
        },
        "evidence": [{"type": ["Evidence"], "id": "javascript:alert(1)", "name": XSS_SCRIPT}],
    }
    response = client.post(
        "/verify",
        data={"file": (io.BytesIO(json.dumps(forged).encode()), "evil.json")},
        headers=KOREAN,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-verdict="invalid"' in html or 'data-verdict="unverifiable"' in html
    assert XSS_SCRIPT not in html
    assert "<img src=x" not in html
    assert "javascript:" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "이 플랫폼에 등록되지 않은 발급자" in html


def test_oversized_upload_is_a_friendly_413(app: Flask, client: FlaskClient) -> None:
    """An upload over the size cap gets a 413 page, and nothing is read or stored."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    # Encoded by hand: the test client would spool a large form to a file it never closes.
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + b"x" * (limit + 1) + b"\r\n--B--\r\n"
    )
    response = client.post(
        "/verify", data=body, headers=KOREAN, content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "파일이 너무 큽니다" in response.get_data(as_text=True)


def test_issuer_profile_page_lists_its_achievements(
    client: FlaskClient, api: Api, other_api: Api
) -> None:
    """/issuers/{slug} is a page for browsers, with courses and what they build on."""
    basics = api.achievement("SQL 기초")
    advanced = other_api.achievement("데이터 엔지니어링", buildsOn=[basics["id"]])
    html = page(client, "/issuers/nuri")
    assert "누리 ICT 교육센터" in html
    assert "데이터 엔지니어링" in html
    assert "선수 과정" in html
    assert f'href="/issuers/hanbit#a-{basics["uuid"]}"' in html
    assert "did:web:badges.example.kr:issuers:nuri" in html
    assert client.get("/issuers/nuri").json is not None  # JSON-LD for programs, as before
    hop = client.get(_path(advanced["id"]), headers=KOREAN)
    assert hop.status_code == 303
    assert hop.headers["Location"] == f"/issuers/nuri#a-{advanced['uuid']}"


def test_home_page_in_both_languages(client: FlaskClient) -> None:
    """The landing page links to /verify and is Korean first for Korean browsers."""
    assert "믿고 확인하는 디지털 배지" in page(client, "/")
    english = page(client, "/", headers=ENGLISH)
    assert "Digital badges you can verify" in english
    assert 'href="/verify"' in english


def test_platform_identity_is_not_a_provider(client: FlaskClient, app: Flask) -> None:
    """The platform's reserved slug has no public provider profile or API."""
    assert client.get("/issuers/_platform", headers={"Accept": BROWSER_ACCEPT}).status_code == 404
    assert client.get("/issuers/_platform/did.json").status_code == 404


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_colours_meet_wcag_aa_contrast(client: FlaskClient) -> None:
    """Text colours of the style sheet reach 4.5:1 on the backgrounds they are used on."""
    response = client.get("/static/baeji.css")
    css = response.get_data(as_text=True)
    response.close()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6});", css))
    white = "#ffffff"
    pairs = [
        ("ink", "paper"),
        ("ink", "page"),
        ("muted", "paper"),
        ("muted", "page"),
        ("brand", "paper"),
        ("brand", "page"),
        ("good", "good-bg"),
        ("bad", "bad-bg"),
        ("warn", "warn-bg"),
        ("unknown", "unknown-bg"),
        ("muted", "unknown-bg"),
    ]
    for text, background in pairs:
        assert _contrast(colours[text], colours[background]) >= 4.5, (text, background)
    for background in ("good", "bad", "warn", "unknown", "brand", "brand-dark"):
        assert _contrast(white, colours[background]) >= 4.5, background
