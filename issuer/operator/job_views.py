"""Operator console pages for the platform's background work: every job, and the outbox.

``/operator/jobs`` lists every provider's jobs and the platform's own (filter by state,
provider slug and task; paginated); ``/operator/jobs/<id>`` shows one job's progress and
refreshes itself while the job is queued or running (``<meta http-equiv="refresh">``: the
console runs no scripts). ``/operator/mail`` is the e-mail outbox: counts by state and the
mails given up, without any address or content.
"""

from __future__ import annotations

from typing import Any

from flask import request

from issuer.jobs.models import STATES as JOB_STATES
from issuer.operator import queues
from issuer.operator.views import _work, bp, page, signed_in
from issuer.outbox.models import STATES as MAIL_STATES

# Seconds between refreshes of a running job's page.
REFRESH_S = 2
# Job names with a title in the catalogs (operator.job_name.<name>); others show their name.
TITLED = ("credentials.batch", "learners.resign_record", "outbox.send", "webhooks.deliver")


def _page_number() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@bp.route("/jobs")
@signed_in
def job_list() -> Any:
    """Every job, newest first, with its provider, state, progress, attempts, last error."""
    args = {
        name: request.args.get(name, "")[:120]
        for name in ("state", "provider", "name")
        if request.args.get(name)
    }
    number = _page_number()
    rows, more = queues.list_jobs(_work(), page=number, **args)
    return page(
        "jobs.html",
        rows=rows,
        more=more,
        number=number,
        args=args,
        states=JOB_STATES,
        names=queues.job_names(),
        titled=TITLED,
    )


@bp.route("/jobs/<int:job_id>")
@signed_in
def job(job_id: int) -> Any:
    """One job: its progress (refreshing while it runs), attempts and outcome."""
    line = queues.get_job(_work(), job_id)
    running = line.job.state in ("queued", "running")
    return page("job.html", line=line, titled=TITLED, refresh=REFRESH_S if running else None)


@bp.route("/mail")
@signed_in
def mail() -> Any:
    """The e-mail outbox: how many mails are in each state, and the ones given up."""
    number = _page_number()
    summary = queues.outbox_summary(_work(), page=number)
    return page("mail.html", summary=summary, number=number, states=MAIL_STATES)
