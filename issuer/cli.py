"""Operator commands of the ``baeji`` group (loaded through the ``baeji.commands`` entry point).

Each command builds the application from the ``BAEJI_*`` environment (or uses the Flask
app passed as the Click context object, as tests do) and calls :mod:`issuer.services`
directly; there is no HTTP hop. Errors print a message and exit with status 1; Click's usage
errors exit with 2.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlmodel import Session

from badges import BadgeError
from issuer import (
    accounts,
    audit,
    catalog,
    create_app,
    db,
    learners,
    mail,
    platform,
    services,
    settings_of,
    signing,
)
from issuer.artwork import (
    MAX_ARTWORK_BYTES,
    Artwork,
    artwork_fetcher,
    check_artwork,
    load_artwork,
    logo_url,
    store_logo,
)
from issuer.audit import cli_actor
from issuer.config import Settings, default_instance_path
from issuer.errors import APIError, ImageRefused, InvalidRows, validation_errors
from issuer.models import Achievement, Credential, Issuer
from issuer.schemas import AchievementCreate, CredentialQuery, CriteriaIn, IssuerCreate
from issuer.upload import COLUMNS_HELP, read_table
from keys import KeyManagementError, KeyType

__all__ = ["commands"]


# Operators may issue larger cohorts than one HTTP request may (no proxy timeout here).
CLI_MAX_ROWS = 20_000
_ISSUER_HELP = "The issuer's slug (see 'baeji issuer list')."
_YES_HELP = "Do not ask for confirmation."


class OperatorError(click.ClickException):
    """A command could not do what it was asked; exit status 1."""

    exit_code = 1


@contextmanager
def _reported() -> Iterator[None]:
    """Turn service errors into one-line messages for the operator."""
    try:
        yield
    except ValidationError as err:
        problems = "; ".join(f"{e['field']}: {e['message']}" for e in validation_errors(err))
        raise OperatorError(problems) from err
    except APIError as err:
        raise OperatorError(err.message) from err
    except (KeyManagementError, BadgeError) as err:
        raise OperatorError(f"{err.code}: {err}") from err


def _check_instance() -> None:
    """Refuse to run against an instance folder that ``baeji init`` never made.

    Building the app would otherwise create ``./instance`` with a new development master key
    wherever the command happens to run, and that key opens none of the real instance's
    issuer keys. Only ``baeji init`` creates an instance.

    Raises:
        OperatorError: the master key or the SQLite database the environment points at is
            missing; the message names the folder looked in.
    """
    folder = default_instance_path()
    missing = []
    if not os.environ.get("BAEJI_MASTER_KEY") and not (folder / "master.key").is_file():
        missing.append("master.key")
    if not os.environ.get("BAEJI_DATABASE_URL") and not (folder / "baeji.db").is_file():
        missing.append("baeji.db")
    if missing:
        raise OperatorError(
            f"no Baeji instance in {folder} (no {' or '.join(missing)} there). Run 'baeji init'"
            " to create one in that folder, or set BAEJI_INSTANCE_PATH to the existing"
            " instance folder (and BAEJI_MASTER_KEY / BAEJI_DATABASE_URL if they are kept"
            " outside it)."
        )


def _app(*, create: bool = False) -> Flask:
    """Return the app of the Click context (tests), or build it from the environment.

    Args:
        create: allow creating a new instance folder and master key (``baeji init`` only).
    """
    found = click.get_current_context().find_object(Flask)
    if found is not None:
        return found
    if not create:
        _check_instance()
    return create_app()


@contextmanager
def _session(app: Flask) -> Iterator[tuple[Session, Settings]]:
    engine = db.engine_of(app)
    if db.current_revision(engine) != db.head_revision():
        raise OperatorError(
            f"the database of the instance in {app.instance_path} is not initialized or not up"
            " to date: run 'baeji init'"
        )
    with db.new_session(engine) as session, _reported():
        yield session, settings_of(app)


def _artwork(app: Flask, source: str, field: str) -> tuple[str, Artwork]:
    """Read a logo or badge image from a file, an https URL or a data: URI, and check it.

    Returns the reference to keep (a URL as given, or a data: URI of the file) and the image.
    """
    try:
        if source.startswith(("https://", "http://", "data:")):
            fetcher = artwork_fetcher(allow_local=bool(app.config.get("ARTWORK_ALLOW_LOCAL")))
            return source, load_artwork(source, fetcher, field=field)
        path = Path(source)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_ARTWORK_BYTES + 1)
        except OSError as err:
            raise OperatorError(f"{field}: cannot read {source}: {err.strerror}") from err
        checked = check_artwork(data, field=field)
    except ImageRefused as err:
        raise OperatorError(f"{err.code}: {err.message}") from err
    encoded = base64.b64encode(checked.data).decode("ascii")
    return f"data:{checked.media_type};base64,{encoded}", checked


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


# -- init / serve ---------------------------------------------------------------------------


@click.command("init")
def init_command() -> None:
    """Create the instance folder, migrate the database, and create the platform's keys."""
    app = _app(create=True)
    engine = db.engine_of(app)
    with _reported():
        db.upgrade(engine)
    with db.new_session(engine) as session, _reported():
        conf = settings_of(app)
        identity = platform.ensure_platform(session, conf, now=conf.clock(), actor=cli_actor())
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
    app = _app()
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
    app = _app()
    checked = _artwork(app, logo, "logo")[1] if logo else None
    with _session(app) as (session, conf):
        data = IssuerCreate(
            slug=slug,
            name=name,
            url=url,
            email=email,
            description=description,
            suspension=suspension,
        )
        issuer, token = accounts.create_issuer(
            session, conf, data, now=conf.clock(), actor=cli_actor()
        )
        if checked is not None:
            issuer = store_logo(session, conf, issuer, checked, now=conf.clock(), actor=cli_actor())
    if as_json:
        _echo_json({"slug": issuer.slug, "did": issuer.did, "api_key": token})
        return
    click.echo(f"issuer: {issuer.slug}  ({issuer.name})")
    click.echo(f"DID:    {issuer.did}")
    click.echo(f"API key (shown once, store it safely): {token}")


@issuer_group.command("logo")
@click.option("--issuer", "--slug", "slug", required=True, help=_ISSUER_HELP)
@click.argument("source", required=False, metavar="FILE|URL")
@click.option("--remove", is_flag=True, help="Remove the logo.")
def issuer_logo(slug: str, source: str | None, remove: bool) -> None:
    """Set an issuer's logo (PNG, JPEG or SVG, at most 512 KiB), or remove it."""
    if bool(source) == remove:
        raise click.UsageError("give a logo FILE or URL, or --remove")
    app = _app()
    checked = _artwork(app, source, "logo")[1] if source else None
    with _session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug)
        issuer = store_logo(session, conf, issuer, checked, now=conf.clock(), actor=cli_actor())
        where = logo_url(conf, issuer)
    click.echo(f"logo of {slug}: {where}" if where else f"logo of {slug} removed")


@issuer_group.command("suspension")
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP)
@click.option(
    "--enable/--disable",
    "enabled",
    required=True,
    help="Add (or stop adding) a suspension entry to new badges.",
)
def issuer_suspension(slug: str, enabled: bool) -> None:
    """Turn the suspension status entry on or off for badges issued from now on."""
    app = _app()
    with _session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug)
        accounts.set_suspension(session, issuer, enabled, now=conf.clock(), actor=cli_actor())
    state = "on" if enabled else "off"
    click.echo(f"suspension {state} for {slug}: applies to badges issued from now on")


@issuer_group.command("list")
def issuer_list() -> None:
    """List issuers."""
    from sqlmodel import col, select

    from issuer.models import Issuer

    app = _app()
    with _session(app) as (session, _conf):
        for issuer in session.exec(select(Issuer).order_by(col(Issuer.slug))).all():
            click.echo(f"{issuer.slug}\t{issuer.did}\t{issuer.name}")


@click.group("apikey")
def apikey_group() -> None:
    """Hand out and revoke API keys."""


@apikey_group.command("create")
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP)
@click.option("--name", default=None, help="A label, e.g. 'LMS integration'.")
@click.option("--json", "as_json", is_flag=True, help="Print {issuer, api_key} as JSON.")
def apikey_create(slug: str, name: str | None, as_json: bool) -> None:
    """Create an API key for an issuer (printed once; only its digest is stored)."""
    app = _app()
    with _session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug)
        token = accounts.create_api_key(
            session, issuer, name=name, now=conf.clock(), actor=cli_actor()
        )
    if as_json:
        _echo_json({"issuer": slug, "api_key": token})
    else:
        click.echo(token)


@apikey_group.command("revoke")
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP)
@click.argument("key")
def apikey_revoke(slug: str, key: str) -> None:
    """Revoke an API key, named by its prefix (the part after 'baeji_') or in full."""
    app = _app()
    with _session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug)
        row = accounts.revoke_api_key(session, issuer, key, now=conf.clock(), actor=cli_actor())
    click.echo(f"revoked API key {row.prefix} of {slug}")


@apikey_group.command("list")
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP)
def apikey_list(slug: str) -> None:
    """List an issuer's API keys (prefix, label, state)."""
    app = _app()
    with _session(app) as (session, _conf):
        issuer = accounts.issuer_by_slug(session, slug)
        for row in accounts.list_api_keys(session, issuer):
            state = "revoked" if row.revoked_at else "active"
            click.echo(f"{row.prefix}\t{state}\t{row.name or ''}")


# -- achievements ---------------------------------------------------------------------------


@click.group("achievement")
def achievement_group() -> None:
    """Define courses (achievements)."""


@achievement_group.command("create")
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP)
@click.option("--name", required=True, help="The course's name, e.g. '파이썬 데이터 분석 기초'.")
@click.option("--description", required=True, help="What the course is about.")
@click.option("--criteria", "narrative", required=True, help="How the badge is earned.")
@click.option(
    "--type",
    "achievement_type",
    default="Course",
    show_default=True,
    help="OB 3.0 achievementType, e.g. Course, Certificate, Competency.",
)
@click.option("--tag", "tags", multiple=True, help="Repeat for several tags.")
@click.option(
    "--image",
    default=None,
    metavar="FILE|URL",
    help="The badge's own artwork (PNG, JPEG or SVG, at most 512 KiB).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the achievement as JSON.")
def achievement_create(
    slug: str,
    name: str,
    description: str,
    narrative: str,
    achievement_type: str,
    tags: tuple[str, ...],
    image: str | None,
    as_json: bool,
) -> None:
    """Create an achievement and print its id."""
    app = _app()
    reference, checked = _artwork(app, image, "image") if image else (None, None)
    with _session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug)
        data = AchievementCreate(
            name=name,
            description=description,
            criteria=CriteriaIn(narrative=narrative),
            achievement_type=achievement_type,
            tag=list(tags),
            image=reference,
        )
        row = catalog.create_achievement(
            session, conf, issuer, data, now=conf.clock(), actor=cli_actor(), artwork=checked
        )
        out = catalog.achievement_out(session, conf, issuer, row)
    if as_json:
        _echo_json(out.to_json())
    else:
        click.echo(f"{row.id}\t{out.id}")


@achievement_group.command("list")
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP)
@click.option("--archived", "include_archived", is_flag=True, help="Also list archived ones.")
def achievement_list(slug: str, include_archived: bool) -> None:
    """List an issuer's achievements."""
    app = _app()
    with _session(app) as (session, _conf):
        issuer = accounts.issuer_by_slug(session, slug)
        for row in catalog.list_achievements(session, issuer, include_archived=include_archived):
            mark = "\t(archived)" if row.archived_at is not None else ""
            click.echo(f"{row.id}\t{row.name}{mark}")


@achievement_group.command("archive")
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP)
@click.argument("achievement")
def achievement_archive(slug: str, achievement: str) -> None:
    """Archive an achievement: no new badges; badges already issued keep resolving."""
    app = _app()
    with _session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug)
        row = catalog.archive_achievement(
            session, conf, issuer, achievement, now=conf.clock(), actor=cli_actor()
        )
    click.echo(f"archived {row.id}\t{row.name}")


# -- issuing and revoking -------------------------------------------------------------------


@click.command("issue")
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP)
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
    app = _app()
    with _session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug)
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
                    duplicates=duplicates,
                )
            except InvalidRows as err:
                _report_invalid(err, as_json)
                raise OperatorError(err.message) from err
        if not outcome.replayed:
            mail.send_wallet_links(session, conf, outcome.issued, now=conf.clock())
    report = _issue_report(conf, parsed.lines, outcome)
    if as_json:
        _echo_json(
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
        _echo_json({"error": err.code, "message": err.message, "rows": rows})
        return
    for row in rows:
        where = f"row {row['row']}" + (f" (line {row['line']})" if row.get("line") else "")
        click.echo(f"{where}: {row['field']}: {row['message']}", err=True)


def _credential_and_issuer(
    session: Session, conf: Settings, ref: str
) -> tuple[Credential, Issuer, str]:
    """Return a credential (uuid or URL), its issuer, and 'learner name, course' for prompts."""
    row = services.public_credential(session, conf, ref)
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
@click.option("--yes", "-y", "assume_yes", is_flag=True, help=_YES_HELP)
def revoke_command(credential: str, reason: str, public_reason: bool, assume_yes: bool) -> None:
    """Revoke a credential (its uuid or URL). Revocation is final; asks first."""
    app = _app()
    with _session(app) as (session, conf):
        row, issuer, what = _credential_and_issuer(session, conf, credential)
        if row.revoked_at is not None:
            raise OperatorError(f"the badge of {what} is already revoked; revocation is final")
        if not assume_yes:
            click.confirm(
                f"Revoke the badge of {what} issued by {issuer.slug} "
                f"({conf.url('credentials', row.id)})? This is final",
                abort=True,
            )
        services.change_status(
            session,
            conf,
            issuer,
            row.id,
            "revoke",
            reason=reason,
            now=conf.clock(),
            actor=cli_actor(),
            public_reason=public_reason,
        )
    click.echo(f"revoked the badge of {what}: {conf.url('credentials', row.id)}")


# -- credentials ----------------------------------------------------------------------------


@click.group("credential")
def credential_group() -> None:
    """List, suspend and unsuspend an issuer's badges (revoke: 'baeji revoke')."""


@credential_group.command("list")
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP)
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
    app = _app()
    found: list[dict[str, Any]] = []
    with _session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug)
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
            page = services.list_credentials(session, conf, issuer, query)
            found += [services.credential_out(conf, r, full=False).to_json() for r in page.rows]
            cursor = page.next_cursor
            if cursor is None or not every_page:
                break
    if as_json:
        _echo_json({"credentials": found, "nextCursor": cursor})
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
    app = _app()
    with _session(app) as (session, conf):
        row, issuer, what = _credential_and_issuer(session, conf, credential)
        services.change_status(
            session,
            conf,
            issuer,
            row.id,
            "suspend",
            reason=reason,
            now=conf.clock(),
            actor=cli_actor(),
            public_reason=public_reason,
        )
    click.echo(f"suspended the badge of {what}: {conf.url('credentials', row.id)}")


@credential_group.command("unsuspend")
@click.argument("credential")
@click.option("--reason", default=None, help="Recorded in the audit log (optional).")
def credential_unsuspend(credential: str, reason: str | None) -> None:
    """Lift the suspension of a credential (its uuid or URL)."""
    app = _app()
    with _session(app) as (session, conf):
        row, issuer, what = _credential_and_issuer(session, conf, credential)
        services.change_status(
            session,
            conf,
            issuer,
            row.id,
            "unsuspend",
            reason=reason,
            now=conf.clock(),
            actor=cli_actor(),
        )
    click.echo(f"lifted the suspension of the badge of {what}: {conf.url('credentials', row.id)}")


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
    app = _app()
    with _session(app) as (session, conf):
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
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP + " _platform: the platform.")
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
@click.option("--yes", "-y", "assume_yes", is_flag=True, help=_YES_HELP + " (--compromised)")
def keys_rotate(slug: str, key_type: str, compromised: bool, assume_yes: bool) -> None:
    """Make new active keys; old badges keep verifying unless --compromised (asks first)."""
    app = _app()
    with _session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug, include_platform=True)
        if compromised and not assume_yes:
            types = {t.value for t in _KEY_TYPES[key_type]}
            leaked = [
                k
                for k in signing.issuer_keys(session, issuer.pk)
                if k.key_type in types and k.state == "active"
            ]
            _confirm_compromise(session, issuer, leaked)
        with db.write_transaction(session):
            created = signing.rotate_keys(
                session,
                conf,
                issuer,
                key_types=_KEY_TYPES[key_type],
                compromised=compromised,
                now=conf.clock(),
                actor=cli_actor(),
            )
    for row in created:
        click.echo(f"new active {row.key_type} key: {row.key_id}")
    if compromised:
        click.echo("the previous keys are revoked: credentials they signed no longer verify")


@keys_group.command("compromise")
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP + " _platform: the platform.")
@click.argument("key_id")
@click.option("--yes", "-y", "assume_yes", is_flag=True, help=_YES_HELP)
def keys_compromise(slug: str, key_id: str, assume_yes: bool) -> None:
    """Mark one key (active or retired) compromised; an active one is replaced first."""
    app = _app()
    with _session(app) as (session, conf):
        issuer = accounts.issuer_by_slug(session, slug, include_platform=True)
        if not assume_yes:
            leaked = [k for k in signing.issuer_keys(session, issuer.pk) if k.key_id == key_id]
            _confirm_compromise(session, issuer, leaked)
        with db.write_transaction(session):
            created = signing.compromise_key(
                session, conf, issuer, key_id, now=conf.clock(), actor=cli_actor()
            )
    click.echo(f"revoked key {key_id}")
    for row in created:
        click.echo(f"new active {row.key_type} key: {row.key_id}")


def _confirm_compromise(session: Session, issuer: Issuer, leaked: list[Any]) -> None:
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
@click.option("--issuer", "slug", required=True, help=_ISSUER_HELP + " _platform: the platform.")
def keys_list(slug: str) -> None:
    """List an issuer's keys and their states (never the private keys)."""
    app = _app()
    with _session(app) as (session, _conf):
        issuer = accounts.issuer_by_slug(session, slug, include_platform=True)
        for row in signing.issuer_keys(session, issuer.pk):
            click.echo(f"{row.key_id}\t{row.key_type}\t{row.state}")


# -- demo -----------------------------------------------------------------------------------


@click.command("demo")
def demo_command() -> None:
    """Seed a demo provider, three courses and a handful of learners with real badges."""
    from issuer import demo

    app = _app()
    with _session(app) as (session, conf):
        summary = demo.seed(session, conf, actor=cli_actor())
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
]
"""The commands added to the ``baeji`` group (entry point ``baeji.commands``)."""
