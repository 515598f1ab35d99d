"""One verification run's view of the network: memoized fetches and the documents used.

A CLR with twenty badges from one issuer needs that issuer's DID document and status lists
once, not twenty times; a failed fetch is remembered too, so it is not retried within the
run. The number of distinct documents per run is capped, so a hostile credential cannot
make the verifier fetch without bound.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from verify.errors import FetchError
from verify.report import DocumentRecord
from verify.resolve import FetchedDocument, Fetcher

_T = TypeVar("_T")

MAX_JSON_DEPTH = 64
MAX_DOCUMENTS = 64

JSON_ACCEPT = "application/json, application/ld+json;q=0.9"
DID_ACCEPT = "application/did+json, application/did+ld+json, application/json;q=0.9"
STATUS_ACCEPT = "application/vc+ld+json, application/vc, application/json;q=0.9"
CREDENTIAL_ACCEPT = (
    "application/vc+ld+json, application/vc, application/ld+json;q=0.9, "
    "application/json;q=0.8, application/vc+jwt;q=0.7, text/plain;q=0.5"
)


class ProofCache:
    """Proofs already verified, remembered across runs by what decides them.

    A status list verified for one credential need not be verified again for the next
    one while it has not changed: an entry is keyed by the SHA-256 of the exact bytes
    fetched, the proof, and the public key (its JWK), so any change to the list, its
    proof or the key is a different entry. Bounded (least recently used entries beyond
    ``max_entries`` are dropped) and safe to share between threads. Pass one to
    :func:`verify.verify_credential` to keep it between calls; only successes are kept.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self._entries: OrderedDict[str, None] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @staticmethod
    def key(body: bytes, proof: Mapping[str, Any], public_jwk: Mapping[str, Any]) -> str:
        """Return the entry name of ``proof`` on the document of ``body`` with this key."""
        digest = hashlib.sha256(body)
        for part in (proof, public_jwk):
            text = json.dumps(part, sort_keys=True, ensure_ascii=False, default=repr)
            digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(str(key))
                return True
            return False

    def add(self, key: str) -> None:
        """Remember that the proof named ``key`` verified."""
        with self._lock:
            self._entries[key] = None
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every proof."""
        with self._lock:
            self._entries.clear()


_SHARED_PROOFS = ProofCache()


def default_proof_cache() -> ProofCache:
    """The cache :func:`verify.verify_credential` uses when given none: one per process,
    256 entries (a few tens of kilobytes). An entry names the exact bytes, proof and key
    it was verified with, so sharing it between calls can never change a verdict."""
    return _SHARED_PROOFS


class DocumentInvalid(ValueError):
    """A fetched document is not JSON of the expected shape (internal)."""


class TooDeep(ValueError):
    """JSON nested beyond :data:`MAX_JSON_DEPTH` (internal)."""


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`TooDeep` if ``value`` nests containers more than ``limit`` levels.

    Iterative, so the check itself cannot exhaust the stack.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise TooDeep(f"JSON nested deeper than {limit} levels")
        stack.extend((child, depth + 1) for child in children)


def parse_json(data: bytes | str) -> Any:
    """Parse JSON with a nesting limit.

    Raises:
        TooDeep: nested beyond :data:`MAX_JSON_DEPTH`.
        DocumentInvalid: not JSON.
    """
    try:
        value = json.loads(data)
    except RecursionError as err:
        raise TooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from err
    except (ValueError, UnicodeDecodeError) as err:
        raise DocumentInvalid(f"not JSON: {err}") from err
    check_depth(value)
    return value


class Problem(Exception):
    """Why a check could not pass (internal; becomes a check result, never escapes).

    ``definite`` is True when the answer is final (a key not controlled by the issuer)
    and False when it may change on retry (a document could not be fetched).
    """

    def __init__(self, code: str, *, definite: bool = True, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.definite = definite
        self.params = params


@dataclass
class FetchSession:
    """The fetcher, clock and memo of one verification run (internal)."""

    fetcher: Fetcher
    now: datetime
    clock_skew: timedelta
    _results: dict[tuple[str, str], FetchedDocument | FetchError] = field(default_factory=dict)
    records: list[DocumentRecord] = field(default_factory=list)
    memo: dict[tuple[str, ...], Any] = field(default_factory=dict)
    proofs: ProofCache | None = None

    def remember(
        self, key: tuple[str, ...], compute: Callable[[], _T], failure: type[Problem]
    ) -> _T:
        """Return ``compute()``, worked out once per run; a ``failure`` is remembered too."""
        if key in self.memo:
            cached = self.memo[key]
            if isinstance(cached, failure):
                raise cached
            result: _T = cached
            return result
        try:
            value = compute()
        except failure as problem:
            self.memo[key] = problem
            raise
        self.memo[key] = value
        return value

    def fetch(self, url: str, accept: str) -> FetchedDocument:
        """Fetch ``url`` once per run.

        Raises:
            FetchError: the fetch failed (now or earlier in this run), or the run has
                fetched its maximum number of documents.
        """
        key = (url.split("#", 1)[0], accept)
        if key not in self._results:
            if len(self._results) >= MAX_DOCUMENTS:
                raise FetchError(
                    f"more than {MAX_DOCUMENTS} documents needed for one verification", url=url
                )
            try:
                document = self.fetcher.fetch(key[0], accept=accept)
            except FetchError as err:
                self._results[key] = err
                raise
            self._results[key] = document
            self.records.append(DocumentRecord(document.url, document.captured_at))
        result = self._results[key]
        if isinstance(result, FetchError):
            raise result
        return result

    def fetch_json(self, url: str, accept: str = JSON_ACCEPT) -> dict[str, Any]:
        """Fetch ``url`` and parse it as a JSON object.

        Raises:
            FetchError: see :meth:`fetch`.
            DocumentInvalid: the body is not a JSON object (or nests too deeply).
        """
        document = self.fetch(url, accept)
        try:
            value = parse_json(document.body)
        except TooDeep as err:
            raise DocumentInvalid(str(err)) from err
        if not isinstance(value, dict):
            raise DocumentInvalid(f"{url} is not a JSON object")
        return value
