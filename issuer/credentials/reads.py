"""Reading issued credentials: by issuer, publicly, per learner, and their API views.

Nothing is rebuilt from rows: the API view carries the stored signed JSON and JWT.
"""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from issuer.achievements import service as catalog
from issuer.config import Settings
from issuer.credentials.service import Issued
from issuer.db import find_by_ref
from issuer.errors import NotFound
from issuer.learners import service as learners
from issuer.models import Credential, Issuer, Learner, StatusList, parse_id
from issuer.schemas import CredentialOut, IssuedCredential


def get_credential(session: Session, settings: Settings, issuer: Issuer, ref: str) -> Credential:
    """Return a credential of ``issuer`` by uuid or URL.

    Raises:
        NotFound: no such credential, or another issuer's (the two look the same).
    """
    return find_by_ref(
        session,
        Credential,
        ref,
        url_prefix=settings.url("credentials") + "/",
        what="credential",
        issuer_id=issuer.pk,
    )


def public_credential(session: Session, settings: Settings, ref: str) -> Credential:
    """Return any credential by uuid or URL (public documents).

    Raises:
        NotFound: no such credential.
    """
    return find_by_ref(
        session, Credential, ref, url_prefix=settings.url("credentials") + "/", what="credential"
    )


def learner_credentials(
    session: Session, settings: Settings, issuer: Issuer, ref: str
) -> tuple[Learner, list[Credential]]:
    """Return a learner (by uuid, ``urn:uuid`` or email) and their credentials from ``issuer``.

    Raises:
        NotFound: unknown learner, or one with no credential from this issuer (whether
            they hold badges of other issuers is not revealed).
    """
    learner = learners.find_learner(session, settings, ref)
    rows = (
        list(
            session.exec(
                select(Credential)
                .where(Credential.learner_id == learner.id, Credential.issuer_id == issuer.pk)
                .order_by(col(Credential.issued_at).desc(), col(Credential.id))
            ).all()
        )
        if learner is not None
        else []
    )
    if learner is None or not rows:
        raise NotFound(f"no learner {ref!r} with credentials from this issuer")
    return learner, rows


def status_list(session: Session, list_id: str) -> StatusList:
    """Return a status list by id.

    Raises:
        NotFound: no such list.
    """
    row = session.get(StatusList, list_id) if parse_id(list_id, "") else None
    if row is None:
        raise NotFound(f"no status list {list_id!r}")
    return row


def credential_out(settings: Settings, row: Credential, *, full: bool = True) -> CredentialOut:
    """Return the API view of a stored credential (``full`` adds the signed JSON and JWT)."""
    return CredentialOut(
        id=settings.url("credentials", row.id),
        uuid=row.id,
        status=row.status,
        achievement_id=catalog.achievement_url(settings, row.achievement_id),
        learner_id=f"urn:uuid:{row.learner_id}",
        recipient_name=row.recipient_name,
        issued_at=row.issued_at,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
        suspended_at=row.suspended_at,
        suspension_reason=row.suspension_reason,
        credential=json.loads(row.document) if full else None,
        jwt=row.jwt if full else None,
    )


def issued_out(settings: Settings, issued: Issued) -> IssuedCredential:
    """Return the API view of a credential just issued (or replayed).

    Built from values this service just made (the signed credential as signed, not parsed
    back from its stored text), so they are not validated again.
    """
    row = issued.credential
    return IssuedCredential.model_construct(
        id=settings.url("credentials", row.id),
        uuid=row.id,
        status=row.status,
        credential=issued.signed if issued.signed is not None else json.loads(row.document),
        jwt=row.jwt,
        wallet_url=issued.wallet_url,
    )
