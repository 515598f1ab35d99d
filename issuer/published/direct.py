"""The documents verifiers fetch most, answered in front of Flask.

``GET /status/<list>`` (a status list) and ``GET /issuers/<slug>/did.json`` (a DID document)
are fetched for nearly every verification, by every verifier, and an issued credential's
``.json`` / ``.jwt`` by whoever checks it. Reading one is a single indexed SELECT (or the
worker's cache, for a credential, whose bytes never change); Flask's handling of a request
around it (request context, routing, the before/after/teardown hooks, the session) costs
more than the read. :class:`DirectDocuments` is a WSGI layer in front of the app that
answers exactly these requests from the same reads (:mod:`issuer.published.service`) with
the same headers as the Flask routes: :mod:`issuer.published.api` ``_published``'s, plus the
ones :mod:`issuer.pages` adds to every response (``X-Content-Type-Options``;
``Strict-Transport-Security`` on an HTTPS origin). The reads are given the engine and the
settings, not a unit of work (:class:`issuer.db.Work`): making one would open a session and
read the clock in front of Flask, for reads that need neither.

Everything else goes to Flask unchanged: another method (``HEAD`` too), a query string, a
conditional request (``If-None-Match``: Flask answers 304), a document that is not there, any
error (Flask answers or reports it as everywhere else). A header added to every response
must be added here too: ``tests/issuer/test_request_costs.py`` compares these answers with
Flask's for the same request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from issuer import settings_of
from issuer.db import engine_of
from issuer.pages import STRICT_TRANSPORT_SECURITY
from issuer.published import service as published

_STATUS = "/status/"
_ISSUERS = "/issuers/"
_DID = "/did.json"
_CREDENTIALS = "/credentials/"
_CREDENTIAL_FORMS = {".json": "json", ".jwt": "jwt"}
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class DirectDocuments:
    """A WSGI layer answering stored status lists and DID documents (see the module)."""

    def __init__(self, flask_app: Flask, app: WsgiApp) -> None:
        self.flask_app = flask_app
        self.app = app
        self._engine = engine_of(flask_app)
        self._state = flask_app.extensions["issuer"]

    def _find(self, path: str) -> published.Published | None:
        config = self.flask_app.config
        try:
            if path.startswith(_STATUS):
                list_id = path[len(_STATUS) :]
                if not list_id or "/" in list_id:
                    return None
                max_age = int(config["PUBLIC_MAX_AGE"])
                return published.status_list(self._engine, list_id, max_age=max_age)
            if path.startswith(_ISSUERS) and path.endswith(_DID):
                slug = path[len(_ISSUERS) : -len(_DID)]
                if not slug or "/" in slug:
                    return None
                caches = published.caches_of(self._state)
                max_age = int(config["DOCUMENT_MAX_AGE"])
                return published.did_document(self._engine, caches, slug, max_age=max_age)
            if path.startswith(_CREDENTIALS):
                name = path[len(_CREDENTIALS) :]
                ref, dot, extension = name.partition(".")
                form = _CREDENTIAL_FORMS.get(dot + extension)
                if form is None or not ref or "/" in name:
                    return None
                caches = published.caches_of(self._state)
                conf = settings_of(self.flask_app)
                return published.credential(self._engine, conf, caches, ref, form)
        except Exception:  # not found, or failing: Flask answers it, as always
            return None
        return None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer a plain GET of a stored status list or DID document; pass the rest on."""
        if (
            environ.get("REQUEST_METHOD") == "GET"
            and not environ.get("QUERY_STRING")
            and "HTTP_IF_NONE_MATCH" not in environ
        ):
            found = self._find(environ.get("PATH_INFO", ""))
            if found is not None:
                body = found.render()
                headers = [
                    ("Content-Type", found.content_type),
                    ("Content-Length", str(len(body))),
                    ("ETag", f'"{found.etag}"'),
                    ("Cache-Control", found.cache_control),
                    ("Access-Control-Allow-Origin", "*"),
                    ("Vary", "Accept"),
                    ("X-Content-Type-Options", "nosniff"),
                ]
                if found.filename:
                    disposition = f'inline; filename="{found.filename}"'
                    headers.append(("Content-Disposition", disposition))
                if settings_of(self.flask_app).https:
                    headers.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
                start_response("200 OK", headers)
                return [body]
        return self.app(environ, start_response)


def init_app(app: Flask) -> None:
    """Put :class:`DirectDocuments` in front of ``app`` (outermost WSGI layer)."""
    app.wsgi_app = DirectDocuments(app, app.wsgi_app)  # type: ignore[method-assign]
