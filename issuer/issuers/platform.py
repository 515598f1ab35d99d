"""The platform's own issuer identity, which signs learner records (CLR 2.0).

A learner's record gathers badges of many providers, so no provider can sign it: the
platform does, as ``did:web`` of its bare public origin (``did:web:badges.example.kr``,
DID document at ``/.well-known/did.json``). Its keys are made and sealed like a provider's
(Ed25519 for the Data Integrity proof, RSA for RS256 VC-JWTs) and kept in the same tables,
on the issuer row with the reserved slug ``_platform``; that row has no API key, no
achievements and no status lists. ``baeji init`` creates it, and so does the first
record signed on a database initialized before it existed. Its keys rotate like a
provider's: ``baeji keys rotate --issuer _platform``.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from badges import Profile
from issuer.config import Settings
from issuer.db import Work
from issuer.issuers import signing
from issuer.issuers.service import PLATFORM_SLUG as PLATFORM_SLUG
from issuer.models import Issuer
from keys import did_web_from_url

PLATFORM_NAME = "Baeji 배지"
_DESCRIPTION = "디지털 배지 플랫폼 · Digital badge platform"


def platform_did(settings: Settings) -> str:
    """Return the platform's DID: ``did:web`` of the public origin."""
    return did_web_from_url(settings.base_url)


def find_platform(session: Session) -> Issuer | None:
    """Return the platform's identity, if it was created."""
    return session.exec(select(Issuer).where(Issuer.slug == PLATFORM_SLUG)).first()


def is_platform(issuer: Issuer) -> bool:
    """Whether ``issuer`` is the platform's own identity rather than a training provider."""
    return issuer.slug == PLATFORM_SLUG


def ensure_platform(work: Work) -> Issuer:
    """Return the platform's identity, creating it and its keys on first use.

    Two workers creating it at once are settled by the unique slug: the loser reads the
    winner's row.
    """
    session, settings = work.session, work.settings
    found = find_platform(session)
    if found is not None:
        return found
    try:
        with work.write():
            platform = Issuer(
                slug=PLATFORM_SLUG,
                name=PLATFORM_NAME,
                url=settings.base_url,
                description=_DESCRIPTION,
                did=platform_did(settings),
                created_at=work.now,
            )
            session.add(platform)
            session.flush()
            acting = work.acting_for(platform)
            signing.add_initial_keys(acting)
            acting.audit("platform.create", platform.did)
    except IntegrityError:
        found = find_platform(session)
        if found is None:
            raise
        return found
    return platform


def platform_profile(platform: Issuer) -> Profile:
    """Return the OB 3.0 Profile the platform signs learner records as."""
    return Profile(
        id=platform.did, name=platform.name, url=platform.url, description=platform.description
    )
