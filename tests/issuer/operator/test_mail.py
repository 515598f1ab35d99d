"""The operator console's e-mail: a new provider's owner gets their invitation by mail."""

from __future__ import annotations

import re
import secrets

import pytest
from flask import Flask
from sqlmodel import select

from issuer import db, settings_of
from issuer.models import Issuer
from issuer.operator import service as operators
from issuer.outbox.models import OutboxMail
from issuer.schemas import IssuerCreate
from tests.issuer.conftest import BASE_URL, unique_email
from tests.issuer.console.conftest import HOST
from tests.issuer.operator.conftest import Operator, create_operator
from tests.issuer.test_mail import Sink, mailing_app_fixture, sink  # noqa: F401  (the SMTP sink)

app = mailing_app_fixture(
    "The operator console on its HTTPS origin, mailing through the sink.",
    SERVER_NAME=HOST,
    PREFERRED_URL_SCHEME="https",
)


def test_registered_owner_gets_the_invitation_by_mail(
    app: Flask,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    received, _ = sink
    operator: Operator = create_operator(app)
    owner = unique_email("owner")
    page = operator.post(
        "/operator/providers/new",
        {"slug": f"mail-{secrets.token_hex(3)}", "name": "메일 교육원", "owner_email": owner},
    )
    assert page.status_code == 200, page.text
    shown = re.search(r'<code id="invite-link">([^<]+)</code>', page.text)
    assert shown is not None
    assert shown.group(1).startswith(f"{BASE_URL}/console/set-password/")
    (message,) = received.to(owner)  # queued with the registration, sent by a job
    assert "메일 교육원" in message["Subject"]
    assert shown.group(1) in message.get_content()


def _register_then_fail(app: Flask, slug: str, owner: str) -> None:
    """Register a provider (its invitation queued) in a unit that then fails."""
    engine = db.engine_of(app)
    with (
        db.unit_of_work(engine, settings_of(app), actor="operator:test") as work,
        work.write(),
    ):
        done = operators.register_provider(
            work, IssuerCreate(slug=slug, name="원자 교육원"), owner_email=owner
        )
        queued = work.session.exec(
            select(OutboxMail).where(OutboxMail.issuer_id == done.issuer.pk)
        ).all()
        assert [row.kind for row in queued] == ["staff.invite"]
        raise RuntimeError("rolled back")


def test_the_invitation_is_queued_with_the_registration(app: Flask) -> None:
    """Registering and queueing the owner's mail are one transaction: when the unit that
    registers rolls back, neither the provider nor its invitation mail exists."""
    slug = f"atomic-{secrets.token_hex(3)}"
    before = _invitations(app)
    with pytest.raises(RuntimeError, match="rolled back"):
        _register_then_fail(app, slug, unique_email("atomic"))
    assert _invitations(app) == before
    with db.new_session(db.engine_of(app)) as session:
        assert session.exec(select(Issuer).where(Issuer.slug == slug)).first() is None


def _invitations(app: Flask) -> int:
    with db.new_session(db.engine_of(app)) as session:
        return len(
            session.exec(select(OutboxMail.id).where(OutboxMail.kind == "staff.invite")).all()
        )
