"""A provider's certification as pages show it: only what the ``verify`` package verified.

The provider's stored certifications (the platform's signed EndorsementCredentials, newest
first) and any endorsement embedded in a badge's issuer profile are verified with
:func:`verify.verify_certification`, trusting the platform's ``did:web`` as the only
certifier, through the same in-process :class:`~issuer.verification.service.StoredFetcher`
the verification pages use (no HTTP to ourselves). A page shows a certification as
current only when the result is ``certified``; an expired, suspended or revoked one is
named as such, and a forged or unverifiable one is not shown at all.

Results are kept per worker like the pages' reports: an entry is reused while every
document it read keeps its ETag (the platform's status list changes when a certification
is revoked, its DID document when a key rotates) and while the time stays on the same side
of each certification's validity period, and the key names the documents verified (a new
certification is a new key). A revocation or an expiry therefore shows on the next load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from badges.summary import parse_datetime
from issuer import settings_of
from issuer.caches import BoundedCache
from issuer.certification import service as certifying
from issuer.certification.models import Certification
from issuer.db import Work, get_session
from issuer.issuers.platform import is_platform, platform_did
from issuer.models import Issuer, parse_id
from issuer.operations import public_work
from issuer.published import service as published
from issuer.verification.service import (
    StoredFetcher,
    _external_fetcher,
    _proof_cache,
    _Used,
)
from verify import (
    CertificationResult,
    CertificationState,
    CheckResult,
    CheckStatus,
    VerificationReport,
    verify_certification,
)
from verify.certification import CHECK_ID, issuer_endorsements, not_checked

# verify's default tolerance on validFrom / validUntil.
_CLOCK_SKEW = timedelta(minutes=5)
# States a page names; "invalid", "unverifiable" and "none" show nothing.
SHOWN = frozenset({"certified", "expired", "revoked", "suspended"})
# The newest certifications of a provider that are verified for its pages.
_RECENT = 5


@dataclass(frozen=True)
class CertificationView:
    """A verified certification as a page shows it.

    ``state`` is ``certified`` (current, verified in full), or ``expired`` / ``revoked`` /
    ``suspended`` (genuine but not current; the page says so plainly). ``key`` names what
    the page shows, for page caches.
    """

    state: str
    name: str | None
    programme: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    url: str | None
    certifier: str | None
    message: str

    @property
    def current(self) -> bool:
        """Whether the certification is current (verified, valid now, not revoked)."""
        return self.state == "certified"

    @property
    def key(self) -> str:
        """What the page shows of it, as one string (for a rendered-page cache key)."""
        return f"{self.state}|{self.url}|{self.valid_until}"


@dataclass(frozen=True)
class _Cached:
    result: CertificationResult
    used: tuple[_Used, ...]
    window: tuple[bool, ...]


@dataclass
class CertificationCache:
    """Certification results verified from this service's own documents (per worker)."""

    entries: BoundedCache[_Cached] = field(default_factory=lambda: BoundedCache(512, 600.0))


def _cache(app: Flask) -> CertificationCache:
    state = app.extensions["issuer"]
    if "certifications" not in state:
        state["certifications"] = CertificationCache()
    cache: CertificationCache = state["certifications"]
    return cache


def _key(subject_id: str, certifier: str, sources: Sequence[Mapping[str, Any] | str]) -> str:
    digest = hashlib.sha256()
    for part in (subject_id, certifier):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for source in sources:
        text = source if isinstance(source, str) else json.dumps(source, sort_keys=True)
        digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def _time(value: Any) -> datetime | None:
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _window(result: CertificationResult, now: datetime) -> tuple[bool, ...]:
    """Which side of each certification's validity period ``now`` falls on."""
    sides: list[bool] = []
    for report in result.reports:
        credential = report.credential or {}
        valid_from, valid_until = (
            _time(credential.get("validFrom")),
            _time(credential.get("validUntil")),
        )
        sides.append(valid_from is not None and now + _CLOCK_SKEW < valid_from)
        sides.append(valid_until is not None and now - _CLOCK_SKEW > valid_until)
    return tuple(sides)


def verify_sources(
    app: Flask, subject_id: str, sources: Sequence[Mapping[str, Any] | str]
) -> CertificationResult:
    """Verify certification endorsements about ``subject_id``, trusting only the platform.

    Call within a request or application context (documents are read with its session).
    """
    settings = settings_of(app)
    now = settings.clock()
    certifier = platform_did(settings)
    fetcher = StoredFetcher(
        public_work(),
        published.caches_of(app.extensions["issuer"]),
        status_max_age=int(app.config["PUBLIC_MAX_AGE"]),
        document_max_age=int(app.config["DOCUMENT_MAX_AGE"]),
        fallback=_external_fetcher(app),
    )
    entries = _cache(app).entries
    key = _key(subject_id, certifier, sources)
    cached = entries.get(key)
    if (
        cached is not None
        and _window(cached.result, now) == cached.window
        and fetcher.unchanged(cached.used)
    ):
        return cached.result
    result = verify_certification(
        list(sources),
        subject_id=subject_id,
        certifiers={certifier},
        now=now,
        fetcher=fetcher,
        proof_cache=_proof_cache(app),
    )
    if not fetcher.foreign and result.state is not CertificationState.UNVERIFIABLE:
        entries.put(key, _Cached(result, tuple(fetcher.used), _window(result, now)))
    return result


def stored_documents(session: Session, provider: Issuer) -> list[dict[str, Any]]:
    """The provider's newest stored certifications (any state: verify judges them)."""
    rows = certifying.of_provider(session, provider, limit=_RECENT)
    return [json.loads(row.document) for row in rows]


def provider_certification(app: Flask, provider: Issuer) -> CertificationResult:
    """The provider's certification, verified (for its public page)."""
    documents = stored_documents(get_session(), provider)
    return verify_sources(app, provider.did, documents)


def _established(report: VerificationReport) -> bool:
    """The badge's issuer signed it (what makes its ``issuer.id`` worth looking up)."""
    by_id = {c.id: c.status for c in report.checks}
    signatures = (by_id.get("proof"), by_id.get("jwt"))
    return (
        by_id.get("key") is CheckStatus.PASSED
        and CheckStatus.PASSED in signatures
        and CheckStatus.FAILED not in signatures
        and by_id.get("json-ld") is not CheckStatus.FAILED
    )


def with_certification(app: Flask, report: VerificationReport) -> VerificationReport:
    """Return ``report`` with its ``issuer-certification`` check filled: the badge issuer's
    certifications verified (stored ones of a provider of this platform, and any embedded
    in the issuer profile). The badge's own verdict does not change."""
    summary = report.summary() or {}
    issuer = summary.get("issuer")
    subject_id = issuer.get("id") if isinstance(issuer, Mapping) else None
    if not isinstance(subject_id, str) or report.version != "3.0" or report.credential is None:
        return report
    if not _established(report):
        return report.replace_check(not_checked().check)
    session = get_session()
    known = session.exec(select(Issuer).where(Issuer.did == subject_id)).first()
    if known is not None and is_platform(known):
        return report  # the platform's own records: it certifies, it is not certified
    sources: list[Mapping[str, Any] | str] = []
    if known is not None:
        sources.extend(stored_documents(session, known))
    sources.extend(issuer_endorsements(report.credential))
    result = verify_sources(app, subject_id, sources)
    return report.replace_check(result.check, children=result.reports)


def view(check: CheckResult | None, *, work: Work, lang: str) -> CertificationView | None:
    """What a page shows of an ``issuer-certification`` check, or ``None`` (nothing to show:
    no certification, or one that did not verify)."""
    if check is None or check.id != CHECK_ID:
        return None
    details = check.details
    state = details.get("state")
    if state not in SHOWN:
        return None
    url = details.get("id") if isinstance(details.get("id"), str) else None
    programme = None
    name = details.get("name") if isinstance(details.get("name"), str) else None
    prefix = work.settings.url("certifications") + "/"
    certification_id = parse_id(url, prefix) if url else None
    row = work.session.get(Certification, certification_id) if certification_id else None
    if row is not None and row.programme in certifying.PROGRAMMES:
        programme = row.programme
        name = certifying.PROGRAMMES[row.programme].name(lang)
    return CertificationView(
        state=str(state),
        name=name,
        programme=programme,
        valid_from=_time(details.get("valid_from")),
        valid_until=_time(details.get("valid_until")),
        url=url,
        certifier=details.get("issuer") if isinstance(details.get("issuer"), str) else None,
        message=check.message(lang),
    )


def report_view(report: VerificationReport, *, work: Work, lang: str) -> CertificationView | None:
    """What a page shows of the report's ``issuer-certification`` check."""
    found = next((c for c in report.checks if c.id == CHECK_ID), None)
    return view(found, work=work, lang=lang)
