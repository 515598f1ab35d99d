"""Share pages: what a learner chooses to make public, and nothing else.

Nothing about a learner is listed or findable anywhere until they publish a share from
their wallet: their whole history (which then follows the history as it grows) or chosen
credentials. A share's address is a random 128-bit token; taking a share down keeps its
row so the address answers 410 Gone, not 404, and is never handed out again.

A wallet link scoped to one provider (see :mod:`issuer.learners.service`) manages only shares of
that provider's badges: it cannot share the whole history, and it neither lists nor
takes down shares that show anything else.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence

from sqlmodel import Session, col, select

from issuer.config import Settings
from issuer.db import Work
from issuer.errors import Gone, NotFound, ScopedWallet, ValidationFailed
from issuer.learners import service as learners
from issuer.learners.service import Wallet
from issuer.models import Credential, Learner, ShareLink


def share_url(settings: Settings, share_id: str) -> str:
    """Return the public URL of a share page."""
    return settings.url("shares", share_id)


def create_share(work: Work, wallet: Wallet, credential_ids: Sequence[str] | None) -> ShareLink:
    """Publish a share of the learner's whole history (``None``) or of chosen credentials
    (the learner acts in ``work``).

    Raises:
        ScopedWallet: the whole history, asked through a link scoped to one provider.
        ValidationFailed: no credential chosen, one the wallet does not show, or one that
            is revoked or suspended.
    """
    learner = wallet.learner
    chosen: list[str] | None = None
    if credential_ids is None and not wallet.full:
        raise ScopedWallet(
            "this wallet link shows one provider's badges; choose badges to share, or open "
            "a link to your whole wallet to share your whole history"
        )
    if credential_ids is not None:
        own = {c.id for c in wallet.credentials}
        withdrawn = {
            c.id
            for c in wallet.credentials
            if c.revoked_at is not None or c.suspended_at is not None
        }
        chosen = list(dict.fromkeys(credential_ids))
        if not chosen or not set(chosen) <= own:
            raise ValidationFailed(
                "credentials: choose one or more of your own badges",
                errors=[{"field": "credential", "message": "choose your own badges"}],
            )
        if set(chosen) & withdrawn:
            # A revoked or suspended badge is not offered for sharing (see the wallet page).
            raise ValidationFailed(
                "credentials: a revoked or suspended badge cannot be shared",
                errors=[{"field": "credential", "message": "revoked or suspended"}],
            )
    row = ShareLink(
        id=secrets.token_urlsafe(16),
        learner_id=learner.id,
        credential_ids=json.dumps(chosen) if chosen is not None else None,
        created_at=work.now,
    )
    with work.write():
        work.session.add(row)
        work.audit("share.create", share_url(work.settings, row.id), credentials=chosen)
    return row


def _shows(wallet: Wallet, row: ShareLink) -> bool:
    """Whether ``wallet`` may see and manage the share ``row`` (only its own badges)."""
    if row.learner_id != wallet.learner.id:
        return False
    if wallet.full:
        return True
    ids = chosen_ids(row)
    return ids is not None and set(ids) <= {c.id for c in wallet.credentials}


def learner_shares(session: Session, wallet: Wallet) -> list[ShareLink]:
    """Return the published shares the wallet may see, newest first."""
    rows = session.exec(
        select(ShareLink)
        .where(ShareLink.learner_id == wallet.learner.id, col(ShareLink.removed_at).is_(None))
        .order_by(col(ShareLink.created_at).desc(), col(ShareLink.id))
    ).all()
    return [row for row in rows if _shows(wallet, row)]


def take_down(work: Work, wallet: Wallet, share_id: str) -> ShareLink:
    """Take a share of the learner down (the learner acts in ``work``); its address answers
    410 from now on.

    Raises:
        NotFound: the wallet shows no such share.
    """
    session = work.session
    with work.write():
        row = session.get(ShareLink, share_id)
        if row is None or not _shows(wallet, row):
            raise NotFound("no such share")
        if row.removed_at is None:
            row.removed_at = work.now
            session.add(row)
            work.audit("share.remove", share_url(work.settings, row.id))
    return row


def public_share(session: Session, share_id: str) -> tuple[ShareLink, Learner]:
    """Return a published share and its learner.

    Raises:
        NotFound: no such share.
        Gone: the learner took it down.
    """
    row = session.get(ShareLink, share_id) if len(share_id) <= 64 else None
    learner = session.get(Learner, row.learner_id) if row is not None else None
    if row is None or learner is None:
        raise NotFound("no such share")
    if row.removed_at is not None:
        raise Gone("the learner has taken this page down")
    return row, learner


def chosen_ids(row: ShareLink) -> list[str] | None:
    """The credential uuids a share shows, or ``None`` for the whole history."""
    if row.credential_ids is None:
        return None
    ids: list[str] = json.loads(row.credential_ids)
    return ids


def shared_credentials(session: Session, row: ShareLink, learner: Learner) -> list[Credential]:
    """Return the credentials a share covers, newest first (revoked ones included)."""
    credentials = learners.credentials_of(session, learner)
    ids = chosen_ids(row)
    if ids is None:
        return credentials
    wanted = set(ids)
    return [c for c in credentials if c.id in wanted]
