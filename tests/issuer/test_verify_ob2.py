"""Employers verify Open Badges 2.0 badges through the service like any other badge.

The badge is the OB 2.0 specification's example (``tests/vectors/ob2``), served to the
service's verifier by a :class:`~verify.DictFetcher` in place of the network to other
origins.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.issuer.conftest import ENGLISH, KOREAN
from tests.verify.test_ob2 import ASSERTION_URL, RECIPIENT, _itxt_png, _spec_documents
from verify import DictFetcher


@pytest.fixture
def ob2_network(app: Flask) -> Iterator[DictFetcher]:
    """Other origins answer with the OB 2.0 example badge; restored afterwards."""
    state = app.extensions["issuer"]
    saved = state.get("external_fetcher")
    fetcher = DictFetcher(_spec_documents())
    state["external_fetcher"] = fetcher
    try:
        yield fetcher
    finally:
        if saved is None:
            state.pop("external_fetcher", None)
        else:
            state["external_fetcher"] = saved


def test_api_verifies_an_ob2_hosted_badge(client: FlaskClient, ob2_network: DictFetcher) -> None:
    response = client.post("/api/v1/verify", json={"url": ASSERTION_URL, "email": RECIPIENT})
    assert response.status_code == 200
    data = response.json
    assert data is not None
    assert data["verdict"] == "valid", data
    assert data["version"] == "2.0"
    assert data["credential"]["name"] == "Awesome Robotics Badge"


def test_verify_page_shows_an_ob2_baked_png(client: FlaskClient, ob2_network: DictFetcher) -> None:
    png = _itxt_png("openbadges", ASSERTION_URL)
    response = client.post(
        "/verify",
        data={"file": (io.BytesIO(png), "beth.png"), "text": ""},
        headers=ENGLISH,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-verdict="valid"' in html
    assert "Awesome Robotics Badge" in html
    assert "An Example Badge Issuer" in html
    assert "only as current as the issuer" in html
    assert "None" not in html
    korean = client.post("/verify", data={"text": ASSERTION_URL}, headers=KOREAN)
    assert "발급자 서버" in korean.get_data(as_text=True)
