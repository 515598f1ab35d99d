"""What every ``baeji`` command shares: building the app, its unit of work, reporting errors.

Each command builds the application from the ``BAEJI_*`` environment (or uses the Flask
app passed as the Click context object, as tests do) and calls the features' services
directly; there is no HTTP hop. Errors print a message and exit with status 1; Click's usage
errors exit with 2.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask
from pydantic import ValidationError
from sqlmodel import Session

from badges import BadgeError
from issuer import create_app, db, settings_of
from issuer.achievements.artwork import (
    MAX_ARTWORK_BYTES,
    Artwork,
    artwork_fetcher,
    check_artwork,
    load_artwork,
)
from issuer.audit import cli_actor
from issuer.config import Settings, default_instance_path
from issuer.db import Work
from issuer.errors import APIError, ImageRefused, validation_errors
from issuer.outbox import service as outbox
from keys import KeyManagementError

ISSUER_HELP = "The issuer's slug (see 'baeji issuer list')."
YES_HELP = "Do not ask for confirmation."


class OperatorError(click.ClickException):
    """A command could not do what it was asked; exit status 1."""

    exit_code = 1


@contextmanager
def reported() -> Iterator[None]:
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


def check_instance() -> None:
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


def command_app(*, create: bool = False) -> Flask:
    """Return the app of the Click context (tests), or build it from the environment.

    Args:
        create: allow creating a new instance folder and master key (``baeji init`` only).
    """
    found = click.get_current_context().find_object(Flask)
    if found is not None:
        return found
    if not create:
        check_instance()
    return create_app()


@contextmanager
def work(app: Flask) -> Iterator[Work]:
    """Open the command's unit of work (the edge: it commits at the end, rolls back on error).

    Raises:
        OperatorError: the database is not initialized or not at the newest migration.
    """
    engine = db.engine_of(app)
    if db.current_revision(engine) != db.head_revision():
        raise OperatorError(
            f"the database of the instance in {app.instance_path} is not initialized or not up"
            " to date: run 'baeji init'"
        )
    queued = False
    with db.unit_of_work(engine, settings_of(app), actor=cli_actor()) as unit, reported():
        yield unit
        queued = outbox.queued_in(unit.session)
    if queued:
        # Mail the command queued goes out once it is committed (a worker may beat us to it).
        with db.unit_of_work(engine, settings_of(app), actor="outbox") as unit:
            outbox.send_due(unit)


@contextmanager
def open_session(app: Flask) -> Iterator[tuple[Session, Settings]]:
    """Open the command's unit of work and give its session and settings (read-only commands;
    a command that changes something uses :func:`work`)."""
    with work(app) as unit:
        yield unit.session, unit.settings


def artwork_source(app: Flask, source: str, field: str) -> tuple[str, Artwork]:
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


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON, Korean text as it is."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))
