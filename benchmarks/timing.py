"""Time one operation: warm up, choose an iteration count, then time every call.

Each call is timed on its own with :func:`time.perf_counter_ns` (wall time) and
:func:`time.thread_time_ns` (CPU time of the calling thread), so the medians are available
and a rare slow call (a garbage collection, a page fault) moves the mean but not the median.
CPU time is what stays comparable on a busy machine: other processes stretch wall time
(by 5–7× in runs next to other jobs) but not the CPU time the operation itself used. It
does not include work done by other processes (a database server) on the call's behalf.
The garbage collector stays enabled: issuing a credential allocates, and that cost is real.
The cheapest operation measured (an Ed25519 signature, tens of microseconds) is about a
thousand times the clock's own overhead, so per-call timing loses nothing measurable.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Operation = Callable[[], object]
"""One call of the operation being measured; its inputs are prepared beforehand."""


@dataclass(frozen=True)
class Budget:
    """How long to warm up and measure each row, and the bounds on its iteration count.

    Attributes:
        min_warmup_calls: calls before timing starts, at least two (the first is dropped
            from the estimate of the time per call).
        load_seconds: at most this long of load per HTTP row (after its warm-up).
        load_warmup_seconds: at most this long of warm-up load per HTTP row (none at 0).
        load_requests: at most this many requests per HTTP row.
        connections: concurrent connections of the HTTP load generator.
        scale_rows: credentials seeded for the scale rows.
        scale_connections: concurrent connections when timing the scale rows' pages.
    """

    warmup_seconds: float
    target_seconds: float
    min_iterations: int
    max_iterations: int = 200_000
    min_warmup_calls: int = 3
    load_seconds: float = 10.0
    load_warmup_seconds: float = 1.0
    load_requests: int = 50_000
    connections: int = 64
    scale_rows: int = 100_000
    scale_connections: int = 2


FULL = Budget(warmup_seconds=0.1, target_seconds=0.5, min_iterations=10)
"""About half a second of timed calls per row (longer only for operations slower than 50 ms);
ten seconds of load at 64 connections per HTTP row; 100,000 credentials for the scale rows."""

QUICK = Budget(
    warmup_seconds=0.0,
    target_seconds=0.01,
    min_iterations=2,
    min_warmup_calls=2,
    load_seconds=0.3,
    load_warmup_seconds=0.0,
    load_requests=20,
    connections=2,
    scale_rows=500,
    scale_connections=1,
)
"""A smoke test: every row runs a few times; the numbers are not worth comparing."""


@dataclass(frozen=True)
class Timing:
    """Per-call durations of one operation, summarized in nanoseconds."""

    iterations: int
    median_ns: float
    mean_ns: float
    min_ns: int
    max_ns: int
    stdev_ns: float
    cpu_median_ns: float
    cpu_mean_ns: float

    @property
    def median_us(self) -> float:
        """The median time per call, in microseconds (the figure the table reports)."""
        return self.median_ns / 1_000

    @property
    def cpu_median_us(self) -> float:
        """The median CPU time per call, in microseconds."""
        return self.cpu_median_ns / 1_000

    @property
    def ops_per_second(self) -> float:
        """Calls per second at the median time."""
        return 1e9 / self.median_ns


def _call_ns(operation: Operation) -> tuple[int, int]:
    """Return the wall and CPU nanoseconds of one call.

    The CPU clock is read outside the wall clock, so the wall time does not include the
    CPU clock's own system call; the CPU time includes the wall clock's (a few tens of ns).
    """
    cpu_start = time.thread_time_ns()
    start = time.perf_counter_ns()
    operation()
    end = time.perf_counter_ns()
    cpu_end = time.thread_time_ns()
    # A call shorter than the clock's resolution still took some time; never report zero.
    return max(end - start, 1), max(cpu_end - cpu_start, 1)


def iterations_for(estimate_ns: float, budget: Budget) -> int:
    """Return how many calls of ``estimate_ns`` each fill ``budget.target_seconds``, bounded."""
    wanted = round(budget.target_seconds * 1e9 / max(estimate_ns, 1.0))
    return max(budget.min_iterations, min(budget.max_iterations, wanted))


def _warm_up(operations: Sequence[Operation], budget: Budget) -> float:
    """Call each operation in turn for the warm-up; return the median time of one round.

    The warm-up runs at least ``budget.min_warmup_calls`` rounds (two or more) and at least
    ``budget.warmup_seconds``; it fills caches (bundled JSON-LD contexts, imported modules)
    and estimates the time per round, from which the iteration count is fixed before timing
    starts.
    """
    rounds: list[int] = []
    deadline = time.perf_counter_ns() + int(budget.warmup_seconds * 1e9)
    while len(rounds) < budget.min_warmup_calls or time.perf_counter_ns() < deadline:
        rounds.append(sum(_call_ns(operation)[0] for operation in operations))
    # The first round may import modules or fill caches; it says nothing about the rest.
    return statistics.median(rounds[1:])


def _summary(calls: Sequence[tuple[int, int]]) -> Timing:
    samples = [wall for wall, _ in calls]
    cpu = [used for _, used in calls]
    return Timing(
        iterations=len(calls),
        median_ns=statistics.median(samples),
        mean_ns=statistics.fmean(samples),
        min_ns=min(samples),
        max_ns=max(samples),
        stdev_ns=statistics.pstdev(samples),
        cpu_median_ns=statistics.median(cpu),
        cpu_mean_ns=statistics.fmean(cpu),
    )


def measure(operation: Operation, budget: Budget) -> Timing:
    """Warm ``operation`` up, then time a fixed number of calls of it.

    Returns:
        The summary of every timed call.
    """
    iterations = iterations_for(_warm_up([operation], budget), budget)
    return _summary([_call_ns(operation) for _ in range(iterations)])


def measure_pair(first: Operation, second: Operation, budget: Budget) -> tuple[Timing, Timing]:
    """Time two operations doing the same work in alternation: first, second, first...

    Whatever else the machine does meanwhile (other processes, frequency changes) weighs on
    both alike, so their ratio holds even when each one's time does not. Each operation is
    called as often as :func:`measure` would call one taking their mean time.

    Returns:
        The summaries of ``first`` and of ``second``.
    """
    iterations = iterations_for(_warm_up([first, second], budget) / 2, budget)
    first_calls: list[tuple[int, int]] = []
    second_calls: list[tuple[int, int]] = []
    for _ in range(iterations):
        first_calls.append(_call_ns(first))
        second_calls.append(_call_ns(second))
    return _summary(first_calls), _summary(second_calls)


@dataclass(frozen=True)
class Load:
    """What one bounded HTTP load run measured (see :mod:`benchmarks.load`).

    Attributes:
        connections: concurrent connections the generator kept busy.
        requests: requests answered with the expected status.
        errors: requests answered otherwise, or that failed to connect or timed out.
        seconds: wall time from the first request sent to the last response read.
        p50_ns, p99_ns, mean_ns, max_ns: latency of the answered requests, as seen by the
            client (from sending the request to reading the whole response).
        server_cpu_ns: CPU time (user + system) the server's worker processes used during
            the load, per answered request; ``None`` where ``/proc`` is not readable.
        worker_rss: resident set size of each server worker after the load, in bytes.
        client_cpu_ns: the load generator's CPU time per request it sent.
        note: what the table should say about the setup (e.g. how many rows were seeded).
    """

    connections: int
    requests: int
    errors: int
    seconds: float
    p50_ns: float
    p99_ns: float
    mean_ns: float
    max_ns: float
    server_cpu_ns: float | None
    worker_rss: tuple[int, ...]
    client_cpu_ns: float = 0.0
    note: str = ""

    @property
    def ops_per_second(self) -> float:
        """Answered requests per second of load."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0
