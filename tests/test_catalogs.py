"""The gettext catalogs: both languages complete, and each committed .mo is its .po compiled."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
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


def _key(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else str(message.id)


def _forms(message: Message) -> list[str]:
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return [str(s) for s in strings]


def texts(domain: str) -> dict[str, tuple[str, str]]:
    """Every message id of ``domain`` with its English and Korean text (for a message with
    plural forms, all of them joined by a line break)."""
    english = {_key(m): "\n".join(_forms(m)) for m in read_catalog(domain, "en") if m.id}
    korean = {_key(m): "\n".join(_forms(m)) for m in read_catalog(domain, "ko") if m.id}
    return {key: (english[key], korean.get(key, "")) for key in english}


@pytest.mark.parametrize("domain", sorted(CATALOGS))
def test_every_message_id_has_both_languages(domain: str) -> None:
    """A message id missing or empty in either catalog fails here."""
    english, korean = (read_catalog(domain, lang) for lang in LANGUAGES)
    english_ids = {_key(m) for m in english if m.id}
    korean_ids = {_key(m) for m in korean if m.id}
    assert len(english_ids) > 100
    assert english_ids == korean_ids
    for catalog in (english, korean):
        forms = catalog.num_plurals
        empty = [
            _key(m)
            for m in catalog
            if m.id
            and (
                not all(f.strip() for f in _forms(m))
                or (m.pluralizable and len(_forms(m)) != forms)
            )
        ]
        fuzzy = [_key(m) for m in catalog if m.id and m.fuzzy]
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
            english, korean = english.replace("\n", " "), korean.replace("\n", " ")
            fields = [
                {f for _, f, _, _ in string.Formatter().parse(t) if f} for t in (english, korean)
            ]
            assert fields[1] <= fields[0], (domain, key)


def test_catalog_files_are_package_data() -> None:
    """pyproject ships the catalogs with the packages."""
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert pyproject.count('"locale/*/LC_MESSAGES/*.mo"') == 2


def test_plural_forms_follow_the_count() -> None:
    """English chooses ``endorsement`` or ``endorsements`` by CLDR's rule; Korean has one form."""
    one = verify.messages.render("endorsements-valid", {"count": 1})
    two = verify.messages.render("endorsements-valid", {"count": 2})
    assert one["en"] == "1 endorsement verified."
    assert two["en"] == "2 endorsements verified."
    assert (one["ko"], two["ko"]) == ("보증 1건을 확인했습니다.", "보증 2건을 확인했습니다.")
    plural = [_key(m) for m in read_catalog("verify", "en") if m.pluralizable]
    assert len(plural) >= 5


def test_tallies_read_naturally_in_both_languages() -> None:
    """A tally of verdicts is written in each language's order, from the catalog."""
    texts = verify.messages.render(
        "embedded-unverifiable", {"count": 2, "tally": {"valid": 1, "revoked": 1}}
    )
    assert texts["en"] == "2 embedded credentials: 1 valid, 1 revoked."
    assert texts["ko"] == "포함된 자격증명 2건: 유효함 1건, 취소됨 1건."
