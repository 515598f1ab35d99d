"""The outbox's workflows: queue a mail in the caller's transaction, send it later, retry.

Queueing (:func:`queue`) writes a row in the open transaction of the caller's session, so a
mail exists exactly when the badge (invitation, link...) it is about was committed. It does
nothing when no SMTP server is configured (``BAEJI_SMTP_URL``): no mail would ever leave,
so none is kept. A row's ``key`` makes queueing idempotent.

Each queueing also enqueues one ``outbox.send`` job (:mod:`issuer.jobs`) in the same
transaction, naming the rows it wrote: the job sends them after the commit (in this process
on SQLite, on ``baeji worker`` with PostgreSQL) and is retried with backoff while a row is
due again. :func:`send_due` sends whatever is due (``baeji mail send``, commands).

Sending (:func:`send_one`, :func:`send_many`, :func:`send_due`) claims a row before talking
SMTP (an atomic ``UPDATE ... WHERE state = 'pending'``, so two senders never both take it;
a claim lapses after :data:`LEASE`, so a sender that died leaves nothing stuck), sends it,
then marks it ``sent`` and wipes the sealed message. A failure sets ``next_attempt_at`` by
exponential backoff (:func:`backoff`) and records what kind of failure it was (never the
server's text, which may quote the address); after :data:`MAX_ATTEMPTS`, or when the
server refuses the message for good (5xx), the row is ``failed`` and wiped too.

SMTP has no exactly-once: a sender that dies after the server took the message and before
the row says ``sent`` sends it again once the claim lapses. The ``Message-ID`` is fixed when
the row is written, so that second copy is the same message to mail software.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.policy import default as default_policy
from email.utils import parseaddr
from typing import cast

from sqlalchemy import and_, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from issuer.config import Settings
from issuer.db import Work
from issuer.jobs import service as jobs
from issuer.outbox import transport
from issuer.outbox.models import FAILED, PENDING, SENDING, SENT, OutboxMail
from keys import KeyManagementError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
# How long a claim holds: longer than a few SMTP timeouts.
LEASE = timedelta(minutes=5)
# Rows claimed per pass of send_due.
_CHUNK = 50
# session.info flag: this session queued mail (a command sends it after its commit).
_QUEUED = "baeji_outbox_queued"
# The job that sends what one transaction queued.
SEND_JOB = "outbox.send"


class MailNotSent(Exception):
    """Some mail could not be sent this time and is due again later.

    Attributes:
        ids: the rows still waiting to be sent.
        sent: how many of the others were sent.
    """

    def __init__(self, ids: Sequence[int], sent: int) -> None:
        super().__init__(f"{len(ids)} e-mail(s) not sent yet (outbox ids {list(ids)[:10]})")
        self.ids = list(ids)
        self.sent = sent


@dataclass(frozen=True)
class Mail:
    """A message to queue, with its idempotency ``key`` and what it is (``kind``)."""

    message: EmailMessage
    key: str
    kind: str
    issuer_id: int | None = None


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 1, 2, 4... minutes, at most 6 h."""
    wait: timedelta = FIRST_RETRY * (2 ** max(0, attempts - 1))
    return min(wait, LONGEST_RETRY)


def _label(key: str) -> str:
    return f"outbox:{key}"


def _domain(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return address.rsplit("@", 1)[-1] if "@" in address else "localhost"


def queue(work: Work, mails: Sequence[Mail]) -> list[int]:
    """Write ``mails`` to the outbox in ``work``'s open transaction; return the new ids.

    Does nothing without an SMTP server configured. A mail whose key is already queued
    (or sent) is left as it is and not returned.
    """
    session, settings, now = work.session, work.settings, work.now
    if not settings.smtp_url or not mails:
        return []
    values = []
    for mail in mails:
        message = mail.message
        message_id = f"<{uuid.uuid4()}@{_domain(settings)}>"
        del message["Message-ID"]
        message["Message-ID"] = message_id
        values.append(
            {
                "key": mail.key,
                "kind": mail.kind,
                "issuer_id": mail.issuer_id,
                "message_id": message_id,
                "sealed": settings.master_key.seal_data(
                    message.as_bytes(policy=SMTP_POLICY), label=_label(mail.key)
                ),
                "state": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    ids: list[int] = []
    for start in range(0, len(values), 500):
        statement = (
            insert(OutboxMail)
            .values(values[start : start + 500])
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(col(OutboxMail.id))
        )
        ids.extend(int(row) for row in session.execute(statement).scalars())
    session.info[_QUEUED] = True
    if ids:
        jobs.enqueue(
            # The platform's job (no tenant): mail goes out for every provider alike.
            replace(work, actor="outbox", issuer=None),
            SEND_JOB,
            {"ids": ids},
            key=f"outbox:{ids[0]}",
            total=len(ids),
        )
    return ids


def queued_in(session: Session) -> bool:
    """Whether ``session`` queued mail (for an edge to send it once committed)."""
    return bool(session.info.get(_QUEUED))


def _claim(work: Work, outbox_id: int, *, due_only: bool) -> OutboxMail | None:
    """Take the row for sending at ``work.now`` in one committed write; ``None`` if it is
    not ours to send."""
    session, now = work.session, work.now
    claimable = or_(
        col(OutboxMail.state) == PENDING,
        and_(col(OutboxMail.state) == SENDING, col(OutboxMail.lease_until) < now),
    )
    condition = and_(col(OutboxMail.id) == outbox_id, claimable)
    if due_only:
        condition = and_(condition, col(OutboxMail.next_attempt_at) <= now)
    with work.write():
        claimed = session.execute(
            update(OutboxMail)
            .where(condition)
            .values(
                state=SENDING,
                attempts=OutboxMail.attempts + 1,
                lease_until=now + LEASE,
            )
            .execution_options(synchronize_session=False)
        )
        if cast(int, getattr(claimed, "rowcount", 0)) != 1:
            return None
        row = session.exec(select(OutboxMail).where(col(OutboxMail.id) == outbox_id)).one()
        session.expunge(row)
    return row


def _finish(work: Work, row: OutboxMail, error: str | None, *, permanent: bool) -> str:
    """Record the outcome of a claimed row's try at ``work.now``; return its new state."""
    now = work.now
    values: dict[str, object] = {"last_error": error}
    if error is None:
        state = SENT
        values["sent_at"] = now
    elif permanent or row.attempts >= MAX_ATTEMPTS:
        state = FAILED
    else:
        state = PENDING
        values["next_attempt_at"] = now + backoff(row.attempts)
    if state != PENDING:
        # Sent or given up: the address and the link are no longer needed.
        values["sealed"] = None
    with work.write():
        work.session.execute(
            update(OutboxMail)
            .where(
                col(OutboxMail.id) == row.pk,
                col(OutboxMail.state) == SENDING,
                col(OutboxMail.attempts) == row.attempts,
            )
            .values(state=state, lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
    return state


def _open(settings: Settings, row: OutboxMail) -> EmailMessage:
    return message_from_bytes(
        settings.master_key.unseal_data(row.sealed or b"", label=_label(row.key)),
        policy=default_policy,
    )


def _send_claimed(
    work: Work, row: OutboxMail, mailer: transport.Mailer
) -> tuple[str, transport.DeliveryError | None]:
    """Send a claimed row and record the outcome; return its state and the failure."""
    # The outcome is dated when the try starts (a job may run long after its unit began).
    tried = work.at(work.settings.clock())
    try:
        message = _open(work.settings, row)
    except KeyManagementError as err:
        state = _finish(tried, row, f"cannot open the sealed message: {err.code}", permanent=True)
        log.error("outbox mail %s cannot be opened (%s); given up", row.pk, err.code)
        return state, transport.MessageRefused("sealed message unreadable", permanent=True)
    try:
        mailer.send(message)
    except transport.DeliveryError as err:
        state = _finish(tried, row, str(err), permanent=err.permanent)
        log.warning(
            "outbox mail %s not sent (attempt %d, now %s): %s", row.pk, row.attempts, state, err
        )
        return state, err
    _finish(tried, row, None, permanent=False)
    return SENT, None


def send_one(work: Work, outbox_id: int) -> bool:
    """Send the outbox row ``outbox_id`` now if it waits to be sent; return whether it was.

    Idempotent: a row already sent (or given up, or being sent by someone else) is left
    alone and ``False`` is returned. A pending row is sent even before its
    ``next_attempt_at`` (the caller asked for this one: a job's own retry schedule).

    Raises:
        MailNotSent: the try failed and the row is due again later (a row given up for
            good, after a 5xx or its last attempt, returns ``False`` instead).
    """
    return send_many(work, [outbox_id]) == 1


def send_many(work: Work, outbox_ids: Sequence[int]) -> int:
    """Send the rows ``outbox_ids`` that wait to be sent, over one SMTP connection, as
    :func:`send_one` does each; return how many were sent.

    Raises:
        MailNotSent: some row failed and is due again later (the others were still tried,
            unless the server could not be reached at all).
    """
    if not work.settings.smtp_url:
        return 0
    sent = 0
    retry: list[int] = []
    with transport.Mailer(work.settings.smtp_url) as mailer:
        for position, outbox_id in enumerate(outbox_ids):
            row = _claim(work.at(work.settings.clock()), outbox_id, due_only=False)
            if row is None:
                continue
            state, error = _send_claimed(work, row, mailer)
            sent += state == SENT
            if state == PENDING:
                retry.append(outbox_id)
            if isinstance(error, transport.ServerUnavailable):
                retry.extend(outbox_ids[position + 1 :])
                break
    if retry:
        raise MailNotSent(retry, sent)
    return sent


@jobs.handler(SEND_JOB)
def _send_job(work: Work, run: jobs.JobRun) -> dict[str, int]:
    """The ``outbox.send`` job: send the rows one transaction queued; those that could not
    go now get a follow-up job at their next attempt time (the outbox's own backoff, so a
    mail outlives an SMTP outage of any length with no cron)."""
    ids = [int(i) for i in run.payload.get("ids", [])]
    try:
        sent = send_many(work, ids)
    except MailNotSent as waiting:
        sent = waiting.sent
        _send_later(work, waiting.ids)
    # Rows whose own jobs gave up before the server came back ride along with new mail
    # (and with `baeji mail send`, where cron runs it).
    return {"sent": sent, "due": send_due(work)}


def _send_later(work: Work, ids: Sequence[int]) -> None:
    """Enqueue the sending of the rows ``ids`` that still wait, when the earliest of them is
    due (at least one backoff step from now: rows a dead server left untried are not due
    sooner than the one that failed)."""
    with work.write():
        rows = work.session.exec(
            select(OutboxMail.next_attempt_at, OutboxMail.attempts).where(
                col(OutboxMail.id).in_(ids), OutboxMail.state == PENDING
            )
        ).all()
        if not rows:
            return
        now = work.settings.clock()
        at = min(when or now for when, _ in rows)
        if at <= now:
            at = now + backoff(1)
        rounds = max(attempts for _, attempts in rows)
        jobs.enqueue(
            work, SEND_JOB, {"ids": list(ids)}, key=f"outbox:{ids[0]}:{rounds}", run_after=at
        )


def due_ids(work: Work, *, limit: int = _CHUNK, after: int = 0) -> list[int]:
    """The ids of rows due for sending at ``work.now`` (pending and due, or a lapsed claim)."""
    now = work.now
    rows = work.session.exec(
        select(OutboxMail.id)
        .where(
            col(OutboxMail.id) > after,
            or_(
                and_(col(OutboxMail.state) == PENDING, col(OutboxMail.next_attempt_at) <= now),
                and_(col(OutboxMail.state) == SENDING, col(OutboxMail.lease_until) < now),
            ),
        )
        .order_by(col(OutboxMail.id))
        .limit(limit)
    ).all()
    return [int(i) for i in rows if i is not None]


def send_due(work: Work) -> int:
    """Send every row due now over one SMTP connection; return how many were sent.

    Never raises for a mail failure: each failed row is rescheduled (or given up). When the
    server cannot be reached at all, the pass stops after that row (the others stay due
    and are tried on the next pass) rather than waiting for a dead server once per row.
    """
    if not work.settings.smtp_url:
        return 0
    sent = 0
    after = 0
    with transport.Mailer(work.settings.smtp_url) as mailer:
        while ids := due_ids(work.at(work.settings.clock()), after=after):
            for outbox_id in ids:
                after = outbox_id
                row = _claim(work.at(work.settings.clock()), outbox_id, due_only=True)
                if row is None:
                    continue
                state, error = _send_claimed(work, row, mailer)
                if isinstance(error, transport.ServerUnavailable):
                    return sent
                sent += state == SENT
    if sent:
        log.info("sent %d e-mail(s) from the outbox", sent)
    return sent


def counts(session: Session) -> dict[str, int]:
    """How many outbox rows are in each state."""
    rows = session.exec(
        select(OutboxMail.state, func.count()).group_by(col(OutboxMail.state))
    ).all()
    return {state: int(count) for state, count in rows}
