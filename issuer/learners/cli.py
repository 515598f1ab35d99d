"""Operator commands for learners: ``baeji wallet link``."""

from __future__ import annotations

import click

from issuer import audit, db
from issuer.audit import cli_actor
from issuer.commands import (
    OperatorError,
    command_app,
    open_session,
)
from issuer.learners import service as learners

# -- wallet links ---------------------------------------------------------------------------


@click.group("wallet")
def wallet_group() -> None:
    """Learners' private wallet links."""


@wallet_group.command("link")
@click.option("--email", required=True, help="The learner's e-mail address.")
def wallet_link(email: str) -> None:
    """Print a new link to a learner's whole wallet (every provider's badges).

    Give it to the learner alone (for example one who lost the e-mailed link, once they
    have shown it is their address): it opens every badge any provider issued to them.
    """
    app = command_app()
    with open_session(app) as (session, conf):
        learner = learners.find_learner(session, conf, email) if "@" in email else None
        if learner is None:
            raise OperatorError(f"no learner with the address {email!r}")
        now = conf.clock()
        with db.write_transaction(session):
            url = learners.new_wallet_url(session, conf, learner.id, now, issuer_id=None)
            audit.record(
                session,
                actor=cli_actor(),
                action="wallet.link",
                subject=learner.subject_id,
                now=now,
                full=True,
            )
    click.echo(url)
