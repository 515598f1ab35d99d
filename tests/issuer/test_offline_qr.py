"""The printed certificate's offline QR: signed by the issuer, verified from a trust file."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlmodel import Session

from badges.compact import decode_compact
from issuer.config import Settings
from issuer.db import Work
from issuer.models import Credential
from issuer.verification.offline_qr import offline_qr_data_uri, offline_qr_text
from tests.issuer.conftest import BASE_URL, KOREAN, Api, ClientFetcher, page, unique_email
from verify import RecordingFetcher, Verdict, verify_credential


def test_certificate_carries_an_offline_qr_that_verifies_from_a_trust_file(
    client: FlaskClient, api: Api, session: Session, settings: Settings
) -> None:
    """The page's QR is the signed summary; captured once, it verifies with no network."""
    course = "인공지능 기반 데이터 분석 및 시각화 심화 과정"
    issued = api.issue(api.achievement(course)["uuid"], unique_email(), "정하늘")
    wallet = issued["walletUrl"].removeprefix(BASE_URL)
    html = page(client, f"{wallet}/credentials/{issued['uuid']}/certificate")
    images = re.findall(r'src="(data:image/svg\+xml;base64,[^"]+)"', html)
    assert len(images) == 1
    assert "네트워크 없이 확인" in html

    row = session.get(Credential, issued["uuid"])
    assert row is not None
    text = offline_qr_text(Work(session, settings, settings.clock(), "test"), row)
    # Ed25519 signatures are deterministic: the page shows exactly this QR.
    assert images[0] == offline_qr_data_uri(text)
    claims = decode_compact(text).claims
    assert claims.holder_name == "정하늘"
    assert claims.course_name == course
    assert claims.credential_id == issued["id"]
    assert claims.issuer_id.startswith("did:web:")
    assert {s.purpose for s in claims.status} == {"revocation", "suspension"}

    now = settings.clock()
    recorder = RecordingFetcher(ClientFetcher(client), now=now)
    online = verify_credential(text, now=now, fetcher=recorder)
    assert online.verdict is Verdict.VALID, online.to_dict()
    trust = recorder.store()
    assert len(trust) == 3  # the DID document, the revocation list, the suspension list

    revoked = api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "취소"})
    assert revoked.status_code == 200, revoked.json
    offline = verify_credential(text, now=now, fetcher=trust.fetcher())
    # The trust file was captured before the revocation: offline says valid, and how old.
    assert offline.verdict is Verdict.VALID
    assert offline.oldest_document is not None
    assert offline.oldest_document.captured_at == now
    live = verify_credential(text, now=now, fetcher=ClientFetcher(client))
    assert live.verdict is Verdict.REVOKED


def test_verify_page_reads_a_pasted_offline_qr_text(
    client: FlaskClient, api: Api, session: Session, settings: Settings
) -> None:
    """The BJ1: text a scanner app shows, pasted into /verify, gives the usual verdict page."""
    issued = api.issue(api.achievement("데이터 시각화 기초")["uuid"], unique_email(), "한가람")
    row = session.get(Credential, issued["uuid"])
    assert row is not None
    text = offline_qr_text(Work(session, settings, settings.clock(), "test"), row)
    response = client.post("/verify", data={"text": text}, headers=KOREAN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-verdict="valid"' in html
    assert "데이터 시각화 기초" in html
    assert "한가람" in html
    api_report = client.post("/api/v1/verify", data=text, content_type="text/plain").json
    assert api_report is not None
    assert api_report["verdict"] == "valid"
    assert api_report["checks"][0]["code"] == "input-compact"
