"""Read the verifier's input: a dict, JSON text, a VC-JWT, baked PNG/SVG, a QR image or a URL.

Everything here treats the input as hostile: the size is capped before anything is parsed,
JSON nesting is limited, SVG with entity declarations is refused unparsed (by
:mod:`badges.bake`), image dimensions are checked before a QR code is decoded, and a URL is
fetched only through the fetcher (HTTPS, public addresses, size cap, redirect limit).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image

from badges.bake import extract_credential, extract_ob2_assertion, is_png, is_svg
from badges.errors import BakingError, NoCredentialInImage
from badges.qr import decode_qr
from badges.vcjwt import credential_of_payload
from keys import InvalidKeyEncoding, b64url_decode
from verify.errors import DocumentGone, DocumentNotFound, FetchError, NotInTrustStore
from verify.session import (
    CREDENTIAL_ACCEPT,
    MAX_JSON_DEPTH,
    FetchSession,
    Problem,
    TooDeep,
    parse_json,
)

MAX_INPUT_BYTES = 10 * 1024 * 1024
COMPACT_PREFIX = "BJ1:"
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_JWT_MEDIA_TYPES = frozenset(
    {"application/vc+jwt", "application/jwt", "text/plain", "application/vc-ld+jwt"}
)


class InputProblem(Problem):
    """The input could not be read (internal; becomes the ``input`` check result)."""


@dataclass(frozen=True)
class LoadedCredential:
    """A credential read from the input.

    Attributes:
        credential: the credential JSON (for a VC-JWT, its payload's credential).
        token: the compact JWS when the credential came as a VC-JWT.
        form: ``json``, ``jwt``, ``png``, ``svg``, ``qr`` or ``url``.
        url: the URL it was fetched from, if any.
        compact: the certificate's offline QR text (``BJ1:…``) when the input is one; then
            ``credential`` is empty and :mod:`verify.compact` verifies it.
    """

    credential: dict[str, Any]
    token: str | None
    form: str
    url: str | None = None
    compact: str | None = None


def credential_from_jwt(token: str) -> dict[str, Any]:
    """Return the credential a VC-JWT carries, without checking anything else.

    The ``vc`` claim (VC 1.1 form) or the payload minus the registered claims. The JWT
    itself, ``alg`` included, is judged by the ``jwt`` check; this only reads the payload
    so a refused token can still be shown.

    Raises:
        InputProblem: the payload is not a JSON object.
    """
    parts = token.split(".")
    try:
        payload = parse_json(b64url_decode(parts[1])) if len(parts) == 3 else None
    except TooDeep as err:
        raise InputProblem("json-too-deep", limit=MAX_JSON_DEPTH) from err
    except (InvalidKeyEncoding, ValueError) as err:
        raise InputProblem("malformed-jwt", reason=str(err)) from err
    if not isinstance(payload, dict):
        raise InputProblem("malformed-jwt", reason="the payload is not a JSON object")
    return credential_of_payload(payload)


def _from_json_value(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputProblem("not-an-object")
    return value


def _parse_text(text: str, form: str) -> LoadedCredential:
    """Parse credential text: JSON or a compact JWS."""
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            value = parse_json(stripped)
        except TooDeep as err:
            raise InputProblem("json-too-deep", limit=MAX_JSON_DEPTH) from err
        except ValueError as err:
            raise InputProblem("invalid-json", reason=str(err)) from err
        return LoadedCredential(_from_json_value(value), None, form)
    if COMPACT_JWS.fullmatch(stripped):
        return LoadedCredential(
            credential_from_jwt(stripped), stripped, "jwt" if form == "json" else form
        )
    raise InputProblem("not-json-or-jwt")


def _fetch_credential(url: str, session: FetchSession, form: str) -> LoadedCredential:
    try:
        document = session.fetch(url, CREDENTIAL_ACCEPT)
    except DocumentNotFound as err:
        if isinstance(err, DocumentGone):
            raise InputProblem("credential-gone", url=url) from err
        if isinstance(err, NotInTrustStore):
            raise InputProblem(
                "credential-unreachable", definite=False, url=url, reason=str(err)
            ) from err
        raise InputProblem("credential-not-found", url=url) from err
    except FetchError as err:
        raise InputProblem(
            "credential-unreachable", definite=False, url=url, reason=str(err)
        ) from err
    media_type = document.media_type
    if media_type == "text/html":
        raise InputProblem(
            "not-a-credential", reason=f"{url} returned a web page, not a credential"
        )
    try:
        text = document.body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputProblem("not-a-credential", reason=f"{url} did not return text") from err
    if media_type in _JWT_MEDIA_TYPES and not text.lstrip().startswith("{"):
        text = text.strip()
    loaded = _parse_text(text, form)
    return LoadedCredential(loaded.credential, loaded.token, form, document.url)


def _is_url(text: str) -> bool:
    return re.match(r"(?i)https?://", text) is not None


def _from_text(text: str, session: FetchSession) -> LoadedCredential:
    stripped = text.strip()
    if stripped.startswith(COMPACT_PREFIX):
        return LoadedCredential({}, None, "compact", compact=stripped)
    if _is_url(stripped) and not any(c.isspace() for c in stripped):
        return _fetch_credential(stripped, session, "url")
    return _parse_text(stripped, "json")


def _decode_qr(data: bytes) -> list[str]:
    with warnings.catch_warnings():
        # decode_qr refuses images past its own pixel limit; Pillow's earlier warning for
        # very large images adds nothing but would become an error under strict filters.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return decode_qr(data)


def _from_qr(data: bytes, session: FetchSession) -> LoadedCredential:
    try:
        texts = _decode_qr(data)
    except BakingError as err:
        raise InputProblem(err.code, reason=str(err)) from err
    if not texts:
        raise InputProblem("no-credential-in-image")
    # A photo of a whole certificate shows both QR codes; the offline one verifies with or
    # without the network, so it is preferred.
    compact = [t.strip() for t in texts if t.strip().startswith(COMPACT_PREFIX)]
    if compact:
        return LoadedCredential({}, None, "qr", compact=compact[0])
    text = texts[0].strip()
    if _is_url(text):
        return _fetch_credential(text, session, "qr")
    if text.startswith("{") or COMPACT_JWS.fullmatch(text):
        return _parse_text(text, "qr")
    raise InputProblem("qr-without-credential", reason=text[:80])


def _ob2_baked(data: bytes, session: FetchSession, form: str) -> LoadedCredential | None:
    """The Open Badges 2.0 assertion baked in the image, or None when there is none.

    OB 2.0 bakes the assertion's JSON, a signed assertion (compact JWS) or only the URL of
    a hosted assertion, which is then fetched like any URL input.
    """
    try:
        text = extract_ob2_assertion(data).strip()
    except NoCredentialInImage:
        return None
    except BakingError as err:
        raise InputProblem(err.code, reason=str(err)) from err
    if _is_url(text) and not any(c.isspace() for c in text):
        return _fetch_credential(text, session, form)
    return _parse_text(text, form)


def _from_bytes(data: bytes, session: FetchSession) -> LoadedCredential:
    if is_png(data) or is_svg(data):
        form = "png" if is_png(data) else "svg"
        try:
            text = extract_credential(data)
        except NoCredentialInImage:
            # Baked data always wins over what the picture shows: an Open Badges 2.0
            # assertion is read before any QR code the image may depict.
            baked = _ob2_baked(data, session, form)
            if baked is not None:
                return baked
            if form == "svg":
                raise InputProblem("no-credential-in-image") from None
            return _from_qr(data, session)
        except BakingError as err:
            raise InputProblem(err.code, reason=str(err)) from err
        return _parse_text(text, form)
    head = data.lstrip()[:1]
    if head in (b"{", b"[") or COMPACT_JWS.fullmatch(
        data.strip()[:MAX_INPUT_BYTES].decode("latin-1")
    ):
        try:
            return _from_text(data.decode("utf-8"), session)
        except UnicodeDecodeError as err:
            raise InputProblem("invalid-json", reason="not UTF-8") from err
    if re.match(rb"\s*(?:(?i:https?://)|BJ1:)", data):
        return _from_text(data.decode("utf-8", "replace"), session)
    return _from_qr(data, session)


def load_source(source: Mapping[str, Any] | str | bytes, session: FetchSession) -> LoadedCredential:
    """Read the credential from any accepted input.

    Raises:
        InputProblem: the input is not a readable credential, or it could not be fetched.
    """
    if isinstance(source, Mapping):
        try:
            # A JSON round trip copies the caller's object and proves it is JSON.
            text = json.dumps(source, ensure_ascii=False)
        except (TypeError, ValueError) as err:
            raise InputProblem("not-a-credential", reason=f"not JSON-able: {err}") from err
        except RecursionError as err:
            raise InputProblem("json-too-deep", limit=MAX_JSON_DEPTH) from err
        if len(text) > MAX_INPUT_BYTES:
            raise InputProblem("input-too-large", limit=MAX_INPUT_BYTES)
        return _parse_text(text, "json")
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) > MAX_INPUT_BYTES:
            raise InputProblem("input-too-large", limit=MAX_INPUT_BYTES)
        data = bytes(source).removeprefix(b"\xef\xbb\xbf")
        if not data.strip():
            raise InputProblem("empty-input")
        return _from_bytes(data, session)
    if isinstance(source, str):
        if len(source) > MAX_INPUT_BYTES:
            raise InputProblem("input-too-large", limit=MAX_INPUT_BYTES)
        if not source.strip():
            raise InputProblem("empty-input")
        return _from_text(source.lstrip("\ufeff"), session)
    raise TypeError(f"cannot verify a {type(source).__name__}; pass a dict, str or bytes")
