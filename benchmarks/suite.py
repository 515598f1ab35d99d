"""Run the registered cases and work out each row's ratios to its baselines."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace

from benchmarks import shared
from benchmarks.registry import Case, Unavailable, missing_requirement
from benchmarks.timing import Budget, Load, Operation, Timing, measure, measure_pair


@dataclass(frozen=True)
class Row:
    """One measured (or skipped) case.

    Attributes:
        timing: per-call statistics of an operation timed in this process.
        load: what an HTTP load run measured (instead of ``timing``).
        ratio: this row's median over the summed medians of its baseline rows; ``None``
            when it has no baseline or a baseline row was skipped.
        cpu_ratio: the same with CPU times (what stays comparable on a busy machine).
        speedup: this row's operations per second over those of its ``versus`` row (above
            1: faster than it); ``None`` without one or when it was skipped.
        cpu_speedup: the ``versus`` row's CPU time per operation over this row's (for HTTP
            rows the server workers' CPU time per request).
        fallbacks: inputs ``badges.canonical`` handed to pyld during this row's warm-up and
            timed calls (its setup excluded); ``None`` when the canonicalizer keeps no
            count, and for rows served by other processes (the HTTP and scale rows).
        skipped: why the case did not run, or ``None``.
    """

    name: str
    baseline: tuple[str, ...]
    timing: Timing | None = None
    ratio: float | None = None
    skipped: str | None = None
    section: str = "crypto"
    versus: str | None = None
    load: Load | None = None
    speedup: float | None = None
    fallbacks: int | None = None
    cpu_ratio: float | None = None
    cpu_speedup: float | None = None

    @property
    def ops_per_second(self) -> float | None:
        """Operations (or answered requests) per second, or ``None`` for a skipped row."""
        if self.timing is not None:
            return self.timing.ops_per_second
        if self.load is not None:
            return self.load.ops_per_second
        return None

    @property
    def cpu_ns(self) -> float | None:
        """CPU time per operation (median), or the server's per request, if measured."""
        if self.timing is not None:
            return self.timing.cpu_median_ns
        if self.load is not None:
            return self.load.server_cpu_ns
        return None


def fallback_count() -> int | None:
    """Return how many inputs the canonicalizer has handed to pyld in this process.

    ``None`` when :mod:`badges.canonical` keeps no such count (``fallback_count``).
    """
    from badges import canonical

    counter = getattr(canonical, "fallback_count", None)
    return int(counter()) if callable(counter) else None


def select(
    cases: Sequence[Case], match: str | None, sections: Sequence[str] | None = None
) -> list[Case]:
    """Return the cases whose name contains ``match`` (any case) and whose section is one of
    ``sections``, plus the rows they are compared with."""
    wanted = {
        c.name
        for c in cases
        if (not match or match.casefold() in c.name.casefold())
        and (not sections or c.section in sections)
    }
    wanted |= {name for c in cases if c.name in wanted for name in _references(c)}
    return [c for c in cases if c.name in wanted]


def _references(case: Case) -> tuple[str, ...]:
    return case.baseline + ((case.versus,) if case.versus else ())


def _run_case(case: Case, budget: Budget, partner: Case | None = None) -> tuple[Row, Timing | None]:
    """Measure ``case``; with a ``partner`` (its ``versus`` row, timed by calls), time both
    in alternation and also return the partner's new timing."""
    row = Row(case.name, case.baseline, section=case.section, versus=case.versus)
    if (missing := missing_requirement(case)) is not None:
        return replace(row, skipped=f"needs {missing}"), None
    with ExitStack() as stack:
        try:
            result = case.setup(stack)
        except Unavailable as err:
            return replace(row, skipped=str(err)), None
        if isinstance(result, Load):
            return replace(row, load=result), None
        theirs: Operation | Load | None = None
        if partner is not None:
            try:
                theirs = partner.setup(stack)
            except Unavailable:
                theirs = None
        before = fallback_count()
        if theirs is None or isinstance(theirs, Load):
            timing, partner_timing = measure(result, budget), None
        else:
            timing, partner_timing = measure_pair(result, theirs, budget)
        after = fallback_count()
        fallbacks = after - before if after is not None and before is not None else None
        return replace(row, timing=timing, fallbacks=fallbacks), partner_timing


def run(cases: Sequence[Case], budget: Budget) -> list[Row]:
    """Measure ``cases`` one after the other and return their rows in the same order.

    Fixtures the rows share (servers, seeded databases) are closed after the last row. A
    row timed by calls whose ``versus`` row came before it is timed in alternation with
    that row (:func:`benchmarks.timing.measure_pair`), and both report that timing.

    Raises:
        ValueError: two cases share a name, or a baseline names no case in ``cases``.
    """
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise ValueError("benchmark case names must be unique")
    for case in cases:
        if unknown := set(_references(case)) - set(names):
            raise ValueError(f"{case.name!r} has unknown baselines {sorted(unknown)}")
    by_name = {c.name: c for c in cases}
    rows: dict[str, Row] = {}
    with shared.running(budget):
        for case in cases:
            # A row compared with one measured before it by calls is timed again with it, in
            # alternation, and both rows report that paired timing.
            earlier = rows.get(case.versus) if case.versus else None
            partner = by_name[earlier.name] if earlier and earlier.timing else None
            rows[case.name], partner_timing = _run_case(case, budget, partner)
            if earlier is not None and partner_timing is not None:
                rows[earlier.name] = replace(earlier, timing=partner_timing)
    return [_with_ratios(row, rows) for row in rows.values()]


def _with_ratios(row: Row, rows: dict[str, Row]) -> Row:
    ratio = cpu_ratio = speedup = cpu_speedup = None
    if row.timing is not None and row.baseline:
        timings = [rows[name].timing for name in row.baseline]
        if all(t is not None for t in timings):
            ratio = row.timing.median_ns / sum(t.median_ns for t in timings if t is not None)
            cpu_ratio = row.timing.cpu_median_ns / sum(
                t.cpu_median_ns for t in timings if t is not None
            )
    if row.versus is not None:
        other = rows[row.versus]
        ours, theirs = row.ops_per_second, other.ops_per_second
        if ours is not None and theirs:
            speedup = ours / theirs
        our_cpu, their_cpu = row.cpu_ns, other.cpu_ns
        if our_cpu and their_cpu is not None:
            cpu_speedup = their_cpu / our_cpu
    return replace(row, ratio=ratio, cpu_ratio=cpu_ratio, speedup=speedup, cpu_speedup=cpu_speedup)
