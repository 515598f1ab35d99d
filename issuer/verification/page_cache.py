"""Rendered verification pages, kept per worker while nothing they show can have changed.

A credential's page (``GET /credentials/{id}``, what its QR code opens) shows a live
verdict, yet almost every load of it shows the same bytes as the one before. A page is kept
(bytes, ETag, headers; per worker, bounded) under its path and language, with the
**versions** of everything it was made from, and served again while:

- every version is what it was: one SELECT (:data:`PAGE_DEPENDENCIES`, joined with
  ``UNION ALL``, all keyed by the credential's id) reads, as ``(kind, ref, version)`` rows,
  the credential's status columns (revoked, suspended, the public reasons), the ETags of
  its status lists, its issuer's row (name, slug, logo, DID) and its issuer's signing keys
  and their states (what the DID document is built from, so a rotation or a compromise
  changes it). The database is the only thing workers share, so a revocation committed by
  any worker shows on the very next load in every worker;
- the time is on the same side of the credential's validity window (it may have expired
  since), and in the same minute (the page says when it was checked, to the minute);
- the entry is younger than the report cache's bound (:class:`PageCache`), so anything
  else that changes with time is seen as soon as a kept report would see it.

The versions are read *before* a page is rendered from fresh reads: a change committed
after that read makes the next request's versions differ, so a page is never kept under
versions older than what it shows. A page is kept only when its report rests on the
credential's own documents and nothing else (:func:`covers`).

**Adding a dependency.** A page that shows something else (for example a certification
document) must name it here: add a SELECT to :data:`PAGE_DEPENDENCIES` that yields
``(kind, ref, version)`` text rows for the credential ``:credential_id``, where
``version`` changes whenever what the page shows of it changes; add what it reads over
time (a validity period) to the window; and add the id of the report check that reads it
to :data:`COVERED_CHECKS`. Until then a report with that check (not skipped) is never kept:
new checks are safe by default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Engine,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    union_all,
)
from sqlalchemy import select as core_select
from sqlalchemy.sql.elements import BindParameter, ColumnClause, ColumnElement
from sqlmodel import Session, col

from issuer.caches import BoundedCache
from issuer.certification.models import Certification
from issuer.issuers.service import PLATFORM_SLUG
from issuer.models import Credential, Issuer, SigningKey, StatusList
from issuer.prepared import PreparedRead
from issuer.verification.service import window_side
from verify import CheckResult, CheckStatus

_CREDENTIAL_ID: BindParameter[str] = bindparam("credential_id", type_=String())
_SEPARATOR: ColumnClause[str] = literal_column("'|'", String())


def _text(column: Any) -> ColumnElement[str]:
    """A column as text, ``''`` for NULL (so a concatenation never turns NULL)."""
    return func.coalesce(cast(column, String), "")


def _version(*columns: Any) -> ColumnElement[str]:
    """The columns' texts joined with ``|``: one version text that changes with any."""
    joined: ColumnElement[str] = _text(columns[0])
    for column in columns[1:]:
        joined = joined + _SEPARATOR + _text(column)
    return joined


def _flag(condition: Any) -> ColumnElement[str]:
    return case((condition, "1"), else_="0")


# What a credential's page is made from, one SELECT per kind of dependency, each giving
# (kind, ref, version) rows for the credential ``:credential_id``. Add yours here.
PAGE_DEPENDENCIES: tuple[Select[*tuple[Any, ...]], ...] = (
    # The credential's own status: the page shows when it was revoked or suspended, and why.
    core_select(
        literal_column("'credential'"),
        col(Credential.id),
        _version(
            col(Credential.revoked_at),
            col(Credential.suspended_at),
            col(Credential.revocation_reason),
            col(Credential.suspension_reason),
            _flag(col(Credential.reason_public)),
        ),
    ).where(col(Credential.id) == _CREDENTIAL_ID),
    # Its status lists, by the ETag that changes whenever a bit flips: the verdict.
    core_select(literal_column("'status-list'"), col(StatusList.id), col(StatusList.etag))
    .join(
        Credential,
        or_(
            col(StatusList.id) == col(Credential.revocation_list_id),
            col(StatusList.id) == col(Credential.suspension_list_id),
        ),
    )
    .where(col(Credential.id) == _CREDENTIAL_ID),
    # Its issuer: the DID (who is registered), slug and logo (links), name (shown), and
    # its standing on the platform (a removed provider is not shown as registered).
    core_select(
        literal_column("'issuer'"),
        col(Issuer.slug),
        _version(
            col(Issuer.did),
            _flag(col(Issuer.logo).is_not(None)),
            col(Issuer.name),
            col(Issuer.state),
        ),
    )
    .join(Credential, col(Credential.issuer_id) == col(Issuer.id))
    .where(col(Credential.id) == _CREDENTIAL_ID),
    # Its issuer's keys and their states: what the DID document (the proofs' keys) says.
    core_select(literal_column("'signing-key'"), col(SigningKey.key_id), col(SigningKey.state))
    .join(Credential, col(Credential.issuer_id) == col(SigningKey.issuer_id))
    .where(col(Credential.id) == _CREDENTIAL_ID),
    # Its issuer's certifications (the ``issuer-certification`` check): each one's period
    # and revocation, and the ETag of the platform's status list it is on.
    core_select(
        literal_column("'certification'"),
        col(Certification.id),
        _version(
            col(Certification.valid_from),
            col(Certification.valid_until),
            col(Certification.revoked_at),
            col(StatusList.etag),
        ),
    )
    .join(StatusList, col(StatusList.id) == col(Certification.status_list_id))
    .join(Credential, col(Credential.issuer_id) == col(Certification.issuer_id))
    .where(col(Credential.id) == _CREDENTIAL_ID),
    # The platform's keys, which sign the certifications (its DID document).
    core_select(literal_column("'platform-key'"), col(SigningKey.key_id), col(SigningKey.state))
    .join(Issuer, col(Issuer.id) == col(SigningKey.issuer_id))
    # Only for a credential there is (no versions at all for an unknown one).
    .join(Credential, col(Credential.id) == _CREDENTIAL_ID)
    .where(col(Issuer.slug) == PLATFORM_SLUG),
)
_VERSIONS = PreparedRead(union_all(*PAGE_DEPENDENCIES))

Versions = tuple[tuple[str, str, str], ...]


def current_versions(source: Session | Engine, credential_id: str) -> Versions:
    """The versions of everything the page of ``credential_id`` is made from, now (empty
    when there is no such credential), read with a session or on the engine."""
    if isinstance(source, Engine):
        rows = _VERSIONS.rows_on(source, credential_id=credential_id)
    else:
        rows = _VERSIONS.rows(source, credential_id=credential_id)
    return tuple(sorted((str(kind), str(ref), str(version)) for kind, ref, version in rows))


# The checks of a report whose inputs PAGE_DEPENDENCIES covers. A report with any other
# check that was not skipped (one added later, reading documents of its own) is never kept
# until its inputs are in PAGE_DEPENDENCIES and its id is here.
COVERED_CHECKS = frozenset(
    {
        "input",
        "structure",
        "json-ld",
        "issuer",
        "key",
        "proof",
        "jwt",
        "status",
        "revocation",
        "suspension",
        "validity-window",
        "recipient",
        "endorsements",
        "embedded-credentials",
        # Its inputs are the certification rows and the platform's keys above; a
        # certification's period is crossed at most a minute late (pages are re-rendered
        # each minute, as they say when they were checked).
        "issuer-certification",
    }
)


def covers(
    versions: Versions,
    documents: Iterable[str],
    issuer_id: str | None,
    checks: Iterable[CheckResult] = (),
) -> bool:
    """Whether ``versions`` name every document the report rested on (paths under the
    service's origin: the credential itself, its status lists, its issuer's DID document
    or JWKS) and the issuer the credential names (``issuer_id``, its DID), and every check
    of the report (``checks``) that was not skipped is one of :data:`COVERED_CHECKS`."""
    for check in checks:
        if check.id not in COVERED_CHECKS and check.status is not CheckStatus.SKIPPED:
            return False
    lists = {ref for kind, ref, _ in versions if kind == "status-list"}
    issuers = {ref: version for kind, ref, version in versions if kind == "issuer"}
    if len(issuers) != 1:
        return False
    ((slug, version),) = issuers.items()
    if issuer_id is None or version.split("|", 1)[0] != issuer_id:
        return False
    for path in documents:
        segments = path.strip("/").split("/")
        if len(segments) == 2 and segments[0] == "credentials":
            continue  # an issued credential never changes
        if len(segments) == 2 and segments[0] == "status" and segments[1] in lists:
            continue
        if segments[:2] == ["issuers", slug] and segments[2:] in (["did.json"], ["jwks.json"]):
            continue
        return False
    return True


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class CachedPage:
    """A rendered page, what it was made from, and when it stops being right."""

    body: bytes
    etag: str
    headers: tuple[tuple[str, str], ...]
    versions: Versions
    window: tuple[datetime | None, datetime | None]
    side: tuple[bool, bool]
    minute: datetime

    def current(self, versions: Versions, now: datetime) -> bool:
        """Whether this page is still what a fresh render at ``now`` would show, given
        the ``versions`` read now."""
        return (
            versions == self.versions
            and _minute(now) == self.minute
            and window_side(self.window, now) == self.side
        )


def page_etag(body: bytes) -> str:
    """The strong ETag (unquoted) of a page's bytes."""
    return hashlib.sha256(body).hexdigest()[:32]


# Headers a kept page is served with again; the rest (security headers, cookies) are
# added to every response by the app's hooks.
_KEPT_HEADERS = frozenset({"content-type", "cache-control", "vary", "content-language"})


@dataclass
class PageCache:
    """Rendered pages of one worker, by (path, language): 1,024 at most, each at most ten
    minutes old (the report cache's bound)."""

    entries: BoundedCache[CachedPage] = field(default_factory=lambda: BoundedCache(1024, 600.0))

    def get(self, key: tuple[str, str], versions: Versions, now: datetime) -> CachedPage | None:
        """The page kept under ``key`` if it is still current."""
        found = self.entries.get(key)
        return found if found is not None and found.current(versions, now) else None

    def keep(
        self,
        key: tuple[str, str],
        *,
        body: bytes,
        headers: Iterable[tuple[str, str]],
        versions: Versions,
        window: tuple[datetime | None, datetime | None],
        checked_at: datetime,
    ) -> CachedPage:
        """Keep a page rendered from fresh reads made after ``versions`` were read, its
        report checked at ``checked_at``."""
        page = CachedPage(
            body=body,
            etag=page_etag(body),
            headers=tuple((k, v) for k, v in headers if k.lower() in _KEPT_HEADERS),
            versions=versions,
            window=window,
            side=window_side(window, checked_at),
            minute=_minute(checked_at),
        )
        self.entries.put(key, page)
        return page


def page_cache_of(state: dict[str, Any]) -> PageCache:
    """The worker's page cache, kept in the app's extension state."""
    found = state.get("pages")
    if not isinstance(found, PageCache):
        found = state["pages"] = PageCache()
    return found


__all__ = [
    "COVERED_CHECKS",
    "PAGE_DEPENDENCIES",
    "CachedPage",
    "PageCache",
    "Versions",
    "covers",
    "current_versions",
    "page_cache_of",
    "page_etag",
]
