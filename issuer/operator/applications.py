"""Applications to join the platform: sent through the public ``/join`` form, approved
(the provider is registered, its applicant becomes its owner) or rejected with a reason
by an operator.
"""

from __future__ import annotations

from pydantic import ValidationError
from sqlmodel import col, func, select

from issuer.console import service as staff
from issuer.db import Work
from issuer.errors import InvalidStatusChange, NotFound, ValidationFailed
from issuer.models import Issuer
from issuer.operator import service
from issuer.operator.models import ProviderApplication
from issuer.schemas import IssuerCreate

MAX_MESSAGE = 2000


def application_data(
    *,
    slug: str,
    name: str,
    url: str | None,
    email: str,
    description: str | None,
) -> IssuerCreate:
    """Check what an applicant (or an operator) typed as a provider's registration.

    Raises:
        ValidationFailed: a field is malformed (one entry per field).
    """
    try:
        return IssuerCreate(
            slug=slug.strip().lower(),
            name=name.strip(),
            url=(url or "").strip() or None,
            email=email.strip() or None,
            description=(description or "").strip() or None,
        )
    except ValidationError as err:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": str(e["msg"])}
            for e in err.errors()
        ]
        raise ValidationFailed(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors
        ) from None


def submit_application(
    work: Work,
    *,
    slug: str,
    name: str,
    url: str | None,
    email: str,
    description: str | None,
    message: str | None,
    lang: str,
) -> ProviderApplication:
    """Store an application from the public join form (pending, for an operator).

    Raises:
        ValidationFailed: a malformed field, or a slug a provider already has.
    """
    address = staff.normalize_email(email)
    data = application_data(slug=slug, name=name, url=url, email=address, description=description)
    note = (message or "").strip()
    if len(note) > MAX_MESSAGE:
        raise ValidationFailed(
            f"message: at most {MAX_MESSAGE} characters",
            errors=[{"field": "message", "message": "too long"}],
        )
    session = work.session
    with work.write():
        if session.exec(select(Issuer.id).where(Issuer.slug == data.slug)).first() is not None:
            raise ValidationFailed(
                f"slug: {data.slug!r} is taken; choose another",
                errors=[{"field": "slug", "message": "taken"}],
            )
        row = ProviderApplication(
            slug=data.slug,
            name=data.name,
            url=data.url,
            email=address,
            description=data.description,
            message=note or None,
            lang=lang if lang in ("ko", "en") else "ko",
            state="pending",
            submitted_at=work.now,
        )
        session.add(row)
        session.flush()
        work.audit("operator.application", data.slug, issuer_id=None, application=row.pk)
    return row


APPLICATIONS_PAGE = 50


def list_applications(
    work: Work, *, state: str = "pending", page: int = 1
) -> tuple[list[ProviderApplication], bool]:
    """Page ``page`` of the applications in ``state`` (all with ``""``), newest first, and
    whether there are more (a flood of bogus applications never hides a new one)."""
    query = select(ProviderApplication)
    if state:
        query = query.where(ProviderApplication.state == state)
    rows = list(
        work.session.exec(
            query.order_by(
                col(ProviderApplication.submitted_at).desc(), col(ProviderApplication.id).desc()
            )
            .offset((max(page, 1) - 1) * APPLICATIONS_PAGE)
            .limit(APPLICATIONS_PAGE + 1)
        ).all()
    )
    return rows[:APPLICATIONS_PAGE], len(rows) > APPLICATIONS_PAGE


def count_pending(work: Work) -> int:
    """How many applications wait for a decision."""
    return work.session.exec(
        select(func.count()).where(ProviderApplication.state == "pending")
    ).one()


def get_application(work: Work, application_id: int) -> ProviderApplication:
    """The application ``application_id``.

    Raises:
        NotFound: no such application.
    """
    row = work.session.get(ProviderApplication, application_id)
    if row is None:
        raise NotFound(f"no application {application_id}")
    return row


def _pending(work: Work, application_id: int) -> ProviderApplication:
    """The application, locked for this decision (PostgreSQL; SQLite's write lock is held)."""
    row = work.session.exec(
        select(ProviderApplication)
        .where(ProviderApplication.id == application_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound(f"no application {application_id}")
    if row.state != "pending":
        raise InvalidStatusChange(f"the application was already {row.state}")
    return row


def approve_application(
    work: Work, application_id: int, *, slug: str | None = None
) -> service.Registered:
    """Approve an application: register its provider (``slug`` may replace the one asked
    for) with the applicant as owner, and return the owner's one-time invitation link.

    Raises:
        NotFound: no such application.
        InvalidStatusChange: it was already approved or rejected.
        AlreadyExists: the slug is taken.
    """
    with work.write():
        row = _pending(work, application_id)
        data = application_data(
            slug=slug or row.slug,
            name=row.name,
            url=row.url,
            email=row.email,
            description=row.description,
        )
        registered = service.register_provider(work, data, owner_email=row.email)
        row.state = "approved"
        row.decided_at = work.now
        row.decided_by = work.actor[:120]
        row.issuer_id = registered.issuer.pk
        work.session.add(row)
        work.audit(
            "operator.approve",
            registered.issuer.did,
            issuer_id=registered.issuer.pk,
            application=row.pk,
        )
    return registered


def reject_application(work: Work, application_id: int, *, reason: str) -> ProviderApplication:
    """Reject an application with a reason (kept with it, for the record).

    Raises:
        NotFound: no such application.
        InvalidStatusChange: it was already approved or rejected.
        ValidationFailed: no reason, or a reason over 500 characters.
    """
    text = reason.strip()
    if not text or len(text) > service.MAX_REASON:
        raise ValidationFailed(
            f"reason: 1 to {service.MAX_REASON} characters",
            errors=[{"field": "reason", "message": "invalid"}],
        )
    with work.write():
        row = _pending(work, application_id)
        row.state = "rejected"
        row.reason = text
        row.decided_at = work.now
        row.decided_by = work.actor[:120]
        work.session.add(row)
        work.audit("operator.reject", row.slug, issuer_id=None, application=row.pk, reason=text)
    return row
