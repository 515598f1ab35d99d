"""Default badge artwork: SVG and PNG with the achievement and issuer names drawn in Korean.

The badge text is drawn from the bundled font (SVG: glyph outlines as paths; PNG: Pillow), so
these tests check the layout through :func:`badge_text_layout` and the pixels directly, and
compare one PNG against a committed golden image (regenerate with ``BAEJI_UPDATE_GOLDEN=1``).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from badges.bake import bake_svg, extract_from_svg, is_svg
from badges.image import badge_text_layout, default_badge_png, default_badge_svg
from tests.strategies import names

SVG = "{http://www.w3.org/2000/svg}"
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def parse(svg: bytes) -> ElementTree.Element:
    """Parse SVG we generated ourselves (trusted: it has no DTD)."""
    assert b"<!DOCTYPE" not in svg
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output, checked for a DTD above


GOLDEN = Path(__file__).resolve().parent.parent / "vectors" / "golden" / "badge-default.png"


def name_lines(name: str, issuer: str | None = None) -> list[str]:
    """The lines of the achievement name, as both renderers draw them."""
    return list(badge_text_layout(name, issuer_name=issuer).name_lines)


def line_paths(svg: bytes, group: str) -> list[str]:
    """The path data of each drawn line in the ``name`` or ``issuer`` group."""
    root = parse(svg)
    found = root.find(f"{SVG}g[@class='{group}']")
    assert found is not None
    return [path.get("d", "") for path in found.findall(f"{SVG}path")]


def rgba(png: bytes) -> Image.Image:
    """The PNG decoded to RGBA."""
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGBA")


def dark_pixels(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """How many opaque pixels in ``box`` are darker than the badge face (text ink)."""
    return sum(1 for r, g, b, a in pixels(image.crop(box)) if a == 255 and (r + g + b) / 3 < 150)


def pixels(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """The RGBA pixels of an image, row by row."""
    data = image.tobytes()
    return [(data[i], data[i + 1], data[i + 2], data[i + 3]) for i in range(0, len(data), 4)]


def path_points(data: str) -> list[tuple[float, float]]:
    """The absolute points of SVG path data as fontTools writes it (M, L, H, V, Q, Z)."""
    points: list[tuple[float, float]] = []
    x = y = 0.0
    for command, args in re.findall(r"([MLHVQCZ])([^MLHVQCZ]*)", data):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if command == "H":
            for x in numbers:
                points.append((x, y))
        elif command == "V":
            for y in numbers:
                points.append((x, y))
        elif command != "Z":
            for x, y in zip(numbers[::2], numbers[1::2], strict=True):
                points.append((x, y))
    return points


def fills(svg: bytes) -> list[str]:
    """Every fill colour in the SVG, in document order."""
    return re.findall(r'fill="(#[0-9A-F]{6})"', svg.decode())


@pytest.mark.parametrize(
    "name",
    [
        "Teamwork",
        "인공지능 기초",
        "<script>alert('x')</script> & \"friends\"",
        "A+ 😀 Ünïcödé",
        "Cafe\u0301 e\u0301tudes",
    ],
    ids=["latin", "korean", "markup", "emoji", "combining-accents"],
)
def test_svg_is_xml_with_the_name(name: str) -> None:
    """The SVG parses as XML, with the name in its <title> and drawn as text."""
    svg = default_badge_svg(name)
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == name
    assert root.get("aria-labelledby") == title.get("id")
    assert "".join(name_lines(name)).replace(" ", "") == name.replace(" ", "")
    assert len(line_paths(svg, "name")) == len(name_lines(name))


def test_svg_escapes_markup() -> None:
    """A name with markup is escaped, so no <script> element reaches the document."""
    svg = default_badge_svg("<script>alert(1)</script> & 인공지능 기초")
    assert b"<script" not in svg
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; &amp; \xec\x9d\xb8" in svg
    assert parse(svg).find(f".//{SVG}script") is None


def test_svg_needs_no_font_on_the_viewing_machine() -> None:
    """The SVG draws its text as filled paths: no <text>, no font-family, no @font-face."""
    svg = default_badge_svg("인공지능 기초", issuer_name="한빛대학교")
    assert svg.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = parse(svg)
    assert root.find(f".//{SVG}text") is None
    for needle in (b"font-family", b"@font-face", b"<style"):
        assert needle not in svg
    name_paths = line_paths(svg, "name")
    issuer_paths = line_paths(svg, "issuer")
    assert len(name_paths) == 1
    assert len(issuer_paths) == 1
    # Real outlines: many move/curve commands for the eight Hangul syllables.
    assert name_paths[0].count("M") >= 6
    assert name_paths[0].count("Q") + name_paths[0].count("L") > 50


def test_svg_text_differs_by_name() -> None:
    """Different names draw different outlines; the same name the same ones."""
    first = line_paths(default_badge_svg("인공지능 기초", seed="s"), "name")
    second = line_paths(default_badge_svg("데이터 분석 기초", seed="s"), "name")
    assert first != second
    assert first == line_paths(default_badge_svg("인공지능 기초", seed="s"), "name")


def test_svg_text_stays_inside_the_face() -> None:
    """Every drawn coordinate of every line lies inside the badge face."""
    svg = default_badge_svg(
        "Introduction to Data Science and Machine Learning for Public Sector Professionals",
        issuer_name="한빛대학교 평생교육원 디지털 역량 개발 센터 (서울 캠퍼스)",
    )
    for group in ("name", "issuer"):
        for data in line_paths(svg, group):
            points = path_points(data)
            assert points
            for x, y in points:
                assert (x - 256) ** 2 + (y - 220) ** 2 < 142**2, (group, x, y)


def test_svg_references_nothing_external() -> None:
    """The only URL in the SVG is its namespace: no href, no url(), no @import."""
    text = default_badge_svg("Teamwork", issuer_name="한빛대학교").decode()
    assert re.findall(r"\w+://[^\s\"<]+", text) == ["http://www.w3.org/2000/svg"]
    for needle in ("href", "url(", "@import", "<image", "<script", "<foreignObject"):
        assert needle not in text


def test_svg_is_deterministic() -> None:
    """The same arguments give the same bytes."""
    first = default_badge_svg("인공지능 기초", issuer_name="한빛대학교", seed="ach-1")
    assert default_badge_svg("인공지능 기초", issuer_name="한빛대학교", seed="ach-1") == first


def test_seed_chooses_the_colour() -> None:
    """The seed, not the name, picks the colours; different seeds use several palettes."""
    assert fills(default_badge_svg("A", seed="same")) == fills(default_badge_svg("B", seed="same"))
    assert fills(default_badge_svg("A")) == fills(default_badge_svg("B", seed="A"))
    palettes = {tuple(fills(default_badge_svg("x", seed=str(n)))) for n in range(40)}
    assert len(palettes) >= 4


def test_issuer_name_is_shown_and_described() -> None:
    """The issuer name is written under the achievement name and given as <desc>."""
    svg = default_badge_svg("인공지능 기초", issuer_name="한빛대학교")
    root = parse(svg)
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert desc.text == "한빛대학교"
    assert badge_text_layout("인공지능 기초", issuer_name="한빛대학교").issuer_lines == (
        "한빛대학교",
    )
    assert len(line_paths(svg, "issuer")) == 1


def test_long_issuer_name_wraps_whole() -> None:
    """A long issuer name wraps onto more lines instead of being cut; <desc> keeps it too."""
    issuer = "한빛대학교 평생교육원 디지털 역량 개발 센터"
    layout = badge_text_layout("Teamwork", issuer_name=issuer)
    assert len(layout.issuer_lines) >= 2
    assert " ".join(layout.issuer_lines) == issuer
    root = parse(default_badge_svg("Teamwork", issuer_name=issuer))
    assert len(line_paths(default_badge_svg("Teamwork", issuer_name=issuer), "issuer")) == len(
        layout.issuer_lines
    )
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert desc.text == issuer


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("Teamwork", ["Teamwork"]),
        ("인공지능 기초", ["인공지능 기초"]),
        ("Introduction to Data Science", ["Introduction", "to Data", "Science"]),
        ("인공지능 기초 과정 수료 인증 배지", ["인공지능 기초", "과정 수료 인증", "배지"]),
    ],
    ids=["short", "korean-short", "english", "korean"],
)
def test_name_wraps_at_spaces(name: str, lines: list[str]) -> None:
    """A short name stays on one line; longer ones wrap at spaces."""
    assert name_lines(name) == lines


def test_font_shrinks_before_the_name_wraps_too_much() -> None:
    """A name too long for the largest size is drawn smaller, still whole."""
    name = "Advanced Cloud Architecture Practitioner"
    layout = badge_text_layout(name)
    assert layout.name_size < 36
    assert " ".join(layout.name_lines) == name


@pytest.mark.parametrize(
    "name",
    [
        "Introduction to Data Science and Machine Learning for Public Sector Professionals",
        "대한민국디지털역량강화사업인공지능데이터분석전문가양성과정최우수수료자인증배지",
        "클라우드 " * 40,
        "W" * 200,
    ],
    ids=["long-english", "long-korean-word", "200-korean-chars", "200-wide-latin"],
)
def test_long_name_is_never_cut(name: str) -> None:
    """Any name the API accepts (up to 200 characters) is drawn whole, in smaller type."""
    layout = badge_text_layout(name)
    assert "…" not in "".join(layout.name_lines)
    assert "".join(layout.name_lines).replace(" ", "") == name.replace(" ", "")
    assert layout.name_baselines[0] - layout.name_size * 0.78 >= 148
    assert layout.name_baselines[-1] + layout.name_size * 0.2 <= 282 + 0.5


def test_absurdly_long_name_is_shortened_as_a_last_resort() -> None:
    """Only text far beyond the API's limit is shortened; the title keeps it whole."""
    name = "x" * 1000
    drawn = name_lines(name)
    assert drawn[-1].endswith("…")
    title = parse(default_badge_svg(name)).find(f"{SVG}title")
    assert title is not None
    assert title.text == name


def test_name_is_cleaned() -> None:
    """Control characters are dropped and whitespace runs collapse to one space."""
    assert name_lines("  인공지능\x00\x1b\t\n 기초  ") == ["인공지능 기초"]


@pytest.mark.parametrize("name", ["", "   ", "\x00\x01"], ids=["empty", "blank", "controls"])
def test_empty_name_is_refused(name: str) -> None:
    """A name with nothing to draw raises ValueError."""
    with pytest.raises(ValueError, match="name is empty"):
        default_badge_svg(name)


def test_svg_can_be_baked() -> None:
    """The default artwork is a valid target for baking."""
    svg = default_badge_svg("인공지능 기초", issuer_name="한빛대학교")
    assert is_svg(svg)
    assert (
        extract_from_svg(bake_svg(svg, '{"name": "인공지능 기초"}')) == '{"name": "인공지능 기초"}'
    )


@given(name=names, issuer=st.none() | names, seed=st.none() | st.text())
def test_property_svg_is_always_valid_xml(name: str, issuer: str | None, seed: str | None) -> None:
    """For any name, issuer and seed, the SVG parses and its title is the cleaned name."""
    svg = default_badge_svg(name, issuer_name=issuer, seed=seed)
    title = parse(svg).find(f"{SVG}title")
    assert title is not None
    assert title.text == " ".join(name.split())
    assert len(line_paths(svg, "name")) == len(name_lines(name, issuer)) >= 1


@given(name=st.text(min_size=1))
def test_property_any_text_gives_xml_or_value_error(name: str) -> None:
    """For any text at all, the SVG is valid XML unless nothing drawable is left."""
    drawable = " ".join(NOT_XML.sub("", name).split())
    if not drawable:
        with pytest.raises(ValueError, match="name is empty"):
            default_badge_svg(name)
        return
    title = parse(default_badge_svg(name)).find(f"{SVG}title")
    assert title is not None
    assert title.text == drawable


@pytest.mark.parametrize("size", [16, 64, 512, 1500], ids=["16", "64", "512", "1500"])
def test_png_opens_with_pillow(size: int) -> None:
    """The PNG is a square RGBA image of the requested size."""
    png = default_badge_png("인공지능 기초", size=size)
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        assert image.size == (size, size)


def test_png_is_deterministic() -> None:
    """The same arguments give the same bytes."""
    assert default_badge_png("인공지능 기초", seed="a") == default_badge_png(
        "인공지능 기초", seed="a"
    )


def test_png_uses_the_svg_colours() -> None:
    """The PNG's ring, face and corners match the SVG's palette and transparent background."""
    _ribbon, _ribbon, _rosette, ring_fill, face_fill, *_ = fills(default_badge_svg("Teamwork"))
    with Image.open(io.BytesIO(default_badge_png("Teamwork"))) as image:
        rgba = image.convert("RGBA")
        ring = rgba.getpixel((256, 220 - 152))
        face = rgba.getpixel((256, 220 + 125))
        corner = rgba.getpixel((2, 2))
    assert ring == (*bytes.fromhex(ring_fill[1:]), 255)
    assert face == (*bytes.fromhex(face_fill[1:]), 255)
    assert corner == (0, 0, 0, 0)


@pytest.mark.parametrize("size", [0, 15, 2049], ids=["zero", "too-small", "too-large"])
def test_png_size_is_bounded(size: int) -> None:
    """A size outside 16 to 2048 pixels raises ValueError."""
    with pytest.raises(ValueError, match="between 16 and 2048"):
        default_badge_png("Teamwork", size=size)


def test_png_draws_the_names_in_the_text_region() -> None:
    """The name and the issuer are drawn: dark ink where the text goes, none without text."""
    image = rgba(default_badge_png("인공지능 기초", issuer_name="한빛대학교", seed="s"))
    assert dark_pixels(image, (140, 150, 372, 282)) > 500  # the name
    assert dark_pixels(image, (170, 290, 342, 340)) > 50  # the issuer, in the main colour


def test_png_text_differs_by_name_and_issuer() -> None:
    """Different names or issuers give different pixels in the text region."""
    base = rgba(default_badge_png("인공지능 기초", issuer_name="한빛대학교", seed="s"))
    other_name = rgba(default_badge_png("데이터 분석 기초", issuer_name="한빛대학교", seed="s"))
    other_issuer = rgba(default_badge_png("인공지능 기초", issuer_name="누리아카데미", seed="s"))
    box = (140, 150, 372, 282)
    assert base.crop(box).tobytes() != other_name.crop(box).tobytes()
    assert (
        base.crop((150, 290, 362, 345)).tobytes()
        != other_issuer.crop((150, 290, 362, 345)).tobytes()
    )
    assert base.crop(box).tobytes() == other_issuer.crop(box).tobytes()


def test_png_long_name_wraps_within_the_face() -> None:
    """A long name wraps onto several lines, and all its ink lies inside the badge face."""
    name = "대한민국 디지털 역량 강화 사업 인공지능 데이터 분석 전문가 양성 과정 최우수 수료"
    layout = badge_text_layout(name)
    assert len(layout.name_lines) >= 3
    blank = pixels(rgba(default_badge_png("가", seed="s")))
    drawn = pixels(rgba(default_badge_png(name, seed="s")))
    changed = [index for index, (a, b) in enumerate(zip(blank, drawn, strict=True)) if a != b]
    rows = {index // 512 for index in changed}
    assert len(rows) > 60  # several lines of ink, not one
    for index in changed:
        x, y = index % 512, index // 512
        assert (x - 256) ** 2 + (y - 220) ** 2 < 140**2, (x, y)


def test_png_matches_the_golden_image() -> None:
    """The default badge PNG matches the committed golden image, pixel for pixel (±tolerance)."""
    png = default_badge_png(
        "인공지능 기초 과정 (AI Basics)", issuer_name="한빛대학교 평생교육원", seed="golden"
    )
    if os.environ.get("BAEJI_UPDATE_GOLDEN") == "1":
        GOLDEN.write_bytes(png)
    actual = rgba(png)
    expected = rgba(GOLDEN.read_bytes())
    assert actual.size == expected.size
    differing = sum(
        1
        for a, b in zip(pixels(actual), pixels(expected), strict=True)
        if max(abs(x - y) for x, y in zip(a, b, strict=True)) > 24
    )
    # A different FreeType may move anti-aliased edges a little; the letters must stay.
    assert differing <= actual.size[0] * actual.size[1] // 500
