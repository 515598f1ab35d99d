"""``baeji user create``: a staff account of the console, with a one-time set-password link.

Nothing secret is typed on the command line: the command prints a link that sets the
password once and expires (see :data:`issuer.console.service.LINK_LIFETIME`).
"""

from __future__ import annotations

import click

from issuer.console.models import ROLES

__all__ = ["user_group"]


@click.group("user")
def user_group() -> None:
    """Staff accounts of the provider console (/console/)."""


@user_group.command("create")
@click.option("--email", required=True, help="The staff member's e-mail (their sign-in name).")
@click.option("--issuer", "slug", required=True, help="The slug of the provider they work for.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="viewer reads; issuer also issues and revokes; owner also manages staff, keys and "
    "settings.",
)
def user_create(email: str, slug: str, role: str) -> None:
    """Create a staff account and print its one-time link to set a password."""
    from issuer.audit import cli_actor
    from issuer.commands import command_app, open_session
    from issuer.console import service
    from issuer.issuers import service as accounts

    app = command_app()
    with open_session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug)
        user, link = service.create_user(
            session, conf, issuer, email=email, role=role, now=conf.clock(), actor=cli_actor()
        )
    click.echo(f"created {role} {user.email} for {slug}")
    click.echo(
        f"one-time link to set the password (valid {service.LINK_LIFETIME.days * 24} hours,"
        " usable once):"
    )
    click.echo(link)
