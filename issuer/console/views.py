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

This module holds the blueprint and its plumbing (sessions, roles, CSRF, sign-in, the
account page) and the helpers the page groups share; the page groups are their own
modules: ``course_views``, ``issue_views``, ``badge_views``, ``settings_views``,
``job_views``, ``webhook_views``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from limits import parse_many
from pydantic import ValidationError
from sqlmodel import Session
from werkzeug.wrappers import Response as BaseResponse

from issuer import settings_of
from issuer.achievements import service as catalog
from issuer.achievements.artwork import Artwork, check_artwork
from issuer.console import cohort, service
from issuer.console.models import StaffUser
from issuer.db import Work, get_session
from issuer.errors import APIError, Forbidden
from issuer.limits import limiter_of
from issuer.models import Achievement
from issuer.pages import render_page

__all__ = ["bp", "init_app"]

bp = Blueprint("console", __name__, url_prefix="/console")

COOKIE = "baeji_console"
PAGE_SIZE = 50
_csrf = CSRFProtect()
_View = TypeVar("_View", bound=Callable[..., Any])


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


def _actor() -> str:
    return f"staff:{g.console.user.email}"


def _work() -> Work:
    """The unit of work of this console request: the signed-in staff member's issuer."""
    return Work(_db(), _settings(), _now(), _actor(), g.console.issuer)


def page(template: str, *, status: int = 200, **context: Any) -> Response:
    """Render a console page: never cached, never indexed, no Referer leaves the origin."""
    signed_in = g.get("console")
    response = render_page(
        f"console/{template}",
        status=status,
        private=True,
        me=signed_in.user if signed_in else None,
        org=signed_in.issuer if signed_in else None,
        can=lambda action: signed_in is not None and service.allowed(signed_in.user, action),
        csrf_token=generate_csrf,
        **context,
    )
    # Same-origin Referer (not none): Flask-WTF checks it on HTTPS form posts.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


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


@bp.before_request
def _load_session() -> None:
    g.console = service.resume(_db(), request.cookies.get(COOKIE), now=_now())
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
            COOKIE, path="/console", secure=_https(), httponly=True, samesite="Lax"
        )
    else:
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(service.SESSION_MAX.total_seconds()),
            path="/console",
            secure=_https(),
            httponly=True,
            samesite="Lax",
        )
    return response


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
    return catalog.get_achievement(_db(), _settings(), g.console.issuer, course_id)


def spreadsheet(name: str, header: list[str], rows: list[list[str]], kind: str) -> Response:
    """A download of ``rows`` as ``name.csv`` or ``name.xlsx`` (formula-injection safe)."""
    body, media = cohort.sheet_file(header, rows, kind)
    response = Response(body, content_type=media)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- signing in -------------------------------------------------------------------------------


def _limits() -> tuple[Any, Any, Any]:
    config = current_app.config
    return (
        limiter_of(current_app).limiter,
        parse_many(str(config.get("RATELIMIT_CONSOLE_LOGIN") or "20 per minute;100 per hour")),
        parse_many(str(config.get("RATELIMIT_CONSOLE_ACCOUNT") or "10 per 15 minutes")),
    )


def _login_keys(email: str) -> tuple[str, str]:
    """What failed sign-ins are counted under: the client address, and the account (its
    e-mail hashed, so the limiter's store holds no address)."""
    address = request.remote_addr or "unknown"
    return address, hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _throttled(email: str) -> bool:
    strategy, per_address, per_account = _limits()
    address, account = _login_keys(email)
    return not all(
        strategy.test(limit, "console-login-addr", address) for limit in per_address
    ) or not all(strategy.test(limit, "console-login-account", account) for limit in per_account)


def _count_failure(email: str) -> None:
    strategy, per_address, per_account = _limits()
    address, account = _login_keys(email)
    for limit in per_address:
        strategy.hit(limit, "console-login-addr", address)
    for limit in per_account:
        strategy.hit(limit, "console-login-account", account)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return url_for("console.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return page("login.html", email="", problem=None, totp=False)
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    code = request.form.get("code") or None
    if _throttled(email):
        return page("login.html", status=429, email=email, problem="console.throttled", totp=False)
    db = _db()
    try:
        user = service.check_credentials(
            db, _settings(), email=email, password=password, totp_code=code, now=_now()
        )
    except service.NeedsSecondFactor:
        if code:
            _count_failure(email)
            service.record_failed_sign_in(db, email, now=_now())
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
        service.record_failed_sign_in(db, email, now=_now())
        return page(
            "login.html", status=401, email=email, problem="console.login_wrong", totp=False
        )
    token = service.start_session(db, user, now=_now(), user_agent=request.user_agent.string)
    return _cookie(redirect(_safe_next(request.args.get("next"))), token)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if g.console is not None:
        service.end_session(_db(), g.console, now=_now())
    return _cookie(redirect(url_for("console.login")), None)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Any:
    db = _db()
    user = service.link_user(db, token, now=_now())
    if request.method == "GET":
        return page("set_password.html", email=user.email, problem=None)
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        return page("set_password.html", status=422, email=user.email, problem="console.mismatch")
    try:
        service.set_password(db, token, password, now=_now())
    except APIError as err:
        return page("set_password.html", status=422, email=user.email, problem_text=err.message)
    return _cookie(redirect(url_for("console.login", done="1")), None)


@bp.route("/")
@needs("read")
def home() -> Any:
    return redirect(url_for("console.courses"))


# -- courses ----------------------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@needs("read")
def account() -> Any:
    db, conf, user = _db(), _settings(), g.console.user
    problem, secret = None, None
    if request.method == "POST":
        what = request.form.get("do")
        if what == "everywhere":
            service.end_all_sessions(db, user, now=_now())
            return _cookie(redirect(url_for("console.login")), None)
        if what == "totp-start":
            secret = service.new_totp_secret()
        elif what == "totp-confirm":
            secret = request.form.get("secret", "")
            try:
                service.enable_totp(
                    db, conf, user, secret, request.form.get("code", ""), now=_now()
                )
                return redirect(url_for("console.account", done="totp-on"))
            except APIError as err:
                problem = err.message
        elif what == "totp-off":
            if not service.verify_password(user, request.form.get("password", "")):
                problem = "wrong password"
            else:
                service.disable_totp(db, user, now=_now())
                return redirect(url_for("console.account", done="totp-off"))
    fresh = db.get(StaffUser, user.pk)
    qr = None
    if secret:
        image = qrcode.make(
            service.totp_uri(user, secret), image_factory=qrcode.image.svg.SvgPathImage
        )
        qr = "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()
    return page(
        "account.html",
        user=fresh,
        secret=secret,
        qr=qr,
        problem=problem,
        done=request.args.get("done"),
    )


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
    _csrf.init_app(app)
    app.register_blueprint(bp)
