"""Trust files: issuer documents, JWKS and status lists captured for offline verification.

``baeji verify … --save-trust FILE`` records every document a verification fetched (with the
time it was captured); ``baeji verify … --offline --trust FILE`` then verifies from those
copies only, and the report says how old they are. A trust file is also how keys are pinned
for issuers whose ids cannot be resolved (``urn:uuid:…``) or that are not on the network
(the example domains of the 1EdTech samples): add a controller document under the issuer id.

The file is JSON::

    {"format": "baeji-trust/1",
     "documents": [{"url": "...", "capturedAt": "2025-01-01T00:00:00Z",
                    "contentType": "application/json", "json": {...}}, ...]}

with ``"text"`` instead of ``"json"`` for non-JSON bodies.

Version 2 (``"format": "baeji-trust/2"``) adds the issuer registries a verification was
checked against (``baeji verify --registry``), each under the URL or path it was given as,
so ``--offline --trust FILE`` checks against the same registries::

    {"format": "baeji-trust/2", "documents": [...],
     "registries": [{"url": "https://…/registry.json", "capturedAt": "...",
                     "contentType": "application/json", "json": {...}}, ...]}

A file without registries is still written as version 1, so older readers keep reading
it; both versions are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from badges.model import format_datetime
from badges.summary import parse_datetime
from verify.errors import InvalidTrustStore
from verify.resolve import DictFetcher, FetchedDocument, Fetcher

FORMAT = "baeji-trust/1"
FORMAT_WITH_REGISTRIES = "baeji-trust/2"
FORMATS = (FORMAT, FORMAT_WITH_REGISTRIES)
MAX_TRUST_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class TrustedDocument:
    """One captured document."""

    url: str
    content_type: str
    body: bytes
    captured_at: datetime

    def to_json(self) -> dict[str, Any]:
        """Return the trust-file entry."""
        entry: dict[str, Any] = {
            "url": self.url,
            "capturedAt": format_datetime(self.captured_at),
            "contentType": self.content_type,
        }
        try:
            entry["json"] = json.loads(self.body)
        except ValueError:
            entry["text"] = self.body.decode("utf-8", "replace")
        return entry

    @classmethod
    def from_json(cls, entry: Any) -> TrustedDocument:
        """Parse a trust-file entry.

        Raises:
            InvalidTrustStore: the entry is malformed.
        """
        if not isinstance(entry, Mapping):
            raise InvalidTrustStore("a trust file entry must be an object")
        url, captured = entry.get("url"), entry.get("capturedAt")
        if not isinstance(url, str) or not isinstance(captured, str):
            raise InvalidTrustStore("a trust file entry needs 'url' and 'capturedAt'")
        try:
            captured_at = parse_datetime(captured)
        except ValueError as err:
            raise InvalidTrustStore(f"bad capturedAt {captured!r}: {err}") from err
        if "json" in entry:
            body = json.dumps(entry["json"], ensure_ascii=False).encode("utf-8")
            default_type = "application/json"
        elif isinstance(entry.get("text"), str):
            body = entry["text"].encode("utf-8")
            default_type = "text/plain"
        else:
            raise InvalidTrustStore(f"the entry for {url} has neither 'json' nor 'text'")
        content_type = entry.get("contentType")
        return cls(
            url,
            content_type if isinstance(content_type, str) else default_type,
            body,
            captured_at,
        )


class TrustStore:
    """An immutable set of captured documents, keyed by URL (or pinned issuer id), and the
    issuer registries captured with them, keyed by the URL or path they were given as."""

    def __init__(
        self,
        documents: Iterable[TrustedDocument] = (),
        *,
        registries: Iterable[TrustedDocument] = (),
    ) -> None:
        self._documents: dict[str, TrustedDocument] = {}
        for document in documents:
            self._documents[document.url.split("#", 1)[0]] = document
        self._registries: dict[str, TrustedDocument] = {r.url: r for r in registries}

    def __len__(self) -> int:
        return len(self._documents)

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and url.split("#", 1)[0] in self._documents

    @property
    def documents(self) -> tuple[TrustedDocument, ...]:
        """The documents, sorted by URL."""
        return tuple(self._documents[url] for url in sorted(self._documents))

    @property
    def registries(self) -> tuple[TrustedDocument, ...]:
        """The captured issuer registries, sorted by where they came from."""
        return tuple(self._registries[source] for source in sorted(self._registries))

    def with_registries(self, registries: Iterable[TrustedDocument]) -> TrustStore:
        """Return a store with these registries added (replacing any from the same source)."""
        combined = {**self._registries, **{r.url: r for r in registries}}
        return TrustStore(self._documents.values(), registries=combined.values())

    @property
    def oldest(self) -> datetime | None:
        """When the oldest document was captured."""
        return min((d.captured_at for d in self._documents.values()), default=None)

    @classmethod
    def from_documents(
        cls, documents: Mapping[str, Mapping[str, Any] | str | bytes], *, captured_at: datetime
    ) -> TrustStore:
        """Build a store from bodies by URL (a mapping is stored as JSON), all captured at once."""
        entries = []
        for url, body in documents.items():
            if isinstance(body, Mapping):
                data, content_type = json.dumps(body).encode("utf-8"), "application/json"
            elif isinstance(body, str):
                data, content_type = body.encode("utf-8"), "text/plain"
            else:
                data, content_type = body, "application/octet-stream"
            entries.append(TrustedDocument(url, content_type, data, captured_at))
        return cls(entries)

    def merged(self, other: TrustStore) -> TrustStore:
        """Return a store with both sets; for a URL in both, the later capture wins."""

        def later(
            mine: dict[str, TrustedDocument], theirs: dict[str, TrustedDocument]
        ) -> list[TrustedDocument]:
            combined = dict(mine)
            for url, document in theirs.items():
                if url not in combined or document.captured_at >= combined[url].captured_at:
                    combined[url] = document
            return list(combined.values())

        return TrustStore(
            later(self._documents, other._documents),
            registries=later(self._registries, other._registries),
        )

    def fetcher(self) -> DictFetcher:
        """A fetcher that serves only these documents (offline mode).

        URLs it does not hold raise :class:`~verify.errors.NotInTrustStore`.
        """
        return DictFetcher(
            {url: d.body for url, d in self._documents.items()},
            captured_at={url: d.captured_at for url, d in self._documents.items()},
            content_types={url: d.content_type for url, d in self._documents.items()},
            offline=True,
        )

    def dumps(self) -> str:
        """Serialize the store as trust-file JSON."""
        payload: dict[str, Any] = {
            "format": FORMAT_WITH_REGISTRIES if self._registries else FORMAT,
            "documents": [d.to_json() for d in self.documents],
        }
        if self._registries:
            payload["registries"] = [r.to_json() for r in self.registries]
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def loads(cls, text: str | bytes) -> TrustStore:
        """Parse trust-file JSON.

        Raises:
            InvalidTrustStore: not JSON, another format, or malformed entries.
        """
        if len(text) > MAX_TRUST_FILE_BYTES:
            raise InvalidTrustStore("the trust file is too large")
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise InvalidTrustStore(f"the trust file is not JSON: {err}") from err
        if not isinstance(payload, Mapping) or payload.get("format") not in FORMATS:
            raise InvalidTrustStore(f"not a trust file (expected format {FORMAT!r})")
        documents = payload.get("documents")
        if not isinstance(documents, list):
            raise InvalidTrustStore("the trust file has no 'documents' list")
        registries = payload.get("registries", [])
        if payload["format"] == FORMAT and "registries" in payload:
            raise InvalidTrustStore(f"registries need format {FORMAT_WITH_REGISTRIES!r}")
        if not isinstance(registries, list):
            raise InvalidTrustStore("the trust file's 'registries' is not a list")
        return cls(
            (TrustedDocument.from_json(entry) for entry in documents),
            registries=(TrustedDocument.from_json(entry) for entry in registries),
        )

    @classmethod
    def load(cls, path: str | Path) -> TrustStore:
        """Read a trust file.

        Raises:
            InvalidTrustStore: see :meth:`loads`.
            OSError: the file cannot be read.
        """
        with open(path, "rb") as handle:
            data = handle.read(MAX_TRUST_FILE_BYTES + 1)
        return cls.loads(data)

    def save(self, path: str | Path) -> None:
        """Write the store to ``path``."""
        Path(path).write_text(self.dumps(), encoding="utf-8")


class RecordingFetcher:
    """Fetch through ``inner`` and keep a copy of every document, for a trust file.

    Args:
        inner: the fetcher that does the work.
        now: the capture time recorded for live documents.
    """

    def __init__(self, inner: Fetcher, *, now: datetime) -> None:
        self._inner = inner
        self._now = now
        self._captured: dict[str, TrustedDocument] = {}

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        """Fetch ``url`` through the inner fetcher and record the result."""
        document = self._inner.fetch(url, accept=accept)
        key = url.split("#", 1)[0]
        self._captured[key] = TrustedDocument(
            key, document.content_type, document.body, document.captured_at or self._now
        )
        return document

    def store(self) -> TrustStore:
        """The documents captured so far."""
        return TrustStore(self._captured.values())
