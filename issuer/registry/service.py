"""The public issuer registry: every registered provider, for verifiers to recognise.

Two documents, built from the same rows:

- ``/registry.json`` in the Digital Credentials Consortium's issuer-registry format (the
  ``dcc-legacy`` registry type of ``@digitalcredentials/issuer-registry-client``, which
  DCC's verifier-core and VerifierPlus load)::

      {"meta": {"created": ..., "name": ..., "url": ..., "signedCopy": ...},
       "registry": {"did:web:…": {"name": ..., "url": ..., "logo": ..., ...}}}

  A verifier looks the credential's issuer DID up in ``registry``; ``name`` and ``url``
  are what it shows. Our extra members (``logo``, ``profile``, ``certification``) are
  ignored by DCC's client.
- ``/registry.vc.json``: the same list as a ``VerifiableCredential`` signed by the
  platform's own identity (``eddsa-rdfc-2022``), its terms defined by the bundled Baeji
  registry context (:data:`badges.context.BAEJI_REGISTRY_V1`). It is stored (table
  ``registry_credential``) under a digest of what it says and of the platform key that
  signs it: a changed list, or a rotated key, is signed anew once, by the first request
  that sees the change, and every worker then serves the same bytes.

Both are built from one narrow query over the providers (no logo bytes are read), so a
change to a provider (name, address, logo, certification, removal) shows on the next
request without any hook in the code that made it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from badges import format_datetime, sign_credential
from badges.context import REGISTRY_CONTEXTS
from issuer.certification import service as certifications
from issuer.certification.models import Certification as CertificationRow
from issuer.config import Settings
from issuer.db import Work, write_transaction
from issuer.issuers import platform, signing
from issuer.issuers import service as accounts
from issuer.models import Issuer, RegistryCredential, SigningKey
from issuer.published.service import Published
from keys import KeyState, KeyType

REGISTRY_PATH = "registry.json"
SIGNED_PATH = "registry.vc.json"
REGISTRY_NAME = "Baeji 배지 issuer registry"
CREDENTIAL_JSON = "application/vc+ld+json"
# What the signed copy is, in its own words; a change here re-signs it.
_FORMAT = "baeji-registry/1"
# Who acts when a request for the registry creates the platform's identity.
ACTOR = "registry"
_KEEP_SUPERSEDED = timedelta(hours=1)


@dataclass(frozen=True)
class Certification:
    """A provider's current certification, as the registry lists it.

    Attributes:
        programme: the programme id (``leaders-club``).
        name: the programme's display name.
        valid_until: when the certification ends.
        endorsement_url: the URL of the signed EndorsementCredential that certifies it.
    """

    programme: str
    name: str
    valid_until: datetime
    endorsement_url: str

    def to_json(self) -> dict[str, Any]:
        """Return the registry's JSON form (the same members in both documents)."""
        return {
            "programme": self.programme,
            "name": self.name,
            "validUntil": format_datetime(self.valid_until),
            "endorsement": self.endorsement_url,
        }


@dataclass(frozen=True)
class RegistryEntry:
    """One registered provider."""

    did: str
    name: str
    url: str
    profile_url: str
    logo_url: str | None
    certification: Certification | None = None

    def dcc_json(self) -> dict[str, Any]:
        """Return the entry in DCC's issuer-registry format (``name``, ``url`` first)."""
        entry: dict[str, Any] = {"name": self.name, "url": self.url, "profile": self.profile_url}
        if self.logo_url is not None:
            entry["logo"] = self.logo_url
        if self.certification is not None:
            entry["certification"] = self.certification.to_json()
        return entry

    def credential_json(self) -> dict[str, Any]:
        """Return the entry as a ``RegisteredIssuer`` node of the signed registry."""
        node: dict[str, Any] = {
            "id": self.did,
            "type": "RegisteredIssuer",
            "name": self.name,
            "url": self.url,
            "profile": self.profile_url,
        }
        if self.logo_url is not None:
            node["logo"] = self.logo_url
        if self.certification is not None:
            node["certification"] = [{"type": "Certification", **self.certification.to_json()}]
        return node


def certifications_of(work: Work) -> Mapping[int, Certification]:
    """Return the current certification of each listed provider that has one, by issuer id.

    Current: not revoked and within its period at ``work.now`` (as
    :func:`issuer.certification.service.current` decides, for every listed provider in one
    query, however many there are); of several, the one lasting longest. This is the
    platform's own record, and the platform is the certifier that signs the registry;
    verifiers who want the certification itself follow ``endorsement`` to the signed
    EndorsementCredential.
    """
    now = work.now
    query = (
        core_select(
            col(CertificationRow.id),
            col(CertificationRow.issuer_id),
            col(CertificationRow.programme),
            col(CertificationRow.valid_until),
        )
        .join(Issuer, col(Issuer.id) == col(CertificationRow.issuer_id))
        .where(
            accounts.publicly_listed(),
            col(CertificationRow.revoked_at).is_(None),
            col(CertificationRow.valid_from) <= now,
            col(CertificationRow.valid_until) > now,
        )
        .order_by(
            col(CertificationRow.issuer_id),
            col(CertificationRow.valid_until).desc(),
            col(CertificationRow.id),
        )
    )
    found: dict[int, Certification] = {}
    rows = work.session.connection().execute(query)
    for certification_id, issuer_id, programme_id, valid_until in rows:
        if issuer_id in found:
            continue
        programme = certifications.PROGRAMMES.get(programme_id)
        name = f"{programme.name_ko} · {programme.name_en}" if programme else programme_id
        found[issuer_id] = Certification(
            programme=programme_id,
            name=name,
            valid_until=valid_until,
            endorsement_url=certifications.certification_url(work, certification_id),
        )
    return found


def registry_entries(work: Work) -> list[RegistryEntry]:
    """Return every listed provider, sorted by DID, in one query (no logo bytes read), with
    its certification current at ``work.now``."""
    settings = work.settings
    query = (
        core_select(
            col(Issuer.id),
            col(Issuer.slug),
            col(Issuer.did),
            col(Issuer.name),
            col(Issuer.url),
            col(Issuer.logo_type).is_not(None),
        )
        .where(accounts.publicly_listed())
        .order_by(col(Issuer.did))
    )
    rows = work.session.connection().execute(query).all()
    certified = certifications_of(work)
    entries = []
    for issuer_id, slug, did, name, url, has_logo in rows:
        profile = settings.url("issuers", slug)
        entries.append(
            RegistryEntry(
                did=did,
                name=name,
                url=url or profile,
                profile_url=profile,
                logo_url=settings.url("issuers", slug, "logo") if has_logo else None,
                certification=certified.get(issuer_id) if issuer_id is not None else None,
            )
        )
    return entries


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def dcc_registry(settings: Settings, entries: Sequence[RegistryEntry]) -> dict[str, Any]:
    """Return the registry document in DCC's issuer-registry (``dcc-legacy``) format."""
    return {
        "meta": {
            "name": REGISTRY_NAME,
            "url": settings.url(REGISTRY_PATH),
            "signedCopy": settings.url(SIGNED_PATH),
            "issuer": platform.platform_did(settings),
        },
        "registry": {entry.did: entry.dcc_json() for entry in entries},
    }


def registry_document(work: Work, *, max_age: int) -> Published:
    """``/registry.json``: every listed provider in DCC's issuer-registry format."""
    body = _json_bytes(dcc_registry(work.settings, registry_entries(work)))
    return Published(
        _digest(b"dcc", body)[:32],
        "application/json; charset=utf-8",
        f"public, max-age={max_age}",
        lambda: body,
    )


def unsigned_registry_credential(
    settings: Settings,
    entries: Sequence[RegistryEntry],
    *,
    issuer_did: str,
    issuer_name: str,
    now: datetime,
) -> dict[str, Any]:
    """Return the registry as an unsigned VerifiableCredential of the platform."""
    return {
        "@context": list(REGISTRY_CONTEXTS),
        "id": settings.url(SIGNED_PATH),
        "type": ["VerifiableCredential", "IssuerRegistryCredential"],
        "issuer": {"id": issuer_did, "name": issuer_name},
        "name": REGISTRY_NAME,
        "validFrom": format_datetime(now),
        "credentialSubject": {
            "id": settings.url(REGISTRY_PATH),
            "type": "IssuerRegistry",
            "name": REGISTRY_NAME,
            "registeredIssuer": [entry.credential_json() for entry in entries],
        },
    }


def _active_proof_key(session: Session, platform_id: int) -> str | None:
    return session.exec(
        select(SigningKey.key_id)
        .where(
            SigningKey.issuer_id == platform_id,
            SigningKey.state == KeyState.ACTIVE.value,
            SigningKey.key_type == KeyType.ED25519.value,
        )
        .order_by(col(SigningKey.number).desc())
    ).first()


def _stored(session: Session, digest: str) -> tuple[str, str] | None:
    found = session.exec(
        select(RegistryCredential.document, RegistryCredential.etag).where(
            RegistryCredential.digest == digest
        )
    ).first()
    return (found[0], found[1]) if found is not None else None


def signed_registry(work: Work) -> tuple[str, str]:
    """Return (signed JSON text, ETag) of the registry credential for the current list.

    Signs and stores it when the list, or the platform's signing key, changed since it was
    last signed; two workers signing at once are settled by the unique digest (the loser
    serves the winner's copy). The platform's identity is created on first use, by the
    unit's actor (:data:`ACTOR` for the public routes).
    """
    session, settings = work.session, work.settings
    now = work.now.replace(microsecond=0)
    work = work.at(now)
    identity = platform.ensure_platform(work)
    entries = registry_entries(work)
    listed = _json_bytes([entry.credential_json() for entry in entries])
    key_id = _active_proof_key(session, identity.pk) or ""
    digest = _digest(
        _FORMAT.encode(), identity.did.encode(), identity.name.encode(), key_id.encode(), listed
    )
    found = _stored(session, digest)
    if found is not None:
        return found
    signers = signing.active_signers(work, identity.pk)
    unsigned = unsigned_registry_credential(
        settings, entries, issuer_did=identity.did, issuer_name=identity.name, now=now
    )
    signed = sign_credential(
        unsigned,
        proof_signer=signers.proof,
        now=now,
        verification_method=signers.proof.key_id,
    )
    text = json.dumps(signed.credential, ensure_ascii=False, separators=(",", ":"))
    etag = _digest(b"vc", text.encode())[:32]
    try:
        with write_transaction(session):
            session.add(RegistryCredential(digest=digest, document=text, etag=etag, created_at=now))
            # Superseded copies are never served again (a request works out the current
            # digest); the grace period spares copies a concurrent change just made.
            session.exec(
                delete(RegistryCredential).where(
                    col(RegistryCredential.digest) != digest,
                    col(RegistryCredential.created_at) < now - _KEEP_SUPERSEDED,
                )
            )
    except IntegrityError:
        found = _stored(session, digest)
        if found is None:
            raise
        return found
    return text, etag


def registry_credential(work: Work, *, max_age: int) -> Published:
    """``/registry.vc.json``: the registry signed by the platform, as last signed."""
    text, etag = signed_registry(work)
    return Published(
        etag,
        f"{CREDENTIAL_JSON}; charset=utf-8",
        f"public, max-age={max_age}",
        lambda: text.encode(),
    )
