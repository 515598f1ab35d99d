"""Errors raised by the credential format package.

Every leaf has a stable kebab-case ``code``; messages may change, codes may not::

    BadgeError
    ├── MalformedCredential         (also ValueError)   malformed-credential
    │   ├── InvalidJsonLd                               invalid-json-ld
    │   │   ├── UnknownContext                          unknown-context
    │   │   └── UndefinedTerm                           undefined-term
    │   └── SchemaViolation                             schema-violation
    ├── ProofError
    │   ├── UnsupportedCryptosuite                      unsupported-cryptosuite
    │   ├── MissingProof                                missing-proof
    │   └── InvalidProof                                invalid-proof
    ├── JwtError
    │   ├── MalformedJwt            (also ValueError)   malformed-jwt
    │   ├── UnsupportedAlgorithm                        unsupported-algorithm
    │   ├── InvalidJwtSignature                         invalid-jwt-signature
    │   └── JwtClaimMismatch                            jwt-claim-mismatch
    ├── StatusListError             (also ValueError)   invalid-status-list
    │   └── StatusIndexOutOfRange   (also IndexError)   status-index-out-of-range
    ├── InvalidIdentityHash         (also ValueError)   invalid-identity-hash
    ├── InvalidQrContent            (also ValueError)   invalid-qr-content
    └── BakingError                 (also ValueError)   baking-error
        ├── InvalidImage                                invalid-image
        ├── UnsafeXml                                   unsafe-xml
        ├── ImageTooLarge                               image-too-large
        └── NoCredentialInImage                         no-credential-in-image
"""

from __future__ import annotations


class BadgeError(Exception):
    """Root of every error raised by :mod:`badges`."""

    code = "badge-error"


class MalformedCredential(BadgeError, ValueError):
    """The input is not a credential of the expected shape."""

    code = "malformed-credential"


class InvalidJsonLd(MalformedCredential):
    """JSON-LD processing (expansion or canonicalization) failed."""

    code = "invalid-json-ld"


class UnknownContext(InvalidJsonLd):
    """An ``@context`` URL is not one of the contexts bundled with Baeji; it is never fetched."""

    code = "unknown-context"


class UndefinedTerm(InvalidJsonLd):
    """A property or type is not defined by any context, so no signature would cover it."""

    code = "undefined-term"


class SchemaViolation(MalformedCredential):
    """The credential does not validate against its 1EdTech JSON Schema."""

    code = "schema-violation"

    def __init__(self, message: str, errors: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors


class ProofError(BadgeError):
    """Root of Data Integrity proof failures."""

    code = "proof-error"


class UnsupportedCryptosuite(ProofError):
    """The proof uses a type or cryptosuite we do not implement."""

    code = "unsupported-cryptosuite"


class MissingProof(ProofError):
    """The credential carries no embedded proof."""

    code = "missing-proof"


class InvalidProof(ProofError):
    """The proof is malformed or its signature does not verify."""

    code = "invalid-proof"


class JwtError(BadgeError):
    """Root of VC-JWT failures."""

    code = "jwt-error"


class MalformedJwt(JwtError, ValueError):
    """Not a compact JWS, or its header or payload is not the expected JSON."""

    code = "malformed-jwt"


class UnsupportedAlgorithm(JwtError):
    """``alg`` is ``none``, symmetric, unknown, or not the algorithm of the key."""

    code = "unsupported-algorithm"


class InvalidJwtSignature(JwtError):
    """The JWS signature does not verify."""

    code = "invalid-jwt-signature"


class JwtClaimMismatch(JwtError):
    """A registered claim (iss, jti, sub, nbf, exp) disagrees with the credential."""

    code = "jwt-claim-mismatch"


class StatusListError(BadgeError, ValueError):
    """A Bitstring Status List is malformed or too short."""

    code = "invalid-status-list"


class StatusIndexOutOfRange(StatusListError, IndexError):
    """The status index lies outside the list."""

    code = "status-index-out-of-range"


class InvalidIdentityHash(BadgeError, ValueError):
    """An IdentityHash is not ``sha256$<hex>`` or ``md5$<hex>``."""

    code = "invalid-identity-hash"


class InvalidQrContent(BadgeError, ValueError):
    """The text for a QR code is not an http(s) URL, or is too long to print legibly."""

    code = "invalid-qr-content"


class BakingError(BadgeError, ValueError):
    """Root of baking and extraction failures."""

    code = "baking-error"


class InvalidImage(BakingError):
    """The bytes are not a well-formed PNG or SVG (truncated, bad CRC, not XML)."""

    code = "invalid-image"


class UnsafeXml(BakingError):
    """The SVG declares a DTD or entities (XXE, billion laughs); it is refused unparsed."""

    code = "unsafe-xml"


class ImageTooLarge(BakingError):
    """The image, or a chunk in it, exceeds the size we accept."""

    code = "image-too-large"


class NoCredentialInImage(BakingError):
    """The image carries no baked Open Badges 3.0 credential."""

    code = "no-credential-in-image"
