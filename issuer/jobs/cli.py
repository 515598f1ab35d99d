"""``baeji worker``: the process that runs background jobs with PostgreSQL (several may run)."""

from __future__ import annotations

import click

from issuer import db, settings_of
from issuer.commands import OperatorError, command_app


@click.command("worker")
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Jobs this process runs at once (each in a thread).",
)
@click.option("--name", default=None, help="A name for this worker in the logs.")
def worker_command(concurrency: int, name: str | None) -> None:
    """Run background jobs from the PostgreSQL queue until stopped (Ctrl-C, SIGTERM).

    Start as many as you like, on as many hosts as you like: each job runs on one worker
    at a time, and the jobs of a worker that dies are taken over by the others after
    BAEJI_JOB_STALLED_AFTER seconds. With SQLite no worker is needed (jobs run inside
    'baeji serve').
    """
    from issuer.jobs import queue

    app = command_app()
    engine = db.engine_of(app)
    if engine.dialect.name != "postgresql":
        raise OperatorError(
            "'baeji worker' takes jobs from PostgreSQL; with SQLite, jobs run inside the"
            " service itself (nothing else to start)"
        )
    if db.current_revision(engine) != db.head_revision():
        raise OperatorError("the database is not initialized or not up to date: run 'baeji init'")
    heartbeat = float(app.config.get("JOB_HEARTBEAT", 10.0))
    stalled_after = float(app.config.get("JOB_STALLED_AFTER", 60.0))
    click.echo(f"worker{f' {name}' if name else ''}: running jobs (concurrency {concurrency})")
    queue.run_worker(
        engine,
        settings_of(app),
        concurrency=concurrency,
        heartbeat=heartbeat,
        stalled_after=max(stalled_after, 2 * heartbeat),
        name=name,
    )
