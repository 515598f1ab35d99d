"""Learners: one per person across all issuers, found by an HMAC of their email.

A learner's ``credentialSubject.id`` (``urn:uuid:...``) is the same in every badge, so
their history accumulates. The database holds HMAC-SHA256(pepper, normalized email), never
the address; the pepper is a server secret (``BAEJI_EMAIL_PEPPER``, or derived from the
master key). Wallet links are random tokens stored as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from badges import normalize_email
from issuer.accounts import token_digest
from issuer.config import Settings
from issuer.db import write_transaction
from issuer.errors import NotFound
from issuer.models import Credential, Learner, WalletToken, parse_id


def email_key(settings: Settings, email: str) -> str:
    """Return the lookup key of a learner: HMAC-SHA256(pepper, normalized email), hex."""
    message = normalize_email(email).encode()
    return hmac.new(settings.email_pepper, message, hashlib.sha256).hexdigest()


def ensure_learners(
    session: Session, settings: Settings, emails: Sequence[str], *, now: datetime
) -> dict[str, Learner]:
    """Return the learners of ``emails`` (keyed by :func:`email_key`), creating missing ones.

    Commits on its own: a learner row is an identity, not an award, so it may outlive a
    batch that fails later. Concurrent creation is settled by the unique email key.
    """
    wanted = {email_key(settings, e) for e in emails}
    found = _learners_by_key(session, wanted)
    missing = wanted - found.keys()
    if missing:
        with write_transaction(session):
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            values = [
                {"id": str(uuid.uuid4()), "email_hmac": key, "created_at": now}
                for key in sorted(missing)
            ]
            for start in range(0, len(values), 500):
                session.execute(
                    insert(Learner).values(values[start : start + 500]).on_conflict_do_nothing()
                )
        found = _learners_by_key(session, wanted)
    return found


def _learners_by_key(session: Session, keys: set[str]) -> dict[str, Learner]:
    ordered = sorted(keys)
    found: dict[str, Learner] = {}
    for start in range(0, len(ordered), 500):
        rows = session.exec(
            select(Learner).where(col(Learner.email_hmac).in_(ordered[start : start + 500]))
        ).all()
        found.update((row.email_hmac, row) for row in rows)
    return found


def find_learner(session: Session, settings: Settings, ref: str) -> Learner | None:
    """Find a learner by uuid, ``urn:uuid:...`` or email address."""
    if "@" in ref:
        return session.exec(
            select(Learner).where(Learner.email_hmac == email_key(settings, ref))
        ).first()
    learner_id = parse_id(ref, "")
    return session.get(Learner, learner_id) if learner_id else None


def new_wallet_url(session: Session, settings: Settings, learner_id: str, now: datetime) -> str:
    """Add a new wallet token for a learner (in the caller's transaction); return its URL.

    The token is shown only in this URL; the database keeps its SHA-256 digest.
    """
    token = secrets.token_urlsafe(32)
    session.add(WalletToken(learner_id=learner_id, token_hash=token_digest(token), created_at=now))
    return settings.url("wallet", token)


def wallet(session: Session, token: str) -> tuple[Learner, list[Credential]]:
    """Return the learner a wallet token opens and all their credentials, from every issuer.

    Raises:
        NotFound: the token is unknown.
    """
    row = session.exec(
        select(WalletToken).where(WalletToken.token_hash == token_digest(token))
    ).first()
    learner = session.get(Learner, row.learner_id) if row is not None else None
    if learner is None:
        raise NotFound("this wallet link is not valid")
    return learner, credentials_of(session, learner)


def credentials_of(session: Session, learner: Learner) -> list[Credential]:
    """Return all of a learner's credentials, from every issuer, newest first.

    Newest by ``validFrom`` (when the badge says it was earned), then by issuing time: a
    provider may issue a past course's badges late, and they belong where they happened.
    """
    return list(
        session.exec(
            select(Credential)
            .where(Credential.learner_id == learner.id)
            .order_by(
                col(Credential.valid_from).desc(),
                col(Credential.issued_at).desc(),
                col(Credential.id),
            )
        ).all()
    )
