"""'Send me my wallet link': one answer for known and unknown addresses, rate limited.

The mail goes through a real SMTP conversation with the sink of :mod:`tests.issuer.test_mail`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from issuer import db, settings_of
from issuer.jobs import service as jobs
from issuer.jobs.models import Job
from issuer.learners import recovery
from issuer.models import AuditEvent, WalletToken
from issuer.outbox.models import OutboxMail
from tests.issuer.conftest import BASE_URL, ENGLISH, KOREAN, Api, make_app, unique_email
from tests.issuer.test_mail import ClosingClient, Sink, mailing_app_fixture, sink  # noqa: F401  (the SMTP sink)
from verify.cli import main as baeji

_TOKEN = re.compile(r'name="token" value="([^"]+)"')


app = mailing_app_fixture("The service mailing through the sink.")


def _token(client: FlaskClient, headers: dict[str, str] | None = None) -> str:
    home = client.get("/", headers=headers or ENGLISH)
    assert home.status_code == 200
    found = _TOKEN.search(home.text)
    assert found, home.text[:400]
    return found.group(1)


def _ask(client: FlaskClient, email: str, **headers: str) -> TestResponse:
    token = _token(client)
    return client.post(
        "/wallet-link", data={"email": email, "token": token}, headers={**ENGLISH, **headers}
    )


def _without_token(page: TestResponse) -> bytes:
    return _TOKEN.sub("", page.get_data(as_text=True)).encode()


def _counts(app: Flask) -> tuple[int, int, int]:
    with Session(db.engine_of(app)) as session:
        return (
            len(session.exec(select(OutboxMail.id)).all()),
            len(session.exec(select(WalletToken.id)).all()),
            len(session.exec(select(AuditEvent.id)).all()),
        )


def test_the_home_page_offers_the_form_in_korean_and_english(client: FlaskClient) -> None:
    """The form is on the home page, in the page's language."""
    korean = client.get("/", headers=KOREAN)
    assert 'id="wallet-link-form"' in korean.text
    assert "지갑 링크 받기" in korean.text
    english = client.get("/", headers=ENGLISH)
    assert "Send me my wallet link" in english.text
    assert client.get("/wallet-link", headers=KOREAN).status_code == 200


def test_known_and_unknown_addresses_get_the_same_answer(
    app: Flask,
    client: FlaskClient,
    api: Api,
    other_api: Api,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    """Status and page are the same byte for byte (but the form's fresh token) whether or
    not the address has badges; only the known one gets a mail: a full wallet link."""
    received, _ = sink
    known = unique_email("known")
    first = other_api.issue(other_api.achievement("MLOps 심화")["uuid"], known)
    second = api.issue(api.achievement("데이터 분석")["uuid"], known)
    unknown = unique_email("unknown")
    before = _counts(app)

    asked_unknown = _ask(client, unknown)
    assert _counts(app) == before
    asked_known = _ask(client, known)

    assert asked_known.status_code == asked_unknown.status_code == 200
    assert _without_token(asked_known) == _without_token(asked_unknown)
    assert asked_known.headers.get("Content-Type") == asked_unknown.headers.get("Content-Type")
    assert 'id="wallet-link-sent"' in asked_known.text

    # Two badge mails, then the link asked for.
    (message,) = [m for m in received.to(known, 3) if "지갑 링크" in m["Subject"]]
    assert [m for m in list(received.messages) if unknown in str(m["To"])] == []
    body = message.get_content()
    (link,) = set(re.findall(rf"{re.escape(BASE_URL)}/wallet/[A-Za-z0-9_-]+", body))
    wallet = client.get(link.removeprefix(BASE_URL), headers={"Accept": "application/json"}).json
    assert wallet is not None
    assert wallet["scope"] == "full"
    assert {c["id"] for c in wallet["credentials"]} == {first["id"], second["id"]}


def test_the_request_does_the_same_work_for_any_address(
    app: Flask,
    client: FlaskClient,
    api: Api,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    """Nothing in the request depends on the address: for a known and an unknown one it
    enqueues one job holding the address sealed; the lookup happens in the job, which then
    empties its payload (no address outlives it)."""
    received, _ = sink
    known = unique_email("timing")
    api.issue(api.achievement()["uuid"], known)
    received.to(known)
    unknown = unique_email("nobody")
    for address in (known, unknown):
        with _jobs_added(app) as added:
            assert _ask(client, address).status_code == 200
        # One lookup job (the mail it queues for a known address is a job of its own).
        (job,) = [j for j in added if j.name == "learners.wallet_link"]
        assert address not in job.payload
        assert jobs.wait(db.engine_of(app), job.pk).state == "done"
        with Session(db.engine_of(app)) as session:
            done = session.get(Job, job.pk)
            assert done is not None
            assert done.payload == "{}"
    assert len(received.to(known, 2)) == 2
    assert [m for m in list(received.messages) if unknown in str(m["To"])] == []


@contextmanager
def _jobs_added(app: Flask) -> Iterator[list[Job]]:
    """The jobs enqueued meanwhile."""
    with Session(db.engine_of(app)) as session:
        last = max((i or 0 for i in session.exec(select(Job.id)).all()), default=0)
    added: list[Job] = []
    yield added
    with Session(db.engine_of(app)) as session:
        added.extend(session.exec(select(Job).where(col(Job.id) > last)).all())


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["origin", "sec-fetch-site"],
)
def test_another_sites_page_cannot_post_the_form(
    app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    """A post made by another site's page is refused, and nothing is looked up."""
    before = _counts(app)
    refused = _ask(client, unique_email(), **headers)
    assert refused.status_code == 400
    assert _counts(app) == before
    same = _ask(client, unique_email(), Origin=BASE_URL, **{"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200


def test_a_forged_or_stale_token_is_refused(app: Flask, client: FlaskClient) -> None:
    """The token must be one this service made, within its lifetime."""
    conf = settings_of(app)
    old = recovery.form_token(conf, datetime.now(UTC) - recovery.FORM_TOKEN_AGE - timedelta(1))
    for token in ("", "123.abc", old):
        answer = client.post(
            "/wallet-link", data={"email": unique_email(), "token": token}, headers=ENGLISH
        )
        assert answer.status_code == 400, token
        assert "expired" in answer.text


def test_not_an_address_is_a_clear_error(client: FlaskClient) -> None:
    """A malformed address is a 422 with the form again, in Korean too."""
    answer = _ask(client, "not-an-address", **{"Accept-Language": "ko"})
    assert answer.status_code == 422
    assert "올바른 이메일 주소가 아닙니다" in answer.text


def test_rate_limits_per_client_and_per_address(
    tmp_path: Path,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    """One client is refused after its allowance; one address is refused after its own,
    whichever clients ask (and a refusal is the same for known and unknown addresses)."""
    limited = make_app(
        f"sqlite:///{tmp_path / 'limited.db'}",
        tmp_path,
        SMTP_URL=f"smtp://127.0.0.1:{sink[1]}",
        JOBS="process",
        RATELIMIT_WALLET_LINK="3 per minute",
        RATELIMIT_WALLET_LINK_EMAIL="2 per hour",
    )
    limited.test_client_class = ClosingClient
    one = limited.test_client()
    answers = [_ask(one, unique_email()).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]

    address = unique_email("popular")
    by_client = []
    for number in range(3):
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{number + 10}"
        by_client.append(_ask(client, address).status_code)
    assert by_client == [200, 200, 429]
    other = limited.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.99"
    assert _ask(other, unique_email()).status_code == 200
    db.engine_of(limited).dispose()


def test_the_form_is_not_offered_without_mail(tmp_path: Path) -> None:
    """Without an SMTP server there is no form (no link could ever arrive)."""
    quiet = make_app(f"sqlite:///{tmp_path / 'quiet.db'}", tmp_path)
    client = quiet.test_client()
    assert 'id="wallet-link-form"' not in client.get("/", headers=ENGLISH).text
    assert "does not send e-mail" in client.get("/wallet-link", headers=ENGLISH).text
    db.engine_of(quiet).dispose()


def test_the_operator_can_mail_a_link_instead_of_printing_it(
    app: Flask,
    api: Api,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    """``baeji wallet link --send`` e-mails a full link to the address and never prints it."""
    received, _ = sink
    address = unique_email("operator")
    api.issue(api.achievement()["uuid"], address)
    received.to(address)
    result = CliRunner().invoke(baeji, ["wallet", "link", "--email", address, "--send"], obj=app)
    assert result.exit_code == 0, result.output
    assert "/wallet/" not in result.output
    (mailed,) = [m for m in received.to(address, 2) if "지갑 링크" in m["Subject"]]
    assert f"{BASE_URL}/wallet/" in mailed.get_content()
