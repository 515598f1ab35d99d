"""Verify the certificate's offline QR (``BJ1:``; format in :mod:`badges.compact`).

The QR's claims are checked the way a credential is: the issuer DID is resolved (from a
trust file when offline), the ``kid`` must be an ``assertionMethod`` key the issuer controls,
the COSE signature must verify with it, the status lists it names are read (signed by the
issuer, so a captured copy is as trustworthy as a live one, only older: the report gives
its capture time), and ``validFrom`` / ``validUntil`` are compared with ``now``.

The report has the usual check ids. ``proof`` is the COSE signature; ``structure`` the
claims map; ``json-ld``, ``jwt``, ``recipient`` and the nested checks are skipped (the QR
holds no JSON-LD and no e-mail). A key the issuer's document does not list is
``unverifiable`` when that document came from a trust file (the QR may be signed by a key
newer than the capture: refresh the trust file) and ``invalid`` when it was fetched live.
"""

from __future__ import annotations

from typing import Any

from badges.compact import InvalidCompactCredential, SignedCompact, decode_compact
from badges.model import format_datetime
from keys import InvalidSignature
from verify.checks import check_status, check_validity_window, result, skipped
from verify.controller import KeyProblem, TrustedKey, resolve_issuer, resolve_key
from verify.report import CHECK_IDS, CheckResult, CheckStatus, VerificationReport
from verify.session import FetchSession

PREFIX = "BJ1:"


def _credential_view(signed: SignedCompact) -> dict[str, Any]:
    """The claims in the shape of a credential, so summaries and tables read them as usual."""
    claims = signed.claims
    view: dict[str, Any] = {
        "id": claims.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": claims.course_name,
        "issuer": {"id": claims.issuer_id, "type": ["Profile"]},
        "validFrom": format_datetime(claims.valid_from),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {"name": claims.course_name},
        },
        "credentialStatus": [
            {
                "id": f"{s.url}#{s.index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": s.purpose,
                "statusListCredential": s.url,
                "statusListIndex": str(s.index),
            }
            for s in claims.status
        ],
    }
    if claims.issuer_name:
        view["issuer"]["name"] = claims.issuer_name
    if claims.holder_name:
        view["credentialSubject"]["name"] = claims.holder_name
    if claims.valid_until is not None:
        view["validUntil"] = format_datetime(claims.valid_until)
    return view


def _from_trust_file(session: FetchSession, url: str | None) -> bool:
    return any(r.captured_at is not None and r.url == url for r in session.records)


def verify_compact(text: str, session: FetchSession, *, form: str) -> VerificationReport:
    """Verify a ``BJ1:`` text read from ``form`` (``compact`` pasted text, ``qr`` an image)."""
    try:
        signed = decode_compact(text)
    except InvalidCompactCredential as err:
        first = result("input", CheckStatus.FAILED, "compact-unreadable", reason=str(err))
        rest = [skipped(c, "input-unreadable") for c in CHECK_IDS[1:]]
        return VerificationReport.from_checks(
            [first, *rest], credential=None, checked_at=session.now
        )
    credential = _credential_view(signed)
    checks: dict[str, CheckResult] = {
        "input": result("input", CheckStatus.PASSED, "input-compact", form=form),
        "structure": result("structure", CheckStatus.PASSED, "compact-claims"),
        "json-ld": skipped("json-ld", "compact-no-json-ld"),
        "jwt": skipped("jwt", "jwt-not-present"),
        "recipient": skipped("recipient", "compact-no-recipient"),
        "endorsements": skipped("endorsements", "no-endorsements"),
        "embedded-credentials": skipped("embedded-credentials", "not-a-clr"),
        "issuer-certification": skipped("issuer-certification", "certification-not-requested"),
    }
    issuer_id = signed.claims.issuer_id
    issuer = None
    established = False
    try:
        issuer = resolve_issuer(issuer_id, session)
    except KeyProblem as problem:
        status = CheckStatus.FAILED if problem.definite else CheckStatus.ERROR
        checks["issuer"] = result("issuer", status, problem.code, **problem.params)
        checks["key"] = skipped("key", "issuer-not-resolved")
        checks["proof"] = skipped("proof", "proof-not-checked", reason=problem.code)
    else:
        checks["issuer"] = result(
            "issuer",
            CheckStatus.PASSED,
            "issuer-resolved",
            issuer=issuer.id,
            method=issuer.method,
            url=issuer.url,
            name=issuer.name,
        )
        trusted: TrustedKey | None = None
        try:
            trusted = resolve_key(signed.key_ref, issuer, session)
        except KeyProblem as problem:
            if problem.code == "key-not-found" and _from_trust_file(session, issuer.url):
                checks["key"] = result(
                    "key", CheckStatus.ERROR, "compact-key-not-in-trust-file", key=signed.key_ref
                )
            else:
                status = CheckStatus.FAILED if problem.definite else CheckStatus.ERROR
                checks["key"] = result("key", status, problem.code, **problem.params)
            checks["proof"] = skipped("proof", "proof-not-checked", reason=problem.code)
        if trusted is not None:
            checks["key"] = result(
                "key",
                CheckStatus.PASSED,
                "key-controlled",
                keys=[trusted.method_id],
                used=[trusted.describe()],
            )
            checks["proof"] = _check_signature(signed, trusted)
            established = checks["proof"].status is CheckStatus.PASSED
    status_results = check_status(credential, issuer, session, established=established)
    checks.update((r.id, r) for r in status_results)
    checks["validity-window"] = check_validity_window(credential, session.now, session.clock_skew)
    return VerificationReport.from_checks(
        [checks[c] for c in CHECK_IDS], credential=credential, checked_at=session.now
    )


def _check_signature(signed: SignedCompact, trusted: TrustedKey) -> CheckResult:
    if trusted.key.algorithm != signed.algorithm:
        return result(
            "proof",
            CheckStatus.FAILED,
            "compact-bad-signature",
            reason=f"the key is {trusted.key.algorithm}, the QR says {signed.algorithm}",
        )
    try:
        trusted.key.verify(signed.signature, signed.signed_data)
    except InvalidSignature as err:
        return result("proof", CheckStatus.FAILED, "compact-bad-signature", reason=str(err))
    return result("proof", CheckStatus.PASSED, "compact-signature-verified", alg=signed.algorithm)


__all__ = ["PREFIX", "verify_compact"]
