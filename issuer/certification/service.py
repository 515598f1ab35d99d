"""Certifying providers: the platform's signed EndorsementCredential about a provider.

A certification is an OB 3.0 ``EndorsementCredential``:

- ``issuer``: the platform's identity (``did:web`` of the public origin), which signs it
  with its active Ed25519 key (Data Integrity ``eddsa-rdfc-2022``) and RSA key (VC-JWT);
- ``credentialSubject``: ``EndorsementSubject`` whose ``id`` is the provider's DID (the
  ``issuer.id`` of its badges), ``endorsementComment`` the criteria narrative;
- ``credentialStatus``: a revocation entry on one of the platform's status lists (the
  platform gets its first list with its first certification);
- ``validFrom`` / ``validUntil``: the certified period; ``name`` and ``description`` in
  Korean and English (the schema allows one string, so both languages share it).

The signed JSON and JWT are stored as issued (``certification`` table) and published at
the document's ``id`` (``/certifications/{id}``). Revoking sets the status bit and re-signs
the list in one transaction. Which certification is shown as current is never taken from
this table alone: pages verify the stored documents with the ``verify`` package.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from badges import build_endorsement, status_entry
from issuer.certification.models import Certification
from issuer.db import Work
from issuer.errors import InvalidStatusChange, NotFound, ValidationFailed
from issuer.issuers import platform, signing
from issuer.models import Issuer, StatusList, parse_id
from issuer.status import service as status

log = logging.getLogger(__name__)

PURPOSE = "revocation"
MAX_NARRATIVE = 2000
MAX_REASON = 500
# Draws of a random free index before giving up (a list is closed when half full, so a
# draw collides at most half the time).
_MAX_DRAWS = 64


@dataclass(frozen=True)
class Programme:
    """A certification programme: its stable id and what it is called in each language."""

    id: str
    name_ko: str
    name_en: str
    criteria_ko: str
    criteria_en: str

    def name(self, lang: str) -> str:
        """The programme's name in ``lang`` (``ko`` or ``en``)."""
        return self.name_ko if lang == "ko" else self.name_en


PROGRAMMES: dict[str, Programme] = {
    "leaders-club": Programme(
        id="leaders-club",
        name_ko="디지털 리더스 클럽",
        name_en="Digital Leaders Club",
        criteria_ko="디지털 인재 양성 사업의 품질 기준(교육 과정, 수료율, 취업 연계)을 충족한 "
        "교육기관으로 인증합니다.",
        criteria_en="Certified as a training provider that meets the digital talent "
        "programme's quality criteria (curriculum, completion rate, links to employment).",
    ),
}


def find_programme(programme_id: str) -> Programme:
    """Return the programme ``programme_id``.

    Raises:
        ValidationFailed: no such programme.
    """
    found = PROGRAMMES.get(programme_id)
    if found is None:
        known = ", ".join(sorted(PROGRAMMES))
        raise ValidationFailed(
            f"programme: unknown programme {programme_id!r} (known: {known})",
            errors=[{"field": "programme", "message": f"one of: {known}"}],
        )
    return found


def certification_url(work_or_base: Work | str, certification_id: str) -> str:
    """The public URL (the document's ``id``) of a certification."""
    base = work_or_base if isinstance(work_or_base, str) else work_or_base.settings.base_url
    return f"{base}/certifications/{certification_id}"


def _draw_index(session: Session, list_id: str) -> int:
    """A free index of the platform's list, drawn at random, with the list's row locked
    until this transaction ends (PostgreSQL; SQLite's write lock is already held), so two
    certifications at once never draw the same index."""
    session.exec(select(StatusList.id).where(StatusList.id == list_id).with_for_update()).first()
    for _ in range(_MAX_DRAWS):
        index = secrets.randbelow(status.LIST_SIZE)
        taken = session.exec(
            select(Certification.id).where(
                Certification.status_list_id == list_id, Certification.status_index == index
            )
        ).first()
        if taken is None:
            return index
    raise RuntimeError(f"no free index found on status list {list_id}")


def certify(
    work: Work,
    provider: Issuer,
    *,
    programme: str,
    until: datetime,
    narrative: str | None = None,
) -> Certification:
    """Certify ``provider`` in ``programme`` until ``until``: sign and store the endorsement.

    Args:
        programme: a programme id (see :data:`PROGRAMMES`), e.g. ``leaders-club``.
        until: the end of the certified period (``validUntil``), timezone-aware, after now.
        narrative: the criteria the provider met (``endorsementComment``); the
            programme's own criteria when ``None``.

    Raises:
        ValidationFailed: unknown programme, ``until`` not in the future, a narrative too
            long, or ``provider`` is the platform itself.
    """
    session, settings = work.session, work.settings
    chosen = find_programme(programme)
    now = work.now.replace(microsecond=0)
    if until.tzinfo is None:
        raise ValidationFailed("until: give a timezone-aware time")
    until = until.astimezone(UTC).replace(microsecond=0)
    if until <= now:
        raise ValidationFailed(
            "until: the certified period must end in the future",
            errors=[{"field": "until", "message": "must be in the future"}],
        )
    text = (narrative or "").strip() or None
    if text is not None and len(text) > MAX_NARRATIVE:
        raise ValidationFailed(
            f"narrative: at most {MAX_NARRATIVE} characters",
            errors=[{"field": "narrative", "message": f"at most {MAX_NARRATIVE} characters"}],
        )
    if platform.is_platform(provider):
        raise ValidationFailed("issuer: the platform does not certify itself")
    identity = platform.ensure_platform(work.at(now))
    signers = signing.active_signers(work, identity.pk)
    certification_id = str(uuid.uuid4())
    url = certification_url(work, certification_id)
    with work.write():
        status_list = status.open_list(
            work.at(now), issuer=identity, purpose=PURPOSE, signer=signers.proof
        )
        index = _draw_index(session, status_list.id)
        unsigned = build_endorsement(
            credential_id=url,
            issuer=platform.platform_profile(identity),
            subject_id=provider.did,
            name=f"{chosen.name_ko} 인증 · {chosen.name_en} certification",
            now=now,
            comment=text or f"{chosen.criteria_ko}\n\n{chosen.criteria_en}",
        ).to_json()
        unsigned["description"] = (
            f"{identity.name}이(가) {provider.name}을(를) {chosen.name_ko} 인증 교육기관으로 "
            f"인정합니다. · {identity.name} recognises {provider.name} as a certified "
            f"{chosen.name_en} training provider."
        )
        unsigned["validUntil"] = until.strftime("%Y-%m-%dT%H:%M:%SZ")
        unsigned["credentialStatus"] = status_entry(
            status.list_url(settings.base_url, status_list.id), index, PURPOSE
        ).to_json()
        signed = signers.sign(unsigned, now=now)
        row = Certification(
            id=certification_id,
            issuer_id=provider.pk,
            programme=chosen.id,
            narrative=text,
            document=signed.document,
            jwt=signed.jwt,
            valid_from=now,
            valid_until=until,
            status_list_id=status_list.id,
            status_index=index,
            created_at=now,
        )
        session.add(row)
        status.add_usage(session, [status.Slot(status_list.id, index)])
        work.at(now).audit(
            "certification.issue",
            url,
            issuer_id=provider.pk,
            programme=chosen.id,
            until=until.isoformat(),
        )
    log.info("certified %s in %s until %s", provider.slug, chosen.id, until.isoformat())
    return row


def find(session: Session, base_url: str, ref: str) -> Certification:
    """Return the certification named by ``ref`` (its uuid or public URL).

    Raises:
        NotFound: no such certification.
    """
    certification_id = parse_id(ref, f"{base_url}/certifications/")
    row = session.get(Certification, certification_id) if certification_id else None
    if row is None:
        raise NotFound(f"no certification {ref!r}")
    return row


def revoke(work: Work, certification_id: str, *, reason: str) -> Certification:
    """Revoke a certification: set its status bit and re-sign the platform's list at once.

    Revocation is final; the document stays published so verifiers can say "revoked".

    Raises:
        NotFound: no such certification.
        ValidationFailed: no reason, or one too long.
        InvalidStatusChange: it is already revoked.
    """
    session, settings = work.session, work.settings
    text = reason.strip()
    if not text or len(text) > MAX_REASON:
        raise ValidationFailed(
            f"reason: a reason of 1 to {MAX_REASON} characters is required",
            errors=[{"field": "reason", "message": "required"}],
        )
    now = work.now.replace(microsecond=0)
    identity = platform.ensure_platform(work.at(now))
    with work.write():
        wanted = find(session, settings.base_url, certification_id).id
        row = session.exec(
            select(Certification)
            .where(Certification.id == wanted)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        ).one()
        if row.revoked_at is not None:
            raise InvalidStatusChange("the certification is already revoked; revocation is final")
        signer = signing.active_signers(work, identity.pk).proof
        status.set_bit(
            work.at(now),
            list_id=row.status_list_id,
            index=row.status_index,
            value=True,
            issuer=identity,
            signer=signer,
        )
        row.revoked_at, row.revocation_reason = now, text
        session.add(row)
        work.at(now).audit(
            "certification.revoke",
            certification_url(work, row.id),
            issuer_id=row.issuer_id,
            reason=text,
        )
    log.info("certification %s revoked", row.id)
    return row


def of_provider(
    session: Session, provider: Issuer | int, *, limit: int = 20
) -> list[Certification]:
    """The provider's certifications, newest first (revoked and expired ones included)."""
    provider_id = provider if isinstance(provider, int) else provider.pk
    return list(
        session.exec(
            select(Certification)
            .where(Certification.issuer_id == provider_id)
            .order_by(col(Certification.created_at).desc(), col(Certification.id))
            .limit(limit)
        ).all()
    )


def all_current(work: Work, provider: Issuer) -> list[Certification]:
    """Every certification of the provider that is current by this table (not revoked,
    within its period at ``work.now``), the longest lasting first."""
    now = work.now
    return list(
        work.session.exec(
            select(Certification)
            .where(
                Certification.issuer_id == provider.pk,
                col(Certification.revoked_at).is_(None),
                Certification.valid_from <= now,
                Certification.valid_until > now,
            )
            .order_by(col(Certification.valid_until).desc(), col(Certification.id))
        ).all()
    )


def current(work: Work, provider: Issuer) -> Certification | None:
    """The provider's current certification by this table (not revoked, within its period
    at ``work.now``), the one lasting longest; ``None`` when it has none.

    This is the platform's own record, for consoles and listings; public pages show a
    certification only once ``verify`` verified its document
    (:mod:`issuer.verification.certification`).
    """
    found = all_current(work, provider)
    return found[0] if found else None


def documents(rows: Sequence[Certification]) -> list[dict[str, object]]:
    """The signed documents of ``rows``, as stored."""
    return [json.loads(row.document) for row in rows]
