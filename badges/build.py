"""Building and signing credentials; time is always a parameter.

``build_*`` functions return unsigned, typed credentials. :func:`sign_credential` turns one
into the two forms Baeji issues: the JSON credential with its Data Integrity proof, created
first, and the VC-JWT whose payload carries that proof (OB 3.0, "Proof Formats": when both
are used, the embedded proof is created first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from badges.context import CLR_SCHEMA_URL, OB_SCHEMA_URL
from badges.model import (
    Achievement,
    AchievementSubject,
    Association,
    BitstringStatusListEntry,
    ClrCredential,
    ClrSubject,
    CredentialSchema,
    EndorsementCredential,
    EndorsementSubject,
    Evidence,
    IdentityObject,
    Image,
    JsonModel,
    OpenBadgeCredential,
    Profile,
    Result,
)
from badges.proof import add_proof
from badges.schema import ACHIEVEMENT_CREDENTIAL, ENDORSEMENT_CREDENTIAL, validate_schema
from badges.vcjwt import encode_jwt
from keys import Signer


@dataclass(frozen=True)
class SignedCredential:
    """A credential as issued: the signed JSON and the VC-JWT (when one was made)."""

    credential: dict[str, Any]
    jwt: str | None


def build_credential(
    *,
    credential_id: str,
    issuer: Profile,
    achievement: Achievement,
    subject_id: str | None,
    now: datetime,
    identifier: Iterable[IdentityObject] = (),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    awarded_date: datetime | None = None,
    results: Sequence[Result] = (),
    evidence: Sequence[Evidence] = (),
    status: Sequence[BitstringStatusListEntry] = (),
    name: str | None = None,
    description: str | None = None,
    image: Image | None = None,
    activity_start_date: datetime | None = None,
    activity_end_date: datetime | None = None,
    credits_earned: float | None = None,
    term: str | None = None,
    narrative: str | None = None,
) -> OpenBadgeCredential:
    """Build an unsigned OpenBadgeCredential awarding ``achievement`` to a learner.

    Args:
        credential_id: the credential's URL (what its QR code carries).
        subject_id: the learner's stable ``urn:uuid``, the same in all their badges.
        now: the issuance time; ``validFrom`` and ``awardedDate`` default to it.
        identifier: hashed recipient identifiers (see :func:`badges.identity.email_identity`).
        status: status list entries; one is written as an object, several as an array.
    """
    subject = AchievementSubject(
        id=subject_id,
        achievement=achievement,
        identifier=list(identifier),
        result=list(results),
        activity_start_date=activity_start_date,
        activity_end_date=activity_end_date,
        credits_earned=credits_earned,
        term=term,
        narrative=narrative,
    )
    entries = list(status)
    return OpenBadgeCredential(
        id=credential_id,
        name=name or achievement.name,
        description=description,
        image=image,
        issuer=issuer,
        valid_from=valid_from or now,
        valid_until=valid_until,
        awarded_date=awarded_date or now,
        credential_subject=subject,
        evidence=list(evidence),
        credential_schema=[CredentialSchema(id=OB_SCHEMA_URL)],
        credential_status=entries[0] if len(entries) == 1 else entries or None,
    )


def build_endorsement(
    *,
    credential_id: str,
    issuer: Profile,
    subject_id: str,
    name: str,
    now: datetime,
    comment: str | None = None,
) -> EndorsementCredential:
    """Build an unsigned EndorsementCredential about ``subject_id``."""
    return EndorsementCredential(
        id=credential_id,
        name=name,
        issuer=issuer,
        valid_from=now,
        awarded_date=now,
        credential_subject=EndorsementSubject(id=subject_id, endorsement_comment=comment),
        credential_schema=[
            CredentialSchema(
                id="https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                "ob_v3p0_endorsementcredential_schema.json"
            )
        ],
    )


def build_clr(
    *,
    credential_id: str,
    issuer: Profile,
    subject_id: str,
    credentials: Sequence[Mapping[str, Any]],
    name: str,
    now: datetime,
    description: str | None = None,
    achievements: Sequence[Achievement] = (),
    associations: Sequence[Association] = (),
    identifier: Iterable[IdentityObject] = (),
    partial: bool | None = None,
) -> ClrCredential:
    """Build an unsigned CLR 2.0 ClrCredential embedding ``credentials`` exactly as issued.

    Each embedded credential keeps its own issuer's proof; the CLR's proof covers them all.
    """
    return ClrCredential(
        id=credential_id,
        name=name,
        description=description,
        issuer=issuer,
        valid_from=now,
        awarded_date=now,
        partial=partial,
        credential_subject=ClrSubject(
            id=subject_id,
            identifier=list(identifier),
            verifiable_credential=[dict(c) for c in credentials],
            achievement=list(achievements),
            association=list(associations),
        ),
        credential_schema=[CredentialSchema(id=CLR_SCHEMA_URL)],
    )


def _schema_for(document: Mapping[str, Any]) -> str | None:
    types = document.get("type", [])
    if "OpenBadgeCredential" in types or "AchievementCredential" in types:
        return ACHIEVEMENT_CREDENTIAL
    if "EndorsementCredential" in types:
        return ENDORSEMENT_CREDENTIAL
    # No CLR 2.0 JSON Schema is published in reachable form; each embedded credential
    # was validated when it was issued.
    return None


def sign_credential(
    credential: JsonModel | Mapping[str, Any],
    *,
    proof_signer: Signer,
    now: datetime,
    jwt_signer: Signer | None = None,
    verification_method: str | None = None,
    jwt_kid: str | None = None,
) -> SignedCredential:
    """Validate, then sign: the Data Integrity proof first, then the VC-JWT.

    Args:
        credential: an unsigned credential model or its JSON.
        proof_signer: the Ed25519 key for the ``eddsa-rdfc-2022`` proof.
        now: the proof's ``created`` time.
        jwt_signer: the key for the VC-JWT (RS256 by default in the service); ``None``
            skips the JWT.
        verification_method: the DID URL of the proof key (defaults to its key id).
        jwt_kid: the ``kid`` header (defaults to the JWT signer's key id).

    Raises:
        SchemaViolation: the credential does not match its OB 3.0 JSON Schema.
        UndefinedTerm: a property or type is defined by no context (it would go unsigned).
        InvalidJsonLd: it cannot be canonicalized (e.g. an unknown context).
    """
    document = credential.to_json() if isinstance(credential, JsonModel) else dict(credential)
    if (schema := _schema_for(document)) is not None:
        # The schema requires a proof array; validate the shape it will have once signed.
        validate_schema({**document, "proof": [{"type": "DataIntegrityProof"}]}, schema)
    # RDFC-1.0 silently drops terms no context defines, so they would go unsigned, and
    # safe-mode verifiers (jsonld.js) refuse such credentials outright: strict signing
    # refuses them in the same canonicalization pass.
    secured = add_proof(
        document, proof_signer, now=now, verification_method=verification_method, strict=True
    )
    token = encode_jwt(secured, jwt_signer, kid=jwt_kid) if jwt_signer is not None else None
    return SignedCredential(secured, token)
