"""Console pages for issuing: one badge from a form, and a cohort from a spreadsheet
(upload, preview with every row's problems, confirm, the wallet-link sheet).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

from flask import (
    Response,
    abort,
    g,
    redirect,
    request,
    url_for,
)
from pydantic import ValidationError

from issuer.achievements import service as catalog
from issuer.console import cohort
from issuer.console.views import (
    _db,
    _work,
    bp,
    cohort_result,
    course_of,
    field_errors,
    needs,
    page,
    spreadsheet,
)
from issuer.credentials import batch_jobs
from issuer.credentials import service as services
from issuer.errors import AlreadyHolds, APIError, InvalidCsv, NotFound
from issuer.learners import service as learners
from issuer.models import Achievement, Credential
from issuer.schemas import CredentialCreate


def _open_courses() -> list[Achievement]:
    return catalog.list_achievements(_db(), g.console.issuer)


def _issue_one_page(status: int = 200, **context: Any) -> Response:
    values: dict[str, Any] = {
        "courses": _open_courses(),
        "form": {},
        "errors": [],
        "issued": None,
        "selected": "",
        "holds": None,
        # A fresh key per form: a double submit replays, a new form issues anew.
        "nonce": secrets.token_urlsafe(12),
        **context,
    }
    return page("issue_one.html", status=status, **values)


@bp.route("/issue", methods=["GET", "POST"])
@needs("issue")
def issue_one() -> Any:
    if request.method == "GET":
        return _issue_one_page(selected=request.args.get("course", ""))
    form = request.form
    body: dict[str, Any] = {
        "achievementId": form.get("course", ""),
        "recipient": {
            "email": form.get("email", "").strip(),
            "name": form.get("name", "").strip() or None,
        },
    }
    if form.get("result", "").strip():
        body["result"] = [{"value": form["result"].strip()}]
    if form.get("credits", "").strip():
        body["creditsEarned"] = form["credits"].strip()
    if form.get("term", "").strip():
        body["term"] = form["term"].strip()
    for name, key in (("start", "activityStartDate"), ("end", "activityEndDate")):
        if form.get(name, "").strip():
            body[key] = form[name].strip() + "T00:00:00Z"
    if form.get("evidence", "").strip():
        body["evidence"] = [{"id": form["evidence"].strip()}]
    work = _work()
    try:
        data = CredentialCreate.model_validate(body)
        course = course_of(data.achievement_id)
        again = form.get("again") == "1"
        holds = cohort.holder(work, course, data.recipient.email)
        if holds is not None and not again:
            return _issue_one_page(
                409, form=form, selected=course.id, holds=holds, nonce=form.get("nonce", "")
            )
        nonce = form.get("nonce", "")
        key = (
            "console-one-"
            + hashlib.sha256((nonce + json.dumps(body, sort_keys=True)).encode()).hexdigest()
        )
        outcome = services.issue_credential(
            work,
            data,
            idempotency_key=key if nonce else None,
            # A retake is the operator's explicit choice; otherwise a badge issued since the
            # check above is refused (already-holds) rather than issued twice.
            duplicates="allow" if again else "reject",
        )
    except AlreadyHolds:
        holds = cohort.holder(work, course, data.recipient.email)
        return _issue_one_page(
            409, form=form, selected=course.id, holds=holds, nonce=form.get("nonce", "")
        )
    except (ValidationError, APIError) as err:
        return _issue_one_page(
            422, form=form, errors=field_errors(err), selected=form.get("course", "")
        )
    return _issue_one_page(issued=outcome.issued[0])


def _sheet_from_form() -> tuple[bytes, str, cohort.Sheet]:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data, name = upload.read(), upload.filename
    else:
        try:
            data = base64.b64decode(request.form.get("data", ""), validate=True)
        except ValueError:
            raise InvalidCsv("the upload was lost; choose the file again") from None
        name = request.form.get("filename", "")
    if not data:
        raise InvalidCsv("choose a .csv or .xlsx file")
    return data, name, cohort.read_sheet(data, name)


def _mapping(sheet: cohort.Sheet) -> list[str]:
    if "map_0" not in request.form:
        return cohort.guess(sheet.header)
    chosen = [request.form.get(f"map_{i}", "") for i in range(len(sheet.header))]
    return [c if c in cohort.FIELDS else cohort.IGNORE for c in chosen]


@bp.route("/cohort", methods=["GET", "POST"])
@needs("issue")
def cohort_upload() -> Any:
    courses = _open_courses()
    if request.method == "GET":
        return page(
            "cohort_upload.html",
            courses=courses,
            problem=None,
            selected=request.args.get("course", ""),
        )
    try:
        course = course_of(request.form.get("course", ""))
        data, name, sheet = _sheet_from_form()
    except APIError as err:
        return page(
            "cohort_upload.html",
            status=400,
            courses=courses,
            problem=err.message,
            selected=request.form.get("course", ""),
        )
    mapping = _mapping(sheet)
    found = cohort.preview(_work(), course, sheet, mapping)
    return page(
        "cohort_preview.html",
        course=course,
        sheet=sheet,
        mapping=mapping,
        fields=list(cohort.FIELDS),
        preview=found,
        data=base64.b64encode(data).decode(),
        filename=name,
    )


@bp.route("/cohort/confirm", methods=["POST"])
@needs("issue")
def cohort_confirm() -> Any:
    course = course_of(request.form.get("course", ""))
    data, _name, sheet = _sheet_from_form()
    mapping = _mapping(sheet)
    again = request.form.get("again") == "1"
    found = cohort.preview(_work(), course, sheet, mapping)
    if found.problems or found.missing:
        raise InvalidCsv("fix the rows with problems, then upload the file again")
    chosen = found.to_issue(again=again)
    if batch_jobs.runs_as_job(_work(), len(chosen)):
        # A large cohort is signed by a background job; its page shows the progress, then
        # this same result page.
        job_id = batch_jobs.enqueue_batch(
            _work(),
            [r.row for r in chosen],
            achievement_id=course.id,
            lines=[r.line for r in chosen],
            duplicates="allow" if again else "reject",
            key=cohort.idempotency_key(data, course, mapping, again),
            max_rows=cohort.MAX_ROWS,
        )
        return redirect(url_for("console.job", job_id=job_id), 303)
    issued: list[tuple[cohort.PreviewRow, services.Issued]] = []
    raced: list[cohort.PreviewRow] = []
    if chosen:
        outcome = services.issue_batch(
            _work(),
            [r.row for r in chosen],
            achievement_id=course.id,
            lines=[r.line for r in chosen],
            idempotency_key=cohort.idempotency_key(data, course, mapping, again),
            max_rows=cohort.MAX_ROWS,
            duplicates="allow" if again else "reject",
        )
        # Rows whose learner got the badge after the preview are skipped by the service.
        numbers = outcome.rows or list(range(1, len(outcome.issued) + 1))
        issued = [(chosen[n - 1], i) for n, i in zip(numbers, outcome.issued, strict=True)]
        for skip in outcome.skipped:
            chosen[skip.row - 1].holds = skip.existing
            raced.append(chosen[skip.row - 1])
    skipped = [r for r in found.holders if not again] + raced
    return cohort_result(course, issued, skipped)


@bp.route("/cohort/sheet", methods=["POST"])
@needs("issue")
def cohort_sheet() -> Any:
    """The wallet-link sheet of a confirmed cohort, for mail-merge (fresh links)."""
    try:
        wanted = json.loads(request.form.get("rows", "[]"))
    except ValueError:
        abort(400)
    work = _work()
    db, conf = work.session, work.settings
    rows: list[list[str]] = []
    with work.write():
        for item in wanted if isinstance(wanted, list) else []:
            row = db.get(Credential, str(item.get("credential", "")))
            if row is None or row.issuer_id != g.console.issuer.pk:
                raise NotFound("no such badge")
            wallet = learners.new_wallet_url(work, row.learner_id, issuer_id=g.console.issuer.pk)
            rows.append(
                [
                    str(item.get("email", "")),
                    str(item.get("name", "")),
                    conf.url("credentials", row.id),
                    wallet,
                ]
            )
    kind = "xlsx" if request.form.get("format") == "xlsx" else "csv"
    return spreadsheet(
        "wallet-links", ["이메일 email", "이름 name", "배지 badge", "지갑 링크 wallet"], rows, kind
    )


# -- issued badges ----------------------------------------------------------------------------
