"""``POST /api/v1/verify``: public verification with the ``verify`` package.

Documents under this service's own origin (DID documents, status lists, credentials) are
answered in-process by the application itself, so a development server on 127.0.0.1
verifies its own badges without opening the verifier to local addresses; anything else
goes through :class:`verify.HttpFetcher` (HTTPS, public addresses only).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from issuer.api import json_body, operation, settings
from issuer.errors import BadRequest, UnsupportedMediaType
from issuer.schemas import VerifyRequest
from verify import (
    DocumentNotFound,
    FetchedDocument,
    Fetcher,
    HttpFetcher,
    HttpStatusError,
    verify_credential,
)

bp = Blueprint("verification", __name__, url_prefix="/api/v1")
# Baked badges, and photos or scans of a QR code.
_IMAGE_TYPES = frozenset(
    {"image/png", "image/svg+xml", "image/jpeg", "image/webp", "application/octet-stream"}
)


class AppFetcher:
    """A :class:`verify.Fetcher` that answers URLs of this service from the app itself.

    did:web URLs always say ``https``; a development origin is ``http``, so only host and
    port are compared.
    """

    def __init__(self, app: Flask, base_url: str, fallback: Fetcher) -> None:
        self._app = app
        origin = urlsplit(base_url)
        self._netloc = origin.netloc.lower()
        self._prefix = origin.path.rstrip("/")
        self._fallback = fallback

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        """Return the document at ``url``."""
        parts = urlsplit(url)
        if parts.netloc.lower() != self._netloc or not parts.path.startswith(self._prefix + "/"):
            return self._fallback.fetch(url, accept=accept)
        path = parts.path[len(self._prefix) :]
        with self._app.test_client() as client:
            response = client.get(path, query_string=parts.query, headers={"Accept": accept})
        if response.status_code in (404, 410):
            raise DocumentNotFound(f"{url} answered {response.status_code}", url=url)
        if not 200 <= response.status_code < 300:
            raise HttpStatusError(
                f"{url} answered {response.status_code}", url=url, status=response.status_code
            )
        headers = {key.lower(): value for key, value in response.headers.items()}
        return FetchedDocument(
            url, response.status_code, response.content_type or "", response.get_data(), headers
        )


def _source() -> tuple[Any, str | None, str]:
    """Return (source for verify_credential, email, language) from the request."""
    lang = request.args.get("lang", "ko")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("send the credential file in a form field named 'file'")
        return upload.read(), request.form.get("email") or None, request.form.get("lang", lang)
    if request.mimetype in _IMAGE_TYPES:
        return request.get_data(cache=True), request.args.get("email"), lang
    if request.mimetype in ("text/plain", "application/jwt", "application/vc+jwt"):
        text = request.get_data(cache=True).decode("utf-8", errors="replace").strip()
        return text, request.args.get("email"), lang
    if not request.is_json:
        raise UnsupportedMediaType(
            "send JSON, a JWT or URL as text/plain, an image, or a multipart 'file' upload"
        )
    body = json_body()
    if isinstance(body, dict) and "@context" in body:
        return body, request.args.get("email"), lang
    data = VerifyRequest.model_validate(body)
    source: Any = data.credential if data.credential is not None else data.url
    return source, data.email, data.lang


@bp.post("/verify")
@operation(
    summary="Verify a credential",
    tag="verification",
    body=VerifyRequest,
    body_types=(
        "application/json",
        "text/plain",
        "image/png",
        "image/svg+xml",
        "image/jpeg",
        "multipart/form-data",
    ),
    responses={200: None},
    auth=False,
    query={"lang": "ko (default) or en", "email": "the candidate's email, to match"},
    description="Runs the verify package on a credential given as JSON (the credential "
    "itself, or a VerifyRequest), a compact VC-JWT or an https URL as text/plain, a baked "
    "PNG/SVG or a QR image (raw body or multipart 'file'). Always 200 with the report; its "
    "'verdict' is valid, revoked, suspended, expired, not-yet-valid, invalid or unverifiable.",
)
def verify() -> Response:
    """Verify a credential and return the report."""
    source, email, lang = _source()
    if lang not in ("ko", "en"):
        lang = "ko"
    conf = settings()
    fetcher = AppFetcher(current_app._get_current_object(), conf.base_url, HttpFetcher())  # type: ignore[attr-defined]
    report = verify_credential(source, now=conf.clock(), fetcher=fetcher, email=email)
    return jsonify(report.to_dict(lang=lang))
