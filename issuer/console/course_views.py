"""Console pages for the course catalog: list, create, edit, archive."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import (
    Response,
    g,
    redirect,
    request,
    url_for,
)
from pydantic import ValidationError

from issuer.achievements import service as catalog
from issuer.achievements.artwork import Artwork
from issuer.console import service
from issuer.console.views import (
    _db,
    _work,
    bp,
    course_of,
    field_errors,
    needs,
    page,
    uploaded_image,
)
from issuer.errors import APIError, Forbidden
from issuer.models import Achievement
from issuer.schemas import AchievementCreate, AchievementUpdate

_Body = TypeVar("_Body", AchievementCreate, AchievementUpdate)

ACHIEVEMENT_TYPES = (
    "Course",
    "Certificate",
    "Certification",
    "Badge",
    "Award",
    "Competency",
    "Diploma",
    "License",
    "MicroCredential",
    "Achievement",
)
NCS_FRAMEWORK = "NCS 국가직무능력표준"
NCS_URL = "https://www.ncs.go.kr/unity/th03/ncsSearchMain.do"


@bp.route("/courses")
@needs("read")
def courses() -> Any:
    archived = request.args.get("archived") == "1"
    rows = catalog.list_achievements(_db(), g.console.issuer, include_archived=archived)
    return page("courses.html", rows=rows, archived=archived)


def _course_form(row: Achievement | None) -> dict[str, Any]:
    doc = json.loads(row.document) if row is not None else {}
    alignment = doc.get("alignment") or []
    results = doc.get("resultDescription") or []
    return {
        "name": doc.get("name", ""),
        "description": doc.get("description", ""),
        "narrative": (doc.get("criteria") or {}).get("narrative", ""),
        "criteria_url": (doc.get("criteria") or {}).get("id", ""),
        "achievementType": doc.get("achievementType", "Course"),
        "tags": ", ".join(doc.get("tag") or []),
        "credits": doc.get("creditsAvailable", ""),
        "fieldOfStudy": doc.get("fieldOfStudy", ""),
        "humanCode": doc.get("humanCode", ""),
        "alignment": "\n".join(
            " | ".join(
                [
                    a.get("targetName", ""),
                    a.get("targetUrl", ""),
                    a.get("targetCode", "") or "",
                    a.get("targetFramework", "") or "",
                ]
            )
            for a in alignment
        ),
        "results": "\n".join(
            " | ".join(
                [
                    r.get("id", ""),
                    r.get("name", ""),
                    r.get("resultType", ""),
                    ", ".join(r.get("allowedValue") or []),
                ]
            )
            for r in results
        ),
        "ncs_code": "",
        "ncs_name": "",
    }


def _lines(text: str) -> list[list[str]]:
    return [[p.strip() for p in line.split("|")] for line in text.splitlines() if line.strip()]


def _course_body(form: Any) -> dict[str, Any]:
    """The API's achievement JSON from the course form (checked by the API's own model)."""
    body: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "description": form.get("description", "").strip(),
        "criteria": {"narrative": form.get("narrative", "").strip() or None},
        "achievementType": form.get("achievementType") or "Course",
        "tag": [t.strip() for t in form.get("tags", "").split(",") if t.strip()],
        "fieldOfStudy": form.get("fieldOfStudy", "").strip() or None,
        "humanCode": form.get("humanCode", "").strip() or None,
    }
    if form.get("criteria_url", "").strip():
        body["criteria"]["id"] = form["criteria_url"].strip()
    credits = form.get("credits", "").strip()
    body["creditsAvailable"] = credits or None
    alignment: list[dict[str, Any]] = []
    for parts in _lines(form.get("alignment", "")):
        parts += [""] * 4
        target: dict[str, Any] = {"targetName": parts[0], "targetUrl": parts[1]}
        if parts[2]:
            target["targetCode"] = parts[2]
        if parts[3]:
            target["targetFramework"] = parts[3]
        alignment.append(target)
    ncs_code = form.get("ncs_code", "").strip()
    if ncs_code:
        alignment.append(
            {
                "targetName": form.get("ncs_name", "").strip() or f"NCS {ncs_code}",
                "targetUrl": NCS_URL,
                "targetCode": ncs_code,
                "targetFramework": NCS_FRAMEWORK,
            }
        )
    body["alignment"] = alignment
    results: list[dict[str, Any]] = []
    for parts in _lines(form.get("results", "")):
        parts += [""] * 4
        item: dict[str, Any] = {
            "id": parts[0],
            "name": parts[1],
            "resultType": parts[2] or "LetterGrade",
        }
        allowed = [v.strip() for v in parts[3].split(",") if v.strip()]
        if allowed:
            item["allowedValue"] = allowed
        results.append(item)
    body["resultDescription"] = results
    return body


def _form_page(
    row: Achievement | None, form: Any, *, status: int = 200, errors: list[str], **extra: Any
) -> Response:
    """The course form: empty (``row`` None) or of ``row``, filled with ``form``."""
    return page(
        "course_form.html",
        status=status,
        form=form,
        row=row,
        errors=errors,
        types=ACHIEVEMENT_TYPES,
        **extra,
    )


def _validated(model: type[_Body], body: dict[str, Any]) -> tuple[_Body, Artwork | None]:
    """The posted course ``body`` (with its uploaded image, when one came) as ``model``."""
    image = uploaded_image("image")
    if image is not None:
        body["image"] = image[0]
    return model.model_validate(body), image[1] if image else None


@bp.route("/courses/new", methods=["GET", "POST"])
@needs("issue")
def course_new() -> Any:
    if request.method == "GET":
        return _form_page(None, _course_form(None), errors=[])
    body = _course_body(request.form)
    try:
        data, artwork = _validated(AchievementCreate, body)
        row = catalog.create_achievement(_work(), data, artwork=artwork)
    except (ValidationError, APIError) as err:
        return _form_page(None, request.form, status=422, errors=field_errors(err))
    return redirect(url_for("console.course_edit", course_id=row.id, saved="1"))


@bp.route("/courses/<course_id>", methods=["GET", "POST"])
@needs("read")
def course_edit(course_id: str) -> Any:
    row = course_of(course_id)
    if request.method == "GET":
        return _form_page(row, _course_form(row), errors=[], saved=request.args.get("saved"))
    if not service.allowed(g.console.user, "issue"):
        raise Forbidden("your role may not edit courses")
    body = _course_body(request.form)
    try:
        patch, artwork = _validated(AchievementUpdate, body)
        catalog.update_achievement(_work(), row.id, patch, artwork=artwork)
    except (ValidationError, APIError) as err:
        return _form_page(row, request.form, status=422, errors=field_errors(err))
    return redirect(url_for("console.course_edit", course_id=row.id, saved="1"))


@bp.route("/courses/<course_id>/archive", methods=["GET", "POST"])
@needs("issue")
def course_archive(course_id: str) -> Any:
    row = course_of(course_id)
    if request.method == "GET":
        return page("confirm_archive.html", row=row)
    catalog.archive_achievement(_work(), row.id)
    return redirect(url_for("console.courses"))


# -- issuing ----------------------------------------------------------------------------------
