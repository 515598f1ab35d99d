"""Pages for employers and the public: a credential's verification page, ``/verify``, and
issuer profiles.

Both verification pages run :func:`issuer.verification.service.verify_source` (the ``verify``
package, as ``baeji verify`` does) and render the report with the same template pieces
(``service/_report.html``). Nothing an employer uploads or types is stored or logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request
from sqlmodel import Session, col, select

from issuer import settings_of
from issuer.achievements import service as catalog
from issuer.db import get_session
from issuer.models import Achievement, Credential, Issuer
from issuer.pages import page_language, render_page
from issuer.schemas import AchievementCreate
from issuer.verification import certification
from issuer.verification.batch_views import batch_page
from issuer.verification.details import badge_page_context, upload_details
from issuer.verification.report import describe
from issuer.verification.service import verify_source

bp = Blueprint("pages", __name__)

_MAX_EMAIL = 254


def _email(value: str | None) -> str | None:
    text = (value or "").strip()
    return text[:_MAX_EMAIL] if text else None


def credential_page(row: Credential, *, email: str | None = None) -> Response:
    """Verify a stored credential now and render its page (what its QR code opens).

    The stored VC-JWT is verified: it carries the credential with its embedded proof, so
    both signatures and the live status are checked.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    conf = settings_of(app)
    email = _email(email)
    report = verify_source(app, row.jwt, email=email)
    # The issuer's certification is verified apart (its documents change on their own).
    report = certification.with_certification(app, report)
    view = describe(
        report,
        session=get_session(),
        settings=conf,
        lang=page_language(),
        email_given=email is not None,
    )
    url = conf.url("credentials", row.id)
    response = render_page(
        "service/verification.html",
        view=view,
        url=url,
        email=email,
        **badge_page_context(conf, row, url, lang=page_language()),
    )
    # The verdict is live (revocation, suspension): never serve a stored copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/verify", methods=["GET", "POST"])
def verify_page() -> Response:
    """Upload a file (JSON, JWT, baked PNG/SVG, a photo of a QR code) or paste a JWT,
    JSON or link, and see the report. Nothing is stored."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    max_size = f"{int(app.config['MAX_CONTENT_LENGTH']) // (1024 * 1024)} MB"
    if request.method == "GET":
        return render_page("service/verify.html", view=None, problem=None, max_size=max_size)
    uploads = [f for f in request.files.getlist("file") if f.filename]
    if len(uploads) > 1:
        return batch_page(uploads)
    upload = request.files.get("file")
    data = upload.read() if upload is not None and upload.filename else b""
    text = (request.form.get("text") or "").strip()
    email = _email(request.form.get("email"))
    if bool(data) == bool(text):
        problem = "verify.problem_both" if data else "verify.problem_none"
        return render_page(
            "service/verify.html", status=400, view=None, problem=problem, max_size=max_size
        )
    report = verify_source(app, data or text, email=email)
    report = certification.with_certification(app, report)
    view = describe(
        report,
        session=get_session(),
        settings=settings_of(app),
        lang=page_language(),
        email_given=email is not None,
    )
    response = render_page(
        "service/verify.html",
        view=view,
        problem=None,
        max_size=max_size,
        details=upload_details(report, get_session(), settings_of(app)),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class _Prerequisite:
    id: str
    name: str
    slug: str | None
    issuer_name: str | None


@dataclass(frozen=True)
class _AchievementItem:
    id: str
    name: str
    description: str
    type: str
    code: str | None
    criteria: str | None
    credits: float | None
    field: str | None
    tags: list[str]
    builds_on: list[_Prerequisite]
    has_image: bool = False


def _prerequisites(session: Session, ids: list[str]) -> dict[str, _Prerequisite]:
    found: dict[str, _Prerequisite] = {}
    issuers: dict[int, Issuer | None] = {}
    for row in session.exec(select(Achievement).where(col(Achievement.id).in_(ids))).all():
        if row.issuer_id not in issuers:
            issuers[row.issuer_id] = session.get(Issuer, row.issuer_id)
        owner = issuers[row.issuer_id]
        found[row.id] = _Prerequisite(
            row.id, row.name, owner.slug if owner else None, owner.name if owner else None
        )
    return found


def issuer_page(issuer: Issuer) -> Response:
    """Render a provider's profile with the achievements (courses) it awards."""
    session = get_session()
    rows = catalog.list_achievements(session, issuer)
    links = catalog.links_of(session, [row.id for row in rows])
    prerequisites = _prerequisites(session, sorted({t for ts in links.values() for t in ts}))
    items = []
    for row in rows:
        data = AchievementCreate.model_validate(json.loads(row.document))
        items.append(
            _AchievementItem(
                id=row.id,
                name=data.name,
                description=data.description,
                type=data.achievement_type,
                code=data.human_code,
                criteria=data.criteria.narrative,
                credits=data.credits_available,
                field=data.field_of_study,
                tags=list(data.tag),
                builds_on=[prerequisites[t] for t in links.get(row.id, []) if t in prerequisites],
                has_image=row.image is not None,
            )
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    certified = certification.view(
        certification.provider_certification(app, issuer).check,
        session=session,
        settings=settings_of(app),
        lang=page_language(),
    )
    return render_page(
        "service/issuer.html",
        issuer=issuer,
        certification=certified,
        website=issuer.url if (issuer.url or "").startswith(("https://", "http://")) else None,
        achievements=items,
    )
