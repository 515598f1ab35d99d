"""Background jobs: register handlers, enqueue in the caller's transaction, run, report.

::

    from issuer.jobs import service as jobs

    @jobs.handler("outbox.send")
    def send(work: Work, run: jobs.JobRun) -> None:
        ...  # run.payload, run.job_id, run.attempt, run.progress(done, total)

    job_id = jobs.enqueue(work, "outbox.send", {"id": 3}, key="outbox:3")

:func:`enqueue` adds a ``job`` row to ``work.session``'s open transaction: nothing runs if
that transaction rolls back, and ``key`` makes it idempotent (the same key returns the job
already there). Where it runs (``BAEJI_JOBS``):

- ``queue`` (the default with PostgreSQL): the same transaction also puts the job on
  procrastinate's queue (its SQL function ``procrastinate_defer_jobs_v1``), so a job
  committed is on the queue even if the process dies right after the commit; ``baeji
  worker`` processes run it (:mod:`issuer.jobs.queue`).
- ``process`` (the default with SQLite): after the commit, a thread of this process runs
  it. The same thread, started again by the next job or the first request after a
  restart, picks up anything left ``queued`` (a process that died after a commit, retries
  whose backoff is over) and jobs whose runner went silent (:data:`issuer.jobs.runner.STALE_AFTER`).

A handler must be idempotent (a job may run again after a crash); an exception means "try
again later": the job goes back to ``queued`` with exponential backoff
(``BAEJI_JOB_BACKOFF`` seconds, doubling) until ``BAEJI_JOB_MAX_ATTEMPTS``, then it is
``failed``. ``last_error`` keeps the stable error code and message of an
:class:`~issuer.errors.APIError`, and only the exception's type for anything else (its
text may hold data); the traceback goes to the log.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, event, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from issuer.config import Settings, utc_now
from issuer.db import Work, is_postgres, new_session
from issuer.errors import NotFound
from issuer.jobs.models import Job
from issuer.schemas import JobOut, JobProgress
from keys import KeyManagementError

log = logging.getLogger(__name__)

QUEUE = "baeji"
TASK = "baeji.run_job"
_PENDING = "baeji_jobs_pending"
_SEAL_LABEL = "job-payload"

Mode = Literal["process", "queue"]
Handler = Callable[[Work, "JobRun"], "dict[str, Any] | None"]
_HANDLERS: dict[str, Handler] = {}


# -- handlers ---------------------------------------------------------------------------------


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of jobs named ``name``.

    The handler gets the job's unit of work (its own session; the job's issuer acts, the
    actor is whoever enqueued it) and a :class:`JobRun`. It may return a JSON-able dict,
    kept as the job's result. The module must be imported when the app is created.
    """

    def register(function: Handler) -> Handler:
        existing = _HANDLERS.get(name)
        same = existing is None or (existing.__module__, existing.__qualname__) == (
            function.__module__,
            function.__qualname__,
        )
        if not same:
            raise ValueError(f"a job handler named {name!r} is already registered")
        _HANDLERS[name] = function
        return function

    return register


def handlers() -> list[str]:
    """The names of every registered handler."""
    return sorted(_HANDLERS)


@dataclass
class JobRun:
    """What a handler knows about the run: the job, its payload, which attempt this is.

    :meth:`progress` commits at once in its own short transaction (on a connection of its
    own), so the consoles see it while the handler works; on SQLite, do not call it while
    the handler's session holds a write transaction.
    """

    job_id: int
    name: str
    payload: dict[str, Any]
    attempt: int
    issuer_id: int | None
    # What the last progress() saved as the partial result (a retry continues from it).
    result: dict[str, Any] | None
    engine: Engine = field(repr=False)

    def progress(self, done: int, total: int, *, result: dict[str, Any] | None = None) -> None:
        """Record that ``done`` of ``total`` units are finished (and the partial result)."""
        values: dict[str, Any] = {
            "progress_done": done,
            "progress_total": total,
            "heartbeat_at": utc_now(),
        }
        if result is not None:
            self.result = result
            values["result"] = _dumps(result)
        with new_session(self.engine) as session:
            session.execute(update(Job).where(col(Job.id) == self.job_id).values(**values))
            session.commit()


# -- enqueueing -------------------------------------------------------------------------------


def mode_of(work: Work) -> Mode:
    """Where ``work``'s jobs run: ``queue`` (procrastinate) or ``process`` (this process)."""
    return _mode(work.settings, is_postgres(work.session))


def _mode(settings: Settings, postgres: bool) -> Mode:
    chosen = settings.jobs_mode
    if chosen == "auto":
        return "queue" if postgres else "process"
    if chosen == "queue" and not postgres:
        raise ValueError("BAEJI_JOBS=queue needs PostgreSQL")
    if chosen not in ("process", "queue"):
        raise ValueError(f"BAEJI_JOBS must be auto, process or queue, not {chosen!r}")
    return "queue" if chosen == "queue" else "process"


def enqueue(
    work: Work,
    name: str,
    payload: dict[str, Any],
    *,
    key: str | None = None,
    total: int | None = None,
    run_after: datetime | None = None,
) -> int:
    """Add a job to ``work.session``'s open transaction and return its id.

    It runs after that transaction commits (not before ``run_after`` when given); if it
    rolls back, the job never existed.
    With ``key``, a job already enqueued under it (committed, or earlier in this
    transaction) is returned instead of a new one. ``total``: the progress's total, known
    up front (the consoles show "0 of total" until the handler reports).

    Raises:
        LookupError: no handler is registered under ``name``.
    """
    if name not in _HANDLERS:
        raise LookupError(f"no job handler named {name!r}")
    session = work.session
    if key is not None and (found := find_by_key(session, key)) is not None:
        return found.pk
    job = Job(
        name=name,
        issuer_id=work.issuer.pk if work.issuer is not None else None,
        key=key,
        actor=work.actor[:120],
        payload=_dumps(payload),
        state="queued",
        attempts=0,
        progress_done=0,
        progress_total=total,
        created_at=work.now,
        run_after=run_after,
    )
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        # A concurrent transaction committed the same key first.
        found = find_by_key(session, key) if key is not None else None
        if found is None:
            raise
        return found.pk
    job_id = job.pk
    if mode_of(work) == "queue":
        _defer_on_queue(session, job_id, run_after)
    else:
        session.info.setdefault(_PENDING, []).append(job_id)
        session.info["baeji_jobs_settings"] = work.settings
    log.info("job %d (%s) enqueued", job_id, name)
    return job_id


def _defer_on_queue(session: Session, job_id: int, run_after: datetime | None) -> None:
    """Put the job on procrastinate's queue, in the same transaction as its row.

    The statement is the one procrastinate's own ``defer`` sends (``defer_jobs`` in its
    queries.sql, the versioned function ``procrastinate_defer_jobs_v1``); the lock makes
    two runs of one job never overlap, whatever the number of workers.
    """
    session.execute(
        text(
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, NULL,"
            " CAST(:args AS jsonb), CAST(:at AS timestamptz))::procrastinate_job_to_defer_v1])"
        ),
        {
            "queue": QUEUE,
            "task": TASK,
            "lock": f"baeji-job-{job_id}",
            "args": json.dumps({"job_id": job_id}),
            "at": run_after,
        },
    )


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: list[int] = session.info.pop(_PENDING, [])
    settings: Settings | None = session.info.get("baeji_jobs_settings")
    if pending and settings is not None:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        from issuer.jobs import runner

        runner.runner_for(engine, settings).wake()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- reading ----------------------------------------------------------------------------------


def find_by_key(session: Session, key: str) -> Job | None:
    """The job enqueued under ``key``, if any."""
    return session.exec(select(Job).where(Job.key == key)).first()


def get_job(session: Session, job_id: int, *, issuer_id: int | None) -> Job:
    """Return job ``job_id`` of ``issuer_id`` (``None``: any job, for the operator).

    Raises:
        NotFound: no such job, or another issuer's (the two look the same).
    """
    job = session.get(Job, job_id)
    if job is None or (issuer_id is not None and job.issuer_id != issuer_id):
        raise NotFound(f"no job {job_id}")
    return job


def list_jobs(
    session: Session,
    *,
    issuer_id: int | None = None,
    state: str | None = None,
    name: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[Job]:
    """Jobs, newest first: one issuer's (``issuer_id``) or every job (``None``, operators).

    ``before`` is the id of the last job of the previous page.
    """
    query = select(Job)
    if issuer_id is not None:
        query = query.where(Job.issuer_id == issuer_id)
    if state is not None:
        query = query.where(Job.state == state)
    if name is not None:
        query = query.where(Job.name == name)
    if before is not None:
        query = query.where(col(Job.id) < before)
    return list(session.exec(query.order_by(col(Job.id).desc()).limit(limit)).all())


def payload_of(job: Job) -> dict[str, Any]:
    """The job's payload."""
    loaded: dict[str, Any] = json.loads(job.payload)
    return loaded


def result_of(job: Job) -> dict[str, Any] | None:
    """The job's result (partial while it runs), or ``None``."""
    if job.result is None:
        return None
    loaded: dict[str, Any] = json.loads(job.result)
    return loaded


def wait(engine: Engine, job_id: int, *, timeout: float = 60.0, interval: float = 0.1) -> Job:
    """Wait until job ``job_id`` is ``done`` or ``failed`` and return it (commands, tests).

    Raises:
        TimeoutError: still queued or running after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        with new_session(engine) as session:
            job = session.get(Job, job_id)
            if job is not None and job.state in ("done", "failed"):
                return job
        if time.monotonic() >= deadline:
            raise TimeoutError(f"job {job_id} did not finish within {timeout:g} s")
        time.sleep(interval)


# -- sealing personal data in payloads ---------------------------------------------------------


def forget_payload(work: Work, job_id: int) -> None:
    """Empty job ``job_id``'s payload (what it needed is done with: e.g. a sealed address
    that must not outlive the job)."""
    with work.write():
        work.session.execute(update(Job).where(col(Job.id) == job_id).values(payload="{}"))


def seal(settings: Settings, value: Any) -> str:
    """Encrypt a JSON value (e.g. a cohort's e-mail addresses) for a job's payload, sealed
    under the master key like the outbox's mail (:meth:`keys.MasterKey.seal_data`)."""
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    sealed = settings.master_key.seal_data(data, label=_SEAL_LABEL)
    return base64.urlsafe_b64encode(sealed).decode()


def unseal(settings: Settings, sealed: str) -> Any:
    """Decrypt what :func:`seal` made.

    Raises:
        ValueError: not sealed with this service's key (or altered).
    """
    try:
        blob = base64.urlsafe_b64decode(sealed.encode())
        return json.loads(settings.master_key.unseal_data(blob, label=_SEAL_LABEL))
    except (KeyManagementError, ValueError) as err:
        raise ValueError("the job's sealed payload cannot be read") from err


def job_out(settings: Settings, job: Job) -> JobOut:
    """The API view of ``job`` (``GET /api/v1/jobs/{id}``)."""
    return JobOut(
        id=job.pk,
        url=settings.url("api", "v1", "jobs", str(job.pk)),
        name=job.name,
        state=job.state,
        attempts=job.attempts,
        progress=JobProgress(done=job.progress_done, total=job.progress_total),
        last_error=job.last_error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        result=result_of(job),
    )
