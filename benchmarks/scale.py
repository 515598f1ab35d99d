"""The scale section: the wallet and verification pages over 100,000 credentials in PostgreSQL.

Runs only when ``BAEJI_BENCH_DATABASE_URL`` or ``BAEJI_TEST_DATABASE_URL`` names a
PostgreSQL server; otherwise its rows say why they were skipped. The database is a fresh
schema, migrated with Baeji's migrations and filled with the demo data (real signed
credentials) plus pre-signed copies (:mod:`benchmarks.seed`). The pages are requested
through gunicorn -w 2 on 127.0.0.1, at a low concurrency (2 connections; 1 with --quick):
the rows measure how long one person waits, not throughput.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from benchmarks import shared
from benchmarks.http import (
    HTML,
    Request,
    Server,
    app_config,
    baeji_environment,
    free_port,
    measure_load,
    seed_demo,
    start_gunicorn,
)
from benchmarks.registry import Case, Unavailable
from benchmarks.seed import copy_credentials, database_url, postgres_schema
from benchmarks.timing import Load

_REQUIRES = ("issuer:create_app", "gunicorn:__version__", "psycopg:connect")


@dataclass(frozen=True)
class Scaled:
    """Baeji on a large PostgreSQL database; the pages to request; how many rows it holds."""

    server: Server
    credential_id: str
    wallet_token: str
    credentials: int
    seed_seconds: float


def _scaled(stack: ExitStack) -> Scaled:
    url = database_url()
    if url is None:
        raise Unavailable("no PostgreSQL: set BAEJI_BENCH_DATABASE_URL or BAEJI_TEST_DATABASE_URL")
    scoped = postgres_schema(url, stack)
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="baeji-scale-")))
    port = free_port()
    env = baeji_environment(folder, port, scoped)
    seeded = seed_demo(app_config(env))
    copies = shared.current().budget.scale_rows
    start = time.perf_counter()
    copy_credentials(scoped, copies)
    seconds = time.perf_counter() - start
    server = start_gunicorn(
        "issuer:create_app()", port=port, env=env, ready_path="/healthz", stack=stack
    )
    return Scaled(server, seeded.credential_id, seeded.wallet_token, copies, seconds)


def _page(path_of: Callable[[Scaled], str]) -> Callable[[ExitStack], Load]:
    def setup(stack: ExitStack) -> Load:
        target = shared.fixture("baeji-scale-postgres", _scaled)
        return measure_load(
            target.server,
            Request(path_of(target), headers=HTML),
            connections=shared.current().budget.scale_connections,
            note=f"+{target.credentials:,} credentials, seeded in {target.seed_seconds:,.1f} s",
        )

    return setup


def scale_cases() -> list[Case]:
    """Return the scale rows (section ``scale``)."""
    return [
        Case(
            "Wallet page, GET /wallet/{token} (PostgreSQL)",
            _page(lambda t: f"/wallet/{t.wallet_token}"),
            requires=_REQUIRES,
            section="scale",
        ),
        Case(
            "Verification page, GET /credentials/{id} (PostgreSQL)",
            _page(lambda t: f"/credentials/{t.credential_id}"),
            requires=_REQUIRES,
            section="scale",
        ),
    ]
