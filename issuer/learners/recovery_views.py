"""The "send me my wallet link" form: ``GET|POST /wallet-link`` (and its place on the home page).

The answer to a post is the same page, after the same work, whether or not the address is
known (only the form's fresh token differs): the request enqueues one job holding the
address sealed, and the lookup, the new link and its e-mail happen in that job
(:mod:`issuer.learners.recovery`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request

from issuer import settings_of
from issuer.learners import recovery
from issuer.operations import request_work
from issuer.pages import render_page

bp = Blueprint("wallet_link", __name__)


def _same_site() -> bool:
    """Whether the post comes from our own page (or a client that sends no such header).

    Browsers send ``Sec-Fetch-Site`` and ``Origin`` with form posts; a page on another site
    cannot forge them. Programs (and old browsers) send neither, and are held to the
    form token and the rate limits.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    ours = {
        urlsplit(settings_of(current_app).base_url)._replace(path="").geturl(),
        request.host_url.rstrip("/"),
    }
    return origin.rstrip("/") in ours


def _page(status: int = 200, **context: Any) -> Response:
    return render_page("service/wallet_link.html", status=status, **context)


@bp.get("/wallet-link")
def form() -> Response:
    """The form on its own page."""
    return _page()


@bp.post("/wallet-link")
def request_link() -> Response:
    """E-mail a new full wallet link to the address, if a learner has it; say the same
    either way."""
    work = request_work("public")
    conf = work.settings
    if not _same_site() or not recovery.check_form_token(
        conf, request.form.get("token", ""), work.now
    ):
        return _page(400, problem="wallet_link.stale_form")
    typed = request.form.get("email", "")
    try:
        address = recovery.parse_email(typed)
    except ValueError:
        return _page(422, problem="wallet_link.bad_email", typed=typed[:254])
    if conf.smtp_url:
        recovery.ask_for_link(work, address)
    return _page(sent=True)


@bp.app_context_processor
def _form_context() -> dict[str, Any]:
    conf = settings_of(current_app)
    return {
        "wallet_link_enabled": bool(conf.smtp_url),
        "wallet_link_token": lambda: recovery.form_token(conf, conf.clock()),
    }
