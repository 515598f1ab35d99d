"""Present benchmark rows: a plain-text table for people and JSON for tools."""

from __future__ import annotations

import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.suite import Row

STATISTIC = "median"
"""The per-call statistic in the table's time, ops/s and ratio columns."""

JSON_FORMAT = 1
"""Bumped when a key of :func:`to_json` changes meaning or disappears."""

_DISTRIBUTIONS = ("cryptography", "pyld", "PyJWT", "pillow", "qrcode")


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """Describe the machine and the library versions the numbers depend on."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "libraries": {name: _version(name) for name in _DISTRIBUTIONS},
    }


def _ratio_text(row: Row) -> str:
    if row.ratio is None:
        return ""
    return f"{row.ratio:,.1f}× " + " + ".join(_short(name) for name in row.baseline)


def _short(name: str) -> str:
    # "Ed25519 sign (raw primitive, ...)" -> "Ed25519 sign": baselines are named, not described.
    return name.split(" (", 1)[0]


def format_table(rows: Sequence[Row], *, quick: bool) -> str:
    """Return the side-by-side table, one line per row, with a header describing the run."""
    env = environment()
    libraries = ", ".join(f"{k} {v}" for k, v in env["libraries"].items() if v)
    header = [
        f"Baeji benchmarks{' (--quick: smoke test, do not compare)' if quick else ''}",
        f"{env['implementation']} {env['python']} on {env['cpu']} ({env['platform']})",
        libraries,
        f"Time per operation: {STATISTIC} of individually timed calls after warm-up; "
        f"ratio = {STATISTIC} / summed {STATISTIC} of the raw primitive(s) named.",
        "",
    ]
    titles = ("Operation", "µs/op", "ops/s", "ratio to raw primitive", "calls")
    body: list[tuple[str, str, str, str, str]] = []
    for row in rows:
        if row.timing is None:
            body.append((row.name, "", "", f"skipped: {row.skipped}", ""))
            continue
        body.append(
            (
                row.name,
                f"{row.timing.median_us:,.1f}",
                f"{row.timing.ops_per_second:,.0f}",
                _ratio_text(row),
                f"{row.timing.iterations:,}",
            )
        )
    widths = [max(len(line[i]) for line in [titles, *body]) for i in range(len(titles))]

    def line(cells: tuple[str, str, str, str, str]) -> str:
        name, micros, ops, ratio, calls = cells
        return "  ".join(
            [
                name.ljust(widths[0]),
                micros.rjust(widths[1]),
                ops.rjust(widths[2]),
                ratio.ljust(widths[3]),
                calls.rjust(widths[4]),
            ]
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([*header, line(titles), rule, *(line(cells) for cells in body)])


def to_json(rows: Sequence[Row], *, quick: bool) -> dict[str, Any]:
    """Return every row with all its statistics, plus the environment, as a JSON object."""
    results: list[dict[str, Any]] = []
    for row in rows:
        entry: dict[str, Any] = {
            "name": row.name,
            "baseline": list(row.baseline),
            "ratio": row.ratio,
            "skipped": row.skipped,
        }
        if row.timing is not None:
            entry.update(
                iterations=row.timing.iterations,
                median_us=row.timing.median_ns / 1_000,
                mean_us=row.timing.mean_ns / 1_000,
                min_us=row.timing.min_ns / 1_000,
                max_us=row.timing.max_ns / 1_000,
                stdev_us=row.timing.stdev_ns / 1_000,
                ops_per_second=row.timing.ops_per_second,
            )
        results.append(entry)
    return {
        "format": JSON_FORMAT,
        "statistic": STATISTIC,
        "quick": quick,
        "command": " ".join([Path(sys.executable).name, "-m", "benchmarks", *sys.argv[1:]]),
        "environment": environment(),
        "results": results,
    }
