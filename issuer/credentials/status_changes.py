"""Revoking, suspending and unsuspending a credential; its status list is re-signed at once."""

from __future__ import annotations

import logging
from typing import Literal

from sqlmodel import select

from issuer.db import Work
from issuer.errors import InvalidStatusChange, NotFound, SuspensionNotEnabled, ValidationFailed
from issuer.issuers import signing
from issuer.learners import record_jobs
from issuer.models import Credential, parse_id
from issuer.status import service as status
from issuer.webhooks import service as webhooks

log = logging.getLogger(__name__)

StatusAction = Literal["revoke", "suspend", "unsuspend"]
_EVENTS = {
    "revoke": "credential.revoked",
    "suspend": "credential.suspended",
    "unsuspend": "credential.unsuspended",
}


def change_status(
    work: Work,
    ref: str,
    action: StatusAction,
    *,
    reason: str | None,
    public_reason: bool = False,
) -> Credential:
    """Revoke, suspend or unsuspend a credential of the acting issuer; the list is re-signed.

    ``public_reason``: the provider lets the badge's public pages show the reason (by
    default only the date is shown).

    Revocation is final. Suspension is reversible; a revoked credential cannot be suspended
    or unsuspended.

    Raises:
        NotFound: no such credential of this issuer.
        ValidationFailed: no reason for a revocation or suspension.
        InvalidStatusChange: the credential is not in a state that allows ``action``.
        SuspensionNotEnabled: suspend/unsuspend on a badge issued without a suspension entry.
    """
    session, settings, issuer = work.session, work.settings, work.tenant
    if action != "unsuspend" and not reason:
        raise ValidationFailed(
            f"reason: a reason is required to {action}",
            errors=[{"field": "reason", "message": "required"}],
        )
    now = work.now.replace(microsecond=0)
    with work.write():
        credential_id = parse_id(ref, settings.url("credentials") + "/")
        row = (
            session.exec(
                select(Credential)
                .where(Credential.id == credential_id, Credential.issuer_id == issuer.pk)
                .with_for_update(key_share=True)
            ).first()
            if credential_id
            else None
        )
        if row is None:
            raise NotFound(f"no credential {ref!r}")
        if row.revoked_at is not None:
            raise InvalidStatusChange("the credential is revoked; revocation is final")
        suspension_slot = (
            (row.suspension_list_id, row.suspension_index)
            if row.suspension_list_id is not None and row.suspension_index is not None
            else None
        )
        if action != "revoke" and suspension_slot is None:
            raise SuspensionNotEnabled(
                "this badge was issued without a suspension entry (suspension is off for "
                "this issuer), so it can only be revoked"
            )
        if action == "suspend" and row.suspended_at is not None:
            raise InvalidStatusChange("the credential is already suspended")
        if action == "unsuspend" and row.suspended_at is None:
            raise InvalidStatusChange("the credential is not suspended")
        signer = signing.active_signers(work, issuer.pk).proof
        if action == "revoke":
            list_id, index, value = row.revocation_list_id, row.revocation_index, True
            row.revoked_at, row.revocation_reason = now, reason
            row.reason_public = public_reason
        else:
            assert suspension_slot is not None  # noqa: S101 - refused above when missing
            (list_id, index), value = suspension_slot, action == "suspend"
            row.suspended_at = now if value else None
            row.suspension_reason = reason if value else None
            row.reason_public = public_reason if value else False
        status.set_bit(
            work.at(now), list_id=list_id, index=index, value=value, issuer=issuer, signer=signer
        )
        session.add(row)
        work.at(now).audit(
            f"credential.{action}", settings.url("credentials", row.id), reason=reason
        )
        webhooks.emit(work, _EVENTS[action], row)
        record_jobs.history_changed(work, action, [row])
    log.info("credential %s: %s", row.id, action)
    return row
