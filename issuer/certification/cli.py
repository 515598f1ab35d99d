"""Operator commands: ``baeji issuer certify`` (and ``--revoke``), ``baeji issuer certifications``.

They are added to the ``baeji issuer`` group by :mod:`issuer.cli`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import click

from issuer.certification import service as certifying
from issuer.commands import ISSUER_HELP, YES_HELP, OperatorError, command_app, echo_json, work
from issuer.issuers import service as accounts

# A date alone means "through the end of that day" in Korea (the programme's time zone).
KST = timezone(timedelta(hours=9), "KST")


def parse_until(text: str) -> datetime:
    """Read ``--until``: a date (through its end, KST) or an ISO 8601 time with an offset.

    Raises:
        click.BadParameter: neither form, or a time without an offset.
    """
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day, time(23, 59, 59), KST)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise click.BadParameter("give a date (2027-12-31) or an ISO 8601 time") from err
    if moment.tzinfo is None:
        raise click.BadParameter("give the time with its offset, e.g. 2027-12-31T23:59:59+09:00")
    return moment


@click.command("certify")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP)
@click.option(
    "--programme",
    type=click.Choice(sorted(certifying.PROGRAMMES)),
    help="The certification programme.",
)
@click.option(
    "--until",
    "until_text",
    metavar="DATE",
    help="End of the certified period: a date (through its end, KST) or an ISO 8601 time.",
)
@click.option("--narrative", default=None, help="The criteria the provider met (shown as is).")
@click.option("--revoke", "revoking", is_flag=True, help="Revoke instead of certifying.")
@click.option("--reason", default=None, help="With --revoke: why (kept in the audit log).")
@click.option(
    "--certification",
    "ref",
    default=None,
    metavar="ID|URL",
    help="With --revoke: only this certification (default: every one not yet revoked).",
)
@click.option("--yes", "-y", "assume_yes", is_flag=True, help=YES_HELP + " (--revoke)")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def certify_command(
    slug: str,
    programme: str | None,
    until_text: str | None,
    narrative: str | None,
    revoking: bool,
    reason: str | None,
    ref: str | None,
    assume_yes: bool,
    as_json: bool,
) -> None:
    """Certify a provider (a signed endorsement by the platform), or revoke its certification."""
    if revoking:
        _revoke(slug, reason, ref, assume_yes=assume_yes, as_json=as_json)
        return
    if programme is None or until_text is None:
        raise click.UsageError("give --programme and --until (or --revoke --reason)")
    until = parse_until(until_text)
    app = command_app()
    with work(app) as unit:
        provider = accounts.issuer_by_slug(unit.session, slug)
        row = certifying.certify(
            unit, provider, programme=programme, until=until, narrative=narrative
        )
        url = certifying.certification_url(unit, row.id)
    if as_json:
        echo_json(
            {
                "id": url,
                "issuer": slug,
                "programme": row.programme,
                "validUntil": row.valid_until.isoformat(),
            }
        )
        return
    click.echo(f"certified {slug} in {row.programme} until {row.valid_until.isoformat()}")
    click.echo(f"endorsement: {url}")


def _revoke(
    slug: str, reason: str | None, ref: str | None, *, assume_yes: bool, as_json: bool
) -> None:
    if not reason:
        raise click.UsageError("--revoke needs --reason")
    app = command_app()
    with work(app) as unit:
        provider = accounts.issuer_by_slug(unit.session, slug)
        if ref is not None:
            chosen = [certifying.find(unit.session, unit.settings.base_url, ref)]
            if chosen[0].issuer_id != provider.pk:
                raise OperatorError(f"certification {ref!r} is not {slug}'s")
        else:
            chosen = [r for r in certifying.of_provider(unit.session, provider) if not r.revoked_at]
        if not chosen:
            raise OperatorError(f"{slug} has no certification to revoke")
        if not assume_yes:
            unit.session.commit()  # end the read transaction before waiting for an answer
            click.confirm(
                f"Revoke {len(chosen)} certification(s) of {slug}? Pages stop showing "
                "them at once, and the revocation is final",
                abort=True,
            )
        urls = []
        for row in chosen:
            certifying.revoke(unit, row.id, reason=reason)
            urls.append(certifying.certification_url(unit, row.id))
    if as_json:
        echo_json({"issuer": slug, "revoked": urls})
        return
    for url in urls:
        click.echo(f"revoked {url}")


@click.command("certifications")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP)
def certifications_command(slug: str) -> None:
    """List a provider's certifications (id, programme, period, state)."""
    app = command_app()
    with work(app) as unit:
        provider = accounts.issuer_by_slug(unit.session, slug)
        rows = certifying.of_provider(unit.session, provider)
        now = unit.now
    for row in rows:
        if row.revoked_at is not None:
            state = "revoked"
        elif row.valid_until <= now:
            state = "expired"
        else:
            state = "current"
        click.echo(
            f"{row.id}\t{row.programme}\t{row.valid_from.date()}..{row.valid_until.date()}\t{state}"
        )
