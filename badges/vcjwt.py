"""VC-JWT as profiled by Open Badges 3.0 ("JSON Web Token Proof Format").

The JWS payload is the credential itself (with its embedded proof) plus the registered
claims ``iss``, ``jti``, ``nbf``, ``sub`` and, when the credential expires, ``exp``. The
JOSE header has only ``alg``, ``kid`` and ``typ: JWT`` ("Additional JOSE Headers are NOT
allowed"). Decoding also accepts the VC 1.1 form with the credential in a ``vc`` claim.

PyJWT does the JWS work (segments, header, algorithm allow-list, signature check) through
an algorithm bound to our ``keys`` types, so a sealed or external :class:`keys.Signer`
signs without its private key ever being handed to PyJWT, and a token verifies only with
the algorithm of the key that was resolved for it. What stays here is what PyJWT does not
know: the OB 3.0 header rules (no extra JOSE headers, ``typ``), the registered claims that
must agree with the credential, and bounds on size and nesting before anything is parsed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jwt import PyJWS
from jwt.algorithms import Algorithm
from jwt.exceptions import InvalidAlgorithmError, InvalidSignatureError, PyJWTError

from badges.errors import (
    InvalidJwtSignature,
    JwtClaimMismatch,
    MalformedJwt,
    UnsupportedAlgorithm,
)
from badges.summary import parse_datetime
from keys import (
    InvalidKeyEncoding,
    InvalidSignature,
    PublicKey,
    Signer,
    b64url_decode,
    jwk_method_id,
)

# Asymmetric algorithms we verify; "none" and every HMAC algorithm are refused outright,
# since an HMAC "signature" keyed with a public key proves nothing (CVE-2015-9235 class).
SUPPORTED_ALGORITHMS = frozenset({"RS256", "ES256", "EdDSA"})
_ALLOWED_HEADERS = frozenset({"alg", "kid", "typ", "jwk"})
_ACCEPTED_TYP = frozenset({"JWT", "vc+jwt", "vc+ld+json+jwt"})
MAX_JWT_BYTES = 1024 * 1024
# Caps per segment, checked before decoding. A JOSE header holds at most alg, kid, typ and a
# public jwk (an RSA-8192 JWK is under 1,500 characters); the largest signature is RS256 with
# an 8,192-bit key, 1,024 bytes or 1,366 base64url characters (an Ed25519 one is 86).
MAX_JWT_HEADER_LENGTH = 8 * 1024
MAX_JWT_SIGNATURE_LENGTH = 1400


def _timestamp(value: str) -> int:
    try:
        parsed = parse_datetime(value)
    except ValueError as err:
        raise JwtClaimMismatch(f"invalid dateTime {value!r}: {err}") from err
    return int(parsed.timestamp())


def _issuer_id(credential: Mapping[str, Any]) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, Mapping) else issuer


def _subject_id(credential: Mapping[str, Any]) -> Any:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    return subject.get("id") if isinstance(subject, Mapping) else None


def jwt_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """Return the OB 3.0 registered claims for ``credential``."""
    claims: dict[str, Any] = {
        "iss": _issuer_id(credential),
        "jti": credential.get("id"),
        "nbf": _timestamp(str(credential.get("validFrom"))),
    }
    if (sub := _subject_id(credential)) is not None:
        claims["sub"] = sub
    if credential.get("validUntil"):
        claims["exp"] = _timestamp(str(credential["validUntil"]))
    return claims


class _KeyBoundAlgorithm(Algorithm):
    """A PyJWT algorithm that signs with a :class:`keys.Signer` and verifies with a
    :class:`keys.PublicKey`; both already produce and check JOSE-format signatures."""

    def prepare_key(self, key: Any) -> Any:
        return key

    def sign(self, msg: bytes, key: Any) -> bytes:
        signature: bytes = key.sign(msg)
        return signature

    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        try:
            key.verify(sig, msg)
        except InvalidSignature:
            return False
        return True

    @staticmethod
    def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
        raise NotImplementedError("keys are published by the keys package")

    @staticmethod
    def from_jwk(jwk: Any) -> Any:
        raise NotImplementedError("keys are resolved by the verifier")


def _jws() -> PyJWS:
    """A PyJWS that knows exactly our algorithms: never ``none`` and never an HMAC."""
    jws = PyJWS(algorithms=[])
    for name in sorted(SUPPORTED_ALGORITHMS):
        jws.register_algorithm(name, _KeyBoundAlgorithm())
    return jws


_JWS = _jws()


def encode_jwt(credential: Mapping[str, Any], signer: Signer, *, kid: str | None = None) -> str:
    """Sign ``credential`` as a compact VC-JWT with ``signer``'s algorithm.

    Args:
        credential: the credential, with its embedded proof if it has one.
        signer: RSA (RS256, the OB 3.0 minimum), Ed25519 (EdDSA) or P-256 (ES256).
        kid: the URL of the public key; defaults to the JsonWebKey entry that
            :func:`keys.build_did_document` publishes for the signer's key.
    """
    payload = {**credential, **jwt_claims(credential)}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"kid": kid or jwk_method_id(signer.public_key), "typ": "JWT"}
    # PyJWT types keys as cryptography objects; our algorithm takes the Signer itself.
    key: Any = signer
    return _JWS.encode(body, key, algorithm=signer.algorithm, headers=headers)


@dataclass(frozen=True)
class DecodedJwt:
    """A compact JWS split and parsed, signature not yet checked."""

    header: dict[str, Any]
    payload: dict[str, Any]
    token: str

    @property
    def algorithm(self) -> str:
        return str(self.header.get("alg"))

    @property
    def credential(self) -> dict[str, Any]:
        """The credential: the ``vc`` claim (VC 1.1 form) or the payload minus JWT claims."""
        return credential_of_payload(self.payload)


_REGISTERED_CLAIMS = frozenset({"iss", "jti", "nbf", "sub", "exp", "iat", "aud"})
# Credentials nest a few levels (a CLR's badges, their achievements, alignments); anything
# far deeper is an attack on the parser or on whoever walks the result recursively.
MAX_DEPTH = 64


def credential_of_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Return the credential in a VC-JWT payload: the ``vc`` claim, or the payload minus claims."""
    vc = payload.get("vc")
    if isinstance(vc, dict):
        return vc
    return {k: v for k, v in payload.items() if k not in _REGISTERED_CLAIMS}


def _too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
    return False


def _parse_segment(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(segment))
    except RecursionError as err:
        raise MalformedJwt(f"the JWT {what} is nested too deeply") from err
    except (InvalidKeyEncoding, ValueError, UnicodeDecodeError) as err:
        raise MalformedJwt(f"the JWT {what} is not base64url JSON") from err
    if not isinstance(value, dict):
        raise MalformedJwt(f"the JWT {what} is not a JSON object")
    if _too_deep(value):
        raise MalformedJwt(f"the JWT {what} is nested deeper than {MAX_DEPTH} levels")
    return value


def decode_jwt(token: str) -> DecodedJwt:
    """Split and parse a compact JWS without checking the signature.

    Raises:
        MalformedJwt: not three base64url segments of JSON, or too large.
        UnsupportedAlgorithm: ``alg`` is missing, ``none``, symmetric or unknown.
    """
    token = token.strip()
    if len(token) > MAX_JWT_BYTES:
        raise MalformedJwt("the JWT is larger than 1 MiB")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise MalformedJwt("a compact JWS has three dot-separated segments")
    if len(parts[0]) > MAX_JWT_HEADER_LENGTH:
        raise MalformedJwt(f"the JWT header is longer than {MAX_JWT_HEADER_LENGTH} characters")
    if len(parts[2]) > MAX_JWT_SIGNATURE_LENGTH:
        raise MalformedJwt(
            f"the JWT signature is longer than {MAX_JWT_SIGNATURE_LENGTH} characters"
        )
    header = _parse_segment(parts[0], "header")
    alg = header.get("alg")
    if alg not in SUPPORTED_ALGORITHMS:
        raise UnsupportedAlgorithm(f"JWT algorithm {alg!r} is not accepted")
    if extra := set(header) - _ALLOWED_HEADERS:
        raise MalformedJwt("JOSE headers not allowed by OB 3.0: " + ", ".join(sorted(extra)))
    if "typ" in header and header["typ"] not in _ACCEPTED_TYP:
        raise MalformedJwt(f"unexpected JWT typ {header['typ']!r}")
    payload = _parse_segment(parts[1], "payload")
    try:
        b64url_decode(parts[2])
    except InvalidKeyEncoding as err:
        raise MalformedJwt("the JWT signature is not base64url") from err
    return DecodedJwt(header, payload, token)


def verify_jwt_signature(decoded: DecodedJwt, public_key: PublicKey) -> None:
    """Check the JWS signature with ``public_key``.

    The ``alg`` header must be the key's own algorithm: an RSA key never verifies an
    ES256 or HS256 token, whatever the header says.

    Raises:
        UnsupportedAlgorithm: ``alg`` is not the algorithm of ``public_key``.
        InvalidJwtSignature: the signature does not verify.
    """
    if decoded.algorithm != public_key.algorithm:
        raise UnsupportedAlgorithm(
            f"JWT alg {decoded.algorithm!r} does not match the {public_key.algorithm} key"
        )
    try:
        key: Any = public_key  # see encode_jwt: our algorithm takes the PublicKey itself
        _JWS.decode_complete(decoded.token, key, algorithms=[public_key.algorithm])
    except InvalidAlgorithmError as err:
        raise UnsupportedAlgorithm(f"JWT alg {decoded.algorithm!r} is not accepted") from err
    except InvalidSignatureError as err:
        raise InvalidJwtSignature("the JWT signature does not verify") from err
    except PyJWTError as err:
        raise MalformedJwt(f"the JWT cannot be checked: {err}") from err


def check_jwt_claims(decoded: DecodedJwt) -> None:
    """Check that the registered claims agree with the credential (OB 3.0, "Verify a Credential").

    ``iss`` = issuer id, ``jti`` = credential id, ``sub`` = subject id, ``nbf`` =
    ``validFrom`` and ``exp`` = ``validUntil`` when present. OB 3.0 lists ``iss``,
    ``jti``, ``nbf`` and ``sub`` as required; ``sub`` is checked only when present, since
    1EdTech's own baked JWT samples omit it (and a subject known only by hashed
    identifiers has nothing for it to name). Time windows are checked by
    the verifier, which owns the clock.

    Raises:
        JwtClaimMismatch: a claim disagrees with the credential.
    """
    credential = decoded.credential
    claims = decoded.payload
    expected = {
        "iss": _issuer_id(credential),
        "jti": credential.get("id"),
        "sub": _subject_id(credential),
    }
    for claim, value in expected.items():
        if claim in claims and claims[claim] != value:
            raise JwtClaimMismatch(f"JWT {claim!r} does not match the credential")
    if missing := [claim for claim in ("iss", "jti", "nbf") if claim not in claims]:
        raise JwtClaimMismatch("the JWT lacks required claims: " + ", ".join(missing))
    for claim, member in (("nbf", "validFrom"), ("exp", "validUntil")):
        present = claim in claims and credential.get(member)
        if present and claims[claim] != _timestamp(str(credential[member])):
            raise JwtClaimMismatch(f"JWT {claim!r} does not match {member}")
