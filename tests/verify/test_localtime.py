"""Dates and numbers for people: CLDR forms, Korea Standard Time for Korean, UTC for English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from verify.localtime import DISPLAY_ZONES, format_date, format_datetime
from verify.messages import render


def test_korean_dates_are_in_seoul_and_english_in_utc() -> None:
    """The same moment is the 2nd in Seoul and the 1st in UTC, each labelled."""
    moment = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    assert format_date(moment, "ko") == "2026년 3월 2일"
    assert format_date(moment, "en") == "1 March 2026"
    assert format_datetime(moment, "ko") == "2026년 3월 2일 01:30 (KST)"
    assert format_datetime(moment, "en") == "1 March 2026, 16:30 UTC"
    # A moment given in another zone is shown in the reader's zone all the same.
    new_york = moment.astimezone(timezone(timedelta(hours=-5)))
    assert format_datetime(new_york, "ko") == "2026년 3월 2일 01:30 (KST)"
    assert str(DISPLAY_ZONES["ko"]) == "Asia/Seoul"


def test_unknown_language_is_english_and_none_is_empty() -> None:
    """A language we have no catalog for reads English; no date shows nothing."""
    moment = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert format_date(moment, "fr") == "31 December 2026"
    assert format_date(moment, "ko") == "2027년 1월 1일"
    assert format_datetime(None, "ko") == ""


def test_report_messages_show_dates_per_language() -> None:
    """A check message's date is the reader's form, never the raw timestamp."""
    texts = render("expired", {"valid_until": "2026-03-01T16:30:00Z"})
    assert "2026년 3월 2일 01:30 (KST)" in texts["ko"]
    assert "1 March 2026, 16:30 UTC" in texts["en"]
    assert "2026-03-01T16:30:00Z" not in texts["ko"] + texts["en"]
