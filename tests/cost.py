"""Measuring what one operation costs: CPU seconds and peak memory, never wall-clock time.

Used by the abuse tests (issue 9): hostile input must be refused within a stated, generous
budget. CPU time comes from ``resource`` (so a busy machine does not fail a test), Python
memory from ``tracemalloc``. Memory that C libraries allocate themselves (Pillow's
bitmaps) is invisible to ``tracemalloc``; :func:`run_measured` runs such an operation in a
fresh interpreter and reports the growth of its peak resident size instead.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
_REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Cost:
    """What an operation cost: CPU seconds (user + system) and peak memory in bytes."""

    cpu_seconds: float = 0.0
    peak_bytes: int = 0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def measured() -> Iterator[Cost]:
    """Measure the CPU time and the peak Python memory (tracemalloc) of the ``with`` body."""
    cost = Cost()
    already = tracemalloc.is_tracing()
    if already:
        tracemalloc.reset_peak()
    else:
        tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    started = _cpu_seconds()
    try:
        yield cost
    finally:
        cost.cpu_seconds = _cpu_seconds() - started
        cost.peak_bytes = max(0, tracemalloc.get_traced_memory()[1] - baseline)
        if not already:
            tracemalloc.stop()


def run_measured(setup: str, operation: str) -> Cost:
    """Run ``operation`` in a fresh interpreter after ``setup``; return its cost there.

    ``peak_bytes`` is the growth of the process's peak resident size during ``operation``,
    which counts memory allocated by C libraries too.
    """
    script = "\n".join(
        [
            "import json, resource",
            textwrap.dedent(setup),
            "_before = resource.getrusage(resource.RUSAGE_SELF)",
            textwrap.dedent(operation),
            "_after = resource.getrusage(resource.RUSAGE_SELF)",
            "print(json.dumps({",
            "    'cpu': _after.ru_utime + _after.ru_stime - _before.ru_utime - _before.ru_stime,",
            "    'rss_kib': _after.ru_maxrss - _before.ru_maxrss,",
            "}))",
        ]
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=_REPO_ROOT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return Cost(cpu_seconds=float(result["cpu"]), peak_bytes=int(result["rss_kib"]) * 1024)
