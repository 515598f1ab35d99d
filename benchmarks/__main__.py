"""``python -m benchmarks [--quick] [--json PATH] [-k TEXT] [--section NAME]``: print the tables."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from benchmarks.cases import CASES
from benchmarks.registry import SECTIONS
from benchmarks.report import format_table, to_json
from benchmarks.suite import run, select
from benchmarks.timing import FULL, QUICK


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks, print the tables and optionally write JSON; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time Baeji's signing, verifying, issuing and serving.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few calls per row: a smoke test, not a measurement"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument(
        "-k",
        dest="match",
        metavar="TEXT",
        help="only rows whose name contains TEXT (their baselines run too)",
    )
    parser.add_argument(
        "--section",
        action="append",
        choices=SECTIONS,
        help="only this section (repeatable): crypto, service, http or scale",
    )
    parser.add_argument(
        "--connections",
        type=_positive_int,
        metavar="N",
        help="concurrent connections of the HTTP load (default 64; 2 with --quick)",
    )
    parser.add_argument(
        "--load-seconds",
        type=_positive_float,
        metavar="S",
        help="at most this long of load per HTTP row (default 10; 0.3 with --quick)",
    )
    parser.add_argument(
        "--scale-rows",
        type=_positive_int,
        metavar="N",
        help="credentials seeded for the scale rows (default 100,000; 500 with --quick)",
    )
    args = parser.parse_args(argv)
    cases = select(CASES, args.match, args.section)
    if not cases:
        parser.error(f"no benchmark matches {args.match!r} in {args.section or 'any section'}")
    budget = QUICK if args.quick else FULL
    if args.connections is not None:
        budget = replace(budget, connections=args.connections)
    if args.load_seconds is not None:
        budget = replace(budget, load_seconds=args.load_seconds)
    if args.scale_rows is not None:
        budget = replace(budget, scale_rows=args.scale_rows)
    rows = run(cases, budget)
    print(format_table(rows, quick=args.quick))
    if args.json is not None:
        document = to_json(rows, quick=args.quick)
        document["budget"] = {
            "connections": budget.connections,
            "load_seconds": budget.load_seconds,
            "load_warmup_seconds": budget.load_warmup_seconds,
            "load_requests": budget.load_requests,
            "scale_rows": budget.scale_rows,
            "scale_connections": budget.scale_connections,
        }
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
