"""Public documents that verifiers and people fetch: credentials, issuers, keys, status lists.

Everything here is readable without an API key. Credentials are served exactly as stored
(never rebuilt); images are baked on the fly from the stored JSON. Status lists, DID
documents and JWKS carry ``ETag`` and ``Cache-Control`` so a CDN can absorb employer
traffic, and answer ``If-None-Match`` with 304.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from sqlmodel import select

from badges import OB_CONTEXTS
from badges.bake import bake_png, bake_svg
from badges.image import default_badge_png, default_badge_svg
from badges.qr import qr_png, qr_svg
from issuer import accounts, catalog, platform, services, signing
from issuer.api import settings
from issuer.artwork import artwork_png, artwork_svg
from issuer.db import get_session
from issuer.errors import NotFound
from issuer.models import Achievement, Issuer
from issuer.web import pages, render_page, wants_html

bp = Blueprint("public", __name__)

CREDENTIAL_JSON = "application/vc+ld+json"
_NEGOTIABLE = (
    "text/html",
    CREDENTIAL_JSON,
    "application/ld+json",
    "application/json",
    "application/vc",
    "application/vc+jwt",
    "text/plain",
)
# An issued credential's bytes never change (its status lives in the status list).
_IMMUTABLE = "public, max-age=31536000, immutable"


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
    if request.if_none_match.contains(tag):
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
    row = services.public_credential(get_session(), conf, ref)
    if request.method == "POST":
        if extension:
            raise NotFound(f"no {extension!r} page of a credential")
        return pages.credential_page(row, email=request.form.get("email"))
    base = f"badge-{row.id}"
    if extension == "json":
        return _document(
            row.document,
            f"{CREDENTIAL_JSON}; charset=utf-8",
            cache=_IMMUTABLE,
            filename=f"{base}.json",
        )
    if extension in ("jwt", "jws"):
        return _document(
            row.jwt, "text/plain; charset=utf-8", cache=_IMMUTABLE, filename=f"{base}.jwt"
        )
    if extension == "png":
        document = json.loads(row.document)
        own = _own_artwork(row.achievement_id)
        artwork = (artwork_png(*own) if own else None) or _badge_png(
            _achievement_name(document), _issuer_name(document), row.achievement_id
        )
        baked = bake_png(artwork, row.document)
        return _document(baked, "image/png", cache=_IMMUTABLE, filename=f"{base}.png")
    if extension == "svg":
        document = json.loads(row.document)
        own = _own_artwork(row.achievement_id)
        svg = (
            artwork_svg(*own, title=_achievement_name(document))
            if own
            else default_badge_svg(
                _achievement_name(document),
                issuer_name=_issuer_name(document),
                seed=row.achievement_id,
            )
        )
        return _document(
            bake_svg(svg, row.document), "image/svg+xml", cache=_IMMUTABLE, filename=f"{base}.svg"
        )
    if extension:
        raise NotFound(f"no {extension!r} form of a credential; use .json, .jwt, .png or .svg")
    wanted = request.accept_mimetypes.best_match(_NEGOTIABLE, default="text/html")
    if wanted in ("application/vc+jwt", "text/plain"):
        return _document(row.jwt, f"{wanted}; charset=utf-8", cache=_IMMUTABLE)
    if wanted != "text/html":
        return _document(row.document, f"{wanted}; charset=utf-8", cache=_IMMUTABLE)
    return pages.credential_page(row)


def _achievement_name(document: dict[str, Any]) -> str:
    return str(document.get("credentialSubject", {}).get("achievement", {}).get("name", "Badge"))


def _issuer_name(document: dict[str, Any]) -> str | None:
    issuer = document.get("issuer")
    return issuer.get("name") if isinstance(issuer, dict) else None


def _own_artwork(achievement_id: str) -> tuple[bytes, str] | None:
    """The provider's stored artwork of the achievement (bytes, media type), if any."""
    achievement = get_session().get(Achievement, achievement_id)
    if achievement is None or achievement.image is None or achievement.image_type is None:
        return None
    return achievement.image, achievement.image_type


@lru_cache(maxsize=256)
def _badge_png(name: str, issuer_name: str | None, seed: str) -> bytes:
    # Drawing takes ~100 ms and depends only on these; baking is cheap.
    return default_badge_png(name, issuer_name=issuer_name, seed=seed)


@bp.get("/credentials/<ref>/qr.png")
def credential_qr_png(ref: str) -> Response:
    """A QR code (PNG) holding the credential's URL."""
    conf = settings()
    row = services.public_credential(get_session(), conf, ref)
    return _document(qr_png(conf.url("credentials", row.id)), "image/png", cache=_IMMUTABLE)


@bp.get("/credentials/<ref>/qr.svg")
def credential_qr_svg(ref: str) -> Response:
    """A QR code (SVG) holding the credential's URL."""
    conf = settings()
    row = services.public_credential(get_session(), conf, ref)
    return _document(qr_svg(conf.url("credentials", row.id)), "image/svg+xml", cache=_IMMUTABLE)


@bp.get("/achievements/<ref>")
def achievement(ref: str) -> Response:
    """An achievement as the OB 3.0 JSON that badges embed (its ``id`` dereferences here)."""
    conf = settings()
    session = get_session()
    row = catalog.public_achievement(session, conf, ref)
    issuer = session.get(Issuer, row.issuer_id)
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
        **catalog.ob_achievement(conf, issuer, row).to_json(),
    }
    return _json(document, "application/ld+json")


@bp.get("/issuers/<slug>")
def issuer_profile(slug: str) -> Response:
    """The issuer's OB 3.0 Profile (its ``id`` is the did:web DID); a page for browsers."""
    issuer = accounts.issuer_by_slug(get_session(), slug)
    if wants_html():
        return pages.issuer_page(issuer)
    document = {"@context": list(OB_CONTEXTS), **catalog.issuer_profile(issuer).to_json()}
    return _json(document, "application/ld+json")


@bp.get("/issuers/<slug>/did.json")
def did_document(slug: str) -> Response:
    """The issuer's DID document: its published keys as Multikey and JsonWebKey."""
    session = get_session()
    issuer = accounts.issuer_by_slug(session, slug)
    rows = signing.issuer_keys(session, issuer.pk)
    return _json(signing.did_document(issuer, rows), "application/did+json")


@bp.get("/issuers/<slug>/jwks.json")
def issuer_jwks(slug: str) -> Response:
    """The issuer's published keys as a JWK Set (``kid`` = the JsonWebKey DID URL)."""
    session = get_session()
    issuer = accounts.issuer_by_slug(session, slug)
    rows = signing.issuer_keys(session, issuer.pk)
    return _json({"keys": signing.jwks(rows)}, "application/jwk-set+json")


@bp.get("/.well-known/did.json")
@bp.get("/did.json")
def platform_did_document() -> Response:
    """The platform's DID document (``did:web`` of the bare origin), which signs learner
    records; ``/did.json`` serves it when the public origin has a path."""
    session = get_session()
    identity = platform.find_platform(session)
    if identity is None:
        raise NotFound("the platform has no identity yet (run 'baeji init')")
    rows = signing.issuer_keys(session, identity.pk)
    return _json(signing.did_document(identity, rows), "application/did+json")


@bp.get("/.well-known/jwks.json")
def platform_jwks() -> Response:
    """Every issuer's published keys, and the platform's (OB 3.0 impl. guide: one JWKS per
    platform domain)."""
    return _json({"keys": signing.all_jwks(get_session())}, "application/jwk-set+json")


@bp.get("/status/<list_id>")
def status_list(list_id: str) -> Response:
    """A signed BitstringStatusListCredential, exactly as last signed."""
    row = services.status_list(get_session(), list_id)
    return _document(row.document, f"{CREDENTIAL_JSON}; charset=utf-8", etag=row.etag)
