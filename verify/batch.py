"""Many candidates at once: one row per input, a summary, and CSV/JSON tables.

A hiring desk checks dozens of badges at a time. :func:`expand_inputs` turns what the
employer named (files, folders, URLs, a ``--from`` list) into an ordered list of inputs;
each input is verified on its own and becomes a :class:`BatchRow`; :func:`summarize` counts
verdicts and :func:`batch_exit_code` turns them into one exit status. :func:`rows_to_csv`
writes the table Excel opens correctly (UTF-8 with a BOM, formula-safe cells).

Folders: only the files directly inside, sorted by name, hidden files (``.name``) skipped;
sub-folders are not entered, so an employer's "applications" folder with per-round
sub-folders is checked one round at a time and nothing is picked up by surprise.

Imports no web framework; the issuer's ``/verify`` page and ``POST /api/v1/verify/batch``
build their tables with the same functions.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from badges.summary import CredentialSummary
from verify.errors import VerifyError
from verify.report import CheckStatus, Verdict, VerificationReport

MAX_LIST_FILE_BYTES = 1024 * 1024
# What a --from list may hold; the web page and API have their own, smaller bound.
MAX_CLI_INPUTS = 10_000
CSV_COLUMNS = (
    "input",
    "verdict",
    "holder",
    "issuer",
    "issuerId",
    "course",
    "issued",
    "validUntil",
    "credentialId",
    "failedChecks",
)
# Spreadsheet programs run a cell starting with one of these as a formula (OWASP CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class BatchInputError(VerifyError, ValueError):
    """The list of inputs cannot be built (missing path, bad list file, too many inputs).

    Attributes:
        code: a stable kebab-case code (``no-such-file``, ``empty-folder``, ``no-inputs``,
            ``too-many-inputs``, ``list-unreadable``, ``list-too-large``, ``list-not-utf8``).
    """

    code = "batch-input"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class FailedCheck:
    """A check that did not pass: its id, status and message."""

    id: str
    status: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """Return the JSON form."""
        return {"id": self.id, "status": self.status, "message": self.message}


@dataclass(frozen=True)
class BatchRow:
    """The outcome for one input of a batch.

    Attributes:
        input: what the employer named: a file name, a URL, or an upload's file name.
        verdict: the report's verdict (``unverifiable`` when the input could not be read).
        holder: the holder's name when the credential states one.
        issuer: the issuer's name (or its id when it has no name).
        issuer_id: the issuer's id.
        course: the achievement's (course's) name.
        issued: ``validFrom`` (or OB 2.0 ``issuedOn``).
        valid_until: ``validUntil`` when set.
        credential_id: the credential's id.
        failed: every check that failed or could not be run, in report order.
    """

    input: str
    verdict: Verdict
    holder: str | None = None
    issuer: str | None = None
    issuer_id: str | None = None
    course: str | None = None
    issued: str | None = None
    valid_until: str | None = None
    credential_id: str | None = None
    failed: tuple[FailedCheck, ...] = field(default_factory=tuple)

    @classmethod
    def from_report(cls, name: str, report: VerificationReport, lang: str = "en") -> BatchRow:
        """Build the row of ``name`` from its verification report (messages in ``lang``)."""
        summary = report.summary() or {}
        issuer = summary.get("issuer") or {}
        issuer_id = _text(issuer.get("id")) if isinstance(issuer, Mapping) else None
        issuer_name = _text(issuer.get("name")) if isinstance(issuer, Mapping) else None
        failed = tuple(
            FailedCheck(c.id, c.status.value, c.message(lang))
            for c in report.checks
            if c.status in (CheckStatus.FAILED, CheckStatus.ERROR)
        )
        return cls(
            input=name,
            verdict=report.verdict,
            holder=_text(summary.get("holder")) or _holder(report.credential),
            issuer=issuer_name or issuer_id,
            issuer_id=issuer_id,
            course=_text(summary.get("achievement")) or _text(summary.get("name")),
            issued=_text(summary.get("validFrom")),
            valid_until=_text(summary.get("validUntil")),
            credential_id=_text(summary.get("id")),
            failed=failed,
        )

    @classmethod
    def unreadable(cls, name: str, check_id: str, message: str) -> BatchRow:
        """A row for an input that could not even be handed to the verifier."""
        return cls(
            input=name,
            verdict=Verdict.UNVERIFIABLE,
            failed=(FailedCheck(check_id, CheckStatus.ERROR.value, message),),
        )

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """Return the JSON row (the same fields as the CSV, failed checks as a list)."""
        return {
            "input": self.input,
            "verdict": self.verdict.value,
            "verdictText": self.verdict.label(lang),
            "holder": self.holder,
            "issuer": self.issuer,
            "issuerId": self.issuer_id,
            "course": self.course,
            "issued": self.issued,
            "validUntil": self.valid_until,
            "credentialId": self.credential_id,
            "failedChecks": [f.to_dict() for f in self.failed],
        }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _holder(credential: Mapping[str, Any] | None) -> str | None:
    """The holder's name when the credential subject states one (OB 3.0 ``name``)."""
    if not isinstance(credential, Mapping):
        return None
    return CredentialSummary.of(credential).holder_name


def summarize(rows: Iterable[BatchRow]) -> dict[str, Any]:
    """Count the rows per verdict: ``{"total": n, "valid": k, ..., "notValid": m}``.

    Every verdict is listed (zero included) so programs can read any count directly.
    """
    counts = {verdict.value: 0 for verdict in Verdict}
    total = 0
    for row in rows:
        counts[row.verdict.value] += 1
        total += 1
    not_valid = total - counts[Verdict.VALID.value] - counts[Verdict.UNVERIFIABLE.value]
    return {"total": total, **counts, "notValid": not_valid}


def batch_exit_code(rows: Sequence[BatchRow]) -> int:
    """The exit status of a batch.

    0 every input is valid; 1 at least one is not valid (invalid, revoked, suspended,
    expired, not yet valid); 3 none is not valid but at least one could not be verified.
    "Not valid" wins over "could not verify" because it is a definite answer about a
    candidate that the employer must act on.
    """
    verdicts = {row.verdict for row in rows}
    if verdicts - {Verdict.VALID, Verdict.UNVERIFIABLE}:
        return 1
    if Verdict.UNVERIFIABLE in verdicts:
        return 3
    return 0


def safe_cell(value: str) -> str:
    """Neutralize a cell a spreadsheet would run as a formula, by prefixing a quote."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def rows_to_csv(rows: Iterable[BatchRow], lang: str = "en") -> str:
    """The table as CSV text starting with a UTF-8 BOM (so Excel reads Korean correctly).

    Failed checks are one cell: ``id: message`` joined by `` | ``. Every cell that a
    spreadsheet would treat as a formula is prefixed with ``'``.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        data = row.to_dict(lang)
        data["verdict"] = row.verdict.value
        data["failedChecks"] = " | ".join(f"{f.id}: {f.message}" for f in row.failed)
        writer.writerow([safe_cell(str(data[c] or "")) for c in CSV_COLUMNS])
    return buffer.getvalue()


def _is_url(text: str) -> bool:
    return text.lower().startswith(("https://", "http://"))


def read_list_file(path: str | Path) -> list[str]:
    """The inputs named in a ``--from`` list: one path or URL per line.

    Blank lines and lines starting with ``#`` are skipped; relative paths are taken relative
    to the list file's folder, so a list travels with the files it names.

    Raises:
        BatchInputError: the file cannot be read, is too large, or is not UTF-8.
    """
    list_path = Path(path)
    try:
        with list_path.open("rb") as handle:
            data = handle.read(MAX_LIST_FILE_BYTES + 1)
    except OSError as err:
        raise BatchInputError("list-unreadable", f"cannot read {path}: {err.strerror}") from err
    if len(data) > MAX_LIST_FILE_BYTES:
        raise BatchInputError(
            "list-too-large", f"{path} is larger than {MAX_LIST_FILE_BYTES} bytes"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BatchInputError("list-not-utf8", f"{path} is not UTF-8 text") from err
    entries = []
    for line in text.splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if not _is_url(entry) and not Path(entry).is_absolute():
            entry = str(list_path.parent / entry)
        entries.append(entry)
    return entries


def expand_inputs(
    targets: Sequence[str], *, list_file: str | Path | None = None, limit: int = MAX_CLI_INPUTS
) -> list[str]:
    """The inputs to verify, in order: each target, then the ``--from`` list's entries.

    A folder stands for the files directly inside it, sorted by name, hidden files skipped
    (see the module docstring). URLs and ``-`` (standard input) are kept as they are.

    Raises:
        BatchInputError: a path does not exist, a folder is empty, the list file is bad, or
            there are more than ``limit`` inputs.
    """
    named = list(targets)
    if list_file is not None:
        named.extend(read_list_file(list_file))
    inputs: list[str] = []
    for target in named:
        if _is_url(target) or target == "-" or target.startswith("BJ1:"):
            inputs.append(target)
            continue
        path = Path(target)
        if path.is_dir():
            files = sorted(
                str(child)
                for child in path.iterdir()
                if child.is_file() and not child.name.startswith(".")
            )
            if not files:
                raise BatchInputError("empty-folder", f"no files in folder: {target}")
            inputs.extend(files)
        elif path.is_file():
            inputs.append(target)
        else:
            raise BatchInputError("no-such-file", f"no such file or folder: {target}")
        if len(inputs) > limit:
            break
    if len(inputs) > limit:
        raise BatchInputError("too-many-inputs", f"more than {limit} inputs")
    if not inputs:
        raise BatchInputError("no-inputs", "nothing to verify")
    return inputs


__all__ = [
    "CSV_COLUMNS",
    "MAX_CLI_INPUTS",
    "BatchInputError",
    "BatchRow",
    "FailedCheck",
    "batch_exit_code",
    "expand_inputs",
    "read_list_file",
    "rows_to_csv",
    "safe_cell",
    "summarize",
]
