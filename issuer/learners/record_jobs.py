"""Learner records signed ahead: a job re-signs a learner's record when their history changes.

Every workflow that changes what a learner's record holds (a badge issued, revoked,
suspended or unsuspended) calls :func:`history_changed` inside its write transaction. It
enqueues one ``learners.resign_record`` job for the learners that change touched (one job
per write transaction, however many badges a learner got in it), and the job signs each
learner's whole-history record and stores it (:func:`issuer.learners.records.learner_record`
keeps it in ``learner_record`` under the hash of what it holds). When the wallet then asks
for the record, its content hashes the same and the stored record is served: the request
signs nothing. Signing on request stays as the fallback: when the job has not run yet
(or failed), or when the history changed without a workflow (an expiry), the request
signs as it always did.

The job's key is the learner (or, for many learners, the batch) and the *history
version*: a digest of the change (what happened, to which credentials, at which instant),
so the same change enqueued twice is one job, and every later change is a new one. The job
itself is idempotent: it signs what the history holds when it runs, and a record already
stored for that content is left as it is (so a retry, or a job that runs after a newer one,
signs nothing twice).

Records are the platform's documents, not a provider's: the job is enqueued without an
issuer (the operator console shows it; no provider's job list does).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from issuer.db import Work
from issuer.jobs import service as jobs
from issuer.learners import records
from issuer.models import Credential, Learner

RESIGN_JOB = "learners.resign_record"
# Progress is saved (and a retry continues) after this many learners.
_PROGRESS_EVERY = 25


def history_version(action: str, credentials: Iterable[Credential], work: Work) -> str:
    """A digest naming one change of histories: ``action`` on ``credentials`` at ``work.now``."""
    ids = sorted(str(c.id) for c in credentials)
    text = "|".join([action, work.now.isoformat(), *ids])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def job_key(learner_ids: list[str], version: str) -> str:
    """The idempotency key of the job re-signing ``learner_ids`` (sorted) after ``version``."""
    scope = learner_ids[0] if len(learner_ids) == 1 else f"batch-{len(learner_ids)}"
    return f"{RESIGN_JOB}:{scope}:{version}"


def history_changed(work: Work, action: str, credentials: Iterable[Credential]) -> int | None:
    """Enqueue, in ``work``'s open transaction, the job re-signing the records of the
    learners who hold ``credentials`` (just issued, revoked, suspended or unsuspended:
    ``action``). Returns the job's id, or ``None`` when no credential was given.

    One job per call, whatever the number of credentials and learners: a batch enqueues
    one job for its learners, each learner once.
    """
    changed = list(credentials)
    learner_ids = sorted({c.learner_id for c in changed})
    if not learner_ids:
        return None
    version = history_version(action, changed, work)
    return jobs.enqueue(
        replace(work, issuer=None),
        RESIGN_JOB,
        {"learners": learner_ids},
        key=job_key(learner_ids, version),
        total=len(learner_ids),
    )


@jobs.handler(RESIGN_JOB)
def resign(work: Work, run: jobs.JobRun) -> dict[str, Any]:
    """The ``learners.resign_record`` job: sign (or find stored) each learner's record.

    Returns how many learners it went through and how many have a record (a learner whose
    badges are all revoked, suspended or expired has none).
    """
    learner_ids = [str(i) for i in run.payload.get("learners", [])]
    total = len(learner_ids)
    partial = run.result or {}
    done, held = int(partial.get("learners", 0)), int(partial.get("records", 0))
    for position in range(done, total):
        learner = work.session.get(Learner, learner_ids[position])
        if learner is not None:
            found = records.learner_record(work, learner)
            held += found is not None
        if work.session.in_transaction():
            # End the read (SQLite: let the progress write through; the next learner
            # reads fresh data).
            work.session.commit()
        done = position + 1
        if done % _PROGRESS_EVERY == 0 and done < total:
            run.progress(done, total, result={"learners": done, "records": held})
    return {"learners": done, "records": held}
