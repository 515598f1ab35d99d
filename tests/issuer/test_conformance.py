"""Issue 11: badges every verifier accepts, and issuance that refuses what would make a bad one.

- One ``credentialStatus`` object by default, so the bundled 1EdTech OB 3.0 JSON Schema
  validates the issued credential as a whole document (no per-entry special case).
- Suspension is an issuer setting (off by default) that adds the second entry; suspending a
  badge issued without one is a clear 409 ``suspension-not-enabled``.
"""

from __future__ import annotations

import copy
import io
import json
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft201909Validator
from PIL import Image

from issuer import db, settings_of
from issuer.issuers import service as accounts
from tests.issuer.conftest import (
    BASE_URL,
    ENGLISH,
    KOREAN,
    Api,
    ClientFetcher,
    Tenant,
    create_tenant,
    full_wallet_link,
    unique_email,
)
from verify import Verdict, verify_credential
from verify.cli import main as baeji


def _official(name: str) -> Draft201909Validator:
    """The 1EdTech schema exactly as bundled: nothing of ours in between."""
    text = (resources.files("badges") / "schemas" / name).read_text(encoding="utf-8")
    return Draft201909Validator(json.loads(text))


def _whole_document_errors(document: dict[str, Any], name: str) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _official(name).iter_errors(document)
    ]


@pytest.fixture(scope="module")
def plain(app: Flask) -> Tenant:
    """An issuer with the defaults (suspension off)."""
    return create_tenant(app, "plain", "기본 설정 아카데미")


@pytest.fixture
def plain_api(client: FlaskClient, plain: Tenant) -> Api:
    """The default issuer's API."""
    return Api(client, plain)


def test_default_badge_has_one_status_object_and_passes_the_schema_whole(
    plain_api: Api, client: FlaskClient
) -> None:
    """One revocation entry, as an object; the official schema accepts the whole credential."""
    course = plain_api.achievement("클라우드 기초")
    issued = plain_api.issue(course["uuid"], unique_email(), "이서연")
    credential = issued["credential"]
    status = credential["credentialStatus"]
    assert isinstance(status, dict)
    assert status["statusPurpose"] == "revocation"
    assert status["type"] == "BitstringStatusListEntry"
    assert _whole_document_errors(credential, "ob_v3p0_achievementcredential_schema.json") == []
    # What is served is the same document.
    served = client.get(issued["id"].removeprefix("https://badges.example.kr") + ".json").json
    assert served == credential


def test_suspension_on_issuer_adds_the_second_entry(api: Api) -> None:
    """An issuer with suspension on writes an array of two (the documented deviation)."""
    course = api.achievement("보안 실무")
    credential = api.issue(course["uuid"], unique_email())["credential"]
    purposes = [e["statusPurpose"] for e in credential["credentialStatus"]]
    assert purposes == ["revocation", "suspension"]
    # The official schema refuses the array; that is the one deliberate deviation.
    assert _whole_document_errors(credential, "ob_v3p0_achievementcredential_schema.json")


@pytest.mark.parametrize("action", ["suspend", "unsuspend"])
def test_suspending_without_suspension_is_a_clear_conflict(plain_api: Api, action: str) -> None:
    """409 suspension-not-enabled; the badge can still be revoked."""
    course = plain_api.achievement("데이터 엔지니어링")
    issued = plain_api.issue(course["uuid"], unique_email())
    path = f"/api/v1/credentials/{issued['uuid']}"
    response = plain_api.post(f"{path}/{action}", json={"reason": "검토 중"})
    assert response.status_code == 409
    assert response.json is not None
    assert response.json["error"] == "suspension-not-enabled"
    assert "revoked" in response.json["message"]
    assert plain_api.post(f"{path}/revoke", json={"reason": "취소"}).status_code == 200


def test_single_status_badge_verifies_and_revokes(plain_api: Api, client: FlaskClient) -> None:
    """The verifier reads the one-object form: valid, then revoked; suspension not applicable."""
    course = plain_api.achievement("AI 서비스 기획")
    issued = plain_api.issue(course["uuid"], unique_email(), "박지훈")
    fetcher = ClientFetcher(client)
    report = verify_credential(issued["credential"], now=datetime.now(UTC), fetcher=fetcher)
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert report.check("revocation").code == "not-revoked"
    suspension = report.check("suspension")
    assert suspension.code == "no-suspension-entry"
    assert suspension.status_label("ko") == "해당 없음"
    token = verify_credential(issued["jwt"], now=datetime.now(UTC), fetcher=fetcher)
    assert token.verdict is Verdict.VALID
    plain_api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "x"})
    again = verify_credential(issued["credential"], now=datetime.now(UTC), fetcher=fetcher)
    assert again.verdict is Verdict.REVOKED


def test_turning_suspension_on_applies_to_new_badges_only(app: Flask, client: FlaskClient) -> None:
    """The setting changes what is issued next; an older badge without the entry stays so."""
    tenant = create_tenant(app, "switch", "전환 센터")
    api = Api(client, tenant)
    course = api.achievement("네트워크 기초")
    before = api.issue(course["uuid"], unique_email())
    result = CliRunner().invoke(
        baeji, ["issuer", "suspension", "--issuer", "switch", "--enable"], obj=app
    )
    assert result.exit_code == 0, result.output
    after = api.issue(course["uuid"], unique_email())
    assert isinstance(before["credential"]["credentialStatus"], dict)
    assert len(after["credential"]["credentialStatus"]) == 2
    old = api.post(f"/api/v1/credentials/{before['uuid']}/suspend", json={"reason": "r"})
    assert old.status_code == 409
    new = api.post(f"/api/v1/credentials/{after['uuid']}/suspend", json={"reason": "r"})
    assert new.status_code == 200
    conf = settings_of(app)
    with db.new_session(db.engine_of(app)) as session:
        issuer = accounts.issuer_by_slug(session, "switch")
        accounts.set_suspension(db.Work(session, conf, conf.clock(), "test", issuer), False)
    # Turned off again: a badge that carries the entry can still be unsuspended.
    lifted = api.post(f"/api/v1/credentials/{after['uuid']}/unsuspend")
    assert lifted.status_code == 200
    latest = api.issue(course["uuid"], unique_email())["credential"]
    assert isinstance(latest["credentialStatus"], dict)


# -- alignment target types -----------------------------------------------------------------

_ALIGNMENT = {
    "targetName": "인공지능 모델링",
    "targetUrl": "https://www.ncs.go.kr/unity/th03/ncsSearchMain.do",
    "targetCode": "2001010101",
    "targetFramework": "국가직무능력표준 (NCS)",
}


@pytest.mark.parametrize(
    "target_type",
    [
        "ceasn:Competency",
        "ceterms:Credential",
        "CFItem",
        "CFRubric",
        "CFRubricCriterion",
        "CFRubricCriterionLevel",
        "CTDL",
        "ext:NCSUnit",
    ],
)
def test_alignment_target_types_of_ob3_are_accepted_and_issue(
    plain_api: Api, target_type: str
) -> None:
    """Every AlignmentTargetType value (and ext: terms) is accepted, and badges issue whole."""
    course = plain_api.achievement(
        "머신러닝 실무", alignment=[{**_ALIGNMENT, "targetType": target_type}]
    )
    issued = plain_api.issue(course["uuid"], unique_email(), "정하늘")
    alignment = issued["credential"]["credentialSubject"]["achievement"]["alignment"][0]
    assert alignment["targetType"] == target_type
    name = "ob_v3p0_achievementcredential_schema.json"
    assert _whole_document_errors(issued["credential"], name) == []


@pytest.mark.parametrize("target_type", ["Course", "Competency", "ext:", "cfitem"])
def test_alignment_target_type_outside_the_vocabulary_is_refused(
    plain_api: Api, target_type: str
) -> None:
    """ "Course" is an achievement type, not an alignment target type: 422 at creation."""
    response = plain_api.post(
        "/api/v1/achievements",
        json={
            "name": "잘못된 정렬",
            "description": "설명",
            "criteria": {"narrative": "기준"},
            "alignment": [{**_ALIGNMENT, "targetType": target_type}],
        },
    )
    assert response.status_code == 422
    assert response.json is not None
    assert response.json["error"] == "validation-error"
    assert "AlignmentTargetType" in response.json["message"]


# -- archiving ------------------------------------------------------------------------------


def test_archived_achievement_refuses_new_badges_and_leaves_listings(
    plain_api: Api, client: FlaskClient
) -> None:
    """Archive: 409 achievement-archived on issuing, hidden from the list, old badges resolve."""
    course = plain_api.achievement("보관될 과정")
    earlier = plain_api.issue(course["uuid"], unique_email(), "한결")
    archived = plain_api.post(f"/api/v1/achievements/{course['uuid']}/archive")
    assert archived.status_code == 200
    assert archived.json is not None
    assert archived.json["archivedAt"]
    again = plain_api.post(f"/api/v1/achievements/{course['uuid']}/archive")
    assert again.json is not None
    assert again.json["archivedAt"] == archived.json["archivedAt"]

    single = plain_api.post(
        "/api/v1/credentials",
        json={"achievementId": course["uuid"], "recipient": {"email": unique_email(), "name": "a"}},
    )
    assert single.status_code == 409
    assert single.json is not None
    assert single.json["error"] == "achievement-archived"
    row = {"achievementId": course["uuid"], "recipient": {"email": unique_email(), "name": "나"}}
    batch = plain_api.post("/api/v1/credentials/batch", json=[row])
    assert batch.status_code == 422
    assert batch.json is not None
    assert batch.json["rows"][0]["code"] == "achievement-archived"

    listed = plain_api.get("/api/v1/achievements").json
    assert listed is not None
    assert course["uuid"] not in [a["uuid"] for a in listed["achievements"]]
    everything = plain_api.get("/api/v1/achievements?includeArchived=true").json
    assert everything is not None
    assert course["uuid"] in [a["uuid"] for a in everything["achievements"]]
    assert plain_api.get(f"/api/v1/achievements/{course['uuid']}").status_code == 200
    # The badge issued before, and the achievement's public id, still resolve.
    base = "https://badges.example.kr"
    assert client.get(earlier["id"].removeprefix(base) + ".json").status_code == 200
    public = client.get(course["id"].removeprefix(base), headers={"Accept": "application/json"})
    assert public.status_code == 200
    report = verify_credential(
        earlier["credential"], now=datetime.now(UTC), fetcher=ClientFetcher(client)
    )
    assert report.verdict is Verdict.VALID


def test_archiving_another_issuers_achievement_is_not_found(plain_api: Api, other_api: Api) -> None:
    """One issuer's key cannot archive another's achievement."""
    theirs = other_api.achievement("남의 과정")
    response = plain_api.post(f"/api/v1/achievements/{theirs['uuid']}/archive")
    assert response.status_code == 404


# -- refusing nameless badges ---------------------------------------------------------------


@pytest.mark.parametrize("name", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_single_issuance_without_a_name_is_422(plain_api: Api, name: str | None) -> None:
    """No name on the badge: 422 naming recipient.name, unless allowAnonymous is true."""
    course = plain_api.achievement("이름 확인 과정")
    recipient: dict[str, Any] = {"email": unique_email()}
    if name is not None:
        recipient["name"] = name
    response = plain_api.post(
        "/api/v1/credentials", json={"achievementId": course["uuid"], "recipient": recipient}
    )
    assert response.status_code == 422
    assert response.json is not None
    assert response.json["errors"][0]["field"] == "recipient.name"
    if name is None:
        allowed = plain_api.post(
            "/api/v1/credentials",
            json={
                "achievementId": course["uuid"],
                "recipient": recipient,
                "allowAnonymous": True,
            },
        )
        assert allowed.status_code == 201, allowed.json
        assert allowed.json is not None
        assert "name" not in allowed.json["credential"]["credentialSubject"]


def test_batch_row_without_a_name_is_a_row_error(plain_api: Api) -> None:
    """A CSV row with an empty name cell is reported per row; nothing is issued."""
    course = plain_api.achievement("CSV 이름 과정")
    csv = f"email,name\n{unique_email()},김하나\n{unique_email()},\n{unique_email()},박셋\n"
    response = plain_api.post(
        f"/api/v1/credentials/batch?achievementId={course['uuid']}",
        data=csv.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert response.json is not None
    assert response.json["error"] == "invalid-rows"
    assert [(r["row"], r["line"], r["field"], r["code"]) for r in response.json["rows"]] == [
        (2, 3, "recipient.name", "recipient-name-missing")
    ]
    allowed = plain_api.post(
        f"/api/v1/credentials/batch?achievementId={course['uuid']}&allowAnonymous=true",
        data=csv.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert allowed.status_code == 201, allowed.json
    assert allowed.json is not None
    assert allowed.json["count"] == 3


def test_cli_issue_reports_a_nameless_row(app: Flask, plain: Tenant, tmp_path: Path) -> None:
    """`baeji issue` lists the row without a name and issues nothing; --allow-anonymous issues."""
    course = Api(app.test_client(), plain).achievement("CLI 이름 과정")
    rows = tmp_path / "rows.csv"
    rows.write_text(f"email,name\n{unique_email()},\n", encoding="utf-8")
    args = ["issue", "--issuer", "plain", "--achievement", course["uuid"], "--csv", str(rows)]
    refused = CliRunner().invoke(baeji, [*args, "--json"], obj=app)
    assert refused.exit_code != 0
    assert "recipient.name" in refused.output
    accepted = CliRunner().invoke(baeji, [*args, "--allow-anonymous", "--json"], obj=app)
    assert accepted.exit_code == 0, accepted.output


# -- what the pages say ---------------------------------------------------------------------


def _check_row(html: str, check_id: str) -> str:
    """The row of ``check_id`` in the page's own check list (not a member's)."""
    own = html[html.index('id="checks-title"') :]
    match = re.search(rf'<li class="check[^"]*" data-check="{check_id}".*?</li>', own, re.S)
    assert match is not None, check_id
    return match.group(0)


def test_tampered_upload_is_greyed_unverified_without_registered_mark(
    plain_api: Api, client: FlaskClient
) -> None:
    """A grade changed to A+++: no registered mark, claimed fields labelled unverified."""
    course = plain_api.achievement("데이터 시각화")
    issued = plain_api.issue(
        course["uuid"], unique_email(), "조민서", result=[{"value": "B", "status": "Completed"}]
    )
    genuine = client.post(
        "/verify", data={"text": json.dumps(issued["credential"])}, headers=KOREAN
    ).get_data(as_text=True)
    assert 'data-verdict="valid"' in genuine
    assert 'data-issuer-mark="registered"' in genuine
    assert 'data-verified="yes"' in genuine
    assert "검증되지 않은 내용" not in genuine

    tampered = copy.deepcopy(issued["credential"])
    tampered["credentialSubject"]["result"][0]["value"] = "A+++"
    for headers, label in ((KOREAN, "검증되지 않은 내용"), (ENGLISH, "Unverified content")):
        html = client.post(
            "/verify", data={"text": json.dumps(tampered)}, headers=headers
        ).get_data(as_text=True)
        assert 'data-verdict="invalid"' in html
        assert 'data-verified="no"' in html
        assert label in html
        assert 'data-issuer-mark="registered"' not in html
    korean = client.post("/verify", data={"text": json.dumps(tampered)}, headers=KOREAN).get_data(
        as_text=True
    )
    # The proof failure reads in Korean only, without the English reason.
    assert "the proof signature does not verify" not in _check_row(korean, "proof")


def test_wrong_email_page_says_genuine_but_not_this_person(
    plain_api: Api, client: FlaskClient
) -> None:
    """A genuine badge checked against another e-mail: said in those words, never "forged"."""
    course = plain_api.achievement("클라우드 아키텍처")
    issued = plain_api.issue(course["uuid"], unique_email(), "윤도현")
    html = client.post(
        "/verify",
        data={"text": json.dumps(issued["credential"]), "email": "someone-else@example.kr"},
        headers=KOREAN,
    ).get_data(as_text=True)
    assert 'data-verdict="recipient-mismatch"' in html
    assert "진본이지만 이 이메일로 발급되지 않은 배지" in html
    assert "입력하신 이메일 주소로 발급된 배지가 아닙니다" in html
    assert "위조" not in html


def test_unreadable_image_page(client: FlaskClient) -> None:
    """A plain red PNG: "we could not read a badge here", in Korean, never "forged"."""
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 20, 20)).save(out, "PNG")
    response = client.post(
        "/verify",
        data={"file": (io.BytesIO(out.getvalue()), "photo.png")},
        headers=KOREAN,
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert 'data-verdict="unreadable"' in html
    assert "더 선명한 사진이나 원본 파일" in html
    assert "위조" not in html


def test_record_with_a_revoked_badge_keeps_its_own_verdict(
    app: Flask, client: FlaskClient, plain_api: Api
) -> None:
    """A record with one revoked badge of three is valid itself and lists "2 valid, 1 revoked"."""
    email = unique_email("clr")
    issued = [
        plain_api.issue(plain_api.achievement(f"과정 {n}")["uuid"], email, "서지안")
        for n in range(3)
    ]
    wallet = full_wallet_link(app, email).removeprefix(BASE_URL)
    record = client.get(f"{wallet}/clr.json").json
    assert record is not None
    plain_api.post(f"/api/v1/credentials/{issued[0]['uuid']}/revoke", json={"reason": "취소"})
    report = verify_credential(record, now=datetime.now(UTC), fetcher=ClientFetcher(client))
    assert report.verdict is Verdict.VALID
    embedded = report.check("embedded-credentials")
    assert embedded.details["tally"] == {"valid": 2, "revoked": 1}
    assert "2 valid, 1 revoked" in embedded.message("en")
    assert "유효함 2건, 취소됨 1건" in embedded.message("ko")
    assert sorted(c.verdict.value for c in report.children) == ["revoked", "valid", "valid"]
    # Status rows of the record itself read "not applicable", not "skipped".
    assert report.check("revocation").status_label("ko") == "해당 없음"


def test_share_page_status_rows_read_not_applicable(
    app: Flask, client: FlaskClient, plain_api: Api
) -> None:
    """A share page's record has no status entries: its rows say so, not "skipped"."""
    email = unique_email("share")
    plain_api.issue(plain_api.achievement("공유 과정")["uuid"], email, "임채원")
    wallet = full_wallet_link(app, email).removeprefix(BASE_URL)
    client.post(f"{wallet}/shares", data={"scope": "all"}, headers=KOREAN)
    html = client.get(wallet, headers=KOREAN).get_data(as_text=True)
    (share_url,) = re.findall(r'class="share-link" href="([^"]+)"', html)
    share = client.get(share_url.removeprefix(BASE_URL), headers=KOREAN).get_data(as_text=True)
    assert 'data-verdict="valid"' in share
    for check_id in ("revocation", "suspension"):
        row = _check_row(share, check_id)
        assert "해당 없음" in row
        assert "건너뜀" not in row


def test_achievement_type_reads_in_korean(plain_api: Api, client: FlaskClient) -> None:
    """The page says 교육 과정, not the raw OB value "Course"."""
    course = plain_api.achievement("웹 개발 기초")
    issued = plain_api.issue(course["uuid"], unique_email(), "강지호")
    html = client.get(issued["id"].removeprefix(BASE_URL), headers=KOREAN).get_data(as_text=True)
    assert '<span data-achievement-type="Course">교육 과정</span>' in html
