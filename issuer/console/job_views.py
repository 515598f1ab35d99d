"""Console pages for background jobs: the provider's job list and one job's progress.

A job's page refreshes itself (``<meta http-equiv="refresh">``: the console runs no
scripts) while the job is queued or running. A finished cohort job shows the same result
page as a cohort issued at once, its learners' names and addresses read back from the
job's sealed payload; wallet links are made fresh by the spreadsheet download (a job
keeps no wallet links).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g

from issuer.console import service
from issuer.console.views import _db, _work, bp, cohort_result, needs, page
from issuer.credentials import batch_jobs
from issuer.jobs import service as jobs
from issuer.jobs.models import Job
from issuer.models import Achievement

# Seconds between refreshes of a running job's page.
REFRESH_S = 2
# Job names with a title in the catalogs (console.job_name.<name>); others show their name.
TITLED = ("credentials.batch",)


@dataclass(frozen=True)
class _Learner:
    name: str
    email: str
    holds: Any = None


@dataclass(frozen=True)
class _Badge:
    id: str


@dataclass(frozen=True)
class _Issued:
    credential: _Badge
    wallet_url: str | None = None


@bp.get("/jobs")
@needs("read")
def job_list() -> Any:
    """The provider's newest jobs with their state and progress."""
    rows = jobs.list_jobs(_db(), issuer_id=g.console.issuer.pk, limit=100)
    return page("jobs.html", jobs=rows, titled=TITLED)


@bp.get("/jobs/<int:job_id>")
@needs("read")
def job(job_id: int) -> Any:
    """One job: its progress while it runs, then its outcome (a cohort's result page, with
    every learner's name and e-mail: only for staff who may issue, as the upload was)."""
    found = jobs.get_job(_db(), job_id, issuer_id=g.console.issuer.pk)
    if (
        found.state == "done"
        and found.name == batch_jobs.JOB
        and service.allowed(g.console.user, "issue")
    ):
        return _cohort_result(found)
    return page(
        "job.html",
        job=found,
        titled=TITLED,
        refresh=REFRESH_S if found.state in ("queued", "running") else None,
    )


def _cohort_result(found: Job) -> Any:
    payload = jobs.payload_of(found)
    result = jobs.result_of(found) or {}
    rows = batch_jobs.batch_rows(_work(), payload)

    def learner(number: int, holds: Any = None) -> _Learner:
        recipient = rows[number - 1].get("recipient", {})
        return _Learner(str(recipient.get("name") or ""), str(recipient.get("email", "")), holds)

    issued = [
        (learner(c["row"]), _Issued(_Badge(c["uuid"]))) for c in result.get("credentials", [])
    ]
    skipped = [learner(s["row"], _Badge(s["existing"]["uuid"])) for s in result.get("skipped", [])]
    course = _db().get(Achievement, str(payload.get("achievementId") or ""))
    return cohort_result(course, issued, skipped, job=found)
