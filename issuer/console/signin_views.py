"""Signing staff in to a console: one piece of code for the provider console (``/console/``)
and the operator console (``/operator/``).

Both consoles sign staff in the same way (:mod:`issuer.console.service`: argon2id passwords,
optional TOTP, server-side sessions whose random token is the only thing the browser holds,
in an HttpOnly, SameSite=Lax cookie, Secure when the public origin is HTTPS). What differs
between them is a :class:`SignIn`: the blueprint, the session cookie's name and path, which
accounts may sign in there (providers' staff or platform operators — a session of one never
opens the other), the audit actor's prefix, the page a sign-in lands on, and how the console
makes the unit of work of a request (signed in or not: the sign-in steps take it too).
:meth:`SignIn.register` adds to the blueprint the session loading and CSRF check of every
request, the error pages, and the ``login``, ``logout``, ``set_password`` and ``account``
routes; their templates are shared (``templates/signin/``) and extend the console's own
``base.html`` (the console's ``login.html`` only names the page).

Failed sign-ins are counted per client address and per account (Flask-Limiter's storage),
one budget shared by both consoles.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, current_app, g, redirect, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from limits import parse_many
from sqlmodel import Session
from werkzeug.wrappers import Response as BaseResponse

from issuer import settings_of
from issuer.console import service
from issuer.console.models import StaffUser
from issuer.db import Work, get_session
from issuer.errors import APIError, NotFound
from issuer.limits import limiter_of
from issuer.pages import render_page

__all__ = [
    "SignIn",
    "count_failure",
    "csrf",
    "request_db",
    "request_settings",
    "throttled",
]

View = TypeVar("View", bound=Callable[..., Any])

csrf = CSRFProtect()
"""The CSRF check of both consoles (Flask-WTF; checked per blueprint, never app-wide)."""


def request_settings() -> Any:
    """The settings of the app serving this request."""
    return settings_of(current_app)


def request_db() -> Session:
    """The database session of this request."""
    return get_session()


def _https() -> bool:
    return bool(request_settings().base_url.lower().startswith("https://"))


# -- throttling failed sign-ins ---------------------------------------------------------------


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


def throttled(email: str) -> bool:
    """Whether this client or the account ``email`` has used up its failed sign-ins."""
    strategy, per_address, per_account = _limits()
    address, account = _login_keys(email)
    return not all(
        strategy.test(limit, "console-login-addr", address) for limit in per_address
    ) or not all(strategy.test(limit, "console-login-account", account) for limit in per_account)


def count_failure(email: str) -> None:
    """Count one failed sign-in against this client and the account ``email``."""
    strategy, per_address, per_account = _limits()
    address, account = _login_keys(email)
    for limit in per_address:
        strategy.hit(limit, "console-login-addr", address)
    for limit in per_account:
        strategy.hit(limit, "console-login-account", account)


# -- one console's sign-in --------------------------------------------------------------------


def _no_context(signed_in: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class SignIn:
    """How staff sign in to one console (see the module's docstring).

    ``bp.name`` names the console: the ``g`` attribute holding the signed-in session, the
    template folder of its pages and the prefix of its message ids (``<name>.login``,
    ``<name>.title``, ``<name>.nav``).
    """

    bp: Blueprint
    cookie: str
    """The name of the session cookie."""
    path: str
    """The cookie's path; only links below it are followed after signing in."""
    operators: bool
    """True: only platform operators sign in here; False: only providers' staff."""
    actor_prefix: str
    """The audit actor of a signed-in member is ``<actor_prefix>:<e-mail>``."""
    landing: str
    """The view (of the blueprint) a sign-in lands on when it names no page to go back to."""
    work: Callable[[], Work]
    """The console's unit of work of this request (also before anyone is signed in)."""
    account_guard: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None
    """What guards the account page (default: :meth:`signed_in`)."""
    context: Callable[[Any], dict[str, Any]] = field(default=_no_context)
    """More context of every page, given the signed-in session (or None)."""

    @property
    def area(self) -> str:
        """The console's name (its blueprint's)."""
        return self.bp.name

    def current(self) -> Any:
        """The signed-in session of this request, or None."""
        return g.get(self.area)

    def actor(self) -> str:
        """The audit actor of the signed-in staff member."""
        return f"{self.actor_prefix}:{self.current().user.email}"

    # -- pages --

    def render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        """Render ``template`` (a path below templates/): never cached, never indexed, no
        Referer leaves the origin."""
        signed_in = self.current()
        response = render_page(
            template,
            status=status,
            private=True,
            me=signed_in.user if signed_in else None,
            area=self.area,
            csrf_token=generate_csrf,
            **self.context(signed_in),
            **context,
        )
        # Same-origin Referer (not none): Flask-WTF checks it on HTTPS form posts.
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def page(self, template: str, *, status: int = 200, **context: Any) -> Response:
        """Render one of this console's own templates (``<name>/<template>``)."""
        return self.render(f"{self.area}/{template}", status=status, **context)

    def signed_in(self, view: View) -> View:
        """Let the view run only for a signed-in member; send anyone else to sign in."""

        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if self.current() is None:
                return redirect(url_for(f"{self.area}.login", next=request.full_path))
            return view(*args, **kwargs)

        return cast(View, inner)

    def set_cookie(self, response: BaseResponse, token: str | None) -> BaseResponse:
        """Put the session ``token`` in the cookie, or (None) remove the cookie."""
        if token is None:
            response.delete_cookie(
                self.cookie, path=self.path, secure=_https(), httponly=True, samesite="Lax"
            )
        else:
            response.set_cookie(
                self.cookie,
                token,
                max_age=int(service.SESSION_MAX.total_seconds()),
                path=self.path,
                secure=_https(),
                httponly=True,
                samesite="Lax",
            )
        return response

    def _safe_next(self, target: str | None) -> str:
        if target and target.startswith(self.path + "/") and not target.startswith("//"):
            return target
        return url_for(f"{self.area}.{self.landing}")

    # -- the blueprint --

    def register(self) -> None:
        """Add to the blueprint the session loading and CSRF check of every request, the
        error pages and the sign-in routes (login, logout, set-password, account)."""
        self.bp.before_request(self._load_session)
        self.bp.register_error_handler(CSRFError, self._csrf_refused)
        self.bp.register_error_handler(APIError, self._api_error)
        self.bp.add_url_rule("/login", "login", self._login, methods=["GET", "POST"])
        self.bp.add_url_rule("/logout", "logout", self._logout, methods=["POST"])
        self.bp.add_url_rule(
            "/set-password/<token>", "set_password", self._set_password, methods=["GET", "POST"]
        )
        guard = self.account_guard or self.signed_in
        self.bp.add_url_rule("/account", "account", guard(self._account), methods=["GET", "POST"])

    def _load_session(self) -> None:
        token = request.cookies.get(self.cookie)
        session = service.resume(self.work(), token, operators=self.operators)
        setattr(g, self.area, session)
        if request.method == "POST":
            csrf.protect()

    def _csrf_refused(self, error: CSRFError) -> Response:
        return self.page("error.html", status=400, message="console.csrf_refused")

    def _api_error(self, error: APIError) -> Response:
        return self.page(
            "error.html",
            status=error.status_code,
            message=None,
            detail=error.message,
            code=error.code,
        )

    def _login(self) -> Any:
        def form(status: int = 200, **context: Any) -> Response:
            return self.page("login.html", status=status, **context)

        if request.method == "GET":
            return form(email="", problem=None, totp=False)
        email = request.form.get("email", "")
        password = request.form.get("password", "")
        code = request.form.get("code") or None
        if throttled(email):
            return form(429, email=email, problem="console.throttled", totp=False)
        work = self.work()
        try:
            user = service.check_credentials(
                work, email=email, password=password, totp_code=code, operators=self.operators
            )
        except service.NeedsSecondFactor:
            if code:
                count_failure(email)
                service.record_failed_sign_in(work, email, operators=self.operators)
            return form(
                401,
                email=email,
                problem="console.totp_wrong" if code else None,
                totp=True,
                password=password,
            )
        except APIError:
            count_failure(email)
            service.record_failed_sign_in(work, email, operators=self.operators)
            return form(401, email=email, problem="console.login_wrong", totp=False)
        token = service.start_session(work, user, user_agent=request.user_agent.string)
        return self.set_cookie(redirect(self._safe_next(request.args.get("next"))), token)

    def _logout(self) -> Any:
        signed_in = self.current()
        if signed_in is not None:
            service.end_session(self.work(), signed_in)
        return self.set_cookie(redirect(url_for(f"{self.area}.login")), None)

    def _set_password(self, token: str) -> Any:
        def form(status: int = 200, **context: Any) -> Response:
            return self.render("signin/set_password.html", status=status, **context)

        work = self.work()
        user = service.link_user(work, token)
        if self.operators and not service.is_operator(user):
            raise NotFound("this link is unknown, already used or expired")
        if request.method == "GET":
            return form(email=user.email, problem=None)
        password = request.form.get("password", "")
        if password != request.form.get("password2", ""):
            return form(422, email=user.email, problem="console.mismatch")
        try:
            service.set_password(work, token, password)
        except APIError as err:
            return form(422, email=user.email, problem_text=err.message)
        return self.set_cookie(redirect(url_for(f"{self.area}.login", done="1")), None)

    def _account(self) -> Any:
        work, user = self.work(), self.current().user
        problem, secret = None, None
        if request.method == "POST":
            what = request.form.get("do")
            if what == "everywhere":
                service.end_all_sessions(work, user)
                return self.set_cookie(redirect(url_for(f"{self.area}.login")), None)
            if what == "totp-start":
                secret = service.new_totp_secret()
            elif what == "totp-confirm":
                secret = request.form.get("secret", "")
                try:
                    service.enable_totp(work, user, secret, request.form.get("code", ""))
                    return redirect(url_for(f"{self.area}.account", done="totp-on"))
                except APIError as err:
                    problem = err.message
            elif what == "totp-off":
                if not service.verify_password(
                    work.settings, user, request.form.get("password", "")
                ):
                    problem = "wrong password"
                else:
                    service.disable_totp(work, user)
                    return redirect(url_for(f"{self.area}.account", done="totp-off"))
        qr = None
        if secret:
            image = qrcode.make(
                service.totp_uri(user, secret), image_factory=qrcode.image.svg.SvgPathImage
            )
            qr = "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()
        return self.render(
            "signin/account.html",
            user=work.session.get(StaffUser, user.pk),
            secret=secret,
            qr=qr,
            problem=problem,
            done=request.args.get("done"),
        )
