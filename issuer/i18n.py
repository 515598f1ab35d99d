"""Korean and English for the service's pages: language choice, messages, dates, numbers.

Korean comes first for Korean browsers; English is the fallback. A ``lang`` query
parameter or cookie (set by the language switch) overrides ``Accept-Language``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "en"
# Dates on pages are shown in Korea Standard Time for Korean and in UTC for English,
# each labelled, so a printed certificate is never ambiguous.
_KST = ZoneInfo("Asia/Seoul")


def negotiate_language(accept_language: str | None, *, override: str | None = None) -> str:
    """Pick ``ko`` or ``en`` from an explicit choice or an ``Accept-Language`` header.

    Quality values are honoured (``en;q=0.9, ko;q=0.8`` gives English); unknown or
    malformed entries are skipped.
    """
    if override in LANGUAGES:
        return str(override)
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        # Strictly greater: earlier entries win ties, as browsers list them by preference.
        if quality > best_q and quality > 0:
            best, best_q = primary, quality
    return best


def format_date(value: datetime | None, lang: str) -> str:
    """Format a date for people: ``2026년 3월 2일`` or ``2 March 2026``."""
    if value is None:
        return ""
    if lang == "ko":
        local = value.astimezone(_KST)
        return f"{local.year}년 {local.month}월 {local.day}일"
    return f"{value.day} {value.strftime('%B')} {value.year}"


def format_datetime(value: datetime | None, lang: str) -> str:
    """Format a timestamp with its time zone (KST for Korean, UTC for English)."""
    if value is None:
        return ""
    if lang == "ko":
        local = value.astimezone(_KST)
        return f"{format_date(value, lang)} {local:%H:%M} (KST)"
    utc = value.astimezone(ZoneInfo("UTC"))
    return f"{format_date(utc, lang)}, {utc:%H:%M} UTC"


def format_number(value: float | int | None, lang: str) -> str:
    """Format a number with thousands separators and at most two decimals.

    Korean and English both group thousands with commas and use a decimal point.
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,}"
