"""Tables of the provider console: staff accounts, their sessions, one-time links.

Nothing secret is stored in the clear: passwords as argon2id hashes, session cookies and
set-password links as SHA-256 digests of random tokens, TOTP secrets sealed under the
master key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from issuer.models import UTCDateTime

ROLES = ("viewer", "issuer", "owner")
# A platform operator: a staff account of the platform's own identity (slug ``_platform``),
# signing in at /operator/ only; it holds none of the provider roles above.
OPERATOR_ROLE = "operator"


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class StaffUser(SQLModel, table=True):
    """A person who works for one provider, in one role (``viewer``, ``issuer``, ``owner``),
    or a platform operator (role ``operator`` on the platform's own issuer row).

    ``email`` is the staff member's sign-in name (kept in the clear, lower-cased: staff are
    the provider's employees, not learners). ``password_hash`` is ``None`` until the
    one-time link was used.
    """

    __tablename__ = "staff_user"
    __table_args__ = (UniqueConstraint("issuer_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    email: str = Field(max_length=254, index=True)
    role: str = Field(max_length=16)
    password_hash: str | None = Field(default=None, max_length=200)
    totp_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary(), nullable=True))
    # The last TOTP time step accepted, so one code signs in once.
    totp_last_step: int | None = None
    created_at: datetime = _when()
    disabled_at: datetime | None = _when(nullable=True)

    @property
    def pk(self) -> int:
        """The primary key of a saved staff user."""
        if self.id is None:
            raise RuntimeError("the staff user has not been saved yet")
        return self.id


class StaffSession(SQLModel, table=True):
    """A signed-in browser: the cookie's token is stored as its SHA-256 digest."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _when()
    last_seen_at: datetime = _when()
    expires_at: datetime = _when()
    revoked_at: datetime | None = _when(nullable=True)
    user_agent: str | None = Field(default=None, max_length=200)


class StaffToken(SQLModel, table=True):
    """A one-time link to set a password (a new account, an invitation or a reset)."""

    __tablename__ = "staff_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=16)
    created_at: datetime = _when()
    expires_at: datetime = _when()
    used_at: datetime | None = _when(nullable=True)
