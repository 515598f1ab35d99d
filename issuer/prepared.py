"""Prepared reads: the one SELECT a hot path runs per request, compiled once per dialect.

Kept apart from :mod:`issuer.db` (sessions, the unit of work, migrations): only the public
documents and the kept verification pages use it.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session


class PreparedRead:
    """One SELECT that a hot path runs per request, compiled once per dialect.

    :meth:`rows` runs it the cheapest way that still sees what it must: inside a session
    that has a transaction open (a caller in the middle of a write) on that transaction
    through SQLAlchemy, so it sees its own changes; otherwise as one statement on a pooled
    DBAPI connection, without SQLAlchemy's per-call statement, result and transaction
    machinery (about 60 µs of the 70 µs an ORM-less Core read costs on SQLite). One
    statement is one consistent snapshot on both back ends; SQLite connections are in
    autocommit mode (:func:`make_engine`), a PostgreSQL one is rolled back by the pool when
    it is returned. Statement listeners of the engine (``before_cursor_execute``: tracers,
    the tests' statement counters) still see the statement, with ``None`` for the
    connection and the context.

    Only for statements whose parameters and result columns need no type processing
    (text and integer columns; ``expanding`` IN lists are not supported).
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[
            tuple[str, str], tuple[str, tuple[str, ...] | None, dict[str, Any]]
        ] = {}

    def _sql(self, engine: Engine) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        """(SQL text, parameter names in order for positional styles, the values of the
        statement's own literals) for ``engine``'s dialect."""
        dialect = engine.dialect
        key = (dialect.name, dialect.driver)
        found = self._compiled.get(key)
        if found is None:
            compiled = cast(
                SQLCompiler, cast(ClauseElement, self.statement).compile(dialect=dialect)
            )
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            found = self._compiled[key] = (str(compiled), order, dict(compiled.params))
        return found

    def rows(self, session: Session | Engine, **params: Any) -> list[tuple[Any, ...]]:
        """The rows for ``params``, read as the class docstring says (on an engine: on a
        pooled connection of its own)."""
        if isinstance(session, Engine):
            return self.rows_on(session, **params)
        bind = session.get_bind()
        if session.in_transaction() or not isinstance(bind, Engine):
            return [tuple(row) for row in session.connection().execute(self.statement, params)]
        return self.rows_on(bind, **params)

    def rows_on(self, engine: Engine, **params: Any) -> list[tuple[Any, ...]]:
        """The rows for ``params``, read on a pooled connection of ``engine`` of their own."""
        sql, order, literals = self._sql(engine)
        values = {**literals, **params} if literals else params
        args: Any = [values[name] for name in order] if order is not None else values
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                listeners = engine.dispatch.before_cursor_execute
                if listeners:
                    listeners(None, cursor, sql, args, None, False)
                cursor.execute(sql, args)
                return [tuple(row) for row in cursor.fetchall()]
            finally:
                cursor.close()
        finally:
            connection.close()


# -- migrations ---------------------------------------------------------------------------
