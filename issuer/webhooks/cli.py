"""Operator commands for webhooks: ``baeji webhooks deliver`` sends what is due.

Deliveries are written with the changes they announce; this command (or the
``webhooks.deliver`` background job) sends them. Run it from cron or a timer, or with
``--every`` as a long-running process, so retries go out when their backoff is over.
"""

from __future__ import annotations

import time

import click

from issuer.commands import command_app, work
from issuer.webhooks import sending


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhook deliveries to providers' LMS endpoints."""


@webhooks_group.command("deliver")
@click.option(
    "--every",
    type=click.FloatRange(min=1.0),
    default=None,
    help="Keep running: look for due deliveries every this many seconds.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=100,
    show_default=True,
    help="Deliveries to attempt per round.",
)
def deliver_command(every: float | None, limit: int) -> None:
    """Send every webhook delivery that is due (first attempts and retries)."""
    app = command_app()
    while True:
        with work(app) as unit:
            attempted = sending.deliver_due(unit, limit=limit)
        if every is None:
            click.echo(f"{attempted} deliveries attempted")
            return
        if attempted < limit:
            time.sleep(every)
