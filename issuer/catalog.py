"""The issuers' course catalog: achievements, and the OB 3.0 objects badges embed.

An achievement's fields are kept as the JSON of :class:`~issuer.schemas.AchievementCreate`;
each credential embeds the OB 3.0 ``Achievement`` built from them at issuing time, so
editing an achievement never changes a badge already issued.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from badges import Achievement as ObAchievement
from badges import Alignment, Criteria, Image, Profile
from issuer import audit
from issuer.config import Settings
from issuer.db import write_transaction
from issuer.errors import NotFound
from issuer.models import Achievement, Issuer, parse_id
from issuer.schemas import AchievementCreate, AchievementOut, AchievementUpdate


def achievement_url(settings: Settings, achievement_id: str) -> str:
    """Return the public URL (OB ``achievement.id``) of an achievement."""
    return settings.url("achievements", achievement_id)


def create_achievement(
    session: Session,
    settings: Settings,
    issuer: Issuer,
    data: AchievementCreate,
    *,
    now: datetime,
    actor: str,
) -> Achievement:
    """Create an achievement of ``issuer``."""
    row = Achievement(
        id=str(uuid.uuid4()),
        issuer_id=issuer.pk,
        name=data.name,
        document=json.dumps(data.to_json(), ensure_ascii=False),
        created_at=now,
        updated_at=now,
    )
    with write_transaction(session):
        session.add(row)
        audit.record(
            session,
            actor=actor,
            action="achievement.create",
            subject=achievement_url(settings, row.id),
            issuer_id=issuer.pk,
            now=now,
        )
    return row


def get_achievement(session: Session, settings: Settings, issuer: Issuer, ref: str) -> Achievement:
    """Return the issuer's achievement by uuid or URL.

    Raises:
        NotFound: no such achievement of this issuer.
    """
    row = public_achievement(session, settings, ref)
    if row.issuer_id != issuer.pk:
        raise NotFound(f"no achievement {ref!r}")
    return row


def public_achievement(session: Session, settings: Settings, ref: str) -> Achievement:
    """Return any achievement by uuid or URL (its public ``id`` dereferences to it).

    Raises:
        NotFound: no such achievement.
    """
    achievement_id = parse_id(ref, settings.url("achievements") + "/")
    row = session.get(Achievement, achievement_id) if achievement_id else None
    if row is None:
        raise NotFound(f"no achievement {ref!r}")
    return row


def update_achievement(
    session: Session,
    settings: Settings,
    issuer: Issuer,
    ref: str,
    patch: AchievementUpdate,
    *,
    now: datetime,
    actor: str,
) -> Achievement:
    """Apply a partial update; credentials already issued keep the copy they embed.

    Raises:
        NotFound: no such achievement of this issuer.
        ValidationError: the update would leave the achievement invalid (e.g. no name).
    """
    with write_transaction(session):
        row = get_achievement(session, settings, issuer, ref)
        merged = json.loads(row.document)
        for key, value in patch.model_dump(mode="json", by_alias=True, exclude_unset=True).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        data = AchievementCreate.model_validate(merged)
        row.document = json.dumps(data.to_json(), ensure_ascii=False)
        row.name = data.name
        row.updated_at = now
        session.add(row)
        audit.record(
            session,
            actor=actor,
            action="achievement.update",
            subject=achievement_url(settings, row.id),
            issuer_id=issuer.pk,
            now=now,
            fields=sorted(patch.model_fields_set),
        )
    return row


def list_achievements(session: Session, issuer: Issuer) -> list[Achievement]:
    """Return the issuer's achievements, newest first."""
    return list(
        session.exec(
            select(Achievement)
            .where(Achievement.issuer_id == issuer.pk)
            .order_by(col(Achievement.created_at).desc(), col(Achievement.id))
        ).all()
    )


def achievement_out(settings: Settings, issuer: Issuer, row: Achievement) -> AchievementOut:
    """Return the API view of an achievement."""
    return AchievementOut.model_validate(
        {
            **json.loads(row.document),
            "id": achievement_url(settings, row.id),
            "uuid": row.id,
            "issuer": issuer.did,
            "createdAt": row.created_at,
            "updatedAt": row.updated_at,
        }
    )


def ob_achievement(settings: Settings, issuer: Issuer, row: Achievement) -> ObAchievement:
    """Return the OB 3.0 Achievement that credentials of ``row`` embed."""
    data = AchievementCreate.model_validate(json.loads(row.document))
    criteria = Criteria(id=data.criteria.id, narrative=data.criteria.narrative)
    return ObAchievement(
        id=achievement_url(settings, row.id),
        name=data.name,
        description=data.description,
        criteria=criteria,
        achievement_type=data.achievement_type,
        image=Image(id=data.image) if data.image else None,
        tag=list(data.tag),
        alignment=[Alignment(**a.model_dump()) for a in data.alignment],
        field_of_study=data.field_of_study,
        human_code=data.human_code,
        credits_available=data.credits_available,
        in_language=data.in_language,
        version=data.version,
        creator=issuer_profile(issuer),
    )


def issuer_profile(issuer: Issuer) -> Profile:
    """Return the issuer's OB 3.0 Profile (its ``id`` is the did:web DID)."""
    return Profile(
        id=issuer.did,
        name=issuer.name,
        url=issuer.url,
        email=issuer.email,
        description=issuer.description,
    )
