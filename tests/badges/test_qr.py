"""QR codes carrying a credential's URL: generation with qrcode, reading with zxing-cpp."""

from __future__ import annotations

import io
import re
import struct
import zlib
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from PIL import Image, ImageDraw

from badges.errors import BadgeError, ImageTooLarge, InvalidImage, InvalidQrContent
from badges.qr import (
    MAX_QR_IMAGE_BYTES,
    MAX_QR_IMAGE_PIXELS,
    MAX_QR_URL_LENGTH,
    decode_qr,
    qr_png,
    qr_svg,
)
from tests.strategies import qr_urls

CREDENTIAL_URL = "https://badges.example.kr/credentials/3f1c9a2e-7b4d-4c1a-9e0f-2d6b8a4c5e71"
SVG = "{http://www.w3.org/2000/svg}"
MODULE = re.compile(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z")


def png_with_header(width: int, height: int, idat: bytes) -> bytes:
    """A greyscale PNG whose IHDR claims the given size, with the given IDAT payload."""

    def chunk(chunk_type: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(chunk_type + data)
        return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def version_of(png: bytes, *, box_size: int = 10, border: int = 4) -> int:
    """The QR version, from the image size: 17 + 4 * version modules plus the quiet zone."""
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    assert width == height
    modules = width // box_size - 2 * border
    assert (modules - 17) % 4 == 0
    return (modules - 17) // 4


def rasterise_svg(svg: bytes, scale: int = 8) -> bytes:
    """Draw the squares of a qrcode SVG path with Pillow, as a PNG (no SVG renderer needed)."""
    assert b"<!DOCTYPE" not in svg
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output, checked for a DTD above
    size = int(float(root.get("viewBox", "").split()[2]))
    path = root.find(f"{SVG}path")
    assert path is not None
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in MODULE.findall(path.get("d", "")):
        box = [float(x0) * scale, float(y0) * scale, float(x1) * scale - 1, float(y1) * scale - 1]
        draw.rectangle(box, fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "url",
    [
        CREDENTIAL_URL,
        "https://badges.example.kr/verify?id=3f1c9a2e&lang=ko",
        "http://localhost:8000/credentials/1",
        "https://xn--on3bi2e.example.kr/%EC%9D%B8%EA%B3%B5%EC%A7%80%EB%8A%A5",
        "https://badges.example.kr/" + "a" * (MAX_QR_URL_LENGTH - 26),
    ],
    ids=["credential", "query", "http-localhost", "punycode-percent-encoded", "longest"],
)
def test_png_decodes_to_the_url(url: str) -> None:
    """A generated PNG read back by zxing-cpp gives exactly the URL."""
    assert decode_qr(qr_png(url)) == [url]


def test_typical_credential_url_needs_a_small_version() -> None:
    """A credential URL with a UUID fits in version 5 or below at level M."""
    png = qr_png(CREDENTIAL_URL)
    assert version_of(png) <= 5
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == ((17 + 4 * version_of(png) + 8) * 10,) * 2


@pytest.mark.parametrize(
    ("box_size", "border"), [(1, 4), (4, 4), (10, 0), (25, 8)], ids=["1", "4", "no-border", "25"]
)
def test_png_geometry_follows_box_size_and_border(box_size: int, border: int) -> None:
    """The PNG is (modules + 2 * border) * box_size pixels wide."""
    png = qr_png(CREDENTIAL_URL, box_size=box_size, border=border)
    assert version_of(png, box_size=box_size, border=border) <= 5


def test_png_is_deterministic() -> None:
    """The same URL gives the same PNG bytes."""
    assert qr_png(CREDENTIAL_URL) == qr_png(CREDENTIAL_URL)


def test_svg_is_xml_with_a_white_background() -> None:
    """The SVG parses, has a viewBox and a white background behind the modules."""
    svg = qr_svg(CREDENTIAL_URL)
    assert svg.startswith(b"<?xml")
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output, has no DTD
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 45 45"
    rect = root.find(f"{SVG}rect")
    assert rect is not None
    assert rect.get("fill") == "white"
    assert qr_svg(CREDENTIAL_URL) == svg


def test_svg_draws_the_same_code() -> None:
    """The SVG's modules, drawn as squares, decode to the URL."""
    assert decode_qr(rasterise_svg(qr_svg(CREDENTIAL_URL))) == [CREDENTIAL_URL]


def test_jpeg_photo_of_a_code_is_read() -> None:
    """A lossy JPEG re-encoding of the code still decodes."""
    with Image.open(io.BytesIO(qr_png(CREDENTIAL_URL, box_size=4))) as image:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=40)
    assert decode_qr(buffer.getvalue()) == [CREDENTIAL_URL]


def test_image_without_a_code_gives_no_text() -> None:
    """A blank image decodes to an empty list."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, format="PNG")
    assert decode_qr(buffer.getvalue()) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://badges.example.kr/x", "only http"),
        ("javascript:alert(1)", "only http"),
        ("data:text/plain,hello", "only http"),
        ("file:///etc/passwd", "only http"),
        ("https://", "only http"),
        ("badges.example.kr/credentials/1", "only http"),
        ("https://[::1/x", "not a valid URL"),
        ("https://badges.example.kr/인공지능", "printable ASCII"),
        ("https://badges.example.kr/a b", "printable ASCII"),
        ("https://badges.example.kr/\n", "printable ASCII"),
        ("", "printable ASCII"),
        ("https://badges.example.kr/" + "a" * MAX_QR_URL_LENGTH, "at most 1000"),
    ],
    ids=[
        "ftp",
        "javascript",
        "data",
        "file",
        "no-host",
        "no-scheme",
        "bad-ipv6",
        "non-ascii",
        "space",
        "newline",
        "empty",
        "too-long",
    ],
)
def test_bad_urls_are_refused(url: str, message: str) -> None:
    """Only printable-ASCII http(s) URLs with a host, of bounded length, are encoded."""
    for make in (qr_png, qr_svg):
        with pytest.raises(InvalidQrContent, match=message) as err:
            make(url)
        assert err.value.code == "invalid-qr-content"
        assert isinstance(err.value, ValueError)
        assert isinstance(err.value, BadgeError)


@pytest.mark.parametrize(
    ("box_size", "border", "message"),
    [(0, 4, "box_size"), (101, 4, "box_size"), (10, -1, "border"), (10, 41, "border")],
    ids=["box-zero", "box-huge", "border-negative", "border-huge"],
)
def test_png_options_are_bounded(box_size: int, border: int, message: str) -> None:
    """box_size and border outside their ranges raise ValueError."""
    with pytest.raises(ValueError, match=message):
        qr_png(CREDENTIAL_URL, box_size=box_size, border=border)


@pytest.mark.parametrize(
    "data",
    [
        b"not an image",
        b"",
        b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        b"%PDF-1.7\n",
        png_with_header(50, 50, b"garbage, not zlib"),
        png_with_header(50, 50, zlib.compress(b"\x00" * 10)),
    ],
    ids=["text", "empty", "svg", "pdf", "corrupt-idat", "short-idat"],
)
def test_unreadable_images_are_refused(data: bytes) -> None:
    """Bytes that are not a decodable raster image raise InvalidImage."""
    with pytest.raises(InvalidImage, match=r"raster image|corrupt") as err:
        decode_qr(data)
    assert err.value.code == "invalid-image"


def test_truncated_qr_png_is_refused() -> None:
    """A QR PNG cut in half raises InvalidImage."""
    png = qr_png(CREDENTIAL_URL)
    with pytest.raises(InvalidImage, match="corrupt"):
        decode_qr(png[: len(png) // 2])


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [(30_000, 30_000, "too large to decode"), (7_000, 7_000, f"at most {MAX_QR_IMAGE_PIXELS}")],
    ids=["pillow-bomb-limit", "our-pixel-limit"],
)
def test_decompression_bombs_are_refused(width: int, height: int, message: str) -> None:
    """A tiny file claiming a huge bitmap raises ImageTooLarge before any pixel is decoded."""
    bomb = png_with_header(width, height, zlib.compress(b""))
    assert len(bomb) < 100
    with pytest.raises(ImageTooLarge, match=message) as err:
        decode_qr(bomb)
    assert err.value.code == "image-too-large"


def test_oversized_file_is_refused() -> None:
    """A file over the byte limit raises ImageTooLarge without being opened."""
    with pytest.raises(ImageTooLarge, match="bytes"):
        decode_qr(b"\x00" * (MAX_QR_IMAGE_BYTES + 1))


@settings(max_examples=30, deadline=None)
@given(url=qr_urls())
def test_property_any_url_round_trips(url: str) -> None:
    """For any http(s) URL, the PNG decodes to it."""
    assert decode_qr(qr_png(url, box_size=4)) == [url]


def test_regression_decompression_bomb_warning_is_too_large() -> None:
    """An image between Pillow's warning and error thresholds is ImageTooLarge, not a warning.

    Pillow only warns between 89M and 179M pixels; with warnings as errors that escaped.
    """
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    with pytest.raises(ImageTooLarge, match="decompression bomb"):
        decode_qr(buffer.getvalue())
