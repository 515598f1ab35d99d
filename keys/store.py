"""Private keys at rest: sealing under a master key, and key stores.

A sealed key is ``b"BK1" || nonce(12) || AES-256-GCM(PKCS#8 DER)`` with the key id bound
as associated data, so a sealed blob copied onto another key id does not open.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keys.encoding import b64url_decode, b64url_encode
from keys.errors import InvalidKeyEncoding, InvalidMasterKey, KeyNotFound, WrongMasterKey
from keys.signer import PrivateKeySigner

# The magic prefix versions the wire format; change it (never reuse it) if the layout changes.
_MAGIC = b"BK1"
_NONCE_BYTES = 12
_AAD_PREFIX = b"baeji/sealed-key/v1:"
# Other secrets at rest (an e-mail waiting in the outbox, a webhook signing secret): their
# own format and label space.
_DATA_MAGIC = b"BD1"
_DATA_AAD_PREFIX = b"baeji/sealed-data/v1:"


class MasterKey:
    """The 256-bit key that seals private keys at rest. Its repr never shows the key."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise InvalidMasterKey("the master key must be exactly 32 bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "MasterKey(<hidden>)"

    @classmethod
    def generate(cls) -> tuple[MasterKey, str]:
        """Return a new master key and its text form (to store somewhere safe)."""
        raw = secrets.token_bytes(32)
        return cls(raw), b64url_encode(raw)

    @classmethod
    def from_text(cls, text: str) -> MasterKey:
        """Parse the base64url text form (43 characters).

        Raises:
            InvalidMasterKey: not base64url, or not 32 bytes.
        """
        try:
            raw = b64url_decode(text.strip())
        except InvalidKeyEncoding as err:
            raise InvalidMasterKey("the master key must be base64url text") from err
        return cls(raw)

    def seal(self, signer: PrivateKeySigner) -> bytes:
        """Encrypt a private key, binding its key id as associated data."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        aad = _AAD_PREFIX + signer.key_id.encode()
        return _MAGIC + nonce + self._aead.encrypt(nonce, signer.to_pkcs8(), aad)

    def unseal(self, blob: bytes, key_id: str) -> PrivateKeySigner:
        """Decrypt a sealed private key stored under ``key_id``.

        Raises:
            WrongMasterKey: wrong master key, wrong key id or a tampered blob.
            InvalidKeyEncoding: the blob is not in the sealed-key format.
        """
        if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + _NONCE_BYTES + 16:
            raise InvalidKeyEncoding("not a sealed Baeji key")
        nonce = blob[len(_MAGIC) : len(_MAGIC) + _NONCE_BYTES]
        body = blob[len(_MAGIC) + _NONCE_BYTES :]
        try:
            der = self._aead.decrypt(nonce, body, _AAD_PREFIX + key_id.encode())
        except InvalidTag:
            raise WrongMasterKey(
                f"cannot open key {key_id!r}: wrong master key, or the sealed key was altered"
            ) from None
        # The GCM tag authenticates the key we sealed, so its RSA self-check can be skipped.
        return PrivateKeySigner.from_pkcs8(der, key_id, authenticated=True)

    def seal_data(self, data: bytes, *, label: str) -> bytes:
        """Encrypt other secret bytes (not a key), binding ``label`` as associated data.

        The label names where the blob belongs (a table row's key), so a blob copied into
        another row does not open there.
        """
        nonce = secrets.token_bytes(_NONCE_BYTES)
        aad = _DATA_AAD_PREFIX + label.encode()
        return _DATA_MAGIC + nonce + self._aead.encrypt(nonce, data, aad)

    def unseal_data(self, blob: bytes, *, label: str) -> bytes:
        """Decrypt bytes sealed by :meth:`seal_data` under ``label``.

        Raises:
            WrongMasterKey: wrong master key, wrong label or a tampered blob.
            InvalidKeyEncoding: the blob is not in the sealed-data format.
        """
        if not blob.startswith(_DATA_MAGIC) or len(blob) < len(_DATA_MAGIC) + _NONCE_BYTES + 16:
            raise InvalidKeyEncoding("not sealed Baeji data")
        nonce = blob[len(_DATA_MAGIC) : len(_DATA_MAGIC) + _NONCE_BYTES]
        body = blob[len(_DATA_MAGIC) + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, _DATA_AAD_PREFIX + label.encode())
        except InvalidTag:
            raise WrongMasterKey(
                f"cannot open sealed data {label!r}: wrong master key, or it was altered"
            ) from None


def load_or_create_master_key(path: Path) -> MasterKey:
    """Read the development master key file, creating it with mode 0600 when absent."""
    if path.exists():
        return MasterKey.from_text(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    key, text = MasterKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")
    return key


class KeyStore(Protocol):
    """Where sealed private keys live; implementations never see plaintext keys."""

    def put(self, key_id: str, sealed: bytes) -> None: ...

    def get(self, key_id: str) -> bytes: ...

    def __contains__(self, key_id: object) -> bool: ...


class MemoryKeyStore:
    """A :class:`KeyStore` in a dict: real sealing, no persistence."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def put(self, key_id: str, sealed: bytes) -> None:
        self._blobs[key_id] = sealed

    def get(self, key_id: str) -> bytes:
        try:
            return self._blobs[key_id]
        except KeyError:
            raise KeyNotFound(f"no key {key_id!r}") from None

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._blobs


class FileKeyStore:
    """A :class:`KeyStore` with one mode-0600 file per sealed key under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory

    def _path(self, key_id: str) -> Path:
        return self._dir / (b64url_encode(key_id.encode()) + ".key")

    def put(self, key_id: str, sealed: bytes) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        path = self._path(key_id)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "wb") as handle:
            handle.write(sealed)
        tmp.replace(path)

    def get(self, key_id: str) -> bytes:
        try:
            return self._path(key_id).read_bytes()
        except FileNotFoundError:
            raise KeyNotFound(f"no key {key_id!r}") from None

    def __contains__(self, key_id: object) -> bool:
        return isinstance(key_id, str) and self._path(key_id).exists()
