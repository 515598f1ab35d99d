"""What the verification pages show: a verify report turned into plain values for templates.

Everything comes from the :class:`verify.VerificationReport` (the verdict, every check and
its message, in the page's language, so the page and ``baeji verify`` say the same) and
from the credential it verified. A credential may come from an upload, so every value is
read defensively: anything that is not the expected JSON type is left out, long text is
cut, and only http(s) links are kept. Templates escape all of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from badges.summary import CredentialSummary, http_link
from issuer.db import Work
from issuer.issuers.platform import is_platform
from issuer.issuers.service import REMOVED
from issuer.models import Credential, Issuer, parse_id
from issuer.verification.certification import CertificationView, report_view
from verify import CheckStatus, Verdict, VerificationReport

_MAX_TEXT = 5000
_GLYPHS = {
    Verdict.VALID: "✓",
    Verdict.REVOKED: "✕",
    Verdict.INVALID: "✕",
    Verdict.SUSPENDED: "!",
    Verdict.EXPIRED: "!",
    Verdict.NOT_YET_VALID: "!",
    Verdict.UNVERIFIABLE: "?",
    Verdict.RECIPIENT_MISMATCH: "✕",
    Verdict.UNREADABLE: "?",
}
_CHECK_GLYPHS = {
    CheckStatus.PASSED: "✓",
    CheckStatus.FAILED: "✕",
    CheckStatus.SKIPPED: "–",
    CheckStatus.ERROR: "!",
}
# Colour families of the verdicts (the CSS classes); words and a glyph always go with them.
_TONES = {
    Verdict.VALID: "good",
    Verdict.REVOKED: "bad",
    Verdict.INVALID: "bad",
    Verdict.SUSPENDED: "warn",
    Verdict.EXPIRED: "warn",
    Verdict.NOT_YET_VALID: "warn",
    Verdict.UNVERIFIABLE: "unknown",
    Verdict.RECIPIENT_MISMATCH: "bad",
    Verdict.UNREADABLE: "unknown",
}


@dataclass(frozen=True)
class CheckView:
    """One check as a line of the page."""

    id: str
    title: str
    status: str
    status_label: str
    glyph: str
    message: str


@dataclass(frozen=True)
class IssuerView:
    """Who issued the credential, and whether this platform knows them.

    ``registered`` is the provider's slug when the DID is a provider of this platform and
    a signature passed with a key the provider still stands behind (``certification`` is
    then its verified certification, if any); ``platform`` when it
    is this platform itself. ``key_compromised`` when the issuer declared the signing key
    compromised (the badge is then not trusted, and the page says exactly why).
    """

    id: str | None
    name: str | None
    registered: str | None = None
    platform: bool = False
    key_compromised: bool = False
    # The provider's certification, only once ``verify`` verified it (see
    # issuer.verification.certification); ``None`` shows nothing.
    certification: CertificationView | None = None


@dataclass(frozen=True)
class EvidenceView:
    """One piece of evidence."""

    name: str | None
    description: str | None
    narrative: str | None
    url: str | None


@dataclass(frozen=True)
class CredentialView:
    """A verified credential, ready for a template."""

    verdict: str
    verdict_label: str
    tone: str
    glyph: str
    kind: str
    title: str | None
    issuer: IssuerView
    checks: list[CheckView]
    checked_at: datetime | None
    recipient_name: str | None = None
    achievement_type: str | None = None
    description: str | None = None
    criteria: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    awarded: datetime | None = None
    activity_start: datetime | None = None
    activity_end: datetime | None = None
    credits: float | None = None
    term: str | None = None
    results: list[tuple[str | None, str | None]] = field(default_factory=list)
    evidence: list[EvidenceView] = field(default_factory=list)
    local_id: str | None = None
    credential_id: str | None = None
    children: list[CredentialView] = field(default_factory=list)
    recipient_check: CheckView | None = None
    verified: bool = True

    @property
    def failing(self) -> list[CheckView]:
        """The checks that failed or could not be completed."""
        return [c for c in self.checks if c.status in ("failed", "error")]


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:_MAX_TEXT]
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _ob2_view(report: VerificationReport) -> dict[str, Any]:
    """An Open Badges 2.0 assertion (badge class and issuer embedded) in the OB 3.0 shape
    this page reads: the badge class gives the achievement, ``issuedOn`` / ``expires`` the
    validity period (as the verifier normalized them)."""
    assertion = _mapping(report.credential)
    badge = _mapping(assertion.get("badge"))
    summary = report.summary() or {}
    window = next((c.details for c in report.checks if c.id == "validity-window"), {})
    criteria = badge.get("criteria")
    return {
        "type": ["Assertion"],
        "id": summary.get("id"),
        "issuer": summary.get("issuer"),
        "validFrom": window.get("valid_from") or summary.get("validFrom"),
        "validUntil": window.get("valid_until") or summary.get("validUntil"),
        "credentialSubject": {
            "achievement": {
                "name": badge.get("name"),
                "description": badge.get("description"),
                "criteria": {"narrative": _mapping(criteria).get("narrative")},
            }
        },
    }


def _check(check: Any, lang: str) -> CheckView:
    return CheckView(
        id=check.id,
        title=check.title(lang),
        status=check.status.value,
        status_label=check.status_label(lang),
        glyph=_CHECK_GLYPHS[check.status],
        message=check.message(lang),
    )


def _issuer(
    credential: Mapping[str, Any], report: VerificationReport, session: Session
) -> IssuerView:
    summary = CredentialSummary.of(credential)
    issuer_id, name = _text(summary.issuer_id), _text(summary.issuer_name)
    if issuer_id is None:
        return IssuerView(None, name)
    known = session.exec(select(Issuer).where(Issuer.did == issuer_id)).first()
    compromised = any(c.id == "key" and c.code == "key-compromised" for c in report.checks)
    if known is not None and compromised:
        return IssuerView(issuer_id, name or known.name, key_compromised=True)
    if known is None or known.state == REMOVED or not _signed_by_issuer(report):
        return IssuerView(issuer_id, name)
    if is_platform(known):
        return IssuerView(issuer_id, name or known.name, platform=True)
    return IssuerView(issuer_id, name or known.name, registered=known.slug)


def _signed_by_issuer(report: VerificationReport) -> bool:
    """A signature passed with a key the issuer publishes and stands behind, and none failed.

    The registered-issuer mark rests on this, never on the key check alone: a tampered
    upload names a real issuer's real key, yet its proof fails.
    """
    by_id = {c.id: c for c in report.checks}

    def status(check_id: str) -> CheckStatus | None:
        check = by_id.get(check_id)
        return check.status if check is not None else None

    signatures = (status("proof"), status("jwt"))
    return (
        status("key") is CheckStatus.PASSED
        and CheckStatus.PASSED in signatures
        and CheckStatus.FAILED not in signatures
        and status("json-ld") is not CheckStatus.FAILED
    )


def describe(
    report: VerificationReport,
    *,
    work: Work,
    lang: str,
    email_given: bool = False,
) -> CredentialView:
    """Return what a page shows of ``report``, with texts in ``lang``.

    Args:
        email_given: an employer typed the candidate's email; the ``recipient`` check is
            then shown on its own, at the top.
    """
    credential = report.credential if isinstance(report.credential, Mapping) else {}
    if report.version == "2.0":
        credential = _ob2_view(report)
    summary = CredentialSummary.of(credential)
    kind = summary.kind if credential else "other"
    credential_id = _text(summary.id)
    local_id = None
    session = work.session
    prefix = work.settings.url("credentials") + "/"
    if credential_id and credential_id.startswith(prefix):
        candidate = parse_id(credential_id, prefix)
        if candidate and session.get(Credential, candidate) is not None:
            local_id = candidate
    evidence = [
        EvidenceView(
            name=_text(item.get("name")),
            description=_text(item.get("description")),
            narrative=_text(item.get("narrative")),
            url=http_link(item.get("id")),
        )
        for item in summary.evidence[:10]
        if item
    ]
    results = [
        (_text(item.value), _text(item.status))
        for item in summary.results[:10]
        if _text(item.value) or _text(item.status)
    ]
    recipient = next((c for c in report.checks if c.id == "recipient"), None)
    issuer = _issuer(credential, report, session)
    if issuer.registered:
        certified = report_view(report, work=work, lang=lang)
        issuer = replace(issuer, certification=certified)
    return CredentialView(
        verdict=report.verdict.value,
        verdict_label=report.verdict.label(lang),
        tone=_TONES[report.verdict],
        glyph=_GLYPHS[report.verdict],
        kind=kind,
        title=_text(summary.title),
        issuer=issuer,
        checks=[_check(c, lang) for c in report.checks],
        checked_at=report.checked_at,
        recipient_name=_text(summary.holder_name),
        achievement_type=_text(summary.achievement_type),
        description=_text(summary.achievement_description) or _text(summary.description),
        criteria=_text(summary.criteria),
        valid_from=summary.valid_from,
        valid_until=summary.valid_until,
        awarded=summary.awarded,
        activity_start=summary.activity_start,
        activity_end=summary.activity_end,
        credits=summary.credits,
        term=_text(summary.term),
        results=results,
        evidence=evidence,
        local_id=local_id,
        credential_id=credential_id,
        children=[
            describe(child, work=work, lang=lang)
            for child in report.children
            if child.role == "embedded-credential"
        ],
        recipient_check=_check(recipient, lang) if recipient is not None and email_given else None,
        verified=_signed_by_issuer(report),
    )
