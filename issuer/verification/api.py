"""``POST /api/v1/verify``: public verification with the ``verify`` package.

The verification itself is :func:`issuer.verification.service.verify_source`, shared with the
web pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from issuer.errors import BadRequest, UnsupportedMediaType
from issuer.operations import json_body, operation
from issuer.schemas import VerifyBody, VerifyRequest
from issuer.verification import certification
from issuer.verification.service import verify_source

bp = Blueprint("verification", __name__, url_prefix="/api/v1")
# Baked badges, and photos or scans of a QR code.
_IMAGE_TYPES = frozenset(
    {"image/png", "image/svg+xml", "image/jpeg", "image/webp", "application/octet-stream"}
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
    body=VerifyBody,
    body_types=(
        "application/json",
        "text/plain",
        "application/jwt",
        "application/vc+jwt",
        "image/png",
        "image/svg+xml",
        "image/jpeg",
        "image/webp",
        "application/octet-stream",
        "multipart/form-data",
    ),
    form={
        "file": {"type": "string", "format": "binary", "description": "the credential file"},
        "email": {"type": "string", "description": "the candidate's email, to match"},
        "lang": {"type": "string", "enum": ["ko", "en"]},
    },
    responses={200: None},
    auth=False,
    errors={
        429: "Too many verifications from this address (rate-limited); wait Retry-After seconds",
    },
    query={
        "lang": {
            "description": "the report's language: ko (default) or en",
            "schema": {"type": "string", "enum": ["ko", "en"]},
        },
        "email": {
            "description": "the candidate's email, to match (non-JSON bodies)",
            "schema": {"type": "string"},
        },
    },
    description="Runs the verify package on a credential given as JSON (the credential "
    "itself, or a VerifyRequest), a compact VC-JWT or an https URL as text/plain, a baked "
    "PNG/SVG or a QR image (raw body or multipart 'file'). Always 200 with the report; its "
    "'verdict' is valid, revoked, suspended, expired, not-yet-valid, invalid, "
    "recipient-mismatch, unverifiable or unreadable. The 'issuer-certification' check "
    "reports the issuer's certification by this platform, verified in full; it never "
    "changes the verdict.",
)
def verify() -> Response:
    """Verify a credential and return the report."""
    source, email, lang = _source()
    if lang not in ("ko", "en"):
        lang = "ko"
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    report = certification.with_certification(app, verify_source(app, source, email=email))
    return jsonify(report.to_dict(lang=lang))
