"""Time one operation: warm up, choose an iteration count, then time every call.

Each call is timed on its own with :func:`time.perf_counter_ns`, so the median is available
and a rare slow call (a garbage collection, a page fault) moves the mean but not the median.
The garbage collector stays enabled: issuing a credential allocates, and that cost is real.
The cheapest operation measured (an Ed25519 signature, tens of microseconds) is about a
thousand times the clock's own overhead, so per-call timing loses nothing measurable.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

Operation = Callable[[], object]
"""One call of the operation being measured; its inputs are prepared beforehand."""

_MIN_WARMUP_CALLS = 3


@dataclass(frozen=True)
class Budget:
    """How long to warm up and measure each row, and the bounds on its iteration count."""

    warmup_seconds: float
    target_seconds: float
    min_iterations: int
    max_iterations: int = 200_000


FULL = Budget(warmup_seconds=0.1, target_seconds=0.5, min_iterations=10)
"""About half a second of timed calls per row (longer only for operations slower than 50 ms)."""

QUICK = Budget(warmup_seconds=0.0, target_seconds=0.01, min_iterations=3)
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

    @property
    def median_us(self) -> float:
        """The median time per call, in microseconds (the figure the table reports)."""
        return self.median_ns / 1_000

    @property
    def ops_per_second(self) -> float:
        """Calls per second at the median time."""
        return 1e9 / self.median_ns


def _call_ns(operation: Operation) -> int:
    start = time.perf_counter_ns()
    operation()
    # A call shorter than the clock's resolution still took some time; never report zero.
    return max(time.perf_counter_ns() - start, 1)


def iterations_for(estimate_ns: float, budget: Budget) -> int:
    """Return how many calls of ``estimate_ns`` each fill ``budget.target_seconds``, bounded."""
    wanted = round(budget.target_seconds * 1e9 / max(estimate_ns, 1.0))
    return max(budget.min_iterations, min(budget.max_iterations, wanted))


def measure(operation: Operation, budget: Budget) -> Timing:
    """Warm ``operation`` up, then time a fixed number of calls of it.

    The warm-up runs at least three calls and at least ``budget.warmup_seconds``; it fills
    caches (bundled JSON-LD contexts, imported modules) and estimates the time per call,
    from which the iteration count is fixed before timing starts.

    Returns:
        The summary of every timed call.
    """
    warmup: list[int] = []
    deadline = time.perf_counter_ns() + int(budget.warmup_seconds * 1e9)
    while len(warmup) < _MIN_WARMUP_CALLS or time.perf_counter_ns() < deadline:
        warmup.append(_call_ns(operation))
    # The first call may import modules or fill caches; it says nothing about the rest.
    iterations = iterations_for(statistics.median(warmup[1:]), budget)
    samples = [_call_ns(operation) for _ in range(iterations)]
    return Timing(
        iterations=iterations,
        median_ns=statistics.median(samples),
        mean_ns=statistics.fmean(samples),
        min_ns=min(samples),
        max_ns=max(samples),
        stdev_ns=statistics.pstdev(samples),
    )
