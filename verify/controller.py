"""Resolve an issuer's keys from its identity: did:key, did:web, HTTPS controller documents, JWKS.

The rule (OB 3.0 "Key provenance"; W3C Controlled Identifiers, "Retrieve Verification
Method"): a key proves something only if the issuer publishes it. A verification method
is accepted when

- it is in the issuer's own document (the DID document of a ``did:web`` issuer, the
  controller document at an HTTPS issuer id, or one pinned in a trust file), its
  ``controller`` is the issuer, and ``assertionMethod`` lists it; or
- the issuer's ``assertionMethod`` references it and it is a ``did:key``, or it lives in
  another document whose entry names the issuer as ``controller``; or
- for VC-JWT key discovery, it is in a JWKS at a URL the ``kid`` names, that JWKS is on the
  issuer's own origin, and the JWK's ``iss`` member, if any, is the issuer.

A key that appears only in the credential (the 1EdTech ``<issuer>#z6Mk…`` fragment
shortcut, or a JWT ``jwk`` header) is never trusted by itself: a ``jwk`` header is
accepted only when the same key is published by the issuer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from badges.summary import as_list
from keys import (
    InvalidDid,
    KeyManagementError,
    VerificationKey,
    did_web_to_url,
    multikey_to_public_key,
)
from verify.errors import DocumentNotFound, FetchError, NotInTrustStore, UnsafeUrl
from verify.session import DID_ACCEPT, JSON_ACCEPT, DocumentInvalid, FetchSession, Problem


class KeyProblem(Problem):
    """A key or issuer document could not be trusted (internal; becomes a check result)."""


@dataclass(frozen=True)
class IssuerDocument:
    """The issuer's identity document, reduced to what key checks need.

    Attributes:
        id: the issuer id (DID or URL).
        method: how it was resolved: ``did:key``, ``did:web``, ``https`` or ``pinned``.
        url: where the document came from (None for did:key).
        methods: verification methods by absolute id.
        assertion: absolute ids listed (embedded or referenced) under ``assertionMethod``.
        name: the issuer's name, if the document gives one.
    """

    id: str
    method: str
    url: str | None
    methods: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    assertion: frozenset[str] = frozenset()
    name: str | None = None


@dataclass(frozen=True)
class TrustedKey:
    """A public key the issuer controls, and where that was established."""

    key: VerificationKey
    method_id: str
    controller: str
    source: str

    def describe(self) -> dict[str, str]:
        """JSON-able description for report details."""
        return {
            "id": self.method_id,
            "type": self.key.key_type.value,
            "controller": self.controller,
            "source": self.source,
        }


def _absolute(method_id: str, base: str) -> str:
    return base + method_id if method_id.startswith("#") else method_id


def _did_key_method_id(ref: str) -> str:
    base, _, fragment = ref.partition("#")
    return f"{base}#{fragment or base.removeprefix('did:key:')}"


def normalize_method_id(ref: str, issuer_id: str) -> str:
    """Return the absolute id of a verification method reference.

    A ``did:key`` reference without its ``#fragment`` is left as it is: the DID alone
    names no verification method of the did:key document (Digital Bazaar and DCC refuse
    it), so it matches only an issuer document that lists that exact string.
    """
    if ref.startswith("did:key:") and "#" in ref:
        return _did_key_method_id(ref)
    if ref.startswith("#"):
        return issuer_id + ref
    return ref


def _did_key_document(did: str) -> IssuerDocument:
    method_id = _did_key_method_id(did)
    multikey = method_id.split("#", 1)[1]
    base = method_id.split("#", 1)[0]
    vm = {"id": method_id, "type": "Multikey", "controller": base, "publicKeyMultibase": multikey}
    return IssuerDocument(base, "did:key", None, {method_id: vm}, frozenset({method_id}))


def parse_controller_document(
    document: Mapping[str, Any], *, expected_id: str, url: str | None, method: str
) -> IssuerDocument:
    """Reduce a DID or controller document to an :class:`IssuerDocument`.

    Raises:
        KeyProblem: the document is about another id, or malformed.
    """
    document_id = document.get("id")
    if document_id != expected_id:
        raise KeyProblem(
            "issuer-document-mismatch",
            definite=True,
            url=url,
            document_id=document_id,
            issuer=expected_id,
        )
    methods: dict[str, Mapping[str, Any]] = {}
    assertion: set[str] = set()
    for entry in as_list(document.get("verificationMethod")):
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            methods[_absolute(entry["id"], expected_id)] = entry
    for entry in as_list(document.get("assertionMethod")):
        if isinstance(entry, str):
            assertion.add(normalize_method_id(_absolute(entry, expected_id), expected_id))
        elif isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            method_id = _absolute(entry["id"], expected_id)
            methods[method_id] = entry
            assertion.add(method_id)
    name = document.get("name")
    return IssuerDocument(
        expected_id,
        method,
        url,
        methods,
        frozenset(assertion),
        name if isinstance(name, str) else None,
    )


def _fetch_problem(err: FetchError, url: str, *, missing_code: str) -> KeyProblem:
    if isinstance(err, DocumentNotFound) and not isinstance(err, NotInTrustStore):
        return KeyProblem(missing_code, definite=True, url=url, reason=str(err))
    return KeyProblem(
        "issuer-unreachable" if missing_code == "unknown-issuer" else "key-unreachable",
        definite=False,
        url=url,
        reason=str(err),
    )


def resolve_issuer(issuer_id: str, session: FetchSession) -> IssuerDocument:
    """Resolve the issuer's identity document.

    ``did:key`` resolves offline; ``did:web`` fetches the DID document; an HTTPS id fetches
    the controller document at that URL; any other id (``urn:uuid:…``) is looked up as-is,
    which only a trust file can answer.

    Raises:
        KeyProblem: ``unknown-issuer`` (definite: the document does not exist),
            ``issuer-unreachable`` / ``issuer-not-resolvable`` (not definite), or a
            malformed or mismatched document.
    """
    return session.remember(
        ("issuer", issuer_id), lambda: _resolve_issuer(issuer_id, session), KeyProblem
    )


def _resolve_issuer(issuer_id: str, session: FetchSession) -> IssuerDocument:
    if issuer_id.startswith("did:key:"):
        try:
            document = _did_key_document(issuer_id.split("#", 1)[0])
            _key_from_method(document.methods[next(iter(document.methods))], issuer_id)
        except KeyProblem as problem:
            raise KeyProblem("invalid-issuer-document", definite=True, **problem.params) from None
        return document
    if issuer_id.startswith("did:web:"):
        try:
            url = did_web_to_url(issuer_id)
        except InvalidDid as err:
            raise KeyProblem(
                "invalid-issuer-document", definite=True, reason=str(err), url=issuer_id
            ) from err
        method, accept = "did:web", DID_ACCEPT
    elif urlsplit(issuer_id).scheme in ("https", "http"):
        url, method, accept = issuer_id.split("#", 1)[0], "https", JSON_ACCEPT
    else:
        url, method, accept = issuer_id, "pinned", JSON_ACCEPT
    try:
        raw = session.fetch_json(url, accept)
    except UnsafeUrl as err:
        if method == "pinned":
            raise KeyProblem("issuer-not-resolvable", definite=False, issuer=issuer_id) from err
        raise _fetch_problem(err, url, missing_code="unknown-issuer") from err
    except NotInTrustStore as err:
        if method == "pinned":
            raise KeyProblem("issuer-not-resolvable", definite=False, issuer=issuer_id) from err
        raise _fetch_problem(err, url, missing_code="unknown-issuer") from err
    except FetchError as err:
        raise _fetch_problem(err, url, missing_code="unknown-issuer") from err
    except DocumentInvalid as err:
        raise KeyProblem("invalid-issuer-document", definite=True, reason=str(err)) from err
    return parse_controller_document(raw, expected_id=issuer_id, url=url, method=method)


def _key_from_method(entry: Mapping[str, Any], method_id: str) -> VerificationKey:
    try:
        if isinstance(entry.get("publicKeyMultibase"), str):
            return VerificationKey(multikey_to_public_key(entry["publicKeyMultibase"]), method_id)
        jwk = entry.get("publicKeyJwk")
        if isinstance(jwk, dict):
            return VerificationKey.from_jwk(jwk, method_id)
    except KeyManagementError as err:
        raise KeyProblem("invalid-key", definite=True, key=method_id, reason=str(err)) from err
    raise KeyProblem("invalid-key", definite=True, key=method_id, reason="no public key")


def resolve_key(ref: str, issuer: IssuerDocument, session: FetchSession) -> TrustedKey:
    """Return the issuer-controlled key named by ``ref`` (a verificationMethod or ``kid``).

    Raises:
        KeyProblem: the key is not the issuer's (``key-not-found``, ``key-not-controlled``,
            ``key-not-assertion-method``), malformed, or its document is unreachable.
    """
    method_id = normalize_method_id(ref, issuer.id)
    if method_id.startswith("did:key:") and "#" not in method_id:
        if method_id not in issuer.assertion:
            raise KeyProblem("key-reference-inexact", definite=True, key=method_id)
        # The issuer's own document lists this exact string under assertionMethod.
        key = _key_from_method(
            _did_key_document(method_id).methods[_did_key_method_id(method_id)], method_id
        )
        return TrustedKey(key, method_id, issuer.id, "did:key")
    source = issuer.url or issuer.method
    entry = issuer.methods.get(method_id)
    if entry is not None and entry.get("revoked") is not None:
        # Controlled Identifiers, "Verification Methods": a method with "revoked" must not
        # verify anything; the issuer declared this key compromised.
        raise KeyProblem(
            "key-compromised", definite=True, key=method_id, revoked=str(entry["revoked"])
        )
    if entry is not None:
        if entry.get("controller") != issuer.id:
            raise KeyProblem("key-not-controlled", definite=True, key=method_id, issuer=issuer.id)
        if method_id not in issuer.assertion:
            raise KeyProblem("key-not-assertion-method", definite=True, key=method_id)
        return TrustedKey(_key_from_method(entry, method_id), method_id, issuer.id, source)
    if method_id in issuer.assertion:
        return _resolve_referenced(method_id, issuer, session)
    if method_id.split("#", 1)[0] == issuer.id:
        raise KeyProblem("key-not-found", definite=True, key=method_id)
    jwks_key = _resolve_from_jwks(method_id, issuer, session)
    if jwks_key is not None:
        return jwks_key
    raise KeyProblem("key-not-controlled", definite=True, key=method_id, issuer=issuer.id)


def _resolve_referenced(
    method_id: str, issuer: IssuerDocument, session: FetchSession
) -> TrustedKey:
    """A method the issuer's assertionMethod references but its document does not embed."""
    base = method_id.split("#", 1)[0]
    if base.startswith("did:key:"):
        document = _did_key_document(base)
        entry = document.methods[method_id]
        return TrustedKey(_key_from_method(entry, method_id), method_id, issuer.id, "did:key")
    url = did_web_to_url(base) if base.startswith("did:web:") else base
    try:
        raw = session.fetch_json(url, DID_ACCEPT)
    except FetchError as err:
        raise _fetch_problem(err, url, missing_code="key-not-found") from err
    except DocumentInvalid as err:
        raise KeyProblem("invalid-key", definite=True, key=method_id, reason=str(err)) from err
    for entry in as_list(raw.get("verificationMethod")):
        if isinstance(entry, Mapping) and _absolute(str(entry.get("id")), base) == method_id:
            if entry.get("controller") != issuer.id:
                raise KeyProblem(
                    "key-not-controlled", definite=True, key=method_id, issuer=issuer.id
                )
            return TrustedKey(_key_from_method(entry, method_id), method_id, issuer.id, url)
    raise KeyProblem("key-not-found", definite=True, key=method_id)


def _origin(identifier: str) -> str | None:
    if identifier.startswith("did:web:"):
        try:
            identifier = did_web_to_url(identifier)
        except InvalidDid:
            return None
    parts = urlsplit(identifier)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return None
    return f"https://{parts.netloc.lower()}"


def _resolve_from_jwks(
    kid: str, issuer: IssuerDocument, session: FetchSession
) -> TrustedKey | None:
    """Look ``kid`` up in the JWKS its URL names (VC-JWT key discovery).

    Only for issuers identified by an HTTPS URL: a DID issuer's keys are those of its DID
    document, nowhere else. Many issuers may share one origin (every tenant of a badge
    platform does), so a JWKS speaks for the issuer only when it sits under the issuer's
    own URL path, or when its JWK names the issuer in an ``iss`` member.
    """
    if issuer.id.startswith("did:"):
        return None
    url, _, fragment = kid.partition("#")
    # Only a JWKS on the issuer's own origin can speak for it; nothing else is fetched.
    if urlsplit(url).scheme not in ("https", "http") or _origin(url) != _origin(issuer.id):
        return None
    issuer_path = urlsplit(issuer.id).path.rstrip("/") + "/"
    under_issuer = urlsplit(url).path.startswith(issuer_path)
    try:
        raw = session.fetch_json(url, "application/jwk-set+json, application/json;q=0.9")
    except FetchError as err:
        raise _fetch_problem(err, url, missing_code="key-not-found") from err
    except DocumentInvalid:
        return None
    keys = raw.get("keys")
    if not isinstance(keys, list):
        return None
    for jwk in keys:
        if not isinstance(jwk, dict) or jwk.get("kid") not in (kid, fragment):
            continue
        # On a multi-issuer host the JWK's "iss" member says which issuer it belongs to;
        # without one, only a JWKS under the issuer's own path is the issuer's.
        if jwk.get("iss", issuer.id if under_issuer else None) != issuer.id:
            raise KeyProblem("key-not-controlled", definite=True, key=kid, issuer=issuer.id)
        public = {k: v for k, v in jwk.items() if k not in ("iss", "use", "key_ops")}
        try:
            return TrustedKey(VerificationKey.from_jwk(public, kid), kid, issuer.id, url)
        except KeyManagementError as err:
            raise KeyProblem("invalid-key", definite=True, key=kid, reason=str(err)) from err
    raise KeyProblem("key-not-found", definite=True, key=kid)


def published_keys(issuer: IssuerDocument) -> Iterable[TrustedKey]:
    """Every well-formed key the issuer asserts with: embedded and controlled, or a did:key."""
    for method_id in sorted(issuer.assertion):
        entry = issuer.methods.get(method_id)
        source = issuer.url or issuer.method
        if entry is None and method_id.startswith("did:key:"):
            entry = _did_key_document(method_id.split("#", 1)[0]).methods.get(method_id)
            source = "did:key"
        elif entry is not None and entry.get("controller") != issuer.id:
            continue
        if entry is None:
            continue
        try:
            key = _key_from_method(entry, method_id)
        except KeyProblem:
            continue
        yield TrustedKey(key, method_id, issuer.id, source)
