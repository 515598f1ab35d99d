"""Verification by this service: the ``verify`` package, with this service's origin in-process.

Documents under the service's own origin (DID documents, JWKS, status lists, credentials,
certifications) are read from the database by :class:`StoredFetcher`: the same bytes and ETags
:mod:`issuer.published.service` serves, without an HTTP round trip, so a development server on
127.0.0.1 verifies its own badges without opening the verifier to local addresses.
Anything else goes through :class:`verify.HttpFetcher` (HTTPS, public addresses only,
size and time limits). The API (``POST /api/v1/verify``) and the web pages both verify
through :func:`verify_source`, so they and the ``baeji verify`` command judge a credential
the same way.

A report is kept per worker (:class:`ReportCache`) when every document it used is this
service's own: it is reused while those documents keep their ETags (a status list's
changes when a bit flips, a DID document's when a key rotates or is compromised) and while
the time still falls on the same side of the credential's validity window, so a
revocation shows on the next request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from badges.summary import parse_datetime
from issuer import settings_of
from issuer.caches import BoundedCache
from issuer.db import Work
from issuer.errors import NotFound
from issuer.operations import public_work
from issuer.published import certifications as published_certifications
from issuer.published import service as published
from verify import (
    CachingFetcher,
    DocumentNotFound,
    FetchedDocument,
    Fetcher,
    HttpFetcher,
    ProofCache,
    Verdict,
    VerificationReport,
    verify_credential,
)

# verify_credential's default tolerance on validFrom / validUntil.
_CLOCK_SKEW = timedelta(minutes=5)
_CREDENTIAL_TYPES = (
    published.CREDENTIAL_JSON,
    "application/ld+json",
    "application/json",
    "application/vc",
    "application/vc+jwt",
    "text/plain",
)


@dataclass(frozen=True)
class _Used:
    """One own document a verification read: its URL, its path under the service's
    origin, and its ETag then."""

    url: str
    accept: str
    etag: str
    path: str = ""


class StoredFetcher:
    """A :class:`verify.Fetcher` that reads documents of this service from its database.

    did:web URLs always say ``https``; a development origin is ``http``, so only host and
    port are compared. A path of this origin that is not a published document is not
    found (no request is made to the service itself). Every document read is recorded in
    :attr:`used`, with a way to read its current ETag cheaply. Documents are read with
    ``work``'s session.
    """

    def __init__(
        self,
        work: Work,
        caches: published.Caches,
        *,
        status_max_age: int,
        document_max_age: int,
        fallback: Fetcher,
    ) -> None:
        self._work = work
        self._session = work.session
        self._caches = caches
        self._status_max_age = status_max_age
        self._document_max_age = document_max_age
        origin = urlsplit(work.settings.base_url)
        self._netloc = origin.netloc.lower()
        self._prefix = origin.path.rstrip("/")
        self._fallback = fallback
        self.used: list[_Used] = []
        self.foreign = False

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        """Return the document at ``url``."""
        parts = urlsplit(url)
        if parts.netloc.lower() != self._netloc or not parts.path.startswith(self._prefix + "/"):
            self.foreign = True
            return self._fallback.fetch(url, accept=accept)
        path = parts.path[len(self._prefix) :]
        try:
            found = self._read(path, accept)
        except NotFound as err:
            raise DocumentNotFound(f"{url} answered 404", url=url) from err
        self.used.append(_Used(url, accept, found.etag, path))
        headers = {
            "content-type": found.content_type,
            "etag": f'"{found.etag}"',
            "cache-control": found.cache_control,
        }
        return FetchedDocument(url, 200, found.content_type, found.render(), headers)

    def unchanged(self, documents: Sequence[_Used]) -> bool:
        """Whether every document still has the ETag it had, read with this fetcher's
        session (the status lists by their ETag column, in one query)."""
        lists: dict[str, str] = {}
        for used in documents:
            path = urlsplit(used.url).path[len(self._prefix) :]
            segments = path.strip("/").split("/")
            if len(segments) == 2 and segments[0] in ("credentials", "certifications"):
                continue  # an issued credential (or certification) never changes
            if len(segments) == 2 and segments[0] == "status":
                lists[segments[1]] = used.etag
                continue
            try:
                if self._read(path, used.accept).etag != used.etag:
                    return False
            except NotFound:
                return False
        return not lists or published.status_list_etags(self._session, list(lists)) == lists

    def _read(self, path: str, accept: str) -> published.Published:
        session, caches = self._session, self._caches
        segments = path.strip("/").split("/")
        if path in ("/.well-known/did.json", "/did.json"):
            return published.did_document(session, caches, None, max_age=self._document_max_age)
        if path == "/.well-known/jwks.json":
            return published.jwks(session, caches, None, max_age=self._document_max_age)
        if len(segments) == 3 and segments[0] == "issuers" and segments[2] == "did.json":
            return published.did_document(
                session, caches, segments[1], max_age=self._document_max_age
            )
        if len(segments) == 3 and segments[0] == "issuers" and segments[2] == "jwks.json":
            return published.jwks(session, caches, segments[1], max_age=self._document_max_age)
        if len(segments) == 2 and segments[0] == "status":
            return published.status_list(session, segments[1], max_age=self._status_max_age)
        if len(segments) == 2 and segments[0] == "credentials":
            ref, _, extension = segments[1].partition(".")
            form = extension or _credential_form(accept)
            return published.credential(session, self._work.settings, caches, ref, form)
        if len(segments) == 2 and segments[0] == "certifications":
            ref, _, extension = segments[1].partition(".")
            form = extension or _credential_form(accept)
            return published_certifications.certification(self._work, ref, form)
        raise NotFound(f"{path} is not a document this service publishes")


def _credential_form(accept: str) -> str:
    wanted = parse_accept_header(accept, MIMEAccept).best_match(_CREDENTIAL_TYPES)
    return "jwt" if wanted in ("application/vc+jwt", "text/plain") else "json"


@dataclass(frozen=True)
class _CachedReport:
    report: VerificationReport
    used: tuple[_Used, ...]
    window: tuple[bool, bool]


@dataclass
class ReportCache:
    """Reports of credentials verified from this service's own documents only (per worker)."""

    entries: BoundedCache[_CachedReport] = field(default_factory=lambda: BoundedCache(512, 600.0))


def _source_key(source: Mapping[str, Any] | str | bytes, email: str | None) -> str:
    digest = hashlib.sha256()
    if isinstance(source, bytes):
        digest.update(b"b" + source)
    elif isinstance(source, str):
        digest.update(b"s" + source.encode("utf-8", "surrogatepass"))
    else:
        text = json.dumps(source, sort_keys=True, ensure_ascii=False, default=repr)
        digest.update(b"j" + text.encode("utf-8", "surrogatepass"))
    digest.update(b"\0" + (email or "").encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _parse_time(value: Any) -> datetime | None:
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def validity_window(
    report: VerificationReport,
) -> tuple[datetime | None, datetime | None] | None:
    """The credential's (validFrom, validUntil) as the verifier reads them; ``None`` when
    one is there but cannot be read (a report whose window is unknown is not kept)."""
    credential = report.credential or {}
    raw_from = credential.get("validFrom") or credential.get("issuanceDate")
    raw_until = credential.get("validUntil") or credential.get("expirationDate")
    valid_from, valid_until = _parse_time(raw_from), _parse_time(raw_until)
    if (raw_from is not None and valid_from is None) or (
        raw_until is not None and valid_until is None
    ):
        return None
    return valid_from, valid_until


def window_side(
    window: tuple[datetime | None, datetime | None], now: datetime
) -> tuple[bool, bool]:
    """Which side of a validity ``window`` ``now`` falls on, as the verifier judges it
    (with its clock skew): (not yet valid, expired)."""
    valid_from, valid_until = window
    return (
        valid_from is not None and now + _CLOCK_SKEW < valid_from,
        valid_until is not None and now - _CLOCK_SKEW > valid_until,
    )


def _window(report: VerificationReport, now: datetime) -> tuple[bool, bool] | None:
    """Which side of the credential's validity window ``now`` falls on, as the verifier
    judges it; ``None`` when the window cannot be read (such a report is not kept)."""
    window = validity_window(report)
    return None if window is None else window_side(window, now)


def _keepable(report: VerificationReport, fetcher: StoredFetcher) -> bool:
    # Another origin's documents change without us knowing; an error may be passing;
    # nested reports (endorsements, a CLR's credentials) have windows of their own.
    return (
        not fetcher.foreign
        and report.verdict is not Verdict.UNVERIFIABLE
        and not report.children
        and report.credential is not None
    )


def verify_source(
    app: Flask, source: Mapping[str, Any] | str | bytes, *, email: str | None = None
) -> VerificationReport:
    """Verify a credential in any form ``verify`` reads, at the service's current time.

    Call within a request or application context (documents are read with its session).
    """
    return verify_with_documents(app, source, email=email)[0]


def verify_with_documents(
    app: Flask, source: Mapping[str, Any] | str | bytes, *, email: str | None = None
) -> tuple[VerificationReport, tuple[str, ...] | None]:
    """:func:`verify_source`, and the paths (under the service's origin) of the documents
    the report rests on: ``None`` when it rests on anything else (another origin's
    documents, a passing error, nested reports), i.e. when the report is not kept either.
    """
    settings = settings_of(app)
    state = app.extensions["issuer"]
    now = settings.clock()
    fetcher = StoredFetcher(
        public_work(),
        published.caches_of(state),
        status_max_age=int(app.config["PUBLIC_MAX_AGE"]),
        document_max_age=int(app.config["DOCUMENT_MAX_AGE"]),
        fallback=_external_fetcher(app),
    )
    reports = _report_cache(app).entries
    key = _source_key(source, email)
    cached = reports.get(key)
    if (
        cached is not None
        and _window(cached.report, now) == cached.window
        and fetcher.unchanged(cached.used)
    ):
        return replace(cached.report, checked_at=now), tuple(u.path for u in cached.used)
    report = verify_credential(
        source, now=now, fetcher=fetcher, email=email, proof_cache=_proof_cache(app)
    )
    window = _window(report, now)
    if window is not None and _keepable(report, fetcher):
        reports.put(key, _CachedReport(report, tuple(fetcher.used), window))
        return report, tuple(u.path for u in fetcher.used)
    return report, None


def _report_cache(app: Flask) -> ReportCache:
    state = app.extensions["issuer"]
    if "reports" not in state:
        state["reports"] = ReportCache()
    cache: ReportCache = state["reports"]
    return cache


def _proof_cache(app: Flask) -> ProofCache:
    """Proofs of status lists already verified, by content (one per app: per worker)."""
    state = app.extensions["issuer"]
    if "proofs" not in state:
        state["proofs"] = ProofCache()
    cache: ProofCache = state["proofs"]
    return cache


def _external_fetcher(app: Flask) -> Fetcher:
    """Return the app's fetcher for other origins: HTTPS with a cache honouring Cache-Control.

    One per app (per worker process), so employers checking many badges of one issuer do
    not fetch its DID document and status lists again for every badge while they are fresh.
    """
    state = app.extensions["issuer"]
    if "external_fetcher" not in state:
        state["external_fetcher"] = CachingFetcher(HttpFetcher(), clock=settings_of(app).clock)
    fetcher: Fetcher = state["external_fetcher"]
    return fetcher
