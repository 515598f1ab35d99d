"""Key rings: one active signing key per key type; retired keys still verify old badges.

Rotation retires the active key (it stays published so earlier signatures keep verifying);
revocation marks a key compromised (it is no longer published and nothing it signed
verifies). Rings are immutable: every change returns a new ring.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from keys.errors import KeyNotFound, KeyRevoked
from keys.signer import KeyType, VerificationKey


class KeyState(enum.StrEnum):
    """Life-cycle state of a key."""

    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class KeyEntry:
    """A public key and its life-cycle state."""

    public_key: VerificationKey
    state: KeyState = KeyState.ACTIVE
    created_at: datetime | None = None
    retired_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def key_id(self) -> str:
        return self.public_key.key_id

    @property
    def key_type(self) -> KeyType:
        return self.public_key.key_type


@dataclass(frozen=True)
class KeyRing:
    """An issuer's keys, in the order they were added."""

    entries: tuple[KeyEntry, ...] = ()

    def __iter__(self) -> Iterator[KeyEntry]:
        return iter(self.entries)

    def get(self, key_id: str) -> KeyEntry:
        """Return the entry for ``key_id``.

        Raises:
            KeyNotFound: no such key on this ring.
        """
        for entry in self.entries:
            if entry.key_id == key_id:
                return entry
        raise KeyNotFound(f"no key {key_id!r} on this key ring")

    def active(self, key_type: KeyType) -> KeyEntry:
        """Return the active key of ``key_type``.

        Raises:
            KeyNotFound: there is no active key of that type.
        """
        for entry in reversed(self.entries):
            if entry.key_type is key_type and entry.state is KeyState.ACTIVE:
                return entry
        raise KeyNotFound(f"no active {key_type.value} key")

    def verification_key(self, key_id: str) -> VerificationKey:
        """Return the public key that may verify signatures made by ``key_id``.

        Raises:
            KeyNotFound: unknown key.
            KeyRevoked: the key was marked compromised.
        """
        entry = self.get(key_id)
        if entry.state is KeyState.REVOKED:
            raise KeyRevoked(f"key {key_id!r} was revoked")
        return entry.public_key

    def published(self) -> tuple[KeyEntry, ...]:
        """Keys a verifier may use: active and retired, never revoked."""
        return tuple(e for e in self.entries if e.state is not KeyState.REVOKED)

    def add(self, public_key: VerificationKey, *, now: datetime) -> KeyRing:
        """Add ``public_key`` as the active key of its type, retiring the previous one."""
        if any(e.key_id == public_key.key_id for e in self.entries):
            raise ValueError(f"key id {public_key.key_id!r} is already on this ring")
        entries = tuple(
            replace(e, state=KeyState.RETIRED, retired_at=now)
            if e.key_type is public_key.key_type and e.state is KeyState.ACTIVE
            else e
            for e in self.entries
        )
        return KeyRing((*entries, KeyEntry(public_key, KeyState.ACTIVE, created_at=now)))

    def revoke(self, key_id: str, *, now: datetime) -> KeyRing:
        """Mark ``key_id`` compromised; raises :class:`KeyNotFound` if unknown."""
        self.get(key_id)
        return KeyRing(
            tuple(
                replace(e, state=KeyState.REVOKED, revoked_at=now) if e.key_id == key_id else e
                for e in self.entries
            )
        )

    @classmethod
    def of(cls, entries: Iterable[KeyEntry]) -> KeyRing:
        """Build a ring from stored entries."""
        return cls(tuple(entries))
