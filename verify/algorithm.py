"""The Open Badges 3.0 verification algorithm (OB 3.0 "Verification"; DIGEST §9).

Input → structure → JSON-LD terms → issuer → key → proof / VC-JWT → status lists →
validity window → recipient → endorsements and CLR-embedded credentials, each nested
credential verified by the same steps into its own sub-report.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from verify import certification as certifying
from verify.certification import CertificationResult
from verify.checks import (
    check_authenticity,
    check_json_ld,
    check_recipient,
    check_status,
    check_structure,
    check_validity_window,
    nested_sources,
    result,
    skipped,
)
from verify.compact import verify_compact
from verify.ob2 import is_ob2, verify_ob2
from verify.report import CHECK_IDS, CheckResult, CheckStatus, Verdict, VerificationReport
from verify.resolve import Fetcher, HttpFetcher
from verify.session import FetchSession, ProofCache, default_proof_cache
from verify.source import (
    COMPACT_JWS,
    InputProblem,
    LoadedCredential,
    credential_from_jwt,
    load_source,
)

MAX_NESTING_DEPTH = 3
_NESTING_REFUSED = frozenset({"nesting-too-deep", "too-many-nested"})
MAX_NESTED_CREDENTIALS = 100


@dataclass
class _Budget:
    """Nested credentials left to verify in this run (shared by the whole tree)."""

    remaining: int = MAX_NESTED_CREDENTIALS


def verify_credential(
    source: Mapping[str, Any] | str | bytes,
    *,
    now: datetime,
    fetcher: Fetcher | None = None,
    email: str | None = None,
    clock_skew: timedelta = timedelta(minutes=5),
    proof_cache: ProofCache | None = None,
    certifiers: Collection[str] = (),
    certifications: Sequence[Mapping[str, Any] | str] = (),
) -> VerificationReport:
    """Verify an Open Badges 3.0 credential (or a CLR, an endorsement, or an Open Badges 2.0
    assertion) and report every check.

    Args:
        source: the credential as a dict or JSON text, a compact VC-JWT, baked PNG or SVG
            bytes, a QR code image (its URL is fetched), or an https URL (fetched with
            content negotiation for the JSON credential).
        now: the time to verify at (timezone-aware); the verifier reads no clock.
        fetcher: how documents (DID documents, JWKS, status lists, URLs) are fetched;
            defaults to :class:`~verify.resolve.HttpFetcher` (HTTPS, public addresses only).
            Pass a trust store's fetcher for offline verification.
        email: the candidate's email, to check against the recipient's salted hash.
        clock_skew: tolerance applied to ``validFrom`` / ``validUntil``.
        proof_cache: status list proofs already verified, kept between calls, so a list
            is verified once per change, not once per credential. By default the
            process's shared cache (:func:`verify.default_proof_cache`); pass
            ``ProofCache(max_entries=0)`` to verify every list on every call.
        certifiers: the certifying bodies you trust (their DIDs, e.g. the platform's
            ``did:web``). When given, the ``issuer-certification`` check verifies the
            certification endorsements about the credential's issuer (see
            :mod:`verify.certification`); otherwise it is skipped.
        certifications: certification endorsements (JSON, compact JWS or https URL) to
            consider besides those embedded in the issuer profile.

    Returns:
        The report: one result per check, nested reports, and the verdict. A credential
        that fails is reported, not raised; call :meth:`VerificationReport.raise_for_failure`
        for an exception.

    Raises:
        ValueError: ``now`` is naive or ``clock_skew`` negative.
        TypeError: ``source`` is of an unsupported type.
    """
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    if clock_skew < timedelta(0):
        raise ValueError("clock_skew must not be negative")
    session = FetchSession(
        fetcher if fetcher is not None else HttpFetcher(),
        now,
        clock_skew,
        proofs=proof_cache if proof_cache is not None else default_proof_cache(),
    )
    try:
        loaded = load_source(source, session)
    except InputProblem as problem:
        status = CheckStatus.FAILED if problem.definite else CheckStatus.ERROR
        first = result("input", status, problem.code, **problem.params)
        report = VerificationReport.from_checks(
            [first, *_not_checked(after="input")],
            credential=None,
            checked_at=now,
        )
    else:
        if loaded.compact is not None:
            report = verify_compact(loaded.compact, session, form=loaded.form)
        elif is_ob2(loaded.credential):
            report = verify_ob2(loaded, _input_result(loaded), session, email=email)
        else:
            report = _verify(
                loaded, session, email=email, role="credential", depth=0, budget=_Budget()
            )
        if certifiers and report.credential is not None:
            report = _with_certification(report, session, certifiers, certifications)
    return replace(report, documents=tuple(session.records))


def verify_certification(
    endorsements: Sequence[Mapping[str, Any] | str],
    *,
    subject_id: str,
    certifiers: Collection[str],
    now: datetime,
    fetcher: Fetcher | None = None,
    clock_skew: timedelta = timedelta(minutes=5),
    proof_cache: ProofCache | None = None,
) -> CertificationResult:
    """Verify that ``subject_id`` (an issuer's profile id) holds a current certification.

    Every endorsement that claims one of ``certifiers`` as its issuer is verified in full
    (as :func:`verify_credential` would: schema, proof by a key the certifier publishes and
    controls, status list, validity window); its ``credentialSubject.id`` must be
    ``subject_id``. Endorsements from anyone else are ignored.

    Args:
        endorsements: EndorsementCredentials as JSON objects, compact VC-JWTs, or https
            URLs (fetched through ``fetcher``).
        subject_id: the profile that must be certified (a badge's ``issuer.id``).
        certifiers: the certifying bodies you trust (DIDs).
        now, fetcher, clock_skew, proof_cache: as for :func:`verify_credential`.

    Returns:
        The result: ``state`` (``certified`` only when everything verified), the
        ``issuer-certification`` check and each endorsement's report.
    """
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    session = FetchSession(
        fetcher if fetcher is not None else HttpFetcher(),
        now,
        clock_skew,
        proofs=proof_cache if proof_cache is not None else default_proof_cache(),
    )
    return _certify(list(endorsements), session, subject_id=subject_id, certifiers=certifiers)


def _certify(
    sources: list[Any],
    session: FetchSession,
    *,
    subject_id: str,
    certifiers: Collection[str],
) -> CertificationResult:
    reports: list[VerificationReport] = []
    ignored = 0
    for item in sources[: certifying.MAX_CERTIFICATIONS]:
        try:
            if isinstance(item, str) and item.strip().lower().startswith(("https://", "http://")):
                loaded = load_source(item.strip(), session)
            else:
                loaded = _load_nested(item)
        except InputProblem as problem:
            if isinstance(item, str) and problem.code.startswith("credential-"):
                # A certification named by its URL that could not be fetched.
                status = CheckStatus.FAILED if problem.definite else CheckStatus.ERROR
                first = result("input", status, problem.code, **problem.params)
                reports.append(
                    VerificationReport.from_checks(
                        [first, *_not_checked(after="input")],
                        credential=None,
                        checked_at=session.now,
                        role=certifying.ROLE,
                    )
                )
            else:
                ignored += 1
            continue
        if not certifying.claims_certifier(loaded.credential, certifiers):
            ignored += 1
            continue
        reports.append(
            _verify(
                loaded,
                session,
                email=None,
                role=certifying.ROLE,
                depth=1,
                budget=_Budget(),
            )
        )
    return certifying.judge(reports, subject_id=subject_id, certifiers=certifiers, ignored=ignored)


def issuer_established(report: VerificationReport) -> bool:
    """The credential's issuer signed it: issuer and key passed, a signature passed, none
    failed (what makes its ``issuer.id`` worth looking up)."""
    by_id = {c.id: c.status for c in report.checks}
    signatures = (by_id.get("proof"), by_id.get("jwt"))
    return (
        by_id.get("issuer") is CheckStatus.PASSED
        and by_id.get("key") is CheckStatus.PASSED
        and CheckStatus.PASSED in signatures
        and CheckStatus.FAILED not in signatures
        and CheckStatus.ERROR not in signatures
    )


def _with_certification(
    report: VerificationReport,
    session: FetchSession,
    certifiers: Collection[str],
    certifications: Sequence[Mapping[str, Any] | str],
) -> VerificationReport:
    summary = report.summary() or {}
    issuer = summary.get("issuer")
    subject_id = issuer.get("id") if isinstance(issuer, Mapping) else None
    if not isinstance(subject_id, str) or not issuer_established(report):
        outcome = certifying.not_checked()
    else:
        sources = [*certifications]
        if report.version == "3.0" and report.credential is not None:
            sources.extend(certifying.issuer_endorsements(report.credential))
        outcome = _certify(sources, session, subject_id=subject_id, certifiers=certifiers)
    return report.replace_check(outcome.check, children=outcome.reports)


def _not_checked(*, after: str) -> list[CheckResult]:
    ids = CHECK_IDS[CHECK_IDS.index(after) + 1 :]
    return [skipped(check_id, "input-unreadable") for check_id in ids]


def _input_result(loaded: LoadedCredential) -> CheckResult:
    return result(
        "input", CheckStatus.PASSED, f"input-{loaded.form}", form=loaded.form, url=loaded.url
    )


def _verify(
    loaded: LoadedCredential,
    session: FetchSession,
    *,
    email: str | None,
    role: str,
    depth: int,
    budget: _Budget,
) -> VerificationReport:
    credential = loaded.credential
    structure = check_structure(credential)
    json_ld = check_json_ld(credential, has_jwt=loaded.token is not None, session=session)
    authenticity = check_authenticity(credential, loaded.token, session)
    status = check_status(
        credential,
        authenticity.issuer_document,
        session,
        established=authenticity.established,
    )
    validity = check_validity_window(credential, session.now, session.clock_skew)
    recipient = check_recipient(credential, email)

    endorsement_sources, embedded_sources = nested_sources(credential)
    children: list[VerificationReport] = []
    nested_results: list[CheckResult] = []
    for check_id, sources, child_role in (
        ("endorsements", endorsement_sources, "endorsement"),
        ("embedded-credentials", embedded_sources, "embedded-credential"),
    ):
        outcome, reports = _verify_nested(
            check_id,
            sources,
            session,
            role=child_role,
            depth=depth + 1,
            budget=budget,
            parent_established=authenticity.established,
        )
        nested_results.append(outcome)
        children.extend(reports)

    checks = [
        _input_result(loaded),
        structure,
        json_ld,
        *authenticity.results,
        *status,
        validity,
        recipient,
        *nested_results,
        certifying.not_requested(),
    ]
    return VerificationReport.from_checks(
        checks,
        credential=credential,
        children=children,
        checked_at=session.now,
        role=role,
    )


def _load_nested(item: Any) -> LoadedCredential:
    if isinstance(item, dict):
        return LoadedCredential(item, None, "json")
    if isinstance(item, str) and COMPACT_JWS.fullmatch(item.strip()):
        token = item.strip()
        return LoadedCredential(credential_from_jwt(token), token, "jwt")
    raise InputProblem("not-json-or-jwt")


def _verify_nested(
    check_id: str,
    sources: list[Any],
    session: FetchSession,
    *,
    role: str,
    depth: int,
    budget: _Budget,
    parent_established: bool,
) -> tuple[CheckResult, list[VerificationReport]]:
    if not sources:
        return skipped(check_id, "no-endorsements" if role == "endorsement" else "not-a-clr"), []
    if not parent_established:
        return skipped(check_id, "authenticity-not-established"), []
    if depth > MAX_NESTING_DEPTH:
        return result(check_id, CheckStatus.FAILED, "nesting-too-deep", limit=MAX_NESTING_DEPTH), []
    if len(sources) > budget.remaining:
        return result(
            check_id, CheckStatus.FAILED, "too-many-nested", limit=MAX_NESTED_CREDENTIALS
        ), []
    budget.remaining -= len(sources)
    reports: list[VerificationReport] = []
    for item in sources:
        try:
            loaded = _load_nested(item)
        except InputProblem as problem:
            # Inside a signed record, a member that is not a credential is a broken record
            # (invalid), not an unreadable upload.
            code = problem.code
            if code == "not-json-or-jwt":
                code = "embedded-not-a-credential"
            first = result("input", CheckStatus.FAILED, code, **problem.params)
            reports.append(
                VerificationReport.from_checks(
                    [first, *_not_checked(after="input")],
                    credential=None,
                    checked_at=session.now,
                    role=role,
                )
            )
            continue
        reports.append(_verify(loaded, session, email=None, role=role, depth=depth, budget=budget))
    return _summarize(check_id, reports, role=role), reports


def _summarize(check_id: str, reports: list[VerificationReport], *, role: str) -> CheckResult:
    count = len(reports)
    verdicts = [r.verdict for r in reports]
    bad = [v for v in verdicts if v is not Verdict.VALID]
    tally: dict[str, int] = {}
    for verdict in sorted(verdicts, key=lambda v: v.severity):
        tally[verdict.value] = tally.get(verdict.value, 0) + 1
    details: dict[str, Any] = {
        "count": count,
        "bad": len(bad),
        "verdicts": [v.value for v in verdicts],
        "ids": [
            r.credential.get("id") if isinstance(r.credential, Mapping) else None for r in reports
        ],
        "tally": tally,
    }
    for report in reports:
        # A record that refused its members unread (built to exhaust the verifier) makes
        # every record around it refuse too, however deep it sits.
        refused = next((c for c in report.checks if c.code in _NESTING_REFUSED), None)
        if refused is not None:
            return result(check_id, CheckStatus.FAILED, refused.code, **refused.details)
    if role == "endorsement":
        if not bad:
            return result(check_id, CheckStatus.PASSED, "endorsements-valid", **details)
        return result(check_id, CheckStatus.FAILED, "endorsements-not-valid", **details)
    if not bad:
        return result(check_id, CheckStatus.PASSED, "embedded-valid", **details)
    if all(v is Verdict.UNVERIFIABLE for v in bad):
        return result(check_id, CheckStatus.ERROR, "embedded-unverifiable", **details)
    worst = max(verdicts, key=lambda v: v.severity)
    return result(
        check_id,
        CheckStatus.FAILED,
        "embedded-not-valid",
        verdict=worst.value,
        summary=sorted({v.value for v in bad}),
        **details,
    )
