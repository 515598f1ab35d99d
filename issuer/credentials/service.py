"""Issuing one credential or a batch; status changes: :mod:`.status_changes`, reads: :mod:`.reads`.

This module is over 400 lines on purpose: it is one workflow whose steps (validate, plan
status slots, sign outside the transaction, store, re-sign collided rows) share private
types (``_Award``, ``_Signer``, ``_Collision``); splitting it would make them public.

Issue: validate every row → resolve achievements and learners → allocate status indexes →
build and sign each credential (``badges``; Data Integrity proof, then VC-JWT) → store the
exact signed JSON and JWT, the audit events and the idempotency record in one short write
transaction → respond. Signing happens before that transaction, so a large batch never
holds the database's write lock while it signs; a status index taken meanwhile by another
worker is detected (or refused by the unique constraint) and only that row is re-signed.
Nothing is ever rebuilt from rows later: the stored text is the credential.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from badges import Achievement as ObAchievement
from badges import (
    Evidence,
    Profile,
    Result,
    build_credential,
    email_identity,
    normalize_email,
    status_entry,
)
from issuer import audit
from issuer.achievements import service as catalog
from issuer.config import Settings
from issuer.credentials import mail
from issuer.db import Work, insert_all
from issuer.errors import (
    AchievementArchived,
    AlreadyHolds,
    BatchTooSlow,
    IdempotencyKeyReused,
    InvalidRows,
    NotFound,
    PayloadTooLarge,
    ServiceBusy,
    ValidationFailed,
    validation_errors,
)
from issuer.issuers import signing
from issuer.issuers.service import require_active
from issuer.learners import record_jobs
from issuer.learners import service as learners
from issuer.models import (
    Achievement,
    Credential,
    IdempotencyRecord,
    Issuer,
    Learner,
    StatusList,
)
from issuer.outbox import service as outbox
from issuer.schemas import (
    BatchRow,
    CredentialCreate,
    RowError,
)
from issuer.status import service as status
from issuer.webhooks import service as webhooks

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
Duplicates = Literal["reject", "allow", "replace"]
DUPLICATES: tuple[Duplicates, ...] = ("reject", "allow", "replace")
# Write attempts before a batch gives up on status-index collisions (each re-signs only
# the rows that collided, so this is only reached under pathological contention).
_MAX_WRITE_ATTEMPTS = 8


# -- issuing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """One credential as issued, with a fresh wallet link for its learner.

    ``wallet_url`` goes back to the provider, so it is scoped to that provider's badges
    (see :mod:`issuer.learners.service`). ``email`` is the learner's address as the request gave
    it (never stored readable; ``None`` for an idempotent replay); the e-mail with a full
    wallet link is queued with the badge (:mod:`issuer.credentials.mail`).
    """

    credential: Credential
    wallet_url: str
    email: str | None = field(default=None, repr=False)
    # The signed credential as signed (``credential.document`` parsed), when just issued.
    signed: dict[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Skipped:
    """A row not issued: its learner already holds an active badge of the same achievement.

    ``row`` is 1-based; ``existing`` is the badge the learner holds (the newest, if several);
    ``email`` is the address the row gave (never stored).
    """

    row: int
    existing: Credential
    email: str = field(repr=False)
    code: str = "already-holds"


@dataclass(frozen=True)
class BatchOutcome:
    """The credentials of a batch in row order; ``replayed`` when an idempotency key matched.

    ``rows`` is the 1-based row number of each issued credential (empty for a replay);
    ``skipped`` lists the rows not issued because of ``duplicates: reject``.
    """

    issued: list[Issued]
    replayed: bool = False
    skipped: list[Skipped] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


@dataclass
class _Award:
    """One validated row, resolved, with its signed form once built."""

    row: BatchRow
    achievement: Achievement
    learner: Learner
    credential_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    slots: dict[str, status.Slot] = field(default_factory=dict)
    document: str = ""
    signed: dict[str, Any] = field(default_factory=dict)
    jwt: str = ""
    jwt_alg: str = ""
    # 1-based row number, and what to do if the learner holds this achievement's badge.
    position: int = 0
    duplicates: Duplicates = "reject"


class _Collision(Exception):
    """Planned status indexes were taken by another worker; these awards need new ones."""

    def __init__(self, awards: list[_Award]) -> None:
        super().__init__(f"{len(awards)} status index collisions")
        self.awards = awards


class _NowHeld(Exception):
    """Learners of these ``duplicates: reject`` awards were issued the badge meanwhile."""

    def __init__(self, held: dict[str, Credential]) -> None:
        super().__init__(f"{len(held)} learner(s) received this badge meanwhile")
        self.held = held


class _Replay(Exception):
    """The idempotency key was committed by a concurrent request."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        self.record = record


def issue_credential(
    work: Work,
    data: CredentialCreate,
    *,
    idempotency_key: str | None = None,
    duplicates: Duplicates | None = None,
) -> BatchOutcome:
    """Issue one credential of the acting issuer (a batch of one, with field errors instead
    of row errors).

    ``duplicates`` (default: ``data.duplicates``, itself ``reject`` by default) says what
    happens when the learner already holds an active badge of the achievement; see
    :func:`issue_batch`.

    Raises:
        ValidationFailed: unknown achievement, a validity window already over, or no
            recipient name without ``allowAnonymous``.
        AchievementArchived: the achievement is archived.
        AlreadyHolds: the learner holds an active badge of it and ``duplicates`` is
            ``reject``; ``existing`` in its details names that badge.
        IdempotencyKeyReused: ``idempotency_key`` was used with another request.
    """
    row = BatchRow.of(data)
    try:
        outcome = issue_batch(
            work,
            [row],
            idempotency_key=idempotency_key,
            kind="credential",
            duplicates=duplicates or data.duplicates,
        )
    except InvalidRows as err:
        rows = err.details["rows"]
        if rows and rows[0].get("code") == AchievementArchived.code:
            raise AchievementArchived(rows[0]["message"]) from err
        errors = [{"field": r["field"], "message": r["message"]} for r in rows]
        raise ValidationFailed(
            f"{errors[0]['field']}: {errors[0]['message']}", errors=errors
        ) from err
    if outcome.skipped:
        raise AlreadyHolds(
            "the learner already holds an active badge of this achievement; send "
            'duplicates: "allow" to issue another (a retake) or "replace" to revoke it and '
            "issue this one",
            existing=existing_ref(work.settings, outcome.skipped[0].existing),
        )
    return outcome


def existing_ref(settings: Settings, row: Credential) -> dict[str, str]:
    """Return the short JSON reference to a badge a learner already holds."""
    return {
        "id": settings.url("credentials", row.id),
        "uuid": row.id,
        "status": row.status,
        "issuedAt": row.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# A batch whose first rows show it would need more than this multiple of its budget is
# abandoned at once rather than after spending the whole budget.
_HOPELESS_FACTOR = 2.0
_PROJECTION_MIN_ROWS = 25


@dataclass
class BatchDeadline:
    """The time one batch may take inside an HTTP request.

    Checked after every signed row and before the write transaction: past the budget, or
    clearly heading past it, the batch stops with :class:`BatchTooSlow` before anything is
    stored, so a worker timeout never cuts a batch off half-way.

    Attributes:
        budget: seconds allowed (``BATCH_TIME_BUDGET``); 0 stops at the first check.
        clock: monotonic seconds; a parameter so tests control time.
    """

    budget: float
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def check(self, done: int, total: int) -> None:
        """Raise :class:`BatchTooSlow` if ``done`` of ``total`` rows took too long."""
        elapsed = self.clock() - self.started
        projected = elapsed / done * total if done >= _PROJECTION_MIN_ROWS else elapsed
        if elapsed >= self.budget or projected > _HOPELESS_FACTOR * self.budget:
            raise BatchTooSlow(
                f"the batch of {total} rows could not be signed within {self.budget:g} seconds"
                f" ({done} signed after {elapsed:.1f} s); nothing was issued. Send smaller"
                " batches, or retry later.",
                budget=self.budget,
            )


def plan_batch(settings: Settings, row_count: int) -> BatchDeadline:
    """Decide how a batch of ``row_count`` rows sent over HTTP runs.

    A batch at or below ``settings.job_batch_threshold`` rows runs inside the request, within
    ``settings.batch_time_budget`` seconds; a larger one is handed to a background job
    (:mod:`issuer.credentials.batch_jobs`) before this is called.

    Raises:
        PayloadTooLarge: more rows than ``settings.batch_max_rows``.
    """
    if row_count > settings.batch_max_rows:
        raise PayloadTooLarge(
            f"a batch takes at most {settings.batch_max_rows} rows; this one has {row_count}"
        )
    return BatchDeadline(settings.batch_time_budget)


def validate_batch(
    work: Work,
    rows: Sequence[BatchRow | Mapping[str, Any]],
    *,
    achievement_id: str | None = None,
    lines: Sequence[int] | None = None,
    allow_anonymous: bool = False,
    max_rows: int,
) -> None:
    """Check every row as :func:`issue_batch` would, issuing nothing (a batch run as a job
    is refused at once, row by row, rather than failing later in the background).

    Raises:
        PayloadTooLarge: more than ``max_rows`` rows.
        InvalidRows: some rows are invalid; each is listed with its reason.
    """
    if len(rows) > max_rows:
        raise PayloadTooLarge(f"a batch takes at most {max_rows} rows; this one has {len(rows)}")
    _validate(
        work.at(work.now.replace(microsecond=0)),
        rows,
        default_achievement=achievement_id,
        lines=lines,
        allow_anonymous=allow_anonymous,
    )


def issue_batch(
    work: Work,
    rows: Sequence[BatchRow | Mapping[str, Any]],
    *,
    achievement_id: str | None = None,
    jwt_alg: str | None = None,
    lines: Sequence[int] | None = None,
    idempotency_key: str | None = None,
    progress: ProgressCallback | None = None,
    kind: str = "batch",
    max_rows: int | None = None,
    deadline: BatchDeadline | None = None,
    allow_anonymous: bool = False,
    duplicates: Duplicates = "reject",
) -> BatchOutcome:
    """Validate every row, then issue all of them for the acting issuer in one transaction,
    or none.

    A learner who already holds an active badge (not revoked, not expired; a suspended one
    counts as held) of a row's achievement from this issuer is handled by ``duplicates``:

    - ``reject`` (default): the row is skipped and reported in ``skipped`` with the badge
      held; the other rows are issued. Re-sending a cohort with one learner added issues
      one badge.
    - ``allow``: issued anyway (a retake; the learner holds two).
    - ``replace``: the badge held is revoked ("replaced by <new id>") in the same
      transaction that stores the new one.

    The check is made before signing and again inside the write transaction, with the
    learners' rows locked (PostgreSQL; SQLite's write lock does the same), so two
    concurrent batches never both issue the same learner the same badge under ``reject``.
    The same learner and achievement twice in one batch is a row error whatever the mode.

    Args:
        rows: parsed rows or their JSON (camelCase) objects.
        achievement_id: the achievement (uuid or URL) of rows that name none.
        jwt_alg: ``RS256`` (default) or ``EdDSA``, for rows that name none.
        lines: the CSV line of each row, reported with row errors.
        idempotency_key: the same key and rows return the same credentials again.
        progress: called with (signed so far, total) while signing.
        kind: ``batch`` or ``credential``; part of what an idempotency key is bound to.
        max_rows: the row limit; defaults to ``settings.batch_max_rows`` (the HTTP limit).
        deadline: stops the batch, nothing stored, once signing outruns it (HTTP requests;
            see :func:`plan_batch`).
        allow_anonymous: rows without a recipient name are issued (a row's own
            ``allowAnonymous`` wins); otherwise each such row is a row error.
        duplicates: ``reject``, ``allow`` or ``replace`` (above).

    Raises:
        PayloadTooLarge: more rows than ``settings.batch_max_rows``.
        InvalidRows: some rows are invalid; each is listed with its reason.
        IdempotencyKeyReused: the key was used with different rows.
        BatchTooSlow: ``deadline`` passed before the rows were signed; nothing was stored.
        ProviderSuspended, ProviderRemoved: the platform suspended or removed the issuer.
    """
    require_active(work.tenant)
    # Signed documents carry whole seconds: the batch's rows, signatures and audit events
    # all share this instant.
    work = work.at(work.now.replace(microsecond=0))
    session, settings, issuer, now = work.session, work.settings, work.tenant, work.now
    limit = settings.batch_max_rows if max_rows is None else max_rows
    if len(rows) > limit:
        raise PayloadTooLarge(f"a batch takes at most {limit} rows; this one has {len(rows)}")
    valid = _validate(
        work,
        rows,
        default_achievement=achievement_id,
        lines=lines,
        allow_anonymous=allow_anonymous,
    )
    # Only an idempotency record keeps the request's digest.
    request_hash = (
        "" if idempotency_key is None else _request_hash(kind, valid, jwt_alg, duplicates)
    )
    if idempotency_key is not None:
        record = _idempotency_record(session, issuer.pk, idempotency_key)
        if record is not None:
            return _replay(work, record, request_hash)

    signers = signing.active_signers(work, issuer.pk)
    emails = [row.recipient.email for row, _ in valid]
    found = learners.ensure_learners(work.at(now), emails)
    awards = [
        _Award(
            row,
            achievement,
            found[learners.email_key(settings, row.recipient.email)],
            position=position,
            duplicates=duplicates,
        )
        for position, (row, achievement) in enumerate(valid, start=1)
    ]
    awards, skipped = _skip_held(work, awards)
    if skipped and idempotency_key is not None:
        # The badge held may be this very key's, committed by a concurrent request.
        session.commit()  # end the read snapshot: see what others committed
        record = _idempotency_record(session, issuer.pk, idempotency_key)
        if record is not None:
            return _replay(work, record, request_hash)
    if not awards:
        session.commit()
        return BatchOutcome([], skipped=skipped)
    allocators = {
        purpose: status.Allocator(
            session=session,
            issuer=issuer,
            purpose=purpose,
            fill=settings.status_list_fill,
            base_url=settings.base_url,
            signer=signers.proof,
            now=now,
        )
        for purpose in _purposes(issuer)
    }
    _plan(allocators, awards)
    profile = catalog.issuer_profile(issuer)
    achievements = {
        a.achievement.id: catalog.ob_achievement(settings, issuer, a.achievement) for a in awards
    }
    sign = _Signer(settings, profile, achievements, signers, jwt_alg, now)
    session.commit()  # end the read transaction: signing holds no locks
    for done, award in enumerate(awards, start=1):
        sign(award)
        if progress is not None:
            progress(done, len(awards))
        if deadline is not None:
            deadline.check(done, len(awards))

    for _attempt in range(_MAX_WRITE_ATTEMPTS):
        if deadline is not None:
            deadline.check(len(awards), len(awards))
        try:
            issued = _store(
                work,
                awards,
                allocators,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                kind=kind,
            )
        except _Replay as replay:
            return _replay(work, replay.record, request_hash)
        except _NowHeld as now_held:
            awards = _drop_held(allocators, awards, now_held.held, skipped)
            if not awards:
                return BatchOutcome([], skipped=skipped)
            continue
        except _Collision as collision:
            log.info(
                "re-signing %d credential(s) whose status index was taken", len(collision.awards)
            )
            _replan(allocators, collision.awards, sign)
            continue
        except IntegrityError:
            # A concurrent writer committed the same idempotency key or status index
            # between our check and our insert; the next attempt sees which.
            session.rollback()
            log.info("issuing for %s met a concurrent writer; retrying", issuer.slug)
            if idempotency_key is not None:
                record = _idempotency_record(session, issuer.pk, idempotency_key)
                if record is not None:
                    return _replay(work, record, request_hash)
            continue
        log.info("issued %d credential(s) for issuer %s", len(issued), issuer.slug)
        skipped.sort(key=lambda s: s.row)
        return BatchOutcome(issued, skipped=skipped, rows=[a.position for a in awards])
    raise ServiceBusy("could not allocate status list entries under contention; retry")


def _purposes(issuer: Issuer) -> tuple[str, ...]:
    """The status entries a new badge of ``issuer`` gets: revocation, plus suspension if on.

    One entry is written as one ``credentialStatus`` object, which the OB 3.0 JSON Schema
    requires; suspension makes it an array of two (the documented deviation).
    """
    return ("revocation", "suspension") if issuer.suspension else ("revocation",)


def _validate(
    work: Work,
    rows: Sequence[BatchRow | Mapping[str, Any]],
    *,
    default_achievement: str | None,
    lines: Sequence[int] | None,
    allow_anonymous: bool = False,
) -> list[tuple[BatchRow, Achievement]]:
    errors: list[RowError] = []

    def fail(index: int, field_name: str, message: str, code: str | None = None) -> None:
        line = lines[index] if lines is not None and index < len(lines) else None
        errors.append(
            RowError(row=index + 1, line=line, field=field_name, message=message, code=code)
        )

    if not rows:
        raise ValidationFailed(
            "the batch has no rows", errors=[{"field": "credentials", "message": "empty"}]
        )
    achievements: dict[str, Achievement | None] = {}
    seen: dict[tuple[str, str], int] = {}
    valid: list[tuple[BatchRow, Achievement]] = []
    for index, raw in enumerate(rows):
        try:
            row = raw if isinstance(raw, BatchRow) else BatchRow.model_validate(raw)
        except ValidationError as err:
            for item in validation_errors(err):
                fail(index, item["field"], item["message"])
            continue
        ref = row.achievement_id or default_achievement
        if not ref:
            fail(index, "achievementId", "no achievement given for this row or the batch")
            continue
        if ref not in achievements:
            try:
                achievements[ref] = catalog.get_achievement(work, ref)
            except NotFound:
                achievements[ref] = None
        achievement = achievements[ref]
        if achievement is None:
            fail(index, "achievementId", f"no achievement {ref!r} of this issuer")
            continue
        if achievement.archived_at is not None:
            fail(
                index,
                "achievementId",
                f"achievement {ref!r} is archived; archived achievements award no new badges",
                AchievementArchived.code,
            )
            continue
        if row.valid_until is not None and row.valid_until <= work.now:
            fail(index, "validUntil", "the credential would already be expired")
            continue
        anonymous_ok = allow_anonymous if row.allow_anonymous is None else row.allow_anonymous
        if not (row.recipient.name or "").strip() and not anonymous_ok:
            # A badge with no name on it is worth little to the learner and looks broken to
            # an employer: refuse it unless the provider says so explicitly.
            fail(
                index,
                "recipient.name",
                "the recipient's name is empty; a badge must name its learner "
                "(set allowAnonymous: true to issue one without a name)",
                "recipient-name-missing",
            )
            continue
        duplicate = (normalize_email(row.recipient.email), achievement.id)
        if duplicate in seen:
            fail(index, "recipient.email", f"same learner and achievement as row {seen[duplicate]}")
            continue
        seen[duplicate] = index + 1
        valid.append((row, achievement))
    if errors:
        payload = [e.to_json() for e in errors]
        bad = len({e.row for e in errors})
        raise InvalidRows(
            f"{bad} of {len(rows)} rows are invalid; nothing was issued", rows=payload
        )
    return valid


def _request_hash(
    kind: str,
    valid: Sequence[tuple[BatchRow, Achievement]],
    jwt_alg: str | None,
    duplicates: Duplicates = "reject",
) -> str:
    rows = []
    for row, achievement in valid:
        data = row.model_dump(mode="json", by_alias=True)
        data["achievementId"] = achievement.id
        data["jwtAlg"] = row.jwt_alg or jwt_alg or "RS256"
        rows.append(data)
    request: dict[str, Any] = {"kind": kind, "rows": rows}
    if duplicates != "reject":
        # Only a non-default mode is hashed, so keys recorded before it existed still match.
        request["duplicates"] = duplicates
    text = json.dumps(request, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _idempotency_record(session: Session, issuer_id: int, key: str) -> IdempotencyRecord | None:
    return session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.issuer_id == issuer_id, IdempotencyRecord.key == key
        )
    ).first()


def _replay(work: Work, record: IdempotencyRecord, request_hash: str) -> BatchOutcome:
    session = work.session
    if not hmac.compare_digest(record.request_hash, request_hash):
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request body"
        )
    ids: list[str] = json.loads(record.credential_ids)
    rows = {
        c.id: c for c in session.exec(select(Credential).where(col(Credential.id).in_(ids))).all()
    }
    with work.write():
        issued = [
            Issued(
                rows[i],
                learners.new_wallet_url(work, rows[i].learner_id, issuer_id=record.issuer_id),
            )
            for i in ids
        ]
    return BatchOutcome(issued, replayed=True)


def _plan(allocators: Mapping[str, status.Allocator], awards: Sequence[_Award]) -> None:
    for purpose, allocator in allocators.items():
        for award, slot in zip(awards, allocator.take(len(awards)), strict=True):
            award.slots[purpose] = slot


def _replan(
    allocators: Mapping[str, status.Allocator], awards: list[_Award], sign: _Signer
) -> None:
    for award in awards:
        for purpose, allocator in allocators.items():
            allocator.release([award.slots[purpose]])
    _plan(allocators, awards)
    for award in awards:
        sign(award)


@dataclass
class _Signer:
    """Builds and signs one award's credential (the slow step: RDFC canonicalization)."""

    settings: Settings
    profile: Profile
    achievements: Mapping[str, ObAchievement]
    signers: signing.IssuerSigners
    jwt_alg: str | None
    now: datetime

    def __call__(self, award: _Award) -> None:
        row = award.row
        credential_url = self.settings.url("credentials", award.credential_id)
        entries = [
            status_entry(status.list_url(self.settings.base_url, slot.list_id), slot.index, purpose)
            for purpose, slot in award.slots.items()
        ]
        unsigned = build_credential(
            credential_id=credential_url,
            issuer=self.profile,
            achievement=self.achievements[award.achievement.id],
            subject_id=award.learner.subject_id,
            now=self.now,
            identifier=[email_identity(row.recipient.email)],
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            status=entries,
            evidence=[Evidence(**e.model_dump()) for e in row.evidence],
            results=[
                Result(
                    value=r.value,
                    status=r.status,
                    result_description=f"{self.achievements[award.achievement.id].id}"
                    f"#{r.result_description}"
                    if r.result_description
                    else None,
                )
                for r in row.result
            ],
            activity_start_date=row.activity_start_date,
            activity_end_date=row.activity_end_date,
            credits_earned=row.credits_earned,
            term=row.term,
            narrative=row.narrative,
        ).to_json()
        if row.recipient.name:
            # schema:name, defined by the VC 2.0 context: what a person reading the badge sees.
            unsigned["credentialSubject"]["name"] = row.recipient.name
        signed = self.signers.sign(
            unsigned, now=self.now, jwt_algorithm=row.jwt_alg or self.jwt_alg
        )
        award.signed = signed.credential
        award.document = signed.document
        award.jwt = signed.jwt
        award.jwt_alg = signed.jwt_alg


def _store(
    work: Work,
    awards: Sequence[_Award],
    allocators: Mapping[str, status.Allocator],
    *,
    idempotency_key: str | None,
    request_hash: str,
    kind: str,
) -> list[Issued]:
    session, settings, issuer = work.session, work.settings, work.tenant
    now, actor = work.now, work.actor
    with work.write():
        if idempotency_key is not None:
            if (record := _idempotency_record(session, issuer.pk, idempotency_key)) is not None:
                raise _Replay(record)
            session.add(
                IdempotencyRecord(
                    issuer_id=issuer.pk,
                    key=idempotency_key,
                    request_hash=request_hash,
                    credential_ids=json.dumps([a.credential_id for a in awards]),
                    created_at=now,
                )
            )
        _settle_duplicates(work, awards)
        collided = _collisions(session, awards)
        if collided:
            raise _Collision(collided)
        for purpose, allocator in allocators.items():
            allocator.save(award.slots[purpose] for award in awards)
        # New status lists and the idempotency record first: the rows below refer to them.
        session.flush()
        # The answer goes to the provider: each link shows its badges only.
        wallet_urls = learners.new_wallet_urls(
            work, [a.learner.id for a in awards], issuer_id=issuer.pk
        )
        issued = []
        # Values this service just made: inserted as they are, many rows per statement.
        rows: list[SQLModel] = []
        events: list[SQLModel] = []
        for award, wallet_url in zip(awards, wallet_urls, strict=True):
            suspension = award.slots.get("suspension")
            credential = Credential.model_construct(
                id=award.credential_id,
                issuer_id=issuer.pk,
                achievement_id=award.achievement.id,
                learner_id=award.learner.id,
                document=award.document,
                jwt=award.jwt,
                jwt_alg=award.jwt_alg,
                recipient_name=award.row.recipient.name,
                issued_at=now,
                valid_from=award.row.valid_from or now,
                valid_until=award.row.valid_until,
                revocation_list_id=award.slots["revocation"].list_id,
                revocation_index=award.slots["revocation"].index,
                suspension_list_id=suspension.list_id if suspension else None,
                suspension_index=suspension.index if suspension else None,
            )
            rows.append(credential)
            issued.append(Issued(credential, wallet_url, award.row.recipient.email, award.signed))
            events.append(
                audit.event(
                    actor=actor,
                    action="credential.issue",
                    subject=settings.url("credentials", award.credential_id),
                    issuer_id=issuer.pk,
                    now=now,
                    achievement=award.achievement.id,
                )
            )
        if kind == "batch":
            events.append(
                audit.event(
                    actor=actor,
                    action="batch.issue",
                    subject=f"{len(awards)} credentials",
                    issuer_id=issuer.pk,
                    now=now,
                    idempotency_key=idempotency_key,
                )
            )
        # The learners' e-mails, in this transaction: no badge without its mail, and no
        # mail about a badge that was rolled back.
        outbox.queue(work, mail.wallet_mails(work, issued))
        insert_all(session, rows + events)
        # Deliveries to the issuer's webhook endpoints commit with the badges they announce.
        webhooks.emit_many(work, "credential.issued", [item.credential for item in issued])
        # The learners' records are signed ahead by a job (one for this write's learners).
        record_jobs.history_changed(work, "issued", [i.credential for i in issued])
        session.flush()
    return issued


# -- duplicates (planning phase and a check inside the write transaction) --------------------


def held_badges(
    work: Work,
    pairs: set[tuple[str, str]],
    *,
    lock: bool = False,
) -> dict[tuple[str, str], list[Credential]]:
    """Return the badges held for each (learner id, achievement id) of ``pairs``, newest first.

    Held means issued by the acting issuer, not revoked and not expired at ``work.now``; a
    suspended badge is held (suspension is temporary, and it would otherwise come back as a
    second copy).
    ``lock`` locks the learners' rows first (``FOR NO KEY UPDATE``, in id order), inside the
    caller's write transaction, so concurrent checks of the same learner run one at a time.
    """
    if not pairs:
        return {}
    session, issuer_id, now = work.session, work.tenant.pk, work.now
    learner_ids = sorted({learner for learner, _ in pairs})
    achievement_ids = sorted({achievement for _, achievement in pairs})
    found: dict[tuple[str, str], list[Credential]] = {}
    for start in range(0, len(learner_ids), 500):
        chunk = learner_ids[start : start + 500]
        if lock:
            session.exec(
                select(Learner.id)
                .where(col(Learner.id).in_(chunk))
                .order_by(col(Learner.id))
                .with_for_update(key_share=True)
            ).all()
        rows = session.exec(
            select(Credential)
            .where(
                Credential.issuer_id == issuer_id,
                col(Credential.learner_id).in_(chunk),
                col(Credential.achievement_id).in_(achievement_ids),
                col(Credential.revoked_at).is_(None),
                (col(Credential.valid_until).is_(None)) | (col(Credential.valid_until) > now),
            )
            .order_by(col(Credential.issued_at).desc(), col(Credential.id))
        ).all()
        for row in rows:
            key = (row.learner_id, row.achievement_id)
            if key in pairs:
                found.setdefault(key, []).append(row)
    return found


def holders(work: Work, achievement_id: str, emails: Sequence[str]) -> dict[str, Credential]:
    """Return, by normalized e-mail, the badge of an achievement each learner of the acting
    issuer already holds.

    For a preview before issuing (``duplicates: reject`` would skip these learners); no
    learner is created. ``achievement_id`` is the achievement's uuid.
    """
    by_key = {learners.email_key(work.settings, e): normalize_email(e) for e in emails}
    found: dict[str, str] = {}
    keys = sorted(by_key)
    for start in range(0, len(keys), 500):
        for learner in work.session.exec(
            select(Learner).where(col(Learner.email_hmac).in_(keys[start : start + 500]))
        ).all():
            found[learner.id] = by_key[learner.email_hmac]
    held = held_badges(work, {(i, achievement_id) for i in found})
    return {found[learner]: rows[0] for (learner, _), rows in held.items()}


def _skip_held(work: Work, awards: list[_Award]) -> tuple[list[_Award], list[Skipped]]:
    """Split off the ``reject`` awards whose learner already holds the badge (before signing)."""
    checked = {(a.learner.id, a.achievement.id) for a in awards if a.duplicates == "reject"}
    held = held_badges(work, checked)
    kept: list[_Award] = []
    skipped: list[Skipped] = []
    for award in awards:
        existing = held.get((award.learner.id, award.achievement.id))
        if award.duplicates == "reject" and existing:
            skipped.append(Skipped(award.position, existing[0], award.row.recipient.email))
        else:
            kept.append(award)
    return kept, skipped


def _drop_held(
    allocators: Mapping[str, status.Allocator],
    awards: list[_Award],
    held: Mapping[str, Credential],
    skipped: list[Skipped],
) -> list[_Award]:
    """Move awards whose learner was issued the badge meanwhile to ``skipped``."""
    kept = []
    for award in awards:
        existing = held.get(award.credential_id)
        if existing is None:
            kept.append(award)
            continue
        skipped.append(Skipped(award.position, existing, award.row.recipient.email))
        for purpose, allocator in allocators.items():
            allocator.release([award.slots[purpose]])
    return kept


def _settle_duplicates(work: Work, awards: Sequence[_Award]) -> None:
    """Inside the write transaction: refuse badges held meanwhile, revoke replaced ones.

    Raises:
        _NowHeld: a ``reject`` award's learner now holds the badge (another batch won).
    """
    checked = {(a.learner.id, a.achievement.id) for a in awards if a.duplicates != "allow"}
    if not checked:
        return
    held = held_badges(work, checked, lock=True)
    now_held = {
        a.credential_id: held[pair][0]
        for a in awards
        if a.duplicates == "reject" and (pair := (a.learner.id, a.achievement.id)) in held
    }
    if now_held:
        raise _NowHeld(now_held)
    replaced: list[tuple[Credential, str]] = []
    for award in awards:
        if award.duplicates == "replace":
            new_url = work.settings.url("credentials", award.credential_id)
            for old in held.get((award.learner.id, award.achievement.id), []):
                replaced.append((old, new_url))
    if replaced:
        planned = {slot.list_id for a in awards for slot in a.slots.values()}
        _revoke_replaced(work, replaced, planned)


def _revoke_replaced(
    work: Work, replaced: Sequence[tuple[Credential, str]], planned_lists: set[str]
) -> None:
    """Revoke each old badge with the reason "replaced by <new id>"; each list signed once.

    Every list this write touches (the old badges' and the new ones' ``planned_lists``) is
    locked first, in one order, so two replacing batches cannot deadlock on each other.
    """
    session, settings, issuer, now = work.session, work.settings, work.tenant, work.now
    bits: dict[str, list[int]] = {}
    for old, new_url in replaced:
        old.revoked_at = now
        old.revocation_reason = f"replaced by {new_url}"
        session.add(old)
        bits.setdefault(old.revocation_list_id, []).append(old.revocation_index)
        work.audit(
            "credential.revoke",
            settings.url("credentials", old.id),
            reason=old.revocation_reason,
        )
    webhooks.emit_many(work, "credential.revoked", [old for old, _ in replaced])
    session.exec(
        select(StatusList.id)
        .where(col(StatusList.id).in_(sorted(planned_lists | bits.keys())))
        .order_by(col(StatusList.id))
        .with_for_update(key_share=True)
    ).all()
    signer = signing.active_signers(work, issuer.pk).proof
    for list_id in sorted(bits):
        status.set_bits(
            work,
            list_id=list_id,
            indexes=bits[list_id],
            value=True,
            issuer=issuer,
            signer=signer,
        )


def _collisions(session: Session, awards: Sequence[_Award]) -> list[_Award]:
    collided: dict[str, _Award] = {}
    for purpose in status.PURPOSES:
        by_list: dict[str, dict[int, _Award]] = {}
        for award in awards:
            if (slot := award.slots.get(purpose)) is None:
                continue
            by_list.setdefault(slot.list_id, {})[slot.index] = award
        for list_id, planned in by_list.items():
            for index in status.used_indexes(session, purpose, list_id, planned):
                award = planned[index]
                collided[award.credential_id] = award
    return list(collided.values())
