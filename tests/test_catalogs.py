"""The gettext catalogs: both languages complete, and each committed .mo is its .po compiled."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import issuer.i18n
import verify.messages

CATALOGS = {
    "issuer": issuer.i18n.LOCALE_DIR,
    "verify": verify.messages.LOCALE_DIR,
}
LANGUAGES = ("en", "ko")


def read_catalog(domain: str, lang: str) -> Catalog:
    """The committed ``.po`` source of ``domain`` in ``lang``."""
    path = CATALOGS[domain] / lang / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=lang, domain=domain)


def texts(domain: str) -> dict[str, tuple[str, str]]:
    """Every message id of ``domain`` with its English and Korean text."""
    english = {str(m.id): m.string for m in read_catalog(domain, "en") if m.id}
    korean = {str(m.id): m.string for m in read_catalog(domain, "ko") if m.id}
    return {key: (str(english[key]), str(korean.get(key, ""))) for key in english}


@pytest.mark.parametrize("domain", sorted(CATALOGS))
def test_every_message_id_has_both_languages(domain: str) -> None:
    """A message id missing or empty in either catalog fails here."""
    english, korean = (read_catalog(domain, lang) for lang in LANGUAGES)
    english_ids = {m.id for m in english if m.id}
    korean_ids = {m.id for m in korean if m.id}
    assert len(english_ids) > 100
    assert english_ids == korean_ids
    for catalog in (english, korean):
        empty = [m.id for m in catalog if m.id and not str(m.string).strip()]
        fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
        assert empty == [], catalog.locale
        assert fuzzy == [], catalog.locale


@pytest.mark.parametrize("domain", sorted(CATALOGS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_committed_mo_is_the_compiled_po(domain: str, lang: str) -> None:
    """The shipped ``.mo`` is byte for byte what ``make catalogs`` makes of the ``.po``."""
    compiled = BytesIO()
    write_mo(compiled, read_catalog(domain, lang))
    shipped = (CATALOGS[domain] / lang / "LC_MESSAGES" / f"{domain}.mo").read_bytes()
    assert shipped == compiled.getvalue(), "run `make catalogs` and commit the .mo files"


def test_placeholders_agree_between_languages() -> None:
    """A Korean text fills only ``{fields}`` its English one has (it may leave a detail out)."""
    import string

    for domain in CATALOGS:
        for key, (english, korean) in texts(domain).items():
            fields = [
                {f for _, f, _, _ in string.Formatter().parse(t) if f} for t in (english, korean)
            ]
            assert fields[1] <= fields[0], (domain, key)


def test_catalog_files_are_package_data() -> None:
    """pyproject ships the catalogs with the packages."""
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert pyproject.count('"locale/*/LC_MESSAGES/*.mo"') == 2
