"""The whole badge, for pages: what the verdict summary does not already show.

:mod:`issuer.verification.report` turns a verify report into the verdict and the core facts. This
module adds the rest of what a provider signed into a badge (competency alignments with
their framework and code, tags, field of study, the course's credits, results with their
descriptions) and what Baeji knows about a badge it issued (when it was revoked or
suspended and, if the provider made it public, why), plus what learners share it with: a
stable certificate number, an "Add to LinkedIn profile" link, and Open Graph tags.

A credential may come from an upload, so values are read defensively: only the expected
JSON types are kept, long text is cut, and only http(s) links survive. Templates escape
everything.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from badges.summary import CredentialSummary, http_link
from issuer.achievements.artwork import logo_url
from issuer.config import Settings
from issuer.db import Work, get_session
from issuer.i18n import translate
from issuer.models import Credential, Issuer, parse_id
from verify import CheckStatus, VerificationReport

LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"
_MAX_TEXT = 2000
_MAX_ITEMS = 20


@dataclass(frozen=True)
class AlignmentView:
    """One competency a badge is aligned to, e.g. an NCS 능력단위 with its code and level."""

    name: str
    framework: str | None
    code: str | None
    description: str | None
    url: str | None
    type: str | None


@dataclass(frozen=True)
class ResultView:
    """One result the learner earned, with the result description it answers, if any."""

    name: str | None
    value: str | None
    status: str | None
    result_type: str | None
    required: str | None


@dataclass(frozen=True)
class StatusView:
    """A badge this service revoked or suspended: when, and the reason if it is public."""

    state: str
    when: datetime
    reason: str | None


@dataclass(frozen=True)
class BadgeDetails:
    """Everything about a badge that the verdict summary leaves out."""

    alignments: list[AlignmentView] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    field_of_study: str | None = None
    human_code: str | None = None
    credits_available: float | None = None
    results: list[ResultView] = field(default_factory=list)
    status: StatusView | None = None

    @property
    def empty(self) -> bool:
        """Nothing to show."""
        return not (
            self.alignments
            or self.tags
            or self.field_of_study
            or self.human_code
            or self.credits_available is not None
            or self.results
            or self.status
        )


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:_MAX_TEXT]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return None


def _alignments(summary: CredentialSummary) -> list[AlignmentView]:
    found = []
    for item in summary.alignments[:_MAX_ITEMS]:
        name = _text(item.get("targetName"))
        if name is None:
            continue
        found.append(
            AlignmentView(
                name=name,
                framework=_text(item.get("targetFramework")),
                code=_text(item.get("targetCode")),
                description=_text(item.get("targetDescription")),
                url=http_link(item.get("targetUrl")),
                type=_text(item.get("targetType")),
            )
        )
    return found


def _results(summary: CredentialSummary) -> list[ResultView]:
    found = []
    for item in summary.results[:_MAX_ITEMS]:
        result = ResultView(
            name=_text(item.description),
            value=_text(item.value),
            status=_text(item.status),
            result_type=_text(item.result_type),
            required=_text(item.required),
        )
        if result.name or result.value or result.status:
            found.append(result)
    return found


def _status(row: Credential | None) -> StatusView | None:
    if row is None:
        return None
    if row.revoked_at is not None:
        reason = row.revocation_reason if row.reason_public else None
        return StatusView("revoked", row.revoked_at, reason)
    if row.suspended_at is not None:
        reason = row.suspension_reason if row.reason_public else None
        return StatusView("suspended", row.suspended_at, reason)
    return None


def badge_details(credential: Mapping[str, Any], row: Credential | None = None) -> BadgeDetails:
    """Return what pages show of ``credential`` beyond the verdict summary.

    Args:
        credential: the credential's JSON (from our own store, or an upload whose proof
            passed).
        row: the stored credential when this service issued it: its revocation or
            suspension date, and the reason when the provider made it public.
    """
    summary = CredentialSummary.of(credential)
    return BadgeDetails(
        alignments=_alignments(summary),
        tags=[tag for tag in (_text(t) for t in summary.tags[:_MAX_ITEMS]) if tag],
        field_of_study=_text(summary.field_of_study),
        human_code=_text(summary.human_code),
        credits_available=summary.credits_available,
        results=_results(summary),
        status=_status(row),
    )


def certificate_number(credential_id: str) -> str:
    """A short, stable number for a printed certificate: the first 12 hex digits of the
    credential's uuid in three groups (``1A2B-3C4D-5E6F``).

    Raises:
        ValueError: ``credential_id`` is not a uuid.
    """
    digits = uuid.UUID(credential_id).hex[:12].upper()
    return "-".join(digits[index : index + 4] for index in range(0, 12, 4))


def linkedin_url(
    *,
    name: str,
    organization: str,
    issued: datetime,
    expires: datetime | None,
    url: str,
    certificate_id: str,
) -> str:
    """LinkedIn's "Add to profile" link for a certification, filled in for this badge.

    The parameters are those of LinkedIn's Add to Profile for certifications
    (``startTask=CERTIFICATION_NAME``): name, issuing organisation, issue year and month,
    expiry year and month when the badge expires, the credential URL and its id.
    """
    params: dict[str, str] = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": organization,
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
    }
    if expires is not None:
        params["expirationYear"] = str(expires.year)
        params["expirationMonth"] = str(expires.month)
    params["certUrl"] = url
    params["certId"] = certificate_id
    return f"{LINKEDIN_ADD_URL}?{urlencode(params)}"


@dataclass(frozen=True)
class ShareCard:
    """Link-preview tags (Open Graph, Twitter card) of a public page."""

    title: str
    description: str
    url: str
    image: str
    image_alt: str


def _withdrawn(row: Credential) -> str | None:
    if row.revoked_at is not None:
        return "revoked"
    if row.suspended_at is not None:
        return "suspended"
    return None


def badge_page_context(
    settings: Settings, row: Credential, url: str, *, lang: str
) -> dict[str, Any]:
    """What the public page of a badge this service issued needs beyond the report.

    ``details`` (the whole badge), ``card`` (link-preview tags; the image is the baked PNG
    with the course and issuer names drawn on it), ``linkedin`` (``None`` once revoked or
    suspended: such a badge is not offered for sharing), ``withdrawn`` and ``page_url``.
    """
    document = json.loads(row.document)
    summary = CredentialSummary.of(document)
    name = _text(summary.achievement_name) or "Badge"
    issuer_name = _text(summary.issuer_name) or _text(summary.issuer_id) or ""
    recipient = _text(summary.holder_name)
    if recipient:
        description = translate("sharing.og_description", lang, issuer=issuer_name, name=recipient)
    else:
        description = translate("sharing.og_description_anonymous", lang, issuer=issuer_name)
    withdrawn = _withdrawn(row)
    owner = get_session().get(Issuer, row.issuer_id)
    return {
        "logo_url": logo_url(settings, owner) if owner is not None else None,
        "logo_issuer": issuer_name,
        "details": badge_details(document, row),
        "card": ShareCard(
            title=f"{name} · {issuer_name}" if issuer_name else name,
            description=description,
            url=url,
            image=f"{url}.png",
            image_alt=translate("summary.badge_image", lang, name=name),
        ),
        "linkedin": None
        if withdrawn
        else linkedin_url(
            name=name,
            organization=issuer_name,
            issued=row.valid_from,
            expires=row.valid_until,
            url=url,
            certificate_id=certificate_number(row.id),
        ),
        "withdrawn": withdrawn,
        "page_url": url,
    }


def upload_details(report: VerificationReport, work: Work) -> BadgeDetails | None:
    """The whole badge of an uploaded credential, only when its proof verified.

    Claimed fields of a credential whose proof failed are never shown as fact. A badge this
    service issued adds its revocation or suspension date (and public reason).
    """
    if not any(c.id == "proof" and c.status is CheckStatus.PASSED for c in report.checks):
        return None
    credential = report.credential if isinstance(report.credential, Mapping) else None
    if credential is None:
        return None
    row = None
    credential_id = _text(credential.get("id"))
    prefix = work.settings.url("credentials") + "/"
    if credential_id and credential_id.startswith(prefix):
        local = parse_id(credential_id, prefix)
        row = work.session.get(Credential, local) if local else None
    return badge_details(credential, row)
