"""Rate limits: per address on verification, failed API keys and wallet/share lookups; per
API key on issuance. Memory storage, and the real Redis of this machine.

Every limit here is "N per hour": a fixed window starts at its first hit, so the N+1th
request of a test always falls in the same window.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from issuer import db
from tests.issuer.conftest import KOREAN, Api, create_tenant, make_app, unique_email

REDIS_URL = os.environ.get("BAEJI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_NOT_A_CREDENTIAL = {"credential": "not-a-credential"}


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Any]:
    """Make apps with low limits on a fresh SQLite database each."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        folder = tmp_path / f"app{len(made)}"
        folder.mkdir()
        app = make_app(f"sqlite:///{folder / 'baeji.db'}", folder / "instance", **overrides)
        made.append(app)
        return app

    yield make
    for app in made:
        db.engine_of(app).dispose()


def assert_limited(response: TestResponse, *, page: bool = False) -> None:
    """A 429 with Retry-After (seconds, within the hour window) and our error body."""
    assert response.status_code == 429
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 3601
    if page:
        assert response.mimetype == "text/html"
        assert "429" in response.get_data(as_text=True)
    else:
        body = response.json
        assert body is not None
        assert body["error"] == "rate-limited"
        assert "try again" in body["message"]


def test_verification_is_limited_per_address_across_page_and_api(limited: Any) -> None:
    app = limited(RATELIMIT_VERIFY="3 per hour")
    client = app.test_client()
    for _ in range(2):
        assert client.post("/api/v1/verify", json=_NOT_A_CREDENTIAL).status_code == 200
    page = client.post("/verify", data={"text": "not-a-credential"}, headers=KOREAN)
    assert page.status_code == 200
    # The fourth verification, whichever route, is refused.
    assert_limited(client.post("/api/v1/verify", json=_NOT_A_CREDENTIAL))
    assert_limited(
        client.post("/verify", data={"text": "not-a-credential"}, headers=KOREAN), page=True
    )
    # Reading the form costs nothing; another address has its own budget.
    assert client.get("/verify", headers=KOREAN).status_code == 200
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert other.post("/api/v1/verify", json=_NOT_A_CREDENTIAL).status_code == 200


def test_a_batch_of_verifications_costs_one_per_badge(limited: Any) -> None:
    """Fifty badges in one request are fifty verifications, not one."""
    app = limited(RATELIMIT_VERIFY="5 per hour")
    client = app.test_client()
    four = {"credentials": [_NOT_A_CREDENTIAL] * 4}
    assert client.post("/api/v1/verify/batch", json=four).status_code == 200
    assert client.post("/api/v1/verify", json=_NOT_A_CREDENTIAL).status_code == 200
    # The budget of five is spent: the next batch, even of one, is refused.
    assert_limited(client.post("/api/v1/verify/batch", json={"credentials": [_NOT_A_CREDENTIAL]}))
    # Several files on the page count one each as well.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    files = [(io.BytesIO(b"not a badge"), f"badge-{i}.txt") for i in range(6)]
    page = other.post("/verify", data={"file": files}, headers=KOREAN)
    assert_limited(page, page=True)


def test_failed_api_keys_are_limited_and_valid_ones_cost_nothing(limited: Any) -> None:
    app = limited(RATELIMIT_AUTH_FAILURES="3 per hour")
    tenant = create_tenant(app, "hanbit", "한빛 아카데미")
    client = app.test_client()
    for _ in range(10):
        assert client.get("/api/v1/achievements", headers=tenant.headers).status_code == 200
    bad = {"Authorization": "Bearer bj_guess_000000000000"}
    for _ in range(3):
        assert client.get("/api/v1/achievements", headers=bad).status_code == 401
    assert client.post("/api/v1/credentials", json={}).status_code == 401
    # Over the limit, the address is refused before any key is looked at: a correct
    # guess would not be told apart.
    assert_limited(client.get("/api/v1/achievements", headers=bad))
    assert_limited(client.get("/api/v1/achievements", headers=tenant.headers))
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    assert other.get("/api/v1/achievements", headers=tenant.headers).status_code == 200


def test_wallet_and_share_guesses_are_limited_per_address(limited: Any) -> None:
    app = limited(RATELIMIT_LOOKUP_MISSES="3 per hour", RATELIMIT_LOOKUP="8 per hour")
    api = Api(app.test_client(), create_tenant(app, "hanbit", "한빛 아카데미"))
    course = api.achievement()
    wallet = api.issue(course["uuid"], unique_email())["walletUrl"].split("badges.example.kr")[1]
    client = app.test_client()
    for _ in range(3):
        assert client.get(wallet, headers=KOREAN).status_code == 200
    for guess in ("/wallet/guess1", "/shares/guess2", "/wallet/guess3"):
        assert client.get(guess, headers=KOREAN).status_code == 404
    # Misses spent: even the right token waits (a guess that hits is not told apart).
    assert_limited(client.get(wallet, headers=KOREAN), page=True)
    assert_limited(client.get("/wallet/guess4", headers={"Accept": "application/json"}))

    # Found lookups never spend the misses budget, but all lookups share a generous one.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.9"
    for _ in range(8):
        assert other.get(wallet, headers=KOREAN).status_code == 200
    assert_limited(other.get(wallet, headers=KOREAN), page=True)


def test_issuance_is_limited_per_api_key(limited: Any) -> None:
    app = limited(RATELIMIT_ISSUE="2 per hour", RATELIMIT_BATCH="1 per hour")
    client = app.test_client()
    hanbit = Api(client, create_tenant(app, "hanbit", "한빛 아카데미"))
    nuri = Api(client, create_tenant(app, "nuri", "누리 ICT 교육센터"))
    course = hanbit.achievement()
    for _ in range(2):
        hanbit.issue(course["uuid"], unique_email())
    row = {
        "achievementId": course["uuid"],
        "recipient": {"email": unique_email(), "name": "김학습"},
    }
    assert_limited(hanbit.post("/api/v1/credentials", json=row))
    # Another issuer, from the same address, is not slowed down.
    other_course = nuri.achievement()
    nuri.issue(other_course["uuid"], unique_email())

    batch = [
        {"achievementId": course["uuid"], "recipient": {"email": unique_email(), "name": "김학습"}}
    ]
    assert hanbit.post("/api/v1/credentials/batch", json=batch).status_code == 201
    assert_limited(hanbit.post("/api/v1/credentials/batch", json=batch))
    # Reading is not issuance.
    assert hanbit.get("/api/v1/achievements").status_code == 200


def test_forwarded_addresses_count_only_behind_trusted_proxies(limited: Any) -> None:
    direct = limited(RATELIMIT_VERIFY="1 per hour")
    client = direct.test_client()
    forwarded = {"X-Forwarded-For": "198.51.100.1"}
    assert client.post("/api/v1/verify", json=_NOT_A_CREDENTIAL, headers=forwarded).status_code
    # Without a trusted proxy the header is the client's claim, and changes nothing.
    forwarded = {"X-Forwarded-For": "198.51.100.2"}
    assert_limited(client.post("/api/v1/verify", json=_NOT_A_CREDENTIAL, headers=forwarded))

    proxied = limited(RATELIMIT_VERIFY="1 per hour", TRUSTED_PROXIES=1)
    client = proxied.test_client()
    for address in ("198.51.100.1", "198.51.100.2"):
        headers = {"X-Forwarded-For": address}
        response = client.post("/api/v1/verify", json=_NOT_A_CREDENTIAL, headers=headers)
        assert response.status_code == 200
    headers = {"X-Forwarded-For": "198.51.100.1"}
    assert_limited(client.post("/api/v1/verify", json=_NOT_A_CREDENTIAL, headers=headers))


def test_limits_can_be_switched_off(limited: Any) -> None:
    app = limited(RATELIMIT_VERIFY="1 per hour", RATELIMIT_ENABLED=False)
    client = app.test_client()
    for _ in range(3):
        assert client.post("/api/v1/verify", json=_NOT_A_CREDENTIAL).status_code == 200


def _redis() -> Any:
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    return connection


def test_redis_storage_shares_counters_between_workers(limited: Any) -> None:
    connection = _redis()
    prefix = f"baeji-test-{secrets.token_hex(6)}"
    settings = {
        "RATELIMIT_STORAGE_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_VERIFY": "3 per hour",
    }
    # Two apps stand for two gunicorn workers: their own memory, one Redis.
    first: FlaskClient = limited(**settings).test_client()
    second: FlaskClient = limited(**settings).test_client()
    try:
        assert first.post("/api/v1/verify", json=_NOT_A_CREDENTIAL).status_code == 200
        assert second.post("/api/v1/verify", json=_NOT_A_CREDENTIAL).status_code == 200
        assert first.post("/api/v1/verify", json=_NOT_A_CREDENTIAL).status_code == 200
        assert_limited(second.post("/api/v1/verify", json=_NOT_A_CREDENTIAL))
        keys = list(connection.scan_iter(match=f"*{prefix}*"))
        assert keys, "the counters live in Redis"
    finally:
        for key in connection.scan_iter(match=f"*{prefix}*"):
            connection.delete(key)
        connection.close()


def test_an_unreachable_store_falls_back_to_memory(limited: Any) -> None:
    # Nothing listens on port 1: the service keeps answering, and keeps counting.
    app = limited(RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0", RATELIMIT_VERIFY="2 per hour")
    client = app.test_client()
    for _ in range(2):
        assert client.post("/api/v1/verify", json=_NOT_A_CREDENTIAL).status_code == 200
    assert_limited(client.post("/api/v1/verify", json=_NOT_A_CREDENTIAL))


def test_a_configured_default_limit_still_covers_every_request(limited: Any) -> None:
    """Requests no limit names skip Flask-Limiter's check, unless the operator sets a
    limit for every request (RATELIMIT_DEFAULT): then even /healthz is counted."""
    plain = limited().test_client()
    for _ in range(5):
        assert plain.get("/healthz").status_code == 200
    client = limited(RATELIMIT_DEFAULT="2 per hour").test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert_limited(client.get("/healthz"))
