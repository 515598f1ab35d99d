"""Sending webhook deliveries: the signature, the SSRF guard, attempts, retries with backoff.

**Signature.** Every delivery is a ``POST`` of a JSON body with these headers::

    Content-Type: application/json
    Baeji-Event: credential.revoked                 (the event type)
    Baeji-Delivery: 0b6f…                           (this delivery; a replay gets a new one)
    Baeji-Signature: t=1764489600,v1=5d41402abc4b…  (see below)

``v1`` is the hex HMAC-SHA256, keyed with the endpoint's secret (the whole ``whsec_…``
text, UTF-8), of ``f"{t}.{body}"``: the Unix time of the attempt, a full stop, and the raw
body bytes exactly as received. A receiver recomputes it over the raw body (before any JSON
parsing), compares in constant time, and refuses a ``t`` more than five minutes from its
own clock (a replayed capture). The body's ``id`` is the event's id, the same on every
retry and replay: de-duplicate on it. :func:`verify_signature` is the reference check.

**Where it may go.** An endpoint's URL is checked when it is registered and again before
every attempt by the verifier's own guard (:meth:`verify.HttpFetcher.pin`): ``https``
only, no user name in the URL, and every address the host resolves to must be public (no
private, loopback, link-local, multicast or reserved ranges). The request then connects to
the address that was checked (the TLS certificate is still verified against the host
name), so a second DNS answer cannot turn it to an internal service. Redirects are never
followed (a 3xx is a failed attempt). ``WEBHOOK_ALLOW_LOCAL`` (development and tests only)
also lets loopback addresses and plain ``http`` to them through.

**Attempts.** :func:`deliver_one` claims a due delivery (a short lease, so two workers never
send it at once and a killed worker's claim runs out), sends it with short timeouts, and
records the answer: a 2xx delivers it; anything else (another status, a timeout, a refused
address) schedules the next attempt after :func:`retry_delay` (30 s, doubling, at most
6 h) until :data:`MAX_ATTEMPTS`, then the delivery is ``failed`` (a replay sends it again).
:func:`deliver_due` sends everything due. Secrets and signatures never reach a log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlmodel import Session, col, select

from issuer.config import Settings
from issuer.db import Work
from issuer.errors import WebhookUrlRefused
from issuer.webhooks.models import WebhookDelivery, WebhookEndpoint
from keys import KeyManagementError
from verify import ConnectionFailed, HttpFetcher, PinnedUrl, UnsafeUrl

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "MAX_ATTEMPTS",
    "SIGNATURE_HEADER",
    "SIGNATURE_TOLERANCE",
    "check_url",
    "deliver_due",
    "deliver_one",
    "endpoint_secret",
    "new_secret",
    "retry_delay",
    "seal_secret",
    "sign",
    "verify_signature",
]

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Baeji-Signature"
EVENT_HEADER = "Baeji-Event"
DELIVERY_HEADER = "Baeji-Delivery"
USER_AGENT = "Baeji-Webhooks/1"
# Attempts of one delivery before it is failed; with the delays below about 1 h 4 min.
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
# How long a claimed delivery is left to its sender before another may try it.
CLAIM_LEASE = timedelta(seconds=60)
# How far a receiver should accept the signature's time from its own clock.
SIGNATURE_TOLERANCE = 300
# Seconds to connect, and to wait for each read or write; the whole exchange within DEADLINE
# (kept well below CLAIM_LEASE, so a slow receiver never gets a delivery twice).
TIMEOUT = httpx.Timeout(5.0, connect=3.0)
DEADLINE = 10.0
# Of a receiver's answer, this much is read and kept (characters) for the delivery log.
READ_BYTES = 2048
EXCERPT_CHARS = 500


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the ``Baeji-Signature`` value of ``body`` sent at ``timestamp`` (Unix time)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str, header: str, body: bytes, *, now: int, tolerance: int = SIGNATURE_TOLERANCE
) -> bool:
    """Whether ``header`` (a ``Baeji-Signature`` value) signs ``body`` with ``secret``.

    The reference check for receivers: ``t`` within ``tolerance`` seconds of ``now``, and
    one ``v1`` equal (in constant time) to the HMAC of ``f"{t}.{body}"``.
    """
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    stamps = parts.get("t", [])
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).rsplit("v1=", 1)[1]
    return any(
        hmac.compare_digest(expected.encode(), given.encode()) for given in parts.get("v1", [])
    )


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts: 30 s, doubling, at most 6 h."""
    delay: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(delay, LONGEST_RETRY)


def guard(settings: Settings) -> HttpFetcher:
    """The verifier's SSRF guard, with loopback only under ``WEBHOOK_ALLOW_LOCAL``."""
    return HttpFetcher(allow_local=settings.webhook_allow_local)


def check_url(settings: Settings, url: str) -> str:
    """Return ``url`` if webhooks may be sent to it (see the module docstring).

    Raises:
        WebhookUrlRefused: not https (or http to loopback in development), a user name in
            the URL, a fragment, a host that does not resolve or resolves to a non-public
            address.
    """
    text = url.strip()
    problem = None
    if not text or len(text) > 2048:
        problem = "a URL of at most 2048 characters"
    elif "#" in text:
        problem = "a URL without a #fragment"
    else:
        try:
            guard(settings).check_url(text)
        except (UnsafeUrl, ConnectionFailed) as err:
            problem = str(err)
    if problem:
        raise WebhookUrlRefused(f"url: {problem}", errors=[{"field": "url", "message": "refused"}])
    return text


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the status (``None``: no answer) and an excerpt or the error."""

    status: int | None
    text: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        """Whether the receiver accepted the delivery (a 2xx answer)."""
        return self.status is not None and 200 <= self.status < 300


def _ascii_host(host: str) -> str:
    """The host name as it goes on the wire (IDNA for a Korean domain, say)."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _send(pinned: PinnedUrl, url: str, headers: dict[str, str], body: bytes) -> Answer:
    """POST ``body`` to the checked address of ``url``; never follows a redirect."""
    started = time.monotonic()
    address = f"[{pinned.address}]" if ":" in pinned.address else pinned.address
    target = f"{pinned.scheme}://{address}:{pinned.port}{pinned.path}"
    host = _ascii_host(pinned.host)
    extensions = {"sni_hostname": host} if pinned.scheme == "https" else {}
    port = urlsplit(url).port
    named = f"[{host}]" if ":" in host else host
    request_headers = {
        **headers,
        "Host": named if port is None else f"{named}:{port}",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        # The excerpt kept is the body as sent: no compressed bytes.
        "Accept-Encoding": "identity",
    }

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    async def post() -> Answer:
        # trust_env=False: no proxy from the environment, which would bypass the pinning.
        async with (
            httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST", target, content=body, headers=request_headers, extensions=extensions
            ) as response,
        ):
            kept = b""
            async for chunk in response.aiter_raw():
                kept += chunk
                if len(kept) >= READ_BYTES:
                    break
            text = kept[:READ_BYTES].decode("utf-8", "replace")
            return Answer(response.status_code, text[:EXCERPT_CHARS], elapsed())

    async def bounded() -> Answer:
        # The whole exchange, headers included, within DEADLINE: httpx's timeouts bound
        # each read, so a receiver dripping one byte at a time would hold the sender (and
        # outlive the claim's lease) without this.
        async with asyncio.timeout(DEADLINE):
            return await post()

    try:
        return _run(bounded())
    except (httpx.TimeoutException, TimeoutError):
        return Answer(None, "timed out", elapsed())
    except httpx.HTTPError as err:
        return Answer(None, f"connection failed: {type(err).__name__}", elapsed())


def _run(exchange: Coroutine[Any, Any, Answer]) -> Answer:
    """Run ``exchange`` to its end on an event loop of its own (in a helper thread when
    this thread already runs one, as a queue worker's may)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(exchange)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, exchange).result()


# -- the secret ---------------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 43 random URL-safe characters (256 bits)."""
    return "whsec_" + secrets.token_urlsafe(32)


def _label(endpoint_id: str) -> str:
    return f"webhook:{endpoint_id}"


def seal_secret(settings: Settings, endpoint_id: str, secret: str) -> bytes:
    """Seal ``secret`` under the master key, bound to the endpoint's id."""
    return settings.master_key.seal_data(secret.encode(), label=_label(endpoint_id))


def endpoint_secret(settings: Settings, endpoint: WebhookEndpoint) -> str:
    """Open the endpoint's signing secret (to sign a delivery; never to show it again)."""
    return settings.master_key.unseal_data(
        endpoint.secret_sealed, label=_label(endpoint.id)
    ).decode()


# -- attempts ---------------------------------------------------------------------------------


def _row(session: Session, delivery_id: str, *, lock: bool = False) -> WebhookDelivery | None:
    """The delivery ``delivery_id`` (its uuid), read afresh; ``lock``: skip it if another
    worker holds it (PostgreSQL; SQLite's write lock serializes anyway)."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.uuid == delivery_id)
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return session.exec(query).first()


def _claim(work: Work, delivery_id: str) -> WebhookEndpoint | None:
    """Take a delivery due at ``work.now`` for one attempt (inside the caller's write unit).

    Returns its endpoint, or ``None`` when there is nothing to send now: not pending, not
    due, claimed by another worker, or its endpoint was removed (then it is cancelled).
    """
    session, now = work.session, work.now
    delivery = _row(session, delivery_id, lock=True)
    if (
        delivery is None
        or delivery.state != "pending"
        or (delivery.next_attempt_at is not None and delivery.next_attempt_at > now)
    ):
        return None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id, populate_existing=True)
    if endpoint is None or endpoint.disabled_at is not None:
        delivery.state, delivery.next_attempt_at = "cancelled", None
        session.add(delivery)
        return None
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.next_attempt_at = now + CLAIM_LEASE
    session.add(delivery)
    return endpoint


def _attempt(work: Work, delivery_id: str) -> bool:
    """Make one attempt if the delivery is due; return whether one was made."""
    session, settings = work.session, work.settings
    now = settings.clock()
    with work.write():
        endpoint = _claim(work.at(now), delivery_id)
        delivery = _row(session, delivery_id)
        if endpoint is None or delivery is None:
            return False
        url, body, event = endpoint.url, delivery.payload.encode(), delivery.event
    try:
        secret = endpoint_secret(settings, endpoint)
        pinned = guard(settings).pin(url)
    except KeyManagementError:
        # Another master key than the one that sealed it: say so, never crash the runner.
        answer = Answer(None, "the signing secret cannot be opened with this master key", 0)
    except (UnsafeUrl, ConnectionFailed) as err:
        answer = Answer(None, f"refused: {err}"[:EXCERPT_CHARS], 0)
    else:
        headers = {
            EVENT_HEADER: event,
            DELIVERY_HEADER: delivery_id,
            SIGNATURE_HEADER: sign(secret, int(now.timestamp()), body),
        }
        answer = _send(pinned, url, headers, body)
    done = settings.clock()
    with work.write():
        row = _row(session, delivery_id)
        assert row is not None  # noqa: S101 - deliveries are never deleted
        row.last_status = answer.status
        row.last_response = answer.text or None
        row.last_duration_ms = answer.duration_ms
        if answer.delivered:
            row.state, row.delivered_at, row.next_attempt_at = "delivered", done, None
        elif row.attempts >= MAX_ATTEMPTS:
            row.state, row.next_attempt_at = "failed", None
        else:
            row.next_attempt_at = done + retry_delay(row.attempts)
        session.add(row)
    log.info(
        "webhook delivery %s, attempt %d: %s",
        delivery_id,
        row.attempts,
        answer.status if answer.status is not None else "no answer",
    )
    return True


def deliver_one(work: Work, delivery_id: str) -> WebhookDelivery | None:
    """Make one attempt of a due, pending delivery (by its uuid) and record its answer.

    Idempotent: a delivery that is not pending or not yet due is left as it is (so running
    this twice, or from several workers at once, sends it once). Returns the delivery as
    recorded, or ``None`` for an unknown id. After a failed attempt it is ``pending`` again
    with its ``next_attempt_at``, or ``failed`` after :data:`MAX_ATTEMPTS`.
    """
    _attempt(work, delivery_id)
    found = _row(work.session, delivery_id)
    if work.session.in_transaction():
        work.session.commit()
    return found


def deliver_due(work: Work, *, limit: int = 100) -> int:
    """Attempt every pending delivery due at ``work.now``, in the order they were written
    (at most ``limit``); return how many were attempted.

    Run it periodically (or as the ``webhooks.deliver`` job); each delivery is claimed on
    its own, so several runners share the work.
    """
    due = work.session.exec(
        select(WebhookDelivery.uuid)
        .where(
            WebhookDelivery.state == "pending",
            col(WebhookDelivery.next_attempt_at) <= work.now,
        )
        .order_by(col(WebhookDelivery.id))
        .limit(limit)
    ).all()
    if work.session.in_transaction():
        work.session.commit()
    return sum(_attempt(work, delivery_id) for delivery_id in due)
