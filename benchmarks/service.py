"""Benchmark rows for issuance through the service: the HTTP API on SQLite and PostgreSQL.

Requests go through Flask's test client, so a row measures everything the service does
(authentication, validation, status index allocation, both signatures, the database
transaction, the JSON response) except the network. PostgreSQL rows use
``BAEJI_BENCH_DATABASE_URL`` (default: the local server's ``test`` database) in a fresh
schema that is dropped afterwards, and are skipped when no server answers.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks.registry import Case
from benchmarks.seed import postgres_schema
from benchmarks.timing import Operation

BATCH_SIZE = 50
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _database_url(kind: str, stack: ExitStack) -> str:
    if kind == "sqlite":
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        return f"sqlite:///{folder / 'bench.db'}"
    url = os.environ.get("BAEJI_BENCH_DATABASE_URL", DEFAULT_PG_URL)
    return postgres_schema(url, stack, prefix="baeji_bench")


def _service(kind: str, stack: ExitStack) -> tuple[Any, dict[str, str], str]:
    """Start the app on a migrated database with one issuer and one achievement."""
    from issuer import create_app, db, settings_of
    from issuer.issuers import service as accounts
    from issuer.schemas import IssuerCreate
    from keys import MasterKey

    url = _database_url(kind, stack)
    instance = stack.enter_context(tempfile.TemporaryDirectory())
    app = create_app(
        {
            "DATABASE_URL": url,
            "BASE_URL": "https://badges.example.kr",
            "INSTANCE_PATH": instance,
            "MASTER_KEY": MasterKey.generate()[1],
            # Throughput is measured, not the rate limits (which would refuse it).
            "RATELIMIT_ENABLED": False,
        }
    )
    engine = db.engine_of(app)
    stack.callback(engine.dispose)
    db.upgrade(engine)
    conf = settings_of(app)
    with db.new_session(engine) as session:
        _, api_key = accounts.create_issuer(
            db.Work(session, conf, conf.clock(), "benchmark"),
            IssuerCreate(slug="bench", name="벤치마크 아카데미"),
        )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_key}"}
    response = client.post(
        "/api/v1/achievements",
        headers=headers,
        json={
            "name": "클라우드 네이티브 애플리케이션 개발",
            "description": "쿠버네티스와 컨테이너로 서비스를 배포하는 120시간 과정",
            "criteria": {"narrative": "프로젝트 3개 제출, 최종 평가 70점 이상"},
            "achievementType": "Course",
        },
    )
    if response.status_code != 201:
        raise RuntimeError(f"could not create the benchmark achievement: {response.json}")
    achievement = (response.json or {})["id"]
    return client, headers, achievement


def _issue_one(kind: str) -> Callable[[ExitStack], Operation]:
    def setup(stack: ExitStack) -> Operation:
        client, headers, achievement = _service(kind, stack)
        counter = itertools.count()

        def issue() -> None:
            n = next(counter)
            response = client.post(
                "/api/v1/credentials",
                headers=headers,
                json={
                    "achievementId": achievement,
                    "recipient": {"email": f"learner{n}@example.kr", "name": f"수강생 {n}"},
                },
            )
            if response.status_code != 201:
                raise RuntimeError(f"issuing failed: {response.json}")

        issue()  # fail before timing, not during
        return issue

    return setup


def _issue_batch(kind: str) -> Callable[[ExitStack], Operation]:
    def setup(stack: ExitStack) -> Operation:
        client, headers, achievement = _service(kind, stack)
        counter = itertools.count()

        def issue() -> None:
            rows = [
                {
                    "achievementId": achievement,
                    "recipient": {"email": f"cohort{n}@example.kr", "name": f"수강생 {n}"},
                }
                for n in itertools.islice(counter, BATCH_SIZE)
            ]
            response = client.post("/api/v1/credentials/batch", headers=headers, json=rows)
            if response.status_code != 201:
                raise RuntimeError(f"batch issuing failed: {response.json}")

        issue()
        return issue

    return setup


def service_cases() -> list[Case]:
    """Return the service rows (section ``service``)."""
    baseline = (
        "Ed25519 sign (raw primitive, 64-byte message)",
        "RSA-2048 sign (raw primitive, RS256)",
    )
    requires = ("issuer:create_app", "sqlalchemy:create_engine")
    kinds = (("sqlite", "SQLite"), ("postgres", "PostgreSQL"))
    return [
        Case(
            f"Issue 1 credential via API ({label})",
            _issue_one(kind),
            baseline,
            requires,
            section="service",
        )
        for kind, label in kinds
    ] + [
        Case(
            f"Issue batch of {BATCH_SIZE} via API ({label}), per batch",
            _issue_batch(kind),
            baseline,
            requires,
            section="service",
        )
        for kind, label in kinds
    ]
