"""Console pages for issued badges: search and export, one badge, resending the wallet
e-mail, revoking, suspending and unsuspending.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any, cast

from flask import (
    g,
    redirect,
    request,
    url_for,
)
from sqlmodel import col, func, select

from issuer.achievements import service as catalog
from issuer.console.views import (
    PAGE_SIZE,
    _db,
    _settings,
    _work,
    bp,
    needs,
    page,
    spreadsheet,
)
from issuer.credentials import mail, reads, status_changes
from issuer.errors import APIError
from issuer.learners import service as learners
from issuer.models import Achievement, Credential
from issuer.outbox import service as outbox


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
        learner = learners.find_learner(_work(), args["email"].strip())
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
    return spreadsheet(
        "badges",
        ["이름 name", "과정 course", "상태 status", "발급일 issued", "사유 reason", "배지 badge"],
        table,
        "csv",
    )


def _badge(badge_id: str) -> tuple[Credential, Achievement]:
    work = _work()
    row = reads.get_credential(work, badge_id)
    course = work.session.get(Achievement, row.achievement_id)
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
    work = _work()
    learner = learners.find_learner(work, address) if address else None
    problem = None
    if learner is None or learner.id != row.learner_id:
        problem = "console.not_recipient"
    elif not conf.smtp_url:
        problem = "console.no_smtp"
    if problem:
        return page(
            "badge.html",
            status=422,
            row=row,
            course=course,
            url=conf.url("credentials", row.id),
            problem=problem,
        )
    # The new link, its e-mail and the audit line in one transaction; sent after the answer.
    with work.write():
        resent = mail.resend_mail(work, row, address)
        outbox.queue(work, [resent] if resent else [])
        work.audit("credential.resend-wallet", conf.url("credentials", row.id))
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
