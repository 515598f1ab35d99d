"""Every input form; hostile inputs end in a clear error within bounded time and memory."""

from __future__ import annotations

import json
import struct
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from badges.bake import bake_png, bake_svg
from badges.image import default_badge_png, default_badge_svg
from badges.qr import qr_png
from keys import b64url_encode
from tests.verify.conftest import BASE_URL, NOW, Issuer, LocalServer, World
from verify import CheckStatus, DictFetcher, HttpFetcher, Verdict, verify_credential


@contextmanager
def bounded(seconds: float, megabytes: float) -> Iterator[None]:
    """Fail unless the block uses at most ``seconds`` of CPU time and ``megabytes`` of
    Python memory (CPU time, not wall time, so a busy machine cannot fail it)."""
    tracemalloc.start()
    started = time.process_time()
    try:
        yield
    finally:
        elapsed = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.2f}s of CPU"
    assert peak < megabytes * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb_png(width: int, height: int) -> bytes:
    """A small PNG whose header claims a huge image (the IDAT is a valid zlib prefix)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" * (min(width, 65536) + 1)
    idat = zlib.compress(row * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------------------------------
# Input forms
# ------------------------------------------------------------------------------------------


@pytest.fixture
def issued(world: World, hanbit: Issuer) -> tuple[dict[str, Any], str, DictFetcher]:
    credential, token = world.issue(hanbit)
    world.documents[credential["id"]] = credential
    return credential, token, world.fetcher()


@pytest.mark.parametrize(
    ("make", "form"),
    [
        (lambda c, t: c, "json"),
        (lambda c, t: json.dumps(c, ensure_ascii=False), "json"),
        (lambda c, t: json.dumps(c).encode(), "json"),
        (lambda c, t: b"\xef\xbb\xbf" + json.dumps(c).encode(), "json"),
        (lambda c, t: "\ufeff" + json.dumps(c), "json"),
        (lambda c, t: t, "jwt"),
        (lambda c, t: ("\n" + t + "\n").encode(), "jwt"),
        (lambda c, t: bake_png(default_badge_png("AI"), json.dumps(c, ensure_ascii=False)), "png"),
        (lambda c, t: bake_png(default_badge_png("AI"), t), "png"),
        (lambda c, t: bake_svg(default_badge_svg("AI 기초"), json.dumps(c)), "svg"),
        (lambda c, t: bake_svg(default_badge_svg("AI 기초"), t), "svg"),
        (lambda c, t: c["id"], "url"),
        (lambda c, t: c["id"].encode(), "url"),
        (lambda c, t: qr_png(c["id"]), "qr"),
    ],
    ids=[
        "dict",
        "json-text",
        "json-bytes",
        "json-bytes-with-bom",
        "json-text-with-bom",
        "jwt",
        "jwt-bytes",
        "png-json",
        "png-jwt",
        "svg-json",
        "svg-jwt",
        "url",
        "url-bytes",
        "qr",
    ],
)
def test_every_input_form_verifies(
    issued: tuple[dict[str, Any], str, DictFetcher],
    make: Callable[[dict[str, Any], str], Any],
    form: str,
) -> None:
    """JSON, JWT, baked PNG/SVG (JSON or JWT inside), URL and QR all give a valid report."""
    credential, token, fetcher = issued
    report = verify_credential(make(credential, token), now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert report.check("input").details["form"] in (form, "url" if form == "url" else form)
    assert report.credential is not None
    assert report.credential["id"] == credential["id"]


def test_url_returning_a_jwt_as_text(issued: tuple[dict[str, Any], str, DictFetcher]) -> None:
    """A credential URL may answer with the compact JWS as text/plain."""
    _, token, _ = issued
    fetcher = DictFetcher(
        {**_documents(issued), "https://x.example/c.jwt": token},
        content_types={"https://x.example/c.jwt": "text/plain"},
    )
    report = verify_credential("https://x.example/c.jwt", now=NOW, fetcher=fetcher)
    assert report.verdict is Verdict.VALID
    assert report.check("jwt").status is CheckStatus.PASSED


def _documents(issued: tuple[dict[str, Any], str, DictFetcher]) -> dict[str, bytes]:
    fetcher = issued[2]
    return {url: fetcher.fetch(url, accept="*/*").body for url in fetcher._documents}


@pytest.mark.parametrize(
    ("source", "code", "status", "verdict"),
    [
        # Issue 11: nothing badge-like is "unreadable" (exit 3), not "invalid" (may be forged).
        ("", "empty-input", CheckStatus.FAILED, Verdict.UNREADABLE),
        (b"   ", "empty-input", CheckStatus.FAILED, Verdict.UNREADABLE),
        ("hello", "not-json-or-jwt", CheckStatus.FAILED, Verdict.UNREADABLE),
        ("[1, 2]", "not-an-object", CheckStatus.FAILED, Verdict.UNREADABLE),
        ("{not json", "invalid-json", CheckStatus.FAILED, Verdict.INVALID),
        (
            "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",
            "malformed-jwt",
            CheckStatus.FAILED,
            Verdict.INVALID,
        ),
        (b"\x00\x01binary", "invalid-image", CheckStatus.FAILED, Verdict.UNREADABLE),
        (
            f"{BASE_URL}/credentials/missing",
            "credential-not-found",
            CheckStatus.FAILED,
            Verdict.INVALID,
        ),
        ("https://other.example/c", "credential-not-found", CheckStatus.FAILED, Verdict.INVALID),
    ],
    ids=[
        "empty",
        "blank-bytes",
        "plain-text",
        "json-array",
        "bad-json",
        "jwt-bad-payload",
        "binary",
        "missing-url",
        "unknown-host",
    ],
)
def test_unreadable_inputs(source: Any, code: str, status: CheckStatus, verdict: Verdict) -> None:
    """Inputs that hold no credential fail the input check; everything else is skipped."""
    report = verify_credential(source, now=NOW, fetcher=DictFetcher({}))
    assert (report.check("input").status, report.check("input").code) == (status, code)
    assert report.verdict is verdict
    assert {c.status for c in report.checks[1:]} == {CheckStatus.SKIPPED}
    assert report.credential is None


def test_html_page_is_not_a_credential() -> None:
    """A URL answering with a web page (no content negotiation) is reported as such."""
    fetcher = DictFetcher(
        {"https://x.example/c": "<html></html>"}, content_types={"https://x.example/c": "text/html"}
    )
    report = verify_credential("https://x.example/c", now=NOW, fetcher=fetcher)
    assert report.check("input").code == "not-a-credential"


def test_png_without_credential_or_qr() -> None:
    """A plain PNG has neither a baked credential nor a QR code."""
    report = verify_credential(default_badge_png("AI"), now=NOW, fetcher=DictFetcher({}))
    assert report.check("input").code == "no-credential-in-image"


def test_svg_without_credential() -> None:
    """A plain SVG holds no credential."""
    report = verify_credential(default_badge_svg("AI"), now=NOW, fetcher=DictFetcher({}))
    assert report.check("input").code == "no-credential-in-image"


def test_qr_pointing_nowhere() -> None:
    """A QR code whose URL has no credential behind it says so."""
    report = verify_credential(
        qr_png("https://x.example/" + "a" * 10), now=NOW, fetcher=DictFetcher({})
    )
    assert report.check("input").code == "credential-not-found"


def test_wrong_types_and_clocks_are_programming_errors() -> None:
    """A naive now, negative skew or an unsupported source type raise."""
    from datetime import datetime, timedelta

    with pytest.raises(ValueError, match="timezone"):
        verify_credential("{}", now=datetime(2026, 1, 1), fetcher=DictFetcher({}))
    with pytest.raises(ValueError, match="clock_skew"):
        verify_credential("{}", now=NOW, fetcher=DictFetcher({}), clock_skew=timedelta(-1))
    with pytest.raises(TypeError):
        verify_credential(42, now=NOW, fetcher=DictFetcher({}))  # type: ignore[arg-type]


def test_non_json_mapping() -> None:
    """A mapping holding non-JSON values is not a credential."""
    report = verify_credential({"id": object()}, now=NOW, fetcher=DictFetcher({}))
    assert report.check("input").code == "not-a-credential"


# ------------------------------------------------------------------------------------------
# Hostile inputs
# ------------------------------------------------------------------------------------------


def test_a_50_mb_upload_is_refused_unread() -> None:
    """50 MB of input ends at once in input-too-large, without copying it."""
    upload = b"{" + b" " * (50 * 1024 * 1024) + b"}"
    with bounded(seconds=1, megabytes=5):
        report = verify_credential(upload, now=NOW, fetcher=DictFetcher({}))
    assert report.check("input").code == "input-too-large"
    assert report.verdict is Verdict.INVALID


def test_a_50_mb_string_is_refused() -> None:
    """The same for text."""
    report = verify_credential("x" * (50 * 1024 * 1024), now=NOW, fetcher=DictFetcher({}))
    assert report.check("input").code == "input-too-large"


@pytest.mark.parametrize(
    ("width", "height"),
    [(100_000, 100_000), (7_000, 7_000)],
    ids=["beyond-pillow-limit", "beyond-qr-limit"],
)
def test_png_decompression_bomb(width: int, height: int) -> None:
    """A PNG claiming a huge bitmap is refused from its header, never decoded."""
    with bounded(seconds=2, megabytes=20):
        report = verify_credential(_bomb_png(width, height), now=NOW, fetcher=DictFetcher({}))
    assert report.check("input").code == "image-too-large"


def test_svg_entity_expansion() -> None:
    """A billion-laughs SVG is refused before parsing."""
    entities = "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i else "lol"}">' for i in range(10)
    )
    svg = (
        f'<?xml version="1.0"?><!DOCTYPE svg [{entities}]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>'
    ).encode()
    with bounded(seconds=1, megabytes=5):
        report = verify_credential(svg, now=NOW, fetcher=DictFetcher({}))
    assert report.check("input").code == "unsafe-xml"


@pytest.mark.parametrize(
    "source",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        '{"a":' * 70 + "1" + "}" * 70,
    ],
    ids=["array-bomb", "object-bomb", "just-too-deep"],
)
def test_json_nesting_bomb(source: str) -> None:
    """Deeply nested JSON ends in json-too-deep."""
    with bounded(seconds=1, megabytes=50):
        report = verify_credential(source, now=NOW, fetcher=DictFetcher({}))
    assert report.check("input").code == "json-too-deep"


def test_nested_mapping_bomb() -> None:
    """A deeply nested dict passed directly is refused too."""
    value: dict[str, Any] = {}
    for _ in range(5000):
        value = {"a": value}
    report = verify_credential(value, now=NOW, fetcher=DictFetcher({}))
    assert report.check("input").code == "json-too-deep"


@pytest.mark.parametrize(
    "status_base",
    [
        "http://169.254.169.254/latest/meta-data",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1:{port}",
        "https://10.0.0.1",
    ],
    ids=["metadata-http", "metadata-https", "loopback", "private"],
)
def test_status_list_pointing_at_internal_addresses(
    world: World, local_server: LocalServer, status_base: str
) -> None:
    """A status list URL on an internal address is refused before connecting: unverifiable."""
    issuer = world.did_key_issuer("hanbit")
    base = status_base.format(port=local_server.port)
    document = world.credential(issuer, status_base=lambda purpose: f"{base}/{purpose}")
    credential, _ = world.sign(issuer, document)
    with bounded(seconds=2, megabytes=30):
        report = verify_credential(credential, now=NOW, fetcher=HttpFetcher(timeout=1))
    assert report.verdict is Verdict.UNVERIFIABLE
    assert report.check("proof").status is CheckStatus.PASSED
    assert report.check("status").code == "status-list-unreachable"
    assert report.check("revocation").status is CheckStatus.ERROR
    assert local_server.requests == []


def test_redirect_loop_on_the_credential_url(local_server: LocalServer) -> None:
    """A credential URL that redirects to itself ends in a bounded, clear error."""
    local_server.routes["/credentials/1"] = (302, {"Location": "/credentials/1"}, b"")
    with bounded(seconds=2, megabytes=10):
        report = verify_credential(
            f"{local_server.base}/credentials/1",
            now=NOW,
            fetcher=HttpFetcher(allow_local=True, max_redirects=3),
        )
    assert report.verdict is Verdict.UNVERIFIABLE
    assert report.check("input").code == "credential-unreachable"
    assert "redirects" in report.check("input").details["reason"]


def test_too_many_nested_credentials(world: World, hanbit: Issuer) -> None:
    """A CLR embedding more credentials than the limit is refused, not verified one by one."""
    platform = world.issuer("platform", "플랫폼")
    credential, _ = world.issue(hanbit)
    clr = world.clr(platform, [credential] * 101)
    report = verify_credential(clr, now=NOW, fetcher=world.fetcher())
    assert report.check("embedded-credentials").code == "too-many-nested"
    assert report.verdict is Verdict.INVALID


@pytest.mark.parametrize("depth", [200, 100_000], ids=["past-limit", "recursion-bomb"])
def test_regression_jwt_nesting_bomb(depth: int) -> None:
    """A VC-JWT whose payload nests deeply is invalid input, not a crash.

    The JWT path skipped the JSON depth limit, and 100,000 levels raised RecursionError
    out of verify_credential (a 500 from POST /api/v1/verify).
    """
    header = b64url_encode(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64url_encode(('{"a":' + "[" * depth + "]" * depth + "}").encode())
    report = verify_credential(f"{header}.{body}.AA", now=NOW, fetcher=DictFetcher({}))
    assert report.verdict is Verdict.INVALID
    assert report.check("input").status is CheckStatus.FAILED
