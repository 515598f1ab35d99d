"""The ``baeji`` command list (entry point ``baeji.commands``): each feature's commands.

``init``, ``serve`` and ``demo`` belong to the whole service and live here; the rest are
in each feature's ``cli`` module, and what they share is in :mod:`issuer.commands`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click
from sqlalchemy.engine import make_url

from issuer import db, settings_of
from issuer.achievements.cli import achievement_group
from issuer.audit import cli_actor
from issuer.certification.cli import certifications_command, certify_command
from issuer.commands import OperatorError, command_app, reported, work
from issuer.console.cli import user_group
from issuer.credentials.cli import credential_group, issue_command, revoke_command
from issuer.issuers import platform
from issuer.issuers.cli import apikey_group, issuer_group, keys_group
from issuer.jobs.cli import worker_command
from issuer.learners.cli import wallet_group
from issuer.outbox.cli import mail_group
from issuer.webhooks.cli import webhooks_group

__all__ = ["OperatorError", "commands"]

issuer_group.add_command(certify_command)
issuer_group.add_command(certifications_command)


# -- init / serve ---------------------------------------------------------------------------


@click.command("init")
def init_command() -> None:
    """Create the instance folder, migrate the database, and create the platform's keys."""
    app = command_app(create=True)
    engine = db.engine_of(app)
    with reported():
        db.upgrade(engine)
    with db.unit_of_work(engine, settings_of(app), actor=cli_actor()) as unit, reported():
        identity = platform.ensure_platform(unit)
    click.echo(f"instance folder: {app.instance_path}")
    click.echo(f"database: {make_url(app.config['DATABASE_URL']).render_as_string()}")
    click.echo(f"schema revision: {db.current_revision(engine)}")
    click.echo(f"platform DID (signs learner records): {identity.did}")
    if not app.config.get("MASTER_KEY"):
        click.echo(
            f"master key: {Path(app.instance_path) / 'master.key'} (development key; "
            "set BAEJI_MASTER_KEY in production and keep it out of backups of the database)"
        )


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to use."
)
@click.option("--debug", is_flag=True, help="Flask debug mode (never on a public interface).")
def serve_command(host: str, port: int, debug: bool) -> None:
    """Run the development server (production: gunicorn 'issuer:create_app()')."""
    app = command_app()
    if db.current_revision(db.engine_of(app)) != db.head_revision():
        raise OperatorError("the database is not initialized or not up to date: run 'baeji init'")
    base = urlsplit(settings_of(app).base_url)
    if base.hostname in ("127.0.0.1", "localhost") and (base.port or 80) != port:
        click.echo(
            f"warning: BAEJI_BASE_URL is {settings_of(app).base_url}; badges issued now will "
            f"point there, not at port {port}",
            err=True,
        )
    click.echo(f"Baeji on http://{host}:{port}/  (API docs: /api/docs)")
    app.run(host=host, port=port, debug=debug, use_reloader=False)


# -- demo -----------------------------------------------------------------------------------


@click.command("demo")
def demo_command() -> None:
    """Seed a demo provider, three courses and a handful of learners with real badges."""
    from issuer import demo

    app = command_app()
    with work(app) as unit:
        summary = demo.seed(unit)
    for line in summary:
        click.echo(line)


commands: list[click.Command] = [
    init_command,
    serve_command,
    demo_command,
    issuer_group,
    apikey_group,
    achievement_group,
    issue_command,
    revoke_command,
    credential_group,
    wallet_group,
    keys_group,
    user_group,
    mail_group,
    worker_command,
    webhooks_group,
]
"""The commands added to the ``baeji`` group (entry point ``baeji.commands``)."""
