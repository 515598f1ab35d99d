"""CredentialSummary: one reader of every credential shape Baeji issues or meets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badges import (
    CredentialSummary,
    as_list,
    build_clr,
    build_endorsement,
    http_link,
    parse_datetime,
    validity_state,
)
from tests.conftest import SPEC_DIR
from tests.samples import ISSUER_DID, sample_credential, sample_issuer

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_as_list() -> None:
    """Absent is empty, one value is a list of one, a list stays itself."""
    assert as_list(None) == []
    assert as_list({"a": 1}) == [{"a": 1}]
    items = [1, 2]
    assert as_list(items) is items


def test_validity_state_boundaries() -> None:
    """Valid from the first instant, expired at the last; no end never expires."""
    end = NOW + timedelta(days=1)
    assert validity_state(NOW, end, NOW) == "valid"
    assert validity_state(NOW, end, NOW - timedelta(microseconds=1)) == "not-yet-valid"
    assert validity_state(NOW, end, end) == "expired"
    assert validity_state(None, None, NOW) == "valid"
    assert validity_state(NOW, None, NOW + timedelta(days=10_000)) == "valid"


def test_http_link() -> None:
    """Only http(s) links of sensible length are shown."""
    assert http_link(" https://example.org/e/1 ") == "https://example.org/e/1"
    assert http_link("HTTP://example.org") == "HTTP://example.org"
    for bad in ("javascript:alert(1)", "data:text/html,x", "https://x/" + "a" * 2048, 7, "[::"):
        assert http_link(bad) is None


def test_parse_datetime() -> None:
    """XML Schema date-times with a zone; a zone-less one only when asked to assume UTC."""
    assert parse_datetime("2026-03-01T16:30:00Z") == datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    kst = parse_datetime("2026-03-02T01:30:00+09:00")
    assert kst.utcoffset() == timedelta(hours=9)
    assert kst == datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone"):
        parse_datetime("2026-03-01T16:30:00")
    assert parse_datetime("2026-03-01T16:30:00", assume_utc=True).tzinfo is UTC
    for bad in (None, 20260301, "yesterday", "2026-13-01T16:30:00Z"):
        with pytest.raises(ValueError, match=r"date-time|Invalid isoformat|month must be"):
            parse_datetime(bad)


def test_summary_of_the_badge_baeji_issues() -> None:
    """Every field the pages and the CLI show, read from Baeji's own credential."""
    until = datetime(2027, 3, 2, tzinfo=UTC)
    document = sample_credential(now=NOW, valid_until=until).to_json()
    summary = CredentialSummary.of(document)
    assert summary.id == document["id"]
    assert "OpenBadgeCredential" in summary.types
    assert summary.kind == "badge"
    assert summary.issuer_id == ISSUER_DID
    assert summary.issuer_name == sample_issuer().name
    assert summary.achievement_name == "인공지능 기초 과정 (AI Fundamentals)"
    assert summary.title == summary.achievement_name
    assert summary.achievement_type == "Course"
    assert summary.criteria == "출석률 80% 이상, 최종 프로젝트 평가 70점 이상."
    assert [a["targetCode"] for a in summary.alignments] == ["2001010101"]
    assert summary.tags == ("인공지능", "머신러닝", "Python")
    assert summary.credits_available == 3.0
    assert summary.term == "2026년 1학기"
    (result,) = summary.results
    assert (result.value, result.description, result.result_type) == (
        "92",
        "최종 평가 점수",
        "Percent",
    )
    assert [e["name"] for e in summary.evidence] == ["최종 프로젝트: 서울시 따릉이 수요 예측"]
    assert summary.valid_from == NOW
    assert summary.valid_until == until
    # Two status entries written as an array, one as an object: always a list.
    assert len(summary.status) == 2
    single = sample_credential(now=NOW, suspension=False).to_json()
    assert isinstance(single["credentialStatus"], dict)
    assert len(CredentialSummary.of(single).status) == 1
    assert summary.is_current(NOW)
    assert not summary.is_current(NOW - timedelta(seconds=1))
    assert not summary.is_current(until)


def test_summary_of_a_record_and_an_endorsement() -> None:
    """A CLR is a record named by itself; an endorsement names its issuer."""
    badge = sample_credential(now=NOW).to_json()
    clr = build_clr(
        credential_id="urn:uuid:1",
        issuer=sample_issuer(),
        subject_id="urn:uuid:2",
        credentials=[badge],
        name="김지우 학습 이력",
        now=NOW,
    ).to_json()
    summary = CredentialSummary.of(clr)
    assert summary.kind == "record"
    assert summary.title == "김지우 학습 이력"
    assert summary.holder_id == "urn:uuid:2"
    endorsement = build_endorsement(
        credential_id="urn:uuid:3",
        issuer=sample_issuer("did:web:example.org"),
        subject_id=ISSUER_DID,
        name="보증",
        now=NOW,
    ).to_json()
    read = CredentialSummary.of(endorsement)
    assert (read.kind, read.issuer_id, read.awarded) == ("other", "did:web:example.org", NOW)


def _examples() -> list[Path]:
    return sorted((SPEC_DIR / "examples").glob("*.json"))


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.name)
def test_summary_of_the_1edtech_samples(path: Path) -> None:
    """Every published sample reads: an issuer, a kind, a name and a start date."""
    document = json.loads(path.read_text())
    if "compactJws" in document:  # a VC-JWT sample wrapped in JSON: the decoded payload
        payload = document["decodedPayload"]
        document = payload.get("vc", payload)
    summary = CredentialSummary.of(document)
    assert summary.issuer_id
    expected = "record" if path.name.startswith("clr") else "badge"
    assert summary.kind == ("other" if "endorsement" in path.name else expected)
    assert summary.title
    assert summary.valid_from is not None
    assert summary.valid_from.tzinfo is not None


def test_summary_of_the_complete_sample() -> None:
    """The 1EdTech 'complete' sample: alignments, results with descriptions, endorsements."""
    document = json.loads((SPEC_DIR / "examples" / "ob-v3p0-validator-complete.json").read_text())
    summary = CredentialSummary.of(document)
    assert summary.achievement_type == "Degree"
    assert len(summary.alignments) == 2
    assert summary.credits == 42.0
    assert summary.activity_start == datetime(2010, 1, 1, tzinfo=UTC)
    assert summary.activity_end == datetime(2010, 1, 2, tzinfo=UTC)
    assert summary.results
    assert all(r.description for r in summary.results)
    assert summary.endorsement_count >= 1
    assert summary.status  # one object in the sample, a list here


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "id",
        "type",
        "issuer",
        "credentialSubject",
        "validFrom",
        "validUntil",
        "credentialStatus",
        "evidence",
        "endorsement",
        "achievement",
        "result",
        "name",
        "alignment",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=8))
def test_summary_never_raises(document: dict[str, Any]) -> None:
    """An upload of any JSON shape is read, never an error."""
    summary = CredentialSummary.of(document)
    summary.is_current(NOW.astimezone(timezone(timedelta(hours=9))))
