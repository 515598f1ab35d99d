"""Fetchers: the only way the verifier reaches the network.

Checks never open sockets; they ask a :class:`Fetcher`. Three real implementations:

- :class:`HttpFetcher`, the default: HTTPS only, every hop's address checked before
  connecting (no private, loopback, link-local or otherwise non-public address), a
  redirect limit, a response-size cap and an overall deadline per fetch.
- :class:`DictFetcher`: documents held in memory. Tests use it as the network boundary and
  offline mode uses it for the documents of a trust file.
- :class:`CachingFetcher`: wraps another fetcher and keeps responses as long as their
  ``Cache-Control`` allows, revalidating with ``ETag`` when the inner fetcher can.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urljoin, urlsplit

from verify.errors import (
    ConnectionFailed,
    DocumentGone,
    DocumentNotFound,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    NotInTrustStore,
    ResponseTooLarge,
    TooManyRedirects,
    UnsafeUrl,
)

USER_AGENT = "baeji-verify/0.1"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_NOT_FOUND_STATUSES = frozenset({404, 410})
_READ_CHUNK = 16 * 1024


@dataclass(frozen=True)
class FetchedDocument:
    """A fetched response.

    ``captured_at`` is set when the document comes from stored data (a trust file) rather
    than a live fetch, so a report can say how old it is.
    """

    url: str
    status: int
    content_type: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    captured_at: datetime | None = None

    @property
    def media_type(self) -> str:
        """The content type without parameters, lower-cased (``application/json``)."""
        return self.content_type.split(";", 1)[0].strip().lower()


class Fetcher(Protocol):
    """Fetches one document by URL; the verifier's only access to the network."""

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        """Return the document at ``url``.

        Raises:
            FetchError: a subclass naming why it could not be fetched.
        """
        ...


@runtime_checkable
class RevalidatingFetcher(Protocol):
    """A fetcher that can make a conditional request (``If-None-Match``)."""

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        """Return the document at ``url`` (see :class:`Fetcher`)."""
        ...

    def revalidate(self, url: str, *, accept: str, etag: str) -> FetchedDocument:
        """Fetch ``url`` unless it still has ``etag``; then return a 304 with an empty body."""
        ...


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Ranges Python 3.11 still calls global although they reach local networks: local-use
# NAT64 (RFC 8215), IPv4-compatible and IPv4-translated addresses (RFC 4291, RFC 2765).
_NOT_GLOBAL = (
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
)


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address are judged by that address.
        embedded = address.ipv4_mapped or address.sixtofour
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not _is_public(embedded):
            return False
        if any(address in network for network in _NOT_GLOBAL):
            return False
    return address.is_global and not address.is_multicast


def _is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is this machine's loopback (127.0.0.0/8, ::1, or ::ffff:127.x)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _is_local_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


@dataclass(frozen=True)
class PinnedUrl:
    """A URL that passed the SSRF guard, with the one address to connect to.

    ``scheme`` is what to speak (``http`` for a loopback development server even when the
    URL says ``https``, see :class:`HttpFetcher`), ``host`` the name for the ``Host`` header
    and TLS, ``address`` the checked address (connect there, never resolve ``host`` again).
    """

    scheme: str
    host: str
    port: int
    path: str
    address: str


_Target = PinnedUrl


class HttpFetcher:
    """Fetch documents over HTTPS with SSRF protection, a size cap, a redirect limit and a deadline.

    Every hop is checked before a connection is made: the scheme must be ``https``, the URL
    must carry no user name or password, and every address the host name resolves to must
    be public. The connection then goes to the checked address (so a second DNS answer
    cannot swap it), with TLS verified against the host name.

    ``allow_local=True`` is for development and tests only: it permits loopback addresses
    (127.0.0.0/8, ``::1``, ``localhost``), plain ``http`` to them, and reaches ``https`` URLs
    on loopback over plain HTTP (a development server has no certificate), so
    ``did:web:127.0.0.1%3A5000:...`` resolves. Private, link-local and every other non-public
    address stay refused even then (a redirect to ``169.254.169.254`` or ``10.0.0.1`` is
    never followed), and plain ``http`` to anything but loopback too.

    Args:
        allow_local: see above.
        timeout: seconds for a whole fetch, redirects included.
        max_bytes: the largest response body accepted.
        max_redirects: how many redirects to follow.
    """

    def __init__(
        self,
        *,
        allow_local: bool = False,
        timeout: float = 5.0,
        max_bytes: int = 2 * 1024 * 1024,
        max_redirects: int = 3,
    ) -> None:
        self.allow_local = allow_local
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects

    def __repr__(self) -> str:
        return (
            f"HttpFetcher(allow_local={self.allow_local}, timeout={self.timeout}, "
            f"max_bytes={self.max_bytes}, max_redirects={self.max_redirects})"
        )

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        """Fetch ``url`` with ``Accept: accept``, following redirects.

        Raises:
            UnsafeUrl: a hop's scheme or address is refused (nothing was sent to it).
            DocumentNotFound: 404 or 410.
            HttpStatusError: any other non-success status.
            TooManyRedirects: more than ``max_redirects`` redirects.
            ResponseTooLarge: the body exceeds ``max_bytes``.
            FetchTimeout: the deadline passed.
            ConnectionFailed: DNS, TCP or TLS failure.
        """
        return self._get(url, accept=accept, headers={})

    def revalidate(self, url: str, *, accept: str, etag: str) -> FetchedDocument:
        """Fetch ``url`` conditionally; a 304 comes back as a document with status 304."""
        return self._get(url, accept=accept, headers={"If-None-Match": etag})

    def check_url(self, url: str) -> None:
        """Check ``url`` as :meth:`fetch` would, without connecting.

        Raises:
            UnsafeUrl: the URL would be refused.
            ConnectionFailed: its host name does not resolve.
        """
        self._target(url)

    def pin(self, url: str) -> PinnedUrl:
        """Check ``url`` as :meth:`fetch` would and return the address to connect to.

        For callers that send through their own client (webhook deliveries): connect to
        ``address`` only, with ``host`` as the ``Host`` header and TLS server name, so a
        second DNS answer cannot move the request to a private address.

        Raises:
            UnsafeUrl: the URL would be refused.
            ConnectionFailed: its host name does not resolve.
        """
        return self._target(url)

    def _get(self, url: str, *, accept: str, headers: Mapping[str, str]) -> FetchedDocument:
        deadline = time.monotonic() + self.timeout
        current = url
        for _hop in range(self.max_redirects + 1):
            target = self._target(current)
            status, response_headers, body = self._exchange(target, accept, headers, deadline)
            if status in _REDIRECT_STATUSES:
                location = response_headers.get("location")
                if not location:
                    raise HttpStatusError(
                        f"redirect without a Location from {current}", url=current, status=status
                    )
                current = urljoin(current, location)
                continue
            if status == 410:
                raise DocumentGone(f"{current} answered 410 Gone", url=current)
            if status in _NOT_FOUND_STATUSES:
                raise DocumentNotFound(f"{current} answered {status}", url=current)
            if status == 304 and "If-None-Match" in headers:
                return FetchedDocument(current, 304, "", b"", response_headers)
            if not 200 <= status < 300:
                raise HttpStatusError(f"{current} answered {status}", url=current, status=status)
            return FetchedDocument(
                current,
                status,
                response_headers.get("content-type", ""),
                body,
                response_headers,
            )
        raise TooManyRedirects(
            f"more than {self.max_redirects} redirects starting at {url}", url=url
        )

    def _target(self, url: str) -> _Target:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as err:
            raise UnsafeUrl(f"malformed URL {url!r}", url=url) from err
        scheme = parts.scheme.lower()
        host = parts.hostname
        if scheme not in ("https", "http") or not host:
            raise UnsafeUrl(f"only https URLs are fetched, not {url!r}", url=url)
        if parts.username is not None or parts.password is not None:
            raise UnsafeUrl("URLs with a user name or password are refused", url=url)
        if scheme == "http" and not self.allow_local:
            raise UnsafeUrl(f"plain http is refused: {url}", url=url)
        address = self._resolve(host, port or (443 if scheme == "https" else 80), url)
        if scheme == "http" and not _is_loopback(ipaddress.ip_address(address)):
            raise UnsafeUrl(f"plain http is allowed to loopback addresses only: {url}", url=url)
        if scheme == "https" and self.allow_local and not _is_public(ipaddress.ip_address(address)):
            # Development mode: local servers speak plain HTTP (see the class docstring).
            scheme = "http"
        if port is None:
            port = 443 if scheme == "https" else 80
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return _Target(scheme, host, port, path, address)

    def _resolve(self, host: str, port: int, url: str) -> str:
        try:
            literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(
                host
            )
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [literal]
        else:
            if _is_local_name(host) and not self.allow_local:
                raise UnsafeUrl(f"local host names are refused: {host}", url=url)
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as err:
                raise ConnectionFailed(f"cannot resolve {host}: {err}", url=url) from err
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
            if not addresses:
                raise ConnectionFailed(f"{host} has no address", url=url)
        # Every address must be public (or, with allow_local, loopback), not just the first:
        # a host name that also resolves to a private address is refused outright. For a
        # plain http URL, _target further requires loopback.
        for address in addresses:
            if _is_public(address):
                continue
            if self.allow_local and _is_loopback(address):
                continue
            hint = " (allow_local permits loopback only)" if self.allow_local else ""
            raise UnsafeUrl(f"{host} resolves to the non-public address {address}{hint}", url=url)
        return str(addresses[0])

    def _exchange(
        self,
        target: _Target,
        accept: str,
        headers: Mapping[str, str],
        deadline: float,
    ) -> tuple[int, dict[str, str], bytes]:
        url = f"{target.scheme}://{target.host}:{target.port}{target.path}"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchTimeout(f"timed out fetching {url}", url=url)
        try:
            raw = socket.create_connection((target.address, target.port), timeout=remaining)
        except TimeoutError as err:
            raise FetchTimeout(f"timed out connecting to {url}", url=url) from err
        except OSError as err:
            raise ConnectionFailed(f"cannot connect to {url}: {err}", url=url) from err
        sock: socket.socket = raw
        # A watchdog closes the socket at the deadline, so a server that drips bytes
        # (headers included) cannot hold a fetch past it.
        expired = threading.Event()

        def _expire() -> None:
            expired.set()
            with contextlib.suppress(OSError):
                raw.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(remaining, _expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            if target.scheme == "https":
                context = ssl.create_default_context()
                sock = context.wrap_socket(raw, server_hostname=target.host)
            connection = http.client.HTTPConnection(target.host, target.port)
            connection.sock = sock
            request_headers = {
                "Accept": accept,
                "Accept-Encoding": "identity",
                "User-Agent": USER_AGENT,
                **headers,
            }
            connection.request("GET", target.path, headers=request_headers)
            response = connection.getresponse()
            response_headers = {k.lower(): v for k, v in response.getheaders()}
            body = self._read_body(response, response_headers, url)
            if expired.is_set():
                raise FetchTimeout(f"timed out fetching {url}", url=url)
            return response.status, response_headers, body
        except FetchError as err:
            if expired.is_set() and not isinstance(err, FetchTimeout):
                raise FetchTimeout(f"timed out fetching {url}", url=url) from err
            raise
        except (TimeoutError, ssl.SSLError, OSError, http.client.HTTPException) as err:
            if expired.is_set() or isinstance(err, TimeoutError):
                raise FetchTimeout(f"timed out fetching {url}", url=url) from err
            raise ConnectionFailed(f"fetching {url} failed: {err}", url=url) from err
        finally:
            watchdog.cancel()
            sock.close()
            raw.close()

    def _read_body(
        self, response: http.client.HTTPResponse, headers: Mapping[str, str], url: str
    ) -> bytes:
        if response.status in _REDIRECT_STATUSES or response.status == 304:
            return b""
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise HttpStatusError(
                f"{url} sent a {encoding!r} body although identity was asked for",
                url=url,
                status=response.status,
            )
        length = headers.get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
            raise ResponseTooLarge(
                f"{url} announces {length} bytes; the limit is {self.max_bytes}", url=url
            )
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read1(_READ_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise ResponseTooLarge(f"{url} is larger than {self.max_bytes} bytes", url=url)
            chunks.append(chunk)
        if length is not None and length.strip().isdigit() and size < int(length):
            raise ConnectionFailed(f"{url} sent {size} of {length} bytes", url=url)
        return b"".join(chunks)


def _guess_content_type(body: bytes) -> str:
    head = body.lstrip()[:1]
    if head in (b"{", b"["):
        return "application/json"
    if re.fullmatch(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", body.strip()):
        return "application/vc+jwt"
    if body.startswith(b"\x89PNG"):
        return "image/png"
    if head == b"<":
        return "image/svg+xml"
    return "application/octet-stream"


def _as_bytes(value: bytes | str | Mapping[str, Any]) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


class DictFetcher:
    """Serve documents from memory, keyed by URL (a URL's fragment is ignored).

    The network replacement in tests and the store behind offline trust files. A missing
    URL raises :class:`DocumentNotFound` (what a 404 would), or :class:`NotInTrustStore`
    with ``offline=True``.

    Args:
        documents: URL to body; a mapping is served as JSON, text as UTF-8.
        captured_at: when each document was captured (offline data), by URL.
        content_types: content type by URL; guessed from the body otherwise.
        offline: raise :class:`NotInTrustStore` for unknown URLs.
    """

    def __init__(
        self,
        documents: Mapping[str, bytes | str | Mapping[str, Any]],
        *,
        captured_at: Mapping[str, datetime] | None = None,
        content_types: Mapping[str, str] | None = None,
        offline: bool = False,
    ) -> None:
        self._documents = {url: _as_bytes(body) for url, body in documents.items()}
        self._captured_at = dict(captured_at or {})
        self._content_types = dict(content_types or {})
        self._offline = offline
        self.requests: list[str] = []

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and url.split("#", 1)[0] in self._documents

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        """Return the stored document for ``url``.

        Raises:
            DocumentNotFound: no document is stored under ``url`` (``NotInTrustStore``
                when offline).
        """
        self.requests.append(url)
        key = url.split("#", 1)[0]
        body = self._documents.get(key)
        if body is None:
            if self._offline:
                raise NotInTrustStore(f"{key} is not in the trust file", url=key)
            raise DocumentNotFound(f"no document at {key}", url=key)
        content_type = self._content_types.get(key) or _guess_content_type(body)
        return FetchedDocument(
            key,
            200,
            content_type,
            body,
            {"content-type": content_type},
            self._captured_at.get(key),
        )


@dataclass
class _CacheEntry:
    document: FetchedDocument
    fresh_until: datetime
    etag: str | None


def _cache_directives(headers: Mapping[str, str]) -> dict[str, str | None]:
    directives: dict[str, str | None] = {}
    for part in headers.get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            directives[name.lower()] = value.strip('"') if value else None
    return directives


def _freshness(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """Return how long a response stays fresh, or ``None`` when it must not be stored."""
    directives = _cache_directives(headers)
    if "no-store" in directives:
        return None
    if "no-cache" in directives:
        return timedelta(0)
    max_age = directives.get("max-age")
    if max_age is not None and max_age.isdigit():
        age = headers.get("age", "0")
        spent = int(age) if age.isdigit() else 0
        return max(timedelta(0), timedelta(seconds=int(max_age) - spent))
    expires = headers.get("expires")
    if expires:
        try:
            moment = email.utils.parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return timedelta(0)
        if moment.tzinfo is None:
            return timedelta(0)
        return max(timedelta(0), moment - now)
    return timedelta(0)


class CachingFetcher:
    """Keep fetched documents while ``Cache-Control`` says they are fresh; revalidate by ETag.

    Responses with ``no-store`` are never kept. Stale entries with an ``ETag`` are
    revalidated with ``If-None-Match`` when the inner fetcher supports it
    (:class:`RevalidatingFetcher`); a 304 refreshes the entry. Failures are not cached.

    Args:
        inner: the fetcher that does the work.
        clock: returns the current time (timezone-aware); the verifier reads no clock.
        max_entries: least-recently-used entries beyond this are dropped.
    """

    def __init__(
        self, inner: Fetcher, *, clock: Callable[[], datetime], max_entries: int = 256
    ) -> None:
        self._inner = inner
        self._clock = clock
        self._max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], _CacheEntry] = OrderedDict()
        self._lock = threading.Lock()

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        """Return a fresh cached copy of ``url`` or fetch (or revalidate) it."""
        key = (url, accept)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is not None and now < entry.fresh_until:
            return entry.document
        if entry is not None and entry.etag and isinstance(self._inner, RevalidatingFetcher):
            document = self._inner.revalidate(url, accept=accept, etag=entry.etag)
            if document.status == 304:
                merged = {**entry.document.headers, **document.headers}
                refreshed = replace(entry.document, headers=merged)
                self._store(key, refreshed, now)
                return refreshed
        else:
            document = self._inner.fetch(url, accept=accept)
        self._store(key, document, now)
        return document

    def _store(self, key: tuple[str, str], document: FetchedDocument, now: datetime) -> None:
        lifetime = _freshness(document.headers, now)
        with self._lock:
            if lifetime is None:
                self._entries.pop(key, None)
                return
            self._entries[key] = _CacheEntry(document, now + lifetime, document.headers.get("etag"))
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
