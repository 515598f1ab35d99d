"""``POST /api/v1/verify/batch``: verify many candidates' badges in one request.

Multipart with several files in fields named ``file`` (or ``files``), or JSON
``{"credentials": [...], "urls": [...], "lang": "ko"}``. Answers ``200`` with
``{"results": [row, ...], "summary": {...}}``: one row per input, in order, as
``baeji verify --json`` prints them (:mod:`verify.batch`). At most 50 inputs per request
(``400 too-many-inputs``); nothing is stored.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from issuer.operations import json_body, operation
from issuer.verification.batch import (
    BatchVerifyRequest,
    named_sources,
    uploaded_sources,
    verify_many,
)
from verify.batch import summarize

bp = Blueprint("verify_batch", __name__, url_prefix="/api/v1")


@bp.post("/verify/batch")
@operation(
    summary="Verify many credentials",
    tag="verification",
    body=BatchVerifyRequest,
    body_types=("application/json", "multipart/form-data"),
    form={
        "file": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "the credential files (at most 50)",
        },
        "lang": {"type": "string", "enum": ["ko", "en"]},
    },
    responses={200: None},
    auth=False,
    errors={
        429: "Too many verifications from this address (rate-limited); wait Retry-After seconds",
    },
    query={
        "lang": {
            "description": "the rows' language: ko (default) or en",
            "schema": {"type": "string", "enum": ["ko", "en"]},
        },
    },
    description="Verifies each credential on its own, as POST /api/v1/verify does, and "
    "returns one row per input (input, verdict, holder, issuer, course, issued, failed "
    "checks) and counts per verdict. JSON {credentials: [...], urls: [...]} or multipart "
    "files in fields named 'file'. At most 50 inputs; nothing is stored.",
)
def verify_batch() -> Response:
    """Verify every input and return the table and summary."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sources: list[tuple[str, Any]]
    if request.mimetype == "multipart/form-data":
        lang = request.form.get("lang") or request.args.get("lang", "ko")
        files = request.files.getlist("file") + request.files.getlist("files")
        sources = list(uploaded_sources(files))
    else:
        data = BatchVerifyRequest.model_validate(json_body())
        lang = data.lang
        sources = list(named_sources(data))
    if lang not in ("ko", "en"):
        lang = "ko"
    rows = verify_many(app, sources, lang=lang)
    return jsonify({"results": [r.to_dict(lang) for r in rows], "summary": summarize(rows)})
