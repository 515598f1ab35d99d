"""Laws of signing: sign then verify always passes; any change to a signed credential fails."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badges import (
    InvalidJsonLd,
    InvalidProof,
    OpenBadgeCredential,
    proofs_of,
    sign_credential,
    verify_proof,
)
from keys import PrivateKeySigner
from tests.samples import sample_credential
from tests.strategies import leaf_paths, mutate_leaf, names

times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))

_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(name=names, email=st.emails(), now=times)
def test_sign_then_verify_always_passes(
    name: str, email: str, now: datetime, ed25519_signer: PrivateKeySigner
) -> None:
    """Whatever the course name, recipient and time, our proof verifies."""
    signed = sign_credential(
        sample_credential(now=now, name=name, email=email), proof_signer=ed25519_signer, now=now
    )
    (proof,) = proofs_of(signed.credential)
    verify_proof(signed.credential, proof, ed25519_signer.public_key)
    assert (
        OpenBadgeCredential.from_json({k: v for k, v in signed.credential.items() if k != "proof"})
        == sample_credential(now=now, name=name, email=email).model_copy()
    )


@pytest.fixture(scope="module")
def signed_document() -> dict[str, object]:
    """One signed sample credential."""
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    signer = PrivateKeySigner.generate("Ed25519", "did:web:badges.example.kr:issuers:hanbit#key-1")
    signed = sign_credential(
        sample_credential(now=now, valid_until=now + timedelta(days=730)),
        proof_signer=signer,
        now=now,
    )
    return {"credential": signed.credential, "signer": signer}


@_SETTINGS
@given(data=st.data())
def test_changing_any_field_breaks_the_proof(
    data: st.DataObject, signed_document: dict[str, object]
) -> None:
    """Changing any single value outside the proof makes verification fail."""
    credential = signed_document["credential"]
    signer = signed_document["signer"]
    assert isinstance(credential, dict)
    assert isinstance(signer, PrivateKeySigner)
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    path = data.draw(st.sampled_from(leaf_paths(unsecured)), label="path")
    tampered = copy.deepcopy(credential)
    mutate_leaf(tampered, path)
    (proof,) = proofs_of(tampered)
    with pytest.raises((InvalidProof, InvalidJsonLd)):
        verify_proof(tampered, proof, signer.public_key)


def test_every_leaf_is_covered_once(signed_document: dict[str, object]) -> None:
    """Each leaf of the sample is mutated and fails (the exhaustive version of the law above)."""
    credential = signed_document["credential"]
    signer = signed_document["signer"]
    assert isinstance(credential, dict)
    assert isinstance(signer, PrivateKeySigner)
    paths = leaf_paths({k: v for k, v in credential.items() if k != "proof"})
    assert len(paths) > 40
    for path in paths:
        tampered = copy.deepcopy(credential)
        mutate_leaf(tampered, path)
        (proof,) = proofs_of(tampered)
        with pytest.raises((InvalidProof, InvalidJsonLd)):
            verify_proof(tampered, proof, signer.public_key)
