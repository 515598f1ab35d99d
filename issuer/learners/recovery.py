"""Learner self-service: "send me my wallet link", asked with an e-mail address.

Whoever asks gets the same answer, after the same work, whether or not the address is
known: the request only checks the form and enqueues one job (:func:`ask_for_link`) holding
the address sealed; nothing in the request looks the address up. The job
(:func:`mail_wallet_link`) does: for a known learner it mints a new FULL wallet link (every
provider's badges: it goes to the learner's own address, like the e-mail sent with each
badge) and queues its e-mail; for an unknown address it does nothing. Either way the job
then empties its payload, so no address outlives it.

The form is public and works without cookies. Its token (:func:`form_token`) is a MAC of
the time the form was served, so a post must come from a form this service served
recently; the view also refuses posts another site's page makes (``Origin`` and
``Sec-Fetch-Site``). The rate limits are in :mod:`issuer.limits`.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr

from pydantic import TypeAdapter, ValidationError

from issuer.config import Settings
from issuer.db import Work
from issuer.i18n import translate
from issuer.jobs import service as jobs
from issuer.learners import service as learners
from issuer.outbox import service as outbox
from issuer.schemas import Email

KIND = "wallet.link"
FORM_TOKEN_AGE = timedelta(hours=2)
_FORM_LABEL = b"baeji/wallet-link-form/v1:"
_EMAIL = TypeAdapter(Email)


def _form_mac(settings: Settings, stamp: str) -> str:
    return hmac.new(settings.email_pepper, _FORM_LABEL + stamp.encode(), "sha256").hexdigest()[:32]


def form_token(settings: Settings, now: datetime) -> str:
    """Return the token of a form served at ``now`` (``<unix time>.<mac>``)."""
    stamp = str(int(now.timestamp()))
    return f"{stamp}.{_form_mac(settings, stamp)}"


def check_form_token(settings: Settings, token: str, now: datetime) -> bool:
    """Whether ``token`` is one of our forms, served within :data:`FORM_TOKEN_AGE`."""
    stamp, _, mac = token.partition(".")
    if not stamp.isdigit() or len(stamp) > 12:
        return False
    if not hmac.compare_digest(mac.encode(), _form_mac(settings, stamp).encode()):
        return False
    age = now.timestamp() - int(stamp)
    return -60 <= age <= FORM_TOKEN_AGE.total_seconds()


def parse_email(value: str) -> str:
    """Return the address typed in the form, checked as the issuing API checks addresses.

    Raises:
        ValueError: not an e-mail address.
    """
    try:
        return str(_EMAIL.validate_python(value))
    except ValidationError as err:
        raise ValueError("not an e-mail address") from err


def link_message(settings: Settings, email: str, wallet_url: str) -> EmailMessage:
    """Return the e-mail carrying a new full wallet link, in Korean then English."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = formataddr(("", email))
    message["Subject"] = (
        f"{translate('wallet_link.mail_subject', 'ko')} · "
        f"{translate('wallet_link.mail_subject', 'en')}"
    )
    message.set_content(
        f"{translate('wallet_link.mail_body', 'ko', url=wallet_url)}\n\n---\n\n"
        f"{translate('wallet_link.mail_body', 'en', url=wallet_url)}\n"
    )
    return message


JOB = "learners.wallet_link"


def ask_for_link(work: Work, email: str) -> None:
    """Enqueue the lookup and mail for ``email`` (sealed in the job's payload), in this
    unit of work's transaction: the same write for every address."""
    with work.write():
        jobs.enqueue(work, JOB, {"to": jobs.seal(work.settings, email)})


@jobs.handler(JOB)
def _wallet_link_job(work: Work, run: jobs.JobRun) -> None:
    mail_wallet_link(work, str(jobs.unseal(work.settings, run.payload["to"])))
    jobs.forget_payload(work, run.job_id)


def mail_wallet_link(work: Work, email: str) -> bool:
    """Queue an e-mail with a new full wallet link to ``email`` if a learner has it.

    Returns whether a mail was queued (for tests and logs: the asker is never told).
    Nothing is stored for an address no learner has. Without an SMTP server nothing is
    done (no link would ever arrive).
    """
    settings = work.settings
    if not settings.smtp_url:
        return False
    learner = learners.find_learner(work, email)
    if learner is None:
        return False
    with work.write():
        url = learners.new_wallet_url(work, learner.id, issuer_id=None)
        mail = outbox.Mail(
            link_message(settings, email, url), key=f"{KIND}:{uuid.uuid4()}", kind=KIND
        )
        outbox.queue(work, [mail])
        work.audit("wallet.link", learner.subject_id, full=True, self_service=True)
    return True
