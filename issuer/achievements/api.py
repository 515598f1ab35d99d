"""``/api/v1/achievements``: the calling issuer's courses."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from issuer.achievements import service as catalog
from issuer.achievements.artwork import app_artwork_fetcher, load_artwork
from issuer.operations import caller, operation, parse, work
from issuer.schemas import AchievementCreate, AchievementList, AchievementOut, AchievementUpdate

bp = Blueprint("achievements", __name__, url_prefix="/api/v1")
TAG = "achievements"


@bp.post("/achievements")
@operation(
    summary="Create an achievement",
    tag=TAG,
    body=AchievementCreate,
    responses={201: AchievementOut},
    links={
        "GetAchievement": {
            "operationId": "get_api_v1_achievements_ref",
            "parameters": {"ref": "$response.body#/uuid"},
        },
        "UpdateAchievement": {
            "operationId": "patch_api_v1_achievements_ref",
            "parameters": {"ref": "$response.body#/uuid"},
        },
        "IssueCredential": {
            "operationId": "post_api_v1_credentials",
            "requestBody": {"achievementId": "$response.body#/uuid"},
        },
    },
)
def create() -> tuple[Response, int, dict[str, str]]:
    """Create an achievement (course) for the calling issuer."""
    caller()
    data = parse(AchievementCreate)
    artwork = load_artwork(data.image, app_artwork_fetcher()) if data.image else None
    unit = work()
    row = catalog.create_achievement(unit, data, artwork=artwork)
    out = catalog.achievement_out(unit, row)
    return jsonify(out.to_json()), 201, {"Location": f"/api/v1/achievements/{row.id}"}


@bp.get("/achievements")
@operation(
    summary="List achievements",
    tag=TAG,
    responses={200: AchievementList},
    query={
        "includeArchived": {
            "description": "true to list archived achievements too (default: false)",
            "schema": {"type": "string", "enum": ["true", "false"]},
        },
    },
)
def index() -> Response:
    """List the calling issuer's achievements, newest first (archived ones left out)."""
    unit = work()
    include = request.args.get("includeArchived", "false").lower() in ("true", "1", "yes")
    rows = catalog.list_achievements(unit.session, unit.tenant, include_archived=include)
    links = catalog.links_of(unit.session, [row.id for row in rows])
    out = AchievementList(
        achievements=[catalog.achievement_out(unit, row, links=links) for row in rows]
    )
    return jsonify(out.to_json())


@bp.get("/achievements/<ref>")
@operation(summary="Get an achievement", tag=TAG, responses={200: AchievementOut})
def show(ref: str) -> Response:
    """Return one achievement of the calling issuer (by uuid)."""
    unit = work()
    row = catalog.get_achievement(unit, ref)
    return jsonify(catalog.achievement_out(unit, row).to_json())


@bp.patch("/achievements/<ref>")
@operation(
    summary="Update an achievement",
    tag=TAG,
    body=AchievementUpdate,
    responses={200: AchievementOut},
    description="Members left out keep their value; null clears an optional member. "
    "Credentials already issued keep the achievement as it was when they were signed.",
)
def update(ref: str) -> Response:
    """Partially update an achievement of the calling issuer."""
    caller()
    patch = parse(AchievementUpdate)
    artwork = load_artwork(patch.image, app_artwork_fetcher()) if patch.image else None
    unit = work()
    row = catalog.update_achievement(unit, ref, patch, artwork=artwork)
    return jsonify(catalog.achievement_out(unit, row).to_json())


@bp.post("/achievements/<ref>/archive")
@operation(
    summary="Archive an achievement",
    tag=TAG,
    responses={200: AchievementOut},
    description="Archived achievements award no new badges (issuing answers 409 "
    "achievement-archived) and are left out of listings; badges already issued keep "
    "resolving. Archiving twice keeps the first time.",
)
def archive(ref: str) -> Response:
    """Archive an achievement of the calling issuer."""
    unit = work()
    row = catalog.archive_achievement(unit, ref)
    return jsonify(catalog.achievement_out(unit, row).to_json())
