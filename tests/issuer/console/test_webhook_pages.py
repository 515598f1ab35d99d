"""The console's webhook pages (owners): add an endpoint (secret shown once), see each
delivery with the answer it got, send a failed one again, remove the endpoint; another
provider's endpoint is not found."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from flask import Flask

from issuer import db, settings_of
from issuer.db import unit_of_work
from issuer.webhooks import sending
from tests.issuer.conftest import Api, Tenant, make_app, unique_email
from tests.issuer.console.conftest import HOST, Staff, create_staff
from tests.issuer.webhook_receiver import Clock, Receiver, receiver

PAGE = "/console/settings/webhooks"


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, clock: Clock
) -> Iterator[Flask]:
    """The console on its HTTPS origin, with webhooks allowed to a receiver on 127.0.0.1."""
    app = make_app(
        database_url,
        tmp_path_factory.mktemp("instance"),
        SERVER_NAME=HOST,
        PREFERRED_URL_SCHEME="https",
        WEBHOOK_ALLOW_LOCAL=True,
        # Attempts happen when the test runs the sender (tests/issuer/test_webhook_jobs.py
        # covers sending by jobs).
        WEBHOOK_SENDER="command",
        CLOCK=clock,
    )
    yield app
    db.engine_of(app).dispose()


@pytest.fixture(scope="module")
def owner(app: Flask, hanbit: Tenant) -> Staff:
    return create_staff(app, "hanbit", "owner")


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


def deliver_due(app: Flask) -> int:
    with unit_of_work(db.engine_of(app), settings_of(app), actor="test") as work:
        return sending.deliver_due(work)


def add_endpoint(owner: Staff, url: str, events: list[str]) -> tuple[str, str]:
    """Add an endpoint through the form; return its id and the secret the page showed."""
    response = owner.post(PAGE, {"url": url, "events": events, "description": "학사 시스템"})
    assert response.status_code == 200, response.text
    found = re.search(r'<code id="webhook-secret">(whsec_[^<]+)</code>', response.text)
    assert found, response.text
    link = re.findall(
        r'href="(?:https://[^/]+)?/console/settings/webhooks/([0-9a-f-]{36})"', response.text
    )
    return link[-1], found.group(1)


def test_only_owners_reach_the_webhook_pages(app: Flask, owner: Staff, hanbit: Tenant) -> None:
    viewer = create_staff(app, "hanbit", "viewer")
    issuer = create_staff(app, "hanbit", "issuer")
    assert viewer.get(PAGE).status_code == 403
    assert issuer.get(PAGE).status_code == 403
    page = owner.get(PAGE, headers={"Accept-Language": "ko"})
    assert page.status_code == 200
    assert "웹훅" in page.text
    settings = owner.get("/console/settings")
    assert PAGE in settings.text  # linked from the settings navigation
    english = owner.get(PAGE + "?lang=en")
    assert "Webhooks" in english.text


def test_add_see_deliveries_replay_and_remove(
    app: Flask, owner: Staff, hanbit: Tenant, hook: Receiver, clock: Clock
) -> None:
    endpoint_id, secret = add_endpoint(
        owner, hook.url(), ["credential.issued", "credential.revoked"]
    )
    listing = owner.get(PAGE)
    assert secret not in listing.text  # shown once
    assert hook.url() in listing.text
    # A badge issued while the receiver fails: retried, then given up.
    hook.status = 500
    api = Api(app.test_client(), hanbit)
    issued = api.issue(api.achievement("웹훅 콘솔 과정")["uuid"], unique_email())
    assert deliver_due(app) == 1
    log_page = f"{PAGE}/{endpoint_id}"
    log = owner.get(log_page)
    assert log.status_code == 200
    assert "HTTP 500" in log.text
    assert "receiver says no" in log.text
    assert issued["uuid"][:8] in log.text
    assert 'name="replay"' not in log.text  # still being retried
    # Every retry fails too, until the delivery is given up.
    for attempt in range(1, sending.MAX_ATTEMPTS):
        clock.advance(sending.retry_delay(attempt).total_seconds())
        assert deliver_due(app) == 1
    assert "Failed" in owner.get(log_page + "?lang=en").text
    # The receiver is fixed; the delivery in the log is sent again from the console.
    hook.status = 200
    log = owner.get(log_page)
    delivery = re.search(r'name="replay" value="([0-9a-f-]{36})"', log.text)
    assert delivery, log.text
    replayed = owner.post(log_page, {"replay": delivery.group(1)})
    assert replayed.status_code == 302
    assert deliver_due(app) == 1
    got = hook.got()
    assert len(got) == sending.MAX_ATTEMPTS + 1
    assert len({json.loads(r.body)["id"] for r in got}) == 1
    assert sending.verify_signature(
        secret, got[-1].headers["Baeji-Signature"], got[-1].body, now=int(clock().timestamp())
    )
    log = owner.get(log_page)
    assert "HTTP 200" in log.text
    assert secret not in log.text
    # Removing it stops everything.
    removed = owner.post(PAGE, {"disable": endpoint_id})
    assert removed.status_code == 302
    api.issue(api.achievement("또 다른 과정")["uuid"], unique_email())
    assert deliver_due(app) == 0


def test_a_refused_address_is_explained(owner: Staff) -> None:
    response = owner.post(PAGE, {"url": "https://10.0.0.1/hook", "events": ["credential.issued"]})
    assert response.status_code == 422
    assert "10.0.0.1" in response.text
    assert "webhook-secret" not in response.text


def test_another_providers_endpoint_is_not_found(
    app: Flask, owner: Staff, nuri: Tenant, hook: Receiver
) -> None:
    endpoint_id, _ = add_endpoint(owner, hook.url("/other"), ["credential.issued"])
    stranger = create_staff(app, "nuri", "owner")
    assert stranger.get(f"{PAGE}/{endpoint_id}").status_code == 404
    assert endpoint_id not in stranger.get(PAGE).text
    refused = stranger.post(PAGE, {"disable": endpoint_id}, form=PAGE)
    assert refused.status_code == 404
    assert owner.get(f"{PAGE}/{endpoint_id}").status_code == 200
