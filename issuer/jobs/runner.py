"""Running jobs: one run of a job (:func:`execute`, both paths) and the in-process runner.

The in-process runner (SQLite, or ``BAEJI_JOBS=process``) is one thread per process and
database: woken after a commit that enqueued jobs, it claims due jobs one at a time (a
conditional ``UPDATE``, so several processes on one database never run a job twice at
once), runs them, sleeps until the next retry is due, and ends when nothing is queued.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from flask import Flask
from sqlalchemy import Engine, event, or_, update
from sqlmodel import col, select

from issuer import settings_of
from issuer.config import Settings, utc_now
from issuer.db import engine_of, new_session, unit_of_work, write_transaction
from issuer.errors import APIError
from issuer.jobs.models import Job
from issuer.jobs.service import _HANDLERS, JobRun, _dumps, _mode, payload_of, result_of
from issuer.models import Issuer

log = logging.getLogger(__name__)

# An in-process runner reports (heartbeat_at) this often while it runs a job, and a job
# whose runner has not reported for STALE_AFTER (its process died) is run again.
HEARTBEAT_EVERY = 20.0
STALE_AFTER = timedelta(minutes=2)


# -- running ----------------------------------------------------------------------------------


Outcome = Literal["done", "retry", "failed", "skipped"]


@dataclass(frozen=True)
class Ran:
    """What one run of a job came to; ``retry_in`` seconds for ``retry``."""

    outcome: Outcome
    retry_in: float = 0.0


def backoff(settings: Settings, attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones (doubling)."""
    return float(settings.job_backoff * 2 ** max(attempts - 1, 0))


def execute(engine: Engine, settings: Settings, job_id: int, *, claimed: bool = False) -> Ran:
    """Run job ``job_id`` once and record the outcome on its row.

    ``claimed``: the caller already moved the row to ``running`` (the in-process runner);
    otherwise (the queue, which guarantees one runner per job) it is claimed here. A job
    already ``done`` or ``failed``, or missing, is skipped.
    """
    now = utc_now()
    with new_session(engine) as session:
        if not claimed:
            changed = session.execute(
                update(Job)
                .where(
                    col(Job.id) == job_id,
                    col(Job.state).in_(("queued", "running")),
                    col(Job.attempts) < settings.job_max_attempts,
                )
                .values(
                    state="running",
                    attempts=Job.attempts + 1,
                    heartbeat_at=now,
                    run_after=None,
                )
            )
            session.commit()
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                return _gave_up(engine, job_id)
        job = session.get(Job, job_id)
        if job is None:
            return Ran("skipped")
        if job.started_at is None:
            # A write of its own (BEGIN IMMEDIATE on SQLite): upgrading the read above would
            # fail at once ("database is locked") if another writer committed since.
            with write_transaction(session):
                session.execute(
                    update(Job)
                    .where(col(Job.id) == job_id, col(Job.started_at).is_(None))
                    .values(started_at=now)
                )
            job.started_at = now
        run = JobRun(
            job_id=job.pk,
            name=job.name,
            payload=payload_of(job),
            attempt=job.attempts,
            issuer_id=job.issuer_id,
            result=result_of(job),
            engine=engine,
        )
        issuer = session.get(Issuer, job.issuer_id) if job.issuer_id is not None else None
        actor = job.actor
    function = _HANDLERS.get(run.name)
    try:
        if function is None:
            raise LookupError(f"no job handler named {run.name!r} in this process")
        with unit_of_work(engine, settings, actor=actor, issuer=issuer) as work:
            result = function(work, run)
    except Exception as err:  # any failure is recorded on the job and retried
        log.warning("job %d (%s) attempt %d failed", job_id, run.name, run.attempt, exc_info=True)
        return _failed(engine, settings, job_id, run.attempt, err)
    with new_session(engine) as session:
        values: dict[str, Any] = {"state": "done", "finished_at": utc_now(), "last_error": None}
        final = result if result is not None else run.result
        if final is not None:
            values["result"] = _dumps(final)
        session.execute(update(Job).where(col(Job.id) == job_id).values(**values))
        session.execute(
            update(Job)
            .where(col(Job.id) == job_id, col(Job.progress_total).is_not(None))
            .values(progress_done=Job.progress_total)
        )
        session.commit()
    log.info("job %d (%s) done", job_id, run.name)
    return Ran("done")


def _gave_up(engine: Engine, job_id: int) -> Ran:
    """A job whose runners died on every attempt (e.g. killed for memory) is failed, not
    run forever; a job already finished or missing is skipped."""
    with new_session(engine) as session:
        changed = session.execute(
            update(Job)
            .where(col(Job.id) == job_id, col(Job.state).in_(("queued", "running")))
            .values(
                state="failed",
                finished_at=utc_now(),
                last_error="worker-lost: the job's runner stopped during its last attempt",
            )
        )
        session.commit()
    return Ran("failed") if changed.rowcount == 1 else Ran("skipped")  # type: ignore[attr-defined]


def _error_text(err: Exception) -> str:
    if isinstance(err, APIError):
        return f"{err.code}: {err.message}"[:500]
    if isinstance(err, LookupError) and str(err).startswith("no job handler"):
        return str(err)[:500]
    return f"{type(err).__name__} (details in the worker's log)"


def _failed(engine: Engine, settings: Settings, job_id: int, attempt: int, err: Exception) -> Ran:
    final = attempt >= settings.job_max_attempts
    wait_s = 0.0 if final else backoff(settings, attempt)
    now = utc_now()
    values: dict[str, Any] = {"last_error": _error_text(err), "heartbeat_at": now}
    if final:
        values.update(state="failed", finished_at=now)
    else:
        values.update(state="queued", run_after=now + timedelta(seconds=wait_s))
    with new_session(engine) as session:
        session.execute(update(Job).where(col(Job.id) == job_id).values(**values))
        session.commit()
    return Ran("failed") if final else Ran("retry", wait_s)


# -- the in-process runner (SQLite, BAEJI_JOBS=process) ----------------------------------------


def claim_due(engine: Engine, settings: Settings) -> int | None:
    """Claim the oldest job that is due (or whose runner went silent); return its id.

    A silent job that has used up its attempts is failed instead (:func:`_gave_up`).
    """
    now = utc_now()
    gave_up: list[int] = []
    claimed: int | None = None
    with new_session(engine) as session, write_transaction(session):
        # One write unit (BEGIN IMMEDIATE on SQLite): reading the candidates and claiming one
        # cannot be split by another writer's commit ("database is locked" on the update).
        candidates = session.exec(
            select(Job)
            .where(
                or_(
                    (col(Job.state) == "queued")
                    & or_(col(Job.run_after).is_(None), col(Job.run_after) <= now),
                    (col(Job.state) == "running") & (col(Job.heartbeat_at) < now - STALE_AFTER),
                )
            )
            .order_by(col(Job.id))
            .limit(5)
        ).all()
        for job in candidates:
            if job.attempts >= settings.job_max_attempts:
                gave_up.append(job.pk)
                continue
            changed = session.execute(
                update(Job)
                .where(
                    col(Job.id) == job.id,
                    col(Job.state) == job.state,
                    col(Job.attempts) == job.attempts,
                )
                .values(state="running", attempts=job.attempts + 1, heartbeat_at=now)
            )
            if changed.rowcount == 1:  # type: ignore[attr-defined]
                claimed = job.pk
                break
    for job_id in gave_up:
        _gave_up(engine, job_id)
    return claimed


def next_due(engine: Engine) -> float | None:
    """Seconds until a job is due (0: now): the next queued one, or a running one whose
    runner would have gone silent for :data:`STALE_AFTER`; ``None`` if there is none."""
    with new_session(engine) as session:
        queued = session.exec(
            select(Job.run_after)
            .where(Job.state == "queued")
            .order_by(col(Job.run_after).is_not(None), col(Job.run_after))
            .limit(1)
        ).all()
        silent = session.exec(
            select(Job.heartbeat_at)
            .where(Job.state == "running", col(Job.heartbeat_at).is_not(None))
            .order_by(col(Job.heartbeat_at))
            .limit(1)
        ).first()
    now = utc_now()
    waits = []
    if queued:
        waits.append(0.0 if queued[0] is None else (queued[0] - now).total_seconds())
    if silent is not None:
        waits.append((silent + STALE_AFTER - now).total_seconds())
    return max(min(waits), 0.0) if waits else None


class _Heartbeat:
    """Reports every :data:`HEARTBEAT_EVERY` seconds that job ``job_id`` is being run."""

    def __init__(self, engine: Engine, job_id: int) -> None:
        self.engine = engine
        self.job_id = job_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="baeji-job-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stop.wait(HEARTBEAT_EVERY):
            try:
                with new_session(self.engine) as session:
                    session.execute(
                        update(Job)
                        .where(col(Job.id) == self.job_id, col(Job.state) == "running")
                        .values(heartbeat_at=utc_now())
                    )
                    session.commit()
            except Exception:  # a missed beat is retried on the next one
                log.warning("could not record job %d's heartbeat", self.job_id, exc_info=True)


class LocalRunner:
    """One thread per process and database that runs due jobs, then ends when none is left.

    :meth:`wake` starts it (again); it never sleeps past a queued job's backoff.
    """

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._lock = threading.Lock()
        self._woken = threading.Event()
        self._thread: threading.Thread | None = None
        # Disposing the engine (the end of this process's use of the database; nothing in
        # the service disposes its engine otherwise) ends the thread for good, so it never
        # holds a connection of a pool that is gone.
        self.stopped = threading.Event()
        # The pool the thread draws from: disposing the engine swaps in a new pool, and a
        # connection the thread returns to this one afterwards must still be closed.
        self._pool = engine.pool
        event.listen(engine, "engine_disposed", self._disposed)

    def _disposed(self, _engine: Engine) -> None:
        self.stopped.set()
        self._woken.set()
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        if self._pool is not self.engine.pool:
            self._pool.dispose()

    def wake(self) -> None:
        """Make the runner look for due jobs now (never again once its engine was disposed:
        a job committing while the engine is disposed must not start a runner on it)."""
        if self.stopped.is_set():
            return
        with self._lock:
            self._woken.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="baeji-jobs", daemon=True)
                self._thread.start()

    def idle(self) -> bool:
        """Whether the runner's thread has ended (nothing queued that it could run)."""
        with self._lock:
            return self._thread is None

    def _loop(self) -> None:
        while True:
            if self.stopped.is_set():
                with self._lock:
                    self._thread = None
                return
            self._woken.clear()
            try:
                while (
                    not self.stopped.is_set()
                    and (job_id := claim_due(self.engine, self.settings)) is not None
                ):
                    with _Heartbeat(self.engine, job_id):
                        execute(self.engine, self.settings, job_id, claimed=True)
                # Stopped: the engine is disposed; a look now would open a connection on
                # its new pool that nobody closes.
                later = None if self.stopped.is_set() else next_due(self.engine)
            except Exception:  # the thread must outlive a database that is briefly away
                log.exception("the in-process job runner failed; retrying in 5 s")
                later = 5.0
            with self._lock:
                if self.stopped.is_set() or (not self._woken.is_set() and later is None):
                    self._thread = None
                    return
            self._woken.wait(timeout=min(later if later is not None else 0.0, 5.0))


_RUNNERS: dict[int, LocalRunner] = {}
_RUNNERS_LOCK = threading.Lock()


def runner_for(engine: Engine, settings: Settings) -> LocalRunner:
    """The in-process runner of ``engine`` (one per process and engine)."""
    with _RUNNERS_LOCK:
        runner = _RUNNERS.get(id(engine))
        if runner is None or runner.engine is not engine:
            runner = _RUNNERS[id(engine)] = LocalRunner(engine, settings)
        return runner


def start_local(engine: Engine, settings: Settings) -> None:
    """Run what an earlier process left queued, when jobs run in this process.

    Called once by the first request (the database is migrated by then); a no-op when
    jobs run on the queue.
    """
    if _mode(settings, engine.dialect.name == "postgresql") == "process":
        runner_for(engine, settings).wake()


def init_app(app: Flask) -> None:
    """Resume in-process jobs left queued by an earlier process, at the first request.

    Raises:
        ValueError: ``BAEJI_JOBS`` is not ``auto``, ``process`` or ``queue`` (or ``queue``
            without PostgreSQL).
    """
    _mode(settings_of(app), engine_of(app).dialect.name == "postgresql")
    started = threading.Event()

    @app.before_request
    def _resume_jobs() -> None:
        if not started.is_set():
            started.set()
            start_local(engine_of(app), settings_of(app))
