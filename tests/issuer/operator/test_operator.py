"""The operator console: who may enter, registering and deciding on applications, suspending
and removing providers (their badges keep verifying), the figures and the audit log."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlmodel import Session, col, select

from issuer import audit, db, settings_of
from issuer.console import service as staff_service
from issuer.console.models import StaffUser
from issuer.credentials import service as credentials
from issuer.credentials.status_changes import change_status
from issuer.db import Work
from issuer.errors import InvalidStatusChange, ProviderSuspended, ValidationFailed
from issuer.issuers import service as accounts
from issuer.issuers.platform import ensure_platform
from issuer.models import AuditEvent, Credential, Issuer
from issuer.operator import applications, figures, service
from issuer.operator.models import ProviderApplication
from issuer.schemas import CredentialCreate, IssuerCreate
from tests.issuer.conftest import (
    BASE_URL,
    ENGLISH,
    KOREAN,
    Api,
    Tenant,
    create_tenant,
    unique_email,
)
from tests.issuer.console.conftest import PASSWORD, Staff, create_staff
from tests.issuer.operator.conftest import Operator, create_operator
from verify.cli import main as baeji

HOST = urlsplit(BASE_URL).netloc
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _slug(prefix: str = "p") -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def _work(app: Flask, session: Session, *, now: datetime | None = None) -> Work:
    conf = settings_of(app)
    return Work(session, conf, now or conf.clock(), "operator:test@example.kr", None)


def _provider(app: Flask, slug: str | None = None) -> Tenant:
    return create_tenant(app, slug or _slug(), "시험 교육원")


@pytest.fixture
def session(app: Flask) -> Any:
    with db.new_session(db.engine_of(app)) as session:
        yield session


# -- who may enter ----------------------------------------------------------------------------


def test_user_create_operator_is_exclusive_with_a_provider(app: Flask) -> None:
    runner = CliRunner()
    both = runner.invoke(
        baeji,
        ["user", "create", "--email", unique_email(), "--operator", "--issuer", "x"],
        obj=app,
    )
    assert both.exit_code == 2
    assert "mutually exclusive" in both.output
    neither = runner.invoke(baeji, ["user", "create", "--email", unique_email()], obj=app)
    assert neither.exit_code == 2


def test_operator_role_is_only_on_the_platform(app: Flask, session: Session) -> None:
    tenant = _provider(app)
    conf = settings_of(app)
    with pytest.raises(ValidationFailed):
        staff_service.create_user(
            Work(session, conf, conf.clock(), "test", tenant.issuer),
            email=unique_email(),
            role="operator",
        )
    platform = ensure_platform(Work(session, conf, conf.clock(), "test"))
    with pytest.raises(ValidationFailed):
        staff_service.create_user(
            Work(session, conf, conf.clock(), "t", platform), email=unique_email(), role="owner"
        )


def test_operator_holds_no_provider_role(app: Flask, operator: Operator, session: Session) -> None:
    user = session.exec(select(StaffUser).where(StaffUser.email == operator.email)).one()
    assert user.role == "operator"
    for action in ("read", "issue", "manage"):
        assert not staff_service.allowed(user, action)


def test_operator_signs_in_at_operator_and_not_at_console(app: Flask, operator: Operator) -> None:
    home = operator.get("/operator/", headers=KOREAN)
    assert home.status_code == 200
    assert "운영자 콘솔" in home.text
    # The operator's password opens no provider console.
    other = Staff(app, operator.email)
    refused = other.sign_in()
    assert refused.status_code == 401
    assert "baeji_console=" not in refused.headers.get("Set-Cookie", "")
    # Nor does the operator's session cookie, presented to the console.
    cookie = operator.client.get_cookie("baeji_operator", domain=HOST, path="/operator")
    assert cookie is not None
    assert cookie.path == "/operator"
    intruder = Staff(app, operator.email)
    intruder.client.set_cookie("baeji_console", cookie.value, path="/console", domain=cookie.domain)
    assert intruder.get("/console/courses").status_code == 302


def test_provider_owner_gets_no_operator_console(app: Flask) -> None:
    tenant = _provider(app)
    owner = create_staff(app, tenant.issuer.slug, "owner")
    # The owner's password does not sign in at /operator/login...
    as_operator = Operator(app, owner.email)
    assert as_operator.sign_in().status_code == 401
    # ... their signed-in browser is sent to the sign-in page...
    answer = owner.get("/operator/")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/operator/login")
    # ... and their console session, presented as an operator's, counts for nothing.
    cookie = owner.client.get_cookie("baeji_console", domain=HOST, path="/console")
    assert cookie is not None
    as_operator.client.set_cookie(
        "baeji_operator", cookie.value, path="/operator", domain=cookie.domain
    )
    assert as_operator.get("/operator/figures").status_code == 302


def test_operator_forms_refuse_a_missing_csrf_token(operator: Operator) -> None:
    answer = operator.client.post(
        "/operator/providers/new", data={"slug": _slug(), "name": "x", "owner_email": "a@b.kr"}
    )
    assert answer.status_code == 400
    answer = operator.client.post(f"/operator/providers/{_slug()}/suspend", data={"reason": "x"})
    assert answer.status_code == 400


def test_the_session_cookies_are_scoped_to_their_console(operator: Operator) -> None:
    cookies = {c.key: c.path for c in (operator.client._cookies or {}).values()}
    assert cookies["baeji_operator"] == "/operator"
    assert cookies["baeji_operator_csrf"] == "/operator"
    assert "baeji_console_csrf" not in cookies


def test_sign_in_is_throttled_and_audited(app: Flask, operator: Operator) -> None:
    app.config["RATELIMIT_CONSOLE_ACCOUNT"] = "3 per 15 minutes"
    try:
        stranger = Operator(app, operator.email)
        stranger.client.environ_base["REMOTE_ADDR"] = "10.9.9.9"
        for _ in range(3):
            assert stranger.sign_in("wrong password!").status_code == 401
        assert stranger.sign_in().status_code == 429
    finally:
        app.config.pop("RATELIMIT_CONSOLE_ACCOUNT")
    with db.new_session(db.engine_of(app)) as session:
        failed = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "staff.sign-in-failed", AuditEvent.subject == operator.email
            )
        ).all()
    assert len(failed) == 3
    assert {e.actor for e in failed} == {"operator-console"}


# -- registering providers --------------------------------------------------------------------


def test_register_provider_gives_an_owner_invitation_and_no_api_key(
    app: Flask, operator: Operator, session: Session
) -> None:
    slug = _slug("reg")
    owner = unique_email("owner")
    answer = operator.post(
        "/operator/providers/new",
        {
            "slug": slug,
            "name": "새빛 코딩 학원",
            "url": "https://saebit.example.kr",
            "email": "contact@saebit.example.kr",
            "description": "코딩 교육",
            "owner_email": owner,
        },
    )
    assert answer.status_code == 200, answer.text
    link = re.search(r'<code id="invite-link">([^<]+)</code>', answer.text)
    assert link is not None
    assert link.group(1).startswith(f"{BASE_URL}/console/set-password/")
    issuer = accounts.issuer_by_slug(session, slug)
    assert issuer.did.endswith(f":issuers:{slug}")
    assert issuer.state == "active"
    keys = accounts.list_api_keys(session, issuer)
    assert keys
    assert all(k.revoked_at is not None for k in keys)
    # The owner sets a password with the link and signs in to the provider console.
    browser = Staff(app, owner)
    done = browser.post(urlsplit(link.group(1)).path, {"password": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302
    assert browser.sign_in().status_code == 302
    assert browser.get("/console/courses").status_code == 200
    events = session.exec(select(AuditEvent.action).where(AuditEvent.issuer_id == issuer.pk)).all()
    assert "operator.register" in events


def test_register_refuses_a_taken_slug_and_bad_fields(operator: Operator, app: Flask) -> None:
    tenant = _provider(app)
    taken = operator.post(
        "/operator/providers/new",
        {"slug": tenant.issuer.slug, "name": "다른 곳", "owner_email": unique_email()},
    )
    assert taken.status_code == 422
    bad = operator.post(
        "/operator/providers/new",
        {"slug": "Not A Slug", "name": "x", "owner_email": "not-an-address"},
    )
    assert bad.status_code == 422
    assert "slug" in bad.text


# -- applications -----------------------------------------------------------------------------


def _join(app: Flask, address: str, **fields: str) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = f"{BASE_URL}/join"
    client.environ_base["REMOTE_ADDR"] = address
    form = client.get("/join", headers=KOREAN)
    assert form.status_code == 200
    token = _CSRF.search(form.text)
    assert token is not None
    return client.post("/join", data={**fields, "csrf_token": token.group(1)}, headers=KOREAN)


def _application_fields(slug: str) -> dict[str, str]:
    return {
        "slug": slug,
        "name": "다온 평생교육원",
        "url": "https://daon.example.kr",
        "email": unique_email("applicant"),
        "description": "성인 디지털 역량 교육",
        "message": "디지털 리더스 클럽에 참여하고 싶습니다.",
    }


def test_join_form_stores_an_application(app: Flask, session: Session) -> None:
    slug = _slug("join")
    answer = _join(app, "10.1.0.1", **_application_fields(slug))
    assert answer.status_code == 200, answer.text
    assert 'id="join-done"' in answer.text
    row = session.exec(select(ProviderApplication).where(ProviderApplication.slug == slug)).one()
    assert row.state == "pending"
    assert row.lang == "ko"
    english = app.test_client().get("/join", headers=ENGLISH)
    assert "Join Baeji as a training provider" in english.text


def test_join_form_refuses_bad_fields_and_missing_csrf(app: Flask, session: Session) -> None:
    bad = _join(app, "10.1.0.2", **{**_application_fields("Bad Slug!"), "url": "nope"})
    assert bad.status_code == 422
    assert "다음 항목을 확인해 주세요: 슬러그, 웹사이트" in bad.text
    no_address = _join(app, "10.1.0.2", **{**_application_fields(_slug()), "email": "nope"})
    assert no_address.status_code == 422
    assert "연락처 이메일" in no_address.text
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = f"{BASE_URL}/join"
    refused = client.post("/join", data=_application_fields(_slug()), headers=KOREAN)
    assert refused.status_code == 400
    taken = _join(app, "10.1.0.3", **_application_fields(_provider(app).issuer.slug))
    assert taken.status_code == 422
    assert "이미 쓰고 있는 슬러그" in taken.text


def test_join_form_is_rate_limited_per_address(app: Flask, session: Session) -> None:
    app.config["RATELIMIT_JOIN"] = "2 per hour"
    try:
        slugs = [_slug("flood") for _ in range(3)]
        answers = [_join(app, "10.2.0.1", **_application_fields(s)) for s in slugs]
        other = _join(app, "10.2.0.2", **_application_fields(_slug("calm")))
    finally:
        app.config.pop("RATELIMIT_JOIN")
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"]
    assert other.status_code == 200
    stored = session.exec(
        select(ProviderApplication.slug).where(col(ProviderApplication.slug).in_(slugs))
    ).all()
    assert sorted(stored) == sorted(slugs[:2])


def test_approve_application_registers_the_provider(
    app: Flask, operator: Operator, session: Session
) -> None:
    slug = _slug("appr")
    fields = _application_fields(slug)
    assert _join(app, "10.3.0.1", **fields).status_code == 200
    row = session.exec(select(ProviderApplication).where(ProviderApplication.slug == slug)).one()
    listing = operator.get("/operator/applications")
    assert slug in listing.text
    path = f"/operator/applications/{row.pk}"
    answer = operator.post(path, {"do": "approve", "slug": slug})
    assert answer.status_code == 200, answer.text
    assert f"{BASE_URL}/console/set-password/" in answer.text
    session.rollback()  # a fresh snapshot: the request committed after this session read
    session.refresh(row)
    assert row.state == "approved"
    issuer = accounts.issuer_by_slug(session, slug)
    assert row.issuer_id == issuer.pk
    assert issuer.name == fields["name"]
    owners = staff_service.list_users(session, issuer)
    assert [(u.email, u.role) for u in owners] == [(fields["email"], "owner")]
    with pytest.raises(InvalidStatusChange):
        applications.approve_application(_work(app, session), row.pk)


def test_reject_application_keeps_the_reason(app: Flask, session: Session) -> None:
    work = _work(app, session)
    row = applications.submit_application(
        work,
        slug=_slug("rej"),
        name="거절될 기관",
        url=None,
        email=unique_email(),
        description=None,
        message=None,
        lang="en",
    )
    with pytest.raises(ValidationFailed):
        applications.reject_application(work, row.pk, reason="  ")
    done = applications.reject_application(work, row.pk, reason="not a training provider")
    assert done.state == "rejected"
    assert done.reason == "not a training provider"
    with pytest.raises(InvalidStatusChange):
        applications.reject_application(work, row.pk, reason="again")
    # The provider was never created.
    assert session.exec(select(Issuer).where(Issuer.slug == row.slug)).first() is None


# -- suspending and removing ------------------------------------------------------------------


def _course_and_badge(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    course = api.achievement("데이터 리터러시")
    return course, api.issue(course["id"], unique_email())


def test_suspended_provider_is_refused_but_its_badges_verify(
    app: Flask, operator: Operator, session: Session
) -> None:
    tenant = _provider(app)
    client = app.test_client()
    api = Api(client, tenant)
    course, badge = _course_and_badge(api)
    owner = create_staff(app, tenant.issuer.slug, "owner")
    slug = tenant.issuer.slug

    confirm = operator.get(f"/operator/providers/{slug}/suspend", headers=KOREAN)
    assert confirm.status_code == 200
    assert 'id="keeps-verifying"' in confirm.text
    assert "계속 유효하게 검증" in confirm.text
    assert operator.post(f"/operator/providers/{slug}/suspend", {}).status_code == 422
    done = operator.post(f"/operator/providers/{slug}/suspend", {"reason": "계약 위반 조사"})
    assert done.status_code == 302

    # The API key: refused with its stable code, for reads and for issuing.
    refused = api.get("/api/v1/achievements")
    assert refused.status_code == 403
    assert refused.json == {
        "error": "provider-suspended",
        "message": f"the provider {slug!r} is suspended by the platform",
    }
    issuing = client.post(
        "/api/v1/credentials",
        headers=tenant.headers,
        json={"achievementId": course["id"], "recipient": {"email": unique_email(), "name": "가"}},
    )
    assert issuing.status_code == 403
    assert issuing.json is not None
    assert issuing.json["error"] == "provider-suspended"
    # Nor can it issue by any other path (the CLI calls the same workflow).
    conf = settings_of(app)
    with pytest.raises(ProviderSuspended):
        credentials.issue_credential(
            Work(session, conf, conf.clock(), "cli:test", accounts.issuer_by_slug(session, slug)),
            CredentialCreate.model_validate(
                {"achievementId": course["id"], "recipient": {"email": unique_email()}}
            ),
        )
    # The console: the signed-in owner gets the refusal page, and cannot sign in again.
    page = owner.get("/console/courses")
    assert page.status_code == 403
    assert "provider-suspended" in page.text
    again = Staff(app, owner.email)
    assert again.sign_in().status_code == 403
    # The public side keeps working: the badge verifies, the documents are served.
    verified = client.post("/api/v1/verify", json=badge["credential"])
    assert verified.status_code == 200
    assert verified.json is not None
    assert verified.json["verdict"] == "valid"
    for path in (f"/issuers/{slug}", f"/issuers/{slug}/did.json", f"/issuers/{slug}/jwks.json"):
        assert client.get(path).status_code == 200, path
    public = client.get(urlsplit(badge["id"]).path, headers=KOREAN)
    assert public.status_code == 200
    assert 'data-verdict="valid"' in public.text
    assert 'data-issuer-mark="registered"' in public.text  # suspended, still registered

    # Reinstated: the same key works again.
    assert operator.post(f"/operator/providers/{slug}/unsuspend", {}).status_code == 302
    assert api.get("/api/v1/achievements").status_code == 200
    assert owner.get("/console/courses").status_code == 200


def test_removed_provider_is_refused_with_its_own_code(
    app: Flask, operator: Operator, session: Session
) -> None:
    tenant = _provider(app)
    api = Api(app.test_client(), tenant)
    _course, badge = _course_and_badge(api)
    slug = tenant.issuer.slug
    assert operator.get(f"/operator/providers/{slug}/remove").status_code == 200
    gone = operator.post(f"/operator/providers/{slug}/remove", {"reason": "폐업"})
    assert gone.status_code == 302
    refused = api.get("/api/v1/achievements")
    assert refused.status_code == 403
    assert refused.json is not None
    assert refused.json["error"] == "provider-removed"
    verified = app.test_client().post("/api/v1/verify", json=badge["credential"])
    assert verified.json is not None
    assert verified.json["verdict"] == "valid"
    # Its badge page: still valid, but the provider is no longer shown as registered here.
    public = app.test_client().get(urlsplit(badge["id"]).path, headers=KOREAN)
    assert 'data-verdict="valid"' in public.text
    assert 'data-issuer-mark="registered"' not in public.text
    for path in (f"/issuers/{slug}", f"/issuers/{slug}/did.json", f"/issuers/{slug}/jwks.json"):
        assert app.test_client().get(path).status_code == 200, path
    # Removed providers are left out of the active list, found under their state.
    work = _work(app, session)
    active, _more = service.list_providers(work, search=slug, state="active")
    removed, _more = service.list_providers(work, search=slug, state="removed")
    assert [r.issuer.slug for r in active] == []
    assert [r.issuer.slug for r in removed] == [slug]
    assert removed[0].issued == 1
    fresh = _provider(app).issuer.slug
    session.rollback()  # a fresh snapshot, with the provider made on another session
    listed = session.exec(select(Issuer.slug).where(accounts.publicly_listed())).all()
    assert slug not in listed
    assert "_platform" not in listed
    assert fresh in listed
    with pytest.raises(InvalidStatusChange):
        service.change_state(work, slug, "suspend", reason="x")
    events = session.exec(
        select(AuditEvent.action, AuditEvent.actor).where(
            AuditEvent.issuer_id == tenant.issuer.pk, AuditEvent.action == "operator.remove"
        )
    ).all()
    assert events == [("operator.remove", f"operator:{operator.email}")]


# -- figures and the audit log ----------------------------------------------------------------


def _issue_at(app: Flask, session: Session, tenant: Tenant, course_id: str, when: datetime) -> str:
    conf = settings_of(app)
    issuer = accounts.issuer_by_slug(session, tenant.issuer.slug)
    outcome = credentials.issue_credential(
        Work(session, conf, when, "test", issuer),
        CredentialCreate.model_validate(
            {"achievementId": course_id, "recipient": {"email": unique_email(), "name": "가"}}
        ),
    )
    return outcome.issued[0].credential.id


def test_figures_match_the_seeded_badges(app: Flask, session: Session) -> None:
    tenant = _provider(app)
    course = Api(app.test_client(), tenant).achievement("통계 과정")
    now = settings_of(app).clock()
    month_start = datetime(now.year, now.month, 1, tzinfo=UTC)
    two_ago = (month_start - timedelta(days=40)).replace(day=15)
    one_ago = (month_start - timedelta(days=10)).replace(day=3)
    seeded = [_issue_at(app, session, tenant, course["id"], two_ago) for _ in range(3)]
    seeded += [_issue_at(app, session, tenant, course["id"], one_ago) for _ in range(2)]
    work = Work(
        session,
        settings_of(app),
        one_ago,
        "test",
        accounts.issuer_by_slug(session, tenant.issuer.slug),
    )
    change_status(work, seeded[0], "revoke", reason="잘못 발급")

    found = figures.platform_figures(_work(app, session))
    by_month = {m.month: m for m in found.months}
    assert len(found.months) == 12
    assert found.months[0].month == f"{now.year:04d}-{now.month:02d}"
    # Nobody else issues in the past: those months hold exactly the seeded badges.
    assert by_month[two_ago.strftime("%Y-%m")].issued == 3
    assert by_month[one_ago.strftime("%Y-%m")].issued == 2
    assert by_month[one_ago.strftime("%Y-%m")].revoked == 1
    assert by_month[two_ago.strftime("%Y-%m")].revoked == 0
    # Every figure agrees with counting the rows one by one.
    rows = session.exec(
        select(Credential.issued_at, Credential.revoked_at, Credential.learner_id)
    ).all()
    issued = Counter(r[0].strftime("%Y-%m") for r in rows)
    revoked = Counter(r[1].strftime("%Y-%m") for r in rows if r[1] is not None)
    for month in found.months:
        assert (month.issued, month.revoked) == (issued[month.month], revoked[month.month])
    assert found.badges == len(rows)
    assert found.revoked == sum(1 for r in rows if r[1] is not None)
    assert found.learners == len({r[2] for r in rows})
    states = Counter(
        s for s in session.exec(select(Issuer.state).where(Issuer.slug != "_platform")).all()
    )
    assert found.providers == {s: states.get(s, 0) for s in ("active", "suspended", "removed")}
    detail = service.provider_figures(
        _work(app, session), accounts.issuer_by_slug(session, tenant.issuer.slug)
    )
    assert (detail.issued, detail.revoked, detail.learners) == (5, 1, 5)


def test_audit_log_filters_and_pages(app: Flask, operator: Operator, session: Session) -> None:
    tenant = _provider(app)
    work = _work(app, session)
    service.change_state(work, tenant.issuer.slug, "suspend", reason="점검")
    service.change_state(work, tenant.issuer.slug, "unsuspend")
    lines, _more = figures.audit_log(work, provider=tenant.issuer.slug, action="operator.")
    assert [line.event.action for line in lines] == ["operator.unsuspend", "operator.suspend"]
    assert {line.provider for line in lines} == {tenant.issuer.slug}
    mine, _more = figures.audit_log(work, actor="operator:test@", action="operator.unsuspend")
    assert mine
    assert all(line.event.actor == "operator:test@example.kr" for line in mine)
    with work.write():
        for n in range(55):
            audit.record(
                session,
                actor="test",
                action="test.page",
                subject=str(n),
                issuer_id=tenant.issuer.pk,
                now=work.now,
            )
    first, more = figures.audit_log(work, provider=tenant.issuer.slug, action="test.")
    second, last = figures.audit_log(work, provider=tenant.issuer.slug, action="test.", page=2)
    assert (len(first), more, len(second), last) == (50, True, 5, False)
    assert {e.event.subject for e in first + second} == {str(n) for n in range(55)}
    page = operator.get(f"/operator/audit?provider={tenant.issuer.slug}&action=operator.")
    assert page.status_code == 200
    assert "operator.suspend" in page.text
    assert operator.get("/operator/audit?provider=no-such-one").status_code == 404


@pytest.mark.parametrize("headers", [KOREAN, ENGLISH], ids=["ko", "en"])
def test_every_operator_page_renders(
    app: Flask, operator: Operator, headers: dict[str, str]
) -> None:
    tenant = _provider(app)
    slug = tenant.issuer.slug
    paths = [
        "/operator/",
        f"/operator/?q={slug}&state=active",
        "/operator/providers/new",
        f"/operator/providers/{slug}",
        f"/operator/providers/{slug}/suspend",
        f"/operator/providers/{slug}/remove",
        "/operator/applications",
        "/operator/applications?state=",
        "/operator/figures",
        "/operator/audit",
        "/operator/account",
    ]
    for path in paths:
        answer = operator.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text[:300])
        assert answer.headers["Cache-Control"] == "private, no-store"
        assert "script-src 'none'" in answer.headers["Content-Security-Policy"]
    english = operator.get("/operator/figures", headers=ENGLISH).text
    assert "Platform figures" in english
    korean = operator.get("/operator/figures", headers=KOREAN).text
    assert "플랫폼 통계" in korean


def test_fresh_operator_on_a_new_platform(app: Flask) -> None:
    """A second operator joins the first on the same platform identity."""
    second = create_operator(app)
    with db.new_session(db.engine_of(app)) as session:
        users = session.exec(select(StaffUser).where(StaffUser.role == "operator")).all()
        platform = accounts.issuer_by_slug(session, "_platform", include_platform=True)
    assert second.email in {u.email for u in users}
    assert {u.issuer_id for u in users} == {platform.pk}


def test_register_provider_service_is_one_transaction(app: Flask, session: Session) -> None:
    """A bad owner e-mail registers nothing."""
    slug = _slug("atomic")
    with pytest.raises(ValidationFailed):
        service.register_provider(
            _work(app, session), IssuerCreate(slug=slug, name="x"), owner_email="nope"
        )
    assert session.exec(select(Issuer).where(Issuer.slug == slug)).first() is None


# -- certification ------------------------------------------------------------------------------


def _certification_mark(html: str) -> str | None:
    found = re.search(r'data-certification="([^"]+)"', html)
    return found.group(1) if found else None


def test_certify_and_revoke_from_the_provider_page(
    app: Flask, operator: Operator, session: Session
) -> None:
    tenant = _provider(app)
    slug = tenant.issuer.slug
    path = f"/operator/providers/{slug}"
    detail = operator.get(path, headers=KOREAN)
    assert 'id="certification"' in detail.text
    assert "인증 기록이 없습니다" in detail.text
    bad = operator.post(path, {"do": "certify", "programme": "leaders-club", "until": "someday"})
    assert bad.status_code == 422
    until = (settings_of(app).clock() + timedelta(days=365)).date().isoformat()
    done = operator.post(
        path,
        {"do": "certify", "programme": "leaders-club", "until": until, "narrative": ""},
    )
    assert done.status_code == 302, done.text
    shown = operator.get(path, headers=KOREAN).text
    assert 'data-certification-state="current"' in shown
    assert "디지털 리더스 클럽" in shown
    public = app.test_client().get(f"/issuers/{slug}", headers=KOREAN).text
    assert _certification_mark(public) == "certified"

    found = re.search(r'name="certification" value="([^"]+)"', shown)
    assert found is not None
    # Another provider's page does not revoke it.
    other = _provider(app).issuer.slug
    wrong = operator.post(
        f"/operator/providers/{other}",
        {"do": "decertify", "certification": found.group(1), "reason": "x"},
        form=path,
    )
    assert wrong.status_code == 404
    assert 'data-certification-state="current"' in operator.get(path).text
    revoked = operator.post(
        path, {"do": "decertify", "certification": found.group(1), "reason": "품질 기준 미달"}
    )
    assert revoked.status_code == 302, revoked.text
    after = operator.get(path, headers=KOREAN).text
    assert 'data-certification-state="revoked"' in after
    assert "품질 기준 미달" in after
    public = app.test_client().get(f"/issuers/{slug}", headers=KOREAN).text
    assert _certification_mark(public) == "revoked"
    # A suspended provider is not certified (and its page offers no certify form).
    service.change_state(_work(app, session), slug, "suspend", reason="점검")
    assert 'id="certify-form"' not in operator.get(path).text
    refused = operator.post(
        path,
        {"do": "certify", "programme": "leaders-club", "until": until},
        form=f"/operator/providers/{other}",
    )
    assert refused.status_code == 422
    assert "suspended" in refused.text
    actions = session.exec(
        select(AuditEvent.actor).where(col(AuditEvent.action).startswith("certification."))
    ).all()
    assert f"operator:{operator.email}" in actions


def test_operator_second_factor(app: Flask) -> None:
    """An operator with TOTP on needs the code of their app, as providers' staff do."""
    second = create_operator(app)
    conf = settings_of(app)
    secret = staff_service.new_totp_secret()
    earlier = conf.clock() - timedelta(seconds=60)
    with db.new_session(db.engine_of(app)) as session:
        user = session.exec(select(StaffUser).where(StaffUser.email == second.email)).one()
        staff_service.enable_totp(
            Work(session, conf, earlier, "test", None),
            user,
            secret,
            pyotp.TOTP(secret).at(earlier),
        )
    browser = Operator(app, second.email)
    asked = browser.sign_in()
    assert asked.status_code == 401
    assert 'name="code"' in asked.text
    assert browser.sign_in(code="000000").status_code == 401
    signed = browser.sign_in(code=pyotp.TOTP(secret).now())
    assert signed.status_code == 302, signed.text
    assert browser.get("/operator/figures").status_code == 200


def test_two_operators_suspending_at_once_change_it_once(app: Flask) -> None:
    """The provider's row is locked for the change: while one operator's suspension is not
    yet committed, another's waits, then finds the provider suspended and is refused."""
    slug = _provider(app).issuer.slug
    started = threading.Event()
    outcomes: dict[str, str] = {}

    def suspend(who: str, *, hold: bool) -> None:
        with db.new_session(db.engine_of(app)) as own:
            work = Work(own, settings_of(app), settings_of(app).clock(), who, None)
            try:
                with work.write():
                    service.change_state(work, slug, "suspend", reason=f"by {who}")
                    if hold:  # still uncommitted while the other operator tries
                        started.set()
                        time.sleep(1.0)
                outcomes[who] = "changed"
            except InvalidStatusChange:
                outcomes[who] = "refused"

    first = threading.Thread(target=suspend, args=("operator:a",), kwargs={"hold": True})
    first.start()
    assert started.wait(timeout=30)
    suspend("operator:b", hold=False)
    first.join(timeout=60)
    assert outcomes == {"operator:a": "changed", "operator:b": "refused"}
    with db.new_session(db.engine_of(app)) as session:
        events = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "operator.suspend",
                AuditEvent.issuer_id == accounts.issuer_by_slug(session, slug).pk,
            )
        ).all()
    assert len(events) == 1


def test_removing_a_certified_provider_revokes_its_certification(
    app: Flask, operator: Operator
) -> None:
    """A removed provider is neither shown as registered nor as certified: its current
    certification is revoked with the removal, and its page says it is not registered."""
    slug = _provider(app).issuer.slug
    path = f"/operator/providers/{slug}"
    until = (settings_of(app).clock() + timedelta(days=365)).date().isoformat()
    certified = operator.post(path, {"do": "certify", "programme": "leaders-club", "until": until})
    assert certified.status_code == 302, certified.text
    page = app.test_client().get(f"/issuers/{slug}", headers=KOREAN).text
    assert _certification_mark(page) == "certified"
    assert 'data-issuer-mark="registered"' in page
    gone = operator.post(f"{path}/remove", {"reason": "폐업"})
    assert gone.status_code == 302
    page = app.test_client().get(f"/issuers/{slug}", headers=KOREAN).text
    assert _certification_mark(page) == "revoked"
    assert 'data-issuer-mark="removed"' in page
    assert 'data-issuer-mark="registered"' not in page
    profile = app.test_client().get(f"/issuers/{slug}", headers={"Accept": "application/json"})
    assert "endorsement" not in (profile.json or {})


def test_applications_are_paged_newest_first(
    app: Flask, operator: Operator, session: Session
) -> None:
    """A flood of applications never hides the newest one: newest first, 50 a page."""
    work = _work(app, session)
    names = [f"쇄도 기관 {n:02d}" for n in range(applications.APPLICATIONS_PAGE + 1)]
    for name in names:
        applications.submit_application(
            work,
            slug=_slug("flood"),
            name=name,
            url=None,
            email=unique_email(),
            description=None,
            message=None,
            lang="ko",
        )
    first = operator.get("/operator/applications", headers=KOREAN).text
    assert names[-1] in first
    assert names[0] not in first
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first
    second = operator.get("/operator/applications?state=pending&page=2", headers=KOREAN).text
    assert names[0] in second
    assert 'rel="prev"' in second
