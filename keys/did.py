"""did:web identifiers and DID documents.

The did:web method maps ``did:web:host%3Aport:path:seg`` to
``https://host:port/path/seg/did.json`` (and a bare host to ``/.well-known/did.json``).
DID documents list every published key twice where its type allows: as a ``Multikey``
(Data Integrity) and as a ``JsonWebKey`` (VC-JWT), both under ``assertionMethod`` with the
DID as ``controller``, since OB 3.0 verifiers require the key's controller to be the issuer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from keys.errors import InvalidDid
from keys.signer import KeyType, PublicKey, VerificationKey

# JsonWebKey is defined inline: the did/v1 context already defines publicKeyJwk, and an
# inline term needs no context file that a JSON-LD processor would have to fetch.
DID_CONTEXTS: tuple[str | dict[str, str], ...] = (
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
    {"JsonWebKey": "https://w3id.org/security#JsonWebKey"},
)


def did_web_from_url(base_url: str, *path: str) -> str:
    """Return the did:web DID for ``base_url`` plus path segments.

    ``did_web_from_url("https://badges.example:8443", "issuers", "acme")`` gives
    ``did:web:badges.example%3A8443:issuers:acme``.
    """
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise InvalidDid(f"no host in {base_url!r}")
    host = parts.hostname + (f"%3A{parts.port}" if parts.port else "")
    segments = [s for s in parts.path.split("/") if s] + [
        s for seg in path for s in seg.split("/") if s
    ]
    return ":".join(["did", "web", host, *(quote(s, safe="") for s in segments)])


def did_web_to_url(did: str, *, scheme: str = "https") -> str:
    """Return the URL of the DID document for a did:web DID (a DID URL's fragment is dropped).

    Raises:
        InvalidDid: not a did:web DID, or it has no host.
    """
    base = did.split("#", 1)[0].split("?", 1)[0]
    if not base.startswith("did:web:"):
        raise InvalidDid(f"not a did:web DID: {did!r}")
    segments = base.removeprefix("did:web:").split(":")
    host = unquote(segments[0])
    if not host or "/" in host or "@" in host:
        raise InvalidDid(f"invalid did:web host in {did!r}")
    path = [unquote(s) for s in segments[1:]]
    if any(not s or "/" in s or s in {".", ".."} for s in path):
        raise InvalidDid(f"invalid did:web path in {did!r}")
    if not path:
        return f"{scheme}://{host}/.well-known/did.json"
    return f"{scheme}://{host}/" + "/".join(quote(s, safe="") for s in path) + "/did.json"


def verification_method_id(did: str, key: VerificationKey, *, form: str) -> str:
    """Return the DID URL of ``key`` in ``form`` ``"multikey"`` or ``"jwk"``."""
    fragment = key.key_id.rsplit("#", 1)[-1]
    return f"{did}#{fragment}" if form == "multikey" else f"{did}#{fragment}-jwk"


def jwk_method_id(key: PublicKey) -> str:
    """Return the id of the JsonWebKey entry for ``key`` in the DID document we publish.

    RSA keys appear only as JsonWebKey, under their own id; Ed25519 and P-256 keys appear
    as Multikey under their own id and as JsonWebKey under ``<id>-jwk``. A JWT's ``kid``
    must name the JsonWebKey entry.
    """
    if key.key_type is KeyType.RSA:
        return key.key_id
    return f"{key.key_id}-jwk"


def build_did_document(
    did: str,
    keys: Iterable[VerificationKey],
    *,
    also_known_as: Iterable[str] = (),
    services: Iterable[dict[str, Any]] = (),
    revoked: Iterable[tuple[VerificationKey, str]] = (),
) -> dict[str, Any]:
    """Build the DID document publishing ``keys`` under ``assertionMethod``.

    Ed25519 and P-256 keys appear as Multikey; every key also appears as JsonWebKey
    (RSA only in that form). Key ids are taken from each key's ``key_id`` fragment.

    Args:
        revoked: keys the issuer declared compromised, each with the time it did so (an
            XML Schema dateTimeStamp). They are listed under ``verificationMethod`` with
            ``revoked`` (W3C Controlled Identifiers, "Verification Methods") and under no
            relationship, so nothing they signed verifies, and a verifier can say why.
    """
    methods = _methods(did, keys)
    listed = [m["id"] for m in methods]
    for key, when in revoked:
        methods.extend({**m, "revoked": when} for m in _methods(did, [key]))
    document: dict[str, Any] = {"@context": list(DID_CONTEXTS), "id": did}
    if also_known_as := list(also_known_as):
        document["alsoKnownAs"] = also_known_as
    document["verificationMethod"] = methods
    document["authentication"] = listed
    document["assertionMethod"] = listed
    if services := list(services):
        document["service"] = services
    return document


def _methods(did: str, keys: Iterable[VerificationKey]) -> list[dict[str, Any]]:
    methods: list[dict[str, Any]] = []
    for key in keys:
        if key.key_type in (KeyType.ED25519, KeyType.P256):
            methods.append(
                {
                    "id": verification_method_id(did, key, form="multikey"),
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": key.to_multikey(),
                }
            )
        jwk = {k: v for k, v in key.to_jwk().items() if k != "kid"}
        methods.append(
            {
                "id": verification_method_id(
                    did, key, form="jwk" if key.key_type is not KeyType.RSA else "multikey"
                ),
                "type": "JsonWebKey",
                "controller": did,
                "publicKeyJwk": jwk,
            }
        )
    return methods
