"""Dates, times and numbers for people, in the reader's language (CLDR data through Babel).

Korean readers see Korea Standard Time (``Asia/Seoul``), English readers UTC, each labelled,
so a printed certificate or report is never ambiguous. English uses CLDR's international
English (``en_001``: ``1 March 2026``), which reads the same everywhere. Times are 24-hour.
The pages (:mod:`issuer.i18n`) and the verifier's messages (:mod:`verify.messages`) both
format through here, so ``baeji verify`` and the pages show a date the same way.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as _cldr_date
from babel.dates import format_time as _cldr_time
from babel.numbers import format_decimal

from badges.summary import parse_datetime

__all__ = ["DISPLAY_ZONES", "format_date", "format_datetime", "format_number", "parse_datetime"]

# The CLDR locale each page language is formatted with.
_LOCALES = {"ko": "ko_KR", "en": "en_001"}
DISPLAY_ZONES = {"ko": ZoneInfo("Asia/Seoul"), "en": ZoneInfo("UTC")}
_ZONE_LABELS = {"ko": "KST", "en": "UTC"}


def _language(lang: str) -> str:
    return lang if lang in _LOCALES else "en"


def format_date(value: datetime | None, lang: str) -> str:
    """A day for people: ``2026년 3월 2일`` (in Seoul) or ``1 March 2026`` (UTC)."""
    if value is None:
        return ""
    lang = _language(lang)
    local = value.astimezone(DISPLAY_ZONES[lang])
    return _cldr_date(local, "long", locale=_LOCALES[lang])


def format_datetime(value: datetime | None, lang: str) -> str:
    """A moment with its zone: ``2026년 3월 2일 01:30 (KST)`` or ``1 March 2026, 16:30 UTC``."""
    if value is None:
        return ""
    lang = _language(lang)
    local = value.astimezone(DISPLAY_ZONES[lang])
    time = _cldr_time(local, "HH:mm", locale=_LOCALES[lang])
    if lang == "ko":
        return f"{format_date(value, lang)} {time} ({_ZONE_LABELS[lang]})"
    return f"{format_date(value, lang)}, {time} {_ZONE_LABELS[lang]}"


def format_number(value: float | int | None, lang: str) -> str:
    """A number with the locale's grouping and at most two decimals (``1,234,567``, ``92.46``)."""
    if value is None:
        return ""
    return format_decimal(value, "#,##0.##", locale=_LOCALES[_language(lang)])
