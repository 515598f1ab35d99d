"""Issuer registries: lists of known issuers a verifier checks a credential's issuer against.

Two forms are read:

- the Digital Credentials Consortium's issuer-registry JSON (the ``dcc-legacy`` type of
  ``@digitalcredentials/issuer-registry-client``, as DCC's verifier-core reads it)::

      {"meta": {...}, "registry": {"did:web:…": {"name": ..., "url": ..., "location": ...}}}

  Such a file is unsigned: whoever hands it to the verifier vouches for it.
- a signed registry credential (``IssuerRegistryCredential``, what a Baeji platform serves
  at ``/registry.vc.json``): its Data Integrity proof is verified with the signer's
  published key, and a registry fetched from an address must be signed by that address's
  ``did:web`` (the platform that publishes it), or by the DID the caller names.

A registry is loaded once (:func:`load_registry`) and then looked up offline;
:func:`check_registry` turns the lookups for one credential into the report's ``registry``
check, which is informational: it never changes the verdict (a badge from an unlisted
issuer can be genuine, and a listed issuer's forged badge stays invalid).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from badges.summary import as_list
from keys import InvalidDid, did_web_from_url
from verify.algorithm import issuer_established
from verify.checks import (
    check_authenticity,
    check_json_ld,
    check_validity_window,
    issuer_id_of,
    result,
    skipped,
)
from verify.errors import InvalidRegistry
from verify.report import CheckResult, CheckStatus, VerificationReport
from verify.resolve import Fetcher
from verify.session import FetchSession, default_proof_cache

CHECK_ID = "registry"
REGISTRY_ACCEPT = "application/json, application/vc+ld+json;q=0.9, application/ld+json;q=0.8"
SIGNED_TYPE = "IssuerRegistryCredential"
MAX_REGISTRY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class RegistryEntry:
    """One issuer as a registry lists it.

    Attributes:
        did: the issuer's DID (what a credential's ``issuer.id`` must equal).
        name: the name the registry gives it.
        url: its web address, if listed.
        location: where it is, if listed (DCC registries).
        extra: the entry's other members as listed (``logo``, ``certification``...).
    """

    did: str
    name: str
    url: str | None = None
    location: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the entry's JSON form (for reports)."""
        found: dict[str, Any] = {"did": self.did, "name": self.name}
        if self.url is not None:
            found["url"] = self.url
        if self.location is not None:
            found["location"] = self.location
        found.update(self.extra)
        return found


@dataclass(frozen=True)
class IssuerRegistry:
    """A loaded registry.

    Attributes:
        name: the registry's own name, or where it came from.
        source: the URL or file it was loaded from.
        entries: the listed issuers by DID.
        signed_by: the DID whose signature was verified (signed registries only).
        document: the registry document as loaded (what a trust file keeps).
    """

    name: str
    source: str
    entries: Mapping[str, RegistryEntry]
    signed_by: str | None = None
    document: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def lookup(self, did: str) -> RegistryEntry | None:
        """Return the entry of ``did``, or ``None`` if the registry does not list it."""
        return self.entries.get(did)

    @property
    def label(self) -> str:
        """How reports name the registry: its name, and its signer when signed."""
        return f"{self.name} ({self.signed_by})" if self.signed_by else self.name


@dataclass(frozen=True)
class UncheckedRegistry:
    """A registry that could not be loaded, and why (``code`` is the error's code)."""

    source: str
    code: str
    reason: str


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dcc_entries(listed: Any) -> dict[str, RegistryEntry]:
    if not isinstance(listed, Mapping):
        raise InvalidRegistry("a DCC registry's 'registry' must map DIDs to entries")
    entries = {}
    for did, entry in listed.items():
        if not isinstance(did, str) or not isinstance(entry, Mapping):
            raise InvalidRegistry(f"the registry entry for {did!r} is not an object")
        name = _text(entry.get("name"))
        if name is None:
            raise InvalidRegistry(f"the registry entry for {did!r} has no name")
        extra = {k: v for k, v in entry.items() if k not in ("name", "url", "location")}
        entries[did] = RegistryEntry(
            did, name, _text(entry.get("url")), _text(entry.get("location")), extra
        )
    return entries


def _signed_entries(subject: Mapping[str, Any]) -> dict[str, RegistryEntry]:
    entries = {}
    for node in as_list(subject.get("registeredIssuer")):
        if not isinstance(node, Mapping):
            raise InvalidRegistry("a registeredIssuer is not an object")
        did, name = _text(node.get("id")), _text(node.get("name"))
        if did is None or name is None:
            raise InvalidRegistry("a registeredIssuer needs an id and a name")
        extra = {
            k: v for k, v in node.items() if k not in ("id", "type", "name", "url", "location")
        }
        entries[did] = RegistryEntry(
            did, name, _text(node.get("url")), _text(node.get("location")), extra
        )
    return entries


def publisher_did(url: str) -> str | None:
    """The ``did:web`` of the site that publishes a registry at ``url``: the DID of the
    address's folder (``https://host/registry.vc.json`` → ``did:web:host``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    folder = parts.path.rsplit("/", 1)[0]
    try:
        return did_web_from_url(f"{parts.scheme}://{parts.netloc}{folder}")
    except InvalidDid:
        return None


def _check_signed(
    document: Mapping[str, Any],
    *,
    fetcher: Fetcher,
    now: datetime,
    expected_issuer: str | None,
) -> str:
    """Verify a signed registry's proof, signer and validity; return the signer's DID."""
    signer = issuer_id_of(document)
    if signer is None:
        raise InvalidRegistry("the signed registry names no issuer")
    if expected_issuer is not None and signer != expected_issuer:
        raise InvalidRegistry(
            f"the registry is signed by {signer}, not by {expected_issuer} that publishes it"
        )
    session = FetchSession(fetcher, now, timedelta(minutes=5), proofs=default_proof_cache())
    terms = check_json_ld(document, has_jwt=False, session=session)
    if terms.status is not CheckStatus.PASSED:
        raise InvalidRegistry(f"the signed registry is not sound JSON-LD: {terms.message()}")
    authenticity = check_authenticity(document, None, session)
    if not authenticity.established:
        failing = next(
            (r for r in authenticity.results if r.status is not CheckStatus.PASSED),
            authenticity.proof,
        )
        raise InvalidRegistry(f"the registry's signature does not hold: {failing.message()}")
    window = check_validity_window(document, now, timedelta(minutes=5))
    if window.status is not CheckStatus.PASSED:
        raise InvalidRegistry(f"the signed registry is not valid now: {window.message()}")
    return signer


def parse_registry(
    data: bytes | str | Mapping[str, Any],
    *,
    source: str,
    fetcher: Fetcher,
    now: datetime,
    expected_issuer: str | None = None,
) -> IssuerRegistry:
    """Read a registry document: DCC issuer-registry JSON or a signed registry credential.

    Args:
        data: the document (bytes, text or parsed JSON).
        source: where it came from (URL or path), for reports.
        fetcher: how a signed registry's signer's DID document is fetched.
        now: the time its signature and validity are checked at.
        expected_issuer: the DID that must have signed a signed registry (``None``: any).

    Raises:
        InvalidRegistry: not a registry in either form, or a signed registry that does not
            verify (proof, signer, validity period).
        FetchError: the signer's DID document could not be fetched.
    """
    if isinstance(data, Mapping):
        document: Any = data
    else:
        if len(data) > MAX_REGISTRY_BYTES:
            raise InvalidRegistry(f"the registry {source} is too large")
        try:
            document = json.loads(data)
        except (ValueError, RecursionError) as err:
            raise InvalidRegistry(f"the registry {source} is not JSON: {err}") from err
    if not isinstance(document, Mapping):
        raise InvalidRegistry(f"the registry {source} is not a JSON object")
    if SIGNED_TYPE in as_list(document.get("type")):
        subject = document.get("credentialSubject")
        if not isinstance(subject, Mapping):
            raise InvalidRegistry("the signed registry has no credentialSubject")
        entries = _signed_entries(subject)
        signer = _check_signed(document, fetcher=fetcher, now=now, expected_issuer=expected_issuer)
        name = _text(subject.get("name")) or _text(document.get("name")) or source
        return IssuerRegistry(name, source, entries, signer, document)
    if "registry" not in document:
        raise InvalidRegistry(
            f"{source} is neither a DCC issuer registry nor a signed registry credential"
        )
    meta = document.get("meta")
    name = (_text(meta.get("name")) if isinstance(meta, Mapping) else None) or source
    return IssuerRegistry(name, source, _dcc_entries(document["registry"]), None, document)


def fetch_registry(
    url: str, *, fetcher: Fetcher, now: datetime, expected_issuer: str | None = None
) -> IssuerRegistry:
    """Fetch and read the registry at ``url`` (see :func:`parse_registry`).

    A signed registry fetched from an address must be signed by the ``did:web`` of that
    address (:func:`publisher_did`) unless ``expected_issuer`` names another signer.

    Raises:
        FetchError: the registry (or its signer's DID document) could not be fetched.
        InvalidRegistry: see :func:`parse_registry`.
    """
    fetched = fetcher.fetch(url, accept=REGISTRY_ACCEPT)
    return parse_registry(
        fetched.body,
        source=url,
        fetcher=fetcher,
        now=now,
        expected_issuer=expected_issuer or publisher_did(url),
    )


def check_registry(
    credential: Mapping[str, Any] | None,
    registries: Sequence[IssuerRegistry],
    unchecked: Sequence[UncheckedRegistry] = (),
    *,
    established: bool = True,
) -> CheckResult:
    """Return the ``registry`` check: is the credential's issuer listed by a registry?

    The first registry (in the order given: most authoritative first) that lists the
    issuer names it. Informational: the verdict does not depend on it. ``established``:
    whether the issuer named in the credential is the one who signed it; when not, the
    name proves nothing (anyone can write a listed DID into a forgery) and nothing is
    looked up.
    """
    issuer = issuer_id_of(credential) if credential is not None else None
    if issuer is None:
        return skipped(CHECK_ID, "registry-no-issuer")
    if not established:
        return skipped(CHECK_ID, "authenticity-not-established")
    for registry in registries:
        entry = registry.lookup(issuer)
        if entry is not None:
            return result(
                CHECK_ID,
                CheckStatus.PASSED,
                "issuer-in-registry",
                registry=registry.label,
                name=entry.name,
                issuer=issuer,
                source=registry.source,
                entry=entry.to_json(),
            )
    if unchecked:
        return result(
            CHECK_ID,
            CheckStatus.ERROR,
            "registry-unchecked",
            issuer=issuer,
            registries=[r.label for r in registries],
            unchecked=[u.source for u in unchecked],
            reasons=[u.reason for u in unchecked],
        )
    return result(
        CHECK_ID,
        CheckStatus.FAILED,
        "issuer-not-in-registry",
        issuer=issuer,
        registries=[r.label for r in registries],
    )


def with_registry_check(
    report: VerificationReport,
    registries: Sequence[IssuerRegistry],
    unchecked: Iterable[UncheckedRegistry] = (),
) -> VerificationReport:
    """Return ``report`` with its ``registry`` check added (the verdict is unchanged)."""
    check = check_registry(
        report.credential,
        registries,
        tuple(unchecked),
        established=issuer_established(report),
    )
    kept = tuple(c for c in report.checks if c.id != CHECK_ID)
    return replace(report, checks=(*kept, check))
