"""The verification report: one result per check, a verdict, and nested reports.

Check ids are stable (programs rely on them), in this order:

======================== ==================================================================
``input``                the input was read: JSON, VC-JWT, baked PNG/SVG, QR code or URL
``structure``            required fields and the OB 3.0 JSON Schema
``json-ld``              every ``@context`` is bundled and every term defined (what an
                         ``eddsa-rdfc-2022`` signature covers)
``issuer``               the issuer's DID or controller document was resolved
``key``                  every signing key is published by the issuer and controlled by it
``proof``                the embedded Data Integrity proof(s)
``jwt``                  the VC-JWT signature and claims
``status``               the status lists were fetched and verified
``revocation``           the revocation bit
``suspension``           the suspension bit
``validity-window``      ``validFrom`` / ``validUntil`` against ``now`` (with clock skew)
``recipient``            the given email matches the recipient's salted hash
``endorsements``         embedded endorsements (each has its own sub-report)
``embedded-credentials`` the credentials a CLR embeds (each has its own sub-report)
``issuer-certification`` the issuer's certification by a certifying body the caller trusts
                         (each certification endorsement has its own sub-report, role
                         ``certification``; see :mod:`verify.certification`)
======================== ==================================================================

Verdict: the most severe outcome of all checks, in the order ``invalid`` > ``revoked`` >
``suspended`` > ``expired`` > ``not-yet-valid`` > ``unverifiable`` > ``unreadable`` >
``valid``. A failed ``revocation`` means revoked, a failed ``suspension`` suspended, a
failed ``validity-window`` expired or not yet valid; any other failure means invalid. A
check with status ``error`` (something could not be fetched or verified) means
unverifiable, so a credential is never ``valid`` without its status lists (fail closed).
``valid`` also requires ``input``, ``structure``, ``issuer`` and ``key`` to have passed,
and ``proof`` or ``jwt``.

Two verdicts are decided apart from that order:

- ``unreadable``: the ``input`` check failed because nothing in the input could be a
  badge (a photo without a readable QR code, a text file, a plain image). No other check
  ran; it says "try a sharper photo or the original file", never "may be forged".
- ``recipient-mismatch``: the credential is genuine (its signature verified with the
  issuer's key and nothing made it ``invalid``) but the e-mail the verifier gave is not its
  recipient's. It outranks revoked, expired and the rest: whatever their state, the badge
  is not this person's. Without a verified signature a failed recipient check says
  nothing about genuineness, so the ordinary order decides.

Embedded credentials (a CLR) and endorsements are reported but do not change the verdict:
a CLR's verdict is about the record's own proof and status, and each embedded badge's
verdict is listed (``embedded-credentials`` gives the counts, e.g. "4 valid, 1 revoked");
only a record that refused its members unread (nested too deep, too many) is invalid. An
endorsement is a third party's statement about the credential, not part of its validity;
so is the issuer's certification (``issuer-certification``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from badges.model import format_datetime
from badges.summary import CredentialSummary
from verify.errors import CredentialNotValid, CredentialUnverifiable
from verify.messages import check_title, status_label, verdict_label
from verify.ob2_view import ob2_summary


class Verdict(enum.StrEnum):
    """The outcome of verifying one credential."""

    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    INVALID = "invalid"
    UNVERIFIABLE = "unverifiable"
    RECIPIENT_MISMATCH = "recipient-mismatch"
    UNREADABLE = "unreadable"

    def label(self, lang: str = "en") -> str:
        """The verdict in words, in ``lang`` (``en`` or ``ko``)."""
        return verdict_label(self.value, lang)

    @property
    def severity(self) -> int:
        """Higher is worse; the report's verdict is the most severe one found."""
        return _SEVERITY[self]


_SEVERITY = {
    Verdict.VALID: 0,
    Verdict.UNREADABLE: 1,
    Verdict.UNVERIFIABLE: 2,
    Verdict.NOT_YET_VALID: 3,
    Verdict.EXPIRED: 4,
    Verdict.SUSPENDED: 5,
    Verdict.REVOKED: 6,
    Verdict.RECIPIENT_MISMATCH: 7,
    Verdict.INVALID: 8,
}

# Skips that mean the check does not apply to this document (shown as "not applicable"
# rather than "skipped", which reads like something was left out).
NOT_APPLICABLE_CODES = frozenset(
    {
        "no-status",
        "no-revocation-entry",
        "no-suspension-entry",
        "not-a-clr",
        "no-endorsements",
        "certification-not-requested",
        "no-certification",
        "recipient-not-requested",
        "jwt-not-present",
        "proof-not-present",
        "json-ld-not-needed",
        "json-ld-not-needed-jcs",
    }
)

# ``input`` codes that mean nothing in the input could be a badge (verdict ``unreadable``),
# as opposed to something badge-like that is damaged (``invalid-json``, ``malformed-jwt``).
UNREADABLE_INPUT_CODES = frozenset(
    {
        "empty-input",
        "not-json-or-jwt",
        "not-an-object",
        "not-a-credential",
        "no-credential-in-image",
        "qr-without-credential",
        "invalid-image",
    }
)


class CheckStatus(enum.StrEnum):
    """The outcome of one check."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"

    def label(self, lang: str = "en") -> str:
        """The status in words, in ``lang``."""
        return status_label(self.value, lang)


CHECK_IDS = (
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
    "issuer-certification",
)
_REQUIRED_FOR_VALID = ("input", "structure", "issuer", "key")
# Checks whose outcome is shown but does not enter the verdict (see the module docstring).
_INFORMATIONAL = frozenset({"endorsements", "embedded-credentials", "issuer-certification"})
# ...except when the nested credentials were refused unread (a CLR built to exhaust us).
_NESTING_REFUSED = frozenset({"nesting-too-deep", "too-many-nested"})


@dataclass(frozen=True)
class CheckResult:
    """The result of one check.

    Attributes:
        id: the stable check id (see the module docstring).
        status: passed, failed, skipped or error.
        code: a stable kebab-case code for the outcome (``ok`` or e.g. ``invalid-proof``).
        texts: the message by language (``en`` and ``ko``).
        details: JSON-able facts behind the message (URLs, key ids, dates...).
    """

    id: str
    status: CheckStatus
    code: str
    texts: Mapping[str, str]
    details: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        """The message in ``lang`` (English if that language is missing)."""
        return self.texts.get(lang) or self.texts["en"]

    def title(self, lang: str = "en") -> str:
        """The check's name in ``lang``."""
        return check_title(self.id, lang)

    def status_label(self, lang: str = "en") -> str:
        """The status in words for a person: a skip that means "nothing to check here"
        (a record without status entries, no e-mail given) reads "not applicable"."""
        if self.status is CheckStatus.SKIPPED and self.code in NOT_APPLICABLE_CODES:
            return status_label("not-applicable", lang)
        return self.status.label(lang)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "id": self.id,
            "title": self.title(lang),
            "status": self.status.value,
            "code": self.code,
            "message": self.message(lang),
            "details": dict(self.details),
        }

    @property
    def verdict(self) -> Verdict:
        """What this result alone makes of the credential."""
        if self.id in _INFORMATIONAL and self.code not in _NESTING_REFUSED:
            return Verdict.VALID
        if self.status is CheckStatus.ERROR:
            return Verdict.UNVERIFIABLE
        if self.status is not CheckStatus.FAILED:
            return Verdict.VALID
        if self.id == "input" and self.code in UNREADABLE_INPUT_CODES:
            return Verdict.UNREADABLE
        if self.id == "recipient" and self.code in ("recipient-mismatch", "no-recipient-email"):
            return Verdict.RECIPIENT_MISMATCH
        if self.id == "revocation":
            return Verdict.REVOKED
        if self.id == "suspension":
            return Verdict.SUSPENDED
        if self.id == "validity-window":
            try:
                return Verdict(str(self.details.get("verdict")))
            except ValueError:
                return Verdict.INVALID
        return Verdict.INVALID


def decide_verdict(checks: Iterable[CheckResult]) -> Verdict:
    """Return the verdict for a set of check results (rules in the module docstring)."""
    checks = tuple(checks)
    by_id = {c.id: c for c in checks}
    signed = any(
        by_id.get(check_id) is not None and by_id[check_id].status is CheckStatus.PASSED
        for check_id in ("proof", "jwt")
    )
    verdicts: list[Verdict] = [c.verdict for c in checks]
    if Verdict.RECIPIENT_MISMATCH in verdicts:
        others: list[Verdict] = [v for v in verdicts if v is not Verdict.RECIPIENT_MISMATCH]
        if signed and Verdict.INVALID not in others:
            return Verdict.RECIPIENT_MISMATCH
        # Not shown to be genuine: the recipient check alone decides nothing.
        verdicts = others
    worst = max(verdicts, key=lambda v: v.severity, default=Verdict.VALID)
    if worst is not Verdict.VALID:
        return worst
    # Fail closed: "valid" needs positive evidence, not only the absence of failures.
    required_passed = all(
        by_id.get(check_id) is not None and by_id[check_id].status is CheckStatus.PASSED
        for check_id in _REQUIRED_FOR_VALID
    )
    return Verdict.VALID if required_passed and signed else Verdict.UNVERIFIABLE


@dataclass(frozen=True)
class DocumentRecord:
    """A document the verification used: live (``captured_at`` is None) or from a trust file."""

    url: str
    captured_at: datetime | None = None

    def to_dict(self, now: datetime) -> dict[str, Any]:
        """Return the JSON form, with the document's age at ``now`` in seconds."""
        captured = self.captured_at
        return {
            "url": self.url,
            "capturedAt": format_datetime(captured) if captured else None,
            "ageSeconds": int((now - captured).total_seconds()) if captured else None,
        }


def _summary(credential: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not isinstance(credential, Mapping):
        return None
    read = CredentialSummary.of(credential)
    summary: dict[str, Any] = {
        "id": credential.get("id"),
        "type": credential.get("type"),
        "name": credential.get("name"),
        "issuer": {"id": read.issuer_id, "name": read.issuer_name},
        "subject": read.holder_id,
        "achievement": read.achievement_name,
        # The dates as the credential states them (the machine form); pages format them.
        "validFrom": credential.get("validFrom") or credential.get("issuanceDate"),
        "validUntil": credential.get("validUntil") or credential.get("expirationDate"),
    }
    return {k: v for k, v in summary.items() if v is not None}


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of :func:`verify.verify_credential`.

    Attributes:
        verdict: the overall verdict (rules in the module docstring).
        checks: one result per check id, in the documented order.
        credential: the credential that was verified, when the input held one.
        children: sub-reports of endorsements and of credentials embedded in a CLR.
        checked_at: the ``now`` the verification used.
        role: ``credential``, ``endorsement``, ``embedded-credential`` or
            ``certification``.
        documents: the documents fetched or read from a trust file (top-level report).
        version: the Open Badges version verified: ``3.0`` (also CLR 2.0) or ``2.0``. An
            OB 2.0 report's ``credential`` is the assertion with its badge class and issuer
            profile embedded as they were fetched.
    """

    verdict: Verdict
    checks: tuple[CheckResult, ...]
    credential: dict[str, Any] | None
    children: tuple[VerificationReport, ...] = ()
    checked_at: datetime | None = None
    role: str = "credential"
    documents: tuple[DocumentRecord, ...] = ()
    version: str = "3.0"

    @classmethod
    def from_checks(
        cls,
        checks: Iterable[CheckResult],
        *,
        credential: dict[str, Any] | None,
        children: Iterable[VerificationReport] = (),
        checked_at: datetime | None = None,
        role: str = "credential",
        version: str = "3.0",
    ) -> VerificationReport:
        """Build a report whose verdict is decided from ``checks``."""
        checks = tuple(checks)
        return cls(
            decide_verdict(checks),
            checks,
            credential,
            tuple(children),
            checked_at,
            role,
            version=version,
        )

    def replace_check(
        self, check: CheckResult, *, children: Iterable[VerificationReport] = ()
    ) -> VerificationReport:
        """Return this report with ``check`` instead of the result with its id, and
        ``children`` added; the verdict is decided again (e.g. to fill the
        ``issuer-certification`` check from :func:`verify.verify_certification`)."""
        return VerificationReport(
            decide_verdict(check if c.id == check.id else c for c in self.checks),
            tuple(check if c.id == check.id else c for c in self.checks),
            self.credential,
            (*self.children, *children),
            self.checked_at,
            self.role,
            self.documents,
            self.version,
        )

    def summary(self) -> dict[str, Any] | None:
        """What the credential is, in one shape for every version: id, name, issuer, dates."""
        if self.version == "2.0":
            return ob2_summary(self.credential)
        return _summary(self.credential)

    @property
    def ok(self) -> bool:
        """Whether the verdict is ``valid``."""
        return self.verdict is Verdict.VALID

    def check(self, check_id: str) -> CheckResult:
        """Return the result of the check ``check_id``.

        Raises:
            KeyError: no such check in this report.
        """
        for result in self.checks:
            if result.id == check_id:
                return result
        raise KeyError(check_id)

    @property
    def oldest_document(self) -> DocumentRecord | None:
        """The oldest document read from a trust file, if any (offline mode)."""
        stored = [d for d in self.documents if d.captured_at is not None]
        return min(stored, key=lambda d: d.captured_at or datetime.max) if stored else None

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """Return the JSON form, with messages in ``lang`` (``en`` or ``ko``)."""
        result: dict[str, Any] = {
            "verdict": self.verdict.value,
            "verdictText": self.verdict.label(lang),
            "role": self.role,
            "checkedAt": format_datetime(self.checked_at) if self.checked_at else None,
            "version": self.version,
            "credential": self.summary(),
            "checks": [c.to_dict(lang) for c in self.checks],
            "children": [c.to_dict(lang) for c in self.children],
        }
        if self.documents and self.checked_at is not None:
            now = self.checked_at
            result["documents"] = [d.to_dict(now) for d in self.documents]
        return result

    def raise_for_failure(self) -> None:
        """Raise unless the verdict is ``valid``.

        Raises:
            CredentialUnverifiable: the verdict is ``unverifiable``.
            CredentialNotValid: any other verdict but ``valid``.
        """
        if self.verdict is Verdict.VALID:
            return
        failing = [c for c in self.checks if c.verdict is not Verdict.VALID]
        reason = failing[0].message() if failing else self.verdict.label()
        message = f"credential is {self.verdict.value}: {reason}"
        if self.verdict is Verdict.UNVERIFIABLE:
            raise CredentialUnverifiable(message, self)
        raise CredentialNotValid(message, self)
