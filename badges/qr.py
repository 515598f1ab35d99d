"""QR codes that carry the HTTPS URL of a credential or of its verification page.

Open Badges 3.0 defines no QR format (a 2022 draft proposed CBOR-compressed credentials in QR
codes and it was dropped), so a QR code here holds only a URL; the verifier fetches what it
points to. Generation uses ``qrcode``; reading uses ``zxing-cpp`` on images decoded by Pillow.
"""

from __future__ import annotations

import io
import re
import warnings
from urllib.parse import urlsplit

import qrcode
import qrcode.constants
import qrcode.image.pil
import qrcode.image.svg
import zxingcpp
from PIL import Image, UnidentifiedImageError
from qrcode.image.base import BaseImage

from badges.errors import ImageTooLarge, InvalidImage, InvalidQrContent

__all__ = [
    "MAX_QR_IMAGE_BYTES",
    "MAX_QR_IMAGE_PIXELS",
    "MAX_QR_URL_LENGTH",
    "decode_qr",
    "qr_png",
    "qr_svg",
]

MAX_QR_URL_LENGTH = 1000
"""Longest URL encoded. 1,000 characters already need version 26 (121 modules a side) at level M."""

MAX_QR_IMAGE_BYTES = 10 * 1024 * 1024
"""Largest image file :func:`decode_qr` reads, in bytes."""

MAX_QR_IMAGE_PIXELS = 4096 * 4096
"""Largest image :func:`decode_qr` decodes, in pixels: 4096 x 4096, about 16.8 megapixels.

A 12-megapixel phone photo fits. Decoding costs about 5 bytes a pixel (the decoded bitmap
plus its grey copy), so this bounds one QR read at roughly 100 MB of memory; the size is read
from the image header, and anything larger is refused before a pixel is decoded."""

# Level M restores up to about 15% of damaged codewords, enough for a code printed on a
# certificate and scanned by phone after ordinary wear. Level Q (25%) would push a typical
# credential URL (https://host/credentials/<uuid>, about 75 characters) from version 5 to
# version 6; at a fixed printed size the modules get smaller, which costs more scan
# reliability than the extra redundancy buys. Nothing is overlaid on the code (no logo), so the
# extra headroom of Q or H is not needed.
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
# Raster formats a phone or scanner produces; anything else (SVG, PDF, TIFF tricks) is refused.
_RASTER_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
_QR_FORMATS = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def _check_url(url: str) -> None:
    if len(url) > MAX_QR_URL_LENGTH:
        raise InvalidQrContent(
            f"the URL is {len(url)} characters; at most {MAX_QR_URL_LENGTH} fit a legible QR code"
        )
    if not _PRINTABLE_ASCII.fullmatch(url):
        raise InvalidQrContent(
            "the URL must be printable ASCII: percent-encode non-ASCII paths, punycode host names"
        )
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as err:
        raise InvalidQrContent(f"not a valid URL: {err}") from err
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        raise InvalidQrContent("only http(s) URLs with a host are put in QR codes")


def _make(
    url: str, *, box_size: int, border: int, image_factory: type[BaseImage]
) -> qrcode.QRCode[BaseImage]:
    _check_url(url)
    if not 1 <= box_size <= 100:
        raise ValueError(f"box_size must be between 1 and 100, not {box_size}")
    if not 0 <= border <= 40:
        raise ValueError(f"border must be between 0 and 40, not {border}")
    # version=None with fit=True picks the smallest version that holds the data.
    code = qrcode.QRCode(
        version=None,
        error_correction=_ERROR_CORRECTION,
        box_size=box_size,
        border=border,
        image_factory=image_factory,
    )
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_png(url: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """Draw a QR code holding the URL, as a black-on-white PNG.

    Args:
        url: An absolute http(s) URL, printable ASCII, at most :data:`MAX_QR_URL_LENGTH`
            characters.
        box_size: Pixels per module, 1 to 100.
        border: Quiet zone in modules, 0 to 40; ISO/IEC 18004 asks for at least 4.

    Returns:
        The PNG. The same arguments always give the same bytes.

    Raises:
        InvalidQrContent: The URL is not http(s), not ASCII, or too long.
        ValueError: ``box_size`` or ``border`` is out of range.
    """
    code = _make(url, box_size=box_size, border=border, image_factory=qrcode.image.pil.PilImage)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


def qr_svg(url: str) -> bytes:
    """Draw a QR code holding the URL, as an SVG path on a white background.

    The SVG is 1 mm per module with a 4-module quiet zone, and scales without loss.

    Args:
        url: An absolute http(s) URL, printable ASCII, at most :data:`MAX_QR_URL_LENGTH`
            characters.

    Returns:
        The SVG document, UTF-8 encoded. The same URL always gives the same bytes.

    Raises:
        InvalidQrContent: The URL is not http(s), not ASCII, or too long.
    """
    code = _make(url, box_size=10, border=4, image_factory=qrcode.image.svg.SvgPathFillImage)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


def decode_qr(image: bytes) -> list[str]:
    """Read the QR codes in a raster image (PNG, JPEG, GIF, BMP or WebP).

    The file size and the pixel count are checked before any pixel is decoded, so a small
    file that inflates to a huge bitmap (a decompression bomb) is refused. SVG is not read:
    rasterising it would need a renderer.

    Args:
        image: The image file.

    Returns:
        The text of every QR code found, in the order zxing-cpp reports them; empty if none.
        The texts are not checked: the caller decides whether each is a URL it will fetch.

    Raises:
        ImageTooLarge: The file exceeds :data:`MAX_QR_IMAGE_BYTES` or the bitmap
            :data:`MAX_QR_IMAGE_PIXELS`.
        InvalidImage: The bytes are not a readable raster image.
    """
    if len(image) > MAX_QR_IMAGE_BYTES:
        raise ImageTooLarge(f"the image is {len(image)} bytes; at most {MAX_QR_IMAGE_BYTES} read")
    try:
        # Image.open reads only the header. Past Pillow's MAX_IMAGE_PIXELS it warns, past
        # twice that it raises; both are far above our own limit below, so both mean too large.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(image), formats=_RASTER_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageTooLarge(f"the image is too large to decode: {err}") from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise InvalidImage("not a readable raster image (PNG, JPEG, GIF, BMP or WebP)") from err
    with opened:
        width, height = opened.size
        if width * height > MAX_QR_IMAGE_PIXELS:
            raise ImageTooLarge(
                f"the image is {width}x{height} pixels; at most {MAX_QR_IMAGE_PIXELS} decoded"
            )
        try:
            grey = opened.convert("L")
        except (OSError, SyntaxError, ValueError, EOFError) as err:
            raise InvalidImage(f"the image data is corrupt: {err}") from err
    barcodes = zxingcpp.read_barcodes(grey, formats=_QR_FORMATS)
    return [str(barcode.text) for barcode in barcodes if barcode.valid]
