"""Issuers and their API keys: registration, key hand-out, authentication.

An API key reads ``baeji_<prefix>_<secret>``. The prefix finds the row; only the SHA-256
of the whole key is stored, and it is compared in constant time. The keys are 256-bit
random values, so a fast hash is enough: a stolen database still opens nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, select

from issuer.db import Work
from issuer.errors import (
    AlreadyExists,
    NotFound,
    ProviderRemoved,
    ProviderSuspended,
    Unauthorized,
)
from issuer.issuers import signing
from issuer.models import ApiKey, Issuer
from issuer.schemas import IssuerCreate
from issuer.status import service as status
from keys import did_web_from_url

# The platform's identity (issuer.issuers.platform); defined here too so accounts need not
# import it.
PLATFORM_SLUG = "_platform"

_KEY_PATTERN = re.compile(r"^baeji_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$")
_PREFIX_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Compared against when the prefix is unknown, so that path takes as long as a mismatch.
_DUMMY_DIGEST = hashlib.sha256(b"baeji/no-such-key").hexdigest()


def token_digest(token: str) -> str:
    """Return the hex SHA-256 of a high-entropy secret (API keys, wallet tokens)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    """An authenticated API caller: the issuer its key belongs to."""

    issuer: Issuer
    key_prefix: str

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"apikey:{self.key_prefix}"


def create_issuer(work: Work, data: IssuerCreate) -> tuple[Issuer, str]:
    """Register an issuer with its did:web DID, Ed25519 and RSA keys, status lists and a key.

    The new issuer acts for the rest of the registration (its keys, lists and API key).

    Returns:
        The issuer and a new API key (shown once; only its digest is stored).

    Raises:
        AlreadyExists: the slug is taken.
    """
    session, settings, now = work.session, work.settings, work.now
    slug = data.slug
    with work.write():
        if session.exec(select(Issuer).where(Issuer.slug == slug)).first() is not None:
            raise AlreadyExists(f"an issuer with slug {slug!r} already exists")
        issuer = Issuer(
            slug=slug,
            name=data.name,
            url=data.url,
            email=data.email,
            description=data.description,
            suspension=data.suspension,
            did=did_web_from_url(settings.base_url, "issuers", slug),
            created_at=now,
        )
        session.add(issuer)
        session.flush()
        acting = work.acting_for(issuer)
        signing.add_initial_keys(acting)
        signers = signing.active_signers(work, issuer.pk)
        for purpose in status.PURPOSES:
            session.add(
                status.new_list(
                    issuer=issuer,
                    purpose=purpose,
                    base_url=settings.base_url,
                    signer=signers.proof,
                    now=now,
                )
            )
        acting.audit("issuer.create", issuer.did, slug=slug)
        token = _add_api_key(acting, name="initial")
    return issuer, token


# The platform's standing of a provider (``Issuer.state``, set by the operator console).
ACTIVE, SUSPENDED, REMOVED = "active", "suspended", "removed"
STATES = (ACTIVE, SUSPENDED, REMOVED)


def require_active(issuer: Issuer) -> None:
    """Refuse to act for a provider the platform suspended or removed.

    Its API keys and console are refused and it cannot issue; its public pages, status
    lists and DID documents keep being served, so its badges keep verifying.

    Raises:
        ProviderSuspended: the provider is suspended.
        ProviderRemoved: the provider was removed.
    """
    if issuer.state == SUSPENDED:
        raise ProviderSuspended(f"the provider {issuer.slug!r} is suspended by the platform")
    if issuer.state == REMOVED:
        raise ProviderRemoved(f"the provider {issuer.slug!r} was removed from the platform")


def publicly_listed() -> ColumnElement[bool]:
    """The condition on :class:`Issuer` rows that public listings of providers use (the
    issuer registry, any directory): providers only, and none the platform removed."""
    return and_(col(Issuer.slug) != PLATFORM_SLUG, col(Issuer.state) != REMOVED)


def issuer_by_slug(session: Session, slug: str, *, include_platform: bool = False) -> Issuer:
    """Return the issuer with ``slug``.

    Args:
        include_platform: also find the platform's own identity (``_platform``), for key
            management; it is never a provider (no API keys, no public profile).

    Raises:
        NotFound: no such issuer.
    """
    issuer = session.exec(select(Issuer).where(Issuer.slug == slug)).first()
    if issuer is None or (slug == PLATFORM_SLUG and not include_platform):
        raise NotFound(f"no issuer {slug!r}")
    return issuer


def set_suspension(work: Work, enabled: bool) -> Issuer:
    """Turn the suspension entry on or off for badges the acting issuer issues from now on.

    Badges already issued keep the entries they were signed with: those with a suspension
    entry can still be suspended after it is turned off.
    """
    issuer = work.tenant
    with work.write():
        issuer.suspension = enabled
        work.session.add(issuer)
        work.audit("issuer.suspension", issuer.did, enabled=enabled)
    return issuer


def create_api_key(work: Work, *, name: str | None) -> str:
    """Create an API key for the acting issuer and return it (shown once)."""
    with work.write():
        return _add_api_key(work, name=name)


def _add_api_key(work: Work, *, name: str | None) -> str:
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(12))
    token = f"baeji_{prefix}_{secrets.token_urlsafe(32)}"
    work.session.add(
        ApiKey(
            issuer_id=work.tenant.pk,
            prefix=prefix,
            secret_hash=token_digest(token),
            name=name,
            created_at=work.now,
        )
    )
    work.audit("apikey.create", prefix)
    return token


def revoke_api_key(work: Work, prefix: str) -> ApiKey:
    """Revoke the acting issuer's key whose prefix is ``prefix`` (a full key is accepted too).

    Raises:
        NotFound: the issuer has no such key.
    """
    session, issuer = work.session, work.tenant
    if match := _KEY_PATTERN.match(prefix):
        prefix = match.group(1)
    with work.write():
        row = session.exec(
            select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.issuer_id == issuer.pk)
        ).first()
        if row is None:
            raise NotFound(f"issuer {issuer.slug!r} has no API key {prefix!r}")
        if row.revoked_at is None:
            row.revoked_at = work.now
            session.add(row)
            work.audit("apikey.revoke", prefix)
    return row


def list_api_keys(session: Session, issuer: Issuer) -> list[ApiKey]:
    """Return the issuer's API keys (prefixes and dates; the secrets are not stored)."""
    return list(session.exec(select(ApiKey).where(ApiKey.issuer_id == issuer.pk)).all())


def authenticate(session: Session, header: str | None) -> Caller:
    """Return the caller of an ``Authorization: Bearer <key>`` header.

    Raises:
        Unauthorized: no bearer key, a malformed, unknown or revoked one.
        ProviderSuspended, ProviderRemoved: a valid key of a provider the platform
            suspended or removed.
    """
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send the API key as 'Authorization: Bearer <key>'")
    match = _KEY_PATTERN.match(token)
    row = (
        session.exec(select(ApiKey).where(ApiKey.prefix == match.group(1))).first()
        if match
        else None
    )
    expected = row.secret_hash if row is not None else _DUMMY_DIGEST
    valid = hmac.compare_digest(token_digest(token), expected)
    if row is None or not valid or row.revoked_at is not None:
        raise Unauthorized("the API key is not valid")
    issuer = session.get(Issuer, row.issuer_id)
    if issuer is None:
        raise Unauthorized("the API key is not valid")
    require_active(issuer)
    return Caller(issuer=issuer, key_prefix=row.prefix)
