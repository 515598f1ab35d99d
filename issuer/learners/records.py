"""Learner records: a learner's accumulated history as a signed CLR 2.0 ``ClrCredential``.

A record embeds each of the learner's credentials exactly as issued (so each keeps its own
issuer's proof) and is signed by the platform's identity (:mod:`issuer.issuers.platform`). Where
one achievement builds on another, the record carries an ``Association`` of type
``precedes`` from the prerequisite to the later achievement (CLR 2.0 / CASE: the source
precedes the target).

What a record holds: every credential that is valid now. Revoked credentials are left
out, and so are suspended ones while the suspension lasts, expired ones and ones not yet
valid: a record is a statement that these credentials are currently good, and the
verifier would otherwise (rightly) judge the whole record by its worst member.

A request computes what the record would hold (credential ids, associations, signing
keys) and its hash; a stored record with that hash is returned as it is, anything else is
signed now and stored. An unchanged history never re-signs.

Records are signed ahead: issuing, revoking, suspending and unsuspending enqueue a
``learners.resign_record`` job (:mod:`issuer.learners.record_jobs`) that calls
:func:`learner_record` for each learner touched, so the record is stored before the
learner asks and the request only reads it back. Signing on request stays as the
fallback (the job has not run yet, or an expiry changed the history).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from badges import Association, build_clr
from badges.summary import validity_state
from issuer.achievements import service as catalog
from issuer.db import Work
from issuer.issuers import platform, signing
from issuer.learners import service as learners
from issuer.models import Credential, Learner, LearnerRecord

ASSOCIATION_TYPE = "precedes"
_ACTOR = "platform:records"


@dataclass(frozen=True)
class Record:
    """A signed learner record and the credentials it holds (in the order they were earned)."""

    row: LearnerRecord
    credentials: list[Credential]

    @property
    def document(self) -> dict[str, Any]:
        """The signed ClrCredential."""
        document: dict[str, Any] = json.loads(self.row.document)
        return document


def is_current(credential: Credential, now: datetime) -> bool:
    """Whether a credential belongs in a record at ``now`` (see the module docstring)."""
    if credential.revoked_at is not None or credential.suspended_at is not None:
        return False
    return validity_state(credential.valid_from, credential.valid_until, now) == "valid"


def recipient_name(credentials: Sequence[Credential]) -> str | None:
    """The name the newest credential that names the learner gives (or ``None``)."""
    newest = sorted(credentials, key=lambda c: (c.issued_at, c.id), reverse=True)
    return next((c.recipient_name for c in newest if c.recipient_name), None)


def _achievement_id(credential: Credential) -> str:
    document = json.loads(credential.document)
    return str(document["credentialSubject"]["achievement"]["id"])


def associations(session: Session, credentials: Sequence[Credential]) -> list[Association]:
    """Return ``precedes`` associations between achievements of ``credentials``.

    Only links whose both ends the learner holds are included: a record describes what
    was achieved, and an association to an achievement it does not contain would point
    at nothing.
    """
    # The achievement id each credential embeds is what the association must name.
    ids = {c.achievement_id: _achievement_id(c) for c in credentials}
    links = catalog.links_of(session, sorted(ids))
    found = []
    for later, prerequisites in sorted(links.items()):
        for earlier in prerequisites:
            if earlier in ids:
                found.append(
                    Association(
                        association_type=ASSOCIATION_TYPE,
                        source_id=ids[earlier],
                        target_id=ids[later],
                    )
                )
    return found


def learner_record(
    work: Work, learner: Learner, *, credential_ids: Sequence[str] | None = None
) -> Record | None:
    """Return the learner's signed record, re-issuing it if the history changed.

    Args:
        work: the unit of work; a record newly signed is dated its ``now`` in whole seconds.
        credential_ids: only these credentials (a share of chosen badges): the record is
            then marked ``partial``. ``None`` for the whole history.

    Returns:
        The record, or ``None`` when no credential is currently valid (CLR 2.0 requires at
        least one ``verifiableCredential``).
    """
    session = work.session
    now = work.now.replace(microsecond=0)
    chosen = learners.credentials_of(session, learner)
    if credential_ids is not None:
        wanted = set(credential_ids)
        chosen = [c for c in chosen if c.id in wanted]
    # In the order they were earned: a history reads from its start.
    included = sorted(
        (c for c in chosen if is_current(c, now)),
        key=lambda c: (c.valid_from, c.issued_at, c.id),
    )
    if not included:
        return None
    # The platform's identity, should this make it, is made by the platform's records.
    unit = work.as_actor(_ACTOR).at(now)
    identity = platform.ensure_platform(unit)
    signers = signing.active_signers(unit, identity.pk)
    links = associations(session, included)
    partial = credential_ids is not None
    content = {
        "credentials": [c.id for c in included],
        "associations": [a.to_json() for a in links],
        "partial": partial,
        "keys": [signers.proof.key_id, signers.rsa.key_id],
        "issuer": identity.did,
    }
    content_hash = hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    stored = _stored(session, learner.id, content_hash)
    if stored is not None:
        return Record(stored, included)
    name = recipient_name(included)
    unsigned = build_clr(
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        issuer=platform.platform_profile(identity),
        subject_id=learner.subject_id,
        credentials=[json.loads(c.document) for c in included],
        name=f"{name}의 학습 이력 · Learning record" if name else "학습 이력 · Learning record",
        description=f"Baeji에 기록된 배지 {len(included)}개 · "
        f"{len(included)} badge(s) recorded on Baeji",
        now=now,
        associations=links,
        partial=True if partial else None,
    )
    signed = signers.sign(unsigned, now=now)
    row = LearnerRecord(
        id=str(uuid.uuid4()),
        learner_id=learner.id,
        content_hash=content_hash,
        partial=partial,
        document=signed.document,
        jwt=signed.jwt,
        created_at=now,
    )
    try:
        with work.write():
            # Signed meanwhile by another request or the re-signing job: keep theirs (and
            # never delete it below only to store the same content again).
            if (stored := _stored(session, learner.id, content_hash)) is not None:
                return Record(stored, included)
            if not partial:
                # The whole-history record replaces the previous one; partial records
                # (of shares) are kept, each for its own selection.
                session.exec(
                    delete(LearnerRecord).where(
                        col(LearnerRecord.learner_id) == learner.id,
                        col(LearnerRecord.partial).is_(False),
                    )
                )
            session.add(row)
    except IntegrityError:
        # A concurrent request stored the same content first; theirs is as good as ours.
        stored = _stored(session, learner.id, content_hash)
        if stored is None:
            raise
        return Record(stored, included)
    return Record(row, included)


def _stored(session: Session, learner_id: str, content_hash: str) -> LearnerRecord | None:
    return session.exec(
        select(LearnerRecord).where(
            LearnerRecord.learner_id == learner_id, LearnerRecord.content_hash == content_hash
        )
    ).first()
