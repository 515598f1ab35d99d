"""The OpenAPI document is the contract: schemathesis generates requests from it and every
answer must be documented (status, content type, headers, body schema) and never a 5xx.

The app runs on SQLite with an issuer whose API key every generated request carries; an
achievement and a credential of that issuer exist so that generated ``achievementId``s
and references sometimes name real ones. The stateful run follows the document's links
(an achievement created, then read, updated and issued; a credential issued, then read,
suspended, unsuspended and revoked).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.core.result import Ok
from schemathesis.transport.serialization import Binary

from issuer import db
from tests.issuer.conftest import Api, Tenant, create_tenant, make_app, unique_email

# At least 1,000 generated requests over the 17 operations, then linked sequences.
EXAMPLES_PER_OPERATION = 100
STATEFUL_EXAMPLES = 25
MALFORMED_PER_OPERATION = 40
MINIMUM_CASES = 1000
CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "derandomize": True,
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": list(HealthCheck),
}


def _raw(_context: Any, value: Any) -> bytes | None:
    """Send a generated string or file as the body itself."""
    if value is None:
        return None
    if isinstance(value, Binary):
        return bytes(value.data)
    if isinstance(value, bytes):
        return value
    return str(value).encode()


schemathesis.serializer(
    "text/csv",
    "application/jwt",
    "application/vc+jwt",
    "image/png",
    "image/svg+xml",
    "image/jpeg",
    "image/webp",
)(_raw)


class World:
    """The app under test, its tenant, and real references to mix into generated cases."""

    def __init__(
        self, app: Flask, tenant: Tenant, achievement: str, credentials: list[str], learner: str
    ) -> None:
        self.app = app
        self.tenant = tenant
        self.achievement = achievement
        self.credentials = credentials
        self.learner = learner
        # (operation, status) -> how many generated requests got that answer
        self.answers: Counter[tuple[str, int]] = Counter()

    def record(self, label: str, status: int) -> None:
        self.answers[(label, status)] += 1

    @property
    def cases(self) -> int:
        return sum(self.answers.values())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder: Path = tmp_path_factory.mktemp("contract")
    # Rate limits are tested on their own (test_limits.py); here they would only stop
    # the run, as they should.
    app = make_app(f"sqlite:///{folder / 'baeji.db'}", folder / "instance", RATELIMIT_ENABLED=False)
    tenant = create_tenant(app, "hanbit", "한빛 아카데미")
    api = Api(app.test_client(), tenant)
    achievement = api.achievement()["uuid"]
    email = unique_email()
    # Five badges of one learner: later ones are retakes, issued on purpose.
    issued = [api.issue(achievement, email, duplicates="allow") for _ in range(5)]
    learner = issued[0]["credential"]["credentialSubject"]["id"]
    yield World(app, tenant, achievement, [item["uuid"] for item in issued], learner)
    db.engine_of(app).dispose()


def _checks() -> list[Any]:
    return [CHECKS.get_one(name) for name in CHECK_NAMES]


def _with_real_references(world: World, case: Any, choice: random.Random | None) -> None:
    """Point generated cases at the tenant's real achievement, credentials, learner and a
    well-formed email, so that success paths are generated as well as refusals.

    Args:
        choice: picks which cases to change (most); ``None`` for the stateful run, where
            path references come from the links and every body is changed, so that the
            answers (and so the next steps) depend on the generated data alone.
    """

    def pick(probability: float) -> bool:
        return choice is None or choice.random() < probability

    path = case.operation.path
    if "ref" in (case.path_parameters or {}) and choice is not None and pick(0.6):
        if path.endswith("/archive"):
            # Archiving the shared course would stop every later issuance: archive a
            # course of its own.
            ref = Api(world.app.test_client(), world.tenant).achievement()["uuid"]
        elif path.startswith("/api/v1/achievements/"):
            ref = world.achievement
        elif path.startswith("/api/v1/learners/"):
            ref = world.learner
        else:
            ref = choice.choice(world.credentials)
        case.path_parameters["ref"] = ref
    body = case.body
    rows = [body] if isinstance(body, dict) else []
    if isinstance(body, dict) and isinstance(body.get("credentials"), list):
        rows = body["credentials"]
    elif isinstance(body, list):
        rows = body
    for row in rows:
        if not isinstance(row, dict) or not pick(0.7):
            continue
        if "achievementId" in row or path.endswith("/credentials"):
            row["achievementId"] = world.achievement
        if isinstance(row.get("recipient"), dict):
            row["recipient"]["email"] = unique_email()
            row["recipient"]["name"] = "김학습"  # a badge needs its learner's name


def _operations(world: World) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", world.app)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself is valid
        operations.append(result.ok())
    documented = world.app.test_client().get("/api/openapi.json").get_json()["paths"]
    assert len(operations) == sum(len(methods) for methods in documented.values())
    return operations


@pytest.mark.slow
def test_every_operation_answers_as_documented(world: World) -> None:
    operations = _operations(world)
    headers = world.tenant.headers
    checks = _checks()
    choice = random.Random(9)
    for operation in operations:

        @settings(max_examples=EXAMPLES_PER_OPERATION, **_SETTINGS)
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            _with_real_references(world, case, choice)
            response = case.call_and_validate(headers=headers, checks=checks)
            world.record(case.operation.label, response.status_code)

        run()
    assert world.cases >= MINIMUM_CASES
    # The run reached the success paths, not only the refusals.
    for label, status in (
        ("POST /api/v1/credentials", 201),
        ("POST /api/v1/credentials/{ref}/revoke", 200),
        ("PATCH /api/v1/achievements/{ref}", 200),
        ("GET /api/v1/learners/{ref}/credentials", 200),
        ("POST /api/v1/verify", 200),
    ):
        assert world.answers[(label, status)] > 0, (label, status)


@pytest.mark.slow
def test_malformed_requests_are_refused_as_documented(world: World) -> None:
    """Requests that break the document (wrong types, missing members, bad media) get a
    documented 4xx, never a 5xx."""
    malformed = World(world.app, world.tenant, world.achievement, world.credentials, world.learner)
    checks = _checks()
    for operation in _operations(world):

        @settings(max_examples=MALFORMED_PER_OPERATION, **_SETTINGS)
        @given(case=operation.as_strategy(GenerationMode.NEGATIVE))
        def run(case: Any) -> None:
            response = case.call_and_validate(headers=world.tenant.headers, checks=checks)
            malformed.record(case.operation.label, response.status_code)

        run()
    assert malformed.cases >= MALFORMED_PER_OPERATION * 6
    assert sum(n for (_, status), n in malformed.answers.items() if status in (400, 422)) > 0


@pytest.mark.slow
def test_linked_operations_answer_as_documented(world: World) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", world.app)
    machine = schema.as_state_machine()
    checks = _checks()

    steps = World(world.app, world.tenant, world.achievement, world.credentials, world.learner)

    tenants = iter(range(1_000_000))

    class Linked(machine):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            # Each run starts from a tenant of its own, so what a step answers (a listing,
            # say) depends on the run's own steps only, never on earlier runs: Hypothesis
            # replays runs and requires the same answers to the same steps.
            tenant = create_tenant(world.app, f"linked-{next(tenants)}", "연결 시험 기관")
            course = Api(world.app.test_client(), tenant).achievement()["uuid"]
            self.current = World(world.app, tenant, course, [], world.learner)

        def before_call(self, case: Any) -> None:
            _with_real_references(self.current, case, None)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": self.current.tenant.headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=checks)
            steps.record(case.operation.label, response.status_code)

    Linked.run(
        settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=10, **_SETTINGS)
    )
    assert steps.cases >= STATEFUL_EXAMPLES
    # Links were followed from created resources to operations on them.
    assert steps.answers[("POST /api/v1/credentials", 201)] > 0
    assert any("{ref}" in label and 200 <= status < 300 for label, status in steps.answers), (
        steps.answers
    )
