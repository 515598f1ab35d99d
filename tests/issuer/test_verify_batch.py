"""Many candidates at once: ``POST /api/v1/verify/batch`` and ``/verify`` with several files."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

from flask.testing import FlaskClient

from issuer.verification.batch import MAX_BATCH_INPUTS
from tests.issuer.conftest import BASE_URL, KOREAN, Api, page, unique_email


def _two_candidates(client: FlaskClient, api: Api) -> tuple[dict[str, object], dict[str, object]]:
    course = api.achievement("클라우드 인프라 운영 실무")["uuid"]
    good = api.issue(course, unique_email("good"), "김지우")
    bad = api.issue(course, unique_email("bad"), "박민수")
    revoked = api.post(f"/api/v1/credentials/{bad['uuid']}/revoke", json={"reason": "취소"})
    assert revoked.status_code == 200
    return good, bad


def test_api_batch_json_returns_one_row_per_input_and_a_summary(
    client: FlaskClient, api: Api
) -> None:
    good, bad = _two_candidates(client, api)
    body = {
        "credentials": [good["jwt"], {"not": "a credential"}],
        "urls": [bad["id"]],
        "lang": "en",
    }
    response = client.post("/api/v1/verify/batch", json=body)
    assert response.status_code == 200, response.json
    payload = response.json
    assert payload is not None
    rows = payload["results"]
    assert [r["input"] for r in rows] == ["credentials[0]", "credentials[1]", bad["id"]]
    assert [r["verdict"] for r in rows] == ["valid", "invalid", "revoked"]
    assert rows[0]["course"] == "클라우드 인프라 운영 실무"
    assert rows[0]["issuer"]
    assert rows[0]["failedChecks"] == []
    assert rows[2]["failedChecks"][0]["id"] == "revocation"
    assert payload["summary"]["total"] == 3
    assert payload["summary"]["valid"] == 1
    assert payload["summary"]["notValid"] == 2


def test_api_batch_multipart_files(client: FlaskClient, api: Api) -> None:
    good, _ = _two_candidates(client, api)
    png = client.get(str(good["id"]).removeprefix(BASE_URL) + ".png").data
    files = [(io.BytesIO(png), "김지우.png"), (io.BytesIO(b"{}"), "empty.json")]
    response = client.post(
        "/api/v1/verify/batch?lang=ko",
        data={"file": files},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    assert response.json is not None
    rows = response.json["results"]
    assert [(r["input"], r["verdict"]) for r in rows] == [
        ("김지우.png", "valid"),
        ("empty.json", "invalid"),
    ]


def test_api_batch_is_bounded(client: FlaskClient) -> None:
    too_many = client.post(
        "/api/v1/verify/batch", json={"credentials": ["x"] * (MAX_BATCH_INPUTS + 1)}
    )
    assert too_many.status_code == 400
    assert too_many.json is not None
    assert too_many.json["error"] == "too-many-inputs"
    mixed = client.post(
        "/api/v1/verify/batch",
        json={"credentials": ["x"] * MAX_BATCH_INPUTS, "urls": ["https://example.kr/a"]},
    )
    assert mixed.status_code == 400
    assert mixed.json is not None
    assert mixed.json["error"] == "too-many-inputs"
    empty = client.post("/api/v1/verify/batch", json={})
    assert empty.status_code == 400
    assert empty.json is not None
    assert empty.json["error"] == "no-inputs"


def test_verify_page_with_several_files_shows_a_table_and_downloads_it_as_csv(
    client: FlaskClient, api: Api
) -> None:
    good, bad = _two_candidates(client, api)
    good_json = client.get(str(good["id"]).removeprefix(BASE_URL) + ".json").data
    bad_jwt = str(bad["jwt"]).encode()
    files = [
        (io.BytesIO(good_json), "지원자-김지우.json"),
        (io.BytesIO(bad_jwt), "=cmd.jwt"),
    ]
    response = client.post(
        "/verify", data={"file": files}, content_type="multipart/form-data", headers=KOREAN
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "확인 결과" in html
    assert html.count('<tr data-verdict="') == 2
    assert '<tr data-verdict="valid">' in html
    assert '<tr data-verdict="revoked">' in html
    assert "지원자-김지우.json" in html
    assert "클라우드 인프라 운영 실무" in html

    table = unescape(re.findall(r'name="table" value="([^"]*)"', html)[0])
    download = client.post("/verify/table.csv", data={"table": table}, headers=KOREAN)
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    raw = download.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["verdict"] for r in rows] == ["valid", "revoked"]
    assert rows[0]["input"] == "지원자-김지우.json"
    assert rows[1]["input"] == "'=cmd.jwt"
    assert rows[1]["failedChecks"].startswith("revocation: ")


def test_table_download_refuses_a_malformed_table(client: FlaskClient) -> None:
    for table in ("not json", json.dumps({"a": 1}), json.dumps([{"input": "x", "verdict": "?"}])):
        response = client.post(
            "/verify/table.csv", data={"table": table}, headers={"Accept": "application/json"}
        )
        assert response.status_code == 400, table


def test_the_verify_form_accepts_several_files(client: FlaskClient) -> None:
    html = page(client, "/verify", headers=KOREAN)
    assert 'name="file" type="file" multiple' in html
    assert "여러 파일을 한 번에" in html
