"""``/api/v1/issuer``: the calling issuer's own profile, and its logo."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from issuer.achievements.artwork import app_artwork_fetcher, load_artwork, logo_url, store_logo
from issuer.config import Settings
from issuer.models import Issuer
from issuer.operations import caller, operation, parse, settings, work
from issuer.schemas import IssuerProfileOut, IssuerUpdate

bp = Blueprint("profile", __name__, url_prefix="/api/v1")
TAG = "issuer"


def _out(conf: Settings, issuer: Issuer) -> IssuerProfileOut:
    return IssuerProfileOut(
        id=issuer.did,
        slug=issuer.slug,
        name=issuer.name,
        url=issuer.url,
        email=issuer.email,
        description=issuer.description,
        logo=logo_url(conf, issuer),
    )


@bp.get("/issuer")
@operation(summary="Get the issuer's profile", tag=TAG, responses={200: IssuerProfileOut})
def show() -> Response:
    """Return the calling issuer's profile."""
    who = caller()
    return jsonify(_out(settings(), who.issuer).to_json())


@bp.patch("/issuer")
@operation(
    summary="Update the issuer's profile",
    tag=TAG,
    body=IssuerUpdate,
    responses={200: IssuerProfileOut},
    description="Set the logo (an https URL, fetched once, or a data: URI; PNG, JPEG or SVG, "
    "at most 512 KiB) shown on the profile, verification pages and certificates; null "
    "removes it. Refusals: image-too-large, image-type-unsupported, image-unreadable, "
    "image-dimensions-too-large, image-unsafe, image-unreachable.",
)
def update() -> Response:
    """Update the calling issuer's profile."""
    who = caller()
    patch = parse(IssuerUpdate)
    conf = settings()
    issuer = who.issuer
    if "logo" in patch.model_fields_set:
        artwork = (
            load_artwork(patch.logo, app_artwork_fetcher(), field="logo") if patch.logo else None
        )
        issuer = store_logo(work(), artwork)
    return jsonify(_out(conf, issuer).to_json())
