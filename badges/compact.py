"""The certificate's offline QR: a compact signed summary of a credential (``BJ1:``).

A printed certificate carries two QR codes. The URL QR points at the credential and needs the
network. This one, in the spirit of the EU Digital COVID Certificate, holds the essential
claims signed by the issuer, so an employer's phone or laptop can check them with no network
given a trust file (the issuer's DID document and status lists captured earlier).

Layers, outermost first::

    "BJ1:" + base45( zlib( COSE_Sign1 ) )

* **COSE_Sign1** (RFC 9052 §4.2, CBOR tag 18): protected header ``{1: alg, 4: kid}`` with
  ``alg`` -8 (EdDSA) or -7 (ES256) and ``kid`` the UTF-8 verification method id (relative
  ``#fragment`` when it is under the issuer DID); empty unprotected header; the payload; the
  signature over ``Sig_structure = ["Signature1", protected, b"", payload]``. The key is the
  issuer's Data Integrity key, published in its DID document under ``assertionMethod``.
* **Payload**: a CBOR map with short text keys (:data:`CLAIM_KEYS`): format version,
  credential id, issuer DID and name, holder name, course name, ``validFrom`` /
  ``validUntil`` as Unix seconds, and the status list entries ``[url, index, purpose]``
  (purpose 0 revocation, 1 suspension).
* **zlib** (level 9), then **base45** (RFC 9285), whose alphabet is exactly the QR
  alphanumeric set, so the code uses alphanumeric mode (5.5 bits per character instead of 8).

The QR uses error correction level M like the URL QR (:mod:`badges.qr`); a realistic Korean
badge is measured in the tests (``tests/badges/test_compact.py``).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import cbor2
import qrcode
import qrcode.constants
import qrcode.image.pil
import qrcode.image.svg

from badges.errors import BadgeError
from badges.summary import parse_datetime
from keys import Signer

__all__ = [
    "CLAIM_KEYS",
    "MAX_COMPACT_TEXT",
    "PREFIX",
    "CompactClaims",
    "CompactStatus",
    "InvalidCompactCredential",
    "SignedCompact",
    "base45_decode",
    "base45_encode",
    "compact_qr",
    "compact_qr_png",
    "compact_qr_svg",
    "decode_compact",
    "sign_compact",
]

PREFIX = "BJ1:"
FORMAT_VERSION = 1
MAX_COMPACT_TEXT = 4296
"""Longest ``BJ1:`` text read: the alphanumeric capacity of the largest QR code (version 40-L)."""
_MAX_PAYLOAD_BYTES = 16 * 1024
_COSE_SIGN1_TAG = 18
_ALGORITHMS = {"EdDSA": -8, "ES256": -7}
_ALG_NAMES = {value: name for name, value in _ALGORITHMS.items()}
_PURPOSES = ("revocation", "suspension")
CLAIM_KEYS = {
    "v": "format version (1)",
    "id": "credential id",
    "iss": "issuer DID",
    "isn": "issuer name",
    "hn": "holder name",
    "cn": "course (achievement) name",
    "nbf": "validFrom, Unix seconds",
    "exp": "validUntil, Unix seconds",
    "st": "status entries [url, index, purpose 0|1]",
}
_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_VALUES = {c: i for i, c in enumerate(_B45)}


class InvalidCompactCredential(BadgeError, ValueError):
    """The ``BJ1:`` text cannot be read: bad prefix, base45, zlib, CBOR or COSE structure.

    Attributes:
        code: ``invalid-compact-credential``.
    """

    code = "invalid-compact-credential"


def base45_encode(data: bytes) -> str:
    """Encode bytes as base45 (RFC 9285 §4).

    Hand-written because it is twenty lines of arithmetic fully specified by the RFC, and
    the only PyPI package for it is unmaintained; the tests check the RFC's examples.
    """
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out.append(_B45[c] + _B45[d] + _B45[e])
    if len(data) % 2:
        n = data[-1]
        out.append(_B45[n % 45] + _B45[n // 45])
    return "".join(out)


def base45_decode(text: str) -> bytes:
    """Decode base45 text (RFC 9285 §4), refusing anything the RFC calls invalid.

    Raises:
        InvalidCompactCredential: a character outside the alphabet, a dangling character,
            or a group whose value does not fit its byte count.
    """
    try:
        values = [_B45_VALUES[c] for c in text]
    except KeyError as err:
        raise InvalidCompactCredential(f"not base45: {err.args[0]!r}") from None
    if len(values) % 3 == 1:
        raise InvalidCompactCredential("not base45: dangling character")
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i : i + 3]
        if len(group) == 3:
            n = group[0] + group[1] * 45 + group[2] * 45 * 45
            if n > 0xFFFF:
                raise InvalidCompactCredential("not base45: group out of range")
            out += n.to_bytes(2, "big")
        else:
            n = group[0] + group[1] * 45
            if n > 0xFF:
                raise InvalidCompactCredential("not base45: group out of range")
            out.append(n)
    return bytes(out)


@dataclass(frozen=True)
class CompactStatus:
    """One status list entry: where the list is, the credential's index, and the purpose."""

    url: str
    index: int
    purpose: str


@dataclass(frozen=True)
class CompactClaims:
    """What the offline QR says about a credential."""

    credential_id: str
    issuer_id: str
    course_name: str
    valid_from: datetime
    holder_name: str | None = None
    issuer_name: str | None = None
    valid_until: datetime | None = None
    status: tuple[CompactStatus, ...] = ()

    @classmethod
    def from_credential(
        cls, credential: Mapping[str, Any], *, holder_name: str | None
    ) -> CompactClaims:
        """Take the claims from an OB 3.0 credential's JSON (the holder's name comes separately:
        the credential identifies the holder by a hashed e-mail, not by name).

        Raises:
            InvalidCompactCredential: the credential lacks an id, issuer, achievement name,
                or a valid ``validFrom``.
        """
        issuer = credential.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
        issuer_name = issuer.get("name") if isinstance(issuer, Mapping) else None
        subject = credential.get("credentialSubject")
        if isinstance(subject, list):
            subject = subject[0] if subject else {}
        achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
        course = achievement.get("name") if isinstance(achievement, Mapping) else None
        course = course or credential.get("name")
        credential_id = credential.get("id")
        if not isinstance(credential_id, str) or not isinstance(issuer_id, str):
            raise InvalidCompactCredential("the credential needs an id and an issuer id")
        if not isinstance(course, str):
            raise InvalidCompactCredential("the credential names no achievement")
        statuses = credential.get("credentialStatus") or []
        entries = []
        for entry in statuses if isinstance(statuses, list) else [statuses]:
            if (
                isinstance(entry, Mapping)
                and entry.get("statusPurpose") in _PURPOSES
                and isinstance(entry.get("statusListCredential"), str)
            ):
                try:
                    index = int(entry["statusListIndex"])
                except (KeyError, TypeError, ValueError) as err:
                    raise InvalidCompactCredential(f"bad statusListIndex: {err}") from err
                entries.append(
                    CompactStatus(entry["statusListCredential"], index, entry["statusPurpose"])
                )
        return cls(
            credential_id=credential_id,
            issuer_id=issuer_id,
            issuer_name=issuer_name if isinstance(issuer_name, str) else None,
            holder_name=holder_name,
            course_name=course,
            valid_from=_parse_time(credential.get("validFrom")),
            valid_until=(
                _parse_time(credential["validUntil"]) if credential.get("validUntil") else None
            ),
            status=tuple(entries),
        )

    def to_cbor_map(self) -> dict[str, Any]:
        """The payload map (keys in :data:`CLAIM_KEYS`)."""
        claims: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "id": self.credential_id,
            "iss": self.issuer_id,
            "cn": self.course_name,
            "nbf": int(self.valid_from.timestamp()),
        }
        if self.issuer_name:
            claims["isn"] = self.issuer_name
        if self.holder_name:
            claims["hn"] = self.holder_name
        if self.valid_until is not None:
            claims["exp"] = int(self.valid_until.timestamp())
        if self.status:
            claims["st"] = [[s.url, s.index, _PURPOSES.index(s.purpose)] for s in self.status]
        return claims

    @classmethod
    def from_cbor_map(cls, claims: Any) -> CompactClaims:
        """Read the payload map.

        Raises:
            InvalidCompactCredential: a required claim is missing or of the wrong type.
        """
        if not isinstance(claims, Mapping) or claims.get("v") != FORMAT_VERSION:
            raise InvalidCompactCredential("the payload is not a version 1 claims map")
        try:
            status = tuple(
                CompactStatus(_str(url), _int(index), _PURPOSES[_int(purpose)])
                for url, index, purpose in claims.get("st", [])
            )
            return cls(
                credential_id=_str(claims["id"]),
                issuer_id=_str(claims["iss"]),
                course_name=_str(claims["cn"]),
                valid_from=datetime.fromtimestamp(_int(claims["nbf"]), UTC),
                holder_name=_str(claims["hn"]) if "hn" in claims else None,
                issuer_name=_str(claims["isn"]) if "isn" in claims else None,
                valid_until=(
                    datetime.fromtimestamp(_int(claims["exp"]), UTC) if "exp" in claims else None
                ),
                status=status,
            )
        except (KeyError, TypeError, ValueError, IndexError, OverflowError, OSError) as err:
            raise InvalidCompactCredential(f"malformed claims: {err}") from err


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidCompactCredential("the credential has no validFrom")
    try:
        return parse_datetime(value)
    except ValueError as err:
        raise InvalidCompactCredential(f"bad date {value!r}: {err}") from err


@dataclass(frozen=True)
class SignedCompact:
    """A decoded (not yet verified) ``BJ1:`` credential.

    Attributes:
        claims: what it says.
        algorithm: the JOSE name of the signature algorithm (``EdDSA`` or ``ES256``).
        key_ref: the ``kid``: a verification method id, relative (``#…``) to the issuer DID.
        signed_data: the COSE ``Sig_structure`` bytes the signature covers.
        signature: the raw signature.
    """

    claims: CompactClaims
    algorithm: str
    key_ref: str
    signed_data: bytes
    signature: bytes


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign_compact(claims: CompactClaims, signer: Signer, *, key_ref: str | None = None) -> str:
    """Sign ``claims`` with the issuer's key and return the ``BJ1:`` text for the QR.

    Args:
        claims: what to sign.
        signer: the issuer's Ed25519 (or P-256) key, the one its DID document publishes.
        key_ref: the verification method id; defaults to ``signer.key_id``. An id under the
            issuer DID is shortened to its ``#fragment`` to keep the QR small.

    Raises:
        InvalidCompactCredential: the key's algorithm is not EdDSA or ES256 (an RSA
            signature would not fit a legible QR code).
    """
    alg = _ALGORITHMS.get(signer.algorithm)
    if alg is None:
        raise InvalidCompactCredential(f"cannot sign a certificate QR with {signer.algorithm}")
    kid = key_ref or signer.key_id
    if kid.startswith(claims.issuer_id + "#"):
        kid = kid[len(claims.issuer_id) :]
    protected = cbor2.dumps({1: alg, 4: kid.encode("utf-8")})
    payload = cbor2.dumps(claims.to_cbor_map())
    signature = signer.sign(_sig_structure(protected, payload))
    cose = cbor2.dumps(cbor2.CBORTag(_COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return PREFIX + base45_encode(zlib.compress(cose, 9))


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, _MAX_PAYLOAD_BYTES)
    except zlib.error as err:
        raise InvalidCompactCredential(f"not zlib data: {err}") from err
    if inflater.unconsumed_tail:
        raise InvalidCompactCredential("the payload is too large")
    if not inflater.eof:
        raise InvalidCompactCredential("truncated zlib data")
    return out


def decode_compact(text: str) -> SignedCompact:
    """Read a ``BJ1:`` text (as scanned from the certificate, or pasted) without verifying it.

    Raises:
        InvalidCompactCredential: not a ``BJ1:`` text, or its layers are malformed.
    """
    text = text.strip()
    if not text.startswith(PREFIX):
        raise InvalidCompactCredential(f"a certificate QR text starts with {PREFIX}")
    if len(text) > MAX_COMPACT_TEXT:
        raise InvalidCompactCredential("the certificate QR text is too long")
    cose_bytes = _inflate(base45_decode(text[len(PREFIX) :]))
    try:
        cose = cbor2.loads(cose_bytes)
    except (cbor2.CBORDecodeError, ValueError, TypeError) as err:
        raise InvalidCompactCredential(f"not CBOR: {err}") from err
    if isinstance(cose, cbor2.CBORTag):
        if cose.tag != _COSE_SIGN1_TAG:
            raise InvalidCompactCredential(f"CBOR tag {cose.tag} is not COSE_Sign1")
        cose = cose.value
    if not (
        isinstance(cose, list | tuple)
        and len(cose) == 4
        and isinstance(cose[0], bytes)
        and isinstance(cose[2], bytes)
        and isinstance(cose[3], bytes)
    ):
        raise InvalidCompactCredential("not a COSE_Sign1 structure")
    protected_bytes, _, payload, signature = cose
    try:
        protected = cbor2.loads(protected_bytes)
        claims = cbor2.loads(payload)
    except (cbor2.CBORDecodeError, ValueError, TypeError) as err:
        raise InvalidCompactCredential(f"not CBOR: {err}") from err
    if not isinstance(protected, Mapping):
        raise InvalidCompactCredential("the protected header is not a map")
    alg = protected.get(1)
    algorithm = _ALG_NAMES.get(alg) if isinstance(alg, int) else None
    kid = protected.get(4)
    if algorithm is None:
        raise InvalidCompactCredential(f"unsupported COSE algorithm {protected.get(1)!r}")
    if not isinstance(kid, bytes):
        raise InvalidCompactCredential("the protected header names no key (kid)")
    return SignedCompact(
        CompactClaims.from_cbor_map(claims),
        algorithm,
        kid.decode("utf-8", "replace"),
        _sig_structure(protected_bytes, payload),
        signature,
    )


def compact_qr(text: str) -> qrcode.QRCode[Any]:
    """The QR code of a ``BJ1:`` text: alphanumeric mode, level M, smallest version that fits.

    Raises:
        InvalidCompactCredential: the text is not a ``BJ1:`` text.
    """
    if not text.startswith(PREFIX) or any(c not in _B45_VALUES for c in text):
        raise InvalidCompactCredential("only BJ1: texts in the QR alphanumeric set")
    code: qrcode.QRCode[Any] = qrcode.QRCode(
        version=None, error_correction=qrcode.constants.ERROR_CORRECT_M, border=4
    )
    code.add_data(qrcode.util.QRData(text, mode=qrcode.util.MODE_ALPHA_NUM))
    code.make(fit=True)
    return code


def compact_qr_svg(text: str) -> bytes:
    """The offline QR as an SVG path (1 mm per module, 4-module quiet zone)."""
    code = compact_qr(text)
    code.image_factory = qrcode.image.svg.SvgPathFillImage
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


def compact_qr_png(text: str, *, box_size: int = 4) -> bytes:
    """The offline QR as a black-on-white PNG (``box_size`` pixels per module)."""
    code = compact_qr(text)
    code.box_size = box_size
    code.image_factory = qrcode.image.pil.PilImage
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
