"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

import io
import json
import string
from typing import Any

from hypothesis import strategies as st
from PIL import Image
from PIL.PngImagePlugin import PngInfo

# Learner and course names: Hangul syllables, Latin letters, digits, spaces and punctuation.
names = (
    st.text(
        alphabet=st.one_of(
            st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
            st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        ),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)


def leaf_paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Return the path of every scalar inside a JSON value."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in leaf_paths(item, (*prefix, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in leaf_paths(item, (*prefix, index))]
    return [prefix]


def mutate_leaf(document: Any, path: tuple[str | int, ...]) -> None:
    """Change the scalar at ``path`` in place to a different value of the same kind."""
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    value = parent[path[-1]]
    if isinstance(value, bool):
        parent[path[-1]] = not value
    elif isinstance(value, int | float):
        parent[path[-1]] = value + 1
    else:
        parent[path[-1]] = str(value) + "x"


# Baking, default artwork and QR codes (tests/badges/test_bake.py, test_image.py, test_qr.py).

# XML 1.0, "Characters": the C0 controls other than tab, LF and CR, and U+FFFE/U+FFFF,
# cannot appear in an XML document at all.
_NOT_XML = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\ufffe\uffff"

# Fragments that stress the encoders: CDATA terminators, carriage returns (normalised by XML
# parsers), markup characters, NUL (legal in an iTXt text), Hangul.
_TRICKY_FRAGMENTS = (
    "]]>",
    "]]",
    "<![CDATA[",
    "\r",
    "\r\n",
    "\n",
    "\t",
    " ",
    "<",
    "&amp;",
    '"',
    "'",
    "인공지능 기초",
    "{",
    "}",
    ".",
)


def _texts(characters: st.SearchStrategy[str], extra: tuple[str, ...]) -> st.SearchStrategy[str]:
    fragment = st.one_of(st.text(characters, min_size=1), st.sampled_from(extra))
    return st.lists(fragment, min_size=1, max_size=8).map("".join)


def credential_texts() -> st.SearchStrategy[str]:
    """Any non-empty Unicode text without surrogates, the widest a PNG iTXt chunk can carry."""
    return _texts(st.characters(exclude_categories=["Cs"]), (*_TRICKY_FRAGMENTS, "\x00"))


def xml_credential_texts() -> st.SearchStrategy[str]:
    """Any non-empty text an XML 1.0 document can carry (no surrogates, no C0 controls)."""
    characters = st.characters(exclude_categories=["Cs"], exclude_characters=_NOT_XML)
    return _texts(characters, _TRICKY_FRAGMENTS)


_BASE64URL = string.ascii_letters + string.digits + "-_"


def compact_jws() -> st.SearchStrategy[str]:
    """Three base64url segments joined by dots, the shape of a compact JWS."""
    segment = st.text(_BASE64URL, min_size=1, max_size=200)
    return st.tuples(segment, segment, segment).map(".".join)


def json_credentials() -> st.SearchStrategy[str]:
    """JSON text of a small OB 3.0-shaped credential, with Hangul and arbitrary strings."""
    names = st.one_of(st.sampled_from(["인공지능 기초", "팀워크", "Teamwork ]]>"]), st.text())
    credential = st.builds(
        lambda name, n, ascii_only: json.dumps(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "id": f"https://badges.example.kr/credentials/{n}",
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "name": name,
            },
            ensure_ascii=ascii_only,
            indent=2,
        ),
        names,
        st.integers(min_value=0),
        st.booleans(),
    )
    return credential


def png_images() -> st.SearchStrategy[bytes]:
    """Small valid PNGs of every common colour type, as Pillow writes them."""

    def draw(mode: str, width: int, height: int, colour: int, text: str | None) -> bytes:
        image = Image.new(mode, (width, height), colour)
        buffer = io.BytesIO()
        if text is None:
            image.save(buffer, format="PNG")
        else:
            info = PngInfo()
            info.add_itxt("Description", text)
            image.save(buffer, format="PNG", pnginfo=info)
        return buffer.getvalue()

    return st.builds(
        draw,
        st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA"]),
        st.integers(min_value=1, max_value=40),
        st.integers(min_value=1, max_value=40),
        st.integers(min_value=0, max_value=255),
        st.none() | st.text(max_size=20),
    )


def svg_documents() -> st.SearchStrategy[bytes]:
    """Small UTF-8 SVGs with the prologs and root forms that drawing tools produce."""

    def assemble(
        declaration: bool, doctype: bool, comment: str, namespaced: bool, empty: bool, body: str
    ) -> bytes:
        parts = []
        if declaration:
            parts.append('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n')
        if comment:
            parts.append(f"<!-- {comment} -->\n")
        if doctype:
            parts.append(
                '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
                '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
            )
        namespace = ' xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' if namespaced else ""
        root = f'<svg xmlns="http://www.w3.org/2000/svg"{namespace}\n  viewBox="0 0 10 10"'
        if empty:
            parts.append(root + "/>")
        else:
            parts.append(
                f'{root}>\n  <title>{body}</title>\n  <rect width="10" height="10"/>\n</svg>'
            )
        return "".join(parts).encode("utf-8")

    safe_text = st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters=_NOT_XML + "<>&-"),
        max_size=20,
    )
    return st.builds(
        assemble, st.booleans(), st.booleans(), safe_text, st.booleans(), st.booleans(), safe_text
    )


def qr_urls() -> st.SearchStrategy[str]:
    """http(s) URLs of credentials and verification pages, printable ASCII."""
    path_segment = st.text(string.ascii_letters + string.digits + "-._~%", min_size=1, max_size=40)
    return st.builds(
        lambda scheme, host, segments: f"{scheme}://{host}/" + "/".join(segments),
        st.sampled_from(["https", "http"]),
        st.sampled_from(
            ["badges.example.kr", "localhost:8000", "배지.example.kr".encode("idna").decode()]
        ),
        st.lists(path_segment, min_size=0, max_size=4),
    )
