"""Learners: one per person across all issuers, found by an HMAC of their email.

A learner's ``credentialSubject.id`` (``urn:uuid:...``) is the same in every badge, so
their history accumulates. The database holds HMAC-SHA256(pepper, normalized email), never
the address; the pepper is a server secret (``BAEJI_EMAIL_PEPPER``, or derived from the
master key). Wallet links are random tokens stored as SHA-256 digests.

Learners are matched across providers, but a provider must never see what other
providers issued to the same person. So a wallet link has a scope (:class:`Wallet`): the
link answered to a provider shows that provider's badges only; a full link (every
provider's badges, the signed whole-history record) goes only to the learner: in the
e-mail to their own address, from the operator, or by adding two providers' links
together on a wallet page (:func:`merge_wallets`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from badges import normalize_email
from issuer.config import Settings
from issuer.db import Work, insert_all
from issuer.errors import InvalidWalletLink, NotFound
from issuer.issuers.service import token_digest
from issuer.models import Credential, Issuer, Learner, WalletToken, parse_id

# What secrets.token_urlsafe(32) makes (43 characters), with room for other lengths.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
_MAX_LINK_LENGTH = 2048
_NOT_ANOTHER_LINK = "that is not another wallet link of yours"


def email_key(settings: Settings, email: str) -> str:
    """Return the lookup key of a learner: HMAC-SHA256(pepper, normalized email), hex."""
    message = normalize_email(email).encode()
    return hmac.new(settings.email_pepper, message, hashlib.sha256).hexdigest()


def ensure_learners(work: Work, emails: Sequence[str]) -> dict[str, Learner]:
    """Return the learners of ``emails`` (keyed by :func:`email_key`), creating missing ones.

    Commits on its own: a learner row is an identity, not an award, so it may outlive a
    batch that fails later. Concurrent creation is settled by the unique email key.
    """
    session = work.session
    wanted = {email_key(work.settings, e) for e in emails}
    found = _learners_by_key(session, wanted)
    missing = wanted - found.keys()
    if missing:
        with work.write():
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            values = [
                {"id": str(uuid.uuid4()), "email_hmac": key, "created_at": work.now}
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


def find_learner(work: Work, ref: str) -> Learner | None:
    """Find a learner by uuid, ``urn:uuid:...`` or email address."""
    session = work.session
    if "@" in ref:
        return session.exec(
            select(Learner).where(Learner.email_hmac == email_key(work.settings, ref))
        ).first()
    learner_id = parse_id(ref, "")
    return session.get(Learner, learner_id) if learner_id else None


def new_wallet_token(work: Work, learner_id: str, *, issuer_id: int | None) -> str:
    """Add a new wallet token for a learner (in ``work``'s transaction); return it.

    Args:
        issuer_id: the provider whose badges alone the link shows, or ``None`` for a full
            link. Required: whoever mints a link decides who will hold it.

    The token is shown only here; the database keeps its SHA-256 digest.
    """
    token = secrets.token_urlsafe(32)
    work.session.add(
        WalletToken(
            learner_id=learner_id,
            token_hash=token_digest(token),
            created_at=work.now,
            issuer_id=issuer_id,
        )
    )
    return token


def new_wallet_urls(work: Work, learner_ids: Sequence[str], *, issuer_id: int | None) -> list[str]:
    """Insert one new wallet token per learner id (as :func:`new_wallet_token`, in
    ``work``'s transaction, in one statement); return their URLs in order."""
    tokens = [secrets.token_urlsafe(32) for _ in learner_ids]
    insert_all(
        work.session,
        [
            WalletToken.model_construct(
                learner_id=learner_id,
                token_hash=token_digest(token),
                created_at=work.now,
                issuer_id=issuer_id,
            )
            for learner_id, token in zip(learner_ids, tokens, strict=True)
        ],
    )
    return [work.settings.url("wallet", token) for token in tokens]


def new_wallet_url(work: Work, learner_id: str, *, issuer_id: int | None) -> str:
    """Add a new wallet token (see :func:`new_wallet_token`) and return its URL."""
    return work.settings.url("wallet", new_wallet_token(work, learner_id, issuer_id=issuer_id))


@dataclass(frozen=True)
class Wallet:
    """What one wallet link opens: its learner and the credentials its scope covers.

    ``issuer`` is the provider a scoped link shows (``None``: a full link, every provider).
    ``credentials`` are newest first (see :func:`credentials_of`).
    """

    learner: Learner
    issuer: Issuer | None
    credentials: list[Credential]

    @property
    def full(self) -> bool:
        """Whether the link shows every provider's badges and the whole-history record."""
        return self.issuer is None


def _token_row(session: Session, token: str) -> WalletToken | None:
    return session.exec(
        select(WalletToken).where(WalletToken.token_hash == token_digest(token))
    ).first()


def open_wallet(session: Session, token: str) -> Wallet:
    """Return the wallet a token opens: all of the learner's credentials, or one issuer's.

    Raises:
        NotFound: the token is unknown.
    """
    row = _token_row(session, token)
    learner = session.get(Learner, row.learner_id) if row is not None else None
    if row is None or learner is None:
        raise NotFound("this wallet link is not valid")
    issuer = session.get(Issuer, row.issuer_id) if row.issuer_id is not None else None
    if row.issuer_id is not None and issuer is None:
        # A scope that names no issuer must never widen to the full wallet.
        raise NotFound("this wallet link is not valid")
    credentials = credentials_of(session, learner, issuer_id=row.issuer_id)
    return Wallet(learner, issuer, credentials)


def _token_in(link: str) -> str | None:
    """The token of a pasted wallet link (``https://…/wallet/<token>…``) or a bare token."""
    text = link.strip()
    if len(text) > _MAX_LINK_LENGTH:
        return None
    text = text.rsplit("/wallet/", 1)[-1]
    token = re.split(r"[/?#]", text, maxsplit=1)[0]
    return token if _TOKEN.fullmatch(token) else None


def merge_wallets(work: Work, wallet: Wallet, other_link: str) -> str:
    """Add another wallet link of the same learner to ``wallet`` (the learner acts in
    ``work``); return a new token.

    The new token's scope is the union of the two: the same provider's again if both
    links are that provider's, otherwise the full wallet (two providers' scopes, or any
    full link, cover more than one provider, and a token names one provider or all).

    Raises:
        InvalidWalletLink: ``other_link`` is not a valid link of the same learner (the
            same message either way: the answer never says whether a token exists).
    """
    # Why two links are proof enough: a provider hands the link the API answers only to
    # the learner it issued to, and tokens are 256-bit random, so holding links of two
    # providers for one learner means being that learner (or having been given both
    # links by them). A single provider never holds two providers' links, so it cannot
    # widen its own view. Two providers pooling their links could; that is the price of
    # working without e-mail, and the audit log records every merge.
    session = work.session
    token = _token_in(other_link)
    other = _token_row(session, token) if token is not None else None
    if other is None or other.learner_id != wallet.learner.id:
        raise InvalidWalletLink(_NOT_ANOTHER_LINK)
    own_scope = wallet.issuer.pk if wallet.issuer is not None else None
    scope = own_scope if other.issuer_id == own_scope else None
    with work.write():
        new_token = new_wallet_token(work, wallet.learner.id, issuer_id=scope)
        work.audit("wallet.merge", wallet.learner.subject_id, full=scope is None)
    return new_token


def credentials_of(
    session: Session, learner: Learner, *, issuer_id: int | None = None
) -> list[Credential]:
    """Return a learner's credentials (every issuer's, or ``issuer_id``'s), newest first.

    Newest by ``validFrom`` (when the badge says it was earned), then by issuing time: a
    provider may issue a past course's badges late, and they belong where they happened.
    """
    query = select(Credential).where(Credential.learner_id == learner.id)
    if issuer_id is not None:
        query = query.where(Credential.issuer_id == issuer_id)
    return list(
        session.exec(
            query.order_by(
                col(Credential.valid_from).desc(),
                col(Credential.issued_at).desc(),
                col(Credential.id),
            )
        ).all()
    )
