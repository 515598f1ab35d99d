"""The benchmark suite runs end to end and reports every row; timings are never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from benchmarks.cases import CASES, Case, Unavailable, missing_requirement
from benchmarks.suite import run, select
from benchmarks.timing import QUICK, Operation

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_quick_run_writes_every_row_with_positive_numbers(tmp_path: Path) -> None:
    """`python -m benchmarks --quick --json` measures every registered row."""
    output = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(output)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["quick"] is True
    assert report["statistic"] == "median"
    rows = {row["name"]: row for row in report["results"]}
    assert list(rows) == [case.name for case in CASES]
    for case in CASES:
        row = rows[case.name]
        assert row["name"] in completed.stdout
        if (missing := missing_requirement(case)) is not None:
            # Only a package that is genuinely absent may skip a row.
            assert row["skipped"] == f"needs {missing}"
            continue
        assert row["skipped"] is None, row["skipped"]
        assert row["iterations"] > 0
        for key in ("median_us", "mean_us", "min_us", "max_us", "ops_per_second"):
            assert row[key] > 0, key
        if case.baseline:
            assert row["ratio"] > 0
        else:
            assert row["ratio"] is None


def _noop(stack: ExitStack) -> Operation:
    return lambda: None


def _unavailable(stack: ExitStack) -> Operation:
    raise Unavailable("no PostgreSQL server configured")


def test_ratio_is_taken_against_the_baseline_rows() -> None:
    """A row with baselines gets a ratio; a row without gets none."""
    rows = run([Case("raw", _noop), Case("built", _noop, baseline=("raw",))], QUICK)
    assert rows[0].ratio is None
    assert rows[1].ratio is not None
    assert rows[1].ratio > 0


def test_unavailable_setup_skips_the_row_and_its_ratios() -> None:
    """A setup raising Unavailable gives a skipped row, and rows based on it get no ratio."""
    rows = run([Case("db", _unavailable), Case("issue", _noop, baseline=("db",))], QUICK)
    assert rows[0].skipped == "no PostgreSQL server configured"
    assert rows[0].timing is None
    assert rows[1].timing is not None
    assert rows[1].ratio is None


def test_missing_package_skips_the_row() -> None:
    """A case needing an absent module is skipped with the requirement named."""
    case = Case("absent", _noop, requires=("baeji_no_such_module:thing",))
    (row,) = run([case], QUICK)
    assert row.skipped == "needs baeji_no_such_module:thing"


def test_unknown_baseline_is_refused() -> None:
    """A baseline naming no registered row is a registry mistake, reported before timing."""
    with pytest.raises(ValueError, match="unknown baselines"):
        run([Case("built", _noop, baseline=("raw",))], QUICK)


def test_select_keeps_the_baselines_of_matched_rows() -> None:
    """Filtering with -k keeps the raw primitives the matched rows are compared with."""
    chosen = [case.name for case in select(CASES, "encode_jwt")]
    assert len(chosen) == 2
    assert chosen[0].startswith("RSA-2048 sign")
    assert "encode_jwt" in chosen[1]
