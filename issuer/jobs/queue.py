"""The PostgreSQL queue: procrastinate's worker running our jobs (``baeji worker``).

:func:`issuer.jobs.service.enqueue` puts one procrastinate job (task :data:`TASK`,
``{"job_id": n}``, lock ``baeji-job-<n>``) on the queue in the transaction of the ``job``
row. A worker fetches it with ``SELECT ... FOR UPDATE SKIP LOCKED`` (so any number of
workers on any number of hosts share the queue; the lock keeps two runs of one job from
overlapping) and calls :func:`issuer.jobs.runner.execute`, which records the outcome on the
``job`` row. A failure is retried by procrastinate at the time our backoff says
(:class:`Backoff`); a job that used up its attempts is left failed.

A killed worker loses nothing: each worker writes a heartbeat every ``BAEJI_JOB_HEARTBEAT``
seconds, and every worker looks, as often, for jobs still ``doing`` on a worker silent for
``BAEJI_JOB_STALLED_AFTER`` seconds and puts them back on the queue; the job runs again
(handlers are idempotent, and the batch handler skips the chunks already committed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import procrastinate
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job as QueueJob
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy import Engine

from issuer.config import Settings
from issuer.jobs import runner
from issuer.jobs.service import QUEUE, TASK

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """A job failed and will be tried again in ``seconds``."""

    def __init__(self, job_id: int, seconds: float) -> None:
        super().__init__(f"job {job_id} failed; next attempt in {seconds:g} s")
        self.seconds = seconds


class GaveUp(Exception):
    """A job failed its last attempt (the ``job`` row says why)."""


class Backoff(BaseRetryStrategy):
    """procrastinate's retry decision, taken from our own record of the job's attempts."""

    def get_retry_decision(
        self, *, exception: BaseException, job: QueueJob
    ) -> RetryDecision | None:
        """Retry after the wait :func:`issuer.jobs.runner.execute` chose, or not at all."""
        if isinstance(exception, RetryLater):
            return RetryDecision(retry_in={"seconds": int(max(exception.seconds, 0))})
        return None


def conninfo(engine: Engine) -> str:
    """The libpq URL of ``engine``'s database (the search path and other options kept)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(engine: Engine, settings: Settings) -> procrastinate.App:
    """A procrastinate app on ``engine``'s database with our one task registered."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(engine), min_size=1, max_size=4)
    )

    @app.task(name=TASK, queue=QUEUE, retry=Backoff(), pass_context=True)
    def run_job(context: JobContext, job_id: int) -> None:
        ran = runner.execute(engine, settings, job_id)
        if ran.outcome == "retry":
            raise RetryLater(job_id, ran.retry_in)
        if ran.outcome == "failed":
            raise GaveUp(f"job {job_id} failed its last attempt")

    del run_job
    return app


async def _recover_stalled(
    app: procrastinate.App, *, every: float, stalled_after: float, stop: asyncio.Event
) -> None:
    """Put the jobs of dead workers back on the queue, every ``every`` seconds."""
    while not stop.is_set():
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                queue=QUEUE, seconds_since_heartbeat=stalled_after
            )
            for job in stalled:
                log.warning("job %s of a silent worker goes back on the queue", job.id)
                await app.job_manager.retry_job(job)
        except Exception:  # keep recovering while the worker runs (e.g. a lost connection)
            log.exception("looking for stalled jobs failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def _work(
    app: procrastinate.App,
    *,
    concurrency: int,
    heartbeat: float,
    stalled_after: float,
    name: str | None,
) -> None:
    async with app.open_async():
        stop = asyncio.Event()
        recovery = asyncio.create_task(
            _recover_stalled(app, every=heartbeat, stalled_after=stalled_after, stop=stop)
        )
        options: dict[str, Any] = {
            "queues": [QUEUE],
            "concurrency": concurrency,
            "update_heartbeat_interval": heartbeat,
            "stalled_worker_timeout": stalled_after,
            "fetch_job_polling_interval": min(heartbeat, 5.0),
            "delete_jobs": "successful",
        }
        if name:
            options["name"] = name
        try:
            await app.run_worker_async(**options)
        finally:
            stop.set()
            await recovery


def run_worker(
    engine: Engine,
    settings: Settings,
    *,
    concurrency: int = 1,
    heartbeat: float = 10.0,
    stalled_after: float = 60.0,
    name: str | None = None,
) -> None:
    """Run jobs from the queue until SIGINT/SIGTERM (the ``baeji worker`` process)."""
    app = make_app(engine, settings)
    asyncio.run(
        _work(
            app,
            concurrency=concurrency,
            heartbeat=heartbeat,
            stalled_after=stalled_after,
            name=name,
        )
    )
