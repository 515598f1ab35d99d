"""Database tables.

Credentials are stored exactly as issued (``document`` is the signed JSON text, ``jwt`` the
compact JWS) and are never rebuilt from the other columns. Secrets are stored only as
digests (API keys, wallet tokens) or sealed under the master key (private keys); learners
are found by an HMAC of their email, never by the address itself.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every back end (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


def _text(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(Text(), nullable=nullable))


# uuid4 text ids for things that appear in public URLs.
_ID_LENGTH = 36


def parse_id(ref: str, url_prefix: str = "") -> str | None:
    """Return the canonical uuid text named by ``ref``, or ``None``.

    ``ref`` may be the uuid itself, ``urn:uuid:<uuid>``, or a public URL starting with
    ``url_prefix`` (e.g. ``https://host/credentials/``).
    """
    text = ref.removeprefix(url_prefix).removeprefix("urn:uuid:")
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


class Issuer(SQLModel, table=True):
    """A training provider, with its did:web identity.

    The platform's own identity, which signs learner records (CLR 2.0), is the row whose
    slug is ``_platform`` (see :mod:`issuer.issuers.platform`): no slug the API accepts starts
    with an underscore, so no provider can take it.
    """

    __tablename__ = "issuer"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=2048)
    email: str | None = Field(default=None, max_length=254)
    description: str | None = Field(default=None, max_length=2000)
    did: str = Field(max_length=300, unique=True)
    created_at: datetime = _when()
    # The provider's logo (PNG, JPEG or SVG bytes), served at /issuers/{slug}/logo.
    logo: bytes | None = Field(default=None, sa_column=Column(LargeBinary(), nullable=True))
    logo_type: str | None = Field(default=None, max_length=32)
    # Off by default: a badge then carries one credentialStatus object (revocation), as the
    # OB 3.0 JSON Schema requires; on adds a suspension entry (an array, our one deviation).
    suspension: bool = False
    # The platform's standing of the provider (the operator console sets it): ``active``;
    # ``suspended`` (API keys and console refused, no issuing; public pages and badges
    # still verify); ``removed`` (as suspended, and left out of public listings).
    state: str = Field(
        default="active", max_length=16, sa_column_kwargs={"server_default": "active"}
    )
    state_reason: str | None = Field(default=None, max_length=500)
    state_changed_at: datetime | None = _when(nullable=True)

    @property
    def pk(self) -> int:
        """The primary key of a saved issuer."""
        if self.id is None:
            raise RuntimeError("the issuer has not been saved yet")
        return self.id


class ApiKey(SQLModel, table=True):
    """An API key of one issuer; the secret is stored as a SHA-256 digest only."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    prefix: str = Field(max_length=16, unique=True)
    secret_hash: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=100)
    created_at: datetime = _when()
    revoked_at: datetime | None = _when(nullable=True)


class SigningKey(SQLModel, table=True):
    """One issuer key: public JWK in the clear, private key sealed under the master key."""

    __tablename__ = "signing_key"
    __table_args__ = (UniqueConstraint("issuer_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    number: int
    key_id: str = Field(max_length=400, unique=True)
    key_type: str = Field(max_length=16)
    state: str = Field(max_length=16)
    public_jwk: str = _text()
    sealed: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    created_at: datetime = _when()
    retired_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)


class Achievement(SQLModel, table=True):
    """A course an issuer awards; ``document`` holds its OB 3.0 fields as JSON."""

    __tablename__ = "achievement"

    id: str = Field(primary_key=True, max_length=_ID_LENGTH)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    name: str = Field(max_length=200)
    document: str = _text()
    created_at: datetime = _when()
    updated_at: datetime = _when()
    # The provider's own artwork, fetched or decoded once from the achievement's ``image``.
    image: bytes | None = Field(default=None, sa_column=Column(LargeBinary(), nullable=True))
    image_type: str | None = Field(default=None, max_length=32)
    # Archived: no new badges, left out of listings; issued badges still resolve.
    archived_at: datetime | None = _when(nullable=True)


class Learner(SQLModel, table=True):
    """A person, across all issuers; ``credentialSubject.id`` is ``urn:uuid:{id}``."""

    __tablename__ = "learner"

    id: str = Field(primary_key=True, max_length=_ID_LENGTH)
    email_hmac: str = Field(max_length=64, unique=True)
    created_at: datetime = _when()

    @property
    def subject_id(self) -> str:
        """The learner's stable ``credentialSubject.id``."""
        return f"urn:uuid:{self.id}"


class WalletToken(SQLModel, table=True):
    """A private link to a learner's wallet; only the token's digest is stored.

    ``issuer_id`` is the link's scope. A link answered to a provider (the API or the
    ``issue`` command) shows only that provider's badges: the provider must never see
    what other providers issued to the same person. ``None`` is a full link (every
    provider's badges and the signed record of the whole history); only the learner gets
    one: by e-mail, from the operator, or by adding two providers' links together.
    """

    __tablename__ = "wallet_token"

    id: int | None = Field(default=None, primary_key=True)
    learner_id: str = Field(foreign_key="learner.id", max_length=_ID_LENGTH, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _when()
    issuer_id: int | None = Field(default=None, foreign_key="issuer.id")


class StatusList(SQLModel, table=True):
    """A Bitstring Status List of one issuer and purpose; ``document`` is the signed list.

    ``used`` counts the credentials holding an index on the list. It is raised in the
    write transaction that stores them (an atomic ``used = used + n``), so the allocator
    reads it instead of counting the list's credentials on every issuance.
    """

    __tablename__ = "status_list"
    __table_args__ = (Index("ix_status_list_open", "issuer_id", "purpose", "full"),)

    id: str = Field(primary_key=True, max_length=_ID_LENGTH)
    issuer_id: int = Field(foreign_key="issuer.id")
    purpose: str = Field(max_length=16)
    size: int
    full: bool = False
    used: int = Field(default=0, sa_column=Column(Integer(), nullable=False, server_default="0"))
    bits: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    document: str = _text()
    etag: str = Field(max_length=80)
    created_at: datetime = _when()
    updated_at: datetime = _when()


class Credential(SQLModel, table=True):
    """An issued credential: the signed JSON and JWT exactly as issued, plus its status.

    The unique constraints on (list, index) are what guarantee that no status index is
    handed out twice, whatever number of workers allocate at once.
    """

    __tablename__ = "credential"
    __table_args__ = (
        UniqueConstraint("revocation_list_id", "revocation_index"),
        UniqueConstraint("suspension_list_id", "suspension_index"),
        Index("ix_credential_learner_issuer", "learner_id", "issuer_id"),
    )

    id: str = Field(primary_key=True, max_length=_ID_LENGTH)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    achievement_id: str = Field(foreign_key="achievement.id", max_length=_ID_LENGTH, index=True)
    learner_id: str = Field(foreign_key="learner.id", max_length=_ID_LENGTH)
    document: str = _text()
    jwt: str = _text()
    jwt_alg: str = Field(max_length=8)
    recipient_name: str | None = Field(default=None, max_length=100)
    issued_at: datetime = _when()
    valid_from: datetime = _when()
    valid_until: datetime | None = _when(nullable=True)
    revocation_list_id: str = Field(foreign_key="status_list.id", max_length=_ID_LENGTH)
    revocation_index: int
    # None when the issuer had suspension off: the badge carries no suspension entry.
    suspension_list_id: str | None = Field(
        default=None, foreign_key="status_list.id", max_length=_ID_LENGTH
    )
    suspension_index: int | None = None
    revoked_at: datetime | None = _when(nullable=True)
    revocation_reason: str | None = Field(default=None, max_length=500)
    suspended_at: datetime | None = _when(nullable=True)
    suspension_reason: str | None = Field(default=None, max_length=500)
    # The provider chose to show the revocation or suspension reason on public pages.
    reason_public: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})

    @property
    def status(self) -> Literal["active", "suspended", "revoked"]:
        """``revoked``, ``suspended`` or ``active``."""
        if self.revoked_at is not None:
            return "revoked"
        return "suspended" if self.suspended_at is not None else "active"


class AchievementLink(SQLModel, table=True):
    """``achievement`` builds on ``builds_on`` (a prerequisite, possibly of another issuer).

    Learner records (CLR 2.0) turn each link into an ``Association`` of type ``precedes``
    from the prerequisite to the later achievement.
    """

    __tablename__ = "achievement_link"

    achievement_id: str = Field(
        foreign_key="achievement.id", primary_key=True, max_length=_ID_LENGTH
    )
    builds_on_id: str = Field(
        foreign_key="achievement.id", primary_key=True, max_length=_ID_LENGTH, index=True
    )


class LearnerRecord(SQLModel, table=True):
    """A signed CLR 2.0 record of a learner's credentials, kept until the history changes.

    ``content_hash`` names what the record holds (the included credential ids, their
    associations and the platform key that signs it); a request whose content hashes the
    same is answered with the stored record, anything else gets a new one.
    """

    __tablename__ = "learner_record"
    __table_args__ = (UniqueConstraint("learner_id", "content_hash"),)

    id: str = Field(primary_key=True, max_length=_ID_LENGTH)
    learner_id: str = Field(foreign_key="learner.id", max_length=_ID_LENGTH, index=True)
    content_hash: str = Field(max_length=64)
    partial: bool = False
    document: str = _text()
    jwt: str = _text()
    created_at: datetime = _when()


class ShareLink(SQLModel, table=True):
    """A public page a learner published: their whole history, or chosen credentials.

    ``credential_ids`` is a JSON list of credential uuids, or ``None`` for the whole
    history (which then follows the history as it grows). A share taken down keeps its
    row, so its address answers 410 Gone rather than 404.
    """

    __tablename__ = "share_link"

    id: str = Field(primary_key=True, max_length=64)
    learner_id: str = Field(foreign_key="learner.id", max_length=_ID_LENGTH, index=True)
    credential_ids: str | None = _text(nullable=True)
    created_at: datetime = _when()
    removed_at: datetime | None = _when(nullable=True)

    @property
    def active(self) -> bool:
        """Whether the share is still published."""
        return self.removed_at is None


class IdempotencyRecord(SQLModel, table=True):
    """An ``Idempotency-Key`` honoured once: the request digest and what it issued."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("issuer_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id")
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    credential_ids: str = _text()
    created_at: datetime = _when()


class AuditEvent(SQLModel, table=True):
    """One line of the append-only audit log (the migration forbids UPDATE and DELETE)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_issuer_time", "issuer_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = _when()
    actor: str = Field(max_length=120)
    action: str = Field(max_length=40)
    issuer_id: int | None = Field(default=None, foreign_key="issuer.id")
    subject: str = Field(max_length=400)
    detail: str | None = _text(nullable=True)


class RegistryCredential(SQLModel, table=True):
    """The issuer registry as signed by the platform (``/registry.vc.json``), one row per
    content: ``digest`` names what was signed (the listed providers and the platform's
    signing key), so a changed list or a rotated key is signed anew, once."""

    __tablename__ = "registry_credential"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True)
    document: str = _text()
    etag: str = Field(max_length=34)
    created_at: datetime = _when()
