"""Operator commands for credentials: ``baeji issue`` (a .csv or .xlsx file), ``baeji revoke``
and ``baeji credential list|suspend|unsuspend``."""

from __future__ import annotations

import hashlib
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from issuer.commands import (
    ISSUER_HELP,
    YES_HELP,
    OperatorError,
    command_app,
    echo_json,
    work,
)
from issuer.config import Settings
from issuer.credentials import reads, status_changes
from issuer.credentials import service as services
from issuer.credentials.upload import COLUMNS_HELP, read_table
from issuer.db import Work
from issuer.errors import InvalidRows
from issuer.issuers import service as accounts
from issuer.models import Achievement, Credential, Issuer
from issuer.schemas import CredentialQuery

# Operators may issue larger cohorts than one HTTP request may (no proxy timeout here).
CLI_MAX_ROWS = 20_000


# -- issuing and revoking -------------------------------------------------------------------


@click.command("issue")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP)
@click.option(
    "--achievement",
    "achievement_id",
    required=True,
    help="Achievement uuid or URL, for rows without an achievementId column.",
)
@click.option(
    "--csv",
    "--file",
    "csv_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The cohort file. " + COLUMNS_HELP,
)
@click.option(
    "--duplicates",
    type=click.Choice(services.DUPLICATES),
    default="reject",
    show_default=True,
    help="A learner who already holds an active (or suspended) badge of the achievement: "
    "reject skips the row (reported as already-holds), allow issues another (a retake), "
    "replace revokes the one held and issues the new one in one transaction.",
)
@click.option(
    "--idempotency-key",
    default=None,
    help="Default: derived from the achievement, --duplicates and the file's bytes, so "
    "running the same file again returns the credentials already issued instead of "
    "issuing twice.",
)
@click.option(
    "--jwt-alg",
    type=click.Choice(["RS256", "EdDSA"]),
    default=None,
    help="VC-JWT algorithm (default RS256, the OB 3.0 minimum).",
)
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
    duplicates: services.Duplicates,
    idempotency_key: str | None,
    jwt_alg: str | None,
    allow_anonymous: bool,
    as_json: bool,
) -> None:
    """Issue a badge to every row of a .csv or .xlsx file: all rows, or none if any row is
    invalid. Learners who already hold the badge are skipped (see --duplicates); each
    learner's wallet link is printed with their badge."""
    data = csv_path.read_bytes()
    mode = b"" if duplicates == "reject" else duplicates.encode() + b"\0"
    key = (
        idempotency_key
        or "csv-" + hashlib.sha256(achievement_id.encode() + b"\0" + mode + data).hexdigest()[:40]
    )
    app = command_app()
    with work(app) as unit:
        conf = unit.settings
        issuer = accounts.issuer_by_slug(unit.session, slug)
        parsed = read_table(data)
        if parsed.ignored_columns:
            click.echo(
                "ignored columns (not a known column; see --help): "
                + ", ".join(parsed.ignored_columns),
                err=True,
            )
        with click.progressbar(length=len(parsed.rows), label="signing", file=sys.stderr) as bar:

            def advance(done: int, _total: int) -> None:
                bar.update(done - bar.pos)

            try:
                outcome = services.issue_batch(
                    unit.acting_for(issuer),
                    parsed.rows,
                    achievement_id=achievement_id,
                    jwt_alg=jwt_alg,
                    lines=parsed.lines,
                    idempotency_key=key,
                    progress=advance,
                    max_rows=CLI_MAX_ROWS,
                    allow_anonymous=allow_anonymous,
                    duplicates=duplicates,
                )
            except InvalidRows as err:
                _report_invalid(err, as_json)
                raise OperatorError(err.message) from err
    report = _issue_report(conf, parsed.lines, outcome)
    if as_json:
        echo_json(
            {
                "count": len(outcome.issued),
                "skipped": len(outcome.skipped),
                "replayed": outcome.replayed,
                "ignoredColumns": parsed.ignored_columns,
                "rows": report,
            }
        )
        return
    for entry in report:
        where = f"row {entry['row']:>4} (line {entry['line']})" if entry["row"] else "row    ?"
        name = entry["name"] or ""
        if entry["status"] == "already-holds":
            click.echo(f"{where}: already-holds  {name}  {entry['existing']['id']}")
        else:
            click.echo(f"{where}: {entry['status']}  {name}  {entry['id']}")
            click.echo(f"           wallet: {entry['walletUrl']}")
    verb = "were already issued from this file" if outcome.replayed else "issued"
    summary = f"{len(outcome.issued)} credential(s) {verb}"
    if outcome.skipped:
        summary += f"; {len(outcome.skipped)} skipped (already-holds)"
    click.echo(summary + ".")


def _issue_report(
    conf: Settings, lines: list[int], outcome: services.BatchOutcome
) -> list[dict[str, Any]]:
    """One entry per row: issued (with the wallet link) or already-holds (with the badge)."""
    numbers: list[int | None] = list(outcome.rows)
    if not numbers:
        # A replay: rows line up with the file unless some were skipped the first time.
        same = len(outcome.issued) == len(lines)
        numbers = [i if same else None for i in range(1, len(outcome.issued) + 1)]
    report: list[dict[str, Any]] = [
        {
            "row": number,
            "line": lines[number - 1] if number else None,
            "status": "issued" if not outcome.replayed else "already-issued",
            "name": issued.credential.recipient_name,
            "id": conf.url("credentials", issued.credential.id),
            "walletUrl": issued.wallet_url,
        }
        for issued, number in zip(outcome.issued, numbers, strict=True)
    ]
    report += [
        {
            "row": skip.row,
            "line": lines[skip.row - 1],
            "status": skip.code,
            "name": skip.existing.recipient_name,
            "existing": services.existing_ref(conf, skip.existing),
        }
        for skip in outcome.skipped
    ]
    report.sort(key=lambda entry: entry["row"] or 0)
    return report


def _report_invalid(err: InvalidRows, as_json: bool) -> None:
    rows = err.details["rows"]
    if as_json:
        echo_json({"error": err.code, "message": err.message, "rows": rows})
        return
    for row in rows:
        where = f"row {row['row']}" + (f" (line {row['line']})" if row.get("line") else "")
        click.echo(f"{where}: {row['field']}: {row['message']}", err=True)


def _credential_and_issuer(work: Work, ref: str) -> tuple[Credential, Issuer, str]:
    """Return a credential (uuid or URL), its issuer, and 'learner name, course' for prompts."""
    session = work.session
    row = reads.public_credential(work, ref)
    issuer = session.get(Issuer, row.issuer_id)
    if issuer is None:
        raise OperatorError(f"no issuer for credential {ref}")
    course = session.get(Achievement, row.achievement_id)
    learner = row.recipient_name or "(no name)"
    return row, issuer, f"{learner}, '{course.name if course else row.achievement_id}'"


@click.command("revoke")
@click.argument("credential")
@click.option("--reason", required=True, help="Recorded in the audit log.")
@click.option(
    "--public-reason",
    is_flag=True,
    help="Show the reason on the badge's public pages (by default only the date is shown).",
)
@click.option("--yes", "-y", "assume_yes", is_flag=True, help=YES_HELP)
def revoke_command(credential: str, reason: str, public_reason: bool, assume_yes: bool) -> None:
    """Revoke a credential (its uuid or URL). Revocation is final; asks first."""
    app = command_app()
    with work(app) as unit:
        conf = unit.settings
        row, issuer, what = _credential_and_issuer(unit, credential)
        if row.revoked_at is not None:
            raise OperatorError(f"the badge of {what} is already revoked; revocation is final")
        if not assume_yes:
            click.confirm(
                f"Revoke the badge of {what} issued by {issuer.slug} "
                f"({conf.url('credentials', row.id)})? This is final",
                abort=True,
            )
        status_changes.change_status(
            unit.acting_for(issuer), row.id, "revoke", reason=reason, public_reason=public_reason
        )
    click.echo(f"revoked the badge of {what}: {conf.url('credentials', row.id)}")


# -- credentials ----------------------------------------------------------------------------


@click.group("credential")
def credential_group() -> None:
    """List, suspend and unsuspend an issuer's badges (revoke: 'baeji revoke')."""


@credential_group.command("list")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP)
@click.option("--name", default=None, help="Part of the learner's name, any case.")
@click.option("--email", default=None, help="The learner's e-mail address.")
@click.option("--achievement", "achievement_id", default=None, help="Achievement uuid or URL.")
@click.option("--term", default=None, help="The cohort or term (기수/학기) exactly as issued.")
@click.option(
    "--issued-from",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Issued on or after this UTC date/time.",
)
@click.option(
    "--issued-until",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Issued before this UTC date/time.",
)
@click.option(
    "--status",
    type=click.Choice(["active", "suspended", "revoked"]),
    default=None,
    help="Only badges in this state.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 200),
    default=50,
    show_default=True,
    help="Badges per page.",
)
@click.option("--cursor", default=None, help="Continue from the cursor a previous page printed.")
@click.option("--all", "every_page", is_flag=True, help="Print every page, not only the first.")
@click.option("--json", "as_json", is_flag=True, help="Print the badges as JSON.")
def credential_list(
    slug: str,
    name: str | None,
    email: str | None,
    achievement_id: str | None,
    term: str | None,
    issued_from: datetime | None,
    issued_until: datetime | None,
    status: str | None,
    limit: int,
    cursor: str | None,
    every_page: bool,
    as_json: bool,
) -> None:
    """List an issuer's badges, newest first, with the same filters as the API."""
    app = command_app()
    found: list[dict[str, Any]] = []
    with work(app) as unit:
        conf = unit.settings
        issuer = accounts.issuer_by_slug(unit.session, slug)
        acting = unit.acting_for(issuer)
        while True:
            query = CredentialQuery.model_validate(
                {
                    "name": name,
                    "email": email,
                    "achievementId": achievement_id,
                    "term": term,
                    "issuedFrom": issued_from.replace(tzinfo=UTC) if issued_from else None,
                    "issuedUntil": issued_until.replace(tzinfo=UTC) if issued_until else None,
                    "status": status,
                    "cursor": cursor,
                    "limit": limit,
                }
            )
            page = reads.list_credentials(acting, query)
            found += [reads.credential_out(conf, r, full=False).to_json() for r in page.rows]
            cursor = page.next_cursor
            if cursor is None or not every_page:
                break
    if as_json:
        echo_json({"credentials": found, "nextCursor": cursor})
        return
    for item in found:
        click.echo(
            f"{item['uuid']}\t{item['status']}\t{item['issuedAt']}\t"
            f"{item.get('recipientName', '')}\t{item['achievementId']}"
        )
    if cursor is not None:
        click.echo(f"more: --cursor {cursor}", err=True)


@credential_group.command("suspend")
@click.argument("credential")
@click.option("--reason", required=True, help="Recorded in the audit log.")
@click.option(
    "--public-reason",
    is_flag=True,
    help="Show the reason on the badge's public pages (by default only the date is shown).",
)
def credential_suspend(credential: str, reason: str, public_reason: bool) -> None:
    """Suspend a credential (its uuid or URL) until 'credential unsuspend'."""
    app = command_app()
    with work(app) as unit:
        conf = unit.settings
        row, issuer, what = _credential_and_issuer(unit, credential)
        status_changes.change_status(
            unit.acting_for(issuer), row.id, "suspend", reason=reason, public_reason=public_reason
        )
    click.echo(f"suspended the badge of {what}: {conf.url('credentials', row.id)}")


@credential_group.command("unsuspend")
@click.argument("credential")
@click.option("--reason", default=None, help="Recorded in the audit log (optional).")
def credential_unsuspend(credential: str, reason: str | None) -> None:
    """Lift the suspension of a credential (its uuid or URL)."""
    app = command_app()
    with work(app) as unit:
        conf = unit.settings
        row, issuer, what = _credential_and_issuer(unit, credential)
        status_changes.change_status(unit.acting_for(issuer), row.id, "unsuspend", reason=reason)
    click.echo(f"lifted the suspension of the badge of {what}: {conf.url('credentials', row.id)}")
