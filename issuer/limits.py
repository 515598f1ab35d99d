"""Rate limits: what one client address, or one API key, may ask of the service per window.

Flask-Limiter counts; this module says what is counted and how a refusal looks::

    RATELIMIT_VERIFY         per address   POST /verify, POST /api/v1/verify(/batch) and the
                                           credential page's email check (one shared budget;
                                           a request for several badges costs one per badge)
    RATELIMIT_AUTH_FAILURES  per address   API requests answered 401 (a wrong, revoked or
                                           missing API key); requests with a valid key cost
                                           nothing, but an address over the limit is refused
                                           before its key is even looked at
    RATELIMIT_LOOKUP         per address   every request under /wallet/<token> and
                                           /shares/<id> (generous: a learner using the wallet)
    RATELIMIT_LOOKUP_MISSES  per address   those answered 404 or 410: guessing tokens
    RATELIMIT_ISSUE          per API key   POST /api/v1/credentials
    RATELIMIT_BATCH          per API key   POST /api/v1/credentials/batch
    RATELIMIT_WALLET_LINK    per address   POST /wallet-link ("send me my wallet link")
    RATELIMIT_WALLET_LINK_EMAIL  per e-mail  the same, per address asked about (a keyed
                                           digest of it; a refusal never depends on
                                           whether the address is known)

Each value is a Flask-Limiter rate string (``"30 per minute"``, ``"10/minute;100/day"``).
Counters live in memory (one set per worker process) unless ``RATELIMIT_STORAGE_URL``
names a shared store such as ``redis://127.0.0.1:6379/0`` (while it is unreachable, each
worker counts in its own memory again, and says so in the log). A refusal is a 429 with a
``Retry-After`` header and the usual body, ``{"error": "rate-limited", "message": ...}``
(a page for browsers outside ``/api/``).

The client address is ``request.remote_addr``: behind a reverse proxy set
``TRUSTED_PROXIES`` to the number of proxies in front of the service, so the address is
read from their ``X-Forwarded-For`` (never trusted otherwise: a client could claim any).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from issuer import settings_of
from issuer.errors import ErrorPage, RateLimited, error_response

__all__ = ["init_app", "limiter_of"]


_EXTENSION_KEY = "limiter"
# What a wallet or share lookup that found nothing answers.
_MISSES = frozenset({404, 410})


def _config(name: str) -> Callable[[], str]:
    """Read the limit at request time, so each app uses its own configuration."""

    def value() -> str:
        return str(current_app.config[name])

    return value


def api_key_identity() -> str:
    """Identify the caller by a digest of its ``Authorization`` header (never the key)."""
    header = request.headers.get("Authorization", "")
    return "key:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest()[:32]


def address_identity() -> str:
    """Identify the caller by its address (after :class:`ProxyFix`, when configured)."""
    return "addr:" + (get_remote_address() or "unknown")


def asked_email_identity() -> str:
    """Identify a "send me my wallet link" request by the address asked about: a keyed
    digest (the counters' store never sees the address)."""
    address = request.form.get("email", "").strip().lower()
    pepper = settings_of(current_app).email_pepper
    digest = hmac.new(pepper, b"wallet-link-limit:" + address.encode(), "sha256").hexdigest()
    return "email:" + digest[:32]


def limiter_of(app: Flask) -> Limiter:
    """Return the :class:`Limiter` of an application made by :func:`issuer.create_app`."""
    found: Limiter = app.extensions["issuer"][_EXTENSION_KEY]
    return found


def _retry_after(app: Flask) -> int:
    """Seconds until the breached window resets (at least 1)."""
    current = limiter_of(app).current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def _limit_views(
    app: Flask, endpoints: tuple[str, ...], wrap: Any, *, methods: frozenset[str] | None = None
) -> None:
    """Wrap the views of ``endpoints`` in the limit ``wrap``; with ``methods``, a request of
    another method goes straight to the view (the limit would not apply to it anyway, and
    Flask-Limiter's wrapper costs about a third of what a stored credential's JSON does)."""
    for endpoint in endpoints:
        view = app.view_functions[endpoint]
        limited = wrap(view)
        if methods is not None:
            limited = _only_for(methods, view, limited)
        app.view_functions[endpoint] = limited


def _only_for(methods: frozenset[str], view: Any, limited: Any) -> Any:
    @functools.wraps(view)
    def choose(*args: Any, **kwargs: Any) -> Any:
        if request.method in methods:
            return limited(*args, **kwargs)
        return view(*args, **kwargs)

    return choose


def _verifications_requested() -> int:
    """How many badges the current request asks to verify: its uploaded files, or the
    entries of a batch's JSON lists; one for anything else."""
    files = sum(len(request.files.getlist(name)) for name in request.files)
    if files:
        return files
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            listed = [body.get("credentials"), body.get("urls")]
            count = sum(len(items) for items in listed if isinstance(items, list))
            return max(1, count)
    return 1


# Flask-Limiter settings that limit every request, whatever its blueprint or view.
_APP_WIDE_SETTINGS = (
    "RATELIMIT_DEFAULT",
    "RATELIMIT_APPLICATION",
    "RATELIMIT_META",
    "RATELIMIT_DEFAULTS_PER_METHOD",
)


def _check_only_where_limited(
    app: Flask,
    limiter: Limiter,
    limited: frozenset[str],
    views: dict[str, frozenset[str]],
    hooks: tuple[list[Any], list[Any]],
) -> None:
    """Run Flask-Limiter's per-request work only for requests a limit applies to.

    Flask-Limiter checks every request before its view, even one no limit applies to, and
    after it looks for deductions and headers; that costs about half of what serving a
    stored document (a status list, a DID document) costs. Limits on single views
    (``views``: the endpoints wrapped here, and the methods their limits count) are checked
    by their own wrappers, so only the ``limited`` blueprints' shared limits need the check
    before the view, and only those blueprints' limits deduct after it (``deduct_when``).
    ``hooks`` are the after-request and teardown hooks Flask-Limiter registered; they run
    for the ``limited`` blueprints and the ``views`` (in their methods) only. When the
    configuration sets limits for every request (``RATELIMIT_DEFAULT`` and the like) every
    hook stays on every request.
    """
    if any(app.config.get(name) for name in _APP_WIDE_SETTINGS):
        return
    check = limiter._check_request_limit
    before = app.before_request_funcs.setdefault(None, [])
    if check in before:

        def check_where_limited() -> None:
            if request.blueprint in limited:
                check()

        before[before.index(check)] = check_where_limited

    def applies() -> bool:
        endpoint = request.endpoint or ""
        if endpoint.rpartition(".")[0] in limited:
            return True
        methods = views.get(endpoint)
        return methods is not None and request.method in methods

    def after_where_limited(hook: Any) -> Any:
        def after(response: Response) -> Response:
            return hook(response) if applies() else response

        return after

    def teardown_where_limited(hook: Any) -> Any:
        def teardown(error: BaseException | None) -> None:
            if applies():
                hook(error)

        return teardown

    after_hooks, teardown_hooks = hooks
    registered_after = app.after_request_funcs.setdefault(None, [])
    for hook in after_hooks:
        registered_after[registered_after.index(hook)] = after_where_limited(hook)
    registered_teardown = app.teardown_request_funcs.setdefault(None, [])
    for hook in teardown_hooks:
        registered_teardown[registered_teardown.index(hook)] = teardown_where_limited(hook)


def init_app(app: Flask, blueprints: dict[str, Blueprint], page: ErrorPage | None = None) -> None:
    """Count requests of ``app`` against the configured limits (call after registering
    the blueprints: the limited views are wrapped in place).

    Args:
        blueprints: the registered blueprints by name (``wallet``, ``achievements``...).
        page: the error page maker of :func:`issuer.errors.init_app`, for browsers.
    """
    config = app.config
    proxies = int(config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies
        )
    limiter = Limiter(
        address_identity,
        storage_uri=str(config.get("RATELIMIT_STORAGE_URL") or "memory://"),
        key_prefix=str(config["RATELIMIT_KEY_PREFIX"]),
        enabled=bool(config["RATELIMIT_ENABLED"]),
        strategy="fixed-window",
        headers_enabled=False,
        # Redis down: count in this worker's memory (logged) rather than fail requests.
        in_memory_fallback_enabled=True,
    )
    after_before = list(app.after_request_funcs.get(None, []))
    teardown_before = list(app.teardown_request_funcs.get(None, []))
    limiter.init_app(app)
    app.extensions["issuer"][_EXTENSION_KEY] = limiter
    limiter_hooks = (
        [h for h in app.after_request_funcs.get(None, []) if h not in after_before],
        [h for h in app.teardown_request_funcs.get(None, []) if h not in teardown_before],
    )

    # Anonymous verification: the most expensive thing anyone may ask for.
    # A request for several verifications (files on /verify, a batch) costs one each.
    verify = limiter.shared_limit(
        _config("RATELIMIT_VERIFY"),
        scope="verify",
        methods=["POST"],
        cost=_verifications_requested,
    )
    verify_views = (
        "verification.verify",
        "verify_batch.verify_batch",
        "pages.verify_page",
        "public.credential",
    )
    _limit_views(app, verify_views, verify, methods=frozenset({"POST"}))

    # Guessing API keys: only refused requests count.
    for name in ("achievements", "credentials"):
        limiter.shared_limit(
            _config("RATELIMIT_AUTH_FAILURES"),
            scope="auth-failures",
            deduct_when=lambda response: response.status_code == 401,
        )(blueprints[name])

    # Guessing wallet tokens and share ids: every lookup, and misses on their own.
    for limit in (
        limiter.shared_limit(_config("RATELIMIT_LOOKUP"), scope="lookup"),
        limiter.shared_limit(
            _config("RATELIMIT_LOOKUP_MISSES"),
            scope="lookup-misses",
            deduct_when=lambda response: response.status_code in _MISSES,
        ),
    ):
        limit(blueprints["wallet"])

    # "Send me my wallet link": per client, and per address asked about.
    if "wallet_link" in blueprints:
        limiter.shared_limit(
            _config("RATELIMIT_WALLET_LINK"), scope="wallet-link", methods=["POST"]
        )(blueprints["wallet_link"])
        limiter.shared_limit(
            _config("RATELIMIT_WALLET_LINK_EMAIL"),
            scope="wallet-link-email",
            methods=["POST"],
            key_func=asked_email_identity,
        )(blueprints["wallet_link"])

    # Issuance, per API key (a key over its limit does not slow down other issuers).
    _limit_views(
        app,
        ("credentials.issue",),
        limiter.limit(_config("RATELIMIT_ISSUE"), key_func=api_key_identity),
    )
    _limit_views(
        app,
        ("credentials.batch",),
        limiter.limit(_config("RATELIMIT_BATCH"), key_func=api_key_identity),
    )

    _check_only_where_limited(
        app,
        limiter,
        frozenset(("achievements", "credentials", "wallet", "wallet_link")),
        {endpoint: frozenset({"POST"}) for endpoint in verify_views},
        limiter_hooks,
    )

    def refused(exc: RateLimitExceeded) -> tuple[Response, int]:
        retry = _retry_after(app)
        error = RateLimited(
            f"too many requests ({exc.description}); try again in {retry} s",
            retry_after=retry,
        )
        return error_response(error, page)

    app.register_error_handler(RateLimitExceeded, refused)
