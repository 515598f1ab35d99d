"""Korean and English for the service's pages: language choice, texts, dates, numbers.

Korean comes first for Korean browsers; English is the fallback. A ``lang`` query
parameter or cookie (set by the language switch) overrides ``Accept-Language``, which
werkzeug parses.

The texts live in gettext catalogs keyed by stable ids (``issuer/locale/<lang>/LC_MESSAGES/
issuer.po``: the msgid is the id, such as ``wallet.heading``, and both languages are
translations of it), compiled to ``.mo`` beside them (``make catalogs``; a test keeps the two
in step). Texts are ``str.format`` templates; the values filled in are escaped by the
templates. Verdict words and check texts come from the verify package's own catalog
(``Verdict.label``, ``CheckResult.message``), so the pages and ``baeji verify`` agree. Dates,
times and numbers are CLDR's, through Babel (:mod:`verify.localtime`): Korean in
Korea Standard Time (``Asia/Seoul``), English in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from gettext import NullTranslations
from pathlib import Path

from babel.support import Translations
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from verify.localtime import DISPLAY_ZONES, format_date, format_datetime, format_number

__all__ = [
    "DEFAULT_LANGUAGE",
    "DISPLAY_ZONES",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "catalog",
    "fill",
    "format_date",
    "format_datetime",
    "format_number",
    "negotiate_language",
    "translate",
]

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "en"
DOMAIN = "issuer"
LOCALE_DIR = Path(__file__).parent / "locale"


def negotiate_language(accept_language: str | None, *, override: str | None = None) -> str:
    """Pick ``ko`` or ``en`` from an explicit choice or an ``Accept-Language`` header.

    Quality values are honoured (``en;q=0.9, ko;q=0.8`` gives English); unknown or
    malformed entries are skipped; at equal quality Korean wins.
    """
    if override in LANGUAGES:
        return str(override)
    return _negotiated(accept_language or "")


@lru_cache(maxsize=512)
def _negotiated(accept_language: str) -> str:
    # Browsers send a handful of distinct headers: each is parsed once per worker.
    accept = parse_accept_header(accept_language, LanguageAccept)
    return accept.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


@cache
def catalog(lang: str) -> Translations:
    """The compiled page texts for ``lang`` (an unknown language gets English)."""
    chosen = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    with (LOCALE_DIR / chosen / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as handle:
        return Translations(handle, domain=DOMAIN)


def fill(
    translations: NullTranslations, key: str, lang: str, params: Mapping[str, object]
) -> str | None:
    """The text ``key`` from ``translations``, filled with ``params``; ``None`` if unknown.

    A whole-number ``count`` chooses the plural form (CLDR's rule for ``lang``: English
    ``1 badge`` / ``2 badges``, Korean one form) and is shown with the locale's grouping.
    """
    count = params.get("count")
    template = key
    if isinstance(count, int) and not isinstance(count, bool):
        template = str(translations.ngettext(key, key, count))
        params = {**params, "count": format_number(count, lang)}
    if template == key:
        template = str(translations.gettext(key))
    if template == key:
        return None
    return template.format(**params)


def translate(key: str, lang: str, *, default: str | None = None, **params: object) -> str:
    """Return the page text ``key`` in ``lang`` (``ko`` or ``en``), filled with ``params``.

    Args:
        default: returned (unfilled) when ``key`` is unknown, for keys built from data
            such as an OB result status.

    Raises:
        KeyError: ``key`` is unknown and no ``default`` was given (a programming error).
    """
    text = fill(catalog(lang), key, lang, params)
    if text is None:
        if default is not None:
            return default
        raise KeyError(f"no page text {key!r}")
    return text
