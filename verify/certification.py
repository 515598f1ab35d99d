"""The ``issuer-certification`` check: is the credential's issuer certified by a body you trust?

A certifying body (Baeji's platform identity for its "Digital Leaders Club", say) certifies
a provider by issuing an OB 3.0 ``EndorsementCredential`` whose ``credentialSubject.id`` is
the provider's profile id (the ``issuer.id`` of the provider's badges). Such endorsements
come embedded in the issuer profile (``issuer.endorsement`` / ``issuer.endorsementJwt``) or
are handed in by the caller (a page that keeps the provider's current certification).

Each endorsement claiming to come from a trusted certifier is verified in full, like any
credential (schema, proof with a key the certifier's DID publishes and controls, status
list, validity window), and its subject must be the credential's issuer. The check then
reports one :class:`CertificationState`; only ``certified`` means a certification is
current. Endorsements from anyone else are ignored: a provider cannot certify itself.

The check is informational: it never changes the credential's own verdict (an
endorsement is extra information about the issuer, not part of the badge's validity).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from badges.summary import as_list
from verify.checks import credential_kind, issuer_id_of, result, skipped
from verify.report import CheckResult, CheckStatus, Verdict, VerificationReport

CHECK_ID = "issuer-certification"
ROLE = "certification"
# At most this many certification endorsements are verified per credential.
MAX_CERTIFICATIONS = 10


class CertificationState(enum.StrEnum):
    """What the ``issuer-certification`` check found."""

    CERTIFIED = "certified"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    INVALID = "invalid"
    UNVERIFIABLE = "unverifiable"
    NONE = "none"
    NOT_CHECKED = "not-checked"


# When no certification is current, the one shown is the most telling: a genuine one's
# state (revoked, expired...) before one that could not be checked, before a forgery.
_PRIORITY = (
    CertificationState.REVOKED,
    CertificationState.SUSPENDED,
    CertificationState.EXPIRED,
    CertificationState.NOT_YET_VALID,
    CertificationState.UNVERIFIABLE,
    CertificationState.INVALID,
)
_BY_VERDICT = {
    Verdict.VALID: CertificationState.CERTIFIED,
    Verdict.EXPIRED: CertificationState.EXPIRED,
    Verdict.NOT_YET_VALID: CertificationState.NOT_YET_VALID,
    Verdict.REVOKED: CertificationState.REVOKED,
    Verdict.SUSPENDED: CertificationState.SUSPENDED,
    Verdict.UNVERIFIABLE: CertificationState.UNVERIFIABLE,
}
_CODES = {
    CertificationState.EXPIRED: "certification-expired",
    CertificationState.NOT_YET_VALID: "certification-not-yet-valid",
    CertificationState.REVOKED: "certification-revoked",
    CertificationState.SUSPENDED: "certification-suspended",
    CertificationState.INVALID: "certification-invalid",
    CertificationState.UNVERIFIABLE: "certification-unverifiable",
}


@dataclass(frozen=True)
class CertificationResult:
    """The outcome of checking an issuer's certification.

    Attributes:
        state: what was found (only ``certified`` means a current certification).
        check: the ``issuer-certification`` check result (id, status, code, messages).
        reports: the full report of every certification endorsement verified (role
            ``certification``), in the order given.
        endorsement: the endorsement the state is about (the current one when certified),
            as JSON; ``None`` when there was none.
    """

    state: CertificationState
    check: CheckResult
    reports: tuple[VerificationReport, ...] = ()
    endorsement: dict[str, Any] | None = None

    @property
    def certified(self) -> bool:
        """Whether a certification verified in full and is current."""
        return self.state is CertificationState.CERTIFIED


def not_requested() -> CheckResult:
    """The check's result when no certifying body was named."""
    return skipped(CHECK_ID, "certification-not-requested")


def not_checked(code: str = "authenticity-not-established") -> CertificationResult:
    """The result when the credential's issuer is not established (nothing to certify)."""
    return CertificationResult(CertificationState.NOT_CHECKED, skipped(CHECK_ID, code))


def issuer_endorsements(credential: Mapping[str, Any]) -> list[Any]:
    """The endorsements embedded in the credential's issuer profile (JSON or compact JWS)."""
    issuer = credential.get("issuer")
    if not isinstance(issuer, Mapping):
        return []
    return [*as_list(issuer.get("endorsement")), *as_list(issuer.get("endorsementJwt"))]


def claims_certifier(credential: Mapping[str, Any], certifiers: Collection[str]) -> bool:
    """Whether ``credential`` claims to come from one of ``certifiers`` (not yet verified)."""
    return issuer_id_of(credential) in certifiers


def subject_id_of(credential: Mapping[str, Any]) -> str | None:
    """The endorsement's subject id (the certified profile)."""
    for subject in as_list(credential.get("credentialSubject")):
        if isinstance(subject, Mapping) and isinstance(subject.get("id"), str):
            found: str = subject["id"]
            return found
    return None


def _reason(report: VerificationReport) -> str:
    failing = [c for c in report.checks if c.status in (CheckStatus.FAILED, CheckStatus.ERROR)]
    return failing[0].code if failing else report.verdict.value


def _judge_one(report: VerificationReport, subject_id: str) -> tuple[CertificationState, str]:
    """The state of one verified endorsement, and the reason when it is invalid."""
    credential = report.credential
    if credential is None:
        return CertificationState.INVALID, _reason(report)
    if credential_kind(credential) != "endorsement":
        return CertificationState.INVALID, "not-an-endorsement"
    if subject_id_of(credential) != subject_id:
        return CertificationState.INVALID, "certification-wrong-subject"
    state = _BY_VERDICT.get(report.verdict, CertificationState.INVALID)
    return state, _reason(report) if state is CertificationState.INVALID else ""


def _details(credential: Mapping[str, Any] | None, **extra: Any) -> dict[str, Any]:
    credential = credential or {}
    details: dict[str, Any] = {
        "issuer": issuer_id_of(credential),
        "id": credential.get("id"),
        "name": credential.get("name"),
        "subject": subject_id_of(credential),
        "valid_from": credential.get("validFrom"),
        "valid_until": credential.get("validUntil"),
        **extra,
    }
    return {k: v for k, v in details.items() if v is not None}


def judge(
    reports: Sequence[VerificationReport],
    *,
    subject_id: str,
    certifiers: Collection[str],
    ignored: int = 0,
) -> CertificationResult:
    """Decide the certification from the reports of the endorsements a certifier signed.

    Args:
        reports: one full verification report per endorsement claiming a trusted issuer.
        subject_id: the profile that must be certified (the credential's ``issuer.id``).
        certifiers: the trusted certifying bodies (their DIDs), for the messages.
        ignored: how many endorsements came from issuers that are not trusted certifiers.
    """
    trusted = sorted(certifiers)
    judged = [(report, *_judge_one(report, subject_id)) for report in reports]
    current = [item for item in judged if item[1] is CertificationState.CERTIFIED]
    if current:
        # The one that lasts longest is what a page shows (no end date lasts longest).
        report = max(
            current, key=lambda item: str((item[0].credential or {}).get("validUntil") or "~")
        )[0]
        credential = report.credential or {}
        code = "certified" if credential.get("validUntil") else "certified-without-end"
        details = _details(credential, state="certified", count=len(reports), ignored=ignored)
        return CertificationResult(
            CertificationState.CERTIFIED,
            result(CHECK_ID, CheckStatus.PASSED, code, **details),
            tuple(reports),
            dict(credential),
        )
    if not judged:
        check = skipped(
            CHECK_ID, "no-certification", state="none", certifiers=trusted, ignored=ignored
        )
        return CertificationResult(CertificationState.NONE, check, ())
    report, state, reason = min(judged, key=lambda item: _PRIORITY.index(item[1]))
    status = CheckStatus.ERROR if state is CertificationState.UNVERIFIABLE else CheckStatus.FAILED
    details = _details(
        report.credential,
        state=state.value,
        count=len(reports),
        ignored=ignored,
        **({"reason": reason} if reason else {}),
    )
    if state is CertificationState.UNVERIFIABLE:
        details["reason"] = _reason(report)
    return CertificationResult(
        state,
        result(CHECK_ID, status, _CODES[state], **details),
        tuple(reports),
        dict(report.credential) if report.credential is not None else None,
    )
