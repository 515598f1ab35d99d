"""Present benchmark rows: markdown tables for people (paste them into the README) and
JSON for tools."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.registry import SECTIONS
from benchmarks.suite import Row, fallback_count

STATISTIC = "median"
"""The per-call statistic in the in-process tables' time, CPU, ops/s and ratio columns."""

JSON_FORMAT = 2
"""Bumped when a key of :func:`to_json` changes meaning or disappears."""

_DISTRIBUTIONS = ("cryptography", "pyld", "PyJWT", "pillow", "qrcode", "flask", "gunicorn")


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
        "cpus": os.cpu_count(),
        "libraries": {name: _version(name) for name in _DISTRIBUTIONS},
    }


def _times(value: float) -> str:
    """``12.3×`` for a ratio from about 1 up, ``1/12`` below it."""
    if value >= 0.95:
        return f"{value:,.2f}×" if value < 10 else f"{value:,.1f}×"
    inverse = 1 / value
    return f"1/{inverse:,.1f}" if inverse < 10 else f"1/{inverse:,.0f}"


def _ratio_text(row: Row) -> str:
    if row.ratio is None:
        return ""
    cpu = f" (CPU {_times(row.cpu_ratio)})" if row.cpu_ratio is not None else ""
    return f"{_times(row.ratio)}{cpu} " + " + ".join(_short(name) for name in row.baseline)


def _speedup_text(row: Row) -> str:
    if row.speedup is None or row.versus is None:
        return ""
    cpu = f" (CPU {_times(row.cpu_speedup)})" if row.cpu_speedup is not None else ""
    return f"{_times(row.speedup)}{cpu} {_short(row.versus)}"


def _short(name: str) -> str:
    # "Ed25519 sign (raw primitive, ...)" -> "Ed25519 sign": baselines are named, not described.
    return name.split(" (", 1)[0]


def _markdown(titles: Sequence[str], right: Sequence[bool], body: Sequence[Sequence[str]]) -> str:
    """A markdown table padded to line up in a terminal too."""
    widths = [max(3, *(len(line[i]) for line in [titles, *body])) for i in range(len(titles))]

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.rjust(width) if align else cell.ljust(width)
            for cell, width, align in zip(cells, widths, right, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (w + 1) + ":" if align else "-" * (w + 2)
            for w, align in zip(widths, right, strict=True)
        )
        + "|"
    )
    return "\n".join([line(titles), rule, *(line(cells) for cells in body)])


def _call_table(rows: Sequence[Row]) -> str:
    titles = (
        "Operation",
        "wall µs/op",
        "CPU µs/op",
        "ops/s",
        "ratio to raw primitive",
        "vs baseline (speed-up)",
        "pyld fallbacks",
        "calls",
    )
    right = (False, True, True, True, False, False, True, True)
    body: list[tuple[str, ...]] = []
    for row in rows:
        if row.timing is None:
            body.append((row.name, "", "", "", f"skipped: {row.skipped}", "", "", ""))
            continue
        body.append(
            (
                row.name,
                f"{row.timing.median_us:,.1f}",
                f"{row.timing.cpu_median_us:,.1f}",
                f"{row.timing.ops_per_second:,.0f}",
                _ratio_text(row),
                _speedup_text(row),
                "n/a" if row.fallbacks is None else f"{row.fallbacks:,}",
                f"{row.timing.iterations:,}",
            )
        )
    return _markdown(titles, right, body)


def _megabytes(sizes: Sequence[int]) -> str:
    return " / ".join(f"{size / 2**20:,.0f}" for size in sizes) or "n/a"


def _load_table(rows: Sequence[Row]) -> str:
    titles = (
        "Request",
        "conns",
        "req/s",
        "p50 ms",
        "p99 ms",
        "server CPU ms/req",
        "client CPU ms/req",
        "vs baseline (req/s)",
        "worker RSS MB",
        "requests (errors)",
    )
    right = (False, True, True, True, True, True, True, False, True, True)
    body: list[tuple[str, ...]] = []
    for row in rows:
        load = row.load
        if load is None:
            skipped = f"skipped: {row.skipped}"
            body.append((row.name, "", "", "", "", "", "", skipped, "", ""))
            continue
        cpu = load.server_cpu_ns
        body.append(
            (
                row.name + (f" [{load.note}]" if load.note else ""),
                f"{load.connections}",
                f"{load.ops_per_second:,.0f}",
                f"{load.p50_ns / 1e6:,.1f}",
                f"{load.p99_ns / 1e6:,.1f}",
                "n/a" if cpu is None else f"{cpu / 1e6:,.2f}",
                f"{load.client_cpu_ns / 1e6:,.2f}",
                _speedup_text(row),
                _megabytes(load.worker_rss),
                f"{load.requests:,} ({load.errors:,})",
            )
        )
    return _markdown(titles, right, body)


_SECTION_NOTES = {
    "crypto": "In process, one thread. CPU = median thread CPU time per call "
    "(time.thread_time_ns); ratio to raw primitive = median / summed median of the "
    "primitive(s) named; speed-up = the named baseline's median / this row's (above 1: "
    "faster), on wall time and (in brackets) on CPU time, which other processes on a busy "
    "machine inflate less. A row and the baseline it is compared with (pyld) are timed in "
    "alternation, call for call, so both see the same machine.",
    "service": "Issuing through Flask's test client in this process (no network); CPU "
    "time excludes the database server's.",
    "http": (
        "gunicorn -w 2 (sync workers) on 127.0.0.1: Baeji on SQLite with the demo data, and "
        "a bare Flask app served the same way, in the same run. The load generator "
        "(benchmarks.load: threads, http.client keep-alive; sync workers close each "
        "connection, so every request also connects) runs on the same machine and competes "
        "with the servers for its cores. Latency is the client's; server CPU = the workers' "
        "CPU time (/proc/<pid>/schedstat) during the load / answered requests; client CPU = "
        "the generator's CPU time per request (near 1 / (req/s) per core, the generator set "
        "the pace); RSS of each worker after the load; vs baseline = req/s / its req/s and "
        "(in brackets) its server CPU per request / ours."
    ),
    "scale": "Pages over a large PostgreSQL database (seeded by benchmarks.seed: real "
    "signed demo credentials, then COPY of pre-signed copies), through gunicorn -w 2 on "
    "127.0.0.1 at a low concurrency: latency, not throughput. Server CPU excludes "
    "PostgreSQL's.",
}

_SECTION_TITLES = {
    "crypto": "Signing and verifying",
    "service": "Issuing through the service (in process)",
    "http": "HTTP",
    "scale": "Scale",
}


def format_table(rows: Sequence[Row], *, quick: bool) -> str:
    """Return the report: a header describing the run, then one markdown table per section."""
    env = environment()
    libraries = ", ".join(f"{k} {v}" for k, v in env["libraries"].items() if v)
    total = fallback_count()
    lines = [
        f"Baeji benchmarks{' (--quick: smoke test, do not compare)' if quick else ''}",
        "",
        f"{env['implementation']} {env['python']} on {env['cpu']} × {env['cpus']} "
        f"({env['platform']}); {libraries}.",
        f"Canonicalization inputs handed to pyld (fallbacks) in this process: "
        f"{'n/a (badges.canonical keeps no count)' if total is None else f'{total:,}'}.",
    ]
    for section in SECTIONS:
        chosen = [row for row in rows if row.section == section]
        if not chosen:
            continue
        table = _load_table(chosen) if section in ("http", "scale") else _call_table(chosen)
        lines += ["", f"### {_SECTION_TITLES[section]}", "", _SECTION_NOTES[section], "", table]
    return "\n".join(lines)


def to_json(rows: Sequence[Row], *, quick: bool) -> dict[str, Any]:
    """Return every row with all its statistics, plus the environment, as a JSON object."""
    results: list[dict[str, Any]] = []
    for row in rows:
        entry: dict[str, Any] = {
            "name": row.name,
            "section": row.section,
            "baseline": list(row.baseline),
            "ratio": row.ratio,
            "cpu_ratio": row.cpu_ratio,
            "versus": row.versus,
            "speedup": row.speedup,
            "cpu_speedup": row.cpu_speedup,
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
                cpu_median_us=row.timing.cpu_median_ns / 1_000,
                cpu_mean_us=row.timing.cpu_mean_ns / 1_000,
                ops_per_second=row.timing.ops_per_second,
                fallbacks=row.fallbacks,
            )
        if row.load is not None:
            load = row.load
            entry.update(
                connections=load.connections,
                requests=load.requests,
                errors=load.errors,
                seconds=load.seconds,
                ops_per_second=load.ops_per_second,
                p50_us=load.p50_ns / 1_000,
                p99_us=load.p99_ns / 1_000,
                mean_us=load.mean_ns / 1_000,
                max_us=load.max_ns / 1_000,
                server_cpu_us=None if load.server_cpu_ns is None else load.server_cpu_ns / 1_000,
                worker_rss_bytes=list(load.worker_rss),
                client_cpu_us=load.client_cpu_ns / 1_000,
                note=load.note,
            )
        results.append(entry)
    return {
        "format": JSON_FORMAT,
        "statistic": STATISTIC,
        "quick": quick,
        "fallbacks": fallback_count(),
        "command": " ".join([Path(sys.executable).name, "-m", "benchmarks", *sys.argv[1:]]),
        "environment": environment(),
        "results": results,
    }
