"""Every page in Korean shows no English text from our catalogs.

The English texts of both catalogs (the pages' and the verifier's) that are long enough to be
sentences or labels, and that differ from their Korean translation, must not appear in any
page a Korean browser opens. Course content and proper nouns come from the credentials and
are not catalog texts, so they never count.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.issuer.conftest import (
    BASE_URL,
    KOREAN,
    Api,
    Tenant,
    full_wallet_link,
    page,
    unique_email,
)
from tests.test_catalogs import texts

# Shorter English texts ("Issuer", "passed") are words a credential or a URL may hold too.
_MIN_LENGTH = 12


def _english_fragments() -> set[str]:
    """The fixed parts of every English catalog text that Korean readers must not see."""
    found: set[str] = set()
    for domain in ("issuer", "verify"):
        for english, korean in texts(domain).values():
            if english == korean:
                continue
            for fragment in re.split(r"\{[^}]*\}|\n", english):
                fragment = fragment.strip(" .,:;()")
                if len(fragment) >= _MIN_LENGTH and fragment not in korean:
                    found.add(fragment)
    return found


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
)
_SPOKEN = ("alt", "title", "aria-label", "content", "placeholder")


class _Reader(HTMLParser):
    """Collects what a Korean reader is shown: text and spoken attributes, except inside
    ``script``/``style`` and inside elements explicitly marked as another language
    (``lang="en"``: the API reference, which is English by design and says so)."""

    def __init__(self, lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.words: list[str] = []
        self._open: list[bool] = []  # per open element: whether it hides its content

    def _hidden(self) -> bool:
        return any(self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        hides = (
            tag in ("script", "style")
            or (found.get("lang") or self.lang).split("-")[0] != self.lang
        )
        if not self._hidden() and not hides:
            self.words.extend(v for k, v in attrs if k in _SPOKEN and v)
        if tag not in _VOID:
            self._open.append(hides)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.words.append(data)


def _visible_text(markup: str, lang: str = "ko") -> str:
    """The page's words as a reader of ``lang`` (and a screen reader) gets them."""
    reader = _Reader(lang)
    reader.feed(markup)
    return re.sub(r"\s+", " ", " ".join(reader.words))


@pytest.fixture(scope="module")
def pages(app: Flask, hanbit: Tenant) -> dict[str, str]:
    """One path of every kind of page, for a learner with a badge and a share."""
    with app.test_client() as client:
        api = Api(client, hanbit)
        email = unique_email("korean")
        course = api.achievement("데이터 분석 기초", creditsAvailable=2, fieldOfStudy="데이터")
        # Every optional part a page shows: credits, a result, a date in both zones' days.
        content: dict[str, Any] = {
            "creditsEarned": 2,
            "result": [{"status": "Completed", "value": "A"}],
            "validFrom": "2026-03-01T16:30:00Z",
        }
        issued = api.issue(course["uuid"], email, "이서연", **content)
        wallet = full_wallet_link(app, email).removeprefix(BASE_URL)
        created = client.post(f"{wallet}/shares", data={"scope": "all"}, headers=KOREAN)
        assert created.status_code == 303
        (share,) = re.findall(r'class="share-link" href="([^"]+)"', page(client, wallet))
        return {
            "home": "/",
            "verify": "/verify",
            "verification": issued["id"].removeprefix(BASE_URL),
            "issuer": "/issuers/hanbit",
            "wallet": wallet,
            "share": share.removeprefix(BASE_URL),
            "certificate": f"{wallet}/credentials/{issued['uuid']}/certificate",
            "api-docs": "/api/docs",
        }


def test_fragments_are_many() -> None:
    """The check compares against the real catalogs, not an empty set."""
    assert len(_english_fragments()) > 300


@pytest.mark.parametrize(
    "name",
    ["home", "verify", "verification", "issuer", "wallet", "share", "certificate", "api-docs"],
)
def test_korean_page_leaks_no_english(
    client: FlaskClient, pages: dict[str, str], name: str
) -> None:
    """A Korean browser reads every text of the page in Korean."""
    shown = _visible_text(page(client, pages[name]))
    assert 'lang="ko"' in page(client, pages[name])
    leaked = sorted(f for f in _english_fragments() if f in shown)
    assert leaked == [], name


@pytest.mark.parametrize(
    ("path", "status"),
    [("/credentials/no-such-badge", 404), ("/issuers/no-such-issuer", 404)],
)
def test_korean_error_pages_leak_no_english(client: FlaskClient, path: str, status: int) -> None:
    """Friendly error pages are Korean too."""
    response = client.get(path, headers=KOREAN)
    assert response.status_code == status
    shown = _visible_text(response.get_data(as_text=True))
    assert 'lang="ko"' in response.get_data(as_text=True)
    leaked = sorted(f for f in _english_fragments() if f in shown)
    assert leaked == []


def test_english_pages_do_show_catalog_english(client: FlaskClient, pages: dict[str, Any]) -> None:
    """The same check sees English where English is asked for (so it can fail)."""
    response = client.get(
        pages["verification"], headers={**KOREAN, "Accept-Language": "en-US,en;q=0.9"}
    )
    shown = _visible_text(response.get_data(as_text=True), "en")
    assert any(f in shown for f in _english_fragments())
