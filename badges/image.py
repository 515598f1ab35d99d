"""Default badge artwork for achievements that come without an image.

The artwork is a medal: a scalloped rosette with a ring and a light face, hanging from two
ribbon tails. Its colour comes deterministically from a seed (the achievement name by default),
so the same achievement always gets the same badge and different achievements usually differ.
Both renderers are pure functions: the same arguments always give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageDraw

__all__ = ["default_badge_png", "default_badge_svg"]


@dataclass(frozen=True)
class _Palette:
    """One colour scheme: main colour, a darker shade for text and edges, a light face."""

    main: str
    dark: str
    light: str


# Muted, print-friendly colours. Text is drawn in `dark` (name) and `main` (issuer) on `light`;
# both pairs pass WCAG AA contrast (4.5:1) in every palette.
_PALETTES = (
    _Palette("#1E4E8C", "#123158", "#EAF1FA"),  # blue
    _Palette("#0F766E", "#0A4A45", "#E6F4F2"),  # teal
    _Palette("#2F7D32", "#1C4D1F", "#EAF5EA"),  # green
    _Palette("#6B3FA0", "#432766", "#F2ECF9"),  # purple
    _Palette("#B3261E", "#731813", "#FBEBEA"),  # crimson
    _Palette("#A35F00", "#633A00", "#FFF4E2"),  # amber
    _Palette("#3949AB", "#242E6E", "#ECEEF9"),  # indigo
    _Palette("#455A64", "#2B383E", "#EDF0F2"),  # slate
)

# Geometry, in the 512 x 512 user space of the SVG (the PNG scales it).
_CANVAS = 512
_CENTRE_X = 256.0
_CENTRE_Y = 220.0
_ROSETTE_OUTER = 190.0
_ROSETTE_INNER = 174.0
_ROSETTE_POINTS = 24
_RING_RADIUS = 162.0
_FACE_RADIUS = 142.0
_FACE_STROKE = 5.0
_STAR_CENTRE_Y = 120.0
_STAR_OUTER = 20.0
_STAR_INNER = 8.5
_BIG_STAR_OUTER = 72.0
_BIG_STAR_INNER = 30.0
# Left ribbon tail; the right one is its mirror image about x = 256.
_RIBBON = ((168.0, 330.0), (236.0, 360.0), (196.0, 496.0), (168.0, 464.0), (132.0, 482.0))

_FONT_FAMILY = "'Noto Sans KR','Apple SD Gothic Neo','Malgun Gothic','Nanum Gothic',sans-serif"
_TEXT_WIDTH = 228.0
_NAME_FONT_SIZES = (36, 32, 28, 24)
_MAX_LINES = 3
_LINE_HEIGHT = 1.2
_NAME_CENTRE_Y = 238.0
_ISSUER_FONT_SIZE = 16
_ISSUER_WIDTH = 180.0
_ISSUER_Y = 330.0
_ELLIPSIS = "…"
_MAX_NAME_CHARS = 1000

# XML 1.0, "Characters": anything outside this set cannot appear in the SVG at all.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NARROW = frozenset("ijlI.,:;'|!()[]{} ")
_WIDE_LATIN = frozenset("mwMW@%&")


def _palette(key: str) -> _Palette:
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return _PALETTES[digest[0] % len(_PALETTES)]


def _clean(text: str) -> str:
    """Drop characters XML cannot carry and collapse runs of whitespace."""
    return " ".join(_NOT_XML_CHAR.sub("", text[:_MAX_NAME_CHARS]).split())


def _char_width(char: str) -> float:
    """Estimate a glyph's advance in em; no font is available to measure it."""
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0  # Hangul syllables, CJK ideographs, full-width forms
    if unicodedata.combining(char):
        return 0.0
    if char in _NARROW:
        return 0.3
    if char in _WIDE_LATIN or char.isupper():
        return 0.72
    return 0.56


def _text_width(text: str) -> float:
    return sum(_char_width(char) for char in text)


def _split_word(word: str, width: float) -> list[str]:
    """Break a word wider than a line into pieces that fit."""
    pieces: list[str] = []
    current = ""
    current_width = 0.0
    for char in word:
        char_width = _char_width(char)
        if current and current_width + char_width > width:
            pieces.append(current)
            current = ""
            current_width = 0.0
        current += char
        current_width += char_width
    pieces.append(current)
    return pieces


def _wrap(text: str, width: float) -> list[str]:
    """Greedy word wrap of non-empty text, breaking inside a word only when it alone is too wide."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        for piece in _split_word(word, width):
            candidate = f"{current} {piece}" if current else piece
            if current and _text_width(candidate) > width:
                lines.append(current)
                current = piece
            else:
                current = candidate
    lines.append(current)
    return lines


def _shorten(line: str, width: float) -> str:
    """Cut a line so that it and a trailing ellipsis fit."""
    while line and _text_width(line + _ELLIPSIS) > width:
        line = line[:-1]
    return line.rstrip() + _ELLIPSIS


def _layout_name(name: str) -> tuple[int, list[str]]:
    """Choose the largest font size that fits the name in three lines, else shorten it."""
    for size in _NAME_FONT_SIZES:
        lines = _wrap(name, _TEXT_WIDTH / size)
        if len(lines) <= _MAX_LINES:
            return size, lines
    size = _NAME_FONT_SIZES[-1]
    lines = _wrap(name, _TEXT_WIDTH / size)[:_MAX_LINES]
    lines[-1] = _shorten(lines[-1], _TEXT_WIDTH / size)
    return size, lines


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def _rosette() -> list[tuple[float, float]]:
    points = []
    for index in range(_ROSETTE_POINTS * 2):
        radius = _ROSETTE_OUTER if index % 2 == 0 else _ROSETTE_INNER
        angle = math.pi * index / _ROSETTE_POINTS - math.pi / 2
        points.append((_CENTRE_X + radius * math.cos(angle), _CENTRE_Y + radius * math.sin(angle)))
    return points


def _star(centre_y: float, outer: float, inner: float) -> list[tuple[float, float]]:
    points = []
    for index in range(10):
        radius = outer if index % 2 == 0 else inner
        angle = math.pi * index / 5 - math.pi / 2
        points.append((_CENTRE_X + radius * math.cos(angle), centre_y + radius * math.sin(angle)))
    return points


def _ribbons() -> list[list[tuple[float, float]]]:
    left = list(_RIBBON)
    right = [(_CANVAS - x, y) for x, y in _RIBBON]
    return [left, right]


def _svg_points(points: list[tuple[float, float]]) -> str:
    # One decimal place keeps the file small and the output identical across platforms.
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def default_badge_svg(
    name: str, *, issuer_name: str | None = None, seed: str | None = None
) -> bytes:
    """Draw a default badge as SVG, with the achievement name written on it.

    The name is wrapped onto at most three lines (the font shrinks first, then the last line is
    shortened with an ellipsis). Hangul renders through a font stack that ends in
    ``sans-serif`` (Noto Sans KR, Apple SD Gothic Neo, Malgun Gothic, Nanum Gothic); the SVG
    references no external resource. It has ``role="img"`` and a ``<title>`` holding the full
    name, and is bakeable with :func:`badges.bake.bake_svg`.

    Args:
        name: The achievement name. Characters XML cannot carry are dropped and whitespace
            is collapsed.
        issuer_name: Written small under the name when given.
        seed: Chooses the colour; defaults to ``name``. Pass the achievement id to keep the
            colour when the name is edited.

    Returns:
        The SVG document, UTF-8 encoded. The same arguments always give the same bytes.

    Raises:
        ValueError: ``name`` is empty once cleaned.
    """
    clean_name = _clean(name)
    if not clean_name:
        raise ValueError("the achievement name is empty")
    palette = _palette(seed if seed is not None else name)
    title_id = "badge-title-" + hashlib.sha256(clean_name.encode()).hexdigest()[:12]
    font_size, lines = _layout_name(clean_name)
    line_height = font_size * _LINE_HEIGHT
    first_y = _NAME_CENTRE_Y - line_height * (len(lines) - 1) / 2
    tspans = "".join(
        f'<tspan x="{_CENTRE_X:.0f}" y="{first_y + index * line_height:.1f}">'
        f"{_escape(line)}</tspan>"
        for index, line in enumerate(lines)
    )
    issuer = ""
    clean_issuer = _clean(issuer_name or "")
    if clean_issuer:
        issuer_width = _ISSUER_WIDTH / _ISSUER_FONT_SIZE
        issuer_text = clean_issuer
        if _text_width(issuer_text) > issuer_width:
            issuer_text = _shorten(issuer_text, issuer_width)
        issuer = (
            f'<text x="{_CENTRE_X:.0f}" y="{_ISSUER_Y:.0f}" font-size="{_ISSUER_FONT_SIZE}" '
            f'fill="{palette.main}">{_escape(issuer_text)}</text>'
        )
    description = f"<desc>{_escape(clean_issuer)}</desc>" if clean_issuer else ""
    ribbons = "".join(
        f'<polygon points="{_svg_points(ribbon)}" fill="{palette.dark}"/>' for ribbon in _ribbons()
    )
    star = _svg_points(_star(_STAR_CENTRE_Y, _STAR_OUTER, _STAR_INNER))
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_CANVAS}" height="{_CANVAS}" '
        f'viewBox="0 0 {_CANVAS} {_CANVAS}" role="img" aria-labelledby="{title_id}">\n'
        f'<title id="{title_id}">{_escape(clean_name)}</title>{description}\n'
        f"{ribbons}\n"
        f'<polygon points="{_svg_points(_rosette())}" fill="{palette.main}"/>\n'
        f'<circle cx="{_CENTRE_X:.0f}" cy="{_CENTRE_Y:.0f}" r="{_RING_RADIUS:.0f}" '
        f'fill="{palette.dark}"/>\n'
        f'<circle cx="{_CENTRE_X:.0f}" cy="{_CENTRE_Y:.0f}" r="{_FACE_RADIUS:.0f}" '
        f'fill="{palette.light}" stroke="{palette.main}" stroke-width="{_FACE_STROKE:.0f}"/>\n'
        f'<polygon points="{star}" fill="{palette.main}"/>\n'
        f'<g font-family="{_FONT_FAMILY}" text-anchor="middle">\n'
        f'<text font-size="{font_size}" font-weight="700" fill="{palette.dark}">{tspans}</text>\n'
        f"{issuer}"
        "</g>\n"
        "</svg>\n"
    )
    return svg.encode("utf-8")


def default_badge_png(name: str, *, seed: str | None = None, size: int = 512) -> bytes:
    """Draw a default badge as PNG, in the same shape and colours as the SVG.

    The PNG carries no text, and a large star takes the name's place: no font with Hangul
    glyphs can be assumed on the machine, and a missing glyph would draw as boxes. Use
    :func:`default_badge_svg` where the name should be visible. ``name`` only chooses the
    colour (unless ``seed`` is given).

    Args:
        name: The achievement name, used as the colour seed.
        seed: Chooses the colour instead of ``name``.
        size: Width and height in pixels, 16 to 2048.

    Returns:
        A square RGBA PNG with a transparent background. The same arguments always give the
        same bytes with the same Pillow and zlib versions.

    Raises:
        ValueError: ``size`` is out of range.
    """
    if not 16 <= size <= 2048:
        raise ValueError(f"size must be between 16 and 2048 pixels, not {size}")
    palette = _palette(seed if seed is not None else name)
    # Draw four times larger and scale down: Pillow's shapes are not anti-aliased.
    supersample = 4 if size <= 1024 else 2
    scale = size * supersample / _CANVAS

    def at(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x * scale, y * scale) for x, y in points]

    def circle(radius: float) -> tuple[float, float, float, float]:
        return (
            (_CENTRE_X - radius) * scale,
            (_CENTRE_Y - radius) * scale,
            (_CENTRE_X + radius) * scale,
            (_CENTRE_Y + radius) * scale,
        )

    canvas = Image.new("RGBA", (size * supersample, size * supersample), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    for ribbon in _ribbons():
        draw.polygon(at(ribbon), fill=palette.dark)
    draw.polygon(at(_rosette()), fill=palette.main)
    draw.ellipse(circle(_RING_RADIUS), fill=palette.dark)
    draw.ellipse(circle(_FACE_RADIUS + _FACE_STROKE / 2), fill=palette.main)
    draw.ellipse(circle(_FACE_RADIUS - _FACE_STROKE / 2), fill=palette.light)
    # Without text, a large star fills the face where the SVG writes the name.
    draw.polygon(at(_star(_CENTRE_Y + 6, _BIG_STAR_OUTER, _BIG_STAR_INNER)), fill=palette.main)
    image = canvas.resize((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
