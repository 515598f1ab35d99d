"""Background jobs and the e-mail outbox as the operator sees them: every provider's.

The provider console shows a provider its own jobs; the operator sees all of them (and the
platform's own: mail, learner records), with the provider each belongs to. The outbox is
shown as counts by state and the mails given up, without anything about their recipient
or content: only what kind of mail it was, whose, how many attempts, the kind of failure
(the outbox never keeps the server's text) and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select

from issuer.db import Work
from issuer.errors import ValidationFailed
from issuer.issuers import service as accounts
from issuer.issuers.service import PLATFORM_SLUG
from issuer.jobs import service as jobs
from issuer.jobs.models import STATES as JOB_STATES
from issuer.jobs.models import Job
from issuer.models import Issuer
from issuer.operator.service import PAGE_SIZE
from issuer.outbox import service as outbox
from issuer.outbox.models import FAILED, OutboxMail
from issuer.outbox.models import STATES as MAIL_STATES


@dataclass(frozen=True)
class JobLine:
    """A job and the provider it belongs to (``None``: the platform's own work)."""

    job: Job
    provider: Issuer | None

    @property
    def platform(self) -> bool:
        """Whether the job is the platform's own (mail, learner records) and no provider's."""
        return self.provider is None or self.provider.slug == PLATFORM_SLUG


def _provider_condition(work: Work, provider: str) -> ColumnElement[bool]:
    """Jobs of the provider with slug ``provider``; ``_platform``: the platform's own.

    Raises:
        NotFound: no provider has this slug.
    """
    found = accounts.issuer_by_slug(work.session, provider, include_platform=True)
    if found.slug == PLATFORM_SLUG:
        return or_(col(Job.issuer_id).is_(None), col(Job.issuer_id) == found.pk)
    return col(Job.issuer_id) == found.pk


def list_jobs(
    work: Work, *, state: str = "", provider: str = "", name: str = "", page: int = 1
) -> tuple[list[JobLine], bool]:
    """One page of every job, newest first, filtered by state, provider slug (``_platform``
    for the platform's own jobs) and job name; and whether another page follows.

    Raises:
        ValidationFailed: ``state`` is not a job state.
        NotFound: ``provider`` names no provider.
    """
    state, provider, name = state.strip(), provider.strip(), name.strip()
    query = select(Job, Issuer).outerjoin(Issuer, col(Issuer.id) == col(Job.issuer_id))
    if state:
        if state not in JOB_STATES:
            raise ValidationFailed(
                f"state must be one of {', '.join(JOB_STATES)}",
                errors=[{"field": "state", "message": "unknown"}],
            )
        query = query.where(col(Job.state) == state)
    if provider:
        query = query.where(_provider_condition(work, provider))
    if name:
        query = query.where(col(Job.name) == name)
    rows = work.session.exec(
        query.order_by(col(Job.id).desc())
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    return [JobLine(job, issuer) for job, issuer in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def get_job(work: Work, job_id: int) -> JobLine:
    """Any job, with its provider.

    Raises:
        NotFound: no such job.
    """
    job = jobs.get_job(work.session, job_id, issuer_id=None)
    provider = work.session.get(Issuer, job.issuer_id) if job.issuer_id is not None else None
    return JobLine(job, provider)


def job_names() -> list[str]:
    """The names of the jobs this service runs (for the filter)."""
    return jobs.handlers()


@dataclass(frozen=True)
class FailedMail:
    """A mail given up, as the operator sees it: nothing of its recipient or content."""

    kind: str
    provider: Issuer | None
    attempts: int
    last_error: str | None
    created_at: datetime
    last_due_at: datetime


@dataclass(frozen=True)
class OutboxSummary:
    """The outbox at a glance: rows in each state, and a page of the mails given up."""

    counts: dict[str, int]
    failed: list[FailedMail]
    more: bool


def outbox_summary(work: Work, *, page: int = 1) -> OutboxSummary:
    """How many mails are pending, being sent, sent and failed, and the failed ones,
    newest first (one page; ``more`` when another follows)."""
    found = outbox.counts(work.session)
    counts = {state: found.get(state, 0) for state in MAIL_STATES}
    rows = work.session.exec(
        select(OutboxMail, Issuer)
        .outerjoin(Issuer, col(Issuer.id) == col(OutboxMail.issuer_id))
        .where(col(OutboxMail.state) == FAILED)
        .order_by(col(OutboxMail.id).desc())
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    failed = [
        FailedMail(
            kind=mail.kind,
            provider=issuer,
            attempts=mail.attempts,
            last_error=mail.last_error,
            created_at=mail.created_at,
            last_due_at=mail.next_attempt_at,
        )
        for mail, issuer in rows[:PAGE_SIZE]
    ]
    return OutboxSummary(counts, failed, len(rows) > PAGE_SIZE)
