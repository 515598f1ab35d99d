"""The e-mail outbox: written with the badge, sent once, retried when the server is down.

A real SMTP conversation with the sink of :mod:`tests.issuer.test_mail` on 127.0.0.1. Each
queueing enqueues an ``outbox.send`` job, which this process runs at once (``JOBS=process``;
its retries wait an hour here, so they never race the tests' own sends). The clock the
outbox reads is the app's (``CLOCK``), moved forward to make retries due.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import replace
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
from issuer.jobs import service as jobs
from issuer.jobs.models import Job
from issuer.models import Credential, WalletToken
from issuer.outbox import service as outbox
from issuer.outbox.models import OutboxMail
from issuer.schemas import CredentialCreate
from tests.issuer.conftest import Api, Tenant, unique_email
from tests.issuer.test_mail import Sink, mailing_app, sink  # noqa: F401  (the SMTP sink)
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
    yield from mailing_app(
        database_url,
        tmp_path_factory,
        sink,
        CLOCK=clock,
        JOB_BACKOFF=3600,
    )


@pytest.fixture
def down(sink: tuple[Sink, int]) -> Iterator[Sink]:  # noqa: F811
    """The SMTP server refuses every session until the test sets ``refuse`` back."""
    sink[0].refuse = True
    yield sink[0]
    sink[0].refuse = False


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
        return outbox.queue(work, mails)


def _row(app: Flask, outbox_id: int) -> OutboxMail:
    with db.new_session(db.engine_of(app)) as session:
        return session.exec(select(OutboxMail).where(col(OutboxMail.id) == outbox_id)).one()


def _tried(app: Flask, outbox_id: int, *, timeout: float = 20.0) -> OutboxMail:
    """The row, once its job's first try is over."""
    deadline = time.monotonic() + timeout
    while True:
        row = _row(app, outbox_id)
        if (row.attempts and row.state != "sending") or time.monotonic() > deadline:
            assert row.attempts, "the job never tried"
            return row
        time.sleep(0.02)


def _job(app: Flask, key: str, *, timeout: float = 20.0) -> Job:
    """The job enqueued under ``key``, once it exists."""
    deadline = time.monotonic() + timeout
    while True:
        with db.new_session(db.engine_of(app)) as session:
            found = session.exec(select(Job).where(Job.key == key)).first()
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"no job {key!r}"
        time.sleep(0.02)


def test_issuing_writes_one_row_and_one_job_with_the_badge(
    app: Flask,
    api: Api,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    """A badge issued has exactly one outbox row, keyed by the badge, and one job that sends
    it; once sent, the message is wiped and its Message-ID is the row's."""
    received, _ = sink
    address = unique_email("sealed")
    issued = api.issue(api.achievement()["uuid"], address)
    (message,) = received.to(address)
    with db.new_session(db.engine_of(app)) as session:
        row = session.exec(
            select(OutboxMail).where(OutboxMail.key == f"credential.issued:{issued['uuid']}")
        ).one()
        job = jobs.find_by_key(session, f"outbox:{row.id}")
    assert job is not None
    assert (job.name, jobs.payload_of(job)) == ("outbox.send", {"ids": [row.id]})
    assert jobs.wait(db.engine_of(app), job.pk).state == "done"
    row = _row(app, row.pk)
    assert (row.state, row.sealed) == ("sent", None)
    assert row.sent_at is not None
    assert message["Message-ID"] == row.message_id
    assert "/wallet/" in message.get_content()


def test_queued_mail_is_sealed_until_sent(app: Flask, down: Sink) -> None:
    """What waits in the outbox is ciphertext: no address, no link, no subject."""
    address = unique_email("waiting")
    (outbox_id,) = _queue(app, address)
    row = _tried(app, outbox_id)
    assert row.state == "pending"
    assert row.sealed is not None
    for secret in (address, "secret-token-in-the-body", "시험"):
        assert secret.encode() not in row.sealed
    down.refuse = False
    with _work(app) as work:
        assert outbox.send_one(work, outbox_id)
    assert _row(app, outbox_id).sealed is None


def test_a_badge_rolled_back_leaves_no_mail(app: Flask, hanbit: Tenant, database_url: str) -> None:
    """The outbox row is written in the badge's transaction: when storing the badge fails
    (here the database refuses the credential row), no mail, job or wallet link remain."""
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
    with app.test_client() as client:
        course = str(Api(client, hanbit).achievement("롤백 과정")["uuid"])
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    conf = settings_of(app)
    with Session(engine) as session:
        before = _counts(session)
    try:
        with db.new_session(engine) as session, pytest.raises((ServiceBusy, DBAPIError)):
            services.issue_credential(
                Work(session, conf, conf.clock(), "test", hanbit.issuer),
                CredentialCreate.model_validate(
                    {
                        "achievementId": course,
                        "recipient": {"email": unique_email("rollback"), "name": "롤백"},
                    }
                ),
            )
    finally:
        with engine.begin() as connection:
            on_table = " ON credential" if postgres else ""
            connection.execute(text(f"DROP TRIGGER refuse_badge{on_table}"))
            if postgres:
                connection.execute(text("DROP FUNCTION refuse_badge()"))
    with Session(engine) as session:
        assert _counts(session) == before


def _counts(session: Session) -> tuple[int, ...]:
    return (
        len(session.exec(select(OutboxMail.id)).all()),
        len(session.exec(select(Credential.id)).all()),
        len(session.exec(select(WalletToken.id)).all()),
        len(session.exec(select(Job.id)).all()),
    )


def test_sent_once_however_often_and_concurrently_senders_run(
    app: Flask,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    """The job and four more senders at once, then two more passes: each mail arrives
    exactly once, with the Message-ID its row was given."""
    received, _ = sink
    addresses = [unique_email("once") for _ in range(12)]
    start = threading.Barrier(5)
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
    start.wait()
    ids = _queue(app, *addresses)
    for thread in threads:
        thread.join(60)
    assert errors == []
    for address in addresses:
        received.to(address)
    for _ in range(2):
        with _work(app) as work:
            outbox.send_due(work)
    with _work(app) as work:
        assert not outbox.send_one(work, ids[0])
    for outbox_id, address in zip(ids, addresses, strict=True):
        (message,) = received.to(address)
        row = _row(app, outbox_id)
        assert (row.state, row.attempts, row.sealed) == ("sent", 1, None)
        assert message["Message-ID"] == row.message_id


def test_queueing_twice_with_one_key_queues_once(
    app: Flask,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    """The key makes queueing idempotent."""
    address = unique_email("twice")
    assert len(_queue(app, address)) == 1
    assert _queue(app, address) == []
    assert len(sink[0].to(address)) == 1


def test_server_down_is_retried_later_with_backoff(app: Flask, down: Sink, clock: Clock) -> None:
    """A refused session leaves the mail pending, due after the backoff; once the server is
    back and the time has come, it goes out (once)."""
    address = unique_email("retry")
    (outbox_id,) = _queue(app, address)
    row = _tried(app, outbox_id)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error is not None
    assert "421" in row.last_error
    assert row.next_attempt_at - row.created_at >= outbox.backoff(1) - timedelta(seconds=5)
    # The job's next try waits for the outbox's own backoff, as a queued job: no cron needed.
    follow_up = _job(app, f"outbox:{outbox_id}:1")
    assert follow_up.state == "queued"
    assert follow_up.run_after == row.next_attempt_at
    assert json.loads(follow_up.payload) == {"ids": [outbox_id]}
    with _work(app) as work, pytest.raises(outbox.MailNotSent):
        outbox.send_one(work, outbox_id)
    assert _row(app, outbox_id).attempts == 2
    down.refuse = False
    with _work(app) as work:
        outbox.send_due(work)  # not due yet
    assert _row(app, outbox_id).state == "pending"
    clock.offset += outbox.backoff(2) + timedelta(seconds=1)
    with _work(app) as work:
        assert outbox.send_due(work) >= 1
    assert len(down.to(address)) == 1
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
    row = _tried(app, outbox_id)
    assert (row.state, row.sealed, row.attempts) == ("failed", None, 1)
    assert row.last_error is not None
    assert "550" in row.last_error
    assert address not in row.last_error
    with _work(app) as work:
        assert not outbox.send_one(work, outbox_id)


def test_a_lapsed_claim_is_sent_by_the_next_pass(app: Flask, down: Sink, clock: Clock) -> None:
    """A sender that died holding a claim leaves the mail to the next pass once the claim
    lapses, never before."""
    address = unique_email("lapsed")
    (outbox_id,) = _queue(app, address)
    _tried(app, outbox_id)
    down.refuse = False
    with db.new_session(db.engine_of(app)) as session, db.write_transaction(session):
        row = session.get(OutboxMail, outbox_id)
        assert row is not None
        row.state, row.next_attempt_at = "sending", clock()
        row.lease_until = clock() + outbox.LEASE
        session.add(row)
    with _work(app) as work:
        outbox.send_due(work)
    assert _row(app, outbox_id).state == "sending"
    clock.offset += outbox.LEASE + timedelta(seconds=1)
    with _work(app) as work:
        sent = outbox.send_due(work)
    # Sent once, by this pass (or by the in-process job runner, which may take the lapsed
    # row first when the machine is busy: either way, one mail).
    row = _row(app, outbox_id)
    assert (row.state, row.sealed) == ("sent", None), (sent, row.state, row.last_error)
    assert len(down.to(address)) == 1


def test_mail_commands_report_and_send(app: Flask, down: Sink, clock: Clock) -> None:
    """``baeji mail status`` counts the rows by state; ``baeji mail send`` sends what is due."""
    address = unique_email("cron")
    (outbox_id,) = _queue(app, address)
    _tried(app, outbox_id)
    down.refuse = False
    runner = CliRunner()
    status = runner.invoke(baeji, ["mail", "status", "--json"], obj=app)
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["pending"] >= 1
    clock.offset += outbox.backoff(1) + timedelta(seconds=1)
    sent = runner.invoke(baeji, ["mail", "send"], obj=app)
    assert sent.exit_code == 0, sent.output
    assert len(down.to(address)) == 1
    after = json.loads(runner.invoke(baeji, ["mail", "status", "--json"], obj=app).output)
    assert after["pending"] == 0


def _queue_then_fail(work: Work, mail: outbox.Mail) -> None:
    with work.write():
        outbox.queue(work, [mail])
        raise RuntimeError("rolled back")


def test_on_the_queue_the_send_job_is_deferred_with_the_mail(app: Flask, database_url: str) -> None:
    """With PostgreSQL's queue (``baeji worker``), the mail's job is on procrastinate's queue
    in the same transaction as the row: committed together, or not at all."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the queue needs PostgreSQL")
    queued = replace(settings_of(app), jobs_mode="queue")
    engine = db.engine_of(app)
    address = unique_email("queue")
    mail = outbox.Mail(_message(address), key=f"test:{address}", kind="test")
    with db.unit_of_work(engine, queued, actor="test") as work:
        with pytest.raises(RuntimeError, match="rolled back"):
            _queue_then_fail(work, mail)
        with work.write():
            (outbox_id,) = outbox.queue(work, [mail])
    with db.new_session(engine) as session:
        job = jobs.find_by_key(session, f"outbox:{outbox_id}")
        assert job is not None
        on_queue = session.execute(
            text("SELECT count(*) FROM procrastinate_jobs WHERE lock = :lock"),
            {"lock": f"baeji-job-{job.pk}"},
        ).scalar_one()
        rows = session.exec(select(OutboxMail).where(OutboxMail.key == f"test:{address}")).all()
    assert on_queue == 1
    assert len(rows) == 1
