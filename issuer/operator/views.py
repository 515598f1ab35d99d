"""The operator console's pages at ``/operator/``.

Operators are staff accounts with the ``operator`` role on the platform's own identity
(``baeji user create --email E --operator``). They sign in exactly as providers' staff do
(:mod:`issuer.console.signin_views`: argon2id passwords, optional TOTP, server-side sessions,
the same sign-in throttling, audit and pages), but with their own cookie, scoped to
``/operator``; an operator's session never opens the provider console and a provider's
never opens this one (the account lookup and :func:`issuer.console.service.resume` are
scoped by role).

Flask-WTF keeps the CSRF secret in Flask's session cookie, which the console scopes to
``/console``. :class:`ScopedSessionCookie` gives ``/operator`` and the public ``/join``
form their own cookie (own name, own path, same flags), so no cookie is widened to the
whole site and none is sent to the public pages.

Server-rendered, no scripts (the Content-Security-Policy allows none), Korean and English.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, request
from flask.sessions import SecureCookieSessionInterface

from issuer.console.signin_views import SignIn, request_db, request_settings
from issuer.console.views import field_errors
from issuer.db import Work
from issuer.errors import APIError
from issuer.operations import request_work

__all__ = ["bp", "init_app"]

bp = Blueprint("operator", __name__, url_prefix="/operator")

COOKIE = "baeji_operator"
COOKIE_PATH = "/operator"


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


_settings, _db = request_settings, request_db


def _work() -> Work:
    """The unit of work of this request: the signed-in operator acts for the platform."""
    return request_work(SIGN_IN.actor() if g.get("operator") else "operator-console")


SIGN_IN = SignIn(
    bp,
    cookie=COOKIE,
    path=COOKIE_PATH,
    operators=True,
    actor_prefix="operator",
    landing="providers",
    work=_work,
)
SIGN_IN.register()
page = SIGN_IN.page
"""Render an operator page (``operator/<template>``): never cached, never indexed."""
signed_in = SIGN_IN.signed_in
"""Let the view run only for a signed-in operator."""


def _problem(err: Exception) -> list[str]:
    if isinstance(err, APIError) and err.details.get("errors"):
        return [f"{e['field']}: {e['message']}" for e in err.details["errors"]]
    return field_errors(err)


def init_app(app: Flask) -> None:
    """Register the operator console and the public join form (after the console, whose
    configuration of Flask-WTF and the session cookie they share)."""
    # The page groups add their routes to ``bp`` when imported.
    from issuer.operator import job_views, join_views, provider_views

    del job_views, provider_views
    app.session_interface = ScopedSessionCookie()
    app.register_blueprint(bp)
    join_views.init_app(app)
