"""The provider console's pages at ``/console/``.

Server-rendered, no scripts (the service's Content-Security-Policy allows none). Every POST
carries a CSRF token (Flask-WTF's :class:`CSRFProtect`, checked for this blueprint only:
the API authenticates with bearer keys and takes no cookies). A staff member signs in with
their e-mail, password and, when turned on, a TOTP code; the session lives in the database
(:mod:`issuer.console.service`) and the browser holds only its random token, in a cookie
scoped to ``/console`` (HttpOnly, SameSite=Lax, Secure when the public origin is HTTPS).

Failed sign-ins are counted per address and per account (Flask-Limiter's storage), and a
page is only ever filled with the signed-in provider's data: another provider's badge or
course by id is "not found".

This module is over 400 lines on purpose, for now: it is the console blueprint's one list of
routes (sign-in, courses, cohort issuing, issued badges, settings), each view thin over the
feature services. Splitting it by page group (one blueprint each) is the next step once the
console grows further.
"""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import hmac
import io
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, time
from email.message import EmailMessage
from typing import Any, TypeVar, cast

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from limits import parse_many
from pydantic import ValidationError
from sqlmodel import Session, col, func, select
from werkzeug.wrappers import Response as BaseResponse

from issuer import audit, settings_of
from issuer.achievements import service as catalog
from issuer.achievements.artwork import Artwork, check_artwork, logo_url, store_logo
from issuer.console import cohort, service
from issuer.console.models import ROLES, StaffUser
from issuer.credentials import mail, reads, status_changes
from issuer.credentials import service as services
from issuer.db import Work, get_session, write_transaction
from issuer.errors import AlreadyHolds, APIError, Forbidden, InvalidCsv, NotFound
from issuer.issuers import service as accounts
from issuer.issuers import signing
from issuer.learners import service as learners
from issuer.limits import limiter_of
from issuer.models import Achievement, AuditEvent, Credential, SigningKey
from issuer.pages import render_page
from issuer.schemas import AchievementCreate, AchievementUpdate, CredentialCreate

__all__ = ["bp", "init_app"]

bp = Blueprint("console", __name__, url_prefix="/console")

COOKIE = "baeji_console"
PAGE_SIZE = 50
_csrf = CSRFProtect()
_View = TypeVar("_View", bound=Callable[..., Any])
ACHIEVEMENT_TYPES = (
    "Course",
    "Certificate",
    "Certification",
    "Badge",
    "Award",
    "Competency",
    "Diploma",
    "License",
    "MicroCredential",
    "Achievement",
)
NCS_FRAMEWORK = "NCS 국가직무능력표준"
NCS_URL = "https://www.ncs.go.kr/unity/th03/ncsSearchMain.do"


# -- plumbing ---------------------------------------------------------------------------------


def _settings() -> Any:
    return settings_of(current_app)


def _now() -> datetime:
    now: datetime = _settings().clock()
    return now


def _db() -> Session:
    return get_session()


def _https() -> bool:
    return bool(_settings().base_url.lower().startswith("https://"))


def _actor() -> str:
    return f"staff:{g.console.user.email}"


def _work() -> Work:
    """The unit of work of this console request: the signed-in staff member's issuer."""
    return Work(_db(), _settings(), _now(), _actor(), g.console.issuer)


def page(template: str, *, status: int = 200, **context: Any) -> Response:
    """Render a console page: never cached, never indexed, no Referer leaves the origin."""
    signed_in = g.get("console")
    response = render_page(
        f"console/{template}",
        status=status,
        private=True,
        me=signed_in.user if signed_in else None,
        org=signed_in.issuer if signed_in else None,
        can=lambda action: signed_in is not None and service.allowed(signed_in.user, action),
        csrf_token=generate_csrf,
        **context,
    )
    # Same-origin Referer (not none): Flask-WTF checks it on HTTPS form posts.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def needs(action: str) -> Callable[[_View], _View]:
    """Let the view run only for a signed-in staff member whose role allows ``action``."""

    def wrap(view: _View) -> _View:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if g.get("console") is None:
                return redirect(url_for("console.login", next=request.full_path))
            if not service.allowed(g.console.user, action):
                raise Forbidden(f"your role ({g.console.user.role}) may not do this")
            return view(*args, **kwargs)

        return cast(_View, inner)

    return wrap


@bp.before_request
def _load_session() -> None:
    g.console = service.resume(_db(), request.cookies.get(COOKIE), now=_now())
    if request.method == "POST":
        _csrf.protect()


@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> Response:
    return page("error.html", status=400, message="console.csrf_refused")


@bp.errorhandler(APIError)
def _api_error(error: APIError) -> Response:
    return page(
        "error.html", status=error.status_code, message=None, detail=error.message, code=error.code
    )


def _cookie(response: BaseResponse, token: str | None) -> BaseResponse:
    if token is None:
        response.delete_cookie(
            COOKIE, path="/console", secure=_https(), httponly=True, samesite="Lax"
        )
    else:
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(service.SESSION_MAX.total_seconds()),
            path="/console",
            secure=_https(),
            httponly=True,
            samesite="Lax",
        )
    return response


# -- signing in -------------------------------------------------------------------------------


def _limits() -> tuple[Any, Any, Any]:
    config = current_app.config
    return (
        limiter_of(current_app).limiter,
        parse_many(str(config.get("RATELIMIT_CONSOLE_LOGIN") or "20 per minute;100 per hour")),
        parse_many(str(config.get("RATELIMIT_CONSOLE_ACCOUNT") or "10 per 15 minutes")),
    )


def _login_keys(email: str) -> tuple[str, str]:
    """What failed sign-ins are counted under: the client address, and the account (its
    e-mail hashed, so the limiter's store holds no address)."""
    address = request.remote_addr or "unknown"
    return address, hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _throttled(email: str) -> bool:
    strategy, per_address, per_account = _limits()
    address, account = _login_keys(email)
    return not all(
        strategy.test(limit, "console-login-addr", address) for limit in per_address
    ) or not all(strategy.test(limit, "console-login-account", account) for limit in per_account)


def _count_failure(email: str) -> None:
    strategy, per_address, per_account = _limits()
    address, account = _login_keys(email)
    for limit in per_address:
        strategy.hit(limit, "console-login-addr", address)
    for limit in per_account:
        strategy.hit(limit, "console-login-account", account)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return url_for("console.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return page("login.html", email="", problem=None, totp=False)
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    code = request.form.get("code") or None
    if _throttled(email):
        return page("login.html", status=429, email=email, problem="console.throttled", totp=False)
    db = _db()
    try:
        user = service.check_credentials(
            db, _settings(), email=email, password=password, totp_code=code, now=_now()
        )
    except service.NeedsSecondFactor:
        if code:
            _count_failure(email)
            service.record_failed_sign_in(db, email, now=_now())
        return page(
            "login.html",
            status=401,
            email=email,
            problem="console.totp_wrong" if code else None,
            totp=True,
            password=password,
        )
    except APIError:
        _count_failure(email)
        service.record_failed_sign_in(db, email, now=_now())
        return page(
            "login.html", status=401, email=email, problem="console.login_wrong", totp=False
        )
    token = service.start_session(db, user, now=_now(), user_agent=request.user_agent.string)
    return _cookie(redirect(_safe_next(request.args.get("next"))), token)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if g.console is not None:
        service.end_session(_db(), g.console, now=_now())
    return _cookie(redirect(url_for("console.login")), None)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Any:
    db = _db()
    user = service.link_user(db, token, now=_now())
    if request.method == "GET":
        return page("set_password.html", email=user.email, problem=None)
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        return page("set_password.html", status=422, email=user.email, problem="console.mismatch")
    try:
        service.set_password(db, token, password, now=_now())
    except APIError as err:
        return page("set_password.html", status=422, email=user.email, problem_text=err.message)
    return _cookie(redirect(url_for("console.login", done="1")), None)


@bp.route("/")
@needs("read")
def home() -> Any:
    return redirect(url_for("console.courses"))


# -- courses ----------------------------------------------------------------------------------


@bp.route("/courses")
@needs("read")
def courses() -> Any:
    archived = request.args.get("archived") == "1"
    rows = catalog.list_achievements(_db(), g.console.issuer, include_archived=archived)
    return page("courses.html", rows=rows, archived=archived)


def _course_form(row: Achievement | None) -> dict[str, Any]:
    doc = json.loads(row.document) if row is not None else {}
    alignment = doc.get("alignment") or []
    results = doc.get("resultDescription") or []
    return {
        "name": doc.get("name", ""),
        "description": doc.get("description", ""),
        "narrative": (doc.get("criteria") or {}).get("narrative", ""),
        "criteria_url": (doc.get("criteria") or {}).get("id", ""),
        "achievementType": doc.get("achievementType", "Course"),
        "tags": ", ".join(doc.get("tag") or []),
        "credits": doc.get("creditsAvailable", ""),
        "fieldOfStudy": doc.get("fieldOfStudy", ""),
        "humanCode": doc.get("humanCode", ""),
        "alignment": "\n".join(
            " | ".join(
                [
                    a.get("targetName", ""),
                    a.get("targetUrl", ""),
                    a.get("targetCode", "") or "",
                    a.get("targetFramework", "") or "",
                ]
            )
            for a in alignment
        ),
        "results": "\n".join(
            " | ".join(
                [
                    r.get("id", ""),
                    r.get("name", ""),
                    r.get("resultType", ""),
                    ", ".join(r.get("allowedValue") or []),
                ]
            )
            for r in results
        ),
        "ncs_code": "",
        "ncs_name": "",
    }


def _lines(text: str) -> list[list[str]]:
    return [[p.strip() for p in line.split("|")] for line in text.splitlines() if line.strip()]


def _course_body(form: Any) -> dict[str, Any]:
    """The API's achievement JSON from the course form (checked by the API's own model)."""
    body: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "description": form.get("description", "").strip(),
        "criteria": {"narrative": form.get("narrative", "").strip() or None},
        "achievementType": form.get("achievementType") or "Course",
        "tag": [t.strip() for t in form.get("tags", "").split(",") if t.strip()],
        "fieldOfStudy": form.get("fieldOfStudy", "").strip() or None,
        "humanCode": form.get("humanCode", "").strip() or None,
    }
    if form.get("criteria_url", "").strip():
        body["criteria"]["id"] = form["criteria_url"].strip()
    credits = form.get("credits", "").strip()
    body["creditsAvailable"] = credits or None
    alignment: list[dict[str, Any]] = []
    for parts in _lines(form.get("alignment", "")):
        parts += [""] * 4
        target: dict[str, Any] = {"targetName": parts[0], "targetUrl": parts[1]}
        if parts[2]:
            target["targetCode"] = parts[2]
        if parts[3]:
            target["targetFramework"] = parts[3]
        alignment.append(target)
    ncs_code = form.get("ncs_code", "").strip()
    if ncs_code:
        alignment.append(
            {
                "targetName": form.get("ncs_name", "").strip() or f"NCS {ncs_code}",
                "targetUrl": NCS_URL,
                "targetCode": ncs_code,
                "targetFramework": NCS_FRAMEWORK,
            }
        )
    body["alignment"] = alignment
    results: list[dict[str, Any]] = []
    for parts in _lines(form.get("results", "")):
        parts += [""] * 4
        item: dict[str, Any] = {
            "id": parts[0],
            "name": parts[1],
            "resultType": parts[2] or "LetterGrade",
        }
        allowed = [v.strip() for v in parts[3].split(",") if v.strip()]
        if allowed:
            item["allowedValue"] = allowed
        results.append(item)
    body["resultDescription"] = results
    return body


def _uploaded_image(field: str) -> tuple[str, Artwork] | None:
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None
    data = upload.read()
    artwork = check_artwork(data, field=field)
    uri = f"data:{artwork.media_type};base64,{base64.b64encode(artwork.data).decode()}"
    return uri, artwork


def _field_errors(err: Exception) -> list[str]:
    if isinstance(err, ValidationError):
        return [".".join(str(p) for p in e["loc"]) + ": " + str(e["msg"]) for e in err.errors()]
    if isinstance(err, APIError):
        return [err.message]
    return [str(err)]


@bp.route("/courses/new", methods=["GET", "POST"])
@needs("issue")
def course_new() -> Any:
    if request.method == "GET":
        return page(
            "course_form.html",
            form=_course_form(None),
            row=None,
            errors=[],
            types=ACHIEVEMENT_TYPES,
        )
    body = _course_body(request.form)
    try:
        image = _uploaded_image("image")
        if image is not None:
            body["image"] = image[0]
        data = AchievementCreate.model_validate(body)
        row = catalog.create_achievement(_work(), data, artwork=image[1] if image else None)
    except (ValidationError, APIError) as err:
        return page(
            "course_form.html",
            status=422,
            form=request.form,
            row=None,
            errors=_field_errors(err),
            types=ACHIEVEMENT_TYPES,
        )
    return redirect(url_for("console.course_edit", course_id=row.id, saved="1"))


def _course(course_id: str) -> Achievement:
    return catalog.get_achievement(_db(), _settings(), g.console.issuer, course_id)


@bp.route("/courses/<course_id>", methods=["GET", "POST"])
@needs("read")
def course_edit(course_id: str) -> Any:
    row = _course(course_id)
    if request.method == "GET":
        return page(
            "course_form.html",
            form=_course_form(row),
            row=row,
            errors=[],
            types=ACHIEVEMENT_TYPES,
            saved=request.args.get("saved"),
        )
    if not service.allowed(g.console.user, "issue"):
        raise Forbidden("your role may not edit courses")
    body = _course_body(request.form)
    try:
        image = _uploaded_image("image")
        if image is not None:
            body["image"] = image[0]
        patch = AchievementUpdate.model_validate(body)
        catalog.update_achievement(_work(), row.id, patch, artwork=image[1] if image else None)
    except (ValidationError, APIError) as err:
        return page(
            "course_form.html",
            status=422,
            form=request.form,
            row=row,
            errors=_field_errors(err),
            types=ACHIEVEMENT_TYPES,
        )
    return redirect(url_for("console.course_edit", course_id=row.id, saved="1"))


@bp.route("/courses/<course_id>/archive", methods=["GET", "POST"])
@needs("issue")
def course_archive(course_id: str) -> Any:
    row = _course(course_id)
    if request.method == "GET":
        return page("confirm_archive.html", row=row)
    catalog.archive_achievement(_work(), row.id)
    return redirect(url_for("console.courses"))


# -- issuing ----------------------------------------------------------------------------------


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
    db, conf = _db(), _settings()
    try:
        data = CredentialCreate.model_validate(body)
        course = _course(data.achievement_id)
        again = form.get("again") == "1"
        holds = cohort.holder(db, conf, course, data.recipient.email, now=_now())
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
            db,
            conf,
            g.console.issuer,
            data,
            now=_now(),
            actor=_actor(),
            idempotency_key=key if nonce else None,
            # A retake is the operator's explicit choice; otherwise a badge issued since the
            # check above is refused (already-holds) rather than issued twice.
            duplicates="allow" if again else "reject",
        )
    except AlreadyHolds:
        holds = cohort.holder(db, conf, course, data.recipient.email, now=_now())
        return _issue_one_page(
            409, form=form, selected=course.id, holds=holds, nonce=form.get("nonce", "")
        )
    except (ValidationError, APIError) as err:
        return _issue_one_page(
            422, form=form, errors=_field_errors(err), selected=form.get("course", "")
        )
    if not outcome.replayed:
        mail.send_wallet_links(db, conf, outcome.issued, now=_now())
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
        course = _course(request.form.get("course", ""))
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
    found = cohort.preview(_db(), _settings(), course, sheet, mapping, now=_now())
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
    course = _course(request.form.get("course", ""))
    data, _name, sheet = _sheet_from_form()
    mapping = _mapping(sheet)
    again = request.form.get("again") == "1"
    found = cohort.preview(_db(), _settings(), course, sheet, mapping, now=_now())
    if found.problems or found.missing:
        raise InvalidCsv("fix the rows with problems, then upload the file again")
    chosen = found.to_issue(again=again)
    issued: list[tuple[cohort.PreviewRow, services.Issued]] = []
    raced: list[cohort.PreviewRow] = []
    if chosen:
        outcome = services.issue_batch(
            _db(),
            _settings(),
            g.console.issuer,
            [r.row for r in chosen],
            now=_now(),
            actor=_actor(),
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
        if not outcome.replayed:
            mail.send_wallet_links(_db(), _settings(), outcome.issued, now=_now())
    skipped = [r for r in found.holders if not again] + raced
    sheet_rows = [
        {"email": r.email, "name": r.name, "credential": i.credential.id} for r, i in issued
    ]
    return page(
        "cohort_result.html",
        course=course,
        issued=issued,
        skipped=skipped,
        sheet_rows=json.dumps(sheet_rows, ensure_ascii=False),
        credential_url=lambda c: _settings().url("credentials", c.id),
    )


def _spreadsheet(name: str, header: list[str], rows: list[list[str]], kind: str) -> Response:
    if kind == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(header)
        for row in rows:
            sheet.append([cohort.safe_cell(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows([[cohort.safe_cell(v) for v in row] for row in rows])
        body = ("\ufeff" + text.getvalue()).encode()
        media = "text/csv; charset=utf-8"
    response = Response(body, content_type=media)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/cohort/sheet", methods=["POST"])
@needs("issue")
def cohort_sheet() -> Any:
    """The wallet-link sheet of a confirmed cohort, for mail-merge (fresh links)."""
    try:
        wanted = json.loads(request.form.get("rows", "[]"))
    except ValueError:
        abort(400)
    db, conf, now = _db(), _settings(), _now()
    rows: list[list[str]] = []
    with write_transaction(db):
        for item in wanted if isinstance(wanted, list) else []:
            row = db.get(Credential, str(item.get("credential", "")))
            if row is None or row.issuer_id != g.console.issuer.pk:
                raise NotFound("no such badge")
            wallet = learners.new_wallet_url(
                db, conf, row.learner_id, now, issuer_id=g.console.issuer.pk
            )
            rows.append(
                [
                    str(item.get("email", "")),
                    str(item.get("name", "")),
                    conf.url("credentials", row.id),
                    wallet,
                ]
            )
    kind = "xlsx" if request.form.get("format") == "xlsx" else "csv"
    return _spreadsheet(
        "wallet-links", ["이메일 email", "이름 name", "배지 badge", "지갑 링크 wallet"], rows, kind
    )


# -- issued badges ----------------------------------------------------------------------------


def _badge_query() -> Any:
    args = request.args
    issuer = g.console.issuer
    query = (
        select(Credential, Achievement)
        .join(Achievement, col(Achievement.id) == col(Credential.achievement_id))
        .where(Credential.issuer_id == issuer.pk)
    )
    if args.get("name", "").strip():
        query = query.where(
            col(Credential.recipient_name).contains(args["name"].strip(), autoescape=True)
        )
    if args.get("email", "").strip():
        learner = learners.find_learner(_db(), _settings(), args["email"].strip())
        query = query.where(Credential.learner_id == (learner.id if learner else ""))
    if args.get("course"):
        query = query.where(Credential.achievement_id == args["course"])
    if args.get("term", "").strip():
        # The stored document is compact JSON: find its ``"term":"<value>"`` member.
        member = json.dumps(
            {"term": args["term"].strip()}, ensure_ascii=False, separators=(",", ":")
        )
        query = query.where(col(Credential.document).contains(member[1:-1], autoescape=True))
    status_filter = args.get("status")
    if status_filter == "revoked":
        query = query.where(col(Credential.revoked_at).is_not(None))
    elif status_filter == "suspended":
        query = query.where(
            col(Credential.revoked_at).is_(None), col(Credential.suspended_at).is_not(None)
        )
    elif status_filter == "active":
        query = query.where(
            col(Credential.revoked_at).is_(None), col(Credential.suspended_at).is_(None)
        )
    for name, op in (("from", "ge"), ("to", "le")):
        value = args.get(name, "").strip()
        if value:
            try:
                day = datetime.fromisoformat(value).date()
            except ValueError:
                continue
            bound = datetime.combine(day, time.min if op == "ge" else time.max, tzinfo=UTC)
            column = col(Credential.issued_at)
            query = query.where(column >= bound if op == "ge" else column <= bound)
    return query


@bp.route("/badges")
@needs("read")
def badges() -> Any:
    db = _db()
    query = _badge_query()
    total = db.exec(select(func.count()).select_from(query.subquery())).one()
    number = max(1, request.args.get("page", 1, type=int) or 1)
    rows = db.exec(
        query.order_by(col(Credential.issued_at).desc(), col(Credential.id))
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    args = {k: v for k, v in request.args.items() if k != "page"}
    return page(
        "badges.html",
        rows=rows,
        total=total,
        number=number,
        pages=max(1, -(-total // PAGE_SIZE)),
        args=args,
        courses=catalog.list_achievements(db, g.console.issuer, include_archived=True),
    )


@bp.route("/badges.csv")
@needs("read")
def badges_csv() -> Any:
    rows = _db().exec(_badge_query().order_by(col(Credential.issued_at).desc())).all()
    conf = _settings()
    table = [
        [
            c.recipient_name or "",
            a.name,
            c.status,
            c.issued_at.isoformat(),
            c.revocation_reason or c.suspension_reason or "",
            conf.url("credentials", c.id),
        ]
        for c, a in rows
    ]
    return _spreadsheet(
        "badges",
        ["이름 name", "과정 course", "상태 status", "발급일 issued", "사유 reason", "배지 badge"],
        table,
        "csv",
    )


def _badge(badge_id: str) -> tuple[Credential, Achievement]:
    db = _db()
    row = reads.get_credential(db, _settings(), g.console.issuer, badge_id)
    course = db.get(Achievement, row.achievement_id)
    assert course is not None  # noqa: S101 - a foreign key
    return row, course


@bp.route("/badges/<badge_id>")
@needs("read")
def badge(badge_id: str) -> Any:
    row, course = _badge(badge_id)
    return page(
        "badge.html",
        row=row,
        course=course,
        url=_settings().url("credentials", row.id),
        resent=request.args.get("resent"),
        problem=None,
    )


@bp.route("/badges/<badge_id>/resend", methods=["POST"])
@needs("issue")
def badge_resend(badge_id: str) -> Any:
    """E-mail the learner a new full wallet link (the address is typed: it is not stored)."""
    row, course = _badge(badge_id)
    conf = _settings()
    address = request.form.get("email", "").strip()
    learner = learners.find_learner(_db(), conf, address) if address else None
    problem = None
    if learner is None or learner.id != row.learner_id:
        problem = "console.not_recipient"
    elif not conf.smtp_url:
        problem = "console.no_smtp"
    elif not mail.send_wallet_links(
        _db(), conf, [services.Issued(row, "", email=address)], now=_now()
    ):
        problem = "console.error"
    if problem:
        return page(
            "badge.html",
            status=422,
            row=row,
            course=course,
            url=conf.url("credentials", row.id),
            problem=problem,
        )
    db = _db()
    with write_transaction(db):
        audit.record(
            db,
            actor=_actor(),
            action="credential.resend-wallet",
            subject=conf.url("credentials", row.id),
            issuer_id=g.console.issuer.pk,
            now=_now(),
        )
    return redirect(url_for("console.badge", badge_id=row.id, resent="1"))


@bp.route("/badges/<badge_id>/<any(revoke, suspend, unsuspend):action>", methods=["GET", "POST"])
@needs("issue")
def badge_status(badge_id: str, action: str) -> Any:
    row, course = _badge(badge_id)
    if request.method == "GET":
        return page("confirm_status.html", row=row, course=course, action=action, problem=None)
    reason = request.form.get("reason", "").strip() or None
    try:
        status_changes.change_status(
            _work(),
            row.id,
            cast(Any, action),
            reason=reason,
            public_reason=request.form.get("public") == "1",
        )
    except APIError as err:
        return page(
            "confirm_status.html",
            status=err.status_code,
            row=row,
            course=course,
            action=action,
            problem=err.message,
        )
    return redirect(url_for("console.badge", badge_id=row.id))


# -- settings ---------------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@needs("read")
def settings() -> Any:
    db, issuer = _db(), g.console.issuer
    problem = None
    if request.method == "POST":
        if not service.allowed(g.console.user, "manage"):
            raise Forbidden("only an owner changes the profile")
        form = request.form
        try:
            image = _uploaded_image("logo")
            with write_transaction(db):
                row = db.get(type(issuer), issuer.pk)
                assert row is not None  # noqa: S101 - the signed-in issuer exists
                name = form.get("name", "").strip()
                if not name or len(name) > 200:
                    raise InvalidCsv("name: 1 to 200 characters")
                row.name = name
                row.url = form.get("url", "").strip()[:2048] or None
                row.email = form.get("email", "").strip()[:254] or None
                row.description = form.get("description", "").strip()[:2000] or None
                db.add(row)
                audit.record(
                    db,
                    actor=_actor(),
                    action="issuer.profile",
                    subject=_settings().url("issuers", row.slug),
                    issuer_id=row.pk,
                    now=_now(),
                )
            if image is not None:
                store_logo(db, _settings(), row, image[1], now=_now(), actor=_actor())
            return redirect(url_for("console.settings", saved="1"))
        except APIError as err:
            problem = err.message
    return page(
        "settings.html",
        issuer=db.get(type(issuer), issuer.pk),
        problem=problem,
        logo=logo_url(_settings(), issuer),
        saved=request.args.get("saved"),
    )


@bp.route("/settings/keys", methods=["GET", "POST"])
@needs("manage")
def api_keys() -> Any:
    db, issuer = _db(), g.console.issuer
    created = None
    if request.method == "POST":
        if request.form.get("revoke"):
            accounts.revoke_api_key(db, issuer, request.form["revoke"], now=_now(), actor=_actor())
        else:
            created = accounts.create_api_key(
                db,
                issuer,
                name=request.form.get("name", "").strip()[:100] or None,
                now=_now(),
                actor=_actor(),
            )
    rows = accounts.list_api_keys(db, issuer)
    used = _last_used(db, issuer.pk, [r.prefix for r in rows])
    return page("api_keys.html", rows=rows, created=created, used=used)


def _last_used(db: Session, issuer_id: int, prefixes: list[str]) -> dict[str, datetime]:
    """When each key last changed something (its newest audit event)."""
    if not prefixes:
        return {}
    found = db.exec(
        select(AuditEvent.actor, func.max(AuditEvent.occurred_at))
        .where(
            AuditEvent.issuer_id == issuer_id,
            col(AuditEvent.actor).in_([f"apikey:{p}" for p in prefixes]),
        )
        .group_by(AuditEvent.actor)
    ).all()
    return {actor.removeprefix("apikey:"): when for actor, when in found}


def _signed_by(db: Session, issuer_id: int, key: SigningKey) -> int:
    """How many of the issuer's badges carry a signature by ``key`` (proof or JWT)."""
    count = 0
    rows = db.exec(
        select(Credential.document, Credential.jwt).where(
            Credential.issuer_id == issuer_id, col(Credential.issued_at) >= key.created_at
        )
    ).all()
    for document, jwt in rows:
        head = jwt.split(".", 1)[0]
        try:
            kid = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))).get("kid")
        except ValueError:
            kid = None
        if key.key_id in document or kid == key.key_id:
            count += 1
    return count


@bp.route("/settings/signing", methods=["GET", "POST"])
@needs("manage")
def signing_keys() -> Any:
    db, conf, issuer = _db(), _settings(), g.console.issuer
    if request.method == "POST":
        with write_transaction(db):
            if request.form.get("compromise"):
                signing.compromise_key(
                    db, conf, issuer, request.form["compromise"], now=_now(), actor=_actor()
                )
            else:
                signing.rotate_keys(db, conf, issuer, now=_now(), actor=_actor())
        return redirect(url_for("console.signing_keys", done="1"))
    return page(
        "signing_keys.html", rows=signing.issuer_keys(db, issuer.pk), done=request.args.get("done")
    )


@bp.route("/settings/signing/compromise")
@needs("manage")
def compromise_confirm() -> Any:
    db, issuer = _db(), g.console.issuer
    key_id = request.args.get("key", "")
    row = next((r for r in signing.issuer_keys(db, issuer.pk) if r.key_id == key_id), None)
    if row is None:
        raise NotFound("no such key")
    return page("confirm_compromise.html", key=row, affected=_signed_by(db, issuer.pk, row))


@bp.route("/settings/audit")
@needs("manage")
def audit_log() -> Any:
    number = max(1, request.args.get("page", 1, type=int) or 1)
    rows = (
        _db()
        .exec(
            select(AuditEvent)
            .where(AuditEvent.issuer_id == g.console.issuer.pk)
            .order_by(col(AuditEvent.occurred_at).desc(), col(AuditEvent.id).desc())
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        .all()
    )
    return page("audit.html", rows=rows, number=number)


@bp.route("/settings/staff", methods=["GET", "POST"])
@needs("manage")
def staff() -> Any:
    db, issuer = _db(), g.console.issuer
    link, problem = None, None
    if request.method == "POST":
        try:
            if request.form.get("remove"):
                service.disable_user(db, g.console.user, int(request.form["remove"]), now=_now())
            elif request.form.get("reset"):
                # A staff member who lost their password gets a new one-time link.
                user = service.get_user(db, issuer, int(request.form["reset"]))
                link = service.reset_link(db, _settings(), user, now=_now(), actor=_actor())
                _mail_invite(user, link)
            else:
                user, link = service.create_user(
                    db,
                    _settings(),
                    issuer,
                    email=request.form.get("email", ""),
                    role=request.form.get("role", ""),
                    now=_now(),
                    actor=_actor(),
                )
                _mail_invite(user, link)
        except (APIError, ValueError) as err:
            problem = err.message if isinstance(err, APIError) else str(err)
    return page(
        "staff.html", rows=service.list_users(db, issuer), link=link, problem=problem, roles=ROLES
    )


def _mail_invite(user: StaffUser, link: str) -> None:
    """E-mail the invitation when SMTP is configured (the link is also shown once)."""
    conf = _settings()
    name = g.console.issuer.name
    message = EmailMessage()
    message["From"] = conf.mail_from
    message["To"] = user.email
    message["Subject"] = f"[Baeji 배지] {name} 콘솔 초대 · Console invitation"
    message.set_content(
        f"{name}의 배지 콘솔에 초대되었습니다. 아래 링크에서 비밀번호를 정하세요 "
        f"(72시간 안에 한 번만 쓸 수 있습니다).\n\n{link}\n\n---\n\n"
        f"You were invited to the Baeji console of {name}. Set your password here "
        f"(usable once, within 72 hours):\n\n{link}\n"
    )
    mail.send_messages(conf, [message])


@bp.route("/account", methods=["GET", "POST"])
@needs("read")
def account() -> Any:
    db, conf, user = _db(), _settings(), g.console.user
    problem, secret = None, None
    if request.method == "POST":
        what = request.form.get("do")
        if what == "everywhere":
            service.end_all_sessions(db, user, now=_now())
            return _cookie(redirect(url_for("console.login")), None)
        if what == "totp-start":
            secret = service.new_totp_secret()
        elif what == "totp-confirm":
            secret = request.form.get("secret", "")
            try:
                service.enable_totp(
                    db, conf, user, secret, request.form.get("code", ""), now=_now()
                )
                return redirect(url_for("console.account", done="totp-on"))
            except APIError as err:
                problem = err.message
        elif what == "totp-off":
            if not service.verify_password(user, request.form.get("password", "")):
                problem = "wrong password"
            else:
                service.disable_totp(db, user, now=_now())
                return redirect(url_for("console.account", done="totp-off"))
    fresh = db.get(StaffUser, user.pk)
    qr = None
    if secret:
        image = qrcode.make(
            service.totp_uri(user, secret), image_factory=qrcode.image.svg.SvgPathImage
        )
        qr = "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()
    return page(
        "account.html",
        user=fresh,
        secret=secret,
        qr=qr,
        problem=problem,
        done=request.args.get("done"),
    )


def init_app(app: Flask) -> None:
    """Register the console: its blueprint, CSRF protection scoped to it, the cookie rules.

    Flask-WTF keeps its CSRF secret in Flask's signed session cookie; the console is the
    only user of that cookie, so it is scoped to ``/console`` with the console's flags.
    Without a configured ``SECRET_KEY`` the signing key is derived from the email pepper
    (itself derived from the master key), so every worker agrees without another secret.
    """
    if not app.secret_key:
        pepper = settings_of(app).email_pepper
        app.secret_key = hmac.new(pepper, b"baeji/console/flask-secret/v1", "sha256").hexdigest()
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", int(service.SESSION_IDLE.total_seconds()))
    app.config["SESSION_COOKIE_NAME"] = "baeji_console_csrf"
    app.config["SESSION_COOKIE_PATH"] = "/console"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = settings_of(app).base_url.lower().startswith("https://")
    _csrf.init_app(app)
    app.register_blueprint(bp)
