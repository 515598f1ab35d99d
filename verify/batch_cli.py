"""``baeji verify`` with many inputs: one line per input, a summary, ``--csv`` and ``--json``.

Kept apart from :mod:`verify.cli` so the single-input report stays exactly as it was.
Each line reads ``VERDICT  input  — course · holder · issuer``; failed checks follow,
indented, one per line. ``--json`` prints ``{"results": [...], "summary": {...}}`` with
the same rows as ``POST /api/v1/verify/batch``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import click

from verify.algorithm import verify_credential
from verify.batch import (
    BatchInputError,
    BatchRow,
    batch_exit_code,
    expand_inputs,
    rows_to_csv,
    summarize,
)
from verify.report import Verdict, VerificationReport
from verify.resolve import Fetcher


def expand_batch(targets: Sequence[str], list_file: str | None) -> list[str]:
    """The inputs of a batch (see :func:`verify.batch.expand_inputs`), usage errors as exit 2."""
    try:
        return expand_inputs(targets, list_file=list_file)
    except BatchInputError as err:
        hint = "--from" if err.code.startswith("list-") else "PATH|URL..."
        raise click.BadParameter(str(err), param_hint=hint) from err


_SUMMARY_LABELS = {
    "en": "{total} checked: {parts}",
    "ko": "총 {total}건 확인: {parts}",
}


def _line(row: BatchRow, lang: str) -> list[str]:
    facts = " · ".join(x for x in (row.course, row.holder, row.issuer) if x)
    head = f"{row.verdict.label(lang).upper()} ({row.verdict.value})  {row.input}"
    lines = [f"{head}  — {facts}" if facts else head]
    lines.extend(f"    ✗ {f.id}: {f.message}" for f in row.failed)
    return lines


def summary_line(summary: dict[str, int], lang: str) -> str:
    """The one-line summary: total and the count of every verdict that occurred."""
    parts = ", ".join(
        f"{Verdict(v).label(lang)} {summary[v.value]}" for v in Verdict if summary[v.value]
    )
    return _SUMMARY_LABELS[lang].format(total=summary["total"], parts=parts)


def run_batch(
    inputs: Sequence[str],
    *,
    read: Callable[[str], str | bytes],
    now: datetime,
    fetcher: Fetcher,
    clock_skew: timedelta,
    lang: str,
    as_json: bool,
    csv_path: str | None,
    finish: Callable[[VerificationReport], VerificationReport] | None = None,
) -> int:
    """Verify every input, print the table and summary, write ``csv_path``; return the exit code.

    An input that cannot be read or whose verification breaks down becomes an
    ``unverifiable`` row; the batch goes on. ``finish`` adds to each report before its row
    is made (the ``registry`` check of ``--registry``).
    """
    rows: list[BatchRow] = []
    for name in inputs:
        try:
            source = read(name)
        except (click.BadParameter, OSError) as err:
            message = err.format_message() if isinstance(err, click.ClickException) else str(err)
            row = BatchRow.unreadable(name, "input", message)
        else:
            try:
                report = verify_credential(source, now=now, fetcher=fetcher, clock_skew=clock_skew)
            except Exception as err:  # one broken input must not end the whole batch
                row = BatchRow.unreadable(name, "input", f"{type(err).__name__}: {err}")
            else:
                row = BatchRow.from_report(name, finish(report) if finish else report, lang)
        rows.append(row)
        if not as_json:
            for text in _line(row, lang):
                click.echo(text)
    summary = summarize(rows)
    if as_json:
        payload = {"results": [r.to_dict(lang) for r in rows], "summary": summary}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        click.echo(summary_line(summary, lang))
    if csv_path is not None:
        Path(csv_path).write_text(rows_to_csv(rows, lang), encoding="utf-8", newline="")
        click.echo(f"Wrote {len(rows)} row(s) to {csv_path}.", err=True)
    return batch_exit_code(rows)


__all__ = ["expand_batch", "run_batch", "summary_line"]
