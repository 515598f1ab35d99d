"""What the rows of one run share: the budget, and fixtures made once per run.

A setup may need the run's budget (how long an HTTP load lasts) or a fixture several rows
use (a gunicorn server with demo data): :func:`current` gives the run being measured and
:func:`fixture` makes a fixture on first use and closes it when the run ends, after the
last row, rather than when the row that first asked for it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from benchmarks.timing import FULL, Budget

T = TypeVar("T")


@dataclass
class Run:
    """One run of the suite: its budget and its fixtures, closed by ``stack`` at the end."""

    budget: Budget
    stack: ExitStack
    fixtures: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, Exception] = field(default_factory=dict)


_RUN: ContextVar[Run | None] = ContextVar("benchmark_run", default=None)


@contextmanager
def running(budget: Budget) -> Iterator[Run]:
    """Make ``budget`` the current run's for the block, and close its fixtures after it."""
    with ExitStack() as stack:
        run = Run(budget, stack)
        token = _RUN.set(run)
        try:
            yield run
        finally:
            _RUN.reset(token)


def current() -> Run:
    """Return the run being measured (a full-budget one outside :func:`running`)."""
    run = _RUN.get()
    return run if run is not None else Run(FULL, ExitStack())


def fixture(key: str, make: Callable[[ExitStack], T]) -> T:
    """Return the run's fixture ``key``, made by ``make`` on first use.

    A fixture that failed to be made (raised) fails again for every row asking for it,
    with the same exception, without being retried.
    """
    run = _RUN.get()
    if run is None:
        raise RuntimeError("fixtures exist only while the suite runs (benchmarks.shared.running)")
    if key in run.failures:
        raise run.failures[key]
    if key not in run.fixtures:
        try:
            run.fixtures[key] = make(run.stack)
        except Exception as err:
            run.failures[key] = err
            raise
    return cast(T, run.fixtures[key])
