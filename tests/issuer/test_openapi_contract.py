"""The OpenAPI document is the contract: schemathesis generates requests from it and every
answer must be documented (status, content type, headers, body schema) and never a 5xx.

The app runs on SQLite with an issuer whose API key every generated request carries; an
achievement and a credential of that issuer exist so that generated ``achievementId``s
and references sometimes name real ones. The stateful run follows the document's links
(an achievement created, then read, updated and issued; a credential issued, then read,
suspended, unsuspended and revoked).
"""

from __future__ import annotations

import hashlib
import json
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

# At least 1,000 generated requests (50 for each of the 24 operations: 1,200), then
# malformed requests (25 each: 600) and linked sequences.
EXAMPLES_PER_OPERATION = 50
STATEFUL_EXAMPLES = 25
MALFORMED_PER_OPERATION = 25
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
        issuing = "achievementId" in row or path.endswith("/credentials")
        if issuing and _plain_share(row):
            # A third of the issuing rows, chosen by their own generated data (so a replay
            # chooses the same), keep only what a valid badge needs: the run then reaches
            # issuance whatever else the generator made up.
            row.clear()
            row["recipient"] = {}
            # A generated key ("0") is soon reused with another body: 409, by design.
            for name in [h for h in (case.headers or {}) if h.lower() == "idempotency-key"]:
                del case.headers[name]
        if issuing:
            row["achievementId"] = world.achievement
        if isinstance(row.get("recipient"), dict):
            row["recipient"]["email"] = unique_email()
            row["recipient"]["name"] = "김학습"  # a badge needs its learner's name


def _plain_share(row: dict[str, Any]) -> bool:
    digest = hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).digest()
    return digest[0] % 3 == 0


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
    # The success paths answer as documented too: what the generator reaches of them
    # depends on its luck (it draws literals from whatever modules are loaded), so each is
    # also sent once with a request known to be valid.
    by_label = {operation.label: operation for operation in operations}
    learner_email = unique_email()
    valid: list[tuple[str, int, dict[str, Any]]] = [
        (
            "POST /api/v1/credentials",
            201,
            {
                "body": {
                    "achievementId": world.achievement,
                    "recipient": {"email": learner_email, "name": "김학습"},
                },
                "media_type": "application/json",
            },
        ),
        (
            "POST /api/v1/credentials/{ref}/revoke",
            200,
            {
                "path_parameters": {"ref": ""},  # the badge issued just above
                "body": {"reason": "계약 시험"},
                "media_type": "application/json",
            },
        ),
        (
            "PATCH /api/v1/achievements/{ref}",
            200,
            {
                "path_parameters": {"ref": world.achievement},
                "body": {"description": "계약 시험으로 고친 설명"},
                "media_type": "application/json",
            },
        ),
        (
            "GET /api/v1/learners/{ref}/credentials",
            200,
            {"path_parameters": {"ref": world.learner}},
        ),
        (
            "POST /api/v1/verify",
            200,
            {"body": {"url": "https://example.org/no-badge"}, "media_type": "application/json"},
        ),
    ]
    issued = ""
    for label, status, parts in valid:
        if parts.get("path_parameters") == {"ref": ""}:
            parts["path_parameters"] = {"ref": issued}
        case = by_label[label].Case(**parts)
        response = case.call_and_validate(headers=headers, checks=checks)
        world.record(label, response.status_code)
        assert response.status_code == status, (label, response.text)
        if label == "POST /api/v1/credentials":
            issued = response.json()["uuid"]


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
        settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=6, **_SETTINGS)
    )
    # Every step was checked against the document (validate_response); which links a
    # random walk follows is luck, so test_every_documented_link_leads_where_it_says walks
    # each link on purpose.
    assert steps.cases >= STATEFUL_EXAMPLES


def _resolve(expression: str, request_path: dict[str, str], body: Any) -> Any:
    """The value of an OpenAPI runtime expression (``$response.body#/a/0/b``,
    ``$request.path.ref``): the few forms our document's links use."""
    if expression.startswith("$request.path."):
        return request_path[expression.removeprefix("$request.path.")]
    assert expression.startswith("$response.body#/"), expression
    value = body
    for part in expression.removeprefix("$response.body#/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def test_every_documented_link_leads_where_it_says(world: World) -> None:
    """Each link in the document, followed from a real answer, is a request the service
    answers with success, as documented."""
    operations = {
        operation.definition.raw["operationId"]: operation for operation in _operations(world)
    }
    checks = _checks()  # after loading the schema, which registers the checks
    document = world.app.test_client().get("/api/openapi.json").get_json()
    tenant = create_tenant(world.app, "links", "링크 시험 기관", suspension=True)
    course = Api(world.app.test_client(), tenant).achievement()["uuid"]
    for _ in range(2):  # so that a listing of one per page has a next page
        Api(world.app.test_client(), tenant).issue(course, unique_email())
    sources: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
        "post_api_v1_achievements": (
            {
                "body": {
                    "name": "링크 과정",
                    "description": "설명",
                    "criteria": {"narrative": "기준"},
                    "achievementType": "Course",
                }
            },
            {},
        ),
        "post_api_v1_credentials": (
            {
                "body": {
                    "achievementId": course,
                    "recipient": {"email": unique_email(), "name": "김학습"},
                }
            },
            {},
        ),
        # Two pages of one badge each: the listing's NextPage link has a cursor to follow.
        "get_api_v1_credentials": ({"query": {"limit": 1}}, {}),
        "post_api_v1_credentials_batch": (
            {
                "body": [
                    {
                        "achievementId": course,
                        "recipient": {"email": unique_email(), "name": "이학습"},
                    }
                ]
            },
            {},
        ),
        # A public literal address: accepted without a DNS lookup or a connection.
        "post_api_v1_webhooks": (
            {"body": {"url": "https://93.184.215.14/hooks/baeji", "events": ["credential.issued"]}},
            {},
        ),
    }
    followed = 0
    for path, methods in document["paths"].items():
        for described in methods.values():
            source_id = described["operationId"]
            for status, response in described["responses"].items():
                for name, link in response.get("links", {}).items():
                    if source_id in sources:
                        parts, request_path = sources[source_id]
                        if "body" in parts:
                            # A new learner each time: the same one would already hold it.
                            rows = (
                                parts["body"]
                                if isinstance(parts["body"], list)
                                else [parts["body"]]
                            )
                            for row in rows:
                                if "recipient" in row:
                                    row["recipient"] = {**row["recipient"], "email": unique_email()}
                            parts = {**parts, "media_type": "application/json"}
                        source = operations[source_id].Case(**parts)
                    else:  # the suspend -> unsuspend link starts from a suspended badge
                        issued = Api(world.app.test_client(), tenant).issue(course, unique_email())
                        request_path = {"ref": issued["uuid"]}
                        source = operations[source_id].Case(
                            path_parameters=request_path,
                            body={"reason": "링크 시험"},
                            media_type="application/json",
                        )
                    answer = source.call_and_validate(headers=tenant.headers, checks=checks)
                    assert answer.status_code == int(status), (source_id, answer.text)
                    body = answer.json()
                    target = operations[link["operationId"]]
                    resolved = {
                        key: _resolve(value, request_path, body)
                        for key, value in link.get("parameters", {}).items()
                    }
                    # A parameter the target takes in its path goes there, the rest in the query.
                    in_path = {
                        p["name"]
                        for p in target.definition.raw.get("parameters", [])
                        if p.get("in") == "path"
                    }
                    path_parameters = {k: v for k, v in resolved.items() if k in in_path}
                    query = {k: v for k, v in resolved.items() if k not in in_path}
                    extra: dict[str, Any] = {}
                    if "requestBody" in link:
                        fields = {
                            key: _resolve(value, request_path, body)
                            for key, value in link["requestBody"].items()
                        }
                        extra = {
                            "body": {
                                **fields,
                                "recipient": {"email": unique_email(), "name": "박학습"},
                            },
                            "media_type": "application/json",
                        }
                    elif target.method.upper() == "PATCH":
                        extra = {
                            "body": {"description": "링크로 고친 설명"},
                            "media_type": "application/json",
                        }
                    elif target.method.upper() == "POST":
                        extra = {"body": {"reason": "링크 시험"}, "media_type": "application/json"}
                    followed_case = target.Case(
                        path_parameters=path_parameters or None, query=query or None, **extra
                    )
                    result = followed_case.call_and_validate(headers=tenant.headers, checks=checks)
                    assert 200 <= result.status_code < 300, (path, name, result.text)
                    followed += 1
    assert followed >= 9  # every link the document declares today
