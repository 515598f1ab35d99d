"""Run the registered cases and work out each row's ratio to its baseline."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from benchmarks.cases import Case, Unavailable, missing_requirement
from benchmarks.timing import Budget, Timing, measure


@dataclass(frozen=True)
class Row:
    """One measured (or skipped) case.

    Attributes:
        ratio: this row's median over the summed medians of its baseline rows; ``None``
            when it has no baseline or a baseline row was skipped.
        skipped: why the case did not run, or ``None``.
    """

    name: str
    baseline: tuple[str, ...]
    timing: Timing | None = None
    ratio: float | None = None
    skipped: str | None = None


def select(cases: Sequence[Case], match: str | None) -> list[Case]:
    """Return the cases whose name contains ``match`` (any case), plus their baselines."""
    if not match:
        return list(cases)
    wanted = {c.name for c in cases if match.casefold() in c.name.casefold()}
    wanted |= {name for c in cases if c.name in wanted for name in c.baseline}
    return [c for c in cases if c.name in wanted]


def _run_case(case: Case, budget: Budget) -> Row:
    if (missing := missing_requirement(case)) is not None:
        return Row(case.name, case.baseline, skipped=f"needs {missing}")
    with ExitStack() as stack:
        try:
            operation = case.setup(stack)
        except Unavailable as err:
            return Row(case.name, case.baseline, skipped=str(err))
        return Row(case.name, case.baseline, timing=measure(operation, budget))


def run(cases: Sequence[Case], budget: Budget) -> list[Row]:
    """Measure ``cases`` one after the other and return their rows in the same order.

    Raises:
        ValueError: two cases share a name, or a baseline names no case in ``cases``.
    """
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise ValueError("benchmark case names must be unique")
    for case in cases:
        if unknown := set(case.baseline) - set(names):
            raise ValueError(f"{case.name!r} has unknown baselines {sorted(unknown)}")
    rows = [_run_case(case, budget) for case in cases]
    medians = {r.name: r.timing.median_ns for r in rows if r.timing is not None}
    return [_with_ratio(row, medians) for row in rows]


def _with_ratio(row: Row, medians: dict[str, float]) -> Row:
    if row.timing is None or not row.baseline:
        return row
    if any(name not in medians for name in row.baseline):
        return row
    reference = sum(medians[name] for name in row.baseline)
    return Row(row.name, row.baseline, row.timing, row.timing.median_ns / reference)
