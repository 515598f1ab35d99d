"""Issuer signing keys: creation, sealing, rotation, compromise, and what verifiers fetch.

Each issuer holds an Ed25519 key (the ``eddsa-rdfc-2022`` Data Integrity proof and EdDSA
JWTs) and an RSA key (RS256 JWTs). Key ``N`` of an issuer has the id ``{did}#key-N``; in the
DID document an Ed25519 key appears as Multikey ``#key-N`` and JsonWebKey ``#key-N-jwk``, an
RSA key only as JsonWebKey ``#key-N`` (see :func:`keys.build_did_document`). Rotation
retires the active key, which stays published so older badges keep verifying; a
compromised key is unpublished, so nothing it signed verifies any more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from badges import format_datetime, sign_credential
from badges.model import JsonModel
from issuer.config import Settings
from issuer.db import Work
from issuer.errors import NotFound
from issuer.models import Credential, Issuer, SigningKey
from issuer.status import service as status
from keys import (
    KeyEntry,
    KeyRing,
    KeyState,
    KeyType,
    PrivateKeySigner,
    VerificationKey,
    build_did_document,
    jwk_method_id,
)

ISSUER_KEY_TYPES = (KeyType.ED25519, KeyType.RSA)


@dataclass(frozen=True)
class IssuerSigners:
    """The active keys of one issuer, unsealed for one unit of work."""

    proof: PrivateKeySigner
    rsa: PrivateKeySigner

    def jwt(self, algorithm: str | None) -> tuple[PrivateKeySigner, str]:
        """Return the JWT signer and its ``kid`` for ``algorithm`` (RS256 by default)."""
        if algorithm == "EdDSA":
            return self.proof, jwk_method_id(self.proof.public_key)
        return self.rsa, self.rsa.key_id

    def sign(
        self,
        unsigned: JsonModel | Mapping[str, Any],
        *,
        now: datetime,
        jwt_algorithm: str | None = None,
    ) -> SignedDocument:
        """Sign ``unsigned`` as the service stores what it issues: the Data Integrity proof
        of the Ed25519 key, then the VC-JWT (``jwt_algorithm``, RS256 by default).

        Raises what :func:`badges.sign_credential` raises (the credential does not match
        its schema or context).
        """
        jwt_signer, kid = self.jwt(jwt_algorithm)
        signed = sign_credential(
            unsigned,
            proof_signer=self.proof,
            jwt_signer=jwt_signer,
            now=now,
            verification_method=self.proof.key_id,
            jwt_kid=kid,
        )
        if signed.jwt is None:
            raise RuntimeError("sign_credential made no VC-JWT")
        document = json.dumps(signed.credential, ensure_ascii=False, separators=(",", ":"))
        return SignedDocument(signed.credential, document, signed.jwt, jwt_signer.algorithm)


@dataclass(frozen=True)
class SignedDocument:
    """A credential signed by :meth:`IssuerSigners.sign`."""

    credential: dict[str, Any]
    """The signed credential."""
    document: str
    """The signed credential as stored: compact JSON, not ASCII-escaped."""
    jwt: str
    """Its VC-JWT."""
    jwt_alg: str
    """The VC-JWT's algorithm."""


def _ring(rows: Iterable[SigningKey]) -> KeyRing:
    return KeyRing.of(
        KeyEntry(
            VerificationKey.from_jwk(json.loads(row.public_jwk), row.key_id),
            KeyState(row.state),
            created_at=row.created_at,
            retired_at=row.retired_at,
            revoked_at=row.revoked_at,
        )
        for row in rows
    )


def issuer_keys(session: Session, issuer_id: int) -> list[SigningKey]:
    """Return every key of an issuer, oldest first."""
    return list(
        session.exec(
            select(SigningKey)
            .where(SigningKey.issuer_id == issuer_id)
            .order_by(col(SigningKey.number))
        ).all()
    )


def add_key(work: Work, key_type: KeyType) -> SigningKey:
    """Generate a key of ``key_type`` as the acting issuer's next key, sealed, and add it."""
    session, settings, issuer = work.session, work.settings, work.tenant
    number = (
        session.exec(
            select(func.max(SigningKey.number)).where(SigningKey.issuer_id == issuer.pk)
        ).one()
        or 0
    ) + 1
    key_id = f"{issuer.did}#key-{number}"
    signer = PrivateKeySigner.generate(key_type, key_id, rsa_bits=settings.rsa_bits)
    row = SigningKey(
        issuer_id=issuer.pk,
        number=number,
        key_id=key_id,
        key_type=key_type.value,
        state=KeyState.ACTIVE.value,
        public_jwk=json.dumps(signer.public_key.to_jwk(), sort_keys=True),
        sealed=settings.master_key.seal(signer),
        created_at=work.now,
    )
    session.add(row)
    return row


def add_initial_keys(work: Work) -> None:
    """Give the acting (new) issuer one active key of each type (Ed25519 for proofs, RSA for
    RS256)."""
    for key_type in ISSUER_KEY_TYPES:
        key = add_key(work, key_type)
        work.session.flush()
        work.audit("key.create", key.key_id, key_type=key_type.value)


def active_signers(work: Work, issuer_id: int) -> IssuerSigners:
    """Return the active Ed25519 and RSA keys of the issuer ``issuer_id``, unsealed.

    The issuer is named, not taken from the tenant: the platform signs certifications,
    records and the registry, and pages sign a credential's QR for its issuer.

    Unsealing costs about a millisecond, so unsealed keys are kept in
    ``settings.signer_cache`` (per worker, bounded in number and time) under the issuer and
    the ids of its active keys, read from the database on every call: a rotation or a
    compromise changes those ids, so every worker signs with the new keys from its next
    request on, and the old entry is never used again.

    Raises:
        KeyNotFound: the issuer has no active key of a type (all compromised, say).
        WrongMasterKey: the master key does not open the sealed keys.
    """
    active = tuple(
        work.session.exec(
            select(SigningKey.key_id)
            .where(SigningKey.issuer_id == issuer_id, SigningKey.state == KeyState.ACTIVE.value)
            .order_by(col(SigningKey.number))
        ).all()
    )
    return work.settings.signer_cache.get_or_make(
        (issuer_id, active), lambda: _unseal(work, active)
    )


def forget_signers(settings: Settings) -> None:
    """Drop this worker's unsealed keys at once (after a rotation or a compromise)."""
    settings.signer_cache.clear()


def _unseal(work: Work, key_ids: Sequence[str]) -> IssuerSigners:
    rows = work.session.exec(
        select(SigningKey)
        .where(col(SigningKey.key_id).in_(key_ids))
        .order_by(col(SigningKey.number))
    ).all()
    ring = _ring(rows)
    by_id = {row.key_id: row for row in rows}
    unsealed = {}
    for key_type in ISSUER_KEY_TYPES:
        entry = ring.active(key_type)
        unsealed[key_type] = work.settings.master_key.unseal(
            by_id[entry.key_id].sealed, entry.key_id
        )
    return IssuerSigners(proof=unsealed[KeyType.ED25519], rsa=unsealed[KeyType.RSA])


def did_document(issuer: Issuer, rows: Sequence[SigningKey]) -> dict[str, Any]:
    """Return the issuer's DID document (see :func:`did_document_of`)."""
    return did_document_of(issuer.did, rows)


def did_document_of(did: str, rows: Sequence[SigningKey]) -> dict[str, Any]:
    """Return the DID document of ``did`` whose keys are ``rows``: its published keys under
    ``assertionMethod``, and the keys it declared compromised marked ``revoked`` (so
    verifiers can say exactly that).
    """
    ring = _ring(rows)
    compromised = [
        (entry.public_key, format_datetime(entry.revoked_at))
        for entry in ring.entries
        if entry.state is KeyState.REVOKED and entry.revoked_at is not None
    ]
    return build_did_document(
        did, [entry.public_key for entry in ring.published()], revoked=compromised
    )


def jwks(rows: Sequence[SigningKey]) -> list[dict[str, str]]:
    """Return the published keys as JWKs, ``kid`` = their JsonWebKey DID URL.

    Each JWK names its issuer's DID in ``iss``: the platform-wide JWKS holds every
    issuer's keys, and a verifier must be able to tell whose each one is.
    """
    found = []
    for entry in _ring(rows).published():
        jwk = entry.public_key.to_jwk()
        jwk["kid"] = jwk_method_id(entry.public_key)
        jwk["iss"] = entry.key_id.split("#", 1)[0]
        found.append(jwk)
    return found


def all_jwks(session: Session) -> list[dict[str, str]]:
    """Return the published keys of every issuer as JWKs (the platform's JWKS)."""
    rows = session.exec(
        select(SigningKey)
        .where(SigningKey.state != KeyState.REVOKED.value)
        .order_by(col(SigningKey.issuer_id), col(SigningKey.number))
    ).all()
    return jwks(rows)


def rotate_keys(
    work: Work,
    *,
    key_types: Sequence[KeyType] = ISSUER_KEY_TYPES,
    compromised: bool = False,
) -> list[SigningKey]:
    """Make the acting issuer new active keys of ``key_types``; the old ones retire (or, if
    compromised, revoke).

    Call inside a write transaction. The status lists are re-signed with the new Ed25519
    key, so they keep verifying even when the old key is unpublished.
    """
    session, settings, issuer, now = work.session, work.settings, work.tenant, work.now
    # Serialize rotations of one issuer (key numbers are allocated as max + 1).
    session.exec(select(Issuer.id).where(Issuer.id == issuer.pk).with_for_update(key_share=True))
    rows = issuer_keys(session, issuer.pk)
    created = []
    for key_type in key_types:
        for row in rows:
            if row.key_type == key_type.value and row.state == KeyState.ACTIVE.value:
                _retire(row, compromised=compromised, now=now)
                session.add(row)
                work.audit("key.compromise" if compromised else "key.retire", row.key_id)
        new = add_key(work, key_type)
        created.append(new)
        work.audit("key.rotate", new.key_id, key_type=key_type.value)
    session.flush()
    forget_signers(settings)
    _resign(work)
    return created


def compromise_key(work: Work, key_id: str) -> list[SigningKey]:
    """Mark one key of the acting issuer compromised; if it was active, a replacement is
    created first.

    Call inside a write transaction. Returns the replacement keys (possibly none).

    Raises:
        NotFound: the issuer has no such key.
    """
    session, settings, issuer, now = work.session, work.settings, work.tenant, work.now
    row = next((r for r in issuer_keys(session, issuer.pk) if r.key_id == key_id), None)
    if row is None:
        raise NotFound(f"issuer {issuer.slug!r} has no key {key_id!r}")
    if row.state == KeyState.ACTIVE.value:
        return rotate_keys(work, key_types=[KeyType(row.key_type)], compromised=True)
    if row.state != KeyState.REVOKED.value:
        _retire(row, compromised=True, now=now)
        session.add(row)
        work.audit("key.compromise", key_id)
        session.flush()
        forget_signers(settings)
        _resign(work)
    return []


def badges_signed_by(session: Session, issuer_id: int, keys: Sequence[SigningKey]) -> int:
    """Count the issuer's badges signed with any of ``keys``: those that stop verifying
    once the keys are marked compromised (what a confirmation must say before doing it).

    An Ed25519 key is named by the Data Integrity proof's ``verificationMethod`` (it also
    signs EdDSA VC-JWTs); an RSA key signed the RS256 VC-JWTs issued while it was active.
    """
    conditions = []
    for key in keys:
        if key.key_type == KeyType.ED25519.value:
            method = f'"verificationMethod":{json.dumps(key.key_id)}'
            conditions.append(col(Credential.document).contains(method, autoescape=True))
        else:
            window = and_(
                col(Credential.jwt_alg) == "RS256", col(Credential.issued_at) >= key.created_at
            )
            if key.retired_at is not None:
                window = and_(window, col(Credential.issued_at) <= key.retired_at)
            conditions.append(window)
    if not conditions:
        return 0
    count = session.exec(
        select(func.count())
        .select_from(Credential)
        .where(Credential.issuer_id == issuer_id, or_(*conditions))
    ).one()
    return int(count)


def _retire(row: SigningKey, *, compromised: bool, now: datetime) -> None:
    if compromised:
        row.state = KeyState.REVOKED.value
        row.revoked_at = now
    else:
        row.state = KeyState.RETIRED.value
    row.retired_at = row.retired_at or now


def _resign(work: Work) -> None:
    """Re-sign every status list of the acting issuer with its active Ed25519 key."""
    issuer = work.tenant
    signers = active_signers(work, issuer.pk)
    status.resign_lists(work, issuer=issuer, signer=signers.proof)
