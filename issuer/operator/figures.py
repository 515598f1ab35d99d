"""The platform's figures and its whole audit log, for the operator console.

Figures are aggregate queries computed by the database (``GROUP BY`` month buckets,
``COUNT(DISTINCT ...)``), never a loop over rows in Python: they stay a handful of
queries whatever the number of badges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, distinct
from sqlmodel import Session, col, func, select

from issuer.db import Work, is_postgres
from issuer.issuers import service as accounts
from issuer.issuers.service import STATES
from issuer.models import AuditEvent, Credential, Issuer
from issuer.operator.service import PAGE_SIZE, providers_only

FIGURE_MONTHS = 12


@dataclass(frozen=True)
class MonthFigures:
    """Badges issued and revoked in one calendar month (UTC), ``YYYY-MM``."""

    month: str
    issued: int
    revoked: int


@dataclass(frozen=True)
class PlatformFigures:
    """The platform at a glance: providers by state, badges per month, learners."""

    providers: dict[str, int]
    months: list[MonthFigures]
    badges: int
    revoked: int
    learners: int


@dataclass(frozen=True)
class AuditLine:
    """An audit event and the slug of the provider it concerns (``None``: none)."""

    event: AuditEvent
    provider: str | None


def _month(session: Session, column: Any) -> ColumnElement[str]:
    """``YYYY-MM`` of a UTC timestamp column, computed by the database."""
    if is_postgres(session):
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _month_keys(now: datetime, count: int) -> list[str]:
    year, month = now.year, now.month
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys


def platform_figures(work: Work, *, months: int = FIGURE_MONTHS) -> PlatformFigures:
    """Providers by state, badges issued and revoked per month (the last ``months``,
    newest first), all badges and distinct learners: a handful of aggregate queries,
    whatever the number of badges."""
    session = work.session
    providers = {state: 0 for state in STATES}
    for state, count in session.exec(
        select(Issuer.state, func.count()).where(providers_only()).group_by(col(Issuer.state))
    ).all():
        providers[state] = count
    keys = _month_keys(work.now, months)
    oldest = keys[-1]
    since = datetime(int(oldest[:4]), int(oldest[5:]), 1, tzinfo=work.now.tzinfo) - timedelta(
        days=1
    )
    per_month: dict[str, list[int]] = {key: [0, 0] for key in keys}
    for slot, column in enumerate((col(Credential.issued_at), col(Credential.revoked_at))):
        bucket = _month(session, column)
        for key, count in session.exec(
            select(bucket, func.count()).where(column >= since).group_by(bucket)
        ).all():
            if key in per_month:
                per_month[key][slot] = count
    badges, revoked, learners = session.exec(
        select(
            func.count(),
            func.count(col(Credential.revoked_at)),
            func.count(distinct(col(Credential.learner_id))),
        )
    ).one()
    return PlatformFigures(
        providers=providers,
        months=[MonthFigures(key, *per_month[key]) for key in keys],
        badges=badges,
        revoked=revoked,
        learners=learners,
    )


def audit_log(
    work: Work, *, actor: str = "", action: str = "", provider: str = "", page: int = 1
) -> tuple[list[AuditLine], bool]:
    """One page of the platform's whole audit log, newest first (by id: the append order,
    read backwards along the primary key, so no sort of the whole log), filtered by actor (part
    of it), action (its start, e.g. ``operator.``) and provider slug; and whether another
    page follows.

    Raises:
        NotFound: ``provider`` names no provider.
    """
    query = select(AuditEvent, Issuer.slug).outerjoin(
        Issuer, col(Issuer.id) == col(AuditEvent.issuer_id)
    )
    if actor.strip():
        query = query.where(col(AuditEvent.actor).contains(actor.strip(), autoescape=True))
    if action.strip():
        query = query.where(col(AuditEvent.action).startswith(action.strip(), autoescape=True))
    if provider.strip():
        found = accounts.issuer_by_slug(work.session, provider.strip(), include_platform=True)
        query = query.where(AuditEvent.issuer_id == found.pk)
    rows = work.session.exec(
        query.order_by(col(AuditEvent.id).desc())
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    lines = [AuditLine(event, slug) for event, slug in rows[:PAGE_SIZE]]
    return lines, len(rows) > PAGE_SIZE
