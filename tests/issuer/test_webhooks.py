"""Webhooks (issue 13, item 5): a real receiver on 127.0.0.1 gets each credential event once,
signed with the secret shown once; a failing receiver gets retries with backoff, then a
replay delivers; the SSRF guard refuses private, loopback and plain-http addresses outside
development; one issuer never sees another's endpoints; the secret never leaves again.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from issuer import db, settings_of
from issuer.db import Work, unit_of_work
from issuer.models import AuditEvent
from issuer.webhooks import sending
from issuer.webhooks import service as webhooks
from issuer.webhooks.models import WebhookDelivery, WebhookEndpoint
from keys import MasterKey
from tests.issuer.conftest import Api, Tenant, make_app, unique_email
from tests.issuer.webhook_receiver import Clock, Receiver, receiver

ALL_EVENTS = [
    "credential.issued",
    "credential.revoked",
    "credential.suspended",
    "credential.unsuspended",
]


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, clock: Clock
) -> Iterator[Flask]:
    """The service in development mode for webhooks (receivers on 127.0.0.1), on a clock
    the tests move."""
    app = make_app(
        database_url,
        tmp_path_factory.mktemp("instance"),
        WEBHOOK_ALLOW_LOCAL=True,
        # Only the runner these tests call sends (``baeji webhooks deliver``'s way), so each
        # attempt happens when a test says; tests/issuer/test_webhook_jobs.py covers jobs.
        WEBHOOK_SENDER="command",
        CLOCK=clock,
    )
    yield app
    db.engine_of(app).dispose()


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


@pytest.fixture(scope="module")
def course(app: Flask, hanbit: Tenant) -> str:
    uuid: str = Api(app.test_client(), hanbit).achievement("웹훅 과정")["uuid"]
    return uuid


def deliver_due(app: Flask, tenant: Tenant | None = None) -> int:
    """Run the sender once, as a job or ``deliver_due`` runner would."""
    settings = settings_of(app)
    with unit_of_work(db.engine_of(app), settings, actor="test") as work:
        return sending.deliver_due(work)


def register(api: Api, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = api.post(
        "/api/v1/webhooks",
        json={"url": url, "events": events or ALL_EVENTS, "description": "LMS 연동"},
    )
    assert response.status_code == 201, response.json
    body: dict[str, Any] = response.json  # type: ignore[assignment]
    return body


def remove(api: Api, endpoint: dict[str, Any]) -> None:
    response = api.client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=api.tenant.headers)
    assert response.status_code == 204


def signed_by(secret: str, received: Any) -> bool:
    """Check ``Baeji-Signature`` as the documented recipe says, without our helper."""
    fields = dict(part.split("=", 1) for part in received.headers["Baeji-Signature"].split(","))
    message = fields["t"].encode() + b"." + received.body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


# -- each event once, signed ----------------------------------------------------------------------


def test_each_event_reaches_the_receiver_once_with_a_valid_signature(
    app: Flask, api: Api, course: str, hook: Receiver, clock: Clock
) -> None:
    endpoint = register(api, hook.url())
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    issued = api.issue(course, "learner.webhook@example.kr")
    ref = issued["uuid"]
    assert (
        api.post(f"/api/v1/credentials/{ref}/suspend", json={"reason": "출석 확인 중"}).status_code
        == 200
    )
    assert api.post(f"/api/v1/credentials/{ref}/unsuspend", json={}).status_code == 200
    assert (
        api.post(f"/api/v1/credentials/{ref}/revoke", json={"reason": "부정 행위"}).status_code
        == 200
    )
    assert hook.got() == []  # written with the change, sent after it
    assert deliver_due(app) == 4
    assert deliver_due(app) == 0  # nothing twice
    got = hook.got()
    assert [r.headers["Baeji-Event"] for r in got] == [
        "credential.issued",
        "credential.suspended",
        "credential.unsuspended",
        "credential.revoked",
    ]
    bodies = [json.loads(r.body) for r in got]
    assert len({b["id"] for b in bodies}) == 4
    for received, body in zip(got, bodies, strict=True):
        assert received.path == "/hook"
        assert received.headers["Content-Type"] == "application/json"
        assert signed_by(secret, received)
        assert not signed_by(secret + "x", received)
        assert sending.verify_signature(
            secret,
            received.headers["Baeji-Signature"],
            received.body,
            now=int(clock().timestamp()),
        )
        assert body["type"] == received.headers["Baeji-Event"]
        assert body["data"]["credentialId"] == issued["id"]
        assert body["data"]["credentialUuid"] == ref
        assert body["data"]["issuerId"] == api.tenant.issuer.did
        assert body["data"]["achievementId"].endswith(course)
        assert "learner.webhook@example.kr" not in received.body.decode()
    assert [b["data"]["status"] for b in bodies] == ["active", "suspended", "active", "revoked"]
    assert bodies[1]["data"]["reason"] == "출석 확인 중"
    assert bodies[3]["data"]["reason"] == "부정 행위"
    assert "reason" not in bodies[0]["data"]
    # The log says what each got.
    log = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json
    assert log is not None
    assert {d["state"] for d in log["deliveries"]} == {"delivered"}
    assert {d["lastStatus"] for d in log["deliveries"]} == {200}
    assert {d["id"] for d in log["deliveries"]} == {r.headers["Baeji-Delivery"] for r in got}
    assert all(d["attempts"] == 1 for d in log["deliveries"])
    remove(api, endpoint)


def test_a_batch_announces_each_badge_and_only_subscribed_events_are_sent(
    app: Flask, api: Api, course: str, hook: Receiver
) -> None:
    endpoint = register(api, hook.url("/revoked-only"), ["credential.revoked"])
    everything = register(api, hook.url("/all"))
    rows = [{"recipient": {"email": unique_email(), "name": f"학습자 {n}"}} for n in range(3)]
    response = api.post(
        "/api/v1/credentials/batch", json={"achievementId": course, "credentials": rows}
    )
    assert response.status_code == 201, response.json
    issued = response.json["credentials"]  # type: ignore[index]
    first = issued[0]["uuid"]
    assert (
        api.post(f"/api/v1/credentials/{first}/revoke", json={"reason": "오류"}).status_code == 200
    )
    assert deliver_due(app) == 5
    got = hook.got()
    by_path: dict[str, list[str]] = {}
    for received in got:
        by_path.setdefault(received.path, []).append(json.loads(received.body)["type"])
    assert by_path["/revoked-only"] == ["credential.revoked"]
    assert sorted(by_path["/all"]) == ["credential.issued"] * 3 + ["credential.revoked"]
    announced = {json.loads(r.body)["data"]["credentialUuid"] for r in got if r.path == "/all"}
    assert announced == {item["uuid"] for item in issued}
    remove(api, endpoint)
    remove(api, everything)


def test_replacing_a_badge_announces_the_revocation_of_the_old_one(
    app: Flask, api: Api, course: str, hook: Receiver
) -> None:
    email = unique_email()
    old = api.issue(course, email)
    endpoint = register(api, hook.url())
    new = api.issue(course, email, duplicates="replace")
    assert deliver_due(app) == 2
    events = {json.loads(r.body)["type"]: json.loads(r.body)["data"] for r in hook.got()}
    assert events["credential.revoked"]["credentialUuid"] == old["uuid"]
    assert events["credential.revoked"]["reason"] == f"replaced by {new['id']}"
    assert events["credential.issued"]["credentialUuid"] == new["uuid"]
    remove(api, endpoint)


def test_a_refused_change_writes_no_event(
    app: Flask, api: Api, course: str, hook: Receiver
) -> None:
    issued = api.issue(course, unique_email())
    assert (
        api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "a"}).status_code
        == 200
    )
    endpoint = register(api, hook.url())
    again = api.post(f"/api/v1/credentials/{issued['uuid']}/revoke", json={"reason": "b"})
    assert again.status_code == 409
    assert deliver_due(app) == 0
    assert hook.got() == []
    remove(api, endpoint)


# -- failures, backoff, replay --------------------------------------------------------------------


def test_a_failing_receiver_gets_retries_with_backoff_then_a_replay_delivers(
    app: Flask, api: Api, course: str, hook: Receiver, clock: Clock
) -> None:
    hook.status = 500
    endpoint = register(api, hook.url(), ["credential.issued"])
    api.issue(course, unique_email())
    assert deliver_due(app) == 1
    log = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json["deliveries"]  # type: ignore[index]
    (first,) = log
    assert first["state"] == "pending"
    assert first["attempts"] == 1
    assert first["lastStatus"] == 500
    assert first["lastResponse"].startswith("receiver says no")
    assert len(first["lastResponse"]) <= 500
    waits = []
    for attempt in range(1, sending.MAX_ATTEMPTS):
        delay = sending.retry_delay(attempt)
        waits.append(delay)
        clock.advance(delay.total_seconds() - 1)
        assert deliver_due(app) == 0, f"attempt {attempt + 1} came early"
        clock.advance(1)
        assert deliver_due(app) == 1, f"attempt {attempt + 1} did not come"
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    got = hook.got()
    assert len(got) == sending.MAX_ATTEMPTS
    assert len({r.headers["Baeji-Delivery"] for r in got}) == 1
    assert len({json.loads(r.body)["id"] for r in got}) == 1
    clock.advance(sending.LONGEST_RETRY.total_seconds())
    assert deliver_due(app) == 0  # given up
    (failed,) = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json["deliveries"]  # type: ignore[index]
    assert failed["state"] == "failed"
    assert failed["attempts"] == sending.MAX_ATTEMPTS
    assert "nextAttemptAt" not in failed
    # The receiver is fixed; the provider replays the failed delivery.
    hook.status = 200
    replayed = api.post(f"/api/v1/webhooks/{endpoint['id']}/deliveries/{failed['id']}/replay")
    assert replayed.status_code == 202, replayed.json
    assert replayed.json["state"] == "pending"  # type: ignore[index]
    assert deliver_due(app) == 1
    last = hook.got()[-1]
    assert json.loads(last.body)["id"] == failed["eventId"]
    assert last.headers["Baeji-Delivery"] == replayed.json["id"]  # type: ignore[index]
    assert signed_by(endpoint["secret"], last)
    log = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json["deliveries"]  # type: ignore[index]
    assert [d["state"] for d in log] == ["delivered", "failed"]
    remove(api, endpoint)


def test_redirects_are_not_followed(app: Flask, api: Api, course: str, hook: Receiver) -> None:
    hook.status, hook.location = 302, "http://127.0.0.1:1/elsewhere"
    endpoint = register(api, hook.url(), ["credential.issued"])
    api.issue(course, unique_email())
    assert deliver_due(app) == 1
    assert [r.path for r in hook.got()] == ["/hook"]
    (row,) = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json["deliveries"]  # type: ignore[index]
    assert (row["state"], row["lastStatus"]) == ("pending", 302)
    remove(api, endpoint)


def test_an_unreachable_receiver_is_a_failed_attempt(app: Flask, api: Api, course: str) -> None:
    with receiver() as gone:
        url = gone.url()
    endpoint = register(api, url, ["credential.issued"])
    api.issue(course, unique_email())
    assert deliver_due(app) == 1
    (row,) = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json["deliveries"]  # type: ignore[index]
    assert row["state"] == "pending"
    assert "lastStatus" not in row
    assert row["lastResponse"].startswith("connection failed")
    remove(api, endpoint)


def test_removing_an_endpoint_cancels_what_is_pending(
    app: Flask, api: Api, course: str, hook: Receiver
) -> None:
    endpoint = register(api, hook.url(), ["credential.issued"])
    api.issue(course, unique_email())
    remove(api, endpoint)
    remove(api, endpoint)  # twice is harmless
    api.issue(course, unique_email())
    assert deliver_due(app) == 0
    assert hook.got() == []
    (row,) = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json["deliveries"]  # type: ignore[index]
    assert row["state"] == "cancelled"
    replay = api.post(f"/api/v1/webhooks/{endpoint['id']}/deliveries/{row['id']}/replay")
    assert replay.status_code == 409
    listed = api.get("/api/v1/webhooks").json["webhooks"]  # type: ignore[index]
    assert [w["active"] for w in listed if w["id"] == endpoint["id"]] == [False]


# -- where deliveries may go ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:10.0.0.1]/hook",
        "http://93.184.215.14/hook",
        "https://user:pw@93.184.215.14/hook",
        "ftp://93.184.215.14/hook",
    ],
)
def test_outside_development_only_public_https_is_accepted(
    app: Flask, api: Api, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    production = replace(settings_of(app), webhook_allow_local=False)
    monkeypatch.setitem(app.extensions["issuer"], "settings", production)
    response = api.post("/api/v1/webhooks", json={"url": url, "events": ALL_EVENTS})
    assert response.status_code == 422, response.json
    assert response.json["error"] in ("webhook-url-refused", "validation-error")  # type: ignore[index]
    if url.startswith(("http://127", "https://")):
        assert response.json["error"] == "webhook-url-refused"  # type: ignore[index]


def test_a_public_https_address_is_accepted(
    app: Flask, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    production = replace(settings_of(app), webhook_allow_local=False)
    monkeypatch.setitem(app.extensions["issuer"], "settings", production)
    endpoint = register(api, "https://93.184.215.14/hooks/baeji")
    assert endpoint["url"] == "https://93.184.215.14/hooks/baeji"
    remove(api, endpoint)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/hook", "https://192.168.1.1/hook", "http://169.254.169.254/"]
)
def test_development_allows_loopback_only(api: Api, url: str) -> None:
    response = api.post("/api/v1/webhooks", json={"url": url, "events": ALL_EVENTS})
    assert response.status_code == 422
    assert response.json["error"] == "webhook-url-refused"  # type: ignore[index]


def test_the_guard_runs_again_before_each_attempt(
    app: Flask, api: Api, course: str, hook: Receiver
) -> None:
    """An endpoint accepted once is checked again when sending: outside development, a
    loopback receiver gets nothing and the attempt says why."""
    endpoint = register(api, hook.url(), ["credential.issued"])
    api.issue(course, unique_email())
    production = replace(settings_of(app), webhook_allow_local=False)
    with unit_of_work(db.engine_of(app), production, actor="test") as work:
        assert sending.deliver_due(work) == 1
    assert hook.got() == []
    (row,) = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json["deliveries"]  # type: ignore[index]
    assert row["lastResponse"].startswith("refused:")
    remove(api, endpoint)


def test_events_must_be_known_and_not_empty(api: Api, hook: Receiver) -> None:
    for events in ([], ["credential.deleted"]):
        response = api.post("/api/v1/webhooks", json={"url": hook.url(), "events": events})
        assert response.status_code == 422


# -- tenants and secrets --------------------------------------------------------------------------


def test_another_issuers_endpoint_is_not_found(
    app: Flask, api: Api, other_api: Api, course: str, hook: Receiver
) -> None:
    endpoint = register(api, hook.url(), ["credential.issued"])
    api.issue(course, unique_email())
    deliver_due(app)
    (delivery,) = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json["deliveries"]  # type: ignore[index]
    base = f"/api/v1/webhooks/{endpoint['id']}"
    assert other_api.get(f"{base}/deliveries").status_code == 404
    assert other_api.post(f"{base}/deliveries/{delivery['id']}/replay").status_code == 404
    deleted = other_api.client.delete(base, headers=other_api.tenant.headers)
    assert deleted.status_code == 404
    assert endpoint["id"] not in str(other_api.get("/api/v1/webhooks").json)
    # The other issuer's badges are not announced to this issuer's endpoint.
    other_course = other_api.achievement()["uuid"]
    other_api.issue(other_course, unique_email())
    assert deliver_due(app) == 0
    assert len(hook.got()) == 1
    remove(api, endpoint)


def test_the_secret_is_shown_once_and_never_logged(
    app: Flask, api: Api, course: str, hook: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint = register(api, hook.url())
    secret = endpoint["secret"]
    api.issue(course, unique_email())
    deliver_due(app)
    base = f"/api/v1/webhooks/{endpoint['id']}"
    seen = [
        api.get("/api/v1/webhooks").get_data(as_text=True),
        api.get(f"{base}/deliveries").get_data(as_text=True),
    ]
    assert all(secret not in text for text in seen)
    assert all('"secret"' not in text for text in seen)
    assert secret not in caplog.text
    signature = hook.got()[-1].headers["Baeji-Signature"]
    assert signature.split("v1=")[1] not in caplog.text
    with db.new_session(db.engine_of(app)) as session:
        row = session.get(WebhookEndpoint, endpoint["id"])
        assert row is not None
        assert secret.encode() not in row.secret_sealed
        events = session.exec(
            select(AuditEvent).where(col(AuditEvent.action).startswith("webhook."))
        ).all()
        assert events
        assert all(secret not in (e.detail or "") for e in events)
        deliveries = session.exec(select(WebhookDelivery)).all()
        assert all(secret not in d.payload for d in deliveries)
    remove(api, endpoint)


def test_the_secret_opens_only_for_its_endpoint(app: Flask, hanbit: Tenant) -> None:
    settings = settings_of(app)
    with unit_of_work(db.engine_of(app), settings, actor="test", issuer=hanbit.issuer) as work:
        one = webhooks.create_endpoint(work, url="http://127.0.0.1:9/a", events=ALL_EVENTS)
        two = webhooks.create_endpoint(work, url="http://127.0.0.1:9/b", events=ALL_EVENTS)
        assert sending.endpoint_secret(settings, one.endpoint) == one.secret
        swapped = replace_secret(two.endpoint, one.endpoint.secret_sealed)
        with pytest.raises(Exception, match="cannot open"):
            sending.endpoint_secret(settings, swapped)
        assert "whsec" not in repr(one)
        for created in (one, two):
            webhooks.disable_endpoint(work, created.endpoint.id)


def replace_secret(endpoint: WebhookEndpoint, sealed: bytes) -> WebhookEndpoint:
    return WebhookEndpoint(**{**endpoint.model_dump(), "secret_sealed": sealed})


def test_signature_reference_check() -> None:
    body = b'{"id":"1"}'
    header = sending.sign("whsec_k", 1_764_489_600, body)
    assert header.startswith("t=1764489600,v1=")
    assert sending.verify_signature("whsec_k", header, body, now=1_764_489_600 + 299)
    assert not sending.verify_signature("whsec_k", header, body, now=1_764_489_600 + 301)
    assert not sending.verify_signature("whsec_k", header, body + b" ", now=1_764_489_600)
    assert not sending.verify_signature("whsec_x", header, body, now=1_764_489_600)
    assert not sending.verify_signature("whsec_k", "v1=abc", body, now=1_764_489_600)


def test_emit_without_endpoints_writes_nothing(app: Flask, nuri: Tenant) -> None:
    settings = settings_of(app)
    with unit_of_work(db.engine_of(app), settings, actor="test", issuer=nuri.issuer) as work:
        assert isinstance(work, Work)
        assert webhooks.emit_many(work, "credential.issued", []) == []
        with pytest.raises(ValueError, match="unknown webhook event"):
            webhooks.emit_many(work, "credential.deleted", [])


def test_the_documented_recipe_checks_real_deliveries(
    app: Flask, api: Api, course: str, hook: Receiver, clock: Clock, client: FlaskClient
) -> None:
    """The Python recipe on /api/docs accepts what the service sends (and nothing else)."""
    docs = client.get("/api/docs").get_data(as_text=True)
    assert 'id="webhooks"' in docs
    found = re.search(r"<pre>(import hashlib.*?)</pre>", docs, re.DOTALL)
    assert found
    recipe: dict[str, Any] = {}
    exec(html.unescape(found.group(1)), recipe)  # noqa: S102 - our own documentation
    endpoint = register(api, hook.url(), ["credential.issued"])
    api.issue(course, unique_email())
    deliver_due(app)
    (received,) = hook.got()
    header = received.headers["Baeji-Signature"]
    check = recipe["baeji_signed"]
    fresh = int(header.split(",")[0].removeprefix("t=")) - int(time.time())
    assert check(endpoint["secret"], header, received.body, tolerance=abs(fresh) + 5)
    assert not check(endpoint["secret"], header, received.body + b" ", tolerance=abs(fresh) + 5)
    assert not check("whsec_other", header, received.body, tolerance=abs(fresh) + 5)
    assert not check(endpoint["secret"], header, received.body, tolerance=abs(fresh) - 5)
    assert "Baeji-Signature" in client.get("/api/openapi.json").json["info"]["description"]  # type: ignore[index]
    remove(api, endpoint)


def test_the_deliver_command_sends_what_is_due(
    app: Flask, api: Api, course: str, hook: Receiver
) -> None:
    from click.testing import CliRunner

    from verify.cli import main as baeji

    endpoint = register(api, hook.url(), ["credential.issued"])
    api.issue(course, unique_email())
    result = CliRunner().invoke(baeji, ["webhooks", "deliver"], obj=app)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 deliveries attempted"
    assert len(hook.got()) == 1
    again = CliRunner().invoke(baeji, ["webhooks", "deliver"], obj=app)
    assert again.output.strip() == "0 deliveries attempted"
    remove(api, endpoint)


def test_runners_at_once_send_each_delivery_once(
    app: Flask, api: Api, course: str, hook: Receiver
) -> None:
    """Several deliver_due runners (workers) share the due deliveries: none is sent twice."""
    endpoint = register(api, hook.url(), ["credential.issued"])
    rows = [{"recipient": {"email": unique_email(), "name": f"동시 {n}"}} for n in range(12)]
    response = api.post(
        "/api/v1/credentials/batch", json={"achievementId": course, "credentials": rows}
    )
    assert response.status_code == 201, response.json
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            counts.append(deliver_due(app))
        except BaseException as err:  # a runner's failure fails the test
            errors.append(err)

    runners = [threading.Thread(target=run) for _ in range(4)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(timeout=60)
    assert errors == []
    assert sum(counts) == 12
    got = hook.got()
    assert len(got) == 12
    assert len({r.headers["Baeji-Delivery"] for r in got}) == 12
    remove(api, endpoint)


def test_another_master_key_fails_the_attempt_not_the_runner(
    app: Flask, api: Api, course: str, hook: Receiver
) -> None:
    endpoint = register(api, hook.url(), ["credential.issued"])
    api.issue(course, unique_email())
    wrong = replace(settings_of(app), master_key=MasterKey.generate()[0])
    with unit_of_work(db.engine_of(app), wrong, actor="test") as work:
        assert sending.deliver_due(work) == 1
    assert hook.got() == []
    (row,) = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json["deliveries"]  # type: ignore[index]
    assert row["lastResponse"] == "the signing secret cannot be opened with this master key"
    assert row["state"] == "pending"
    remove(api, endpoint)


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_deadline(
    app: Flask, api: Api, course: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per-read timeouts never end an answer that trickles in a byte at a time; the whole
    exchange has a deadline, so the sender (and every job behind it) moves on."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def drip() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not stop.wait(0.2):
                try:
                    connection.sendall(b"a")
                except OSError:
                    return

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    monkeypatch.setattr(sending, "DEADLINE", 1.5)
    port = listener.getsockname()[1]
    endpoint = register(api, f"http://127.0.0.1:{port}/hook", ["credential.issued"])
    api.issue(course, unique_email())
    started = time.monotonic()
    try:
        assert deliver_due(app) == 1
    finally:
        stop.set()
        listener.close()
    assert time.monotonic() - started < 10
    (row,) = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json["deliveries"]  # type: ignore[index]
    assert (row["state"], row["lastResponse"]) == ("pending", "timed out")
    remove(api, endpoint)


def test_a_malformed_signature_is_refused_not_raised() -> None:
    """The reference check answers False to any header, non-ASCII included."""
    for header in ("t=1700000000,v1=é", "t=1700000000,v1=", "t=x,v1=00", "v1=00", ""):
        assert not sending.verify_signature("whsec_x", header, b"{}", now=1700000000)
