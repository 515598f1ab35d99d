"""Compiled schema validation gives jsonschema's verdicts and messages, on valid and invalid input.

``badges.schema`` answers from jsonschema-rs when a document is valid and asks jsonschema
otherwise; the reference here is a fresh jsonschema validator per call, built from the
bundled schema file, applying the same ``credentialStatus`` split.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft201909Validator

from badges.schema import (
    ACHIEVEMENT_CREDENTIAL,
    ENDORSEMENT_CREDENTIAL,
    PROFILE,
    _compiled,
    schema_errors,
)
from keys import PrivateKeySigner
from tests.badges.test_fast_path import _shapes
from tests.strategies import leaf_paths, mutate_leaf


def _schema(name: str) -> dict[str, Any]:
    text = (resources.files("badges") / "schemas" / name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _where(path: Any) -> str:
    return "/".join(str(p) for p in path) or "(root)"


def reference_errors(document: dict[str, Any], name: str) -> list[str]:
    """Errors from fresh jsonschema validators, exactly as schema_errors words them."""
    schema = _schema(name)
    body = dict(document)
    errors: list[str] = []
    status = body.get("credentialStatus")
    if isinstance(status, list) and name != PROFILE:
        del body["credentialStatus"]
        definitions = _schema(ACHIEVEMENT_CREDENTIAL)["$defs"]
        entry_validator = Draft201909Validator(
            {**definitions["CredentialStatus"], "$defs": definitions}
        )
        for index, entry in enumerate(status):
            errors.extend(
                f"credentialStatus/{index}/{_where(e.absolute_path)}: {e.message}"
                for e in entry_validator.iter_errors(entry)
            )
    errors.extend(
        f"{_where(e.absolute_path)}: {e.message}"
        for e in Draft201909Validator(schema).iter_errors(body)
    )
    return errors


@pytest.fixture(scope="module")
def documents(ed25519_signer: PrivateKeySigner) -> dict[str, dict[str, Any]]:
    """Every credential shape we issue, signed and unsigned."""
    shapes = _shapes(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), ed25519_signer)
    return {k: v for k, v in shapes.items() if k != "did-document" and "status" not in k}


def _schema_for(name: str) -> str:
    return ENDORSEMENT_CREDENTIAL if name.startswith("endorsement") else ACHIEVEMENT_CREDENTIAL


def test_shapes_we_issue_get_the_reference_answers(documents: dict[str, dict[str, Any]]) -> None:
    """Same verdicts and messages on every shape (the CLR is invalid as an OB credential)."""
    for name, document in documents.items():
        assert schema_errors(document, _schema_for(name)) == reference_errors(
            document, _schema_for(name)
        ), name
    assert schema_errors(documents["sample"]) == []


def test_1edtech_samples_get_the_reference_answers(spec_dir: Path) -> None:
    """The 1EdTech validator samples, valid or not, get jsonschema's answers."""
    for path in sorted((spec_dir / "examples").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(document, dict):
            for schema in (ACHIEVEMENT_CREDENTIAL, ENDORSEMENT_CREDENTIAL):
                assert schema_errors(document, schema) == reference_errors(document, schema)


@pytest.mark.parametrize(
    "change",
    [
        {"validFrom": 5},
        {"type": "OpenBadgeCredential"},
        {"credentialSubject": None},
        {"issuer": {"name": "no id"}},
        {"@context": ["https://www.w3.org/ns/credentials/v2"]},
        {"credentialStatus": [{"id": "x"}]},
        {"credentialStatus": {"type": "BitstringStatusListEntry"}},
        {"proof": [{"type": 5}]},
        {"validFrom": "not a date"},
        {"name": True},
    ],
)
def test_invalid_documents_get_the_reference_answers(
    change: dict[str, Any], documents: dict[str, dict[str, Any]]
) -> None:
    """Invalid documents get jsonschema's verdict and messages (formats stay annotations)."""
    document = {**documents["sample"], **change}
    assert schema_errors(document) == reference_errors(document, ACHIEVEMENT_CREDENTIAL)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_documents_get_the_reference_verdicts(
    data: st.DataObject, documents: dict[str, dict[str, Any]]
) -> None:
    """Leaf changes, type changes and removed members: the compiled verdict is jsonschema's."""
    name = data.draw(st.sampled_from(sorted(documents)))
    document = copy.deepcopy(documents[name])
    for _ in range(data.draw(st.integers(1, 3))):
        paths = leaf_paths(document)
        path = data.draw(st.sampled_from(paths))
        action = data.draw(st.sampled_from(["mutate", "replace", "delete"]))
        parent: Any = document
        for step in path[:-1]:
            parent = parent[step]
        if action == "mutate":
            mutate_leaf(document, path)
        elif action == "replace":
            parent[path[-1]] = data.draw(
                st.one_of(st.none(), st.integers(), st.text(max_size=5), st.just([]), st.just({}))
            )
        elif isinstance(parent, dict):
            del parent[path[-1]]
    schema = _schema_for(name)
    reference = reference_errors(document, schema)
    assert schema_errors(document, schema) == reference
    body = {k: v for k, v in document.items() if k != "credentialStatus"}
    assert _compiled(schema).is_valid(body) == Draft201909Validator(_schema(schema)).is_valid(body)


def test_python_regex_semantics_are_kept(documents: dict[str, dict[str, Any]]) -> None:
    """jsonschema's "$" matches before a final newline; the answer stays jsonschema's."""
    document = copy.deepcopy(documents["sample"])
    document["credentialSubject"]["achievement"]["inLanguage"] = "ko\n"
    assert reference_errors(document, ACHIEVEMENT_CREDENTIAL) == []
    assert schema_errors(document) == []
    document["credentialSubject"]["achievement"]["inLanguage"] = "korean"
    assert schema_errors(document) == reference_errors(document, ACHIEVEMENT_CREDENTIAL) != []
