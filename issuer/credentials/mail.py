"""E-mail to learners: their private wallet link, sent when a badge is issued.

Only when ``BAEJI_SMTP_URL`` is set (``smtp://user:password@host:port``, STARTTLS when
the server offers it; ``smtps://`` for TLS from the start). Mail goes out after the
credentials are committed, over one connection per request; a mail failure is logged and
never undoes or fails an issuance (the API answer carries a link too). A password is
never sent over a connection that is neither encrypted nor to the local machine.

The e-mail carries a full wallet link (every provider's badges), minted for it alone: it
goes to the learner's own address. The link in the API answer goes to the provider, and
shows only that provider's badges (see :mod:`issuer.learners.service`).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import smtplib
import ssl
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import unquote, urlsplit

from sqlmodel import Session

from issuer.config import Settings
from issuer.credentials.service import Issued
from issuer.db import write_transaction
from issuer.learners import service as learners

log = logging.getLogger(__name__)

SMTP_TIMEOUT_S = 10.0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def wallet_message(settings: Settings, issued: Issued, wallet_url: str) -> EmailMessage | None:
    """Return the e-mail telling a learner about a new badge, or ``None`` without an address.

    Args:
        wallet_url: the learner's full wallet link (not ``issued.wallet_url``, which is
            the provider's, scoped to its badges).
    """
    if not issued.email:
        return None
    document = json.loads(issued.credential.document)
    course = str(document["credentialSubject"]["achievement"]["name"])
    issuer = document.get("issuer", {})
    issuer_name = str(issuer.get("name") or issuer.get("id")) if isinstance(issuer, dict) else ""
    name = issued.credential.recipient_name
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = formataddr((name or "", issued.email))
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


def send_wallet_links(
    session: Session, settings: Settings, issued: Sequence[Issued], *, now: datetime
) -> int:
    """E-mail each learner of ``issued`` a new full wallet link; return how many were sent.

    Does nothing without ``smtp_url``. Mail errors are logged, never raised.
    """
    if not settings.smtp_url:
        return 0
    recipients = [i for i in issued if i.email]
    if not recipients:
        return 0
    with write_transaction(session):
        # Full links: each goes only to the learner's own address, never to the provider.
        links = [
            learners.new_wallet_url(session, settings, i.credential.learner_id, now, issuer_id=None)
            for i in recipients
        ]
    messages = [
        m
        for m in (
            wallet_message(settings, i, link) for i, link in zip(recipients, links, strict=True)
        )
        if m is not None
    ]
    return send_messages(settings, messages)


def send_messages(settings: Settings, messages: Sequence[EmailMessage]) -> int:
    """Send ``messages`` over one SMTP connection; return how many went out.

    Does nothing without ``smtp_url``. Mail errors are logged, never raised.
    """
    if not settings.smtp_url or not messages:
        return 0
    parts = urlsplit(settings.smtp_url)
    host = parts.hostname or "localhost"
    secure = parts.scheme == "smtps"
    port = parts.port or (465 if secure else 25)
    sent = 0
    try:
        context = ssl.create_default_context()
        smtp = (
            smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_S, context=context)
            if secure
            else smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_S)
        )
        with smtp:
            smtp.ehlo()
            encrypted = secure
            if not secure and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                encrypted = True
            if parts.username:
                if not (encrypted or _is_loopback(host)):
                    log.error("not sending mail: %s offers no TLS for the SMTP password", host)
                    return 0
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            for message in messages:
                smtp.send_message(message)
                sent += 1
    except (OSError, smtplib.SMTPException) as err:
        log.warning("sent %d of %d e-mails: %s", sent, len(messages), err)
        return sent
    log.info("sent %d e-mail(s) through %s", sent, host)
    return sent
