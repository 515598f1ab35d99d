"""A bounded HTTP load generator: threads, one keep-alive connection each, loopback only.

Run as ``python -m benchmarks.load`` with a JSON :class:`LoadSpec` on standard input; it
prints the summary (requests, errors, seconds, latency percentiles) as JSON. The benchmark
runs it in a process of its own so that the generator's work does not share a GIL with the
benchmark's bookkeeping; on a 2-core machine it still competes with the server for CPU, so
absolute figures understate a server with cores of its own. Ratios between two servers
measured this way in one run are what the table compares.

Each thread keeps one :class:`http.client.HTTPConnection` open and sends its next request
as soon as the previous answer is read. A server that closes the connection after each
answer (gunicorn's sync workers do) makes the thread reconnect, as any client would. The run
is bounded in both count and time: no request is sent after ``requests`` have been sent or
``seconds`` have passed, and every socket has a timeout.
"""

from __future__ import annotations

import http.client
import json
import secrets
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from ipaddress import ip_address
from typing import Any

COUNTER = "{n}"
"""Replaced in the request body by a token unique across runs (fresh recipients: a warm-up's
learners already hold the badge, and a second issue to them is refused as a duplicate)."""

_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class LoadSpec:
    """One endpoint to load: where, what to send, what answer counts, and the bounds."""

    port: int
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    expect: int = 200
    connections: int = 2
    seconds: float = 1.0
    requests: int = 100
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class LoadResult:
    """What a run measured; latencies in nanoseconds, of answered requests only.

    ``client_cpu_ns`` is the generator's own CPU time per request sent: next to the
    server's, it shows whether the generator, not the server, set the pace.
    """

    requests: int
    errors: int
    seconds: float
    p50_ns: float
    p99_ns: float
    mean_ns: float
    max_ns: float
    first_error: str | None
    client_cpu_ns: float = 0.0


class _State:
    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.lock = threading.Lock()
        self.sent = 0
        self.deadline = time.perf_counter() + spec.seconds
        self.latencies: list[int] = []
        self.errors = 0
        self.first_error: str | None = None
        # Each run's numbers are its own: the run's prefix, then the request's number.
        self.run = secrets.token_hex(4)

    def next_number(self) -> int | None:
        """Return the number of the next request to send, or None when the run is over."""
        with self.lock:
            if self.sent >= self.spec.requests or time.perf_counter() >= self.deadline:
                return None
            self.sent += 1
            return self.sent

    def failed(self, reason: str) -> None:
        with self.lock:
            self.errors += 1
            if self.first_error is None:
                self.first_error = reason


def _client(state: _State) -> None:
    spec = state.spec
    connection = http.client.HTTPConnection(spec.host, spec.port, timeout=_TIMEOUT_SECONDS)
    latencies: list[int] = []
    try:
        while (number := state.next_number()) is not None:
            unique = f"{state.run}-{number}"
            body = spec.body.replace(COUNTER, unique).encode() if spec.body else None
            start = time.perf_counter_ns()
            try:
                connection.request(spec.method, spec.path, body=body, headers=spec.headers)
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as err:
                connection.close()
                state.failed(f"{type(err).__name__}: {err}")
                continue
            elapsed = time.perf_counter_ns() - start
            if response.status == spec.expect:
                latencies.append(elapsed)
            else:
                state.failed(f"HTTP {response.status}: {data[:300]!r}")
    finally:
        connection.close()
        with state.lock:
            state.latencies.extend(latencies)


def generate(spec: LoadSpec) -> LoadResult:
    """Load ``spec``'s endpoint with ``spec.connections`` threads until a bound is reached.

    Raises:
        ValueError: the host is not a loopback address (the generator never loads others).
    """
    if not ip_address(spec.host).is_loopback:
        raise ValueError(f"the load generator only targets loopback addresses, not {spec.host}")
    state = _State(spec)
    threads = [
        threading.Thread(target=_client, args=(state,), daemon=True)
        for _ in range(max(1, spec.connections))
    ]
    cpu_start = time.process_time_ns()
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    client_cpu = (time.process_time_ns() - cpu_start) / max(1, state.sent)
    latencies = sorted(state.latencies)
    if not latencies:
        return LoadResult(
            0, state.errors, seconds, 0.0, 0.0, 0.0, 0.0, state.first_error, client_cpu
        )
    p99 = (
        statistics.quantiles(latencies, n=100, method="inclusive")[98]
        if len(latencies) > 1
        else latencies[0]
    )
    return LoadResult(
        requests=len(latencies),
        errors=state.errors,
        seconds=seconds,
        p50_ns=statistics.median(latencies),
        p99_ns=float(p99),
        mean_ns=statistics.fmean(latencies),
        max_ns=float(latencies[-1]),
        first_error=state.first_error,
        client_cpu_ns=client_cpu,
    )


def main() -> int:
    """Read a :class:`LoadSpec` as JSON from standard input and print the result as JSON."""
    document: dict[str, Any] = json.load(sys.stdin)
    result = generate(LoadSpec(**document))
    json.dump(asdict(result), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
