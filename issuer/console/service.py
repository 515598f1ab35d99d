"""Staff accounts of the provider console: passwords, second factor, sessions, invitations.

Every function takes the unit of work (:class:`issuer.db.Work`) it needs, or the database
session alone for a pure read; none reads Flask's request globals, so the CLI, the views and
the tests call the same code. Signing in happens before anyone is signed in: the console
still makes one unit of work per request, and a step of a staff member's own account is
audited as that account (:meth:`issuer.db.Work.as_actor`).

- Passwords are hashed with argon2id (argon2-cffi's defaults, re-hashed when they change).
- The optional second factor is TOTP (RFC 6238, pyotp): the secret is sealed with AES-GCM
  under a key derived from the email pepper (itself derived from the master key), and a
  code is accepted once (the last accepted time step is kept).
- A session is a random token in a cookie; only its SHA-256 digest is stored, so a copy of
  the database opens no session. Sessions end on sign-out, "sign out everywhere", when an
  owner removes the account, after :data:`SESSION_IDLE` without use or :data:`SESSION_MAX`.
- A one-time link (a new account, an invitation, a reset) sets the password once, within
  :data:`LINK_LIFETIME`.

This module is over 400 lines on purpose: accounts, second factor, sessions and
invitations are one security boundary, reviewed together.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Session, col, select

from issuer.config import Settings
from issuer.console.models import OPERATOR_ROLE, ROLES, StaffSession, StaffToken, StaffUser
from issuer.db import Work
from issuer.errors import AlreadyExists, Forbidden, NotFound, Unauthorized, ValidationFailed
from issuer.issuers.service import PLATFORM_SLUG, require_active, token_digest
from issuer.models import Issuer

SESSION_IDLE = timedelta(hours=8)
SESSION_MAX = timedelta(days=7)
LINK_LIFETIME = timedelta(hours=72)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
TOTP_ISSUER_NAME = "Baeji"
# What each role may do; a higher role may do everything a lower one may.
_RANK = {role: rank for rank, role in enumerate(ROLES)}
_ACTIONS = {"read": "viewer", "issue": "issuer", "manage": "owner"}
_TOTP_LABEL = b"baeji/console/totp/v1"


@functools.lru_cache(maxsize=4)
def _hashing(parameters: tuple[int, int, int]) -> tuple[PasswordHasher, str]:
    """The argon2id hasher of ``parameters`` (time cost, memory in KiB, lanes: the
    ``PASSWORD_*`` settings), and a hash to verify against when no account matches, so a
    missing account costs the same time. Made on first use: a command or worker that never
    checks a password never pays for one."""
    time_cost, memory_kib, parallelism = parameters
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    return hasher, hasher.hash(secrets.token_urlsafe(16))


class NeedsSecondFactor(Unauthorized):
    """The password was right; the account has TOTP and no (valid) code was given."""

    code = "totp-required"


@dataclass(frozen=True)
class SignedIn:
    """A live console session: who, for which provider, and the session row."""

    user: StaffUser
    issuer: Issuer
    session: StaffSession


def allowed(user: StaffUser, action: str) -> bool:
    """Whether ``user``'s role allows ``action`` (``read``, ``issue`` or ``manage``).

    A platform operator holds no provider role: every provider action is refused.
    """
    return _RANK.get(user.role, -1) >= _RANK[_ACTIONS[action]]


def is_operator(user: StaffUser) -> bool:
    """Whether ``user`` is a platform operator (signs in at /operator/, never /console/)."""
    return user.role == OPERATOR_ROLE


def require(user: StaffUser, action: str) -> None:
    """Raise :class:`Forbidden` unless ``user`` may do ``action``."""
    if not allowed(user, action):
        raise Forbidden(f"the {user.role} role may not {action}")


def _audit_own(work: Work, user: StaffUser, action: str, **details: Any) -> None:
    """Audit a step of a staff member's own account (signing in or out, a password, the
    second factor) in ``work``: the account acts on itself, for its own issuer."""
    work.as_actor(f"staff:{user.email}").audit(
        action, user.email, issuer_id=user.issuer_id, **details
    )


def normalize_email(email: str) -> str:
    """Lower-case and trim a staff e-mail; refuse what is plainly not an address."""
    value = email.strip().lower()
    if "@" not in value or len(value) > 254 or any(c.isspace() for c in value):
        raise ValidationFailed(
            "email: not an e-mail address", errors=[{"field": "email", "message": "invalid"}]
        )
    return value


# -- accounts and one-time links ------------------------------------------------------------


def create_user(work: Work, *, email: str, role: str) -> tuple[StaffUser, str]:
    """Create a staff account of the acting issuer without a password; return it and its
    set-password URL.

    An ``operator`` account is made only on the platform's identity (``_platform``), and
    the platform's identity has no other kind: it has no provider console.

    Raises:
        ValidationFailed: an unknown role, a role that does not fit the issuer, or a
            malformed e-mail.
        AlreadyExists: the provider already has an account with that e-mail.
    """
    session, issuer, now = work.session, work.tenant, work.now
    fits = (role == OPERATOR_ROLE) == (issuer.slug == PLATFORM_SLUG)
    if (role not in ROLES and role != OPERATOR_ROLE) or not fits:
        raise ValidationFailed(
            f"role: one of {', '.join(ROLES)} for a provider, {OPERATOR_ROLE} for the platform",
            errors=[{"field": "role", "message": "invalid"}],
        )
    address = normalize_email(email)
    with work.write():
        existing = session.exec(
            select(StaffUser).where(StaffUser.issuer_id == issuer.pk, StaffUser.email == address)
        ).first()
        if existing is not None:
            raise AlreadyExists(f"{issuer.slug} already has a staff account {address}")
        user = StaffUser(issuer_id=issuer.pk, email=address, role=role, created_at=now)
        session.add(user)
        session.flush()
        link = _new_link(work, user, "invite")
        work.audit("staff.create", address, role=role)
    return user, link


def _new_link(work: Work, user: StaffUser, purpose: str) -> str:
    token, now = secrets.token_urlsafe(32), work.now
    work.session.add(
        StaffToken(
            user_id=user.pk,
            token_hash=token_digest(token),
            purpose=purpose,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    where = "operator" if user.role == OPERATOR_ROLE else "console"
    return work.settings.url(where, "set-password", token)


def reset_link(work: Work, user: StaffUser) -> str:
    """Return a new one-time set-password link for an existing account (audited)."""
    with work.write():
        link = _new_link(work, user, "reset")
        work.audit("staff.reset-link", user.email, issuer_id=user.issuer_id)
    return link


def link_user(work: Work, token: str) -> StaffUser:
    """Return the account a one-time link belongs to, while the link is usable (at
    ``work.now``).

    Raises:
        NotFound: unknown, used or expired link (the same answer for all three).
    """
    session = work.session
    row = session.exec(
        select(StaffToken).where(StaffToken.token_hash == token_digest(token))
    ).first()
    user = session.get(StaffUser, row.user_id) if row is not None else None
    if (
        row is None
        or user is None
        or row.used_at is not None
        or row.expires_at <= work.now
        or user.disabled_at is not None
    ):
        raise NotFound("this link is unknown, already used or expired")
    return user


def check_password_strength(password: str, email: str) -> None:
    """Refuse a password that is too short, too long, or the e-mail itself."""
    problem = None
    if len(password) < MIN_PASSWORD_LENGTH:
        problem = f"at least {MIN_PASSWORD_LENGTH} characters"
    elif len(password) > MAX_PASSWORD_LENGTH:
        problem = f"at most {MAX_PASSWORD_LENGTH} characters"
    elif password.strip().lower() in {email, email.split("@")[0]}:
        problem = "not your e-mail address"
    if problem:
        raise ValidationFailed(
            f"password: {problem}", errors=[{"field": "password", "message": problem}]
        )


def set_password(work: Work, token: str, password: str) -> StaffUser:
    """Use a one-time link: set the password, end the account's other sessions.

    Raises:
        NotFound: unknown, used or expired link.
        ValidationFailed: the password is too weak.
    """
    session = work.session
    with work.write():
        user = link_user(work, token)
        check_password_strength(password, user.email)
        row = session.exec(
            select(StaffToken).where(StaffToken.token_hash == token_digest(token))
        ).one()
        row.used_at = work.now
        user.password_hash = _hashing(work.settings.password_hashing)[0].hash(password)
        session.add_all([row, user])
        _end_sessions(work, user)
        _audit_own(work, user, "staff.password")
    return user


def list_users(session: Session, issuer: Issuer) -> list[StaffUser]:
    """The provider's staff accounts, in creation order."""
    return list(
        session.exec(
            select(StaffUser).where(StaffUser.issuer_id == issuer.pk).order_by(col(StaffUser.id))
        ).all()
    )


def get_user(session: Session, issuer: Issuer, user_id: int) -> StaffUser:
    """The provider's staff account ``user_id`` (another provider's is not found)."""
    user = session.get(StaffUser, user_id)
    if user is None or user.issuer_id != issuer.pk:
        raise NotFound(f"no staff account {user_id}")
    return user


def disable_user(work: Work, owner: StaffUser, user_id: int) -> StaffUser:
    """An owner (acting in ``work``) removes a staff account: it can no longer sign in; its
    sessions end.

    Raises:
        Forbidden: ``owner`` is not an owner, or removes their own account.
        NotFound: no such account of the owner's provider.
    """
    require(owner, "manage")
    if owner.pk == user_id:
        raise Forbidden("you cannot remove your own account")
    session, now = work.session, work.now
    with work.write():
        user = session.get(StaffUser, user_id)
        if user is None or user.issuer_id != owner.issuer_id:
            raise NotFound(f"no staff account {user_id}")
        if user.disabled_at is None:
            user.disabled_at = now
            session.add(user)
        _end_sessions(work, user)
        work.audit("staff.disable", user.email, issuer_id=owner.issuer_id)
    return user


# -- signing in -----------------------------------------------------------------------------


def _candidates(session: Session, email: str, *, operators: bool = False) -> list[StaffUser]:
    """The live accounts of ``email``: operators' only, or providers' staff only."""
    role = col(StaffUser.role)
    return list(
        session.exec(
            select(StaffUser).where(
                StaffUser.email == email.strip().lower(),
                col(StaffUser.disabled_at).is_(None),
                role == OPERATOR_ROLE if operators else role != OPERATOR_ROLE,
            )
        ).all()
    )


def check_credentials(
    work: Work,
    *,
    email: str,
    password: str,
    totp_code: str | None,
    operators: bool = False,
) -> StaffUser:
    """Return the account that ``email`` and ``password`` (and the TOTP code) open.

    Args:
        operators: sign in to the operator console (only operator accounts match);
            otherwise to the provider console (operator accounts never match).

    Raises:
        Unauthorized: wrong e-mail or password (one message for both).
        NeedsSecondFactor: right password, TOTP on, and no valid code.
    """
    matched: StaffUser | None = None
    candidates = (
        _candidates(work.session, email, operators=operators)
        if len(password) <= MAX_PASSWORD_LENGTH
        else []
    )
    tried: list[StaffUser | None] = [*candidates] or [None]
    hasher, dummy_hash = _hashing(work.settings.password_hashing)
    for user in tried:
        stored = user.password_hash if user is not None else None
        try:
            hasher.verify(stored or dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            continue
        if user is not None and stored is not None:
            matched = user
            break
    if matched is None:
        raise Unauthorized("wrong e-mail or password")
    if matched.totp_sealed is not None:
        step = _totp_step(work.settings, matched, totp_code or "", now=work.now)
        if step is None:
            raise NeedsSecondFactor("enter the 6-digit code of your authenticator app")
        matched.totp_last_step = step
    assert matched.password_hash is not None  # noqa: S101 - matched only with a hash
    if hasher.check_needs_rehash(matched.password_hash):
        matched.password_hash = hasher.hash(password)
    return matched


def start_session(work: Work, user: StaffUser, *, user_agent: str | None = None) -> str:
    """Record a sign-in and open a session; return the cookie token (shown once).

    Raises:
        ProviderSuspended, ProviderRemoved: ``user`` works for a provider the platform
            suspended or removed (no session is opened).
    """
    session, now = work.session, work.now
    employer = session.get(Issuer, user.issuer_id)
    if employer is not None:
        require_active(employer)
    token = secrets.token_urlsafe(32)
    with work.write():
        session.add(user)
        session.add(
            StaffSession(
                user_id=user.pk,
                token_hash=token_digest(token),
                created_at=now,
                last_seen_at=now,
                expires_at=now + SESSION_MAX,
                user_agent=(user_agent or "")[:200] or None,
            )
        )
        _audit_own(work, user, "staff.sign-in")
    return token


def record_failed_sign_in(work: Work, email: str, *, operators: bool = False) -> None:
    """Audit a refused sign-in against every provider that has an account ``email``
    (with ``operators``: against the platform, for its operator account ``email``), as
    the console refusing it (``console`` or ``operator-console``)."""
    refusing = work.as_actor("operator-console" if operators else "console")
    with work.write():
        for user in _candidates(work.session, email, operators=operators):
            refusing.audit("staff.sign-in-failed", user.email, issuer_id=user.issuer_id)


def resume(work: Work, token: str | None, *, operators: bool = False) -> SignedIn | None:
    """Return the live session of a cookie token at ``work.now``, or ``None`` (unknown,
    ended, expired).

    Args:
        operators: the operator console asks (only an operator's session counts);
            otherwise the provider console (an operator's session never counts).

    Raises:
        ProviderSuspended, ProviderRemoved: the session of a staff member of a provider
            the platform suspended or removed.
    """
    if not token:
        return None
    session, now = work.session, work.now
    row = session.exec(
        select(StaffSession).where(StaffSession.token_hash == token_digest(token))
    ).first()
    if (
        row is None
        or row.revoked_at is not None
        or row.expires_at <= now
        or row.last_seen_at + SESSION_IDLE <= now
    ):
        return None
    user = session.get(StaffUser, row.user_id)
    if user is None or user.disabled_at is not None or is_operator(user) != operators:
        return None
    issuer = session.get(Issuer, user.issuer_id)
    if issuer is None:
        return None
    require_active(issuer)
    if now - row.last_seen_at > timedelta(minutes=1):
        with work.write():
            row.last_seen_at = now
            session.add(row)
    return SignedIn(user, issuer, row)


def end_session(work: Work, signed_in: SignedIn) -> None:
    """Sign out this browser."""
    session = work.session
    with work.write():
        row = session.get(StaffSession, signed_in.session.id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = work.now
            session.add(row)
        _audit_own(work, signed_in.user, "staff.sign-out")


def end_all_sessions(work: Work, user: StaffUser) -> int:
    """Sign ``user`` out everywhere; return how many sessions ended."""
    with work.write():
        ended = _end_sessions(work, user)
        _audit_own(work, user, "staff.sign-out-everywhere", sessions=ended)
    return ended


def _end_sessions(work: Work, user: StaffUser) -> int:
    session = work.session
    rows = session.exec(
        select(StaffSession).where(
            StaffSession.user_id == user.pk, col(StaffSession.revoked_at).is_(None)
        )
    ).all()
    for row in rows:
        row.revoked_at = work.now
        session.add(row)
    return len(rows)


# -- TOTP -----------------------------------------------------------------------------------


def _totp_aead(settings: Settings) -> AESGCM:
    return AESGCM(hmac.new(settings.email_pepper, _TOTP_LABEL, "sha256").digest())


def _seal_secret(settings: Settings, user: StaffUser, secret: str) -> bytes:
    nonce = secrets.token_bytes(12)
    aad = f"staff:{user.pk}".encode()
    return nonce + _totp_aead(settings).encrypt(nonce, secret.encode(), aad)


def _open_secret(settings: Settings, user: StaffUser) -> str:
    blob = user.totp_sealed or b""
    try:
        return (
            _totp_aead(settings).decrypt(blob[:12], blob[12:], f"staff:{user.pk}".encode()).decode()
        )
    except (InvalidTag, ValueError):
        raise Unauthorized("the second factor of this account cannot be read") from None


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret to show (as a QR code) before it is confirmed."""
    return pyotp.random_base32()


def totp_uri(user: StaffUser, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER_NAME)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (of now, one before or one after) whose code is ``code``."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _totp_step(settings: Settings, user: StaffUser, code: str, *, now: datetime) -> int | None:
    step = _matching_step(_open_secret(settings, user), code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return None
    return step


def enable_totp(work: Work, user: StaffUser, secret: str, code: str) -> None:
    """Turn the second factor on once the user proved their app shows ``secret``'s codes.

    Raises:
        ValidationFailed: the code does not match.
    """
    step = _matching_step(secret, code, work.now)
    if step is None:
        raise ValidationFailed(
            "code: the code does not match; check the time on your phone",
            errors=[{"field": "code", "message": "mismatch"}],
        )
    session = work.session
    with work.write():
        row = session.get(StaffUser, user.pk)
        assert row is not None  # noqa: S101 - the signed-in user exists
        row.totp_sealed = _seal_secret(work.settings, row, secret)
        row.totp_last_step = step
        session.add(row)
        _audit_own(work, row, "staff.totp-on")


def disable_totp(work: Work, user: StaffUser) -> None:
    """Turn the second factor off (the view asks for the password first)."""
    session = work.session
    with work.write():
        row = session.get(StaffUser, user.pk)
        assert row is not None  # noqa: S101 - the signed-in user exists
        row.totp_sealed = None
        row.totp_last_step = None
        session.add(row)
        _audit_own(work, row, "staff.totp-off")


def verify_password(settings: Settings, user: StaffUser, password: str) -> bool:
    """Whether ``password`` is ``user``'s (re-authentication before sensitive changes)."""
    if user.password_hash is None:
        return False
    try:
        return _hashing(settings.password_hashing)[0].verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
