"""Operator commands for providers: ``baeji issuer``, ``baeji apikey``, ``baeji keys``."""

from __future__ import annotations

import click
from sqlmodel import Session

from issuer.achievements.artwork import (
    logo_url,
    store_logo,
)
from issuer.commands import (
    ISSUER_HELP,
    YES_HELP,
    artwork_source,
    command_app,
    echo_json,
    open_session,
    work,
)
from issuer.issuers import service as accounts
from issuer.issuers import signing
from issuer.models import Issuer, SigningKey
from issuer.schemas import IssuerCreate
from keys import KeyType

# -- issuers and API keys -------------------------------------------------------------------


@click.group("issuer")
def issuer_group() -> None:
    """Register training providers."""


@issuer_group.command("create")
@click.option("--slug", required=True, help="Short name used in the DID and URLs.")
@click.option("--name", required=True, help="Display name, e.g. '한빛 디지털 아카데미'.")
@click.option("--url", default=None, help="The provider's web site.")
@click.option("--email", default=None, help="Contact email shown in badges.")
@click.option("--description", default=None, help="A short description of the provider.")
@click.option(
    "--logo", default=None, metavar="FILE|URL", help="PNG, JPEG or SVG logo, at most 512 KiB."
)
@click.option(
    "--suspension/--no-suspension",
    default=False,
    show_default=True,
    help="Add a suspension status entry to every badge (credentialStatus becomes an array, "
    "which the OB 3.0 JSON Schema does not accept).",
)
@click.option("--json", "as_json", is_flag=True, help="Print {did, api_key} as JSON.")
def issuer_create(
    slug: str,
    name: str,
    url: str | None,
    email: str | None,
    description: str | None,
    logo: str | None,
    suspension: bool,
    as_json: bool,
) -> None:
    """Create an issuer with its keys and print its DID and a new API key."""
    app = command_app()
    checked = artwork_source(app, logo, "logo")[1] if logo else None
    with work(app) as unit:
        data = IssuerCreate(
            slug=slug,
            name=name,
            url=url,
            email=email,
            description=description,
            suspension=suspension,
        )
        issuer, token = accounts.create_issuer(unit, data)
        if checked is not None:
            issuer = store_logo(unit.acting_for(issuer), checked)
    if as_json:
        echo_json({"slug": issuer.slug, "did": issuer.did, "api_key": token})
        return
    click.echo(f"issuer: {issuer.slug}  ({issuer.name})")
    click.echo(f"DID:    {issuer.did}")
    click.echo(f"API key (shown once, store it safely): {token}")


@issuer_group.command("logo")
@click.option("--issuer", "--slug", "slug", required=True, help=ISSUER_HELP)
@click.argument("source", required=False, metavar="FILE|URL")
@click.option("--remove", is_flag=True, help="Remove the logo.")
def issuer_logo(slug: str, source: str | None, remove: bool) -> None:
    """Set an issuer's logo (PNG, JPEG or SVG, at most 512 KiB), or remove it."""
    if bool(source) == remove:
        raise click.UsageError("give a logo FILE or URL, or --remove")
    app = command_app()
    checked = artwork_source(app, source, "logo")[1] if source else None
    with work(app) as unit:
        issuer = accounts.issuer_by_slug(unit.session, slug)
        issuer = store_logo(unit.acting_for(issuer), checked)
        where = logo_url(unit.settings, issuer)
    click.echo(f"logo of {slug}: {where}" if where else f"logo of {slug} removed")


@issuer_group.command("suspension")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP)
@click.option(
    "--enable/--disable",
    "enabled",
    required=True,
    help="Add (or stop adding) a suspension entry to new badges.",
)
def issuer_suspension(slug: str, enabled: bool) -> None:
    """Turn the suspension status entry on or off for badges issued from now on."""
    app = command_app()
    with work(app) as unit:
        issuer = accounts.issuer_by_slug(unit.session, slug)
        accounts.set_suspension(unit.acting_for(issuer), enabled)
    state = "on" if enabled else "off"
    click.echo(f"suspension {state} for {slug}: applies to badges issued from now on")


@issuer_group.command("list")
def issuer_list() -> None:
    """List issuers."""
    from sqlmodel import col, select

    from issuer.models import Issuer

    app = command_app()
    with open_session(app) as (session, _conf):
        for issuer in session.exec(select(Issuer).order_by(col(Issuer.slug))).all():
            click.echo(f"{issuer.slug}\t{issuer.did}\t{issuer.name}")


@click.group("apikey")
def apikey_group() -> None:
    """Hand out and revoke API keys."""


@apikey_group.command("create")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP)
@click.option("--name", default=None, help="A label, e.g. 'LMS integration'.")
@click.option("--json", "as_json", is_flag=True, help="Print {issuer, api_key} as JSON.")
def apikey_create(slug: str, name: str | None, as_json: bool) -> None:
    """Create an API key for an issuer (printed once; only its digest is stored)."""
    app = command_app()
    with work(app) as unit:
        issuer = accounts.issuer_by_slug(unit.session, slug)
        token = accounts.create_api_key(unit.acting_for(issuer), name=name)
    if as_json:
        echo_json({"issuer": slug, "api_key": token})
    else:
        click.echo(token)


@apikey_group.command("revoke")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP)
@click.argument("key")
def apikey_revoke(slug: str, key: str) -> None:
    """Revoke an API key, named by its prefix (the part after 'baeji_') or in full."""
    app = command_app()
    with work(app) as unit:
        issuer = accounts.issuer_by_slug(unit.session, slug)
        row = accounts.revoke_api_key(unit.acting_for(issuer), key)
    click.echo(f"revoked API key {row.prefix} of {slug}")


@apikey_group.command("list")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP)
def apikey_list(slug: str) -> None:
    """List an issuer's API keys (prefix, label, state)."""
    app = command_app()
    with open_session(app) as (session, _conf):
        issuer = accounts.issuer_by_slug(session, slug)
        for row in accounts.list_api_keys(session, issuer):
            state = "revoked" if row.revoked_at else "active"
            click.echo(f"{row.prefix}\t{state}\t{row.name or ''}")


# -- keys -----------------------------------------------------------------------------------

_KEY_TYPES = {
    "ed25519": [KeyType.ED25519],
    "rsa": [KeyType.RSA],
    "all": list(signing.ISSUER_KEY_TYPES),
}


@click.group("keys")
def keys_group() -> None:
    """Rotate and list issuer signing keys (the platform's own: --issuer _platform)."""


@keys_group.command("rotate")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP + " _platform: the platform.")
@click.option(
    "--type",
    "key_type",
    type=click.Choice(sorted(_KEY_TYPES)),
    default="all",
    show_default=True,
    help="Which keys to replace.",
)
@click.option(
    "--compromised",
    is_flag=True,
    help="The current keys leaked: unpublish them, so nothing they signed verifies any more.",
)
@click.option("--yes", "-y", "assume_yes", is_flag=True, help=YES_HELP + " (--compromised)")
def keys_rotate(slug: str, key_type: str, compromised: bool, assume_yes: bool) -> None:
    """Make new active keys; old badges keep verifying unless --compromised (asks first)."""
    app = command_app()
    with work(app) as unit:
        session = unit.session
        issuer = accounts.issuer_by_slug(session, slug, include_platform=True)
        if compromised and not assume_yes:
            types = {t.value for t in _KEY_TYPES[key_type]}
            leaked = [
                k
                for k in signing.issuer_keys(session, issuer.pk)
                if k.key_type in types and k.state == "active"
            ]
            _confirm_compromise(session, issuer, leaked)
        acting = unit.acting_for(issuer)
        with acting.write():
            created = signing.rotate_keys(
                acting, key_types=_KEY_TYPES[key_type], compromised=compromised
            )
    for row in created:
        click.echo(f"new active {row.key_type} key: {row.key_id}")
    if compromised:
        click.echo("the previous keys are revoked: credentials they signed no longer verify")


@keys_group.command("compromise")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP + " _platform: the platform.")
@click.argument("key_id")
@click.option("--yes", "-y", "assume_yes", is_flag=True, help=YES_HELP)
def keys_compromise(slug: str, key_id: str, assume_yes: bool) -> None:
    """Mark one key (active or retired) compromised; an active one is replaced first."""
    app = command_app()
    with work(app) as unit:
        session = unit.session
        issuer = accounts.issuer_by_slug(session, slug, include_platform=True)
        if not assume_yes:
            leaked = [k for k in signing.issuer_keys(session, issuer.pk) if k.key_id == key_id]
            _confirm_compromise(session, issuer, leaked)
        acting = unit.acting_for(issuer)
        with acting.write():
            created = signing.compromise_key(acting, key_id)
    click.echo(f"revoked key {key_id}")
    for row in created:
        click.echo(f"new active {row.key_type} key: {row.key_id}")


def _confirm_compromise(session: Session, issuer: Issuer, leaked: list[SigningKey]) -> None:
    """Ask before unpublishing keys, saying how many badges stop verifying."""
    count = signing.badges_signed_by(session, issuer.pk, leaked)
    names = ", ".join(k.key_id for k in leaked) or "(no such key)"
    session.commit()  # end the read transaction before waiting for an answer
    click.confirm(
        f"Mark {names} of {issuer.slug} compromised? {count} badge(s) signed with "
        f"{'it' if len(leaked) == 1 else 'them'} will stop verifying, for good",
        abort=True,
    )


@keys_group.command("list")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP + " _platform: the platform.")
def keys_list(slug: str) -> None:
    """List an issuer's keys and their states (never the private keys)."""
    app = command_app()
    with open_session(app) as (session, _conf):
        issuer = accounts.issuer_by_slug(session, slug, include_platform=True)
        for row in signing.issuer_keys(session, issuer.pk):
            click.echo(f"{row.key_id}\t{row.key_type}\t{row.state}")
