"""JSON-LD context URLs and the bundled context documents.

Contexts ship inside the package and are served by :func:`document_loader`; a URL that is
not bundled raises :class:`UnknownContext` and is never fetched (VC 2.0, "Base Context":
verifiers treat contexts as static, pinned resources).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from badges.errors import UnknownContext

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CLR_V2P0 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"

# The extensions context defines "1EdTechJsonSchemaValidator2019", the credentialSchema type;
# without it that term is undefined and safe-mode verifiers refuse the credential.
OB_CONTEXTS = (VC_V2, OB_V3P0, OB_EXTENSIONS)
CLR_CONTEXTS = (VC_V2, CLR_V2P0, OB_V3P0, OB_EXTENSIONS)
STATUS_LIST_CONTEXTS = (VC_V2,)
# Baeji's own vocabulary for the signed issuer registry (no published vocabulary has a
# registry of issuers): bundled like the others and never fetched.
BAEJI_REGISTRY_V1 = "https://baeji.kr/contexts/registry-v1.jsonld"
REGISTRY_CONTEXTS = (VC_V2, BAEJI_REGISTRY_V1)

OB_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
ENDORSEMENT_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
)
CLR_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
)

# URL -> file in badges/contexts/. Copied byte-for-byte from the published context files
# (provenance in tests/vectors/README.md); a test checks the bytes still match.
CONTEXT_FILES: dict[str, str] = {
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-v2p0-context-2.0.1.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context.json": "clr-v2p0-context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob-v3p0-context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-v3p0-context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ob-v3p0-context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld": "ob-v3p0-context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
    "https://w3id.org/openbadges/v2": "ob-v2p0-context.json",
    "https://w3id.org/security/data-integrity/v1": "security-data-integrity-v1.jsonld",
    "https://w3id.org/security/data-integrity/v2": "security-data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "security-multikey-v1.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "security-suites-ed25519-2020-v1.jsonld",
    "https://w3id.org/vc/status-list/2021/v1": "w3c-status-list-2021-v1.jsonld",
    "https://www.w3.org/2018/credentials/v1": "w3c-credentials-v1.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "w3c-credentials-examples-v2.jsonld",
    "https://www.w3.org/ns/credentials/status/v1": "w3c-bitstring-status-list-v1.jsonld",
    "https://www.w3.org/ns/credentials/v2": "w3c-credentials-v2.jsonld",
    "https://www.w3.org/ns/did/v1": "w3c-did-v1.jsonld",
}

# Contexts Baeji itself defines (not copies of a published file, so kept apart from
# CONTEXT_FILES, which a test compares with the spec copies).
OWN_CONTEXT_FILES: dict[str, str] = {
    BAEJI_REGISTRY_V1: "baeji-registry-v1.jsonld",
}


@cache
def load_context(url: str) -> dict[str, Any]:
    """Return the parsed bundled context document for ``url``.

    Raises:
        UnknownContext: ``url`` is not bundled.
    """
    try:
        name = CONTEXT_FILES.get(url) or OWN_CONTEXT_FILES[url]
    except (KeyError, TypeError):
        raise UnknownContext(
            f"unknown JSON-LD context {url!r} (contexts are never fetched)"
        ) from None
    text = (resources.files("badges") / "contexts" / name).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def document_loader(url: str, options: object = None) -> dict[str, Any]:
    """Serve bundled contexts to pyld; the signature is pyld's document-loader interface."""
    return {"contextUrl": None, "documentUrl": url, "document": load_context(url)}
