"""The e-mail outbox: written with the badge, sent once, retried when the server is down.

A real SMTP conversation with the sink of :mod:`tests.issuer.test_mail` on 127.0.0.1; the
clock is the app's own (``CLOCK``), moved forward to make retries due.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from issuer import db, settings_of
from issuer.credentials import service as services
from issuer.db import Work
from issuer.errors import ServiceBusy
from issuer.models import Credential, WalletToken
from issuer.outbox import service as outbox
from issuer.outbox.models import OutboxMail
from issuer.schemas import CredentialCreate
from tests.issuer.conftest import Api, Tenant, make_app, unique_email
from tests.issuer.test_mail import ClosingClient, Sink, sink  # noqa: F401  (the SMTP sink)
from verify.cli import main as baeji


class Clock:
    """The app's clock: real time, plus however far a test moved it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def app(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    sink: tuple[Sink, int],  # noqa: F811
    clock: Clock,
) -> Iterator[Flask]:
    """The service mailing through the sink, on a clock the tests move."""
    app = make_app(
        database_url,
        tmp_path_factory.mktemp("instance"),
        SMTP_URL=f"smtp://127.0.0.1:{sink[1]}",
        MAIL_FROM="Baeji <badges@example.kr>",
        CLOCK=clock,
    )
    app.test_client_class = ClosingClient
    yield app
    db.engine_of(app).dispose()


def _work(app: Flask) -> AbstractContextManager[Work]:
    return db.unit_of_work(db.engine_of(app), settings_of(app), actor="test")


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Baeji <badges@example.kr>"
    message["To"] = to
    message["Subject"] = "시험 메일"
    message.set_content("https://badges.example.kr/wallet/secret-token-in-the-body")
    return message


def _queue(app: Flask, *addresses: str) -> list[int]:
    with _work(app) as work, work.write():
        mails = [outbox.Mail(_message(a), key=f"test:{a}", kind="test") for a in addresses]
        return outbox.queue(work.session, work.settings, mails, now=work.now)


def _row(app: Flask, outbox_id: int) -> OutboxMail:
    with db.new_session(db.engine_of(app)) as session:
        return session.exec(select(OutboxMail).where(col(OutboxMail.id) == outbox_id)).one()


def _received(received: Sink, address: str) -> list[EmailMessage]:
    return [m for m in list(received.messages) if address in str(m["To"])]


def test_issuing_writes_one_sealed_row_with_the_badge(
    app: Flask,
    api: Api,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    """A badge issued has exactly one outbox row, keyed by the badge; the stored message
    shows neither the address nor the wallet link, and is wiped once sent."""
    received, _ = sink
    address = unique_email("sealed")
    issued = api.issue(api.achievement()["uuid"], address)
    with db.new_session(db.engine_of(app)) as session:
        row = session.exec(
            select(OutboxMail).where(OutboxMail.key == f"credential.issued:{issued['uuid']}")
        ).one()
    (message,) = _received(received, address)
    assert row.state == "sent"
    assert row.sent_at is not None
    assert row.sealed is None
    assert message["Message-ID"] == row.message_id
    assert "/wallet/" in message.get_content()


def test_queued_mail_is_sealed_until_sent(app: Flask) -> None:
    """What waits in the outbox is ciphertext: no address, no link, no subject."""
    address = unique_email("waiting")
    (outbox_id,) = _queue(app, address)
    row = _row(app, outbox_id)
    assert row.sealed is not None
    for secret in (address, "secret-token-in-the-body", "시험"):
        assert secret.encode() not in row.sealed
    with _work(app) as work:
        assert outbox.send_one(work, outbox_id)


def test_a_badge_rolled_back_leaves_no_mail(app: Flask, hanbit: Tenant, database_url: str) -> None:
    """The outbox row is written in the badge's transaction: when storing the badge fails
    (here the database refuses the credential row), no mail and no wallet link remain."""
    engine = db.engine_of(app)
    postgres = database_url.startswith("postgresql")
    statements = (
        [
            "CREATE FUNCTION refuse_badge() RETURNS trigger AS $$ BEGIN "
            "IF NEW.recipient_name = '롤백' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_badge BEFORE INSERT ON credential FOR EACH ROW "
            "EXECUTE FUNCTION refuse_badge()",
        ]
        if postgres
        else [
            "CREATE TRIGGER refuse_badge BEFORE INSERT ON credential "
            "WHEN NEW.recipient_name = '롤백' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ]
    )
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    conf = settings_of(app)
    with Session(engine) as session:
        course = api_course(session, app, hanbit)
        before = _counts(session)
    try:
        with db.new_session(engine) as session, pytest.raises((ServiceBusy, DBAPIError)):
            services.issue_credential(
                session,
                conf,
                hanbit.issuer,
                CredentialCreate.model_validate(
                    {
                        "achievementId": course,
                        "recipient": {"email": unique_email("rollback"), "name": "롤백"},
                    }
                ),
                now=conf.clock(),
                actor="test",
            )
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("DROP TRIGGER refuse_badge" + (" ON credential" if postgres else ""))
            )
            if postgres:
                connection.execute(text("DROP FUNCTION refuse_badge()"))
    with Session(engine) as session:
        assert _counts(session) == before


def api_course(session: Session, app: Flask, tenant: Tenant) -> str:
    """An achievement of ``tenant`` (made through the API)."""
    with app.test_client() as client:
        return str(Api(client, tenant).achievement("롤백 과정")["uuid"])


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        len(session.exec(select(OutboxMail.id)).all()),
        len(session.exec(select(Credential.id)).all()),
        len(session.exec(select(WalletToken.id)).all()),
    )


def test_sent_once_however_often_and_concurrently_send_due_runs(
    app: Flask,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    """Four senders at once, then two more passes: each mail arrives exactly once, with the
    Message-ID its row was given."""
    received, _ = sink
    addresses = [unique_email("once") for _ in range(12)]
    ids = _queue(app, *addresses)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            start.wait()
            with _work(app) as work:
                outbox.send_due(work)
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    for _ in range(2):
        with _work(app) as work:
            assert outbox.send_due(work) == 0
    with _work(app) as work:
        assert not outbox.send_one(work, ids[0])
    for outbox_id, address in zip(ids, addresses, strict=True):
        (message,) = _received(received, address)
        row = _row(app, outbox_id)
        assert (row.state, row.attempts, row.sealed) == ("sent", 1, None)
        assert message["Message-ID"] == row.message_id


def test_queueing_twice_with_one_key_queues_once(app: Flask) -> None:
    """The key makes queueing idempotent."""
    address = unique_email("twice")
    (outbox_id,) = _queue(app, address)
    assert _queue(app, address) == []
    with _work(app) as work:
        assert outbox.send_one(work, outbox_id)


def test_server_down_is_retried_later_with_backoff(
    app: Flask,
    sink: tuple[Sink, int],  # noqa: F811
    clock: Clock,
) -> None:
    """A refused session leaves the mail pending, due after the backoff; once the server is
    back and the time has come, it goes out (once)."""
    received, _ = sink
    address = unique_email("retry")
    received.refuse = True
    try:
        (outbox_id,) = _queue(app, address)
        with _work(app) as work:
            assert outbox.send_due(work) == 0
        row = _row(app, outbox_id)
        assert (row.state, row.attempts) == ("pending", 1)
        assert row.last_error is not None
        assert "421" in row.last_error
        assert row.next_attempt_at - row.created_at >= outbox.backoff(1) - timedelta(seconds=5)
        with _work(app) as work, pytest.raises(outbox.MailNotSent):
            outbox.send_one(work, outbox_id)
        assert _row(app, outbox_id).attempts == 2
    finally:
        received.refuse = False
    with _work(app) as work:
        assert outbox.send_due(work) == 0  # not due yet
    assert _received(received, address) == []
    clock.offset += outbox.backoff(2) + timedelta(seconds=1)
    with _work(app) as work:
        assert outbox.send_due(work) >= 1
    assert len(_received(received, address)) == 1
    row = _row(app, outbox_id)
    assert (row.state, row.attempts, row.sealed) == ("sent", 3, None)


def test_a_recipient_refused_for_good_is_given_up_and_wiped(
    app: Flask,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    """A 5xx for the recipient is not retried: the row is failed, its message wiped, and
    the error kept without the server's text (which quotes the address)."""
    received, _ = sink
    address = unique_email("nobody")
    received.reject.add(address)
    (outbox_id,) = _queue(app, address)
    with _work(app) as work, pytest.raises(outbox.MailNotSent):
        outbox.send_one(work, outbox_id)
    row = _row(app, outbox_id)
    assert (row.state, row.sealed) == ("failed", None)
    assert row.last_error is not None
    assert "550" in row.last_error
    assert address not in row.last_error


def test_a_lapsed_claim_is_sent_by_the_next_pass(
    app: Flask,
    sink: tuple[Sink, int],  # noqa: F811
    clock: Clock,
) -> None:
    """A sender that died holding a claim leaves the mail to the next pass once the claim
    lapses, never before."""
    received, _ = sink
    address = unique_email("lapsed")
    (outbox_id,) = _queue(app, address)
    engine = db.engine_of(app)
    with db.new_session(engine) as session, db.write_transaction(session):
        row = session.get(OutboxMail, outbox_id)
        assert row is not None
        row.state, row.attempts = "sending", 1
        row.lease_until = clock() + outbox.LEASE
        session.add(row)
    with _work(app) as work:
        outbox.send_due(work)
    assert _received(received, address) == []
    clock.offset += outbox.LEASE + timedelta(seconds=1)
    with _work(app) as work:
        assert outbox.send_due(work) >= 1
    assert len(_received(received, address)) == 1


def test_mail_commands_report_and_send(
    app: Flask,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    """``baeji mail status`` counts the rows by state; ``baeji mail send`` sends what is due."""
    received, _ = sink
    address = unique_email("cron")
    _queue(app, address)
    runner = CliRunner()
    status = runner.invoke(baeji, ["mail", "status", "--json"], obj=app)
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["pending"] >= 1
    sent = runner.invoke(baeji, ["mail", "send"], obj=app)
    assert sent.exit_code == 0, sent.output
    assert len(_received(received, address)) == 1
    after = json.loads(runner.invoke(baeji, ["mail", "status", "--json"], obj=app).output)
    assert after["pending"] == 0
