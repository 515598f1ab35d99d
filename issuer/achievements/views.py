"""Stored provider artwork, at stable addresses: achievement images and issuer logos.

The bytes were checked when they were saved (:mod:`issuer.achievements.artwork`). SVG is served
with a policy that lets it run nothing and load nothing, so even opened on its own it stays an
image.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request
from sqlmodel import select

from issuer.achievements import service as catalog
from issuer.db import get_session
from issuer.errors import NotFound
from issuer.models import Issuer
from issuer.operations import public_work

bp = Blueprint("artwork", __name__)

_SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def _image(data: bytes, media_type: str) -> Response:
    tag = hashlib.sha256(data).hexdigest()[:32]
    response = Response(status=304) if request.if_none_match.contains(tag) else Response(data)
    response.content_type = media_type
    response.set_etag(tag)
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Access-Control-Allow-Origin"] = "*"
    if media_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = _SVG_POLICY
    return response


@bp.get("/achievements/<ref>/image")
def achievement_image(ref: str) -> Response:
    """The provider's own artwork of an achievement, as stored when it was saved."""
    row = catalog.public_achievement(public_work(), ref)
    if row.image is None or row.image_type is None:
        raise NotFound("this achievement has no image of its own")
    return _image(row.image, row.image_type)


@bp.get("/issuers/<slug>/logo")
def issuer_logo(slug: str) -> Response:
    """A provider's logo."""
    issuer = get_session().exec(select(Issuer).where(Issuer.slug == slug)).first()
    if issuer is None or issuer.logo is None or issuer.logo_type is None:
        raise NotFound(f"no logo of issuer {slug!r}")
    return _image(issuer.logo, issuer.logo_type)
