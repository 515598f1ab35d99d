"""Public documents that verifiers and people fetch: credentials, issuers, keys, status lists.

Everything here is readable without an API key. Stored documents (credentials in every
form, status lists, DID documents, JWKS) come from :mod:`issuer.published.service`: the stored
bytes, a strong ``ETag``, ``Cache-Control`` suited to each (credentials are immutable,
status lists short, key documents medium) so a CDN can absorb employer traffic, and 304
for a matching ``If-None-Match`` without rendering anything.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from sqlmodel import select
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from badges import OB_CONTEXTS
from issuer.achievements import service as catalog
from issuer.certification import service as certifying
from issuer.credentials import reads
from issuer.db import get_session
from issuer.errors import NotFound
from issuer.issuers import service as accounts
from issuer.models import Issuer
from issuer.operations import public_work, settings
from issuer.pages import render_page, wants_html
from issuer.published import certifications
from issuer.published import service as published
from issuer.verification import views as pages

bp = Blueprint("public", __name__)

CREDENTIAL_JSON = published.CREDENTIAL_JSON
_NEGOTIABLE = (
    "text/html",
    CREDENTIAL_JSON,
    "application/ld+json",
    "application/json",
    "application/vc",
    "application/vc+jwt",
    "text/plain",
)


@lru_cache(maxsize=512)
def _wanted(accept: str) -> str:
    """The form of a credential an ``Accept`` header asks for (parsed once per header text
    and worker: clients send few distinct ones)."""
    found = parse_accept_header(accept, MIMEAccept).best_match(_NEGOTIABLE, default="text/html")
    return str(found)


def _max_age() -> int:
    return int(current_app.config["PUBLIC_MAX_AGE"])


def _document(
    body: str | bytes,
    content_type: str,
    *,
    cache: str | None = None,
    etag: str | None = None,
    filename: str | None = None,
) -> Response:
    data = body.encode() if isinstance(body, str) else body
    tag = (etag or hashlib.sha256(data).hexdigest()[:32]).strip('"')
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
    else:
        response = Response(data, content_type=content_type)
    response.set_etag(tag)
    response.headers["Cache-Control"] = cache or f"public, max-age={_max_age()}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.vary.add("Accept")
    return response


def _document_max_age() -> int:
    return int(current_app.config["DOCUMENT_MAX_AGE"])


def _caches() -> published.Caches:
    return published.caches_of(current_app.extensions["issuer"])


def _published(
    found: published.Published,
    *,
    content_type: str | None = None,
    filename: bool = True,
) -> Response:
    """Answer with a stored document: 304 if the client has it, else its bytes.

    The headers are given whole to the response (one list, not one update each: this is the
    hottest path of the service).
    """
    headers = [
        ("ETag", f'"{found.etag}"'),  # strong; stored ETags are hex digits
        ("Cache-Control", found.cache_control),
        ("Access-Control-Allow-Origin", "*"),
        ("Vary", "Accept"),
    ]
    if filename and found.filename:
        headers.append(("Content-Disposition", f'inline; filename="{found.filename}"'))
    if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains_weak(found.etag):
        return Response(status=304, headers=headers)
    return Response(
        found.render(), content_type=content_type or found.content_type, headers=headers
    )


def _json(value: Any, content_type: str = "application/json", **kwargs: Any) -> Response:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _document(text, f"{content_type}; charset=utf-8", **kwargs)


@bp.get("/")
def home() -> Response:
    """A landing page: what Baeji does, the verification page, the API documentation."""
    demo = get_session().exec(select(Issuer.id).where(Issuer.slug == "demo")).first()
    return render_page("service/home.html", demo=demo is not None)


@bp.get("/healthz")
def health() -> Response:
    """Liveness: the app answers (the database is not queried)."""
    return _json({"status": "ok"}, cache="no-store")


@bp.route("/credentials/<name>", methods=["GET", "POST"])
def credential(name: str) -> Response:
    """A credential: its verification page for people, JSON-LD by content negotiation, or
    a form by extension.

    ``.json`` (the signed JSON), ``.jwt`` (the VC-JWT, ``text/plain``), ``.png`` and ``.svg``
    (baked images). The page verifies the credential now, with the ``verify`` package;
    POSTing an ``email`` form field also checks it against the recipient.
    """
    ref, _, extension = name.partition(".")
    conf = settings()
    if extension:
        if request.method == "POST":
            raise NotFound(f"no {extension!r} page of a credential")
        if extension == "jws":
            extension = "jwt"
        if extension not in ("json", "jwt", "png", "svg"):
            raise NotFound(f"no {extension!r} form of a credential; use .json, .jwt, .png or .svg")
        return _published(published.credential(get_session(), conf, _caches(), ref, extension))
    if request.method == "POST":
        row = reads.public_credential(public_work(), ref)
        return pages.credential_page(row, email=request.form.get("email"))
    wanted = _wanted(request.headers.get("Accept", ""))
    if wanted != "text/html":
        form = "jwt" if wanted in ("application/vc+jwt", "text/plain") else "json"
        found = published.credential(get_session(), conf, _caches(), ref, form)
        return _published(found, content_type=f"{wanted}; charset=utf-8", filename=False)
    return pages.stored_credential_page(ref)


@bp.get("/certifications/<name>")
def certification(name: str) -> Response:
    """A provider's certification: the platform's signed EndorsementCredential (its ``id``
    resolves here); ``.json`` or ``.jwt``, or by content negotiation. People are sent to
    the provider's page, which shows the certification once it verified."""
    ref, _, extension = name.partition(".")
    work = public_work()
    if extension == "jws":
        extension = "jwt"
    if extension:
        return _published(certifications.certification(work, ref, extension))
    wanted = request.accept_mimetypes.best_match(_NEGOTIABLE, default="text/html")
    if wanted == "text/html":
        slug = certifications.certification_provider(work, ref)
        response = Response(status=303)
        response.headers["Location"] = (
            url_for("public.issuer_profile", slug=slug) + "#certification"
        )
        return response
    form = "jwt" if wanted in ("application/vc+jwt", "text/plain") else "json"
    found = certifications.certification(work, ref, form)
    return _published(found, content_type=f"{wanted}; charset=utf-8", filename=False)


@bp.get("/credentials/<ref>/qr.png")
def credential_qr_png(ref: str) -> Response:
    """A QR code (PNG) holding the credential's URL."""
    conf = settings()
    return _published(published.credential(get_session(), conf, _caches(), ref, "qr.png"))


@bp.get("/credentials/<ref>/qr.svg")
def credential_qr_svg(ref: str) -> Response:
    """A QR code (SVG) holding the credential's URL."""
    conf = settings()
    return _published(published.credential(get_session(), conf, _caches(), ref, "qr.svg"))


@bp.get("/achievements/<ref>")
def achievement(ref: str) -> Response:
    """An achievement as the OB 3.0 JSON that badges embed (its ``id`` dereferences here)."""
    work = public_work()
    row = catalog.public_achievement(work, ref)
    issuer = work.session.get(Issuer, row.issuer_id)
    if issuer is None:
        raise NotFound(f"no achievement {ref!r}")
    if wants_html():
        # People following an achievement id land on it in its provider's profile.
        response = Response(status=303)
        response.headers["Location"] = (
            url_for("public.issuer_profile", slug=issuer.slug) + f"#a-{row.id}"
        )
        return response
    document = {
        "@context": list(OB_CONTEXTS),
        **catalog.ob_achievement(work.settings, issuer, row).to_json(),
    }
    return _json(document, "application/ld+json")


@bp.get("/issuers/<slug>")
def issuer_profile(slug: str) -> Response:
    """The issuer's OB 3.0 Profile (its ``id`` is the did:web DID), with its current
    certifications as ``endorsement``; a page for browsers."""
    issuer = accounts.issuer_by_slug(get_session(), slug)
    if wants_html():
        return pages.issuer_page(issuer)
    document = {"@context": list(OB_CONTEXTS), **catalog.issuer_profile(issuer).to_json()}
    # OB 3.0 Profile.endorsement: the platform's current certifications, as signed.
    current = certifying.all_current(public_work(), issuer)
    if current:
        document["endorsement"] = certifying.documents(current)
    return _json(document, "application/ld+json")


@bp.get("/issuers/<slug>/did.json")
def did_document(slug: str) -> Response:
    """The issuer's DID document: its published keys as Multikey and JsonWebKey."""
    return _published(
        published.did_document(get_session(), _caches(), slug, max_age=_document_max_age())
    )


@bp.get("/issuers/<slug>/jwks.json")
def issuer_jwks(slug: str) -> Response:
    """The issuer's published keys as a JWK Set (``kid`` = the JsonWebKey DID URL)."""
    return _published(published.jwks(get_session(), _caches(), slug, max_age=_document_max_age()))


@bp.get("/.well-known/did.json")
@bp.get("/did.json")
def platform_did_document() -> Response:
    """The platform's DID document (``did:web`` of the bare origin), which signs learner
    records; ``/did.json`` serves it when the public origin has a path."""
    return _published(
        published.did_document(get_session(), _caches(), None, max_age=_document_max_age())
    )


@bp.get("/.well-known/jwks.json")
def platform_jwks() -> Response:
    """Every issuer's published keys, and the platform's (OB 3.0 impl. guide: one JWKS per
    platform domain)."""
    return _published(published.jwks(get_session(), _caches(), None, max_age=_document_max_age()))


@bp.get("/status/<list_id>")
def status_list(list_id: str) -> Response:
    """A signed BitstringStatusListCredential, exactly as last signed."""
    return _published(published.status_list(get_session(), list_id, max_age=_max_age()))
