"""The issuers' course catalog: achievements, and the OB 3.0 objects badges embed.

An achievement's fields are kept as the JSON of :class:`~issuer.schemas.AchievementCreate`;
each credential embeds the OB 3.0 ``Achievement`` built from them at issuing time, so
editing an achievement never changes a badge already issued.
"""

from __future__ import annotations

import json
import uuid

from sqlmodel import Session, col, delete, select

from badges import Achievement as ObAchievement
from badges import Alignment, Criteria, Image, Profile, ResultDescription
from issuer.achievements.artwork import Artwork
from issuer.config import Settings
from issuer.db import Work, find_by_ref
from issuer.errors import NotFound, ValidationFailed
from issuer.models import Achievement, AchievementLink, Issuer
from issuer.schemas import AchievementCreate, AchievementOut, AchievementUpdate


def achievement_url(settings: Settings, achievement_id: str) -> str:
    """Return the public URL (OB ``achievement.id``) of an achievement."""
    return settings.url("achievements", achievement_id)


def achievement_image_url(settings: Settings, achievement_id: str) -> str:
    """Return the stable URL of Baeji's stored copy of an achievement's own artwork."""
    return settings.url("achievements", achievement_id, "image")


def _store_artwork(
    settings: Settings, row: Achievement, document: dict[str, object], artwork: Artwork | None
) -> None:
    """Keep the checked artwork with the row; a data: URI is replaced by the stored copy's URL
    so the achievement (and every badge) does not carry the image bytes around."""
    row.image = artwork.data if artwork is not None else None
    row.image_type = artwork.media_type if artwork is not None else None
    image = document.get("image")
    if artwork is not None and isinstance(image, str) and image.startswith("data:"):
        document["image"] = achievement_image_url(settings, row.id)


def create_achievement(
    work: Work,
    data: AchievementCreate,
    *,
    artwork: Artwork | None = None,
) -> Achievement:
    """Create an achievement of the acting issuer.

    Args:
        artwork: the checked image of ``data.image``
            (:func:`issuer.achievements.artwork.load_artwork`),
            read before this call so no fetch happens inside the transaction.
    """
    session, settings, issuer, now = work.session, work.settings, work.tenant, work.now
    row = Achievement(
        id=str(uuid.uuid4()),
        issuer_id=issuer.pk,
        name=data.name,
        created_at=now,
        updated_at=now,
    )
    document = data.to_document()
    _store_artwork(settings, row, document, artwork)
    row.document = json.dumps(document, ensure_ascii=False)
    with work.write():
        session.add(row)
        session.flush()
        _set_links(work, row, data.builds_on)
        work.audit("achievement.create", achievement_url(settings, row.id))
    return row


def get_achievement(work: Work, ref: str) -> Achievement:
    """Return the acting issuer's achievement by uuid or URL.

    Raises:
        NotFound: no such achievement of this issuer.
    """
    return find_by_ref(
        work.session,
        Achievement,
        ref,
        url_prefix=work.settings.url("achievements") + "/",
        what="achievement",
        issuer_id=work.tenant.pk,
    )


def public_achievement(work: Work, ref: str) -> Achievement:
    """Return any issuer's achievement by uuid or URL (its public ``id`` dereferences to it).

    Raises:
        NotFound: no such achievement.
    """
    return find_by_ref(
        work.session,
        Achievement,
        ref,
        url_prefix=work.settings.url("achievements") + "/",
        what="achievement",
    )


def update_achievement(
    work: Work,
    ref: str,
    patch: AchievementUpdate,
    *,
    artwork: Artwork | None = None,
) -> Achievement:
    """Apply a partial update; credentials already issued keep the copy they embed.

    ``artwork`` is the checked image of a new ``image`` in ``patch``; an ``image`` set to
    null removes the stored artwork.

    Raises:
        NotFound: no such achievement of this issuer.
        ValidationError: the update would leave the achievement invalid (e.g. no name).
    """
    session, settings, now = work.session, work.settings, work.now
    with work.write():
        row = get_achievement(work, ref)
        merged = json.loads(row.document)
        changes = patch.model_dump(mode="json", by_alias=True, exclude_unset=True)
        if "buildsOn" in changes:
            _set_links(work, row, changes.pop("buildsOn") or [])
        for key, value in changes.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        data = AchievementCreate.model_validate(merged)
        document = data.to_document()
        if "image" in changes:
            _store_artwork(settings, row, document, artwork)
        row.document = json.dumps(document, ensure_ascii=False)
        row.name = data.name
        row.updated_at = now
        session.add(row)
        work.audit(
            "achievement.update",
            achievement_url(settings, row.id),
            fields=sorted(patch.model_fields_set),
        )
    return row


def _set_links(work: Work, row: Achievement, refs: list[str]) -> None:
    """Replace the achievements ``row`` builds on (inside the caller's write transaction).

    Raises:
        ValidationFailed: an unknown achievement, the achievement itself, or a cycle.
    """
    session = work.session

    def refuse(message: str) -> ValidationFailed:
        return ValidationFailed(
            f"buildsOn: {message}", errors=[{"field": "buildsOn", "message": message}]
        )

    wanted: list[str] = []
    for ref in refs:
        try:
            target = public_achievement(work, ref)
        except NotFound:
            raise refuse(f"no achievement {ref!r}") from None
        if target.id == row.id:
            raise refuse("an achievement cannot build on itself")
        if target.id not in wanted:
            wanted.append(target.id)
    # A prerequisite that (through others) builds on this achievement would make a cycle.
    seen: set[str] = set()
    frontier = list(wanted)
    while frontier:
        current = frontier.pop()
        if current == row.id:
            raise refuse("the prerequisites would form a cycle")
        if current in seen:
            continue
        seen.add(current)
        frontier.extend(links_of(session, [current]).get(current, []))
    session.exec(delete(AchievementLink).where(col(AchievementLink.achievement_id) == row.id))
    for target_id in wanted:
        session.add(AchievementLink(achievement_id=row.id, builds_on_id=target_id))


def links_of(session: Session, achievement_ids: list[str]) -> dict[str, list[str]]:
    """Return, for each of ``achievement_ids``, the uuids of the achievements it builds on."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(achievement_ids), 500):
        chunk = achievement_ids[start : start + 500]
        rows = session.exec(
            select(AchievementLink)
            .where(col(AchievementLink.achievement_id).in_(chunk))
            .order_by(col(AchievementLink.achievement_id), col(AchievementLink.builds_on_id))
        ).all()
        for link in rows:
            found.setdefault(link.achievement_id, []).append(link.builds_on_id)
    return found


def list_achievements(
    session: Session, issuer: Issuer, *, include_archived: bool = False
) -> list[Achievement]:
    """Return the issuer's achievements, newest first; archived ones only if asked."""
    query = select(Achievement).where(Achievement.issuer_id == issuer.pk)
    if not include_archived:
        query = query.where(col(Achievement.archived_at).is_(None))
    return list(
        session.exec(query.order_by(col(Achievement.created_at).desc(), col(Achievement.id))).all()
    )


def archive_achievement(
    work: Work,
    ref: str,
) -> Achievement:
    """Archive an achievement: no new badges, left out of listings; issued badges resolve.

    Archiving twice keeps the first time.

    Raises:
        NotFound: no such achievement of this issuer.
    """
    session, settings = work.session, work.settings
    with work.write():
        row = get_achievement(work, ref)
        if row.archived_at is None:
            row.archived_at = work.now
            session.add(row)
            work.audit("achievement.archive", achievement_url(settings, row.id))
    return row


def achievement_out(
    work: Work,
    row: Achievement,
    *,
    links: dict[str, list[str]] | None = None,
) -> AchievementOut:
    """Return the API view of an achievement of the acting issuer.

    Args:
        links: :func:`links_of` for a list of achievements, so a listing reads them once.
    """
    settings = work.settings
    if links is None:
        links = links_of(work.session, [row.id])
    builds_on = links.get(row.id, [])
    return AchievementOut.model_validate(
        {
            **json.loads(row.document),
            "buildsOn": [achievement_url(settings, target) for target in builds_on],
            "id": achievement_url(settings, row.id),
            "uuid": row.id,
            "issuer": work.tenant.did,
            "createdAt": row.created_at,
            "updatedAt": row.updated_at,
            "archivedAt": row.archived_at,
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
        image=Image(id=achievement_image_url(settings, row.id))
        if row.image is not None
        else (Image(id=data.image) if data.image else None),
        tag=list(data.tag),
        alignment=[Alignment(**a.model_dump()) for a in data.alignment],
        result_description=[
            ResultDescription(
                id=f"{achievement_url(settings, row.id)}#{r.id}",
                name=r.name,
                result_type=r.result_type,
                allowed_value=list(r.allowed_value),
                required_value=r.required_value,
            )
            for r in data.result_description
        ],
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
