"""``/api/v1/credentials`` and ``/api/v1/learners``: issuing, status changes, reading.

This module is over 400 lines on purpose: it is the one HTTP edge of the credentials
feature, and most of its length is OpenAPI description (the batch's upload formats and
duplicate policy, the listing's filters) kept next to the route it documents; splitting it
by route would separate operations that share the request readers and response helpers.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from issuer.credentials import batch_jobs, reads, status_changes
from issuer.credentials import service as services
from issuer.credentials.service import BatchOutcome
from issuer.credentials.status_changes import StatusAction
from issuer.credentials.upload import COLUMNS_HELP, XLSX_MEDIA_TYPE, read_table
from issuer.db import get_session
from issuer.errors import InvalidCsv, InvalidHeader, InvalidJson, UnsupportedMediaType
from issuer.jobs import service as jobs
from issuer.operations import caller, json_body, operation, parse, settings, work
from issuer.schemas import (
    BatchBody,
    BatchIssued,
    BatchOptions,
    CredentialCreate,
    CredentialList,
    CredentialOut,
    CredentialPage,
    CredentialQuery,
    ExistingCredential,
    IssuedCredential,
    JobAccepted,
    SkippedRow,
    StatusChange,
    StatusReason,
)

bp = Blueprint("credentials", __name__, url_prefix="/api/v1")
TAG = "credentials"
_CSV_TYPES = frozenset({"text/csv", "application/csv", "application/vnd.ms-excel", XLSX_MEDIA_TYPE})
_ISSUE_ERRORS = {
    409: "The Idempotency-Key was used with another body (idempotency-key-reused), or the "
    "achievement is archived (achievement-archived)",
    429: "Too many issuing requests with this API key, or failed keys from this address "
    "(rate-limited); wait Retry-After seconds",
    503: "Status list entries could not be allocated under contention (try-again); retry "
    "with the same Idempotency-Key",
}
_STATUS_ERRORS = {
    409: "The credential's status does not allow this change, e.g. it is revoked "
    "(invalid-status-change)",
}
_BY_UUID = {"ref": "$response.body#/uuid"}
_ISSUED_LINKS = {
    "GetCredential": {"operationId": "get_api_v1_credentials_ref", "parameters": _BY_UUID},
    "RevokeCredential": {
        "operationId": "post_api_v1_credentials_ref_revoke",
        "parameters": _BY_UUID,
    },
    "SuspendCredential": {
        "operationId": "post_api_v1_credentials_ref_suspend",
        "parameters": _BY_UUID,
    },
    "LearnerCredentials": {
        "operationId": "get_api_v1_learners_ref_credentials",
        "parameters": {"ref": "$response.body#/credential/credentialSubject/id"},
    },
}
_JWT_ALG = {"type": "string", "enum": ["RS256", "EdDSA"]}
_DUPLICATES = {"type": "string", "enum": list(services.DUPLICATES)}
_IDEMPOTENCY = {
    "Idempotency-Key": "Optional, up to 255 printable ASCII characters. The same key with "
    "the same body returns the same credentials (header Idempotent-Replayed: true); with "
    "another body it is a 409."
}


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not all("\x21" <= c <= "\x7e" for c in key):
        raise InvalidHeader("Idempotency-Key must be 1-255 printable ASCII characters")
    return key


def _issued(
    outcome: BatchOutcome, body: dict[str, Any], *, location: str | None = None
) -> tuple[Response, int, dict[str, str]]:
    # The learners' e-mails were queued with the badges; they go out after this answer.
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    if location is not None:
        headers["Location"] = location
    return jsonify(body), 201, headers


@bp.post("/credentials")
@operation(
    summary="Issue a credential",
    tag=TAG,
    body=CredentialCreate,
    responses={201: IssuedCredential},
    headers=_IDEMPOTENCY,
    errors={
        **_ISSUE_ERRORS,
        409: "The learner already holds an active or suspended badge of this achievement "
        "from this issuer and duplicates is reject, the default (already-holds; 'existing' "
        "in the body names that badge; nothing was issued). Also: the Idempotency-Key was "
        "used with another body (idempotency-key-reused), or the achievement is archived "
        "(achievement-archived)",
    },
    links=_ISSUED_LINKS,
    description="Signs an OpenBadgeCredential (Data Integrity eddsa-rdfc-2022 proof, then an "
    "RS256 VC-JWT, or EdDSA with jwtAlg) and returns it with a private wallet link for the "
    "learner that shows this issuer's badges only. With BAEJI_SMTP_URL set, the learner is "
    "also e-mailed a link to all their badges, from every provider. Duplicates are a "
    "decision: by default (duplicates: reject) a learner who already holds an active or "
    "suspended badge of the achievement gets nothing new and the answer is 409 "
    "already-holds naming it; duplicates: allow issues another (a retake); duplicates: "
    "replace revokes the one held (reason 'replaced by <new id>') and issues this one in "
    "one transaction. An Idempotency-Key replay returns what the first request issued.",
)
def issue() -> tuple[Response, int, dict[str, str]]:
    """Issue one credential."""
    caller()  # refuse a missing or wrong key before reading the body
    key = _idempotency_key()
    data = parse(CredentialCreate)
    conf = settings()
    outcome = services.issue_credential(work(), data, idempotency_key=key)
    body = reads.issued_out(conf, outcome.issued[0]).to_json()
    return _issued(outcome, body, location=body["id"])


@bp.post("/credentials/batch")
@operation(
    summary="Issue a batch of credentials (JSON or CSV)",
    tag=TAG,
    body=BatchBody,
    body_types=("application/json", "text/csv", XLSX_MEDIA_TYPE, "multipart/form-data"),
    form={
        "file": {"type": "string", "format": "binary", "description": "the .csv or .xlsx file"},
        "achievementId": {"type": "string", "minLength": 1, "maxLength": 100},
        "jwtAlg": _JWT_ALG,
        "duplicates": _DUPLICATES,
    },
    responses={201: BatchIssued, 202: JobAccepted},
    headers=_IDEMPOTENCY,
    errors={
        **_ISSUE_ERRORS,
        413: "Body over the size limit, or more rows than a batch takes (payload-too-large)",
    },
    links={
        "GetFirstCredential": {
            "operationId": "get_api_v1_credentials_ref",
            "parameters": {"ref": "$response.body#/credentials/0/uuid"},
        }
    },
    query={
        "achievementId": {
            "description": "CSV only: the achievement of rows without an achievementId column",
            "schema": {"type": "string", "minLength": 1, "maxLength": 100},
        },
        "jwtAlg": {"description": "CSV only: RS256 (default) or EdDSA", "schema": _JWT_ALG},
        "duplicates": {
            "description": "CSV/XLSX only: reject (default), allow or replace",
            "schema": _DUPLICATES,
        },
    },
    description="Every row is validated first; if any is invalid the answer (422 "
    "invalid-rows) lists each bad row with its reason and nothing is issued. Otherwise all "
    "rows are issued in one transaction. Rows whose learner already holds an active or "
    "suspended badge of the achievement are skipped and listed in 'skipped' with that badge "
    "(duplicates: reject, the default; 'allow' issues anyway, 'replace' revokes the one held "
    "and issues the new one in the same transaction); the same learner and achievement twice "
    "in one batch is a row error. A batch of more rows than BAEJI_JOB_BATCH_THRESHOLD "
    "(default 200) is checked the same way at once, then issued by a background job: the "
    "answer is 202 with the job (Location: its URL, GET /api/v1/jobs/{id}); poll it until "
    "its state is done, when its result lists each row's credential or skip (wallet links "
    "are e-mailed to learners when mail is set up, and not kept). With an Idempotency-Key "
    "the same batch gives the same job. JSON: a BatchCreate object or a bare list of rows. "
    + COLUMNS_HELP,
)
def batch() -> tuple[Response, int, dict[str, str]]:
    """Issue many credentials, all or none."""
    who = caller()
    key = _idempotency_key()
    rows, options, lines, ignored = _batch_rows()
    conf = settings()
    unit = work()
    if batch_jobs.runs_as_job(unit, len(rows)):
        job_id = batch_jobs.enqueue_batch(
            unit,
            rows,
            achievement_id=options.achievement_id,
            jwt_alg=options.jwt_alg,
            lines=lines,
            duplicates=options.duplicates,
            allow_anonymous=options.allow_anonymous,
            ignored_columns=ignored,
            key=key,
            max_rows=conf.batch_max_rows,
        )
        job = jobs.job_out(conf, jobs.get_job(unit.session, job_id, issuer_id=who.issuer.pk))
        return jsonify(JobAccepted(job=job).to_json()), 202, {"Location": job.url}
    deadline = services.plan_batch(conf, len(rows))
    outcome = services.issue_batch(
        unit,
        rows,
        achievement_id=options.achievement_id,
        jwt_alg=options.jwt_alg,
        lines=lines,
        idempotency_key=key,
        deadline=deadline,
        allow_anonymous=options.allow_anonymous,
        duplicates=options.duplicates,
    )
    rows_of: list[int | None] = [*outcome.rows] or [None] * len(outcome.issued)
    body = BatchIssued(
        count=len(outcome.issued),
        credentials=[
            reads.issued_out(conf, issued, row_number=row)
            for issued, row in zip(outcome.issued, rows_of, strict=True)
        ],
        skipped_count=len(outcome.skipped),
        ignored_columns=ignored,
        skipped=[
            SkippedRow(
                row=skip.row,
                line=lines[skip.row - 1] if lines is not None else None,
                existing=ExistingCredential.model_validate(
                    services.existing_ref(conf, skip.existing)
                ),
            )
            for skip in outcome.skipped
        ],
    ).to_json()
    return _issued(outcome, body)


def _batch_rows() -> tuple[list[Any], BatchOptions, list[int] | None, list[str]]:
    if request.mimetype in _CSV_TYPES or request.mimetype == "multipart/form-data":
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                raise InvalidCsv("send the .csv or .xlsx file in a form field named 'file'")
            data = upload.read()
            fields = {**request.args.to_dict(), **request.form.to_dict()}
        else:
            data = request.get_data(cache=True)
            fields = request.args.to_dict()
        options = BatchOptions.model_validate(fields)
        parsed = read_table(data)
        if not parsed.rows:
            raise InvalidCsv("the file has a header but no rows")
        return list(parsed.rows), options, parsed.lines, parsed.ignored_columns
    if not request.is_json:
        raise UnsupportedMediaType(
            "send application/json, text/csv, an .xlsx workbook or a multipart file upload"
        )
    body = json_body()
    if isinstance(body, list):
        return body, BatchOptions(), None, []
    if not isinstance(body, dict) or not isinstance(body.get("credentials"), list):
        raise InvalidJson("send a list of rows, or an object with a 'credentials' list")
    options = BatchOptions.model_validate({k: v for k, v in body.items() if k != "credentials"})
    return list(body["credentials"]), options, None, []


_LIST_QUERY: dict[str, dict[str, Any]] = {
    "name": {
        "description": "part of the recipient's name, any case",
        "schema": {"type": "string", "minLength": 1, "maxLength": 100},
    },
    "email": {
        "description": "the learner's e-mail address (matched by its keyed hash, never stored)",
        "schema": {"type": "string", "format": "email", "maxLength": 254},
    },
    "achievementId": {
        "description": "the achievement's uuid or URL id",
        "schema": {"type": "string", "minLength": 1, "maxLength": 100},
    },
    "term": {
        "description": "the cohort or term (기수/학기), exactly as written in the badge",
        "schema": {"type": "string", "minLength": 1, "maxLength": 100},
    },
    "issuedFrom": {
        "description": "issued at or after this instant (RFC 3339 with offset)",
        "schema": {"type": "string", "format": "date-time"},
    },
    "issuedUntil": {
        "description": "issued before this instant (RFC 3339 with offset)",
        "schema": {"type": "string", "format": "date-time"},
    },
    "status": {
        "description": "only badges in this state",
        "schema": {"type": "string", "enum": ["active", "suspended", "revoked"]},
    },
    "cursor": {
        "description": "nextCursor of the previous page (opaque)",
        "schema": {"type": "string", "maxLength": 200},
    },
    "limit": {
        "description": "credentials per page (default 50)",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
    },
}


@bp.get("/credentials")
@operation(
    summary="List this issuer's credentials",
    tag=TAG,
    responses={200: CredentialPage},
    query=_LIST_QUERY,
    errors={
        400: "A cursor this listing did not hand out (invalid-cursor)",
        422: "A filter is malformed, e.g. a date without an offset (validation-error)",
    },
    links={
        "NextPage": {
            "operationId": "get_api_v1_credentials",
            "parameters": {"cursor": "$response.body#/nextCursor"},
        }
    },
    description="Newest first, ordered by (issuedAt, id); every filter is optional and all "
    "given must hold. Pages are stable while badges are issued: follow nextCursor until it "
    "is absent. The signed credential is not included (GET /api/v1/credentials/{ref}).",
)
def index() -> Response:
    """List the calling issuer's credentials, filtered, one page at a time."""
    unit = work()
    conf = unit.settings
    query = CredentialQuery.model_validate(request.args.to_dict())
    page = reads.list_credentials(unit, query)
    out = CredentialPage(
        credentials=[reads.credential_out(conf, row, full=False) for row in page.rows],
        next_cursor=page.next_cursor,
    )
    return jsonify(out.to_json())


@bp.get("/credentials/<ref:ref>")
@operation(summary="Get a credential", tag=TAG, responses={200: CredentialOut})
def show(ref: str) -> Response:
    """Return one credential of the calling issuer, with its status."""
    who = caller()
    conf = settings()
    row = reads.get_credential(get_session(), conf, who.issuer, ref)
    return jsonify(reads.credential_out(conf, row).to_json())


def _change(ref: str, action: StatusAction) -> Response:
    unit = work()  # authenticates before the body is read, as every API view does
    # The document shows StatusReason for revoke and suspend; the service refuses a
    # missing reason itself, naming the action.
    change = parse(StatusChange, optional=action == "unsuspend")
    row = status_changes.change_status(
        unit, ref, action, reason=change.reason, public_reason=change.public_reason
    )
    return jsonify(reads.credential_out(unit.settings, row, full=False).to_json())


@bp.post("/credentials/<ref:ref>/revoke")
@operation(
    summary="Revoke a credential",
    tag=TAG,
    body=StatusReason,
    responses={200: CredentialOut},
    errors=_STATUS_ERRORS,
    description="Final. Sets the credential's bit in its revocation status list, which is "
    "re-signed at once. A reason is required.",
)
def revoke(ref: str) -> Response:
    """Revoke a credential (final)."""
    return _change(ref, "revoke")


@bp.post("/credentials/<ref:ref>/suspend")
@operation(
    summary="Suspend a credential",
    tag=TAG,
    body=StatusReason,
    responses={200: CredentialOut},
    errors=_STATUS_ERRORS,
    links={
        "UnsuspendCredential": {
            "operationId": "post_api_v1_credentials_ref_unsuspend",
            "parameters": {"ref": "$request.path.ref"},
        }
    },
    description="Reversible with unsuspend. A reason is required.",
)
def suspend(ref: str) -> Response:
    """Suspend a credential."""
    return _change(ref, "suspend")


@bp.post("/credentials/<ref:ref>/unsuspend")
@operation(
    summary="Lift a suspension",
    tag=TAG,
    body=StatusChange,
    body_required=False,
    responses={200: CredentialOut},
    errors=_STATUS_ERRORS,
)
def unsuspend(ref: str) -> Response:
    """Lift a suspension."""
    return _change(ref, "unsuspend")


@bp.get("/learners/<ref>/credentials")
@operation(
    summary="List a learner's credentials from this issuer",
    tag=TAG,
    responses={200: CredentialList},
    description="The learner is named by the urn:uuid of credentialSubject.id, its uuid, "
    "or their email address.",
)
def learner(ref: str) -> Response:
    """List one learner's credentials from the calling issuer."""
    unit = work()
    conf = unit.settings
    found, rows = reads.learner_credentials(unit, ref)
    out = CredentialList(
        learner_id=f"urn:uuid:{found.id}",
        credentials=[reads.credential_out(conf, row, full=False) for row in rows],
    )
    return jsonify(out.to_json())
