"""Errors raised by the key package.

Every leaf carries a stable kebab-case ``code`` that API responses and CLI output use;
messages may change, codes may not::

    KeyManagementError
    ├── UnsupportedKeyType            (also ValueError)   unsupported-key-type
    ├── InvalidKeyEncoding            (also ValueError)   invalid-key-encoding
    ├── InvalidSignature                                  invalid-signature
    ├── WrongMasterKey                                    wrong-master-key
    ├── InvalidMasterKey              (also ValueError)   invalid-master-key
    ├── KeyNotFound                   (also LookupError)  key-not-found
    ├── KeyRevoked                                        key-revoked
    └── InvalidDid                    (also ValueError)   invalid-did
"""

from __future__ import annotations


class KeyManagementError(Exception):
    """Root of every error raised by :mod:`keys`."""

    code = "key-error"


class UnsupportedKeyType(KeyManagementError, ValueError):
    """The key type, curve, size or algorithm is not one we support."""

    code = "unsupported-key-type"


class InvalidKeyEncoding(KeyManagementError, ValueError):
    """A JWK, Multikey, multibase or did:key value could not be decoded."""

    code = "invalid-key-encoding"


class InvalidSignature(KeyManagementError):
    """The signature does not match the data and the public key."""

    code = "invalid-signature"


class WrongMasterKey(KeyManagementError):
    """A sealed private key could not be opened: wrong master key, key id or tampered blob."""

    code = "wrong-master-key"


class InvalidMasterKey(KeyManagementError, ValueError):
    """The master key is not 32 bytes of base64url text."""

    code = "invalid-master-key"


class KeyNotFound(KeyManagementError, LookupError):
    """No key with the requested id is known."""

    code = "key-not-found"


class KeyRevoked(KeyManagementError):
    """The key was marked compromised; nothing it signed may be trusted."""

    code = "key-revoked"


class InvalidDid(KeyManagementError, ValueError):
    """A DID or DID URL is malformed or uses a method we cannot map."""

    code = "invalid-did"
