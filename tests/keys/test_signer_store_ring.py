"""Signers, sealed keys at rest, key rings and DID documents."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import jwt as pyjwt
import pytest

from keys import (
    FileKeyStore,
    InvalidKeyEncoding,
    InvalidMasterKey,
    InvalidSignature,
    KeyNotFound,
    KeyRevoked,
    KeyRing,
    KeyState,
    KeyType,
    MasterKey,
    MemoryKeyStore,
    PrivateKeySigner,
    PublicKey,
    Signer,
    UnsupportedKeyType,
    WrongMasterKey,
    build_did_document,
    did_web_from_url,
    did_web_to_url,
    load_or_create_master_key,
)
from keys.errors import InvalidDid

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("key_type", list(KeyType), ids=[k.value for k in KeyType])
def test_sign_then_verify(key_type: KeyType) -> None:
    """A signature verifies under its own public key and fails for other data."""
    signer = PrivateKeySigner.generate(key_type, "k")
    assert isinstance(signer, Signer)
    assert isinstance(signer.public_key, PublicKey)
    signature = signer.sign(b"data")
    signer.public_key.verify(signature, b"data")
    with pytest.raises(InvalidSignature):
        signer.public_key.verify(signature, b"datA")


def test_signature_from_another_key_is_refused() -> None:
    """A signature made by one key never verifies under another."""
    one = PrivateKeySigner.generate(KeyType.ED25519, "a")
    other = PrivateKeySigner.generate(KeyType.ED25519, "b")
    with pytest.raises(InvalidSignature) as info:
        other.public_key.verify(one.sign(b"x"), b"x")
    assert info.value.code == "invalid-signature"


@pytest.mark.parametrize(
    ("key_type", "alg"),
    [(KeyType.RSA, "RS256"), (KeyType.P256, "ES256"), (KeyType.ED25519, "EdDSA")],
    ids=["rs256", "es256", "eddsa"],
)
def test_signatures_are_jose_format(key_type: KeyType, alg: str) -> None:
    """Signatures use the JOSE wire format, so PyJWT verifies a JWS we assemble."""
    signer = PrivateKeySigner.generate(key_type, "k")
    assert signer.algorithm == alg
    header = pyjwt.utils.base64url_encode(b'{"alg":"' + alg.encode() + b'"}').decode()
    body = pyjwt.utils.base64url_encode(b'{"a":1}').decode()
    signature = pyjwt.utils.base64url_encode(signer.sign(f"{header}.{body}".encode())).decode()
    decoded = pyjwt.decode(f"{header}.{body}.{signature}", signer.public_key.key, algorithms=[alg])
    assert decoded == {"a": 1}


def test_generate_refuses_weak_rsa_and_unknown_types() -> None:
    """RSA under 2048 bits and unknown key types are refused."""
    with pytest.raises(UnsupportedKeyType, match="2048"):
        PrivateKeySigner.generate(KeyType.RSA, "k", rsa_bits=1024)
    with pytest.raises(UnsupportedKeyType, match="secp256k1"):
        PrivateKeySigner.generate("secp256k1", "k")


def test_signer_repr_hides_key_material() -> None:
    """A signer's repr names the key id and type only."""
    signer = PrivateKeySigner.generate(KeyType.ED25519, "did:web:x#key-1")
    assert repr(signer) == "PrivateKeySigner(key_id='did:web:x#key-1', key_type='Ed25519')"


@pytest.mark.parametrize("key_type", list(KeyType), ids=[k.value for k in KeyType])
def test_seal_then_unseal(key_type: KeyType) -> None:
    """A sealed key opens under the same master key and id, and signs the same."""
    master, _ = MasterKey.generate()
    signer = PrivateKeySigner.generate(key_type, "issuer-1/key-1")
    sealed = master.seal(signer)
    assert signer.to_pkcs8() not in sealed
    opened = master.unseal(sealed, "issuer-1/key-1")
    opened.public_key.verify(opened.sign(b"m"), b"m")
    assert opened.public_key.public_bytes() == signer.public_key.public_bytes()


def test_sealed_data_opens_only_under_its_label() -> None:
    """Sealed bytes open under the same master key and label, never under another label,
    another master key, or as a sealed key."""
    master, _ = MasterKey.generate()
    other, _ = MasterKey.generate()
    sealed = master.seal_data(b"kim@example.kr", label="outbox:1")
    assert b"kim@example.kr" not in sealed
    assert master.unseal_data(sealed, label="outbox:1") == b"kim@example.kr"
    with pytest.raises(WrongMasterKey):
        master.unseal_data(sealed, label="outbox:2")
    with pytest.raises(WrongMasterKey):
        other.unseal_data(sealed, label="outbox:1")
    with pytest.raises(InvalidKeyEncoding):
        master.unseal(sealed, "outbox:1")
    with pytest.raises(InvalidKeyEncoding):
        master.unseal_data(b"BD1short", label="outbox:1")
    with pytest.raises(InvalidKeyEncoding):
        master.unseal_data(master.seal(PrivateKeySigner.generate(KeyType.ED25519, "k")), label="k")


def test_wrong_master_key_is_a_clear_error() -> None:
    """Opening with another master key raises WrongMasterKey with its stable code."""
    master, _ = MasterKey.generate()
    other, _ = MasterKey.generate()
    sealed = master.seal(PrivateKeySigner.generate(KeyType.ED25519, "k"))
    with pytest.raises(WrongMasterKey, match="wrong master key") as info:
        other.unseal(sealed, "k")
    assert info.value.code == "wrong-master-key"


def test_key_id_is_bound_as_associated_data() -> None:
    """A sealed key copied onto another key id does not open."""
    master, _ = MasterKey.generate()
    sealed = master.seal(PrivateKeySigner.generate(KeyType.ED25519, "issuer-a/key-1"))
    with pytest.raises(WrongMasterKey):
        master.unseal(sealed, "issuer-b/key-1")


def test_tampered_or_foreign_blobs_are_refused() -> None:
    """A flipped byte fails authentication; a non-sealed blob is an encoding error."""
    master, _ = MasterKey.generate()
    sealed = bytearray(master.seal(PrivateKeySigner.generate(KeyType.ED25519, "k")))
    sealed[-1] ^= 1
    with pytest.raises(WrongMasterKey):
        master.unseal(bytes(sealed), "k")
    with pytest.raises(InvalidKeyEncoding):
        master.unseal(b"-----BEGIN PRIVATE KEY-----", "k")


@pytest.mark.parametrize(
    "text", ["short", "!" * 43, "A" * 44], ids=["short", "not-b64", "33-bytes"]
)
def test_malformed_master_keys_are_refused(text: str) -> None:
    """Master keys must be 32 bytes of base64url text."""
    with pytest.raises(InvalidMasterKey):
        MasterKey.from_text(text)


def test_master_key_text_round_trips_and_hides() -> None:
    """The text form parses back to a working key, and repr never shows it."""
    master, text = MasterKey.generate()
    again = MasterKey.from_text(text)
    sealed = master.seal(PrivateKeySigner.generate(KeyType.ED25519, "k"))
    again.unseal(sealed, "k")
    assert text not in repr(again)


def test_dev_master_key_file_is_private(tmp_path: Path) -> None:
    """The development master key is created once, with mode 0600, and reused."""
    path = tmp_path / "instance" / "master.key"
    first = load_or_create_master_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    sealed = first.seal(PrivateKeySigner.generate(KeyType.ED25519, "k"))
    load_or_create_master_key(path).unseal(sealed, "k")


@pytest.mark.parametrize("store_kind", ["memory", "file"])
def test_key_stores_keep_sealed_blobs(store_kind: str, tmp_path: Path) -> None:
    """Both stores return what was put and raise KeyNotFound for unknown ids."""
    store = MemoryKeyStore() if store_kind == "memory" else FileKeyStore(tmp_path / "keys")
    store.put("did:web:x#key-1", b"sealed")
    assert "did:web:x#key-1" in store
    assert store.get("did:web:x#key-1") == b"sealed"
    assert "other" not in store
    with pytest.raises(KeyNotFound):
        store.get("other")


def test_rotation_retires_but_keeps_old_keys_verifying() -> None:
    """After rotation the new key is active and the old one still verifies old signatures."""
    old = PrivateKeySigner.generate(KeyType.ED25519, "key-1")
    new = PrivateKeySigner.generate(KeyType.ED25519, "key-2")
    rsa = PrivateKeySigner.generate(KeyType.RSA, "key-3")
    ring = KeyRing().add(old.public_key, now=T0).add(rsa.public_key, now=T0)
    signature = old.sign(b"badge")
    ring = ring.add(new.public_key, now=T0)
    assert ring.active(KeyType.ED25519).key_id == "key-2"
    assert ring.active(KeyType.RSA).key_id == "key-3"
    assert ring.get("key-1").state is KeyState.RETIRED
    ring.verification_key("key-1").verify(signature, b"badge")
    assert [e.key_id for e in ring.published()] == ["key-1", "key-3", "key-2"]


def test_revoked_key_stops_verifying() -> None:
    """A key marked compromised is unpublished and refuses to verify."""
    key = PrivateKeySigner.generate(KeyType.ED25519, "key-1")
    ring = KeyRing().add(key.public_key, now=T0).revoke("key-1", now=T0)
    assert ring.published() == ()
    with pytest.raises(KeyRevoked) as info:
        ring.verification_key("key-1")
    assert info.value.code == "key-revoked"
    with pytest.raises(KeyNotFound):
        ring.active(KeyType.ED25519)
    with pytest.raises(KeyNotFound):
        ring.revoke("key-9", now=T0)


def test_duplicate_key_ids_are_refused() -> None:
    """A ring never holds two keys under one id."""
    key = PrivateKeySigner.generate(KeyType.ED25519, "key-1")
    ring = KeyRing().add(key.public_key, now=T0)
    with pytest.raises(ValueError, match="already"):
        ring.add(key.public_key, now=T0)


@pytest.mark.parametrize(
    ("base", "path", "did", "url"),
    [
        (
            "https://badges.example.kr",
            ("issuers", "hanbit"),
            "did:web:badges.example.kr:issuers:hanbit",
            "https://badges.example.kr/issuers/hanbit/did.json",
        ),
        (
            "http://127.0.0.1:5000/",
            ("issuers", "a b"),
            "did:web:127.0.0.1%3A5000:issuers:a%20b",
            "https://127.0.0.1:5000/issuers/a%20b/did.json",
        ),
        (
            "https://example.com",
            (),
            "did:web:example.com",
            "https://example.com/.well-known/did.json",
        ),
    ],
    ids=["path", "port", "bare-host"],
)
def test_did_web_maps_to_and_from_urls(
    base: str, path: tuple[str, ...], did: str, url: str
) -> None:
    """did:web DIDs follow the did:web method's host, port and path mapping."""
    assert did_web_from_url(base, *path) == did
    assert did_web_to_url(did + "#key-1") == url


@pytest.mark.parametrize(
    "did",
    ["did:key:z6Mk", "did:web:", "did:web:host:..:x", "did:web:a%2Fb"],
    ids=["other-method", "no-host", "dot-dot", "slash-host"],
)
def test_bad_did_web_values_are_refused(did: str) -> None:
    """Malformed did:web values raise InvalidDid."""
    with pytest.raises(InvalidDid):
        did_web_to_url(did)


def test_did_document_lists_keys_under_assertion_method() -> None:
    """The DID document publishes Multikey and JsonWebKey methods controlled by the DID."""
    did = "did:web:badges.example.kr:issuers:hanbit"
    ed = PrivateKeySigner.generate(KeyType.ED25519, f"{did}#key-1")
    rsa = PrivateKeySigner.generate(KeyType.RSA, f"{did}#key-2")
    document = build_did_document(did, [ed.public_key, rsa.public_key])
    methods = {m["id"]: m for m in document["verificationMethod"]}
    assert set(methods) == {f"{did}#key-1", f"{did}#key-1-jwk", f"{did}#key-2"}
    assert methods[f"{did}#key-1"]["type"] == "Multikey"
    assert methods[f"{did}#key-1"]["publicKeyMultibase"] == ed.public_key.to_multikey()
    assert methods[f"{did}#key-2"]["publicKeyJwk"]["kty"] == "RSA"
    assert all(m["controller"] == did for m in methods.values())
    assert document["assertionMethod"] == list(methods)
    assert all("d" not in m.get("publicKeyJwk", {}) for m in methods.values())
