"""A real HTTP receiver of webhooks on 127.0.0.1, and a clock tests move by hand.

The receiver records every request (path, headers, raw body) and answers with the status
the test sets, so retries, redirects and replays are seen as a real LMS would see them.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.serving import serving


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the receiver got, and what it answers next (``status``, ``location``)."""

    port: int = 0
    status: int = 200
    location: str | None = None
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def got(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def wait_for(
        self, count: int, *, seconds: float = 60, why: Callable[[], object] | None = None
    ) -> list[Received]:
        """Wait until ``count`` requests arrived (sent by the service's delivery jobs, after
        the change committed); fail after ``seconds``, adding ``why()`` to the message."""
        deadline = time.monotonic() + seconds
        while len(self.got()) < count:
            if time.monotonic() > deadline:
                detail = f": {why()}" if why is not None else ""
                raise AssertionError(f"{len(self.got())} of {count} deliveries arrived{detail}")
            time.sleep(0.05)
        return self.got()


@contextmanager
def receiver() -> Iterator[Receiver]:
    """Run a receiver on an ephemeral port of 127.0.0.1 until the block ends."""
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with state.lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                status, location = state.status, state.location
            answer = b'{"ok": true}' if status < 300 else b"receiver says no " + b"x" * 2000
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    with serving(server):
        yield state


class Clock:
    """The service's clock (``CLOCK`` setting): stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
