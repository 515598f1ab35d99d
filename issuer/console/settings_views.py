"""Console pages for the provider's settings: profile, API keys, signing keys, the audit
log and staff.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from flask import (
    g,
    redirect,
    request,
    url_for,
)
from sqlmodel import Session, col, func, select

from issuer.achievements.artwork import logo_url, store_logo
from issuer.console import service
from issuer.console.models import ROLES, StaffUser
from issuer.console.views import (
    PAGE_SIZE,
    _db,
    _settings,
    _work,
    bp,
    needs,
    page,
    uploaded_image,
)
from issuer.errors import APIError, Forbidden, InvalidCsv, NotFound
from issuer.issuers import service as accounts
from issuer.issuers import signing
from issuer.models import AuditEvent, Credential, SigningKey
from issuer.outbox import service as outbox
from issuer.outbox.service import Mail


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
            image = uploaded_image("logo")
            work = _work()
            with work.write():
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
                work.audit("issuer.profile", _settings().url("issuers", row.slug))
            if image is not None:
                store_logo(work.acting_for(row), image[1])
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
            accounts.revoke_api_key(_work(), request.form["revoke"])
        else:
            created = accounts.create_api_key(
                _work(), name=request.form.get("name", "").strip()[:100] or None
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
    db, issuer = _db(), g.console.issuer
    if request.method == "POST":
        work = _work()
        with work.write():
            if request.form.get("compromise"):
                signing.compromise_key(work, request.form["compromise"])
            else:
                signing.rotate_keys(work)
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
                service.disable_user(_work(), g.console.user, int(request.form["remove"]))
            elif request.form.get("reset"):
                # A staff member who lost their password gets a new one-time link.
                user = service.get_user(db, issuer, int(request.form["reset"]))
                # The link and its e-mail in one transaction (sent after the answer).
                work = _work()
                with work.write():
                    link = service.reset_link(work, user)
                    _mail_invite(user, link)
            else:
                work = _work()
                with work.write():
                    user, link = service.create_user(
                        work,
                        email=request.form.get("email", ""),
                        role=request.form.get("role", ""),
                    )
                    _mail_invite(user, link)
        except (APIError, ValueError) as err:
            problem = err.message if isinstance(err, APIError) else str(err)
    return page(
        "staff.html", rows=service.list_users(db, issuer), link=link, problem=problem, roles=ROLES
    )


def _mail_invite(user: StaffUser, link: str) -> None:
    """Queue the invitation's e-mail when SMTP is configured (the link is also shown once),
    in the open transaction of the request's session."""
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
    digest = hashlib.sha256(link.encode()).hexdigest()[:32]
    outbox.queue(
        _work(),
        [
            Mail(
                message, key=f"staff.invite:{digest}", kind="staff.invite", issuer_id=user.issuer_id
            )
        ],
    )
