"""One function per check of the OB 3.0 verification algorithm, each returning CheckResults.

The order and the meaning of each check id are documented in :mod:`verify.report`. Checks
that need documents (issuer, keys, status lists) reach them through the run's
:class:`~verify.session.FetchSession`, never by opening sockets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from badges.canonical import canonicalize_with_undefined_terms, find_undefined_terms
from badges.context import VC_V1, VC_V2
from badges.errors import (
    BadgeError,
    InvalidIdentityHash,
    InvalidJsonLd,
    InvalidProof,
    JwtError,
    MissingProof,
    StatusListError,
    UnknownContext,
    UnsupportedCryptosuite,
)
from badges.identity import matches_identity_hash, normalize_email
from badges.proof import check_proof_options, is_jcs_proof, proofs_of, verify_proof
from badges.schema import ACHIEVEMENT_CREDENTIAL, ENDORSEMENT_CREDENTIAL, schema_errors
from badges.status import Bitstring
from badges.summary import as_list, parse_datetime
from badges.vcjwt import DecodedJwt, check_jwt_claims, decode_jwt, verify_jwt_signature
from keys import KeyManagementError, VerificationKey
from verify.controller import (
    IssuerDocument,
    KeyProblem,
    TrustedKey,
    published_keys,
    resolve_issuer,
    resolve_key,
)
from verify.errors import FetchError
from verify.messages import render
from verify.report import CheckResult, CheckStatus
from verify.session import STATUS_ACCEPT, DocumentInvalid, FetchSession, Problem
from verify.suites import jwt_decode_failure

_OB_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
_BSL_ENTRY_TYPES = frozenset({"BitstringStatusListEntry", "StatusList2021Entry"})
_BSL_LIST_TYPES = frozenset({"BitstringStatusListCredential", "StatusList2021Credential"})
_PURPOSES = ("revocation", "suspension")
_SCHEMA_NAMES = {
    ACHIEVEMENT_CREDENTIAL: "OB 3.0 AchievementCredential",
    ENDORSEMENT_CREDENTIAL: "OB 3.0 EndorsementCredential",
}


def result(check_id: str, status: CheckStatus, code: str, **details: Any) -> CheckResult:
    """Build a CheckResult whose messages are rendered from ``code`` and ``details``."""
    return CheckResult(check_id, status, code, render(code, details), details)


def skipped(check_id: str, code: str, **details: Any) -> CheckResult:
    """A skipped result."""
    return result(check_id, CheckStatus.SKIPPED, code, **details)


def issuer_id_of(credential: Mapping[str, Any]) -> str | None:
    """The issuer id, whether ``issuer`` is a string or a Profile."""
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None


def credential_kind(credential: Mapping[str, Any]) -> str | None:
    """``ob``, ``endorsement`` or ``clr``, or None for any other type."""
    types = set(as_list(credential.get("type")))
    if types & _OB_TYPES:
        return "ob"
    if "EndorsementCredential" in types:
        return "endorsement"
    if "ClrCredential" in types:
        return "clr"
    return None


# ------------------------------------------------------------------------------------------
# structure
# ------------------------------------------------------------------------------------------


def _schema_node(node: Any, root: Mapping[str, Any], value: Any) -> Mapping[str, Any]:
    """Follow ``$ref`` and pick the ``anyOf``/``oneOf`` branch that fits ``value``."""
    for _ in range(16):
        if not isinstance(node, Mapping):
            return {}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            node = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
            continue
        branches = node.get("anyOf") or node.get("oneOf")
        if isinstance(branches, list):
            wanted = "object" if isinstance(value, Mapping) else "array"
            fitting = [b for b in branches if _schema_node(b, root, None).get("type") == wanted]
            node = fitting[0] if fitting else {}
            continue
        return node
    return {}


def _widen(value: Any, node: Any, root: Mapping[str, Any]) -> Any:
    """Wrap single values in arrays where the schema wants arrays (JSON-LD compaction)."""
    node = _schema_node(node, root, value)
    if isinstance(value, Mapping):
        properties = node.get("properties", {})
        widened: dict[str, Any] = {}
        for key, item in value.items():
            sub = properties.get(key)
            if sub is None:
                widened[key] = item
                continue
            resolved = _schema_node(sub, root, item)
            if resolved.get("type") == "array" and not isinstance(item, list):
                item = [item]
            widened[key] = _widen(item, resolved, root)
        return widened
    if isinstance(value, list) and "items" in node:
        return [_widen(item, node["items"], root) for item in value]
    return value


@cache
def _schema_document(name: str) -> dict[str, Any]:
    text = (resources.files("badges") / "schemas" / name).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _schema_problems(credential: Mapping[str, Any], schema: str) -> list[str]:
    # Deviation: OB 3.0 "Serialization" lets the JSON-LD binding compact single values
    # (a lone proof object, "type": "Profile"), which the strict JSON schemas refuse; 1EdTech
    # publishes compaction-tolerant schemas we do not bundle. We widen such values into
    # arrays, guided by the schema itself, then validate against the strict schema.
    root = _schema_document(schema)
    return schema_errors(_widen(credential, root, root), schema)


def check_structure(credential: Mapping[str, Any]) -> CheckResult:
    """Check the required fields and, for OB 3.0 credentials, the 1EdTech JSON Schema (§9.1)."""
    kind = credential_kind(credential)
    types = as_list(credential.get("type"))
    if kind is None or "VerifiableCredential" not in types:
        return result("structure", CheckStatus.FAILED, "unsupported-credential-type", types=types)
    problems: list[str] = []
    contexts = as_list(credential.get("@context"))
    legacy = contexts[:1] == [VC_V1]
    if not legacy and contexts[:1] != [VC_V2]:
        problems.append(f"@context must start with {VC_V2}")
    if not isinstance(credential.get("id"), str):
        problems.append("id is missing")
    if issuer_id_of(credential) is None:
        problems.append("issuer is missing or has no id")
    date_field = "issuanceDate" if legacy else "validFrom"
    if not isinstance(credential.get(date_field), str):
        problems.append(f"{date_field} is missing")
    subjects = as_list(credential.get("credentialSubject"))
    if not subjects or not all(isinstance(s, Mapping) for s in subjects):
        problems.append("credentialSubject is missing")
        subjects = []
    for subject in subjects:
        if kind != "endorsement" and not (subject.get("id") or subject.get("identifier")):
            problems.append("credentialSubject has neither id nor identifier")
        if kind == "ob" and not isinstance(subject.get("achievement"), Mapping):
            problems.append("credentialSubject.achievement is missing")
        if kind == "clr" and not isinstance(subject.get("verifiableCredential"), list | Mapping):
            problems.append("credentialSubject.verifiableCredential is missing")
    if kind in ("endorsement", "clr") and not isinstance(credential.get("name"), str):
        problems.append("name is missing")
    schema = {"ob": ACHIEVEMENT_CREDENTIAL, "endorsement": ENDORSEMENT_CREDENTIAL}.get(kind)
    if schema is not None and not legacy:
        problems.extend(_schema_problems(credential, schema))
    if problems:
        return result(
            "structure",
            CheckStatus.FAILED,
            "structure-invalid",
            count=len(problems),
            first=problems[0],
            errors=problems[:50],
        )
    if schema is not None and not legacy:
        return result("structure", CheckStatus.PASSED, "structure-ok", schema=_SCHEMA_NAMES[schema])
    code = "structure-ok-legacy" if legacy else "structure-ok-clr"
    return result("structure", CheckStatus.PASSED, code, kind=kind)


# ------------------------------------------------------------------------------------------
# json-ld
# ------------------------------------------------------------------------------------------


def _canonical_key(credential: Mapping[str, Any]) -> tuple[str, ...]:
    return ("canonical", str(id(credential)))


def canonical_of(credential: Mapping[str, Any], session: FetchSession | None) -> str | None:
    """The canonical form of ``credential`` without its proofs, if :func:`check_json_ld`
    made it in this run (the proof check then hashes it instead of making it again)."""
    if session is None:
        return None
    found = session.memo.get(_canonical_key(credential))
    # The memo keeps the credential itself, so its id cannot name another object.
    if isinstance(found, tuple) and found[0] is credential:
        text: str = found[1]
        return text
    return None


def check_json_ld(
    credential: Mapping[str, Any], *, has_jwt: bool, session: FetchSession | None = None
) -> CheckResult:
    """Check that every term is defined, so an ``eddsa-rdfc-2022`` proof covers every field.

    RDFC-1.0 silently drops undefined terms: a field added after signing would pass the
    proof. A credential secured only by a VC-JWT, or only by ``eddsa-jcs-2022`` proofs, is
    signed byte for byte, so this is moot.

    The terms are found while canonicalizing the credential (one pass); with ``session``
    the canonical form is kept for the proof check of this run (:func:`canonical_of`).
    """
    if credential.get("proof") in (None, []):
        if has_jwt:
            return skipped("json-ld", "json-ld-not-needed")
        return skipped("json-ld", "json-ld-no-proof")
    raw_proofs = credential.get("proof")
    listed = raw_proofs if isinstance(raw_proofs, list) else [raw_proofs]
    if all(isinstance(p, Mapping) and is_jcs_proof(p) for p in listed):
        return skipped("json-ld", "json-ld-not-needed-jcs")
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    try:
        try:
            canonical, undefined = canonicalize_with_undefined_terms(unsecured)
        except InvalidJsonLd:
            # Not canonicalizable (explicit blank node ids, too large): the proof check
            # reports that; the terms are still looked up on their own.
            undefined = find_undefined_terms(unsecured)
        else:
            if session is not None and not undefined:
                session.memo[_canonical_key(credential)] = (credential, canonical)
    except UnknownContext as err:
        return result("json-ld", CheckStatus.FAILED, "unknown-context", context=str(err))
    except InvalidJsonLd as err:
        return result("json-ld", CheckStatus.FAILED, "invalid-json-ld", reason=str(err))
    if undefined:
        return result("json-ld", CheckStatus.FAILED, "undefined-term", terms=undefined[:20])
    return result("json-ld", CheckStatus.PASSED, "json-ld-ok")


# ------------------------------------------------------------------------------------------
# issuer, key, proof, jwt
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Authenticity:
    """The results of the issuer, key, proof and jwt checks, and the issuer's document."""

    issuer: CheckResult
    key: CheckResult
    proof: CheckResult
    jwt: CheckResult
    issuer_document: IssuerDocument | None

    @property
    def results(self) -> tuple[CheckResult, ...]:
        """The four results, in report order."""
        return (self.issuer, self.key, self.proof, self.jwt)

    @property
    def established(self) -> bool:
        """The issuer signed this: every checked proof passed, with issuer-controlled keys."""
        signatures = (self.proof, self.jwt)
        return (
            self.issuer.status is CheckStatus.PASSED
            and self.key.status is CheckStatus.PASSED
            and any(s.status is CheckStatus.PASSED for s in signatures)
            and not any(s.status in (CheckStatus.FAILED, CheckStatus.ERROR) for s in signatures)
        )


def _suite(proof: Mapping[str, Any]) -> str:
    suite = proof.get("cryptosuite")
    return f"{proof.get('type')}/{suite}" if suite else str(proof.get("type"))


def _key_problem_result(check_id: str, problem: KeyProblem) -> CheckResult:
    status = CheckStatus.FAILED if problem.definite else CheckStatus.ERROR
    return result(check_id, status, problem.code, **problem.params)


def _jwt_key(decoded: DecodedJwt, issuer: IssuerDocument, session: FetchSession) -> TrustedKey:
    """Find the issuer-controlled key for a VC-JWT: by ``kid``, by ``jwk``, or by trying."""
    kid = decoded.header.get("kid")
    jwk = decoded.header.get("jwk")
    inline: VerificationKey | None = None
    if jwk is not None:
        try:
            if not isinstance(jwk, dict):
                raise TypeError("jwk is not an object")
            inline = VerificationKey.from_jwk({k: v for k, v in jwk.items() if k != "kid"})
        except (KeyManagementError, TypeError) as err:
            raise KeyProblem("invalid-key", definite=True, key="jwk", reason=str(err)) from err
    if isinstance(kid, str) and kid:
        trusted = resolve_key(kid, issuer, session)
        if inline is not None and inline.public_bytes() != trusted.key.public_bytes():
            raise KeyProblem("key-only-in-credential", definite=True)
        return trusted
    if inline is not None:
        # OB 3.0 allows the key inline; it counts only if the issuer publishes the same key.
        for trusted in published_keys(issuer):
            if trusted.key.public_bytes() == inline.public_bytes():
                return trusted
        raise KeyProblem("key-only-in-credential", definite=True)
    # Deviation: OB 3.0 requires kid or jwk. Without either we try the issuer's own
    # published keys of the token's algorithm; any key found is the issuer's by definition.
    for trusted in published_keys(issuer):
        if trusted.key.algorithm != decoded.algorithm:
            continue
        try:
            verify_jwt_signature(decoded, trusted.key)
        except JwtError:
            continue
        return trusted
    raise KeyProblem("key-not-found", definite=True, key="(no kid or jwk in the JWT header)")


def check_authenticity(
    credential: Mapping[str, Any], token: str | None, session: FetchSession
) -> Authenticity:
    """Run the issuer, key, proof and jwt checks (OB 3.0 §9 step 2).

    Every proof that can be checked must pass; proofs of types we do not implement are
    ignored when another proof passes (the 1EdTech multiple-proofs sample), and fail the
    check when they are all there is.
    """
    malformed: list[BadgeError] = []
    supported: list[dict[str, Any]] = []
    unsupported: list[dict[str, Any]] = []
    try:
        proofs = proofs_of(credential)
    except MissingProof:
        proofs = []
    except InvalidProof as err:
        proofs = []
        malformed.append(err)
    for proof in proofs:
        try:
            check_proof_options(proof)
        except UnsupportedCryptosuite:
            unsupported.append(proof)
        except InvalidProof as err:
            malformed.append(err)
        else:
            supported.append(proof)

    decoded: DecodedJwt | None = None
    jwt_result: CheckResult | None = None
    if token is None:
        jwt_result = skipped("jwt", "jwt-not-present")
    else:
        try:
            decoded = decode_jwt(token)
        except JwtError as err:
            jwt_result = jwt_decode_failure(token, err)

    def proof_without_key(reason: str) -> CheckResult:
        """The proof result when no signature could be checked."""
        if malformed:
            return result("proof", CheckStatus.FAILED, "invalid-proof", reason=str(malformed[0]))
        if supported:
            return skipped("proof", "proof-not-checked", reason=reason)
        if unsupported:
            # A suite we do not implement says nothing about the credential: we could not
            # check it (unverifiable), never "invalid".
            return result(
                "proof", CheckStatus.ERROR, "unsupported-cryptosuite", suite=_suite(unsupported[0])
            )
        if token is not None:
            return skipped("proof", "proof-not-present")
        return result("proof", CheckStatus.FAILED, "missing-proof")

    issuer_id = issuer_id_of(credential)
    if not supported and decoded is None:
        return Authenticity(
            skipped("issuer", "no-proof-to-check"),
            skipped("key", "no-key-to-check"),
            proof_without_key("no proof"),
            jwt_result or skipped("jwt", "jwt-not-present"),
            None,
        )
    if issuer_id is None:
        return Authenticity(
            result("issuer", CheckStatus.FAILED, "no-issuer"),
            skipped("key", "issuer-not-resolved"),
            proof_without_key("no issuer"),
            jwt_result or skipped("jwt", "jwt-not-checked", reason="no-issuer"),
            None,
        )
    try:
        issuer = resolve_issuer(issuer_id, session)
    except KeyProblem as problem:
        return Authenticity(
            _key_problem_result("issuer", problem),
            skipped("key", "issuer-not-resolved"),
            proof_without_key(problem.code),
            jwt_result or skipped("jwt", "jwt-not-checked", reason=problem.code),
            None,
        )
    issuer_result = result(
        "issuer",
        CheckStatus.PASSED,
        "issuer-resolved",
        issuer=issuer.id,
        method=issuer.method,
        url=issuer.url,
        name=issuer.name,
    )

    keys_used: list[TrustedKey] = []
    key_problems: list[KeyProblem] = []
    failures: list[BadgeError] = []
    verified: list[str] = []
    for proof in supported:
        try:
            trusted = resolve_key(str(proof["verificationMethod"]), issuer, session)
        except KeyProblem as problem:
            key_problems.append(problem)
            continue
        keys_used.append(trusted)
        try:
            verify_proof(
                credential,
                proof,
                trusted.key,
                canonical_document=canonical_of(credential, session),
            )
        except (InvalidProof, UnsupportedCryptosuite, InvalidJsonLd) as err:
            failures.append(err)
        else:
            verified.append(_suite(proof))

    if malformed or failures:
        first = (malformed or failures)[0]
        proof_result = result("proof", CheckStatus.FAILED, first.code, reason=str(first))
    elif verified:
        proof_result = result(
            "proof",
            CheckStatus.PASSED,
            "proof-verified",
            suites=verified,
            ignored=[_suite(p) for p in unsupported],
        )
    else:
        proof_result = proof_without_key(key_problems[0].code if key_problems else "no key")

    if jwt_result is None and decoded is not None:
        try:
            trusted = _jwt_key(decoded, issuer, session)
        except KeyProblem as problem:
            key_problems.append(problem)
            jwt_result = skipped("jwt", "jwt-not-checked", reason=problem.code)
        else:
            keys_used.append(trusted)
            try:
                verify_jwt_signature(decoded, trusted.key)
                check_jwt_claims(decoded)
            except JwtError as err:
                jwt_result = result("jwt", CheckStatus.FAILED, err.code, reason=str(err))
            else:
                jwt_result = result(
                    "jwt",
                    CheckStatus.PASSED,
                    "jwt-verified",
                    alg=decoded.algorithm,
                    kid=trusted.method_id,
                )
    if jwt_result is None:  # pragma: no cover - every branch above sets it
        jwt_result = skipped("jwt", "jwt-not-present")

    definite = [p for p in key_problems if p.definite]
    if definite or key_problems:
        key_result = _key_problem_result("key", (definite or key_problems)[0])
    elif keys_used:
        key_result = result(
            "key",
            CheckStatus.PASSED,
            "key-controlled",
            keys=sorted({k.method_id for k in keys_used}),
            used=[k.describe() for k in keys_used],
        )
    else:
        key_result = skipped("key", "no-key-to-check")
    return Authenticity(issuer_result, key_result, proof_result, jwt_result, issuer)


# ------------------------------------------------------------------------------------------
# status
# ------------------------------------------------------------------------------------------


class StatusProblem(Problem):
    """A status list could not be used (internal)."""


@dataclass(frozen=True)
class _StatusList:
    bits: Bitstring
    purposes: frozenset[str]


def _window_problem(
    document: Mapping[str, Any], now: datetime, skew: timedelta, *, legacy_names: bool
) -> str | None:
    """Return ``expired`` / ``not-yet-valid`` if ``now`` is outside the document's window."""
    valid_from = document.get("validFrom") or (
        document.get("issuanceDate") if legacy_names else None
    )
    valid_until = document.get("validUntil") or (
        document.get("expirationDate") if legacy_names else None
    )
    if valid_from is not None and now + skew < parse_datetime(valid_from):
        return "not-yet-valid"
    if valid_until is not None and now - skew > parse_datetime(valid_until):
        return "expired"
    return None


def _load_status_list(url: str, issuer: IssuerDocument, session: FetchSession) -> _StatusList:
    """Fetch and verify a status list credential (BSL §3.2 "Validate Algorithm")."""
    # Keyed by issuer too: whether a list may speak for a credential depends on who issued
    # the credential, and one run verifies credentials of several issuers (a CLR's badges).
    return session.remember(
        ("status-list", url, issuer.id),
        lambda: _fetch_status_list(url, issuer, session),
        StatusProblem,
    )


def _fetch_status_list(url: str, issuer: IssuerDocument, session: FetchSession) -> _StatusList:
    try:
        document = session.fetch_json(url, STATUS_ACCEPT)
    except FetchError as err:
        raise StatusProblem("status-list-unreachable", url=url, reason=str(err)) from err
    except DocumentInvalid as err:
        raise StatusProblem("status-list-invalid", url=url, reason=str(err)) from err

    def invalid(reason: str) -> StatusProblem:
        """A status-list-invalid problem for this list."""
        return StatusProblem("status-list-invalid", url=url, reason=reason)

    if not set(as_list(document.get("type"))) & _BSL_LIST_TYPES:
        raise invalid("it is not a BitstringStatusListCredential")
    if "id" in document and document["id"] != url:
        # The list must be the one the entry names, not another list of the same issuer.
        raise invalid(f"its id is {document['id']!r}")
    list_issuer = issuer_id_of(document)
    if list_issuer != issuer.id:
        raise StatusProblem("status-list-wrong-issuer", url=url, list_issuer=list_issuer)
    try:
        proofs = proofs_of(document)
    except (MissingProof, InvalidProof) as err:
        raise invalid(str(err)) from err
    verified = 0
    for proof in proofs:
        try:
            check_proof_options(proof)
        except UnsupportedCryptosuite:
            continue
        except InvalidProof as err:
            raise invalid(str(err)) from err
        try:
            trusted = resolve_key(str(proof["verificationMethod"]), issuer, session)
        except KeyProblem as problem:
            raise invalid(
                f"signed with a key the issuer does not control ({problem.code})"
            ) from None
        # A list that has not changed was verified before (same bytes, proof and key).
        memo = session.proofs
        known = (
            memo.key(session.fetch(url, STATUS_ACCEPT).body, proof, trusted.key.to_jwk())
            if memo is not None
            else ""
        )
        if memo is None or known not in memo:
            try:
                verify_proof(document, proof, trusted.key)
            except (InvalidProof, UnsupportedCryptosuite, InvalidJsonLd) as err:
                raise invalid(f"its proof does not verify: {err}") from err
            if memo is not None:
                memo.add(known)
        verified += 1
    if not verified:
        raise invalid("it carries no proof we can verify")
    try:
        window = _window_problem(document, session.now, session.clock_skew, legacy_names=True)
    except ValueError as err:
        raise invalid(str(err)) from err
    if window is not None:
        raise invalid(f"the list is {window}")
    subject = document.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise invalid("it has no credentialSubject")
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise invalid("it has no encodedList")
    try:
        bits = Bitstring.decode(encoded)
    except StatusListError as err:
        raise invalid(str(err)) from err
    purposes = frozenset(p for p in as_list(subject.get("statusPurpose")) if isinstance(p, str))
    return _StatusList(bits, purposes)


def _status_index(entry: Mapping[str, Any]) -> int:
    raw = entry.get("statusListIndex")
    # BSL: a base-10 string; the 1EdTech sample uses an integer, which we accept too.
    if isinstance(raw, int) and not isinstance(raw, bool):
        index = raw
    elif isinstance(raw, str) and raw.isdigit() and len(raw) <= 12:
        index = int(raw)
    else:
        raise StatusProblem(
            "unsupported-status", type=entry.get("type"), reason=f"bad index {raw!r}"
        )
    if index < 0:
        raise StatusProblem("unsupported-status", type=entry.get("type"), reason="negative index")
    return index


def _read_bit(entry: Mapping[str, Any], issuer: IssuerDocument, session: FetchSession) -> bool:
    purpose = entry.get("statusPurpose")
    if entry.get("statusSize", 1) != 1:
        raise StatusProblem(
            "unsupported-status", type=entry.get("type"), reason="statusSize other than 1"
        )
    index = _status_index(entry)
    url = entry.get("statusListCredential")
    if not isinstance(url, str):
        raise StatusProblem(
            "unsupported-status", type=entry.get("type"), reason="no statusListCredential"
        )
    status_list = _load_status_list(url.split("#", 1)[0], issuer, session)
    if purpose not in status_list.purposes:
        raise StatusProblem(
            "status-list-invalid", url=url, reason=f"the list is not for {purpose!r}"
        )
    try:
        return status_list.bits.get(index)
    except StatusListError as err:
        raise StatusProblem("status-list-invalid", url=url, reason=str(err)) from err


def _read_revocation_list(
    entry: Mapping[str, Any], credential: Mapping[str, Any], session: FetchSession
) -> bool:
    """1EdTech Revocation List (VCRL 1.0): an unsigned JSON list of revoked credential ids."""
    url = entry.get("id")
    if not isinstance(url, str):
        raise StatusProblem("unsupported-status", type=entry.get("type"), reason="no id")
    try:
        document = session.fetch_json(url)
    except FetchError as err:
        raise StatusProblem("status-list-unreachable", url=url, reason=str(err)) from err
    except DocumentInvalid as err:
        raise StatusProblem("status-list-invalid", url=url, reason=str(err)) from err
    revoked = document.get("revokedCredential")
    if not isinstance(revoked, list):
        raise StatusProblem("status-list-invalid", url=url, reason="no revokedCredential list")
    return any(
        isinstance(item, Mapping)
        and item.get("id") == credential.get("id")
        and item.get("revoked", True) is not False
        for item in revoked
    )


def check_status(
    credential: Mapping[str, Any],
    issuer: IssuerDocument | None,
    session: FetchSession,
    *,
    established: bool,
) -> tuple[CheckResult, CheckResult, CheckResult]:
    """Run the status, revocation and suspension checks (OB 3.0 §9 step 4; BSL).

    Fails closed: a list that cannot be fetched or verified gives ``error``, never
    ``passed``. Nothing is fetched for a credential whose authenticity is not established.
    """
    entries = as_list(credential.get("credentialStatus"))
    if not entries:
        return (
            skipped("status", "no-status"),
            skipped("revocation", "no-revocation-entry"),
            skipped("suspension", "no-suspension-entry"),
        )
    if not established or issuer is None:
        return (
            skipped("status", "authenticity-not-established"),
            skipped("revocation", "authenticity-not-established"),
            skipped("suspension", "authenticity-not-established"),
        )
    outcomes: dict[str, list[bool | StatusProblem]] = {p: [] for p in _PURPOSES}
    problems: list[StatusProblem] = []
    lists: set[str] = set()
    ignored: list[str] = []
    for entry in entries:
        entry_type = entry.get("type") if isinstance(entry, Mapping) else None
        purpose: Any = None
        try:
            if not isinstance(entry, Mapping):
                raise StatusProblem("unsupported-status", type=None, reason="not an object")
            if entry_type in _BSL_ENTRY_TYPES:
                purpose = entry.get("statusPurpose")
                if purpose not in _PURPOSES:
                    ignored.append(str(purpose))
                    continue
                outcomes[str(purpose)].append(_read_bit(entry, issuer, session))
                lists.add(str(entry.get("statusListCredential")))
            elif entry_type == "1EdTechRevocationList":
                purpose = "revocation"
                outcomes[purpose].append(_read_revocation_list(entry, credential, session))
                lists.add(str(entry.get("id")))
            else:
                raise StatusProblem(
                    "unsupported-status", type=entry_type, reason="unknown status type"
                )
        except StatusProblem as problem:
            problems.append(problem)
            if purpose in outcomes:
                outcomes[str(purpose)].append(problem)
            else:
                # An entry we cannot read might be the revocation entry: fail closed.
                outcomes["revocation"].append(problem)

    if problems:
        status = result(
            "status",
            CheckStatus.ERROR,
            problems[0].code,
            **problems[0].params,
            problems=[{"code": p.code, **p.params} for p in problems],
        )
    else:
        status = result(
            "status",
            CheckStatus.PASSED,
            "status-lists-verified",
            count=len(lists),
            lists=sorted(lists),
            ignored=ignored,
        )
    names = {
        "revocation": ("revoked", "not-revoked", "no-revocation-entry"),
        "suspension": ("suspended", "not-suspended", "no-suspension-entry"),
    }
    purpose_results = []
    for purpose in _PURPOSES:
        set_code, clear_code, none_code = names[purpose]
        found = outcomes[purpose]
        unknown = [o for o in found if isinstance(o, StatusProblem)]
        if any(o is True for o in found):
            purpose_results.append(result(purpose, CheckStatus.FAILED, set_code))
        elif unknown:
            purpose_results.append(
                result(purpose, CheckStatus.ERROR, "status-unknown", reason=unknown[0].code)
            )
        elif found:
            purpose_results.append(result(purpose, CheckStatus.PASSED, clear_code))
        else:
            purpose_results.append(skipped(purpose, none_code))
    return status, purpose_results[0], purpose_results[1]


# ------------------------------------------------------------------------------------------
# validity window, recipient
# ------------------------------------------------------------------------------------------


def check_validity_window(
    credential: Mapping[str, Any], now: datetime, clock_skew: timedelta
) -> CheckResult:
    """Compare ``validFrom`` / ``validUntil`` with ``now``, allowing ``clock_skew`` either way."""
    valid_from = credential.get("validFrom") or credential.get("issuanceDate")
    valid_until = credential.get("validUntil") or credential.get("expirationDate")
    try:
        problem = _window_problem(credential, now, clock_skew, legacy_names=True)
    except ValueError as err:
        return result("validity-window", CheckStatus.FAILED, "invalid-date", reason=str(err))
    details = {"valid_from": valid_from, "valid_until": valid_until, "clock_skew": str(clock_skew)}
    if problem is not None:
        return result("validity-window", CheckStatus.FAILED, problem, verdict=problem, **details)
    if valid_until is None:
        return result("validity-window", CheckStatus.PASSED, "valid-without-end", **details)
    return result("validity-window", CheckStatus.PASSED, "within-validity-period", **details)


def check_recipient(credential: Mapping[str, Any], email: str | None) -> CheckResult:
    """Compare a known email with the recipient's ``emailAddress`` identifiers (§9 step 5)."""
    if email is None:
        return skipped("recipient", "recipient-not-requested")
    normalized = normalize_email(email)
    candidates = [normalized] + ([email.strip()] if email.strip() != normalized else [])
    identifiers: list[Mapping[str, Any]] = []
    for subject in as_list(credential.get("credentialSubject")):
        if isinstance(subject, Mapping):
            identifiers.extend(
                i
                for i in as_list(subject.get("identifier"))
                if isinstance(i, Mapping) and i.get("identityType") == "emailAddress"
            )
    if not identifiers:
        return result("recipient", CheckStatus.FAILED, "no-recipient-email", email=email)
    for identifier in identifiers:
        value = identifier.get("identityHash")
        if not isinstance(value, str):
            continue
        salt = identifier.get("salt")
        salt = salt if isinstance(salt, str) else None
        if identifier.get("hashed") is True:
            try:
                if any(matches_identity_hash(c, salt, value) for c in candidates):
                    return result("recipient", CheckStatus.PASSED, "recipient-matched", email=email)
            except InvalidIdentityHash:
                continue
        elif normalize_email(value) == normalized:
            return result("recipient", CheckStatus.PASSED, "recipient-matched", email=email)
    return result("recipient", CheckStatus.FAILED, "recipient-mismatch", email=email)


def nested_sources(credential: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """Return (endorsements, embedded credentials): JSON objects or compact JWS strings.

    Endorsements may sit on the credential, its achievement and its issuer (OB 3.0
    ``endorsement`` / ``endorsementJwt``); a CLR embeds credentials in
    ``credentialSubject.verifiableCredential``.
    """
    endorsements: list[Any] = []
    holders: list[Any] = [credential]
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    holders.extend(s.get("achievement") for s in subjects)
    holders.append(credential.get("issuer"))
    for holder in holders:
        if isinstance(holder, Mapping):
            endorsements.extend(as_list(holder.get("endorsement")))
            endorsements.extend(as_list(holder.get("endorsementJwt")))
    embedded: list[Any] = []
    if credential_kind(credential) == "clr":
        for subject in subjects:
            embedded.extend(as_list(subject.get("verifiableCredential")))
    return endorsements, embedded
