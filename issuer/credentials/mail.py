"""E-mail to learners: their private wallet link, written to the outbox with each badge.

Only when ``BAEJI_SMTP_URL`` is set. The mail is queued in the transaction that stores the
badges (:func:`wallet_mails`, called by the issuing workflow), so a badge committed always
has its mail and a batch rolled back has none; it is sent after the request
(:mod:`issuer.outbox`), and an SMTP failure never undoes or fails an issuance (the API
answer carries a link too).

The e-mail carries a full wallet link (every provider's badges), minted for it alone: it
goes to the learner's own address. The link in the API answer goes to the provider, and
shows only that provider's badges (see :mod:`issuer.learners.service`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr
from typing import TYPE_CHECKING

from issuer.config import Settings
from issuer.db import Work
from issuer.learners import service as learners
from issuer.models import Credential
from issuer.outbox.service import Mail

if TYPE_CHECKING:
    from issuer.credentials.service import Issued

# Outbox kinds (``OutboxMail.kind``).
NEW_BADGE = "credential.issued"
RESENT = "credential.resend"


def wallet_message(
    settings: Settings, credential: Credential, email: str | None, wallet_url: str
) -> EmailMessage | None:
    """Return the e-mail telling a learner about a badge, or ``None`` without an address.

    Args:
        email: the learner's address as the request gave it (never stored).
        wallet_url: the learner's full wallet link (not the provider's, which is scoped
            to its badges).
    """
    if not email:
        return None
    document = json.loads(credential.document)
    course = str(document["credentialSubject"]["achievement"]["name"])
    issuer = document.get("issuer", {})
    issuer_name = str(issuer.get("name") or issuer.get("id")) if isinstance(issuer, dict) else ""
    name = credential.recipient_name
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = formataddr((name or "", email))
    message["Subject"] = f"[Baeji 배지] '{course}' 배지가 발급되었습니다 · Your badge is ready"
    greeting_ko = f"{name}님, 안녕하세요." if name else "안녕하세요."
    greeting_en = f"Hello {name}," if name else "Hello,"
    message.set_content(
        f"{greeting_ko}\n\n"
        f"{issuer_name}에서 '{course}' 과정의 디지털 배지를 발급했습니다.\n"
        "아래 링크에서 지금까지 받은 모든 배지를 보고, 내려받고, 공유할 수 있습니다.\n"
        "이 링크는 본인만 사용하세요. 공유하기 전에는 아무것도 공개되지 않습니다.\n\n"
        f"{wallet_url}\n\n"
        "---\n\n"
        f"{greeting_en}\n\n"
        f"{issuer_name} has issued you a digital badge for '{course}'.\n"
        "Open your wallet to see, download and share all your badges.\n"
        "Keep this link to yourself: nothing is public until you share it.\n\n"
        f"{wallet_url}\n"
    )
    return message


def wallet_mails(work: Work, issued: Sequence[Issued]) -> list[Mail]:
    """Mint a full wallet link for each learner of ``issued`` with an address, in the
    caller's transaction, and return their e-mails for the outbox (one per badge).

    Returns nothing (and mints nothing) without an SMTP server configured.
    """
    settings = work.settings
    if not settings.smtp_url:
        return []
    recipients = [i for i in issued if i.email]
    if not recipients:
        return []
    # Full links: each goes only to the learner's own address, never to the provider.
    links = learners.new_wallet_urls(
        work, [i.credential.learner_id for i in recipients], issuer_id=None
    )
    mails = []
    for item, link in zip(recipients, links, strict=True):
        message = wallet_message(settings, item.credential, item.email, link)
        if message is not None:
            mails.append(
                Mail(
                    message,
                    key=f"{NEW_BADGE}:{item.credential.id}",
                    kind=NEW_BADGE,
                    issuer_id=item.credential.issuer_id,
                )
            )
    return mails


def resend_mail(work: Work, credential: Credential, email: str) -> Mail | None:
    """Mint a new full wallet link for the learner of ``credential`` (in the caller's
    transaction) and return the e-mail for the outbox; ``None`` without SMTP."""
    settings = work.settings
    if not settings.smtp_url:
        return None
    link = learners.new_wallet_url(work, credential.learner_id, issuer_id=None)
    message = wallet_message(settings, credential, email, link)
    if message is None:
        return None
    return Mail(
        message,
        # One mail per link minted: a resend is a new mail, never a replay of the last one.
        key=f"{RESENT}:{uuid.uuid4()}",
        kind=RESENT,
        issuer_id=credential.issuer_id,
    )
