"""``baeji user create``: a staff account of the console (or, with ``--operator``, of the
operator console), with a one-time set-password link.

Nothing secret is typed on the command line: the command prints a link that sets the
password once and expires (see :data:`issuer.console.service.LINK_LIFETIME`).
"""

from __future__ import annotations

import click

from issuer.console.models import ROLES

__all__ = ["user_group"]


@click.group("user")
def user_group() -> None:
    """Staff accounts of the provider console (/console/) and operators (/operator/)."""


@user_group.command("create")
@click.option("--email", required=True, help="The staff member's e-mail (their sign-in name).")
@click.option("--issuer", "slug", default=None, help="The slug of the provider they work for.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=None,
    help="viewer reads; issuer also issues and revokes; owner also manages staff, keys and "
    "settings.",
)
@click.option(
    "--operator",
    is_flag=True,
    help="A platform operator (the operator console, /operator/) instead of a provider's "
    "staff member; not with --issuer or --role.",
)
def user_create(email: str, slug: str | None, role: str | None, operator: bool) -> None:
    """Create a staff account and print its one-time link to set a password."""
    from issuer.commands import command_app, work
    from issuer.console import service
    from issuer.issuers import service as accounts

    if operator and (slug or role):
        raise click.UsageError("--operator and --issuer/--role are mutually exclusive")
    if not operator and not (slug and role):
        raise click.UsageError("give --issuer and --role, or --operator")
    app = command_app()
    if operator:
        from issuer.operator import service as platform

        with work(app) as unit:
            user, link = platform.create_operator(unit, email=email)
        what, where = "operator", "the platform"
    else:
        with work(app) as unit:
            assert slug is not None  # noqa: S101 - checked above
            assert role is not None  # noqa: S101 - checked above
            issuer = accounts.issuer_by_slug(unit.session, slug)
            user, link = service.create_user(unit.acting_for(issuer), email=email, role=role)
        what, where = role, slug
    click.echo(f"created {what} {user.email} for {where}")
    click.echo(
        f"one-time link to set the password (valid {service.LINK_LIFETIME.days * 24} hours,"
        " usable once):"
    )
    click.echo(link)
