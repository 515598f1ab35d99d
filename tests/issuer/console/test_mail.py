"""The console's e-mail: invitations, wallet links after issuing, and the wallet e-mail resent."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlmodel import select

from issuer import db, settings_of
from issuer.models import Credential
from tests.issuer.conftest import BASE_URL, Tenant, unique_email
from tests.issuer.console.conftest import HOST, Staff, create_staff
from tests.issuer.test_mail import Sink, mailing_app_fixture, sink  # noqa: F401  (the SMTP sink)

app = mailing_app_fixture(
    "The console on its HTTPS origin, mailing through the sink.",
    SERVER_NAME=HOST,
    PREFERRED_URL_SCHEME="https",
)


@pytest.fixture(scope="module")
def owner(app: Flask, hanbit: Tenant) -> Staff:
    return create_staff(app, "hanbit", "owner")


def _course(owner: Staff) -> str:
    made = owner.post(
        "/console/courses/new", {"name": "메일 과정", "description": "d", "narrative": "n"}
    )
    return str(made.headers["Location"]).split("/console/courses/")[1].split("?")[0]


def test_invitation_is_mailed(owner: Staff, sink: tuple[Sink, int]) -> None:  # noqa: F811
    received, _ = sink
    address = unique_email("invitee")
    page = owner.post("/console/settings/staff", {"email": address, "role": "viewer"})
    shown = re.search(r'<code id="invite-link">([^<]+)</code>', page.text)
    assert shown
    (message,) = received.to(address)
    assert shown.group(1) in message.get_content()
    assert "한빛 아카데미" in message["Subject"]


def test_issue_one_mails_the_learner_and_warns_about_a_holder(
    app: Flask,
    owner: Staff,
    sink: tuple[Sink, int],  # noqa: F811
) -> None:
    received, _ = sink
    course = _course(owner)
    address = unique_email("one")
    first = owner.post("/console/issue", {"course": course, "email": address, "name": "김"})
    assert first.status_code == 200
    received.to(address)
    again = owner.post("/console/issue", {"course": course, "email": address, "name": "김"})
    assert again.status_code == 409
    assert 'id="holds"' in again.text
    retake = owner.post(
        "/console/issue", {"course": course, "email": address, "name": "김", "again": "1"}
    )
    assert retake.status_code == 200
    with db.new_session(db.engine_of(app)) as session:
        rows = session.exec(select(Credential).where(Credential.achievement_id == course)).all()
    assert len(rows) == 2

    resent = owner.post(
        f"/console/badges/{rows[0].id}/resend", {"email": address}, form="/console/badges"
    )
    assert resent.status_code == 302
    # The page says the mail is queued (a job sends it), not that it was sent.
    shown = owner.get(resent.headers["Location"], headers={"Accept-Language": "en"})
    assert "queued; it goes out in a moment" in shown.text
    assert "was sent" not in shown.text
    korean = owner.get(resent.headers["Location"], headers={"Accept-Language": "ko"})
    assert "곧 발송됩니다" in korean.text
    # The first badge's mail, the retake's, and the one resent.
    mails = received.to(address, 3)
    assert all(f"{BASE_URL}/wallet/" in m.get_content() for m in mails)
    count = len(received.messages)
    wrong = owner.post(
        f"/console/badges/{rows[0].id}/resend", {"email": unique_email()}, form="/console/badges"
    )
    assert wrong.status_code == 422
    assert len(received.messages) == count


def test_issue_one_renews_an_expired_badge_without_asking(app: Flask, owner: Staff) -> None:
    """The console counts holders as the issuing service does: an expired badge is not held,
    so the console neither warns about it nor has the service refuse it."""
    course = _course(owner)
    address = unique_email("expired")
    form = {"course": course, "email": address, "name": "박"}
    assert owner.post("/console/issue", form).status_code == 200
    with db.new_session(db.engine_of(app)) as session, db.write_transaction(session):
        row = session.exec(select(Credential).where(Credential.achievement_id == course)).one()
        row.valid_until = settings_of(app).clock().replace(year=2000)
        session.add(row)
    renewed = owner.post("/console/issue", form)
    assert renewed.status_code == 200
    assert 'id="holds"' not in renewed.text
    with db.new_session(db.engine_of(app)) as session:
        rows = session.exec(select(Credential).where(Credential.achievement_id == course)).all()
    assert len(rows) == 2
