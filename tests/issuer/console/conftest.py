"""Console fixtures: an HTTPS app (Secure cookies), staff of two providers, a browser client.

Flask-WTF checks the ``Referer`` of form posts over HTTPS, as a browser sends it, so the
client sends one of the service's origin with every request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from issuer import db
from tests.issuer.conftest import BASE_URL, make_app, unique_email
from verify.cli import main as baeji

PASSWORD = "correct horse battery staple"
HOST = urlsplit(BASE_URL).hostname


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The service as the console sees it: on its public HTTPS origin."""
    app = make_app(
        database_url,
        tmp_path_factory.mktemp("instance"),
        SERVER_NAME=HOST,
        PREFERRED_URL_SCHEME="https",
    )
    yield app
    db.engine_of(app).dispose()


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Staff:
    """A browser of one staff member: signs in, keeps cookies, posts forms with their token."""

    def __init__(self, app: Flask, email: str) -> None:
        self.app = app
        self.email = email
        self.client: FlaskClient = app.test_client()
        self.client.environ_base["HTTP_REFERER"] = f"{BASE_URL}/console/"

    def token(self, path: str) -> str:
        page = self.client.get(path)
        found = _CSRF.search(page.text)
        assert found, (path, page.status_code, page.text[:500])
        return found.group(1)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def post(
        self, path: str, data: dict[str, Any], *, form: str | None = None, **kwargs: Any
    ) -> TestResponse:
        """Post ``data`` with the CSRF token of the page ``form`` (default: ``path``)."""
        return self.client.post(
            path, data={**data, "csrf_token": self.token(form or path)}, **kwargs
        )

    def sign_in(self, password: str = PASSWORD, code: str | None = None) -> TestResponse:
        data = {"email": self.email, "password": password, **({"code": code} if code else {})}
        return self.post("/console/login", data)


def create_staff(app: Flask, slug: str, role: str, *, email: str | None = None) -> Staff:
    """Create a staff account with the CLI, set its password through the link, sign in."""
    address = email or unique_email(role)
    result = CliRunner().invoke(
        baeji,
        ["user", "create", "--email", address, "--issuer", slug, "--role", role],
        obj=app,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith(f"{BASE_URL}/console/set-password/")
    staff = Staff(app, address)
    path = urlsplit(link).path
    done = staff.post(path, {"password": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302, done.text
    signed = staff.sign_in()
    assert signed.status_code == 302, signed.text
    return staff
