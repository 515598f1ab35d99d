"""Language negotiation and formatting for the pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from issuer.i18n import format_date, format_datetime, format_number, negotiate_language


@pytest.mark.parametrize(
    ("header", "override", "expected"),
    [
        ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", None, "ko"),
        ("en-US,en;q=0.9,ko;q=0.8", None, "en"),
        ("ja,ko;q=0.5", None, "ko"),
        ("fr-FR, de;q=0.5", None, "en"),
        ("en;q=0.2, ko;q=0.9", None, "ko"),
        ("ko;q=0, en;q=0.1", None, "en"),
        ("ko;q=abc, en", None, "en"),
        (None, None, "en"),
        ("ko-KR", "en", "en"),
        ("en", "ko", "ko"),
        ("en", "xx", "en"),
    ],
    ids=[
        "korean-browser",
        "english-browser",
        "japanese-then-korean",
        "neither",
        "quality-order",
        "zero-quality",
        "bad-quality",
        "no-header",
        "override-en",
        "override-ko",
        "bad-override",
    ],
)
def test_negotiate_language(header: str | None, override: str | None, expected: str) -> None:
    """Korean browsers get Korean, others English, and an explicit choice wins."""
    assert negotiate_language(header, override=override) == expected


def test_dates_are_formatted_per_language() -> None:
    """Korean dates are in KST with 년 월 일; English dates in UTC with month names."""
    moment = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # already 2 March in Seoul
    assert format_date(moment, "ko") == "2026년 3월 2일"
    assert format_date(moment, "en") == "1 March 2026"
    assert format_datetime(moment, "ko") == "2026년 3월 2일 01:30 (KST)"
    assert format_datetime(moment, "en") == "1 March 2026, 16:30 UTC"
    assert format_date(None, "ko") == ""
    assert format_datetime(None, "en") == ""


def test_numbers() -> None:
    """Numbers get thousands separators and at most two decimals."""
    assert format_number(1234567, "ko") == "1,234,567"
    assert format_number(3.0, "en") == "3"
    assert format_number(92.456, "ko") == "92.46"
    assert format_number(None, "en") == ""
