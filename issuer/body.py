"""Request bodies are read whole, and counted against ``MAX_CONTENT_LENGTH``, before any view runs.

A body with a ``Content-Length`` over the limit is refused from its header. A body without
one (``Transfer-Encoding: chunked``) is what Werkzeug cannot check from the header: left to
itself it reads up to the limit and silently drops the rest, so a batch would be issued from
a cut-off file. Here such a body is read with a counter into memory first; past the limit
the request is refused whole with 413 ``payload-too-large``, otherwise the view sees an
ordinary body of known length. A request is processed only when it was read completely.
"""

from __future__ import annotations

import io

from flask import Flask, current_app, request
from werkzeug.wsgi import get_content_length

from issuer.errors import PayloadTooLarge

_READ_SIZE = 64 * 1024


def _limit() -> int | None:
    value = current_app.config.get("MAX_CONTENT_LENGTH")
    return int(value) if value is not None else None


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is larger than {limit} bytes; nothing was processed",
        limit=limit,
    )


def _drain(stream: io.RawIOBase | io.BufferedIOBase, budget: int) -> None:
    """Read and discard up to ``budget`` more bytes, so a client that is still sending a
    body a little over the limit receives the 413 rather than a reset connection."""
    while budget > 0:
        chunk = stream.read(min(_READ_SIZE, budget))
        if not chunk:
            return
        budget -= len(chunk)


def read_body_whole() -> None:
    """Refuse an over-limit body, and buffer a body of unknown length (chunked) in full.

    Runs before every view (``before_request``). Afterwards the request has a
    ``Content-Length`` equal to what was received, so ``get_data``, ``files`` and ``form``
    read exactly the whole body.

    Raises:
        PayloadTooLarge: the body is (or announces itself) larger than ``MAX_CONTENT_LENGTH``.
    """
    limit = _limit()
    if limit is None:
        return
    environ = request.environ
    # From the environ, not request.content_length: that property is cached, and the
    # environ is rewritten below.
    length = get_content_length(environ)
    if length is not None:
        if length > limit:
            raise _too_large(limit)
        return
    # No length: only a server that frames the body itself (chunked) marks the input as
    # terminated; otherwise Werkzeug reads nothing, which is safe. A request with neither a
    # length nor a chunked transfer coding has no body (RFC 9112, 6.3): nothing to read.
    if not environ.get("wsgi.input_terminated") or (
        "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    ):
        return
    stream = environ["wsgi.input"]
    buffer = bytearray()
    while len(buffer) <= limit:
        chunk = stream.read(min(_READ_SIZE, limit + 1 - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    if len(buffer) > limit:
        _drain(stream, limit)
        raise _too_large(limit)
    environ["wsgi.input"] = io.BytesIO(bytes(buffer))
    environ["CONTENT_LENGTH"] = str(len(buffer))
    # The body is no longer chunked as the application sees it; Werkzeug now bounds every
    # read by the Content-Length above.
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.pop("wsgi.input_terminated", None)


def init_app(app: Flask) -> None:
    """Read every request body whole before the view runs (see the module docstring)."""
    app.before_request(read_body_whole)
