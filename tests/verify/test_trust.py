"""Trust files: round trips, merging, recording live fetches, and refusing malformed files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.verify.conftest import NOW, Issuer, World
from verify import (
    DictFetcher,
    InvalidTrustStore,
    NotInTrustStore,
    RecordingFetcher,
    TrustedDocument,
    TrustStore,
    Verdict,
    verify_credential,
)

EARLY = datetime(2026, 1, 1, tzinfo=UTC)
LATE = datetime(2026, 2, 1, tzinfo=UTC)


def test_round_trip_keeps_json_text_and_capture_times(tmp_path: Path) -> None:
    """Saving and loading keeps every document's body, type and capture time."""
    store = TrustStore(
        [
            TrustedDocument("https://a/did.json", "application/did+json", b'{"id": "a"}', EARLY),
            TrustedDocument("https://a/c.jwt", "text/plain", b"a.b.c", LATE),
        ]
    )
    path = tmp_path / "trust.json"
    store.save(path)
    loaded = TrustStore.load(path)
    assert [d.url for d in loaded.documents] == ["https://a/c.jwt", "https://a/did.json"]
    assert loaded.documents[1].content_type == "application/did+json"
    assert json.loads(loaded.documents[1].body) == {"id": "a"}
    assert loaded.documents[0].body == b"a.b.c"
    assert loaded.oldest == EARLY
    assert json.loads(path.read_text())["format"] == "baeji-trust/1"


def test_fetcher_serves_offline_only() -> None:
    """The trust store's fetcher serves its documents and nothing else."""
    store = TrustStore.from_documents({"https://a/x": {"k": 1}}, captured_at=EARLY)
    fetcher = store.fetcher()
    assert fetcher.fetch("https://a/x", accept="application/json").captured_at == EARLY
    with pytest.raises(NotInTrustStore):
        fetcher.fetch("https://a/y", accept="application/json")
    assert "https://a/x#frag" in store
    assert len(store) == 1


def test_merge_prefers_the_later_capture() -> None:
    """Merging two stores keeps, per URL, the document captured last."""
    old = TrustStore.from_documents(
        {"https://a/x": {"v": 1}, "https://a/y": "y"}, captured_at=EARLY
    )
    new = TrustStore.from_documents({"https://a/x": {"v": 2}}, captured_at=LATE)
    merged = old.merged(new)
    assert json.loads(merged.documents[0].body) == {"v": 2}
    assert old.merged(new).documents[1].captured_at == EARLY
    assert json.loads(new.merged(old).documents[0].body) == {"v": 2}


def test_recording_fetcher_captures_what_a_verification_used(world: World, hanbit: Issuer) -> None:
    """Recording a verification yields a trust file that verifies the same credential offline."""
    credential, _ = world.issue(hanbit)
    recorder = RecordingFetcher(DictFetcher(world.documents), now=NOW)
    assert verify_credential(credential, now=NOW, fetcher=recorder).verdict is Verdict.VALID
    store = recorder.store()
    assert len(store) == 3
    later = NOW + timedelta(days=10)
    offline = verify_credential(credential, now=later, fetcher=store.fetcher())
    assert offline.verdict is Verdict.VALID
    assert offline.to_dict()["documents"][0]["ageSeconds"] == 10 * 24 * 3600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "not a trust file"),
        ('{"format": "other"}', "not a trust file"),
        ('{"format": "baeji-trust/1"}', "no 'documents'"),
        ('{"format": "baeji-trust/1", "documents": [1]}', "must be an object"),
        ('{"format": "baeji-trust/1", "documents": [{"url": "u"}]}', "capturedAt"),
        (
            '{"format": "baeji-trust/1", "documents": [{"url": "u", "capturedAt": "x"}]}',
            "bad capturedAt",
        ),
        (
            '{"format": "baeji-trust/1", "documents": '
            '[{"url": "u", "capturedAt": "2026-01-01T00:00:00"}]}',
            "timezone",
        ),
        (
            '{"format": "baeji-trust/1", "documents": '
            '[{"url": "u", "capturedAt": "2026-01-01T00:00:00Z"}]}',
            "neither 'json' nor 'text'",
        ),
    ],
    ids=[
        "not-json",
        "array",
        "format",
        "no-documents",
        "entry-type",
        "no-time",
        "bad-time",
        "naive-time",
        "no-body",
    ],
)
def test_malformed_trust_files(text: str, message: str) -> None:
    """Malformed trust files raise InvalidTrustStore saying what is wrong."""
    with pytest.raises(InvalidTrustStore, match=message):
        TrustStore.loads(text)


def test_bytes_documents_and_text_entries() -> None:
    """Binary bodies are stored as text entries and read back."""
    store = TrustStore.from_documents({"https://a/x": b"a.b.c"}, captured_at=EARLY)
    again = TrustStore.loads(store.dumps())
    assert again.documents[0].body == b"a.b.c"
    assert again.documents[0].content_type == "application/octet-stream"
