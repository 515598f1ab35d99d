"""The learner's side: the private wallet, their signed record, certificates, and shares.

A wallet opens at ``/wallet/{token}``, a link only the learner holds (the database keeps
the token's digest). Everything under it is private: never cached, never indexed, and
sent with ``Referrer-Policy: no-referrer`` so the token never leaks into another
request. Forms under the wallet need no CSRF token: a cross-site page cannot post to a
wallet whose secret address it does not know.

A link has a scope (:mod:`issuer.learners.service`). A provider's link shows that provider's
badges only: no whole-history record, no share of the whole history, and the page says
how to see everything (add another provider's link, which gives a full link, or open the
link e-mailed to the learner). A full link shows every provider's badges.

Share pages (``/shares/{id}``) are the only public view of a learner, and exist only
while the learner keeps them published.

This module is over 400 lines on purpose: it is the one ``wallet`` blueprint, whose
endpoint names the templates call (``url_for("wallet....")``), and its views share the
private helpers that open a wallet and check its scope; splitting it would rename
endpoints or spread those checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from flask import Blueprint, Response, current_app, request, url_for

from badges.compact import InvalidCompactCredential
from badges.qr import qr_png, qr_svg
from badges.summary import CredentialSummary, validity_state
from issuer import settings_of
from issuer.credentials.reads import credential_out
from issuer.db import Work, get_session
from issuer.errors import InvalidWalletLink, NotFound, ScopedWallet
from issuer.i18n import translate
from issuer.issuers.platform import is_platform
from issuer.learners import records, sharing
from issuer.learners import service as learners
from issuer.learners.service import Wallet, open_wallet
from issuer.models import Credential, Issuer, Learner
from issuer.operations import public_work, request_work
from issuer.pages import page_language, render_page, wants_html
from issuer.verification import certification
from issuer.verification.details import ShareCard, badge_details, certificate_number, linkedin_url
from issuer.verification.offline_qr import offline_qr_data_uri, offline_qr_text
from issuer.verification.report import describe
from issuer.verification.service import verify_source
from keys import KeyNotFound
from verify import Verdict

bp = Blueprint("wallet", __name__)

RECORD_JSON = "application/vc+ld+json"
_TONES = {"valid": "good", "revoked": "bad", "suspended": "warn", "expired": "warn"}
_GLYPHS = {"valid": "✓", "revoked": "✕", "suspended": "!", "expired": "!"}
# Programs (the verifier fetching a share link) get the signed record; people get a page.
_SHARE_TYPES = (
    "text/html",
    RECORD_JSON,
    "application/ld+json",
    "application/json",
    "application/vc+jwt",
    "text/plain",
)


@dataclass(frozen=True)
class WalletItem:
    """One of the learner's credentials as the wallet lists it."""

    id: str
    name: str
    issuer_name: str
    issuer_slug: str | None
    awarded: datetime
    valid_until: datetime | None
    recipient_name: str | None
    status: str
    status_label: str
    tone: str
    glyph: str
    credits: float | None = None
    results: list[tuple[str | None, str | None]] = field(default_factory=list)
    # "Add to LinkedIn profile", for badges that may still be shared (not revoked/suspended).
    linkedin: str | None = None

    @property
    def shareable(self) -> bool:
        """Whether the learner may still share it: not revoked or suspended."""
        return self.status not in ("revoked", "suspended")


def _summary(row: Credential) -> CredentialSummary:
    return CredentialSummary.of(json.loads(row.document))


def _badge_name(row: Credential) -> str:
    return _summary(row).achievement_name or ""


def _issuer_label(summary: CredentialSummary) -> str:
    return summary.issuer_name or summary.issuer_id or ""


def _status(row: Credential, now: datetime) -> str:
    """Revoked, suspended, expired (or not yet valid), or valid: what verifiers would say."""
    if row.revoked_at is not None:
        return "revoked"
    if row.suspended_at is not None:
        return "suspended"
    return validity_state(row.valid_from, row.valid_until, now)


def _items(work: Work, rows: list[Credential], lang: str) -> list[WalletItem]:
    session, conf, now = work.session, work.settings, work.now
    issuers: dict[int, Issuer | None] = {}
    items = []
    for row in rows:
        if row.issuer_id not in issuers:
            issuers[row.issuer_id] = session.get(Issuer, row.issuer_id)
        owner = issuers[row.issuer_id]
        summary = _summary(row)
        status = _status(row, now)
        name, issuer_name = summary.achievement_name or "", _issuer_label(summary)
        items.append(
            WalletItem(
                id=row.id,
                name=name,
                issuer_name=issuer_name,
                issuer_slug=owner.slug if owner is not None and not is_platform(owner) else None,
                awarded=row.valid_from,
                valid_until=row.valid_until,
                recipient_name=row.recipient_name,
                status=status,
                status_label=Verdict(status).label(lang),
                tone=_TONES.get(status, "warn"),
                glyph=_GLYPHS.get(status, "!"),
                credits=summary.credits,
                results=[(r.value, r.status) for r in summary.results],
                linkedin=None
                if status in ("revoked", "suspended")
                else linkedin_url(
                    name=name,
                    organization=issuer_name,
                    issued=row.valid_from,
                    expires=row.valid_until,
                    url=conf.url("credentials", row.id),
                    certificate_id=certificate_number(row.id),
                ),
            )
        )
    return items


@dataclass(frozen=True)
class _ShareItem:
    id: str
    url: str
    created_at: datetime
    count: int | None


def _wallet_json(token: str, opened: Wallet) -> Response:
    conf = settings_of(current_app)
    rows = opened.credentials
    body = {
        "learnerId": opened.learner.subject_id,
        # "full", or the issuer whose badges alone this link shows.
        "scope": "full" if opened.issuer is None else conf.url("issuers", opened.issuer.slug),
        "record": (
            {form: conf.url("wallet", token, f"clr.{form}") for form in ("json", "jwt")}
            if opened.full
            else None
        ),
        "credentials": [
            {
                **credential_out(conf, row, full=False).to_json(),
                "name": _summary(row).achievement_name,
                "issuer": _summary(row).issuer_name,
                "downloads": {
                    kind: f"{conf.url('credentials', row.id)}.{kind}"
                    for kind in ("json", "jwt", "png", "svg")
                },
            }
            for row in rows
        ],
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = Response(text, content_type="application/json; charset=utf-8")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.vary.add("Accept")
    return response


def _wallet_page(
    work: Work,
    token: str,
    opened: Wallet,
    *,
    status: int = 200,
    merge_failed: bool = False,
) -> Response:
    session, conf, now = work.session, work.settings, work.now
    lang = page_language()
    rows = opened.credentials
    shares = [
        _ShareItem(
            id=row.id,
            url=sharing.share_url(conf, row.id),
            created_at=row.created_at,
            count=len(ids) if (ids := sharing.chosen_ids(row)) is not None else None,
        )
        for row in sharing.learner_shares(session, opened)
    ]
    return render_page(
        "service/wallet.html",
        status=status,
        private=True,
        token=token,
        full=opened.full,
        provider=opened.issuer.name if opened.issuer is not None else None,
        name=records.recipient_name(rows),
        items=_items(work, rows, lang),
        current=sum(1 for row in rows if records.is_current(row, now)),
        shares=shares,
        merge_failed=merge_failed,
    )


@bp.get("/wallet/<token>")
def wallet(token: str) -> Response:
    """The learner's wallet, newest first: every provider's badges, or one provider's.

    JSON by ``Accept``. A link answered to a provider shows that provider's badges only.
    """
    opened = open_wallet(get_session(), token)
    if not wants_html():
        return _wallet_json(token, opened)
    return _wallet_page(_learner_work(opened.learner), token, opened)


@bp.post("/wallet/<token>/merge")
def merge(token: str) -> Response:
    """Add another wallet link of the same learner; go to a link that shows both.

    Two providers' links (or any full link) give a full link. A link that is not the
    same learner's gets this wallet page again, 400, with one message for every failure.
    """
    opened = open_wallet(get_session(), token)
    work = _learner_work(opened.learner)
    link = request.form.get("link", "")
    try:
        new_token = learners.merge_wallets(work, opened, link)
    except InvalidWalletLink:
        if not wants_html():
            raise
        # The pasted link is not shown again: it may be a secret of someone else.
        return _wallet_page(work, token, opened, status=400, merge_failed=True)
    return _see_wallet(new_token)


def _record_response(record: records.Record, form: str, filename: str, cache: str) -> Response:
    if form == "jwt":
        response = Response(record.row.jwt, content_type="text/plain; charset=utf-8")
        extension = "jwt"
    else:
        response = Response(record.row.document, content_type=f"{RECORD_JSON}; charset=utf-8")
        extension = "json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{extension}"'
    response.headers["Cache-Control"] = cache
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/wallet/<token>/clr.<form>")
def record(token: str, form: str) -> Response:
    """The learner's whole history as a signed CLR 2.0 record (``.json`` or ``.jwt``).

    Re-issued whenever the history changed since the last one (see :mod:`issuer.learners.records`).
    Only through a full link: a provider's link would hand it every provider's badges.
    """
    if form not in ("json", "jwt"):
        raise NotFound(f"no {form!r} form of a record; use .json or .jwt")
    opened = open_wallet(get_session(), token)
    if not opened.full:
        raise ScopedWallet(
            "this wallet link shows one provider's badges; the record of your whole history "
            "needs the link e-mailed to you, or another provider's link added to this one"
        )
    found = records.learner_record(_learner_work(opened.learner), opened.learner)
    if found is None:
        raise NotFound("no badge is valid right now, so there is no record to sign")
    return _record_response(found, form, "learning-record", "private, no-store")


@bp.get("/wallet/<token>/credentials/<ref>/certificate")
def certificate(token: str, ref: str) -> Response:
    """A printable A4 certificate of one of the learner's badges, with its QR code."""
    session = get_session()
    opened = open_wallet(session, token)
    row = next((r for r in opened.credentials if r.id == ref), None)
    if row is None:
        raise NotFound("no such badge in this wallet")
    conf = settings_of(current_app)
    (item,) = _items(_learner_work(opened.learner), [row], page_language())
    document = json.loads(row.document)
    summary = CredentialSummary.of(document)
    details = badge_details(document, row)
    hours = summary.credits if summary.credits is not None else summary.credits_available
    owner = session.get(Issuer, row.issuer_id)
    return render_page(
        "service/certificate.html",
        private=True,
        token=token,
        item=item,
        url=conf.url("credentials", row.id),
        details=details,
        withdrawn=details.status.state if details.status else None,
        number=certificate_number(row.id),
        period_start=summary.activity_start,
        period_end=summary.activity_end,
        hours=hours,
        logo_url=url_for("artwork.issuer_logo", slug=owner.slug)
        if owner is not None and owner.logo is not None
        else None,
        offline_qr=_offline_qr(row),
    )


def _offline_qr(row: Credential) -> str | None:
    """The certificate's offline QR as a data: URI, or None when it cannot be signed."""
    try:
        return offline_qr_data_uri(offline_qr_text(public_work(), row))
    except (KeyNotFound, InvalidCompactCredential):
        # No active key, or a credential without a claim the QR needs: print without it.
        return None


@bp.post("/wallet/<token>/shares")
def create_share(token: str) -> Response:
    """Publish a share page of the whole history or of the chosen badges."""
    opened = open_wallet(get_session(), token)
    chosen = request.form.getlist("credential") if request.form.get("scope") == "selected" else None
    sharing.create_share(_learner_work(opened.learner), opened, chosen)
    return _back_to_wallet(token)


@bp.post("/wallet/<token>/shares/<share_id>/delete")
def remove_share(token: str, share_id: str) -> Response:
    """Take a share page down (its address then answers 410 Gone)."""
    opened = open_wallet(get_session(), token)
    sharing.take_down(_learner_work(opened.learner), opened, share_id)
    return _back_to_wallet(token)


def _learner_work(learner: Learner) -> Work:
    """The unit of work of a wallet or share request: the learner whose wallet is open (or
    whose share is shown) acts."""
    return request_work(f"learner:{learner.id}")


def _back_to_wallet(token: str) -> Response:
    return _see_wallet(token, "#shares")


def _see_wallet(token: str, fragment: str = "") -> Response:
    # 303: the browser follows with a GET, so reloading the wallet never posts again.
    response = Response(status=303)
    response.headers["Location"] = url_for("wallet.wallet", token=token) + fragment
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _share_record(share_id: str) -> tuple[records.Record | None, str | None]:
    row, learner = sharing.public_share(get_session(), share_id)
    found = records.learner_record(
        _learner_work(learner), learner, credential_ids=sharing.chosen_ids(row)
    )
    return found, records.recipient_name(found.credentials) if found else None


@bp.get("/shares/<share_id>")
def share(share_id: str) -> Response:
    """A learner's published history: the signed record, verified now, badge by badge.

    Programs asking for JSON (the verifier, given this link) get the signed record itself.
    """
    found, name = _share_record(share_id)
    wanted = request.accept_mimetypes.best_match(_SHARE_TYPES, default="text/html")
    if wanted != "text/html":
        if found is None:
            raise NotFound("this share holds no badge that is valid right now")
        if wanted in ("application/vc+jwt", "text/plain"):
            response = Response(found.row.jwt, content_type=f"{wanted}; charset=utf-8")
        else:
            response = Response(found.row.document, content_type=f"{wanted}; charset=utf-8")
        response.headers["Cache-Control"] = "no-cache"
        response.vary.add("Accept")
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    conf = settings_of(app)
    view = None
    if found is not None:
        report = certification.with_certification(app, verify_source(app, found.row.jwt))
        view = describe(report, work=public_work(), lang=page_language())
    url = sharing.share_url(conf, share_id)
    lang = page_language()
    card = None
    if found is not None and found.credentials:
        newest = max(found.credentials, key=lambda c: (c.issued_at, c.id))
        title = (
            translate("sharepage.heading_named", lang, name=name)
            if name
            else translate("sharepage.heading", lang)
        )
        card = ShareCard(
            title=title,
            description=translate("sharing.og_record", lang),
            url=url,
            image=f"{conf.url('credentials', newest.id)}.png",
            image_alt=translate("summary.badge_image", lang, name=_badge_name(newest)),
        )
    response = render_page(
        "service/share.html",
        view=view,
        name=name,
        share_id=share_id,
        url=url,
        card=card,
        withdrawn=_withdrawn_shared(share_id, lang),
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@dataclass(frozen=True)
class _WithdrawnItem:
    name: str
    issuer_name: str
    status: str
    status_label: str
    when: datetime


def _withdrawn_shared(share_id: str, lang: str) -> list[_WithdrawnItem]:
    """Shared badges the provider has since revoked or suspended: the signed record leaves
    them out, and the page says so rather than letting them silently disappear."""
    session = get_session()
    row, learner = sharing.public_share(session, share_id)
    found = []
    for credential in sharing.shared_credentials(session, row, learner):
        when = credential.revoked_at or credential.suspended_at
        if when is None:
            continue
        status = "revoked" if credential.revoked_at is not None else "suspended"
        summary = _summary(credential)
        found.append(
            _WithdrawnItem(
                name=summary.achievement_name or "",
                issuer_name=_issuer_label(summary),
                status=status,
                status_label=Verdict(status).label(lang),
                when=when,
            )
        )
    return found


@bp.get("/shares/<share_id>/clr.<form>")
def share_record(share_id: str, form: str) -> Response:
    """The shared history as a signed CLR 2.0 record (``.json`` or ``.jwt``)."""
    if form not in ("json", "jwt"):
        raise NotFound(f"no {form!r} form of a record; use .json or .jwt")
    found, _name = _share_record(share_id)
    if found is None:
        raise NotFound("this share holds no badge that is valid right now")
    return _record_response(found, form, "learning-record", "no-cache")


@bp.get("/shares/<share_id>/qr.<form>")
def share_qr(share_id: str, form: str) -> Response:
    """A QR code (PNG or SVG) holding the share page's address."""
    if form not in ("png", "svg"):
        raise NotFound(f"no {form!r} QR code; use .png or .svg")
    sharing.public_share(get_session(), share_id)
    url = sharing.share_url(settings_of(current_app), share_id)
    if form == "png":
        response = Response(qr_png(url), content_type="image/png")
    else:
        response = Response(qr_svg(url), content_type="image/svg+xml")
    response.headers["Cache-Control"] = "no-cache"
    return response
