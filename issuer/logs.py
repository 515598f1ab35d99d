"""Keeping wallet tokens and share ids out of logs.

A wallet link (``/wallet/<token>``) is the learner's only credential, and a share link
(``/shares/<id>``) publishes their history to whoever holds it; the database keeps only a
digest of the token, so an access log with the full path would be the one place an
attacker could read them. Every log line that names such a path has the secret segment
replaced by ``[redacted]``, before any handler formats it:

- :class:`RedactingFilter`, installed by :func:`issuer.create_app` on the loggers of
  Werkzeug's development server (``werkzeug``), of gunicorn (``gunicorn.access``,
  ``gunicorn.error``) and of the service itself (``issuer``);
- :class:`RedactingLogger`, a gunicorn ``logger_class`` (``logger_class =
  "issuer.logs.RedactingLogger"`` in ``gunicorn.conf.py``) that redacts the access log's
  atoms (request line, path, referer, headers) at their source, in the master and every
  worker, even those that never created an app.

Hand-written because it is small and security-critical: one regular expression over the
text that is about to be written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

__all__ = ["REDACTED", "RedactingFilter", "RedactingLogger", "install", "redact"]

REDACTED = "[redacted]"
# The segment after /wallet/ or /shares/ (also inside a full URL or a Referer), up to the
# next slash, query, fragment, quote or space.
_SECRET_SEGMENT = re.compile(r"(/(?:wallet|shares)/)[^/\s?#\"'<>]+")
# Loggers whose records may name a request path.
LOGGER_NAMES = ("werkzeug", "gunicorn.access", "gunicorn.error", "issuer")


def redact(text: str) -> str:
    """Return ``text`` with every wallet token and share id replaced by ``[redacted]``."""
    return _SECRET_SEGMENT.sub(rf"\g<1>{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with its secrets redacted (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


def install(names: Iterable[str] = LOGGER_NAMES) -> None:
    """Add one :class:`RedactingFilter` to each named logger (again is harmless)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


class RedactingLogger(GunicornLogger):  # type: ignore[misc]
    """gunicorn's logger with wallet tokens and share ids redacted from every line."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        install(("gunicorn.access", "gunicorn.error"))

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        found: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in found.items()
        }
