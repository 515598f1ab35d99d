"""The learner's wallet page, certificates, and share pages (the only public view of a learner)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from badges.qr import decode_qr
from issuer.models import AuditEvent, WalletToken
from tests.issuer.conftest import (
    BASE_URL,
    ENGLISH,
    KOREAN,
    Api,
    ClientFetcher,
    full_wallet_link,
    merge_wallets,
    page,
    unique_email,
)
from verify import CheckStatus, Verdict, verify_credential


def _path(url: str) -> str:
    return url.removeprefix(BASE_URL)


def _share_urls(html: str) -> list[str]:
    return re.findall(r'class="share-link" href="([^"]+)"', html)


def test_wallet_page_lists_every_badge_newest_first(
    client: FlaskClient, api: Api, other_api: Api
) -> None:
    """A full wallet shows every provider's badges with status, downloads, QR, certificate."""
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
    wallet = merge_wallets(client, newer["walletUrl"], older["walletUrl"])
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


def test_wallet_json_form_is_kept(client: FlaskClient, app: Flask, api: Api) -> None:
    """Programs asking for JSON get the wallet as JSON; a full link adds the record links."""
    email = unique_email()
    issued = api.issue(api.achievement()["uuid"], email)
    body = client.get(_path(issued["walletUrl"]), headers={"Accept": "application/json"}).json
    assert body is not None
    assert [c["id"] for c in body["credentials"]] == [issued["id"]]
    assert body["scope"] == f"{BASE_URL}/issuers/hanbit"
    assert body["record"] is None
    full = full_wallet_link(app, email)
    body = client.get(_path(full), headers={"Accept": "application/json"}).json
    assert body is not None
    assert [c["id"] for c in body["credentials"]] == [issued["id"]]
    assert body["scope"] == "full"
    assert body["record"]["json"] == f"{full}/clr.json"


def test_merging_two_providers_links_opens_the_whole_wallet(
    client: FlaskClient, session: Session, api: Api, other_api: Api
) -> None:
    """Adding provider A's link on provider B's wallet page gives a full link: both badges,
    and a signed record that verifies with both inside; the two old links stay scoped."""
    email = unique_email("merge")
    first = api.issue(api.achievement("파이썬 기초")["uuid"], email, "김민준")
    second = other_api.issue(other_api.achievement("MLOps 심화")["uuid"], email, "김민준")
    html = page(client, _path(second["walletUrl"]))
    assert f'action="{_path(second["walletUrl"])}/merge"' in html
    assert 'for="merge-link"' in html
    wallet = merge_wallets(client, second["walletUrl"], first["walletUrl"])
    body = client.get(wallet, headers={"Accept": "application/json"}).json
    assert body is not None
    assert body["scope"] == "full"
    assert {c["id"] for c in body["credentials"]} == {first["id"], second["id"]}
    html = page(client, wallet)
    assert f'href="{wallet}/clr.json"' in html
    assert 'value="all"' in html
    response = client.get(f"{wallet}/clr.json")
    assert response.status_code == 200
    report = verify_credential(
        json.loads(response.data), now=datetime.now(UTC), fetcher=ClientFetcher(client)
    )
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert report.check("embedded-credentials").status is CheckStatus.PASSED
    assert {c.credential["id"] for c in report.children if c.credential} == {
        first["id"],
        second["id"],
    }
    assert [child.verdict for child in report.children] == [Verdict.VALID] * 2
    # Either order works, and a bare token works as well as the whole link.
    token = first["walletUrl"].rsplit("/", 1)[1]
    again = merge_wallets(client, first["walletUrl"], f"  {second['walletUrl']}#shares ")
    assert again != wallet
    assert merge_wallets(client, second["walletUrl"], token) not in (wallet, again)
    for old in (first, second):
        scoped = client.get(_path(old["walletUrl"]), headers={"Accept": "application/json"}).json
        assert scoped is not None
        assert [c["id"] for c in scoped["credentials"]] == [old["id"]]
    session.rollback()
    learner = first["credential"]["credentialSubject"]["id"]
    merges = session.exec(
        select(AuditEvent).where(AuditEvent.action == "wallet.merge", AuditEvent.subject == learner)
    ).all()
    assert [event.actor for event in merges] == [f"learner:{learner.removeprefix('urn:uuid:')}"] * 3
    assert all(token not in (event.detail or "") for event in merges)


def test_merging_links_of_one_provider_stays_scoped(
    client: FlaskClient, api: Api, other_api: Api
) -> None:
    """Two links of the same provider add up to that provider's badges only, not more."""
    email = unique_email("same")
    course = api.achievement()["uuid"]
    first = api.issue(course, email)
    second = api.issue(api.achievement()["uuid"], email)
    elsewhere = other_api.issue(other_api.achievement()["uuid"], email)
    wallet = merge_wallets(client, first["walletUrl"], second["walletUrl"])
    body = client.get(wallet, headers={"Accept": "application/json"}).json
    assert body is not None
    assert body["scope"] == f"{BASE_URL}/issuers/hanbit"
    assert {c["id"] for c in body["credentials"]} == {first["id"], second["id"]}
    assert elsewhere["id"] not in {c["id"] for c in body["credentials"]}
    assert client.get(f"{wallet}/clr.json").status_code == 403


def test_merging_with_another_learners_link_fails(
    client: FlaskClient, session: Session, api: Api, other_api: Api
) -> None:
    """Another learner's link, an unknown token or no link at all: 400, one message, nothing
    minted; a browser gets its wallet page again with the message, in Korean or English."""
    mine = api.issue(api.achievement()["uuid"], unique_email("me"))
    theirs = other_api.issue(other_api.achievement()["uuid"], unique_email("them"))
    wallet = _path(mine["walletUrl"])
    before = _count(session, WalletToken)
    events = _count(session, AuditEvent)
    unknown = f"{BASE_URL}/wallet/{'A' * 43}"
    for link in (theirs["walletUrl"], unknown, "not a link", "", "x" * 5000):
        response = client.post(f"{wallet}/merge", data={"link": link})
        assert response.status_code == 400, link
        assert response.json == {
            "error": "invalid-wallet-link",
            "message": "that is not another wallet link of yours",
        }
    response = client.post(f"{wallet}/merge", data={"link": theirs["walletUrl"]}, headers=KOREAN)
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "private, no-store"
    html = response.get_data(as_text=True)
    assert "본인의 다른 지갑 링크가 아닙니다" in html
    assert 'aria-invalid="true"' in html
    assert f'data-credential="{mine["uuid"]}"' in html
    assert theirs["uuid"] not in html
    assert theirs["walletUrl"].rsplit("/", 1)[1] not in html
    english = client.post(f"{wallet}/merge", data={"link": unknown}, headers=ENGLISH)
    assert english.status_code == 400
    assert "That is not another wallet link of yours" in english.get_data(as_text=True)
    assert _count(session, WalletToken) == before
    assert _count(session, AuditEvent) == events
    assert client.post("/wallet/not-a-token/merge", data={"link": wallet}).status_code == 404


def _count(session: Session, table: type[WalletToken] | type[AuditEvent]) -> int:
    session.rollback()  # a fresh snapshot: the app committed in its own session
    return session.exec(select(func.count()).select_from(table)).one()


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


def test_share_whole_history_then_take_it_down(client: FlaskClient, app: Flask, api: Api) -> None:
    """A share page is public until taken down; then it is 410 Gone, for people and programs."""
    email = unique_email("share")
    first = api.issue(api.achievement("SQL 기초")["uuid"], email, "최유나")
    wallet = _path(full_wallet_link(app, email))
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
    other = client.post(
        f"{_path(theirs['walletUrl'])}/shares",
        data={"scope": "selected", "credential": [theirs["uuid"]]},
    )
    assert other.status_code == 303
    (their_share,) = _share_urls(page(client, _path(theirs["walletUrl"])))
    share_id = their_share.rsplit("/", 1)[1]
    stolen = client.post(f"{_path(mine['walletUrl'])}/shares/{share_id}/delete")
    assert stolen.status_code == 404
    assert client.get(_path(their_share), headers=KOREAN).status_code == 200
