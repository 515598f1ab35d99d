"""What the service skips per request must be exactly what does not apply: limits still
count where they apply, a write still sees its own changes, the console keeps its session.
"""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select
from werkzeug.test import Client
from werkzeug.wrappers import Response

from issuer import db
from issuer.models import StatusList
from issuer.published import service as published
from issuer.published.direct import DirectDocuments
from tests.issuer.conftest import (
    BASE_URL,
    KOREAN,
    REPO_ROOT_HINT,
    Api,
    create_tenant,
    make_app,
    unique_email,
)


def test_reading_a_credential_page_is_free_but_its_email_check_is_limited(
    tmp_path: Path,
) -> None:
    """The verification limit counts the page's email check (POST), never the page itself."""
    app = make_app(f"sqlite:///{tmp_path / 'baeji.db'}", tmp_path / "i", RATELIMIT_VERIFY="2/hour")
    client = app.test_client()
    tenant = create_tenant(app, "costs", "비용 아카데미")
    api = Api(client, tenant)
    path = api.issue(api.achievement()["uuid"], unique_email())["id"].removeprefix(BASE_URL)
    for _ in range(5):
        assert client.get(path, headers=KOREAN).status_code == 200
    for _ in range(2):
        assert client.post(path, data={"email": "a@example.kr"}, headers=KOREAN).status_code == 200
    refused = client.post(path, data={"email": "a@example.kr"}, headers=KOREAN)
    assert refused.status_code == 429
    assert client.get(path, headers=KOREAN).status_code == 200
    db.engine_of(app).dispose()


def test_public_documents_carry_no_session_cookie(client: FlaskClient, app: Flask) -> None:
    """Outside the console no request opens or writes Flask's session cookie."""
    tenant = create_tenant(app, "costs-cookie", "쿠키 아카데미")
    for path in ("/", "/healthz", f"/issuers/{tenant.issuer.slug}/did.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path


def test_a_stored_read_inside_a_write_sees_the_write(app: Flask) -> None:
    """A published document read within an open write transaction sees its uncommitted
    change (on that transaction); once rolled back, a fresh read does not."""
    tenant = create_tenant(app, "costs-write", "쓰기 아카데미")
    api = Api(app.test_client(), tenant)
    issued = api.issue(api.achievement()["uuid"], unique_email())
    list_id = issued["credential"]["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
    with db.new_session(db.engine_of(app)) as session:
        before = published.status_list(session, list_id, max_age=60).etag
        session.rollback()
        with db.write_transaction(session):
            row = session.exec(select(StatusList).where(StatusList.id == list_id)).one()
            row.etag = '"0123456789abcdef0123456789abcdef"'
            session.add(row)
            session.flush()
            inside = published.status_list(session, list_id, max_age=60).etag
            assert inside == "0123456789abcdef0123456789abcdef"
            session.rollback()
        assert published.status_list(session, list_id, max_age=60).etag == before


def test_gunicorn_workers_freeze_what_they_loaded() -> None:
    """gunicorn.conf.py exempts what a worker loaded from the cyclic GC once it is ready."""
    settings = runpy.run_path(str(REPO_ROOT_HINT / "gunicorn.conf.py"))
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_direct_documents_answer_as_flask_does(app: Flask) -> None:
    """A status list and a DID document answered in front of Flask carry the bytes and
    headers Flask's routes give the same request; what the direct layer does not take
    (HEAD, queries, revalidation, unknown documents) is Flask's answer itself."""
    tenant = create_tenant(app, "costs-direct", "직접 아카데미")
    api = Api(app.test_client(), tenant)
    issued = api.issue(api.achievement()["uuid"], unique_email())
    status_path = issued["credential"]["credentialStatus"]["statusListCredential"].removeprefix(
        BASE_URL
    )
    direct = app.wsgi_app
    assert isinstance(direct, DirectDocuments)
    through_direct = Client(direct, Response)
    through_flask = Client(direct.app, Response)
    credential_path = issued["id"].removeprefix(BASE_URL)
    documents = (
        status_path,
        f"/issuers/{tenant.issuer.slug}/did.json",
        f"{credential_path}.json",
        f"{credential_path}.jwt",
    )
    for path in documents:
        ours, flasks = through_direct.get(path), through_flask.get(path)
        assert ours.status_code == flasks.status_code == 200, path
        assert ours.data == flasks.data, path
        assert sorted(ours.headers.items()) == sorted(flasks.headers.items()), path
        assert "Strict-Transport-Security" in ours.headers  # the test origin is HTTPS
        etag = ours.headers["ETag"]
        assert through_direct.get(path, headers={"If-None-Match": etag}).status_code == 304
        assert through_direct.head(path).status_code == 200
        lang = Client(direct, Response).get(f"{path}?lang=en")
        assert lang.status_code == 200
        assert "lang=en" in lang.headers["Set-Cookie"]  # Flask's hooks ran
    missing = (
        "/status/nope",
        "/issuers/nobody/did.json",
        "/issuers//did.json",
        "/credentials/00000000-0000-4000-8000-000000000000.json",
        f"{credential_path}.txt",
    )
    for path in missing:
        ours, flasks = through_direct.get(path), through_flask.get(path)
        assert ours.status_code == flasks.status_code != 200, path
        assert ours.data == flasks.data, path


def test_a_revocation_shows_on_the_next_direct_read(app: Flask) -> None:
    """Status lists answered in front of Flask are read fresh: a revocation shows at once."""
    tenant = create_tenant(app, "costs-fresh", "신선 아카데미")
    client = app.test_client()
    api = Api(client, tenant)
    issued = api.issue(api.achievement()["uuid"], unique_email())
    status_path = issued["credential"]["credentialStatus"]["statusListCredential"].removeprefix(
        BASE_URL
    )
    before = client.get(status_path).headers["ETag"]
    api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "test"})
    assert client.get(status_path).headers["ETag"] != before
