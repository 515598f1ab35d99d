"""Wallet links by e-mail: sent through a real SMTP conversation with a sink on 127.0.0.1.

Mail is queued with the badge and sent once the response was written (the WSGI server
closes the response); :class:`ClosingClient` closes each response as a server does.
"""

from __future__ import annotations

import base64
import email
import re
import socket
import socketserver
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select
from werkzeug.test import TestResponse

from issuer import db, settings_of
from issuer.outbox.models import OutboxMail
from tests.issuer.conftest import BASE_URL, Api, create_tenant, make_app, unique_email
from tests.serving import serving


@dataclass
class Sink:
    """What the SMTP sink received: messages, envelope recipients, and AUTH credentials.

    ``refuse`` set: the sink answers every new session with 421 (a server that is down);
    ``reject`` holds recipients it refuses for good (550).
    """

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refuse: bool = False
    reject: set[str] = field(default_factory=set)

    def to(self, address: str, count: int = 1, *, timeout: float = 20.0) -> list[EmailMessage]:
        """The messages to ``address``, once ``count`` of them arrived (mail is sent by a
        background job, after the request).

        Raises:
            AssertionError: fewer than ``count`` arrived within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in list(self.messages) if address in str(m["To"])]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"{len(found)} of {count} mail(s) to {address}"
                return found
            time.sleep(0.02)


class ClosingClient(FlaskClient):
    """A test client that closes each response, as a WSGI server does once it is written
    (so the mail a request queued is sent before the call returns)."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


class _Handler(socketserver.StreamRequestHandler):
    """Just enough ESMTP for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, QUIT."""

    sink: Sink

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        if self.sink.refuse:
            self._reply("421 sink is down")
            return
        self._reply("220 sink ESMTP")
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250-sink")
                self._reply("250-AUTH PLAIN")
                self._reply("250 8BITMIME")
            elif verb == "AUTH":
                # PLAIN: authorization id, user, password, separated by NUL.
                _, user, password = base64.b64decode(command.split()[2]).split(b"\0")
                self.sink.logins.append(f"{user.decode()}:{password.decode()}")
                self._reply("235 ok")
            elif verb == "RCPT":
                recipient = command.split(":", 1)[1].strip("<> ")
                if recipient in self.sink.reject:
                    self._reply(f"550 5.1.1 <{recipient}>: no such user")
                    continue
                self.sink.recipients.append(recipient)
                self._reply("250 ok")
            elif verb == "DATA":
                self._reply("354 go on")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                message = email.message_from_bytes(b"".join(lines), policy=default)
                assert isinstance(message, EmailMessage)
                self.sink.messages.append(message)
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("250 ok")


@pytest.fixture(scope="module")
def sink() -> Iterator[tuple[Sink, int]]:
    """An SMTP sink listening on a free port of 127.0.0.1."""
    received = Sink()
    handler = type("Handler", (_Handler,), {"sink": received})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    with serving(server):
        yield received, server.server_address[1]


def mailing_app(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    sink: tuple[Sink, int],
    **settings: Any,
) -> Iterator[Flask]:
    """A test module's app mailing through the SMTP ``sink`` (jobs run in process, each
    response closed as a server closes it), with more ``settings``; disposed of after.

    A module's ``app`` fixture is ``yield from mailing_app(...)``.
    """
    app = make_app(
        database_url,
        tmp_path_factory.mktemp("instance"),
        **{
            "SMTP_URL": f"smtp://127.0.0.1:{sink[1]}",
            "MAIL_FROM": "Baeji <badges@example.kr>",
            "JOBS": "process",
            **settings,
        },
    )
    app.test_client_class = ClosingClient
    yield app
    db.engine_of(app).dispose()


def mailing_app_fixture(doc: str, **settings: Any) -> Any:
    """A module-scoped ``app`` fixture of :func:`mailing_app` with ``settings``, described by
    ``doc``: a module says ``app = mailing_app_fixture(...)`` (and imports ``sink``)."""

    @pytest.fixture(scope="module")
    def app(
        database_url: str, tmp_path_factory: pytest.TempPathFactory, sink: tuple[Sink, int]
    ) -> Iterator[Flask]:
        yield from mailing_app(database_url, tmp_path_factory, sink, **settings)

    app.__doc__ = doc
    return app


@pytest.fixture(scope="module")
def app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, sink: tuple[Sink, int]
) -> Iterator[Flask]:
    """The service, configured to mail wallet links through the sink."""
    yield from mailing_app(
        database_url,
        tmp_path_factory,
        sink,
        SMTP_URL=f"smtp://baeji:s%40cret@127.0.0.1:{sink[1]}",
        # Batches of more rows run as a job (test_a_batch_run_as_a_job_mails_each_learner).
        JOB_BATCH_THRESHOLD=3,
    )


def test_issuing_mails_a_full_wallet_link(
    sink: tuple[Sink, int], client: FlaskClient, api: Api, other_api: Api
) -> None:
    """After issuing, the learner gets one e-mail with a link of their own to the whole
    wallet (every provider's badges and the record), not the provider's scoped link."""
    received, _port = sink
    address = unique_email("mail")
    earlier = other_api.issue(other_api.achievement("MLOps 모델 배포 심화")["uuid"], address)
    issued = api.issue(api.achievement("생성형 AI 서비스 개발")["uuid"], address, "김민준")
    # One mail for each badge: the other provider's, then this one.
    (message,) = [m for m in received.to(address, 2) if "생성형" in m["Subject"]]
    assert address in received.recipients
    assert "baeji:s@cret" in received.logins
    assert message["To"] == f"김민준 <{address}>"
    assert message["From"] == "Baeji <badges@example.kr>"
    assert "생성형 AI 서비스 개발" in message["Subject"]
    body = message.get_content()
    assert "한빛 아카데미" in body
    assert issued["walletUrl"] not in body
    (link,) = set(re.findall(rf"{re.escape(BASE_URL)}/wallet/[A-Za-z0-9_-]+", body))
    wallet = client.get(link.removeprefix(BASE_URL), headers={"Accept": "application/json"}).json
    assert wallet is not None
    assert wallet["scope"] == "full"
    assert {c["id"] for c in wallet["credentials"]} == {earlier["id"], issued["id"]}
    assert client.get(link.removeprefix(BASE_URL) + "/clr.json").status_code == 200
    scoped = client.get(issued["walletUrl"].removeprefix(BASE_URL), headers={"Accept": "*/*"}).json
    assert scoped is not None
    assert [c["id"] for c in scoped["credentials"]] == [issued["id"]]


def test_batches_mail_each_learner_and_replays_mail_nobody(
    app: Flask, sink: tuple[Sink, int], api: Api
) -> None:
    """A batch mails every row's learner once; an idempotent replay sends nothing again."""
    received, _port = sink
    course = api.achievement()["uuid"]
    rows = [{"recipient": {"email": unique_email("batch"), "name": "김학습"}} for _ in range(3)]
    body = {"achievementId": course, "credentials": rows}
    headers = {"Idempotency-Key": "mail-batch"}
    first = api.post("/api/v1/credentials/batch", json=body, headers=headers)
    assert first.status_code == 201
    for row in rows:
        received.to(row["recipient"]["email"])
    with db.new_session(db.engine_of(app)) as session:
        queued = len(session.exec(select(OutboxMail.id)).all())
    again = api.post("/api/v1/credentials/batch", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    with db.new_session(db.engine_of(app)) as session:
        assert len(session.exec(select(OutboxMail.id)).all()) == queued
    for row in rows:
        assert len(received.to(row["recipient"]["email"])) == 1


def test_a_batch_run_as_a_job_mails_each_learner_once(
    app: Flask, sink: tuple[Sink, int], api: Api
) -> None:
    """A batch above the job threshold queues each chunk's mail with its badges: every
    learner gets one mail once the job is done."""
    received, _ = sink
    course = api.achievement()["uuid"]
    rows = [{"recipient": {"email": unique_email("job"), "name": "이학습"}} for _ in range(5)]
    accepted = api.post(
        "/api/v1/credentials/batch", json={"achievementId": course, "credentials": rows}
    )
    assert accepted.status_code == 202, accepted.json
    for row in rows:
        assert len(received.to(row["recipient"]["email"])) == 1


def test_a_dead_mail_server_never_fails_an_issuance(tmp_path: Path) -> None:
    """With the SMTP server unreachable, issuing still answers 201 (the link is in the answer)
    and the mail stays in the outbox, due again later."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    offline = make_app(
        f"sqlite:///{tmp_path / 'offline.db'}",
        tmp_path,
        SMTP_URL=f"smtp://127.0.0.1:{closed_port}",
        JOB_BACKOFF=3600,
    )
    offline.test_client_class = ClosingClient
    tenant = create_tenant(offline, "offline", "오프라인 아카데미")
    with offline.test_client() as offline_client:
        api = Api(offline_client, tenant)
        issued = api.issue(api.achievement()["uuid"], unique_email())
    assert issued["walletUrl"]
    row = _tried(offline)
    assert (row.state, row.attempts, row.sent_at) == ("pending", 1, None)
    assert row.sealed is not None
    assert row.last_error is not None
    assert "ConnectionRefusedError" in row.last_error
    db.engine_of(offline).dispose()


def _tried(app: Flask, *, timeout: float = 20.0) -> OutboxMail:
    """The app's one outbox row, once its job tried to send it."""
    deadline = time.monotonic() + timeout
    while True:
        with db.new_session(db.engine_of(app)) as session:
            row = session.exec(select(OutboxMail)).one()
        if (row.attempts and row.lease_until is None) or time.monotonic() > deadline:
            return row
        time.sleep(0.02)


def test_no_smtp_url_means_no_mail(tmp_path: Path) -> None:
    """Without BAEJI_SMTP_URL nothing is sent (and nothing is attempted)."""
    quiet = make_app(f"sqlite:///{tmp_path / 'quiet.db'}", tmp_path)
    assert settings_of(quiet).smtp_url is None
    tenant = create_tenant(quiet, "quiet", "조용한 아카데미")
    with quiet.test_client() as quiet_client:
        api = Api(quiet_client, tenant)
        issued = api.issue(api.achievement()["uuid"], unique_email())
    assert issued["walletUrl"]
    with db.new_session(db.engine_of(quiet)) as session:
        assert session.exec(select(OutboxMail)).all() == []
    db.engine_of(quiet).dispose()
