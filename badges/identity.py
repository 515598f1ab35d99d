"""Recipient identity hashes (OB 3.0 IdentityHash and IdentityObject).

``identityHash`` = ``"sha256$" + hex(SHA-256(UTF-8(identifier) || UTF-8(salt)))``; ``md5$`` is
read for old credentials and never written.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from badges.errors import InvalidIdentityHash
from badges.model import IdentityObject

_ALGORITHMS = {"sha256": hashlib.sha256, "md5": hashlib.md5}


def normalize_email(email: str) -> str:
    """Normalize an email address the way we hash it: trimmed and lower-cased."""
    return email.strip().lower()


def identity_hash(identifier: str, salt: str | None, *, algorithm: str = "sha256") -> str:
    """Return the IdentityHash of ``identifier`` with ``salt`` (``None`` means unsalted)."""
    try:
        digest = _ALGORITHMS[algorithm]
    except KeyError:
        raise InvalidIdentityHash(f"unsupported identity hash algorithm {algorithm!r}") from None
    data = identifier.encode("utf-8") + (salt or "").encode("utf-8")
    return f"{algorithm}${digest(data).hexdigest()}"


def matches_identity_hash(identifier: str, salt: str | None, expected: str) -> bool:
    """Return whether ``identifier`` (with ``salt``) hashes to ``expected``.

    Hex may be upper or lower case; the comparison is constant-time.

    Raises:
        InvalidIdentityHash: ``expected`` is not ``<alg>$<hex>`` with a known algorithm.
    """
    algorithm, sep, hex_digest = expected.partition("$")
    if not sep or algorithm not in _ALGORITHMS:
        raise InvalidIdentityHash(f"not an IdentityHash: {expected[:20]!r}")
    computed = identity_hash(identifier, salt, algorithm=algorithm)
    return hmac.compare_digest(computed, f"{algorithm}${hex_digest.lower()}")


def email_identity(email: str, *, salt: str | None = None) -> IdentityObject:
    """Return a hashed ``emailAddress`` IdentityObject with a random salt (unless given)."""
    salt = salt if salt is not None else secrets.token_hex(16)
    return IdentityObject(
        hashed=True,
        identity_hash=identity_hash(normalize_email(email), salt),
        identity_type="emailAddress",
        salt=salt,
    )
