"""Servers in a thread: how every test serves HTTP or SMTP on 127.0.0.1."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Seconds between the serving loop's checks for shutdown (the standard library's default,
# half a second, made every test that stops a server wait for it).
POLL_INTERVAL = 0.05


def serve_in_thread(server: socketserver.BaseServer) -> threading.Thread:
    """Start serving ``server`` in a daemon thread; return the thread."""
    thread = threading.Thread(
        target=server.serve_forever, args=(POLL_INTERVAL,), name="test-server", daemon=True
    )
    thread.start()
    return thread


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[None]:
    """Serve ``server`` in a thread for the block; then shut it down and close it."""
    thread = serve_in_thread(server)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
