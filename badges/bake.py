"""Bake an Open Badges 3.0 credential into a PNG or SVG image, and extract it again.

Implements OB 3.0 "Document formats", "Baked badge" (PNG and SVG). Everything here is bytes in,
bytes out: no file system, no network. Inputs are untrusted uploads or downloads, so every
parser is bounded (image size, chunk size, decompressed size) and SVG is refused before parsing
when it declares entities or an internal DTD subset.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field
from xml.parsers import expat

from badges.errors import (
    BakingError,
    ImageTooLarge,
    InvalidImage,
    NoCredentialInImage,
    UnsafeXml,
)

__all__ = [
    "MAX_CREDENTIAL_BYTES",
    "MAX_IMAGE_BYTES",
    "OB2_PNG_KEYWORD",
    "OB2_SVG_NAMESPACE",
    "OB3_SVG_NAMESPACE",
    "PNG_KEYWORD",
    "bake_png",
    "bake_svg",
    "extract_credential",
    "extract_from_png",
    "extract_from_svg",
    "extract_ob2_assertion",
    "is_png",
    "is_svg",
]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Largest image (input or baked output) accepted, in bytes."""

MAX_CREDENTIAL_BYTES = 4 * 1024 * 1024
"""Largest credential text (UTF-8) baked or extracted, in bytes."""

PNG_KEYWORD = "openbadgecredential"
"""The ``iTXt`` keyword of an OB 3.0 baked PNG."""

OB3_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
"""The namespace of the ``<openbadges:credential>`` element in an OB 3.0 baked SVG."""

OB2_PNG_KEYWORD = "openbadges"
"""The ``iTXt`` (or, in older badges, ``tEXt``) keyword of an Open Badges 2.0 baked PNG."""

OB2_SVG_NAMESPACE = "http://openbadges.org"
"""The namespace of the ``<openbadges:assertion>`` element in an Open Badges 2.0 baked SVG."""

# --------------------------------------------------------------------------------------------
# PNG
# --------------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEYWORD_BYTES = PNG_KEYWORD.encode("latin-1")
# PNG, "Chunk layout": the length is a 4-byte unsigned integer limited to 2^31 - 1.
_PNG_MAX_CHUNK_LENGTH = 2**31 - 1
_CHUNK_TYPE = re.compile(rb"[A-Za-z]{4}")


@dataclass(frozen=True)
class _Chunk:
    """One PNG chunk and where its bytes (length, type, data, CRC) lie in the file."""

    type: bytes
    data: bytes
    start: int
    end: int


def is_png(data: bytes) -> bool:
    """Tell whether the bytes start with the PNG signature.

    Args:
        data: Any bytes.

    Returns:
        ``True`` if ``data`` looks like a PNG; the rest of the file is not checked.
    """
    return data.startswith(_PNG_SIGNATURE)


def _check_image_size(data: bytes) -> None:
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageTooLarge(f"the image is {len(data)} bytes; at most {MAX_IMAGE_BYTES} accepted")


def _parse_png(png: bytes) -> list[_Chunk]:
    """Split a PNG into chunks, checking structure and every CRC."""
    _check_image_size(png)
    if not is_png(png):
        raise InvalidImage("not a PNG: the signature is missing")
    chunks: list[_Chunk] = []
    offset = len(_PNG_SIGNATURE)
    while offset < len(png):
        if len(png) - offset < 12:
            raise InvalidImage(f"truncated PNG: incomplete chunk header at byte {offset}")
        (length,) = struct.unpack_from(">I", png, offset)
        chunk_type = png[offset + 4 : offset + 8]
        if length > _PNG_MAX_CHUNK_LENGTH:
            raise InvalidImage(f"PNG chunk at byte {offset} declares an invalid length {length}")
        if not _CHUNK_TYPE.fullmatch(chunk_type):
            raise InvalidImage(f"PNG chunk at byte {offset} has an invalid type {chunk_type!r}")
        end = offset + 12 + length
        if end > len(png):
            raise InvalidImage(f"truncated PNG: chunk {chunk_type.decode()} runs past the end")
        data = png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack_from(">I", png, offset + 8 + length)
        # PNG, "CRC algorithm": the CRC covers the chunk type and data, not the length.
        if zlib.crc32(chunk_type + data) != crc:
            raise InvalidImage(f"PNG chunk {chunk_type.decode()} at byte {offset} has a bad CRC")
        chunks.append(_Chunk(chunk_type, data, offset, end))
        offset = end
        if chunk_type == b"IEND":
            break
    if not chunks or chunks[0].type != b"IHDR" or len(chunks[0].data) != 13:
        raise InvalidImage("invalid PNG: the first chunk is not a 13-byte IHDR")
    if chunks[-1].type != b"IEND":
        raise InvalidImage("truncated PNG: no IEND chunk")
    if offset != len(png):
        # Bytes after IEND are how PNG polyglots hide a second file; a badge has no need of them.
        raise InvalidImage(f"invalid PNG: {len(png) - offset} bytes after IEND")
    if not any(chunk.type == b"IDAT" for chunk in chunks):
        raise InvalidImage("invalid PNG: no IDAT chunk")
    return chunks


def _is_credential_chunk(chunk: _Chunk, keyword: bytes = _PNG_KEYWORD_BYTES) -> bool:
    return chunk.type == b"iTXt" and chunk.data.split(b"\x00", 1)[0] == keyword


def _png_chunk(chunk_type: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def _encode_credential(credential: str) -> bytes:
    """Return the credential as UTF-8, refusing empty, unencodable or oversized text."""
    if not credential:
        raise BakingError("the credential is empty")
    try:
        encoded = credential.encode("utf-8")
    except UnicodeEncodeError as err:
        raise BakingError("the credential is not valid Unicode (lone surrogate)") from err
    if len(encoded) > MAX_CREDENTIAL_BYTES:
        raise ImageTooLarge(
            f"the credential is {len(encoded)} bytes; at most {MAX_CREDENTIAL_BYTES} accepted"
        )
    return encoded


def bake_png(png: bytes, credential: str) -> bytes:
    """Bake the credential into a PNG.

    Implements OB 3.0, Baked badge, PNG: one ``iTXt`` chunk with keyword
    ``openbadgecredential``, no compression, empty language tag and translated keyword, and the
    credential as its text, placed just before ``IEND``. An existing ``openbadgecredential``
    chunk is replaced, so baking twice leaves exactly one. All other chunks are copied byte for
    byte.

    Args:
        png: The badge image.
        credential: A compact JWS (VC-JWT) or the credential's JSON text.

    Returns:
        The baked PNG.

    Raises:
        InvalidImage: ``png`` is not a well-formed PNG (signature, chunk lengths, CRCs, IHDR
            first, IEND last, IDAT present, nothing after IEND).
        ImageTooLarge: The image or the credential exceeds :data:`MAX_IMAGE_BYTES` or
            :data:`MAX_CREDENTIAL_BYTES`, or the baked result would.
        BakingError: The credential is empty or not encodable as UTF-8.
    """
    text = _encode_credential(credential)
    chunks = _parse_png(png)
    # OB 3.0, Baked badge, PNG: the iTXt chunk MUST NOT be compressed (flag 0, method 0), and
    # the language tag and translated keyword are empty.
    new_chunk = _png_chunk(b"iTXt", _PNG_KEYWORD_BYTES + b"\x00\x00\x00\x00\x00" + text)
    kept = [png[c.start : c.end] for c in chunks[:-1] if not _is_credential_chunk(c)]
    iend = chunks[-1]
    baked = b"".join([_PNG_SIGNATURE, *kept, new_chunk, png[iend.start : iend.end]])
    _check_image_size(baked)
    return baked


def _decompress_bounded(data: bytes) -> bytes:
    decompressor = zlib.decompressobj()
    try:
        text = decompressor.decompress(data, MAX_CREDENTIAL_BYTES + 1)
    except zlib.error as err:
        raise InvalidImage("the compressed openbadgecredential chunk is corrupt") from err
    if len(text) > MAX_CREDENTIAL_BYTES or decompressor.unconsumed_tail:
        raise ImageTooLarge(
            f"the openbadgecredential chunk inflates past {MAX_CREDENTIAL_BYTES} bytes"
        )
    if not decompressor.eof:
        raise InvalidImage("the compressed openbadgecredential chunk is truncated")
    return text


def extract_from_png(png: bytes) -> str:
    """Extract the credential baked into a PNG.

    Implements OB 3.0, Baked badge, PNG, extraction: the text of the first ``iTXt`` chunk with
    keyword ``openbadgecredential``. The spec forbids compressing that chunk; a compressed one
    is still read, inflating at most :data:`MAX_CREDENTIAL_BYTES`.

    Args:
        png: A baked PNG.

    Returns:
        The credential text exactly as baked (a compact JWS or JSON text).

    Raises:
        InvalidImage: ``png`` is not a well-formed PNG, or the chunk is malformed or not UTF-8.
        ImageTooLarge: The image or the credential text exceeds the limits.
        NoCredentialInImage: No ``openbadgecredential`` chunk, or an empty one.
    """
    chunk = next((c for c in _parse_png(png) if _is_credential_chunk(c)), None)
    if chunk is None:
        raise NoCredentialInImage("the PNG has no openbadgecredential iTXt chunk")
    return _itxt_text(chunk, PNG_KEYWORD)


def _itxt_text(chunk: _Chunk, keyword: str) -> str:
    """Return the text of an ``iTXt`` chunk with ``keyword``, inflating it if compressed."""
    # iTXt layout: keyword NUL, compression flag, compression method, language tag NUL,
    # translated keyword NUL, text.
    rest = chunk.data[len(keyword) + 1 :]
    if len(rest) < 2:
        raise InvalidImage(f"malformed {keyword} chunk: no compression fields")
    flag, method = rest[0], rest[1]
    fields = rest[2:].split(b"\x00", 2)
    if len(fields) != 3:
        raise InvalidImage(f"malformed {keyword} chunk: missing separators")
    raw = fields[2]
    if flag == 1 and method == 0:
        raw = _decompress_bounded(raw)
    elif flag != 0:
        raise InvalidImage(f"{keyword} chunk uses unknown compression {flag}/{method}")
    elif len(raw) > MAX_CREDENTIAL_BYTES:
        raise ImageTooLarge(f"the {keyword} chunk exceeds {MAX_CREDENTIAL_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidImage(f"the {keyword} chunk is not UTF-8") from err
    if not text:
        raise NoCredentialInImage(f"the {keyword} chunk is empty")
    return text


def _ob2_png_text(png: bytes) -> str:
    """The Open Badges 2.0 assertion of a PNG: ``iTXt`` ``openbadges``, else ``tEXt``."""
    keyword = OB2_PNG_KEYWORD.encode("latin-1")
    chunks = _parse_png(png)
    chunk = next((c for c in chunks if _is_credential_chunk(c, keyword)), None)
    if chunk is not None:
        return _itxt_text(chunk, OB2_PNG_KEYWORD)
    # Badges baked before OB 2.0 (and some 2.0 bakers) use tEXt: keyword NUL Latin-1 text.
    for candidate in chunks:
        if candidate.type == b"tEXt" and candidate.data.split(b"\x00", 1)[0] == keyword:
            raw = candidate.data[len(keyword) + 1 :]
            if len(raw) > MAX_CREDENTIAL_BYTES:
                raise ImageTooLarge(f"the openbadges chunk exceeds {MAX_CREDENTIAL_BYTES} bytes")
            if raw:
                return raw.decode("latin-1")
    raise NoCredentialInImage("the PNG has no openbadges chunk")


# --------------------------------------------------------------------------------------------
# SVG
# --------------------------------------------------------------------------------------------

_SVG_NAMESPACE = "http://www.w3.org/2000/svg"
_OB3_CREDENTIAL = f"{OB3_SVG_NAMESPACE} credential"
_OB2_ASSERTION = f"{OB2_SVG_NAMESPACE} assertion"
_PREFIX = "openbadges"
# A compact JWS is three base64url segments; anything else is baked as JSON in CDATA.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
# XML 1.0, "Characters": text outside this set cannot appear in a document, escaped or not.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# The prolog ends where the root element starts: "<" followed by a name-start character.
_ELEMENT_START = re.compile(r"<[A-Za-z_:\u0080-\uffff]")
_DTD_DECLARATION = re.compile(r"<!\s*(?:ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!\s*DOCTYPE", re.IGNORECASE)
_SVG_ROOT = re.compile(r"<(?:[\w.-]+:)?svg[\s>/]")
_SAFE_DOCTYPE = re.compile(
    r"""<!DOCTYPE\s+svg\s+PUBLIC\s+(?P<q1>["'])(?P<public>[^"']*)(?P=q1)"""
    r"""\s+(?P<q2>["'])(?P<system>[^"']*)(?P=q2)\s*>"""
)
# The public identifiers of the W3C SVG DTDs. Illustrator and Inkscape exports, and 1EdTech's
# own baked SVG samples, carry one of these DOCTYPEs without an internal subset. The DTD is
# never fetched (expat does not load external DTDs), so such a DOCTYPE is inert.
_SVG_PUBLIC_IDS = frozenset(
    {
        "-//W3C//DTD SVG 1.0//EN",
        "-//W3C//DTD SVG 1.1//EN",
        "-//W3C//DTD SVG 1.1 Basic//EN",
        "-//W3C//DTD SVG 1.1 Tiny//EN",
    }
)
_SVG_SYSTEM_ID = re.compile(r"https?://www\.w3\.org/[A-Za-z0-9/._-]*\.dtd")
_XML_ENCODING = re.compile(r"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_START_TAG = re.compile(rb"""<([^\s/>]+)(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")
# Comments, PIs and declarations before the root element; drawing tools write a handful.
_MAX_PROLOG_MARKUP = 1000
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xfe\xff", b"\xff\xfe")


def _is_utf16(data: bytes) -> bool:
    # XML 1.0, "Autodetection of Character Encodings": a BOM, or "<" as a 16-bit unit.
    return data.startswith(_UTF16_BOMS) or data[:2] in (b"<\x00", b"\x00<")


def _sniff_text(data: bytes) -> str:
    """Decode enough of the document to look at its prolog, whatever its encoding."""
    if _is_utf16(data):
        big_endian = data[:1] in (b"\xfe", b"\x00")
        return data.decode("utf-16-be" if big_endian else "utf-16-le", "replace")
    # Latin-1 never fails and keeps every ASCII byte in place, which is all the prolog needs.
    return data.removeprefix(_UTF8_BOM).decode("latin-1")


def _split_at_root(text: str) -> tuple[str, str]:
    """Split a document at its root element, dropping the comments and PIs before it.

    Comments and processing instructions may hold anything, including "<a" or "<!DOCTYPE",
    so they are skipped; what is left before the first element is the DOCTYPE, if any. The
    scan is linear and bounded (a regular expression over the whole document would backtrack
    on many unterminated "<!--"). Where the text stops being a possible prolog, the rest is
    left to the parser, which rejects it.

    Raises:
        InvalidImage: More markup before the root element than any drawing tool writes.
    """
    prolog: list[str] = []
    position = 0
    for _ in range(_MAX_PROLOG_MARKUP):
        start = text.find("<", position)
        if start < 0:
            break
        prolog.append(text[position:start])
        if _ELEMENT_START.match(text, start):
            return "".join(prolog), text[start:]
        for opener, closer in (("<!--", "-->"), ("<?", "?>")):
            if text.startswith(opener, start):
                end = text.find(closer, start + len(opener))
                if end < 0:  # unterminated: nothing after it is markup
                    return "".join(prolog), ""
                position = end + len(closer)
                break
        else:
            if not text.startswith("<!", start):  # not XML; the parser will say so
                return "".join(prolog), ""
            prolog.append("<!")
            position = start + 2
    else:
        raise InvalidImage("the SVG has too much markup before its root element")
    prolog.append(text[position:])
    return "".join(prolog), ""


def is_svg(data: bytes) -> bool:
    """Tell whether the bytes look like an SVG document (a cheap sniff, not a parse).

    Args:
        data: Any bytes.

    Returns:
        ``True`` if ``data`` starts like XML and its root element is named ``svg``.
    """
    text = _sniff_text(data[:65536]).lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return False
    try:
        _, root = _split_at_root(text)
    except InvalidImage:
        return False
    return _SVG_ROOT.match(root) is not None


def _refuse_unsafe_prolog(data: bytes) -> None:
    """Refuse entity and DTD declarations before any XML parser sees the document."""
    prolog, _ = _split_at_root(_sniff_text(data))
    if _DTD_DECLARATION.search(prolog):
        raise UnsafeXml("the SVG declares entities or DTD markup; it is refused unparsed")
    doctypes = _DOCTYPE.findall(prolog)
    if not doctypes:
        return
    match = _SAFE_DOCTYPE.search(prolog)
    if (
        len(doctypes) > 1
        or match is None
        or match.group("public") not in _SVG_PUBLIC_IDS
        or not _SVG_SYSTEM_ID.fullmatch(match.group("system"))
    ):
        raise UnsafeXml("the SVG has a DOCTYPE other than the standard W3C SVG one")


@dataclass
class _SvgScan:
    """What one pass of expat over an SVG found."""

    root_name: str = ""
    root_start: int = -1
    root_name_end: int = -1
    root_tag_end: int = -1
    root_prefixes: dict[str, str] = field(default_factory=dict)
    pending_prefixes: dict[str, str] = field(default_factory=dict)
    depth: int = 0
    credential_depth: int = 0
    credential_open: int = -1
    credential_spans: list[tuple[int, int]] = field(default_factory=list)
    credential_verify: str | None = None
    credential_text: list[str] | None = None
    first_done: bool = False


def _start_tag(data: bytes, start: int) -> re.Match[bytes]:
    match = _START_TAG.match(data, start)
    if match is None:  # pragma: no cover - expat has just accepted this tag as well-formed
        raise InvalidImage(f"cannot delimit the start tag at byte {start}")
    return match


def _parse_svg(data: bytes, *, locate: bool, element: str = _OB3_CREDENTIAL) -> _SvgScan:
    """Parse the SVG with expat (no DTD, no entities) and record what baking needs.

    Callers check the size and run :func:`_refuse_unsafe_prolog` first. With ``locate``,
    also record the byte offsets of the root start tag and of every OB 3.0 credential
    element; the offsets are only meaningful for UTF-8 (or ASCII) input. ``element`` is the
    expanded name looked for (the OB 2.0 ``assertion`` element when reading older badges).
    """
    scan = _SvgScan()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True

    def refuse_doctype(
        name: str, system_id: str | None, public_id: str | None, has_internal_subset: int
    ) -> None:
        # Second line of defence behind _refuse_unsafe_prolog, should that scan ever misread
        # a prolog: expat reports the DOCTYPE before it reads any internal subset.
        if has_internal_subset or name != "svg" or public_id not in _SVG_PUBLIC_IDS:
            raise UnsafeXml("the SVG has a DOCTYPE other than the standard W3C SVG one")

    def refuse_entity(*_: object) -> None:
        # Entities can only be declared in an internal subset, refused above; what reaches
        # here is a reference to an entity the (unread) external DTD might define.
        raise UnsafeXml("the SVG declares or references entities; it is refused")

    def start_namespace(prefix: str | None, uri: str) -> None:
        scan.pending_prefixes[prefix or ""] = uri

    def start_element(name: str, attributes: dict[str, str]) -> None:
        position = parser.CurrentByteIndex
        scan.depth += 1
        if scan.depth == 1:
            scan.root_name = name
            scan.root_prefixes = dict(scan.pending_prefixes)
        scan.pending_prefixes.clear()
        if locate and scan.depth == 1:
            tag = _start_tag(data, position)
            scan.root_start = position
            scan.root_name_end = tag.end(1)
            scan.root_tag_end = tag.end()
        if scan.credential_depth:
            scan.credential_depth += 1
        elif name == element:
            scan.credential_depth = 1
            scan.credential_open = position
            if locate:
                tag_end = _start_tag(data, position).end()
                if data[tag_end - 2 : tag_end] == b"/>":
                    scan.credential_spans.append((position, tag_end))
            if not scan.first_done:
                scan.credential_verify = attributes.get("verify")
                scan.credential_text = []

    def end_element(name: str) -> None:
        scan.depth -= 1
        if not scan.credential_depth:
            return
        scan.credential_depth -= 1
        if scan.credential_depth:
            return
        if locate and (
            not scan.credential_spans or scan.credential_spans[-1][0] != scan.credential_open
        ):
            position = parser.CurrentByteIndex
            scan.credential_spans.append((scan.credential_open, data.index(b">", position) + 1))
        scan.first_done = True

    def character_data(text: str) -> None:
        if scan.credential_depth and not scan.first_done and scan.credential_text is not None:
            scan.credential_text.append(text)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.SkippedEntityHandler = refuse_entity
    parser.StartNamespaceDeclHandler = start_namespace
    parser.StartElementHandler = start_element
    parser.EndElementHandler = end_element
    parser.CharacterDataHandler = character_data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as err:
        raise InvalidImage(f"the SVG is not well-formed XML: {err}") from err
    except (LookupError, ValueError) as err:
        if isinstance(err, BakingError):
            raise
        raise InvalidImage(f"the SVG cannot be decoded: {err}") from err
    if scan.root_name not in (f"{_SVG_NAMESPACE} svg", "svg"):
        raise InvalidImage(f"the root element is not an SVG <svg> but {scan.root_name!r}")
    return scan


def extract_from_svg(svg: bytes) -> str:
    """Extract the credential baked into an SVG.

    Implements OB 3.0, Baked badge, SVG, extraction: the first ``credential`` element in the
    namespace ``https://purl.imsglobal.org/ob/v3p0``; its ``verify`` attribute (a compact JWS)
    if present, else its text content (the JSON, usually in CDATA). The text is returned
    exactly as parsed, so whitespace around the JSON, as in 1EdTech's samples, is kept.

    A DOCTYPE is accepted only if it is the standard W3C SVG one without an internal subset
    (as exported by drawing tools and used in 1EdTech's samples); any other DOCTYPE and any
    entity declaration are refused before parsing.

    Args:
        svg: A baked SVG document.

    Returns:
        The credential text.

    Raises:
        UnsafeXml: The document declares entities, an internal DTD subset or an unknown
            DOCTYPE (XXE, billion laughs).
        InvalidImage: The bytes are not well-formed XML or the root is not ``<svg>``.
        ImageTooLarge: The document exceeds :data:`MAX_IMAGE_BYTES`.
        NoCredentialInImage: No OB 3.0 credential element, or an empty one.
    """
    _check_image_size(svg)
    _refuse_unsafe_prolog(svg)
    scan = _parse_svg(svg, locate=False)
    if scan.credential_text is None:
        raise NoCredentialInImage("the SVG has no <openbadges:credential> element")
    text = scan.credential_verify or "".join(scan.credential_text)
    if not text:
        raise NoCredentialInImage("the SVG's <openbadges:credential> element is empty")
    return text


def _cdata(text: str) -> str:
    """Wrap text in CDATA so that XML parsing returns it unchanged.

    ``]]>`` would end the section early, so it is split across two sections. A carriage
    return would be normalised to a line feed by the parser (XML 1.0, "End-of-Line Handling"),
    so it is written as the character reference ``&#13;`` between sections.
    """
    sections = (
        f"<![CDATA[{part.replace(']]>', ']]]]><![CDATA[>')}]]>" if part else ""
        for part in text.split("\r")
    )
    return "&#13;".join(sections)


def _credential_element(credential: str, *, declare_namespace: bool) -> bytes:
    namespace = f' xmlns:{_PREFIX}="{OB3_SVG_NAMESPACE}"' if declare_namespace else ""
    if _COMPACT_JWS.fullmatch(credential):
        # OB 3.0, Baked badge, SVG: a VC-JWT goes in the verify attribute; the element may be
        # empty. The base64url alphabet needs no attribute escaping.
        element = f'<{_PREFIX}:credential{namespace} verify="{credential}"/>'
    else:
        # OB 3.0, Baked badge, SVG: an embedded-proof credential goes in the body as CDATA.
        body = _cdata(credential)
        element = f"<{_PREFIX}:credential{namespace}>{body}</{_PREFIX}:credential>"
    return element.encode("utf-8")


def bake_svg(svg: bytes, credential: str) -> bytes:
    """Bake the credential into an SVG.

    Implements OB 3.0, Baked badge, SVG: declares ``xmlns:openbadges`` on the root ``<svg>``
    and inserts ``<openbadges:credential>`` directly after its start tag, with a compact JWS in
    the ``verify`` attribute or JSON text in a CDATA body. Existing OB 3.0 credential elements
    are removed, so baking twice leaves exactly one. The rest of the document is kept byte for
    byte. If the root already binds the prefix ``openbadges`` to another namespace (an OB 2.0
    badge), the OB 3.0 namespace is declared on the new element instead.

    Args:
        svg: The badge image, UTF-8 encoded (the XML default).
        credential: A compact JWS (VC-JWT) or the credential's JSON text.

    Returns:
        The baked SVG.

    Raises:
        UnsafeXml: The document declares entities or an unknown DOCTYPE.
        InvalidImage: Not well-formed XML, the root is not ``<svg>``, or the document
            declares an encoding other than UTF-8.
        ImageTooLarge: The image or credential exceeds the limits, or the result would.
        BakingError: The credential is empty, or holds characters XML 1.0 cannot carry.
    """
    _encode_credential(credential)
    bad = _NOT_XML_CHAR.search(credential)
    if bad is not None:
        raise BakingError(f"the credential holds U+{ord(bad.group()):04X}, which XML forbids")
    sniffed = _sniff_text(svg[:4096])
    declared = _XML_ENCODING.match(sniffed.lstrip("\ufeff"))
    if _is_utf16(svg) or (
        declared is not None and declared.group(1).lower() not in ("utf-8", "utf8")
    ):
        raise InvalidImage("only UTF-8 SVG documents can be baked")
    _check_image_size(svg)
    _refuse_unsafe_prolog(svg)
    scan = _parse_svg(svg, locate=True)

    bound = scan.root_prefixes.get(_PREFIX)
    declare_on_root = bound is None
    element = _credential_element(
        credential, declare_namespace=bound not in (None, OB3_SVG_NAMESPACE)
    )
    name_end = scan.root_name_end
    tag_end = scan.root_tag_end
    root_attributes = svg[name_end:tag_end]
    if declare_on_root:
        root_attributes = f' xmlns:{_PREFIX}="{OB3_SVG_NAMESPACE}"'.encode() + root_attributes
    closing = b""
    if svg[tag_end - 2 : tag_end] == b"/>":
        # <svg .../> has nowhere to put a child: open it and close it after the credential.
        root_attributes = root_attributes[:-2] + b">"
        closing = b"</" + svg[scan.root_start + 1 : name_end] + b">"

    parts = [svg[:name_end], root_attributes, element, closing]
    position = tag_end
    for start, end in scan.credential_spans:
        parts.append(svg[position:start])
        position = end
    parts.append(svg[position:])
    baked = b"".join(parts)
    _check_image_size(baked)
    return baked


def extract_ob2_assertion(data: bytes) -> str:
    """Extract the Open Badges 2.0 assertion baked into a PNG or SVG.

    Implements OB 2.0, "Baking": a PNG ``iTXt`` chunk with keyword ``openbadges`` (a
    ``tEXt`` chunk in badges baked by older tools); an SVG ``<openbadges:assertion>``
    element in the namespace ``http://openbadges.org``, whose ``verify`` attribute holds
    the assertion URL or a signed assertion (compact JWS), or whose body holds the JSON.
    The text may be JSON, a URL (a hosted assertion) or a compact JWS (a signed one); the
    caller tells them apart. The same limits and XML defences as for OB 3.0 apply.

    Raises:
        InvalidImage: not a well-formed PNG or SVG.
        UnsafeXml: an SVG declares entities or an unknown DOCTYPE.
        ImageTooLarge: the image or the assertion exceeds the limits.
        NoCredentialInImage: no OB 2.0 assertion is baked in the image.
    """
    if is_png(data):
        return _ob2_png_text(data)
    if not is_svg(data):
        raise InvalidImage("the image is neither a PNG nor an SVG")
    _check_image_size(data)
    _refuse_unsafe_prolog(data)
    scan = _parse_svg(data, locate=False, element=_OB2_ASSERTION)
    if scan.credential_text is None:
        raise NoCredentialInImage("the SVG has no <openbadges:assertion> element")
    text = (scan.credential_verify or "".join(scan.credential_text)).strip()
    if not text:
        raise NoCredentialInImage("the SVG's <openbadges:assertion> element is empty")
    return text


def extract_credential(data: bytes) -> str:
    """Extract the baked credential from a PNG or SVG, whichever ``data`` is.

    Args:
        data: A baked image.

    Returns:
        The credential text (a compact JWS or JSON text).

    Raises:
        InvalidImage: ``data`` is neither a PNG nor an SVG, or is malformed.
        UnsafeXml: An SVG declares entities or an unknown DOCTYPE.
        ImageTooLarge: The image exceeds :data:`MAX_IMAGE_BYTES`.
        NoCredentialInImage: The image carries no OB 3.0 credential.
    """
    if is_png(data):
        return extract_from_png(data)
    if is_svg(data):
        return extract_from_svg(data)
    raise InvalidImage("the image is neither a PNG nor an SVG")
