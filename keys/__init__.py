"""Key material for Baeji: generate, seal at rest, rotate, encode.

Imports only the standard library and ``cryptography``.
"""

from __future__ import annotations

from keys.did import (
    build_did_document,
    did_web_from_url,
    did_web_to_url,
    jwk_method_id,
    verification_method_id,
)
from keys.encoding import (
    b58decode,
    b58encode,
    b64url_decode,
    b64url_encode,
    did_key_from_public_key,
    jwk_thumbprint,
    jwk_to_public_key,
    multibase_decode,
    multibase_encode,
    multikey_to_public_key,
    public_key_from_did_key,
    public_key_to_jwk,
    public_key_to_multikey,
)
from keys.errors import (
    InvalidDid,
    InvalidKeyEncoding,
    InvalidMasterKey,
    InvalidSignature,
    KeyManagementError,
    KeyNotFound,
    KeyRevoked,
    UnsupportedKeyType,
    WrongMasterKey,
)
from keys.ring import KeyEntry, KeyRing, KeyState
from keys.signer import KeyType, PrivateKeySigner, PublicKey, Signer, VerificationKey
from keys.store import (
    FileKeyStore,
    KeyStore,
    MasterKey,
    MemoryKeyStore,
    load_or_create_master_key,
)

__all__ = [
    "FileKeyStore",
    "InvalidDid",
    "InvalidKeyEncoding",
    "InvalidMasterKey",
    "InvalidSignature",
    "KeyEntry",
    "KeyManagementError",
    "KeyNotFound",
    "KeyRevoked",
    "KeyRing",
    "KeyState",
    "KeyStore",
    "KeyType",
    "MasterKey",
    "MemoryKeyStore",
    "PrivateKeySigner",
    "PublicKey",
    "Signer",
    "UnsupportedKeyType",
    "VerificationKey",
    "WrongMasterKey",
    "b58decode",
    "b58encode",
    "b64url_decode",
    "b64url_encode",
    "build_did_document",
    "did_key_from_public_key",
    "did_web_from_url",
    "did_web_to_url",
    "jwk_method_id",
    "jwk_thumbprint",
    "jwk_to_public_key",
    "load_or_create_master_key",
    "multibase_decode",
    "multibase_encode",
    "multikey_to_public_key",
    "public_key_from_did_key",
    "public_key_to_jwk",
    "public_key_to_multikey",
    "verification_method_id",
]
