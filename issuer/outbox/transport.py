"""SMTP: one connection, opened when the first message is sent, for many messages.

``BAEJI_SMTP_URL`` is ``smtp://user:password@host:port`` (STARTTLS when the server offers it)
or ``smtps://`` (TLS from the start). A password is never sent over a connection that is
neither encrypted nor to the local machine.

Failures are told apart for the outbox: :class:`ServerUnavailable` (the server could not be
reached or refused the session: try every message again later) and :class:`MessageRefused`
(this message was refused; ``permanent`` for a 5xx answer). Their text never carries what
the server said, which may quote the recipient's address.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType
from urllib.parse import unquote, urlsplit

SMTP_TIMEOUT_S = 10.0


class DeliveryError(Exception):
    """A message did not go out (the text names the kind of failure, never an address)."""

    permanent = False


class ServerUnavailable(DeliveryError):
    """The SMTP server could not be reached, or refused the session (try again later)."""


class MessageRefused(DeliveryError):
    """The server refused this message; ``permanent`` for a 5xx answer."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _code_of(err: smtplib.SMTPException) -> int | None:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in err.recipients.values()]
        return max(codes) if codes else None
    code = getattr(err, "smtp_code", None)
    return int(code) if isinstance(code, int) else None


class Mailer:
    """Send messages over one SMTP connection (a context manager; closes it at the end)."""

    def __init__(self, smtp_url: str) -> None:
        self._parts = urlsplit(smtp_url)
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def host(self) -> str:
        """The SMTP server's host name."""
        return self._parts.hostname or "localhost"

    def _connect(self) -> smtplib.SMTP:
        parts = self._parts
        secure = parts.scheme == "smtps"
        port = parts.port or (465 if secure else 25)
        context = ssl.create_default_context()
        smtp = (
            smtplib.SMTP_SSL(self.host, port, timeout=SMTP_TIMEOUT_S, context=context)
            if secure
            else smtplib.SMTP(self.host, port, timeout=SMTP_TIMEOUT_S)
        )
        try:
            smtp.ehlo()
            encrypted = secure
            if not secure and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                encrypted = True
            if parts.username:
                if not (encrypted or _is_loopback(self.host)):
                    raise ServerUnavailable(
                        f"{self.host} offers no TLS for the SMTP password; nothing sent"
                    )
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Send one message, connecting first if needed.

        Raises:
            ServerUnavailable: no connection or session (the connection is dropped).
            MessageRefused: the server refused this message (the connection stays usable).
        """
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except (OSError, smtplib.SMTPException) as err:
                code = _code_of(err) if isinstance(err, smtplib.SMTPException) else None
                raise ServerUnavailable(
                    f"cannot open an SMTP session with {self.host}: {type(err).__name__}"
                    + (f" {code}" if code else "")
                ) from None
        try:
            self._smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as err:
            code = _code_of(err) or 0
            raise MessageRefused(
                f"refused: {type(err).__name__} {code}", permanent=500 <= code < 600
            ) from None
        except smtplib.SMTPResponseException as err:
            self.close()
            raise MessageRefused(
                f"refused: {type(err).__name__} {err.smtp_code}",
                permanent=500 <= err.smtp_code < 600,
            ) from None
        except (OSError, smtplib.SMTPException) as err:
            self.close()
            raise ServerUnavailable(
                f"SMTP session with {self.host} lost: {type(err).__name__}"
            ) from None

    def close(self) -> None:
        """Say goodbye to the server (if connected); errors on the way out are ignored."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
