"""The learner's wallet page, certificates, and share pages (the only public view of a learner)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from flask.testing import FlaskClient

from badges.qr import decode_qr
from tests.issuer.conftest import (
    BASE_URL,
    ENGLISH,
    KOREAN,
    Api,
    ClientFetcher,
    page,
    unique_email,
)
from verify import Verdict, verify_credential


def _path(url: str) -> str:
    return url.removeprefix(BASE_URL)


def _share_urls(html: str) -> list[str]:
    return re.findall(r'class="share-link" href="([^"]+)"', html)


def test_wallet_page_lists_every_badge_newest_first(
    client: FlaskClient, api: Api, other_api: Api
) -> None:
    """The wallet shows badges of every provider with status, downloads, QR and certificate."""
    email = unique_email("wallet")
    older = api.issue(
        api.achievement("파이썬 데이터 분석 기초")["uuid"],
        email,
        "이서연",
        validFrom="2026-01-05T00:00:00Z",
        result=[{"status": "Completed", "value": "A"}],
    )
    newer = other_api.issue(other_api.achievement("MLOps 모델 배포 심화")["uuid"], email, "이서연")
    revoked = api.issue(
        api.achievement("폐강 과정")["uuid"], email, "이서연", validFrom="2025-12-01T00:00:00Z"
    )
    api.post(f"/api/v1/credentials/{revoked['uuid']}/revoke", json={"reason": "폐강"})
    wallet = _path(newer["walletUrl"])
    response = client.get(wallet, headers=KOREAN)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    html = response.get_data(as_text=True)
    assert "이서연님의 배지" in html
    order = [html.index(f'data-credential="{c["uuid"]}"') for c in (newer, older, revoked)]
    assert order == sorted(order)
    assert f'data-credential="{revoked["uuid"]}" data-status="revoked"' in html
    assert "누리 ICT 교육센터" in html
    assert "한빛 아카데미" in html
    assert "이수 완료" in html
    assert "2026년 1월 5일" in html
    for suffix in (".png", ".svg", ".json", ".jwt", "/qr.png"):
        assert f'/credentials/{older["uuid"]}{suffix}"' in html
    assert f"{wallet}/credentials/{older['uuid']}/certificate" in html
    assert f'href="{wallet}/clr.json"' in html
    assert "유효한 배지 2개" in html
    assert "이서연&#39;s badges" in page(client, wallet, headers=ENGLISH)


def test_wallet_json_form_is_kept(client: FlaskClient, api: Api) -> None:
    """Programs asking for JSON still get the wallet as JSON, with the record links."""
    issued = api.issue(api.achievement()["uuid"], unique_email())
    body = client.get(_path(issued["walletUrl"]), headers={"Accept": "application/json"}).json
    assert body is not None
    assert [c["id"] for c in body["credentials"]] == [issued["id"]]
    assert body["record"]["json"] == f"{issued['walletUrl']}/clr.json"


def test_certificate_is_a_printable_page_with_the_qr_code(client: FlaskClient, api: Api) -> None:
    """The certificate names the learner and course and embeds the badge's QR code."""
    issued = api.issue(api.achievement("데이터 시각화")["uuid"], unique_email(), "정하늘")
    wallet = _path(issued["walletUrl"])
    html = page(client, f"{wallet}/credentials/{issued['uuid']}/certificate")
    assert "수료 증명서" in html
    assert "정하늘" in html
    assert "데이터 시각화" in html
    assert f'src="/credentials/{issued["uuid"]}/qr.svg"' in html
    assert issued["id"] in html
    css = client.get("/static/baeji.css")
    assert b"@page { size: A4" in css.data
    assert b"@media print" in css.data
    css.close()
    other = api.issue(api.achievement()["uuid"], unique_email())
    assert (
        client.get(f"{wallet}/credentials/{other['uuid']}/certificate", headers=KOREAN).status_code
        == 404
    )


def test_share_whole_history_then_take_it_down(client: FlaskClient, api: Api) -> None:
    """A share page is public until taken down; then it is 410 Gone, for people and programs."""
    email = unique_email("share")
    first = api.issue(api.achievement("SQL 기초")["uuid"], email, "최유나")
    wallet = _path(first["walletUrl"])
    assert _share_urls(page(client, wallet)) == []
    created = client.post(f"{wallet}/shares", data={"scope": "all"}, headers=KOREAN)
    assert created.status_code == 303
    assert created.headers["Location"] == f"{wallet}#shares"
    (share_url,) = _share_urls(page(client, wallet))
    share = _path(share_url)
    later = api.issue(api.achievement("데이터 엔지니어링")["uuid"], email, "최유나")
    html = page(client, share)
    assert "최유나님의 학습 이력" in html
    assert 'data-verdict="valid"' in html
    assert "SQL 기초" in html
    assert "데이터 엔지니어링" in html
    assert decode_qr(client.get(f"{share}/qr.png").data) == [share_url]
    # A program given the share link (the verifier) gets the signed record.
    report = verify_credential(share_url, now=datetime.now(UTC), fetcher=ClientFetcher(client))
    assert report.verdict is Verdict.VALID
    assert {c.credential["id"] for c in report.children if c.credential} == {
        first["id"],
        later["id"],
    }
    share_id = share.rsplit("/", 1)[1]
    removed = client.post(f"{wallet}/shares/{share_id}/delete", headers=KOREAN)
    assert removed.status_code == 303
    gone = client.get(share, headers=KOREAN)
    assert gone.status_code == 410
    assert "더 이상 공유되지 않습니다" in gone.get_data(as_text=True)
    assert client.get(share).json == {
        "error": "gone",
        "message": "the learner has taken this page down",
    }
    assert client.get(f"{share}/qr.png").status_code == 410
    assert _share_urls(page(client, wallet)) == []


def test_share_of_chosen_badges_is_a_partial_record(client: FlaskClient, api: Api) -> None:
    """Sharing chosen badges shows only those; the record says it is partial."""
    email = unique_email("pick")
    shown = api.issue(api.achievement("공개할 과정")["uuid"], email)
    hidden = api.issue(api.achievement("비공개 과정")["uuid"], email)
    wallet = _path(hidden["walletUrl"])
    client.post(
        f"{wallet}/shares",
        data={"scope": "selected", "credential": [shown["uuid"]]},
        headers=KOREAN,
    )
    (share_url,) = _share_urls(page(client, wallet))
    html = page(client, _path(share_url), headers=ENGLISH)
    assert "공개할 과정" in html
    assert "비공개 과정" not in html
    record = json.loads(client.get(f"{_path(share_url)}/clr.json").data)
    assert record["partial"] is True
    assert [c["id"] for c in record["credentialSubject"]["verifiableCredential"]] == [shown["id"]]


def test_shares_refuse_badges_of_someone_else(client: FlaskClient, api: Api) -> None:
    """A learner can only share their own badges; an unknown wallet opens nothing."""
    mine = api.issue(api.achievement()["uuid"], unique_email())
    theirs = api.issue(api.achievement()["uuid"], unique_email())
    response = client.post(
        f"{_path(mine['walletUrl'])}/shares",
        data={"scope": "selected", "credential": [theirs["uuid"]]},
    )
    assert response.status_code == 422
    empty = client.post(f"{_path(mine['walletUrl'])}/shares", data={"scope": "selected"})
    assert empty.status_code == 422
    assert client.post("/wallet/not-a-token/shares", data={"scope": "all"}).status_code == 404
    assert client.get("/wallet/not-a-token", headers=KOREAN).status_code == 404
    assert client.get("/shares/nothing-here", headers=KOREAN).status_code == 404
    other = client.post(f"{_path(theirs['walletUrl'])}/shares", data={"scope": "all"})
    assert other.status_code == 303
    (their_share,) = _share_urls(page(client, _path(theirs["walletUrl"])))
    share_id = their_share.rsplit("/", 1)[1]
    stolen = client.post(f"{_path(mine['walletUrl'])}/shares/{share_id}/delete")
    assert stolen.status_code == 404
    assert client.get(_path(their_share), headers=KOREAN).status_code == 200
