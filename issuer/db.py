"""Database engine, the unit of work, sessions and migrations.

The unit of work (:class:`Work`) is made once at an edge (an HTTP request through
:func:`issuer.operations.work`, an operator command through :func:`issuer.commands.work`,
:func:`unit_of_work` for anything else) and passed down: it carries the session, the
settings, the clock's ``now``, the actor and the tenant (the issuer acting), and writes the
audit log with them (:meth:`Work.audit`). The edge owns the session and its end; each
read-modify-write unit inside it runs in :func:`write_transaction`, and a unit inside
another unit is a savepoint of the outer one, never a second commit and never a refusal.

Two back ends: embedded SQLite (WAL) and PostgreSQL, chosen by the URL. Read-modify-write
units (revoking, allocating, rotating) run inside :func:`write_transaction`: on SQLite it
starts with ``BEGIN IMMEDIATE`` so two writers never interleave (SQLite refuses to upgrade a
read snapshot that another writer has overtaken); on PostgreSQL the services take row locks
with ``SELECT ... FOR NO KEY UPDATE``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, SQLModel

from issuer import audit as audit_log
from issuer.config import Settings
from issuer.errors import NotFound
from issuer.models import Issuer, parse_id

# The default of Work.audit's issuer_id: the tenant's (an explicit None logs no issuer).
_TENANT: Any = object()

# Execution option that marks a connection as opened for a read-modify-write unit.
_WRITE_OPTION = "baeji_write"
SQLITE_BUSY_TIMEOUT_S = 30


def _private_database_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (0600), or tighten an existing one.

    SQLite gives the ``-wal`` and ``-shm`` files the mode of the database file, so they are
    0600 too. The database holds sealed keys, API key hashes and learner names.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``: SQLite in WAL mode with foreign keys, or PostgreSQL.

    A SQLite database file is created with mode 0600 before SQLite opens it.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if (
        parsed.database
        and parsed.database != ":memory:"
        and not parsed.database.startswith("file:")
    ):
        _private_database_file(Path(parsed.database))
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the sqlite3 module; _on_begin emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        if parsed.database and parsed.database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_postgres(session: Session) -> bool:
    """Return whether ``session`` talks to PostgreSQL."""
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


def new_session(engine: Engine) -> Session:
    """Open a session; objects stay readable after commit (services commit as they go)."""
    return Session(engine, expire_on_commit=False)


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """Run one read-modify-write unit and commit it; roll back on any error.

    Any read-only transaction already open on ``session`` is committed first, so the unit
    starts from fresh data (and, on SQLite, with the write lock held from its first read).

    Inside another unit on the same session, the inner unit is a savepoint: its error
    rolls back only its own writes (and propagates), and its writes are committed with
    the outer unit, never before it.
    """
    if session.info.get(_WRITE_OPTION):
        with session.begin_nested():
            yield session
        return
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={_WRITE_OPTION: True})
    session.info[_WRITE_OPTION] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_WRITE_OPTION, None)


@dataclass(frozen=True)
class Work:
    """One unit of work: what every workflow needs, made once at the edge and passed down.

    Attributes:
        session: the one session of this request, command or job.
        settings: the application's settings.
        now: the time of this unit (read once from ``settings.clock`` at the edge), so
            every row and signature written for one request carries the same instant.
        actor: who acts, for the audit log (``apikey:<prefix>``, ``cli:<user>``, ``public``).
        issuer: the tenant: the issuer acting (an API key's issuer, a command's
            ``--issuer``), or ``None`` where no issuer acts (public pages, platform tasks).
    """

    session: Session
    settings: Settings
    now: datetime
    actor: str
    issuer: Issuer | None = None

    def write(self) -> AbstractContextManager[Session]:
        """Return a read-modify-write unit on this session (a savepoint when nested)."""
        return write_transaction(self.session)

    def audit(
        self,
        action: str,
        subject: str,
        /,
        *,
        issuer_id: int | None = _TENANT,
        **details: Any,
    ) -> None:
        """Add one audit event to this unit's session (it commits with the change it logs).

        The event carries this unit's actor and time, and the tenant's id (``None`` where no
        issuer acts) unless ``issuer_id`` is given (another issuer's id, or ``None``).

        Args:
            action: a dotted verb such as ``credential.issue`` or ``key.rotate``.
            subject: the credential URL, key id or slug the action touched.
            details: JSON-serializable facts (a reason, a key type); never secrets.
        """
        if issuer_id is _TENANT:
            issuer_id = self.issuer.pk if self.issuer is not None else None
        audit_log.record(
            self.session,
            actor=self.actor,
            action=action,
            subject=subject,
            now=self.now,
            issuer_id=issuer_id,
            **details,
        )

    def at(self, now: datetime) -> Work:
        """Return this unit of work at the instant ``now`` (e.g. :attr:`now` truncated to
        whole seconds, as signed documents carry it)."""
        return replace(self, now=now)

    def acting_for(self, issuer: Issuer) -> Work:
        """Return this unit of work with ``issuer`` as the tenant (same session and time)."""
        return replace(self, issuer=issuer)

    def as_actor(self, actor: str) -> Work:
        """Return this unit of work with ``actor`` acting (same session, time and tenant),
        e.g. a staff account acting on itself while signing in, before anyone is signed in."""
        return replace(self, actor=actor)

    @property
    def tenant(self) -> Issuer:
        """The issuer acting.

        Raises:
            NotFound: no issuer acts in this unit of work.
        """
        if self.issuer is None:
            raise NotFound("no issuer acts here")
        return self.issuer


@contextmanager
def unit_of_work(
    engine: Engine,
    settings: Settings,
    *,
    actor: str,
    issuer: Issuer | None = None,
    now: datetime | None = None,
) -> Iterator[Work]:
    """Open a session for one command or job and close it at the end.

    Whatever the body left uncommitted is committed when it ends normally and rolled back
    when it raises: the edge, not the workflows, decides the transaction's end.
    """
    with new_session(engine) as session:
        work = Work(session, settings, now or settings.clock(), actor, issuer)
        try:
            yield work
            if session.in_transaction():
                session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_all(session: Session, rows: Sequence[SQLModel]) -> None:
    """INSERT ``rows`` in ``session``'s transaction, one multi-row statement per table.

    For many rows at once (a batch's credentials): no unit-of-work bookkeeping, and the
    rows may be made with ``model_construct`` (values this service just produced need no
    validation). The rows are not attached to the session. A ``None`` primary key is
    left to the database to assign; flush the session first if the rows refer to
    pending objects.
    """
    by_table: dict[type[SQLModel], list[dict[str, Any]]] = {}
    for row in rows:
        table = type(row).__table__  # type: ignore[attr-defined]
        values = {column.name: getattr(row, column.name) for column in table.columns}
        for column in table.primary_key.columns:
            if values.get(column.name) is None:
                values.pop(column.name, None)
        by_table.setdefault(type(row), []).append(values)
    for model, values_list in by_table.items():
        session.execute(insert(model), values_list)


def alembic_config(url: str) -> AlembicConfig:
    """Return the Alembic configuration for our migrations, pointed at ``url``."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(resources.files("issuer") / "migrations"))
    # ConfigParser interpolation: a literal % in a URL must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Migrate the database behind ``engine`` to the newest revision."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """Return the database's migration revision (``None`` for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """Return the newest migration revision shipped with the package."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


# -- Flask integration --------------------------------------------------------------------


def init_app(app: Flask, engine: Engine) -> None:
    """Attach ``engine`` to ``app`` and close each request's session at teardown."""
    app.extensions.setdefault("issuer", {})["engine"] = engine
    app.teardown_appcontext(_close_session)


def engine_of(app: Flask) -> Engine:
    """Return the engine attached to ``app``."""
    engine: Engine = app.extensions["issuer"]["engine"]
    return engine


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = new_session(engine_of(current_app))
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


class _IssuerOwned(Protocol):
    issuer_id: int


_Row = TypeVar("_Row", bound=_IssuerOwned)


def find_by_ref(
    session: Session,
    model: type[_Row],
    ref: str,
    *,
    url_prefix: str,
    what: str,
    issuer_id: int | None = None,
) -> _Row:
    """Return the ``model`` row named by ``ref`` (its uuid, ``urn:uuid`` or public URL).

    With ``issuer_id``, a row of another issuer is reported exactly like a missing one,
    so one issuer's API key cannot even learn that another issuer's row exists.

    Raises:
        NotFound: no such row (or not this issuer's).
    """
    row_id = parse_id(ref, url_prefix)
    row = session.get(model, row_id) if row_id else None
    if row is None or (issuer_id is not None and row.issuer_id != issuer_id):
        raise NotFound(f"no {what} {ref!r}")
    return row
