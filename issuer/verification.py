"""Verification by this service: the ``verify`` package, with this service's origin in-process.

Documents under the service's own origin (DID documents, status lists, credentials) are
answered by the application itself, so a development server on 127.0.0.1 verifies its own
badges without opening the verifier to local addresses; anything else goes through
:class:`verify.HttpFetcher` (HTTPS, public addresses only, size and time limits). The API
(``POST /api/v1/verify``) and the web pages both verify through :func:`verify_source`, so
they and the ``baeji verify`` command judge a credential the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from issuer import settings_of
from verify import (
    CachingFetcher,
    DocumentGone,
    DocumentNotFound,
    FetchedDocument,
    Fetcher,
    HttpFetcher,
    HttpStatusError,
    VerificationReport,
    verify_credential,
)


class AppFetcher:
    """A :class:`verify.Fetcher` that answers URLs of this service from the app itself.

    did:web URLs always say ``https``; a development origin is ``http``, so only host and
    port are compared.
    """

    def __init__(self, app: Flask, base_url: str, fallback: Fetcher) -> None:
        self._app = app
        origin = urlsplit(base_url)
        self._netloc = origin.netloc.lower()
        self._prefix = origin.path.rstrip("/")
        self._fallback = fallback

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        """Return the document at ``url``."""
        parts = urlsplit(url)
        if parts.netloc.lower() != self._netloc or not parts.path.startswith(self._prefix + "/"):
            return self._fallback.fetch(url, accept=accept)
        path = parts.path[len(self._prefix) :]
        with self._app.test_client() as client:
            response = client.get(path, query_string=parts.query, headers={"Accept": accept})
        if response.status_code == 410:
            raise DocumentGone(f"{url} answered 410 Gone", url=url)
        if response.status_code == 404:
            raise DocumentNotFound(f"{url} answered {response.status_code}", url=url)
        if not 200 <= response.status_code < 300:
            raise HttpStatusError(
                f"{url} answered {response.status_code}", url=url, status=response.status_code
            )
        headers = {key.lower(): value for key, value in response.headers.items()}
        return FetchedDocument(
            url, response.status_code, response.content_type or "", response.get_data(), headers
        )


def verify_source(
    app: Flask, source: Mapping[str, Any] | str | bytes, *, email: str | None = None
) -> VerificationReport:
    """Verify a credential in any form ``verify`` reads, at the service's current time."""
    settings = settings_of(app)
    fetcher = AppFetcher(app, settings.base_url, _external_fetcher(app))
    return verify_credential(source, now=settings.clock(), fetcher=fetcher, email=email)


def _external_fetcher(app: Flask) -> Fetcher:
    """Return the app's fetcher for other origins: HTTPS with a cache honouring Cache-Control.

    One per app (per worker process), so employers checking many badges of one issuer do
    not fetch its DID document and status lists again for every badge while they are fresh.
    """
    state = app.extensions["issuer"]
    if "external_fetcher" not in state:
        state["external_fetcher"] = CachingFetcher(HttpFetcher(), clock=settings_of(app).clock)
    fetcher: Fetcher = state["external_fetcher"]
    return fetcher
