"""Operator commands for learners: ``baeji wallet link [--send]``."""

from __future__ import annotations

import uuid

import click

from issuer.commands import OperatorError, command_app, work
from issuer.learners import recovery
from issuer.learners import service as learners
from issuer.outbox import service as outbox
from issuer.outbox.service import Mail

# -- wallet links ---------------------------------------------------------------------------


@click.group("wallet")
def wallet_group() -> None:
    """Learners' private wallet links."""


@wallet_group.command("link")
@click.option("--email", required=True, help="The learner's e-mail address.")
@click.option(
    "--send",
    is_flag=True,
    help="E-mail the link to that address (through the outbox) instead of printing it.",
)
def wallet_link(email: str, send: bool) -> None:
    """Print (or e-mail) a new link to a learner's whole wallet (every provider's badges).

    Give it to the learner alone (for example one who lost the e-mailed link, once they
    have shown it is their address): it opens every badge any provider issued to them.
    With ``--send`` the link goes to the address itself and is never shown here.
    """
    app = command_app()
    with work(app) as unit:
        conf = unit.settings
        learner = learners.find_learner(unit, email) if "@" in email else None
        if learner is None:
            raise OperatorError(f"no learner with the address {email!r}")
        if send and not conf.smtp_url:
            raise OperatorError("no SMTP server is configured (BAEJI_SMTP_URL); nothing sent")
        with unit.write():
            url = learners.new_wallet_url(unit, learner.id, issuer_id=None)
            if send:
                mail = Mail(
                    recovery.link_message(conf, email, url),
                    key=f"{recovery.KIND}:{uuid.uuid4()}",
                    kind=recovery.KIND,
                )
                outbox.queue(unit, [mail])
            unit.audit("wallet.link", learner.subject_id, full=True, mailed=send)
    click.echo(f"e-mailed a new wallet link to {email}" if send else url)
