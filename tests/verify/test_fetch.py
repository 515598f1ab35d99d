"""The fetch boundary: HttpFetcher's SSRF rules, limits and redirects; DictFetcher; caching.

Every connection goes to a real server on 127.0.0.1; no other address is ever contacted.
Refused URLs are refused before any connection is attempted.
"""

from __future__ import annotations

import http.server
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.verify.conftest import LocalServer
from verify import (
    CachingFetcher,
    ConnectionFailed,
    DictFetcher,
    DocumentNotFound,
    FetchedDocument,
    FetchTimeout,
    HttpFetcher,
    HttpStatusError,
    NotInTrustStore,
    ResponseTooLarge,
    TooManyRedirects,
    UnsafeUrl,
)

ACCEPT = "application/json"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A bare listening socket on 127.0.0.1 that never accepts on its own."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def _no_connection_arrived(sock: socket.socket) -> bool:
    try:
        connection, _ = sock.accept()
    except BlockingIOError:
        return True
    connection.close()
    return False


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:{port}/status/1",
        "https://localhost:{port}/status/1",
        "https://[::ffff:127.0.0.1]:{port}/status/1",
        "http://127.0.0.1:{port}/status/1",
    ],
    ids=["loopback-ip", "localhost", "ipv4-mapped-ipv6", "plain-http"],
)
def test_loopback_is_refused_before_connecting(listener: socket.socket, url: str) -> None:
    """A loopback URL raises UnsafeUrl and no TCP connection reaches the listener."""
    port = listener.getsockname()[1]
    with pytest.raises(UnsafeUrl):
        HttpFetcher().fetch(url.format(port=port), accept=ACCEPT)
    assert _no_connection_arrived(listener)


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.8/status/1",
        "https://192.168.1.1/",
        "https://172.16.0.1/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://[::1]/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://224.0.0.1/",
        "https://[64:ff9b::a9fe:a9fe]/",
        "https://[2002:7f00:1::]/",
        "https://[64:ff9b:1::a00:1]/",
        "https://[::a00:1]/",
        "https://[::ffff:0:a00:1]/",
        "http://example.org/",
        "ftp://example.org/file",
        "file:///etc/passwd",
        "https://user:secret@example.org/",
        "https:///no-host",
        "https://[not-an-ip/",
        "urn:uuid:6f2e33e5-7a29-4155-840a-59483ba10164",
    ],
)
def test_unsafe_urls_are_refused_before_any_lookup(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Private, link-local, metadata and non-https URLs fail with UnsafeUrl before the
    fetcher resolves a name or opens a socket."""
    network: list[str] = []

    def refuse(name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            network.append(name)
            raise OSError(f"{name} called for an unsafe URL")

        return record

    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    with pytest.raises(UnsafeUrl):
        HttpFetcher(timeout=5).fetch(url, accept=ACCEPT)
    assert network == []


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS is the boundary: a public-looking name that resolves to 10.x is refused."""

    def fake_getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(UnsafeUrl, match=r"non-public address 10\.1\.2\.3"):
        HttpFetcher().fetch("https://badges.evil.example/status/1", accept=ACCEPT)


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every resolved address must be public, not just the first."""

    def fake_getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(UnsafeUrl):
        HttpFetcher().check_url("https://rebind.example/")


def test_unresolvable_name_is_a_connection_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """A DNS failure is reported as ConnectionFailed, not as an unsafe URL."""

    def fake_getaddrinfo(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(ConnectionFailed):
        HttpFetcher().fetch("https://nowhere.example/", accept=ACCEPT)


def test_allow_local_fetches_from_loopback(local_server: LocalServer) -> None:
    """With allow_local, plain HTTP on 127.0.0.1 works, with our Accept header sent."""
    local_server.json("/did.json", {"id": "did:web:x"}, ETag='"v1"')
    document = HttpFetcher(allow_local=True).fetch(
        f"{local_server.base}/did.json", accept="application/did+json"
    )
    assert document.status == 200
    assert document.media_type == "application/json"
    assert document.body == b'{"id": "did:web:x"}'
    assert document.headers["etag"] == '"v1"'
    assert local_server.requests[0][1]["Accept"] == "application/did+json"


def test_allow_local_reaches_https_urls_on_loopback_over_http(local_server: LocalServer) -> None:
    """A did:web on 127.0.0.1 maps to https; in development mode it is fetched over HTTP."""
    local_server.json("/issuers/acme/did.json", {"id": "x"})
    url = f"https://127.0.0.1:{local_server.port}/issuers/acme/did.json"
    document = HttpFetcher(allow_local=True).fetch(url, accept=ACCEPT)
    assert document.body == b'{"id": "x"}'


def test_not_found_and_other_statuses(local_server: LocalServer) -> None:
    """404 raises DocumentNotFound; 500 raises HttpStatusError with the status."""
    local_server.routes["/broken"] = (500, {}, b"oops")
    fetcher = HttpFetcher(allow_local=True)
    with pytest.raises(DocumentNotFound):
        fetcher.fetch(f"{local_server.base}/missing", accept=ACCEPT)
    with pytest.raises(HttpStatusError) as raised:
        fetcher.fetch(f"{local_server.base}/broken", accept=ACCEPT)
    assert raised.value.status == 500


def test_redirects_are_followed_up_to_the_limit(local_server: LocalServer) -> None:
    """Two redirects reach the document; a loop stops after max_redirects."""
    local_server.routes["/a"] = (302, {"Location": "/b"}, b"")
    local_server.routes["/b"] = (301, {"Location": f"{local_server.base}/c"}, b"")
    local_server.json("/c", {"ok": True})
    local_server.routes["/loop"] = (307, {"Location": "/loop"}, b"")
    fetcher = HttpFetcher(allow_local=True, max_redirects=3)
    document = fetcher.fetch(f"{local_server.base}/a", accept=ACCEPT)
    assert document.url.endswith("/c")
    with pytest.raises(TooManyRedirects):
        fetcher.fetch(f"{local_server.base}/loop", accept=ACCEPT)
    assert sum(1 for path, _ in local_server.requests if path == "/loop") == 4


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "http://user:pw@127.0.0.1/", "gopher://127.0.0.1/"],
)
def test_every_redirect_hop_is_checked(local_server: LocalServer, location: str) -> None:
    """A redirect to a refused URL raises UnsafeUrl; nothing is sent to it."""
    local_server.routes["/hop"] = (302, {"Location": location}, b"")
    with pytest.raises(UnsafeUrl):
        HttpFetcher(allow_local=True).fetch(f"{local_server.base}/hop", accept=ACCEPT)
    assert [path for path, _ in local_server.requests] == ["/hop"]


def test_redirect_without_location(local_server: LocalServer) -> None:
    """A redirect with no Location header is an HTTP error."""
    local_server.routes["/nowhere"] = (302, {}, b"")
    with pytest.raises(HttpStatusError):
        HttpFetcher(allow_local=True).fetch(f"{local_server.base}/nowhere", accept=ACCEPT)


def test_announced_oversize_body_is_refused(local_server: LocalServer) -> None:
    """A Content-Length over the cap is refused without reading the body."""
    local_server.routes["/big"] = (200, {"Content-Length": str(10**9)}, b"")
    with pytest.raises(ResponseTooLarge):
        HttpFetcher(allow_local=True, max_bytes=1000).fetch(
            f"{local_server.base}/big", accept=ACCEPT
        )


def test_streamed_oversize_body_is_refused(local_server: LocalServer) -> None:
    """A body without Content-Length is cut off at the cap."""

    def chunked(handler: http.server.BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Connection", "close")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b"x" * 10_000)
        except OSError:
            pass
        handler.close_connection = True
        return 0, {}, b""

    local_server.routes["/stream"] = chunked
    with pytest.raises(ResponseTooLarge):
        HttpFetcher(allow_local=True, max_bytes=50_000).fetch(
            f"{local_server.base}/stream", accept=ACCEPT
        )


def test_compressed_bodies_are_refused(local_server: LocalServer) -> None:
    """We ask for identity encoding; a gzip body is not silently misread."""
    local_server.routes["/gz"] = (200, {"Content-Encoding": "gzip"}, b"\x1f\x8b")
    with pytest.raises(HttpStatusError, match="gzip"):
        HttpFetcher(allow_local=True).fetch(f"{local_server.base}/gz", accept=ACCEPT)


def test_a_dripping_server_hits_the_deadline(local_server: LocalServer) -> None:
    """A server sending one byte at a time cannot hold a fetch past its timeout."""

    def drip(handler: http.server.BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        try:
            for _ in range(1000):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass
        return 0, {}, b""

    local_server.routes["/drip"] = drip
    # The drip lasts 50 s, so only a deadline on the whole fetch (not per read) ends it
    # with FetchTimeout; a per-read timeout would return the document.
    with pytest.raises(FetchTimeout):
        HttpFetcher(allow_local=True, timeout=0.5).fetch(f"{local_server.base}/drip", accept=ACCEPT)


def test_a_closed_port_is_a_connection_failure(listener: socket.socket) -> None:
    """Nothing listening: ConnectionFailed."""
    port = listener.getsockname()[1]
    listener.close()
    with pytest.raises(ConnectionFailed):
        HttpFetcher(allow_local=True).fetch(f"http://127.0.0.1:{port}/", accept=ACCEPT)


def test_dict_fetcher_serves_and_misses() -> None:
    """DictFetcher serves JSON, text and bytes; misses are 404s, or NotInTrustStore offline."""
    fetcher = DictFetcher(
        {
            "https://a.example/x": {"k": "값"},
            "https://a.example/t": "a.b.c",
            "https://b/p": b"\x89PNG",
        }
    )
    assert fetcher.fetch("https://a.example/x#frag", accept=ACCEPT).media_type == "application/json"
    assert fetcher.fetch("https://a.example/t", accept=ACCEPT).media_type == "application/vc+jwt"
    assert fetcher.fetch("https://b/p", accept=ACCEPT).media_type == "image/png"
    assert "https://a.example/x#key-1" in fetcher
    with pytest.raises(DocumentNotFound):
        fetcher.fetch("https://a.example/missing", accept=ACCEPT)
    with pytest.raises(NotInTrustStore):
        DictFetcher({}, offline=True).fetch("https://a.example/missing", accept=ACCEPT)


def test_dict_fetcher_reports_capture_times() -> None:
    """Documents from stored data carry their capture time."""
    captured = datetime(2026, 1, 1, tzinfo=UTC)
    fetcher = DictFetcher({"https://a/x": "{}"}, captured_at={"https://a/x": captured})
    assert fetcher.fetch("https://a/x", accept=ACCEPT).captured_at == captured


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_cache_honours_max_age_and_revalidates_with_etag(local_server: LocalServer) -> None:
    """Fresh responses are reused; stale ones are revalidated with If-None-Match (304)."""

    def versioned(handler: http.server.BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if handler.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"', "Cache-Control": "max-age=60"}, b""
        return 200, {"ETag": '"v1"', "Cache-Control": "max-age=60"}, b'{"list": 1}'

    local_server.routes["/status/1"] = versioned
    clock = _Clock()
    fetcher = CachingFetcher(HttpFetcher(allow_local=True), clock=clock)
    url = f"{local_server.base}/status/1"
    first = fetcher.fetch(url, accept=ACCEPT)
    clock.now += timedelta(seconds=30)
    assert fetcher.fetch(url, accept=ACCEPT) is first
    assert len(local_server.requests) == 1
    clock.now += timedelta(seconds=60)
    again = fetcher.fetch(url, accept=ACCEPT)
    assert again.body == b'{"list": 1}'
    assert local_server.requests[-1][1]["If-None-Match"] == '"v1"'
    assert len(local_server.requests) == 2


def test_cache_does_not_store_no_store(local_server: LocalServer) -> None:
    """Cache-Control: no-store responses are fetched every time."""
    local_server.routes["/x"] = (200, {"Cache-Control": "no-store"}, b"{}")
    fetcher = CachingFetcher(HttpFetcher(allow_local=True), clock=_Clock())
    fetcher.fetch(f"{local_server.base}/x", accept=ACCEPT)
    fetcher.fetch(f"{local_server.base}/x", accept=ACCEPT)
    assert len(local_server.requests) == 2


class _CountingFetcher:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers
        self.calls = 0

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        self.calls += 1
        return FetchedDocument(url, 200, "application/json", b"{}", self.headers)


@pytest.mark.parametrize(
    ("headers", "advance", "calls"),
    [
        ({"cache-control": "max-age=100", "age": "90"}, 20, 2),
        ({"cache-control": "max-age=100", "age": "90"}, 5, 1),
        ({"cache-control": "no-cache", "etag": '"x"'}, 0, 2),
        ({"expires": "Mon, 02 Mar 2026 00:10:00 GMT"}, 300, 1),
        ({"expires": "Mon, 02 Mar 2026 00:10:00 GMT"}, 900, 2),
        ({"expires": "not a date"}, 0, 2),
        ({}, 0, 2),
    ],
    ids=[
        "age-spent",
        "age-fresh",
        "no-cache",
        "expires-fresh",
        "expires-stale",
        "bad-expires",
        "none",
    ],
)
def test_cache_freshness_rules(headers: dict[str, str], advance: int, calls: int) -> None:
    """max-age minus Age, Expires, and no-cache decide whether a second fetch goes out."""
    inner = _CountingFetcher(headers)
    clock = _Clock()
    fetcher = CachingFetcher(inner, clock=clock)
    fetcher.fetch("https://a/x", accept=ACCEPT)
    clock.now += timedelta(seconds=advance)
    fetcher.fetch("https://a/x", accept=ACCEPT)
    assert inner.calls == calls


def test_cache_evicts_least_recently_used() -> None:
    """Beyond max_entries, the oldest entry goes."""
    inner = _CountingFetcher({"cache-control": "max-age=600"})
    fetcher = CachingFetcher(inner, clock=_Clock(), max_entries=2)
    for url in ("https://a/1", "https://a/2", "https://a/3", "https://a/1"):
        fetcher.fetch(url, accept=ACCEPT)
    assert inner.calls == 4


def test_repr_shows_the_policy() -> None:
    """The fetcher's repr names its limits (handy in logs)."""
    assert "allow_local=False" in repr(HttpFetcher())


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/status/1",
        "http://10.0.0.1/",
        "https://192.168.1.1/",
        "https://[fd00::1]/",
        "https://[fe80::1]/",
        "https://[::ffff:10.0.0.1]/",
        "https://[2002:7f00:1::]/",
    ],
)
def test_regression_allow_local_means_loopback_only(url: str) -> None:
    """With allow_local, private and link-local addresses are still refused before connecting."""
    # Issue 9: --allow-local let the verifier reach 169.254.169.254 and 10.0.0.1, not just
    # loopback as documented.
    with pytest.raises(UnsafeUrl, match="loopback"):
        HttpFetcher(allow_local=True, timeout=5).check_url(url)
    with pytest.raises(UnsafeUrl):
        HttpFetcher(allow_local=True, timeout=5).fetch(url, accept=ACCEPT)


def test_allow_local_refuses_plain_http_to_public_addresses() -> None:
    """Plain http stays loopback-only: with allow_local, http to a public address is refused."""
    with pytest.raises(UnsafeUrl, match="loopback"):
        HttpFetcher(allow_local=True).check_url("http://93.184.216.34/")


def test_allow_local_refuses_names_resolving_to_private_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name resolving to 10.x is refused with allow_local too; localhost is allowed."""

    def fake_getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        address = "127.0.0.1" if host == "localhost" else "10.1.2.3"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    fetcher = HttpFetcher(allow_local=True)
    with pytest.raises(UnsafeUrl, match=r"10\.1\.2\.3"):
        fetcher.check_url("https://intranet.example/status/1")
    fetcher.check_url("http://localhost:5000/status/1")


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "https://192.168.0.10/did.json",
        "http://[fd00::1]/",
    ],
)
def test_regression_allow_local_redirects_to_private_addresses_are_refused(
    local_server: LocalServer, location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loopback server redirecting to a private address gets UnsafeUrl; nothing is sent there."""
    # Issue 9: the redirect hop was followed because allow_local accepted any non-public
    # address. The refused hop raises before any connection, so no traffic leaves loopback.
    attempted: list[str] = []
    real_create_connection = socket.create_connection

    def loopback_only(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        # The network boundary: this test may only ever reach 127.0.0.1.
        attempted.append(address[0])
        if address[0] != "127.0.0.1":
            raise OSError("the test network reaches loopback only")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", loopback_only)
    local_server.routes["/hop"] = (302, {"Location": location}, b"")
    with pytest.raises(UnsafeUrl, match="non-public address"):
        HttpFetcher(allow_local=True).fetch(f"{local_server.base}/hop", accept=ACCEPT)
    assert [path for path, _ in local_server.requests] == ["/hop"]
    assert attempted == ["127.0.0.1"]
