"""The whole badge on every page, and badges worth sharing (issue 11, items 3 and 4).

Provider artwork and logos (data URIs and a real local HTTP server, never an outside
address), their refusals with stable codes, every signed field on the pages in Korean and
English, revocation and suspension marks, LinkedIn links, link-preview tags, the wallet's
first screen and its share form.
"""

from __future__ import annotations

import base64
import html
import io
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from badges.bake import extract_credential
from issuer.achievements.artwork import MAX_ARTWORK_BYTES, decode_data_uri
from tests.issuer.conftest import (
    BASE_URL,
    ENGLISH,
    KOREAN,
    Api,
    Tenant,
    page,
    unique_email,
)
from tests.serving import serving
from verify.cli import main as baeji


def png_bytes(
    size: tuple[int, int] = (64, 64), colour: str = "#c0392b", mode: str = "RGB"
) -> bytes:
    """A small PNG of one colour."""
    buffer = io.BytesIO()
    Image.new(mode, size, colour if mode != "1" else 0).save(buffer, format="PNG")
    return buffer.getvalue()


def data_uri(data: bytes, media_type: str = "image/png") -> str:
    """A base64 data: URI."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def stylesheet(client: FlaskClient) -> str:
    """The badge pages' style sheet (the response is closed: it streams a file)."""
    response = client.get("/static/badge-pages.css")
    try:
        return response.get_data(as_text=True)
    finally:
        response.close()


def path_of(url: str) -> str:
    """The path of a URL of the test service."""
    return url.removeprefix(BASE_URL)


def wallet_path(issued: dict[str, Any]) -> str:
    """The wallet page path from an issuing answer."""
    return path_of(issued["walletUrl"])


# -- a local HTTP server for provider images ----------------------------------------------------


@dataclass
class ImageServer:
    """Serves fixed bodies on 127.0.0.1 and counts the requests it gets."""

    base: str
    bodies: dict[str, tuple[bytes, str]]
    hits: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def image_server() -> Iterator[ImageServer]:
    """A real HTTP server on a loopback port (the guard refuses it unless allowed)."""
    bodies: dict[str, tuple[bytes, str]] = {}
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body, media_type = bodies.get(self.path, (b"not found", "text/plain"))
            self.send_response(200 if self.path in bodies else 404)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with serving(server):
        yield ImageServer(f"http://127.0.0.1:{server.server_address[1]}", bodies, hits)


# -- achievement artwork -------------------------------------------------------------------------


def test_data_uri_artwork_is_stored_served_and_baked(client: FlaskClient, api: Api) -> None:
    """A data: URI image is checked, stored once, served at a stable URL, embedded by that
    URL (not the bytes) in badges, and is the picture the baked PNG carries."""
    artwork = png_bytes(colour="#2e86de")
    course = api.achievement("자체 배지 디자인 과정", image=data_uri(artwork))
    image_url = f"{course['id']}/image"
    assert course["image"] == image_url
    served = client.get(path_of(image_url))
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.data == artwork
    assert served.headers["X-Content-Type-Options"] == "nosniff"

    issued = api.issue(course["uuid"], unique_email())
    assert issued["credential"]["credentialSubject"]["achievement"]["image"] == {
        "id": image_url,
        "type": "Image",
    }
    baked = client.get(path_of(issued["id"]) + ".png")
    assert extract_credential(baked.data)
    with Image.open(io.BytesIO(baked.data)) as image:
        assert image.size == (64, 64)
        assert image.convert("RGB").getpixel((10, 10)) == (0x2E, 0x86, 0xDE)
    svg = client.get(path_of(issued["id"]) + ".svg").data
    assert b"data:image/png;base64," in svg
    assert extract_credential(svg)


def test_a_large_data_uri_within_the_limit_is_accepted(api: Api) -> None:
    """Data URIs far beyond the old 2,048-character limit are accepted up to 512 KiB."""
    noise = random.Random(7).randbytes(200 * 200 * 3)  # incompressible: a ~120 KB PNG
    buffer = io.BytesIO()
    Image.frombytes("RGB", (200, 200), noise).save(buffer, format="PNG")
    data = buffer.getvalue()
    assert len(data_uri(data)) > 50 * 2048
    assert len(data) < MAX_ARTWORK_BYTES
    course = api.achievement("큰 이미지 과정", image=data_uri(data))
    assert course["image"].endswith("/image")


def _bomb() -> bytes:
    """A PNG of a few KiB that would decode to 100 million pixels."""
    return png_bytes(size=(10_000, 10_000), mode="1")


SCRIPT_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script></svg>'
)
HANDLER_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
EXTERNAL_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    b'<image xlink:href="https://evil.example/x.png"/></svg>'
)
DTD_SVG = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
)


@pytest.mark.parametrize(
    ("image", "code"),
    [
        (data_uri(b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_ARTWORK_BYTES + 1)), "image-too-large"),
        ("data:image/png;base64," + "A" * (MAX_ARTWORK_BYTES * 2), "image-too-large"),
        (data_uri(b"GIF89a....", "image/gif"), "image-type-unsupported"),
        (data_uri(b"hello world"), "image-type-unsupported"),
        (data_uri(b"\x89PNG\r\n\x1a\nbroken"), "image-unreadable"),
        ("data:image/png;base64,@@@not-base64@@@", "image-unreadable"),
        (data_uri(_bomb()), "image-dimensions-too-large"),
        (data_uri(SCRIPT_SVG, "image/svg+xml"), "image-unsafe"),
        (data_uri(HANDLER_SVG, "image/svg+xml"), "image-unsafe"),
        (data_uri(EXTERNAL_SVG, "image/svg+xml"), "image-unsafe"),
        (data_uri(DTD_SVG, "image/svg+xml"), "image-unsafe"),
    ],
    ids=[
        "over-512k",
        "huge-uri",
        "gif",
        "text",
        "broken-png",
        "bad-base64",
        "pixel-bomb",
        "svg-script",
        "svg-handler",
        "svg-external",
        "svg-dtd",
    ],
)
def test_bad_images_are_refused_with_stable_codes(api: Api, image: str, code: str) -> None:
    """Every refusal is a 422 with a stable code naming the field; nothing is created."""
    before = api.get("/api/v1/achievements").json
    assert before is not None
    response = api.post(
        "/api/v1/achievements",
        json={
            "name": "거부될 이미지",
            "description": "d",
            "criteria": {"narrative": "n"},
            "image": image,
        },
    )
    assert response.status_code == 422, response.json
    body = response.json
    assert body is not None
    assert body["error"] == code
    assert body["errors"][0]["field"] == "image"
    after = api.get("/api/v1/achievements").json
    assert after is not None
    assert len(after["achievements"]) == len(before["achievements"])


def test_safe_svg_artwork_is_accepted(client: FlaskClient, api: Api) -> None:
    """A plain SVG is stored and served with a policy that lets it run and load nothing."""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle r="4"/></svg>'
    course = api.achievement("SVG 배지 과정", image=data_uri(svg, "image/svg+xml"))
    served = client.get(path_of(course["image"]))
    assert served.mimetype == "image/svg+xml"
    assert served.data == svg
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_https_artwork_is_fetched_once_through_the_guard(
    app: Flask,
    client: FlaskClient,
    api: Api,
    image_server: ImageServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A URL is fetched once when the achievement is saved; pages and badges never fetch it
    again. Without the development switch, the SSRF guard refuses a loopback address."""
    artwork = png_bytes(colour="#10ac84")
    image_server.bodies["/badge.png"] = (artwork, "image/png")
    image_server.hits.clear()  # the server outlives one database's run of this module
    url = f"{image_server.base}/badge.png"

    refused = api.post(
        "/api/v1/achievements",
        json={
            "name": "원격 이미지",
            "description": "d",
            "criteria": {"narrative": "n"},
            "image": url,
        },
    )
    assert refused.status_code == 422
    assert refused.json is not None
    assert refused.json["error"] == "image-unreachable"
    assert image_server.hits == []  # refused before any connection

    monkeypatch.setitem(app.config, "ARTWORK_ALLOW_LOCAL", True)
    course = api.achievement("원격 이미지 과정", image=url)
    assert image_server.hits == ["/badge.png"]
    assert course["image"] == url  # the provider's reference is kept as given
    issued = api.issue(course["uuid"], unique_email())
    assert issued["credential"]["credentialSubject"]["achievement"]["image"]["id"] == (
        f"{course['id']}/image"
    )
    assert client.get(path_of(course["id"]) + "/image").data == artwork
    client.get(path_of(issued["id"]) + ".png")
    page(client, path_of(issued["id"]))
    assert image_server.hits == ["/badge.png"]

    missing = api.post(
        "/api/v1/achievements",
        json={
            "name": "없는 이미지",
            "description": "d",
            "criteria": {"narrative": "n"},
            "image": f"{image_server.base}/missing.png",
        },
    )
    assert missing.status_code == 422
    assert missing.json is not None
    assert missing.json["error"] == "image-unreachable"


def test_data_uri_decoding_limits() -> None:
    """The data: URI parser refuses before decoding when the text alone is too long."""
    with pytest.raises(Exception, match="at most 512 KiB") as raised:
        decode_data_uri("data:image/png;base64," + "A" * (MAX_ARTWORK_BYTES * 2))
    assert getattr(raised.value, "code", None) == "image-too-large"
    assert decode_data_uri("data:image/svg+xml,%3Csvg%2F%3E") == b"<svg/>"


# -- issuer logos ------------------------------------------------------------------------------


def test_logo_api_sets_serves_shows_and_removes(
    client: FlaskClient, api: Api, hanbit: Tenant
) -> None:
    """PATCH /api/v1/issuer sets the logo; it is served at a stable URL and shown on the
    profile, the verification page and the certificate; null removes it."""
    logo = png_bytes(size=(120, 40), colour="#222f3e")
    response = api.patch("/api/v1/issuer", json={"logo": data_uri(logo)})
    assert response.status_code == 200, response.json
    body = response.json
    assert body is not None
    assert body["logo"] == f"{BASE_URL}/issuers/hanbit/logo"
    assert body["id"] == hanbit.issuer.did
    served = client.get("/issuers/hanbit/logo")
    assert served.data == logo
    assert served.mimetype == "image/png"

    profile = page(client, "/issuers/hanbit")
    assert 'src="/issuers/hanbit/logo"' in profile
    course = api.achievement("로고 확인 과정")
    issued = api.issue(course["uuid"], unique_email())
    verification = page(client, path_of(issued["id"]))
    assert f'src="{BASE_URL}/issuers/hanbit/logo"' in verification
    certificate = page(
        client,
        f"{wallet_path(issued)}/credentials/{path_of(issued['id']).rsplit('/', 1)[-1]}/certificate",
    )
    assert "/issuers/hanbit/logo" in certificate

    bad = api.patch("/api/v1/issuer", json={"logo": data_uri(b"nope", "image/gif")})
    assert bad.status_code == 422
    assert bad.json is not None
    assert bad.json["error"] == "image-type-unsupported"
    assert bad.json["errors"][0]["field"] == "logo"

    removed = api.patch("/api/v1/issuer", json={"logo": None})
    assert removed.json is not None
    assert removed.json.get("logo") is None
    assert client.get("/issuers/hanbit/logo").status_code == 404
    assert 'src="/issuers/hanbit/logo"' not in page(client, "/issuers/hanbit")


def test_logo_cli(app: Flask, client: FlaskClient, runner: CliRunner, tmp_path: Path) -> None:
    """`issuer create --logo FILE` and `issuer logo --slug S FILE|--remove`; bad files get
    the stable code and exit status 1."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes(size=(90, 30)))
    created = runner.invoke(
        baeji,
        ["issuer", "create", "--slug", "logo-cli", "--name", "로고 교육원", "--logo", str(logo)],
        obj=app,
    )
    assert created.exit_code == 0, created.output
    assert client.get("/issuers/logo-cli/logo").data == logo.read_bytes()

    other = tmp_path / "other.svg"
    other.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="3" height="3"/></svg>')
    changed = runner.invoke(baeji, ["issuer", "logo", "--slug", "logo-cli", str(other)], obj=app)
    assert changed.exit_code == 0, changed.output
    assert "/issuers/logo-cli/logo" in changed.output
    assert client.get("/issuers/logo-cli/logo").mimetype == "image/svg+xml"

    bad = tmp_path / "bad.txt"
    bad.write_text("hello world")
    refused = runner.invoke(baeji, ["issuer", "logo", "--slug", "logo-cli", str(bad)], obj=app)
    assert refused.exit_code == 1
    assert "image-type-unsupported" in refused.output

    removed = runner.invoke(baeji, ["issuer", "logo", "--slug", "logo-cli", "--remove"], obj=app)
    assert removed.exit_code == 0, removed.output
    assert client.get("/issuers/logo-cli/logo").status_code == 404


def test_achievement_cli_image(
    app: Flask, client: FlaskClient, runner: CliRunner, hanbit: Tenant, tmp_path: Path
) -> None:
    """`achievement create --image FILE` stores the artwork."""
    art = tmp_path / "art.png"
    art.write_bytes(png_bytes(colour="#ff9f43"))
    result = runner.invoke(
        baeji,
        [
            "achievement",
            "create",
            "--issuer",
            "hanbit",
            "--name",
            "CLI 이미지 과정",
            "--description",
            "d",
            "--criteria",
            "n",
            "--image",
            str(art),
            "--json",
        ],
        obj=app,
    )
    assert result.exit_code == 0, result.output
    assert '"image":' in result.output
    image_url = re.search(r'"image": "([^"]+)"', result.output)
    assert image_url is not None
    assert client.get(path_of(image_url.group(1))).data == art.read_bytes()


# -- every field on the pages --------------------------------------------------------------------

NCS = {
    "targetName": "빅데이터 분석 결과 시각화",
    "targetUrl": "https://www.ncs.go.kr/unit/2001010510_17v1",
    "targetCode": "2001010510_17v1",
    "targetFramework": "NCS 국가직무능력표준",
    "targetDescription": "수준 5",
}


@pytest.fixture(scope="module")
def full_badge(app: Flask, hanbit: Tenant) -> dict[str, Any]:
    """A badge with every optional field a provider can sign into it."""
    with app.test_client() as client:
        api = Api(client, hanbit)
        course = api.achievement(
            "데이터 시각화 실무",
            tag=["데이터", "시각화"],
            alignment=[NCS],
            fieldOfStudy="정보통신",
            humanCode="DV-301",
            creditsAvailable=40,
            resultDescription=[
                {
                    "id": "grade",
                    "name": "최종 평가 등급",
                    "resultType": "LetterGrade",
                    "allowedValue": ["A", "B", "C"],
                    "requiredValue": "B",
                }
            ],
        )
        return api.issue(
            course["uuid"],
            unique_email(),
            "이서연",
            validUntil="2031-03-01T00:00:00Z",
            activityStartDate="2026-01-05T00:00:00Z",
            activityEndDate="2026-02-27T00:00:00Z",
            creditsEarned=40,
            result=[{"value": "A", "status": "Completed", "resultDescription": "grade"}],
            evidence=[{"id": "https://portfolio.example.kr/seoyeon", "name": "최종 프로젝트"}],
        )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            KOREAN,
            [
                "배지 상세 정보",
                "연계 역량",
                "코드 2001010510_17v1",
                "분야",
                "태그",
                "평가 결과",
                "기준: B",
                "과정 학점·시간",
                "교육 기간",
                "유효 기한",
                "증빙",
                "LinkedIn 프로필에 추가",
            ],
        ),
        (
            ENGLISH,
            [
                "About this badge",
                "Competencies",
                "Code 2001010510_17v1",
                "Field of study",
                "Tags",
                "Results",
                "required: B",
                "Course credits / hours",
                "Course period",
                "Valid until",
                "Evidence",
                "Add to LinkedIn profile",
            ],
        ),
    ],
    ids=["ko", "en"],
)
def test_verification_page_shows_every_field(
    client: FlaskClient, full_badge: dict[str, Any], headers: dict[str, str], expected: list[str]
) -> None:
    """Alignment with framework and code, tags, field, credits, period, result with its
    description, evidence and expiry are all on the page, labelled in the page's language."""
    text = html.unescape(page(client, path_of(full_badge["id"]), headers=headers))
    assert 'data-verdict="valid"' in text  # every optional field still makes a valid badge
    for label in expected:
        assert label in text, label
    for value in (
        "NCS 국가직무능력표준",
        "빅데이터 분석 결과 시각화",
        "수준 5",
        "정보통신",
        "DV-301",
        "데이터",
        "시각화",
        "최종 평가 등급",
        "최종 프로젝트",
        "https://www.ncs.go.kr/unit/2001010510_17v1",
    ):
        assert value in text, value
    assert text.count("data-tag") == 2


def test_linkedin_link_carries_the_badge(client: FlaskClient, full_badge: dict[str, Any]) -> None:
    """The Add-to-LinkedIn link has LinkedIn's certification parameters, filled in."""
    text = page(client, path_of(full_badge["id"]))
    match = re.search(
        r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"[^>]*data-linkedin', text
    )
    assert match is not None
    parts = urlsplit(html.unescape(match.group(1)))
    params = {key: values[0] for key, values in parse_qs(parts.query).items()}
    credential = full_badge["credential"]
    issued = datetime.fromisoformat(credential["validFrom"])
    uuid_hex = full_badge["id"].rsplit("/", 1)[-1].replace("-", "").upper()
    assert params == {
        "startTask": "CERTIFICATION_NAME",
        "name": "데이터 시각화 실무",
        "organizationName": "한빛 아카데미",
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "expirationYear": "2031",
        "expirationMonth": "3",
        "certUrl": full_badge["id"],
        "certId": f"{uuid_hex[0:4]}-{uuid_hex[4:8]}-{uuid_hex[8:12]}",
    }


def meta(text: str, attribute: str, name: str) -> str:
    """The content of a <meta> tag."""
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', text)
    assert match is not None, name
    return html.unescape(match.group(1))


def test_verification_page_has_link_preview_tags(
    client: FlaskClient, full_badge: dict[str, Any]
) -> None:
    """Open Graph and Twitter card tags name the badge and show its baked PNG."""
    text = page(client, path_of(full_badge["id"]))
    head = text.split("</head>")[0]
    assert meta(head, "property", "og:title") == "데이터 시각화 실무 · 한빛 아카데미"
    assert meta(head, "property", "og:url") == full_badge["id"]
    assert meta(head, "property", "og:image") == full_badge["id"] + ".png"
    assert "이서연" in meta(head, "property", "og:description")
    assert meta(head, "name", "twitter:card") == "summary_large_image"
    assert meta(head, "name", "twitter:image") == full_badge["id"] + ".png"
    english = page(client, path_of(full_badge["id"]), headers=ENGLISH).split("</head>")[0]
    assert meta(english, "property", "og:description").startswith("한빛 아카데미 issued this badge")
    # The preview image is a real PNG with the badge in it.
    image = client.get(path_of(full_badge["id"]) + ".png")
    assert image.mimetype == "image/png"


def test_copy_link_needs_no_script(client: FlaskClient, full_badge: dict[str, Any]) -> None:
    """The address is in one element that selects whole on one click (CSS), never wrapped."""
    text = page(client, path_of(full_badge["id"]))
    assert re.search(rf"<code [^>]*data-copy-link>{re.escape(full_badge['id'])}</code>", text)
    css = stylesheet(client)
    assert "user-select: all" in css
    assert "<script" not in text


def test_certificate_has_everything_for_print(
    client: FlaskClient, full_badge: dict[str, Any]
) -> None:
    """The A4 certificate: badge image, period, hours, a stable number, QR, unbroken URL,
    and a print / PDF instruction instead of keyboard shortcuts."""
    credential_id = full_badge["id"].rsplit("/", 1)[-1]
    text = page(client, f"{wallet_path(full_badge)}/credentials/{credential_id}/certificate")
    number = credential_id.replace("-", "")[:12].upper()
    assert f"{number[0:4]}-{number[4:8]}-{number[8:12]}" in text
    assert "data-badge-image" in text
    assert "2026년 1월 5일 – 2026년 2월 27일" in text
    assert re.search(r"data-hours>40<", text)
    assert "qr.svg" in text
    assert f'<p class="certificate-url">{full_badge["id"]}</p>' in text
    assert "Ctrl+P" not in text
    assert "PDF로 저장" in text
    assert 'data-certificate-status="active"' in text
    assert "data-certificate-mark" not in text
    css = stylesheet(client)
    assert re.search(r"\.certificate \.certificate-url \{[^}]*white-space: nowrap", css)


# -- revoked and suspended badges ------------------------------------------------------------------


def test_revoked_badge_is_marked_everywhere(client: FlaskClient, api: Api) -> None:
    """A revoked badge: the certificate carries a printed REVOKED mark, the page shows the
    date (the reason only when the provider made it public), no LinkedIn link, and the
    share form leaves it out (a forged form is refused)."""
    course = api.achievement("취소 확인 과정")
    email = unique_email()
    kept = api.issue(course["uuid"], email, "박지훈")
    revoked = api.issue(api.achievement("취소될 과정")["uuid"], email, "박지훈")
    revoked_id = revoked["id"].rsplit("/", 1)[-1]
    response = api.post(
        f"/api/v1/credentials/{revoked_id}/revoke", json={"reason": "부정 수료 확인"}
    )
    assert response.status_code == 200, response.json

    certificate = page(client, f"{wallet_path(revoked)}/credentials/{revoked_id}/certificate")
    assert 'data-certificate-mark="revoked"' in certificate
    assert "취소됨 · REVOKED" in certificate
    assert "이 증명서는 효력이 없습니다" in certificate

    verification = html.unescape(page(client, path_of(revoked["id"])))
    assert 'data-status-change="revoked"' in verification
    assert "취소됨" in verification
    assert "부정 수료 확인" not in verification
    assert "발급 기관이 사유를 공개하지 않았습니다." in verification
    assert "data-linkedin" not in verification

    wallet = page(client, wallet_path(kept))
    assert f'name="credential" value="{revoked_id}"' not in wallet
    assert f'data-not-shareable="{revoked_id}"' in wallet
    assert f'name="credential" value="{kept["id"].rsplit("/", 1)[-1]}"' in wallet
    forged = client.post(
        f"{wallet_path(kept)}/shares",
        data={"scope": "selected", "credential": [revoked_id]},
        headers={"Accept": "application/json"},
    )
    assert forged.status_code == 422
    assert forged.json is not None
    assert "revoked or suspended" in forged.json["message"]


def test_public_reason_and_suspension(client: FlaskClient, api: Api) -> None:
    """publicReason shows the reason; a suspended badge's certificate says SUSPENDED."""
    course = api.achievement("정지 확인 과정")
    first = api.issue(course["uuid"], unique_email())
    first_id = first["id"].rsplit("/", 1)[-1]
    api.post(
        f"/api/v1/credentials/{first_id}/revoke",
        json={"reason": "발급 오류로 재발급", "publicReason": True},
    )
    text = html.unescape(page(client, path_of(first["id"]), headers=ENGLISH))
    assert "Reason: 발급 오류로 재발급" in text
    assert "Revoked on" in text

    second = api.issue(course["uuid"], unique_email())
    second_id = second["id"].rsplit("/", 1)[-1]
    api.post(f"/api/v1/credentials/{second_id}/suspend", json={"reason": "이의 신청 검토"})
    certificate = page(client, f"{wallet_path(second)}/credentials/{second_id}/certificate")
    assert 'data-certificate-mark="suspended"' in certificate
    assert "일시 정지됨 · SUSPENDED" in certificate
    assert "이의 신청 검토" not in page(client, path_of(second["id"]))


# -- the wallet's first screen and the share page --------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            KOREAN,
            [
                "내 학습 이력 전체를 한 파일로 받기",
                "PNG: LinkedIn, 이력서, 포트폴리오",
                "SVG: 같은 그림",
                "JSON: 서명된 배지 원본",
                "JWT: 같은 서명 배지",
                "인쇄 / PDF로 저장",
                "LinkedIn 프로필에 추가",
            ],
        ),
        (
            ENGLISH,
            [
                "Download my whole learning history as one file",
                "PNG: the badge picture for LinkedIn, your CV or portfolio",
                "SVG: the same picture",
                "JSON: the signed badge itself",
                "JWT: the same signed badge",
                "Print / save as PDF",
                "Add to LinkedIn profile",
            ],
        ),
    ],
    ids=["ko", "en"],
)
def test_wallet_speaks_to_the_learner(
    app: Flask, client: FlaskClient, api: Api, headers: dict[str, str], expected: list[str]
) -> None:
    """A full wallet opens with the one-file download, and explains each format in a line."""
    from tests.issuer.conftest import full_wallet_link

    email = unique_email()
    api.issue(api.achievement("지갑 첫 화면 과정")["uuid"], email)
    text = html.unescape(page(client, path_of(full_wallet_link(app, email)), headers=headers))
    for phrase in expected:
        assert phrase in text, phrase
    assert text.index(expected[0]) < text.index(expected[1])


def test_share_page_has_link_preview_tags(app: Flask, client: FlaskClient, api: Api) -> None:
    """A share page has Open Graph / Twitter tags with a badge PNG as its preview."""
    from tests.issuer.conftest import full_wallet_link

    email = unique_email()
    issued = api.issue(api.achievement("공유 미리보기 과정")["uuid"], email, "최유나")
    wallet = path_of(full_wallet_link(app, email))
    created = client.post(f"{wallet}/shares", data={"scope": "all"}, headers=KOREAN)
    assert created.status_code == 303
    share = re.search(r'href="(https://[^"]+/shares/[^"]+)"', page(client, wallet))
    assert share is not None
    head = page(client, path_of(share.group(1))).split("</head>")[0]
    assert meta(head, "property", "og:title") == "최유나님의 학습 이력"
    assert meta(head, "property", "og:image") == issued["id"] + ".png"
    assert meta(head, "property", "og:url") == share.group(1)
    assert meta(head, "name", "twitter:card") == "summary_large_image"


def test_verify_upload_shows_details_only_with_a_passing_proof(
    client: FlaskClient, full_badge: dict[str, Any]
) -> None:
    """An uploaded genuine badge shows its competencies; a tampered one shows none of its
    claimed details as fact."""
    import json

    genuine = json.dumps(full_badge["credential"], ensure_ascii=False)
    text = html.unescape(
        client.post("/verify", data={"text": genuine}, headers=KOREAN).get_data(as_text=True)
    )
    assert "data-details" in text
    assert "NCS 국가직무능력표준" in text

    forged = json.loads(genuine)
    forged["credentialSubject"]["achievement"]["alignment"][0]["targetName"] = "위조된 역량"
    text = html.unescape(
        client.post(
            "/verify", data={"text": json.dumps(forged, ensure_ascii=False)}, headers=KOREAN
        ).get_data(as_text=True)
    )
    assert "data-details" not in text
    assert "위조된 역량" not in text


def test_share_page_shows_a_revoked_badge_as_revoked(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    """A badge revoked after it was shared is listed as revoked, not among the valid ones."""
    email = unique_email()
    kept = api.issue(api.achievement("공유 유지 과정")["uuid"], email, "윤하람")
    gone = api.issue(api.achievement("공유 후 취소 과정")["uuid"], email, "윤하람")
    kept_id = kept["id"].rsplit("/", 1)[-1]
    gone_id = gone["id"].rsplit("/", 1)[-1]
    wallet = wallet_path(kept)
    created = client.post(
        f"{wallet}/shares",
        data={"scope": "selected", "credential": [kept_id, gone_id]},
        headers=KOREAN,
    )
    assert created.status_code == 303
    share = re.search(r'href="(https://[^"]+/shares/[^"]+)"', page(client, wallet))
    assert share is not None
    api.post(f"/api/v1/credentials/{gone_id}/revoke", json={"reason": "오류"})
    text = page(client, path_of(share.group(1)))
    withdrawn = text[text.index('id="withdrawn-title"') :]
    assert "공유 후 취소 과정" in withdrawn
    assert 'data-verdict="revoked"' in withdrawn
    valid_part = text[: text.index('id="withdrawn-title"')]
    assert "공유 유지 과정" in valid_part
    assert "공유 후 취소 과정" not in valid_part


def test_cli_revoke_with_public_reason(
    app: Flask, client: FlaskClient, runner: CliRunner, api: Api
) -> None:
    """`baeji revoke ID --reason R --public-reason` shows the reason on the public page."""
    issued = api.issue(api.achievement("CLI 취소 과정")["uuid"], unique_email())
    result = runner.invoke(
        baeji,
        ["revoke", issued["id"], "--reason", "중복 발급 정정", "--public-reason", "--yes"],
        obj=app,
    )
    assert result.exit_code == 0, result.output
    text = html.unescape(page(client, path_of(issued["id"])))
    assert "사유: 중복 발급 정정" in text
    assert 'data-status-change="revoked"' in text
