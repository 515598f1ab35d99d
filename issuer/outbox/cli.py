"""Operator commands for the e-mail outbox: ``baeji mail send`` and ``baeji mail status``."""

from __future__ import annotations

import click

from issuer.commands import command_app, echo_json, work
from issuer.outbox import service
from issuer.outbox.models import STATES


@click.group("mail")
def mail_group() -> None:
    """E-mail waiting in the outbox."""


@mail_group.command("send")
def mail_send() -> None:
    """Send every e-mail that is due now (run it from cron where no worker runs)."""
    app = command_app()
    with work(app) as unit:
        if not unit.settings.smtp_url:
            click.echo("no SMTP server configured (BAEJI_SMTP_URL); nothing to send", err=True)
            return
        sent = service.send_due(unit)
    click.echo(f"sent {sent} e-mail(s)")


@mail_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def mail_status(as_json: bool) -> None:
    """Count the outbox's e-mails by state (pending, sending, sent, failed)."""
    app = command_app()
    with work(app) as unit:
        found = service.counts(unit.session)
    counts = {state: found.get(state, 0) for state in STATES}
    if as_json:
        echo_json(counts)
        return
    for state, count in counts.items():
        click.echo(f"{state}\t{count}")
