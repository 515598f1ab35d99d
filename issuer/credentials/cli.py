"""Operator commands for credentials: ``baeji issue`` (a CSV file) and ``baeji revoke``."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import click

from issuer.audit import cli_actor
from issuer.commands import (
    OperatorError,
    command_app,
    echo_json,
    open_session,
    work,
)
from issuer.credentials import mail, reads, status_changes
from issuer.credentials import service as services
from issuer.credentials.upload import read_csv
from issuer.errors import InvalidRows
from issuer.issuers import service as accounts

# Operators may issue larger cohorts than one HTTP request may (no proxy timeout here).
CLI_MAX_ROWS = 20_000


# -- issuing and revoking -------------------------------------------------------------------


@click.command("issue")
@click.option("--issuer", "slug", required=True)
@click.option("--achievement", "achievement_id", required=True, help="Achievement uuid or URL.")
@click.option(
    "--csv",
    "csv_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="UTF-8 (with or without BOM) or CP949/EUC-KR; columns email/이메일, name/이름 ...",
)
@click.option(
    "--idempotency-key",
    default=None,
    help="Default: derived from the achievement and the file's bytes, so running the same "
    "file again returns the credentials already issued instead of issuing twice.",
)
@click.option("--jwt-alg", type=click.Choice(["RS256", "EdDSA"]), default=None)
@click.option(
    "--allow-anonymous",
    is_flag=True,
    help="Issue rows without a name (by default a row without one is a row error).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the per-row report as JSON.")
def issue_command(
    slug: str,
    achievement_id: str,
    csv_path: Path,
    idempotency_key: str | None,
    jwt_alg: str | None,
    allow_anonymous: bool,
    as_json: bool,
) -> None:
    """Issue a badge to every row of a CSV file: all rows, or none if any row is invalid."""
    data = csv_path.read_bytes()
    key = (
        idempotency_key
        or "csv-" + hashlib.sha256(achievement_id.encode() + b"\0" + data).hexdigest()[:40]
    )
    app = command_app()
    with open_session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug)
        parsed = read_csv(data)
        if parsed.ignored_columns:
            click.echo("ignored columns: " + ", ".join(parsed.ignored_columns), err=True)
        with click.progressbar(length=len(parsed.rows), label="signing", file=sys.stderr) as bar:

            def advance(done: int, _total: int) -> None:
                bar.update(done - bar.pos)

            try:
                outcome = services.issue_batch(
                    session,
                    conf,
                    issuer,
                    parsed.rows,
                    now=conf.clock(),
                    actor=cli_actor(),
                    achievement_id=achievement_id,
                    jwt_alg=jwt_alg,
                    lines=parsed.lines,
                    idempotency_key=key,
                    progress=advance,
                    max_rows=CLI_MAX_ROWS,
                    allow_anonymous=allow_anonymous,
                )
            except InvalidRows as err:
                _report_invalid(err, as_json)
                raise OperatorError(err.message) from err
        if not outcome.replayed:
            mail.send_wallet_links(session, conf, outcome.issued, now=conf.clock())
    report = [
        {
            "row": index,
            "line": parsed.lines[index - 1],
            "status": "issued" if not outcome.replayed else "already-issued",
            "name": issued.credential.recipient_name,
            "id": conf.url("credentials", issued.credential.id),
            "walletUrl": issued.wallet_url,
        }
        for index, issued in enumerate(outcome.issued, start=1)
    ]
    if as_json:
        echo_json({"count": len(report), "replayed": outcome.replayed, "rows": report})
        return
    for entry in report:
        where = f"row {entry['row']:>4} (line {entry['line']})"
        click.echo(f"{where}: {entry['status']}  {entry['name'] or ''}  {entry['id']}")
    verb = "were already issued from this file" if outcome.replayed else "issued"
    click.echo(f"{len(report)} credential(s) {verb}.")


def _report_invalid(err: InvalidRows, as_json: bool) -> None:
    rows = err.details["rows"]
    if as_json:
        echo_json({"error": err.code, "message": err.message, "rows": rows})
        return
    for row in rows:
        where = f"row {row['row']}" + (f" (line {row['line']})" if row.get("line") else "")
        click.echo(f"{where}: {row['field']}: {row['message']}", err=True)


@click.command("revoke")
@click.argument("credential")
@click.option("--reason", required=True, help="Recorded in the audit log.")
@click.option(
    "--public-reason",
    is_flag=True,
    help="Show the reason on the badge's public pages (by default only the date is shown).",
)
def revoke_command(credential: str, reason: str, public_reason: bool) -> None:
    """Revoke a credential (its uuid or URL). Revocation is final."""
    from issuer.models import Issuer

    app = command_app()
    with work(app) as unit:
        row = reads.public_credential(unit.session, unit.settings, credential)
        issuer = unit.session.get(Issuer, row.issuer_id)
        if issuer is None:
            raise OperatorError(f"no issuer for credential {credential}")
        status_changes.change_status(
            unit.acting_for(issuer), row.id, "revoke", reason=reason, public_reason=public_reason
        )
        conf = unit.settings
    click.echo(f"revoked {conf.url('credentials', row.id)}")
