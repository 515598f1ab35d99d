"""Verify Open Badges 2.0 assertions: hosted and signed, as employers still receive them.

Implements the Open Badges 2.0 "Verification" rules, treating the documents as JSON (the
OB 2.0 context is bundled, but nothing here needs JSON-LD canonicalization):

- **Hosted** (``verification.type`` ``HostedBadge``): the assertion is fetched again from
  its own ``id``, which is the source of truth; an HTTP 410 or ``revoked: true`` means
  revoked. The ``id`` must be in the issuer's verification scope: on a host the issuer's
  ``verification.allowedOrigins`` lists (by default the host of the issuer profile's
  ``id``) and, when the issuer sets ``verification.startsWith``, under one of those
  prefixes. There is no signature: a hosted badge is only as current as the issuer's
  server, which the report says.
- **Signed** (``SignedBadge``, a compact JWS): RS256 with the public key at
  ``verification.creator``, a ``CryptographicKey`` whose ``owner`` is the issuer (and
  which the issuer's ``publicKey`` lists, when it lists any); revocation through the
  issuer's ``revocationList``.

Then: the badge class and issuer profile chain (each fetched from its id, through the
run's fetcher and its limits), ``issuedOn`` / ``expires``, and the recipient's identity
hash against an e-mail the employer typed. The report uses the OB 3.0 check ids, so
pages and programs read it the same way, with ``version`` ``2.0``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import UnsupportedAlgorithm as CryptoUnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from badges.errors import InvalidIdentityHash, JwtError
from badges.identity import matches_identity_hash, normalize_email
from badges.summary import as_list, parse_datetime
from badges.vcjwt import decode_jwt, verify_jwt_signature
from keys import KeyManagementError, VerificationKey
from verify.checks import result, skipped
from verify.errors import DocumentGone, DocumentNotFound, FetchError
from verify.report import CHECK_IDS, CheckResult, CheckStatus, VerificationReport
from verify.session import CREDENTIAL_ACCEPT, JSON_ACCEPT, DocumentInvalid, FetchSession
from verify.source import LoadedCredential

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
_OB1_CONTEXT = re.compile(r"https://w3id\.org/openbadges/v1")
_HOSTED = frozenset({"HostedBadge", "hosted"})
_SIGNED = frozenset({"SignedBadge", "signed"})
_ISSUER_TYPES = frozenset({"Issuer", "Profile"})


def is_ob2(document: Mapping[str, Any]) -> bool:
    """Whether ``document`` is an Open Badges 2.0 (or 1.x) assertion rather than a VC."""
    types = as_list(document.get("type"))
    if "VerifiableCredential" in types:
        return False
    contexts = [c for c in as_list(document.get("@context")) if isinstance(c, str)]
    if OB2_CONTEXT in contexts or any(_OB1_CONTEXT.match(c) for c in contexts):
        return True
    return "Assertion" in types or ("recipient" in document and "badge" in document)


class _Stop(Exception):
    """A check failed in a way that ends the chain (internal)."""

    def __init__(self, check: CheckResult) -> None:
        super().__init__(check.code)
        self.check = check


@dataclass
class _Run:
    """What one OB 2.0 verification has established so far (internal)."""

    session: FetchSession
    assertion: dict[str, Any]
    mode: str
    email: str | None = None
    badge: dict[str, Any] = field(default_factory=dict)
    issuer: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, CheckResult] = field(default_factory=dict)


def _host(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    return parts.hostname.lower()


def _fetch(
    run: _Run, url: Any, check_id: str, what: str, accept: str = JSON_ACCEPT
) -> dict[str, Any]:
    """Fetch an OB 2.0 document by its id; a failure stops the chain at ``check_id``."""
    if not isinstance(url, str) or _host(url) is None:
        raise _Stop(result(check_id, CheckStatus.FAILED, "ob2-not-a-url", what=what, value=url))
    try:
        document = run.session.fetch_json(url, accept)
    except DocumentGone:
        raise
    except DocumentNotFound as err:
        status = CheckStatus.ERROR if err.code == "not-in-trust-store" else CheckStatus.FAILED
        raise _Stop(result(check_id, status, "ob2-document-missing", what=what, url=url)) from err
    except FetchError as err:
        raise _Stop(
            result(
                check_id, CheckStatus.ERROR, "ob2-unreachable", what=what, url=url, reason=str(err)
            )
        ) from err
    except DocumentInvalid as err:
        raise _Stop(
            result(
                check_id, CheckStatus.FAILED, "ob2-not-json", what=what, url=url, reason=str(err)
            )
        ) from err
    if document.get("id") != url:
        raise _Stop(
            result(
                check_id,
                CheckStatus.FAILED,
                "ob2-id-mismatch",
                what=what,
                url=url,
                document_id=document.get("id"),
            )
        )
    return document


# ------------------------------------------------------------------------------------------
# structure
# ------------------------------------------------------------------------------------------


def _structure(assertion: Mapping[str, Any], mode: str) -> CheckResult:
    problems: list[str] = []
    if not isinstance(assertion.get("id"), str):
        problems.append("id is missing")
    types = as_list(assertion.get("type"))
    if types and "Assertion" not in types:
        problems.append(f"type is {types!r}, not Assertion")
    recipient = assertion.get("recipient")
    if not isinstance(recipient, Mapping) or not isinstance(recipient.get("identity"), str):
        problems.append("recipient.identity is missing")
    if not isinstance(assertion.get("badge"), str | Mapping):
        problems.append("badge is missing")
    if assertion.get("issuedOn") is None:
        problems.append("issuedOn is missing")
    verification = assertion.get("verification") or assertion.get("verify")
    if not isinstance(verification, Mapping):
        problems.append("verification is missing")
    if problems:
        return result(
            "structure",
            CheckStatus.FAILED,
            "structure-invalid",
            count=len(problems),
            first=problems[0],
            errors=problems,
        )
    return result("structure", CheckStatus.PASSED, "ob2-structure-ok", mode=mode)


def _mode(assertion: Mapping[str, Any], signed: bool) -> str:
    verification = assertion.get("verification") or assertion.get("verify")
    kind = verification.get("type") if isinstance(verification, Mapping) else None
    if signed or kind in _SIGNED:
        return "signed"
    return "hosted"


# ------------------------------------------------------------------------------------------
# badge class and issuer
# ------------------------------------------------------------------------------------------


def _badge_and_issuer(run: _Run) -> None:
    """Resolve the badge class and the issuer profile (each fetched from its id)."""
    badge_ref = run.assertion.get("badge")
    badge_id = badge_ref.get("id") if isinstance(badge_ref, Mapping) else badge_ref
    try:
        badge = _fetch(run, badge_id, "issuer", "badge class")
    except DocumentGone as err:
        raise _Stop(
            result(
                "issuer",
                CheckStatus.FAILED,
                "ob2-document-missing",
                what="badge class",
                url=badge_id,
            )
        ) from err
    if "BadgeClass" not in as_list(badge.get("type")) and badge.get("type") is not None:
        raise _Stop(result("issuer", CheckStatus.FAILED, "ob2-not-a-badge-class", url=badge_id))
    issuer_ref = badge.get("issuer")
    issuer_id = issuer_ref.get("id") if isinstance(issuer_ref, Mapping) else issuer_ref
    try:
        issuer = _fetch(run, issuer_id, "issuer", "issuer profile")
    except DocumentGone as err:
        raise _Stop(
            result(
                "issuer",
                CheckStatus.FAILED,
                "ob2-document-missing",
                what="issuer profile",
                url=issuer_id,
            )
        ) from err
    if not set(as_list(issuer.get("type"))) & _ISSUER_TYPES:
        raise _Stop(result("issuer", CheckStatus.FAILED, "ob2-not-an-issuer", url=issuer_id))
    run.badge = badge
    run.issuer = issuer
    run.checks["issuer"] = result(
        "issuer",
        CheckStatus.PASSED,
        "ob2-issuer-ok",
        issuer=issuer_id,
        name=issuer.get("name"),
        badge=badge_id,
        badge_name=badge.get("name"),
    )


# ------------------------------------------------------------------------------------------
# hosted
# ------------------------------------------------------------------------------------------


def _hosted_assertion(run: _Run, source_id: Any) -> None:
    """Fetch the assertion from its id; that copy is the one verified (or it is gone)."""
    try:
        hosted = _fetch(run, source_id, "proof", "assertion", CREDENTIAL_ACCEPT)
    except DocumentGone:
        run.checks["revocation"] = result(
            "revocation", CheckStatus.FAILED, "ob2-gone", url=source_id
        )
        # The issuer's answer is final: revoked, whatever else the chain would show.
        raise _Stop(skipped("proof", "ob2-gone", url=source_id)) from None
    given = run.assertion
    for name in ("recipient", "badge"):
        theirs, ours = hosted.get(name), given.get(name)
        ours_id = ours.get("id") if isinstance(ours, Mapping) and name == "badge" else ours
        theirs_id = theirs.get("id") if isinstance(theirs, Mapping) and name == "badge" else theirs
        if ours_id != theirs_id:
            raise _Stop(
                result("proof", CheckStatus.FAILED, "ob2-hosted-differs", field=name, url=source_id)
            )
    run.assertion = hosted


def _scope(run: _Run) -> CheckResult:
    """Check the hosted assertion id against the issuer's verification policy."""
    assertion_id = str(run.assertion.get("id"))
    issuer_id = str(run.issuer.get("id"))
    policy = run.issuer.get("verification")
    policy = policy if isinstance(policy, Mapping) else {}
    allowed = [str(o).lower() for o in as_list(policy.get("allowedOrigins")) if isinstance(o, str)]
    if not allowed:
        default = _host(issuer_id)
        allowed = [default] if default else []
    prefixes = [p for p in as_list(policy.get("startsWith")) if isinstance(p, str)]
    host = _host(assertion_id)
    if host is None or host not in allowed:
        return result(
            "key",
            CheckStatus.FAILED,
            "ob2-wrong-origin",
            url=assertion_id,
            host=host,
            allowed=allowed,
            issuer=issuer_id,
        )
    if prefixes and not any(assertion_id.startswith(p) for p in prefixes):
        return result(
            "key", CheckStatus.FAILED, "ob2-outside-prefix", url=assertion_id, prefixes=prefixes
        )
    # OB 1.x hosted badges name their URL in verify.url; it must be the assertion itself.
    legacy = run.assertion.get("verify")
    legacy_url = legacy.get("url") if isinstance(legacy, Mapping) else None
    if legacy_url is not None and (
        not isinstance(legacy_url, str) or _host(legacy_url) not in allowed
    ):
        return result(
            "key",
            CheckStatus.FAILED,
            "ob2-wrong-origin",
            url=legacy_url,
            host=_host(str(legacy_url)),
            allowed=allowed,
            issuer=issuer_id,
        )
    return result("key", CheckStatus.PASSED, "ob2-origin-ok", host=host, issuer=issuer_id)


# ------------------------------------------------------------------------------------------
# signed
# ------------------------------------------------------------------------------------------


def _signed(run: _Run, token: str) -> tuple[CheckResult, CheckResult]:
    """Check the signing key's ownership and the JWS; returns (key, jwt) results."""
    try:
        decoded = decode_jwt(token)
    except JwtError as err:
        return (
            skipped("key", "authenticity-not-established"),
            result("jwt", CheckStatus.FAILED, err.code, reason=str(err)),
        )
    if decoded.algorithm != "RS256":
        # OB 2.0, "Signed Badges": the JWS is signed with RS256.
        return (
            skipped("key", "authenticity-not-established"),
            result("jwt", CheckStatus.FAILED, "ob2-wrong-algorithm", alg=decoded.algorithm),
        )
    verification = run.assertion.get("verification")
    creator = verification.get("creator") if isinstance(verification, Mapping) else None
    legacy = run.assertion.get("verify")
    if creator is None and isinstance(legacy, Mapping):
        # OB 1.x signed badges name the public key in verify.url.
        creator = legacy.get("url")
    issuer_id = run.issuer.get("id")
    keys_listed = [
        k.get("id") if isinstance(k, Mapping) else k for k in as_list(run.issuer.get("publicKey"))
    ]
    if creator is None and len(keys_listed) == 1:
        creator = keys_listed[0]
    try:
        key_document = _fetch(run, creator, "key", "signing key")
    except DocumentGone:
        return (
            result(
                "key", CheckStatus.FAILED, "ob2-document-missing", what="signing key", url=creator
            ),
            skipped("jwt", "authenticity-not-established"),
        )
    except _Stop as stop:
        return stop.check, skipped("jwt", "authenticity-not-established")
    owner = key_document.get("owner")
    if owner != issuer_id or (keys_listed and creator not in keys_listed):
        return (
            result(
                "key",
                CheckStatus.FAILED,
                "ob2-key-not-owned",
                key=creator,
                owner=owner,
                issuer=issuer_id,
            ),
            skipped("jwt", "authenticity-not-established"),
        )
    pem = key_document.get("publicKeyPem")
    try:
        if not isinstance(pem, str):
            raise ValueError("no publicKeyPem")
        public = VerificationKey(load_pem_public_key(pem.encode("ascii")), str(creator))  # type: ignore[arg-type]
    except (ValueError, TypeError, CryptoUnsupportedAlgorithm, KeyManagementError) as err:
        return (
            result("key", CheckStatus.FAILED, "invalid-key", key=creator, reason=str(err)),
            skipped("jwt", "authenticity-not-established"),
        )
    key_result = result("key", CheckStatus.PASSED, "ob2-key-ok", key=creator, issuer=issuer_id)
    try:
        verify_jwt_signature(decoded, public)
    except JwtError as err:
        return key_result, result("jwt", CheckStatus.FAILED, "ob2-bad-signature", reason=str(err))
    return key_result, result("jwt", CheckStatus.PASSED, "ob2-signature-ok", key=creator)


# ------------------------------------------------------------------------------------------
# revocation, dates, recipient
# ------------------------------------------------------------------------------------------


def _revocation(run: _Run) -> CheckResult:
    assertion = run.assertion
    if assertion.get("revoked") is True:
        return result(
            "revocation",
            CheckStatus.FAILED,
            "ob2-revoked",
            reason=assertion.get("revocationReason") or "-",
        )
    url = run.issuer.get("revocationList")
    if url is None:
        if run.mode == "hosted":
            return result("revocation", CheckStatus.PASSED, "ob2-hosted-not-revoked")
        return skipped("revocation", "ob2-no-revocation-list")
    try:
        document = _fetch(run, url, "revocation", "revocation list")
    except DocumentGone:
        return result(
            "revocation", CheckStatus.ERROR, "ob2-document-missing", what="revocation list", url=url
        )
    except _Stop as stop:
        check = stop.check
        status = CheckStatus.ERROR if check.status is CheckStatus.FAILED else check.status
        return result("revocation", status, check.code, **check.details)
    entries = document.get("revokedAssertions")
    if not isinstance(entries, list):
        return result(
            "revocation",
            CheckStatus.ERROR,
            "ob2-not-json",
            what="revocation list",
            url=url,
            reason="no revokedAssertions list",
        )
    names = {assertion.get("id"), assertion.get("uid")} - {None}
    for entry in entries:
        entry_id = entry.get("id") or entry.get("uid") if isinstance(entry, Mapping) else entry
        if entry_id in names:
            reason = entry.get("revocationReason") if isinstance(entry, Mapping) else None
            return result("revocation", CheckStatus.FAILED, "ob2-revoked", reason=reason or "-")
    return result("revocation", CheckStatus.PASSED, "ob2-not-on-revocation-list", url=url)


def _parse_date(value: Any) -> datetime:
    """OB 2.0 DateTime: ISO 8601 (a missing zone is read as UTC) or a Unix timestamp (1.x)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value.strip().isdigit():
        return datetime.fromtimestamp(int(value.strip()), UTC)
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    text = value.strip()
    if len(text) == 10:
        parsed_date = date.fromisoformat(text)
        return datetime(parsed_date.year, parsed_date.month, parsed_date.day, tzinfo=UTC)
    return parse_datetime(text, assume_utc=True)


def _validity(assertion: Mapping[str, Any], now: datetime, skew: timedelta) -> CheckResult:
    try:
        issued = _parse_date(assertion.get("issuedOn"))
        expires_raw = assertion.get("expires")
        expires = _parse_date(expires_raw) if expires_raw is not None else None
    except ValueError as err:
        return result("validity-window", CheckStatus.FAILED, "invalid-date", reason=str(err))
    details = {
        "issued_on": issued.isoformat(),
        "expires": expires.isoformat() if expires else None,
        "valid_from": issued.isoformat(),
        "valid_until": expires.isoformat() if expires else None,
    }
    if now + skew < issued:
        return result(
            "validity-window",
            CheckStatus.FAILED,
            "ob2-not-yet-issued",
            verdict="not-yet-valid",
            **details,
        )
    if expires is not None and now - skew > expires:
        return result(
            "validity-window", CheckStatus.FAILED, "ob2-expired", verdict="expired", **details
        )
    if expires is None:
        return result("validity-window", CheckStatus.PASSED, "ob2-issued-no-expiry", **details)
    return result("validity-window", CheckStatus.PASSED, "ob2-issued-until", **details)


def _recipient(assertion: Mapping[str, Any], email: str | None) -> CheckResult:
    if email is None:
        return skipped("recipient", "recipient-not-requested")
    recipient = assertion.get("recipient")
    recipient = recipient if isinstance(recipient, Mapping) else {}
    if recipient.get("type", "email") != "email":
        return result(
            "recipient",
            CheckStatus.FAILED,
            "ob2-recipient-not-email",
            type=recipient.get("type"),
            email=email,
        )
    identity = recipient.get("identity")
    if not isinstance(identity, str):
        return result("recipient", CheckStatus.FAILED, "no-recipient-email", email=email)
    normalized = normalize_email(email)
    candidates = [normalized] + ([email.strip()] if email.strip() != normalized else [])
    salt = recipient.get("salt") if isinstance(recipient.get("salt"), str) else None
    if recipient.get("hashed") is True:
        try:
            if any(matches_identity_hash(c, salt, identity) for c in candidates):
                return result("recipient", CheckStatus.PASSED, "recipient-matched", email=email)
        except InvalidIdentityHash as err:
            return result(
                "recipient",
                CheckStatus.FAILED,
                "ob2-bad-identity-hash",
                reason=str(err),
                email=email,
            )
    elif normalize_email(identity) == normalized:
        return result("recipient", CheckStatus.PASSED, "recipient-matched", email=email)
    return result("recipient", CheckStatus.FAILED, "recipient-mismatch", email=email)


# ------------------------------------------------------------------------------------------
# the run
# ------------------------------------------------------------------------------------------


def verify_ob2(
    loaded: LoadedCredential, input_result: CheckResult, session: FetchSession, *, email: str | None
) -> VerificationReport:
    """Verify an Open Badges 2.0 assertion read from the input (hosted, signed or baked)."""
    mode = _mode(loaded.credential, loaded.token is not None)
    run = _Run(session, dict(loaded.credential), mode, email)
    checks = run.checks
    checks["input"] = input_result
    checks["structure"] = _structure(run.assertion, mode)
    checks["json-ld"] = skipped("json-ld", "ob2-json-ld-not-needed")
    checks["status"] = skipped("status", "ob2-no-status-list")
    checks["suspension"] = skipped("suspension", "ob2-no-suspension")
    checks["endorsements"] = skipped("endorsements", "no-endorsements")
    checks["embedded-credentials"] = skipped("embedded-credentials", "not-a-clr")
    checks["issuer-certification"] = skipped("issuer-certification", "certification-not-requested")
    if checks["structure"].status is CheckStatus.PASSED:
        _chain(run, loaded)
    for check_id in CHECK_IDS:
        checks.setdefault(check_id, skipped(check_id, "authenticity-not-established"))
    hydrated = dict(run.assertion)
    if run.badge:
        hydrated["badge"] = {**run.badge, "issuer": run.issuer or run.badge.get("issuer")}
    return VerificationReport.from_checks(
        [checks[c] for c in CHECK_IDS],
        credential=hydrated,
        checked_at=session.now,
        version="2.0",
    )


def _chain(run: _Run, loaded: LoadedCredential) -> None:
    checks = run.checks
    try:
        if run.mode == "signed" and loaded.token is None:
            raise _Stop(result("jwt", CheckStatus.FAILED, "ob2-signed-without-signature"))
        if run.mode == "hosted":
            _hosted_assertion(run, run.assertion.get("id"))
        _badge_and_issuer(run)
        if run.mode == "hosted":
            checks["key"] = _scope(run)
            checks["jwt"] = skipped("jwt", "jwt-not-present")
            if checks["key"].status is CheckStatus.PASSED:
                checks["proof"] = result(
                    "proof", CheckStatus.PASSED, "ob2-hosted-ok", url=run.assertion.get("id")
                )
            else:
                checks["proof"] = skipped("proof", "authenticity-not-established")
        else:
            checks["key"], checks["jwt"] = _signed(run, str(loaded.token))
            checks["proof"] = skipped("proof", "ob2-signed-no-proof")
    except _Stop as stop:
        checks[stop.check.id] = stop.check
        return
    established = checks["key"].status is CheckStatus.PASSED and (
        checks["proof"].status is CheckStatus.PASSED or checks["jwt"].status is CheckStatus.PASSED
    )
    if established:
        checks["revocation"] = _revocation(run)
    checks["validity-window"] = _validity(run.assertion, run.session.now, run.session.clock_skew)
    checks["recipient"] = _recipient(run.assertion, run.email)
