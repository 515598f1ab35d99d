"""Pages for employers and the public: a credential's verification page, ``/verify``, and
issuer profiles.

Both verification pages run :func:`issuer.verification.service.verify_source` (the ``verify``
package, as ``baeji verify`` does) and render the report with the same template pieces
(``service/_report.html``). Nothing an employer uploads or types is stored or logged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request
from sqlmodel import Session, col, select

from badges.summary import CredentialSummary
from issuer import settings_of
from issuer.achievements import service as catalog
from issuer.credentials import reads
from issuer.db import engine_of, get_session
from issuer.models import Achievement, Credential, Issuer, parse_id
from issuer.operations import public_work
from issuer.pages import page_language, render_page
from issuer.schemas import AchievementCreate
from issuer.verification import certification
from issuer.verification.batch_views import batch_page
from issuer.verification.details import badge_page_context, upload_details
from issuer.verification.page_cache import covers, current_versions, page_cache_of, page_etag
from issuer.verification.report import describe
from issuer.verification.service import validity_window, verify_source, verify_with_documents
from verify import VerificationReport

bp = Blueprint("pages", __name__)

_MAX_EMAIL = 254


def _email(value: str | None) -> str | None:
    text = (value or "").strip()
    return text[:_MAX_EMAIL] if text else None


def credential_page(row: Credential, *, email: str | None = None) -> Response:
    """Verify a stored credential now and render its page (what its QR code opens).

    The stored VC-JWT is verified: it carries the credential with its embedded proof, so
    both signatures and the live status are checked. With an ``email`` (an employer's
    check, POSTed) the page is never stored anywhere; without, it may be stored by the
    browser and revalidated (``no-cache`` and an ETag, 304 when unchanged).
    """
    return _render_credential_page(row, email=email).response


@dataclass(frozen=True)
class _Rendered:
    response: Response
    report: VerificationReport
    documents: tuple[str, ...] | None


def _render_credential_page(row: Credential, *, email: str | None = None) -> _Rendered:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    conf = settings_of(app)
    email = _email(email)
    report, documents = verify_with_documents(app, row.jwt, email=email)
    # The issuer's certification is verified apart (its documents change on their own).
    report = certification.with_certification(app, report)
    view = describe(report, work=public_work(), lang=page_language(), email_given=email is not None)
    url = conf.url("credentials", row.id)
    response = render_page(
        "service/verification.html",
        view=view,
        url=url,
        email=email,
        **badge_page_context(conf, row, url, lang=page_language()),
    )
    if email is not None:
        # An employer's check names the candidate's email: never keep it anywhere.
        response.headers["Cache-Control"] = "no-store"
        return _Rendered(response, report, None)
    # The verdict is live (revocation, suspension): a browser may keep the page, but must
    # ask again every time (the ETag changes with anything the page shows).
    response.headers["Cache-Control"] = "no-cache"
    return _Rendered(response, report, documents)


def _answer(body: bytes, etag: str, headers: Iterable[tuple[str, str]]) -> Response:
    """A page with its ETag: 304 when the client already has these bytes."""
    listed = [*headers, ("ETag", f'"{etag}"')]  # strong; page ETags are hex digits
    if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains_weak(etag):
        return Response(
            status=304, headers=[(k, v) for k, v in listed if k.lower() != "content-type"]
        )
    return Response(body, headers=listed)


def stored_credential_page(ref: str) -> Response:
    """The page of the credential ``ref`` (``GET``): kept per worker and served again while
    nothing it shows has changed (:mod:`issuer.verification.page_cache`), else verified and
    rendered now.

    Raises:
        NotFound: no such credential.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    conf = settings_of(app)
    credential_id = parse_id(ref, conf.url("credentials") + "/")
    # Only the language may vary a kept page: any other query goes into its links.
    if credential_id is None or not request.args.keys() <= {"lang"}:
        return credential_page(reads.public_credential(public_work(), ref))
    pages = page_cache_of(app.extensions["issuer"])
    key = (request.path, page_language())
    # Read before anything the page is rendered from (see page_cache).
    versions = current_versions(engine_of(app), credential_id)
    kept = pages.get(key, versions, conf.clock()) if versions else None
    if kept is not None:
        return _answer(kept.body, kept.etag, kept.headers)
    row = reads.public_credential(public_work(), ref)
    rendered = _render_credential_page(row)
    response, report = rendered.response, rendered.report
    window = validity_window(report)
    issuer_id = CredentialSummary.of(report.credential or {}).issuer_id
    body = response.get_data()
    if (
        rendered.documents is not None
        and window is not None
        and report.checked_at is not None
        and response.status_code == 200
        and covers(versions, rendered.documents, issuer_id, report.checks)
    ):
        kept = pages.keep(
            key,
            body=body,
            headers=response.headers.items(),
            versions=versions,
            window=window,
            checked_at=report.checked_at,
        )
        return _answer(kept.body, kept.etag, kept.headers)
    return _answer(body, page_etag(body), response.headers.items())


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
    work = public_work()
    view = describe(report, work=work, lang=page_language(), email_given=email is not None)
    response = render_page(
        "service/verify.html",
        view=view,
        problem=None,
        max_size=max_size,
        details=upload_details(report, work),
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
        work=public_work(),
        lang=page_language(),
    )
    return render_page(
        "service/issuer.html",
        issuer=issuer,
        certification=certified,
        website=issuer.url if (issuer.url or "").startswith(("https://", "http://")) else None,
        achievements=items,
    )
