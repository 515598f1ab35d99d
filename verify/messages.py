"""Report texts in English and Korean, keyed by stable codes.

Codes never change; the texts may. The texts live in gettext catalogs
(``verify/locale/<lang>/LC_MESSAGES/verify.po``, compiled to ``.mo`` beside them), read with
the standard library's :mod:`gettext` so the verifier needs no web stack. A check message's
msgid is its code (``input-json``); verdicts, check statuses, check names and headlines are
``verdict.<verdict>``, ``status.<status>``, ``check.<check id>`` and ``headline.<verdict>``;
a message with a ``{count}`` has plural forms (msgid_plural, the same code), chosen by it.
Texts are ``str.format`` templates filled from a check's details; a missing field shows as
``?`` rather than failing. Dates are formatted by :mod:`verify.localtime` (CLDR, KST for Korean).
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from verify.localtime import format_datetime, parse_datetime

LANGUAGES = ("en", "ko")
DOMAIN = "verify"
LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def catalog(lang: str) -> gettext.GNUTranslations:
    """The compiled catalog for ``lang`` (``en`` or ``ko``); an unknown language is English."""
    chosen = lang if lang in LANGUAGES else "en"
    with (LOCALE_DIR / chosen / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as handle:
        return gettext.GNUTranslations(handle)


def _lookup(key: str, lang: str, count: object = None) -> str | None:
    """The text of ``key``; with a whole-number ``count``, the CLDR plural form for it
    (``1 endorsement`` / ``2 endorsements``; Korean has one form)."""
    if isinstance(count, int) and not isinstance(count, bool):
        plural = catalog(lang).ngettext(key, key, count)
        if plural != key:
            return plural
    text = catalog(lang).gettext(key)
    return None if text == key else text


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def render(code: str, params: Mapping[str, Any]) -> dict[str, str]:
    """Return the message for ``code`` in every language, filled from ``params``."""
    texts = {}
    for lang in LANGUAGES:
        fields = _Fields({k: _text(k, v, lang) for k, v in params.items()})
        texts[lang] = (_lookup(code, lang, params.get("count")) or code).format_map(fields)
    return texts


# Details that hold a date: shown to people in their own form (KST for Korean), never as
# the raw XML Schema timestamp. The machine form stays in the check's details (--json).
_DATE_FIELDS = frozenset({"valid_from", "valid_until", "revoked"})


def _date(value: Any, lang: str) -> str | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    return format_datetime(moment, lang)


def _text(name: str, value: Any, lang: str) -> str:
    if name in _DATE_FIELDS and (shown := _date(value, lang)) is not None:
        return shown
    if name == "tally" and isinstance(value, Mapping):
        # {"valid": 4, "revoked": 1} -> "4 valid, 1 revoked" / "유효함 4건, 취소됨 1건"
        return ", ".join(
            text(
                "tally.item",
                lang,
                count=count,
                verdict=(_lookup(f"verdict.{verdict}", lang) or str(verdict)).lower(),
            )
            for verdict, count in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def text(key: str, lang: str, **params: Any) -> str:
    """The catalog text ``key`` in ``lang``, filled with ``params`` (the key if unknown)."""
    return (_lookup(key, lang) or key).format_map(_Fields(params))


def is_known(code: str) -> bool:
    """Whether ``code`` has a message."""
    return "." not in code and _lookup(code, "en") is not None


def verdict_label(verdict: str, lang: str) -> str:
    """The verdict in words."""
    text = _lookup(f"verdict.{verdict}", lang)
    if text is None:
        raise KeyError(verdict)
    return text


def verdict_headline(verdict: str, lang: str) -> str | None:
    """The verdict as one plain sentence for a person, for verdicts that need one."""
    return _lookup(f"headline.{verdict}", lang)


def status_label(status: str, lang: str) -> str:
    """The check status in words."""
    text = _lookup(f"status.{status}", lang)
    if text is None:
        raise KeyError(status)
    return text


def check_title(check_id: str, lang: str) -> str:
    """The check's name in words."""
    return _lookup(f"check.{check_id}", lang) or check_id
