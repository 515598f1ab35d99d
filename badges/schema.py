"""Validation against the 1EdTech Open Badges 3.0 JSON Schemas (draft 2019-09).

The schemas ship in ``badges/schemas/`` as published by 1EdTech (provenance in
tests/vectors/README.md).

A credential with one ``credentialStatus`` object (what Baeji issues by default: the
revocation entry) is validated as a whole document against the unchanged schema.

The one deliberate deviation: an issuer that turns suspension on writes two entries, an
array, which VC 2.0 allows but the OB 3.0 schema (one object) does not. Only for that shape
is each entry validated against the schema's own ``CredentialStatus`` definition and the
rest of the credential against the unchanged schema.

Each schema is compiled once per process, twice: by jsonschema-rs (a compiled validator,
about a hundred times faster) for the verdict, and by jsonschema for readable error messages.
Only documents jsonschema-rs refuses are walked again by jsonschema, whose answer is then
the one returned; tests compare both validators' verdicts on valid and invalid documents.
Formats are annotations only in both (draft 2019-09's default).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft201909Validator

from badges.errors import SchemaViolation

ACHIEVEMENT_CREDENTIAL = "ob_v3p0_achievementcredential_schema.json"
ENDORSEMENT_CREDENTIAL = "ob_v3p0_endorsementcredential_schema.json"
PROFILE = "ob_v3p0_profile_schema.json"


@cache
def _validator(name: str) -> Draft201909Validator:
    text = (resources.files("badges") / "schemas" / name).read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


@cache
def _status_validator() -> Draft201909Validator:
    schema = _validator(ACHIEVEMENT_CREDENTIAL).schema
    assert isinstance(schema, Mapping)  # noqa: S101 - the bundled schema is an object
    return Draft201909Validator({**schema["$defs"]["CredentialStatus"], "$defs": schema["$defs"]})


def _compile(schema: Any) -> jsonschema_rs.Draft201909Validator:
    return jsonschema_rs.Draft201909Validator(dict(schema), validate_formats=False)


@cache
def _compiled(name: str) -> jsonschema_rs.Draft201909Validator:
    return _compile(_validator(name).schema)


@cache
def _compiled_status() -> jsonschema_rs.Draft201909Validator:
    return _compile(_status_validator().schema)


def _quickly_valid(body: Mapping[str, Any], status: list[Any] | None, schema: str) -> bool:
    """The compiled validators' verdict; False also when they cannot read the document."""
    try:
        return _compiled(schema).is_valid(body) and all(
            _compiled_status().is_valid(entry) for entry in status or ()
        )
    except (ValueError, TypeError, OverflowError):  # not JSON data (jsonschema decides)
        return False


def schema_errors(document: Mapping[str, Any], schema: str = ACHIEVEMENT_CREDENTIAL) -> list[str]:
    """Return readable schema errors for ``document`` (empty when it validates)."""
    if not isinstance(document, Mapping):
        return ["the credential must be a JSON object"]
    body = dict(document)
    errors: list[str] = []
    status = body.get("credentialStatus")
    split = isinstance(status, list) and schema != PROFILE
    if _quickly_valid(
        {k: v for k, v in body.items() if k != "credentialStatus"} if split else body,
        status if split else None,
        schema,
    ):
        return []
    if isinstance(status, list) and schema != PROFILE:
        del body["credentialStatus"]
        for index, entry in enumerate(status):
            errors.extend(
                f"credentialStatus/{index}/{_where(e.absolute_path)}: {e.message}"
                for e in _status_validator().iter_errors(entry)
            )
    errors.extend(
        f"{_where(e.absolute_path)}: {e.message}" for e in _validator(schema).iter_errors(body)
    )
    return errors


def _where(path: Any) -> str:
    return "/".join(str(p) for p in path) or "(root)"


def validate_schema(document: Mapping[str, Any], schema: str = ACHIEVEMENT_CREDENTIAL) -> None:
    """Validate ``document`` against a bundled OB 3.0 schema.

    Raises:
        SchemaViolation: with every error found in ``errors``.
    """
    if errors := schema_errors(document, schema):
        raise SchemaViolation(
            f"the credential does not match the OB 3.0 JSON Schema: {errors[0]}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            tuple(errors),
        )
