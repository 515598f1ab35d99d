"""Operator console fixtures: the HTTPS app of the console tests, operators and providers'
staff made with the CLI, each a browser client that keeps its cookies."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from werkzeug.test import TestResponse

from tests.issuer.conftest import BASE_URL, unique_email
from tests.issuer.console.conftest import PASSWORD, Staff
from tests.issuer.console.conftest import app as app  # the console's HTTPS app, per module
from verify.cli import main as baeji


class Operator(Staff):
    """A browser of one platform operator (signs in at /operator/login)."""

    def __init__(self, app: Flask, email: str) -> None:
        super().__init__(app, email)
        self.client.environ_base["HTTP_REFERER"] = f"{BASE_URL}/operator/"

    def sign_in(self, password: str = PASSWORD, code: str | None = None) -> TestResponse:
        data = {"email": self.email, "password": password, **({"code": code} if code else {})}
        return self.post("/operator/login", data)


def create_operator(app: Flask, *, email: str | None = None) -> Operator:
    """``baeji user create --email E --operator``, set the password with the link, sign in."""
    address = email or unique_email("operator")
    result = CliRunner().invoke(
        baeji, ["user", "create", "--email", address, "--operator"], obj=app
    )
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith(f"{BASE_URL}/operator/set-password/"), link
    operator = Operator(app, address)
    done = operator.post(urlsplit(link).path, {"password": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302, done.text
    assert done.headers["Location"].startswith("/operator/login")
    signed = operator.sign_in()
    assert signed.status_code == 302, signed.text
    return operator


@pytest.fixture(scope="module")
def operator(app: Flask) -> Operator:
    """A signed-in platform operator."""
    return create_operator(app)
