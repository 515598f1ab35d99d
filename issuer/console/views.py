"""The provider console's pages at ``/console/``.

Server-rendered, no scripts (the service's Content-Security-Policy allows none). Every POST
carries a CSRF token (Flask-WTF's :class:`CSRFProtect`, checked for this blueprint only:
the API authenticates with bearer keys and takes no cookies). A staff member signs in with
their e-mail, password and, when turned on, a TOTP code; the session lives in the database
(:mod:`issuer.console.service`) and the browser holds only its random token, in a cookie
scoped to ``/console`` (HttpOnly, SameSite=Lax, Secure when the public origin is HTTPS).

Failed sign-ins are counted per address and per account (Flask-Limiter's storage), and a
page is only ever filled with the signed-in provider's data: another provider's badge or
course by id is "not found".

This module holds the blueprint and its plumbing (roles, and the sign-in, session cookie,
CSRF check and account page that :mod:`issuer.console.signin_views` shares with the operator
console) and the helpers the page groups share; the page groups are their own
modules: ``course_views``, ``issue_views``, ``badge_views``, ``settings_views``,
``job_views``, ``webhook_views``.
"""

from __future__ import annotations

import base64
import functools
import hmac
import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Flask,
    Response,
    g,
    redirect,
    request,
    url_for,
)
from pydantic import ValidationError

from issuer import settings_of
from issuer.achievements import service as catalog
from issuer.achievements.artwork import Artwork, check_artwork
from issuer.console import cohort, service
from issuer.console.signin_views import SignIn, csrf, request_db, request_settings
from issuer.db import Work
from issuer.errors import APIError, Forbidden
from issuer.models import Achievement
from issuer.operations import request_work

__all__ = ["bp", "init_app"]

bp = Blueprint("console", __name__, url_prefix="/console")

COOKIE = "baeji_console"
PAGE_SIZE = 50
_View = TypeVar("_View", bound=Callable[..., Any])


# -- plumbing ---------------------------------------------------------------------------------


_settings, _db = request_settings, request_db


def _work() -> Work:
    """The unit of work of this console request: the signed-in staff member's issuer acts
    (before anyone is signed in: the console itself, for no issuer)."""
    signed_in = g.get("console")
    if signed_in is None:
        return request_work("console")
    return request_work(SIGN_IN.actor(), signed_in.issuer)


def _context(signed_in: Any) -> dict[str, Any]:
    return {
        "org": signed_in.issuer if signed_in else None,
        "can": lambda action: signed_in is not None and service.allowed(signed_in.user, action),
    }


def needs(action: str) -> Callable[[_View], _View]:
    """Let the view run only for a signed-in staff member whose role allows ``action``."""

    def wrap(view: _View) -> _View:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if g.get("console") is None:
                return redirect(url_for("console.login", next=request.full_path))
            if not service.allowed(g.console.user, action):
                raise Forbidden(f"your role ({g.console.user.role}) may not do this")
            return view(*args, **kwargs)

        return cast(_View, inner)

    return wrap


SIGN_IN = SignIn(
    bp,
    cookie=COOKIE,
    path="/console",
    operators=False,
    actor_prefix="staff",
    landing="home",
    work=_work,
    account_guard=needs("read"),
    context=_context,
)
SIGN_IN.register()
page = SIGN_IN.page
"""Render a console page (``console/<template>``): never cached, never indexed."""


# -- shared by the page groups ---------------------------------------------------------------


def uploaded_image(field: str) -> tuple[str, Artwork] | None:
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None
    data = upload.read()
    artwork = check_artwork(data, field=field)
    uri = f"data:{artwork.media_type};base64,{base64.b64encode(artwork.data).decode()}"
    return uri, artwork


def field_errors(err: Exception) -> list[str]:
    if isinstance(err, ValidationError):
        return [".".join(str(p) for p in e["loc"]) + ": " + str(e["msg"]) for e in err.errors()]
    if isinstance(err, APIError):
        return [err.message]
    return [str(err)]


def course_of(course_id: str) -> Achievement:
    return catalog.get_achievement(_work(), course_id)


def cohort_result(
    course: Any, issued: list[tuple[Any, Any]], skipped: list[Any], **extra: Any
) -> Response:
    """The result page of a cohort: ``issued`` holds (learner, issued) pairs, whose learners
    and credential ids also go into the page for the wallet-link sheet."""
    sheet_rows = [
        {"email": r.email, "name": r.name, "credential": i.credential.id} for r, i in issued
    ]
    return page(
        "cohort_result.html",
        course=course,
        issued=issued,
        skipped=skipped,
        sheet_rows=json.dumps(sheet_rows, ensure_ascii=False),
        credential_url=lambda c: _settings().url("credentials", c.id),
        **extra,
    )


def spreadsheet(name: str, header: list[str], rows: list[list[str]], kind: str) -> Response:
    """A download of ``rows`` as ``name.csv`` or ``name.xlsx`` (formula-injection safe)."""
    body, media = cohort.sheet_file(header, rows, kind)
    response = Response(body, content_type=media)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/")
@needs("read")
def home() -> Any:
    return redirect(url_for("console.courses"))


def init_app(app: Flask) -> None:
    """Register the console: its blueprint, CSRF protection scoped to it, the cookie rules.

    Flask-WTF keeps its CSRF secret in Flask's signed session cookie; the console is the
    only user of that cookie, so it is scoped to ``/console`` with the console's flags.
    Without a configured ``SECRET_KEY`` the signing key is derived from the email pepper
    (itself derived from the master key), so every worker agrees without another secret.
    """
    if not app.secret_key:
        pepper = settings_of(app).email_pepper
        app.secret_key = hmac.new(pepper, b"baeji/console/flask-secret/v1", "sha256").hexdigest()
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", int(service.SESSION_IDLE.total_seconds()))
    app.config["SESSION_COOKIE_NAME"] = "baeji_console_csrf"
    app.config["SESSION_COOKIE_PATH"] = "/console"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = settings_of(app).base_url.lower().startswith("https://")
    # The page groups add their routes to ``bp`` when imported.
    from issuer.console import (
        badge_views,
        course_views,
        issue_views,
        job_views,
        settings_views,
        webhook_views,
    )

    del badge_views, course_views, issue_views, job_views, settings_views, webhook_views
    csrf.init_app(app)
    app.register_blueprint(bp)
