"""Operator console pages: providers (list, register, detail with its certifications,
suspend / unsuspend / remove), applications from the join form, platform figures and the
audit log."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import redirect, request, url_for

from issuer.certification import service as certifying
from issuer.certification.models import Certification
from issuer.console import service as staff
from issuer.console.views import uploaded_image
from issuer.db import Work
from issuer.errors import APIError, NotFound, ValidationFailed
from issuer.issuers import service as accounts
from issuer.issuers.service import STATES
from issuer.models import Issuer
from issuer.operator import applications as joining
from issuer.operator import figures as reports
from issuer.operator import service
from issuer.operator.views import _problem, _work, bp, page, signed_in

# A date alone ends a certified period at the end of that day in Korea.
KST = timezone(timedelta(hours=9), "KST")

# -- providers --------------------------------------------------------------------------------


def _page_number() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@bp.route("/")
@signed_in
def providers() -> Any:
    search = request.args.get("q", "")[:200]
    state = request.args.get("state", "")
    number, work = _page_number(), _work()
    rows, more = service.list_providers(work, search=search, state=state, page=number)
    args = {k: v for k, v in (("q", search), ("state", state)) if v}
    return page(
        "providers.html",
        rows=rows,
        more=more,
        number=number,
        args=args,
        states=STATES,
        pending=joining.count_pending(work),
    )


@bp.route("/providers/new", methods=["GET", "POST"])
@signed_in
def register() -> Any:
    form = request.form
    errors: list[str] = []
    if request.method == "POST":
        try:
            data = joining.application_data(
                slug=form.get("slug", ""),
                name=form.get("name", ""),
                url=form.get("url"),
                email=form.get("email", ""),
                description=form.get("description"),
            )
            data = data.model_copy(update={"suspension": form.get("suspension") == "1"})
            image = uploaded_image("logo")
            done = service.register_provider(
                _work(),
                data,
                owner_email=form.get("owner_email", ""),
                logo=image[1] if image else None,
            )
            return page("registered.html", registered=done)
        except (APIError, ValueError) as err:
            errors = _problem(err)
    return page("register.html", form=form, errors=errors, status=422 if errors else 200)


@bp.route("/providers/<slug>", methods=["GET", "POST"])
@signed_in
def provider(slug: str) -> Any:
    work = _work()
    issuer = service.get_provider(work, slug)
    link, problem = None, None
    if request.method == "POST":
        form = request.form
        try:
            if form.get("do") == "certify":
                accounts.require_active(issuer)  # a suspended provider is not certified
                certifying.certify(
                    work,
                    issuer,
                    programme=form.get("programme", ""),
                    until=_until(form.get("until", "")),
                    narrative=form.get("narrative", "").strip() or None,
                )
                return redirect(url_for("operator.provider", slug=slug, done="certify"))
            if form.get("do") == "decertify":
                found = certifying.find(
                    work.session, work.settings.base_url, form.get("certification", "")
                )
                if found.issuer_id != issuer.pk:
                    raise NotFound("this provider has no such certification")
                certifying.revoke(work, found.id, reason=form.get("reason", ""))
                return redirect(url_for("operator.provider", slug=slug, done="decertify"))
            # A new owner invitation (an owner left, or the first link expired).
            with work.write():
                user, link = staff.create_user(
                    work.acting_for(issuer), email=form.get("email", ""), role="owner"
                )
                service.queue_invitation(work, service.Registered(issuer, user.email, link))
        except NotFound:
            raise
        except APIError as err:
            problem = err.message
    return page(
        "provider.html",
        status=422 if problem else 200,
        issuer=issuer,
        figures=service.provider_figures(work, issuer),
        people=service.provider_staff(work, issuer),
        public_url=work.settings.url("issuers", issuer.slug),
        link=link,
        problem=problem,
        certifications=_certifications(work, issuer),
        programmes=list(certifying.PROGRAMMES.values()),
        certification_url=lambda row: certifying.certification_url(work, row.id),
    )


def _until(text: str) -> datetime:
    """The end of a certified period from the form's date: through that day's end, in
    Korea (the programme's time zone), as ``baeji issuer certify --until DATE`` reads it."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(
            "until: give a date such as 2027-12-31",
            errors=[{"field": "until", "message": "invalid"}],
        ) from None
    return datetime.combine(day, time(23, 59, 59), KST)


def _certifications(work: Work, issuer: Issuer) -> list[tuple[Certification, str]]:
    """The provider's certifications (newest first) with their state by the platform's
    record: ``current``, ``expired`` or ``revoked``."""
    rows = certifying.of_provider(work.session, issuer)
    return [
        (
            row,
            "revoked"
            if row.revoked_at is not None
            else ("expired" if row.valid_until <= work.now else "current"),
        )
        for row in rows
    ]


@bp.route("/providers/<slug>/<any(suspend, unsuspend, remove):change>", methods=["GET", "POST"])
@signed_in
def change_state(slug: str, change: str) -> Any:
    work = _work()
    issuer = service.get_provider(work, slug)
    problem = None
    if request.method == "POST":
        try:
            service.change_state(work, slug, change, reason=request.form.get("reason"))
            return redirect(url_for("operator.provider", slug=slug, done=change))
        except APIError as err:
            problem = err.message
    return page(
        "confirm_state.html",
        status=422 if problem else 200,
        issuer=issuer,
        change=change,
        problem=problem,
    )


# -- applications -----------------------------------------------------------------------------


@bp.route("/applications")
@signed_in
def applications() -> Any:
    state = request.args.get("state", "pending")
    if state not in ("pending", "approved", "rejected", ""):
        state = "pending"
    number = _page_number()
    rows, more = joining.list_applications(_work(), state=state, page=number)
    return page("applications.html", rows=rows, state=state, more=more, number=number)


@bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
@signed_in
def application(application_id: int) -> Any:
    work = _work()
    row = joining.get_application(work, application_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.form.get("do") == "approve":
                done = joining.approve_application(
                    work, application_id, slug=request.form.get("slug") or None
                )
                return page("registered.html", registered=done, application=row)
            joining.reject_application(work, application_id, reason=request.form.get("reason", ""))
            return redirect(url_for("operator.applications", done="rejected"))
        except (APIError, ValueError) as err:
            errors = _problem(err)
    return page(
        "application.html", row=row, errors=errors, status=422 if errors else 200, form=request.form
    )


# -- figures and audit --------------------------------------------------------------------------


@bp.route("/figures")
@signed_in
def figures() -> Any:
    found = reports.platform_figures(_work())
    top = max([1, *(max(m.issued, m.revoked) for m in found.months)])
    return page("figures.html", figures=found, top=top)


@bp.route("/audit")
@signed_in
def audit() -> Any:
    args = {
        name: request.args.get(name, "")[:120]
        for name in ("actor", "action", "provider")
        if request.args.get(name)
    }
    number = _page_number()
    rows, more = reports.audit_log(_work(), page=number, **args)
    return page("audit.html", rows=rows, more=more, number=number, args=args)
