"""The operator console's pages at ``/operator/``.

Operators are staff accounts with the ``operator`` role on the platform's own identity
(``baeji user create --email E --operator``). They sign in exactly as providers' staff do
(:mod:`issuer.console.service`: argon2id passwords, optional TOTP, server-side sessions,
the same sign-in throttling and audit), but with their own cookie, scoped to ``/operator``;
an operator's session never opens the provider console and a provider's never opens this
one (the account lookup and :func:`issuer.console.service.resume` are scoped by role).

Flask-WTF keeps the CSRF secret in Flask's session cookie, which the console scopes to
``/console``. :class:`ScopedSessionCookie` gives ``/operator`` and the public ``/join``
form their own cookie (own name, own path, same flags), so no cookie is widened to the
whole site and none is sent to the public pages.

Server-rendered, no scripts (the Content-Security-Policy allows none), Korean and English.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

import qrcode
import qrcode.image.svg
from flask import Blueprint, Flask, Response, current_app, g, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from sqlmodel import Session
from werkzeug.wrappers import Response as BaseResponse

from issuer import settings_of
from issuer.console import service as staff
from issuer.console.models import StaffUser
from issuer.console.views import _count_failure, _throttled, field_errors
from issuer.db import Work, get_session
from issuer.errors import APIError, NotFound
from issuer.pages import render_page

__all__ = ["bp", "init_app"]

bp = Blueprint("operator", __name__, url_prefix="/operator")

COOKIE = "baeji_operator"
COOKIE_PATH = "/operator"
_csrf = CSRFProtect()
_View = TypeVar("_View", bound=Callable[..., Any])


class ScopedSessionCookie(SecureCookieSessionInterface):
    """Flask's signed session cookie (which holds only Flask-WTF's CSRF secret), with a
    name and path per area: ``/operator`` and ``/join`` get their own; everything else
    keeps the console's (``SESSION_COOKIE_NAME``, ``SESSION_COOKIE_PATH``)."""

    SCOPES = (("/operator", "baeji_operator_csrf"), ("/join", "baeji_join_csrf"))

    def _scope(self) -> tuple[str, str] | None:
        from flask import has_request_context

        if not has_request_context():
            return None
        path = request.path
        for prefix, name in self.SCOPES:
            if path == prefix or path.startswith(prefix + "/"):
                return prefix, name
        return None

    def get_cookie_name(self, app: Flask) -> str:
        """The cookie of this request's area."""
        scope = self._scope()
        return scope[1] if scope else super().get_cookie_name(app)

    def get_cookie_path(self, app: Flask) -> str:
        """The path of this request's area."""
        scope = self._scope()
        return scope[0] if scope else super().get_cookie_path(app)


# -- plumbing ---------------------------------------------------------------------------------


def _settings() -> Any:
    return settings_of(current_app)


def _now() -> datetime:
    now: datetime = _settings().clock()
    return now


def _db() -> Session:
    return get_session()


def _https() -> bool:
    return bool(_settings().base_url.lower().startswith("https://"))


def _work() -> Work:
    """The unit of work of this request: the signed-in operator acts for the platform."""
    actor = f"operator:{g.operator.user.email}" if g.get("operator") else "operator-console"
    return Work(_db(), _settings(), _now(), actor, None)


def page(template: str, *, status: int = 200, **context: Any) -> Response:
    """Render an operator page: never cached, never indexed, no Referer leaves the origin."""
    signed_in = g.get("operator")
    response = render_page(
        f"operator/{template}",
        status=status,
        private=True,
        me=signed_in.user if signed_in else None,
        csrf_token=generate_csrf,
        **context,
    )
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def signed_in(view: _View) -> _View:
    """Let the view run only for a signed-in operator."""

    @functools.wraps(view)
    def inner(*args: Any, **kwargs: Any) -> Any:
        if g.get("operator") is None:
            return redirect(url_for("operator.login", next=request.full_path))
        return view(*args, **kwargs)

    return cast(_View, inner)


@bp.before_request
def _load_session() -> None:
    g.operator = staff.resume(_db(), request.cookies.get(COOKIE), now=_now(), operators=True)
    if request.method == "POST":
        _csrf.protect()


@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> Response:
    return page("error.html", status=400, message="console.csrf_refused")


@bp.errorhandler(APIError)
def _api_error(error: APIError) -> Response:
    return page(
        "error.html", status=error.status_code, message=None, detail=error.message, code=error.code
    )


def _cookie(response: BaseResponse, token: str | None) -> BaseResponse:
    if token is None:
        response.delete_cookie(
            COOKIE, path=COOKIE_PATH, secure=_https(), httponly=True, samesite="Lax"
        )
    else:
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(staff.SESSION_MAX.total_seconds()),
            path=COOKIE_PATH,
            secure=_https(),
            httponly=True,
            samesite="Lax",
        )
    return response


def _problem(err: Exception) -> list[str]:
    if isinstance(err, APIError) and err.details.get("errors"):
        return [f"{e['field']}: {e['message']}" for e in err.details["errors"]]
    return field_errors(err)


# -- signing in -------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/operator/") and not target.startswith("//"):
        return target
    return url_for("operator.providers")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return page("login.html", email="", problem=None, totp=False)
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    code = request.form.get("code") or None
    # The provider console's counters: one budget per address and per account.
    if _throttled(email):
        return page("login.html", status=429, email=email, problem="console.throttled", totp=False)
    db = _db()
    try:
        user = staff.check_credentials(
            db,
            _settings(),
            email=email,
            password=password,
            totp_code=code,
            now=_now(),
            operators=True,
        )
    except staff.NeedsSecondFactor:
        if code:
            _count_failure(email)
            staff.record_failed_sign_in(db, email, now=_now(), operators=True)
        return page(
            "login.html",
            status=401,
            email=email,
            problem="console.totp_wrong" if code else None,
            totp=True,
            password=password,
        )
    except APIError:
        _count_failure(email)
        staff.record_failed_sign_in(db, email, now=_now(), operators=True)
        return page(
            "login.html", status=401, email=email, problem="console.login_wrong", totp=False
        )
    token = staff.start_session(db, user, now=_now(), user_agent=request.user_agent.string)
    return _cookie(redirect(_safe_next(request.args.get("next"))), token)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if g.operator is not None:
        staff.end_session(_db(), g.operator, now=_now())
    return _cookie(redirect(url_for("operator.login")), None)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Any:
    db = _db()
    user = staff.link_user(db, token, now=_now())
    if not staff.is_operator(user):
        raise NotFound("this link is unknown, already used or expired")
    if request.method == "GET":
        return page("set_password.html", email=user.email, problem=None)
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        return page("set_password.html", status=422, email=user.email, problem="console.mismatch")
    try:
        staff.set_password(db, token, password, now=_now())
    except APIError as err:
        return page("set_password.html", status=422, email=user.email, problem_text=err.message)
    return _cookie(redirect(url_for("operator.login", done="1")), None)


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account() -> Any:
    db, conf, user = _db(), _settings(), g.operator.user
    problem, secret = None, None
    if request.method == "POST":
        what = request.form.get("do")
        if what == "everywhere":
            staff.end_all_sessions(db, user, now=_now())
            return _cookie(redirect(url_for("operator.login")), None)
        if what == "totp-start":
            secret = staff.new_totp_secret()
        elif what == "totp-confirm":
            secret = request.form.get("secret", "")
            try:
                staff.enable_totp(db, conf, user, secret, request.form.get("code", ""), now=_now())
                return redirect(url_for("operator.account", done="totp-on"))
            except APIError as err:
                problem = err.message
        elif what == "totp-off":
            if not staff.verify_password(user, request.form.get("password", "")):
                problem = "wrong password"
            else:
                staff.disable_totp(db, user, now=_now())
                return redirect(url_for("operator.account", done="totp-off"))
    qr = None
    if secret:
        image = qrcode.make(
            staff.totp_uri(user, secret), image_factory=qrcode.image.svg.SvgPathImage
        )
        qr = "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()
    return page(
        "account.html",
        user=db.get(StaffUser, user.pk),
        secret=secret,
        qr=qr,
        problem=problem,
        done=request.args.get("done"),
    )


def init_app(app: Flask) -> None:
    """Register the operator console and the public join form (after the console, whose
    configuration of Flask-WTF and the session cookie they share)."""
    # The page groups add their routes to ``bp`` when imported.
    from issuer.operator import job_views, join_views, provider_views

    del job_views, provider_views
    app.session_interface = ScopedSessionCookie()
    app.register_blueprint(bp)
    join_views.init_app(app)
