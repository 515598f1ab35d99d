"""Webhook deliveries sent as background jobs (``BAEJI_WEBHOOK_SENDER=jobs``, the default).

Each event's deliveries get one job, enqueued in the transaction that wrote them; a delivery
whose receiver failed gets a follow-up job at its next attempt time, so the backoff runs on
the job queue with no cron. With ``BAEJI_WEBHOOK_SENDER=command`` nothing is enqueued and
``baeji webhooks deliver --every S`` sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import select

from issuer.db import Work
from issuer.jobs import service as jobs
from issuer.webhooks import sending
from issuer.webhooks.models import WebhookDelivery

DELIVER_JOB = "webhooks.deliver"


def send_later(work: Work, ids: Sequence[str], *, at: datetime | None = None) -> None:
    """Enqueue the sending of ``ids`` in this transaction (a job keyed by its first delivery
    and attempt, so a repeated enqueue is one job)."""
    if not ids or work.settings.webhook_sender != "jobs":
        return
    attempt = work.session.exec(
        select(WebhookDelivery.attempts).where(WebhookDelivery.uuid == ids[0])
    ).first()
    jobs.enqueue(
        work, DELIVER_JOB, {"ids": list(ids)}, key=f"webhooks:{ids[0]}:{attempt or 0}", run_after=at
    )


@jobs.handler(DELIVER_JOB)
def _deliver(work: Work, run: jobs.JobRun) -> None:
    """Attempt each delivery of the job once; those still pending (their receiver failed)
    get a follow-up job at their next attempt's time, so the backoff needs no cron."""
    ids: list[str] = list(run.payload["ids"])
    waiting: list[WebhookDelivery] = []
    for number, delivery_id in enumerate(ids, 1):
        found = sending.deliver_one(work, delivery_id)
        if found is not None and found.state == "pending":
            waiting.append(found)
        run.progress(number, len(ids))
    if waiting:
        with work.write():
            send_later(
                work,
                [row.uuid for row in waiting],
                at=min(row.next_attempt_at or work.now for row in waiting),
            )
