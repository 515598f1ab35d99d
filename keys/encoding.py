"""Public key encodings: multibase, Multikey, did:key and JWK.

References: W3C Controlled Identifiers 1.0 (Multikey), W3C vc-di-eddsa (Multikey for
Ed25519), the did:key method, RFC 7517/7518/8037 (JWK for RSA, EC and OKP keys).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from keys.errors import InvalidKeyEncoding, UnsupportedKeyType

PublicKeyObject = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}

# Multicodec prefixes (varint-encoded) from the multicodec table.
ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
P256_PUB_PREFIX = b"\x80\x24"

MIN_RSA_BITS = 2048
MAX_RSA_BITS = 8192
# Longest base64url text of each public JWK member, checked before decoding: an RSA modulus
# of MAX_RSA_BITS is 1,366 characters, an exponent a few, a P-256 or Ed25519 coordinate 43.
_MAX_JWK_MEMBER = {"n": -(-MAX_RSA_BITS // 6), "e": 16, "x": 64, "y": 64}

MAX_BASE58_LENGTH = 1024
"""Longest base58btc text :func:`b58decode` accepts, in characters.

Decoding base58 costs time quadratic in its length (every digit multiplies a growing
integer), so a hostile 100 KB value would hold a CPU for seconds. Everything Baeji reads in
base58 is small: an Ed25519 signature is 88 characters, a Multikey under 60. Callers that
know their field apply a tighter cap (``max_length``) before decoding.
"""

MAX_MULTIKEY_LENGTH = 128
"""Longest ``publicKeyMultibase`` accepted: an Ed25519 or P-256 Multikey is under 60."""

# Ten base58 digits fit below 2**64, so the integer grows ten digits per step.
_B58_CHUNK = 10


# Every pair of base58 digits, for 0 .. 58**2 - 1.
_B58_PAIRS = tuple(a + b for a in _B58_ALPHABET for b in _B58_ALPHABET)
_B58_CHUNK_BASE = 58**_B58_CHUNK


def b58encode(data: bytes) -> str:
    """Encode bytes in the Bitcoin base58 alphabet (base58btc).

    The big number is divided ten digits at a time (58**10 < 2**64), and each chunk is
    written two digits at a time: a tenth of the big-number divisions of one digit a step.
    """
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    chunks = []
    while number:
        number, chunk = divmod(number, _B58_CHUNK_BASE)
        chunks.append(chunk)
    out = []
    pairs = _B58_PAIRS
    for chunk in reversed(chunks):
        digits = []
        for _ in range(_B58_CHUNK // 2):
            chunk, pair = divmod(chunk, 3364)
            digits.append(pairs[pair])
        out.append("".join(reversed(digits)))
    return "1" * zeros + "".join(out).lstrip("1")


def _check_length(text: str, max_length: int, what: str) -> None:
    if len(text) > max_length:
        raise InvalidKeyEncoding(
            f"the {what} is {len(text)} characters; at most {max_length} are accepted"
        )


def b58decode(text: str, *, max_length: int = MAX_BASE58_LENGTH) -> bytes:
    """Decode base58btc text.

    Args:
        max_length: longest text accepted, checked before any digit is read; at most
            :data:`MAX_BASE58_LENGTH` whatever is passed.

    Raises:
        InvalidKeyEncoding: the text is too long, or a character is outside the alphabet.
    """
    _check_length(text, min(max_length, MAX_BASE58_LENGTH), "base58 value")
    number = 0
    for start in range(0, len(text), _B58_CHUNK):
        chunk = text[start : start + _B58_CHUNK]
        value = 0
        for char in chunk:
            try:
                value = value * 58 + _B58_INDEX[char]
            except KeyError:
                raise InvalidKeyEncoding(f"invalid base58 character {char!r}") from None
        number = number * 58 ** len(chunk) + value
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding (RFC 7515, section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url text.

    Raises:
        InvalidKeyEncoding: the text is not base64url.
    """
    if any(c in text for c in "+/="):
        raise InvalidKeyEncoding("not base64url without padding")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (ValueError, TypeError) as err:
        raise InvalidKeyEncoding("invalid base64url") from err


def multibase_encode(data: bytes, base: str = "z") -> str:
    """Encode bytes as multibase: ``z`` base58btc or ``u`` base64url (no padding)."""
    if base == "z":
        return "z" + b58encode(data)
    if base == "u":
        return "u" + b64url_encode(data)
    raise InvalidKeyEncoding(f"unsupported multibase prefix {base!r}")


def multibase_decode(text: str, *, max_length: int | None = None) -> bytes:
    """Decode a ``z`` (base58btc) or ``u`` (base64url) multibase string.

    Args:
        max_length: longest value accepted, prefix included, checked before decoding
            (base58 values are further capped at :data:`MAX_BASE58_LENGTH`).

    Raises:
        InvalidKeyEncoding: empty or too long, or an unsupported multibase prefix.
    """
    if not text:
        raise InvalidKeyEncoding("empty multibase value")
    if max_length is not None:
        _check_length(text, max_length, "multibase value")
    if text[0] == "z":
        return b58decode(text[1:])
    if text[0] == "u":
        return b64url_decode(text[1:])
    raise InvalidKeyEncoding(f"unsupported multibase prefix {text[0]!r}")


def public_key_to_multikey(key: PublicKeyObject) -> str:
    """Return ``publicKeyMultibase`` for an Ed25519 or P-256 public key."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes_raw()
        return multibase_encode(ED25519_PUB_PREFIX + raw)
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        from cryptography.hazmat.primitives import serialization

        point = key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        return multibase_encode(P256_PUB_PREFIX + point)
    raise UnsupportedKeyType("Multikey encoding supports Ed25519 and P-256 keys only")


def multikey_to_public_key(value: str) -> PublicKeyObject:
    """Decode ``publicKeyMultibase`` (Ed25519 or P-256) into a public key.

    Raises:
        InvalidKeyEncoding: not base58btc, wrong multicodec prefix or wrong length.
    """
    if not value.startswith("z"):
        raise InvalidKeyEncoding("publicKeyMultibase must be base58btc ('z' prefix)")
    data = multibase_decode(value, max_length=MAX_MULTIKEY_LENGTH)
    if data[:2] == ED25519_PUB_PREFIX:
        if len(data) != 34:
            raise InvalidKeyEncoding("an Ed25519 Multikey holds exactly 32 key bytes")
        return ed25519.Ed25519PublicKey.from_public_bytes(data[2:])
    if data[:2] == P256_PUB_PREFIX:
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data[2:])
        except ValueError as err:
            raise InvalidKeyEncoding("invalid P-256 point") from err
    raise InvalidKeyEncoding("unsupported Multikey codec (expected Ed25519 or P-256)")


def did_key_from_public_key(key: PublicKeyObject) -> str:
    """Return the ``did:key`` DID of an Ed25519 or P-256 public key."""
    return "did:key:" + public_key_to_multikey(key)


def public_key_from_did_key(did: str) -> PublicKeyObject:
    """Resolve a ``did:key`` DID (or DID URL) offline to its public key.

    Raises:
        InvalidKeyEncoding: not a did:key, or its fragment names another key.
    """
    if not did.startswith("did:key:"):
        raise InvalidKeyEncoding("not a did:key DID")
    base, _, fragment = did.partition("#")
    multikey = base.removeprefix("did:key:")
    if fragment and fragment != multikey:
        raise InvalidKeyEncoding("did:key fragment must repeat the key")
    return multikey_to_public_key(multikey)


def _int_b64(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def public_key_to_jwk(key: PublicKeyObject) -> dict[str, str]:
    """Return the public JWK (RFC 7517) of a key; never includes private members."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(key.public_bytes_raw())}
    if isinstance(key, rsa.RSAPublicKey):
        rsa_numbers = key.public_numbers()
        return {"kty": "RSA", "n": _int_b64(rsa_numbers.n), "e": _int_b64(rsa_numbers.e)}
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        numbers = key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(numbers.x.to_bytes(32, "big")),
            "y": b64url_encode(numbers.y.to_bytes(32, "big")),
        }
    raise UnsupportedKeyType("JWK encoding supports Ed25519, RSA and P-256 keys only")


def jwk_to_public_key(jwk: dict[str, Any]) -> PublicKeyObject:
    """Decode a public JWK (OKP/Ed25519, RSA >= 2048 bits, EC/P-256).

    Raises:
        InvalidKeyEncoding: a member is missing or malformed, or private material is present.
        UnsupportedKeyType: another key type or curve, an RSA key under 2048 or over 8192
            bits, or a member longer than any such key needs (checked before decoding).
    """
    if not isinstance(jwk, dict):
        raise InvalidKeyEncoding("a JWK must be a JSON object")
    if "d" in jwk:
        raise InvalidKeyEncoding("a public JWK must not contain private key material ('d')")
    kty = jwk.get("kty")
    for member, longest in _MAX_JWK_MEMBER.items():
        value = jwk.get(member)
        if isinstance(value, str) and len(value) > longest:
            raise UnsupportedKeyType(
                f"JWK member {member!r} is {len(value)} characters; at most {longest} are"
                f" read (RSA keys up to {MAX_RSA_BITS} bits)"
            )
    try:
        if kty == "OKP":
            if jwk.get("crv") != "Ed25519":
                raise UnsupportedKeyType(f"unsupported OKP curve {jwk.get('crv')!r}")
            raw = b64url_decode(str(jwk["x"]))
            if len(raw) != 32:
                raise InvalidKeyEncoding("an Ed25519 JWK 'x' holds exactly 32 bytes")
            return ed25519.Ed25519PublicKey.from_public_bytes(raw)
        if kty == "RSA":
            n = int.from_bytes(b64url_decode(str(jwk["n"])), "big")
            e = int.from_bytes(b64url_decode(str(jwk["e"])), "big")
            if n.bit_length() < MIN_RSA_BITS:
                raise UnsupportedKeyType(f"RSA keys must have at least {MIN_RSA_BITS} bits")
            return rsa.RSAPublicNumbers(e, n).public_key()
        if kty == "EC":
            if jwk.get("crv") != "P-256":
                raise UnsupportedKeyType(f"unsupported EC curve {jwk.get('crv')!r}")
            x = int.from_bytes(b64url_decode(str(jwk["x"])), "big")
            y = int.from_bytes(b64url_decode(str(jwk["y"])), "big")
            return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except KeyError as err:
        raise InvalidKeyEncoding(f"JWK is missing member {err.args[0]!r}") from err
    except ValueError as err:
        if isinstance(err, InvalidKeyEncoding | UnsupportedKeyType):
            raise
        raise InvalidKeyEncoding(f"invalid JWK: {err}") from err
    raise UnsupportedKeyType(f"unsupported JWK key type {kty!r}")


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """Return the RFC 7638 SHA-256 thumbprint of a public JWK, base64url-encoded."""
    required = {
        "OKP": ("crv", "kty", "x"),
        "RSA": ("e", "kty", "n"),
        "EC": ("crv", "kty", "x", "y"),
    }
    members = required.get(jwk.get("kty", ""))
    if members is None:
        raise UnsupportedKeyType(f"unsupported JWK key type {jwk.get('kty')!r}")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode()).digest())
