"""Fill a Baeji PostgreSQL database with many realistic credentials, quickly.

Signing is what makes issuing slow, and a table of 100,000 credentials is about rows, not
signatures: :func:`copy_credentials` takes the credentials already issued (really signed,
e.g. the demo data) as templates and adds copies of them with psycopg's ``COPY``, each with
its own id (also inside its JSON), learner, recipient name, dates and status list index,
spread over new status lists and learners (five credentials each). A copy's document keeps
its template's proof, which no longer matches its id: the scale rows fetch and verify the
real credentials, and the copies are what a large table holds around them.
"""

from __future__ import annotations

import os
import random
import secrets
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.registry import Unavailable

PER_LIST = 65_536
"""Copies per new status list: half of a 131,072-entry list, like a list in use."""

PER_LEARNER = 5
"""Credentials per new learner."""

_COLUMNS = (
    "id",
    "issuer_id",
    "achievement_id",
    "learner_id",
    "document",
    "jwt",
    "jwt_alg",
    "recipient_name",
    "issued_at",
    "valid_from",
    "valid_until",
    "revocation_list_id",
    "revocation_index",
    "suspension_list_id",
    "suspension_index",
    "revoked_at",
    "revocation_reason",
    "suspended_at",
    "suspension_reason",
)
_SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
_GIVEN = ("민준", "서연", "지호", "유나", "하늘", "도윤", "서윤", "시우", "지민", "예준", "수아")
_REVOKED_SHARE = 0.02
_EPOCH = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def database_url() -> str | None:
    """Return ``BAEJI_BENCH_DATABASE_URL`` or ``BAEJI_TEST_DATABASE_URL``, if either is set."""
    return os.environ.get("BAEJI_BENCH_DATABASE_URL") or os.environ.get("BAEJI_TEST_DATABASE_URL")


def postgres_schema(url: str, stack: ExitStack, *, prefix: str = "baeji_scale") -> str:
    """Create a fresh schema on the server at ``url``; return a URL that uses only it.

    The schema is dropped when ``stack`` closes.

    Raises:
        Unavailable: no PostgreSQL server answers at ``url``.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    admin = create_engine(url)
    schema = f"{prefix}_{secrets.token_hex(6)}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as err:
        admin.dispose()
        raise Unavailable(f"no PostgreSQL server: {err.orig}") from err

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    stack.callback(drop)
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False)


@dataclass(frozen=True)
class _Template:
    id: str
    issuer_id: int
    achievement_id: str
    document: str
    jwt: str
    jwt_alg: str
    valid_until: datetime | None
    revocation_list_id: str
    # None for badges issued without a suspension entry (the default).
    suspension_list_id: str | None


class _Lists:
    """Hands out (list id, index) pairs from new lists cloned from the templates' lists.

    The lists are cloned before the credentials' ``COPY`` starts (a connection copying
    runs no other statement), as many as the copies need at :data:`PER_LIST` each.
    """

    def __init__(self, cursor: Any, needed: Counter[str], rng: random.Random) -> None:
        self._lists = {
            source: [_clone_list(cursor, source, rng) for _ in range(-(-total // PER_LIST))]
            for source, total in needed.items()
        }
        self._used: Counter[str] = Counter()

    def next(self, source: str) -> tuple[str, int]:
        used = self._used[source]
        self._used[source] += 1
        return self._lists[source][used // PER_LIST], used % PER_LIST


def _clone_list(cursor: Any, source: str, rng: random.Random) -> str:
    # Every column of the template list, whatever the schema revision adds, then a new id.
    new_id = _uuid(rng)
    cursor.execute(
        "CREATE TEMP TABLE baeji_seed_list AS SELECT * FROM status_list WHERE id = %s", (source,)
    )
    cursor.execute('UPDATE baeji_seed_list SET id = %s, "full" = true', (new_id,))
    cursor.execute("INSERT INTO status_list SELECT * FROM baeji_seed_list")
    cursor.execute("DROP TABLE baeji_seed_list")
    return new_id


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _learners(cursor: Any, count: int, rng: random.Random) -> list[str]:
    ids = [_uuid(rng) for _ in range(count)]
    with cursor.copy("COPY learner (id, email_hmac, created_at) FROM STDIN") as copy:
        for learner_id in ids:
            # Indistinguishable from HMAC-SHA256 of an address, which is all the row holds.
            copy.write_row((learner_id, f"{rng.getrandbits(256):064x}", _EPOCH))
    return ids


def _rows(
    templates: list[_Template], learners: list[str], count: int, lists: _Lists, rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        template = templates[n % len(templates)]
        new_id = _uuid(rng)
        issued = _EPOCH - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        revocation_list, revocation_index = lists.next(template.revocation_list_id)
        suspension_list, suspension_index = (
            lists.next(template.suspension_list_id)
            if template.suspension_list_id is not None
            else (None, None)
        )
        revoked = rng.random() < _REVOKED_SHARE
        yield (
            new_id,
            template.issuer_id,
            template.achievement_id,
            learners[n // PER_LEARNER],
            template.document.replace(template.id, new_id),
            template.jwt,
            template.jwt_alg,
            rng.choice(_SURNAMES) + rng.choice(_GIVEN),
            issued,
            issued,
            template.valid_until,
            revocation_list,
            revocation_index,
            suspension_list,
            suspension_index,
            issued + timedelta(days=30) if revoked else None,
            "성적 정정에 따른 취소" if revoked else None,
            None,
            None,
        )


def copy_credentials(url: str, count: int, *, seed: int = 20260302) -> int:
    """Add ``count`` copies of the database's active credentials; return how many were added.

    Args:
        url: a SQLAlchemy PostgreSQL URL of a migrated Baeji database holding at least one
            active credential (the templates).

    Raises:
        RuntimeError: the database holds no active credential to copy.
    """
    from sqlalchemy import create_engine

    rng = random.Random(seed)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            raw = connection.connection.driver_connection
            if raw is None:
                raise RuntimeError("no database connection")
            with raw.cursor() as cursor:
                cursor.execute(
                    "SELECT id, issuer_id, achievement_id, document, jwt, jwt_alg, valid_until, "
                    "revocation_list_id, suspension_list_id FROM credential "
                    "WHERE revoked_at IS NULL AND suspended_at IS NULL ORDER BY id"
                )
                templates = [_Template(*row) for row in cursor.fetchall()]
                if not templates:
                    raise RuntimeError("no active credential to copy")
                learners = _learners(cursor, -(-count // PER_LEARNER), rng)
                needed: Counter[str] = Counter()
                for n in range(count):
                    template = templates[n % len(templates)]
                    needed[template.revocation_list_id] += 1
                    if template.suspension_list_id is not None:
                        needed[template.suspension_list_id] += 1
                lists = _Lists(cursor, needed, rng)
                columns = ", ".join(_COLUMNS)
                with cursor.copy(f"COPY credential ({columns}) FROM STDIN") as copy:
                    for row in _rows(templates, learners, count, lists, rng):
                        copy.write_row(row)
                cursor.execute("ANALYZE learner")
                cursor.execute("ANALYZE status_list")
                cursor.execute("ANALYZE credential")
    finally:
        engine.dispose()
    return count
