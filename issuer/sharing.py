"""Share pages: what a learner chooses to make public, and nothing else.

Nothing about a learner is listed or findable anywhere until they publish a share from
their wallet: their whole history (which then follows the history as it grows) or chosen
credentials. A share's address is a random 128-bit token; taking a share down keeps its
row so the address answers 410 Gone, not 404, and is never handed out again.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from issuer import audit, learners
from issuer.config import Settings
from issuer.db import write_transaction
from issuer.errors import Gone, NotFound, ValidationFailed
from issuer.models import Credential, Learner, ShareLink


def share_url(settings: Settings, share_id: str) -> str:
    """Return the public URL of a share page."""
    return settings.url("shares", share_id)


def create_share(
    session: Session,
    settings: Settings,
    learner: Learner,
    credential_ids: Sequence[str] | None,
    *,
    now: datetime,
) -> ShareLink:
    """Publish a share of the learner's whole history (``None``) or of chosen credentials.

    Raises:
        ValidationFailed: no credential chosen, or one that is not the learner's.
    """
    chosen: list[str] | None = None
    if credential_ids is not None:
        own = {c.id for c in learners.credentials_of(session, learner)}
        chosen = list(dict.fromkeys(credential_ids))
        if not chosen or not set(chosen) <= own:
            raise ValidationFailed(
                "credentials: choose one or more of your own badges",
                errors=[{"field": "credential", "message": "choose your own badges"}],
            )
    row = ShareLink(
        id=secrets.token_urlsafe(16),
        learner_id=learner.id,
        credential_ids=json.dumps(chosen) if chosen is not None else None,
        created_at=now,
    )
    with write_transaction(session):
        session.add(row)
        audit.record(
            session,
            actor=f"learner:{learner.id}",
            action="share.create",
            subject=share_url(settings, row.id),
            now=now,
            credentials=chosen,
        )
    return row


def learner_shares(session: Session, learner: Learner) -> list[ShareLink]:
    """Return the learner's published shares, newest first."""
    return list(
        session.exec(
            select(ShareLink)
            .where(ShareLink.learner_id == learner.id, col(ShareLink.removed_at).is_(None))
            .order_by(col(ShareLink.created_at).desc(), col(ShareLink.id))
        ).all()
    )


def take_down(
    session: Session, settings: Settings, learner: Learner, share_id: str, *, now: datetime
) -> ShareLink:
    """Take a share of the learner down; its address answers 410 from now on.

    Raises:
        NotFound: the learner has no such share.
    """
    with write_transaction(session):
        row = session.get(ShareLink, share_id)
        if row is None or row.learner_id != learner.id:
            raise NotFound("no such share")
        if row.removed_at is None:
            row.removed_at = now
            session.add(row)
            audit.record(
                session,
                actor=f"learner:{learner.id}",
                action="share.remove",
                subject=share_url(settings, row.id),
                now=now,
            )
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
