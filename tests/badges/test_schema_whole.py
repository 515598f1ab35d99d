"""Every credential shape Baeji issues passes the 1EdTech OB 3.0 JSON Schema as a whole document.

The validators here are built straight from the bundled schema files, bypassing
:mod:`badges.schema` (whose per-entry path exists only for the two-entry status array of an
issuer with suspension on, the one documented deviation).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft201909Validator

from badges import build_endorsement, sign_credential
from badges.schema import ACHIEVEMENT_CREDENTIAL, ENDORSEMENT_CREDENTIAL, schema_errors
from keys import KeyType, PrivateKeySigner
from tests.samples import ISSUER_DID, sample_credential, sample_issuer

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _errors(document: dict[str, Any], name: str) -> list[str]:
    text = (resources.files("badges") / "schemas" / name).read_text(encoding="utf-8")
    validator = Draft201909Validator(json.loads(text))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.fixture(scope="module")
def signer() -> PrivateKeySigner:
    """A fresh Ed25519 issuer key."""
    return PrivateKeySigner.generate(KeyType.ED25519, f"{ISSUER_DID}#key-1")


def test_default_badge_validates_whole(signer: PrivateKeySigner) -> None:
    """The default shape (one credentialStatus object), signed, passes the unchanged schema."""
    signed = sign_credential(
        sample_credential(now=NOW, suspension=False), proof_signer=signer, now=NOW
    ).credential
    assert isinstance(signed["credentialStatus"], dict)
    assert _errors(signed, ACHIEVEMENT_CREDENTIAL) == []
    assert schema_errors(signed) == []


def test_endorsement_validates_whole(signer: PrivateKeySigner) -> None:
    """An endorsement, signed, passes the unchanged endorsement schema."""
    endorsement = build_endorsement(
        credential_id="https://badges.example.kr/endorsements/1",
        issuer=sample_issuer(),
        subject_id=ISSUER_DID,
        name="한국디지털교육협회 인증",
        now=NOW,
        comment="우수 교육기관으로 인증합니다.",
    )
    signed = sign_credential(endorsement, proof_signer=signer, now=NOW).credential
    assert _errors(signed, ENDORSEMENT_CREDENTIAL) == []


def test_suspension_shape_is_the_one_documented_deviation(signer: PrivateKeySigner) -> None:
    """Two status entries fail the unchanged schema; badges.schema checks each entry instead."""
    signed = sign_credential(sample_credential(now=NOW), proof_signer=signer, now=NOW).credential
    assert isinstance(signed["credentialStatus"], list)
    assert _errors(signed, ACHIEVEMENT_CREDENTIAL)
    assert schema_errors(signed) == []
    broken = {**signed, "credentialStatus": [signed["credentialStatus"][0], {"type": 1}]}
    assert any(e.startswith("credentialStatus/1/") for e in schema_errors(broken))
