"""Shared fixtures: the spec folder, real keys, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from keys import KeyType, PrivateKeySigner

REPO_ROOT = Path(__file__).resolve().parents[1]
VECTORS_DIR = Path(__file__).resolve().parent / "vectors"
# Published standards data the tests read, copied byte for byte from the project's spec
# folder; tests/vectors/spec/PROVENANCE.md names each file's upstream source and commit.
SPEC_DIR = VECTORS_DIR / "spec"

ISSUER_DID = "did:web:badges.example.kr:issuers:hanbit"


@pytest.fixture(scope="session")
def spec_dir() -> Path:
    """The committed standards data (contexts, vectors, signed samples, baked fixtures)."""
    return SPEC_DIR


@pytest.fixture
def now() -> datetime:
    """A fixed issuance time."""
    return datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def ed25519_signer() -> PrivateKeySigner:
    """A fresh Ed25519 key, named as a did:web verification method."""
    return PrivateKeySigner.generate(KeyType.ED25519, f"{ISSUER_DID}#key-1")


@pytest.fixture(scope="session")
def rsa_signer() -> PrivateKeySigner:
    """A fresh RSA-2048 key for RS256."""
    return PrivateKeySigner.generate(KeyType.RSA, f"{ISSUER_DID}#key-2")


@pytest.fixture(scope="session")
def p256_signer() -> PrivateKeySigner:
    """A fresh P-256 key for ES256."""
    return PrivateKeySigner.generate(KeyType.P256, f"{ISSUER_DID}#key-3")


@pytest.fixture
def runner() -> CliRunner:
    """A Click runner (issuer tests pass ``obj=app`` so commands use the test app)."""
    return CliRunner()
