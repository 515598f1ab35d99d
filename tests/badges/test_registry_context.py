"""Baeji's own JSON-LD context for the signed issuer registry.

It is bundled like the published contexts (never fetched) but kept apart from them: it is
ours, so no spec copy exists to compare it with. What matters is that every term the
registry credential uses is defined by it, so an ``eddsa-rdfc-2022`` proof covers every
field and safe-mode verifiers accept it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from badges import find_undefined_terms, sign_credential, verify_proof
from badges.context import (
    BAEJI_REGISTRY_V1,
    CONTEXT_FILES,
    OWN_CONTEXT_FILES,
    REGISTRY_CONTEXTS,
    load_context,
)
from badges.errors import UndefinedTerm
from keys import PrivateKeySigner

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _registry(**entry: Any) -> dict[str, Any]:
    return {
        "@context": list(REGISTRY_CONTEXTS),
        "id": "https://badges.example.kr/registry.vc.json",
        "type": ["VerifiableCredential", "IssuerRegistryCredential"],
        "issuer": {"id": "did:web:badges.example.kr", "name": "Baeji 배지"},
        "name": "Baeji 배지 issuer registry",
        "validFrom": "2026-11-30T09:00:00Z",
        "credentialSubject": {
            "id": "https://badges.example.kr/registry.json",
            "type": "IssuerRegistry",
            "name": "Baeji 배지 issuer registry",
            "registeredIssuer": [
                {
                    "id": "did:web:badges.example.kr:issuers:hanbit",
                    "type": "RegisteredIssuer",
                    "name": "한빛 아카데미",
                    "url": "https://hanbit.example.kr",
                    "profile": "https://badges.example.kr/issuers/hanbit",
                    "logo": "https://badges.example.kr/issuers/hanbit/logo",
                    "location": "서울",
                    "certification": [
                        {
                            "type": "Certification",
                            "programme": "leaders-club",
                            "name": "디지털 리더스 클럽 · Digital Leaders Club",
                            "validUntil": "2099-12-31T00:00:00Z",
                            "endorsement": "https://badges.example.kr/certifications/1",
                        }
                    ],
                    **entry,
                }
            ],
        },
    }


def test_own_contexts_are_bundled_apart_from_the_spec_copies() -> None:
    """Our context loads like the others, and is not among the published copies."""
    assert set(OWN_CONTEXT_FILES).isdisjoint(CONTEXT_FILES)
    assert REGISTRY_CONTEXTS[-1] == BAEJI_REGISTRY_V1
    context = load_context(BAEJI_REGISTRY_V1)["@context"]
    assert context["@protected"] is True
    assert {"IssuerRegistryCredential", "IssuerRegistry", "RegisteredIssuer", "Certification"} <= (
        set(context)
    )


def test_every_registry_term_is_defined_and_signed(ed25519_signer: PrivateKeySigner) -> None:
    """A full registry has no undefined term, and signs and verifies strictly."""
    document = _registry()
    assert find_undefined_terms(document) == []
    signed = sign_credential(document, proof_signer=ed25519_signer, now=NOW).credential
    verify_proof(signed, signed["proof"][0], ed25519_signer.public_key)


def test_an_unknown_member_of_an_entry_is_refused(ed25519_signer: PrivateKeySigner) -> None:
    """A member the context does not define would go unsigned: signing refuses it."""
    document = _registry(rating="5 stars")
    assert find_undefined_terms(document) == ["rating"]
    with pytest.raises(UndefinedTerm, match="rating"):
        sign_credential(document, proof_signer=ed25519_signer, now=NOW)
