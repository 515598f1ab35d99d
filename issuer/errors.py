"""Errors of the issuing service, and the one place any error becomes a JSON response.

Every error body, from any route, has the shape ``{"error": <code>, "message": <text>}``
(some add a detail list: ``errors`` for field problems, ``rows`` for bad batch rows); a
browser asking for a page outside ``/api/`` gets the same status as a friendly page
instead. Codes are stable; messages may change::

    APIError                          500  internal-error
    ├── BadRequest                    400  bad-request
    │   ├── InvalidJson               400  invalid-json
    │   ├── InvalidCsv                400  invalid-csv
    │   ├── InvalidHeader             400  invalid-header
    │   ├── InvalidCursor             400  invalid-cursor
    │   └── InvalidWalletLink         400  invalid-wallet-link
    ├── Unauthorized                  401  unauthorized
    ├── Forbidden                     403  forbidden
    │   ├── ScopedWallet              403  scoped-wallet
    │   ├── ProviderSuspended         403  provider-suspended
    │   └── ProviderRemoved           403  provider-removed
    ├── NotFound                      404  not-found
    ├── Conflict                      409  conflict
    │   ├── IdempotencyKeyReused      409  idempotency-key-reused
    │   ├── AlreadyExists             409  already-exists
    │   ├── InvalidStatusChange       409  invalid-status-change
    │   ├── SuspensionNotEnabled      409  suspension-not-enabled
    │   ├── AchievementArchived       409  achievement-archived
    │   └── AlreadyHolds              409  already-holds
    ├── Gone                          410  gone
    ├── PayloadTooLarge               413  payload-too-large
    ├── UnsupportedMediaType          415  unsupported-media-type
    ├── ValidationFailed              422  validation-error
    │   ├── InvalidRows               422  invalid-rows
    │   ├── ImageRefused              422  image-too-large | image-type-unsupported |
    │   │                                  image-unreadable | image-dimensions-too-large |
    │   │                                  image-unsafe | image-unreachable
    │   └── WebhookUrlRefused         422  webhook-url-refused
    ├── RateLimited                   429  rate-limited
    └── ServiceBusy                   503  try-again
        └── BatchTooSlow              503  batch-too-slow

Domain errors of the other packages are mapped in :data:`DOMAIN_STATUS` (first match
wins); pydantic's ``ValidationError`` becomes ``validation-error`` with one entry per field.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, Response, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from badges import BadgeError, BakingError, MalformedCredential, StatusListError
from keys import InvalidMasterKey, KeyManagementError, KeyNotFound, WrongMasterKey

log = logging.getLogger(__name__)


class APIError(Exception):
    """Root of the service's errors; ``status_code`` and ``code`` make the response."""

    status_code = 500
    code = "internal-error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON error body."""
        return {"error": self.code, "message": self.message, **self.details}


class BadRequest(APIError):
    """The request is malformed."""

    status_code = 400
    code = "bad-request"


class InvalidJson(BadRequest):
    """The body is not JSON, or not the JSON shape the route takes."""

    code = "invalid-json"


class InvalidCsv(BadRequest):
    """The CSV upload cannot be decoded or has no usable header."""

    code = "invalid-csv"


class InvalidHeader(BadRequest):
    """A request header (such as ``Idempotency-Key``) is malformed."""

    code = "invalid-header"


class InvalidCursor(BadRequest):
    """A pagination cursor this service did not hand out (or one for another listing)."""

    code = "invalid-cursor"


class InvalidWalletLink(BadRequest):
    """The wallet link to add is not one of the same learner (or not a wallet link at all).

    Both cases get the same message, so the answer never tells whether a token exists.
    """

    code = "invalid-wallet-link"


class Unauthorized(APIError):
    """No API key, an unknown one, or a revoked one."""

    status_code = 401
    code = "unauthorized"


class Forbidden(APIError):
    """The caller is known but may not do this."""

    status_code = 403
    code = "forbidden"


class ScopedWallet(Forbidden):
    """The wallet link shows one provider's badges; the action needs a full link."""

    code = "scoped-wallet"


class ProviderSuspended(Forbidden):
    """The platform suspended the provider: its API keys and console are refused and it
    cannot issue; its public pages and badges still verify."""

    code = "provider-suspended"


class ProviderRemoved(Forbidden):
    """The platform removed the provider: refused like a suspended one, and left out of
    public listings; its badges still verify unless its keys are revoked."""

    code = "provider-removed"


class NotFound(APIError):
    """No such resource, or it belongs to another issuer (the two look the same)."""

    status_code = 404
    code = "not-found"


class Conflict(APIError):
    """The request conflicts with the current state."""

    status_code = 409
    code = "conflict"


class IdempotencyKeyReused(Conflict):
    """The ``Idempotency-Key`` was already used with a different request."""

    code = "idempotency-key-reused"


class AlreadyExists(Conflict):
    """A resource with that unique name already exists."""

    code = "already-exists"


class InvalidStatusChange(Conflict):
    """The credential cannot move to that status (e.g. unsuspending a revoked credential)."""

    code = "invalid-status-change"


class SuspensionNotEnabled(Conflict):
    """Suspend or unsuspend on a badge issued without a suspension entry.

    Suspension is an issuer setting, off by default (one ``credentialStatus`` object, as
    the OB 3.0 JSON Schema requires); such a badge can only be revoked.
    """

    code = "suspension-not-enabled"


class AchievementArchived(Conflict):
    """Issuing against an archived achievement (archived ones award nothing new)."""

    code = "achievement-archived"


class AlreadyHolds(Conflict):
    """The learner already holds an active badge of this achievement (``duplicates: reject``).

    The body's ``existing`` names that badge (``id``, ``uuid``, ``status``, ``issuedAt``);
    send ``duplicates: "allow"`` to issue a second one (a retake) or ``"replace"`` to revoke
    it and issue the new one.
    """

    code = "already-holds"


class Gone(APIError):
    """The resource existed and was withdrawn on purpose (a share taken down)."""

    status_code = 410
    code = "gone"


class PayloadTooLarge(APIError):
    """The body, an upload or a batch is over its limit."""

    status_code = 413
    code = "payload-too-large"


class UnsupportedMediaType(APIError):
    """The route does not take this ``Content-Type``."""

    status_code = 415
    code = "unsupported-media-type"


class ValidationFailed(APIError):
    """The request parsed, but some fields are invalid; ``errors`` lists them."""

    status_code = 422
    code = "validation-error"


class InvalidRows(ValidationFailed):
    """Rows of a batch are invalid; ``rows`` lists each with its reason. Nothing was issued."""

    code = "invalid-rows"


class ImageRefused(ValidationFailed):
    """A badge image or logo was refused (:mod:`issuer.achievements.artwork`); ``code`` says why."""

    code = "image-refused"

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code


class WebhookUrlRefused(ValidationFailed):
    """A webhook address is not a public HTTPS URL (:mod:`issuer.webhooks.sending`).

    Plain http, user names in the URL, and host names that resolve to private, loopback or
    link-local addresses are refused (loopback and http only with ``WEBHOOK_ALLOW_LOCAL``).
    """

    code = "webhook-url-refused"


class RateLimited(APIError):
    """The client address or API key is over a rate limit (:mod:`issuer.limits`).

    The response says in ``Retry-After`` how many seconds to wait.
    """

    status_code = 429
    code = "rate-limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceBusy(APIError):
    """Contention the service could not settle in time; the same request may be retried."""

    status_code = 503
    code = "try-again"


class BatchTooSlow(ServiceBusy):
    """A batch could not be signed within its time budget; nothing was issued.

    The budget (``BATCH_TIME_BUDGET``) stays below the worker timeout, so the request ends
    in this answer instead of a killed worker. Smaller batches, or a retry when the service
    is less busy, succeed.
    """

    code = "batch-too-slow"


# (domain error class, HTTP status); the first matching entry wins.
DOMAIN_STATUS: Sequence[tuple[type[Exception], int]] = (
    (MalformedCredential, 422),
    (BakingError, 422),
    (StatusListError, 500),
    (BadgeError, 500),
    (WrongMasterKey, 500),
    (InvalidMasterKey, 500),
    (KeyNotFound, 500),
    (KeyManagementError, 500),
)

# Messages of server-side domain failures are replaced: they concern our keys, not the caller.
_SERVER_MESSAGE = "the server could not complete the request"

_HTTP_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    408: "request-timeout",
    409: "conflict",
    410: "gone",
    411: "length-required",
    413: "payload-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


def validation_errors(err: ValidationError) -> list[dict[str, str]]:
    """Return ``[{"field", "message"}]`` for a pydantic error, without echoing the input."""
    found = []
    for item in err.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        found.append({"field": field, "message": item["msg"]})
    return found


def error_for(exc: BaseException) -> APIError:
    """Translate any exception into the :class:`APIError` that describes it to a client."""
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, ValidationError):
        errors = validation_errors(exc)
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        return ValidationFailed(f"{first['field']}: {first['message']}", errors=errors)
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        error = APIError(exc.description or exc.name)
        error.status_code = status
        error.code = _HTTP_CODES.get(status, "http-error" if status < 500 else "internal-error")
        return error
    for kind, status in DOMAIN_STATUS:
        if isinstance(exc, kind):
            code = str(getattr(exc, "code", "internal-error"))
            error = APIError(str(exc) if status < 500 else _SERVER_MESSAGE)
            error.status_code = status
            error.code = code
            return error
    return APIError("internal server error")


ErrorPage = Callable[[APIError], Response | None]


def error_response(exc: BaseException, page: ErrorPage | None = None) -> tuple[Response, int]:
    """Return the response for ``exc`` (logging server-side failures).

    Args:
        page: makes a page for people (a browser outside the API), or returns ``None``
            for the JSON body.
    """
    error = error_for(exc)
    if error.status_code >= 500:
        # The traceback goes to the log; the response says only what failed, never why.
        log.error("request failed: %s", type(exc).__name__, exc_info=exc)
    html = page(error) if page is not None else None
    response = html if html is not None else jsonify(error.to_dict())
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    if html is not None:
        return html, error.status_code
    if valid_methods := getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(valid_methods)
    if error.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="baeji"'
    return response, error.status_code


def init_app(app: Flask, page: ErrorPage | None = None) -> None:
    """Make every error of ``app`` a JSON ``{"error", "message"}`` response (or ``page``'s)."""

    def handle(exc: Exception) -> tuple[Response, int]:
        return error_response(exc, page)

    app.register_error_handler(Exception, handle)
