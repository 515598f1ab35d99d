"""Staff accounts: argon2id passwords, one-time links, TOTP on a fixed clock, sessions, roles."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from sqlmodel import Session, select

from issuer.config import DEFAULTS, Settings
from issuer.console import service
from issuer.console.models import StaffSession, StaffToken, StaffUser
from issuer.db import Work
from issuer.errors import AlreadyExists, Forbidden, NotFound, Unauthorized, ValidationFailed
from issuer.issuers.service import token_digest
from issuer.models import AuditEvent
from tests.issuer.conftest import Tenant, unique_email

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def _token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def _at(session: Session, settings: Settings, now: datetime = NOW) -> Work:
    """A unit of work at ``now`` in which no one is signed in yet (as the sign-in steps run)."""
    return Work(session, settings, now, "console", None)


def _user(session: Session, settings: Settings, tenant: Tenant, role: str = "owner") -> StaffUser:
    user, link = service.create_user(
        Work(session, settings, NOW, "test", tenant.issuer), email=unique_email("staff"), role=role
    )
    service.set_password(_at(session, settings), _token(link), PASSWORD)
    return user


def test_link_sets_an_argon2id_password_once(
    app: Flask, session: Session, settings: Settings, hanbit: Tenant
) -> None:
    email = unique_email("Owner").upper()
    user, link = service.create_user(
        Work(session, settings, NOW, "test", hanbit.issuer), email=email, role="owner"
    )
    assert link.startswith(settings.url("console", "set-password") + "/")
    assert user.email == email.lower()
    assert user.password_hash is None
    stored = session.exec(select(StaffToken).where(StaffToken.user_id == user.pk)).one()
    assert stored.token_hash == token_digest(_token(link)) != _token(link)
    with pytest.raises(ValidationFailed):
        service.set_password(_at(session, settings), _token(link), "short")
    done = service.set_password(_at(session, settings), _token(link), PASSWORD)
    assert done.password_hash is not None
    assert done.password_hash.startswith("$argon2id$")
    assert PASSWORD not in done.password_hash
    with pytest.raises(NotFound):
        service.set_password(_at(session, settings), _token(link), PASSWORD + "x")
    signed = service.check_credentials(
        _at(session, settings), email=email, password=PASSWORD, totp_code=None
    )
    assert signed.pk == user.pk
    with pytest.raises(Unauthorized):
        service.check_credentials(
            _at(session, settings), email=email, password=PASSWORD + "!", totp_code=None
        )
    with pytest.raises(AlreadyExists):
        service.create_user(
            Work(session, settings, NOW, "t", hanbit.issuer), email=email, role="viewer"
        )


def test_a_hash_made_under_other_parameters_is_remade_at_sign_in(
    session: Session, settings: Settings, hanbit: Tenant
) -> None:
    """Raising the PASSWORD_* settings upgrades each stored hash at its next sign-in."""
    user = _user(session, settings, hanbit)
    assert user.password_hash is not None
    assert "$m=8,t=1,p=1$" in user.password_hash  # the test app's parameters
    production = replace(settings, password_hashing=(3, 65536, 4))
    signed = service.check_credentials(
        _at(session, production), email=user.email, password=PASSWORD, totp_code=None
    )
    assert signed.password_hash is not None
    assert "$m=65536,t=3,p=4$" in signed.password_hash
    assert service.verify_password(production, signed, PASSWORD)
    assert not service.verify_password(production, signed, PASSWORD + "!")


@pytest.mark.parametrize(
    ("name", "value"),
    [("PASSWORD_TIME_COST", 0), ("PASSWORD_PARALLELISM", 0), ("PASSWORD_MEMORY_KIB", 7)],
)
def test_argon2_parameters_argon2_would_refuse_stop_the_service(
    tmp_path: Path, name: str, value: int
) -> None:
    with pytest.raises(ValueError, match=f"BAEJI_{name}"):
        Settings.from_config(
            {**DEFAULTS, "BASE_URL": "https://badges.example.kr", name: value}, tmp_path
        )


def test_links_expire(session: Session, settings: Settings, hanbit: Tenant) -> None:
    _user_row, link = service.create_user(
        Work(session, settings, NOW, "test", hanbit.issuer), email=unique_email(), role="viewer"
    )
    later = NOW + service.LINK_LIFETIME
    with pytest.raises(NotFound):
        service.set_password(_at(session, settings, later), _token(link), PASSWORD)
    service.set_password(
        _at(session, settings, later - timedelta(seconds=1)), _token(link), PASSWORD
    )


def test_unknown_role_and_bad_email_are_refused(
    session: Session, settings: Settings, hanbit: Tenant
) -> None:
    with pytest.raises(ValidationFailed):
        service.create_user(
            Work(session, settings, NOW, "t", hanbit.issuer), email=unique_email(), role="admin"
        )
    with pytest.raises(ValidationFailed):
        service.create_user(
            Work(session, settings, NOW, "t", hanbit.issuer), email="no address", role="viewer"
        )


def test_totp_on_a_fixed_clock_and_each_code_once(
    session: Session, settings: Settings, hanbit: Tenant
) -> None:
    user = _user(session, settings, hanbit)
    secret = service.new_totp_secret()
    assert service.totp_uri(user, secret).startswith("otpauth://totp/Baeji:")
    with pytest.raises(ValidationFailed):
        service.enable_totp(_at(session, settings), user, secret, "000000")
    totp = pyotp.TOTP(secret)
    service.enable_totp(_at(session, settings), user, secret, totp.at(NOW))
    stored = session.get(StaffUser, user.pk)
    assert stored is not None
    assert stored.totp_sealed is not None
    assert secret.encode() not in stored.totp_sealed
    later = NOW + timedelta(minutes=5)
    with pytest.raises(service.NeedsSecondFactor):
        service.check_credentials(
            _at(session, settings, later), email=user.email, password=PASSWORD, totp_code=None
        )
    with pytest.raises(service.NeedsSecondFactor):  # the code of another time
        service.check_credentials(
            _at(session, settings, later),
            email=user.email,
            password=PASSWORD,
            totp_code=totp.at(NOW),
        )
    code = totp.at(later)
    signed = service.check_credentials(
        _at(session, settings, later), email=user.email, password=PASSWORD, totp_code=code
    )
    service.start_session(_at(session, settings, later), signed)
    with pytest.raises(service.NeedsSecondFactor):  # the same code twice
        service.check_credentials(
            _at(session, settings, later), email=user.email, password=PASSWORD, totp_code=code
        )
    service.disable_totp(_at(session, settings, later), signed)
    service.check_credentials(
        _at(session, settings, later), email=user.email, password=PASSWORD, totp_code=None
    )


def test_sessions_are_hashed_expire_and_end(
    session: Session, settings: Settings, hanbit: Tenant
) -> None:
    user = _user(session, settings, hanbit)
    token = service.start_session(_at(session, settings), user, user_agent="test")
    assert (
        session.exec(select(StaffSession).where(StaffSession.token_hash == token)).first() is None
    )
    live = service.resume(_at(session, settings, NOW + timedelta(minutes=10)), token)
    assert live is not None
    assert live.user.pk == user.pk
    assert live.issuer.pk == hanbit.issuer.pk
    idle = NOW + timedelta(minutes=10) + service.SESSION_IDLE
    assert service.resume(_at(session, settings, idle), token) is None
    assert service.resume(_at(session, settings), "nope") is None
    other = service.start_session(_at(session, settings), user)
    service.end_session(_at(session, settings), live)
    assert service.resume(_at(session, settings), token) is None
    assert service.resume(_at(session, settings), other) is not None
    assert service.end_all_sessions(_at(session, settings), user) == 1
    assert service.resume(_at(session, settings), other) is None
    actions = set(
        session.exec(select(AuditEvent.action).where(AuditEvent.subject == user.email)).all()
    )
    assert {
        "staff.create",
        "staff.password",
        "staff.sign-in",
        "staff.sign-out",
        "staff.sign-out-everywhere",
    } <= actions


def test_roles_and_removal(
    session: Session, settings: Settings, hanbit: Tenant, nuri: Tenant
) -> None:
    owner = _user(session, settings, hanbit, "owner")
    issuer = _user(session, settings, hanbit, "issuer")
    viewer = _user(session, settings, hanbit, "viewer")
    assert [service.allowed(viewer, a) for a in ("read", "issue", "manage")] == [True, False, False]
    assert [service.allowed(issuer, a) for a in ("read", "issue", "manage")] == [True, True, False]
    assert [service.allowed(owner, a) for a in ("read", "issue", "manage")] == [True, True, True]
    with pytest.raises(Forbidden):
        service.disable_user(
            Work(session, settings, NOW, f"staff:{issuer.email}", hanbit.issuer), issuer, viewer.pk
        )
    with pytest.raises(Forbidden):
        service.disable_user(
            Work(session, settings, NOW, f"staff:{owner.email}", hanbit.issuer), owner, owner.pk
        )
    stranger = _user(session, settings, nuri, "viewer")
    with pytest.raises(NotFound):
        service.disable_user(
            Work(session, settings, NOW, f"staff:{owner.email}", hanbit.issuer), owner, stranger.pk
        )
    token = service.start_session(_at(session, settings), viewer)
    service.disable_user(
        Work(session, settings, NOW, f"staff:{owner.email}", hanbit.issuer), owner, viewer.pk
    )
    assert service.resume(_at(session, settings), token) is None
    with pytest.raises(Unauthorized):
        service.check_credentials(
            _at(session, settings), email=viewer.email, password=PASSWORD, totp_code=None
        )
