"""Default badge artwork for achievements that come without an image.

The artwork is a medal: a scalloped rosette with a ring and a light face, hanging from two
ribbon tails, with the achievement name and the issuer name written on the face. Its colour
comes deterministically from a seed (the achievement name by default), so the same achievement
always gets the same badge and different achievements usually differ.

Text is drawn with the Korean font bundled in ``badges/fonts`` (a KS X 1001 subset of
NanumGothic Bold, SIL OFL 1.1, see ``PROVENANCE.md``): Pillow rasterises it for PNG, and the
SVG carries the glyph outlines as paths, so a badge looks the same on every machine whatever
fonts it has. Both renderers share one layout and are pure functions: the same arguments
always give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

__all__ = ["TextLayout", "badge_text_layout", "default_badge_png", "default_badge_svg"]


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
# Left ribbon tail; the right one is its mirror image about x = 256.
_RIBBON = ((168.0, 330.0), (236.0, 360.0), (196.0, 496.0), (168.0, 464.0), (132.0, 482.0))

_TEXT_WIDTH = 228.0
_NAME_TOP = 148.0
_NAME_BOTTOM = 282.0
_NAME_FONT_SIZES = (36, 32, 28, 24, 20, 17, 14, 12, 10)
_LINE_HEIGHT = 1.2
_ISSUER_WIDTH = 164.0
_ISSUER_FIRST_BASELINE = 306.0
_ISSUER_FONT_SIZES = (16, 14, 12, 10)
_ISSUER_MAX_LINES = 3
_ELLIPSIS = "…"
_MAX_NAME_CHARS = 1000
# Cap height and descent of the badge font, in em: a line's ink sits this far above and
# below its baseline, which centres the name block visually.
_ASCENT = 0.78
_DESCENT = 0.2

_FONT_RESOURCE = "BaejiBadgeSans-Bold.ttf"

# XML 1.0, "Characters": anything outside this set cannot appear in the SVG at all.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class TextLayout:
    """Where the names go on a badge: the lines of each and their font sizes, in SVG units.

    Attributes:
        name_size: Font size of the achievement name.
        name_lines: The achievement name, one entry per line, in reading order.
        name_baselines: The baseline y of each name line.
        issuer_size: Font size of the issuer name.
        issuer_lines: The issuer name's lines (empty when there is none).
        issuer_baselines: The baseline y of each issuer line.
    """

    name_size: int
    name_lines: tuple[str, ...]
    name_baselines: tuple[float, ...]
    issuer_size: int
    issuer_lines: tuple[str, ...]
    issuer_baselines: tuple[float, ...]


@dataclass(frozen=True)
class _Font:
    """The bundled badge font: its bytes, outlines and advance widths."""

    data: bytes
    font: TTFont
    units_per_em: int
    cmap: dict[int, str]
    advances: dict[str, int]


@lru_cache(maxsize=1)
def _badge_font() -> _Font:
    data = (resources.files("badges") / "fonts" / _FONT_RESOURCE).read_bytes()
    font = TTFont(io.BytesIO(data), lazy=False)
    cmap: dict[int, str] = dict(font.getBestCmap())
    advances = {glyph: advance for glyph, (advance, _lsb) in font["hmtx"].metrics.items()}
    return _Font(data, font, int(font["head"].unitsPerEm), cmap, advances)


def _glyph(char: str) -> str:
    return _badge_font().cmap.get(ord(char), ".notdef")


def _text_width(text: str) -> float:
    """The advance of ``text`` in em, from the badge font's horizontal metrics."""
    font = _badge_font()
    return sum(font.advances[_glyph(char)] for char in text) / font.units_per_em


def _palette(key: str) -> _Palette:
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return _PALETTES[digest[0] % len(_PALETTES)]


def _clean(text: str) -> str:
    """Drop characters XML cannot carry and collapse runs of whitespace."""
    return " ".join(_NOT_XML_CHAR.sub("", text[:_MAX_NAME_CHARS]).split())


def _split_word(word: str, width: float) -> list[str]:
    """Break a word wider than a line into pieces that fit."""
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and _text_width(current + char) > width:
            pieces.append(current)
            current = ""
        current += char
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
    """Cut a line so that it and a trailing ellipsis fit (the last resort)."""
    while line and _text_width(line + _ELLIPSIS) > width:
        line = line[:-1]
    return line.rstrip() + _ELLIPSIS


def _fit(
    text: str, width: float, sizes: tuple[int, ...], max_lines: Callable[[int], int]
) -> tuple[int, list[str]]:
    """Choose the largest size at which the text wraps into the allowed number of lines."""
    for size in sizes:
        lines = _wrap(text, width / size)
        if len(lines) <= max_lines(size):
            return size, lines
    size = sizes[-1]
    allowed = max_lines(size)
    lines = _wrap(text, width / size)[:allowed]
    lines[-1] = _shorten(lines[-1], width / size)
    return size, lines


def _name_lines_allowed(size: int) -> int:
    return max(
        1,
        int((_NAME_BOTTOM - _NAME_TOP - (_ASCENT + _DESCENT) * size) // (size * _LINE_HEIGHT)) + 1,
    )


def badge_text_layout(name: str, *, issuer_name: str | None = None) -> TextLayout:
    """Lay out the achievement and issuer names on the badge face, as both renderers draw them.

    The name is wrapped at spaces (inside a word only when the word alone is too wide) at the
    largest font size, from 36 down to 10, at which it fits the face; every name of up to 200
    characters fits whole. The issuer name gets up to three lines under it, 16 down to 10.
    Only text longer than that is shortened, with an ellipsis.

    Args:
        name: The achievement name (cleaned as :func:`default_badge_svg` cleans it).
        issuer_name: The issuer's name, if it should be drawn.

    Returns:
        The lines, sizes and baselines, in the 512 x 512 SVG user space.

    Raises:
        ValueError: ``name`` is empty once cleaned.
    """
    clean_name = _clean(name)
    if not clean_name:
        raise ValueError("the achievement name is empty")
    name_size, name_lines = _fit(clean_name, _TEXT_WIDTH, _NAME_FONT_SIZES, _name_lines_allowed)
    step = name_size * _LINE_HEIGHT
    block = (_ASCENT + _DESCENT) * name_size + step * (len(name_lines) - 1)
    first = (_NAME_TOP + _NAME_BOTTOM) / 2 - block / 2 + _ASCENT * name_size
    name_baselines = tuple(round(first + index * step, 1) for index in range(len(name_lines)))
    clean_issuer = _clean(issuer_name or "")
    issuer_size, issuer_lines = _ISSUER_FONT_SIZES[0], list[str]()
    if clean_issuer:
        issuer_size, issuer_lines = _fit(
            clean_issuer, _ISSUER_WIDTH, _ISSUER_FONT_SIZES, lambda _size: _ISSUER_MAX_LINES
        )
    issuer_baselines = tuple(
        round(_ISSUER_FIRST_BASELINE + index * issuer_size * _LINE_HEIGHT, 1)
        for index in range(len(issuer_lines))
    )
    return TextLayout(
        name_size,
        tuple(name_lines),
        name_baselines,
        issuer_size,
        tuple(issuer_lines),
        issuer_baselines,
    )


def _number(value: float) -> str:
    # One decimal place keeps the paths small and identical across platforms.
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _line_path(line: str, size: float, baseline: float) -> str:
    """The outline of one centred line of text, as SVG path data in badge units."""
    font = _badge_font()
    glyph_set = font.font.getGlyphSet()
    scale = size / font.units_per_em
    x = _CENTRE_X - _text_width(line) * size / 2
    pen = SVGPathPen(glyph_set, ntos=_number)
    for char in line:
        glyph = _glyph(char)
        glyph_set[glyph].draw(TransformPen(pen, (scale, 0, 0, -scale, x, baseline)))
        x += font.advances[glyph] * scale
    return str(pen.getCommands())


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
    """Draw a default badge as SVG, with the achievement and issuer names written on it.

    The names are laid out by :func:`badge_text_layout` and drawn as filled paths from the
    bundled font, one ``<path>`` per line: the SVG needs no font on the viewing machine and
    references no external resource. It has ``role="img"``, a ``<title>`` holding the full
    name and a ``<desc>`` holding the issuer name, and is bakeable with
    :func:`badges.bake.bake_svg`.

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
    layout = badge_text_layout(name, issuer_name=issuer_name)
    clean_name = _clean(name)
    clean_issuer = _clean(issuer_name or "")
    palette = _palette(seed if seed is not None else name)
    title_id = "badge-title-" + hashlib.sha256(clean_name.encode()).hexdigest()[:12]
    name_paths = "".join(
        f'<path d="{_line_path(line, layout.name_size, baseline)}"/>'
        for line, baseline in zip(layout.name_lines, layout.name_baselines, strict=True)
    )
    issuer_paths = "".join(
        f'<path d="{_line_path(line, layout.issuer_size, baseline)}"/>'
        for line, baseline in zip(layout.issuer_lines, layout.issuer_baselines, strict=True)
    )
    issuer = f'<g class="issuer" fill="{palette.main}">{issuer_paths}</g>\n' if issuer_paths else ""
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
        f'<g class="name" fill="{palette.dark}">{name_paths}</g>\n'
        f"{issuer}"
        "</svg>\n"
    )
    return svg.encode("utf-8")


def default_badge_png(
    name: str, *, issuer_name: str | None = None, seed: str | None = None, size: int = 512
) -> bytes:
    """Draw a default badge as PNG, in the same shape, colours and text layout as the SVG.

    The achievement name and the issuer name are rasterised from the bundled Korean font with
    Pillow's basic layout engine (not Raqm, which is not installed everywhere and would change
    the pixels), so a PNG put on a CV or LinkedIn shows what the badge is for and who gave it.

    Args:
        name: The achievement name; also the colour seed unless ``seed`` is given.
        issuer_name: Written small under the name when given.
        seed: Chooses the colour instead of ``name``.
        size: Width and height in pixels, 16 to 2048.

    Returns:
        A square RGBA PNG with a transparent background. The same arguments always give the
        same bytes with the same Pillow, FreeType and zlib versions.

    Raises:
        ValueError: ``size`` is out of range, or ``name`` is empty once cleaned.
    """
    if not 16 <= size <= 2048:
        raise ValueError(f"size must be between 16 and 2048 pixels, not {size}")
    layout = badge_text_layout(name, issuer_name=issuer_name)
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

    def write(lines: tuple[str, ...], baselines: tuple[float, ...], size: int, fill: str) -> None:
        font = ImageFont.truetype(
            io.BytesIO(_badge_font().data),
            size=max(1, round(size * scale)),
            layout_engine=ImageFont.Layout.BASIC,
        )
        for line, baseline in zip(lines, baselines, strict=True):
            draw.text(
                (_CENTRE_X * scale, baseline * scale), line, font=font, fill=fill, anchor="ms"
            )

    canvas = Image.new("RGBA", (size * supersample, size * supersample), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    for ribbon in _ribbons():
        draw.polygon(at(ribbon), fill=palette.dark)
    draw.polygon(at(_rosette()), fill=palette.main)
    draw.ellipse(circle(_RING_RADIUS), fill=palette.dark)
    draw.ellipse(circle(_FACE_RADIUS + _FACE_STROKE / 2), fill=palette.main)
    draw.ellipse(circle(_FACE_RADIUS - _FACE_STROKE / 2), fill=palette.light)
    draw.polygon(at(_star(_STAR_CENTRE_Y, _STAR_OUTER, _STAR_INNER)), fill=palette.main)
    write(layout.name_lines, layout.name_baselines, layout.name_size, palette.dark)
    write(layout.issuer_lines, layout.issuer_baselines, layout.issuer_size, palette.main)
    image = canvas.resize((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
