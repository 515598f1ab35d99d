"""Default badge artwork: an SVG with the achievement name, and a PNG without text."""

from __future__ import annotations

import io
import re
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from badges.bake import bake_svg, extract_from_svg, is_svg
from badges.image import default_badge_png, default_badge_svg
from tests.strategies import names

SVG = "{http://www.w3.org/2000/svg}"
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def parse(svg: bytes) -> ElementTree.Element:
    """Parse SVG we generated ourselves (trusted: it has no DTD)."""
    assert b"<!DOCTYPE" not in svg
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output, checked for a DTD above


def name_lines(svg: bytes) -> list[str]:
    """The lines of the achievement name, as drawn."""
    root = parse(svg)
    text = root.find(f"{SVG}g/{SVG}text")
    assert text is not None
    return [tspan.text or "" for tspan in text.findall(f"{SVG}tspan")]


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
    assert "".join(name_lines(svg)).replace(" ", "") == name.replace(" ", "")


def test_svg_escapes_markup() -> None:
    """A name with markup is escaped, so no <script> element reaches the document."""
    svg = default_badge_svg("<script>alert(1)</script> & 인공지능 기초")
    assert b"<script" not in svg
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; &amp; \xec\x9d\xb8" in svg
    assert parse(svg).find(f".//{SVG}script") is None


def test_svg_declares_utf8_and_a_korean_font_stack() -> None:
    """The SVG is UTF-8, declares it, and asks for Korean-capable fonts before sans-serif."""
    svg = default_badge_svg("인공지능 기초")
    assert svg.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "인공지능 기초".encode() in svg
    group = parse(svg).find(f"{SVG}g")
    assert group is not None
    assert group.get("font-family") == (
        "'Noto Sans KR','Apple SD Gothic Neo','Malgun Gothic','Nanum Gothic',sans-serif"
    )


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
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "한빛대학교" in texts


def test_long_issuer_name_is_shortened() -> None:
    """A long issuer name is cut with an ellipsis on the badge and kept whole in <desc>."""
    issuer = "한빛대학교 평생교육원 디지털 역량 개발 센터"
    root = parse(default_badge_svg("Teamwork", issuer_name=issuer))
    drawn = [t.text or "" for t in root.iter(f"{SVG}text") if t.text]
    assert len(drawn) == 1
    assert drawn[0].endswith("…")
    assert issuer.startswith(drawn[0][:-1])
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert desc.text == issuer


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("Teamwork", ["Teamwork"]),
        ("인공지능 기초", ["인공지능 기초"]),
        ("Introduction to Data Science", ["Introduction", "to Data", "Science"]),
        ("인공지능 기초 과정 수료 인증 배지", ["인공지능 기초", "과정 수료", "인증 배지"]),
    ],
    ids=["short", "korean-short", "english", "korean"],
)
def test_name_wraps_at_spaces(name: str, lines: list[str]) -> None:
    """A short name stays on one line; longer ones wrap at spaces, at most three lines."""
    assert name_lines(default_badge_svg(name)) == lines


def test_font_shrinks_before_the_name_is_cut() -> None:
    """A name too long for three lines at the largest size is drawn smaller, still whole."""
    name = "Advanced Cloud Architecture Practitioner"
    svg = default_badge_svg(name)
    text = parse(svg).find(f"{SVG}g/{SVG}text")
    assert text is not None
    assert int(text.get("font-size", "0")) < 36
    assert " ".join(name_lines(svg)) == name


@pytest.mark.parametrize(
    "name",
    [
        "Introduction to Data Science and Machine Learning for Public Sector Professionals",
        "대한민국디지털역량강화사업인공지능데이터분석전문가양성과정최우수수료자인증배지",
        "x" * 1000,
    ],
    ids=["long-english", "long-korean-word", "one-huge-word"],
)
def test_long_name_is_shortened_to_three_lines(name: str) -> None:
    """A name too long for three lines is cut with an ellipsis; the title keeps it whole."""
    svg = default_badge_svg(name)
    drawn = name_lines(svg)
    assert len(drawn) == 3
    assert drawn[-1].endswith("…")
    title = parse(svg).find(f"{SVG}title")
    assert title is not None
    assert title.text == name


def test_name_is_cleaned() -> None:
    """Control characters are dropped and whitespace runs collapse to one space."""
    svg = default_badge_svg("  인공지능\x00\x1b\t\n 기초  ")
    assert name_lines(svg) == ["인공지능 기초"]


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
    assert 1 <= len(name_lines(svg)) <= 3


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
        face = rgba.getpixel((256, 220 - 120))
        corner = rgba.getpixel((2, 2))
    assert ring == (*bytes.fromhex(ring_fill[1:]), 255)
    assert face == (*bytes.fromhex(face_fill[1:]), 255)
    assert corner == (0, 0, 0, 0)


@pytest.mark.parametrize("size", [0, 15, 2049], ids=["zero", "too-small", "too-large"])
def test_png_size_is_bounded(size: int) -> None:
    """A size outside 16 to 2048 pixels raises ValueError."""
    with pytest.raises(ValueError, match="between 16 and 2048"):
        default_badge_png("Teamwork", size=size)
