"""W3C Bitstring Status List: bitstrings, their encoding, entries and list credentials.

Encoding (Bitstring Status List v1.0, "Bitstring Encoding"): GZIP, then multibase base64url
without padding (prefix ``u``). Bit 0 is the most significant bit of byte 0. Lists hold at
least 131,072 entries, so one credential's status cannot be singled out.
"""

from __future__ import annotations

import gzip
import io
import zlib
from datetime import datetime

from badges.context import STATUS_LIST_CONTEXTS
from badges.errors import StatusIndexOutOfRange, StatusListError
from badges.model import BitstringStatusListCredential, BitstringStatusListEntry, StatusList
from keys import InvalidKeyEncoding
from keys.encoding import b64url_decode, b64url_encode

MIN_ENTRIES = 131_072
# A status list is 16 KiB of bits; refuse to inflate anything far larger (gzip bombs).
MAX_DECODED_BYTES = 16 * 1024 * 1024
# The longest ``encodedList`` that can hold MAX_DECODED_BYTES: zlib's deflateBound (the
# worst case for incompressible data) plus the 18-byte GZIP frame, then base64url's third.
# Anything longer is refused before it is decoded.
_GZIP_BOUND = (
    MAX_DECODED_BYTES
    + (MAX_DECODED_BYTES >> 12)
    + (MAX_DECODED_BYTES >> 14)
    + (MAX_DECODED_BYTES >> 25)
    + 13
    + 18
)
MAX_ENCODED_LENGTH = 1 + -(-_GZIP_BOUND * 4 // 3)
STATUS_PURPOSES = ("revocation", "suspension")


class Bitstring:
    """A mutable, fixed-length bitstring, bit 0 = MSB of byte 0."""

    __slots__ = ("_bits",)

    def __init__(self, length: int = MIN_ENTRIES) -> None:
        if length <= 0 or length % 8:
            raise StatusListError("a bitstring length must be a positive multiple of 8")
        self._bits = bytearray(length // 8)

    @classmethod
    def from_bytes(cls, data: bytes) -> Bitstring:
        """Wrap raw bytes (MSB-first)."""
        bits = cls(max(len(data), 1) * 8)
        bits._bits[:] = data
        return bits

    def __len__(self) -> int:
        return len(self._bits) * 8

    def _check(self, index: int) -> None:
        if not 0 <= index < len(self):
            raise StatusIndexOutOfRange(f"status index {index} is outside 0..{len(self) - 1}")

    def get(self, index: int) -> bool:
        """Return bit ``index``."""
        self._check(index)
        return bool(self._bits[index // 8] >> (7 - index % 8) & 1)

    def set(self, index: int, value: bool = True) -> None:
        """Set bit ``index`` to ``value``."""
        self._check(index)
        mask = 1 << (7 - index % 8)
        if value:
            self._bits[index // 8] |= mask
        else:
            self._bits[index // 8] &= ~mask & 0xFF

    def set_indexes(self) -> list[int]:
        """Return the indexes of every set bit, ascending."""
        return [
            i * 8 + b
            for i, byte in enumerate(self._bits)
            if byte
            for b in range(8)
            if byte >> (7 - b) & 1
        ]

    def to_bytes(self) -> bytes:
        return bytes(self._bits)

    def encode(self) -> str:
        """Return the ``encodedList`` value: ``u`` + base64url(GZIP(bits)).

        GZIP with mtime 0, so the same bits always encode to the same text (ETags stay stable).
        """
        return "u" + b64url_encode(gzip.compress(bytes(self._bits), compresslevel=6, mtime=0))

    @classmethod
    def decode(cls, encoded: str, *, min_entries: int = MIN_ENTRIES) -> Bitstring:
        """Decode an ``encodedList`` value.

        Raises:
            StatusListError: bad multibase, longer than :data:`MAX_ENCODED_LENGTH`, bad GZIP,
                an oversize expansion, or a list
                shorter than ``min_entries`` bits (STATUS_LIST_LENGTH_ERROR).
        """
        if not isinstance(encoded, str) or not encoded.startswith("u"):
            raise StatusListError("encodedList must be multibase base64url ('u' prefix)")
        if len(encoded) > MAX_ENCODED_LENGTH:
            raise StatusListError(
                f"encodedList is {len(encoded)} characters; at most {MAX_ENCODED_LENGTH} can"
                f" hold the largest list accepted ({MAX_DECODED_BYTES * 8} entries)"
            )
        try:
            compressed = b64url_decode(encoded[1:])
        except InvalidKeyEncoding as err:
            raise StatusListError("encodedList is not base64url") from err
        raw = _gunzip_bounded(compressed, MAX_DECODED_BYTES)
        if len(raw) * 8 < min_entries:
            raise StatusListError(
                f"status list has {len(raw) * 8} entries; at least {min_entries} are required"
            )
        return cls.from_bytes(raw)


def _gunzip_bounded(data: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = io.BytesIO()
    try:
        chunk = decompressor.decompress(data, limit + 1)
        out.write(chunk)
        if out.tell() > limit or decompressor.unconsumed_tail:
            raise StatusListError("status list expands beyond the size limit")
        if not decompressor.eof:
            raise StatusListError("status list GZIP data is truncated")
    except zlib.error as err:
        raise StatusListError("encodedList is not valid GZIP data") from err
    return out.getvalue()


def status_entry(list_url: str, index: int, purpose: str) -> BitstringStatusListEntry:
    """Return the credential's pointer to bit ``index`` of the list at ``list_url``."""
    if purpose not in STATUS_PURPOSES:
        raise StatusListError(f"unsupported status purpose {purpose!r}")
    if index < 0:
        raise StatusIndexOutOfRange("status indexes are non-negative")
    return BitstringStatusListEntry(
        id=f"{list_url}#{index}",
        status_purpose=purpose,
        status_list_index=str(index),
        status_list_credential=list_url,
    )


def build_status_list_credential(
    *,
    list_url: str,
    issuer_id: str,
    purpose: str,
    bits: Bitstring,
    now: datetime,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> BitstringStatusListCredential:
    """Build the unsigned BitstringStatusListCredential for ``bits``."""
    if purpose not in STATUS_PURPOSES:
        raise StatusListError(f"unsupported status purpose {purpose!r}")
    return BitstringStatusListCredential.model_validate(
        {
            "@context": list(STATUS_LIST_CONTEXTS),
            "id": list_url,
            "issuer": issuer_id,
            "valid_from": now,
            "valid_until": valid_until,
            "credential_subject": StatusList(
                id=f"{list_url}#list",
                status_purpose=purpose,
                encoded_list=bits.encode(),
                ttl=ttl_ms,
            ),
        }
    )
