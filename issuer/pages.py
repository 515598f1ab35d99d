"""The service's web pages for people: learners, employers, and anyone with a QR code.

Server-rendered Jinja templates with one hand-written style sheet (``issuer/static``), no
scripts and nothing loaded from elsewhere; every form works without JavaScript. Pages
are in Korean or English (:mod:`issuer.i18n`): ``?lang=ko|en`` (the visible switch, which
also sets a cookie), else the cookie, else ``Accept-Language``. Every HTML response gets
a Content-Security-Policy that allows no script at all, so text from a credential can
never run even if escaping were forgotten somewhere; every SVG response gets one that allows
only its own inline styles and data: images. When the public origin (``BASE_URL``) is HTTPS,
every response carries ``Strict-Transport-Security``.

Errors: a browser (``Accept`` preferring ``text/html``) gets a friendly page outside
``/api/``; API clients and programs keep the ``{"error", "message"}`` JSON body.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Request, Response, current_app, g, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_babel import Babel, get_translations

from issuer import i18n, settings_of
from issuer.errors import APIError

log = logging.getLogger(__name__)

LANG_COOKIE = "lang"
_LANG_COOKIE_AGE = 365 * 24 * 3600
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; object-src 'none'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# SVG documents (baked badges, QR codes, artwork) opened directly in a browser are documents
# that could carry script; this lets them draw themselves and nothing else.
SVG_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# One year, subdomains included: sent only when the public origin is HTTPS.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
_LANGUAGE_NAMES = (("ko", "한국어"), ("en", "English"))


def page_language() -> str:
    """Return the language of this request's page (``ko`` or ``en``)."""
    if "page_lang" not in g:
        override = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
        g.page_lang = i18n.negotiate_language(
            request.headers.get("Accept-Language"), override=override
        )
    lang: str = g.page_lang
    return lang


def wants_html() -> bool:
    """Whether the client prefers an HTML page to JSON (a browser, not a program)."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def lang_url(code: str) -> str:
    """Return this page's URL in language ``code`` (query kept, ``lang`` replaced)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', code)])}"


def render_page(
    template: str, *, status: int = 200, private: bool = False, **context: Any
) -> Response:
    """Render an HTML page.

    Args:
        private: a page behind a secret link (a wallet): never cached, never indexed, and
            the secret never leaves in a ``Referer`` header.
    """
    html = render_template(template, **context)
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    if private:
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    else:
        response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Accept", "Accept-Language", "Cookie"))
    return response


def _context() -> dict[str, Any]:
    lang = page_language()

    translations = get_translations()

    def t(key: str, **params: Any) -> str:
        text = i18n.fill(translations, key, lang, params)
        if text is None:
            raise KeyError(f"no page text {key!r}")
        return text

    return {
        "lang": lang,
        "languages": _LANGUAGE_NAMES,
        "lang_url": lang_url,
        "t": t,
        "fmt_date": lambda value: i18n.format_date(value, lang),
        "fmt_datetime": lambda value: i18n.format_datetime(value, lang),
        "fmt_number": lambda value: i18n.format_number(value, lang),
    }


def _secure_headers(response: Response) -> Response:
    headers = response.headers
    # The media type without parameters (Response.mimetype, without parsing them).
    mimetype = headers.get("Content-Type", "").partition(";")[0].strip().lower()
    if mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
    elif mimetype == "image/svg+xml":
        headers.setdefault("Content-Security-Policy", SVG_CONTENT_SECURITY_POLICY)
    if settings_of(current_app).https:
        headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Most requests have no ``lang`` in their query: don't parse the query for them.
    chosen = request.args.get("lang") if b"lang" in request.query_string else None
    if chosen in i18n.LANGUAGES and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE, chosen, max_age=_LANG_COOKIE_AGE, samesite="Lax", httponly=True
        )
    return response


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, read and written only where the cookie is in use.

    Flask opens the session on every request, and its signing serializer (the secret keys,
    salt and digest) is built before the cookie is even looked for: about a tenth of what
    serving a stored document costs. The console is the only user of the session (its
    CSRF secret, on ``/console`` only), so here a request without the cookie gets an empty
    session without a serializer, and an empty session nobody touched is not saved;
    everything else is Flask's own behaviour.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session when the request has no session cookie, else Flask's."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing for an empty session that was neither read nor changed, else Flask's."""
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)


def error_page(error: APIError) -> Response | None:
    """Return a friendly HTML page for ``error`` if a browser asked, else ``None`` (JSON)."""
    if request.path.startswith("/api/") or not wants_html():
        return None
    status = error.status_code
    key = status if status in (400, 403, 404, 405, 410, 413, 429) else 500
    try:
        return render_page("service/error.html", status=status, status_key=key)
    except Exception:  # the error page itself failed: fall back to the JSON body
        log.exception("could not render the error page for %s", status)
        return None


def _display_zone() -> str:
    return str(i18n.DISPLAY_ZONES[page_language()])


def init_app(app: Flask) -> None:
    """Install Flask-Babel (the page's language and zone choose the catalog), the page
    context (language, ``t``, formatters), the security headers and the session cookie's
    handling (:class:`CookieSessionInterface`)."""
    Babel(
        app,
        locale_selector=page_language,
        timezone_selector=_display_zone,
        default_translation_directories=str(i18n.LOCALE_DIR),
        default_domain=i18n.DOMAIN,
    )
    app.context_processor(_context)
    app.after_request(_secure_headers)
    app.session_interface = CookieSessionInterface()
