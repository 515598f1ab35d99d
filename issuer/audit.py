"""The append-only audit log: who did what, when, to which credential or key."""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from issuer.models import AuditEvent


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    now: datetime,
    issuer_id: int | None = None,
    **detail: Any,
) -> None:
    """Add one audit event to ``session``'s transaction (it commits with the change it logs).

    Args:
        actor: ``apikey:<prefix>`` for the API, ``cli:<user>`` for operator commands.
        action: a dotted verb such as ``credential.issue`` or ``key.rotate``.
        subject: the credential URL, key id or slug the action touched.
        detail: JSON-serializable facts (a reason, a key type); never secrets.
    """
    values = _values(actor, action, subject, now, issuer_id, detail)
    session.add(AuditEvent(**values))


def event(
    *,
    actor: str,
    action: str,
    subject: str,
    now: datetime,
    issuer_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """The audit event :func:`record` adds, for callers that insert many at once
    (:func:`issuer.db.insert_all` in the same transaction as the change they log)."""
    return AuditEvent.model_construct(**_values(actor, action, subject, now, issuer_id, detail))


def _values(
    actor: str,
    action: str,
    subject: str,
    now: datetime,
    issuer_id: int | None,
    detail: dict[str, Any],
) -> dict[str, Any]:
    return {
        "occurred_at": now,
        "actor": actor[:120],
        "action": action,
        "issuer_id": issuer_id,
        "subject": subject[:400],
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
    }


def cli_actor() -> str:
    """Return the actor name of an operator command: ``cli:<login name>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}"
