"""The public "join" form at ``/join``: a training provider asks to be registered.

Anyone may send it, so it is guarded: a CSRF token (Flask-WTF, in the ``/join``-scoped
session cookie), and a budget of applications per client address
(``RATELIMIT_JOIN``, default 10 an hour and 30 a day, counted in Flask-Limiter's storage);
over it, the form answers 429 and stores nothing. What is sent is stored as a pending
application (:func:`issuer.operator.applications.submit_application`) for an operator.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from limits import parse_many

from issuer.errors import APIError
from issuer.limits import limiter_of
from issuer.operations import request_work
from issuer.operator import applications
from issuer.pages import page_language, render_page

bp = Blueprint("join", __name__)

DEFAULT_LIMIT = "10 per hour;30 per day"
_csrf = CSRFProtect()


def _page(status: int = 200, **context: Any) -> Response:
    response = render_page(
        "operator/join.html", status=status, private=True, csrf_token=generate_csrf, **context
    )
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _over_budget() -> bool:
    """Count this application against its address; whether the address is over budget."""
    strategy = limiter_of(current_app).limiter
    limits = parse_many(str(current_app.config.get("RATELIMIT_JOIN") or DEFAULT_LIMIT))
    address = request.remote_addr or "unknown"
    over = not all(strategy.test(limit, "join", address) for limit in limits)
    if not over:
        for limit in limits:
            strategy.hit(limit, "join", address)
    return over


@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> Response:
    return _page(status=400, form={}, errors=[], problem="console.csrf_refused", done=None)


@bp.route("/join", methods=["GET", "POST"])
def join() -> Any:
    if request.method == "GET":
        return _page(form={}, errors=[], problem=None, done=None)
    _csrf.protect()
    form = request.form
    if _over_budget():
        response = _page(status=429, form=form, errors=[], problem="operator.join_throttled")
        response.headers["Retry-After"] = "3600"
        return response
    work = request_work("public:join")
    try:
        done = applications.submit_application(
            work,
            slug=form.get("slug", ""),
            name=form.get("name", ""),
            url=form.get("url"),
            email=form.get("email", ""),
            description=form.get("description"),
            message=form.get("message"),
            lang=page_language(),
        )
    except APIError as err:
        # Named in the page's language: which fields to check, and a slug already taken.
        found = err.details.get("errors") or [{"field": "", "message": err.message}]
        return _page(
            status=422,
            form=form,
            errors=[],
            problem=None,
            done=None,
            bad_fields=[e["field"] for e in found if e["message"] != "taken"],
            slug_taken=any(e["message"] == "taken" for e in found),
        )
    return _page(form={}, errors=[], problem=None, done=done)


def init_app(app: Flask) -> None:
    """Register the join form."""
    app.register_blueprint(bp)
