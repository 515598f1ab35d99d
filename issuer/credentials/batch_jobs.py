"""A large batch (API or console cohort) issued as a background job, chunk by chunk.

Above ``BAEJI_JOB_BATCH_THRESHOLD`` rows, a batch is checked row by row at once (bad rows
are refused before anything is queued, as for a small batch) and then issued by the job
``credentials.batch``: :data:`settings.job_chunk_size` rows at a time, each chunk a
:func:`issuer.credentials.service.issue_batch` call committed on its own with the
idempotency key ``job:<id>:<chunk>``. The job records after each chunk how many chunks are
done and what they issued, so a run that dies (a killed worker) is continued by the next
attempt from the first chunk not recorded; a chunk that was committed but not recorded is
answered by its idempotency key with the credentials it issued, never issued twice. The
duplicates policy holds across chunks: the whole batch is validated at once (the same
learner twice is a row error), and ``reject`` skips learners who hold the badge.

The rows (learners' e-mail addresses and names) are sealed in the job's payload
(:func:`issuer.jobs.service.seal`); the result keeps row numbers and credential ids only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import col, select

from badges import normalize_email
from issuer.achievements import service as catalog
from issuer.credentials import service as services
from issuer.db import Work
from issuer.errors import IdempotencyKeyReused
from issuer.jobs import service as jobs
from issuer.learners import service as learners
from issuer.models import Learner
from issuer.schemas import BatchRow

JOB = "credentials.batch"


def runs_as_job(work: Work, row_count: int) -> bool:
    """Whether a batch of ``row_count`` rows is issued by a job (above the threshold)."""
    return row_count > work.settings.job_batch_threshold


def _row_json(row: BatchRow | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(row, BatchRow):
        dumped: dict[str, Any] = row.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped
    return dict(row)


def enqueue_batch(
    work: Work,
    rows: Sequence[BatchRow | Mapping[str, Any]],
    *,
    achievement_id: str | None = None,
    jwt_alg: str | None = None,
    lines: Sequence[int] | None = None,
    duplicates: services.Duplicates = "reject",
    allow_anonymous: bool = False,
    ignored_columns: Sequence[str] = (),
    key: str | None = None,
    max_rows: int,
) -> int:
    """Validate every row now, then enqueue the batch as a job and commit; return its id.

    ``key`` (an Idempotency-Key, the console's upload key) makes it idempotent: the same
    key with the same rows and options returns the job already there.

    Raises:
        PayloadTooLarge: more than ``max_rows`` rows.
        InvalidRows: some rows are invalid (nothing is enqueued).
        IdempotencyKeyReused: ``key`` was used for another batch.
    """
    services.validate_batch(
        work,
        rows,
        achievement_id=achievement_id,
        lines=lines,
        allow_anonymous=allow_anonymous,
        max_rows=max_rows,
    )
    plain = [_row_json(row) for row in rows]
    options = {
        "achievementId": achievement_id,
        "jwtAlg": jwt_alg,
        "lines": list(lines) if lines is not None else None,
        "duplicates": duplicates,
        "allowAnonymous": allow_anonymous,
    }
    digest = hashlib.sha256(
        json.dumps([plain, options], sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    job_key = f"batch:{work.tenant.pk}:{key}" if key is not None else None
    payload = {
        **options,
        "rows": jobs.seal(work.settings, plain),
        "ignoredColumns": list(ignored_columns),
        "digest": digest,
    }
    # Committed here (SQLite: under the write lock from the first read, as every
    # read-modify-write unit): the job starts once this returns.
    with work.write():
        if job_key is not None and (found := jobs.find_by_key(work.session, job_key)) is not None:
            if jobs.payload_of(found).get("digest") != digest:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was already used with a different request body"
                )
            return found.pk
        return jobs.enqueue(work, JOB, payload, key=job_key, total=len(plain))


def batch_rows(work: Work, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of a batch job's payload (unsealed), e.g. for the console's result page."""
    rows: list[dict[str, Any]] = jobs.unseal(work.settings, payload["rows"])
    return rows


@jobs.handler(JOB)
def issue_in_chunks(work: Work, run: jobs.JobRun) -> dict[str, Any]:
    """Issue the job's batch chunk by chunk, continuing after the last chunk recorded."""
    payload = run.payload
    rows = batch_rows(work, payload)
    lines: list[int] | None = payload.get("lines")
    size = max(work.settings.job_chunk_size, 1)
    result: dict[str, Any] = run.result or {
        "count": 0,
        "credentials": [],
        "skippedCount": 0,
        "skipped": [],
        "ignoredColumns": payload.get("ignoredColumns", []),
        "chunksDone": 0,
    }
    for index, start in enumerate(range(0, len(rows), size)):
        if index < result["chunksDone"]:
            continue
        chunk = rows[start : start + size]
        chunk_lines = lines[start : start + size] if lines is not None else None
        outcome = services.issue_batch(
            work,
            chunk,
            achievement_id=payload.get("achievementId"),
            jwt_alg=payload.get("jwtAlg"),
            lines=chunk_lines,
            idempotency_key=f"job:{run.job_id}:{index}",
            max_rows=len(chunk),
            duplicates=payload.get("duplicates") or "reject",
            allow_anonymous=bool(payload.get("allowAnonymous")),
        )
        _record(work, result, outcome, chunk, start, lines, payload.get("achievementId"))
        # Each chunk's e-mails were queued with its badges (issue_batch), sent by their jobs.
        result["chunksDone"] = index + 1
        run.progress(min(start + size, len(rows)), len(rows), result=result)
    return result


def _record(
    work: Work,
    result: dict[str, Any],
    outcome: services.BatchOutcome,
    chunk: list[dict[str, Any]],
    start: int,
    lines: list[int] | None,
    default_achievement: str | None,
) -> None:
    """Add one chunk's issued and skipped rows (numbered in the whole batch) to ``result``."""
    numbers = outcome.rows or _replayed_rows(work, outcome, chunk)
    for number, issued in zip(numbers, outcome.issued, strict=True):
        row = start + number
        result["credentials"].append(
            {
                "row": row,
                "line": lines[row - 1] if lines is not None else None,
                "id": work.settings.url("credentials", issued.credential.id),
                "uuid": issued.credential.id,
            }
        )
    skipped = list(outcome.skipped)
    if outcome.replayed:
        # The first run skipped the other rows: their learners held the badge already.
        taken = set(numbers)
        rest = [(i, r) for i, r in enumerate(chunk, 1) if i not in taken]
        skipped = _still_held(work, rest, default_achievement)
    for skip in skipped:
        row = start + skip.row
        result["skipped"].append(
            {
                "row": row,
                "line": lines[row - 1] if lines is not None else None,
                "code": skip.code,
                "existing": services.existing_ref(work.settings, skip.existing),
            }
        )
    result["count"] = len(result["credentials"])
    result["skippedCount"] = len(result["skipped"])


def _replayed_rows(
    work: Work, outcome: services.BatchOutcome, chunk: list[dict[str, Any]]
) -> list[int]:
    """The chunk rows of a replayed chunk's credentials, matched by learner."""
    keys = [learners.email_key(work.settings, r["recipient"]["email"]) for r in chunk]
    by_hmac = {
        learner.email_hmac: learner.id
        for learner in work.session.exec(
            select(Learner).where(col(Learner.email_hmac).in_(keys))
        ).all()
    }
    position = {by_hmac.get(key): number for number, key in enumerate(keys, 1)}
    return [position[issued.credential.learner_id] for issued in outcome.issued]


def _still_held(
    work: Work, rows: list[tuple[int, dict[str, Any]]], default: str | None
) -> list[services.Skipped]:
    """Rows not issued by a replayed chunk, with the badge each learner holds."""
    by_achievement: dict[str, list[tuple[int, str]]] = {}
    for number, row in rows:
        ref = str(row.get("achievementId") or default)
        achievement = catalog.get_achievement(work, ref)
        by_achievement.setdefault(achievement.id, []).append((number, row["recipient"]["email"]))
    skipped = []
    for achievement_id, numbered in by_achievement.items():
        held = services.holders(work, achievement_id, [email for _, email in numbered])
        for number, email in numbered:
            if (badge := held.get(normalize_email(email))) is not None:
                skipped.append(services.Skipped(row=number, existing=badge, email=""))
    return sorted(skipped, key=lambda s: s.row)
