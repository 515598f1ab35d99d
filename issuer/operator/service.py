"""What the platform's operators do: register providers, decide on applications, suspend or
remove providers, read the platform's figures and audit log.

Every workflow takes a :class:`issuer.db.Work` whose actor is the operator
(``operator:<email>``) and whose tenant is ``None``: operators act for the platform, not
for a provider. Each change is audited against the provider it touches, so the provider's
own audit log shows what the platform did to it.

Suspending or removing a provider changes what it may do, never what it did: its API keys
and console are refused with a stable code (``provider-suspended``, ``provider-removed``)
and it cannot issue, but its public pages, DID document, keys and status lists stay
published, so its badges keep verifying unless its keys are revoked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import ColumnElement, distinct, or_
from sqlmodel import col, func, select

from issuer.achievements.artwork import Artwork, store_logo
from issuer.certification import service as certifying
from issuer.console import service as staff
from issuer.console.models import OPERATOR_ROLE, StaffUser
from issuer.db import Work
from issuer.errors import InvalidStatusChange, NotFound, ValidationFailed
from issuer.issuers import service as accounts
from issuer.issuers.platform import ensure_platform
from issuer.issuers.service import ACTIVE, PLATFORM_SLUG, REMOVED, STATES, SUSPENDED
from issuer.models import Credential, Issuer
from issuer.outbox import service as outbox
from issuer.outbox.service import Mail
from issuer.schemas import IssuerCreate

PAGE_SIZE = 50
MAX_REASON = 500
# Which state each change leaves, and the states it may start from.
_CHANGES = {
    "suspend": (SUSPENDED, (ACTIVE,)),
    "unsuspend": (ACTIVE, (SUSPENDED, REMOVED)),
    "remove": (REMOVED, (ACTIVE, SUSPENDED)),
}
CHANGES = tuple(_CHANGES)


@dataclass(frozen=True)
class Registered:
    """A provider just registered, and its owner's one-time set-password link."""

    issuer: Issuer
    owner_email: str
    invite_link: str


@dataclass(frozen=True)
class ProviderRow:
    """One line of the providers list: the provider and how many badges it issued."""

    issuer: Issuer
    issued: int
    revoked: int


@dataclass(frozen=True)
class ProviderFigures:
    """One provider's badges (issued, revoked, suspended) and distinct learners."""

    issued: int
    revoked: int
    suspended: int
    learners: int


# -- operators --------------------------------------------------------------------------------


def create_operator(work: Work, *, email: str) -> tuple[StaffUser, str]:
    """Create an operator account on the platform's identity; return it and its one-time
    set-password link (the platform's identity is created first if it does not exist)."""
    platform = ensure_platform(work)
    return staff.create_user(work.acting_for(platform), email=email, role=OPERATOR_ROLE)


# -- providers --------------------------------------------------------------------------------


def providers_only() -> ColumnElement[bool]:
    """The condition that leaves the platform's own identity out of providers."""
    return col(Issuer.slug) != PLATFORM_SLUG


def list_providers(
    work: Work, *, search: str = "", state: str = "", page: int = 1
) -> tuple[list[ProviderRow], bool]:
    """One page of providers (newest first), searched by name or slug, filtered by state;
    and whether another page follows. Badge counts come from one grouped query."""
    query = select(Issuer).where(providers_only())
    text = search.strip().lower()
    if text:
        query = query.where(
            or_(
                func.lower(Issuer.name).contains(text, autoescape=True),
                col(Issuer.slug).contains(text, autoescape=True),
            )
        )
    if state in STATES:
        query = query.where(Issuer.state == state)
    rows = list(
        work.session.exec(
            query.order_by(col(Issuer.created_at).desc(), col(Issuer.id).desc())
            .offset((max(page, 1) - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        ).all()
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    counts: dict[int, tuple[int, int]] = {}
    if rows:
        found = work.session.exec(
            select(Credential.issuer_id, func.count(), func.count(col(Credential.revoked_at)))
            .where(col(Credential.issuer_id).in_([r.pk for r in rows]))
            .group_by(col(Credential.issuer_id))
        ).all()
        counts = {issuer_id: (issued, revoked) for issuer_id, issued, revoked in found}
    return [ProviderRow(r, *counts.get(r.pk, (0, 0))) for r in rows], more


def get_provider(work: Work, slug: str) -> Issuer:
    """The provider ``slug`` (never the platform's own identity).

    Raises:
        NotFound: no such provider.
    """
    return accounts.issuer_by_slug(work.session, slug)


def provider_figures(work: Work, issuer: Issuer) -> ProviderFigures:
    """The provider's badge counts and distinct learners, in one query."""
    issued, revoked, suspended, learners = work.session.exec(
        select(
            func.count(),
            func.count(col(Credential.revoked_at)),
            func.count(col(Credential.suspended_at)),
            func.count(distinct(col(Credential.learner_id))),
        ).where(Credential.issuer_id == issuer.pk)
    ).one()
    return ProviderFigures(issued, revoked, suspended, learners)


def provider_staff(work: Work, issuer: Issuer) -> list[StaffUser]:
    """The provider's console accounts."""
    return staff.list_users(work.session, issuer)


def register_provider(
    work: Work, data: IssuerCreate, *, owner_email: str, logo: Artwork | None = None
) -> Registered:
    """Register a provider (as ``baeji issuer create``) with an owner invitation.

    The provider gets its did:web DID, keys and status lists; the API key that
    registration makes is revoked at once, so no key passes through an operator's hands:
    the owner makes the provider's keys in the console after setting a password with the
    one-time link returned here.

    Raises:
        AlreadyExists: the slug is taken.
        ValidationFailed: the owner's e-mail is not an address.
    """
    address = staff.normalize_email(owner_email)
    with work.write():
        issuer, key = accounts.create_issuer(work, data)
        acting = work.acting_for(issuer)
        accounts.revoke_api_key(acting, key)
        if logo is not None:
            issuer = store_logo(acting, logo)
            acting = work.acting_for(issuer)
        _user, link = staff.create_user(acting, email=address, role="owner")
        acting.audit("operator.register", issuer.did, slug=issuer.slug, owner=address)
        registered = Registered(issuer, address, link)
        queue_invitation(work, registered)
    return registered


def queue_invitation(work: Work, registered: Registered) -> None:
    """Queue the owner's invitation e-mail in this unit's transaction (with the account it
    invites to), when SMTP is configured; the operator also sees the link once, to pass on
    when no mail is sent."""
    name = registered.issuer.name
    link = registered.invite_link
    message = EmailMessage()
    message["From"] = work.settings.mail_from
    message["To"] = registered.owner_email
    message["Subject"] = f"[Baeji 배지] {name} 등록 완료 · Registered on Baeji"
    message.set_content(
        f"{name}이(가) Baeji 배지 플랫폼에 교육기관으로 등록되었습니다. 아래 링크에서 콘솔 "
        f"비밀번호를 정하세요 (72시간 안에 한 번만 쓸 수 있습니다).\n\n{link}\n\n"
        f"---\n\n{name} is registered as a training provider on Baeji. Set the password of "
        f"your console here (usable once, within 72 hours):\n\n{link}\n"
    )
    digest = hashlib.sha256(link.encode()).hexdigest()[:32]
    with work.write():
        outbox.queue(
            work,
            [
                Mail(
                    message,
                    key=f"staff.invite:{digest}",
                    kind="staff.invite",
                    issuer_id=registered.issuer.pk,
                )
            ],
        )


def change_state(work: Work, slug: str, change: str, *, reason: str | None = None) -> Issuer:
    """Suspend, unsuspend (also: reinstate a removed provider) or remove a provider.

    Removing one also revokes its current certifications, in the same transaction.

    Raises:
        NotFound: no such provider.
        ValidationFailed: an unknown change, or no reason for a suspension or removal.
        InvalidStatusChange: the provider's state does not allow the change.
    """
    if change not in _CHANGES:
        raise ValidationFailed(f"change: one of {', '.join(CHANGES)}")
    target, sources = _CHANGES[change]
    text = (reason or "").strip()
    if target != ACTIVE and not text:
        raise ValidationFailed(
            "reason: say why", errors=[{"field": "reason", "message": "required"}]
        )
    if len(text) > MAX_REASON:
        raise ValidationFailed(
            f"reason: at most {MAX_REASON} characters",
            errors=[{"field": "reason", "message": "too long"}],
        )
    with work.write():
        # Locked for this change (PostgreSQL; SQLite's write lock is held), read afresh.
        issuer = work.session.exec(
            select(Issuer)
            .where(Issuer.slug == slug, providers_only())
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        ).first()
        if issuer is None:
            raise NotFound(f"no issuer {slug!r}")
        if issuer.state not in sources:
            raise InvalidStatusChange(f"a provider that is {issuer.state} cannot be {change}ed")
        issuer.state = target
        issuer.state_reason = text or None
        issuer.state_changed_at = work.now
        work.session.add(issuer)
        if target == REMOVED:
            # The programme no longer vouches for a provider it removed: its current
            # certifications are revoked with the removal (re-certify after reinstating).
            for current in certifying.all_current(work, issuer):
                certifying.revoke(work, current.id, reason=f"provider removed: {text}"[:200])
        work.audit(
            f"operator.{change}",
            issuer.did,
            issuer_id=issuer.pk,
            **({"reason": text} if text else {}),
        )
    return issuer
