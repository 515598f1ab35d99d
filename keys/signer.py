"""Signers and public keys: Ed25519, RSA (>= 2048 bits) and P-256.

``Signer`` and ``PublicKey`` are the seams the rest of Baeji signs and verifies through;
private key objects never leave this package except sealed (see :mod:`keys.store`).
Signatures use the JOSE wire format of each algorithm (RFC 7518): Ed25519 and RSA
PKCS#1 v1.5 signatures as-is, ECDSA P-256 as the 64-byte ``r || s`` concatenation.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from keys.encoding import (
    MIN_RSA_BITS,
    PublicKeyObject,
    jwk_to_public_key,
    public_key_to_jwk,
    public_key_to_multikey,
)
from keys.errors import InvalidKeyEncoding, InvalidSignature, UnsupportedKeyType

PrivateKeyObject = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class KeyType(enum.StrEnum):
    """Key types Baeji issues with; the value is what we store and show."""

    ED25519 = "Ed25519"
    RSA = "RSA"
    P256 = "P-256"

    @property
    def jws_algorithm(self) -> str:
        """The JWS ``alg`` this key type signs with (RFC 7518 / RFC 8037)."""
        return _ALGORITHMS[self]


_ALGORITHMS = {KeyType.ED25519: "EdDSA", KeyType.RSA: "RS256", KeyType.P256: "ES256"}


@runtime_checkable
class PublicKey(Protocol):
    """A public key that checks signatures; ``verify`` raises, it never returns False."""

    @property
    def key_id(self) -> str: ...

    @property
    def key_type(self) -> KeyType: ...

    @property
    def algorithm(self) -> str: ...

    def verify(self, signature: bytes, data: bytes) -> None: ...

    def to_jwk(self) -> dict[str, str]: ...


@runtime_checkable
class Signer(Protocol):
    """Something that signs bytes with one private key, identified by ``key_id``."""

    @property
    def key_id(self) -> str: ...

    @property
    def key_type(self) -> KeyType: ...

    @property
    def algorithm(self) -> str: ...

    @property
    def public_key(self) -> PublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


def key_type_of(key: PublicKeyObject | PrivateKeyObject) -> KeyType:
    """Classify a cryptography key object.

    Raises:
        UnsupportedKeyType: a curve other than Ed25519/P-256, or RSA under 2048 bits.
    """
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return KeyType.ED25519
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise UnsupportedKeyType(f"RSA keys must have at least {MIN_RSA_BITS} bits")
        return KeyType.RSA
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return KeyType.P256
    raise UnsupportedKeyType(f"unsupported key type {type(key).__name__}")


@dataclass(frozen=True)
class VerificationKey:
    """A public key with its id; the concrete :class:`PublicKey`."""

    key: PublicKeyObject
    key_id: str = ""
    key_type: KeyType = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_type", key_type_of(self.key))

    @property
    def algorithm(self) -> str:
        """The only JWS ``alg`` this key may verify."""
        return self.key_type.jws_algorithm

    @classmethod
    def from_jwk(cls, jwk: dict[str, str], key_id: str | None = None) -> VerificationKey:
        """Build a verification key from a public JWK."""
        return cls(jwk_to_public_key(jwk), key_id if key_id is not None else jwk.get("kid", ""))

    def verify(self, signature: bytes, data: bytes) -> None:
        """Check ``signature`` over ``data``.

        Raises:
            InvalidSignature: the signature does not verify under this key.
        """
        try:
            if isinstance(self.key, ed25519.Ed25519PublicKey):
                self.key.verify(signature, data)
            elif isinstance(self.key, rsa.RSAPublicKey):
                self.key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            else:
                if len(signature) != 64:
                    raise InvalidSignature("an ES256 signature is 64 bytes (r || s)")
                der = encode_dss_signature(
                    int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                )
                self.key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        except _CryptoInvalidSignature as err:
            raise InvalidSignature("signature does not match the key") from err

    def to_jwk(self) -> dict[str, str]:
        """Return the public JWK with ``kid`` (when known) and ``alg``."""
        jwk = public_key_to_jwk(self.key)
        if self.key_id:
            jwk["kid"] = self.key_id
        jwk["alg"] = self.algorithm
        return jwk

    def to_multikey(self) -> str:
        """Return ``publicKeyMultibase`` (Ed25519 and P-256 only)."""
        return public_key_to_multikey(self.key)

    def public_bytes(self) -> bytes:
        """Return the SubjectPublicKeyInfo DER encoding (for comparisons and storage)."""
        return self.key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class PrivateKeySigner:
    """A :class:`Signer` backed by an in-process private key."""

    __slots__ = ("_key", "_key_id", "_key_type", "_public")

    def __init__(self, key: PrivateKeyObject, key_id: str) -> None:
        self._key = key
        self._key_id = key_id
        self._key_type = key_type_of(key)
        self._public = VerificationKey(key.public_key(), key_id)

    def __repr__(self) -> str:
        # Never show key material, even in a debugger or a log line.
        return f"PrivateKeySigner(key_id={self._key_id!r}, key_type={self._key_type.value!r})"

    @classmethod
    def generate(
        cls, key_type: KeyType | str, key_id: str, *, rsa_bits: int = 2048
    ) -> PrivateKeySigner:
        """Generate a new key of ``key_type``.

        Raises:
            UnsupportedKeyType: unknown type, or ``rsa_bits`` under 2048.
        """
        try:
            kind = KeyType(key_type)
        except ValueError:
            raise UnsupportedKeyType(f"unsupported key type {key_type!r}") from None
        key: PrivateKeyObject
        if kind is KeyType.ED25519:
            key = ed25519.Ed25519PrivateKey.generate()
        elif kind is KeyType.RSA:
            if rsa_bits < MIN_RSA_BITS:
                raise UnsupportedKeyType(f"RSA keys must have at least {MIN_RSA_BITS} bits")
            key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
        else:
            key = ec.generate_private_key(ec.SECP256R1())
        return cls(key, key_id)

    @classmethod
    def from_ed25519_seed(cls, seed: bytes, key_id: str) -> PrivateKeySigner:
        """Build an Ed25519 signer from its 32-byte RFC 8032 seed."""
        if len(seed) != 32:
            raise InvalidKeyEncoding("an Ed25519 seed is exactly 32 bytes")
        return cls(ed25519.Ed25519PrivateKey.from_private_bytes(seed), key_id)

    @classmethod
    def from_pkcs8(
        cls, der: bytes, key_id: str, *, authenticated: bool = False
    ) -> PrivateKeySigner:
        """Load an unencrypted PKCS#8 DER private key.

        Args:
            authenticated: the bytes come from a blob whose integrity was just proven (an
                AES-GCM tag over a key we generated), so the costly RSA consistency check
                (about 15 ms per key) can be skipped. Never set it for outside input.

        Raises:
            InvalidKeyEncoding: the bytes are not a PKCS#8 private key.
            UnsupportedKeyType: the key is of a type we do not sign with.
        """
        try:
            key = serialization.load_der_private_key(
                der, password=None, unsafe_skip_rsa_key_validation=authenticated
            )
        except (ValueError, TypeError) as err:
            raise InvalidKeyEncoding("not a PKCS#8 private key") from err
        if not isinstance(
            key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        ):
            raise UnsupportedKeyType(f"unsupported private key {type(key).__name__}")
        return cls(key, key_id)

    def to_pkcs8(self) -> bytes:
        """Export the private key as unencrypted PKCS#8 DER, for sealing only."""
        return self._key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def key_type(self) -> KeyType:
        return self._key_type

    @property
    def algorithm(self) -> str:
        return self._key_type.jws_algorithm

    @property
    def public_key(self) -> VerificationKey:
        return self._public

    def with_key_id(self, key_id: str) -> PrivateKeySigner:
        """Return the same key under another id (e.g. a DID URL)."""
        return PrivateKeySigner(self._key, key_id)

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` in the JOSE wire format of this key's algorithm."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(data)
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
