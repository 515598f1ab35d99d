"""Provider artwork: badge images of achievements and issuer logos, checked and stored once.

A provider gives an achievement ``image`` as an ``https`` URL or a ``data:`` URI, and a logo
as a file or URL. Either is read once, here, when the achievement or profile is saved, and
the bytes are stored with the row; pages, baked badges and credentials then use Baeji's own
copy at a stable address, so a provider's site being down or changed never breaks a badge.

Everything is treated as hostile input:

- URLs are fetched through :class:`verify.HttpFetcher` (HTTPS, public addresses only, a
  size cap and a deadline), the same SSRF guard the verifier uses.
- At most :data:`MAX_ARTWORK_BYTES` (512 KiB) of image data, in a data URI or a download.
- PNG and JPEG only through Pillow, and only after the dimensions in the file's header are
  within :data:`MAX_DIMENSION` and :data:`MAX_PIXELS`, so a small file that would decode to
  a huge bitmap (a decompression bomb) is refused before it is decoded.
- SVG only without a DTD or entities, scripts, event handlers, ``foreignObject`` or links to
  anything outside the document (an image on a page cannot fetch or run anything).

Every refusal is an :class:`~issuer.errors.ImageRefused` with a stable code.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote_to_bytes, urlsplit
from xml.parsers import expat

from flask import current_app
from PIL import Image, UnidentifiedImageError

from issuer.config import Settings
from issuer.db import Work
from issuer.errors import ImageRefused
from issuer.models import Issuer
from verify import Fetcher, FetchError, HttpFetcher, ResponseTooLarge

__all__ = [
    "MAX_ARTWORK_BYTES",
    "MAX_DIMENSION",
    "MAX_PIXELS",
    "Artwork",
    "app_artwork_fetcher",
    "artwork_fetcher",
    "check_artwork",
    "decode_data_uri",
    "load_artwork",
    "logo_url",
    "store_logo",
]

MAX_ARTWORK_BYTES: Final = 512 * 1024
"""The largest image accepted, in bytes (decoded, for a data URI)."""

MAX_DIMENSION: Final = 4096
"""The widest or tallest image accepted, in pixels."""

MAX_PIXELS: Final = 4096 * 4096
"""The most pixels an image may decode to."""

PNG: Final = "image/png"
JPEG: Final = "image/jpeg"
SVG: Final = "image/svg+xml"
MEDIA_TYPES: Final = (PNG, JPEG, SVG)
_ACCEPT = "image/png, image/jpeg, image/svg+xml;q=0.9"
_DATA_URI = re.compile(r"data:([^;,]*)((?:;[^;,]*)*),(.*)", re.DOTALL)
# A data URI of the largest image, base64-encoded, plus a generous header.
MAX_DATA_URI_CHARS: Final = (MAX_ARTWORK_BYTES + 2) // 3 * 4 + 200
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_FORBIDDEN_ELEMENTS = frozenset({"script", "foreignObject", "iframe", "embed", "object"})
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_EXTERNAL_CSS = re.compile(r"url\s*\(\s*['\"]?\s*(?!#)|@import", re.IGNORECASE)


@dataclass(frozen=True)
class Artwork:
    """A checked image: its bytes, exactly as given, and its media type."""

    data: bytes
    media_type: str


def _refuse(code: str, message: str, field: str) -> ImageRefused:
    return ImageRefused(code, f"{field}: {message}", errors=[{"field": field, "message": message}])


def _raster(data: bytes, field: str) -> Artwork:
    try:
        with warnings.catch_warnings():
            # Pillow warns about large images; our own budget below is stricter.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                # Image.open reads the header only: size is known before any pixel is decoded.
                width, height = image.size
                media_type = Image.MIME.get(image.format or "")
                if media_type not in (PNG, JPEG):
                    raise _refuse("image-type-unsupported", "use a PNG, JPEG or SVG image", field)
                if max(width, height) > MAX_DIMENSION or width * height > MAX_PIXELS:
                    raise _refuse(
                        "image-dimensions-too-large",
                        f"{width} x {height} pixels; at most {MAX_DIMENSION} pixels a side",
                        field,
                    )
                if width < 1 or height < 1:
                    raise _refuse("image-unreadable", "the image has no pixels", field)
                image.load()
    except ImageRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _refuse("image-unreadable", "the image cannot be read", field) from None
    return Artwork(data, media_type)


def _svg(data: bytes, field: str) -> Artwork:
    """Check an SVG is safe to show as an image: hand-written because no library checks
    exactly this, and it is small: expat with no DTD, and an allow-list of references."""
    if _DTD.search(data):
        raise _refuse("image-unsafe", "an SVG with a DTD or entities is not accepted", field)
    problems: list[str] = []
    depth = 0
    root: list[str] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        namespace, _, local = name.rpartition(" ")
        if depth == 0:
            root.append(name)
        depth += 1
        if local in _FORBIDDEN_ELEMENTS:
            problems.append(f"<{local}> is not allowed")
        for key, value in attributes.items():
            attribute = key.rpartition(" ")[2]
            if attribute.lower().startswith("on"):
                problems.append(f"event handler {attribute!r} is not allowed")
            elif attribute == "href" and not (
                value.startswith("#") or value.startswith(("data:image/png", "data:image/jpeg"))
            ):
                problems.append("links to other documents are not allowed")
            elif attribute == "style" and _EXTERNAL_CSS.search(value):
                problems.append("external style references are not allowed")
        del namespace

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    def text(value: str) -> None:
        if _EXTERNAL_CSS.search(value):
            problems.append("external style references are not allowed")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        raise _refuse("image-unreadable", "the SVG is not well-formed XML", field) from None
    if root != [f"{_SVG_NS} svg"]:
        raise _refuse("image-type-unsupported", "use a PNG, JPEG or SVG image", field)
    if problems:
        raise _refuse("image-unsafe", problems[0], field)
    return Artwork(data, SVG)


def check_artwork(data: bytes, *, field: str = "image") -> Artwork:
    """Check image bytes and return them with their media type (sniffed, never trusted).

    Raises:
        ImageRefused: ``image-too-large``, ``image-type-unsupported``, ``image-unreadable``,
            ``image-dimensions-too-large`` or ``image-unsafe``.
    """
    if len(data) > MAX_ARTWORK_BYTES:
        raise _refuse(
            "image-too-large",
            f"{len(data)} bytes; images may be at most {MAX_ARTWORK_BYTES // 1024} KiB",
            field,
        )
    if not data:
        raise _refuse("image-unreadable", "the image is empty", field)
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        return _raster(data, field)
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")):
        return _svg(data, field)
    raise _refuse("image-type-unsupported", "use a PNG, JPEG or SVG image", field)


def decode_data_uri(uri: str, *, field: str = "image") -> bytes:
    """Return the bytes of a ``data:`` URI of an image (base64 or percent-encoded).

    Raises:
        ImageRefused: ``image-too-large`` (before decoding), ``image-type-unsupported`` (a
            media type other than PNG, JPEG or SVG), ``image-unreadable`` (malformed).
    """
    if len(uri) > MAX_DATA_URI_CHARS:
        raise _refuse(
            "image-too-large",
            f"the data URI is {len(uri)} characters; images may be at most "
            f"{MAX_ARTWORK_BYTES // 1024} KiB",
            field,
        )
    match = _DATA_URI.fullmatch(uri)
    if match is None:
        raise _refuse("image-unreadable", "not a valid data: URI", field)
    media_type, parameters, payload = match.groups()
    if media_type.strip().lower() not in MEDIA_TYPES:
        raise _refuse("image-type-unsupported", "use a PNG, JPEG or SVG image", field)
    if ";base64" in parameters.lower():
        try:
            data = base64.b64decode(unquote_to_bytes(payload), validate=True)
        except (binascii.Error, ValueError):
            raise _refuse("image-unreadable", "the base64 data is malformed", field) from None
    else:
        data = unquote_to_bytes(payload)
    return data


def load_artwork(reference: str, fetcher: Fetcher, *, field: str = "image") -> Artwork:
    """Read and check an image given as a ``data:`` URI or an ``https`` URL (fetched once).

    Raises:
        ImageRefused: any refusal of :func:`check_artwork` or :func:`decode_data_uri`, or
            ``image-unreachable`` (the URL is refused by the fetcher's guard, or answers
            with an error, too slowly or not at all).
    """
    if reference.startswith("data:"):
        return check_artwork(decode_data_uri(reference, field=field), field=field)
    scheme = urlsplit(reference).scheme.lower()
    if scheme not in ("https", "http"):
        raise _refuse("image-unreachable", "give an https URL or a data: URI", field)
    try:
        fetched = fetcher.fetch(reference, accept=_ACCEPT)
    except ResponseTooLarge:
        raise _refuse(
            "image-too-large", f"images may be at most {MAX_ARTWORK_BYTES // 1024} KiB", field
        ) from None
    except FetchError as error:
        raise _refuse("image-unreachable", f"could not fetch the image: {error}", field) from None
    return check_artwork(fetched.body, field=field)


def artwork_fetcher(*, allow_local: bool = False) -> HttpFetcher:
    """The fetcher for provider images: the verifier's guard, capped at the image limit."""
    return HttpFetcher(
        allow_local=allow_local, timeout=5.0, max_bytes=MAX_ARTWORK_BYTES, max_redirects=3
    )


def app_artwork_fetcher() -> Fetcher:
    """The current app's image fetcher (local addresses only with ``ARTWORK_ALLOW_LOCAL``)."""
    return artwork_fetcher(allow_local=bool(current_app.config.get("ARTWORK_ALLOW_LOCAL")))


def logo_url(settings: Settings, issuer: Issuer) -> str | None:
    """The stable URL of the issuer's stored logo, or ``None`` without one."""
    return settings.url("issuers", issuer.slug, "logo") if issuer.logo is not None else None


def store_logo(work: Work, artwork: Artwork | None) -> Issuer:
    """Set (or, with ``None``, remove) the acting issuer's logo; the change is audited."""
    session, issuer = work.session, work.tenant
    with work.write():
        row = session.get(Issuer, issuer.pk)
        if row is None:
            raise LookupError(f"issuer {issuer.slug!r} is gone")
        row.logo = artwork.data if artwork is not None else None
        row.logo_type = artwork.media_type if artwork is not None else None
        session.add(row)
        work.audit(
            "issuer.logo",
            work.settings.url("issuers", row.slug),
            issuer_id=row.pk,
            removed=artwork is None,
        )
    session.refresh(row)
    return row


def artwork_png(data: bytes, media_type: str) -> bytes | None:
    """The stored artwork as a PNG to bake into, or ``None`` (SVG: use the default PNG).

    PNG is used as given; JPEG is converted (already checked to be within the pixel budget).
    """
    if media_type == PNG:
        return data
    if media_type != JPEG:
        return None
    with Image.open(io.BytesIO(data)) as image:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def artwork_svg(data: bytes, media_type: str, *, title: str) -> bytes:
    """The stored artwork as an SVG to bake into: SVG as given; PNG or JPEG wrapped whole
    (as a data: URI, so the SVG needs nothing else) in an SVG of the same size."""
    if media_type == SVG:
        return data
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    encoded = base64.b64encode(data).decode("ascii")
    safe_title = (
        title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{safe_title}</title>'
        f'<image width="{width}" height="{height}" href="data:{media_type};base64,{encoded}"/>'
        "</svg>\n"
    ).encode()
