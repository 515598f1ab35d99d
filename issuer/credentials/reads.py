"""Reading issued credentials: by issuer, listed with filters and cursors, publicly, per
learner, and their API views.

Nothing is rebuilt from rows: the API view carries the stored signed JSON and JWT.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, func, select

from issuer.achievements import service as catalog
from issuer.config import Settings
from issuer.credentials.service import Issued
from issuer.db import Work, find_by_ref
from issuer.errors import InvalidCursor, NotFound
from issuer.learners import service as learners
from issuer.models import Credential, Learner, StatusList, parse_id
from issuer.schemas import CredentialOut, CredentialQuery, IssuedCredential


def get_credential(work: Work, ref: str) -> Credential:
    """Return a credential of the acting issuer by uuid or URL.

    Raises:
        NotFound: no such credential, or another issuer's (the two look the same).
    """
    return find_by_ref(
        work.session,
        Credential,
        ref,
        url_prefix=work.settings.url("credentials") + "/",
        what="credential",
        issuer_id=work.tenant.pk,
    )


def public_credential(work: Work, ref: str) -> Credential:
    """Return any issuer's credential by uuid or URL (public documents).

    Raises:
        NotFound: no such credential.
    """
    return find_by_ref(
        work.session,
        Credential,
        ref,
        url_prefix=work.settings.url("credentials") + "/",
        what="credential",
    )


def learner_credentials(work: Work, ref: str) -> tuple[Learner, list[Credential]]:
    """Return a learner (by uuid, ``urn:uuid`` or email) and their credentials from the acting
    issuer.

    Raises:
        NotFound: unknown learner, or one with no credential from this issuer (whether
            they hold badges of other issuers is not revealed).
    """
    session = work.session
    learner = learners.find_learner(work, ref)
    rows = (
        list(
            session.exec(
                select(Credential)
                .where(Credential.learner_id == learner.id, Credential.issuer_id == work.tenant.pk)
                .order_by(col(Credential.issued_at).desc(), col(Credential.id))
            ).all()
        )
        if learner is not None
        else []
    )
    if learner is None or not rows:
        raise NotFound(f"no learner {ref!r} with credentials from this issuer")
    return learner, rows


@dataclass(frozen=True)
class CredentialPageResult:
    """One page of a listing and the cursor of the next one (``None`` on the last page)."""

    rows: list[Credential]
    next_cursor: str | None


def list_credentials(work: Work, query: CredentialQuery) -> CredentialPageResult:
    """Return one page of the acting issuer's credentials matching ``query``, newest first.

    Ordered by (issued_at, id), both descending, so pages are stable while badges are
    issued; the cursor is opaque to callers (base64url of the last row's position).
    ``email`` matches through the learner's keyed hash; ``term`` matches the term written
    in the badge exactly.

    Raises:
        InvalidCursor: a cursor this listing did not hand out.
    """
    session, settings = work.session, work.settings
    statement = select(Credential).where(Credential.issuer_id == work.tenant.pk)
    if query.name:
        statement = statement.where(
            func.lower(col(Credential.recipient_name)).contains(query.name.lower(), autoescape=True)
        )
    if query.email:
        learner = learners.find_learner(work, query.email)
        statement = statement.where(Credential.learner_id == (learner.id if learner else ""))
    if query.achievement_id:
        achievement_id = parse_id(query.achievement_id, settings.url("achievements") + "/")
        statement = statement.where(Credential.achievement_id == (achievement_id or ""))
    if query.term:
        term = '"term":' + json.dumps(query.term, ensure_ascii=False)
        statement = statement.where(col(Credential.document).contains(term, autoescape=True))
    if query.issued_from:
        statement = statement.where(col(Credential.issued_at) >= query.issued_from)
    if query.issued_until:
        statement = statement.where(col(Credential.issued_at) < query.issued_until)
    if query.status == "revoked":
        statement = statement.where(col(Credential.revoked_at).is_not(None))
    elif query.status is not None:
        statement = statement.where(col(Credential.revoked_at).is_(None))
        suspended = col(Credential.suspended_at)
        statement = statement.where(
            suspended.is_not(None) if query.status == "suspended" else suspended.is_(None)
        )
    if query.cursor:
        at, last_id = _read_cursor(query.cursor)
        statement = statement.where(
            (col(Credential.issued_at) < at)
            | ((col(Credential.issued_at) == at) & (col(Credential.id) < last_id))
        )
    statement = statement.order_by(
        col(Credential.issued_at).desc(), col(Credential.id).desc()
    ).limit(query.limit + 1)
    rows = list(session.exec(statement).all())
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = _make_cursor(rows[-1]) if more and rows else None
    return CredentialPageResult(rows, cursor)


def _make_cursor(row: Credential) -> str:
    position = json.dumps([row.issued_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), row.id])
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at_text, last_id = json.loads(raw)
        at = datetime.strptime(at_text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except (ValueError, TypeError, binascii.Error) as err:
        raise InvalidCursor("the cursor is not one this listing handed out") from err
    if not isinstance(last_id, str) or parse_id(last_id, "") is None:
        raise InvalidCursor("the cursor is not one this listing handed out")
    return at, last_id


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


def issued_out(
    settings: Settings, issued: Issued, *, row_number: int | None = None
) -> IssuedCredential:
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
        row=row_number,
    )
