"""The operator console's e-mail: a new provider's owner gets their invitation by mail."""

from __future__ import annotations

import re
import secrets

from flask import Flask

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
