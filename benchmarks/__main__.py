"""``python -m benchmarks [--quick] [--json PATH] [-k TEXT]``: print the table."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.cases import CASES
from benchmarks.report import format_table, to_json
from benchmarks.suite import run, select
from benchmarks.timing import FULL, QUICK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks, print the table and optionally write JSON; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Time Baeji's signing and issuing steps."
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
    args = parser.parse_args(argv)
    cases = select(CASES, args.match)
    if not cases:
        parser.error(f"no benchmark matches {args.match!r}")
    rows = run(cases, QUICK if args.quick else FULL)
    print(format_table(rows, quick=args.quick))
    if args.json is not None:
        document = to_json(rows, quick=args.quick)
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
